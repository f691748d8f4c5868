"""Red-team checker for commerce-guard: sends tests/redteam/attacks.jsonl through the real app.

Independent of the service's filter code: outcomes are judged from what an outsider can
observe (status codes, response bodies and headers, what the fake OpenAI-compatible server
received, the files under the data dir, the JSON log lines, /metrics).

    .venv/bin/python tests/redteam/run.py [--class pii_input] [--ids pii-001,ban-004] [--out report.json]

Always exits 0: it is a measuring tool. See tests/redteam/README.md for the rules.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import fnmatch
import json
import logging
import os
import pickle
import re
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
CLASSES = ["pii_input", "pii_feedback", "banned_evasion", "banned_clean", "injection", "bad_input", "exposure",
           "throttling", "cost"]

# ----------------------------------------------------------------------------- normalisers
_FORMAT = re.compile(r"[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_UESC = re.compile(r"\\u([0-9a-fA-F]{4})")
_HANGUL_DIGITS = {c: str(i) for i, c in enumerate("공일이삼사오육칠팔구")}
_HANGUL_DIGITS["영"] = "0"
_DIGIT_SEPARATORS = re.compile(r"[\s\-‐-―−.()\[\]/_·,+ㅡ~:]")


def base_norm(text: str) -> str:
    text = _UESC.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = unicodedata.normalize("NFKC", text)
    return _FORMAT.sub("", text)


def digits_form(text: str) -> str:
    """Hangul digit words to digits, separators dropped: '공일공 이삼사오' -> '0102345'."""
    return _DIGIT_SEPARATORS.sub("", "".join(_HANGUL_DIGITS.get(ch, ch) for ch in text))


def email_form(text: str) -> str:
    t = text.lower()
    t = re.sub(r"\s*[(\[{<]\s*(at|골뱅이|앳)\s*[)\]}>]\s*", "@", t)
    t = re.sub(r"\s*(골뱅이|앳)\s*", "@", t)
    t = re.sub(r"\s+at\s+", "@", t)
    t = re.sub(r"\s*[(\[{<]\s*(dot|닷|쩜|점)\s*[)\]}>]\s*", ".", t)
    t = re.sub(r"\s*(닷|쩜)\s*", ".", t)
    t = re.sub(r"\s+dot\s+", ".", t)
    t = re.sub(r"\s*@\s*", "@", t)
    return t


def alnum_form(text: str) -> str:
    return re.sub(r"[\s\-.·_/]", "", text.upper())


def raw_form(text: str) -> str:
    return re.sub(r"\s+", " ", text)


FORMS = {"digits": digits_form, "email": email_form, "alnum": alnum_form, "raw": raw_form}


class Corpus:
    """Texts in every normalised form, for counting PII canonical values."""

    def __init__(self, texts: list[str]):
        joined = "\n\x00\n".join(base_norm(t) for t in texts)
        self.forms = {name: fn(joined) for name, fn in FORMS.items()}

    def count(self, value: str) -> int:
        kind, _, canon = value.partition(":")
        if kind == "email":
            canon = canon.lower()
        elif kind == "alnum":
            canon = canon.upper()
        return self.forms[kind].count(canon)


# ----------------------------------------------------------------------------- data dir scans
def _blob_texts(blob: bytes) -> list[str]:
    out = [blob.decode("utf-8", "ignore")]
    for attempt in (lambda b: zlib.decompress(b), lambda b: zlib.decompress(b, 16 + zlib.MAX_WBITS)):
        try:
            out.append(attempt(blob).decode("utf-8", "ignore"))
        except Exception:  # noqa: BLE001
            pass
    if blob[:1] == b"\x80":
        try:
            out.append(repr(pickle.loads(blob)))  # our own data dir; diskcache pickles values
        except Exception:  # noqa: BLE001
            pass
    return out


def _sqlite_texts(path: Path) -> list[str]:
    texts: list[str] = []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
            for table in tables:
                try:
                    for row in con.execute(f'select * from "{table}"'):
                        for value in row:
                            if isinstance(value, str):
                                texts.append(value)
                            elif isinstance(value, bytes):
                                texts.extend(_blob_texts(value))
                except sqlite3.Error:
                    pass
        finally:
            con.close()
    except sqlite3.Error:
        pass
    return texts


def _stamp(path: Path) -> tuple:
    stamps = []
    for p in (path, Path(f"{path}-wal")):
        try:
            st = p.stat()
            stamps.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def file_texts(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    texts = _blob_texts(data)
    if data[:16] == b"SQLite format 3\x00":
        texts.extend(_sqlite_texts(path))
    return texts


def scan_dir(root: Path, skip: tuple[str, ...] = ("chroma",)) -> list[str]:
    texts: list[str] = []
    if root.exists():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not any(part in skip for part in path.relative_to(root).parts):
                texts.extend(file_texts(path))
    return texts


class DirScanner:
    """Every file under the data dirs (the index excepted), as text; files re-read only when changed."""

    def __init__(self, roots: list[Path], skip: tuple[str, ...] = ("chroma",)):
        self.roots, self.skip = roots, skip
        self.memo: dict[Path, tuple[tuple, "Corpus"]] = {}

    def corpora(self) -> list["Corpus"]:
        out = []
        for root in self.roots:
            if not root.exists():
                continue
            for path in sorted(root.rglob("*")):
                if not path.is_file() or any(part in self.skip for part in path.relative_to(root).parts):
                    continue
                stamp = _stamp(path)
                cached = self.memo.get(path)
                if cached is None or cached[0] != stamp:
                    cached = (stamp, Corpus(file_texts(path)))
                    self.memo[path] = cached
                out.append(cached[1])
        return out


class Corpora:
    def __init__(self, parts: list["Corpus"]):
        self.parts = parts

    def count(self, value: str) -> int:
        return sum(p.count(value) for p in self.parts)


# ----------------------------------------------------------------------------- logs
class Capture(logging.Handler):
    def __init__(self, formatter: logging.Formatter):
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001
            line = f"{record.name} {record.msg!r} {record.args!r}"
        with self._guard:
            self.lines.append(line)


# ----------------------------------------------------------------------------- harness
class Result:
    def __init__(self, status: int, headers: dict[str, str], text: str):
        self.status, self.headers, self.text = status, headers, text

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class Harness:
    def __init__(self, tmp: Path, need_keys: bool, need_auto: bool):
        import service  # noqa: F401  offline switches before heavy imports
        from fastapi.testclient import TestClient

        from service.api.app import create_app
        from service.container import Container
        from service.observability.logs import JsonFormatter, configure
        from service.retrieval.ingest import run_ingest
        from tests.conftest import make_settings, small_sources
        from tests.fakes.fake_openai import FakeOpenAI

        self.tmp = tmp
        # Logs as `commerce-guard serve` configures them (JSON lines), captured instead of stderr.
        configure()
        self.logs = Capture(JsonFormatter())
        service_logger = logging.getLogger("commerce_guard")
        service_logger.handlers[:] = [self.logs]
        logging.getLogger().addHandler(self.logs)

        self.fake = FakeOpenAI().start()
        self.fake.set_default(self.grounded_reply)
        llm = dict(llm_base_url=self.fake.base_url, llm_model="fake-model", llm_max_retries=0, llm_timeout_s=10.0,
                   breaker_failures=100000)
        settings = make_settings(tmp / "main", **llm)  # auth off, as the tests run the app
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.main_container = Container(settings)
        run_ingest(self.main_container, small_sources(settings.knowledge_dir), show_progress=False)
        self.data_dirs = [settings.data_dir]
        self.clients: dict[str, Any] = {}
        self.apps: dict[str, Any] = {}
        self._enter("main", create_app(self.main_container), TestClient)

        def sibling(name: str, **overrides) -> Container:
            data_dir = tmp / name / "var"
            data_dir.mkdir(parents=True, exist_ok=True)
            self.data_dirs.append(data_dir)
            c = Container(settings.model_copy(update={"data_dir": data_dir, **overrides}))
            for part in ("analyzer", "embedder", "store", "retriever", "cache"):  # heavy parts shared
                c.__dict__[part] = getattr(self.main_container, part)
            return c

        self.keys: dict[str, tuple[str, str]] = {}  # role -> (name, secret)
        if need_keys:
            kc = sibling("keys", auth_mode="keys")
            for role, name, scopes, rate in [("cs", "redteam-cs-agent", ["cs"], 600),
                                             ("content", "redteam-content-writer", ["content"], 600),
                                             ("admin", "redteam-admin-ops", ["admin"], 600),
                                             ("t", "t", ["cs"], 600),
                                             ("slow", "redteam-slow-bot", ["content"], 3)]:
                self.keys[role] = (name, kc.api_keys.create(name, scopes, rate_per_minute=rate))
            self._enter("keys", create_app(kc), TestClient)
        if need_auto:
            ac = sibling("auto", auth_mode="auto")  # no key created: loopback clients only
            self._enter("auto", create_app(ac), TestClient)
        self._lock = threading.Lock()

    def _enter(self, name: str, app: Any, test_client_cls: Any) -> None:
        tc = test_client_cls(app, raise_server_exceptions=False)
        tc.__enter__()
        self.clients[name] = tc
        self.apps[name] = app

    def close(self) -> None:
        for tc in self.clients.values():
            try:
                tc.__exit__(None, None, None)
            except Exception:  # noqa: BLE001
                pass
        self.fake.stop()

    # --- the fake model --------------------------------------------------------------
    @staticmethod
    def grounded_reply(body: dict) -> Any:
        """A well-behaved model: a cs_answer grounded in the evidence it was shown."""
        msgs = [m.get("content") or "" for m in body.get("messages", []) if isinstance(m, dict)]
        system, user = (msgs[0] if msgs else ""), (msgs[-1] if msgs else "")
        if "고객센터" not in system:
            return "ok"  # summaries/styling: unusable reply, the offline composer answers (the request is recorded)
        for eid, sentence in [("FAQ-T-001", "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다."),
                              ("FAQ-T-002", "상품 수령 후 7일 이내에 마이페이지에서 반품 신청하실 수 있습니다."),
                              ("POL-T-SHIP", "기본 배송비는 3,000원이며 50,000원 이상 주문 시 무료배송입니다.")]:
            if f"[{eid}]" in user:
                return {"handoff": False, "answer": f"{sentence} [{eid}]", "confidence": 0.8}
        return {"handoff": True, "answer": "담당 상담원에게 연결해 드리겠습니다.", "confidence": 0.2}

    # --- requests ----------------------------------------------------------------------
    def request(self, app: str, spec: dict, client: str | None = None, headers: dict | None = None) -> Result:
        tc = self.clients[app]
        method = spec.get("method", "POST")
        path = spec["path"]
        hdrs = dict(spec.get("headers") or {})
        hdrs.update(headers or {})
        auth = spec.get("auth")
        if auth:
            if auth.startswith("bad:"):
                hdrs["authorization"] = f"Bearer {auth[4:]}"
            else:
                hdrs["authorization"] = f"Bearer {self.keys[auth][1]}"
        content: bytes | None = None
        if "json" in spec:
            content = json.dumps(spec["json"], ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("content-type", "application/json")
        elif "raw" in spec:
            content = spec["raw"].encode("utf-8", "surrogatepass")
        elif "raw_b64" in spec:
            content = base64.b64decode(spec["raw_b64"])
        elif "gen_text" in spec:
            content = gen_body(spec["gen_text"])
            hdrs.setdefault("content-type", "application/json")
        if spec.get("chunked"):
            return self.chunked(app, method, path, hdrs, content or b"", client)
        kwargs: dict[str, Any] = {"headers": hdrs, "params": spec.get("query")}
        if content is not None:
            kwargs["content"] = content
        if client:
            with self._lock:  # the peer address belongs to the transport: swap it for this request only
                transport = tc._transport
                saved = transport.client
                transport.client = (client, 40000 + secrets.randbelow(20000))
                try:
                    r = tc.request(method, path, **kwargs)
                finally:
                    transport.client = saved
        else:  # no address needed: concurrent requests overlap
            r = tc.request(method, path, **kwargs)
        return Result(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text)

    def chunked(self, app: str, method: str, path: str, hdrs: dict, body: bytes, client: str | None) -> Result:
        """A body sent as a stream of chunks without Content-Length (Transfer-Encoding: chunked)."""
        tc, asgi = self.clients[app], self.apps[app]
        headers = [(b"host", b"testserver"), (b"transfer-encoding", b"chunked")]
        headers += [(k.lower().encode(), v.encode()) for k, v in hdrs.items()]
        chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)] or [b""]

        async def run() -> Result:
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                     "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                     "headers": headers, "client": (client or "testclient", 50000), "server": ("testserver", 80),
                     "state": dict(getattr(tc, "app_state", {}) or {})}
            queue = list(chunks)
            status: list[int] = []
            resp_headers: dict[str, str] = {}
            out: list[bytes] = []
            done = asyncio.Event()

            async def receive() -> dict:
                if queue:
                    chunk = queue.pop(0)
                    return {"type": "http.request", "body": chunk, "more_body": bool(queue)}
                await done.wait()
                return {"type": "http.disconnect"}

            async def send(message: dict) -> None:
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                    resp_headers.update({k.decode().lower(): v.decode() for k, v in message.get("headers", [])})
                elif message["type"] == "http.response.body":
                    out.append(message.get("body", b""))
                    if not message.get("more_body"):
                        done.set()

            try:
                await asyncio.wait_for(asgi(scope, receive, send), timeout=60)
            except Exception as exc:  # noqa: BLE001
                if not status:
                    return Result(599, {}, f"harness: the app raised {type(exc).__name__}: {exc}")
            return Result(status[0] if status else 599, resp_headers, b"".join(out).decode("utf-8", "replace"))

        return tc.portal.call(run)

    def new_request_id(self) -> str:
        r = self.request("main", {"method": "POST", "path": "/v1/answers",
                                  "json": {"question": "사이즈 교환하면 배송비가 얼마인가요?"}})
        data = r.json() or {}
        return data.get("request_id") or r.headers.get("x-request-id", "")


def gen_body(g: dict) -> bytes:
    unit, target, max_chars = g["unit"], g["bytes"], g.get("max_chars")
    obj = dict(g.get("extra") or {})
    base = len(json.dumps({**obj, g["field"]: ""}, ensure_ascii=False).encode())
    text, size = [], base
    unit_bytes = len(json.dumps(unit, ensure_ascii=False).encode()) - 2
    while size < target:
        text.append(unit)
        size += unit_bytes
    value = "".join(text)
    if max_chars:
        value = value[:max_chars]
    obj[g["field"]] = value
    return json.dumps(obj, ensure_ascii=False).encode()


# ----------------------------------------------------------------------------- checks
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
HEX32 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])")


def sse_objects(text: str) -> list[Any]:
    out = []
    for line in text.splitlines():
        if line.startswith("data:"):
            try:
                out.append(json.loads(line[5:].strip()))
            except ValueError:
                pass
    return out


def body_objects(r: Result) -> list[Any]:
    data = r.json()
    if data is not None:
        return [data]
    return sse_objects(r.text)


def walk(obj: Any, path: str = ""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield f"{path}.{k}", k, v
            yield from walk(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield f"{path}[{i}]", None, v
            yield from walk(v, f"{path}[{i}]")


def cache_key_findings(r: Result) -> list[str]:
    found = [f"header {k}" for k in r.headers if "cache-key" in k or "cache_key" in k]
    request_ids = {r.headers.get("x-request-id", "")}
    objs = body_objects(r)
    for obj in objs:
        for _, key, value in walk(obj):
            if key == "request_id" and isinstance(value, str):
                request_ids.add(value)
    for obj in objs:
        for path, key, value in walk(obj):
            if key in ("key", "cache_key"):
                found.append(f"field {path}")
            if isinstance(value, str) and key != "request_id":
                for m in HEX32.finditer(value):
                    if m.group(0) not in request_ids:
                        found.append(f"hex {m.group(0)[:12]}... at {path}")
    return found


def error_message(r: Result) -> str | None:
    data = r.json()
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", ""))
    return None


def error_shape_ok(r: Result) -> bool:
    data = r.json()
    err = data.get("error") if isinstance(data, dict) else None
    return isinstance(err, dict) and all(k in err for k in ("code", "message", "request_id"))


def helpful_json(msg: str) -> bool:
    if re.fullmatch(r"\s*\d+\s*:\s*JSON decode error\s*", msg, re.I):
        return False
    low = msg.lower()
    mentions = any(w in low for w in ("json", "body", "본문", "형식"))
    detail = any(w in low for w in ("line", "column", "position", "char", "expect", "줄", "열", "위치", "invalid",
                                    "malformed", "올바르지", "잘못", "unterminated", "delimiter", "property"))
    return mentions and detail and len(msg) >= 15


def output_text(r: Result) -> tuple[str, list[str]]:
    """The served output (not the guard report): JSON of `output`, and the answers."""
    texts, answers = [], []
    for obj in body_objects(r):
        if not isinstance(obj, dict):
            continue
        if obj.get("text") and "index" in obj:  # stream sentence event
            texts.append(str(obj["text"]))
        env = obj.get("envelope") if isinstance(obj.get("envelope"), dict) else obj
        out = env.get("output")
        if out is not None:
            texts.append(json.dumps(out, ensure_ascii=False))
            if isinstance(out, dict) and isinstance(out.get("answer"), str):
                answers.append(out["answer"])
    return "\n".join(texts), answers


class Runner:
    def __init__(self, h: Harness, attacks: list[dict]):
        self.h = h
        self.shared: dict[str, int] = defaultdict(int)  # PII value -> attacks using it
        for a in attacks:
            for value in set(a["expect"].get("pii_absent", [])):
                self.shared[value] += 1
        self.prev_corpus: Corpora | None = None
        self.prev_metrics: Corpus | None = None
        self.scanner: DirScanner | None = None

    # every response of every class
    def generic(self, a: dict, results: list[Result]) -> list[str]:
        reasons = []
        allowed = set(a["expect"].get("status") or []) | set(a["expect"].get("all_status") or [])
        for r in results:
            if r.status >= 500 and r.status not in allowed:
                reasons.append(f"HTTP {r.status}: {r.text[:160]!r}")
            if TRACEBACK.search(r.text):
                reasons.append("traceback in the response")
            if r.status >= 400 and not error_shape_ok(r):
                reasons.append(f"HTTP {r.status} without the error shape: {r.text[:160]!r}")
        return sorted(set(reasons))

    def snapshot(self) -> tuple[Corpora, Corpus]:
        if self.scanner is None:
            self.scanner = DirScanner(self.h.data_dirs)
        files = Corpora(self.scanner.corpora())
        metrics = self.h.request("main", {"method": "GET", "path": "/metrics"}).text
        return files, Corpus([metrics])

    def run(self, a: dict) -> tuple[bool, list[str], dict]:
        req, exp = a["request"], a["expect"]
        app = req.get("app", "main")
        info: dict[str, Any] = {}
        reasons: list[str] = []
        pii = exp.get("pii_absent") or []
        shared = [v for v in pii if self.shared.get(v, 0) > 1]
        if shared:  # values other attacks use too: files and /metrics compared before/after this attack
            self.prev_corpus, self.prev_metrics = self.snapshot()
        n_llm, n_logs = len(self.h.fake.requests), len(self.h.logs.lines)

        spec = json.loads(json.dumps(req))
        key_role = spec.get("auth") if spec.get("auth") in self.h.keys else None
        if spec.get("needs_request_id") or "$REQUEST_ID" in json.dumps(spec):
            rid = self.h.new_request_id()
            shifted = rid[:-1] + ("0" if rid[-1:] != "0" else "1")
            spec = json.loads(json.dumps(spec).replace("$REQUEST_ID_SHIFTED", shifted).replace("$REQUEST_ID", rid))
            info["request_id_used"] = rid
        if "llm_reply" in spec:
            reply = spec["llm_reply"]
            if reply == "$SYSTEM_PROMPT":
                self.h.fake.set_default(lambda body: {"handoff": False, "confidence": 0.9, "answer":
                                                      (body["messages"][0]["content"] + "\n" +
                                                       body["messages"][-1]["content"])[:1400]})
            else:
                self.h.fake.set_default(reply)
        client = spec.get("client")
        if app != "main" and not client:
            client = f"10.2.{zlib.crc32(a['id'].encode()) % 250}.{zlib.crc32(a['id'].encode()[::-1]) % 250 + 1}"
        results: list[Result] = []
        try:
            if spec.get("repeat"):
                results = self.repeat(app, spec, client)
            elif spec.get("concurrent"):
                n = spec["concurrent"]
                with concurrent.futures.ThreadPoolExecutor(n) as pool:
                    results = list(pool.map(lambda _: self.h.request(app, spec, client), range(n)))
            else:
                results = [self.h.request(app, spec, client)]
            then = None
            if spec.get("then"):
                t = spec["then"]
                then = self.h.request(app, t, t.get("client"))
        finally:
            self.h.fake.set_default(self.h.grounded_reply)
        info["statuses"] = sorted({r.status for r in results})
        env = next((o.get("envelope", o) for o in reversed(body_objects(results[-1])) if isinstance(o, dict)
                    and isinstance(o.get("envelope", o), dict) and "output" in o.get("envelope", o)), None)
        if env is not None:
            info["envelope"] = {"cache": (env.get("cache") or {}).get("status"), "reason": env.get("reason"),
                                "fallback_reason": (env.get("backend") or {}).get("fallback_reason"),
                                "handoff": (env.get("output") or {}).get("handoff")
                                if isinstance(env.get("output"), dict) else None}
        reasons += self.generic(a, results + ([then] if then else []))
        last = results[-1]

        if "status" in exp and last.status not in exp["status"]:
            reasons.append(f"status {last.status}, expected {exp['status']}: {last.text[:200]!r}")
        if exp.get("status_class") == "4xx" and not (400 <= last.status < 500):
            reasons.append(f"status {last.status}, expected a 4xx: {last.text[:200]!r}")
        if "any_status" in exp and not any(r.status in exp["any_status"] for r in results):
            reasons.append(f"none of {len(results)} responses was {exp['any_status']} (got {info['statuses']})")
        if "all_status" in exp:
            odd = sorted({r.status for r in results if r.status not in exp["all_status"]})
            if odd:
                reasons.append(f"unexpected statuses {odd}")
        if "not_all_status" in exp and all(r.status in exp["not_all_status"] for r in results):
            reasons.append(f"all {len(results)} concurrent requests were accepted ({info['statuses']})")
        if "then_status" in exp and (then is None or then.status not in exp["then_status"]):
            reasons.append(f"follow-up request got {then.status if then else None}, expected {exp['then_status']}")
        if exp.get("retry_after"):
            limited = [r for r in results if r.status == 429]
            if limited and not all("retry-after" in r.headers for r in limited):
                reasons.append("429 without Retry-After")
        if exp.get("error_shape_429"):
            if any(r.status == 429 and not error_shape_ok(r) for r in results):
                reasons.append("429 without the error shape")
        msg = error_message(last) or ""
        if exp.get("error_shape") and last.status >= 400 and not error_shape_ok(last):
            reasons.append("error without the {error:{code,message,request_id}} shape")
        for bad in exp.get("message_not_contains", []):
            for needle in self.expand(bad, key_role):
                if needle and needle.lower() in msg.lower():
                    reasons.append(f"error message contains {needle!r}: {msg[:160]!r}")
        if exp.get("message_contains_any") and last.status >= 400:
            if not any(s.lower() in msg.lower() for s in exp["message_contains_any"]):
                reasons.append(f"error message names none of {exp['message_contains_any']}: {msg[:160]!r}")
        if exp.get("helpful_json_error") and not helpful_json(msg):
            reasons.append(f"unhelpful message for invalid JSON: {msg[:160]!r}")
        if exp.get("no_cache_key"):
            found = cache_key_findings(last)
            if found:
                reasons.append("internal cache key exposed: " + "; ".join(found[:3]))
        if "flagged" in exp and last.status == 200:
            data = last.json() or {}
            hits = data.get("banned_words") or []
            flagged = bool(hits) or data.get("verdict") == "fail"
            info["hits"] = [h.get("term") for h in hits if isinstance(h, dict)]
            if flagged != exp["flagged"]:
                reasons.append("not flagged" if exp["flagged"] else f"flagged: {info['hits']}")
        if exp.get("forbid_in_response"):
            for s in exp["forbid_in_response"]:
                if any(s in r.text or s in base_norm(r.text) for r in results):
                    reasons.append(f"response contains {s!r} (system prompt)")
        if exp.get("forbid_in_output") or exp.get("forbid_answer_regex"):
            out, answers = output_text(last)
            for s in exp.get("forbid_in_output", []):
                if s.lower() in out.lower():
                    reasons.append(f"served output contains {s!r}")
            rx = exp.get("forbid_answer_regex")
            if rx and any(re.search(rx, x) for x in answers):
                reasons.append(f"served answer obeys the injection: {answers[:1]}")
            info["answer"] = (answers[:1] or [out[:120]])[0][:160]
        if "file_mode" in exp:
            fm = exp["file_mode"]
            files = [p for d in self.h.data_dirs for p in d.rglob("*")
                     if p.is_file() and fnmatch.fnmatch(p.name, fm["glob"])]
            info["mode_files"] = [f"{p.name}:{oct(p.stat().st_mode & 0o777)}" for p in files]
            wrong = [f for f in files if (f.stat().st_mode & 0o777) != int(fm["mode"], 8)]
            if wrong:
                reasons.append("file mode " + ", ".join(f"{p.name}={oct(p.stat().st_mode & 0o777)}" for p in wrong))
        if pii:
            reasons += self.pii_check(pii, shared, results, n_llm, n_logs, info)
        return not reasons, reasons, info

    def expand(self, needle: str, role: str | None) -> list[str]:
        if role is None or "$KEY" not in needle:
            return [needle] if "$KEY" not in needle else []
        name, secret = self.h.keys[role]
        return [needle.replace("$KEY_NAME", name).replace("$KEY_SECRET", secret).replace("$KEY_PREFIX", secret[:7])]

    def repeat(self, app: str, spec: dict, client: str | None) -> list[Result]:
        out = []
        paths = spec.get("rotate_paths")
        for i in range(spec["repeat"]):
            headers: dict[str, str] = {}
            mode = spec.get("unknown_key")
            guess = secrets.token_urlsafe(18)
            if mode == "cg_shaped":
                guess = "cg_" + secrets.token_urlsafe(24)
            if mode == "x-api-key" or (mode == "alternate" and i % 2):
                headers["x-api-key"] = guess
            elif mode:
                headers["authorization"] = f"Bearer {guess}"
            if spec.get("rotate_xff"):
                headers["x-forwarded-for"] = f"198.51.100.{i + 1}"
            one = dict(spec)
            if paths:
                one["path"] = paths[i % len(paths)]
                one["method"] = "GET" if one["path"] == "/v1/stats" else "POST"
            out.append(self.h.request(app, one, client, headers))
        return out

    def pii_check(self, pii: list[str], shared: list[str], results: list[Result], n_llm: int, n_logs: int,
                  info: dict) -> list[str]:
        """LLM requests, logs and responses of this attack; files and /metrics here only for shared
        values (the others are checked once at the end of the run)."""
        reasons = []
        llm_bodies = [json.dumps(b, ensure_ascii=False) for b in self.h.fake.requests[n_llm:]]
        info["llm_calls"] = len(llm_bodies)
        llm = Corpus(llm_bodies)
        logs = Corpus(self.h.logs.lines[n_logs:])
        resp = Corpus([r.text for r in results])
        files = metrics = None
        if shared:
            files, metrics = self.snapshot()
        for value in pii:
            where = []
            if llm.count(value):
                where.append("LLM request")
            if resp.count(value):
                where.append("response")
            if logs.count(value):
                where.append("logs")
            if value in shared:
                if files.count(value) > self.prev_corpus.count(value):
                    where.append("data dir files")
                if metrics.count(value) > self.prev_metrics.count(value):
                    where.append("/metrics")
            if where:
                reasons.append(f"{value} reached: {', '.join(where)}")
        return reasons


# ----------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--attacks", default=str(HERE / "attacks.jsonl"))
    ap.add_argument("--class", dest="cls", help="run one class: " + ", ".join(CLASSES))
    ap.add_argument("--ids", help="comma-separated attack ids")
    ap.add_argument("--out", help="JSON report path (default: under the temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()

    attacks = [json.loads(line) for line in open(args.attacks, encoding="utf-8") if line.strip()]
    if args.cls:
        attacks = [a for a in attacks if a["class"] == args.cls]
    if args.ids:
        wanted = {x.strip() for x in args.ids.split(",") if x.strip()}
        attacks = [a for a in attacks if a["id"] in wanted]
    if not attacks:
        print("no attacks selected")
        return 0
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="cg-redteam-"))
    out_path = Path(args.out) if args.out else tmp / "report.json"
    apps = {a["request"].get("app", "main") for a in attacks}
    print(f"temp dir {tmp}; starting the service ({', '.join(sorted(apps | {'main'}))}) ...", flush=True)
    h = Harness(tmp, need_keys="keys" in apps, need_auto="auto" in apps)
    print(f"ready in {time.monotonic() - t0:.1f} s; {len(attacks)} attacks", flush=True)
    runner = Runner(h, attacks)
    vacuous, details = [], []
    order = {c: i for i, c in enumerate(CLASSES)}
    for a in sorted(attacks, key=lambda a: order.get(a["class"], 99)):
        t = time.monotonic()
        try:
            ok, reasons, info = runner.run(a)
        except Exception as exc:  # noqa: BLE001  a harness failure is reported, not fatal
            ok, reasons, info = False, [f"harness error: {type(exc).__name__}: {exc}"], {}
        info["seconds"] = round(time.monotonic() - t, 2)
        if a["class"] == "pii_input" and info.get("llm_calls") == 0:
            env = info.get("envelope") or {}
            vacuous.append(f"{a['id']}({'cache hit' if env.get('cache') == 'hit' else env.get('reason') or 'no call'})")
        details.append({"id": a["id"], "class": a["class"], "source": a["source"], "passed": ok, "reasons": reasons,
                        **info})
    # Files and /metrics once at the end for values no other attack uses (shared values were
    # checked before/after their own attack); the index included.
    files, metrics = runner.snapshot()
    chroma = Corpus([t for d in h.data_dirs for t in scan_dir(d / "chroma", skip=())])
    all_logs = Corpus(h.logs.lines)
    by_id = {a["id"]: a for a in attacks}
    for d in details:
        for value in by_id[d["id"]]["expect"].get("pii_absent", []):
            if runner.shared.get(value, 0) > 1:
                continue
            where = [w for w, c in (("data dir files", files), ("/metrics", metrics), ("chroma index", chroma),
                                         ("logs (later)", all_logs))
                     if c.count(value)]
            if where:
                d["reasons"].append(f"{value} reached: {', '.join(where)}")
                d["passed"] = False
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in details:
        row = rows[d["class"]]
        row[0] += 1
        row[1 if d["passed"] else 2] += 1
    failures = [{"id": d["id"], "class": d["class"], "source": d["source"], "reasons": d["reasons"]}
                for d in details if not d["passed"]]
    h.close()
    elapsed = time.monotonic() - t0

    print(f"\n{'class':<16}{'attacks':>8}{'passed':>8}{'failed':>8}")
    total = [0, 0, 0]
    for cls in CLASSES:
        if cls in rows:
            n, p, f = rows[cls]
            total = [total[0] + n, total[1] + p, total[2] + f]
            print(f"{cls:<16}{n:>8}{p:>8}{f:>8}")
    print(f"{'total':<16}{total[0]:>8}{total[1]:>8}{total[2]:>8}")
    if vacuous:
        print(f"note: {len(vacuous)} pii_input attacks never reached the LLM (handoff/refusal): {', '.join(vacuous)}")
    print(f"elapsed {elapsed:.0f} s")
    report = {"elapsed_s": round(elapsed, 1), "table": {c: dict(zip(("attacks", "passed", "failed"), rows[c]))
                                                       for c in CLASSES if c in rows},
              "failed": failures, "pii_input_without_llm_call": vacuous, "attacks": details}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"report: {out_path}")
    if not args.keep and not args.out:
        pass  # the report lives in the temp dir; leave it for inspection
    return 0


if __name__ == "__main__":
    try:
        main()
    finally:
        sys.stdout.flush()
    os._exit(0)  # measuring tool: always 0 (and do not wait for stray non-daemon threads)
