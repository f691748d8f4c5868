"""Guards under concurrent requests: a guardrails Guard is not thread-safe (its call history is
shared), so each thread validates through its own. Found as a rare 500 in the reindex load test."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from service.tasks.inputs import CsAnswerInput


def test_concurrent_input_screens_never_fail(small_container):
    runner = small_container.pipeline.guards
    spec = small_container.pipeline.spec("cs_answer")
    questions = [CsAnswerInput(question=f"교환 배송비는 얼마인가요? 연락처 010-1234-{5000 + i:04d}") for i in range(1500)]

    def screen(model):
        return runner.screen_input(spec, model).inputs["question"]

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave often: the shared Guard failed within ~1,000 calls
    try:
        with ThreadPoolExecutor(32) as pool:
            screened = list(pool.map(screen, questions))
    finally:
        sys.setswitchinterval(switch)
    assert all("[PHONE]" in q for q in screened)
