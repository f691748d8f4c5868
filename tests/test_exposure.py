"""Exposure in key mode: only the probes are open; metrics and docs need a key; errors
name no key; forwarding headers never make a client local; proxies are trusted by setting."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.conftest import container_with

LOCAL, REMOTE = ("127.0.0.1", 40000), ("203.0.113.9", 40000)
OPEN = {"/healthz", "/readyz"}
DOCS = ("/openapi.json", "/docs", "/redoc")


@pytest.fixture
def secured(small_container, tmp_path):
    def make(**overrides):
        overrides.setdefault("auth_failures_per_minute", 1000)  # these tests count 401s, not the throttle
        container = container_with(small_container, auth_mode="auto", data_dir=tmp_path / "var", **overrides)
        container.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return container

    return make


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app.routes):  # included routers flattened
        if route.path and route.methods:
            path = re.sub(r"\{[^}]+\}", "P001", route.path)
            found.extend((method, path) for method in sorted(route.methods - {"HEAD", "OPTIONS"}))
    return found


def test_in_key_mode_every_route_but_the_probes_needs_a_key(secured):
    container = secured()
    container.api_keys.create("cs-tool", ["cs"])
    app = create_app(container)
    routes = _routes(app)
    assert {("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/redoc")} <= set(routes)
    with TestClient(app, client=LOCAL) as client:
        codes = {(method, path): client.request(method, path).status_code for method, path in routes}
    opened = {route: code for route, code in codes.items() if code != 401}
    assert {path for _, path in opened} == OPEN, opened


def test_metrics_need_the_metrics_scope(secured):
    container = secured()
    scraper = container.api_keys.create("prom-scraper", ["metrics"])
    cs_key = container.api_keys.create("cs-tool", ["cs"])
    admin = container.api_keys.create("ops", ["admin"])
    with TestClient(create_app(container), client=LOCAL) as client:
        assert client.get("/metrics", headers={"X-API-Key": scraper}).status_code == 200
        assert client.get("/metrics", headers={"X-API-Key": admin}).status_code == 200
        denied = client.get("/metrics", headers={"X-API-Key": cs_key})
        no_answers = client.post("/v1/answers", json={"question": "교환 배송비?"}, headers={"X-API-Key": scraper})
    assert denied.status_code == 403 and "'metrics' scope" in denied.json()["error"]["message"]
    assert "cs-tool" not in denied.text
    assert no_answers.status_code == 403 and "prom-scraper" not in no_answers.text


def test_docs_follow_the_setting(secured):
    keyed = secured()
    key = keyed.api_keys.create("cs-tool", ["cs"])
    with TestClient(create_app(keyed), client=LOCAL) as client:
        assert [client.get(path).status_code for path in DOCS] == [401, 401, 401]
        schema = client.get("/openapi.json", headers={"X-API-Key": key})
        page = client.get("/docs", headers={"X-API-Key": key})
    assert schema.status_code == 200 and "/v1/answers" in schema.json()["paths"]
    assert page.status_code == 200 and "/openapi.json" in page.text

    with TestClient(create_app(secured(api_docs="off")), client=LOCAL) as client:
        assert [client.get(path).status_code for path in DOCS] == [404, 404, 404]
    with TestClient(create_app(secured(api_docs="public")), client=REMOTE) as client:
        assert [client.get(path).status_code for path in DOCS] == [200, 200, 200]


def test_without_keys_docs_and_metrics_are_loopback_only(secured):
    app = create_app(secured())
    with TestClient(app, client=LOCAL) as local, TestClient(app, client=REMOTE) as remote:
        assert local.get("/openapi.json").status_code == 200 and local.get("/metrics").status_code == 200
        assert remote.get("/openapi.json").status_code == 401 and remote.get("/metrics").status_code == 401


@pytest.mark.parametrize("header", [{"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"},
                                    {"X-Real-IP": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}])
def test_a_forwarded_request_is_never_a_local_client(secured, header):
    """A local reverse proxy carries the whole network: its requests are not loopback clients,
    whatever the forwarding header claims."""
    with TestClient(create_app(secured()), client=LOCAL) as client:
        assert client.get("/v1/stats").status_code == 200
        assert client.get("/v1/stats", headers=header).status_code == 401


def test_forwarded_for_is_believed_only_from_trusted_proxies(secured):
    container = secured(auth_failures_per_minute=3, trusted_proxies=["10.0.0.5"])
    container.api_keys.create("cs-tool", ["cs"])
    app = create_app(container)
    bad = {"X-API-Key": "cg_guess"}
    with TestClient(app, client=("10.0.0.5", 5000)) as proxy, TestClient(app, client=("10.0.0.6", 5000)) as other:
        guesser = [proxy.get("/v1/stats", headers={**bad, "X-Forwarded-For": "203.0.113.7"}).status_code
                   for _ in range(4)]
        # another client behind the same trusted proxy is its own address: not throttled
        neighbour = proxy.get("/v1/stats", headers={**bad, "X-Forwarded-For": "203.0.113.8"}).status_code
        # an untrusted peer's header is ignored: it is throttled as itself, whatever it claims
        spoofer = [other.get("/v1/stats", headers={**bad, "X-Forwarded-For": f"198.51.100.{n}"}).status_code
                   for n in range(4)]
    assert guesser == [401, 401, 401, 429]
    assert neighbour == 401
    assert spoofer == [401, 401, 401, 429]
