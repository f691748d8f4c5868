"""Resumable progress of one batch run: an append-only JSONL under <data_dir>/batch/<run-id>/.

One line per finished product, written the moment it finishes, so a crash or
Ctrl-C loses nothing and a re-run of the same selection resumes the unfinished
run, skipping every recorded product. Each line is flushed to the OS at once (a
killed process loses nothing) and fsynced at most every FSYNC_S: a machine crash
can only lose the last fraction of a second, whose products are then simply
redone (the cache write is idempotent). A run is finished once report.json
exists; --fresh marks the unfinished ones abandoned.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from filelock import FileLock, Timeout

from service.datafiles import private_dir, private_file

RECORDS, REPORT, LOCK, ABANDONED = "progress.jsonl", "report.json", "run.lock", "abandoned"
FSYNC_S = 0.5


class RunBusy(RuntimeError):
    """Another process is working on this run."""


def run_prefix(job: str, mode: str, ids: list[str]) -> str:
    """Runs over the same selection share a prefix: that is how a re-run finds the run to resume."""
    digest = hashlib.sha1(json.dumps([job, mode, ids]).encode()).hexdigest()[:12]
    return f"{job}-{digest}"


class Checkpoint:
    def __init__(self, directory: Path, resumed: bool):
        self.directory = directory
        self.resumed = resumed
        self._lock = FileLock(str(directory / LOCK))
        try:
            self._lock.acquire(timeout=0)  # flock: released by the kernel if the process dies
        except Timeout:
            raise RunBusy(f"run {directory.name} is in progress in another process") from None
        self.records: dict[str, dict[str, Any]] = self._load()
        self._file = open(private_file(directory / RECORDS), "a", encoding="utf-8")  # 0600
        self._synced_at = time.monotonic()

    @classmethod
    def open(cls, root: Path, prefix: str, fresh: bool = False) -> "Checkpoint":
        """The newest unfinished run with this prefix, or a new one."""
        private_dir(root)
        unfinished = sorted(d for d in root.glob(f"{prefix}-*")
                            if d.is_dir() and not (d / REPORT).exists() and not (d / ABANDONED).exists())
        if unfinished and not fresh:
            return cls(unfinished[-1], resumed=True)
        for directory in unfinished:  # --fresh: never resume these later either
            (directory / ABANDONED).touch()
        now = time.time()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{now % 1:.6f}"[1:]
        directory = root / f"{prefix}-{stamp}"
        directory.mkdir(mode=0o700)
        return cls(directory, resumed=False)

    @property
    def run_id(self) -> str:
        return self.directory.name

    def _load(self) -> dict[str, dict[str, Any]]:
        path = self.directory / RECORDS
        if not path.exists():
            return {}
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            # A kill mid-write leaves a torn last line: cut it so the next line starts clean.
            data = data[: data.rfind(b"\n") + 1]
            with open(path, "r+b") as f:
                f.truncate(len(data))
        records: dict[str, dict[str, Any]] = {}
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records[record["id"]] = record
        return records

    def append(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        self.records[record["id"]] = record
        if time.monotonic() - self._synced_at >= FSYNC_S:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._file.fileno())
        self._synced_at = time.monotonic()

    def export(self, path: Path, ids: Iterable[str]) -> int:
        """The recorded products in selection order, one line each, written atomically."""
        tmp = path.with_name(path.name + ".tmp")
        count = 0
        with open(tmp, "w", encoding="utf-8") as f:
            for pid in ids:
                if pid in self.records:
                    f.write(json.dumps(self.records[pid], ensure_ascii=False) + "\n")
                    count += 1
        os.replace(tmp, path)
        return count

    def finish(self, report: dict[str, Any]) -> None:
        """Mark the run complete: the next invocation with this selection starts a new run."""
        self.sync()
        tmp = self.directory / (REPORT + ".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, self.directory / REPORT)

    def close(self) -> None:
        if not self._file.closed:
            self.sync()
            self._file.close()
        self._lock.release()
