"""Shared fixtures: a real index (Chroma + USE + Kiwi) over a small fixture catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import service  # noqa: F401  (offline environment before heavy imports)
from service.config import PROJECT_ROOT, Settings
from service.container import Container
from service.retrieval.ingest import run_ingest
from service.retrieval.loaders import Source

DATA = Path(__file__).parent / "data"


def small_sources(root: Path) -> list[Source]:
    return [
        Source(root / "products_small.jsonl", "products", "product"),
        Source(root / "faq_small.jsonl", "faq", "faq"),
        Source(root / "style_small.md", "style", "markdown"),
    ]


def make_settings(tmp: Path, **overrides) -> Settings:
    knowledge = tmp / "knowledge"
    if not knowledge.exists():
        knowledge.mkdir(parents=True)
        for name in ("products_small.jsonl", "faq_small.jsonl", "style_small.md"):
            shutil.copy(DATA / name, knowledge / name)
        # The language resources of the real knowledge base: dictionary and banned-word lists.
        shutil.copy(PROJECT_ROOT / "knowledge" / "user_dict.tsv", knowledge / "user_dict.tsv")
        shutil.copytree(PROJECT_ROOT / "knowledge" / "banned_words", knowledge / "banned_words")
    # Access control has its own tests (test_auth.py); elsewhere the app is open.
    overrides.setdefault("auth_mode", "off")
    return Settings(data_dir=tmp / "var", knowledge_dir=knowledge, **overrides)


@pytest.fixture
def fresh_container(tmp_path: Path) -> Container:
    """An empty, private index (for tests that change it)."""
    settings = make_settings(tmp_path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Container(settings)


@pytest.fixture(scope="session")
def small_container(tmp_path_factory) -> Container:
    """A read-only index of the fixture catalog, shared by the session."""
    tmp = tmp_path_factory.mktemp("small-index")
    settings = make_settings(tmp)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    container = Container(settings)
    run_ingest(container, small_sources(settings.knowledge_dir), show_progress=False)
    return container


def container_with(base: Container, **overrides) -> Container:
    """A container over ``base``'s index with other settings (e.g. an LLM endpoint).

    The heavy parts (Kiwi, the embedder, the Chroma client and loaded indexes)
    are shared, so tests can vary the generator cheaply.
    """
    container = Container(base.settings.model_copy(update=overrides))
    for name in ("analyzer", "embedder", "store", "retriever", "cache"):
        container.__dict__[name] = getattr(base, name)
    return container


@pytest.fixture(scope="module")
def fake_llm():
    """One fake OpenAI-compatible server per module; reset between tests."""
    from tests.fakes.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def llm_container(small_container, fake_llm) -> Container:
    fake_llm.reset()
    return container_with(small_container, llm_base_url=fake_llm.base_url, llm_model="fake-model",
                          llm_max_retries=1, llm_timeout_s=2.0)


@pytest.fixture(autouse=True)
def _clean_response_cache(request):
    """Tests of pipeline behaviour must not see answers cached by earlier tests."""
    if {"small_container", "llm_container", "client"} & set(request.fixturenames):
        request.getfixturevalue("small_container").cache.purge()
    yield


@pytest.fixture(scope="session")
def kb_container(tmp_path_factory) -> Container:
    """A read-only index of the real sample knowledge base (knowledge/), shared by the session."""
    from service.retrieval.loaders import default_sources

    settings = Settings(data_dir=tmp_path_factory.mktemp("kb-index") / "var")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    container = Container(settings)
    run_ingest(container, default_sources(settings.knowledge_dir), show_progress=False)
    return container


@pytest.fixture(scope="module")
def llama():
    """A fake that answers like llama-cpp-python's server (one per module; reset per test)."""
    from tests.fakes.fake_openai import like_llama_cpp

    with like_llama_cpp() as fake:
        yield fake


@pytest.fixture
def llama_container(small_container, llama) -> Container:
    llama.reset()
    return container_with(small_container, llm_base_url=llama.base_url, llm_model="local", llm_max_retries=0,
                          llm_timeout_s=5.0, llm_context_tokens=4096)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real Redis server for the module (skipped where redis-server is missing)."""
    from tests.servers import redis_server, start_redis, stop

    if redis_server() is None:
        pytest.skip("redis-server is not installed (make test installs it from Debian's packages)")
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop(proc)
