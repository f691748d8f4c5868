"""Retrieval failures every caller handles the same way (kept light: no chromadb import)."""


class IndexUnavailable(RuntimeError):
    """Chroma cannot be reached or opened; the message says why (the API answers 503, the CLI exits 5)."""
