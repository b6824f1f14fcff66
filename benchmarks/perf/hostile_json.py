"""Hostile JSON bodies against a running server: no input may produce a 500 (shared/API.md).

    python -m newsum.benchmarks.perf.hostile_json --url http://127.0.0.1:8000
        [--cases 10000] [--seed 0]
        [--out DIR]

The bodies come from the hypothesis strategies below, which the in-process
tests (tests/service/web/test_hostile_json.py) use too: deep arrays and objects,
numbers of thousands of digits, 1e999, NaN and Infinity, keys given twice,
byte order marks, UTF-16 and UTF-32, invalid UTF-8, lone surrogates, truncated
JSON, a wrong type at any depth for each request field, over-long strings,
extra fields and random bytes, next to well-formed requests (TextRank only,
small texts, so a case takes milliseconds). Each case goes to POST /v1/summarize,
POST /v1/attribute or POST /v1/summarize/batch (NDJSON, lines from the same
strategies).

Cases are drawn by a hypothesis `@given` function run for --cases examples with
the generate phase only (no shrinking, no example database) under a fixed seed:
the tests' strategies exactly, reproducible, and never `strategy.example()`,
which hypothesis keeps for interactive use.

A case fails on a status of 500 or more, an error (400 or more) without the one
error shape or with a code the contract does not list, a batch line that is not
JSON or whose error is `internal_error`, or no answer at all. Writes
hostile_json.{json,md} to --out; exits 1 when any case failed.
"""

from __future__ import annotations

import argparse
import codecs
import json
import time
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from newsum.benchmarks.output import RESULTS, publish

JSON_TYPE = "application/json"
NDJSON_TYPE = "application/x-ndjson"
# The error codes of shared/API.md and their statuses.
DOCUMENTED_CODES = {
    "unauthorized": 401,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_request": 422,
    "empty_input": 422,
    "invalid_unicode": 422,
    "input_too_long": 422,
    "rate_limited": 429,
    "overloaded": 503,
    "model_unavailable": 503,
    "not_ready": 503,
    "deadline_exceeded": 504,
}
_WORDS = (
    "minister visited Iraq on Friday the council voted storm hit coast Müller said "
    'İstanbul 東京 1,400 civilians [citation] {brace} "quoted" back\\slash café 😀'
).split(" ")
# Literals that break a naive parser: nesting deep enough to recurse, numbers past
# Python's 4,300-digit limit and past a float's range, and Python's non-JSON constants.
_DEPTHS = (2, 63, 64, 65, 100, 999, 1_000, 5_000, 100_000)
_DIGITS = (20, 100, 101, 4_300, 4_301, 5_000, 50_000)
_SPECIAL_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "-0", "0.0")
_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@st.composite
def _article(draw: st.DrawFn) -> str:
    sentences = st.lists(st.sampled_from(_WORDS), min_size=3, max_size=12).map(" ".join)
    ends = st.sampled_from((". ", ".\n", "? ", "\n\n"))
    return "".join(draw(st.lists(st.tuples(sentences, ends).map("".join), max_size=12)))


@st.composite
def _string(draw: st.DrawFn, base: st.SearchStrategy[str] | None = None) -> str:
    """A JSON string: well-formed, or with a lone surrogate, escaped or as raw bytes."""
    value = draw(base if base is not None else st.text(max_size=40))
    ascii_only = draw(st.booleans())
    # Rare, as a body holds many strings: escaped ("\\ud800") 3 times in 4, else raw bytes.
    if _one_in(draw, 50):
        at = draw(st.integers(0, len(value)))
        value = value[:at] + draw(_SURROGATES) + value[at:]
        ascii_only = not _one_in(draw, 4)
    return json.dumps(value, ensure_ascii=ascii_only)


def _one_in(draw: st.DrawFn, n: int) -> bool:
    # The rare branch on the largest value: hypothesis starts from, and favours, the smallest.
    return draw(st.integers(1, n)) == n


def _huge_number() -> st.SearchStrategy[str]:
    digits = st.sampled_from(_DIGITS).map(lambda n: "9" * n)
    return st.one_of(
        st.sampled_from(_SPECIAL_NUMBERS),
        digits,
        digits.map(lambda d: "-" + d),
        digits.map(lambda d: "0." + d),
        st.integers(300, 100_000).map(lambda e: f"1e{e}"),
    )


@st.composite
def _deep(draw: st.DrawFn) -> str:
    depth = draw(st.sampled_from(_DEPTHS))
    opening, closing = draw(st.sampled_from((("[", "]"), ('{"a":', "}"))))
    # Closed around a value, or left open as a truncated body would be.
    return opening * depth + ("1" + closing * depth if draw(st.booleans()) else "")


@cache
def hostile_values() -> st.SearchStrategy[str]:
    """JSON text of any type, well-formed or not, nested a little or very deep."""
    scalars = st.one_of(
        st.sampled_from(("null", "true", "false", "0", "-1", "3", "1.5", '""', "[]", "{}")),
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
        _string(),
        st.integers(1_001, 5_000).map(lambda n: json.dumps("x" * n)),
        # Twice each: these are what a parser most often gets wrong.
        _huge_number(),
        _huge_number(),
        _deep(),
        _deep(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
            st.lists(st.tuples(_string(), inner), max_size=4).map(_object),
        ),
        max_leaves=8,
    )


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"


@cache
def _valid_fields(kind: str) -> dict[str, st.SearchStrategy[str]]:
    """JSON text of a valid value for each field of the request model (service/contract/schemas.py).

    Inside `methods` and `generation` a value is now and then hostile, so that a
    wrong type turns up below the top level too.
    """
    text = _string(_article())
    short = st.one_of(st.just("null"), _string(st.text(max_size=60)))
    language = st.sampled_from(('"en"', '"de"', '"xx"', "null"))
    if kind == "attribute":
        return {"text": text, "summary": text, "title": short, "standfirst": short,
                "language": language}  # fmt: skip
    method = st.sampled_from(('"textrank"',) * 3 + ('"abstractive"',))
    generation = st.fixed_dictionaries(
        {},
        optional={
            '"num_beams"': _mostly(st.integers(1, 4).map(str)),
            '"min_length"': _mostly(st.integers(0, 20).map(str)),
            '"max_length"': _mostly(st.integers(1, 80).map(str)),
            '"length_penalty"': _mostly(st.floats(0, 2).map(json.dumps)),
            '"no_repeat_ngram_size"': _mostly(st.integers(0, 4).map(str)),
        },
    ).map(lambda fields: _object(list(fields.items())))
    fields = {
        "text": text,
        "title": short,
        "standfirst": short,
        # TextRank always, so that no case waits for a model.
        "methods": st.lists(_mostly(method), max_size=2).map(
            lambda items: '["textrank"' + "".join("," + item for item in items) + "]"
        ),
        "max_sentences": st.integers(1, 5).map(str),
        "textrank_pick": st.sampled_from(('"distinct"', '"classic"')),
        "model": short,
        "language": language,
        "generation": st.one_of(st.just("null"), generation),
    }
    if kind == "batch":
        fields["id"] = st.one_of(st.integers(0, 10**6).map(str), _string())
    return fields


def _mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # one_of draws its branches about evenly: a hostile value one time in four.
    return st.one_of(valid, valid, valid, hostile_values())


FIELDS = {kind: tuple(_valid_fields(kind)) for kind in ("summarize", "attribute", "batch")}


@st.composite
def request_objects(draw: st.DrawFn, kind: str) -> str:
    """A request object's JSON text: each field valid or hostile, some twice, some unknown."""
    pairs = []
    for name, valid in _valid_fields(kind).items():
        # The required fields are nearly always there, so most cases get past them.
        if draw(st.integers(0, 9)) < (9 if name in ("text", "summary") else 4):
            hostile = _one_in(draw, 10)
            pairs.append((json.dumps(name), draw(hostile_values() if hostile else valid)))
    if _one_in(draw, 10):
        pairs.append(draw(st.sampled_from(pairs)) if pairs else ('"text"', '"Twice."'))
    if _one_in(draw, 10):
        pairs.append((draw(_string()), draw(hostile_values())))
    return _object(draw(st.permutations(pairs)))


@st.composite
def _mangle(draw: st.DrawFn, text: str) -> bytes:
    """The body's bytes, mostly as UTF-8, sometimes broken at the byte level."""
    raw = text.encode("utf-8", "surrogatepass")
    how = draw(st.integers(0, 19))
    if how < 14:
        return raw
    if how == 14:
        return codecs.BOM_UTF8 + raw
    if how == 15:
        return text.encode(
            draw(st.sampled_from(("utf-16", "utf-16-le", "utf-32"))), "surrogatepass"
        )
    if how == 16:
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    if how == 17:
        at = draw(st.integers(0, len(raw)))
        return (
            raw[:at]
            + draw(st.sampled_from((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80")))
            + raw[at:]
        )
    if how == 18:
        return draw(st.binary(max_size=512))
    return draw(st.sampled_from((b"[%s]", b"%s %s", b'"%s"'))).replace(b"%s", raw)


def bodies(kind: str) -> st.SearchStrategy[bytes]:
    """Bodies for POST /v1/summarize ("summarize") or POST /v1/attribute ("attribute")."""
    texts = st.one_of(request_objects(kind), request_objects(kind), hostile_values())
    return texts.flatmap(_mangle)


def batch_bodies() -> st.SearchStrategy[bytes]:
    """NDJSON bodies for POST /v1/summarize/batch: one to four lines of batch requests."""
    lines = st.one_of(request_objects("batch"), hostile_values()).flatmap(_mangle)
    return st.lists(lines, min_size=1, max_size=4).map(b"\n".join)


def cases() -> st.SearchStrategy[tuple[str, bytes]]:
    """One case for any of the three endpoints."""
    return st.one_of(
        bodies("summarize").map(lambda body: ("summarize", body)),
        bodies("attribute").map(lambda body: ("attribute", body)),
        batch_bodies().map(lambda body: ("batch", body)),
    )


_PATHS = {
    "summarize": "/v1/summarize",
    "attribute": "/v1/attribute",
    "batch": "/v1/summarize/batch",
}
_TYPES = {"summarize": JSON_TYPE, "attribute": JSON_TYPE, "batch": NDJSON_TYPE}


def check(status: int, content: bytes, batch: bool) -> tuple[list[str], list[str]]:
    """The error codes of one answer (a batch's: one per failing line), and what is wrong with it.

    Nothing is wrong with an answer below 500 whose errors have the one shape
    and a code the contract lists, at that code's status.
    """
    if status >= 500:
        return [], [f"status {status}"]
    try:
        errors: list[tuple[Any, int | None]]
        if status >= 400:
            errors = [(json.loads(content), status)]
        elif batch:
            lines = [json.loads(line) for line in content.splitlines() if line.strip()]
            errors = [(line, None) for line in lines if "error" in line]
        else:
            return [], []
        codes = [str(body["error"]["code"]) for body, _ in errors]
        return codes, [problem for body, at in errors for problem in _check_error(body, at)]
    except (ValueError, TypeError, KeyError):
        return [], [f"status {status}: an answer that is not the documented JSON"]


def _check_error(body: Any, status: int | None) -> list[str]:
    # A batch line (status None) has its id and line number next to the error.
    code, message = body["error"]["code"], body["error"]["message"]
    if not isinstance(message, str) or (status is not None and set(body) != {"error"}):
        return [f"status {status}: not the error shape"]
    if code not in DOCUMENTED_CODES or status not in (None, DOCUMENTED_CODES[code]):
        return [f"status {status}: code {code}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--url", required=True, help="the running server, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout-s", type=float, default=60)
    parser.add_argument("--out", type=Path, default=RESULTS / "hostile_json")
    args = parser.parse_args(argv)

    statuses: dict[str, Counter[int]] = {path: Counter() for path in _PATHS.values()}
    codes: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    started = time.perf_counter()
    with httpx.Client(base_url=args.url, timeout=args.timeout_s) as client:

        @seed(args.seed)
        @settings(
            max_examples=args.cases,
            phases=[Phase.generate],
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases())
        def send(case: tuple[str, bytes]) -> None:
            kind, body = case
            path = _PATHS[kind]
            try:
                response = client.post(path, content=body, headers={"Content-Type": _TYPES[kind]})
                status = response.status_code
                answered, problems = check(status, response.content, batch=kind == "batch")
                codes.update(answered)
            except httpx.HTTPError as error:
                status, problems = 0, [f"no answer: {type(error).__name__}"]
            statuses[path][status] += 1
            if problems:
                prefix = body[:300].decode("utf-8", "backslashreplace")
                failures.append(
                    {"path": path, "status": status, "problems": problems, "body": prefix}
                )

        send()
    elapsed_s = time.perf_counter() - started
    sent = sum(sum(counts.values()) for counts in statuses.values())
    report = {
        "url": args.url,
        "seed": args.seed,
        "cases": sent,
        "elapsed_s": round(elapsed_s, 1),
        "by_path": {path: dict(sorted(counts.items())) for path, counts in statuses.items()},
        "error_codes": dict(codes.most_common()),
        "failures": len(failures),
        "failure_examples": failures[:20],
    }
    publish(args.out, "hostile_json", report, _markdown(report))
    return 1 if failures else 0


def _markdown(report: dict[str, Any]) -> str:
    rows = [
        f"| {path} | {sum(counts.values())} | "
        + ", ".join(f"{status}: {count}" for status, count in counts.items())
        + " |"
        for path, counts in report["by_path"].items()
    ]
    return "\n".join(
        [
            "# Hostile JSON bodies",
            "",
            f"{report['cases']} cases against {report['url']} in {report['elapsed_s']} s "
            f"(seed {report['seed']}); **{report['failures']} failed**.",
            "",
            "| endpoint | cases | answers by status (0: no answer) |",
            "|---|---|---|",
            *rows,
            "",
            "Error codes, batch lines' included: "
            + ", ".join(f"{code}: {count}" for code, count in report["error_codes"].items()),
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
