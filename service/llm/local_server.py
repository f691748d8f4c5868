"""Start, wait for and stop the optional local model server (llama-cpp-python's OpenAI-compatible server).

The server runs from its own virtualenv (``.llm-venv``, built by ``make llm``): it is never
a dependency of the project's venv. Measured settings (STACK_NOTES): one thread, n_ctx 4096,
requests not interrupted (llama.cpp serves one at a time), no mlock.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from service.datafiles import private_file

STOP_GRACE_S = 3.0  # SIGTERM waits for an abandoned request to finish computing: kill after this


class LocalServerError(RuntimeError):
    """The model server could not be started or did not become ready."""


def default_log_path() -> Path:
    from service.config import get_settings

    return get_settings().data_dir / "logs" / "llm-server.log"


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def command(model_path: Path, alias: str, port: int, llm_python: Path, n_ctx: int = 4096, threads: int = 1,
            host: str = "127.0.0.1") -> list[str]:
    return [
        str(llm_python), "-m", "llama_cpp.server",
        "--model", str(model_path), "--host", host, "--port", str(port),
        "--n_threads", str(threads), "--n_threads_batch", str(threads), "--n_ctx", str(n_ctx),
        "--interrupt_requests", "False", "--model_alias", alias, "--use_mlock", "False",
    ]  # fmt: skip


def start(model_path: Path, alias: str, port: int, llm_python: Path, n_ctx: int = 4096, threads: int = 1,
          host: str = "127.0.0.1", log_path: Optional[Path] = None) -> subprocess.Popen:
    """Start the server in the background; its output goes to ``log_path`` (``<data_dir>/logs/llm-server.log``).

    The returned Popen carries ``log_path``. Fails at once if the port is already taken: polling
    it would otherwise find somebody else's server ready.
    """
    if port_in_use(host, port):
        raise LocalServerError(f"port {port} on {host} is already in use (another model server?); choose another --llm-port")
    log_path = Path(log_path or default_log_path())
    private_file(log_path)  # 0600: the model server may log prompts
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)  # the service pins 1 for itself; the server follows --threads
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            command(model_path, alias, port, llm_python, n_ctx=n_ctx, threads=threads, host=host),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,  # Ctrl-C reaches the API only; the model server is stopped by stop()
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    proc.log_path = log_path  # type: ignore[attr-defined]
    return proc


def wait_ready(base_url: str, timeout_s: float, proc: Optional[subprocess.Popen] = None,
               log_path: Optional[Path] = None, interval_s: float = 0.5) -> float:
    """Poll ``<base_url>/models`` until it answers 200; return the seconds waited.

    ``base_url`` ends in ``/v1``. If ``proc`` exits first, or the timeout passes, raise with
    the tail of the server's log.
    """
    log_path = log_path or getattr(proc, "log_path", None)
    url = base_url.rstrip("/") + "/models"
    t0 = time.monotonic()
    while True:
        if proc is not None and proc.poll() is not None:
            raise LocalServerError(
                f"the model server exited with code {proc.returncode} before it was ready" + _tail(log_path)
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    json.load(resp)
                    return time.monotonic() - t0
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError, OSError):
            pass
        if time.monotonic() - t0 > timeout_s:
            raise LocalServerError(f"the model server was not ready at {url} after {timeout_s:.0f} s" + _tail(log_path))
        time.sleep(interval_s)


def stop(proc: Optional[subprocess.Popen], grace_s: float = STOP_GRACE_S) -> Optional[int]:
    """SIGTERM, wait up to ``grace_s``, then SIGKILL; return the exit code (None if nothing ran)."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _tail(log_path: Optional[Path], lines: int = 20) -> str:
    if log_path is None or not Path(log_path).is_file():
        return ""
    text = Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log_path} ---\n" + "\n".join(text)


def _die_with_parent() -> None:
    """In the child (Linux): receive SIGKILL when the process that started it dies, however it dies."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # noqa: BLE001 - best effort: stop() remains the normal path
        pass
