"""One line shape: POST /v1/summarize/batch reads the lines `newsum batch` and `bench` read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.models.corpus_line import LINE_FIELDS
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

DEV_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
NDJSON = {"Content-Type": "application/x-ndjson"}
ARTICLE = "The council met on Monday. It approved the new budget. Work starts in May."


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(Settings(model="none", embedding_model="none"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield started(client)


def post_lines(client: TestClient, lines: list[str]) -> list[dict[str, Any]]:
    response = client.post("/v1/summarize/batch", content="\n".join(lines), headers=NDJSON)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.mark.parametrize("corpus", ["dev_newsroom", "dev_summeval", "dev_qags_xsum"])
def test_a_dev_corpus_posts_as_it_is(client: TestClient, corpus: str) -> None:
    """Its lines (`article`, references, labels) are summarised; the corpus fields ignored."""
    lines = (DEV_DATA / f"{corpus}.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    rows = post_lines(client, lines)
    given = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == [line["id"] for line in given]
    for row, line in zip(rows, given, strict=True):
        assert "error" not in row, row["error"]
        assert row["result"]["article"]["text"] == line["article"]
        summaries = row["result"]["summaries"]
        assert summaries["textrank"]["status"] == "ok"
        # NEWSUM_MODEL=none: unavailable, and said so with the reason.
        assert summaries["abstractive"]["status"] == "unavailable"
        assert "NEWSUM_MODEL=none" in summaries["abstractive"]["reason"]


def test_article_is_the_alias_of_text_and_both_at_once_is_an_error(client: TestClient) -> None:
    lines = [
        {"id": "text", "text": ARTICLE, "methods": ["textrank"]},
        {"id": "article", "article": ARTICLE, "methods": ["textrank"]},
        {"id": "both", "text": ARTICLE, "article": ARTICLE},
        {"id": "neither", "title": "A headline"},
        {"id": "not a string", "article": 5},
    ]
    rows = post_lines(client, [json.dumps(line) for line in lines])
    by_text, by_article = (row["result"] for row in rows[:2])
    assert by_article["article"] == by_text["article"]
    assert by_article["article"]["text"] == ARTICLE
    assert by_article["summaries"]["textrank"]["text"] == by_text["summaries"]["textrank"]["text"]
    assert [row.get("error", {}).get("message") for row in rows[2:]] == [
        'article: an alias of "text", which is given too; give one of the two',
        'text: Field required: give it as "text" or "article"',
        "article: Input should be a valid string (given: 5)",
    ]


def test_an_unknown_field_is_named_with_the_field_it_may_have_meant(client: TestClient) -> None:
    lines = [
        {"id": 1, "text": ARTICLE, "titel": "A headline"},
        {"id": 2, "text": ARTICLE, "generation": {"beams": 2}},
        {"id": 3, "article": ARTICLE, "refrence": "A summary."},
        {"id": 4, "text": ARTICLE, "colour": "red"},
    ]
    rows = post_lines(client, [json.dumps(line) for line in lines])
    messages = [row["error"]["message"] for row in rows]
    assert messages[:3] == [
        'titel: unknown field; did you mean "title"?',
        'generation.beams: unknown field; did you mean "num_beams"?',
        'refrence: unknown field; did you mean "reference"?',
    ]
    # Nothing close: every known field, and never the value given.
    assert messages[3] == f"colour: unknown field; known: {', '.join(LINE_FIELDS)}"
    assert all(row["error"]["code"] == "invalid_request" for row in rows)


def test_a_single_article_takes_text_only_and_says_so(client: TestClient) -> None:
    """POST /v1/summarize keeps its strict body: `article` is refused, pointing to `text`."""
    answer = client.post("/v1/summarize", json={"article": ARTICLE, "titel": "A headline"})
    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert 'article: unknown field; did you mean "text"?' in message
    assert 'titel: unknown field; did you mean "title"?' in message
    assert ARTICLE not in message


def test_the_document_publishes_the_line_shape(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    line = schemas["BatchRequestLine"]
    # The same fields, in the same order, as `newsum bench` knows (models.corpus_line).
    assert list(line["properties"]) == list(LINE_FIELDS)
    assert line["oneOf"] == [{"required": ["text"]}, {"required": ["article"]}]
    assert "text" not in line.get("required", [])
    text, alias = line["properties"]["text"], line["properties"]["article"]
    assert alias["maxLength"] == text["maxLength"] == Settings().max_article_chars
    assert alias["pattern"] == text["pattern"]
    assert line["properties"]["reference"]["description"].startswith("Ignored")
    assert "article" not in schemas["SummarizeRequest"]["properties"]
