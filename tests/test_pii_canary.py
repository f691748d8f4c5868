"""Canary test (issue 13): personal data sent in every text input, in every form the redaction
knows, reaches none of: the requests the LLM receives, the cache (keys and values), the logs,
the audit log, the feedback store, /metrics, the responses, or any file under the data dir.

The LLM is the fake OpenAI-compatible server (real HTTP). A canary is looked for in its
canonical form too: the digits with any separators between them, each digit ASCII or spelled
in Hangul (so "010-5555-7777" is found as "0 1 0 5 5 5 5 7 7 7 7" or "공일공오오오오칠칠칠칠");
the e-mail canaries share a unique local part, looked for case-insensitively on its own.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from service.observability.logs import JsonFormatter
from tests.conftest import container_with
from tests.fakes.fake_openai import Reply

# (form, text carrying it, the canary's digits); one value per form so a leak names its form.
NUMBER_CANARIES = [
    ("phone, dashed (issue 13)", "010-5555-7777", "01055557777"),
    ("phone, Hangul digits", "공일공 칠삼팔이 오구사육", "01073825946"),
    ("phone, spaced digits", "0 1 0 2 7 4 6 8 1 3 9", "01027468139"),
    ("phone, mixed", "010-육이구삼-4815", "01062934815"),
    ("phone, +82", "+82 10-3141-5926", "1031415926"),
    ("rrn, dashed (issue 13)", "900101-1234567", "9001011234567"),
    ("rrn, no dash, check digit", "8503152345678", "8503152345678"),
    ("foreigner number", "외국인등록번호 9001015123450", "9001015123450"),
    ("card (issue 13)", "4111-1111-1111-1111", "4111111111111111"),
    ("passport", "여권 M73920418", "73920418"),
    ("driver's licence", "13-05-746251-88", "130574625188"),
    ("bank account", "신한 110-482-739165", "110482739165"),
    # round 2: forms a red-team run still got through
    ("phone, slashes", "010/6284/3917", "01062843917"),
    ("rrn, dot between the groups", "주민번호 870214.1357924", "8702141357924"),
    ("passport, spaced", "여권 M 5823 1946", "58231946"),
    ("phone, Hangul groups with particles", "공일공에 팔삼육이에 칠오구일이요", "01083627591"),
    # round 3: forms a fresh-eyes tester still got through
    ("phone, any punctuation between groups", "010~8642~1357", "01086421357"),
    ("card, dots between groups", "4485.2538.8853.9336", "4485253888539336"),
    ("rrn, tilde after the keyword", "주민번호 781102~1100000", "7811021100000"),
    ("phone, letters for digits", "O1O-9753-1864", "01097531864"),
    ("phone, spoken dashes", "공일공 다시 육육사사 다시 이이팔팔", "01066442288"),
    ("passport, letter in Hangul", "여권 엠 4821 9375", "48219375"),
]
EMAIL_CANARIES = [
    ("e-mail (issue 13 form)", "qzcanary1@example.com"),
    ("e-mail, (at) dot", "qzcanary2 (at) example dot com"),
    ("e-mail, 골뱅이", "qzcanary3골뱅이example.com"),
    ("e-mail, (@)", "qzcanary4(@)example.com"),
    ("e-mail, 에이티", "qzcanary5 에이티 example.com"),
    ("e-mail, one letter at a time", "q z c a n a r y 6 @ e x a m p l e . c o m"),
]
EMAIL_MARK = "qzcanary"
ADDRESS = ("address", "서울시 강남구 테헤란로 427", re.compile(r"테헤란로\s*427"))
PASSPORT_2021 = ("passport, 2021 format", "S482B7713", re.compile(r"4\W*8\W*2\W*b\W*7\W*7\W*1\W*3", re.I))

GOOD = "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]"
HALLUCINATED = "사이즈 교환 시 왕복 배송비 3,000원이 부과됩니다. [FAQ-T-001]"

_SPELLED = {"0": "0공영oO", "1": "1일lIi", "2": "2이", "3": "3삼", "4": "4사", "5": "5오",
            "6": "6육륙", "7": "7칠", "8": "8팔", "9": "9구"}


def spelled(digits: str) -> re.Pattern:
    """The digits in any spelling: separators (any punctuation or symbol), particles or spoken dashes
    between them, each digit ASCII, Hangul or a look-alike letter (O for 0, l or I for 1)."""
    return re.compile(r"(?:[^\w]|[_\u318d\u119e]|에|요|하고|다시|대시|하이픈)*".join(f"[{_SPELLED[d]}]" for d in digits))


OTHER_CANARIES = [ADDRESS, PASSPORT_2021]
PATTERNS = [(form, spelled(digits)) for form, _, digits in NUMBER_CANARIES] + [(f, p) for f, _, p in OTHER_CANARIES]


def leaks(text: str) -> list[str]:
    """The canary forms found in text."""
    found = [form for form, pattern in PATTERNS if pattern.search(text)]
    if EMAIL_MARK in re.sub(r"\s", "", text.lower()):  # also spelled one letter at a time
        found.append("e-mail")
    return found


def test_the_canary_patterns_find_their_values():
    """The check itself: every canary, as sent, is found (else a clean result proves nothing)."""
    for form, text, _ in NUMBER_CANARIES:
        assert form in leaks(text), form
    for _, text in EMAIL_CANARIES:
        assert leaks(text) == ["e-mail"]
    for form, text, _ in OTHER_CANARIES:
        assert leaks(text) == [form]
    assert leaks("교환 배송비는 [PHONE] 로 연락, 6,000원, 2026-12-01") == []


@pytest.fixture
def canary_app(small_container, fake_llm, tmp_path):
    from service.api.app import create_app
    from service.cache.response_cache import ResponseCache
    from service.cache.stores import DiskCacheStore

    fake_llm.reset()
    turns = itertools.count()
    # Answers alternate between one that passes (cached) and one that fails grounding
    # (reask, then the composer: an audit row with the failing claims).
    fake_llm.set_default(Reply(lambda body: {"answer": GOOD if next(turns) % 2 else HALLUCINATED,
                                             "handoff": False, "confidence": 0.9}))
    container = container_with(small_container, llm_base_url=fake_llm.base_url, llm_model="fake-model",
                               llm_max_retries=0, llm_timeout_s=5.0, data_dir=tmp_path / "var")
    # A cache of its own under this data dir (container_with shares the session's), read back below.
    container.__dict__["cache"] = ResponseCache(DiskCacheStore(container.settings.cache_dir),
                                                container.settings.semantic_cache_threshold)
    return TestClient(create_app(container), raise_server_exceptions=False), container


def test_no_personal_data_reaches_the_llm_cache_logs_audit_feedback_or_metrics(canary_app, fake_llm, caplog):
    client, container = canary_app
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    service_logger = logging.getLogger("commerce_guard")
    service_logger.addHandler(handler)
    previous_level = service_logger.level
    service_logger.setLevel(logging.DEBUG)
    responses: list[str] = []
    sent_values = ([text for _, text, _ in NUMBER_CANARIES] + [text for _, text in EMAIL_CANARIES]
                   + [text for _, text, _ in OTHER_CANARIES])
    try:
        for n, value in enumerate(sent_values):
            r = client.post("/v1/answers", headers={"x-request-id": f"canary-{n}"},
                            json={"question": f"교환 배송비는 얼마인가요? 제 정보는 {value} 입니다",
                                  "order_context": f"배송 메모: {value}"})
            assert r.status_code == 200, r.text
            responses.append(r.text)
        everything = " / ".join(sent_values)
        r = client.post("/v1/answers?stream=true", json={"question": f"교환 배송비는 얼마인가요? {sent_values[1]}"},
                        headers={"x-request-id": "canary-stream"})
        assert r.status_code == 200
        responses.append(r.text)
        r = client.post("/v1/styling", json={"product_id": "P001", "occasion": f"출근 {sent_values[0]} {sent_values[9]}"})
        assert r.status_code in (200, 404), r.text
        responses.append(r.text)
        # feedback on an issued draft, its text full of canaries
        r = client.post("/v1/feedback", json={"request_id": "canary-0", "verdict": "edited",
                                              "edited_text": everything[:4000], "reason": everything[:1000]})
        assert r.status_code == 201, r.text
        responses.append(r.text)
        # inputs whose response returns the caller's own text by design: only side effects are checked
        assert client.post("/v1/guard/check", json={"text": f"문의는 {sent_values[0]} 로 주세요."}).status_code == 200
        assert client.post("/v1/search", json={"query": f"교환 배송비 {sent_values[1]} {sent_values[14]}"}).status_code == 200
        metrics = client.get("/metrics")
        assert metrics.status_code == 200, metrics.text
    finally:
        service_logger.removeHandler(handler)
        service_logger.setLevel(previous_level)

    # The LLM was asked (so the check is not vacuous) and saw placeholders, never the values.
    assert len(fake_llm.requests) >= len(NUMBER_CANARIES)
    sent_to_llm = json.dumps(fake_llm.requests, ensure_ascii=False)
    assert "[PHONE]" in sent_to_llm and "[EMAIL]" in sent_to_llm and "[RRN]" in sent_to_llm
    places = {"LLM requests": sent_to_llm, "logs": stream.getvalue() + caplog.text, "/metrics": metrics.text,
              "responses": "\n".join(responses)}

    store = container.cache.store
    keys = list(store.keys())
    assert keys, "nothing was cached: the cache check would be vacuous"
    places["cache keys"] = "\n".join(keys)
    places["cache values"] = json.dumps([store.get(k) for k in keys], ensure_ascii=False)
    places["counters"] = json.dumps(store.counters(), ensure_ascii=False)
    audit = container.audit.recent(limit=500)
    assert audit, "nothing was audited: the audit check would be vacuous"
    places["audit"] = json.dumps(audit, ensure_ascii=False)
    from service.evals.feedback import draft_cases, store_for

    feedback = store_for(container.settings.data_dir).list()
    assert feedback and "[PHONE]" in (feedback[0].edited_text or "")
    places["feedback"] = json.dumps([f.__dict__ for f in feedback], ensure_ascii=False)
    places["import-feedback drafts"] = json.dumps(list(draft_cases(feedback, {})), ensure_ascii=False)
    files = [p for p in container.settings.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "feedback.db" for p in files) and any(p.name == "audit.db" for p in files)
    for path in files:
        places[f"file {path.relative_to(container.settings.data_dir)}"] = path.read_bytes().decode("utf-8", "ignore")

    found = {place: leaks(text) for place, text in places.items()}
    assert {place: forms for place, forms in found.items() if forms} == {}


# ---- a client's x-request-id is echoed into logs, audit and feedback: personal data must not ride in it --
PII_REQUEST_IDS = ["hong.kim-010-4826-1375", "01048261375", "cust-900101.1234568", "ref-010_4826_1375"]


def test_request_ids_carrying_personal_data_are_replaced():
    from service.api.middleware import accepted_request_id

    for given in PII_REQUEST_IDS + ["12345678", "", "a" * 65, "id with space", "키-1"]:
        assert accepted_request_id(given) is None, given
    for given in ["cs-tool-42", "req-1", "canary-0", "3f2b1c9e8d7a4b6c9e0f1a2b3c4d5e6f", "order-20240501-0001234"]:
        assert accepted_request_id(given) == given


def test_no_personal_data_from_the_request_id_header_reaches_logs_audit_or_feedback(canary_app, caplog):
    client, container = canary_app
    caplog.set_level(logging.INFO)
    issued = []
    for given in PII_REQUEST_IDS:
        r = client.post("/v1/answers", headers={"x-request-id": given}, json={"question": "교환 배송비는 얼마인가요?"})
        assert r.status_code == 200, r.text
        assert r.headers["x-request-id"] != given and r.json()["request_id"] == r.headers["x-request-id"]
        issued.append(r.headers["x-request-id"])
        # the replaced id was never issued, so feedback naming it stores nothing
        assert client.post("/v1/feedback", json={"request_id": given, "verdict": "accepted"}).status_code == 404
    assert client.post("/v1/feedback", json={"request_id": issued[0], "verdict": "accepted"}).status_code == 201
    safe = client.post("/v1/answers", headers={"x-request-id": "cs-tool-42"}, json={"question": "반품 기간?"})
    assert safe.headers["x-request-id"] == "cs-tool-42"  # a safe id is still echoed

    from service.evals.feedback import store_for

    places = {"logs": caplog.text, "audit": json.dumps(container.audit.recent(limit=100), ensure_ascii=False),
              "feedback": json.dumps([f.__dict__ for f in store_for(container.settings.data_dir).list()])}
    assert "cs-tool-42" in places["logs"] + places["audit"]  # the places do record request ids
    for path in (p for p in container.settings.data_dir.rglob("*") if p.is_file()):
        places[f"file {path.name}"] = path.read_bytes().decode("utf-8", "ignore")
    digits = [re.sub(r"[^0-9]", "", given) for given in PII_REQUEST_IDS]
    leaked = {place: [d for d in digits if spelled(d).search(text)] for place, text in places.items()}
    assert {place: found for place, found in leaked.items() if found} == {}
