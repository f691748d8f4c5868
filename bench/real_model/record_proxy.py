"""Recording pass-through between commerce-guard and an OpenAI-compatible model server.

Standard library only. Every request is forwarded unchanged to the upstream server and one
JSON line is appended to the log per request: time, method, path, request body (parsed JSON
when possible), upstream status, raw reply body (parsed JSON when possible) and latency.

    python record_proxy.py --listen 127.0.0.1:8091 --upstream http://127.0.0.1:8090 \
        --log /tmp/rm-record.jsonl

Point the service at it with CG_LLM_BASE_URL=http://127.0.0.1:8091/v1.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_LOCK = threading.Lock()
_COUNTER = [0]


def _maybe_json(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"))
    except Exception:  # noqa: BLE001 - keep undecodable bodies as text
        return raw.decode("utf-8", "replace")


def make_handler(upstream: str, log_path: str, timeout: float):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _forward(self, method: str):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in {"host", "content-length", "connection", "accept-encoding"}
            }
            req = urllib.request.Request(upstream + self.path, data=body or None, method=method, headers=headers)
            with _LOCK:
                _COUNTER[0] += 1
                seq = _COUNTER[0]
            t0 = time.monotonic()
            started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            status, reply, reply_headers, error = 502, b"", {}, None
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    status, reply = resp.status, resp.read()
                    reply_headers = dict(resp.headers.items())
            except urllib.error.HTTPError as exc:
                status, reply = exc.code, exc.read()
                reply_headers = dict(exc.headers.items()) if exc.headers else {}
            except Exception as exc:  # noqa: BLE001 - record and answer 502
                error = f"{type(exc).__name__}: {exc}"
                reply = json.dumps({"error": {"message": error}}).encode()
            latency = time.monotonic() - t0
            client_gone = False
            try:
                self.send_response(status)
                self.send_header("content-type", reply_headers.get("Content-Type", "application/json"))
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except Exception:  # noqa: BLE001 - the client gave up (its timeout)
                client_gone = True
            record = {
                "seq": seq,
                "started": started,
                "method": method,
                "path": self.path,
                "request": _maybe_json(body) if body else None,
                "status": status,
                "reply": _maybe_json(reply),
                "latency_s": round(latency, 3),
                "proxy_error": error,
                "client_gone": client_gone,
            }
            with _LOCK, open(log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

        def do_POST(self):
            self._forward("POST")

        def do_GET(self):
            self._forward("GET")

    return Handler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:8091")
    ap.add_argument("--upstream", default="http://127.0.0.1:8090")
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--seq-start", type=int, default=0, help="number calls after this (to keep keys unique across recordings)")
    args = ap.parse_args()
    _COUNTER[0] = args.seq_start
    host, port = args.listen.rsplit(":", 1)
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("listen on loopback only")
    server = ThreadingHTTPServer((host, int(port)), make_handler(args.upstream.rstrip("/"), args.log, args.timeout))
    print(f"recording {args.listen} -> {args.upstream} into {args.log}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
