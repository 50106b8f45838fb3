"""Kernel-free explorer of the sticking chapter: the slope b right of a sharp maximum × the noise law →
the probability h(y) of reaching the right-hand minimum first from X₀ = M + ε y, against the exact h.

Grid: b ∈ `BS` (the left slope a = P["kink_a"] stays fixed; only b/a and the noise matter) and the law of
the noise ξ (scale s = P["noise_scale"]): Laplace, where h has the closed form of the chapter
(`theory.laplace_split`, Lundberg roots), and Gaussian, where h is the solution of the walk's equation
h(y) = E h(y + d(y) − ξ) (d = +b right of 0, −a left, the convention f′(M) := 0 at 0) computed here by a
linear solve on a grid (`walk_split`; checked against the Laplace closed form in the tests).

Simulation: at each grid point the core runs `N_RUNS` SGD runs on the chapter's kinked two-well
landscape at ε = P["eps"] from each offset y ∈ `OFFSETS`, stopped once |X − M| > K ε with K = `K_R`/R
(R the smaller Lundberg/adjustment exponent: a run that far out comes back across M with probability
< e^−12, so stopping does not bias the side) and at most 0.5. Verdict: at every offset the fraction
ending right must lie within the binomial quantiles of (n, h) at the two-sided level 2Φ̄(z),
z = `bonferroni_z` over all offsets of the grid (family-wise 10⁻⁴): the ±z·√(h(1 − h)/n) band, kept
valid where h is within a few 1/n of 0 or 1. The ε → 0 limit differs from SGD at ε by O(ε) for these light
tails (the drift changes by b·|X| ≤ b K ε before the stop), which is below the tolerance at the
defaults; no allowance is added for it.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import optimize, special, stats

import sgdlab
from sgdlab.chapters import _explorer as X
from sgdlab.chapters._kit import bonferroni_z
from sgdlab.chapters.sticking import experiments as ex
from sgdlab.chapters.sticking import theory as th

__all__ = ["BS", "LAWS", "OFFSETS", "N_RUNS", "n_streams", "grid", "walk_split", "exact_split",
           "build_explorer"]

BS = tuple(float(f"{v:.3g}") for v in np.geomspace(0.25, 4.0, 13))   # ratio 2^(1/3)
LAWS = ("laplace", "gaussian")
OFFSETS = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)
N_RUNS = 4000
K_R = 12.0
FAMILY_P = 1e-4
GRID_STEP = 0.02
SMALL = dict(bs=(0.5, 2.0), n_runs=1500)


def grid(P, small=False):
    if small:
        return SMALL["bs"], LAWS, SMALL["n_runs"]
    return BS, LAWS, N_RUNS


def n_streams(P, small=False):
    bs, laws, n = grid(P, small)
    return len(bs) * len(laws) * len(OFFSETS) * n


def _cdf(law, s):
    if law == "laplace":
        return lambda z: np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0) / s), 1 - 0.5 * np.exp(-np.maximum(z, 0) / s))
    if law == "gaussian":
        return lambda z: special.ndtr(z / s)
    raise ValueError(f"law: expected 'laplace' or 'gaussian', got {law!r}")


def _adjustment(d, law, s):
    """R > 0 with E e^{-R (d - xi)} = 1 (the wrong-side probability from y decays like e^{-R y})."""
    if law == "gaussian":
        return 2.0 * d / (s * s)
    return th.lundberg_root(d, s)


def walk_split(a, b, law, s, ys, step=GRID_STEP):
    """h(y) for the scaled walk W' = W + d(W) − ξ (d = +b for W > 0, −a for W < 0, 0 at W = 0), ξ with
    the CDF of `law` at scale s, absorbed at ±K (K = K_R / R, beyond which the walk does not come back
    with probability > e^−12): Nyström solve with h constant on cells of width `step` aligned with 0,
    then one exact step from each y in `ys`."""
    F = _cdf(law, s)
    K = K_R / min(_adjustment(a, law, s), _adjustment(b, law, s))
    n = int(math.ceil(K / step))
    e = np.arange(-n, n + 1) * step                 # cell edges, 0 is an edge
    mid = 0.5 * (e[:-1] + e[1:])

    def row(y):
        y = np.atleast_1d(np.asarray(y, float))
        d = np.where(y > 0, b, np.where(y < 0, -a, 0.0))
        c = (y + d)[:, None]
        Fe = F(c - e[None, :])                      # P(ξ ≤ c − e_j) = P(W' ≥ e_j)
        cells = Fe[:, :-1] - Fe[:, 1:]             # P(W' in cell j)
        return cells, Fe[:, -1]                     # ... and P(W' ≥ K)
    A, r = row(mid)
    h = np.linalg.solve(np.eye(len(mid)) - A, r)
    A_y, r_y = row(ys)
    return A_y @ h + r_y


def exact_split(a, b, law, s, ys):
    """The exact h(y) (ε → 0): closed form for Laplace, the walk's equation solved numerically for
    Gaussian noise; convention f′(M) := 0 at y = 0."""
    if law == "laplace":
        return np.asarray(th.laplace_split(np.asarray(ys, float), a, b, s, "zero"), float)
    return walk_split(a, b, law, s, ys)


def build_explorer(P, stream_offset, small=False):
    from bokeh.models import Legend, Range1d

    a, s, eps, seed = float(P["kink_a"]), float(P["noise_scale"]), float(P["eps"]), int(P["seed"])
    bs, laws, n = grid(P, small)
    npts = len(bs) * len(laws) * len(OFFSETS)
    z = bonferroni_z(npts, FAMILY_P)
    alpha = 2 * stats.norm.sf(z)
    ys = np.asarray(OFFSETS)
    yy = np.linspace(-3.0, 3.0, 121)
    yl, yr = yy[yy < 0], yy[yy > 0]

    xp = X.GridExplorer("explorer-sticking", [("b", bs, f"right slope b (left slope a = {a:g})"),
                                              ("law", list(range(len(laws))),
                                               "noise law (0 = Laplace, 1 = Gaussian)")])
    fig = xp.figure(x_label="start offset y = (X₀ − M)/ε", y_label="P(right-hand minimum first)",
                    height=340, width=680, x_range=Range1d(-3.2, 3.2), y_range=Range1d(-0.03, 1.03),
                    title=f"split at the sharp maximum, ε = {eps:g}, noise scale {s:g}, {n} runs per start")
    r_l = fig.line(x="y", y="h", source=xp.source("theory_left"), color=X.COLORS[1], line_dash="dashed",
                   line_width=2)
    fig.line(x="y", y="h", source=xp.source("theory_right"), color=X.COLORS[1], line_dash="dashed",
             line_width=2)
    r_0 = fig.scatter(x="y", y="h", source=xp.source("theory_zero"), marker="diamond", size=11,
                      color=X.COLORS[1])
    r_b = fig.segment(x0="y", x1="y", y0="lo", y1="hi", source=xp.source("band"), color=X.COLORS[1],
                      line_width=6, alpha=0.35)
    r_s = fig.scatter(x="y", y="p", source=xp.source("sim"), size=8, color=X.COLORS[0])
    fig.add_layout(Legend(items=[("SGD", [r_s]), ("exact h(y)", [r_l]), ("h(0), f′(M) := 0", [r_0]),
                                 ("accepted range", [r_b])]), "right")

    k = 0
    for i, b in enumerate(bs):
        for j, law in enumerate(laws):
            K = K_R / min(_adjustment(a, law, s), _adjustment(b, law, s))
            radius = min(0.5, K * eps)
            max_steps = int(200 * radius / (eps * min(a, b))) + 10_000
            p = np.zeros(len(ys))
            nd = np.zeros(len(ys), int)
            for q, y in enumerate(ys):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
                    res = sgdlab.simulate("kinked_two_well", landscape_params=dict(a=a, b=b, kink_grad=0.0),
                                          noise=ex.noise_law(law), noise_scale=s, lr=eps, steps=max_steps,
                                          w0=eps * float(y), n_runs=n,
                                          exit_region=sgdlab.Interval(-radius, radius), stop_at_exit=True,
                                          seed=seed, stream_offset=stream_offset + k * n)
                k += 1
                decided = (res.exit_step >= 0) & res.ok
                nd[q] = int(decided.sum())
                p[q] = float(np.mean(res.exit_state[decided] > 0)) if nd[q] else float("nan")
            allh = exact_split(a, b, law, s, np.concatenate([ys, yl, yr, [0.0]]))   # one solve
            h, hl, hr, h0 = np.split(allh, np.cumsum([len(ys), len(yl), len(yr)]))
            nn = np.maximum(nd, 1)
            lo = stats.binom.ppf(alpha / 2, nn, h) / nn
            hi = stats.binom.isf(alpha / 2, nn, h) / nn
            ok = bool(np.all((lo <= p) & (p <= hi))) and bool(np.all(nd == n))
            xp.add((i, j), "sim", y=ys, p=p)
            xp.add((i, j), "band", y=ys, lo=lo, hi=hi)
            xp.add((i, j), "theory_left", y=yl, h=hl)
            xp.add((i, j), "theory_right", y=yr, h=hr)
            xp.add((i, j), "theory_zero", y=[0.0], h=h0)
            se = np.sqrt(np.maximum(h * (1 - h), 1e-12) / nn)
            w = int(np.argmax(np.abs(p - h) / se))
            und = "" if np.all(nd == n) else f"; {int(n * len(ys) - nd.sum())} runs undecided"
            how = "closed form" if law == "laplace" else "walk equation solved"
            xp.verdict((i, j), ok,
                       f"P(right) at y = −2…2: {', '.join(f'{v:.3f}' for v in p)}; exact h ({how}): "
                       f"{', '.join(f'{v:.3f}' for v in h)}; worst y = {ys[w]:g}: {p[w]:.3f}, accepted "
                       f"{lo[w]:.3f}–{hi[w]:.3f} (binomial, z = {z:.2f}){und} {'✓' if ok else '✗'}")
    i0 = int(np.argmin(np.abs(np.log(np.asarray(bs) / float(P["kink_b"])))))
    j0 = laws.index(P["noise"]) if P.get("noise") in laws else 0
    xp.set_start((i0, j0))
    return xp
