"""Which (article block, summary sentence) pairs the NLI judge scores: blocks, then the cap.

Pure functions on token counts and content terms, so the policy is tested without a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsum.models.errors import InputTooLong

# Consecutive article sentences per premise block, stride 1 (see the package docstring).
WINDOW_SENTENCES = 2


@dataclass(frozen=True, slots=True)
class Pair:
    """One premise block (article sentences `start`..`end`, both inclusive) and a hypothesis
    (summary sentence `sentence`)."""

    sentence: int
    start: int
    end: int


def cut_blocks(lengths: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """(start, end) inclusive sentence indices of each premise block.

    From each sentence, the longest run of up to WINDOW_SENTENCES sentences whose
    token counts (`lengths`) fit `budget` together; a sentence alone is a block
    even when it does not fit (the tokenizer cuts it). A block inside another
    block is left out, so every sentence is in at least one block and no block
    adds nothing.
    """
    runs = []
    for start in range(len(lengths)):
        end, total = start, lengths[start]
        while end + 1 < min(len(lengths), start + WINDOW_SENTENCES):
            if total + lengths[end + 1] > budget:
                break
            end += 1
            total += lengths[end]
        runs.append((start, end))
    # Runs end in order, so a run inside another ends no later than the run before it.
    kept: list[tuple[int, int]] = []
    for start, end in runs:
        if not kept or end > kept[-1][1]:
            kept.append((start, end))
    return kept


def choose_pairs(
    blocks: Sequence[tuple[int, int]],
    block_terms: Sequence[frozenset[str]],
    sentence_terms: Sequence[frozenset[str]],
    max_pairs: int,
) -> tuple[list[Pair], bool]:
    """The pairs to score and whether the cap cut the grid of every block × every sentence.

    Within the cap, each summary sentence gets an equal share of max_pairs (the
    first sentences one more when it does not divide): the blocks sharing the
    most distinct content terms with it, earlier blocks first on a tie.
    """
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be at least 1; given: {max_pairs}")
    if len(sentence_terms) > max_pairs:
        raise InputTooLong("summary sentences (one NLI pair each, max_pairs)", max_pairs,
                           len(sentence_terms))  # fmt: skip
    capped = len(blocks) * len(sentence_terms) > max_pairs
    share, extra = divmod(max_pairs, len(sentence_terms)) if sentence_terms else (0, 0)
    pairs = []
    for sentence, terms in enumerate(sentence_terms):
        chosen: Sequence[int] = range(len(blocks))
        if capped:
            quota = share + (sentence < extra)
            ranked = sorted(chosen, key=lambda b: (-len(terms & block_terms[b]), b))
            chosen = sorted(ranked[:quota])
        pairs += [Pair(sentence, *blocks[b]) for b in chosen]
    return pairs, capped
