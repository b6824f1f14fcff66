"""TextRank sentence extraction (Mihalcea & Tarau 2004, "TextRank: Bringing Order into Texts").

Sentences are vertices; two sentences are joined by an edge weighted with the
paper's similarity, the number of shared (stemmed, non-stop-word) terms divided
by log|Si| + log|Sj|, where |Si| is the sentence's length in words; weighted
PageRank ranks the vertices.

Cost: the graph has a cell per pair of sentences, so it is bounded by the
article's sentence limit (models.article.Limits: 2,000). Past a few hundred
sentences it is kept sparse — only pairs that share a term — unless most pairs
do: long texts give few edges (0.8% of pairs on 2,000 sentences over 2,000
words), and a dense 2,000-sentence graph is 32 MB, read once per iteration.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from itertools import chain, count
from operator import attrgetter
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.linalg.lapack import dgesv

from newsum.models.errors import InvalidOption
from newsum.models.types import (
    Article,
    Attribution,
    ExtractedSentence,
    ExtractiveSummary,
    RankedSentence,
)

_DAMPING = 0.85  # Mihalcea & Tarau 2004, after Brin & Page 1998
_TOLERANCE = 1e-6  # the paper stops at 1e-4; scores are reported to 6 places
_MAX_ITERATIONS = 200  # convergence takes 20-60 on news; this only bounds the worst case
# Two one-term sentences would divide by log 1 + log 1 = 0; floor the normaliser
# at log 2, its value for a one-term and a two-term sentence.
_MIN_NORMALISER = math.log(2)
MAX_SUMMARY_SENTENCES = 50
_TOKENS = attrgetter("tokens")
_TERMS = attrgetter("terms")
Pick = Literal["distinct", "classic"]
PICKS: tuple[Pick, ...] = ("distinct", "classic")
# Two sentences sharing this much of their content terms (cosine of the term
# sets) tell one fact twice: "X visited Iraq to stress cooperation against IS
# remnants" and "X's visit to Iraq marks a step in cooperation against IS
# remnants" score 0.77. On the dev sets (research/textrank_repeats.py, 38
# Newsroom + 97 CNN/DM articles; in-sample) 0.3 is the lowest threshold whose
# ROUGE-1/2/Lsum is nowhere below the classic pick's (+0.8/+0.8/+0.9 and
# +0.9/+0.5/+0.6, intervals spanning 0) while the highest similarity inside
# a summary halves (0.47 -> 0.23 on CNN/DM); 0.2 loses ROUGE-2 on CNN/DM.
REPEAT_SIMILARITY = 0.3
# Graphs of up to this many sentences (any but the longest news story) are dense
# matrices, the golden rankings' reference; larger ones are sparse when at most
# this share of their cells is an edge (a sparse cell costs about two dense ones).
_DENSE_SENTENCES = 300
_SPARSE_SHARE = 0.25
# Graphs of up to this many sentences are solved for PageRank's fixed point (a
# solve is cubic in the sentences: 300 take about 2 ms); larger ones iterate.
_SOLVE_SENTENCES = 300
# A floor for a sentence's out-strength, whose reciprocal scales its row of edges.
_NO_STRENGTH = np.finfo(float).tiny
# Incidence matrices up to this many cells (8 MB of float64) are dense arrays.
_DENSE_INCIDENCE_CELLS = 1_000_000


def summarize_textrank(
    article: Article, max_sentences: int = 3, pick: Pick = "distinct"
) -> ExtractiveSummary:
    """Up to `max_sentences` best-ranked sentences, in article order, with every sentence's rank.

    `pick` "distinct" passes over a sentence too similar to one already picked
    (`similarity`); "classic" takes the best-ranked sentences as they come.
    """
    if not 1 <= max_sentences <= MAX_SUMMARY_SENTENCES:
        raise InvalidOption(
            f"max_sentences must be between 1 and {MAX_SUMMARY_SENTENCES}; given: {max_sentences}"
        )
    started = time.perf_counter()
    ranking = rank_sentences(article)
    chosen = _pick(article, ranking, max_sentences, pick)
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
    # The article's words were analysed once, when it was read.
    lengths = list(map(len, map(_TOKENS, article.words)))
    # Build the similarity graph, then let PageRank spread centrality over it.
    overlap = _shared_term_counts(list(map(_TERMS, article.words)))
    if not isinstance(overlap, np.ndarray):
        scores = _pagerank(_sparse_transition(_sparse_similarity_graph(overlap, lengths)))
    elif len(lengths) <= _SOLVE_SENTENCES:
        scores = _solved_pagerank(_similarity_graph(overlap, lengths))
    else:
        scores = _pagerank(_transition(_similarity_graph(overlap, lengths)))
    # In Python floats: a news story's few dozen scores cost less than numpy calls.
    values = scores.tolist()
    total = sum(values)
    normalised = [value / total for value in values]
    # Ties (e.g. a graph with no edges, or a sentence the article repeats) go to the
    # earlier sentence: news front-loads. Python's sort is stable, in reverse too;
    # the scores are rounded far below the 6 places reported, so that scores equal
    # but for rounding error in the solve tie too.
    rounded = [round(value, 12) for value in normalised]
    order = sorted(range(len(values)), key=rounded.__getitem__, reverse=True)
    # (Built by map, positionally: keywords double a frozen dataclass's cost.)
    return tuple(
        map(RankedSentence, order, map(normalised.__getitem__, order), range(1, len(order) + 1))
    )


def _similarity_graph(overlap: np.ndarray, lengths: list[int]) -> np.ndarray:
    """The edge weights, written over `overlap` (the caller's own product)."""
    # (Logs in Python floats, a sentence without words as one word: fewer numpy calls,
    # each of which costs more than a news story's few dozen logs.)
    log_lengths = [math.log(length) if length > 1 else 0.0 for length in lengths]
    normaliser = np.add.outer(log_lengths, log_lengths)
    np.maximum(normaliser, _MIN_NORMALISER, out=normaliser)
    weights: np.ndarray = np.divide(overlap, normaliser, out=overlap)
    weights.flat[:: len(lengths) + 1] = 0.0  # no sentence is its own neighbour
    return weights


def _sparse_similarity_graph(overlap: sparse.csr_array, lengths: list[int]) -> sparse.csr_array:
    """`_similarity_graph`'s weights, for the pairs that share a term only."""
    coo = overlap.tocoo()
    off_diagonal = coo.row != coo.col
    rows, columns = coo.row[off_diagonal], coo.col[off_diagonal]
    log_lengths = np.log(np.maximum(lengths, 1))
    normaliser = np.maximum(log_lengths[rows] + log_lengths[columns], _MIN_NORMALISER)
    weights = coo.data[off_diagonal] / normaliser
    return sparse.csr_array((weights, (rows, columns)), shape=overlap.shape)


def _shared_term_counts(terms: Sequence[Sequence[str]]) -> np.ndarray | sparse.csr_array:
    """Distinct terms shared by every pair of sentences, as incidence times its transpose:
    sparse for a graph of many sentences of which few pairs share a term, else dense."""
    rows, columns, shape = _incidence(terms)
    sentences = len(terms)
    if sentences <= _DENSE_SENTENCES and shape[0] * shape[1] <= _DENSE_INCIDENCE_CELLS:
        # A news story (30 sentences over 500 terms): numpy's dense product takes
        # microseconds, where building scipy's sparse arrays costs a millisecond.
        incidence = np.zeros(shape)
        incidence[rows, columns] = 1.0
        return incidence @ incidence.T
    # A sparse product: 2,000 sentences over 2,000 terms took 9 ms, 260 ms dense.
    sparse_incidence = sparse.csr_array((np.ones(len(rows)), (rows, columns)), shape=shape)
    sparse_incidence.sum_duplicates()  # a term repeated in a sentence is one shared term
    sparse_incidence.data[:] = 1.0
    overlap = sparse_incidence @ sparse_incidence.T
    if sentences > _DENSE_SENTENCES and overlap.nnz <= _SPARSE_SHARE * sentences**2:
        return overlap
    return overlap.toarray()


def _incidence(terms: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Sentences by terms: the (row, column) cells where a sentence holds a term.

    A term's column is where it first occurs among all the sentences' terms; the
    columns of its later occurrences stay empty, which costs a product nothing
    and saves numbering the distinct terms. A term repeated in a sentence gives
    its cell more than once; the callers set cells, not add to them. Every loop
    here runs in C (dict.setdefault through map, fromiter): a per-term Python
    loop was a fifth of a news story's ranking.
    """
    every_term = list(chain.from_iterable(terms))
    first_seen: dict[str, int] = {}
    columns = np.fromiter(
        map(first_seen.setdefault, every_term, count()), dtype=np.intp, count=len(every_term)
    )
    rows = np.repeat(np.arange(len(terms)), list(map(len, terms)))
    return rows, columns, (len(terms), max(len(every_term), 1))


def _transition(weights: np.ndarray) -> np.ndarray:
    # Column j spreads sentence j's score over its edges: w_ji / sum_k w_jk.
    out_strength = weights.sum(axis=1)
    return np.divide(  # type: ignore[no-any-return]
        weights, out_strength[:, None], out=np.zeros_like(weights), where=out_strength[:, None] > 0
    ).T


def _sparse_transition(weights: sparse.csr_array) -> sparse.csr_array:
    coo = weights.tocoo()
    out_strength = np.asarray(weights.sum(axis=1)).ravel()
    # Only stored edges, whose sentences have out-strength > 0.
    spread = coo.data / out_strength[coo.row]
    return sparse.csr_array((spread, (coo.col, coo.row)), shape=weights.shape)


def _solved_pagerank(weights: np.ndarray) -> np.ndarray:
    """PageRank's fixed point, solved for: (I - d T) s = (1 - d), T as in `_transition`.

    A news story's graph is a 30x30 system, microseconds for LAPACK, where 20-60
    iterations of numpy calls cost a quarter of a millisecond. Exact where
    iteration stops within its tolerance; I - d T is invertible, as T's columns
    sum to at most 1. Written over `weights`.
    """
    # T's column j is row j of the (symmetric) weights over its sum, so the system's
    # transpose is the weights with each row scaled: that, in C order, is the system
    # itself in the column-major order LAPACK's gesv reads, and nothing is copied.
    # (A row with no edge is all zeros: any finite scale leaves it so.)
    out_strength = weights.sum(axis=1)
    weights *= (-_DAMPING / np.maximum(out_strength, _NO_STRENGTH))[:, None]
    weights.flat[:: len(weights) + 1] = 1.0
    rhs = np.full((len(weights), 1), 1 - _DAMPING)
    _, _, scores, _ = dgesv(weights.T, rhs, overwrite_a=True, overwrite_b=True)
    return scores.ravel()  # type: ignore[no-any-return]


def _pagerank(transition: np.ndarray | sparse.csr_array) -> np.ndarray:
    # WS(Vi) = (1 - d) + d * sum_j w_ji / sum_k w_jk * WS(Vj)   (the paper's eq. 2),
    # iterated: for graphs too large to solve for (a solve is cubic in the
    # sentences, an iteration quadratic at most).
    scores = np.ones(transition.shape[0])
    for _ in range(_MAX_ITERATIONS):
        updated = (1 - _DAMPING) + _DAMPING * (transition @ scores)
        converged = np.abs(updated - scores).max(initial=0.0) < _TOLERANCE
        scores = updated
        if converged:
            break
    return scores


def exact_attribution(sentence: int) -> tuple[Attribution, ...]:
    """An extractive summary sentence is its own source, with certainty."""
    return (Attribution(sentence, 1.0),)


def _pick(
    article: Article, ranking: tuple[RankedSentence, ...], limit: int, pick: Pick
) -> list[int]:
    chosen: list[int] = []
    chosen_terms: list[frozenset[str]] = []  # for "distinct"
    seen: set[tuple[str, ...] | str] = set()
    for ranked in ranking:
        if len(chosen) == limit:
            break
        words = article.words[ranked.sentence]
        # Identical sentences (up to case and punctuation) are one sentence to a reader.
        key = words.tokens or article.sentences[ranked.sentence].text
        if key in seen:
            continue
        # So is one that says what a better-ranked pick already said.
        if pick == "distinct":
            terms = frozenset(words.terms)
            if any(_cosine(terms, other) >= REPEAT_SIMILARITY for other in chosen_terms):
                continue
            chosen_terms.append(terms)
        seen.add(key)
        chosen.append(ranked.sentence)
    return sorted(chosen)


def similarity(article: Article, first: int, second: int) -> float:
    """Cosine of two sentences' sets of content terms, 0-1 (0 when either has none); a
    distinct pick holds no two sentences at `REPEAT_SIMILARITY` or more."""
    return _cosine(frozenset(article.words[first].terms), frozenset(article.words[second].terms))


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))
