"""Reusable pytest fixtures for the fakes; import them from a conftest, e.g.
``from tests.fakes.fixtures import fake_openai  # noqa: F401``
or ``pytest_plugins = ["tests.fakes.fixtures"]``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started fake OpenAI server (default reply "ok"), stopped hard after the test."""
    with FakeOpenAI() as fake:
        yield fake
