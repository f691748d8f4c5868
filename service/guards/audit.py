"""Audit log of every blocked, fixed or fallen-back output (SQLite under data_dir).

Each row names the failures behind every action: the failed checks of the attempt
that caused each fix, reask, refrain or handoff (the final output of a fixed answer
passes, so its own checks say nothing), and the reason of a backend fallback.
What is stored is already redacted: check names, verdicts, actions and the failing
claims, shortened, with personal data replaced by placeholders.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.datafiles import private_file
from service.guards.pii import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    request_id TEXT NOT NULL,
    task TEXT NOT NULL,
    verdict TEXT NOT NULL,
    actions TEXT NOT NULL,
    failures TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_created ON audit (created_at);
"""
CLAIM_CHARS = 80  # enough to recognise a claim, not to republish the output


@dataclass
class Trail:
    """The guard actions of one request, each with the failed checks that caused it."""

    steps: list[tuple[str, list]] = field(default_factory=list)

    def add(self, action: str, checks: list) -> None:
        self.steps.append((action, [c.model_copy(deep=True) for c in checks if c.verdict == "fail"]))

    def failures(self) -> list[dict[str, Any]]:
        """Each step's failed output checks, redacted and shortened as the audit log keeps them."""
        return [{**_failure("output", c), "action": action, "step": n}
                for n, (action, checks) in enumerate(self.steps, start=1) for c in checks]


class AuditLog:
    def __init__(self, path: Path):
        private_file(path)  # 0600 before SQLite opens it: its -wal/-shm files follow
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def record(self, envelope, trail: Trail | None = None) -> None:
        guard = envelope.guard
        failures = [_failure("input", c) for c in guard.input if c.verdict == "fail"]
        if trail and trail.steps:  # a failed final output is the last step's: not listed twice
            failures += trail.failures()
        else:
            failures += [_failure("output", c) for c in guard.output if c.verdict == "fail"]
        if envelope.backend.fallback:
            failures.append({"direction": "backend", "check": "llm", "action": "fallback",
                             "details": [{"reason": envelope.backend.fallback_reason or "unknown"}]})
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (created_at, request_id, task, verdict, actions, failures) VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), envelope.request_id, envelope.task, guard.verdict, json.dumps(guard.actions),
                 json.dumps(failures, ensure_ascii=False)),
            )

    def recent(self, limit: int = 20, task: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT created_at, request_id, task, verdict, actions, failures FROM audit"
        args: tuple = ()
        if task:
            query, args = query + " WHERE task = ?", (task,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [{"created_at": r[0], "request_id": r[1], "task": r[2], "verdict": r[3],
                 "actions": json.loads(r[4]), "failures": json.loads(r[5])} for r in rows]


def _failure(direction: str, check) -> dict[str, Any]:
    details = []
    for d in check.details:
        item = {k: v for k, v in d.items()
                if k in ("verdict", "reason", "type", "category", "term", "list_action", "signal", "field", "item")}
        if "text" in d:
            item["text"] = _short(redact(str(d["text"]))[0])
        if d.get("verdict", "fail") != "supported":
            details.append(item)
    return {"direction": direction, "check": check.check, "action": check.action, "details": details}


def _short(text: str) -> str:
    return text if len(text) <= CLAIM_CHARS else text[: CLAIM_CHARS - 1] + "…"
