"""Which article sentences support each summary sentence, how strongly, and what the article lacks.

Signals, each in [0, 1], for a summary sentence s and an article sentence a:
- coverage: the share of s's content terms (stemmed, no stop words) found in a —
  Grusky et al. 2018's extractive coverage, per sentence;
- fragments: the share of s's word bigrams found in a, which rewards copied
  phrases (their extractive density) over scattered shared words;
- similarity: cosine of sentence embeddings (Reimers & Gurevych 2019), when an
  encoder is loaded; it catches paraphrase that shares few words.
A sentence fusing several article sentences is covered greedily: after the best
source, the sentence adding the most still-uncovered terms joins while it adds
at least a fifth of them. `support` averages how well the best source alone
and all sources together back s (a fusion of two true halves scores below a
copy: fusions are where summarisers most often invent relations); each number
or name of s missing from the article halves it.

Cost: the article is indexed once (term -> the sentences holding it), so a
summary sentence is scored against every article sentence by a few array
operations over that index, not a Python loop over sentence pairs; the work is
(summary sentences x article sentences) array cells, bounded by the service's
limits (2,000 article sentences, a 20,000-character summary).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from newsum.models.embeddings import SentenceEncoder
from newsum.models.facts import ArticleFacts, unsupported_facts
from newsum.models.segment import split_paragraphs, split_sentences
from newsum.models.terms import analyse
from newsum.models.types import Article, Attribution, GeneratedSentence, TextWords

# Cosines of all-MiniLM-L6-v2 are rescaled before use: sentences of one news
# story that say different things score 0.3-0.45 against each other (they share
# the topic), paraphrases 0.6-0.8, copies 1 (seen on ../shared/data/sample_article.txt).
_SIMILARITY_FLOOR = 0.35
_SIMILARITY_CEILING = 0.85
# Lexical and semantic evidence count alike when both exist.
_LEXICAL_WEIGHT = 0.5
# A further source must add at least this share of the sentence's terms, and
# at most this many sources make up one summary sentence.
_MIN_GAIN = 0.2
_MAX_SOURCES = 3
# Besides the sources, strong alternatives (a fact repeated in lead and body)
# are listed down to this score, up to this many attributions in all.
_MIN_ALTERNATIVE_SCORE = 0.6
_MAX_ATTRIBUTIONS = 5
# Sources weaker than this are not support at all, only the least bad match.
MIN_SOURCE_SCORE = 0.25
# Each number or name the article lacks halves the support: a wrong figure
# makes a sentence unfaithful however many words it shares.
_UNSUPPORTED_FACT_FACTOR = 0.5
# Summary sentences set against the article's embeddings per matrix product: bounds
# the cosine matrix at this many rows (x 2,000 article sentences x 4 bytes = 2 MB).
_SIMILARITY_ROWS = 256


@dataclass(frozen=True, slots=True)
class Words:
    """A sentence's content terms and word bigrams: what the lexical signals compare."""

    terms: frozenset[str]
    bigrams: frozenset[tuple[str, str]]


class SentenceSet:
    """Sentences indexed once, so that one sentence is scored against all of them by a few
    array operations: the evidence of attribution, and of the lead comparison's coverage."""

    def __init__(self, words: Sequence[Words]) -> None:
        self._words = list(words)
        self._terms = _Index(w.terms for w in self._words)
        self._bigrams = _Index(w.bigrams for w in self._words)

    def __len__(self) -> int:
        return len(self._words)

    def match(
        self, words: Words, similarity: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[int], float]:
        """`words` against every sentence: the scores, the greedy cover, and its support.

        `similarity` holds the rescaled cosines with every sentence (`rescaled_cosines`),
        or None for lexical evidence only. `words` must have terms and the set a sentence.
        """
        lexical = self._lexical_scores(words)
        if similarity is not None:
            lexical = _LEXICAL_WEIGHT * lexical + (1 - _LEXICAL_WEIGHT) * similarity
        scores = np.clip(lexical, 0.0, 1.0)  # float32 cosines of copies can exceed 1
        sources = self._cover(words, scores)
        return scores, sources, self._support(words, sources, similarity)

    def _lexical_scores(self, words: Words) -> np.ndarray:
        """`_lexical` of `words` against every article sentence, from the index."""
        count = len(self._words)
        coverage: np.ndarray = self._terms.shared(words.terms, count) / len(words.terms)
        if not words.bigrams:  # one-word sentences have no bigrams
            return coverage
        fragments = self._bigrams.shared(words.bigrams, count) / len(words.bigrams)
        return 0.5 * coverage + 0.5 * fragments

    def _cover(self, words: Words, scores: np.ndarray) -> list[int]:
        best = int(np.argmax(scores))
        sources = [best]
        covered = words.terms & self._words[best].terms
        while len(sources) < _MAX_SOURCES:
            eligible = scores >= MIN_SOURCE_SCORE
            eligible[sources] = False
            candidates = np.flatnonzero(eligible)
            if not len(candidates):
                break
            gains = self._terms.shared(words.terms - covered, len(self._words))[candidates]
            gain = int(gains.max())
            if gain / len(words.terms) < _MIN_GAIN:
                break
            # The most still-uncovered terms; ties: the higher score, then the earlier.
            candidates = candidates[gains == gain]
            chosen = int(candidates[np.argmax(scores[candidates])])
            sources.append(chosen)
            covered |= words.terms & self._words[chosen].terms
        return sources

    def _support(self, words: Words, sources: list[int], similarity: np.ndarray | None) -> float:
        best_alone = max(_lexical(words, self._words[i]) for i in sources)
        together = _lexical(words, *(self._words[i] for i in sources))
        lexical = 0.5 * best_alone + 0.5 * together
        if similarity is None:
            return lexical
        semantic = float(max(similarity[i] for i in sources))
        return _LEXICAL_WEIGHT * lexical + (1 - _LEXICAL_WEIGHT) * semantic


class ArticleEvidence(SentenceSet):
    """An article prepared once for attributing any number of summaries to it."""

    def __init__(self, article: Article, encoder: SentenceEncoder | None = None) -> None:
        super().__init__([words_from(w) for w in article.words])
        self.article = article
        self.encoder = encoder
        self.facts = ArticleFacts(f"{article.text}\n{article.lead.text}")
        self._vectors: np.ndarray | None = None
        # Every text embedded so far (article and summary sentences), so that the
        # lead comparison reuses attribution's vectors rather than encoding again.
        self._encoded: dict[str, np.ndarray] = {}

    def vectors(self) -> np.ndarray | None:
        # Embedded on first use: a TextRank-only request never pays for it.
        if self.encoder is not None and self._vectors is None:
            self._vectors = self.encode([s.text for s in self.article.sentences])
        return self._vectors

    def encode(self, texts: Sequence[str]) -> np.ndarray | None:
        """Unit vectors of `texts`, encoding only those not embedded before; None without
        an encoder."""
        if self.encoder is None:
            return None
        new = list(dict.fromkeys(t for t in texts if t not in self._encoded))
        if new:
            self._encoded.update(zip(new, self.encoder.encode(new), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._encoded[t] for t in texts])

    def attribute(self, summary: str) -> tuple[GeneratedSentence, ...]:
        """`summary` split into sentences (offsets into it), each attributed to the article."""
        return self.attribute_sentences(summary, summary_spans(summary, self.article.language))

    def attribute_sentences(
        self, summary: str, spans: Sequence[tuple[int, int]]
    ) -> tuple[GeneratedSentence, ...]:
        texts = [summary[s:e] for s, e in spans]
        rows = self._similarities(texts)
        words = all_words_of(texts, self.article.language)
        return tuple(
            self._attribute_one(text, start, end, words[i], None if rows is None else next(rows))
            for i, (text, (start, end)) in enumerate(zip(texts, spans, strict=True))
        )

    def _similarities(self, texts: list[str]) -> Iterator[np.ndarray] | None:
        """Each text's rescaled cosines with every article sentence, row by row."""
        article_vectors = self.vectors()
        if article_vectors is None or self.encoder is None or not texts:
            return None
        vectors = self.encode(texts)
        assert vectors is not None  # an encoder is loaded

        def rows() -> Iterator[np.ndarray]:
            for first in range(0, len(vectors), _SIMILARITY_ROWS):
                yield from rescaled_cosines(
                    vectors[first : first + _SIMILARITY_ROWS], article_vectors
                )

        return rows()

    def _attribute_one(
        self, text: str, start: int, end: int, words: Words, similarity: np.ndarray | None
    ) -> GeneratedSentence:
        missing = tuple(unsupported_facts(text, self.facts))
        if not words.terms or not self._words:
            return GeneratedSentence(text, start, end, (), 0.0, missing)

        # Score every article sentence, then cover the summary sentence greedily.
        scores, sources, support = self.match(words, similarity)
        support *= _UNSUPPORTED_FACT_FACTOR ** len(missing)

        # The least bad match of an unsupported sentence is no source: list none.
        listed = {i for i in sources if scores[i] >= MIN_SOURCE_SCORE}
        # Then strong alternatives, best first (ties: the earlier sentence).
        strong = np.flatnonzero(scores >= _MIN_ALTERNATIVE_SCORE)
        for i in strong[np.argsort(-scores[strong], kind="stable")].tolist():
            if len(listed) >= _MAX_ATTRIBUTIONS:
                break
            listed.add(i)
        attributions = tuple(
            Attribution(sentence=i, score=float(scores[i]))
            for i in sorted(listed, key=lambda i: (-scores[i], i))
        )
        return GeneratedSentence(text, start, end, attributions, min(float(support), 1.0), missing)


def summary_spans(summary: str, language: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of `summary`'s sentences, as attribution splits it."""
    return [
        (s, e)
        for p_start, p_end in split_paragraphs(summary)
        for s, e in split_sentences(summary, p_start, p_end, language)
    ]


def rescaled_cosines(vectors: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Cosines of unit vectors (rows x others), rescaled from the topic floor to 0-1."""
    cosines: np.ndarray = vectors @ others.T
    span = _SIMILARITY_CEILING - _SIMILARITY_FLOOR
    rescaled: np.ndarray = np.clip((cosines - _SIMILARITY_FLOOR) / span, 0.0, 1.0)
    return rescaled


class _Index:
    """Which article sentences hold each term (or bigram): an inverted index."""

    def __init__(self, sentences: Iterable[frozenset[Hashable]]) -> None:
        self._ids: dict[Hashable, int] = {}
        ids: list[int] = []
        sizes: list[int] = []
        for items in sentences:
            ids.extend(self._ids.setdefault(item, len(self._ids)) for item in items)
            sizes.append(len(items))
        # The sentence numbers of every item, grouped by item, in sentence order.
        item_ids = np.array(ids, dtype=np.intp)
        self._rows = np.repeat(np.arange(len(sizes)), sizes)[np.argsort(item_ids, kind="stable")]
        ends = np.cumsum(np.bincount(item_ids, minlength=len(self._ids)))
        self._starts = [0, *ends.tolist()]

    def shared(self, items: Iterable[Hashable], count: int) -> np.ndarray:
        """How many of `items` each of the `count` sentences holds."""
        ids = [self._ids[item] for item in items if item in self._ids]
        if not ids:
            return np.zeros(count, dtype=np.intp)
        rows = [self._rows[self._starts[i] : self._starts[i + 1]] for i in ids]
        return np.bincount(np.concatenate(rows), minlength=count)


def words_of(text: str, language: str) -> Words:
    return all_words_of([text], language)[0]


def all_words_of(texts: Sequence[str], language: str) -> list[Words]:
    """Each text's `Words`, analysed together (one stemmer call for all)."""
    return [words_from(analysed) for analysed in analyse(texts, language)]


def words_from(analysed: TextWords) -> Words:
    # A sentence of stop words only ("It is.") is still matched on its words.
    return Words(frozenset(analysed.terms or analysed.tokens), frozenset(pairwise(analysed.tokens)))


def _lexical(summary: Words, *candidates: Words) -> float:
    """Coverage and fragments of `summary` in what `candidates` hold between them."""
    # Set intersections: the same counts as testing each term against each candidate.
    terms = len(summary.terms & frozenset().union(*(c.terms for c in candidates)))
    coverage = terms / len(summary.terms)
    if not summary.bigrams:  # one-word sentences have no bigrams
        return coverage
    bigrams = len(summary.bigrams & frozenset().union(*(c.bigrams for c in candidates)))
    return 0.5 * coverage + 0.5 * (bigrams / len(summary.bigrams))
