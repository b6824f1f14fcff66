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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from models.embeddings import SentenceEncoder
from models.facts import ArticleFacts, unsupported_facts
from models.segment import split_paragraphs, split_sentences
from models.terms import content_terms, rouge_tokens
from models.types import Article, Attribution, GeneratedSentence

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


@dataclass(frozen=True, slots=True)
class _Words:
    terms: frozenset[str]
    bigrams: frozenset[tuple[str, str]]


class ArticleEvidence:
    """An article prepared once for attributing any number of summaries to it."""

    def __init__(self, article: Article, encoder: SentenceEncoder | None = None) -> None:
        self.article = article
        self.encoder = encoder
        self._words = [_words(s.text, article.language) for s in article.sentences]
        self.facts = ArticleFacts(f"{article.text}\n{article.lead.text}")
        self._vectors: np.ndarray | None = None

    def vectors(self) -> np.ndarray | None:
        # Embedded on first use: a TextRank-only request never pays for it.
        if self.encoder is not None and self._vectors is None:
            self._vectors = self.encoder.encode([s.text for s in self.article.sentences])
        return self._vectors

    def attribute(self, summary: str) -> tuple[GeneratedSentence, ...]:
        """`summary` split into sentences (offsets into it), each attributed to the article."""
        spans = [
            (s, e)
            for p_start, p_end in split_paragraphs(summary)
            for s, e in split_sentences(summary, p_start, p_end, self.article.language)
        ]
        return self.attribute_sentences(summary, spans)

    def attribute_sentences(
        self, summary: str, spans: Sequence[tuple[int, int]]
    ) -> tuple[GeneratedSentence, ...]:
        texts = [summary[s:e] for s, e in spans]
        similarities = self._similarities(texts)
        return tuple(
            self._attribute_one(text, start, end, None if similarities is None else similarities[i])
            for i, (text, (start, end)) in enumerate(zip(texts, spans, strict=True))
        )

    def _similarities(self, texts: list[str]) -> np.ndarray | None:
        article_vectors = self.vectors()
        if article_vectors is None or self.encoder is None or not texts:
            return None
        cosines = self.encoder.encode(texts) @ article_vectors.T
        span = _SIMILARITY_CEILING - _SIMILARITY_FLOOR
        similarities: np.ndarray = np.clip((cosines - _SIMILARITY_FLOOR) / span, 0.0, 1.0)
        return similarities

    def _attribute_one(
        self, text: str, start: int, end: int, similarity: np.ndarray | None
    ) -> GeneratedSentence:
        words = _words(text, self.article.language)
        missing = tuple(unsupported_facts(text, self.facts))
        if not words.terms or not self._words:
            return GeneratedSentence(text, start, end, (), 0.0, missing)

        # Score every article sentence, then cover the summary sentence greedily.
        lexical = np.array([_lexical(words, candidate) for candidate in self._words])
        if similarity is not None:
            lexical = _LEXICAL_WEIGHT * lexical + (1 - _LEXICAL_WEIGHT) * similarity
        scores = np.clip(lexical, 0.0, 1.0)  # float32 cosines of copies can exceed 1
        sources = self._cover(words, scores)
        support = self._support(words, sources, similarity)
        support *= _UNSUPPORTED_FACT_FACTOR ** len(missing)

        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        # The least bad match of an unsupported sentence is no source: list none.
        listed = {i for i in sources if scores[i] >= MIN_SOURCE_SCORE}
        for i in ranked:
            if len(listed) >= _MAX_ATTRIBUTIONS or scores[i] < _MIN_ALTERNATIVE_SCORE:
                break
            listed.add(i)
        attributions = tuple(
            Attribution(sentence=i, score=float(scores[i]))
            for i in sorted(listed, key=lambda i: (-scores[i], i))
        )
        return GeneratedSentence(text, start, end, attributions, min(float(support), 1.0), missing)

    def _cover(self, words: _Words, scores: np.ndarray) -> list[int]:
        best = int(np.argmax(scores))
        sources = [best]
        covered = set(words.terms & self._words[best].terms)
        while len(sources) < _MAX_SOURCES:
            gains = [
                (len((words.terms & candidate.terms) - covered), i)
                for i, candidate in enumerate(self._words)
                if i not in sources and scores[i] >= MIN_SOURCE_SCORE
            ]
            if not gains:
                break
            gain, chosen = max(gains, key=lambda g: (g[0], scores[g[1]], -g[1]))
            if gain / len(words.terms) < _MIN_GAIN:
                break
            sources.append(chosen)
            covered |= words.terms & self._words[chosen].terms
        return sources

    def _support(self, words: _Words, sources: list[int], similarity: np.ndarray | None) -> float:
        terms = frozenset().union(*(self._words[i].terms for i in sources))
        bigrams = frozenset().union(*(self._words[i].bigrams for i in sources))
        best_alone = max(_lexical(words, self._words[i]) for i in sources)
        lexical = 0.5 * best_alone + 0.5 * _lexical(words, _Words(terms, bigrams))
        if similarity is None:
            return lexical
        semantic = float(max(similarity[i] for i in sources))
        return _LEXICAL_WEIGHT * lexical + (1 - _LEXICAL_WEIGHT) * semantic


def _words(text: str, language: str) -> _Words:
    terms, _ = content_terms(text, language)
    tokens = rouge_tokens(text)
    # A sentence of stop words only ("It is.") is still matched on its words.
    return _Words(frozenset(terms or tokens), frozenset(pairwise(tokens)))


def _lexical(summary: _Words, candidate: _Words) -> float:
    coverage = len(summary.terms & candidate.terms) / len(summary.terms)
    if not summary.bigrams:  # one-word sentences have no bigrams
        return coverage
    fragments = len(summary.bigrams & candidate.bigrams) / len(summary.bigrams)
    return 0.5 * coverage + 0.5 * fragments
