"""`commerce-guard batch ...`: the nightly jobs on the command line.

Exit codes: 0 done; 1 more failures than --max-failure-rate; 2 bad options or
configuration; 3 no index; 4 the run is busy in another process; 5 the index is
unavailable (Chroma unreachable, or the embedded index open in another process); 128+signal
when stopped by Ctrl-C (130) or SIGTERM (143), after finishing in-flight items
(a second signal quits at once; the checkpoint already holds every finished item).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table

batch_app = typer.Typer(no_args_is_help=True, help="Nightly batch jobs: resumable, shardable, rate limited.")
console = Console(stderr=True)
out = Console()


class Mode(str, Enum):
    online = "online"
    batch_api = "batch-api"


@batch_app.command("summaries")
def summaries(
    changed_only: bool = typer.Option(False, "--changed-only", help="Skip products whose cached summary is current."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=256, help="Worker threads."),
    shard: Optional[str] = typer.Option(None, "--shard", help="I/N: only products whose sha1(id) mod N == I."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most K products (after sharding)."),
    ids: Optional[str] = typer.Option(None, "--ids", help="Comma-separated product ids instead of the catalog."),
    rps: Optional[float] = typer.Option(None, "--rps", min=0.01, help="LLM requests per second (default unlimited)."),
    export: Optional[Path] = typer.Option(None, "--export", help="Write one JSON line per finished product."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON."),
    max_failure_rate: float = typer.Option(0.05, "--max-failure-rate", min=0.0, max=1.0),
    mode: Mode = typer.Option(Mode.online, "--mode", help="online, or the OpenAI Batch API (half price, up to 24 h)."),
    poll_s: float = typer.Option(5.0, "--poll-s", min=0.01, help="First Batch API poll interval; grows to 60 s."),
    fresh: bool = typer.Option(False, "--fresh", help="Start a new run even if an unfinished one exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Precompute product summaries into the response cache (resumes an interrupted run).

    Exit codes: 0 done, 1 more failures than --max-failure-rate, 2 bad options, 3 no index,
    4 this run is busy in another process, 5 index unavailable, 130/143 stopped (re-run to resume).
    """
    from service.batch.checkpoint import RunBusy
    from service.batch.summaries import BatchError, Options, Shard, run
    from service.config import get_settings
    from service.container import Container

    try:
        options = Options(changed_only=changed_only, concurrency=concurrency, limit=limit, rps=rps,
                          shard=Shard.parse(shard) if shard else None, mode=mode.value, fresh=fresh, export=export,
                          ids=[i.strip() for i in ids.split(",") if i.strip()] if ids else None, poll_s=poll_s,
                          progress=not quiet and console.is_terminal)
    except ValueError as exc:
        _fail(str(exc), 2)
    stop = threading.Event()
    try:
        with _graceful(stop) as received:
            result = run(Container(get_settings()), options, console, stop)
    except BatchError as exc:
        _fail(str(exc), exc.exit_code)
    except RunBusy as exc:
        _fail(str(exc), 4)
    if report is not None:
        report.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    _print(result)
    if result.interrupted:
        console.print(f"[yellow]stopped:[/yellow] {result.remaining} products left; re-run the same command to resume")
        raise typer.Exit(128 + (received[0] if received else signal.SIGINT))
    if result.failure_rate > max_failure_rate:
        console.print(f"[red]failure rate {result.failure_rate:.2%} is above {max_failure_rate:.2%}[/red]")
        raise typer.Exit(1)


@contextmanager
def _graceful(stop: threading.Event) -> Iterator[list[int]]:
    """First Ctrl-C/SIGTERM: stop taking new items, finish in-flight ones. Second: quit now."""
    received: list[int] = []

    def handler(signum, frame) -> None:
        if stop.is_set():
            os._exit(128 + signum)  # every finished item is already flushed to the checkpoint
        received.append(signum)
        stop.set()
        console.print("[yellow]stopping after in-flight items (again to quit at once)[/yellow]")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _print(r) -> None:
    table = Table("", "", title=f"batch summaries ({r.mode}) run {r.run_id}", show_header=False)
    before = r.total - r.processed - r.remaining
    rows = [
        ("products", f"{r.total}" + (f" (resumed: {before} done before)" if r.resumed else "")),
        ("generated", f"{r.generated}  (fixed {r.fixed}, fallback {r.fallback}, blocked {r.blocked})"),
        ("skipped (unchanged)", str(r.skipped)),
        ("failed", f"{r.failed}  ({r.failure_rate:.2%})"),
        ("served from cache now", str(r.cached)),
        ("left", str(r.remaining)),
        ("tokens in / out", f"{r.prompt_tokens} / {r.completion_tokens}"),
        ("cost (USD)", f"{r.cost:.6f}"),
        ("time", f"{r.duration_s:.1f} s, {r.items_per_s:.1f} items/s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    for pid, error in r.errors.items():
        console.print(f"[red]failed[/red] {pid}: {error}")


def _fail(message: str, code: int) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)
