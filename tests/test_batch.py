"""The nightly summaries batch: cache fill served by GET, incremental skip, resume after SIGKILL,
shards, report and exit codes, Ctrl-C, and the OpenAI Batch API mode against the fake server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from bench._fake_llm import respond
from service.api.app import create_app
from service.batch.summaries import Options, Shard, TokenBucket, run, select
from service.cli import app
from service.config import Settings
from service.retrieval.ingest import run_ingest
from service.retrieval.loaders import Source
from tests.conftest import container_with, small_sources
from tests.fakes.fake_openai import FakeOpenAI, HTTPError, Reply

QUIET = Console(file=open(os.devnull, "w"))
SMALL = ["P901", "P902", "P903", "P904"]
# Grounded output built from the prompt's evidence (a reask gets the same answer again).
VALID = Reply(lambda body: json.dumps(respond({**body, "messages": body["messages"][:2]}), ensure_ascii=False))


def batch(container, **options):
    return run(container, Options(progress=False, **options), QUIET)


@pytest.fixture
def own_runs(small_container, tmp_path):
    """The shared index and cache, with batch runs (checkpoints) under a private data dir."""
    return container_with(small_container, data_dir=tmp_path / "var")


def test_batch_fills_the_cache_that_get_serves(own_runs, tmp_path):
    export = tmp_path / "summaries.jsonl"
    report = batch(own_runs, concurrency=2, export=export)
    assert (report.total, report.generated, report.failed, report.remaining) == (4, 4, 0, 0)
    assert report.cached == 4 - report.fallback - report.blocked
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert [line["id"] for line in lines] == SMALL and all(line["output"]["summary"] for line in lines)
    with TestClient(create_app(own_runs)) as client:
        body = client.get("/v1/products/P901/summary").json()
    assert body["cache"]["status"] == "hit" and body["output"] == lines[0]["output"]


def test_changed_only_regenerates_only_the_changed_product(fresh_container):
    knowledge = fresh_container.settings.knowledge_dir
    run_ingest(fresh_container, small_sources(knowledge), show_progress=False)
    assert batch(fresh_container).generated == 4
    again = batch(fresh_container, changed_only=True)
    assert (again.skipped, again.generated) == (4, 0)
    products = knowledge / "products_small.jsonl"
    records = [json.loads(line) for line in products.read_text().splitlines()]
    records[1]["price"] += 1000  # P902 changes
    products.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    run_ingest(fresh_container, [Source(products, "products", "product")], show_progress=False)
    export = fresh_container.settings.data_dir / "changed.jsonl"
    changed = batch(fresh_container, changed_only=True, export=export)
    assert (changed.skipped, changed.generated) == (3, 1)
    done = {r["id"]: r["outcome"] for r in map(json.loads, export.read_text().splitlines())}
    assert done == {"P901": "skipped", "P902": "generated", "P903": "skipped", "P904": "skipped"}


def test_shards_split_a_catalog_without_overlap(own_runs):
    ids = [f"P{i:05d}" for i in range(1, 1001)]
    shards = [[i for i in ids if i in Shard.parse(f"{k}/4")] for k in range(4)]
    assert sorted(sum(shards, [])) == ids and all(200 < len(s) < 300 for s in shards)
    assert shards[1] == [i for i in ids if i in Shard(1, 4)]  # stable: same answer on every call/machine
    done = [set(select(own_runs, Options(shard=Shard(k, 2)))) for k in range(2)]
    assert done[0] | done[1] == set(SMALL) and not done[0] & done[1]
    reports = [batch(own_runs, shard=Shard(k, 2)) for k in range(2)]
    assert [r.total for r in reports] == [len(d) for d in done]
    with pytest.raises(ValueError):
        Shard.parse("4/4")


def test_report_keys_and_exit_code_when_failures_exceed_the_rate(llm_container, fake_llm, tmp_path, monkeypatch):
    container = container_with(llm_container, data_dir=tmp_path / "var")
    fake_llm.set_default(HTTPError(500))  # LLM down: the pipeline falls back to the composer; not a failure
    monkeypatch.setattr("service.config.get_settings", lambda: container.settings)
    monkeypatch.setattr("service.container.Container", lambda settings: container)
    path = tmp_path / "report.json"
    args = ["batch", "summaries", "--ids", "P901,P902,P999", "--report", str(path), "--max-failure-rate", "0.01"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    report = json.loads(path.read_text())
    assert {"generated", "skipped", "fixed", "blocked", "failed", "prompt_tokens", "completion_tokens", "cost",
            "duration_s", "items_per_s"} <= set(report)
    assert (report["generated"], report["fallback"], report["failed"], report["cached"]) == (2, 2, 1, 0)
    assert "NotFound" in report["errors"]["P999"]
    fake_llm.set_default(VALID)
    tolerant = CliRunner().invoke(app, args[:-1] + ["0.5", "--fresh"])
    assert tolerant.exit_code == 0, tolerant.output


def test_ctrl_c_finishes_in_flight_items_and_a_rerun_resumes(llm_container, fake_llm, tmp_path, monkeypatch):
    container = container_with(llm_container, data_dir=tmp_path / "var")
    fake_llm.set_default(Reply(VALID.content, latency_s=0.3))
    monkeypatch.setattr("service.config.get_settings", lambda: container.settings)
    monkeypatch.setattr("service.container.Container", lambda settings: container)
    progress = lambda: list((tmp_path / "var" / "batch").glob("*/progress.jsonl"))  # noqa: E731

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (progress() and progress()[0].read_text().strip()):
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)  # the CLI's handler runs in this (the main) thread

    args = ["batch", "summaries", "--concurrency", "1", "--export", str(tmp_path / "e.jsonl")]
    threading.Thread(target=press_ctrl_c, daemon=True).start()
    stopped = CliRunner().invoke(app, args)
    assert stopped.exit_code == 130, stopped.output
    first = [json.loads(line)["id"] for line in progress()[0].read_text().splitlines()]
    assert 1 <= len(first) < 4
    fake_llm.set_default(VALID)
    resumed = CliRunner().invoke(app, args + ["--report", str(tmp_path / "r.json")])
    assert resumed.exit_code == 0 and "resuming run" in resumed.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["resumed"] and report["processed"] == 4 - len(first)
    assert [json.loads(line)["id"] for line in (tmp_path / "e.jsonl").read_text().splitlines()] == SMALL


def test_resume_after_sigkill_has_no_duplicates(tmp_path, monkeypatch):
    """A real process killed mid-run (no handler runs), then the same command again."""
    knowledge, data = tmp_path / "knowledge", tmp_path / "var"
    knowledge.mkdir()
    source = Path(__file__).parent / "data"
    records = [json.loads(line) for line in (source / "products_small.jsonl").read_text().splitlines()]
    clones = [{**r, "id": f"P{911 + i}", "name": r["name"] + " 2"} for i, r in enumerate(records)]
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records + clones]
    (knowledge / "products.jsonl").write_text("".join(lines))
    for name in ("faq_small.jsonl", "style_small.md"):
        shutil.copy(source / name, knowledge / name)
    shutil.copy(Path(__file__).parent.parent / "knowledge" / "user_dict.tsv", knowledge / "user_dict.tsv")
    shutil.copytree(Path(__file__).parent.parent / "knowledge" / "banned_words", knowledge / "banned_words")
    sources = [str(knowledge / n) for n in ("products.jsonl", "faq_small.jsonl", "style_small.md")]
    job = ["batch", "summaries", "--concurrency", "1", "--export", str(tmp_path / "e.jsonl"),
           "--report", str(tmp_path / "r.json")]
    # One process indexes the catalog, then runs the batch, and is killed midway.
    ingest_then_batch = [sys.executable, "-c", "import sys; from service.cli import app; i = sys.argv.index('--then'); "
                         "app(sys.argv[1:i], standalone_mode=False); app(sys.argv[i + 1:])",
                         "--data-dir", str(data), "ingest", "-q", *sources, "--then", "--data-dir", str(data), *job]
    with FakeOpenAI(default=Reply(VALID.content, latency_s=0.25)) as fake:
        llm = {"CG_LLM_BASE_URL": fake.base_url, "CG_LLM_MODEL": "fake-model", "CG_LLM_MAX_RETRIES": "0"}
        env = {**os.environ, "CG_KNOWLEDGE_DIR": str(knowledge), **llm}
        stderr = open(tmp_path / "killed.stderr", "w")
        proc = subprocess.Popen(ingest_then_batch, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 90  # the first request warms up Kiwi, the guards, the index
        while time.monotonic() < deadline and proc.poll() is None:
            files = list((data / "batch").glob("*/progress.jsonl"))
            if files and len(files[0].read_text().splitlines()) >= 3:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        stderr.close()
        assert proc.returncode == -signal.SIGKILL, (tmp_path / "killed.stderr").read_text()[-2000:]
        killed_at = len(files[0].read_text().splitlines())
        assert 3 <= killed_at < 8
        # The same command again, in this process (the killed one no longer holds the index).
        settings = Settings(data_dir=data, knowledge_dir=knowledge, llm_base_url=fake.base_url, llm_model="fake-model",
                            llm_max_retries=0)
        monkeypatch.setattr("service.config.get_settings", lambda: settings)
        resumed = CliRunner().invoke(app, job)
        asked = [body["messages"][-1]["content"] for body in fake.requests]
    assert resumed.exit_code == 0, resumed.output
    assert "resuming run" in resumed.output
    ids = [json.loads(line)["id"] for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert ids == sorted(r["id"] for r in records + clones)  # each product once
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["resumed"] and report["processed"] == 8 - killed_at and report["generated"] == 8
    assert len(asked) <= 8 + 1  # at most the one request in flight at the kill is asked twice


def test_batch_api_mode_end_to_end(llm_container, fake_llm, tmp_path):
    container = container_with(llm_container, data_dir=tmp_path / "var", prices={"fake-model": (1.0, 2.0)})
    fake_llm.set_default(VALID)
    fake_llm.script(HTTPError(500))  # the first line of the batch fails: that product gets the composer
    report = batch(container, mode="batch-api", poll_s=0.01, export=tmp_path / "e.jsonl")
    assert fake_llm.requests == []  # nothing went online
    sent = fake_llm.batch_requests
    assert len(sent) == 4 and ("POST", "/v1/files") in fake_llm.log and ("POST", "/v1/batches") in fake_llm.log
    assert (report.generated, report.failed, report.fallback, report.cached) == (4, 0, 1, 3)
    lines = {r["id"]: r for r in map(json.loads, (tmp_path / "e.jsonl").read_text().splitlines())}
    assert lines["P901"]["fallback"] and not lines["P902"]["fallback"]
    tokens = [(r["prompt_tokens"], r["completion_tokens"]) for r in lines.values() if not r["fallback"]]
    full = sum(container.generator.cost("fake-model", p, c) for p, c in tokens)
    assert report.cost == pytest.approx(full * container.settings.batch_discount) and report.cost > 0
    # The batch asked exactly what the online path asks, and filled the cache the online path reads.
    online = container.pipeline.run("summary", {"product_id": "P902"}, cache="bypass")
    assert fake_llm.requests[-1]["messages"] == sent[1]["messages"] and online.output == lines["P902"]["output"]
    with TestClient(create_app(container)) as client:
        assert client.get("/v1/products/P902/summary").json()["cache"]["status"] == "hit"


def test_batch_api_needs_an_llm(own_runs):
    from service.batch.summaries import BatchError

    with pytest.raises(BatchError, match="CG_LLM_BASE_URL"):
        batch(own_runs, mode="batch-api")


def test_rps_limits_llm_calls_and_is_removed_after_the_run(llm_container, fake_llm, tmp_path):
    container = container_with(llm_container, data_dir=tmp_path / "var")
    fake_llm.set_default(VALID)
    backend = container.generator.llm
    t0 = time.perf_counter()
    report = batch(container, concurrency=4, rps=10)
    assert report.generated == 4 and len(fake_llm.requests) == 4
    assert time.perf_counter() - t0 >= 0.3  # 4 calls at 10/s: 3 waits of 100 ms
    assert container.generator.llm is backend


def test_checkpoint_resume_torn_line_and_fresh(tmp_path):
    from service.batch.checkpoint import Checkpoint, RunBusy

    first = Checkpoint.open(tmp_path, "summaries-x")
    first.append({"id": "P1", "outcome": "skipped"})
    with pytest.raises(RunBusy):
        Checkpoint.open(tmp_path, "summaries-x")  # the same run from a second process
    first.close()
    with open(first.directory / "progress.jsonl", "a") as f:
        f.write('{"id": "P2", "outc')  # a write cut by a kill
    again = Checkpoint.open(tmp_path, "summaries-x")
    assert again.resumed and again.directory == first.directory and set(again.records) == {"P1"}
    again.append({"id": "P3", "outcome": "skipped"})
    again.close()
    lines = (first.directory / "progress.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["P1", "P3"]
    fresh = Checkpoint.open(tmp_path, "summaries-x", fresh=True)
    fresh.close()
    later = Checkpoint.open(tmp_path, "summaries-x")  # resumes the fresh run, never the abandoned one
    assert later.directory == fresh.directory and later.records == {}
    later.close()


def test_token_bucket_paces_requests():
    bucket, t0 = TokenBucket(rate=50.0), time.perf_counter()
    for _ in range(11):
        bucket.acquire()
    assert 0.18 < time.perf_counter() - t0 < 0.5  # 10 intervals of 20 ms after the first token
