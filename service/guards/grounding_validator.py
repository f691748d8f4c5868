"""The grounding check as a guardrails-ai validator.

The checker (Kiwi, the embedder, the product vocabulary) is heavy and shared,
so it arrives through ``metadata["grounding_checker"]`` together with the
evidence of this request, ``metadata["evidence"]`` (a list of ``Evidence``).
The full report goes back through ``metadata["details"]["grounding"]``.
"""

from __future__ import annotations

from typing import Any

from guardrails.classes.validation.validation_result import ErrorSpan
from guardrails.validators import FailResult, PassResult, Validator, register_validator


@register_validator(name="commerce-guard/grounding", data_type="string")
class Grounded(Validator):
    """Fails when any claim is contradicted by, or missing from, the evidence."""

    def _validate(self, value: Any, metadata: dict[str, Any]) -> PassResult | FailResult:
        checker = metadata["grounding_checker"]
        report = checker.check(str(value), metadata.get("evidence", []))
        metadata.setdefault("details", {})["grounding"] = report
        failed = [c for c in report.claims if c.verdict != "supported"]
        if not failed:
            return PassResult()
        return FailResult(
            error_message="; ".join(f"{c.verdict}: {c.text[:80]} ({c.reason})" for c in failed[:5]),
            error_spans=[ErrorSpan(start=c.start, end=c.end, reason=f"{c.verdict}: {c.reason}") for c in failed],
        )
