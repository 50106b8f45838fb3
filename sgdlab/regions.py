"""Regions used for projection, exit times and targets: intervals, boxes and balls.

`arrays(dim, name)` checks a region for a `simulate` argument; its errors start with that argument's
name (e.g. "project: need lo < hi, ...").
"""
from dataclasses import dataclass

import numpy as np


def _vec(name, value, dim=None):
    try:
        arr = np.atleast_1d(np.asarray(value))
        if arr.dtype.kind not in "iufO":
            raise TypeError
        arr = arr.astype(np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be real numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    if dim is not None and arr.size == 1 and dim > 1:
        arr = np.full(dim, arr[0])
    if dim is not None and arr.size != dim:
        raise ValueError(f"{name}: expected {dim} coordinates, got {arr.size}")
    return arr


@dataclass(frozen=True)
class Box:
    """Axis-aligned box lo <= w <= hi (per coordinate; scalars broadcast)."""
    lo: object
    hi: object

    def arrays(self, dim, name="region"):
        lo, hi = _vec(f"{name}: lo", self.lo, dim), _vec(f"{name}: hi", self.hi, dim)
        if np.any(lo >= hi):
            raise ValueError(f"{name}: the region needs lo < hi, got lo={lo.tolist()}, hi={hi.tolist()}")
        return lo, hi


def Interval(lo, hi):
    """The 1-D box [lo, hi]."""
    return Box(lo, hi)


@dataclass(frozen=True)
class Ball:
    """Closed Euclidean ball |w - center| <= radius."""
    center: object
    radius: float

    def arrays(self, dim, name="region"):
        c = _vec(f"{name}: center", self.center, dim)
        try:
            if isinstance(self.radius, (bool, np.bool_, str, bytes, complex)):
                raise TypeError
            r = float(self.radius)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: radius must be a finite number > 0, got {self.radius!r}") from None
        if not np.isfinite(r) or r <= 0:
            raise ValueError(f"{name}: radius must be a finite number > 0, got {self.radius!r}")
        return c, r
