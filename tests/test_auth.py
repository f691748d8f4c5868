"""Access control: loopback default, scoped keys, 401/403/429, admin endpoints."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.conftest import container_with

LOCAL, REMOTE = ("127.0.0.1", 40000), ("203.0.113.9", 40000)
QUESTION = {"question": "교환 배송비는 얼마인가요?"}


@pytest.fixture
def secured(small_container, tmp_path):
    container = container_with(small_container, auth_mode="auto", data_dir=tmp_path / "var")
    container.settings.data_dir.mkdir(parents=True)
    return container


def test_without_keys_only_loopback_is_served(secured):
    app = create_app(secured)
    with TestClient(app, client=LOCAL) as local, TestClient(app, client=REMOTE) as remote:
        assert local.post("/v1/answers", json=QUESTION).status_code == 200
        denied = remote.post("/v1/answers", json=QUESTION)
    assert denied.status_code == 401 and "keys create" in denied.json()["error"]["message"]


def test_keys_with_scopes(secured):
    cs_key = secured.api_keys.create("cs-tool", ["cs"])
    admin_key = secured.api_keys.create("ops", ["admin"])
    assert "cs-tool" in (secured.settings.data_dir / "api_keys.json").read_text()
    assert cs_key not in (secured.settings.data_dir / "api_keys.json").read_text()  # only the hash is kept
    with TestClient(create_app(secured), client=LOCAL) as client:
        assert client.post("/v1/answers", json=QUESTION).status_code == 401  # keys exist: loopback needs one too
        assert client.post("/v1/answers", json=QUESTION, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.post("/v1/answers", json=QUESTION, headers={"X-API-Key": cs_key}).status_code == 200
        wrong = client.post("/v1/summaries", json={"product_id": "P901"}, headers={"X-API-Key": cs_key})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
        assert "'content' scope" in wrong.json()["error"]["message"]
        assert "cs-tool" not in wrong.text  # errors never name a key
        admin = {"Authorization": f"Bearer {admin_key}"}
        assert client.post("/v1/summaries", json={"product_id": "P901"}, headers=admin).status_code == 200
        assert client.get("/v1/stats", headers={"X-API-Key": cs_key}).status_code == 403
        assert client.get("/healthz").status_code == 200  # probes stay open


def test_rate_limit_answers_429_with_retry_after(secured):
    key = secured.api_keys.create("burst", ["cs"], rate_per_minute=2)
    with TestClient(create_app(secured), client=LOCAL) as client:
        codes = [client.post("/v1/answers", json=QUESTION, headers={"X-API-Key": key}) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert int(codes[2].headers["retry-after"]) >= 1 and codes[2].json()["error"]["code"] == "rate_limited"


def test_admin_endpoints(secured, tmp_path):
    import shutil

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for src, dst in (("products_small.jsonl", "products.jsonl"), ("faq_small.jsonl", "faq.jsonl"), ("style_small.md", "style_guides.md")):
        shutil.copy(secured.settings.knowledge_dir / src, knowledge / dst)
    broken = container_with(secured, knowledge_dir=tmp_path / "missing")
    secured.settings = secured.settings.model_copy(update={"knowledge_dir": knowledge})
    admin_key = secured.api_keys.create("ops", ["admin"])
    headers = {"X-API-Key": admin_key}
    with TestClient(create_app(secured), client=LOCAL) as client:
        reindex = client.post("/v1/admin/reindex", headers=headers)
        purge = client.post("/v1/admin/cache/purge", json={"task": "summary"}, headers=headers)
        unknown = client.post("/v1/admin/cache/purge", json={"task": "poem"}, headers=headers)
        audit = client.get("/v1/admin/audit?limit=5", headers=headers)
    assert reindex.status_code == 200, reindex.text
    counts = {c["collection"]: (c["unchanged"], c["updated"]) for c in reindex.json()["collections"]}
    assert counts == {"products": (4, 0), "faq": (3, 0), "style": (0, 2)}  # notes record their file name
    broken.api_keys.create("ops", ["admin"])
    with TestClient(create_app(broken), client=LOCAL) as client:
        bad = client.post("/v1/admin/reindex", headers={"X-API-Key": broken.api_keys.create("ops2", ["admin"])})
    assert bad.status_code == 422 and "file not found" in bad.json()["error"]["message"]
    assert purge.status_code == 200 and "removed" in purge.json()
    assert unknown.status_code == 404
    assert audit.status_code == 200 and "entries" in audit.json()
