"""``commerce-guard eval``: run the evals and gate, and ``eval import-feedback``.

Module-level imports stay light (typer, rich) because the main CLI imports this
at startup; the pipeline and the scorers load inside the commands.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

eval_app = typer.Typer(add_completion=False, help="Evals: score every case through the pipeline, compare, gate.")
console = Console(stderr=True)

STATUS_STYLE = {"pass": "green", "warn": "yellow", "below_threshold": "bold red", "regressed": "bold red", "n/a": "dim"}


class Backend(str, Enum):
    offline = "offline"
    llm = "llm"


@eval_app.callback(invoke_without_command=True)
def eval_main(
    ctx: typer.Context,
    task: list[str] = typer.Option(None, "--task", "-t", help="summary | styling | cs_answer (repeatable); default all."),
    backend: Backend = typer.Option(Backend.offline, "--backend", help="offline: the offline composer; llm: the configured endpoint."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Baseline JSON; default evals/baselines/<backend>.json."),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir", help="Default <data_dir>/eval-reports/<timestamp>/."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Write this run's scores as the new baseline."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N cases of each task."),
) -> None:
    """Run the eval cases through the pipeline; exit 1 when the gate fails."""
    if ctx.invoked_subcommand is not None:
        return
    from service.evals import report, runner
    from service.evals.dataset import EVALS_DIR, TASKS, DataError

    unknown = sorted(set(task or []) - set(TASKS))
    if unknown:
        _fail(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    container = _container(backend)
    if not container.retriever.collections():
        _fail("the index is empty: run `commerce-guard ingest` first", code=3)
    try:
        plans = runner.plan(task or None, limit)
    except DataError as exc:
        _fail(str(exc))
    baseline_path = baseline or EVALS_DIR / "baselines" / f"{backend.value}.json"
    if not baseline_path.exists() and not update_baseline:
        console.print(f"[yellow]no baseline at {baseline_path}: thresholds only[/yellow]")
    run = _run_with_progress(runner, container, plans, baseline_path, update_baseline, backend.value, limit)
    data = run.to_dict()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    paths = report.write_all(data, report_dir or container.settings.data_dir / "eval-reports" / stamp)
    _print_summary(data)
    console.print(f"reports: {paths['html']} (also report.md, report.json)")
    if run.baseline_updated:
        console.print(f"baseline written: {baseline_path}")
    if not run.gate.passed:
        console.print("[bold red]gate FAILED[/bold red]: " + "; ".join(run.gate.failures))
        raise typer.Exit(1)
    console.print("[green]gate passed[/green]")


@eval_app.command("import-feedback")
def import_feedback(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="JSONL file to write; default stdout."),
    since: Optional[str] = typer.Option(None, "--since", help="Only feedback from this ISO date/datetime (UTC) on."),
) -> None:
    """Turn edited and rejected CS-agent feedback into draft cs_answer cases (JSONL) for review.

    The question and the original answer come from <data_dir>/responses.jsonl when present."""
    from service.config import get_settings
    from service.evals.feedback import draft_cases, normalize_since, read_responses, store_for

    data_dir = get_settings().data_dir
    try:
        since_iso = normalize_since(since)
    except ValueError:
        _fail(f"--since {since!r} is not an ISO date or datetime")
    feedback = store_for(data_dir).list(("edited", "rejected"), since_iso)
    responses = read_responses(data_dir / "responses.jsonl")
    lines = [json.dumps(case, ensure_ascii=False) for case in draft_cases(feedback, responses)]
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    joined = sum(1 for f in feedback if f.request_id in responses)
    console.print(f"{len(lines)} draft case(s) from {len(feedback)} feedback record(s); "
                  f"{joined} joined with responses.jsonl" + ("" if output is None else f" -> {output}"))


# ------------------------------------------------------------------------ helpers


def _container(backend: Backend):
    from service.config import get_settings
    from service.container import Container

    settings = get_settings()
    if backend is Backend.offline:
        settings = settings.model_copy(update={"llm_base_url": None})
    elif not settings.llm_base_url:
        _fail("--backend llm needs an endpoint: set CG_LLM_BASE_URL (and CG_LLM_MODEL / CG_LLM_API_KEY)")
    return Container(settings)


def _run_with_progress(runner, container, plans, baseline_path, update_baseline, name, limit):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = sum(len(p.cases) for p in plans)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[case]}"))
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        bar = progress.add_task("eval", total=total, case="")
        return runner.run(container, plans, baseline_path=baseline_path, update_baseline=update_baseline,
                          baseline_name=name, limit=limit,
                          on_case=lambda task, case_id: progress.update(bar, advance=1, case=f"{task}/{case_id}"))


def _print_summary(data: dict) -> None:
    table = Table("task", "criterion", "mean", "n", "threshold", "gate", "baseline", "Δ", "status",
                  title=f"eval · {data['backend']} · {data['runtime_s']} s")
    for name, task in data["tasks"].items():
        for i, c in enumerate(task["criteria"]):
            style = STATUS_STYLE.get(c["status"], "")
            table.add_row(name if i == 0 else "", c["id"], _num(c["mean"]), str(c["n"]), f"{c['threshold']:.2f}",
                          "yes" if c["gate"] else "no", _num(c["baseline"]),
                          "" if c["delta"] is None else f"{c['delta']:+.3f}",
                          f"[{style}]{c['status']}[/{style}]" if style else c["status"])
        table.add_row("", "[b]overall[/b]", _num(task["overall"]), "", "", "", "", "", "", end_section=True)
    console.print(table)
    from service.evals.report import outcome_lines

    for name, task in data["tasks"].items():
        for line in outcome_lines(task.get("outcomes") or {}):
            if line:
                console.print(f"{name}: {line}", markup=False, highlight=False)
    skipped = {c["note"] for t in data["tasks"].values() for c in t["criteria"] if c.get("note")}
    for note in sorted(skipped):
        console.print(f"[dim]{note}[/dim]")


def _num(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)
