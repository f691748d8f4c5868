"""Live index changes: readers never lose the generation they read, ingests never race.

A reindex builds a new generation of each changed collection beside the old one and
switches the registry to it. Requests that started on the old generation keep reading
it: it is dropped only when no reader of this process holds it (and, with a Chroma
server, only after a grace period, for readers in other processes). Ingests take a lock
that covers other processes too (a file lock in the data dir, or Redis when
CG_REDIS_URL is set), so two of them never point a collection at a dropped generation.

The load tests run 20 concurrent clients (answers and searches) against a real HTTP
server while the knowledge files change and the index is rebuilt: zero errors, and
afterwards the answers carry the new data.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.config import PROJECT_ROOT
from service.container import Container
from service.retrieval import ingest as ingest_module
from service.retrieval.ingest import IngestBusy, ingest_lock, run_ingest
from service.retrieval.loaders import default_sources
from tests.conftest import make_settings
from tests.servers import (commerce_guard, free_port, redis_server, start_chroma, start_redis, start_service, stop,
                           stop_tree)

DATA = Path(__file__).parent / "data"
CLIENTS = 20
QUESTION = "교환 배송비는 얼마인가요?"
SEARCHES = ["린넨 셔츠 세탁", "방수 재킷", "반품 신청 기한", "장마철 코디", "배송비 정책"]


def write_knowledge(root: Path) -> Path:
    """The small fixture catalog under the default file names (what reindex reads)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "products_small.jsonl", root / "products.jsonl")
    shutil.copy(DATA / "faq_small.jsonl", root / "faq.jsonl")
    shutil.copy(DATA / "style_small.md", root / "style_guides.md")
    shutil.copy(PROJECT_ROOT / "knowledge" / "user_dict.tsv", root / "user_dict.tsv")
    if not (root / "banned_words").exists():
        shutil.copytree(PROJECT_ROOT / "knowledge" / "banned_words", root / "banned_words")
    return root


def change_documents(root: Path, fee: int) -> str:
    """Change one document in each collection; returns the new exchange fee as written."""
    written = f"{fee:,}원"
    faq = [json.loads(line) for line in (root / "faq.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    faq[0]["text"] = f"사이즈 교환 시 왕복 배송비 {written}이 부과됩니다."
    (root / "faq.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in faq), encoding="utf-8")
    products = [json.loads(line) for line in (root / "products.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    products[0]["description"] = f"린넨의 시원한 촉감을 살린 여름 셔츠입니다. 개정 {fee}."
    (root / "products.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in products),
                                         encoding="utf-8")
    style = (DATA / "style_small.md").read_text(encoding="utf-8")
    (root / "style_guides.md").write_text(style.replace("레인부츠를 추천합니다.", f"레인부츠를 추천합니다. 개정 {fee}."),
                                          encoding="utf-8")
    return written


class Clients:
    """CLIENTS threads, each with its own connection, asking answers and searches until stopped."""

    def __init__(self, url: str):
        self.url = url
        self.halt = threading.Event()
        self.results: list[tuple[str, int, str]] = []  # (kind, status, body when not 200)
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(CLIENTS)]

    def _run(self, n: int) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as client:
            i = n
            while not self.halt.is_set():
                if i % 2:
                    kind, r = "answers", client.post("/v1/answers", json={"question": QUESTION})
                else:
                    kind, r = "search", client.post("/v1/search", json={"query": SEARCHES[i % len(SEARCHES)]})
                with self._lock:
                    self.results.append((kind, r.status_code, "" if r.status_code == 200 else r.text[:300]))
                i += 1

    def __enter__(self) -> "Clients":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.halt.set()
        for t in self.threads:
            t.join(timeout=180)

    def wait_for(self, count: int, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.results) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def errors(self) -> list[tuple[str, int, str]]:
        return [r for r in self.results if r[1] != 200]


class InThreadServer:
    """uvicorn serving the app in this process (embedded Chroma is single-process)."""

    def __init__(self, container: Container):
        import uvicorn

        from service.api.app import create_app

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def answer_text(url: str) -> str:
    r = httpx.post(f"{url}/v1/answers", json={"question": QUESTION}, timeout=120)
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["output"], ensure_ascii=False)


def physical_collections(container: Container) -> set[str]:
    return {c.name for c in container.store.client.list_collections()}


def assert_registry_points_at_existing(container: Container) -> dict[str, str]:
    live = container.store.live_generations()
    existing = physical_collections(container)
    assert set(live) == {"products", "faq", "style"}
    assert all(physical in existing for physical in live.values()), (live, existing)
    return live


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    proc, url = start_chroma(tmp_path_factory.mktemp("chroma-server"), timeout_s=120)
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture
def chroma_url(chroma_server) -> str:
    """The module's Chroma server, emptied: every test starts without collections."""
    import chromadb
    from urllib.parse import urlparse

    parsed = urlparse(chroma_server)
    client = chromadb.HttpClient(host=parsed.hostname, port=parsed.port)
    for collection in client.list_collections():
        client.delete_collection(collection.name)
    return chroma_server


def server_settings(tmp: Path, knowledge: Path, **overrides):
    settings = make_settings(tmp, **overrides).model_copy(update={"knowledge_dir": knowledge})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


# --- (a) embedded store, one process, a real HTTP server -------------------------------------------------


def test_reindex_under_load_has_no_errors_and_answers_switch_to_the_new_data(tmp_path):
    knowledge = write_knowledge(tmp_path / "knowledge")
    container = Container(server_settings(tmp_path, knowledge))
    run_ingest(container, default_sources(knowledge), show_progress=False)

    with InThreadServer(container) as url:
        assert "6,000원" in answer_text(url)
        with Clients(url) as clients:
            clients.wait_for(CLIENTS)
            for fee in (7100, 8200, 9300):  # three reindexes of changed data under load
                written = change_documents(knowledge, fee)
                r = httpx.post(f"{url}/v1/admin/reindex", timeout=300)
                assert r.status_code == 200, r.text
                assert {c["collection"]: c["updated"] for c in r.json()["collections"]} == \
                    {"products": 1, "faq": 1, "style": 1}
                seen = len(clients.results)
                clients.wait_for(seen + CLIENTS)
        errors = clients.errors()
        after = answer_text(url)
    print(f"\n{len(clients.results)} requests during 3 reindexes, {len(errors)} errors")
    assert not errors, errors[:5]
    assert written in after and "6,000원" not in after
    # The old generations are gone once no reader holds them (one process: no grace needed).
    live = assert_registry_points_at_existing(container)
    assert physical_collections(container) - {"cg_registry"} == set(live.values())


# --- (b) a Chroma server, the service as two worker processes, and a second ingest process ----------------


@pytest.mark.slow
def test_reindex_under_load_against_a_chroma_server_with_two_workers_and_a_concurrent_ingest(tmp_path, chroma_url):
    knowledge = write_knowledge(tmp_path / "knowledge")
    server = None
    try:
        env = {"CG_CHROMA_URL": chroma_url, "CG_DATA_DIR": str(tmp_path / "var"), "CG_KNOWLEDGE_DIR": str(knowledge),
               "CG_AUTH_MODE": "off", "OMP_NUM_THREADS": "1"}
        first = commerce_guard("ingest", "--quiet", env=env)
        assert first.returncode == 0, first.stderr
        server, url = start_service(env, tmp_path / "serve.log", workers=2, timeout_s=300)
        assert "6,000원" in answer_text(url)
        outcomes: list[tuple[str, int, str]] = []

        def cli_ingest() -> None:
            done = commerce_guard("ingest", "--quiet", env=env)
            outcomes.append(("cli", done.returncode, done.stderr[-300:]))

        with Clients(url) as clients:
            clients.wait_for(CLIENTS)
            for fee in (7100, 8200):
                written = change_documents(knowledge, fee)
                # Two ingests at once: a CLI process and the server's reindex (in one of the two workers).
                cli = threading.Thread(target=cli_ingest)
                cli.start()
                r = httpx.post(f"{url}/v1/admin/reindex", timeout=300)
                cli.join(timeout=300)
                outcomes.append(("http", r.status_code, r.text[:300]))
                seen = len(clients.results)
                clients.wait_for(seen + CLIENTS)
            time.sleep(3)  # past every worker's registry refresh (2 s)
            errors = clients.errors()
        after = [answer_text(url) for _ in range(4)]  # both workers answer some of them
        # Every collection points at a generation that exists.
        assert_registry_points_at_existing(Container(server_settings(tmp_path / "reader", knowledge,
                                                                     chroma_url=chroma_url)))
    finally:
        if server is not None:
            stop_tree(server)
    print(f"\n{len(clients.results)} requests during 2 double reindexes, {len(errors)} errors; ingests: {outcomes}")
    assert not errors, errors[:5]
    for who, status, text in outcomes:
        if who == "cli":
            assert status == 0, text  # the CLI waits for the other ingest
        else:  # the server's reindex ran, or was told clearly that another one is running
            assert status == 200 or (status == 409 and "another ingest" in text), text
    assert all(written in a for a in after), after


# --- the ingest lock ---------------------------------------------------------------------------------------


def _slow_builds(monkeypatch, delay_s: float = 0.3) -> None:
    real_add = ingest_module._add

    def slow_add(*args, **kwargs):
        time.sleep(delay_s)  # widens the window in which two ingests overlap
        return real_add(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_add", slow_add)


def _two_ingests_at_once(make_container, knowledge: Path) -> list[object]:
    outcomes: list[object] = []

    def one() -> None:
        try:
            outcomes.append(run_ingest(make_container(), default_sources(knowledge), show_progress=False))
        except Exception as exc:  # noqa: BLE001  recorded, asserted below
            outcomes.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("lock_kind", ["file", "redis"])
def test_two_concurrent_ingests_against_a_chroma_server_never_point_at_a_dropped_generation(
        tmp_path, monkeypatch, chroma_url, lock_kind):
    if lock_kind == "redis" and not redis_server():
        pytest.skip("redis-server is not installed")
    knowledge = write_knowledge(tmp_path / "knowledge")
    redis_proc = None
    try:
        overrides = {"chroma_url": chroma_url}
        if lock_kind == "redis":
            redis_proc, overrides["redis_url"] = start_redis(tmp_path)
        # Two clients of one Chroma server, each with its own data dir: only the Redis lock, or the
        # file lock in a shared data dir, can make them wait for each other.
        shared = tmp_path / "shared"
        def make_container(n=iter(range(100))):
            i = next(n)
            settings = server_settings(tmp_path / f"c{i}", knowledge, **overrides)
            if lock_kind == "file":
                settings = settings.model_copy(update={"data_dir": shared / "var"})
                settings.data_dir.mkdir(parents=True, exist_ok=True)
            return Container(settings)

        run_ingest(make_container(), default_sources(knowledge), show_progress=False)
        change_documents(knowledge, 7100)
        _slow_builds(monkeypatch)
        outcomes = _two_ingests_at_once(make_container, knowledge)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        updated = sorted(sum(s.updated for s in o) for o in outcomes)
        assert updated == [0, 3]  # the second waited, then found nothing left to do
        checker = make_container()
        live = assert_registry_points_at_existing(checker)
        assert "7,100원" in checker.store.live("faq").get(ids=["FAQ-T-001"])["documents"][0]
        assert set(live.values()) <= physical_collections(checker)
    finally:
        if redis_proc is not None:
            stop(redis_proc)


def test_a_reindex_while_another_ingest_runs_is_a_clear_409(fresh_container):
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    write_knowledge(fresh_container.settings.knowledge_dir)
    with TestClient(create_app(fresh_container)) as client:
        with ingest_lock(fresh_container.settings, wait_s=0):  # another ingest holds the lock
            busy = client.post("/v1/admin/reindex")
        free = client.post("/v1/admin/reindex")
    assert busy.status_code == 409 and busy.headers["retry-after"]
    error = busy.json()["error"]
    assert error["code"] == "reindex_running" and "another ingest" in error["message"]
    assert free.status_code == 200


def test_an_ingest_that_cannot_get_the_lock_in_time_says_so(fresh_container):
    with ingest_lock(fresh_container.settings, wait_s=0):
        with pytest.raises(IngestBusy, match="another ingest"):
            with ingest_lock(fresh_container.settings, wait_s=0.2):
                pass


# --- generations: pinned by readers, dropped after them ------------------------------------------------------


def test_a_generation_a_search_is_reading_outlives_the_switch_until_the_search_ends(fresh_container, monkeypatch):
    knowledge = write_knowledge(fresh_container.settings.knowledge_dir)
    run_ingest(fresh_container, default_sources(knowledge), show_progress=False)
    store, retriever = fresh_container.store, fresh_container.retriever
    old = store.live_generations()["faq"]
    change_documents(knowledge, 7100)

    inside, go_on = threading.Event(), threading.Event()
    real_dense = retriever._dense_candidates

    def paused_dense(*args, **kwargs):  # the search stops just before it queries Chroma
        inside.set()
        go_on.wait(30)
        return real_dense(*args, **kwargs)

    monkeypatch.setattr(retriever, "_dense_candidates", paused_dense)
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(_search_or_error(retriever, "교환 배송비")))
    reader.start()  # a request that started before the reindex
    assert inside.wait(30)
    run_ingest(fresh_container, default_sources(knowledge), show_progress=False)
    assert store.live_generations()["faq"] != old
    still_there = old in physical_collections(fresh_container)
    go_on.set()
    reader.join(30)
    monkeypatch.undo()
    assert still_there  # kept for its reader
    assert not isinstance(result[0], Exception), result
    assert "6,000원" in result[0].hits[0].text  # the reader finished on the data it started with
    assert old not in physical_collections(fresh_container)  # dropped when the reader let go
    assert "7,100원" in retriever.search("교환 배송비", ["faq"], k=1).hits[0].text


def _search_or_error(retriever, query: str):
    try:
        return retriever.search(query, ["faq"], k=1)
    except Exception as exc:  # noqa: BLE001  asserted by the test
        return exc


@pytest.mark.slow
def test_with_a_chroma_server_old_generations_wait_out_the_grace_period(tmp_path, chroma_url):
    knowledge = write_knowledge(tmp_path / "knowledge")
    container = Container(server_settings(tmp_path, knowledge, chroma_url=chroma_url, generation_grace_s=1.0))
    run_ingest(container, default_sources(knowledge), show_progress=False)
    old = container.store.live_generations()["faq"]
    change_documents(knowledge, 7100)
    run_ingest(container, default_sources(knowledge), show_progress=False)
    # Readers in other processes may still hold it: kept for the grace period, then dropped.
    assert old in physical_collections(container)
    deadline = time.monotonic() + 30
    while old in physical_collections(container) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert old not in physical_collections(container)
    assert_registry_points_at_existing(container)


@pytest.mark.slow
def test_a_retired_generation_left_by_a_process_that_exited_is_dropped_by_the_next_ingest(tmp_path, chroma_url):
    knowledge = write_knowledge(tmp_path / "knowledge")
    settings = server_settings(tmp_path, knowledge, chroma_url=chroma_url)
    container = Container(settings)
    run_ingest(container, default_sources(knowledge), show_progress=False)
    old = container.store.live_generations()["faq"]
    change_documents(knowledge, 7100)
    env = {"CG_CHROMA_URL": chroma_url, "CG_DATA_DIR": str(settings.data_dir), "CG_KNOWLEDGE_DIR": str(knowledge),
           "CG_GENERATION_GRACE_S": "5"}
    done = commerce_guard("ingest", "--quiet", env=env)  # exits before its grace period ends
    assert done.returncode == 0, done.stderr
    assert old in physical_collections(container)
    time.sleep(5.2)
    run_ingest(container, default_sources(knowledge), show_progress=False)  # nothing changed: it still sweeps
    assert old not in physical_collections(container)
    assert_registry_points_at_existing(container)
