"""JSON request bodies (and NDJSON lines) into Python values, held to RFC 8259.

Limits keep every way of failing a 4xx answer and parsing linear in the
body's size:

- UTF-8 only (§8.1). A UTF-8 byte order mark is ignored, as §8.1 allows (some
  Windows tools write one); UTF-16 and UTF-32 bodies and invalid UTF-8 are
  `invalid_unicode`.
- At most `MAX_DEPTH` nested arrays and objects. A linear pre-scan checks this
  before parsing, so the standard library's recursive scanner never goes deep
  (100,000 "[" would make it raise RecursionError).
- Numbers of at most `MAX_NUMBER_CHARS` characters (Python refuses integers of
  more than 4,300 digits) and finite ones ("1e999" would read as infinity).
  NaN and Infinity, which Python reads but JSON lacks (§6), are refused.
- No key twice in one object (§4 leaves the meaning of a repeated key open).
- No lone surrogate escape ("\\ud800" without its pair, §8.2) in any string or
  key: `invalid_unicode`, so none can reach a response or a log.
- A request is an object; any other top level is `invalid_request`.

Messages state the limit and a position, never the submitted text.
"""

from __future__ import annotations

import codecs
import functools
import json
import math
import re
import sys
from typing import Any, NoReturn, TypeVar

import numpy as np
from fastapi.exceptions import RequestValidationError
from pydantic import AliasChoices, BaseModel, ValidationError

from newsum.models.corpus_line import unknown_field
from newsum.models.errors import InvalidUnicode
from newsum.service.contract.errors import ApiError

RequestModel = TypeVar("RequestModel", bound=BaseModel)

# A valid request nests 2 deep (generation, methods); the scanner recurses once a level.
MAX_DEPTH = 64
# A 64-bit id has 20 digits, a float's shortest exact form 17 significant ones.
MAX_NUMBER_CHARS = 100
# Bytes other than brackets; the brackets left say how deep the nesting goes.
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_NESTING_STEP = np.zeros(256, dtype=np.int8)
_NESTING_STEP[list(b"[{")] = 1
_NESTING_STEP[list(b"]}")] = -1
# A number's characters, from its start (the lookbehind keeps the search linear).
_LONG_NUMBER = re.compile(rb"(?<![-+.0-9eE])[-0-9][-+.0-9eE]{%d,}" % MAX_NUMBER_CHARS)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
# A key a message may name: a field name, not text.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def parse_json(raw: bytes, where: str = "the body") -> Any:
    """JSON text as RFC 8259 has it and within the limits above; every other body is a 4xx."""
    # UTF-8 only; a byte order mark is skipped.
    text = _utf8(raw, where)
    # Escaped backslashes masked, so that the byte after one is never taken as escaped.
    masked = raw.replace(b"\\\\", b"//")
    # Nesting and numbers checked before the recursive scanner runs: linear, no recursion.
    _check_structure(masked, where)
    try:
        data = json.loads(
            text, object_pairs_hook=_object, parse_float=_float, parse_constant=_constant
        )
    except json.JSONDecodeError as error:
        raise ApiError(
            "invalid_request",
            f"{where} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
        ) from None
    except _Refused as error:
        raise ApiError("invalid_request", f"{where} {error}") from None
    # Every string is well formed now; pairs blanked out (positions kept), any
    # surrogate escape left is a lone one.
    if _SURROGATE_ESCAPE.search(masked):
        lone = _SURROGATE_ESCAPE.search(_SURROGATE_PAIR.sub(b"_" * 12, masked))
        if lone:
            raise InvalidUnicode(
                f"{where} holds a lone surrogate escape (U+D800 to U+DFFF without its pair) "
                f"at byte {lone.start()}; send valid Unicode"
            )
    return data


def validate(model: type[RequestModel], data: Any) -> RequestModel:
    # Say what a request is, rather than pydantic's "a valid dictionary or instance".
    if not isinstance(data, dict):
        raise ApiError("invalid_request", f"a request is a JSON object; given: {_json_type(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = [
            _explained(model, {**detail, "loc": tuple(_key(part) for part in detail["loc"])})
            for detail in error.errors()
        ]
        raise RequestValidationError(errors) from None


def _explained(model: type[BaseModel], detail: dict[str, Any]) -> dict[str, Any]:
    """An unknown field with the known one it may have meant; a field given by two names."""
    *parents, name = detail["loc"] or ("",)
    aliases = {} if parents else _aliases(model)
    if detail["type"] == "missing" and name in aliases:
        names = " or ".join(f'"{choice}"' for choice in aliases[name])
        return {**detail, "msg": f"Field required: give it as {names}"}
    if detail["type"] != "extra_forbidden":
        return detail
    # Never the value: an unknown field's may be article text.
    for field, choices in aliases.items():
        if name in choices and name != field:
            message = f'an alias of "{field}", which is given too; give one of the two'
            return {**detail, "msg": message, "input": None}
    return {**detail, "msg": unknown_field(str(name), _known_fields(model, parents)), "input": None}


def _aliases(model: type[BaseModel]) -> dict[str, list[str]]:
    """Each field (of the top level) that has other names: all its names."""
    return {
        name: [str(choice) for choice in field.validation_alias.choices]
        for name, field in model.model_fields.items()
        if isinstance(field.validation_alias, AliasChoices)
    }


def _known_fields(model: type[BaseModel], parents: list[int | str]) -> list[str]:
    """The fields the published schema knows at `parents` (the object holding the unknown one)."""
    schema = _schema(model)
    node = schema
    for part in parents:
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {})
        node = node if isinstance(part, int) else node.get(part, {})
        # An optional object is anyOf [its $ref, null]; a $ref points into $defs.
        for option in node.get("anyOf", [node]):
            if "$ref" in option:
                node = schema["$defs"][option["$ref"].rsplit("/", 1)[-1]]
                break
    return list(node.get("properties", {}))


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


class _Refused(Exception):
    """A JSON value the parser read but a request may not hold."""


def _utf8(raw: bytes, where: str) -> str:
    encoding = json.detect_encoding(raw)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise InvalidUnicode(f"{where} looks {encoding.upper()}-encoded; JSON is UTF-8")
    skipped = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
    try:
        return raw[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidUnicode(
            f"{where} is not valid UTF-8 at byte {skipped + error.start}"
        ) from None


def _check_structure(masked: bytes, where: str) -> None:
    # What lies outside strings: before an odd quote or after an even one, escaped ones aside.
    outside = b"".join(masked.replace(b'\\"', b"").split(b'"')[::2])
    brackets = np.frombuffer(outside.translate(None, delete=_NOT_BRACKET), dtype=np.uint8)
    depth = int(np.cumsum(_NESTING_STEP[brackets], dtype=np.int32).max(initial=0))
    if depth > MAX_DEPTH:
        raise ApiError(
            "invalid_request", f"{where} nests arrays and objects {depth} deep; at most {MAX_DEPTH}"
        )
    # No option or id is this long; Python would refuse an integer of over 4,300 digits.
    number = _LONG_NUMBER.search(outside)
    if number:
        raise ApiError(
            "invalid_request",
            f"{where} holds a number of {len(number[0])} characters; at most {MAX_NUMBER_CHARS}",
        )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"gives a key twice in one object ({_key(key)}); give it once")
            seen.add(key)
    return data


def _float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _Refused(f"holds a number beyond ±{sys.float_info.max:.3g}, the largest float")
    return value


def _constant(name: str) -> NoReturn:
    raise _Refused(f"holds {name}, which JSON does not have; send a finite number or null")


def _key(part: int | str) -> int | str:
    # Positions and field names as they are; any other key by its length only.
    if isinstance(part, int) or _FIELD_NAME.fullmatch(part):
        return part
    return f"<key of {len(part)} characters>"


def _json_type(data: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(data), "a number")
