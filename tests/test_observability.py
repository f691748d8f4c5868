"""Metrics at /metrics and structured JSON logs without personal data."""

from __future__ import annotations

import io
import json
import logging

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.observability.logs import JsonFormatter

CANARY = "010-5555-0199"


def test_metrics_count_requests_stages_and_guards(small_container):
    from tests.conftest import container_with

    container = container_with(small_container)  # its own metrics registry, counting from zero
    with TestClient(create_app(container)) as client:
        client.post("/v1/answers", json={"question": "교환 배송비는 얼마인가요?"})
        client.post("/v1/answers", json={"question": "교환 배송비는 얼마인가요?"})
        client.post("/v1/summaries", json={"product_id": "P999"})
        text = client.get("/metrics").text
    assert 'cg_task_requests_total{cache="miss",task="cs_answer"} 1.0' in text
    assert 'cg_task_requests_total{cache="hit",task="cs_answer"} 1.0' in text
    assert 'cg_http_requests_total{method="POST",route="/v1/summaries",status="404"} 1.0' in text
    assert 'cg_pipeline_stage_seconds_count{stage="retrieve",task="cs_answer"}' in text
    assert 'cg_guard_checks_total{check="grounding",direction="output",verdict="pass"}' in text
    assert "cg_llm_circuit_state -1.0" in text  # no LLM configured


def test_logs_are_json_with_request_ids_and_no_personal_data(small_container):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("commerce_guard")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TestClient(create_app(small_container)) as client:
            r = client.post("/v1/answers", json={"question": f"교환 배송비는 얼마인가요? 제 번호는 {CANARY}입니다"},
                            headers={"x-request-id": "log-test-1"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert r.status_code == 200 and CANARY not in stream.getvalue()
    task = next(line for line in lines if line["event"] == "task")
    access = next(line for line in lines if line["event"] == "request")
    assert task["request_id"] == access["request_id"] == "log-test-1"
    assert task["redactions"] == {"phone": 1} and access["route"] == "/v1/answers" and access["status"] == 200
