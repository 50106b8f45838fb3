"""Theory of the local-maximum chapter (Ziyin, Li & Ueda §4, §5.1, §6.1, A.1, B.2, C.2-C.4).

The quadratic model L(w; x) = x w^2 / 2, x in {1, a - 1} w.p. 1/2, updates w_t = w_{t-1}(1 - lr x_t),
so w_t = w_0 * prod_i (1 - lr x_i) and |w_t| = |w_0| m_K with m_k = |1 - lr|^k |1 - lr(a - 1)|^(t - k),
K ~ Bin(t, 1/2) independent of w_0. With w_0 ~ U[-h, h] the law of w_t is the symmetric mixture
sum_k P(K = k) U[-h m_k, h m_k]: every probability below is an exact finite sum (no approximation),
computed in log space so that m_k = 2.6^1000 does not overflow.

The closed forms shared with the other chapters (mu, Eq. 8, moments, Prop. 1, Gaussian mu by
quadrature) are imported from `sgdlab.quadratic`.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from sgdlab.params import integer, is_int, number
from sgdlab.quadratic import (absorbing_interval, continuous_time_boundary, log_ratio_law,
                                     moments, mu, mu_gaussian, prob_nonzero_lr1)

__all__ = ["mu", "absorbing_interval", "continuous_time_boundary", "moments", "log_ratio_law",
           "prob_nonzero_lr1", "mu_gaussian", "log_step_sd", "fourth_moment", "log_scales",
           "prob_abs_le", "bin_probs", "escape_prob", "abs_quantile_w0_fixed", "quartic_minima",
           "gaussian_law", "mu_gaussian_grid", "log_step_sd_gaussian", "ct_boundary_paper",
           "ct_boundary_ito", "ct_mapping", "eq57_density", "kesten_exponent", "mu_grid", "second_moment",
           "eq7_printed", "eq7_corrected", "eq7_factors", "prob_abs_gt_fixed"]


def log_step_sd(a, lr):
    """Standard deviation of one log step ln|1 - lr x|: s = |ln|1-lr| - ln|1-lr(a-1)|| / 2."""
    a, lr = np.asarray(a, float), np.asarray(lr, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.abs(np.log(np.abs(1 - lr)) - np.log(np.abs(1 - lr * (a - 1))))


def mu_grid(a_values, lrs):
    """mu on the (a, lr) grid, shape (len(a_values), len(lrs))."""
    A, L = np.meshgrid(np.asarray(a_values, float), np.asarray(lrs, float), indexing="ij")
    return mu(A, L)


def fourth_moment(a, lr, t, w0=1.0):
    """E[w_t^4] = (((1-lr)^4 + (1-lr(a-1))^4)/2)^t w0^4 (for the standard error of E[w_t^2])."""
    return (((1 - lr) ** 4 + (1 - lr * (a - 1)) ** 4) / 2) ** np.asarray(t) * w0 ** 4


def log_scales(a, lr, t):
    """(ln m_k, P(K = k)) for k = 0..t: ln|w_t / w_0| = ln m_k with probability P(K = k)."""
    if not is_int(t):   # a step count: integral floats and text are not read here (as always)
        raise ValueError(f"t: must be an integer >= 0, got {t!r}")
    t = integer("t", t, 0)
    # Not quadratic.log_ratio_law: at lr = 1 it computes 0 * ln 0 = nan for k = 0 (reported to the
    # lead); here a term with k = 0 (or t - k = 0) contributes exactly 0.
    k = np.arange(t + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        l1, l2 = np.log(abs(1 - lr)), np.log(abs(1 - lr * (a - 1)))
        vals = np.where(k > 0, k * l1, 0.0) + np.where(t - k > 0, (t - k) * l2, 0.0)
    return vals, stats.binom.pmf(k, t, 0.5)


def second_moment(a, lr, t, w0=1.0, power=2):
    """E|w_t|^power from the binomial law: sum_k P(K = k) (|w0| m_k)^power (exact; at lr = 1 the terms
    with a draw x = 1 vanish, so E[w_t^2] = 2^-t (2 - a)^(2t) w0^2)."""
    logm, p = log_scales(a, lr, t)
    with np.errstate(over="ignore"):
        return float(np.sum(p * np.exp(power * (logm + math.log(abs(w0))))))


def eq7_factors(a):
    """Per-step growth factor of E[w_t^2] at lr = 1: (corrected, printed) = ((2-a)^2/2, (2-a)^2/4).
    The paper's Eq. 7 ends with w0^2 exp(2t ln((2-a)/2)), i.e. the factor (2-a)^2/4: it drops the 2^-t."""
    a = float(a)
    return (2 - a) ** 2 / 2, (2 - a) ** 2 / 4


def eq7_corrected(a, t, w0=1.0):
    """E[w_t^2] at lr = 1: 2^-t (2 - a)^(2t) w0^2 = w0^2 ((2-a)^2/2)^t."""
    return eq7_factors(a)[0] ** np.asarray(t, float) * w0 ** 2


def eq7_printed(a, t, w0=1.0):
    """The last expression of the paper's Eq. 7: w0^2 exp(2t ln((2-a)/2)) = w0^2 ((2-a)^2/4)^t (wrong)."""
    return eq7_factors(a)[1] ** np.asarray(t, float) * w0 ** 2


def prob_abs_gt_fixed(eps, a, lr, t, w0=1.0):
    """Exact P(|w_t| > eps) for a fixed start w0: sum of P(K = k) over the k with |w0| m_k > eps."""
    eps = number("eps", float(eps), positive=True)   # float() first, as always: anything float() reads is accepted
    logm, p = log_scales(a, lr, t)
    return float(np.sum(p[logm + math.log(abs(w0)) > math.log(eps)]))


def prob_abs_le(eps, a, lr, t, w0_max=1.0):
    """Exact P(|w_t| <= eps) for w_0 ~ U[-w0_max, w0_max]: sum_k P(K=k) min(1, eps / (w0_max m_k))."""
    eps = number("eps", float(eps), positive=True)
    w0_max = number("w0_max", float(w0_max), positive=True)
    logm, p = log_scales(a, lr, t)
    with np.errstate(over="ignore"):
        ratio = np.exp(np.minimum(math.log(eps) - math.log(w0_max) - logm, 0.0))
    return float(np.sum(p * ratio))


def escape_prob(threshold, a, lr, t, w0_max=1.0):
    """Exact P(|w_t| > threshold) for w_0 ~ U[-w0_max, w0_max] (no stopping rule)."""
    return 1.0 - prob_abs_le(threshold, a, lr, t, w0_max)


def bin_probs(edges, a, lr, t, w0_max=1.0):
    """Exact probability of each histogram bin [edges[i], edges[i+1]) for w_t, w_0 ~ U[-w0_max, w0_max].

    The CDF of the k-th mixture component U[-M, M], M = w0_max m_k, is 1/2 + clip(w/M, -1, 1)/2;
    for M = 0 (lr = 1 and a draw x = 1) it is a unit step at 0 (mass 1/2 on each side of an edge at 0,
    i.e. the atom at 0 is split evenly between the two bins adjacent to an edge placed at 0).
    """
    edges = np.asarray(edges, float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges: need a strictly increasing 1-D array of >= 2 bin edges")
    w0_max = number("w0_max", float(w0_max), positive=True)
    logm, p = log_scales(a, lr, t)
    logM = logm + math.log(w0_max)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        absl = np.log(np.abs(edges))[:, None]
        r = np.exp(np.minimum(absl - logM[None, :], 0.0))          # min(|w| / M, 1)
        r = np.where(np.isneginf(logM)[None, :], np.where(edges[:, None] == 0, 0.0, 1.0), r)
        r = np.where((edges == 0)[:, None], 0.0, r)
    cdf = 0.5 + 0.5 * np.sign(edges)[:, None] * r
    F = cdf @ p
    return np.diff(F)


def abs_quantile_w0_fixed(q, a, lr, t, w0=1.0):
    """Exact q-quantile of |w_t| for a fixed start w0 (a lattice law: ln|w_t/w0| = ln m_K)."""
    logm, p = log_scales(a, lr, t)
    order = np.argsort(logm)
    cdf = np.cumsum(p[order])
    k = int(np.searchsorted(cdf, q - 1e-12))
    return float(abs(w0) * np.exp(logm[order][min(k, len(order) - 1)]))


def quartic_minima(a, c=1.0):
    """Minima of E L = a w^2/4 + c w^4/4 (two-point law, E x = a/2): w = +-sqrt(-a/(2c)) for a < 0.

    (The paper writes +-sqrt(a); with E x = a/2 and the w^4/4 term of Section 6.1 the minima are
    +-sqrt(-a/2) for c = 1.)
    """
    a = float(a)
    c = number("c", float(c), positive=True)
    if a >= 0:
        return ()
    r = math.sqrt(-a / (2 * c))
    return (-r, r)


# ---------------------------------------------------------------- Gaussian data (Prop. 9, App. B.2)

def gaussian_law(a):
    """(mean, std) of the Gaussian data law used for Prop. 9: the moments of the two-point law,
    x ~ N(a/2, (1 - a/2)^2), so the Gaussian phase diagram lives on the same (a, lr) plane."""
    a = float(a)
    if not math.isfinite(a) or a >= 2:
        raise ValueError(f"a: must be finite and < 2, got {a!r}")
    return a / 2, 1 - a / 2


def mu_gaussian_grid(a_values, lrs):
    """E ln|1 - lr x|, x ~ N(a/2, (1-a/2)^2), on the (a, lr) grid, shape (len(a_values), len(lrs)).

    Vectorised exact series: with d = (1/lr - mean)/std, E ln|1 - lr x| = ln(lr std) + E ln|Z - d|, and
    (Z - d)^2 is non-central chi^2_1(d^2), whose log-mean is the Poisson mixture
    ln 2 + sum_j Pois(j; d^2/2) digamma(j + 1/2). The sum is truncated 12 sd beyond the Poisson mean
    (neglected mass < 1e-30). Checked against the quadrature `quadratic.mu_gaussian` in the tests.
    """
    from scipy import special
    a_values = np.atleast_1d(np.asarray(a_values, float))
    lrs = np.atleast_1d(np.asarray(lrs, float))
    if np.any(lrs <= 0) or not np.all(np.isfinite(lrs)):
        raise ValueError("lrs: must be finite and > 0")
    if np.any(a_values >= 2) or not np.all(np.isfinite(a_values)):
        raise ValueError("a_values: must be finite and < 2")
    A, L = np.meshgrid(a_values, lrs, indexing="ij")
    m, s = A / 2, 1 - A / 2
    d = (1 / L - m) / s
    lam = (0.5 * d * d).ravel()
    lo = np.floor(np.maximum(0.0, lam - 12 * np.sqrt(lam) - 10))
    width = int(np.max(np.ceil(lam + 12 * np.sqrt(lam) + 40) - lo)) + 1
    j = lo[:, None] + np.arange(width)[None, :]
    w = stats.poisson.pmf(j, lam[:, None])
    elog = 0.5 * (np.log(2.0) + np.sum(w * special.digamma(j + 0.5), axis=1))
    return (np.log(L * s).ravel() + elog).reshape(A.shape)


_QMC_Z = stats.norm.ppf((np.arange(20000) + 0.5) / 20000)


def log_step_sd_gaussian(a_values, lrs):
    """Standard deviation of ln|1 - lr x| for the Gaussian law, by a deterministic stratified rule
    (20 000 normal quantiles). Only used to set the width of the excluded band around the boundary."""
    out = np.empty((len(a_values), len(lrs)))
    for i, a in enumerate(a_values):
        m, s = gaussian_law(a)
        x = m + s * _QMC_Z
        for j, lr in enumerate(lrs):
            with np.errstate(divide="ignore"):
                v = np.log(np.abs(1 - lr * x))
            v = v[np.isfinite(v)]
            out[i, j] = v.std()
    return out


# ---------------------------------------------------------------- continuous time (App. C)

def ct_boundary_paper(a):
    """Eq. 71 as the paper uses it against Fig. 2: escape iff lr < -a (S = 1, a the two-point a)."""
    return continuous_time_boundary(a, S=1.0)


def ct_mapping(a, lr, sigma=0.0, c=0.0):
    """Parameters of the continuous-time model dw = -lr[A w + B w^3] dt + lr sqrt(C(w)/S) dW that
    matches the first two moments of one SGD step (dt = 1 step):
      A = E[x] = a/2 (curvature of E L), B = c (quartic coefficient, 0 for the quadratic),
      1/S = Var[x] = (1 - a/2)^2 (multiplicative noise C = w^2 + S sigma^2), sigma = additive std.
    Returns a dict with A, B, S, sigma, lr."""
    return dict(A=float(a) / 2, B=float(c), S=1.0 / (1 - float(a) / 2) ** 2, sigma=float(sigma), lr=float(lr))


def ct_boundary_ito(a):
    """Continuous-time escape line with the moment mapping of `ct_mapping`: ln|w| has Ito drift
    -lr A - lr^2 / (2S), so escape iff lr < -2 S A = -a / (1 - a/2)^2 (equivalently -2 S A / lr > 1,
    the integrability condition of Eq. 70 at w = 0; Eq. 71 prints -S a / lr > 1)."""
    a = np.asarray(a, float)
    return -a / (1 - a / 2) ** 2


def eq57_density(w, a, lr, sigma, c=0.0):
    """Eq. 57, unnormalised: P(w) = (w^2 + S sigma^2)^(-1 - S A/lr + S^2 B sigma^2/lr) exp(-S B w^2/lr),
    with (A, B, S) from `ct_mapping` (the paper's a, b are A, B here)."""
    p = ct_mapping(a, lr, sigma, c)
    A, B, S = p["A"], p["B"], p["S"]
    w = np.asarray(w, float)
    expo = -1 - S * A / lr + S ** 2 * B * sigma ** 2 / lr
    return (w ** 2 + S * sigma ** 2) ** expo * np.exp(-S * B * w ** 2 / lr)


def kesten_exponent(a, lr):
    """Tail exponent kappa > 0 of the stationary law of w_t = w_{t-1}(1 - lr x) + noise (Kesten):
    E|1 - lr x|^kappa = 1, so P(|w| > y) ~ y^-kappa. Requires mu < 0 and P(|1 - lr x| > 1) > 0."""
    f1, f2 = abs(1 - lr), abs(1 - lr * (a - 1))
    if not (max(f1, f2) > 1 and float(mu(a, lr)) < 0):
        raise ValueError("a, lr: no Kesten exponent (need mu < 0 and one factor > 1)")
    g = lambda k: 0.5 * (f1 ** k + f2 ** k) - 1
    hi = 1.0
    while g(hi) < 0:
        hi *= 2
    return optimize.brentq(g, 1e-9, hi, xtol=1e-12)
