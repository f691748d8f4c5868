"""guardrails-ai Guards that never phone home.

guardrails turns telemetry on by default and re-reads ~/.guardrailsrc on every
new Guard(); offline, the telemetry exporter delays process exit by ~30 s. This
module pins an in-memory RC with metrics and remote inference off. Importing it
applies the RC at once, because a Validator reads the RC when it is constructed,
which happens before it is handed to a Guard.
"""

from __future__ import annotations

import os

os.environ.setdefault("GUARDRAILS_RUN_SYNC", "true")  # synchronous validation: ~1 ms, no event-loop warnings

from guardrails import Guard  # noqa: E402
from guardrails.classes.rc import RC  # noqa: E402
from guardrails.settings import settings  # noqa: E402
from guardrails.validator_base import Validator  # noqa: E402


def apply_offline_rc() -> None:
    settings.rc = RC(enable_metrics=False, use_remote_inferencing=False)


class OfflineGuard(Guard):
    """A Guard whose configuration step installs the offline RC instead of reading $HOME."""

    def _load_rc(self) -> None:
        apply_offline_rc()


def offline_guard(*validators: Validator, **guard_kwargs) -> Guard:
    """OfflineGuard().use(*validators); compose several validators in ONE call (use(A).use(B) keeps only B)."""
    apply_offline_rc()
    guard = OfflineGuard(**guard_kwargs)
    if validators:
        guard.use(*validators)
    return guard


apply_offline_rc()
