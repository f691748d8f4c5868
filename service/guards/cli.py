"""`commerce-guard guard check`: audit a JSONL of texts, one report line per input line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from tqdm import tqdm

guard_app = typer.Typer(no_args_is_help=True, help="Run the output guards on existing text (no generation).")

ALL_CHECKS = ["banned_words", "pii", "grounding"]


@guard_app.command("check")
def check(
    input: Path = typer.Option(..., "--input", "-i", help='JSONL lines {"id", "text", "evidence": [str, ...]?}'),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL reports, same order as the input"),
    checks: list[str] = typer.Option(ALL_CHECKS, "--check", help="Repeatable; default all."),
) -> None:
    """Reports per line: verdict, grounding (claims), banned_words and pii spans."""
    from service.cli import _container, _fail, console

    unknown = sorted(set(checks) - set(ALL_CHECKS))
    if unknown:
        _fail(f"unknown check(s) {unknown}; choose from {ALL_CHECKS}")
    if not input.exists():
        _fail(f"{input}: file not found")
    lines = input.read_text(encoding="utf-8").splitlines()
    guards = _container().guards
    failed = errors = 0
    with output.open("w", encoding="utf-8") as sink:
        for line_no, line in enumerate(tqdm(lines, desc="checking", unit="text", disable=not sys.stderr.isatty()), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text, evidence = item["text"], item.get("evidence") or []
                if not isinstance(text, str) or not isinstance(evidence, list):
                    raise ValueError("'text' must be a string and 'evidence' a list of strings")
                report = {"id": item.get("id", line_no), **guards.check_text(text, [str(e) for e in evidence], checks)}
                failed += report["verdict"] == "fail"
            except (ValueError, KeyError, TypeError) as exc:
                errors += 1
                report = {"id": line_no, "error": f"{input}:{line_no}: {type(exc).__name__}: {exc}"}
            sink.write(json.dumps(report, ensure_ascii=False) + "\n")
    console.print(f"{len(lines)} line(s): {failed} failed the guards, {errors} invalid; reports in {output}")
    if errors:
        raise typer.Exit(1)
