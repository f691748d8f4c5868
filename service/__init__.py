"""commerce-guard: a guarded LLM/RAG service for commerce content.

Importing the package pins the process to offline, single-threaded operation
before any heavy library (torch, transformers, chromadb, litellm) is imported.
"""

from service import offline as _offline

_offline.apply()

__version__ = "0.1.0"
