"""Theory of the sticking chapter (Dudukalov et al. 2025, arXiv:2505.18535).

The paper's full text was not available. Everything here is the book's *reconstruction* of the
paper's predictions with standard random-walk / stochastic-approximation theory, not a quotation. Model: X_{k+1} = X_k - eps (f'(X_k) + xi_{k+1}), constant eps, i.i.d. additive noise.

Noise laws and their scale parameter s (the chapter's `noise_scale`):
  gaussian  xi = s N(0, 1)                       (variance s^2)
  laplace   density exp(-|z|/s) / (2 s)          (variance 2 s^2)
  stable    symmetric alpha-stable, E e^{itxi} = exp(-|s t|^alpha)

Contents
  * tail constant C_alpha and the stable CDF;
  * smooth maximum: exit direction (Gaussian / stable) and mean sticking time;
  * sharp (kinked) maximum: the exact split probability for Laplace noise (Lundberg roots),
    the diffusion limit, the heavy-tail (Veraverbeke) wrong-side asymptotics, the no-sticking time;
  * convergence window and metastable chain over minima; flat maximum constant.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize, special, stats

from sgdlab.chapters._kit import Param
from sgdlab.params import number

EULER_GAMMA = float(np.euler_gamma)
LAWS = ("gaussian", "laplace", "stable")
CONVENTIONS = {"zero": "f'(M) := 0", "right": "f'(M) := f'(M+) = -b", "left": "f'(M) := f'(M-) = +a"}


# the stability index of the stable laws here (checked by the kit, like the chapter's parameters)
ALPHA = Param("alpha", 1.5, "float", "stability index α of the SαS noise", lo=1.0, hi=2.0, lo_open=True,
              hi_open=True, why="finite mean, infinite variance")


# ----------------------------------------------------------------------------- noise laws

def stable_tail_constant(alpha):
    """C_alpha with P(Z > x) ~ C_alpha x^-alpha for standard SaS (E e^{itZ} = e^{-|t|^alpha})."""
    alpha = float(alpha)
    return math.gamma(alpha) * math.sin(math.pi * alpha / 2.0) / math.pi


def stable_cdf(x, alpha):
    """CDF of standard SaS (beta = 0; S0 and S1 coincide), via scipy."""
    return stats.levy_stable.cdf(np.asarray(x, dtype=float), float(alpha), 0.0)


def kink_grad(convention, a, b):
    """The value used for f'(M) at the kink: 'zero' -> 0, 'right' -> f'(M+) = -b, 'left' -> f'(M-) = a."""
    if convention == "zero":
        return 0.0
    if convention == "right":
        return -float(b)
    if convention == "left":
        return float(a)
    raise ValueError(f"convention: expected one of {sorted(CONVENTIONS)}, got {convention!r}")


# ----------------------------------------------------------------------------- T3 smooth maximum

def gauss_offset_sd(eps, lam=1.0, sigma=1.0):
    """Exact sd of Z_eps = -eps sum_j (1+eps lam)^-j xi_j for N(0, sigma^2) noise: the spread that
    decides the exit side from M + y; -> sqrt(eps sigma^2 / (2 lam)) as eps -> 0."""
    eps, lam = number("eps", eps, positive=True), number("lam", lam, positive=True)
    sigma = number("sigma", sigma, positive=True)
    return math.sqrt(eps * eps * sigma * sigma / ((1.0 + eps * lam) ** 2 - 1.0))


def stable_offset_scale(eps, alpha, lam=1.0, c=1.0):
    """Exact SaS scale of Z_eps for SaS(c) noise: c eps ((1+eps lam)^alpha - 1)^(-1/alpha)
    -> c eps^(1-1/alpha) (alpha lam)^(-1/alpha)."""
    eps, lam, c = number("eps", eps, positive=True), number("lam", lam, positive=True), number("c", c, positive=True)
    alpha = ALPHA.check(alpha)
    return c * eps * ((1.0 + eps * lam) ** alpha - 1.0) ** (-1.0 / alpha)


def p_right_smooth_gauss(y, eps, lam=1.0, sigma=1.0, limit=False):
    """P(exit to the right) from X_0 = M + y sqrt(eps) (T3). limit=True: Phi(y sqrt(2 lam)/sigma)."""
    y = np.asarray(y, dtype=float)
    if limit:
        return stats.norm.cdf(y * math.sqrt(2.0 * lam) / sigma)
    return stats.norm.cdf(y * math.sqrt(eps) / gauss_offset_sd(eps, lam, sigma))


def p_right_smooth_stable(y, eps, alpha, lam=1.0, c=1.0, limit=False):
    """P(exit to the right) from X_0 = M + y eps^(1-1/alpha) (T3).
    limit=True: F_alpha(y (alpha lam)^(1/alpha) / c)."""
    y = np.asarray(y, dtype=float)
    alpha = ALPHA.check(alpha)
    if limit:
        return stable_cdf(y * (alpha * lam) ** (1.0 / alpha) / c, alpha)
    return stable_cdf(y * eps ** (1.0 - 1.0 / alpha) / stable_offset_scale(eps, alpha, lam, c), alpha)


def flow_correction_double_well(delta):
    """C_f(delta) = int_0^delta [1/(-f'(u)) - 1/(lam u)] du for f'(u) = u^3 - u (lam = 1):
    = -log(1 - delta^2)/2 (needs 0 < delta < 1)."""
    delta = number("delta", delta, positive=True)
    if delta >= 1:
        raise ValueError(f"delta: must be < 1 (the minimum of the double well), got {delta}")
    return -0.5 * math.log1p(-delta * delta)


def sticking_time_gauss(eps, delta=0.5, sigma=1.0):
    """E[eps tau_delta] from X_0 = M = 0 of the double well (lam = 1), Gaussian noise (T3):
    log delta + C_f + (1/2) log(2/(eps sigma^2)) + (gamma_E + log 2)/2."""
    eps = np.asarray(eps, dtype=float)
    return (math.log(delta) + flow_correction_double_well(delta) + 0.5 * np.log(2.0 / (eps * sigma ** 2))
            + 0.5 * (EULER_GAMMA + math.log(2.0)))


def sticking_time_stable(eps, alpha, delta=0.5, c=1.0):
    """E[eps tau_delta] from X_0 = M = 0 of the double well (lam = 1), SaS(c) noise (T3):
    log delta + C_f + (1-1/alpha) log(1/eps) + (1/alpha) log(alpha) - log c + gamma_E (1 - 1/alpha)."""
    alpha = ALPHA.check(alpha)
    eps = np.asarray(eps, dtype=float)
    k = 1.0 - 1.0 / alpha
    return (math.log(delta) + flow_correction_double_well(delta) + k * np.log(1.0 / eps)
            + math.log(alpha) / alpha - math.log(c) + EULER_GAMMA * k)


def sticking_slope(law, alpha=1.5):
    """kappa: slope of E[eps tau] against log(1/eps) (lam = 1): 1/2 (finite variance), 1 - 1/alpha (SaS)."""
    if law in ("gaussian", "laplace"):
        return 0.5
    if law == "stable":
        return 1.0 - 1.0 / ALPHA.check(alpha)
    raise ValueError(f"law: expected one of {LAWS}, got {law!r}")


# ----------------------------------------------------------------------------- T5 sharp maximum

def lundberg_root(d, beta):
    """R in (0, 1/beta) with exp(-R d) = 1 - beta^2 R^2: the adjustment coefficient of the walk with
    increments d - xi, xi ~ Laplace(beta)."""
    d, beta = number("drift", d, positive=True), number("beta", beta, positive=True)
    g = lambda r: math.exp(-r * d) - (1.0 - beta * beta * r * r)
    # g(0+) < 0 (slope -d < 0) and g(1/beta) = e^{-d/beta} > 0: one root in between.
    return optimize.brentq(g, 1e-12 / beta, 1.0 / beta, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def laplace_constants(a, b, beta=1.0):
    """(R_a, q_a, R_b, q_b, H_R, H_L) of the exact Laplace solution."""
    a, b = number("a", a, positive=True), number("b", b, positive=True)
    beta = number("beta", beta, positive=True)
    Ra, Rb = lundberg_root(a, beta), lundberg_root(b, beta)
    qa, qb = 1.0 - beta * Ra, 1.0 - beta * Rb
    A, B = qb / (1.0 + beta * Rb), qa / (1.0 + beta * Ra)
    HR = (1.0 - A) / (1.0 - A * B)
    HL = B * HR
    return dict(R_a=Ra, q_a=qa, R_b=Rb, q_b=qb, H_R=HR, H_L=HL)


def _h_off_kink(y, k):
    y = np.asarray(y, dtype=float)
    right = 1.0 - k["q_b"] * np.exp(-k["R_b"] * np.abs(y)) * (1.0 - k["H_L"])
    left = k["q_a"] * np.exp(-k["R_a"] * np.abs(y)) * k["H_R"]
    return np.where(y > 0, right, left)


def laplace_split(y, a, b, beta=1.0, convention="zero"):
    """h(y) = P(reach the right-hand minimum first) from X_0 = M + eps y as eps -> 0, Laplace(beta)
    noise, exact. At y = 0 the value depends on the convention for f'(M) (`kink_grad`):
    'zero' -> (H_R + H_L)/2, 'right' -> h(0+), 'left' -> h(0-). A number is also accepted as
    the value of f'(M): then h(0) = E h(-g - xi), integrated numerically."""
    k = laplace_constants(a, b, beta)
    y = np.asarray(y, dtype=float)
    out = np.array(_h_off_kink(y, k), dtype=float)
    at0 = y == 0
    if np.any(at0):
        out[at0] = laplace_split_at_kink(a, b, beta, convention, _k=k)
    return out if out.ndim else float(out)


def laplace_split_at_kink(a, b, beta=1.0, convention="zero", _k=None):
    """h(0) for the given convention (a name of CONVENTIONS or the number f'(M))."""
    k = _k or laplace_constants(a, b, beta)
    if convention == "zero":
        return 0.5 * (k["H_R"] + k["H_L"])
    if convention == "right":
        return 1.0 - k["q_b"] * (1.0 - k["H_L"])
    if convention == "left":
        return k["q_a"] * k["H_R"]
    g = float(convention)
    # first step from W = 0: W_1 = -g - xi, xi ~ Laplace(beta); h is piecewise smooth with a jump at 0.
    dens = lambda z: math.exp(-abs(z) / beta) / (2 * beta)
    f = lambda z: float(_h_off_kink(-g - z, k)) * dens(z)
    pts = sorted({-g, 0.0})
    lo, hi = -60 * beta - abs(g), 60 * beta + abs(g)
    edges = [lo] + pts + [hi]
    return float(sum(integrate.quad(f, edges[i], edges[i + 1], limit=200)[0] for i in range(len(edges) - 1)))


def diffusion_split(y, a, b, sigma):
    """Diffusion limit (noise >> drifts; Brownian motion with drift +b right of M, -a left, variance
    sigma^2 per step): h(0) = b/(a+b); h(y) = 1 - a/(a+b) e^{-2by/sigma^2} (y >= 0),
    b/(a+b) e^{2ay/sigma^2} (y < 0)."""
    a, b = number("a", a, positive=True), number("b", b, positive=True)
    sigma = number("sigma", sigma, positive=True)
    y = np.asarray(y, dtype=float)
    out = np.where(y >= 0, 1.0 - a / (a + b) * np.exp(-2 * b * y / sigma ** 2),
                   b / (a + b) * np.exp(2 * a * np.minimum(y, 0) / sigma ** 2))
    return out if out.ndim else float(out)


def wrong_side_stable(y, b, alpha, c=1.0):
    """Veraverbeke asymptotics of the probability that the right-side walk (drift b, SaS(c) noise)
    from y >> 1 ever goes below 0: psi_R(y) ~ C_alpha c^alpha y^(1-alpha) / (b (alpha - 1))."""
    alpha = ALPHA.check(alpha)
    y = np.asarray(y, dtype=float)
    b = number("b", b, positive=True)
    return stable_tail_constant(alpha) * c ** alpha * y ** (1.0 - alpha) / (b * (alpha - 1.0))


def wrong_side_laplace(y, b, beta=1.0):
    """Exact probability that the right-side walk (drift b, Laplace(beta)) from y > 0 ever goes below 0:
    q_b e^{-R_b y} (exponentially small)."""
    R = lundberg_root(b, beta)
    return (1.0 - beta * R) * np.exp(-R * np.asarray(y, dtype=float))


def kink_exit_time(h, a, b, delta=0.5):
    """No sticking (T5): E[eps tau_delta] -> h t_R + (1-h) t_L with the flow times from M+-:
    t_R = -log(1-delta)/b (flow x' = b(1-x) from 0 to delta), t_L = -log(1-delta)/a."""
    tl = -math.log1p(-delta)
    return h * tl / b + (1.0 - h) * tl / a


# ----------------------------------------------------------------------------- T1/T2 window, chain

def window_wrong_basin(eps, n, alpha, c=1.0):
    """T2 two-state chain on the double well (maxima at 0, minima +-1): the jump rate between basins
    is r = C_alpha c^alpha eps^alpha per step, so P(X_n < 0 | start right) ~ (1 - exp(-2 r n))/2."""
    r = stable_tail_constant(ALPHA.check(alpha)) * c ** alpha * eps ** alpha
    return 0.5 * (1.0 - np.exp(-2.0 * r * np.asarray(n, dtype=float)))


def fluctuation_sd_gauss(eps, curvature=2.0, sigma=1.0):
    """T1 (F): stationary sd around a minimum of curvature c_m: sqrt(eps sigma^2 / (2 c_m))."""
    return math.sqrt(eps * sigma ** 2 / (2.0 * curvature))


def chain_rate_sine(eps, alpha, c=1.0):
    """C4: per-step exit rate from the minimum 0 of f' = sin(2 pi x) (maxima at +-1/2):
    2 C_alpha c^alpha (2 eps)^alpha."""
    return 2.0 * stable_tail_constant(ALPHA.check(alpha)) * c ** alpha * (2.0 * eps) ** alpha


def chain_destination(k, alpha):
    """C4: P(|dest| = k) = [(k-1/2)^-alpha - (k+1/2)^-alpha] / (1/2)^-alpha for a single jump."""
    k = np.asarray(k, dtype=float)
    return ((k - 0.5) ** -alpha - (k + 0.5) ** -alpha) / 0.5 ** -alpha


# ----------------------------------------------------------------------------- T4 flat maximum

def flat_max_constant():
    """2 int_0^inf int_0^u exp((v^4 - u^4)/2) dv du: mean explosion time of du = u^3 ds + dB from 0
    (= 1.6371...)."""
    inner = lambda u: integrate.quad(lambda v: math.exp((v ** 4 - u ** 4) / 2.0), 0.0, u)[0]
    return 2.0 * integrate.quad(inner, 0.0, np.inf, limit=200)[0]


def flat_max_time_gauss(eps, sigma=1.0, kappa=1.0):
    """T4 (F), p = 3: E[eps tau] ~ 1.6371 eps^{-1/2} / (sigma sqrt(kappa)) (leading order)."""
    return flat_max_constant() * np.asarray(eps, dtype=float) ** -0.5 / (sigma * math.sqrt(kappa))
