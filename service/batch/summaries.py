"""The nightly precompute of product summaries, through the one pipeline.

select (catalog, shard, limit) -> skip unchanged (--changed-only) ->
pipeline.run("summary", cache="refresh") on a bounded thread pool -> one
checkpoint line per product -> report. The pipeline guards each output and keeps
the passing ones in the response cache, which GET /v1/products/{id}/summary
then serves as a hit.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from service.batch.checkpoint import Checkpoint, run_prefix

TASK = "summary"
Mode = Literal["online", "batch-api"]
Work = Callable[[str], "dict[str, Any] | None"]  # product id -> checkpoint record, or None: not finished here


class BatchError(RuntimeError):
    """The job cannot start or go on (no index, no LLM for batch-api, a failed Batch API job)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"--shard wants I/N (e.g. 0/4), not {text!r}") from None
        if not 0 <= index < count:
            raise ValueError(f"--shard {text}: need 0 <= I < N")
        return cls(index, count)

    def __contains__(self, product_id: str) -> bool:
        # sha1, not hash(): the same split on every machine and every Python process.
        return int(hashlib.sha1(product_id.encode()).hexdigest(), 16) % self.count == self.index


@dataclass
class Options:
    changed_only: bool = False
    concurrency: int = 4
    shard: Shard | None = None
    limit: int | None = None
    ids: list[str] | None = None  # instead of the whole catalog
    rps: float | None = None  # LLM requests per second; None: unlimited
    mode: Mode = "online"
    fresh: bool = False  # a new run even if an unfinished one exists
    export: Path | None = None
    poll_s: float = 5.0  # first Batch API poll interval
    progress: bool = True


@dataclass
class Report:
    run_id: str
    mode: str
    resumed: bool
    total: int
    generated: int = 0
    skipped: int = 0
    fixed: int = 0
    fallback: int = 0
    blocked: int = 0
    failed: int = 0
    cached: int = 0  # products GET now serves from the cache
    remaining: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    processed: int = 0  # by this invocation (a resumed run did the rest before)
    duration_s: float = 0.0
    items_per_s: float = 0.0
    failure_rate: float = 0.0
    interrupted: bool = False
    errors: dict[str, str] = field(default_factory=dict)  # product id -> exception, first few

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def select(container, options: Options) -> list[str]:
    if options.ids is not None:
        ids = list(dict.fromkeys(options.ids))
    else:
        live = container.store.live("products")
        if live is None:
            raise BatchError("the index has no products: run `commerce-guard ingest` first", exit_code=3)
        ids = sorted(live.get(include=[])["ids"])
    if options.shard is not None:
        ids = [i for i in ids if i in options.shard]
    return ids[: options.limit] if options.limit else ids


def run(container, options: Options, console: Console, stop: threading.Event | None = None) -> Report:
    stop = stop or threading.Event()
    ids = select(container, options)
    checkpoint = Checkpoint.open(container.settings.data_dir / "batch", run_prefix("summaries", options.mode, ids),
                                 fresh=options.fresh)
    started, done_before = time.perf_counter(), len(checkpoint.records)
    try:
        if checkpoint.resumed:
            console.print(f"resuming run {checkpoint.run_id}: {done_before} of {len(ids)} products already done")
        todo = [i for i in ids if i not in checkpoint.records]
        if options.mode == "batch-api":
            _batch_api(container, options, console, stop, checkpoint, todo)
        else:
            with _rate_limited(container.generator, options.rps):
                pipeline = container.pipeline
                work = _regenerate(pipeline) if not options.changed_only else _skip_or(_regenerate(pipeline), pipeline)
                _process(todo, work, checkpoint, options, console, stop, "summaries")
        report = _report(checkpoint, ids, options.mode, len(checkpoint.records) - done_before,
                         time.perf_counter() - started, interrupted=stop.is_set())
        if options.export is not None:
            checkpoint.export(options.export, ids)
        if report.remaining == 0:
            checkpoint.finish(report.to_dict())
        return report
    finally:
        checkpoint.close()


def _batch_api(container, options, console, stop, checkpoint, todo) -> None:
    from service.batch import batch_api

    if container.llm is None:
        raise BatchError("--mode batch-api needs an LLM endpoint (set CG_LLM_BASE_URL)")
    if options.changed_only:  # before paying for a request, not after
        _process(todo, _skip_or(lambda pid: None, container.pipeline), checkpoint, options, console, stop, "unchanged?")
        todo = [i for i in todo if i not in checkpoint.records]
    if stop.is_set() or not todo:
        return
    pipeline = batch_api.answering_pipeline(container, todo, checkpoint.directory, console, options.poll_s, stop)
    if pipeline is not None:  # None: stopped while the batch was running; a re-run resumes polling
        _process(todo, _regenerate(pipeline), checkpoint, options, console, stop, "guarding")


# --- one product ----------------------------------------------------------------------


def _regenerate(pipeline) -> Work:
    def work(pid: str) -> dict[str, Any]:
        envelope = pipeline.run(TASK, {"product_id": pid}, cache="refresh")
        cache = pipeline.container.cache
        return {
            "id": pid, "outcome": "generated", "verdict": envelope.guard.verdict,
            "fallback": envelope.backend.fallback, "backend": f"{envelope.backend.name}:{envelope.backend.model}",
            # What GET will serve: a fallback is not cached, an older entry under the key may stand.
            "cached": envelope.cache.key is not None and cache.get(envelope.cache.key) is not None,
            "prompt_version": envelope.prompt_version, "key": envelope.cache.key,
            "prompt_tokens": envelope.usage.prompt_tokens, "completion_tokens": envelope.usage.completion_tokens,
            "cost": envelope.usage.cost, "output": envelope.output, "citations": [c.id for c in envelope.citations],
        }

    return work


def _skip_or(work: Work, pipeline) -> Work:
    def skip_or_work(pid: str) -> dict[str, Any] | None:
        if pipeline.cached(TASK, {"product_id": pid}):
            return {"id": pid, "outcome": "skipped", "cached": True}
        return work(pid)

    return skip_or_work


def _safely(work: Work, pid: str) -> dict[str, Any] | None:
    try:
        return work(pid)
    except Exception as exc:  # one bad product must not stop the night's run
        return {"id": pid, "outcome": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}


# --- the pool -------------------------------------------------------------------------


def _process(ids: list[str], work: Work, checkpoint: Checkpoint, options: Options, console: Console,
             stop: threading.Event, label: str) -> None:
    """Bounded pool: at most 2 x concurrency submitted, so a stop leaves only in-flight items to finish.
    Records are written by this (the main) thread only: the checkpoint needs no lock."""
    pending = iter(ids)
    inflight: dict[Future, str] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:.1f}/s"), TimeElapsedColumn(), TimeRemainingColumn())
    started = time.perf_counter()
    with ThreadPoolExecutor(options.concurrency, thread_name_prefix="batch") as pool, \
            Progress(*columns, console=console, disable=not options.progress) as progress:
        bar = progress.add_task(label, total=len(ids), rate=0.0)
        while True:
            while not stop.is_set() and len(inflight) < 2 * options.concurrency:
                pid = next(pending, None)
                if pid is None:
                    break
                inflight[pool.submit(_safely, work, pid)] = pid
            if stop.is_set():  # queued but not started: not in flight, left for the re-run
                for future in [f for f in inflight if f.cancel()]:
                    inflight.pop(future)
            if not inflight:
                break
            finished, _ = wait(inflight, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                inflight.pop(future)
                record = future.result()
                if record is not None:
                    checkpoint.append(record)
                completed = progress.tasks[0].completed + 1
                progress.update(bar, advance=1, rate=completed / max(time.perf_counter() - started, 1e-9))
    checkpoint.sync()


# --- rate limit -----------------------------------------------------------------------


class TokenBucket:
    """Requests per second with a burst of `burst`; acquire() blocks until a token is free.
    No limiter library is installed, and a reservation-style bucket is a dozen lines."""

    def __init__(self, rate: float, burst: int = 1):
        self.rate, self.burst = rate, burst
        self._tokens, self._at = float(burst), time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= 1  # may go negative: a reservation, served in arrival order
            delay = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if delay:
            time.sleep(delay)


class RateLimitedLLM:
    """The configured backend behind a token bucket: every LLM call waits, reasks included;
    cache checks and the offline composer do not. Name and model stay (they are in cache keys)."""

    def __init__(self, inner, bucket: TokenBucket):
        self.inner, self.bucket = inner, bucket
        self.name, self.model = inner.name, inner.model

    def generate(self, request):
        self.bucket.acquire()
        return self.inner.generate(request)

    def healthy(self) -> bool:
        return self.inner.healthy()


@contextmanager
def _rate_limited(generator, rps: float | None) -> Iterator[None]:
    """Wraps the generator's backend for the run and puts the original back afterwards."""
    original = generator.llm
    if rps and original is not None:
        generator.llm = RateLimitedLLM(original, TokenBucket(rps))
    try:
        yield
    finally:
        generator.llm = original


# --- report ---------------------------------------------------------------------------


def _report(checkpoint: Checkpoint, ids: list[str], mode: str, processed: int, duration_s: float,
            interrupted: bool) -> Report:
    report = Report(run_id=checkpoint.run_id, mode=mode, resumed=checkpoint.resumed, total=len(ids),
                    processed=processed, duration_s=round(duration_s, 3), interrupted=interrupted)
    for pid in ids:
        r = checkpoint.records.get(pid)
        if r is None:
            report.remaining += 1
            continue
        outcome = r["outcome"]
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome == "failed" and len(report.errors) < 10:
            report.errors[pid] = r["error"]
        if outcome != "generated":
            report.cached += bool(r.get("cached"))
            continue
        report.fixed += r["verdict"] == "fixed"
        report.blocked += r["verdict"] == "blocked"
        report.fallback += r["fallback"] and r["verdict"] != "blocked"
        report.cached += bool(r["cached"])
        report.prompt_tokens += r["prompt_tokens"]
        report.completion_tokens += r["completion_tokens"]
        report.cost += r["cost"]
    report.cost = round(report.cost, 8)
    report.items_per_s = round(processed / duration_s, 2) if duration_s > 0 else 0.0
    report.failure_rate = round(report.failed / report.total, 4) if report.total else 0.0
    report.interrupted = interrupted and report.remaining > 0
    return report
