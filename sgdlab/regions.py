"""Regions used for projection, exit times and targets: intervals, boxes and balls."""
from dataclasses import dataclass

import numpy as np


def _vec(name, value, dim=None):
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
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

    def arrays(self, dim):
        lo, hi = _vec("lo", self.lo, dim), _vec("hi", self.hi, dim)
        if np.any(lo >= hi):
            raise ValueError(f"region: need lo < hi, got lo={lo.tolist()}, hi={hi.tolist()}")
        return lo, hi


def Interval(lo, hi):
    """The 1-D box [lo, hi]."""
    return Box(lo, hi)


@dataclass(frozen=True)
class Ball:
    """Closed Euclidean ball |w - center| <= radius."""
    center: object
    radius: float

    def arrays(self, dim):
        c = _vec("center", self.center, dim)
        r = float(self.radius)
        if not np.isfinite(r) or r <= 0:
            raise ValueError(f"radius: must be a finite number > 0, got {self.radius!r}")
        return c, r
