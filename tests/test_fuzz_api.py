"""Fuzzing every operation of the OpenAPI spec (schemathesis): no 5xx, one error shape.

Driven programmatically (one Hypothesis run per operation): schemathesis' pytest
plugin does not load under pytest 9.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from service.api.app import create_app


def check(case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        error = response.json()["error"]
        assert {"code", "message", "request_id"} <= set(error), response.text[:300]


def test_no_server_errors_and_one_error_shape(small_container):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(small_container))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        run = settings(max_examples=15, deadline=None, database=None, derandomize=True,
                       suppress_health_check=list(HealthCheck))(given(case=operation.as_strategy())(check))
        run()
