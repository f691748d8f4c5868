"""Turn the proxy recording + envelopes into the replies file and a draft of the claims file.

    python build_dataset.py --record /tmp/rm-record.jsonl --envelopes /tmp/rm-envelopes.jsonl \
        --labels labels.py-compatible JSON --out-dir ../data

Claims are split mechanically (sentences of summary / answer, one key fact "label: value" each);
labels come from labels.json (claim key -> [label, note]); claims without a label are written to
a draft file for hand labelling and left out of the claims file.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_\-]*(?:\s*,\s*[A-Za-z0-9][A-Za-z0-9_\-]*)*)\]")
HEADER = re.compile(r"^\[([A-Z][A-Z0-9\-]*)\] (.*)$")


def parse_evidence(prompt: str):
    m = re.search(r"<evidence>\n?(.*?)</evidence>", prompt, re.S)
    out, cur = [], None
    for line in (m.group(1) if m else "").splitlines():
        h = HEADER.match(line)
        if h:
            cur = {"id": h.group(1), "title": h.group(2), "lines": []}
            out.append(cur)
        elif cur is not None and line.strip():
            cur["lines"].append(line)
    return [{"id": e["id"], "text": "\n".join(e["lines"])} for e in out]


def case_of(prompt: str):
    m = re.search(r"상품 id (\S+)의 요약", prompt)
    if m:
        return "summary", m.group(1)
    m = re.search(r"<customer_question>\n(.*?)\n</customer_question>", prompt, re.S)
    return "cs_answer", (m.group(1) if m else None)


def salvage_json(text: str):
    """Parse the reply; a reply cut at max_tokens is repaired by closing what is open."""
    try:
        return json.loads(text), False
    except Exception:
        pass
    # cut back to the last complete object inside key_facts, then close brackets
    for cut in range(len(text), 0, -1):
        if text[cut - 1] not in "}\"]":
            continue
        frag = text[:cut]
        stack, in_str, esc = [], False, False
        for ch in frag:
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch in "{[":
                stack.append("}" if ch == "{" else "]")
            elif ch in "}]":
                if stack:
                    stack.pop()
        if in_str:
            continue
        try:
            return json.loads(frag + "".join(reversed(stack))), True
        except Exception:
            continue
    return None, True


def unnest(obj):
    """Replies that copy the schema nest the answer under "properties"."""
    if isinstance(obj, dict) and "properties" in obj and isinstance(obj["properties"], dict):
        inner = obj["properties"]
        if any(k in inner for k in ("summary", "answer", "key_facts")):
            return inner, True
    return obj, False


SPLIT = re.compile(r"(?<=[.!?。])((?:\s*\[[^\]]+\])*)\s+")


def sentences(text: str):
    text = (text or "").strip()
    if not text:
        return []
    parts = SPLIT.split(text)
    out = []
    for i in range(0, len(parts), 2):
        s = parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")
        s = s.strip()
        if s:
            out.append(s)
    return out


def cited_of(s: str):
    ids = []
    for m in MARK.finditer(s):
        for x in m.group(1).split(","):
            x = x.strip()
            if x and x not in ids:
                ids.append(x)
    return ids


def lang_of(s: str):
    hangul = sum(1 for c in s if "\uac00" <= c <= "\ud7a3")
    latin = sum(1 for c in s if c.isascii() and c.isalpha())
    return "ko" if hangul >= latin * 0.5 and hangul > 0 else "en"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", default="/tmp/rm-record.jsonl")
    ap.add_argument("--envelopes", default="/tmp/rm-envelopes.jsonl")
    ap.add_argument("--labels", default=str(HERE / "labels.json"))
    ap.add_argument("--out-dir", default=str(HERE.parent / "data"))
    ap.add_argument("--draft", default="/tmp/rm-claims-draft.jsonl")
    args = ap.parse_args()

    envs = [json.loads(l) for l in open(args.envelopes, encoding="utf-8")] if Path(args.envelopes).exists() else []
    rid_by_case = {}
    for e in envs:
        env = e.get("envelope") or {}
        rid_by_case.setdefault(e["case"], env.get("request_id") or (env.get("error") or {}).get("request_id"))

    labels = json.loads(Path(args.labels).read_text(encoding="utf-8")) if Path(args.labels).exists() else {}
    replies, claims, draft = [], [], []
    prev_end = None
    n = 0
    for line in open(args.record, encoding="utf-8"):
        rec = json.loads(line)
        if not rec["path"].endswith("/chat/completions"):
            continue
        msgs = rec["request"]["messages"]
        user = msgs[-1]["content"] if msgs[0]["role"] == "system" and len(msgs) == 2 else next(
            m["content"] for m in msgs if m["role"] == "user")
        task, case = case_of(msgs[1]["content"] if len(msgs) > 1 else user)
        reply = rec["reply"]
        raw = reply["choices"][0]["message"]["content"] if isinstance(reply, dict) and reply.get("choices") else None
        start = dt.datetime.strptime(rec["started"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
        end = start + rec["latency_s"]
        compute = end - max(start, prev_end) if prev_end else rec["latency_s"]
        prev_end = end
        replies.append({
            "request_id": rid_by_case.get(case), "task": task, "case": case,
            "model": rec["request"].get("model"), "prompt_messages": msgs, "raw_reply": raw,
            "latency_s": rec["latency_s"], "model_busy_s": round(compute, 1),
            "finish_reason": reply["choices"][0].get("finish_reason") if raw is not None else None,
            "usage": reply.get("usage") if isinstance(reply, dict) else None,
            "http_status": rec["status"], "call_seq": rec["seq"],
            "request_params": {k: v for k, v in rec["request"].items() if k != "messages"},
            "service_gave_up": rec["client_gone"],
        })
        if raw is None:
            continue
        evidence = parse_evidence(user)
        obj, truncated = salvage_json(raw)
        obj, nested = unnest(obj)
        items = []
        if isinstance(obj, dict):
            if task == "summary":
                for s in sentences(obj.get("summary") if isinstance(obj.get("summary"), str) else ""):
                    items.append(("summary", s, cited_of(s)))
                for kf in obj.get("key_facts") or []:
                    if isinstance(kf, dict) and "label" in kf and "value" in kf:
                        c = kf.get("citation")
                        cited = [x.strip(" []") for x in re.split(r"[,\s]+", c) if x.strip(" []")] if isinstance(c, str) else []
                        items.append(("key_fact", f"{str(kf['label']).strip()}: {str(kf['value']).strip()}", cited))
            else:
                ans = obj.get("answer")
                for s in sentences(ans if isinstance(ans, str) else ""):
                    items.append(("answer", s, cited_of(s)))
        for j, (field, text, cited) in enumerate(items):
            key = f"{rec['seq']}:{j}"
            n += 1
            row = {"key": key, "task": task, "case": case, "lang": lang_of(text), "field": field,
                   "claim": text, "cited": cited, "evidence": evidence,
                   "reply_truncated": truncated, "reply_nested_in_properties": nested}
            if key in labels:
                lab, note = labels[key][0], labels[key][1]
                if lab == "skip":
                    continue
                row["label"], row["note"] = lab, note
                claims.append(row)
            else:
                draft.append(row)
    out = Path(args.out_dir)
    with open(out / "real_model_replies.jsonl", "w", encoding="utf-8") as fh:
        for r in replies:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    first_seen = {}
    with open(out / "real_model_claims.jsonl", "w", encoding="utf-8") as fh:
        for i, r in enumerate(claims, 1):
            cid = f"rm-{i:03d}"
            sig = (r["case"], r["claim"], json.dumps(r["evidence"], ensure_ascii=False))
            dup = first_seen.setdefault(sig, cid)
            row = {"id": cid, **{k: r[k] for k in ("task", "case", "lang", "claim", "cited", "evidence", "label", "note")},
                   "field": r["field"], "source_key": r["key"],
                   "reply_truncated": r["reply_truncated"], "reply_nested_in_properties": r["reply_nested_in_properties"],
                   "duplicate_of": None if dup == cid else dup}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(args.draft, "w", encoding="utf-8") as fh:
        for r in draft:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(replies)} model calls, {len(claims)} labelled claims, {len(draft)} unlabelled (draft: {args.draft})")


if __name__ == "__main__":
    main()
