"""The input contract, exactly: pages read the same every time, query limits on every body type."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.service.conftest import started

PAGES = Path(__file__).parents[2] / "data" / "pages"
SAMPLE = (Path(__file__).parents[2] / "data" / "sample_article.txt").read_text("utf-8")
HTML = {"Content-Type": "text/html"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(Settings(model="none", embedding_model="none"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield started(client)


def summarize_page(client: TestClient, name: str, query: str = "") -> Any:
    raw = (PAGES / f"{name}.html").read_bytes()
    response = client.post(f"/v1/summarize?methods=textrank{query}", content=raw, headers=HTML)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_same_page_posted_five_times_reads_the_same_every_time(client: TestClient) -> None:
    texts = [summarize_page(client, "related_links")["article"]["text"] for _ in range(5)]
    assert len(set(texts)) == 1
    assert "Work on the first section is due to begin next spring" in texts[0]


@pytest.mark.parametrize(
    "name", ["paywall_teaser", "live_blog", "gallery", "korean_euc_kr", "japanese_shift_jis"]
)
def test_every_layout_is_read_twice_alike(client: TestClient, name: str) -> None:
    first, second = (summarize_page(client, name) for _ in range(2))
    assert first["article"] == second["article"]


def test_the_pages_description_becomes_its_standfirst_and_says_so(client: TestClient) -> None:
    article = summarize_page(client, "related_links")["article"]
    assert article["standfirst_source"] == "page"
    assert article["lead"]["method"] == "standfirst"
    assert article["lead"]["text"].startswith("The city will extend its tram network")
    given = summarize_page(client, "related_links", "&standfirst=Trams+go+north.")["article"]
    assert given["standfirst_source"] == "request"
    assert given["lead"]["text"] == "Trams go north."
    no_description = summarize_page(client, "korean_euc_kr")["article"]
    assert no_description["standfirst_source"] is None
    assert no_description["language"] == "ko"


def test_query_options_hold_for_a_json_body_and_the_body_wins(client: TestClient) -> None:
    body = json.dumps({"text": SAMPLE})
    headers = {"Content-Type": "application/json"}
    answer = client.post(
        "/v1/summarize?methods=textrank&max_sentences=2", content=body, headers=headers
    )
    assert answer.status_code == 200
    assert len(answer.json()["summaries"]["textrank"]["sentences"]) == 2
    own = json.dumps({"text": SAMPLE, "max_sentences": 1, "methods": ["textrank"]})
    answer = client.post("/v1/summarize?max_sentences=2", content=own, headers=headers)
    assert len(answer.json()["summaries"]["textrank"]["sentences"]) == 1


def test_a_query_model_not_served_is_refused_even_when_the_body_overrides_it(
    client: TestClient,
) -> None:
    """A bad option is refused, never silently dropped (found by schemathesis)."""
    own = json.dumps({"text": SAMPLE, "model": None, "methods": ["textrank"]})
    answer = client.post(
        "/v1/summarize?model=not-served", content=own, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert "not-served" in answer.json()["error"]["message"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_the_textrank_pick_is_an_option_of_every_body_type(
    client: TestClient, content_type: str
) -> None:
    """Distinct by default (the sample's visit, sentences 0 and 17, told once); classic on
    request, as a JSON field or a query parameter."""

    def picked(query: str, fields: dict[str, Any]) -> set[int]:
        body = json.dumps({"text": SAMPLE, **fields}) if "json" in content_type else SAMPLE
        answer = client.post(
            f"/v1/summarize?methods=textrank{query}",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert answer.status_code == 200, answer.text
        return {
            s["source_sentences"][0] for s in answer.json()["summaries"]["textrank"]["sentences"]
        }

    assert not {0, 17} <= picked("", {})
    assert picked("&textrank_pick=classic", {}) == {0, 4, 17}
    if "json" in content_type:
        assert picked("", {"textrank_pick": "classic"}) == {0, 4, 17}


@pytest.mark.parametrize(
    "query",
    [
        "title=" + "x" * 1001,
        "max_sentences=51",
        "max_sentences=two",
        "language=EN",
        "max_sentences=2&max_sentences=3",
        "textrank_pick=mmr",
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_query_limits_hold_on_every_body_type(
    client: TestClient, query: str, content_type: str
) -> None:
    body = json.dumps({"text": SAMPLE}) if content_type == "application/json" else SAMPLE
    answer = client.post(
        f"/v1/summarize?{query}", content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"


def test_a_json_integer_may_be_written_3_0_but_never_as_a_string_or_boolean(
    client: TestClient,
) -> None:
    ok = client.post(
        "/v1/summarize", json={"text": SAMPLE, "methods": ["textrank"], "max_sentences": 2.0}
    )
    assert ok.status_code == 200
    for wrong in ("2", True, 2.5):
        answer = client.post("/v1/summarize", json={"text": SAMPLE, "max_sentences": wrong})
        assert answer.status_code == 422


def test_a_405_says_which_methods_are_allowed(client: TestClient) -> None:
    answer = client.get("/v1/summarize")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_an_empty_batch_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/v1/summarize/batch", content=b"\n \n", headers={"Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "empty_input"


def test_the_document_says_what_is_accepted(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    for name, field in [("SummarizeRequest", "text"), ("AttributeRequest", "summary")]:
        assert components[name]["properties"][field]["pattern"].startswith("[^")
    operation = document["paths"]["/v1/summarize"]["post"]
    assert operation["requestBody"]["content"]["text/plain"]["schema"]["pattern"]
    # No abstractive model is configured (NEWSUM_MODEL=none): `model` takes no value, and
    # `methods` must hold textrank (abstractive alone is 422 method_not_served).
    assert "model" not in {p["name"] for p in operation["parameters"]}
    methods = next(p for p in operation["parameters"] if p["name"] == "methods")
    assert methods["schema"]["contains"] == {"const": "textrank"}
    for name in ("SummarizeRequest", "BatchRequestLine"):
        assert components[name]["properties"]["model"]["type"] == "null"
        assert components[name]["properties"]["methods"]["contains"] == {"const": "textrank"}
    batch = document["paths"]["/v1/summarize/batch"]["post"]["requestBody"]["content"]
    assert batch["application/x-ndjson"]["schema"]["type"] == "array"


LONG = "x" * 60_000


@pytest.mark.parametrize(
    ("query", "content_type"),
    [
        ("", f"text/plain; charset={LONG}"),
        (f"?{LONG}=1", "text/plain"),
        (f"?model={'m' * 200}", "text/plain"),
        ("", f"text/{LONG}"),
    ],
    ids=["charset", "query-name", "model", "content-type"],
)
def test_a_value_quoted_in_a_message_is_cut_and_its_length_given(
    client: TestClient, query: str, content_type: str
) -> None:
    response = client.post(
        f"/v1/summarize{query}", content=SAMPLE.encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code in (415, 422), response.text
    message = response.json()["error"]["message"]
    assert len(message) < 400, message
    assert "…" in message
    assert "characters)" in message


@pytest.mark.parametrize(
    "query",
    ["title=%FF%FE", "%FF=1", "standfirst=caf%E9", "title=%ED%A0%80"],
    ids=["value", "name", "latin-1", "surrogate"],
)
def test_a_query_that_is_not_utf8_is_invalid_unicode_like_a_body(
    client: TestClient, query: str
) -> None:
    response = client.post(
        f"/v1/summarize?{query}", content=SAMPLE.encode(), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_unicode"
    assert "not valid UTF-8" in error["message"]


def test_a_query_in_utf8_is_read_as_before(client: TestClient) -> None:
    response = client.post(
        "/v1/summarize?methods=textrank&title=Caf%C3%A9+du+Nord&standfirst=",
        content=SAMPLE.encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["article"]["title"] == "Café du Nord"
