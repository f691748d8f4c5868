"""Server mode: a real `chroma run` on loopback, reached through HttpClient."""

from __future__ import annotations

import pytest

from service.container import Container
from service.retrieval.ingest import run_ingest
from tests.conftest import make_settings, small_sources
from tests.servers import start_chroma, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    proc, url = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield url
    finally:
        stop(proc)


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path):
    settings = make_settings(tmp_path, chroma_url=chroma_server)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    container = Container(settings)
    first = run_ingest(container, small_sources(settings.knowledge_dir), show_progress=False)
    assert sum(s.added for s in first) == 9
    again = run_ingest(container, small_sources(settings.knowledge_dir), show_progress=False)
    assert sum(s.unchanged for s in again) == 9 and not any(s.changed for s in again)

    # A second client (another process in production) sees the same live index.
    reader = Container(make_settings(tmp_path / "reader", chroma_url=chroma_server))
    result = reader.retriever.search("교환 배송비", ["faq"], k=1)
    assert result.hits[0].id == "FAQ-T-001"
    assert not (settings.data_dir / "chroma").exists()  # nothing embedded on disk


def test_a_chroma_server_lost_mid_flight_is_a_clear_503_until_it_returns(tmp_path):
    from fastapi.testclient import TestClient
    from urllib.parse import urlparse

    from service.api.app import create_app

    proc, url = start_chroma(tmp_path / "chroma")
    try:
        container = Container(make_settings(tmp_path, chroma_url=url))
        container.settings.data_dir.mkdir(parents=True, exist_ok=True)
        run_ingest(container, small_sources(container.settings.knowledge_dir), show_progress=False)
        question = {"question": "교환 배송비는 얼마인가요?", "order_context": None}
        with TestClient(create_app(container)) as client:
            assert client.post("/v1/answers", json=question).status_code == 200
            stop(proc)
            lost = client.post("/v1/answers", json={**question, "question": "반품은 언제까지 신청할 수 있나요?"})
            not_ready = client.get("/readyz")
            proc, _ = start_chroma(tmp_path / "chroma", port=urlparse(url).port)  # same data, same address
            back = client.post("/v1/answers", json={**question, "question": "반품은 언제까지 신청할 수 있나요?"})
            ready = client.get("/readyz")
        assert lost.status_code == 503 and lost.headers["retry-after"]
        assert lost.json()["error"]["code"] == "index_unavailable" and "Traceback" not in lost.text
        assert not_ready.status_code == 503 and "ConnectError" in not_ready.json()["checks"]["index"]
        assert back.status_code == 200 and back.json()["citations"][0]["id"] == "FAQ-T-002"
        assert ready.status_code == 200
    finally:
        stop(proc)
