"""Counting prompt tokens and finding the context window of an OpenAI-compatible server.

The server's own tokenizer is the only exact count: llama-cpp-python answers on
``/extras/tokenize/count``, llama.cpp's server and vLLM on ``/tokenize``. Where none
answers (hosted APIs, Ollama) a conservative estimate stands in; ``tiktoken`` is not
an option offline (it downloads its tables at run time) and fits only OpenAI's models.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from typing import Any, Callable

import httpx

log = logging.getLogger("commerce_guard.llm")

# Chat templates add a few tokens per message (role markers, separators) and a reply primer.
PER_MESSAGE_TOKENS = 8
REPLY_PRIMER_TOKENS = 16
_WIDE = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def estimate_tokens(text: str) -> int:
    """An upper-side estimate: one token per Hangul/CJK character and per digit (BPE vocabularies
    of small models split them that finely at worst), one per three other characters."""
    wide = len(_WIDE.findall(text))
    digits = sum(ch.isdigit() for ch in text)
    rest = len(text) - wide - digits
    return wide + digits + math.ceil(rest / 3)


def messages_text(messages: list[dict]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages)


class TokenCounter:
    """Counts with the server's tokenizer when it has one (the route is found once), else estimates."""

    def __init__(self, server_root: str, http: httpx.Client, model: str) -> None:
        self.root = server_root.rstrip("/")
        self.http = http
        self.model = model
        self._route: Callable[[str], int] | None = None
        self._probed = False
        self._lock = threading.Lock()

    @property
    def exact(self) -> bool:
        self._probe()
        return self._route is not None

    def count_messages(self, messages: list[dict]) -> int:
        return self.count(messages_text(messages)) + PER_MESSAGE_TOKENS * len(messages) + REPLY_PRIMER_TOKENS

    def count(self, text: str) -> int:
        self._probe()
        if self._route is not None:
            try:
                return self._route(text)
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                log.warning("tokenize failed, estimating instead", extra={"error": str(exc)[:200]})
        return estimate_tokens(text)

    def _probe(self) -> None:
        with self._lock:
            if self._probed:
                return
            self._probed = True
            for route in (self._llama_cpp_python, self._llama_cpp, self._vllm):
                try:
                    route("한국어 test")
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    continue
                self._route = route
                return

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(self.root + path, json=body, timeout=10.0)
        r.raise_for_status()
        return r.json()

    def _llama_cpp_python(self, text: str) -> int:
        return int(self._post("/extras/tokenize/count", {"input": text, "model": self.model})["count"])

    def _llama_cpp(self, text: str) -> int:
        return len(self._post("/tokenize", {"content": text})["tokens"])

    def _vllm(self, text: str) -> int:
        return int(self._post("/tokenize", {"model": self.model, "prompt": text})["count"])


def discover_context(server_root: str, http: httpx.Client, model: str) -> int | None:
    """The served context window when the server tells it: llama.cpp ``/props``, vLLM ``/v1/models``."""
    root = server_root.rstrip("/")
    try:
        r = http.get(root + "/props", timeout=5.0)
        if r.status_code == 200:
            n = (r.json().get("default_generation_settings") or {}).get("n_ctx")
            if isinstance(n, int) and n > 0:
                return n
    except (httpx.HTTPError, ValueError):
        pass
    try:
        r = http.get(root + "/v1/models", timeout=5.0)
        if r.status_code == 200:
            for m in r.json().get("data", []):
                if m.get("id") == model and isinstance(m.get("max_model_len"), int):
                    return m["max_model_len"]
    except (httpx.HTTPError, ValueError):
        pass
    return None


def server_root(base_url: str) -> str:
    """``http://host:8090/v1`` -> ``http://host:8090``: extras live beside the OpenAI routes."""
    return re.sub(r"/v1/?$", "", base_url.rstrip("/"))
