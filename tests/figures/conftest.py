"""Shared fixtures of the figures' tests: every figure's quick data, computed once."""

import pytest

from linunlearn import figures


@pytest.fixture(scope="session")
def quick():
    """Every available figure's data, computed once per session in quick mode with seed 0."""
    return {name: spec.compute(0, quick=True) for name, spec in figures.FIGURES.items()
            if not (spec.unavailable and spec.unavailable())}
