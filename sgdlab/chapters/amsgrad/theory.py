"""Theory for the AMSGrad chapter (Ziyin, Li & Ueda §5.4, §6.4, App. D.4).

Model: L(w; x) = x w^2 / 2, x in {1, a - 1} with probability 1/2 each, w confined to [-1, 1].
Optimizers as the paper writes them (Eq. 13-16, Eq. 13 corrected: m_t uses m_{t-1}, not v_{t-1}),
no bias correction, m_0 = v_0 = vhat_0 = 0:

    m_t = b1 m_{t-1} + (1 - b1) g_t,   v_t = b2 v_{t-1} + (1 - b2) g_t^2,
    vhat_t = max(vhat_{t-1}, v_t) (AMSGrad) or v_t (Adam),   w_t = w_{t-1} - lr m_t / (sqrt(vhat_t) + eps).

Prop. 5's argument: vhat_t is non-decreasing and bounded, so it converges to some c > 0; from then on
AMSGrad (b1 = 0) is SGD with the effective learning rate lr' = lr / sqrt(c), and w -> 0 in probability
iff mu(a, lr') < 0, i.e. lr' in the Eq. 8 interval (= Eq. 109).
"""
from __future__ import annotations

import numpy as np

from sgdlab import quadratic as q

__all__ = ["adam_step", "lr_eff_interval", "mu_eff", "vhat_bound", "vhat_threshold",
           "gd_abs_path", "gd_mean_abs_uniform", "adam_reference_path"]


def lr_eff_interval(a):
    """Eq. 109 (identical to Eq. 8 with lr -> lr' = lr / sqrt(c)): absorbing interval of lr'."""
    a = float(a)
    if not a < 0:
        raise ValueError(f"a: must be < 0, got {a!r}")
    lo, hi = q.absorbing_interval(a)
    return float(lo), float(hi)


def mu_eff(a, lr_eff):
    """Log growth per step of AMSGrad (b1 = 0) once vhat has frozen: mu(a, lr') (Lemma 1)."""
    return q.mu(a, lr_eff)


def log_step_sd(a, lr_eff):
    """Standard deviation of one log-growth term ln|1 - lr' x| (x two-point): half the gap of its values."""
    lr_eff = np.asarray(lr_eff, dtype=float)
    with np.errstate(divide="ignore"):
        return 0.5 * np.abs(np.log(np.abs(1 - lr_eff)) - np.log(np.abs(1 - lr_eff * (a - 1))))


def vhat_bound(a):
    """Corrected Eq. 94-98: |g| = |x w| <= max|x| = 1 - a for |w| <= 1 (a < 0), so v_t, vhat_t <= (1 - a)^2.

    The paper writes |g| <= 1 + a and vhat <= 1 + a: with a < 0 that is smaller than |g| at w = 1, x = a - 1.
    """
    a = float(a)
    return (1.0 - a) ** 2


def vhat_threshold(a, lr):
    """Smallest c for which lr / sqrt(c) lies inside the Eq. 109 interval: c* = (lr / lr'_hi)^2.

    While vhat < c*, lr' exceeds the upper edge, |w| grows on average, the gradients stay large and
    vhat keeps rising; so the frozen value satisfies c >= c* (up to the last excursions).
    """
    _, hi = lr_eff_interval(a)
    return (float(lr) / hi) ** 2


def gd_abs_path(a, lr, t, w0):
    """GD on E L = a w^2 / 4 with w projected on [-1, 1]: |w_t| = min(1, |w0| (1 - lr a / 2)^t) exactly.

    (For a < 0 the factor exceeds 1; once |w| reaches 1 the projection holds it there.)
    """
    r = 1.0 - float(lr) * float(a) / 2.0
    t = np.asarray(t, dtype=float)
    w0 = np.abs(np.asarray(w0, dtype=float))
    with np.errstate(over="ignore"):
        return np.minimum(1.0, np.multiply.outer(w0, r ** t))


def gd_mean_abs_uniform(a, lr, t):
    """E|w_t| for GD (projected on [-1, 1]) started from w0 ~ U[-1, 1]: with R = (1 - lr a/2)^t >= 1,
    E min(1, U R) = 1 - 1/(2R) for U ~ U(0, 1)."""
    r = 1.0 - float(lr) * float(a) / 2.0
    if r < 1:
        raise ValueError("a: the closed form assumes a < 0 (GD moves away from 0)")
    with np.errstate(over="ignore"):
        R = r ** np.asarray(t, dtype=float)
    return 1.0 - 0.5 / R


def adam_step(w, m, v, vh, g, *, lr, beta1, beta2, eps=0.0, amsgrad=True, lo=-1.0, hi=1.0):
    """One step of Eq. 13-16 (NumPy, vectorised over runs), in the same order of operations as the core.

    Returns (w, m, v, vh). d = 0 where sqrt(vh) + eps == 0. Projection on [lo, hi].
    """
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    vh = np.maximum(vh, v) if amsgrad else v
    den = np.sqrt(vh) + eps
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(den > 0, m / den, 0.0)
    w = np.clip(w - lr * d, lo, hi)
    return w, m, v, vh


def adam_reference_path(w0, xs, *, lr, beta1, beta2, eps=0.0, amsgrad=True, lo=-1.0, hi=1.0):
    """Replay Eq. 13-16 on the quadratic model for given data draws xs (steps, n): returns w (steps+1, n)
    and the final (m, v, vh). A test oracle (short paths only)."""
    w = np.asarray(w0, dtype=float).copy()
    m = np.zeros_like(w); v = np.zeros_like(w); vh = np.zeros_like(w)
    out = [w.copy()]
    for x in np.asarray(xs, dtype=float):
        w, m, v, vh = adam_step(w, m, v, vh, x * w, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                amsgrad=amsgrad, lo=lo, hi=hi)
        out.append(w.copy())
    return np.array(out), (m, v, vh)
