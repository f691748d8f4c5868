"""The ``commerce-guard`` command line: serve, ingest, search (and more later).

Every command runs in-process against the same components as the REST API.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

import service  # noqa: F401  (offline environment first)
from service.config import ENV_PREFIX

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Guarded LLM/RAG service for commerce content.")
console = Console(stderr=True)
out = Console()


@app.callback()
def main(
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", envvar=f"{ENV_PREFIX}DATA_DIR", help="Directory for all state (index, caches, logs)."
    ),
) -> None:
    if data_dir is not None:
        # Through the environment so that servers and workers started from here agree.
        os.environ[f"{ENV_PREFIX}DATA_DIR"] = str(data_dir)


def _container():
    from service.config import get_settings
    from service.container import Container

    return Container(get_settings())


def _fail(message: str, code: int = 2) -> None:
    _print_error(message)
    raise typer.Exit(code)


def _print_error(message: str) -> None:
    # Raw text, unwrapped: messages hold paths and [brackets] that rich would mangle.
    console.print("[red]error:[/red]", end=" ")
    console.print(message, markup=False, highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files to index; default: the sample knowledge base."),
    collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Index PATHS as generic documents into this collection."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Index products, FAQ/policies, style notes or generic documents (idempotent, atomic)."""
    from service.retrieval.ingest import run_ingest
    from service.retrieval.loaders import RecordError, default_sources, infer_source

    container = _container()
    try:
        sources = [infer_source(p, collection) for p in paths] if paths else default_sources(container.settings.knowledge_dir)
        summaries = run_ingest(container, sources, show_progress=not quiet and sys.stderr.isatty())
    except RecordError as exc:
        _fail(str(exc))
    table = Table("collection", "added", "updated", "deleted", "unchanged", "generation", title="ingest")
    for s in summaries:
        table.add_row(s.collection, str(s.added), str(s.updated), str(s.deleted), str(s.unchanged), s.generation or "-")
    console.print(table)


@app.command()
def search(
    query: Optional[str] = typer.Argument(None, help="The query text."),
    collection: list[str] = typer.Option(None, "--collection", "-c", help="Collections to search (repeatable); default all."),
    k: int = typer.Option(5, "--k", min=1, max=100),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per hit: id, score, title."),
    queries: Optional[Path] = typer.Option(None, "--queries", help='JSONL of {"id","text"}: one output line per query.'),
) -> None:
    """Hybrid search (BM25 over Korean morphemes + dense) over the index."""
    if (query is None) == (queries is None):
        _fail("give either QUERY or --queries FILE.jsonl")
    container = _container()
    retriever = container.retriever
    names = collection or sorted(retriever.collections())
    if not names:
        _fail("the index is empty: run `commerce-guard ingest` first", code=3)
    if queries is not None:
        for line_no, item in _read_queries(queries):
            result = retriever.search(item["text"], names, k=k, min_evidence=0.0)
            hits = [{"id": h.id, "score": h.score, "title": h.title} for h in result.hits]
            out.print_json(json.dumps({"query_id": item["id"], "hits": hits}, ensure_ascii=False), indent=None)
        return
    result = retriever.search(query, names, k=k)
    if as_json:
        for h in result.hits:
            out.print_json(json.dumps({"id": h.id, "score": h.score, "title": h.title}, ensure_ascii=False), indent=None)
    elif result.hits:
        _print_hits(result)
    if result.insufficient:
        console.print(f"[yellow]insufficient evidence:[/yellow] {result.reason}")


def _read_queries(path: Path):
    if not path.exists():
        _fail(f"{path}: file not found")
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item.get("text"), str) or "id" not in item:
                raise ValueError("needs string 'text' and an 'id'")
        except (ValueError, AttributeError) as exc:
            _fail(f"{path}:{line_no}: {exc}")
        yield line_no, item


def _print_hits(result) -> None:
    table = Table("#", "id", "collection", "score", "evidence", "title")
    for rank, h in enumerate(result.hits, start=1):
        table.add_row(str(rank), h.id, h.collection, f"{h.score:.4f}", f"{h.evidence:.2f}", h.title)
    out.print(table)


ask_app = typer.Typer(no_args_is_help=True, help="Run one task through the pipeline (same path as REST).")
app.add_typer(ask_app, name="ask")
from service.batch.cli import batch_app  # noqa: E402

app.add_typer(batch_app, name="batch")

from service.api.keys_cli import keys_app  # noqa: E402
from service.cache.cli import cache_app  # noqa: E402
from service.guards.cli import guard_app  # noqa: E402  (light: imports guards only when run)

app.add_typer(guard_app, name="guard")
app.add_typer(cache_app, name="cache")
app.add_typer(keys_app, name="keys")

from service.evals.cli import eval_app  # noqa: E402  (light: the harness loads only when run)

app.add_typer(eval_app, name="eval")
from service.llm.cli import llm_app  # noqa: E402  (light: the model server starts only when run)
app.add_typer(llm_app, name="llm")


def _ask(task: str, inputs: dict, as_json: bool) -> None:
    from pydantic import ValidationError

    from service.evidence import NotFound

    inputs = {k: v for k, v in inputs.items() if v is not None}
    try:
        envelope = _container().pipeline.run(task, inputs)
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    except NotFound as exc:
        _fail(str(exc), code=4)
    if as_json:
        out.print_json(envelope.model_dump_json())
        return
    from service.cli_render import render_envelope

    render_envelope(out, envelope)


@ask_app.command("summary")
def ask_summary(product_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Product summary: commerce-guard ask summary P001"""
    _ask("summary", {"product_id": product_id}, as_json)


@ask_app.command("styling")
def ask_styling(
    product_id: str,
    occasion: Optional[str] = typer.Option(None, help="e.g. 출근, 하객, 데이트"),
    season: Optional[str] = typer.Option(None, help="봄 | 여름 | 가을 | 겨울"),
    budget: Optional[int] = typer.Option(None, help="KRW for the added items of one outfit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Outfit suggestions: commerce-guard ask styling P001 --occasion 출근"""
    _ask("styling", {"product_id": product_id, "occasion": occasion, "season": season, "budget": budget}, as_json)


@ask_app.command("cs")
def ask_cs(
    question: str,
    order_context: Optional[str] = typer.Option(None, "--order-context"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """CS answer draft: commerce-guard ask cs '교환 배송비 얼마예요?'"""
    _ask("cs_answer", {"question": question, "order_context": order_context}, as_json)


@app.command()
def audit(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000),
    task: Optional[str] = typer.Option(None, "--task"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recent blocked, fixed and fallen-back outputs (personal data redacted)."""
    rows = _container().audit.recent(limit, task)
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, ensure_ascii=False), indent=None)
        return
    import datetime

    table = Table("time (UTC)", "request", "task", "verdict", "actions", "failures", title="audit")
    for r in rows:
        when = datetime.datetime.fromtimestamp(r["created_at"], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        failures = "; ".join(f"{f['direction']}:{f['check']}" for f in r["failures"])
        table.add_row(when, r["request_id"][:12], r["task"], r["verdict"], ",".join(r["actions"]), failures)
    out.print(table)


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Bind address (default from settings: 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, help="Port (default from settings: 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (more than 1 needs CG_CHROMA_URL: embedded Chroma is single-process)."),
) -> None:
    """Start the REST API."""
    run_api(host, port, workers)


def run_api(host: Optional[str] = None, port: Optional[int] = None, workers: int = 1) -> None:
    """Check the task specs, then run uvicorn in the foreground (also used by `llm serve`)."""
    import uvicorn

    from service.config import get_settings
    from service.observability.logs import configure
    from service.tasks.spec import load_specs
    from service.tasks.validation import SpecError

    configure()
    settings = get_settings()
    try:  # before uvicorn: a bad spec is one clear line and exit 2, not a worker's traceback
        load_specs(prompts_dir=settings.prompts_dir)
    except SpecError as exc:
        _fail(f"invalid task spec: {exc}")
    if workers > 1 and not settings.chroma_url:
        _fail("several workers need a Chroma server (set CG_CHROMA_URL); the embedded store is not multi-process safe")
    if workers > 1:  # /metrics adds up every worker's samples (prometheus_client multiprocess mode)
        from service.observability.metrics import use_multiprocess_dir

        use_multiprocess_dir(settings.data_dir)
    uvicorn.run("service.api.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, log_level="info", access_log=False,  # our JSON access log replaces it
                # uvicorn would believe X-Forwarded-For from 127.0.0.1; the app applies CG_TRUSTED_PROXIES itself
                proxy_headers=False,
                # a worker's warm-up (Kiwi, the embedder, evidence analysis) can hold the GIL past uvicorn's
                # 5 s health ping on a busy host, and the supervisor then kills and restarts it for ever
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)


WORKER_HEALTHCHECK_S = 120  # uvicorn's supervisor: seconds a worker may take to answer its ping
INDEX_UNAVAILABLE = 5  # exit code: Chroma unreachable, or the embedded index open in another process
BAD_OPTIONS = 2  # exit code: bad options, an invalid task spec among them


def entry() -> None:
    """The console script: every command, plus the failures any of them can meet."""
    from service.retrieval.errors import IndexUnavailable
    from service.tasks.validation import SpecError

    try:
        app()
    except IndexUnavailable as exc:
        _print_error(str(exc))
        sys.exit(INDEX_UNAVAILABLE)
    except SpecError as exc:
        _print_error(f"invalid task spec: {exc}")
        sys.exit(BAD_OPTIONS)



if __name__ == "__main__":
    entry()
