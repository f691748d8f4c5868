"""Eval reports from one run (``EvalRun.to_dict()``): JSON, Markdown and one
self-contained HTML file (inline CSS, inline SVG chart, no external assets) that
can be attached to a CI run and opened anywhere.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

MAX_OUTPUT_CHARS = 1500
STATUS_COLOR = {"pass": "#2e7d32", "warn": "#ef8f00", "below_threshold": "#c62828", "regressed": "#c62828",
                "n/a": "#9e9e9e"}


def write_all(run: dict[str, Any], directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "report.json", "markdown": directory / "report.md", "html": directory / "report.html"}
    raw = _take_raw_replies(run)
    if raw:
        # The model's pre-guard text, as labelling material for the guards' real-output sets.
        paths["raw"] = directory / "raw_outputs.jsonl"
        paths["raw"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raw), encoding="utf-8")
    paths["json"].write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(run), encoding="utf-8")
    paths["html"].write_text(html(run), encoding="utf-8")
    return paths


def outcome_lines(o: dict[str, Any]) -> list[str]:
    """Who answered (model or fallback, and why) and what the guards did, for runs with a model."""
    if not o.get("model_called"):
        return []
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(o["fallback_reasons"].items())) or "none"
    return ["", f"Model: called on {o['model_called']} of {o['cases']} cases; reply parsed and reached the guards "
                f"{o['reply_reached_guards']}; served as the model wrote it or fixed {o['answered_by_model']}; "
                f"fixed {o['fixed']}, reasked {o['reasked']}, refrained {o['refrained']}; fallbacks: {reasons}."]


def _take_raw_replies(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Moves every case's raw model replies out of the report (prompts are long) into their own list."""
    rows = []
    for task, data in run.get("tasks", {}).items():
        for case in data.get("cases", []):
            replies = case.pop("raw_replies", None) or []
            case["raw_reply_count"] = len(replies)
            for n, reply in enumerate(replies):
                envelope = case.get("envelope") or {}
                rows.append({"task": task, "case": case["id"], "call": n, "inputs": case.get("inputs"),
                             "served_backend": envelope.get("backend"), "guard": (envelope.get("guard") or {}).get("verdict"),
                             **reply})
    return rows


# ------------------------------------------------------------------- shared views


def failing_cases(task: dict[str, Any]) -> list[tuple[dict, list[tuple[dict, float]]]]:
    """Cases with at least one criterion score under that criterion's threshold."""
    out = []
    for case in task["cases"]:
        low = [(c, case["scores"][c["id"]]) for c in task["criteria"]
               if case["scores"].get(c["id"]) is not None and case["id"] in c["failing_cases"]]
        if low:
            out.append((case, low))
    return out


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _output_text(case: dict[str, Any]) -> str:
    if case["envelope"] is None:
        return case["error"] or "(no envelope)"
    text = json.dumps(case["envelope"]["output"], ensure_ascii=False, indent=1)
    return text if len(text) <= MAX_OUTPUT_CHARS else text[:MAX_OUTPUT_CHARS] + " …"


def _guard_lines(case: dict[str, Any]) -> list[str]:
    env = case["envelope"]
    if env is None:
        return []
    guard = env["guard"]
    lines = [f"verdict {guard['verdict']}; actions {', '.join(guard['actions']) or 'none'}; reason {env.get('reason') or '-'}"]
    for direction in ("input", "output"):
        for check in guard[direction]:
            score = "" if check.get("score") is None else f" {check['score']:.3f}"
            lines.append(f"{direction} {check['check']}: {check['verdict']}{score} ({check['action']})")
            if check["verdict"] == "fail":  # why it failed: the first few failing claims/terms/signals
                bad = [d for d in check["details"] if d.get("verdict", "fail") != "supported"][:3]
                lines += [f"  - {_detail(d)}" for d in bad]
    return lines


def _detail(d: dict[str, Any]) -> str:
    if "text" in d:
        return f"{d.get('verdict')}: \"{str(d['text'])[:80]}\" ({d.get('reason')})"
    return ", ".join(f"{k}={v}" for k, v in d.items() if k in ("term", "category", "type", "signal", "item", "reason", "field"))


# ----------------------------------------------------------------------- markdown


def markdown(run: dict[str, Any]) -> str:
    gate = run["gate"]
    out = [
        "# Eval report", "",
        f"- backend: `{run['backend']}`",
        f"- started: {run['started_at']} · runtime {run['runtime_s']} s" + (f" · limit {run['limit']}" if run["limit"] else ""),
        f"- baseline: `{run['baseline'] or 'none'}`" + (" (updated by this run)" if run["baseline_updated"] else ""),
        f"- gate: **{'PASSED' if gate['passed'] else 'FAILED'}**", "",
    ]
    out += [f"- {n}" for n in run.get("notes", [])]
    if gate["failures"]:
        out += ["## Gate failures", ""] + [f"- {f}" for f in gate["failures"]] + [""]
    for name, task in run["tasks"].items():
        out += [f"## {name} (overall {_fmt(task['overall'])}, {len(task['cases'])} cases, prompt {task['prompt_version']})", "",
                "| criterion | scorer | mean | n | threshold | gate | baseline | Δ | status |",
                "|---|---|---|---|---|---|---|---|---|"]
        for c in task["criteria"]:
            status = c["status"] + (f" ({c['note']})" if c.get("note") else "")
            if c.get("spread") is not None:
                status += f", judge spread {c['spread']:.3f}"
            out.append(f"| {c['id']} | {c['scorer']} | {_fmt(c['mean'])} | {c['n']} | {c['threshold']:.2f} | "
                       f"{'yes' if c['gate'] else 'no'} | {_fmt(c['baseline'])} | {_fmt(c['delta'], True)} | {status} |")
        out += outcome_lines(task.get("outcomes") or {})
        worse = [f"{c['id']}: {', '.join(c['worse_cases'])}" for c in task["criteria"] if c.get("worse_cases")]
        if worse:
            out += ["", "Cases scoring under their baseline score:", ""] + [f"- {w}" for w in worse]
        failures = failing_cases(task)
        out += ["", f"### Failing cases ({len(failures)})", ""]
        for case, low in failures:
            out += [f"#### {case['id']} ({', '.join(case['tags'])})", "",
                    f"- inputs: `{json.dumps(case['inputs'], ensure_ascii=False)}`"]
            for criterion, score in low:
                notes = "; ".join(case["notes"].get(criterion["id"], []))
                out.append(f"- **{criterion['id']}** {score:.3f} < {criterion['threshold']:.2f}" + (f": {notes}" if notes else ""))
            guard = _guard_lines(case) or ["(request rejected before the pipeline)"]
            out += ["- guard: " + guard[0]] + ["  - " + line.strip().removeprefix("- ") for line in guard[1:]]
            out += ["- evidence: " + (", ".join(e["id"] for e in case["evidence"]) or "none"), "", "```json",
                    _output_text(case), "```", ""]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- html

CSS = """
body{font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR",sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem;line-height:1.45}
h1{margin-bottom:.2rem}.meta{color:#555}.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1rem}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;
font-size:.9rem}th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}summary{cursor:pointer;font-weight:600}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;white-space:pre-wrap;font-size:.82rem}
.note{color:#a33}.ev{font-size:.85rem;color:#333}.ev b{font-family:monospace}
"""


def html(run: dict[str, Any]) -> str:
    gate = run["gate"]
    color = STATUS_COLOR["pass" if gate["passed"] else "regressed"]
    parts = [
        "<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>Eval report · {escape(run['backend'])}</title><style>{CSS}</style></head><body>",
        "<h1>Eval report</h1>",
        f"<p class=\"meta\">backend <code>{escape(run['backend'])}</code> · started {escape(run['started_at'])} · "
        f"runtime {run['runtime_s']} s{' · limit ' + str(run['limit']) if run['limit'] else ''} · baseline "
        f"<code>{escape(run['baseline'] or 'none')}</code>{' (updated)' if run['baseline_updated'] else ''}</p>",
        f"<p>gate <span class=\"badge\" style=\"background:{color}\">{'PASSED' if gate['passed'] else 'FAILED'}</span></p>",
    ]
    parts += [f"<p class=\"note\">{escape(n)}</p>" for n in run.get("notes", [])]
    if gate["failures"]:
        parts.append("<ul>" + "".join(f"<li class=\"note\">{escape(f)}</li>" for f in gate["failures"]) + "</ul>")
    for name, task in run["tasks"].items():
        parts.append(f"<h2>{escape(name)} <small>overall {_fmt(task['overall'])} · {len(task['cases'])} cases · "
                     f"prompt {escape(str(task['prompt_version']))}</small></h2>")
        parts.append(chart(task["criteria"]))
        parts.append(_criteria_table(task["criteria"]))
        worse = [(c["id"], c["worse_cases"]) for c in task["criteria"] if c.get("worse_cases")]
        if worse:
            parts.append("<p><b>Cases scoring under their baseline score</b></p><ul>" + "".join(
                f"<li>{escape(cid)}: {escape(', '.join(ids))}</li>" for cid, ids in worse) + "</ul>")
        failures = failing_cases(task)
        parts.append(f"<h3>Failing cases ({len(failures)})</h3>")
        parts += [_case_html(case, low) for case, low in failures]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def chart(criteria: list[dict[str, Any]]) -> str:
    """Horizontal bars of criterion means; a black tick marks the threshold, a hollow
    diamond the baseline."""
    label_w, bar_w, row_h, pad = 130, 420, 26, 8
    width, height = label_w + bar_w + 90, pad * 2 + row_h * len(criteria) + 18
    out = [f"<svg width=\"{width}\" height=\"{height}\" role=\"img\" "
           f"aria-label=\"scores per criterion\" style=\"font:12px sans-serif\">"]
    for x in (0, 0.25, 0.5, 0.75, 1.0):
        gx = label_w + x * bar_w
        out.append(f"<line x1=\"{gx:.1f}\" y1=\"{pad}\" x2=\"{gx:.1f}\" y2=\"{height - 18}\" stroke=\"#eee\"/>"
                   f"<text x=\"{gx:.1f}\" y=\"{height - 4}\" text-anchor=\"middle\" fill=\"#777\">{x:g}</text>")
    for i, c in enumerate(criteria):
        y = pad + i * row_h
        mean = c["mean"]
        fill = STATUS_COLOR.get(c["status"], "#9e9e9e")
        out.append(f"<text x=\"{label_w - 6}\" y=\"{y + 17}\" text-anchor=\"end\">{escape(c['id'])}</text>")
        if mean is not None:
            out.append(f"<rect x=\"{label_w}\" y=\"{y + 5}\" width=\"{mean * bar_w:.1f}\" height=\"{row_h - 10}\" "
                       f"fill=\"{fill}\" opacity=\"0.85\"><title>{escape(c['id'])}: {mean:.3f}</title></rect>")
        tx = label_w + c["threshold"] * bar_w
        out.append(f"<line x1=\"{tx:.1f}\" y1=\"{y + 2}\" x2=\"{tx:.1f}\" y2=\"{y + row_h - 2}\" stroke=\"#000\" "
                   f"stroke-width=\"2\"><title>threshold {c['threshold']:.2f}</title></line>")
        if c.get("baseline") is not None:
            bx, by = label_w + c["baseline"] * bar_w, y + row_h / 2
            out.append(f"<path d=\"M{bx:.1f} {by - 5:.1f} L{bx + 5:.1f} {by:.1f} L{bx:.1f} {by + 5:.1f} L{bx - 5:.1f} {by:.1f} Z\" "
                       f"fill=\"#fff\" stroke=\"#1565c0\" stroke-width=\"1.5\"><title>baseline {c['baseline']:.3f}</title></path>")
        value = "n/a" if mean is None else f"{mean:.3f}"
        out.append(f"<text x=\"{label_w + bar_w + 8}\" y=\"{y + 17}\">{value}</text>")
    out.append("</svg>")
    return "".join(out)


def _criteria_table(criteria: list[dict[str, Any]]) -> str:
    rows = ["<table><tr><th>criterion</th><th>description</th><th>mean</th><th>n</th><th>threshold</th><th>gate</th>"
            "<th>baseline</th><th>Δ</th><th>status</th></tr>"]
    for c in criteria:
        status = c["status"] + (f" ({c['note']})" if c.get("note") else "")
        if c.get("spread") is not None:
            status += f", judge spread {c['spread']:.3f}"
        rows.append(
            f"<tr><td><b>{escape(c['id'])}</b><br><small>{escape(c['scorer'])}</small></td><td>{escape(c['description'])}</td>"
            f"<td class=\"num\">{_fmt(c['mean'])}</td><td class=\"num\">{c['n']}</td><td class=\"num\">{c['threshold']:.2f}</td>"
            f"<td>{'yes' if c['gate'] else 'no'}</td><td class=\"num\">{_fmt(c['baseline'])}</td>"
            f"<td class=\"num\">{_fmt(c['delta'], True)}</td>"
            f"<td style=\"color:{STATUS_COLOR.get(c['status'], '#555')}\">{escape(status)}</td></tr>")
    return "".join(rows) + "</table>"


def _case_html(case: dict[str, Any], low: list[tuple[dict, float]]) -> str:
    names = ", ".join(f"{c['id']} {s:.2f}" for c, s in low)
    items = []
    for criterion, score in low:
        notes = "; ".join(case["notes"].get(criterion["id"], []))
        items.append(f"<li><b>{escape(criterion['id'])}</b> {score:.3f} &lt; {criterion['threshold']:.2f}"
                     + (f" <span class=\"note\">{escape(notes)}</span>" if notes else "") + "</li>")
    evidence = "".join(f"<div class=\"ev\"><b>{escape(e['id'])}</b> {escape(e['snippet'])}</div>" for e in case["evidence"])
    guard = "<br>".join(escape(line) for line in _guard_lines(case)) or "(request rejected before the pipeline)"
    return (f"<details><summary>{escape(case['id'])} <small>({escape(', '.join(case['tags']))}) · {escape(names)}</small></summary>"
            f"<p><b>inputs</b> <code>{escape(json.dumps(case['inputs'], ensure_ascii=False))}</code></p><ul>{''.join(items)}</ul>"
            f"<p><b>output</b></p><pre>{escape(_output_text(case))}</pre>"
            f"<p><b>evidence</b></p>{evidence or '<p>none</p>'}<p><b>guard report</b><br><small>{guard}</small></p></details>")
