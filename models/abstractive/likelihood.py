"""The served model as a second faithfulness judge: how likely it finds a summary given the article.

The faithfulness direction of BARTScore (Yuan et al. 2021): the article is the
encoder's input, the summary the decoder's target, teacher-forced in one pass;
the score of a span is the mean log-probability of its tokens (length-
normalised, so a longer sentence is not marked down for its length alone).
A summary the model would itself have written scores high; words the article
does not make likely, low.

The three stages of generation, reused: prepare fits the article exactly as
generation does (models.abstractive.model_input), so the judge reads what the
generator read; run is one scoring pass of the backend (no decoding loop);
finish splits the token log-probabilities back into the summary's sentences.
The summary is scored as one target, its sentences in order and joined as the
checkpoint joins them (PEGASUS's `<n>` piece), so each sentence is judged in the
context of those before it, as it was generated, and the article is encoded once.

Bounded: at most `MAX_SCORED_TOKENS` target tokens (and the decoder's positions)
are scored; a sentence past the bound is not scored (None), one cut by it is
scored on its tokens that fit, and `truncated` says so. The worst case is one
encoder pass over the model's input limit (1,024 tokens for BART) and one
teacher-forced decoder pass over 512 tokens: less than generating 512 tokens,
which runs the decoder 512 times, once per beam.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from newsum.models.abstractive.backends import Generator
from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import MAX_OUTPUT_TOKENS, Checkpoint
from newsum.models.abstractive.model_input import fit_article
from newsum.models.types import Article

# The most target tokens one summary may have scored: as many as a request may generate.
MAX_SCORED_TOKENS = MAX_OUTPUT_TOKENS


@dataclass(frozen=True, slots=True)
class SummaryLikelihood:
    """Mean token log-probabilities (<= 0) of a summary and of each of its sentences."""

    model: str
    summary: float | None  # over every scored token; None when none was scored
    sentences: tuple[float | None, ...]  # one per sentence; None: past the token bound
    scored_tokens: int
    truncated: bool  # some of the summary was past the bound


@runtime_checkable
class ScoresLikelihood(Protocol):
    """An engine that can judge a summary (models.abstractive.engine.Seq2SeqEngine)."""

    def likelihood(
        self, article: Article, sentences: Sequence[str], cancel: Cancellation | None = None
    ) -> SummaryLikelihood: ...


@dataclass(frozen=True, slots=True)
class _Target:
    labels: list[int]  # the decoder's labels, ending with the end token
    spans: list[tuple[int, int]]  # each sentence's label positions; (i, i) when not scored
    truncated: bool


def likelihood(
    checkpoint: Checkpoint,
    generator: Generator,
    article: Article,
    sentences: Sequence[str],
    cancel: Cancellation | None = None,
) -> SummaryLikelihood:
    """How likely the model finds each of `sentences` (a summary, in order) given `article`."""
    if cancel is not None:
        cancel.raise_if_stopped()
    # Prepare: the article as generation fits it, and the summary as the decoder's target.
    tokenizer = checkpoint.tokenizer
    source_text = fit_article(
        article, tokenizer, checkpoint.prefix, checkpoint.max_input_tokens
    ).text
    source = tokenizer(source_text, truncation=True, max_length=checkpoint.max_input_tokens)
    target = _target(checkpoint, sentences)
    if not any(end > start for start, end in target.spans):
        return SummaryLikelihood(checkpoint.name, None, tuple(None for _ in sentences), 0, False)
    # Run: one teacher-forced pass; it takes no callback, so it is checked before it starts.
    if cancel is not None:
        cancel.raise_if_stopped()
    (log_probs,) = generator.score([source["input_ids"]], [target.labels])
    # Finish: each sentence's mean over its own tokens (specials and joins left out).
    per_sentence = tuple(
        sum(log_probs[start:end]) / (end - start) if end > start else None
        for start, end in target.spans
    )
    scored = [p for start, end in target.spans for p in log_probs[start:end]]
    return SummaryLikelihood(
        model=checkpoint.name,
        summary=sum(scored) / len(scored),
        sentences=per_sentence,
        scored_tokens=len(scored),
        truncated=target.truncated,
    )


def token_limit(checkpoint: Checkpoint) -> int:
    """The most labels one summary may have: the bound, or the decoder's positions if fewer."""
    positions = getattr(checkpoint.config, "max_position_embeddings", None)
    return min(MAX_SCORED_TOKENS, positions) if positions else MAX_SCORED_TOKENS


def _target(checkpoint: Checkpoint, sentences: Sequence[str]) -> _Target:
    """The summary's labels, built sentence by sentence so each one's positions are known."""
    tokenizer = checkpoint.tokenizer
    before, after = _specials(tokenizer)
    join = _join_ids(checkpoint)
    room = token_limit(checkpoint) - len(before) - len(after)
    labels = list(before)
    spans: list[tuple[int, int]] = []
    truncated = False
    for index, sentence in enumerate(sentences):
        # A space before each later sentence, as in the summary's text (BPE marks it).
        text = sentence if index == 0 or join else " " + sentence
        ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        separator = join if index > 0 else []
        fits = max(0, room - (len(labels) - len(before)) - len(separator))
        if fits < len(ids):
            truncated = True
        ids = ids[:fits]
        if ids:
            labels += separator
        spans.append((len(labels), len(labels) + len(ids)))
        labels += ids
    return _Target(labels + after, spans, truncated)


def _specials(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens a tokenizer puts before and after a text (BART: <s>, </s>; T5: </s>)."""
    plain = tokenizer("summary", add_special_tokens=False)["input_ids"]
    marked = tokenizer("summary")["input_ids"]
    for start in range(len(marked) - len(plain) + 1):
        if marked[start : start + len(plain)] == plain:
            return marked[:start], marked[start + len(plain) :]
    return [], [tokenizer.eos_token_id]


def _join_ids(checkpoint: Checkpoint) -> list[int]:
    """What the checkpoint writes between summary sentences: PEGASUS's `<n>` piece, or nothing
    (the space is part of the next sentence's first token)."""
    mark = checkpoint.sentence_mark
    if not mark:
        return []
    tokenizer = checkpoint.tokenizer
    piece = tokenizer.convert_tokens_to_ids(mark)
    return [] if piece is None or piece == tokenizer.unk_token_id else [piece]
