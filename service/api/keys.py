"""API keys: stored as SHA-256 hashes with scopes and a rate limit, in data_dir.

A key is shown once, when it is created (`commerce-guard keys create`). Only its
hash is kept, so the file leaks no usable secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCOPES = ("cs", "content", "metrics", "admin")  # admin holds every scope


@dataclass
class ApiKey:
    name: str
    scopes: list[str]
    sha256: str
    rate_per_minute: int = 600
    prefix: str = field(default="")  # the first characters, to recognise a key in listings


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> list[ApiKey]:
        if not self.path.exists():
            return []
        return [ApiKey(**item) for item in json.loads(self.path.read_text())]

    def _save(self, keys: list[ApiKey]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(k) for k in keys], indent=1))
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    def create(self, name: str, scopes: list[str], rate_per_minute: int = 600) -> str:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise ValueError(f"scopes must be among {list(SCOPES)}; got {scopes}")
        secret = "cg_" + secrets.token_urlsafe(24)
        with self._lock:
            keys = [k for k in self.load() if k.name != name]
            keys.append(ApiKey(name, sorted(set(scopes)), _hash(secret), rate_per_minute, secret[:7]))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._save(keys)
        return secret

    def revoke(self, name: str) -> bool:
        with self._lock:
            keys = self.load()
            kept = [k for k in keys if k.name != name]
            self._save(kept)
        return len(kept) < len(keys)

    def find(self, secret: str) -> ApiKey | None:
        digest = _hash(secret)
        return next((k for k in self.load() if secrets.compare_digest(k.sha256, digest)), None)
