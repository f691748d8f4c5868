"""Private data files: what the service writes under the data dir is readable by its owner only.

Feedback, the audit log, the caches and the batch checkpoints hold customers' questions
(redacted) and business data; a world-readable file (mode 644 under the default umask)
would hand them to every local account. So directories the service creates are 0700 and
its files 0600, whatever the umask. SQLite creates a database's -wal and -shm files with
the database file's own mode, so a database created here stays private with its journal.
Existing files are tightened too (a data dir written before this change).
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path | str) -> Path:
    """Create the directory (and its parents) owner-only; tighten it when it exists."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create an empty owner-only file unless it exists (then tighten it); its directory too."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        pass  # not ours to change (another owner, a read-only mount): leave it as it is
