"""Checks of parameters and arguments shared by the chapter modules.

Papermill's `-p name value` may hand a notebook its values as strings; these helpers accept the
text forms and raise a `ValueError` that names the parameter otherwise.
"""
import ast
import math

import numpy as np

__all__ = ["is_int", "number", "number_in", "finite_array", "integer", "maybe_list"]


def is_int(v):
    """True for Python/NumPy integers (not bools)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def number(name, v, positive=False):
    """A finite float (> 0 if `positive`); numeric text is accepted."""
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            raise ValueError(f"{name}: must be a finite number, got {v!r}") from None
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name}: must be a finite number, got {v!r}")
    if positive and v <= 0:
        raise ValueError(f"{name}: must be > 0, got {v!r}")
    return float(v)


def number_in(name, v, lo=None, hi=None, *, lo_open=False, hi_open=False, why=""):
    """A finite float in [lo, hi] (an end is excluded with `lo_open`/`hi_open`, None: no bound); numeric
    text is accepted. `why`, the reason for the bounds, is added to the error message."""
    v = number(name, v)
    if ((lo is not None and (v < lo or (lo_open and v == lo)))
            or (hi is not None and (v > hi or (hi_open and v == hi)))):
        left = "(-inf" if lo is None else f"{'(' if lo_open else '['}{lo:g}"
        right = "inf)" if hi is None else f"{hi:g}{')' if hi_open else ']'}"
        why = f" ({why})" if why else ""
        raise ValueError(f"{name}: must be in {left}, {right}{why}, got {v!r}")
    return v


def finite_array(name, v, positive=False):
    """`v` as a float array (a scalar gives a 0-d array), every entry finite (and > 0 if `positive`)."""
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number or an array of numbers, got {v!r}") from None
    bad = ~np.isfinite(arr) | (arr <= 0) if positive else ~np.isfinite(arr)
    if np.any(bad):
        must = "finite and > 0" if positive else "finite"
        what = "must be" if arr.ndim == 0 else "every entry must be"
        raise ValueError(f"{name}: {what} {must}, got {float(arr[bad].ravel()[0])!r}")
    return arr


def integer(name, v, lo, hi=None):
    """An int in [lo, hi] (hi None: no upper bound); integral floats and integer text are accepted."""
    if isinstance(v, str):
        try:
            v = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            raise ValueError(f"{name}: must be an integer, got {v!r}") from None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not is_int(v) or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name}: must be an integer {rng}, got {v!r}")
    return int(v)


def maybe_list(name, v):
    """A string holding a Python list literal is read as that list; anything else is returned."""
    if isinstance(v, str):
        try:
            v = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            raise ValueError(f"{name}: could not read {v!r} as a list of numbers") from None
    return v
