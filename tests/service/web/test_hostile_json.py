"""Hostile JSON bodies answer 4xx in the one error shape, never 500 (shared/API.md).

The generated cases come from benchmarks/perf/hostile_json.py, whose strategies the
benchmark also sends to a live server; the examples below pin each hostile case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from newsum.benchmarks.perf.hostile_json import (
    DOCUMENTED_CODES,
    FIELDS,
    batch_bodies,
    bodies,
    check,
)
from newsum.service.contract.json_body import MAX_DEPTH, MAX_NUMBER_CHARS
from newsum.service.contract.schemas import AttributeRequest, BatchRequestLine, SummarizeRequest
from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

SECRET = "Zanzibar-quokka-secret"
ARTICLE = f"{SECRET} went to the market. It rained all day.\nThe market closed early."
# A few hundred cases in all; each is one in-process request.
CASES = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # Small text limits, so that the strategies' long strings cross them too.
    limits = Settings(
        embedding_model="none", model="none", max_article_chars=2_000, max_summary_chars=1_000
    )
    app = create_app(limits, Engines())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield started(client)


def post(client: TestClient, path: str, body: bytes, media: str = "application/json") -> Any:
    return client.post(path, content=body, headers={"Content-Type": media})


def assert_answer(response: httpx.Response, *, batch: bool = False) -> list[str]:
    """The answer's error codes, once it is below 500, in the one shape, with a listed code."""
    assert response.status_code < 500, response.text
    codes, problems = check(response.status_code, response.content, batch)
    assert problems == [], response.text
    return codes


def assert_error(response: httpx.Response, code: str, *words: str) -> str:
    assert response.status_code == DOCUMENTED_CODES[code], response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    for word in words:
        assert word in message
    assert SECRET not in response.text, "error bodies never echo the submitted text"
    return message


@pytest.mark.slow
@given(body=bodies("summarize"))
@CASES
def test_hostile_summarize_bodies_never_fail_open(client: TestClient, body: bytes) -> None:
    assert_answer(post(client, "/v1/summarize", body))


@pytest.mark.slow
@given(body=bodies("attribute"))
@CASES
def test_hostile_attribute_bodies_never_fail_open(client: TestClient, body: bytes) -> None:
    assert_answer(post(client, "/v1/attribute", body))


@pytest.mark.slow
@given(body=batch_bodies())
@CASES
def test_hostile_batch_lines_never_fail_open(client: TestClient, body: bytes) -> None:
    """Every line answers for itself, with a listed code when it fails."""
    response = post(client, "/v1/summarize/batch", body, "application/x-ndjson")
    assert_answer(response, batch=True)


def test_the_strategies_know_every_request_field() -> None:
    assert set(FIELDS["summarize"]) == set(SummarizeRequest.model_fields)
    assert set(FIELDS["attribute"]) == set(AttributeRequest.model_fields)
    assert set(FIELDS["batch"]) == set(BatchRequestLine.model_fields)


def valid(**fields: Any) -> dict[str, Any]:
    return {"text": ARTICLE, "methods": ["textrank"], **fields}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 100_000, ["100000 deep", f"at most {MAX_DEPTH}"]),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), [f"{MAX_DEPTH + 1} deep"]),
        (b'{"text": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}", ["5001 deep"]),
        (b'{"text": "x", "max_sentences": ' + b"9" * 5_000 + b"}", ["5000 characters"]),
        (b'{"text": "x", "max_sentences": -' + b"9" * 5_000 + b"}", ["5001 characters"]),
        (b'{"text": "x", "max_sentences": 1e999}', ["largest float"]),
        (b'{"text": "x", "max_sentences": NaN}', ["NaN"]),
        (b'{"text": "x", "max_sentences": Infinity}', ["Infinity"]),
        (b'{"text": "x", "max_sentences": -Infinity}', ["-Infinity"]),
        (b'{"text": "x", "text": "y"}', ["key twice", "(text)"]),
        (
            b'{"text": "x", "generation": {"' + b"k" * 500 + b'": 1, "' + b"k" * 500 + b'": 2}}',
            ["key twice", "<key of 500 characters>"],
        ),
        (b'[{"text": "x"}]', ["a request is a JSON object; given: an array"]),
        (b'"just a string"', ["given: a string"]),
        (b"null", ["given: null"]),
        (b'{"text": "x"', ["not valid JSON"]),
        (b"", ["not valid JSON"]),
    ],
)
def test_hostile_summarize_bodies_are_invalid_requests(
    client: TestClient, body: bytes, words: list[str]
) -> None:
    assert_error(post(client, "/v1/summarize", body), "invalid_request", *words)


def test_a_deep_body_within_the_limit_reaches_validation(client: TestClient) -> None:
    body = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert_error(post(client, "/v1/summarize", body), "invalid_request", "given: an array")


def test_a_huge_number_as_the_summary_is_an_invalid_request(client: TestClient) -> None:
    body = b'{"text": "x", "summary": ' + b"9" * 5_000 + b"}"
    message = assert_error(post(client, "/v1/attribute", body), "invalid_request")
    assert f"5000 characters; at most {MAX_NUMBER_CHARS}" in message


def test_an_unknown_key_is_named_by_its_length_only(client: TestClient) -> None:
    body = json.dumps(valid(**{SECRET * 10: 1})).encode()
    assert_error(post(client, "/v1/summarize", body), "invalid_request", "<key of 220 characters>")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (f'{{"text": "{SECRET} caf\xe9"}}'.encode("latin-1"), ["not valid UTF-8 at byte 36"]),
        (b'{"text": "\xed\xa0\x80"}', ["not valid UTF-8 at byte 10"]),  # an encoded surrogate
        (json.dumps(valid()).encode("utf-16"), ["UTF-16"]),
        (json.dumps(valid()).encode("utf-16-be"), ["UTF-16-BE"]),
        (json.dumps(valid()).encode("utf-32"), ["UTF-32"]),
    ],
)
def test_bodies_in_other_encodings_are_invalid_unicode(
    client: TestClient, body: bytes, words: list[str]
) -> None:
    assert_error(post(client, "/v1/summarize", body), "invalid_unicode", *words)


@pytest.mark.parametrize("field", ["text", "title", "standfirst", "model", "language"])
def test_a_lone_surrogate_in_any_summarize_field_is_invalid_unicode(
    client: TestClient, field: str
) -> None:
    # ASCII-escaped, as JSON allows: a lone surrogate travels as "\\ud800".
    body = json.dumps(valid(**{field: f"{SECRET} \ud800"})).encode()
    assert_error(post(client, "/v1/summarize", body), "invalid_unicode", "lone surrogate")


@pytest.mark.parametrize(
    "body",
    [
        {"text": ARTICLE, "summary": "Low \udfff, high \ud83d."},
        {"text": ARTICLE, "summary": "It rained.", "title": "\ud83d\ud83d\ude00"},
        {"text": ARTICLE, "summary": "It rained.", "\udc00": 1},
        {"text": ARTICLE, "summary": "It rained.", "language": ["en", {"x": "\ud800"}]},
    ],
)
def test_a_lone_surrogate_anywhere_is_invalid_unicode(
    client: TestClient, body: dict[str, Any]
) -> None:
    """In the summary, next to a pair, in a key, deep in a wrong type: refused before use."""
    assert_error(post(client, "/v1/attribute", json.dumps(body).encode()), "invalid_unicode")


def test_a_surrogate_pair_and_an_escaped_backslash_are_fine(client: TestClient) -> None:
    """\\ud83d\\ude00 is one emoji; "\\\\ud800" is a backslash and the letters ud800."""
    text = f"{ARTICLE} Smile 😀 and a path C:\\ud800 [with [brackets {{too"
    response = post(client, "/v1/summarize", json.dumps(valid(text=text)).encode())
    assert response.status_code == 200, response.text
    assert response.json()["article"]["text"] == text


def test_a_utf8_byte_order_mark_is_ignored(client: TestClient) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(valid()).encode()
    response = post(client, "/v1/summarize", body)
    assert response.status_code == 200, response.text
    assert response.json()["article"]["text"] == ARTICLE


def test_each_hostile_batch_line_fails_alone(client: TestClient) -> None:
    lines = [
        json.dumps(valid(id="ok")).encode(),
        b"[" * 100_000,
        b'{"id": 3, "text": "x", "max_sentences": ' + b"9" * 5_000 + b"}",
        b'{"id": 4, "text": "x", "max_sentences": NaN}',
        b'{"id": 5, "text": "x", "id": 5}',
        json.dumps({"id": "\ud800", "text": ARTICLE}).encode(),
        b"\xff\xfe",
    ]
    response = post(client, "/v1/summarize/batch", b"\n".join(lines), "application/x-ndjson")
    codes = assert_answer(response, batch=True)
    assert codes == ["invalid_request"] * 4 + ["invalid_unicode"] * 2
    results = [json.loads(line) for line in response.text.splitlines()]
    assert [result["line"] for result in results] == list(range(1, 8))
    assert "result" in results[0]
    assert all(SECRET not in json.dumps(result) for result in results[1:])


@pytest.mark.parametrize(
    ("status", "content", "batch"),
    [
        (500, b'{"error": {"code": "internal_error", "message": "logged"}}', False),
        (422, b'{"detail": "not the shape"}', False),
        (422, b'{"error": {"code": "made_up", "message": "m"}}', False),
        (503, b'{"error": {"code": "invalid_request", "message": "wrong status"}}', False),
        (200, b'{"id": 1, "line": 1, "error": {"code": "internal_error", "message": "m"}}', True),
        (200, b"not json", True),
    ],
)
def test_the_check_flags_answers_off_contract(status: int, content: bytes, batch: bool) -> None:
    """What the property tests and the benchmark count as failures."""
    assert check(status, content, batch)[1] != []
