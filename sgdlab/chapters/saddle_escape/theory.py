"""Escape rate of SGD from the saddle/maximum of the quadratic model (Ziyin, Li & Ueda §5.2, D.2).

Model: L(w; x) = x w^2 / 2, one fresh x per step, so w_t = w_{t-1} (1 - lr x_t) and the Eq. 9
estimator (1/t) sum_i ln|w_i / w_{i-1}| = (1/t) ln|w_t / w_0| is an average of i.i.d. terms
ln|1 - lr x|. Its expectation is mu(lr) at *every* t (no bias to wait for), and its spread is
sd(ln|1 - lr x|) / sqrt(t) per run. The closed forms for the two-point law (mu, lr*, gamma*, Eq. 85)
live in `sgdlab.quadratic`; this module adds what the chapter needs on top:

* the exact standard deviation of one step's log growth (hence the estimator's standard error);
* brute-force numerics for Prop. 3 (maximise mu over lr in (0, lr_max), invert gamma*(a) = eps), used
  to check the closed forms;
* the batch-B two-point law (exact, binomial) and Gaussian data N(m, s^2) by a convergent series
  (exact up to truncation), plus the quadrature of `quadratic.mu_gaussian` as a cross-check;
* simultaneous (Bonferroni) z thresholds and the rigorous tolerances used by the agreement table.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, special, stats

from sgdlab import quadratic
from sgdlab.params import finite_array

__all__ = [
    "mu", "optimal_lr", "optimal_rate", "max_abs_a_for_rate", "gd_rate",
    "log_step_sd", "log_growth_bound", "estimator_se", "numerical_optimum", "numerical_max_abs_a",
    "mu_batch", "gaussian_batch_law", "mu_gaussian_series", "mu_gaussian_quadrature",
    "bonferroni_z", "argmax_tolerances",
]

# Re-exported closed forms (owned by the shared module).
mu = quadratic.mu
optimal_lr = quadratic.optimal_lr
optimal_rate = quadratic.optimal_rate
max_abs_a_for_rate = quadratic.max_abs_a_for_rate
gd_rate = quadratic.gd_rate


def log_step_sd(a, lr):
    """Standard deviation of ln|1 - lr x| for x in {1, a - 1} w.p. 1/2: |ln|1-lr| - ln|1-lr(a-1)|| / 2.

    (A two-point variable with values u, v has sd |u - v| / 2.) inf where a factor vanishes.
    """
    a = finite_array("a", a)
    lr = finite_array("lr", lr, positive=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.abs(np.log(np.abs(1 - lr)) - np.log(np.abs(1 - lr * (a - 1))))


def log_growth_bound(a, lrs, steps):
    """Largest |ln|w_t / w_0|| that `steps` two-point steps can reach at any lr in `lrs` (a <= 1):
    steps * max over lrs of max(|ln|1 - lr||, ln(1 + lr(1 - a))), the larger log factor of one step."""
    lrs = np.asarray(lrs, float)
    return steps * np.max(np.maximum(np.abs(np.log(np.abs(1 - lrs))), np.log(1 + lrs * (1 - a))))


def estimator_se(a, lr, n_runs, t):
    """Standard error of the Eq. 9 estimate averaged over n_runs independent runs of t steps.

    The estimate is the mean of n_runs * t i.i.d. terms ln|1 - lr x|, so SE = sd / sqrt(n_runs t).
    """
    n_runs = np.asarray(n_runs, dtype=float)
    t = np.asarray(t, dtype=float)
    if np.any(n_runs < 1):
        raise ValueError("n_runs: must be >= 1")
    if np.any(t < 1):
        raise ValueError("t: must be >= 1")
    return log_step_sd(a, lr) / np.sqrt(n_runs * t)


def numerical_optimum(a, lr_max=1.0, law=None):
    """Brute-force Prop. 3: (lr, gamma) maximising mu over lr in (0, lr_max), found numerically.

    A dense grid locates the maximum, then a bounded scalar search refines it (xatol 1e-12). `law`
    is a callable lr -> mu (default: the two-point mu at `a`). Independent of the closed forms.
    """
    a = float(finite_array("a", a))
    if not np.isfinite(lr_max) or lr_max <= 0:
        raise ValueError("lr_max: must be finite and > 0")
    f = law if law is not None else (lambda lr: float(quadratic.mu(a, lr)))
    grid = np.linspace(0, lr_max, 2001)[1:-1]
    vals = np.array([f(x) for x in grid])
    k = int(np.argmax(vals))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    if k == 0:
        lo = grid[0] * 1e-6
    res = optimize.minimize_scalar(lambda x: -f(x), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-12})
    return float(res.x), float(-res.fun)


def numerical_max_abs_a(eps, lr_max=1.0):
    """Brute-force Eq. 85: the largest |a| (a < 0) with sup_{0<lr<lr_max} mu(a, lr) <= eps.

    Root of a -> numerical_optimum(a)[1] - eps (increasing in |a|) by Brent's method.
    """
    eps = float(eps)
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError("eps: must be finite and > 0")
    g = lambda b: numerical_optimum(-b, lr_max)[1] - eps
    hi = 1.0
    while g(hi) < 0:
        hi *= 2
        if hi > 1e12:
            raise ValueError("eps: too large, no bracket found")
    return float(optimize.brentq(g, 1e-12, hi, xtol=1e-13, rtol=1e-13))


def mu_batch(a, lr, batch_size):
    """Exact E ln|1 - lr xbar| where xbar is the mean of `batch_size` i.i.d. two-point draws.

    xbar = (k + (B - k)(a - 1)) / B with k ~ Bin(B, 1/2). Vectorised over lr.
    """
    a = float(finite_array("a", a))
    lr = finite_array("lr", lr, positive=True)
    B = int(batch_size)
    if B < 1 or B != batch_size:
        raise ValueError("batch_size: must be an integer >= 1")
    k = np.arange(B + 1)
    p = stats.binom.pmf(k, B, 0.5)
    x = (k + (B - k) * (a - 1)) / B
    with np.errstate(divide="ignore"):
        terms = np.log(np.abs(1 - np.multiply.outer(lr, x)))
    return np.sum(terms * p, axis=-1)


def gaussian_batch_law(a, batch_size=1):
    """(mean, std) of the Gaussian law matching the batch-B two-point mean: N(a/2, (2-a)^2 / (4B))."""
    a = float(finite_array("a", a))
    if batch_size < 1:
        raise ValueError("batch_size: must be >= 1")
    return a / 2, (2 - a) / (2 * np.sqrt(batch_size))


def _mu_gaussian_series_one(mean, std, lr):
    # E ln|1 - lr x| = ln lr + ln std + E ln|Z - d| with d = (1/lr - mean)/std, Z ~ N(0, 1), and
    # (Z - d)^2 is non-central chi^2_1(d^2), whose log-mean is the Poisson mixture
    # ln 2 + sum_j Pois(j; d^2/2) digamma(j + 1/2). The sum is truncated 12 sd beyond the mean.
    d = (1.0 / lr - mean) / std
    lam = 0.5 * d * d
    lo = int(max(0.0, lam - 12 * np.sqrt(lam) - 10))
    hi = int(lam + 12 * np.sqrt(lam) + 40)
    j = np.arange(lo, hi + 1)
    w = stats.poisson.pmf(j, lam)
    return float(np.log(lr) + np.log(std) + 0.5 * (np.log(2.0) + np.sum(w * special.digamma(j + 0.5))))


def mu_gaussian_series(mean, std, lr):
    """E ln|1 - lr x| for x ~ N(mean, std^2), by the non-central chi-square series (vectorised in lr)."""
    if not np.isfinite(mean):
        raise ValueError("mean: must be finite")
    if not np.isfinite(std) or std <= 0:
        raise ValueError("std: must be finite and > 0")
    lr = finite_array("lr", lr, positive=True)
    out = np.array([_mu_gaussian_series_one(float(mean), float(std), float(x)) for x in lr.ravel()])
    return out.reshape(lr.shape) if lr.ndim else float(out[0])


def mu_gaussian_quadrature(mean, std, lr):
    """`quadratic.mu_gaussian` over an array of lr. scipy's quad may emit an IntegrationWarning at the
    log pole although the value agrees with the series to ~1e-11 (see tests): silenced here."""
    lr = finite_array("lr", lr, positive=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = np.array([quadratic.mu_gaussian(mean, std, float(x)) for x in lr.ravel()])
    return out.reshape(lr.shape) if lr.ndim else float(out[0])


def bonferroni_z(n_tests, family_p=1e-4):
    """Two-sided z threshold so that n_tests normal estimates all lie within z SE with prob >= 1 - family_p."""
    if n_tests < 1:
        raise ValueError("n_tests: must be >= 1")
    return float(stats.norm.isf(family_p / (2 * n_tests)))


def argmax_tolerances(lrs, mu_grid, se_grid, z, lr_star, gamma_star):
    """Rigorous tolerances for the argmax/max of a noisy curve sampled on a grid.

    On the event E = {|gamma_hat_i - mu_i| <= z se_i for every grid point i} (probability >= 1 - p by
    the Bonferroni choice of z):
      * max_i gamma_hat_i lies in [max_i(mu_i - z se_i), max_i(mu_i + z se_i)];
      * the argmax lies in the set {lr_i : mu_i + z se_i >= max_j(mu_j - z se_j)}.
    Returns dict(gamma_lo, gamma_hi, lr_lo, lr_hi) with gamma_star/lr_star included in the intervals'
    reference; the grid discretisation is accounted for automatically (mu on the grid, not gamma*).
    """
    mu_grid = np.asarray(mu_grid, float)
    se_grid = np.asarray(se_grid, float)
    lrs = np.asarray(lrs, float)
    lower = mu_grid - z * se_grid
    upper = mu_grid + z * se_grid
    floor = np.max(lower)
    plausible = lrs[upper >= floor]
    return dict(gamma_lo=float(floor), gamma_hi=float(np.max(upper)),
                lr_lo=float(plausible.min()), lr_hi=float(plausible.max()),
                lr_star=float(lr_star), gamma_star=float(gamma_star))
