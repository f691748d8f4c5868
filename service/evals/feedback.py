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

Personal data: the free text (edited text, reason) is redacted (service.guards.pii)
before it is stored, and again when drafts are made (rows stored before redaction
existed). Feedback is accepted only for a CS answer draft this service issued: the
REST answer route records each draft's request id in the ``issued`` table (kept
ISSUED_DAYS days), so an invented id cannot plant text. The file is created 0600.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from service.datafiles import private_file
from service.guards.pii import redact

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
CREATE TABLE IF NOT EXISTS issued (     -- request ids of the drafts this service issued
    request_id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS issued_created ON issued (created_at);
"""
ISSUED_DAYS = 30  # feedback on a draft older than this is refused (its id is forgotten)
_PRUNE_EVERY = 500  # issued ids recorded between two prunes, per process


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
        self.path = private_file(path)  # 0600 before SQLite opens it: its -wal/-shm files follow
        self._lock = threading.Lock()
        self._issued_since_prune = 0
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per insert (a crash may lose the last ids)
        return db

    def issue(self, request_id: str, task: str, now: datetime | None = None) -> None:
        """Record a draft's request id, so that feedback on it is accepted."""
        moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        with self._lock, closing(self._connect()) as db:
            db.execute("INSERT OR IGNORE INTO issued (request_id, task, created_at) VALUES (?, ?, ?)",
                       (request_id, task, moment.isoformat(timespec="seconds")))
            self._issued_since_prune += 1
            if self._issued_since_prune >= _PRUNE_EVERY:
                self._issued_since_prune = 0
                cutoff = (moment - timedelta(days=ISSUED_DAYS)).isoformat(timespec="seconds")
                db.execute("DELETE FROM issued WHERE created_at < ?", (cutoff,))

    def issued(self, request_id: str, now: datetime | None = None) -> bool:
        """True when this service issued the draft within ISSUED_DAYS."""
        cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=ISSUED_DAYS)).astimezone(timezone.utc)
        with closing(self._connect()) as db:
            row = db.execute("SELECT 1 FROM issued WHERE request_id = ? AND created_at >= ?",
                             (request_id, cutoff.isoformat(timespec="seconds"))).fetchone()
        return row is not None

    def add(self, request_id: str, verdict: str, edited_text: str | None = None, reason: str | None = None,
            now: datetime | None = None) -> Feedback:
        """Store a verdict; the free text is redacted first (never stored as given)."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        edited_text, reason = _redacted(edited_text), _redacted(reason)
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


def _redacted(text: str | None) -> str | None:
    return redact(text)[0] if text else text


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)[0]
    if isinstance(value, dict):
        return {k: _redact_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v) for v in value]
    return value


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
        inputs = _redact_strings(logged.get("inputs") or {})  # a response log written by others may hold raw text
        answer = redact(strip_citations(str((logged.get("output") or {}).get("answer") or "")))[0]
        edited = (_redacted(fb.edited_text) or "").strip()  # rows stored before redaction existed
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
                       "reason": _redacted(fb.reason), "created_at": fb.created_at, "original_answer": answer or None},
        }


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
