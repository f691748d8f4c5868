"""Send the chosen cases, one at a time, to a running commerce-guard API and keep the envelopes.

    python run_cases.py --api http://127.0.0.1:8095 --out /tmp/rm-envelopes.jsonl

Each output line: {"task", "case", "case_id", "started", "finished", "status", "envelope"}.
The model calls themselves are recorded by record_proxy.py (match by time order / prompt).
"""
from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parents[2] / "evals" / "cases"

SUMMARY_IDS = ["P001", "P004", "P017", "P026", "P044", "P058", "P071", "P087", "P105", "P118", "P143", "P163"]
CS_IDS = [
    "cs-ret-fee-free", "cs-final-sale-return", "cs-hygiene-tag", "cs-mto-cancel", "cs-refund-points-cash",
    "cs-jeju", "cs-cancel-after-dispatch", "cs-chest-circumference", "cs-installment-45k",
    "cs-en-points-valid", "cs-en-shipping-fee", "cs-edge-trap-exchange-oneway",
    "cs-edge-trap-free-threshold", "cs-intl-fee",
]


def load(name):
    return {json.loads(l)["id"]: json.loads(l) for l in (CASES_DIR / name).read_text().splitlines() if l.strip()}


def post(url, body, timeout):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", default="http://127.0.0.1:8095")
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--only", nargs="*", help="case ids to run (default: all chosen)")
    args = ap.parse_args()
    summ, cs = load("summary.jsonl"), load("cs_answer.jsonl")
    plan = []
    # interleave so both tasks are covered if the run is cut short
    for i in range(max(len(SUMMARY_IDS), len(CS_IDS))):
        if i < len(SUMMARY_IDS):
            plan.append(("summary", "sum-" + SUMMARY_IDS[i], {"product_id": SUMMARY_IDS[i]}))
        if i < len(CS_IDS):
            plan.append(("cs_answer", CS_IDS[i], cs[CS_IDS[i]]["inputs"]))
    if args.only:
        plan = [p for p in plan if p[1] in args.only]
    for task, case_id, inputs in plan:
        path = "/v1/summaries" if task == "summary" else "/v1/answers"
        t0 = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        m0 = time.monotonic()
        status, env = post(args.api + path, inputs, args.timeout)
        rec = {"task": task, "case_id": case_id,
               "case": inputs.get("product_id") or inputs.get("question"),
               "started": t0, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "elapsed_s": round(time.monotonic() - m0, 2), "status": status, "envelope": env}
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        backend = env.get("backend", {}) if isinstance(env, dict) else {}
        print(case_id, status, rec["elapsed_s"], backend.get("fallback"), backend.get("fallback_reason"), flush=True)


if __name__ == "__main__":
    main()
