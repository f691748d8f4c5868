"""Shared bench plumbing: one thread, a private data dir, percentiles."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import service  # noqa: E402,F401
from service.config import PROJECT_ROOT, Settings  # noqa: E402

BENCH_DATA = PROJECT_ROOT / "bench" / "data"


def private_settings(name: str, **overrides) -> Settings:
    """Settings with their own data dir, so a benchmark never touches var/."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"cg-bench-{name}-"))
    return Settings(data_dir=data_dir, **overrides)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    line = "| " + " | ".join(c.ljust(widths[c]) for c in columns) + " |"
    sep = "|" + "|".join("-" * (widths[c] + 2) for c in columns) + "|"
    body = ["| " + " | ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) + " |" for r in rows]
    return "\n".join([line, sep, *body])
