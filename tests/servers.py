"""Real servers as child processes for tests: Chroma (`chroma run`), Redis, and the service itself.

Each start function waits until the server answers and returns (process, url);
stop() kills and reaps it. Ports come from the OS.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early with code {proc.returncode}")
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001  not listening yet
            pass
        time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"{what} did not start within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def start_chroma(path: Path, port: int | None = None, timeout_s: float = 30) -> tuple[subprocess.Popen, str]:
    chroma = shutil.which("chroma", path=str(BIN))
    assert chroma, "the chroma CLI ships with the chromadb package"
    port = port or free_port()
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200, proc, "chroma run", timeout_s)
    return proc, url


def redis_server() -> str | None:
    return shutil.which("redis-server")


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    import redis

    port = free_port()
    proc = subprocess.Popen([redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    wait_until(lambda: redis.Redis.from_url(url, socket_timeout=1).ping(), proc, "redis-server", 10)
    return proc, url


def start_service(env: dict[str, str], log: Path, workers: int = 1,
                  timeout_s: float = 120) -> tuple[subprocess.Popen, str]:
    """`commerce-guard serve` with ``env`` on top of this process's environment, ready to answer."""
    port = free_port()
    with open(log, "w") as stderr:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([str(BIN / "commerce-guard"), "serve", "--port", str(port), "--workers", str(workers)],
                                env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, proc, "commerce-guard serve", timeout_s)
    return proc, url


def commerce_guard(*args: str, env: dict[str, str], timeout_s: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "commerce-guard"), *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout_s)


def stop_tree(proc: subprocess.Popen, timeout_s: float = 30) -> None:
    """Stop a server that has worker processes (`serve --workers N`): SIGTERM lets uvicorn's
    supervisor stop its workers; any child still alive after that is killed."""
    children = _children(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for pid in children:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the field after the state is the parent pid
            found.append(int(stat.parent.name))
    return found
