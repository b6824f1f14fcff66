"""What the pipeline needs of a seq2seq engine, and the blocks for an engine that cannot answer.

The engines in this package implement `AbstractiveEngine`; `models.summarize` and the service
hold them by it. It lives here, not beside `summarize`, so that the engines import nothing of
the pipeline that uses them (no cycle between `models` and `models.abstractive`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from newsum.models.errors import NewsumError
from newsum.models.types import AbstractiveSummary, Article, EngineStatus

if TYPE_CHECKING:  # torch is imported lazily by the engines; keep this module light
    from newsum.models.abstractive.cancel import Cancellation
    from newsum.models.abstractive.checkpoint import GenerationOverrides


class AbstractiveEngine(Protocol):
    """What `summarize` needs of a seq2seq engine (models.abstractive.engine has two)."""

    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    def summarize(
        self,
        article: Article,
        options: GenerationOverrides | None = None,
        cancel: Cancellation | None = None,
    ) -> AbstractiveSummary: ...

    def summarize_batch(
        self,
        articles: Sequence[Article],
        options: GenerationOverrides | None = None,
        cancels: Sequence[Cancellation] | None = None,
    ) -> list[AbstractiveSummary | NewsumError]:
        """One outcome per article, from one padded generation; a stopped row gets its error."""
        ...


def unavailable(reason: str, model: str | None = None) -> AbstractiveSummary:
    """The abstractive block for a model that cannot serve, with what the operator can do."""
    return _empty("unavailable", reason, model)


def _empty(status: EngineStatus, reason: str, model: str | None) -> AbstractiveSummary:
    return AbstractiveSummary(
        status=status,
        reason=reason,
        model=model,
        text="",
        sentences=(),
        input_tokens=None,
        truncated=None,
        input_sentences=(),
        elapsed_ms=None,
    )


def failed(reason: str, model: str | None = None) -> AbstractiveSummary:
    """The abstractive block for a generation that failed on this input."""
    return _empty("error", reason, model)
