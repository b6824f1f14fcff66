"""What a summary keeps, drops and adds against a reference: the article's lead or closing.

Attribution's evidence (`models.attribution`: content-term coverage, copied
word bigrams and, when the summary's attribution had them, embeddings) set
between summary sentences and reference sentences, both ways round:
- a reference sentence is *kept* when the summary's sentences cover it: the
  greedy cover of attribution picks the summary sentences that carry its
  content (`by`, best first), and its `support` formula says how fully (`score`);
  below `KEPT_FROM` it is *dropped*;
- a summary sentence is *added* when the reference's sentences back less than
  `ADDED_BELOW` of it in the same way; `support_in` is where in the article its best source lies
  (`none` when no article sentence supports it: then its `support` tells why).
Numbers and names play no part here: `unsupported` already reports them.

Cost: one match per reference sentence and per summary sentence, each a few
array operations over an index of the other side's sentences (the
`SentenceSet` of attribution), so the work grows with (reference + summary
sentences) x (the other side's sentences); the vectors are attribution's, so
nothing is encoded again except a standfirst's own sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from newsum.models.attribution import (
    MIN_SOURCE_SCORE,
    SentenceSet,
    Words,
    all_words_of,
    rescaled_cosines,
    words_from,
)
from newsum.models.types import Added, Article, Kept, SupportPlace

# Both on attribution's `support` scale. A lead (closing) sentence is kept from
# this score: attribution's own floor for a source, and the most accurate
# threshold for both evidence modes on 36 hand-labelled (lead sentence,
# abstractive summary) pairs of ../shared/data/dev_summeval.jsonl
# (research/lead_coverage_labels.jsonl; docs/attribution.md, "Keeps, drops, adds"). Low,
# because a summary compresses: it carries a lead sentence's point in few of its words.
KEPT_FROM = MIN_SOURCE_SCORE
# A summary sentence is added when the lead (closing) backs less than half of
# it. Not tuned on labels: a summary sentence taken from the lead scores near 1
# (its words are the lead's), one about the same story from elsewhere 0.1-0.45.
ADDED_BELOW = 0.5

Encode = Callable[[Sequence[str]], np.ndarray | None]
Coverage = tuple[tuple[Kept, ...], tuple[int, ...], tuple[Added, ...]]


@dataclass(frozen=True, slots=True)
class Side:
    """The sentences of a summary or a reference, as the comparison reads them."""

    ids: tuple[int, ...]  # the index each sentence is reported by
    words: tuple[Words, ...]
    vectors: np.ndarray | None  # unit rows, or None for lexical evidence only


def side(ids: Sequence[int], texts: Sequence[str], language: str, encode: Encode | None) -> Side:
    vectors = encode(texts) if encode is not None and texts else None
    return Side(tuple(ids), tuple(all_words_of(texts, language)), vectors)


def _article_side(article: Article, indexes: Sequence[int], encode: Encode | None) -> Side:
    # Article sentences: their words were analysed when the article was read.
    texts = [article.sentences[i].text for i in indexes]
    vectors = encode(texts) if encode is not None and texts else None
    return Side(tuple(indexes), tuple(words_from(article.words[i]) for i in indexes), vectors)


def lead_side(article: Article, encode: Encode | None) -> Side:
    """The lead's sentences: the standfirst's own (by their index) or the article's."""
    if article.lead.method == "standfirst":
        spans = article.lead.spans
        return side(range(len(spans)), [s.text for s in spans], article.language, encode)
    return _article_side(article, article.lead.sentences, encode)


def closing_side(article: Article, encode: Encode | None) -> Side | None:
    if article.closing is None:
        return None
    return _article_side(article, article.closing.sentences, encode)


def cover(summary: Side, reference: Side, support_in: Sequence[SupportPlace]) -> Coverage:
    """The reference's sentences kept and dropped by the summary, and the summary's added ones.

    `support_in` says, for each summary sentence, where in the article its support lies.
    """
    # Each reference sentence sought in the summary: kept (by which sentences) or dropped.
    kept: list[Kept] = []
    dropped: list[int] = []
    for sentence, (score, sources) in zip(reference.ids, matches(reference, summary), strict=True):
        if score >= KEPT_FROM:
            kept.append(Kept(sentence, tuple(summary.ids[i] for i in sources), score))
        else:
            dropped.append(sentence)
    # Each summary sentence sought in the reference: what it adds, and where that comes from.
    added = tuple(
        Added(sentence, place)
        for sentence, place, (score, _) in zip(
            summary.ids, support_in, matches(summary, reference), strict=True
        )
        if score < ADDED_BELOW
    )
    return tuple(kept), tuple(dropped), added


def matches(sought: Side, among: Side) -> list[tuple[float, list[int]]]:
    """For each sentence of `sought`: how fully `among`'s sentences back it, and which."""
    if not among.words:
        return [(0.0, [])] * len(sought.words)
    index = SentenceSet(among.words)
    similarity = (
        rescaled_cosines(sought.vectors, among.vectors)
        if sought.vectors is not None and among.vectors is not None
        else None
    )
    matches: list[tuple[float, list[int]]] = []
    for row, words in enumerate(sought.words):
        if not words.terms:  # nothing to find: a sentence of punctuation only
            matches.append((0.0, []))
            continue
        scores, sources, support = index.match(
            words, None if similarity is None else similarity[row]
        )
        # The cover's first source is the best match however weak; list only real ones.
        listed = [i for i in sources if scores[i] >= MIN_SOURCE_SCORE]
        matches.append((min(support, 1.0), listed))
    return matches
