"""Theory of the width-1 two-layer linear network (a construction of this book).

Model: f(x) = u w x with x = 1, per-sample loss l(u, w; c) = (u w - c)^2 / 2, the target c drawn from
the two-point law c in {-1, 1 - a} (probability 1/2 each, a < 0, E[c] = -a/2 > 0). Minibatch SGD of
size S replaces c by the batch mean cbar. In h = u + w, m = u - w (so u w = (h^2 - m^2)/4) the update
is exactly multiplicative:

    h' = h (1 + lr (cbar - u w)),     m' = m (1 - lr (cbar - u w)).

Near the origin (u w -> 0) these are products of i.i.d. scalars, so the Lyapunov exponents are

    Lambda_h(S) = E ln|1 + lr cbar_S|,     Lambda_m(S) = E ln|1 - lr cbar_S|,

with cbar_S = ((1 - a) k - (S - k)) / S, k ~ Binomial(S, 1/2). For S = 1, Lambda_h is the mu of the
quadratic model of Ziyin, Li & Ueda (v1, Eq. 8) with x = -c. Every function here is exact.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["GOLDEN_A", "mean_c", "atoms", "batch_mean_law", "lyap_h", "lyap_m", "lyap_sd",
           "window_balanced", "window_generic", "in_window", "hessian_origin", "moment_factors",
           "gd_rate_h", "expected_loss", "min_manifold_uw", "quartic_minima"]

GOLDEN_A = -(1.0 + math.sqrt(5.0)) / 2.0   # the generic window is non-empty iff a > GOLDEN_A


def _a(a):
    a = float(a)
    if not math.isfinite(a):
        raise ValueError(f"a: must be finite, got {a!r}")
    return a


def _lr(lr):
    lr = np.asarray(lr, dtype=float)
    if np.any(~np.isfinite(lr)) or np.any(lr <= 0):
        raise ValueError("lr: must be finite and > 0")
    return lr


def _batch(batch):
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch: must be an integer >= 1, got {batch!r}")
    return int(batch)


def mean_c(a):
    """E[c] = -a/2 (the target's mean; the minima are the hyperbola u w = E[c])."""
    return -_a(a) / 2.0


def atoms(a):
    """The two data values (-1, 1 - a), in the order used with sgdlab.Discrete."""
    a = _a(a)
    return (-1.0, 1.0 - a)


def batch_mean_law(a, batch):
    """Values and probabilities of the batch mean cbar_S (exact binomial law), as numpy arrays."""
    a = _a(a)
    S = _batch(batch)
    k = np.arange(S + 1)
    values = ((1.0 - a) * k - (S - k)) / S
    if S < 1000:
        probs = special.comb(S, k) / 2.0 ** S
    else:  # 2**S overflows a double from S = 1024
        from scipy import stats
        probs = stats.binom.pmf(k, S, 0.5)
    return values, probs


def _expect_log(a, lr, batch, sign):
    lr = _lr(lr)
    values, probs = batch_mean_law(a, batch)
    with np.errstate(divide="ignore"):
        terms = np.log(np.abs(1.0 + sign * lr[..., None] * values))
    return np.sum(probs * terms, axis=-1)


def lyap_h(a, lr, batch=1):
    """Lambda_h = E ln|1 + lr cbar_S| (escape direction h = u + w). Batch 1: ½ ln|(1-lr)(1+lr(1-a))|.
    -inf where a factor vanishes (lr = 1 for S = 1: one draw of c = -1 sets h exactly to 0)."""
    return _expect_log(a, lr, batch, +1.0)


def lyap_m(a, lr, batch=1):
    """Lambda_m = E ln|1 - lr cbar_S| (stable direction m = u - w). Batch 1: ½ ln|(1+lr)(1-lr(1-a))|."""
    return _expect_log(a, lr, batch, -1.0)


def lyap_sd(a, lr, batch=1, direction="h"):
    """Standard deviation of one step's log factor ln|1 ± lr cbar_S| (so the SE of a mean over n runs
    of T steps is lyap_sd / sqrt(n T)). inf where a factor vanishes."""
    if direction not in ("h", "m"):
        raise ValueError(f"direction: must be 'h' or 'm', got {direction!r}")
    lr = _lr(lr)
    values, probs = batch_mean_law(a, batch)
    sign = 1.0 if direction == "h" else -1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.log(np.abs(1.0 + sign * lr[..., None] * values))
        mean = np.sum(probs * terms, axis=-1)
        var = np.sum(probs * (terms - mean[..., None]) ** 2, axis=-1)
    return np.sqrt(var)


def window_balanced(a):
    """(lo, hi): Lambda_h < 0 iff lo < lr < hi, for a < 0 and batch 1 (v1 Eq. 8 with x = -c):
    lo = a/(a-1), hi = (a - sqrt(a^2 - 8a + 8)) / (2(a - 1))."""
    a = _a(a)
    if a >= 0:
        raise ValueError(f"a: must be < 0, got {a}")
    r = math.sqrt(a * a - 8.0 * a + 8.0)
    return a / (a - 1.0), (a - r) / (2.0 * (a - 1.0))


def window_generic(a):
    """(lo, hi): both exponents negative iff lo < lr < hi (batch 1), lo = a/(a-1),
    hi = (a + sqrt(a^2 - 8a + 8)) / (2(1 - a)); None if empty (a <= -(1+sqrt 5)/2)."""
    a = _a(a)
    if a >= 0:
        raise ValueError(f"a: must be < 0, got {a}")
    lo = a / (a - 1.0)
    hi = (a + math.sqrt(a * a - 8.0 * a + 8.0)) / (2.0 * (1.0 - a))
    return (lo, hi) if hi > lo else None


def in_window(a, lr, init="generic", batch=1):
    """True where the linear theory predicts capture at the origin (in probability)."""
    if init not in ("generic", "balanced"):
        raise ValueError(f"init: must be 'generic' or 'balanced', got {init!r}")
    neg_h = lyap_h(a, lr, batch) < 0
    if init == "balanced":
        return neg_h
    return neg_h & (lyap_m(a, lr, batch) < 0)


def hessian_origin(a):
    """Hessian of the expected loss at the origin, [[0, -E c], [-E c, 0]]: eigenvalues -E[c] along
    h = u + w (escape) and +E[c] along m = u - w."""
    c = mean_c(a)
    return np.array([[0.0, -c], [-c, 0.0]])


def moment_factors(a, lr):
    """(E|1 + lr c|, E(1 + lr c)^2): per-step growth of E|h_t| and E h_t^2 near the origin (batch 1)."""
    lr = _lr(lr)
    c1, c2 = atoms(a)
    m1 = 0.5 * (np.abs(1 + lr * c1) + np.abs(1 + lr * c2))
    m2 = 0.5 * ((1 + lr * c1) ** 2 + (1 + lr * c2) ** 2)
    return m1, m2


def gd_rate_h(a, lr):
    """GD's growth rate of |h| near the origin: ln(1 + lr E[c]) > 0 for every lr > 0 (the S -> inf
    limit of Lambda_h(S))."""
    lr = _lr(lr)
    return np.log1p(lr * mean_c(a))


def expected_loss(a, u, w):
    """E l(u, w; c) = ½(u w)^2 - E[c] u w + E[c^2]/2."""
    c1, c2 = atoms(a)
    p = np.asarray(u, float) * np.asarray(w, float)
    return 0.5 * p * p - mean_c(a) * p + 0.25 * (c1 * c1 + c2 * c2)


def min_manifold_uw(a):
    """The minima of the expected loss: u w = E[c]."""
    return mean_c(a)


def quartic_minima(a):
    """|w| at the minima of the preprint's quartic E[x w^2/2 + w^4/4] with x in {1, a - 1} (E[x] = a/2):
    sqrt(-a/2) (its §6.1 prints sqrt(a), imaginary for a < 0)."""
    a = _a(a)
    if a >= 0:
        raise ValueError(f"a: must be < 0, got {a}")
    return math.sqrt(-a / 2.0)
