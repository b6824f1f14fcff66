from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

SECRET = "Zebra-quartz-unique-marker"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """No abstractive model and no embeddings: the TextRank-only service."""
    settings = Settings(max_article_chars=20_000, max_article_sentences=300)
    with TestClient(create_app(settings, Engines())) as client:
        yield started(client)


def post_json(client: TestClient, body: Any) -> Any:
    # ASCII-escaped, as JSON allows: a lone surrogate travels as "\\ud800".
    return client.post(
        "/v1/summarize", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def assert_error(response: Any, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert SECRET not in response.text, "error bodies never echo the submitted text"
    return body["error"]  # type: ignore[no-any-return]


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_sample_article_json(client: TestClient, sample_text: str) -> None:
    """200 with textrank ok, abstractive unavailable with a reason, offsets exact."""
    response = post_json(client, {"text": sample_text})
    assert response.status_code == 200
    body = response.json()
    article = body["article"]
    assert article["text"] == sample_text
    for sentence in article["sentences"]:
        assert sample_text[sentence["start"] : sentence["end"]] == sentence["text"]
    assert article["lead"]["method"] == "first_paragraph"
    assert article["closing"]["method"] == "last_paragraph"
    assert article["boilerplate"][0]["text"] == "Original Source: www.france24.com"

    textrank = body["summaries"]["textrank"]
    assert textrank["status"] == "ok"
    # The distinct pick: sentences 4 and 17 retell sentence 0's visit (classic: 0, 4, 17).
    assert [s["source_sentences"] for s in textrank["sentences"]] == [[0], [2], [5]]
    for s in textrank["sentences"]:
        assert sample_text[s["start"] : s["end"]] == s["text"]
    assert len(textrank["ranking"]) == len(article["sentences"])

    abstractive = body["summaries"]["abstractive"]
    assert abstractive["status"] == "unavailable"
    assert abstractive["reason"]
    assert body["comparison"]["abstractive"] is None
    position = body["comparison"]["textrank"]["position"]
    assert position == {"lead": pytest.approx(2 / 3), "body": pytest.approx(1 / 3),
                        "closing": 0.0}  # fmt: skip
    assert 0 < body["comparison"]["lead_vs_closing"]["rouge1"] < 1


def test_each_summary_keeps_drops_and_adds(client: TestClient, sample_text: str) -> None:
    """TextRank's classic pick: lead sentence 0, body sentence 4 and closing sentence 17."""
    request = {"text": sample_text, "textrank_pick": "classic"}
    body = client.post("/v1/summarize", json=request).json()
    vs_lead = body["comparison"]["textrank"]["vs_lead"]
    assert list(vs_lead) == ["rouge1", "rouge2", "rougeL", "kept", "dropped", "added"]
    assert vs_lead["kept"] == [{"sentence": 0, "by": [0], "score": 1.0}]
    assert vs_lead["dropped"] == [1, 2, 3]
    assert vs_lead["added"] == [
        {"sentence": 1, "support_in": "body"},
        {"sentence": 2, "support_in": "closing"},
    ]
    vs_closing = body["comparison"]["textrank"]["vs_closing"]
    assert vs_closing["kept"][0] == {"sentence": 17, "by": [2], "score": 1.0}
    # The closing as the lead's summary: the ROUGE fields where they were, the lists beside.
    both = body["comparison"]["lead_vs_closing"]
    assert [k["sentence"] for k in both["kept"]] == [0]
    assert both["kept"][0]["by"] == [17]
    assert both["dropped"] == [1, 2, 3]
    assert [a["sentence"] for a in both["added"]] == [17, 18, 19]
    assert body["article"]["lead"]["spans"] == []


def test_a_standfirst_is_reported_by_its_own_sentences(
    client: TestClient, sample_text: str
) -> None:
    standfirst = "Syria's foreign minister visited Iraq. Penguins voted for a new leader."
    body = client.post("/v1/summarize", json={"text": sample_text, "standfirst": standfirst}).json()
    spans = body["article"]["lead"]["spans"]
    assert [standfirst[s["start"] : s["end"]] for s in spans] == [s["text"] for s in spans]
    assert len(spans) == 2
    vs_lead = body["comparison"]["textrank"]["vs_lead"]
    assert [k["sentence"] for k in vs_lead["kept"]] == [0]
    assert vs_lead["dropped"] == [1]


def test_openapi_documents_keeps_drops_and_adds(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    versus = schemas["VersusOut"]["properties"]
    assert {"rouge1", "kept", "dropped", "added"} <= set(versus)
    assert "0.25" in versus["kept"]["description"]
    assert schemas["AddedOut"]["properties"]["support_in"]["enum"] == [
        "lead", "body", "closing", "none"
    ]  # fmt: skip


def test_plain_text_body_with_query_options(client: TestClient, sample_text: str) -> None:
    response = client.post(
        "/v1/summarize?methods=textrank&max_sentences=2",
        content=sample_text.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["article"]["text"] == sample_text
    assert len(body["summaries"]["textrank"]["sentences"]) == 2
    assert body["summaries"]["abstractive"] is None


def test_plain_text_keeps_crlf_byte_for_byte(client: TestClient) -> None:
    text = "First paragraph here.\r\nSecond one here.\r\n"
    response = client.post(
        "/v1/summarize?methods=textrank",
        content=text.encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert response.json()["article"]["text"] == text


def test_standfirst_becomes_the_lead(client: TestClient, sample_text: str) -> None:
    body = post_json(
        client, {"text": sample_text, "standfirst": "Minister visits.", "methods": ["textrank"]}
    ).json()
    assert body["article"]["lead"] == {
        "method": "standfirst",
        "sentences": [],
        "text": "Minister visits.",
        "spans": [{"start": 0, "end": 16, "text": "Minister visits."}],
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "   \n "}, "empty_input"),
        ({"text": f"{SECRET} \ud800"}, "invalid_unicode"),
        ({"text": SECRET * 1000}, "input_too_long"),
        ({"text": SECRET, "max_sentences": 0}, "invalid_request"),
        ({"text": SECRET, "max_sentences": 51}, "invalid_request"),
        ({"text": SECRET, "methods": []}, "invalid_request"),
        ({"text": SECRET, "methods": ["lexrank"]}, "invalid_request"),
        ({"text": SECRET, "surprise": 1}, "invalid_request"),
        ({"text": 42}, "invalid_request"),
        ({"title": SECRET}, "invalid_request"),
    ],
)
def test_bad_json_requests_get_documented_422s_without_echo(
    client: TestClient, body: Any, code: str
) -> None:
    assert_error(post_json(client, body), 422, code)


def test_too_many_sentences_names_limit_and_value(client: TestClient) -> None:
    error = assert_error(post_json(client, {"text": "Word here. " * 301}), 422, "input_too_long")
    assert error["message"] == "article sentences must be at most 300; given: 301"


def test_option_errors_state_the_value_given(client: TestClient) -> None:
    error = assert_error(post_json(client, {"text": SECRET, "max_sentences": 99}), 422,
                         "invalid_request")  # fmt: skip
    assert "50" in error["message"]
    assert "99" in error["message"]


def test_malformed_json_is_invalid_request(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize",
        content=b'{"text": "' + SECRET.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 422, "invalid_request")


def test_invalid_utf8_plain_text_is_invalid_unicode(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize", content=b"Caf\xe9 au lait.", headers={"Content-Type": "text/plain"}
    )
    error = assert_error(response, 422, "invalid_unicode")
    assert "byte 3" in error["message"]


def test_unknown_query_parameter_is_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize?max_sentence=2",
        content=b"Text here.",
        headers={"Content-Type": "text/plain"},
    )
    assert "max_sentence" in assert_error(response, 422, "invalid_request")["message"]


def test_other_media_types_are_415(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize",
        content=b"text=hello",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, "unsupported_media_type")


def test_only_abstractive_where_no_model_is_configured_is_422_not_served(
    client: TestClient, sample_text: str
) -> None:
    """The client's error, whatever the body type or answer form: a retry cannot help."""
    response = post_json(client, {"text": sample_text, "methods": ["abstractive"]})
    assert "ask for textrank" in assert_error(response, 422, "method_not_served")["message"]
    streamed = client.post(
        "/v1/summarize?methods=abstractive",
        content=sample_text.encode(),
        headers={"Content-Type": "text/plain", "Accept": "text/event-stream"},
    )
    assert_error(streamed, 422, "method_not_served")
    # With TextRank asked for too, the answer says why there is no abstractive summary.
    both = post_json(client, {"text": sample_text, "methods": ["textrank", "abstractive"]})
    assert both.status_code == 200
    assert both.json()["summaries"]["abstractive"]["status"] == "unavailable"


def test_unknown_paths_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.get("/v1/summarize"), 405, "method_not_allowed")


def test_openapi_documents_both_body_types_and_limits(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/summarize"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "text/plain",
        "text/html",
    }
    request = document["components"]["schemas"]["SummarizeRequest"]
    assert request["properties"]["max_sentences"]["maximum"] == 50
    assert {p["name"] for p in operation["parameters"]} >= {"methods", "max_sentences"}
    assert {"415", "422", "503"} <= set(operation["responses"])


def test_cli_json_is_the_http_body(
    sample_text: str, bart_engine: Any, tmp_path: Any, capsys: Any, monkeypatch: Any
) -> None:
    """`newsum summarize --json` prints the POST /v1/summarize body (timings aside), both
    configured alike (lexical evidence: the support's signals depend on an encoder)."""
    from newsum.service.cli.main import main

    path = tmp_path / "article.txt"
    path.write_text(sample_text, encoding="utf-8")
    model = str(bart_engine.checkpoint.path)
    monkeypatch.setenv("NEWSUM_EMBEDDING_MODEL", "none")
    assert main(["summarize", str(path), "--json", "--model", model]) == 0
    printed = json.loads(capsys.readouterr().out)
    settings = Settings(embedding_model="none")
    with TestClient(create_app(settings, Engines(abstractive=bart_engine))) as app_client:
        served = post_json(started(app_client), {"text": sample_text}).json()
    for body in (printed, served):
        for summary in body["summaries"].values():
            summary.pop("elapsed_ms")
    assert printed["summaries"]["abstractive"]["status"] == "ok"
    assert printed == served
