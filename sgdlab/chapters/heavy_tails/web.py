"""Kernel-free explorer of the heavy-tails chapter: tail index α × truncation b → the fraction of time
spent in each attraction field Ω1..Ω4 of P1's 1-D function, against the Markov-chain prediction.

Grid: α ∈ `ALPHAS` (a small selector) and b ∈ `BS`, every b with an irreducible typical transition
graph G_b and l* ≤ 2 (b ∈ (0.45, 0.60): the sharp fields Ω1, Ω3 need one jump, the wide Ω2, Ω4 two;
b ≥ 0.9: every field is left with one jump; between, G_b is reducible; b = 3.2 = 2L is no truncation at all). At each point the
core runs `N_PATHS` paths (Pareto noise of scale 0.1, projection on [−1.6, 1.6], four paths started
at each minimum) for `N_UNITS` units of the slowest time scale 1/λ*(η), after a burn-in of
`BURN_UNITS` units, and counts the steps in each field (`occupancy_edges` at the saddles), at the chapter's step size
η = P["eta"]. α stops at 1.2 because 1/λ*(η) = η (0.1/η)^(−2α) steps grows like 1000^(2α) at η = 0.01
(1.6·10⁵ steps at α = 1.2); a larger η is no way out: η f″(m1) = 163 η must stay below 2, or the
sharp minimum m1 stops holding the iterates for a reason (instability) the theory does not model.

Theory. The CTMC of P1 Thm 5 / LD Thm 2.9 on the widest minima V* (`theory.predicted_occupancy`) is the
η → 0 limit; at finite η the sharp fields still hold a time ∝ λ*(η)/λ_i(η) ∝ η^(α−1). The verdict
compares the simulation with the same chain before the limit is taken: the typical transitions
q_{i,j} (`theory.q_matrix`) with each field's own time scale λ_i(η) = η λ(η)^{l*_i}
(`theory.time_scale`), i.e. the generator diag(λ_i(η)) q; its stationary law tends to the CTMC's as
η → 0. Both are drawn. Tolerance: |simulated − predicted| ≤ t·SE per field, SE over the independent
paths, t with N_PATHS − 1 degrees of freedom at α = 2Φ̄(z), z = `bonferroni_z` over 4 fields × the
grid (family-wise 10⁻⁴). The pre-asymptotic error of the rates themselves (the chapter measures exit
times at 0.66–0.95 of 1/(q λ) for b = 0.5) is not allowed for: where it matters the verdict says ✗.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

import sgdlab
from sgdlab.chapters import _explorer as X
from sgdlab.chapters._kit import bonferroni_z
from sgdlab.chapters.heavy_tails import experiments as ex
from sgdlab.chapters.heavy_tails import theory as th

__all__ = ["ALPHAS", "BS", "N_PATHS", "N_UNITS", "n_streams", "grid",
           "finite_eta_occupancy", "build_explorer"]

ALPHAS = (1.05, 1.1, 1.15, 1.2)
BS = (0.47, 0.5, 0.53, 0.95, 1.0, 1.2, 1.4, 1.6, 2.4, 3.2)
# (kept ≥ 5 % away from the b where a jump count changes, r/b or a saddle distance/b an integer: at
# b = 0.59, r2/b = 1.02, the two-jump constant q_21 is far from its finite-η value and the chain misses)
N_PATHS = 16
N_UNITS = 6            # horizon in units of 1/lambda*(eta) (after BURN_UNITS of burn-in) ...
BURN_UNITS = 2         # the start (four paths at each minimum) is forgotten at rate ~1.2 per unit
MIN_STEPS = 150_000    # ... but at least this many steps per path
SCALE = 0.1
FAMILY_P = 1e-4
SMALL = dict(alphas=(1.1, 1.2), bs=(0.5, 1.0, 3.2), n_units=3, min_steps=60_000)


def grid(P, small=False):
    if small:
        return SMALL["alphas"], SMALL["bs"], SMALL["n_units"], SMALL["min_steps"]
    return ALPHAS, BS, N_UNITS, MIN_STEPS


def n_streams(P, small=False):
    alphas, bs, _, _ = grid(P, small)
    return len(alphas) * len(bs) * N_PATHS


def _unit(eta, lmax, alpha):
    """1/lambda*(eta) in steps."""
    return 1.0 / float(th.time_scale(eta, lmax, alpha, SCALE))


def finite_eta_occupancy(b, alpha, eta, cp):
    """Stationary law of the chain of typical transitions with each field's own rate scale:
    generator diag(lambda_i(eta)) q (per step)."""
    m, s = cp["m"], cp["s"]
    ls, _ = th.jump_counts(m, s, b)
    q = th.q_matrix(m, s, b, alpha)
    lam = np.array([float(th.time_scale(eta, l, alpha, SCALE)) for l in ls])
    return th.stationary((lam / lam.max())[:, None] * q)   # rescaled: same law, better conditioned


def build_explorer(P, stream_offset, small=False):
    from bokeh.models import FactorRange, Legend, Range1d, Whisker  # noqa: F401

    alphas, bs, n_units, min_steps = grid(P, small)
    seed = int(P["seed"])
    cp = ex.critical_points()
    m, s = cp["m"], cp["s"]
    npts = len(alphas) * len(bs)
    z = bonferroni_z(4 * npts, FAMILY_P)
    tq = float(stats.t.isf(stats.norm.sf(z), N_PATHS - 1))
    w0 = np.array([m[k % 4] for k in range(N_PATHS)])

    xp = X.GridExplorer("explorer-heavy-tails", [("alpha", alphas, "tail index α"),
                                                  ("b", bs, "truncation b (3.2 = 2L: none)")])
    fig = xp.figure(x_label="attraction field (minima: " + ", ".join(f"m{k + 1} = {m[k]:.2f}" for k in range(4)) + ")", y_label="fraction of steps", height=330,
                    width=680, x_range=Range1d(-0.6, 3.6), y_range=Range1d(0, 1.0),
                    title="time spent in each field: simulation (± tolerance) vs the Markov chain")
    fig.xaxis.ticker = [0, 1, 2, 3]
    kinds = ["sharp", "wide", "sharp", "wide"]
    fig.xaxis.major_label_overrides = {k: f"Ω{k + 1} ({kinds[k]})" for k in range(4)}
    src = xp.source("occ")
    r_sim = fig.vbar(x="i", top="sim", width=0.5, source=src, color=X.COLORS[0], alpha=0.8)
    fig.add_layout(Whisker(base="i", lower="lo", upper="hi", source=src, line_color="#000000"))
    r_fin = fig.scatter(x="i", y="fin", source=src, marker="dash", size=44, color=X.COLORS[1], line_width=3)
    r_lim = fig.scatter(x="i", y="lim", source=src, marker="circle", size=9, color=None,
                        line_color=X.COLORS[2], line_width=2)
    fig.add_layout(Legend(items=[("simulation", [r_sim]), ("Markov chain at this η", [r_fin]),
                                 ("CTMC limit η → 0", [r_lim])]), "right")

    k = 0
    for i, alpha in enumerate(alphas):
        for j, b in enumerate(bs):
            ls, _ = th.jump_counts(m, s, b)
            lmax = int(max(ls))
            eta = float(P["eta"])
            unit = _unit(eta, lmax, alpha)
            burn = int(math.ceil(BURN_UNITS * unit))
            steps = burn + max(int(min_steps), int(math.ceil(n_units * unit)))
            bb = None if b >= 2 * th.L_PROJ else b
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
                res = sgdlab.simulate("four_well", noise=ex._noise("pareto", alpha), noise_scale=SCALE, lr=eta,
                                      clip=bb, project=ex.PROJECT, w0=w0, steps=steps, burn_in=burn,
                                      occupancy_edges=s, seed=seed,
                                      stream_offset=stream_offset + k * N_PATHS)
            k += 1
            occ = np.asarray(res.occupancy, float)
            fr = occ / occ.sum(axis=1, keepdims=True)
            sim = fr.mean(axis=0)
            se = fr.std(axis=0, ddof=1) / math.sqrt(N_PATHS)
            fin = finite_eta_occupancy(b if bb is not None else math.inf, alpha, eta, cp)
            lim = th.predicted_occupancy(b if bb is not None else None, alpha, 0.3, cp)
            tol = tq * se
            ok = bool(np.all(np.abs(sim - fin) <= tol)) and res.n_diverged == 0
            xp.add((i, j), "occ", i=np.arange(4), sim=sim, lo=sim - tol, hi=sim + tol, fin=fin, lim=lim)
            worst = int(np.argmax(np.abs(sim - fin) / np.maximum(tol, 1e-12)))
            xp.verdict((i, j), ok,
                       f"time in Ω1..Ω4 = {', '.join(f'{v:.3f}' for v in sim)}; chain at η = {eta:g}: "
                       f"{', '.join(f'{v:.3f}' for v in fin)} (l* = {', '.join(map(str, ls))}; "
                       f"{N_PATHS} paths × {steps:.2g} steps = {BURN_UNITS} + {n_units} units of 1/λ*); worst Ω{worst + 1}: "
                       f"|Δ| = {abs(sim[worst] - fin[worst]):.3f} vs {tol[worst]:.3f} (t·SE, t = {tq:.1f}) "
                       f"{'✓' if ok else '✗'}")
    i0 = int(np.argmin(np.abs(np.asarray(alphas) - float(P["alpha"]))))
    b0 = P.get("b")
    b0 = 2 * th.L_PROJ if b0 is None else float(b0)
    xp.set_start((i0, int(np.argmin(np.abs(np.asarray(bs) - b0)))))
    return xp
