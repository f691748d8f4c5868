"""Loaders for knowledge files.

They read products (JSONL), FAQ/policy entries (JSONL), Markdown notes
(chunked by level-2 heading) and generic ``{id, title, text, metadata}``
records. Every record is validated before anything is written, so an invalid
file fails whole, with the file, line and field named.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from service.retrieval.records import FaqRecord, GenericRecord, ProductRecord
from service.retrieval.document import Document
from service.retrieval.render import render_faq, render_product


class RecordError(ValueError):
    """One or more invalid records; the message names file, line and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} invalid record(s):\n{shown}{more}")


# --- JSONL -----------------------------------------------------------------


def _read_jsonl(path: Path, model: type[BaseModel]) -> list[tuple[int, BaseModel]]:
    records, problems, seen = [], [], {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = model.model_validate_json(line)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "(record)"
                problems.append(f"{path}:{line_no}: field '{where}': {err['msg']}")
            continue
        if record.id in seen:
            problems.append(f"{path}:{line_no}: field 'id': duplicate id {record.id!r} (first on line {seen[record.id]})")
            continue
        seen[record.id] = line_no
        records.append((line_no, record))
    if problems:
        raise RecordError(problems)
    return records


def load_products(path: Path, collection: str = "products") -> list[Document]:
    return [render_product(rec, collection) for _, rec in _read_jsonl(path, ProductRecord)]


def load_faq(path: Path, collection: str = "faq") -> list[Document]:
    return [render_faq(rec, collection) for _, rec in _read_jsonl(path, FaqRecord)]


def load_generic(path: Path, collection: str) -> list[Document]:
    return [
        Document(rec.id, collection, rec.title, rec.text, _scalar_metadata(rec.metadata))
        for _, rec in _read_jsonl(path, GenericRecord)
    ]


def _scalar_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma stores scalars only; lists and objects are kept as JSON strings."""
    return {k: v if isinstance(v, (str, int, float, bool)) else json.dumps(v, ensure_ascii=False)
            for k, v in metadata.items() if v is not None}


# --- Markdown ----------------------------------------------------------------

HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*$")
ID_PREFIX = re.compile(r"^(?P<id>[A-Z][A-Z0-9]*-\d+)\s+(?P<rest>.+)$")


def load_markdown(path: Path, collection: str) -> list[Document]:
    """One document per level-2 section; ``## SG-001 제목`` gives id SG-001."""
    docs, problems, seen = [], [], set()
    for line_no, title, body in _sections(path.read_text(encoding="utf-8")):
        match = ID_PREFIX.match(title)
        doc_id = match["id"] if match else f"{path.stem}-{_slug(title)}"
        title_text = match["rest"] if match else title
        if not body:
            problems.append(f"{path}:{line_no}: field 'text': section {title!r} has no body")
        elif doc_id in seen:
            problems.append(f"{path}:{line_no}: field 'id': duplicate id {doc_id!r}")
        seen.add(doc_id)
        docs.append(Document(doc_id, collection, title_text, f"{title_text}\n{body}", {"kind": "note", "source": path.name}))
    if problems:
        raise RecordError(problems)
    return docs


def _sections(text: str) -> Iterable[tuple[int, str, str]]:
    current: tuple[int, str] | None = None
    body: list[str] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        match = HEADING.match(line)
        if match:
            if current:
                yield current[0], current[1], "\n".join(body).strip()
            current, body = (line_no, match["title"]), []
        elif current:
            body.append(line)
    if current:
        yield current[0], current[1], "\n".join(body).strip()


def _slug(title: str) -> str:
    return re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60]


# --- sources -------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A file and the collection its documents go to."""

    path: Path
    collection: str
    kind: str  # product | faq | markdown | generic

    def load(self) -> list[Document]:
        if not self.path.exists():
            raise RecordError([f"{self.path}: file not found"])
        loader = {"product": load_products, "faq": load_faq, "markdown": load_markdown, "generic": load_generic}[self.kind]
        return loader(self.path, self.collection)


def infer_source(path: Path, collection: str | None = None) -> Source:
    """Sample files are recognised by name; anything else needs --collection."""
    name = path.name.lower()
    if collection is None:
        if name.startswith("products") and name.endswith(".jsonl"):
            return Source(path, "products", "product")
        if name.startswith("faq") and name.endswith(".jsonl"):
            return Source(path, "faq", "faq")
        if name.startswith("style") and name.endswith(".md"):
            return Source(path, "style", "markdown")
        raise RecordError([f"{path}: unknown file kind; pass --collection NAME to index it as generic documents"])
    kind = "markdown" if name.endswith(".md") else "generic"
    return Source(path, collection, kind)


def default_sources(knowledge_dir: Path) -> list[Source]:
    return [
        Source(knowledge_dir / "products.jsonl", "products", "product"),
        Source(knowledge_dir / "faq.jsonl", "faq", "faq"),
        Source(knowledge_dir / "style_guides.md", "style", "markdown"),
    ]


def load_knowledge(knowledge_dir: Path) -> dict[str, Document]:
    """Every sample document by id (for benchmarks, evals and the composer)."""
    return {doc.id: doc for source in default_sources(knowledge_dir) for doc in source.load()}
