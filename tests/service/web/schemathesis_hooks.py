"""schemathesis hooks: NDJSON bodies (POST /v1/summarize/batch), for the Python API and the CLI.

The batch body is an array of BatchRequestLine in the OpenAPI document and one
JSON object per line on the wire; answers are read back the same way, so their
lines are checked against BatchResultLine. The CLI loads this module with
SCHEMATHESIS_HOOKS=tests.service.web.schemathesis_hooks.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(_: Any, value: Any) -> bytes:
    """An array as one JSON document per line; anything else (a negative case) as it is."""
    if isinstance(value, list):
        text = "\n".join(json.dumps(item, ensure_ascii=False) for item in value) + "\n"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


@schemathesis.deserializer("application/x-ndjson")
def ndjson_lines(_: Any, response: Any) -> Any:
    # Lines end at "\n" only: U+2028 or U+0085 may stand raw inside a JSON string.
    return [json.loads(line) for line in response.content.decode("utf-8").split("\n") if line]


@schemathesis.hook
def filter_case(_: Any, case: Any) -> bool:
    """A text body (plain text, an article page) is a string on the wire.

    A negative case that makes it an object or a number cannot be sent as
    such: it would arrive as the characters of its JSON, a valid text body.
    """
    media_type = (case.media_type or "").split(";")[0].strip()
    return not (media_type.startswith("text/") and not isinstance(case.body, str | bytes))
