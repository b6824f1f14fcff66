"""One corpus row in, one batch-endpoint row out: the engine calls `newsum batch` makes.

The in-process run and every Ray actor use this module and nothing else to
summarise, so a row's answer is the same wherever it was made. A row is read
as a line of POST /v1/summarize/batch is (the same JSON parser and request
schema, `models.corpus_line`'s: `article` for `text`, the benchmark corpora's
fields ignored, any other field an error row naming the field it may have meant),
summarised by `models.summarize.summarize`, and answered in the endpoint's
shape: `{"id", "line", "result"}`, or `{"id", "line", "error": {"code",
"message"}}` for a row that cannot be summarised. No row raises.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from newsum.models.abstractive.routing import route
from newsum.models.article import read_article
from newsum.models.summarize import summarize
from newsum.models.textrank import Pick
from newsum.models.types import Method
from newsum.service.contract.errors import describe
from newsum.service.contract.json_body import parse_json, validate
from newsum.service.contract.schemas import BatchRequestLine, summarize_response
from newsum.service.runtime.nli import open_nli
from newsum.service.runtime.state import Engines, load_engines
from newsum.service.settings import Settings


@dataclass(frozen=True)
class RowOutput:
    """An answered row: its line number, the JSON line to write, and its error's code."""

    line: int
    json: str
    error_code: str | None


def record_id(data: Any) -> str | int | None:
    """A row's id as the batch endpoint echoes it: a string or an integer, else none."""
    given = data.get("id") if isinstance(data, dict) else None
    if isinstance(given, str | int) and not isinstance(given, bool):
        return given
    return None


def id_key(value: str | int | None) -> str | None:
    """An id as both output formats keep it (Parquet holds ids as strings)."""
    return None if value is None else str(value)


class RowSummarizer:
    """The engines of one process (loaded once), answering corpus rows one by one."""

    def __init__(
        self,
        settings: Settings,
        methods: Sequence[Method],
        max_sentences: int,
        textrank_pick: Pick = "distinct",
        engines: Engines | None = None,
    ) -> None:
        self.settings = settings
        self.methods = list(methods)
        self.max_sentences = max_sentences
        self.textrank_pick = textrank_pick
        # TextRank needs no model; the seq2seq model and the encoder load only when
        # abstractive summaries are asked for (the encoder attributes their sentences),
        # or the NLI judge is on (it judges TextRank's summaries too).
        if engines is None:
            if "abstractive" in methods:
                engines = load_engines(settings)
            else:
                engines = Engines(nli=open_nli(settings))
        self.engines = engines
        self.busy_s = 0.0

    def answer(self, line: int, record: bytes) -> RowOutput:
        """The output row for the corpus row `record` (its JSON text) at `line`."""
        started = time.perf_counter()
        data: Any = None
        try:
            # Read the row as a batch line is read: RFC 8259 JSON within limits, then the schema.
            data = parse_json(record, where=f"line {line}")
            request = validate(BatchRequestLine, self._request_fields(data))
            result = self._summarize(request)
            text = f'{{"id":{json.dumps(request.id)},"line":{line},"result":{result}}}'
            output = RowOutput(line, text, None)
        except Exception as error:  # each row answers for itself; the corpus goes on
            code, message = describe(error)
            detail = json.dumps(
                {"code": code, "message": message}, ensure_ascii=False, separators=(",", ":")
            )
            given = record_id(data)
            text = f'{{"id":{json.dumps(given)},"line":{line},"error":{detail}}}'
            output = RowOutput(line, text, code)
        self.busy_s += time.perf_counter() - started
        return output

    def _request_fields(self, data: Any) -> Any:
        if not isinstance(data, dict):
            return data  # validate() says what a request is
        # Parquet rows carry a null for every column a row leaves empty.
        fields = {key: value for key, value in data.items() if value is not None}
        # The command's --methods, --max-sentences and --textrank-pick unless the row says.
        fields.setdefault("methods", list(self.methods))
        fields.setdefault("max_sentences", self.max_sentences)
        fields.setdefault("textrank_pick", self.textrank_pick)
        return fields

    def _summarize(self, request: BatchRequestLine) -> str:
        article = read_article(
            request.text,
            title=request.title,
            standfirst=request.standfirst,
            language=request.language,
            limits=self.settings.limits,
        )
        report = summarize(
            article,
            methods=request.methods,
            max_sentences=request.max_sentences,
            textrank_pick=request.textrank_pick,
            # The model the row names, else the one the service would route it to (by language).
            abstractive=route(self.engines.abstractive_models(), article.language, request.model),
            encoder=self.engines.encoder,
            generation=request.generation.overrides() if request.generation else None,
            nli=self.engines.nli,
        )
        return summarize_response(report).model_dump_json()


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
