"""One process at a time owns an embedded Chroma directory.

Chroma's PersistentClient is not process-safe: measured here, even a search
rewrites its HNSW files and SQLite database when the client opens. Two processes
on one directory (the server and a nightly batch, or an ingest run beside the
server) are two writers. So the first process to open the directory claims it
with a file lock until it exits (the kernel releases the lock when the process
dies, even by SIGKILL); any other process gets StoreBusy with the owner's pid
and what to do instead. A Chroma server (CG_CHROMA_URL) has no such limit.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from filelock import FileLock, Timeout

_held: dict[str, FileLock] = {}  # directory -> lock held by this process
_guard = threading.Lock()


class StoreBusy(RuntimeError):
    """The embedded index is open in another process."""


def claim(directory: Path) -> None:
    """Own ``directory`` for the rest of this process, or raise StoreBusy. Idempotent."""
    directory = Path(directory).resolve()
    key = str(directory)
    with _guard:
        if key in _held:
            return
        directory.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(_sidecar(directory, "owner.lock")))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise StoreBusy(_busy_message(directory)) from None
        _sidecar(directory, "owner.pid").write_text(str(os.getpid()), encoding="utf-8")
        _held[key] = lock


def _sidecar(directory: Path, suffix: str) -> Path:
    # Beside the directory, not inside it: Chroma owns its directory's contents.
    return directory.with_name(f"{directory.name}.{suffix}")


def _busy_message(directory: Path) -> str:
    owner = _owner(directory)
    return (f"the embedded index {directory} is open in another process{owner}. Embedded Chroma is "
            "single-process: stop that process, use POST /v1/admin/reindex on a running server instead of "
            "`ingest`, or run a Chroma server (`chroma run`) and set CG_CHROMA_URL for every process")


def _owner(directory: Path) -> str:
    try:
        pid = int(_sidecar(directory, "owner.pid").read_text(encoding="utf-8"))
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (OSError, ValueError):
        return ""
    return f" (pid {pid}: {command[:120]})" if command else f" (pid {pid})"
