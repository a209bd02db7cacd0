"""The property-based tests are deterministic unless a longer random search is asked for:
conftest.py loads Hypothesis' "ci" profile (derandomize=True) by default."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

CHOSEN = os.environ.get("HYPOTHESIS_PROFILE") or "ci"


def test_the_profiles_are_registered():
    ci, long = settings.get_profile("ci"), settings.get_profile("long")
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert 10 <= ci.max_examples <= 100  # bounded: CI's time does not grow with luck
    assert not long.derandomize and long.max_examples >= 1000 and long.deadline is None


@pytest.mark.skipif(CHOSEN != "ci", reason=f"HYPOTHESIS_PROFILE={CHOSEN} asks for random runs")
def test_a_property_test_draws_the_same_examples_on_every_run():
    drawn = []

    @given(st.integers())
    def record(n):
        drawn.append(n)

    record()
    first, drawn[:] = list(drawn), []
    record()
    assert drawn == first and len(set(first)) > 5
