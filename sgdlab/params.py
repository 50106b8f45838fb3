"""Checks of chapter parameters shared by the experiment modules.

Papermill's `-p name value` may hand a notebook its values as strings; these helpers accept the
text forms and raise a `ValueError` that names the parameter otherwise.
"""
import ast
import math

import numpy as np

__all__ = ["is_int", "number", "integer", "maybe_list"]


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
