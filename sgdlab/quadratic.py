"""Theory of the quadratic model of Ziyin, Li & Ueda: L(w; x) = x w^2 / 2, x in {1, a - 1} w.p. 1/2.

The update is w_t = w_{t-1} (1 - lr x_t), so ln|w_t / w_0| is a sum of i.i.d. terms ln|1 - lr x|.
Everything here is exact (closed form or one-dimensional quadrature).
"""
from __future__ import annotations

import numpy as np
from scipy import integrate, stats


def _check_lr(lr):
    lr = np.asarray(lr, dtype=float)
    if np.any(~np.isfinite(lr)) or np.any(lr <= 0):
        raise ValueError("lr: must be finite and > 0")
    return lr


def mu(a, lr):
    """Mean log growth per step, mu = E ln|1 - lr x| = 1/2 ln|(1 - lr)(1 - lr(a - 1))| (Lemma 1).

    w_t -> 0 in probability iff mu < 0 (Prop. 2). -inf where a factor vanishes (lr = 1 or
    lr = 1/(a - 1)). Also the escape rate gamma(lr) of Definition 2 for lr < 1.
    """
    lr = _check_lr(lr)
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore"):
        return 0.5 * np.log(np.abs((1 - lr) * (1 - lr * (a - 1))))


def absorbing_interval(a):
    """Eq. 8: for a < 0, w_t -> 0 in probability iff a/(a-1) <= lr <= (a - sqrt(a^2-8a+8))/(2(a-1)).

    (The endpoints themselves have mu = 0.) Returns (lo, hi); for a = -1: (0.5, 1.2808).
    For a >= 0 returns the interval of the same formula's roots where mu < 0 (a > 0 gives the
    region between the roots of (1-lr)(1-lr(a-1)) = +-1 that lies above lr = 1/(a-1) if any);
    use `mu(a, lr) < 0` directly for a general a.
    """
    a = np.asarray(a, dtype=float)
    lo = a / (a - 1)
    hi = (a - np.sqrt(a * a - 8 * a + 8)) / (2 * (a - 1))
    return lo, hi


def continuous_time_boundary(a, S=1.0):
    """Eq. 71 (continuous-time approximation): attraction iff -S a / lr > 1, i.e. lr < -S a."""
    return -S * np.asarray(a, dtype=float)


def moments(a, lr, t, w0=1.0):
    """Exact E[w_t] and E[w_t^2] (Eq. 6-7, Eq. 6 corrected: the factor is 1 - lr E[x] = 1 - lr a/2)."""
    t = np.asarray(t)
    m1 = (1 - lr * a / 2) ** t * w0
    m2 = (((1 - lr) ** 2 + (1 - lr * (a - 1)) ** 2) / 2) ** t * w0 ** 2
    return m1, m2


def log_ratio_law(a, lr, t):
    """Exact law of ln|w_t / w_0|: values k ln|1-lr| + (t-k) ln|1-lr(a-1)|, k ~ Bin(t, 1/2).

    Returns (values, probabilities), sorted by k = 0..t (k = number of draws x = 1).
    """
    k = np.arange(t + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        l1, l2 = np.log(abs(1 - lr)), np.log(abs(1 - lr * (a - 1)))
        # 0 * ln 0 = 0 here: with no draw that sends w to 0 the log-ratio is finite (lr = 1, k = 0)
        vals = np.where(k > 0, k * l1, 0.0) + np.where(t - k > 0, (t - k) * l2, 0.0)
    return vals, stats.binom.pmf(k, t, 0.5)


def prob_nonzero_lr1(t):
    """Prop. 1 (lr = 1): P(w_t != 0) = 2^-t exactly."""
    return 0.5 ** np.asarray(t, dtype=float)


def optimal_lr(a):
    """Prop. 3: the lr maximising the escape rate, lr* = a / (2(a - 1)) (a < 0)."""
    a = np.asarray(a, dtype=float)
    return a / (2 * (a - 1))


def optimal_rate(a):
    """Prop. 3: the best escape rate gamma* = ln((2 - a) / (2 sqrt(1 - a))) (a < 0); -> 0 as a -> 0-."""
    a = np.asarray(a, dtype=float)
    return np.log((2 - a) / (2 * np.sqrt(1 - a)))


def max_abs_a_for_rate(epsilon):
    """Eq. 85: gamma* < epsilon iff |a| <= 2 |-e^eps sqrt(e^{2 eps} - 1) - e^{2 eps} + 1|."""
    e = np.asarray(epsilon, dtype=float)
    return 2 * np.abs(-np.exp(e) * np.sqrt(np.exp(2 * e) - 1) - np.exp(2 * e) + 1)


def gd_rate(a, lr):
    """GD on E L = a w^2 / 4: w_t = (1 - lr a / 2)^t w_0, rate ln|1 - lr a / 2|."""
    return np.log(np.abs(1 - np.asarray(lr, dtype=float) * np.asarray(a, dtype=float) / 2))


def mu_gaussian(mean, std, lr):
    """E ln|1 - lr x| for x ~ N(mean, std^2) (Prop. 9, large-batch limit), by quadrature.

    With z = (x - mean)/std and c = (1/lr - mean)/std: E ln|1 - lr x| = ln(lr std) + E ln|z - c|.
    The integrand has an integrable log singularity at z = c. Over the Gaussian's mass
    [-L, L] (L = 12), split at c when c lies inside; each side is integrated in u = |z - c| with
    QUADPACK's algebraico-logarithmic weight (weight="alg-loga": exact for ln(u) at u = 0).
    """
    lr = float(_check_lr(lr))
    mean, std = float(mean), float(std)
    if not np.isfinite(mean):
        raise ValueError("mean: must be finite")
    if not np.isfinite(std) or std <= 0:
        raise ValueError("std: must be finite and > 0")
    c = (1.0 / lr - mean) / std
    phi = stats.norm.pdf
    L = 12.0
    if -L < c < L:
        left, _ = integrate.quad(lambda u: phi(c - u), 0.0, c + L, weight="alg-loga", wvar=(0.0, 0.0), limit=200)
        right, _ = integrate.quad(lambda u: phi(c + u), 0.0, L - c, weight="alg-loga", wvar=(0.0, 0.0), limit=200)
        e_log = left + right
    else:
        e_log, _ = integrate.quad(lambda z: phi(z) * np.log(abs(z - c)), -L, L, limit=200)
    return np.log(lr * std) + e_log
