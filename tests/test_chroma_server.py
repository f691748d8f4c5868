"""Server mode: a real `chroma run` on loopback, reached through HttpClient."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.container import Container
from service.retrieval.ingest import run_ingest
from tests.conftest import make_settings, small_sources

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI ships with the chromadb package"
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("chroma run exited early")
            time.sleep(0.1)
        else:
            pytest.fail("chroma server did not start")
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)


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
