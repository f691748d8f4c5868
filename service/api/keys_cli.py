"""`commerce-guard keys create|list|revoke`."""

from __future__ import annotations

import typer
from rich.table import Table

keys_app = typer.Typer(no_args_is_help=True, help="API keys (stored hashed; a new key is shown once).")


@keys_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Who uses it, e.g. cs-tool"),
    scope: list[str] = typer.Option(..., "--scope", help="cs | content | metrics | admin (repeatable)"),
    rate: int = typer.Option(600, "--rate", min=1, help="Requests per minute"),
) -> None:
    from service.cli import _container, _fail, console, out

    try:
        secret = _container().api_keys.create(name, scope, rate)
    except ValueError as exc:
        _fail(str(exc))
    out.print(secret, markup=False)
    console.print(f"created key {name!r} with scopes {sorted(set(scope))}: store it now, it is not shown again")


@keys_app.command("list")
def list_keys() -> None:
    from service.cli import _container, out

    table = Table("name", "scopes", "rate/min", "prefix", title="API keys")
    for key in _container().api_keys.load():
        table.add_row(key.name, ",".join(key.scopes), str(key.rate_per_minute), key.prefix + "…")
    out.print(table)


@keys_app.command("revoke")
def revoke(name: str) -> None:
    from service.cli import _container, _fail, console

    if not _container().api_keys.revoke(name):
        _fail(f"no key named {name!r}", code=4)
    console.print(f"revoked {name!r}")
