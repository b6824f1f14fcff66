"""Domain errors, each with a stable `code`; `service.contract.errors` maps codes to HTTP statuses.

Messages state the limit and the value that broke it, and never quote the submitted text.
"""

from __future__ import annotations

# The most characters of a client's value a message quotes; the rest is cut and counted.
QUOTE_CHARS = 100


def quoted(value: str) -> str:
    """`value` as a message quotes it: repr'd, cut to QUOTE_CHARS characters with its length.

    A client's value (a header parameter, a query parameter's name, a model id) may
    be 60,000 characters; a message gives its start and its length, never all of it.
    """
    if len(value) <= QUOTE_CHARS:
        return repr(value)
    return f"{value[:QUOTE_CHARS]!r}… ({len(value):,} characters)"


class NewsumError(Exception):
    """Base of every error the engines raise on purpose."""

    code = "invalid_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyInput(NewsumError):
    code = "empty_input"


class InvalidUnicode(NewsumError):
    code = "invalid_unicode"


class InputTooLong(NewsumError):
    code = "input_too_long"

    def __init__(self, what: str, limit: int, value: int) -> None:
        super().__init__(f"{what} must be at most {limit}; given: {value}")
        self.limit = limit
        self.value = value


class InvalidOption(NewsumError):
    code = "invalid_request"


class MethodNotServed(NewsumError):
    """A method this deployment is not configured for (NEWSUM_MODEL=none): retrying cannot help."""

    code = "method_not_served"


class ModelUnavailable(NewsumError):
    """A configured model that cannot serve now (loading failed, not fetched): the operator's."""

    code = "model_unavailable"


class Cancelled(NewsumError):
    code = "cancelled"


class DeadlineExceeded(NewsumError):
    code = "deadline_exceeded"


class GenerationFailed(NewsumError):
    """The model raised while generating (a defect or a resource problem; logged)."""

    code = "generation_failed"


class WorkerFailed(NewsumError):
    """The thread that owned the request's work died; a new one took its place."""

    code = "worker_failed"
