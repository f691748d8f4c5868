"""CS-agent feedback (issue 13): only drafts the service issued, personal data redacted before
storage and before import, and the data files owner-only."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.evals.feedback import FeedbackStore, draft_cases
from tests.conftest import container_with

# The values of the issue's report, as they were posted.
ISSUE_BODY = {"request_id": "nonexistent-123", "verdict": "edited",
              "edited_text": "고객님 연락처 010-5555-7777, 주민번호 900101-1234567 확인했습니다.",
              "reason": "카드 4111-1111-1111-1111 hong@example.com"}
CANARIES = ("01055557777", "9001011234567", "4111111111111111", "hong@example.com")


def digits_and_lower(data: bytes) -> str:
    """A file's bytes with everything but digits, letters, '@' and '.' dropped, lowercased:
    a canary written with separators or in any case still shows."""
    text = data.decode("utf-8", "ignore").lower()
    return "".join(c for c in text if c.isalnum() or c in "@.")


@pytest.fixture
def app(small_container, tmp_path):
    from service.api.app import create_app

    container = container_with(small_container, data_dir=tmp_path / "var")
    return TestClient(create_app(container), raise_server_exceptions=False), container


def issue_draft(client, request_id: str, stream: bool = False) -> None:
    r = client.post("/v1/answers" + ("?stream=true" if stream else ""),
                    json={"question": "교환 배송비는 얼마인가요?"}, headers={"x-request-id": request_id})
    assert r.status_code == 200, r.text


def test_feedback_for_a_request_id_never_issued_is_404_and_stores_nothing(app):
    client, container = app
    r = client.post("/v1/feedback", json=ISSUE_BODY)  # was 201, with the values stored verbatim
    assert r.status_code == 404, r.text
    error = r.json()["error"]
    assert error["code"] == "not_found" and error["message"].startswith("request_id:")
    assert "nonexistent-123" not in error["message"]  # a client-chosen value is not echoed
    assert FeedbackStore(container.settings.data_dir / "feedback.db").list() == []


def test_feedback_on_an_issued_draft_is_stored_redacted(app):
    client, container = app
    issue_draft(client, "draft-1")
    r = client.post("/v1/feedback", json={**ISSUE_BODY, "request_id": "draft-1"})
    assert r.status_code == 201, r.text
    assert not any(c in r.text for c in CANARIES)
    [stored] = FeedbackStore(container.settings.data_dir / "feedback.db").list()
    assert stored.edited_text == "고객님 연락처 [PHONE], 주민번호 [RRN] 확인했습니다."
    assert stored.reason == "카드 [CARD] [EMAIL]"
    # nowhere on disk either (the database, its WAL, every other file under the data dir)
    for path in container.settings.data_dir.rglob("*"):
        if path.is_file():
            flat = digits_and_lower(path.read_bytes())
            assert not any(c in flat for c in CANARIES), path


def test_a_streamed_draft_takes_feedback_too(app):
    client, _ = app
    issue_draft(client, "draft-stream", stream=True)
    assert client.post("/v1/feedback", json={"request_id": "draft-stream", "verdict": "accepted"}).status_code == 201


def test_a_draft_id_is_remembered_for_a_limited_time(tmp_path):
    from datetime import datetime, timedelta, timezone

    from service.evals.feedback import ISSUED_DAYS

    store = FeedbackStore(tmp_path / "feedback.db")
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    store.issue("old-draft", "cs_answer", now=now - timedelta(days=ISSUED_DAYS + 1))
    store.issue("new-draft", "cs_answer", now=now)
    assert store.issued("new-draft", now=now) and not store.issued("old-draft", now=now)
    assert not store.issued("never", now=now)


def test_import_redacts_rows_stored_before_redaction_existed(tmp_path):
    """A feedback.db written by the old code holds raw text: the drafts made from it do not."""
    store = FeedbackStore(tmp_path / "feedback.db")
    with sqlite3.connect(tmp_path / "feedback.db") as db:  # what the old add() did: store as given
        db.execute("INSERT INTO feedback (created_at, request_id, verdict, edited_text, reason) VALUES (?,?,?,?,?)",
                   ("2026-11-30T00:00:00+00:00", "legacy", "edited", ISSUE_BODY["edited_text"], ISSUE_BODY["reason"]))
    responses = {"legacy": {"request_id": "legacy", "inputs": {"question": "공일공 이삼사오 육칠팔구로 연락 주세요"},
                            "output": {"answer": "hong골뱅이example.com 으로 보내드릴게요."}}}
    [draft] = list(draft_cases(store.list(), responses))
    flat = digits_and_lower(json.dumps(draft, ensure_ascii=False).encode())
    assert not any(c in flat for c in CANARIES + ("01023456789",)), draft
    assert "[PHONE]" in draft["reference"] and draft["source"]["reason"] == "카드 [CARD] [EMAIL]"
    assert draft["inputs"]["question"] == "[PHONE]로 연락 주세요"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_files_are_owner_only(app):
    """feedback.db was created 644 (issue 13); every database and store file is 0600, their directories 0700."""
    client, container = app
    issue_draft(client, "draft-modes")
    assert client.post("/v1/feedback", json={"request_id": "draft-modes", "verdict": "accepted"}).status_code == 201
    container.audit  # the audit database exists from the first request on
    from service.cache.stores import DiskCacheStore  # the tests share one cache: a store of this data dir

    store = DiskCacheStore(container.settings.cache_dir)
    store.set("probe", {"x": 1}, 60)
    store.incr("probe-counter")
    data = container.settings.data_dir
    for name in ("feedback.db", "audit.db", "cache/cache.db", "cache/counters/cache.db"):
        assert mode(data / name) == 0o600, name
    journals = [p for p in data.rglob("*.db-*")]
    assert journals  # WAL mode: the -wal/-shm files exist while the databases are open
    for journal in journals:
        assert mode(journal) == 0o600, journal.name  # SQLite gives them the database's mode
    for name in ("cache", "cache/counters"):
        assert mode(data / name) == 0o700, name


def test_existing_files_are_tightened(tmp_path):
    path = tmp_path / "feedback.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    FeedbackStore(path)
    assert mode(path) == 0o600


def test_settings_data_dir_is_created_owner_only(tmp_path, monkeypatch):
    from service.config import get_settings

    monkeypatch.setenv("CG_DATA_DIR", str(tmp_path / "fresh" / "var"))
    get_settings.cache_clear()
    try:
        assert mode(get_settings().data_dir) == 0o700
    finally:
        get_settings.cache_clear()


def test_a_request_id_with_a_line_break_is_not_taken_for_the_draft(app):
    client, _ = app
    issue_draft(client, "draft-nl")
    r = client.post("/v1/feedback", json={"request_id": "draft-nl\n", "verdict": "accepted"})
    assert r.status_code == 422, r.text  # was 201: the model stripped the newline before the pattern
    assert "request_id" in r.json()["error"]["message"]
