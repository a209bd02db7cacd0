"""Shared fixtures: the array namespaces the core is tested on."""

import os

# scikit-learn's check_array_api_input runs only when SciPy's array-API mode is on, and SciPy
# reads this once, at import: set it before anything imports SciPy, so that check runs too.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles (README, "Long runs"). "ci" is loaded unless HYPOTHESIS_PROFILE names
# another, so also in CI (whose CI variable would make Hypothesis pick its own "ci"): it replays
# the same examples on every run, derandomize=True drawing them from a hash of each test (with
# no example database), so a test that passed passes again, on any machine. "long", chosen with
# HYPOTHESIS_PROFILE=long, draws new random examples, many more, to search for failures; its
# failures are saved in .hypothesis/ and replayed first on the next run.
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,  # an example's time varies with the machine's load: never a failure
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(  # derandomize stated: a profile inherits CI's default otherwise
    "long",
    max_examples=2000,
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


@pytest.hookimpl(trylast=True)  # after Hypothesis' own, which loads --hypothesis-profile
def pytest_configure(config):
    """``pytest --hypothesis-seed=N`` asks for the examples of seed N: a derandomized profile
    would ignore the seed, so that run draws its examples at random, from N."""
    seed = config.getoption("hypothesis_seed", None)
    if seed is not None and settings.default.derandomize:
        name = f"{settings.get_current_profile_name()}-seeded"
        settings.register_profile(name, settings.default, derandomize=False, database=None)
        settings.load_profile(name)


NAMESPACES = ["numpy", "array_api_strict"]


@pytest.fixture(params=NAMESPACES)
def xp(request):
    """An array namespace: NumPy (through array-api-compat) or array-api-strict."""
    if request.param == "numpy":
        import array_api_compat.numpy

        return array_api_compat.numpy
    return pytest.importorskip("array_api_strict", reason="array-api-strict is a test extra")


def as_xp(xp, a, dtype="float64"):
    """NumPy data -> an array of namespace ``xp``."""
    return xp.asarray(np.asarray(a), dtype=getattr(xp, dtype))


def numpy_of(a):
    from vectorlearn.core.backend import to_numpy

    return np.asarray(to_numpy(a))


@pytest.fixture(scope="module")
def client():
    """A local Dask cluster (two worker processes) for the tests of one module. Per module, not
    per session: a cluster left running would sit beside every later test (the Ctrl-C and
    peak-memory ones among them)."""
    pytest.importorskip("dask.distributed", reason="dask.distributed is in the test extra")
    import warnings

    from vectorlearn.distributed import connect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = connect(n_workers=2, dashboard_address=":0", silence_logs=50)
    yield c
    c.close()
    c.cluster.close()
