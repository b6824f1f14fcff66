"""TextRank sentence extraction (Mihalcea & Tarau 2004, "TextRank: Bringing Order into Texts").

Sentences are vertices; two sentences are joined by an edge weighted with the
paper's similarity, the number of shared (stemmed, non-stop-word) terms divided
by log|Si| + log|Sj|, where |Si| is the sentence's length in words; weighted
PageRank ranks the vertices.
"""

from __future__ import annotations

import math
import time
from itertools import chain

import numpy as np
from scipy import sparse

from models.errors import InvalidOption
from models.terms import content_terms, rouge_tokens
from models.types import Article, Attribution, ExtractedSentence, ExtractiveSummary, RankedSentence

_DAMPING = 0.85  # Mihalcea & Tarau 2004, after Brin & Page 1998
_TOLERANCE = 1e-6  # the paper stops at 1e-4; scores are reported to 6 places
_MAX_ITERATIONS = 200  # convergence takes 20-60 on news; this only bounds the worst case
# Two one-term sentences would divide by log 1 + log 1 = 0; floor the normaliser
# at log 2, its value for a one-term and a two-term sentence.
_MIN_NORMALISER = math.log(2)
MAX_SUMMARY_SENTENCES = 50
# Incidence matrices up to this many cells (8 bytes each) are multiplied dense.
_DENSE_CELLS = 4_000_000


def summarize_textrank(article: Article, max_sentences: int = 3) -> ExtractiveSummary:
    """The `max_sentences` best-ranked sentences, in article order, with every sentence's rank."""
    if not 1 <= max_sentences <= MAX_SUMMARY_SENTENCES:
        raise InvalidOption(
            f"max_sentences must be between 1 and {MAX_SUMMARY_SENTENCES}; given: {max_sentences}"
        )
    started = time.perf_counter()
    ranking = rank_sentences(article)
    chosen = _pick(article, ranking, max_sentences)
    extracted = tuple(
        ExtractedSentence(s.text, (s.index,), s.start, s.end, exact_attribution(s.index), 1.0, ())
        for s in (article.sentences[i] for i in chosen)
    )
    return ExtractiveSummary(
        status="ok",
        text=" ".join(s.text for s in extracted),
        sentences=extracted,
        ranking=ranking,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def rank_sentences(article: Article) -> tuple[RankedSentence, ...]:
    """Every sentence with its TextRank score (summing to 1) and rank (1 = best), best first."""
    analysed = [content_terms(s.text, article.language) for s in article.sentences]
    # Build the similarity graph, then let PageRank spread centrality over it.
    weights = _similarity_graph([terms for terms, _ in analysed], [n for _, n in analysed])
    scores = _pagerank(weights)
    total = float(scores.sum())
    # Ties (e.g. a graph with no edges) go to the earlier sentence: news front-loads.
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return tuple(
        RankedSentence(sentence=i, score=float(scores[i]) / total, rank=rank)
        for rank, i in enumerate(order, start=1)
    )


def _similarity_graph(terms: list[list[str]], lengths: list[int]) -> np.ndarray:
    overlap = _shared_term_counts(terms)
    log_lengths = np.log(np.maximum(lengths, 1))
    normaliser = np.maximum(log_lengths[:, None] + log_lengths[None, :], _MIN_NORMALISER)
    weights: np.ndarray = overlap / normaliser
    np.fill_diagonal(weights, 0.0)
    return weights


def _shared_term_counts(terms: list[list[str]], dense_cells: int = _DENSE_CELLS) -> np.ndarray:
    """Distinct terms shared by every pair of sentences, as incidence times its transpose."""
    vocabulary = {t: i for i, t in enumerate(dict.fromkeys(chain.from_iterable(terms)))}
    ids = [[vocabulary[t] for t in set(sentence_terms)] for sentence_terms in terms]
    rows = np.repeat(np.arange(len(terms)), [len(i) for i in ids])
    columns = np.fromiter(chain.from_iterable(ids), dtype=np.intp, count=len(rows))
    shape = (len(terms), max(len(vocabulary), 1))
    # A dense product is fastest for news-length articles; past a few million
    # cells (thousands of sentences) the sparse one saves the memory.
    if shape[0] * shape[1] <= dense_cells:
        incidence = np.zeros(shape)
        incidence[rows, columns] = 1.0
        return incidence @ incidence.T
    sparse_incidence = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=shape)
    return (sparse_incidence @ sparse_incidence.T).toarray()  # type: ignore[no-any-return]


def _pagerank(weights: np.ndarray) -> np.ndarray:
    # WS(Vi) = (1 - d) + d * sum_j w_ji / sum_k w_jk * WS(Vj)   (the paper's eq. 2)
    out_strength = weights.sum(axis=1)
    transition = np.divide(
        weights, out_strength[:, None], out=np.zeros_like(weights), where=out_strength[:, None] > 0
    ).T
    scores = np.ones(len(weights))
    for _ in range(_MAX_ITERATIONS):
        updated = (1 - _DAMPING) + _DAMPING * (transition @ scores)
        converged = np.abs(updated - scores).max(initial=0.0) < _TOLERANCE
        scores = updated
        if converged:
            break
    return scores


def exact_attribution(sentence: int) -> tuple[Attribution, ...]:
    """An extractive summary sentence is its own source, with certainty."""
    return (Attribution(sentence=sentence, score=1.0),)


def _pick(article: Article, ranking: tuple[RankedSentence, ...], limit: int) -> list[int]:
    chosen: list[int] = []
    seen: set[tuple[str, ...] | str] = set()
    for ranked in ranking:
        if len(chosen) == limit:
            break
        text = article.sentences[ranked.sentence].text
        # Identical sentences (up to case and punctuation) are one sentence to a reader.
        key: tuple[str, ...] | str = tuple(rouge_tokens(text)) or text
        if key in seen:
            continue
        seen.add(key)
        chosen.append(ranked.sentence)
    return sorted(chosen)
