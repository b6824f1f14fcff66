"""A summary handed over sentence by sentence while it is generated.

Greedy decoding chooses one token at a time and never takes one back, so the
text decoded so far only grows at its end. A sentence is handed over once the
sentence split (the engine's own `decode`, the same split the finished summary
gets) sees it complete — a later sentence has started — and it has looked the
same for two steps in a row: the token after a sentence's end can still change
how the end decodes (a character split across byte-level tokens, an
abbreviation's period that the next word shows is no sentence end). When the
generation ends, whatever is left of the final split is handed over, so the
sentences handed over are the final split, first to last.

Decoding and splitting the whole text again at every step would cost time
quadratic in the summary's length on the model's thread, so the split is only
looked at while one of the last few tokens holds a character that can end a
sentence (`might_end`), or a sentence is waiting to settle; at other steps
nothing can have become complete.

Beam search keeps several candidates until its end; no token is final before
then, so its sentences are all handed over when the search ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from newsum.models.errors import NewsumError
from newsum.models.types import AbstractiveSummary, Article, GeneratedSentence

if TYPE_CHECKING:
    from newsum.models.abstractive.cancel import Cancellation
    from newsum.models.abstractive.checkpoint import GenerationOverrides
    from newsum.models.abstractive.interface import AbstractiveEngine

log = logging.getLogger("newsum.streaming")

SentenceObserver = Callable[[GeneratedSentence], None]
# A sentence split needs its end mark, and may need a closing quote or bracket and the
# next word's first token after it before the splitter sees the next sentence start.
_LOOKBACK_TOKENS = 4
# "sentences": each as soon as it is complete (greedy, on both backends); "at_end": all
# when the generation ends (beam search).
Streams = Literal["sentences", "at_end"]


def streams(num_beams: int) -> Streams:
    """How a generation with `num_beams` hands over its sentences."""
    return "sentences" if num_beams == 1 else "at_end"


class SentenceTracker:
    """Watches the tokens of one greedy generation and hands over each sentence once complete."""

    def __init__(
        self,
        split: Callable[[list[int]], Sequence[GeneratedSentence]],
        on_sentence: SentenceObserver,
        might_end: Callable[[int], bool] = lambda token: True,
    ) -> None:
        self._split: Callable[[list[int]], Sequence[GeneratedSentence]] | None = split
        self._might_end = might_end
        self._on_sentence = on_sentence
        self.handed_over: list[GeneratedSentence] = []
        self._last_seen: Sequence[GeneratedSentence] = ()

    def see(self, row: int, ids: list[int]) -> None:
        """Row `row`'s tokens generated so far (after each decoding step): a batch of one."""
        if self._split is None:
            return
        waiting = len(self._last_seen) - 1 > len(self.handed_over)
        if not waiting and not any(map(self._might_end, ids[-_LOOKBACK_TOKENS:])):
            return  # no sentence end in sight: nothing can have become complete
        sentences = self._split(ids)
        # Complete: a later sentence has started. Settled: the same one step ago.
        while len(self.handed_over) < len(sentences) - 1:
            index = len(self.handed_over)
            settled = (
                index < len(self._last_seen) - 1 and self._last_seen[index] == sentences[index]
            )
            if not settled:
                break
            self._hand_over(sentences[index])
        self._last_seen = sentences

    def detach(self) -> None:
        """Lets go of the split (and so of the engine it decodes with): the generation is over."""
        self._split = None

    def finish(self, final: Sequence[GeneratedSentence]) -> None:
        """The finished summary's sentences: those not yet handed over go now."""
        given = len(self.handed_over)
        if tuple(self.handed_over) != tuple(final[:given]):
            # Not expected (see the module docstring); the final summary is the record.
            log.warning("streamed sentences differ from the final split; the final one stands")
        for sentence in final[given:]:
            self._hand_over(sentence)

    def _hand_over(self, sentence: GeneratedSentence) -> None:
        self.handed_over.append(sentence)
        self._on_sentence(sentence)


@runtime_checkable
class StreamingEngine(Protocol):
    """An engine that can hand over a summary's sentences while it generates them."""

    def summarize_streaming(
        self,
        article: Article,
        options: GenerationOverrides | None,
        cancel: Cancellation,
        on_sentence: SentenceObserver,
    ) -> AbstractiveSummary | NewsumError: ...


def summarize_streaming(
    engine: AbstractiveEngine,
    article: Article,
    options: GenerationOverrides | None,
    cancel: Cancellation,
    on_sentence: SentenceObserver,
) -> AbstractiveSummary | NewsumError:
    """`engine`'s summary of `article`, its sentences handed to `on_sentence` on the way.

    An engine that cannot stream generates the whole summary, then hands over
    its sentences at the end.
    """
    if isinstance(engine, StreamingEngine):
        return engine.summarize_streaming(article, options, cancel, on_sentence)
    (outcome,) = engine.summarize_batch([article], options, [cancel])
    if isinstance(outcome, AbstractiveSummary) and outcome.status == "ok":
        for sentence in outcome.sentences:
            on_sentence(sentence)
    return outcome
