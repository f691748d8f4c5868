"""The names of the guard checks a task spec may list.

Declared apart from the validators so that loading a spec needs no guardrails
import and no import of the policy (which imports the specs' users): the spec
loader and ``policy.py`` read the same names, and a test keeps the validator
tables in step with them.
"""

from __future__ import annotations

INPUT_CHECKS = ("pii", "injection")  # on free-text inputs, before anything else sees them
TEXT_CHECKS = ("banned_words", "pii", "grounding")  # on the prose of an output
STRUCTURED_CHECKS = ("catalog",)  # on the structure of an output (outfit items)
OUTPUT_CHECKS = TEXT_CHECKS + STRUCTURED_CHECKS
