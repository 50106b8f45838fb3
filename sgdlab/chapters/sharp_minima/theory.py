"""Theory of the sharp-minima construction of Ziyin, Li & Ueda (Section 5.3, App. D.3).

Sampled loss (Eq. 10), x = +-1 with probability 1/2:

    L(w; x) = 1/2 [ -(w1-w2)^2 - (w1+w2)^2 + (w1-w2)^4 + (w1+w2)^4 - 2 a w2^2 + x b w1^2 ]
            = -(w1^2 + w2^2) + w1^4 + 6 w1^2 w2^2 + w2^4 - a w2^2 + x b w1^2 / 2.

Since E x = 0, the expected loss is the x = 0 loss. Everything here is closed form; the numerical
checks (finite differences, brute-force maxima over the box, root finding) live alongside so the
chapter and the tests can compare the two.
"""
from __future__ import annotations

import math

import numpy as np

from sgdlab.params import number, number_in

__all__ = ["expected_loss", "grad", "hessian", "critical_points", "minima", "sharpness",
           "paper_sharpness", "proof_r", "proof_r_bruteforce", "proof_mu", "proof_mu_printed",
           "lr_bound", "lr_bound_numeric", "LR_BOUND_PAPER", "printed_bound_numeric",
           "sharp_exponent", "proof_tail_bound", "A_RANGE", "default_b", "best_b_numeric",
           "flat_factors"]

#: the value printed in Eq. 93, (1 + sqrt 6) / 20
LR_BOUND_PAPER = (1.0 + math.sqrt(6.0)) / 20.0


#: The range of a, a finite number in (0, 1] (`sgdlab.params.number_in` arguments): a > 0 makes
#: (0, +-sqrt((1+a)/2)) the sharper minima; a <= 1 keeps them inside the box |w_i| <= 1 that Prop. 4 imposes
#: (for a > 1 they lie outside it and the projected iterates stop on the edge w2 = +-1; for a >= 2 the
#: points (+-1/sqrt 2, 0) are not even minima).
A_RANGE = dict(lo=0.0, hi=1.0, lo_open=True, why="a > 0 makes (0, +-sqrt((1+a)/2)) the sharper minima; for "
               "a > 1 they lie outside the box |w_i| <= 1 of Prop. 4")


def default_b(lr):
    """The proof's choice b = 1/lr - 6 (Eq. 91); positive only for lr < 1/6."""
    return 1.0 / number("lr", lr, positive=True) - 6.0


def expected_loss(w1, w2, a):
    """E_x L(w; x) (broadcasts over arrays)."""
    w1 = np.asarray(w1, float)
    w2 = np.asarray(w2, float)
    return -(w1 ** 2 + w2 ** 2) + w1 ** 4 + 6 * w1 ** 2 * w2 ** 2 + w2 ** 4 - a * w2 ** 2


def grad(w1, w2, a, b=0.0, x=0.0):
    """Gradient of L(w; x) (Eq. 86); x = 0 gives the expected gradient. Returns (g1, g2)."""
    w1 = np.asarray(w1, float)
    w2 = np.asarray(w2, float)
    g1 = -2 * w1 + 4 * w1 ** 3 + 12 * w1 * w2 ** 2 + x * b * w1
    g2 = -2 * w2 + 4 * w2 ** 3 + 12 * w1 ** 2 * w2 - 2 * a * w2
    return g1, g2


def hessian(w1, w2, a):
    """Hessian of the expected loss at one point, a 2x2 array (Eq. 11 gives its diagonal)."""
    h11 = -2 + 12 * w1 ** 2 + 12 * w2 ** 2
    h22 = -2 - 2 * a + 12 * w1 ** 2 + 12 * w2 ** 2
    h12 = 24 * w1 * w2
    return np.array([[h11, h12], [h12, h22]], dtype=float)


def critical_points(a):
    """All nine critical points of E L for 0 < a <= 1 (all inside the box), classified.

    Axis points: origin (maximum), flat minima (+-1/sqrt2, 0), sharp minima (0, +-sqrt((1+a)/2)).
    Off-axis: 4w1^2 + 12w2^2 = 2 and 12w1^2 + 4w2^2 = 2 + 2a give w1^2 = (2+3a)/16, w2^2 = (2-a)/16
    (saddles: det H = -2 (2+3a)(2-a) < 0).
    Returns a list of dicts with name, kind, w (tuple), loss, hessian, eigenvalues, trace.
    """
    a = number_in("a", a, **A_RANGE)
    pts = [("origin", "maximum", (0.0, 0.0))]
    r_flat = 1 / math.sqrt(2)
    r_sharp = math.sqrt((1 + a) / 2)
    pts += [("flat", "minimum", (s * r_flat, 0.0)) for s in (1, -1)]
    pts += [("sharp", "minimum", (0.0, s * r_sharp)) for s in (1, -1)]
    u, v = math.sqrt((2 + 3 * a) / 16), math.sqrt((2 - a) / 16)
    pts += [("saddle", "saddle", (s1 * u, s2 * v)) for s1 in (1, -1) for s2 in (1, -1)]
    out = []
    for name, kind, (w1, w2) in pts:
        h = hessian(w1, w2, a)
        ev = np.linalg.eigvalsh(h)
        out.append({"name": name, "kind": kind, "w": (w1, w2), "loss": float(expected_loss(w1, w2, a)),
                    "hessian": h, "eigenvalues": ev, "trace": float(np.trace(h))})
    return out


def minima(a):
    """{'flat': array (2, 2), 'sharp': array (2, 2)}: the two minima of each kind, one per row."""
    a = number_in("a", a, **A_RANGE)
    r_flat, r_sharp = 1 / math.sqrt(2), math.sqrt((1 + a) / 2)
    return {"flat": np.array([[r_flat, 0.0], [-r_flat, 0.0]]),
            "sharp": np.array([[0.0, r_sharp], [0.0, -r_sharp]])}


def sharpness(a):
    """Definition 3: full Hessian traces, flat 8 - 2a, sharp 8 + 10a."""
    a = number_in("a", a, **A_RANGE)
    return {"flat": 8.0 - 2.0 * a, "sharp": 8.0 + 10.0 * a}


def paper_sharpness(a):
    """The values printed in Eq. 12: 4 (flat) and 4 + 4a (sharp) -- one diagonal entry each."""
    a = number_in("a", a, **A_RANGE)
    return {"flat": 4.0, "sharp": 4.0 + 4.0 * a}


# ----------------------------------------------------------------------------- the proof (D.3)

def proof_r(lr, b=None):
    """(r(+1), r(-1)) of Eq. 89: the largest |w1,t+1 / w1,t| over the box for each draw of x.

    Uses 0 <= 4 lr w1^2 + 12 lr w2^2 <= 16 lr; the factor is affine in that quantity, so its modulus
    is largest at an end point. b defaults to the proof's 1/lr - 6.
    """
    lr = number("lr", lr, positive=True)
    b = default_b(lr) if b is None else float(b)
    c_plus, c_minus = 1 + lr * (2 - b), 1 + lr * (2 + b)
    return (max(abs(c_plus), abs(c_plus - 16 * lr)), max(abs(c_minus), abs(c_minus - 16 * lr)))


def proof_r_bruteforce(lr, b=None, n=401):
    """Eq. 89 by brute force: max over an n x n grid of the box (end points included) of
    |1 + lr (2 - x b) - 4 lr w1^2 - 12 lr w2^2|, for x = +1 and x = -1."""
    lr = number("lr", lr, positive=True)
    b = default_b(lr) if b is None else float(b)
    g = np.linspace(-1, 1, n)
    w1, w2 = np.meshgrid(g, g)
    s = 4 * lr * w1 ** 2 + 12 * lr * w2 ** 2
    return tuple(float(np.max(np.abs(1 + lr * (2 - x * b) - s))) for x in (1.0, -1.0))


def proof_mu(lr, b=None):
    """E ln r_t = 1/2 ln(r(+1) r(-1)). With b = 1/lr - 6 this is 1/2 ln[16 lr max(|1-2lr|, |1-10lr|)]
    (Eq. 91 gives r(+1) = 8 lr, r(-1) = 2 max(...)); the proof guarantees w1 -> 0 when it is < 0."""
    rp, rm = proof_r(lr, b)
    return 0.5 * math.log(rp * rm)


def proof_mu_printed(lr):
    """Eq. 92 as printed: 1/2 ln[8 lr max(|1-2lr|, |1-10lr|)] (the factor 2 of r(-1) is lost)."""
    lr = number("lr", lr, positive=True)
    return 0.5 * math.log(8 * lr * max(abs(1 - 2 * lr), abs(1 - 10 * lr)))


def lr_bound():
    """Largest lr for which the proof's bound gives w1 -> 0 with b = 1/lr - 6: (2 - sqrt 2)/8.

    For lr < 1/6, max(|1-2lr|, |1-10lr|) = 1 - 2lr and 16 lr (1 - 2lr) < 1 iff
    32 lr^2 - 16 lr + 1 > 0, i.e. lr < (2 - sqrt 2)/8 = 0.0732 (or lr > (2 + sqrt 2)/8 > 1/6,
    where the max is 10lr - 1 and 16 lr (10 lr - 1) > 1 for all lr > 1/6).
    """
    return (2.0 - math.sqrt(2.0)) / 8.0


def _root(f, lo, hi):
    from scipy.optimize import brentq
    return brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def lr_bound_numeric():
    """Root of proof_mu(lr, 1/lr - 6) found numerically (no algebra), on (0.01, 1/6)."""
    return _root(lambda lr: proof_mu(lr), 0.01, 1.0 / 6.0 - 1e-12)


def printed_bound_numeric():
    """Root of Eq. 92 *as printed* above 1/6: reproduces Eq. 93, (1 + sqrt 6)/20."""
    return _root(proof_mu_printed, 1.0 / 6.0, 0.3)


def proof_tail_bound(lr, steps, eps, b=None):
    """Rigorous finite-t bound from Eq. 90: P(|w1,t| > eps) <= P(prod r_i > eps) when |w1,0| <= 1.

    prod r_i = r(+1)^k r(-1)^(t-k) with k ~ Bin(t, 1/2) the number of x = +1 draws; returns the exact
    binomial probability of the event (1.0 when the bound is vacuous).
    """
    from scipy.stats import binom
    rp, rm = proof_r(lr, b)
    if rp <= 0.0:
        return 0.0
    lp, lm, le = math.log(rp), math.log(rm), math.log(eps)
    k = np.arange(steps + 1)
    ok = k * lp + (steps - k) * lm > le
    return float(np.minimum(1.0, binom.pmf(k[ok], steps, 0.5).sum()))


def sharp_exponent(lr, a, b=None):
    """Lyapunov exponent of w1 at a sharp minimum (w1 = 0, w2^2 = (1+a)/2):
    1/2 ln|(1 - 4lr - 6lr a - lr b)(1 - 4lr - 6lr a + lr b)|. Negative: the sharp minima attract w1."""
    lr = number("lr", lr, positive=True)
    a = number_in("a", a, **A_RANGE)
    b = default_b(lr) if b is None else float(b)
    c = 1 - 4 * lr - 6 * lr * a
    return 0.5 * math.log(abs((c - lr * b) * (c + lr * b)))


def best_b_numeric(lr, b_max=None):
    """D.3's choice of b, checked numerically: the b > 0 that minimises r(+1) r(-1) (Eq. 89), by bounded
    scalar minimisation of ln r(+1) + ln r(-1) over (0, b_max] (no algebra). The product is minimised at
    b = 1/lr - 6 (for lr < 1/6): below it r(+1) r(-1) = (1+2lr)^2 - lr^2 b^2 decreases, above it both
    factors increase. r(-1) alone is smallest at b = 0 (it is 1 + 2lr + b lr for b >= 0)."""
    from scipy.optimize import minimize_scalar
    lr = number("lr", lr, positive=True)
    b_max = 4.0 / lr if b_max is None else float(b_max)
    res = minimize_scalar(lambda b: math.log(proof_r(lr, b)[0]) + math.log(proof_r(lr, b)[1]),
                          bounds=(1e-9, b_max), method="bounded", options={"xatol": 1e-10})
    return float(res.x)


def flat_factors(lr, b=None, w1_sq=0.5, w2_sq=0.0):
    """The one-step factors of w1 (Eq. 86/88), 1 + lr(2 - x b) - 4 lr w1^2 - 12 lr w2^2, for x = +1 and
    x = -1, at a point with the given w1^2, w2^2 (default: a flat minimum). With b = 1/lr - 6 they are
    8 lr - 4 lr w1^2 and 2 - 4 lr - 4 lr w1^2."""
    lr = number("lr", lr, positive=True)
    b = default_b(lr) if b is None else float(b)
    s = 4 * lr * w1_sq + 12 * lr * w2_sq
    return (1 + lr * (2 - b) - s, 1 + lr * (2 + b) - s)
