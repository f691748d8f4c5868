"""Admin and stats routes while Redis is unreachable (issue 13, found by a fresh operator):
a named 503 or a page that says what it could not read, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import container_with
from tests.servers import free_port
from tests.test_workers import write_knowledge


@pytest.fixture
def client(small_container, tmp_path):
    from service.api.app import create_app

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    knowledge = tmp_path / "knowledge"
    write_knowledge(knowledge)  # the default file names, so a reindex gets as far as the lock
    container = container_with(small_container, data_dir=tmp_path / "var", redis_url=dead, knowledge_dir=knowledge)
    del container.__dict__["cache"]  # container_with shares the base's diskcache: this one is on Redis
    return TestClient(create_app(container), raise_server_exceptions=False)


def test_stats_names_the_stores_it_could_not_read(client):
    r = client.get("/v1/stats")  # was 500 internal_error
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["unavailable"]) == {"cache", "ledger"}
    summary = body["tasks"]["summary"]
    assert summary["cache"] is None and summary["usage"] is None and summary["budget_left_usd"] is None


def test_cache_purge_is_a_clear_503(client):
    r = client.post("/v1/admin/cache/purge", json={})  # was 500 internal_error
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "cache_unavailable" and r.headers["retry-after"]


def test_reindex_names_the_lock_not_the_index(client):
    r = client.post("/v1/admin/reindex")  # was 503 index_unavailable, pointing at /readyz, which said ok
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "lock_unavailable" and "Redis" in error["message"]


def test_reindex_refuses_options_it_does_not_have(client):
    r = client.post("/v1/admin/reindex", json={"collections": "x"})  # was a full reindex, the body ignored
    assert r.status_code == 422, r.text
    assert "collections" in r.json()["error"]["message"]
