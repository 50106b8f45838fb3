import numpy as np
import pytest

# The statistical tolerance policy lives in tests/tolerances.py (a module name of its own: tests/book
# has a conftest too, so "from conftest import ..." would be ambiguous).
from tolerances import P_MIN, Z_TOL, zscore_means  # noqa: F401


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
