"""`commerce-guard cache stats|purge`."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

cache_app = typer.Typer(no_args_is_help=True, help="Inspect or purge the response cache.")


@cache_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Entries, hits and misses per task, and today's tokens and cost."""
    from service.cli import _container, out

    container = _container()
    cache, spend = container.cache.stats(), container.ledger.day()
    rows = {t: {**cache.get(t, {}), **spend.get(t, {})} for t in sorted(set(cache) | set(spend))}
    if as_json:
        out.print_json(json.dumps({"store": container.cache.store.name, "tasks": rows}))
        return
    table = Table("task", "entries", "hits", "misses", "hit ratio", "tokens today", "cost today ($)",
                  title=f"cache ({container.cache.store.name})")
    for task, r in rows.items():
        lookups = r.get("hit", 0) + r.get("miss", 0)
        ratio = f"{r.get('hit', 0) / lookups:.0%}" if lookups else "-"
        tokens = r.get("prompt_tokens", 0) + r.get("completion_tokens", 0)
        table.add_row(task, str(r.get("entries", 0)), str(r.get("hit", 0)), str(r.get("miss", 0)), ratio,
                      str(tokens), f"{r.get('cost', 0.0):.6f}")
    out.print(table)


@cache_app.command("purge")
def purge(
    task: Optional[str] = typer.Option(None, "--task", help="Only this task's entries."),
    prompt_version: Optional[str] = typer.Option(None, "--prompt-version", help="e.g. summary-v1 or summary-v1+ab12cd34ef"),
) -> None:
    """Delete cached responses (all, or by task and/or prompt version)."""
    from service.cli import _container, _fail, console

    container = _container()
    if task is not None and task not in container.pipeline.specs:
        _fail(f"unknown task {task!r}; known: {sorted(container.pipeline.specs)}")
    removed = container.cache.purge(task=task, prompt_version=prompt_version)
    console.print(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}")
