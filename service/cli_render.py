"""Pretty terminal rendering of a response envelope (for `commerce-guard ask`)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from service.envelope import Envelope


def render_envelope(console: Console, env: Envelope) -> None:
    body = _body(env)
    subtitle = f"{env.backend.name}/{env.backend.model}" + (" (fallback)" if env.backend.fallback else "")
    console.print(Panel(body, title=f"{env.task} · guard {env.guard.verdict}", subtitle=subtitle))
    if env.citations:
        table = Table("id", "snippet", title="citations")
        for c in env.citations:
            table.add_row(c.id, c.snippet)
        console.print(table)
    checks = Table("direction", "check", "verdict", "score", "action", title="guard report")
    for direction, results in (("input", env.guard.input), ("output", env.guard.output)):
        for r in results:
            checks.add_row(direction, r.check, r.verdict, "" if r.score is None else f"{r.score:.2f}", r.action)
    console.print(checks)
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in env.timings_ms.items())
    console.print(f"prompt {env.prompt_version} · cache {env.cache.status} · tokens "
                  f"{env.usage.prompt_tokens}+{env.usage.completion_tokens} · cost ${env.usage.cost:.6f} · {timings}")
    if env.insufficient_evidence or env.reason:
        console.print(f"[yellow]{env.reason}[/yellow]")


def _body(env: Envelope) -> str:
    out = env.output
    if env.task == "summary":
        facts = "\n".join(f"• {f['label']}: {f['value']} [{f['citation']}]" for f in out.get("key_facts", []))
        return f"{out.get('summary', '')}\n\n{facts}"
    if env.task == "cs_answer":
        flag = "상담원 연결(handoff)" if out.get("handoff") else f"confidence {out.get('confidence', 0):.2f}"
        return f"{out.get('answer', '')}\n\n[{flag}]"
    if env.task == "styling":
        if not out.get("outfits"):
            return "조건에 맞는 코디를 만들 근거가 부족합니다."
        return "\n\n".join(f"{o['title']}\n  상품: {', '.join(o['items'])}\n  {o['reason']}" for o in out["outfits"])
    return json.dumps(out, ensure_ascii=False, indent=2)
