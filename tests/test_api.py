"""REST API: envelopes, the one error shape, limits, request ids, readiness."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app


@pytest.fixture(scope="module")
def client(small_container):
    with TestClient(create_app(small_container), raise_server_exceptions=False) as c:
        yield c


ENVELOPE_KEYS = {"request_id", "task", "output", "citations", "guard", "cache", "usage", "backend",
                 "prompt_version", "timings_ms"}


def test_answer_envelope(client):
    r = client.post("/v1/answers", json={"question": "반품은 언제까지 신청할 수 있나요?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert ENVELOPE_KEYS <= set(body)
    assert {"answer", "handoff", "confidence"} <= set(body["output"])
    assert body["citations"][0]["id"] == "FAQ-T-002" and body["citations"][0]["snippet"]
    assert body["cache"]["status"] in {"hit", "miss", "bypass"}
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "cost"}
    assert {"name", "model", "fallback"} <= set(body["backend"])
    assert r.headers["x-request-id"] == body["request_id"]


def test_summary_and_product_summary_routes(client):
    post = client.post("/v1/summaries", json={"product_id": "P902"})
    get = client.get("/v1/products/P902/summary")
    assert post.status_code == get.status_code == 200
    assert post.json()["output"]["summary"] == get.json()["output"]["summary"]


def test_styling_route(client):
    r = client.post("/v1/styling", json={"product_id": "P904", "season": "겨울", "budget": 400000})
    assert r.status_code == 200 and r.json()["task"] == "styling"


def test_request_id_header_is_echoed(client):
    r = client.post("/v1/answers", json={"question": "반품 기간?"}, headers={"x-request-id": "cs-tool-42"})
    assert r.headers["x-request-id"] == "cs-tool-42" and r.json()["request_id"] == "cs-tool-42"


@pytest.mark.parametrize("method, path, body, status, code, field", [
    ("post", "/v1/summaries", {"product_id": "P999"}, 404, "not_found", "P999"),
    ("get", "/v1/products/P999/summary", None, 404, "not_found", "P999"),
    ("post", "/v1/summaries", {"product_id": "셔츠"}, 422, "invalid_request", "product_id"),
    ("post", "/v1/summaries", {}, 422, "invalid_request", "product_id"),
    ("post", "/v1/styling", {"product_id": "P901", "season": "장마"}, 422, "invalid_request", "season"),
    ("post", "/v1/styling", {"product_id": "P901", "budget": -5}, 422, "invalid_request", "budget"),
    ("post", "/v1/answers", {"question": "x" * 1001}, 422, "invalid_request", "question"),
    ("post", "/v1/answers", {"question": "반품?", "extra": 1}, 422, "invalid_request", "extra"),
    ("get", "/v1/products/abc/summary", None, 422, "invalid_request", "product_id"),
    ("get", "/v1/nope", None, 404, "not_found", ""),
])
def test_errors_have_one_shape(client, method, path, body, status, code, field):
    r = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and field in error["message"] and error["request_id"]


def test_malformed_json_is_422_not_500(client):
    r = client.post("/v1/answers", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_oversized_body_is_413(client):
    r = client.post("/v1/answers", content=b'{"question": "' + b"a" * 70_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_unexpected_errors_are_500_without_traceback(small_container, monkeypatch):
    app = create_app(small_container)
    monkeypatch.setattr(small_container.pipeline, "prepare", lambda *a, **k: 1 / 0)  # the routes call prepare, then the pool
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/answers", json={"question": "반품 기간?"})
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error" and "Traceback" not in r.text and "ZeroDivision" not in r.text


def test_health_and_readiness(client, fresh_container):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    with TestClient(create_app(fresh_container)) as empty:
        not_ready = empty.get("/readyz")
    assert not_ready.status_code == 503 and "ingest" in not_ready.json()["checks"]["index"]


def test_openapi_documents_examples(client):
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["CsAnswerInput"]
    assert schema["properties"]["question"]["maxLength"] == 1000
    assert schema["properties"]["question"]["examples"]


def test_readiness_names_an_unavailable_cache_and_requests_still_work(small_container):
    from tests.conftest import container_with

    broken = container_with(small_container, redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    broken.__dict__.pop("cache", None)
    broken.__dict__.pop("ledger", None)
    with TestClient(create_app(broken)) as client:
        ready = client.get("/readyz")
        answer = client.post("/v1/answers", json={"question": "교환 배송비는 얼마인가요?"})
    assert ready.status_code == 503 and ready.json()["checks"]["cache"].startswith("unavailable (redis)")
    assert answer.status_code == 200 and answer.json()["citations"]  # served without the cache


def test_readiness_names_an_unavailable_chroma_server(small_container, tmp_path):
    from service.container import Container
    from tests.conftest import make_settings

    container = Container(make_settings(tmp_path, chroma_url="http://127.0.0.1:1"))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(container)) as client:  # starts despite Chroma being down
        ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["index"].startswith("unavailable")
