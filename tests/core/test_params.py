"""sgdlab.params: the shared checks of chapter parameters (ValueError naming the parameter)."""
import math

import numpy as np
import pytest

from sgdlab.params import finite_array, integer, number, number_in


@pytest.mark.parametrize("v,out", [(1, 1.0), (-2.5, -2.5), ("0.25", 0.25), (np.float32(0.5), 0.5),
                                   (np.int64(3), 3.0)])
def test_number_accepts_finite_numbers_and_text(v, out):
    assert number("x", v) == out and type(number("x", v)) is float


@pytest.mark.parametrize("v", ["abc", None, True, np.bool_(True), float("nan"), float("inf"), "-inf", [1.0]])
def test_number_rejects_by_name(v):
    with pytest.raises(ValueError, match=r"^x: "):
        number("x", v)


def test_number_positive():
    assert number("lr", 1e-300, positive=True) == 1e-300
    for v in (0, -1.0, "0"):
        with pytest.raises(ValueError, match=r"^lr: must be > 0"):
            number("lr", v, positive=True)


def test_integer_bounds_and_forms():
    assert integer("n", "12", 1) == 12 and integer("n", 5.0, 1, 5) == 5
    for v in (0, 6, 2.5, "2.5", "x", True, None):
        with pytest.raises(ValueError, match=r"^n: "):
            integer("n", v, 1, 5)


@pytest.mark.parametrize("kw,good,bad", [
    (dict(lo=0.0, hi=1.0, lo_open=True), [1e-12, 0.5, 1, "1.0"], [0, 0.0, -1e-12, 1 + 1e-12, 2]),
    (dict(lo=0.0, hi=1.0, hi_open=True), [0, 0.5, 1 - 1e-12], [1, 1.0, -1e-12]),
    (dict(lo=0.0, hi=1.0), [0, 1, 0.5], [-1e-12, 1 + 1e-12]),
    (dict(hi=0.0, hi_open=True), [-1e300, -1e-12], [0, 1e-12]),
    (dict(lo=-4.0), [-4, 1e300], [-4 - 1e-12]),
    (dict(), [-1e300, 0, 1e300], []),
])
def test_number_in_open_and_closed_ends(kw, good, bad):
    for v in good:
        assert number_in("a", v, **kw) == float(v)
    for v in bad + ["abc", float("nan"), float("inf"), True, None]:
        with pytest.raises(ValueError, match=r"^a: "):
            number_in("a", v, **kw)


def test_number_in_message_shows_the_interval_and_the_reason():
    with pytest.raises(ValueError, match=r"^a: must be in \(0, 1\] \(keeps it in the box\), got 1\.5$"):
        number_in("a", 1.5, 0.0, 1.0, lo_open=True, why="keeps it in the box")
    with pytest.raises(ValueError, match=r"^a: must be in \(-inf, 0\), got 0\.0$"):
        number_in("a", 0, hi=0.0, hi_open=True)
    with pytest.raises(ValueError, match=r"^a: must be in \[2, inf\), got 1\.0$"):
        number_in("a", 1, lo=2.0)


def test_finite_array():
    out = finite_array("lr", [0.1, 0.5])
    assert out.dtype == float and out.tolist() == [0.1, 0.5]
    assert finite_array("a", -1).shape == () and float(finite_array("a", "-1")) == -1.0
    assert finite_array("a", [[-1.0, 0.0]]).shape == (1, 2)
    assert finite_array("lr", np.array([1e-300, 2.0]), positive=True).tolist() == [1e-300, 2.0]
    for v in (float("nan"), [0.1, math.inf], "x", [1, [2, 3]], object()):
        with pytest.raises(ValueError, match=r"^a: "):
            finite_array("a", v)
    for v in (0.0, [0.1, 0.0], [-0.1], [0.1, float("nan")]):
        with pytest.raises(ValueError, match=r"^lr: .*finite and > 0"):
            finite_array("lr", v, positive=True)
    with pytest.raises(ValueError, match=r"^lr: every entry must be finite and > 0, got -0\.5$"):
        finite_array("lr", [0.1, -0.5, -1.0], positive=True)
