"""Cheap, offline evidence of whether a whole summary is faithful to its article.

Each signal is a number for one summary, computed from the article's words and
the summary's attributed sentences (models.attribution), or None where it does
not apply (no sentence encoder; an English-only cue on another language):
- `weakest_support`, `mean_support`: attribution's sentence `support`, the
  lowest and the mean;
- `precision_1` ... `precision_4`: the share of the summary's word n-grams
  found in the article (copied-fragment precision; Grusky et al. 2018's
  extractive fragments, counted per n);
- `weakest_precision_3`: the lowest trigram precision of a summary sentence;
- `novel_content`: the share of the summary's content terms (stemmed, no stop
  words) the article lacks, each weighted by its inverse document frequency
  over the article's sentences (Sparck Jones 1972), so that a novel term counts
  more than one the article repeats; `novel_terms`: how many distinct ones;
- `missing_numbers`, `magnitude_mismatches`, `missing_names`: numbers and
  capitalised names the article lacks (models.facts, case-insensitive); a
  magnitude mismatch is a missing quantity whose digits the article has with
  another scale or unit ("1.2 million" where it says "1.2 billion");
- `negation_flips` (English only): summary sentences whose negation differs
  from that of their best source sentence ("did not" against "did");
- `entity_fusions`: summary sentences naming two of the article's proper nouns
  that no article sentence (nor two neighbouring ones) names together, the
  shape of a subject/object swap across sentences; works on lower-cased text,
  as the proper nouns are read off the article's capitalisation;
- `weakest_similarity`: the lowest, over summary sentences, of the best MiniLM
  cosine with an article sentence (when an encoder is loaded).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import regex

from newsum.models.attribution import ArticleEvidence
from newsum.models.terms import analyse
from newsum.models.types import GeneratedSentence

NGRAM_ORDERS = (1, 2, 3, 4)
# English negation cues, as rouge_tokens spells them ("didn't" is one token).
_NEGATIONS = frozenset("not no never nobody nothing none neither nor without cannot n't".split())
_NEGATION_LANGUAGES = frozenset({"en"})
# A capitalised word that does not open a sentence: a proper noun's mark.
_INNER_CAPITALISED = regex.compile(r"(?<=[\p{L}\p{N},;:]\s+)(?:\p{Lu}|\p{Lt})[\p{L}\p{M}]+")
_LOWER_CASE = regex.compile(r"\b\p{Ll}[\p{L}\p{M}]*")
_DIGITS = regex.compile(r"\d[\d,]*(?:\.\d+)?")


class ArticleWords:
    """An article's n-grams, term frequencies and proper nouns, each made once per article
    and only when a signal asks for it: serving computes the fitted model's signals only
    (4-gram precision needs the 4-gram set, not the proper nouns)."""

    def __init__(self, evidence: ArticleEvidence) -> None:
        article = evidence.article
        self.language = article.language
        # The article's sentences as analysed once for all engines, and a standfirst's
        # (not part of the text, but part of what the summary may draw on).
        self._texts = [s.text for s in article.sentences]
        self._analysed = list(article.words)
        if article.lead.spans:
            self._texts += [span.text for span in article.lead.spans]
            self._analysed += analyse([span.text for span in article.lead.spans], self.language)
        self.sentence_tokens = [a.tokens for a in self._analysed]
        self.sentence_count = len(self._texts)
        self._ngrams: dict[int, set[tuple[str, ...]]] = {}

    def ngrams(self, n: int) -> set[tuple[str, ...]]:
        """The article's word n-grams (within its sentences)."""
        if n not in self._ngrams:
            self._ngrams[n] = {g for t in self.sentence_tokens for g in _ngrams(t, n)}
        return self._ngrams[n]

    @functools.cached_property
    def term_frequency(self) -> Counter[str]:
        """In how many sentences each content term occurs."""
        return Counter(t for a in self._analysed for t in set(a.terms))

    @functools.cached_property
    def proper_nouns(self) -> frozenset[str]:
        return _proper_nouns(self._texts)

    @functools.cached_property
    def entity_windows(self) -> dict[str, set[int]]:
        """Each proper noun's windows: sentence i and its neighbours make window i, so two
        names share a window when at most a sentence apart (the fusion check)."""
        windows: dict[str, set[int]] = {}
        for i, sentence_tokens in enumerate(self.sentence_tokens):
            for name in self.entities(sentence_tokens):
                windows.setdefault(name, set()).update((i - 1, i, i + 1))
        return windows

    def entities(self, tokens: Sequence[str]) -> frozenset[str]:
        """The article's proper nouns among `tokens` (possessives read as the name)."""
        return self.proper_nouns.intersection(_name_form(t) for t in tokens)

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency over the article's sentences."""
        return math.log((self.sentence_count + 1) / (self.term_frequency[term] + 1)) + 1


@dataclass(frozen=True, slots=True)
class _Summary:
    """An attributed summary with its words, and its article's."""

    evidence: ArticleEvidence
    sentences: Sequence[GeneratedSentence]
    article: ArticleWords
    tokens: list[tuple[str, ...]]
    terms: list[str]

    @property
    def supports(self) -> list[float]:
        return [s.support or 0.0 for s in self.sentences]

    @property
    def missing_numbers(self) -> list[str]:
        return [fact for s in self.sentences for fact in s.unsupported if _DIGITS.search(fact)]


def summary_signals(
    evidence: ArticleEvidence,
    sentences: Sequence[GeneratedSentence],
    words: ArticleWords | None = None,
    names: Iterable[str] = (),
) -> dict[str, float | None]:
    """The signals `names` (all when none are named) of the attributed summary `sentences`;
    None where one does not apply."""
    words = words or ArticleWords(evidence)
    analysed = analyse([s.text for s in sentences], words.language)
    summary = _Summary(
        evidence,
        sentences,
        words,
        [a.tokens for a in analysed],
        [t for a in analysed for t in a.terms],
    )
    return {name: _SIGNALS[name](summary) for name in (tuple(names) or SIGNALS)}


def _precision(summary: _Summary, n: int, tokens: Sequence[Sequence[str]] = ()) -> float:
    """The share of the summary's n-grams (within its sentences) that the article has."""
    grams = [g for t in (tokens or summary.tokens) for g in _ngrams(t, n)]
    if not grams:  # shorter than n words: judged by its longest n-grams
        return _precision(summary, n - 1, tokens) if n > 1 else 0.0
    known = summary.article.ngrams(n)
    return sum(1 for g in grams if g in known) / len(grams)


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _novel_content(summary: _Summary) -> float:
    """The IDF-weighted share of the summary's terms that the article lacks."""
    if not summary.terms:
        return 0.0
    known = summary.article.term_frequency
    weights = [summary.article.idf(t) for t in summary.terms]
    novel = sum(w for t, w in zip(summary.terms, weights, strict=True) if t not in known)
    return novel / sum(weights)


def _magnitude_mismatches(summary: _Summary) -> float:
    """Missing quantities whose digits the article has (with another scale or unit)."""
    numbers = summary.evidence.facts.numbers
    digits = [_DIGITS.search(fact) for fact in summary.missing_numbers]
    return float(sum(1 for d in digits if d and numbers.has(float(d[0].replace(",", "")))))


def _negation_flips(summary: _Summary) -> float | None:
    if summary.article.language not in _NEGATION_LANGUAGES:
        return None  # the cue list is English: silent, not wrong, elsewhere
    flips = 0
    for sentence, own in zip(summary.sentences, summary.tokens, strict=True):
        if sentence.attributions:
            source = summary.article.sentence_tokens[sentence.attributions[0].sentence]
            flips += _negated(own) != _negated(source)
    return float(flips)


def _negated(tokens: Sequence[str]) -> bool:
    return any(t in _NEGATIONS or t.endswith("n't") for t in tokens)


def _entity_fusions(summary: _Summary) -> float:
    """Summary sentences with two proper nouns that are never named near each other."""
    windows = summary.article.entity_windows
    return float(
        sum(
            any(
                not windows.get(a, set()) & windows.get(b, set())
                for a, b in combinations(sorted(summary.article.entities(tokens)), 2)
            )
            for tokens in summary.tokens
        )
    )


def _proper_nouns(sentences: Sequence[str]) -> frozenset[str]:
    """Case-folded words the article capitalises inside sentences and never writes lower-case."""
    capitalised = {m.casefold() for s in sentences for m in _INNER_CAPITALISED.findall(s)}
    lower = {w.casefold() for s in sentences for w in _LOWER_CASE.findall(s)}
    return frozenset(capitalised - lower)


def _name_form(token: str) -> str:
    return token.removesuffix("'s")


def _weakest_similarity(summary: _Summary) -> float | None:
    article = summary.evidence.vectors()
    own = summary.evidence.encode([s.text for s in summary.sentences])
    if article is None or own is None or not len(article) or not len(own):
        return None
    return float(np.min(np.max(own @ article.T, axis=1)))


_SIGNALS: dict[str, Callable[[_Summary], float | None]] = {
    "weakest_support": lambda s: min(s.supports, default=0.0),
    "mean_support": lambda s: sum(s.supports) / len(s.supports) if s.supports else 0.0,
    **{f"precision_{n}": functools.partial(_precision, n=n) for n in NGRAM_ORDERS},
    "weakest_precision_3": lambda s: min((_precision(s, 3, [t]) for t in s.tokens), default=0.0),
    "novel_content": _novel_content,
    "novel_terms": lambda s: float(len(set(s.terms) - s.article.term_frequency.keys())),
    "missing_numbers": lambda s: float(len(s.missing_numbers)),
    "magnitude_mismatches": _magnitude_mismatches,
    "missing_names": lambda s: float(
        sum(len(x.unsupported) for x in s.sentences) - len(s.missing_numbers)
    ),
    "negation_flips": _negation_flips,
    "entity_fusions": _entity_fusions,
    "weakest_similarity": _weakest_similarity,
}
SIGNALS = tuple(_SIGNALS)
