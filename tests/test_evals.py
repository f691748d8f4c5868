"""The evals harness: scorers on hand-made envelopes, the gate, determinism, reports,
a broken composer or guard failing the gate, and CS-agent feedback (API and import)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.envelope import BackendInfo, CheckResult, Envelope, GuardReport
from service.evals import cli as eval_cli
from service.evals import gate as G
from service.evals import report, runner
from service.evals import scorers as S
from service.evals.dataset import EVALS_DIR, TASKS, Case, Criterion, load_cases, load_rubric
from service.evals.feedback import FeedbackStore, draft_cases, read_responses
from service.evals.matching import states
from service.llm.base import LLMResult
from service.tasks.spec import load_specs
from tests.conftest import container_with

SPECS = load_specs()


# --- helpers -------------------------------------------------------------------------


def envelope(task: str, output: dict, *, checks: list[CheckResult] | None = None, backend: str = "offline-composer",
             reason: str | None = None) -> Envelope:
    return Envelope(request_id="t", task=task, output=output, citations=[], guard=GuardReport(output=checks or []),
                    backend=BackendInfo(name=backend, model="m"), prompt_version="v", reason=reason)


def case(**kw) -> Case:
    return Case(id=kw.pop("id", "c1"), inputs=kw.pop("inputs", {"question": "q?"}), **kw)


class FakeCatalog:
    """retriever.get over a dict: id -> (price, in_stock)."""

    def __init__(self, items: dict[str, tuple[int, bool]]):
        self.items = items

    def get(self, collection: str, doc_id: str):
        if doc_id not in self.items:
            return None
        price, in_stock = self.items[doc_id]
        return SimpleNamespace(id=doc_id, metadata={"price": price, "in_stock": in_stock})


@pytest.fixture(scope="module")
def fake_container(small_container):
    """Real Kiwi and USE (shared with the session), a fake catalog, no LLM."""
    return SimpleNamespace(analyzer=small_container.analyzer, embedder=small_container.embedder, llm=None,
                           retriever=FakeCatalog({"P002": (30000, True), "P003": (45000, False), "P004": (20000, True)}))


def ctx(container, task: str, evidence: dict | None = None, **params) -> S.ScoreContext:
    return S.ScoreContext(container, SPECS[task], evidence or {}, params)


# --- matching --------------------------------------------------------------------------


def test_facts_match_with_number_and_unit_normalisation():
    assert states("가격은 39,000원입니다.", "3만 9천원")
    assert states("고객센터는 오후 5시까지 운영합니다.", "17:00")
    assert states("Yes, we ship to 22 countries.", "22개국")
    assert states("주문 금액 50,000원 이상이면 무료배송", "5만원 이상")
    assert not states("가격은 29,000원입니다.", "3만 9천원")
    # the fact's words must sit next to the matching number
    assert states("교환은 왕복 6,000원이 적용됩니다.", "왕복 6,000원")
    assert not states("반품은 편도 6,000원이 적용되며, 교환 배송비 안내는 별도입니다. 왕복", "왕복 6,000원")
    assert states("배송비는 전액 회사가부담합니다", "회사가 부담")  # spacing ignored


# --- scorers on hand-made envelopes ----------------------------------------------------


def test_required_facts(fake_container):
    c = case(must_include=["3만 9천원", "7일 이내"])
    good = envelope("cs_answer", {"answer": "가격은 39,000원이며 7일 이내 반품할 수 있습니다.", "handoff": False})
    half = envelope("cs_answer", {"answer": "가격은 39,000원입니다.", "handoff": False})
    refused = envelope("cs_answer", {"answer": "상담원에게 연결해 드리겠습니다.", "handoff": True})
    assert S.required_facts(c, good, ctx(fake_container, "cs_answer")) == 1.0
    k = ctx(fake_container, "cs_answer")
    assert S.required_facts(c, half, k) == 0.5 and "7일 이내" in k.notes[0]
    assert S.required_facts(c, refused, ctx(fake_container, "cs_answer")) == 0.0
    assert S.required_facts(case(must_include=["x"], expect_handoff=True), refused, ctx(fake_container, "cs_answer")) is None
    assert S.required_facts(case(), good, ctx(fake_container, "cs_answer")) is None


def test_forbidden_absent(fake_container):
    c = case(must_not_include=["010-1234-5678", "3만원 이상"])
    leak = envelope("cs_answer", {"answer": "무료배송은 30,000원 이상입니다.", "handoff": False})
    clean = envelope("cs_answer", {"answer": "무료배송은 50,000원 이상입니다.", "handoff": False})
    assert S.forbidden_absent(c, leak, ctx(fake_container, "cs_answer")) == 0.0
    assert S.forbidden_absent(c, clean, ctx(fake_container, "cs_answer")) == 1.0
    assert S.forbidden_absent(c, None, ctx(fake_container, "cs_answer")) == 1.0  # rejected request: nothing shown


def test_citations_valid(fake_container):
    evidence = {"FAQ-1": "교환 배송비는 왕복 6,000원입니다.", "FAQ-2": "환불은 3영업일 이내에 처리됩니다."}
    c = case()
    good = envelope("cs_answer", {"answer": "교환 배송비는 왕복 6,000원입니다. [FAQ-1] 환불은 3영업일 이내입니다. [FAQ-2]",
                                  "handoff": False})
    assert S.citations_valid(c, good, ctx(fake_container, "cs_answer", evidence)) == 1.0
    unknown = envelope("cs_answer", {"answer": "교환 배송비는 왕복 6,000원입니다. [FAQ-9]", "handoff": False})
    k = ctx(fake_container, "cs_answer", evidence)
    assert S.citations_valid(c, unknown, k) == 0.0 and any("FAQ-9" in n for n in k.notes)
    wrong_passage = envelope("cs_answer", {"answer": "교환 배송비는 왕복 6,000원입니다. [FAQ-2]", "handoff": False})
    k = ctx(fake_container, "cs_answer", evidence)
    assert S.citations_valid(c, wrong_passage, k) == 0.0 and "6,000원" in k.notes[0]
    uncited = envelope("cs_answer", {"answer": "교환 배송비는 왕복 6,000원입니다. [FAQ-1]\n환불은 10일 걸립니다.",
                                     "handoff": False})
    assert S.citations_valid(c, uncited, ctx(fake_container, "cs_answer", evidence)) == 0.5


def test_citations_key_facts_use_their_citation_field(fake_container):
    evidence = {"P1": "가격: 29,000원\n소재: 면 100%"}
    out = {"summary": "소재는 면 100%입니다. [P1] 가격은 29,000원입니다. [P1] 좋은 옷입니다. [P1]",
           "key_facts": [{"label": "가격", "value": "29,000원", "citation": "P1"},
                         {"label": "가격", "value": "39,000원", "citation": "P1"}]}
    assert S.citations_valid(case(), envelope("summary", out), ctx(fake_container, "summary", evidence)) == pytest.approx(0.8)


def test_grounding_and_banned_words_come_from_the_guard_report(fake_container):
    grounding = CheckResult(check="grounding", verdict="fail", details=[
        {"text": "a", "verdict": "supported"}, {"text": "b", "verdict": "supported"},
        {"text": "c", "verdict": "supported"}, {"text": "d", "verdict": "unsupported", "reason": "no evidence"}])
    banned = CheckResult(check="banned_words", verdict="fail", details=[{"term": "최고", "category": "advertising"}])
    env = envelope("cs_answer", {"answer": "x", "handoff": False}, checks=[banned, grounding])
    assert S.grounding_supported(case(), env, ctx(fake_container, "cs_answer")) == 0.75
    k = ctx(fake_container, "cs_answer")
    assert S.banned_words_clean(case(), env, k) == 0.0 and "최고" in k.notes[0]
    clean = envelope("cs_answer", {"answer": "x", "handoff": False},
                     checks=[CheckResult(check="banned_words", verdict="pass")])
    assert S.banned_words_clean(case(), clean, ctx(fake_container, "cs_answer")) == 1.0
    assert S.grounding_supported(case(), clean, ctx(fake_container, "cs_answer")) is None


def test_format_per_task(fake_container):
    facts = [{"label": "가격", "value": "29,000원", "citation": "P1"}]
    four = ('소재는 면 100%입니다. [P1] 가격은 29,000원입니다. [P1] 2영업일 이내 출고됩니다. [P1] '
            '구매 고객 리뷰(★5)에는 "정말 안 비쳐요. 두꺼워요."라는 평이 있습니다. [P1]')
    k = ctx(fake_container, "summary", min_sentences=3, max_sentences=5)
    assert S.format_ok(case(), envelope("summary", {"summary": four, "key_facts": facts}), k) == 1.0
    short = envelope("summary", {"summary": "가격은 29,000원입니다. [P1]", "key_facts": facts})
    assert S.format_ok(case(), short, ctx(fake_container, "summary")) < 1
    dangling = envelope("summary", {"summary": "[P1] " + four, "key_facts": facts})
    assert S.format_ok(case(), dangling, ctx(fake_container, "summary")) < 1

    anchor = case(inputs={"product_id": "P001"})
    outfit = {"title": "출근 코디", "items": ["P001", "P002"], "reason": "단정합니다. [SG-001]"}
    assert S.format_ok(anchor, envelope("styling", {"outfits": [outfit, outfit]}), ctx(fake_container, "styling")) == 1.0
    assert S.format_ok(anchor, envelope("styling", {"outfits": [outfit]}), ctx(fake_container, "styling")) < 1
    no_anchor = {**outfit, "items": ["P002", "P003"]}
    assert S.format_ok(anchor, envelope("styling", {"outfits": [outfit, no_anchor]}), ctx(fake_container, "styling")) < 1

    long = envelope("cs_answer", {"answer": "가" * 700 + "입니다.", "handoff": False})
    assert S.format_ok(case(), long, ctx(fake_container, "cs_answer", max_chars=600)) < 1
    assert S.format_ok(case(expect_handoff=True), None, ctx(fake_container, "cs_answer")) is None


def test_honorific_register_from_morphology(fake_container):
    def score(text):
        return S.honorific_register(case(), envelope("cs_answer", {"answer": text, "handoff": False}),
                                    ctx(fake_container, "cs_answer"))

    assert score("교환 배송비는 왕복 6,000원입니다. 마이페이지에서 신청해 주세요.") == 1.0
    assert score("교환 배송비는 왕복 6,000원이야. 마이페이지에서 신청해.") == 0.0
    assert score("배송비는 3,000원이에요. 그냥 마이페이지에서 해.") == 0.5
    assert score("확인하셨어?") == 0.5  # -시- without a polite ending
    assert score("The shipping fee is 3,000 KRW.") is None
    assert S.honorific_register(case(), envelope("cs_answer", {"answer": "상담원 연결", "handoff": True}),
                                ctx(fake_container, "cs_answer")) is None


def test_handoff_correct(fake_container):
    answered = envelope("cs_answer", {"answer": "7일 이내입니다.", "handoff": False})
    handed = envelope("cs_answer", {"answer": "상담원에게 연결해 드리겠습니다.", "handoff": True})
    assert S.handoff_correct(case(expect_handoff=True), handed, ctx(fake_container, "cs_answer")) == 1.0
    assert S.handoff_correct(case(expect_handoff=True), answered, ctx(fake_container, "cs_answer")) == 0.0
    assert S.handoff_correct(case(expect_handoff=False), handed, ctx(fake_container, "cs_answer")) == 0.0
    assert S.handoff_correct(case(expect_handoff=True), None, ctx(fake_container, "summary")) == 1.0  # 404
    assert S.handoff_correct(case(), answered, ctx(fake_container, "cs_answer")) is None
    assert S.handoff_correct(case(expect_handoff=True), envelope("styling", {"outfits": []}),
                             ctx(fake_container, "styling")) == 1.0


def test_reference_similarity(fake_container):
    ref = "교환 배송비는 주문 시 배송비와 관계없이 왕복 6,000원입니다."
    same = envelope("cs_answer", {"answer": ref + " [FAQ-1]", "handoff": False})
    other = envelope("cs_answer", {"answer": "울 니트는 찬물에 손세탁하고 평평하게 말려 주세요.", "handoff": False})
    high = S.reference_similarity(case(reference=ref), same, ctx(fake_container, "cs_answer"))
    low = S.reference_similarity(case(reference=ref), other, ctx(fake_container, "cs_answer"))
    assert high > 0.95 and low < high - 0.2
    assert S.reference_similarity(case(), same, ctx(fake_container, "cs_answer")) is None


def test_styling_constraints_stock_and_budget(fake_container):
    ok = {"title": "t", "items": ["P001", "P002", "P004"], "reason": "r"}
    sold_out = {"title": "t", "items": ["P001", "P003"], "reason": "r"}
    env = envelope("styling", {"outfits": [ok, sold_out]})
    k = ctx(fake_container, "styling")
    assert S.styling_constraints(case(inputs={"product_id": "P001"}), env, k) == 0.5 and "sold out" in k.notes[0]
    k = ctx(fake_container, "styling")
    assert S.styling_constraints(case(inputs={"product_id": "P001", "budget": 40000}), envelope("styling", {"outfits": [ok]}), k) == 0.0
    assert "budget" in k.notes[0]


class ScriptedJudge:
    def __init__(self, scores):
        self.scores = list(scores)

    def generate(self, request):
        return LLMResult(text=json.dumps({"score": self.scores.pop(0), "reason": "r"}), prompt_tokens=1,
                         completion_tokens=1, model="judge", backend="fake", latency_ms=1.0)


def test_llm_judge_samples_and_reports_spread(fake_container):
    env = envelope("cs_answer", {"answer": "교환 배송비는 왕복 6,000원입니다.", "handoff": False})
    k = ctx(fake_container, "cs_answer")
    assert S.llm_judge(case(), env, k) is None and "no LLM endpoint" in k.extra["skipped"]
    judged = SimpleNamespace(**{**vars(fake_container), "llm": ScriptedJudge([5, 3, 4])})
    k = ctx(judged, "cs_answer", n=3)
    assert S.llm_judge(case(), env, k) == pytest.approx(0.75)
    assert k.extra["spread"] == pytest.approx(0.5) and len(k.extra["samples"]) == 3


# --- data and gate ---------------------------------------------------------------------


def test_case_files_and_rubrics_load():
    for task in TASKS:
        rubric = load_rubric(task)
        cases = load_cases(task)
        assert len(cases) >= 40, task
        assert any(c.gate for c in rubric.criteria)
        assert any(c.expect_handoff for c in cases) and any(c.expect_handoff is False for c in cases)


def _crit(cid="facts", threshold=0.8, gate=True, tolerance=0.02) -> Criterion:
    return Criterion(id=cid, description="d", scorer="required_facts", threshold=threshold, gate=gate, tolerance=tolerance)


def _cases(scores: dict[str, float | None], cid="facts") -> list[dict]:
    return [{"id": k, "scores": {cid: v}} for k, v in scores.items()]


def test_gate_threshold_and_regression():
    criteria = [_crit()]
    cases = _cases({"a": 1.0, "b": 0.5, "c": None})
    results = G.summarize(criteria, cases)
    assert results[0].mean == 0.75 and results[0].n == 2 and results[0].failing_cases == ["b"]
    G.compare(results, cases, None)
    assert results[0].status == "below_threshold" and not G.decide({"t": results}).passed

    good = _cases({"a": 1.0, "b": 0.9})
    baseline = {"cases": {"a": {"facts": 1.0}, "b": {"facts": 1.0}}}
    results = G.summarize(criteria, good)
    G.compare(results, good, baseline)
    assert results[0].status == "regressed" and results[0].delta == pytest.approx(-0.05)
    assert results[0].worse_cases == ["b"]
    assert "against the baseline" in G.decide({"t": results}).failures[0]

    within = _cases({"a": 1.0, "b": 0.97})
    results = G.summarize(criteria, within)
    G.compare(results, within, baseline)
    assert results[0].status == "pass" and G.decide({"t": results}).passed


def test_gate_compares_only_cases_both_runs_scored_and_non_gating_only_warns():
    baseline = {"cases": {"a": {"facts": 1.0}, "b": {"facts": 0.0}}}
    limited = _cases({"a": 1.0})  # a --limit run: b was not run, so no regression
    results = G.summarize([_crit()], limited)
    G.compare(results, limited, baseline)
    assert results[0].baseline == 1.0 and results[0].status == "pass"
    info = G.summarize([_crit(gate=False)], _cases({"a": 0.1}))
    G.compare(info, _cases({"a": 0.1}), None)
    assert info[0].status == "warn" and G.decide({"t": info}).passed


def test_baseline_update_merges_partial_runs():
    old = {"schema": 1, "tasks": {"t": {"cases": {"a": {"facts": 1.0}, "b": {"facts": 0.5}}}}}
    results = G.summarize([_crit()], _cases({"a": 0.0}))
    new = G.baseline_payload("offline", "b", {"t": {"criteria": results, "cases": _cases({"a": 0.0})}}, old, partial=True)
    assert new["tasks"]["t"]["cases"] == {"a": {"facts": 0.0}, "b": {"facts": 0.5}}
    assert new["tasks"]["t"]["criteria"]["facts"] == {"mean": 0.25, "n": 2}
    full = G.baseline_payload("offline", "b", {"t": {"criteria": results, "cases": _cases({"a": 0.0})}}, old)
    assert full["tasks"]["t"]["cases"] == {"a": {"facts": 0.0}}


# --- over the real knowledge base ------------------------------------------------------


@pytest.fixture(scope="module")
def kb(kb_container):
    container = container_with(kb_container, llm_base_url=None)
    container.pipeline.run("cs_answer", {"question": "반품 기한이 언제까지인가요?"}, cache="bypass")  # warm
    return container


def _scores(run: runner.EvalRun) -> dict:
    return {t: {c["id"]: c["scores"] for c in r.cases} for t, r in run.tasks.items()}


def test_runs_are_deterministic(kb):
    plans = runner.plan(list(TASKS), limit=3)
    first, second = runner.run(kb, plans), runner.run(kb, plans)
    assert _scores(first) == _scores(second)
    assert all(c["envelope"]["cache"]["status"] == "bypass" for r in first.tasks.values() for c in r.cases
               if c["envelope"])


def test_reports_are_written_and_html_is_self_contained(kb, tmp_path):
    run = runner.run(kb, runner.plan(["cs_answer", "summary"], limit=2))
    paths = report.write_all(run.to_dict(), tmp_path / "r")
    assert json.loads(paths["json"].read_text())["tasks"]["cs_answer"]["criteria"]
    md = paths["markdown"].read_text()
    assert "| facts | required_facts |" in md
    html = paths["html"].read_text()
    assert "<svg" in html and "<style>" in html and "<rect" in html
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and "<img" not in html


def _invent_price(monkeypatch):
    """A broken prompt: every CS answer gains a price the evidence never states."""
    from service.llm import offline

    real = offline.COMPOSERS["cs_answer"]

    def broken(inputs, evidence, data):
        out = real(inputs, evidence, data)
        if not out.get("handoff"):
            cite = evidence["answers"][0].id
            out = {**out, "answer": f"추가 배송비 12,000원이 부과되며 환불은 10영업일 걸립니다. [{cite}] " + out["answer"]}
        return out

    monkeypatch.setitem(offline.COMPOSERS, "cs_answer", broken)


def _eval_cli(monkeypatch, container, tmp_path, *extra):
    monkeypatch.setattr(eval_cli, "_container", lambda backend: container)
    args = ["--task", "cs_answer", "--limit", "8", "--report-dir", str(tmp_path / "report"), *extra]
    return CliRunner().invoke(eval_cli.eval_app, args)


@pytest.fixture
def clean_baseline(kb, tmp_path, monkeypatch):
    path = tmp_path / "baseline.json"
    result = _eval_cli(monkeypatch, kb, tmp_path, "--baseline", str(path), "--update-baseline")
    assert path.exists(), result.output
    assert result.exit_code == 0, result.output  # the first 8 CS cases pass on the offline composer
    before = path.read_text()
    again = _eval_cli(monkeypatch, kb, tmp_path, "--baseline", str(path))
    assert again.exit_code == 0 and path.read_text() == before  # only --update-baseline writes it
    return path


def test_grounded_but_wrong_answers_fail_the_gate(kb, clean_baseline, tmp_path, monkeypatch):
    """A broken prompt the guards cannot see: answers built from the least relevant passage
    are grounded and cited, yet the facts are wrong; only the evals notice."""
    from service.llm import offline

    real = offline.COMPOSERS["cs_answer"]

    def from_last_passage(inputs, evidence, data):
        hits = evidence.get("answers", [])
        return real(inputs, {**evidence, "answers": hits[-1:]}, data)

    monkeypatch.setitem(offline.COMPOSERS, "cs_answer", from_last_passage)
    result = _eval_cli(monkeypatch, kb, tmp_path, "--baseline", str(clean_baseline))
    assert result.exit_code == 1, result.output
    run = json.loads((tmp_path / "report" / "report.json").read_text())
    assert any(f.startswith("cs_answer.facts") for f in run["gate"]["failures"]), run["gate"]["failures"]


def test_invented_price_with_the_guard_disabled_fails_the_gate(kb, clean_baseline, tmp_path, monkeypatch):
    from service.guards.policy import OutputCheck

    unguarded = container_with(kb, llm_base_url=None)
    monkeypatch.setattr(unguarded.guards, "check_output", lambda spec, output, evidence: OutputCheck(True, []))
    _invent_price(monkeypatch)
    result = _eval_cli(monkeypatch, unguarded, tmp_path, "--baseline", str(clean_baseline))
    assert result.exit_code == 1, result.output
    run = json.loads((tmp_path / "report" / "report.json").read_text())
    failed = {f.split(":")[0] for f in run["gate"]["failures"]}
    assert "cs_answer.citations" in failed, failed  # the cited passage does not hold 12,000원
    assert "gate FAILED" in result.output


# --- feedback ---------------------------------------------------------------------------


@pytest.fixture
def feedback_app(small_container, tmp_path):
    from service.api.app import create_app

    container = container_with(small_container, data_dir=tmp_path / "var")
    return TestClient(create_app(container), raise_server_exceptions=False), container


def test_feedback_api_stores_records(feedback_app):
    client, container = feedback_app
    for rid in ("req-1", "req-2"):  # feedback names drafts the service issued
        draft = client.post("/v1/answers", json={"question": "교환 배송비는 얼마인가요?"}, headers={"x-request-id": rid})
        assert draft.status_code == 200, draft.text
    r = client.post("/v1/feedback", json={"request_id": "req-1", "verdict": "edited",
                                          "edited_text": "교환 배송비는 왕복 6,000원입니다.", "reason": "편도로 안내함"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] >= 1 and r.json()["verdict"] == "edited"
    assert client.post("/v1/feedback", json={"request_id": "req-2", "verdict": "accepted"}).status_code == 201
    stored = FeedbackStore(container.settings.data_dir / "feedback.db").list()
    assert [(f.request_id, f.verdict) for f in stored] == [("req-1", "edited"), ("req-2", "accepted")]


@pytest.mark.parametrize("body", [
    {"request_id": "req-1", "verdict": "edited"},  # edited needs edited_text
    {"request_id": "req-1", "verdict": "edited", "edited_text": "   "},
    {"request_id": "req-1", "verdict": "maybe"},
    {"request_id": "bad id!", "verdict": "accepted"},
    {"request_id": "req-1", "verdict": "accepted", "extra": 1},
])
def test_feedback_api_rejects_invalid_input(feedback_app, body):
    client, _ = feedback_app
    r = client.post("/v1/feedback", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_import_feedback_makes_draft_cases(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from service.config import get_settings

    data_dir = tmp_path / "var"
    store = FeedbackStore(data_dir / "feedback.db")
    store.add("old", "rejected", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    store.add("r-edit", "edited", "교환 배송비는 왕복 6,000원입니다. 수령 후 7일 이내 신청해 주세요.", "편도로 잘못 안내")
    store.add("r-ok", "accepted")
    store.add("r-reject", "rejected", reason="근거 없는 답변")
    (data_dir / "responses.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"request_id": "r-edit", "inputs": {"question": "교환 배송비 얼마예요?"},
         "output": {"answer": "교환 배송비는 편도 3,000원입니다. [FAQ-1] 수령 후 7일 이내 신청해 주세요. [FAQ-1]"}},
        {"request_id": "r-reject", "inputs": {"question": "포인트 현금화 되나요?"},
         "output": {"answer": "적립금은 현금으로 돌려드립니다. [FAQ-2]"}},
    ]) + "\n", encoding="utf-8")

    drafts = list(draft_cases(store.list(), read_responses(data_dir / "responses.jsonl")))
    by_request = {d["source"]["request_id"]: d for d in drafts}
    assert set(by_request) == {"old", "r-edit", "r-reject"}  # accepted ones are not cases
    edited = by_request["r-edit"]
    assert edited["inputs"] == {"question": "교환 배송비 얼마예요?"} and edited["reference"].startswith("교환 배송비는 왕복")
    assert edited["must_not_include"] == ["교환 배송비는 편도 3,000원입니다."] and "6,000원" in edited["must_include"]
    assert by_request["r-reject"]["must_not_include"] == ["적립금은 현금으로 돌려드립니다."]
    assert "needs-inputs" in by_request["old"]["tags"]
    Case.model_validate(edited)  # drafts are valid cases once reviewed

    monkeypatch.setenv("CG_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        out = tmp_path / "drafts.jsonl"
        result = CliRunner().invoke(eval_cli.eval_app, ["import-feedback", "--output", str(out), "--since", "2026-06-01"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["source"]["request_id"] for d in lines] == ["r-edit", "r-reject"]


def test_offline_baseline_is_committed_and_matches_the_cases():
    baseline = G.load_baseline(EVALS_DIR / "baselines" / "offline.json")
    assert baseline and baseline["name"] == "offline"
    for task in TASKS:
        assert set(baseline["tasks"][task]["cases"]) == {c.id for c in load_cases(task)}


def test_llm_judge_runs_through_the_configured_endpoint(kb, fake_llm):
    """--backend llm: the judge is sampled through the same OpenAI-compatible backend."""
    fake_llm.reset()
    scores = iter([5, 3, 4] * 10)

    def reply(body):
        if "You grade one output" in body["messages"][0]["content"]:
            return {"score": next(scores), "reason": "grounded"}
        return "not json"  # the generation falls back to the offline composer

    fake_llm.set_default(reply)
    llm = container_with(kb, llm_base_url=fake_llm.base_url, llm_model="fake-model", llm_max_retries=0,
                         llm_timeout_s=2.0)
    run = runner.run(llm, runner.plan(["cs_answer"], limit=1))
    judge = next(c for c in run.tasks["cs_answer"].criteria if c.id == "judge")
    assert judge.mean == pytest.approx(0.75) and judge.spread == pytest.approx(0.5) and judge.n == 1
    assert run.backend.startswith("openai")


def test_llm_runs_count_who_answered_and_keep_the_raw_replies(kb, fake_llm, tmp_path):
    """--backend llm: per task, how many model replies reached the guards, and the raw text as an artefact."""
    fake_llm.reset()
    replies = iter(["not json at all", {"type": "object", "properties": {"handoff": False, "confidence": 0.9,
                                                                         "answer": "반품은 수령 후 7일 이내에 신청할 수 있습니다."}}])

    def reply(body):
        if "You grade one output" in body["messages"][0]["content"]:
            return {"score": 4, "reason": "ok"}
        return next(replies)

    fake_llm.set_default(reply)
    llm = container_with(kb, llm_base_url=fake_llm.base_url, llm_model="fake-model", llm_max_retries=0,
                         llm_timeout_s=2.0)
    run = runner.run(llm, runner.plan(["cs_answer"], limit=2)).to_dict()
    outcomes = run["tasks"]["cs_answer"]["outcomes"]
    assert outcomes["model_called"] == 2 and outcomes["reply_reached_guards"] == 1
    assert outcomes["fallback_reasons"].get("invalid llm output: not JSON") == 1
    paths = report.write_all(run, tmp_path / "r")
    raw = [json.loads(line) for line in paths["raw"].read_text().splitlines()]
    assert [r["raw_reply"] for r in raw][0] == "not json at all" and len(raw) >= 2
    assert all(r["messages"] and r["task"] == "cs_answer" for r in raw)
    assert "raw_replies" not in paths["json"].read_text()  # prompts stay out of the report
    assert "reply parsed and reached the guards 1" in paths["markdown"].read_text()
