"""The command line runs the same components as REST: search, ask, ingest errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings


@pytest.fixture
def cli(small_container, monkeypatch):
    monkeypatch.setenv("CG_DATA_DIR", str(small_container.settings.data_dir))
    monkeypatch.setenv("CG_KNOWLEDGE_DIR", str(small_container.settings.knowledge_dir))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_search_json_prints_one_object_per_hit(cli):
    result = cli("search", "--json", "--k", "2", "교환 배송비")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and lines[0]["id"] == "FAQ-T-001"
    assert set(lines[0]) == {"id", "score", "title"} and len(lines) <= 2


def test_search_queries_file_answers_every_query(cli, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "text": "교환 배송비"}\n{"id": "b", "text": "waterproof jacket"}\n')
    result = cli("search", "--queries", str(queries), "--k", "3")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query_id"] for r in rows] == ["a", "b"]
    assert rows[0]["hits"][0]["id"] == "FAQ-T-001" and rows[1]["hits"][0]["id"] == "P902"


def test_search_with_bad_queries_file_names_the_line(cli, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "text": "교환"}\n{"text": 3}\n')
    result = cli("search", "--queries", str(queries))
    assert result.exit_code == 2 and "q.jsonl:2" in result.output


def test_ask_runs_the_pipeline(cli):
    result = cli("ask", "cs", "교환 배송비는 얼마인가요?", "--json")
    envelope = json.loads(result.stdout)
    assert result.exit_code == 0 and envelope["task"] == "cs_answer" and envelope["citations"]
    pretty = cli("ask", "summary", "P902")
    assert pretty.exit_code == 0 and "guard pass" in pretty.stdout and "189,000원" in pretty.stdout


def test_ask_errors_are_clear(cli):
    missing = cli("ask", "summary", "P999")
    invalid = cli("ask", "styling", "P901", "--season", "장마")
    assert missing.exit_code == 4 and "P999" in missing.output
    assert invalid.exit_code == 2 and "season" in invalid.output


def test_ingest_of_invalid_file_fails_whole_with_file_line_field(cli, tmp_path):
    bad = tmp_path / "products.jsonl"
    bad.write_text('{"id": "P1"}\n')
    result = cli("ingest", str(bad))
    assert result.exit_code == 2 and "products.jsonl:1: field 'id'" in result.output


def test_cache_stats_and_purge(cli, small_container):
    small_container.pipeline.run("summary", {"product_id": "P901"})
    small_container.pipeline.run("summary", {"product_id": "P901"})
    stats = json.loads(cli("cache", "stats", "--json").stdout)
    assert stats["store"] == "diskcache" and stats["tasks"]["summary"]["entries"] == 1
    assert "removed 1 cache entry" in cli("cache", "purge", "--task", "summary").output
    assert cli("cache", "purge", "--task", "poem").exit_code == 2
