"""CS-agent feedback on drafts (SQLite ``<data_dir>/feedback.db``) and its import as draft eval cases.

The feedback body carries only what the CS tool knows for sure: the request id
of the draft, the verdict (accepted | edited | rejected), the edited text and a
reason. The question and the original output are joined at import time from
``<data_dir>/responses.jsonl`` when that file exists: one JSON object per line
with at least ``request_id`` and, for the join to help, ``inputs`` (the task
inputs) and ``output`` (the envelope's output); a whole envelope dump plus an
``inputs`` key works. Nothing writes that file yet (response logging is a
separate decision); without it the draft cases carry the feedback only and are
tagged ``needs-inputs`` for the reviewer.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

VERDICTS = ("accepted", "edited", "rejected")
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,            -- UTC ISO 8601, sortable
    request_id TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'edited', 'rejected')),
    edited_text TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS feedback_request ON feedback (request_id);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created_at);
"""


@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: str
    request_id: str
    verdict: str
    edited_text: str | None
    reason: str | None


class FeedbackStore:
    """One short connection per call: safe from FastAPI's worker threads and from the CLI at once (WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.path), timeout=10, isolation_level=None)

    def add(self, request_id: str, verdict: str, edited_text: str | None = None, reason: str | None = None,
            now: datetime | None = None) -> Feedback:
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
        with self._lock, closing(self._connect()) as db:
            cur = db.execute("INSERT INTO feedback (created_at, request_id, verdict, edited_text, reason) "
                             "VALUES (?, ?, ?, ?, ?)", (created, request_id, verdict, edited_text, reason))
            return Feedback(int(cur.lastrowid), created, request_id, verdict, edited_text, reason)

    def list(self, verdicts: tuple[str, ...] = VERDICTS, since: str | None = None) -> list[Feedback]:
        query = f"SELECT * FROM feedback WHERE verdict IN ({','.join('?' * len(verdicts))})"
        args: list[Any] = list(verdicts)
        if since:
            query, args = query + " AND created_at >= ?", args + [since]
        with closing(self._connect()) as db:
            return [Feedback(*row) for row in db.execute(query + " ORDER BY id", args).fetchall()]


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "feedback.db"


def store_for(data_dir: Path) -> FeedbackStore:
    return FeedbackStore(db_path(data_dir))


def normalize_since(value: str | None) -> str | None:
    """'2026-11-01' or an ISO datetime -> the stored UTC ISO form, for string comparison."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------- draft cases


def read_responses(path: Path) -> dict[str, dict[str, Any]]:
    """request_id -> logged response (later lines win); a missing file is an empty log."""
    found: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line must not stop the import
        if isinstance(item, dict) and item.get("request_id"):
            found[str(item["request_id"])] = item
    return found


def draft_cases(feedback: list[Feedback], responses: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One draft case per edited or rejected draft, for a person to review before it joins
    ``evals/cases/cs_answer.jsonl``: the edited text is the reference and its numbers the
    required facts; sentences the agent removed (or a rejected answer's sentences) become
    must_not_include."""
    from service.nlp.claims import split_claims, strip_citations
    from service.nlp.numbers import extract_quantities

    for fb in feedback:
        if fb.verdict not in ("edited", "rejected"):
            continue
        logged = responses.get(fb.request_id, {})
        inputs = logged.get("inputs") or {}
        answer = strip_citations(str((logged.get("output") or {}).get("answer") or ""))
        edited = (fb.edited_text or "").strip()
        original = [c.text for c in split_claims(answer)]
        kept = _squash(edited)
        removed = [s for s in original if _squash(s) not in kept and len(s) <= 120]
        facts = list(dict.fromkeys(q.text for q in extract_quantities(edited)))
        tags = ["feedback", "draft", fb.verdict] + ([] if inputs else ["needs-inputs"])
        yield {
            "id": f"fb-{fb.id}",
            "inputs": inputs,
            "must_include": facts,
            "must_not_include": removed,
            "expect_handoff": False if edited else None,
            "reference": edited or None,
            "tags": tags,
            "source": {"feedback_id": fb.id, "request_id": fb.request_id, "verdict": fb.verdict,
                       "reason": fb.reason, "created_at": fb.created_at, "original_answer": answer or None},
        }


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
