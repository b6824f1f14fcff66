"""schemathesis hooks: NDJSON bodies (POST /v1/summarize/batch), for the Python API and the CLI.

The batch body is an array of BatchRequestLine in the OpenAPI document and one
JSON object per line on the wire; answers are read back the same way, so their
lines are checked against BatchResultLine. tests/service/web/schemathesis.toml
loads this module (`hooks`).
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation

NDJSON = "application/x-ndjson"


@schemathesis.serializer(NDJSON)
def ndjson(_: Any, value: Any) -> bytes:
    return _ndjson(value)


def _ndjson(value: Any) -> bytes:
    """An array as one JSON document per line; anything else (a negative case) as it is."""
    if isinstance(value, list):
        text = "\n".join(json.dumps(item, ensure_ascii=False) for item in value) + "\n"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


@schemathesis.deserializer(NDJSON)
def ndjson_lines(_: Any, response: Any) -> Any:
    # Lines end at "\n" only: U+2028 or U+0085 may stand raw inside a JSON string.
    return [json.loads(line) for line in response.content.decode("utf-8").split("\n") if line]


@schemathesis.hook
def filter_case(_: Any, case: Any) -> bool:
    """Negative cases whose body is still negative once it is on the wire.

    A text body (plain text, an article page) is a string on the wire: a case
    that makes it an object or a number would arrive as the characters of its
    JSON, a valid text body. An NDJSON body is lines, each answered on its own
    (a per-line `error`, ../shared/API.md): a batch is refused as a whole only
    with no line or over the line limit. Any other negative batch (a bad line,
    an object that goes as one line) is a well-formed batch on the wire.
    """
    media_type = (case.media_type or "").split(";")[0].strip()
    if media_type.startswith("text/"):
        return isinstance(case.body, str | bytes)
    negative = case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)
    if media_type == NDJSON and negative:
        lines = [line for line in _ndjson(case.body).split(b"\n") if line.strip()]
        return not lines or len(lines) > _most_lines(case)
    return True


def _most_lines(case: Any) -> int:
    body = case.operation.definition.raw["requestBody"]["content"][NDJSON]
    return int(body["schema"]["maxItems"])
