"""Kernel-free explorer of the two-layer-network chapter: batch size S × learning rate λ → where runs
started next to the saddle end, and the fraction captured at the origin against the linear theory.

At every grid point (S, λ) the core runs `N_RUNS` networks from the same starts u₀, w₀ ~ U[−10⁻³, 10⁻³]
for `STEPS` steps (batch S, a = P["a"]). The page shows the final (u, w) with the minima u w = E[c], and
P(origin) along the λ row of the chosen S, simulated against the linear theory's band.

Theory of the verdict. Near the origin h = u + w and m = u − w are multiplied by 1 + λ c̄ and 1 − λ c̄
(c̄ the batch mean, exact law `theory.batch_mean_law`), so ln|h_T| = ln|h₀| + (a sum of T i.i.d. terms),
and likewise for m, with the same draws. "At the origin" means |h_T|, |m_T| < 10⁻⁶. Each marginal
P(ln|h_T| < ln 10⁻⁶) is Φ(·) of the exact mean and variance of the sum within the Berry–Esseen bound
0.4748 ρ / (σ³ √T) (Shevtsova 2011, i.i.d. terms); the joint probability lies between
P_h + P_m − 1 and min(P_h, P_m) (Fréchet). Averaged over the runs' starts this gives a band [lo, hi] for
the expected fraction. The captured count is a sum of independent Bernoulli variables, whose tails are
no heavier than the binomial's with the same mean (Hoeffding 1956), so the verdict accepts counts in the
binomial interval [q_{α/2}(n, lo), q_{1−α/2}(n, hi)], α = 2 Φ̄(z) with z = `bonferroni_z` over the grid
(family-wise 10⁻⁴). The linear theory ignores the u w term of the update; starting 10⁻³ from the saddle
keeps it below 10⁻⁶ of the factor until a run has nearly escaped.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sgdlab.chapters import _explorer as X
from sgdlab.chapters._kit import bonferroni_z
from sgdlab.chapters.two_layer import experiments as ex
from sgdlab.chapters.two_layer import theory as th

__all__ = ["BATCHES", "LRS", "N_RUNS", "STEPS", "SCALE", "TAU", "n_streams", "grid", "linear_band",
           "build_explorer"]

BATCHES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16)
LRS = tuple(np.round(np.arange(0.1, 0.801, 0.05), 4))
N_RUNS = 200
STEPS = 1000
SCALE = 1e-3          # starts U[-SCALE, SCALE]^2
TAU = 1e-6            # "at the origin": |h_T|, |m_T| < TAU
BE_C = 0.4748         # Berry–Esseen constant for i.i.d. sums (Shevtsova 2011)
FAMILY_P = 1e-4
SMALL = dict(batches=(1, 3, 8), lrs=(0.2, 0.5, 0.8), n_runs=60, steps=400)


def _lrs(a, lrs):
    """The λ grid, each value nudged up (by 0.01 steps) off any λ where a factor 1 ± λ c̄ is within
    0.02 of 0 for some batch size (an exponent −∞: the normal approximation does not apply)."""
    out = []
    for lr in lrs:
        lr = float(lr)
        for _ in range(20):
            bad = any(np.min(np.abs(1 + sg * lr * th.batch_mean_law(a, S)[0])) < 0.02
                      for S in BATCHES for sg in (1.0, -1.0))
            if not bad:
                break
            lr = round(lr + 0.01, 4)
        out.append(lr)
    return out


def grid(P, small=False):
    """(batches, lrs, n_runs, steps) of the explorer at parameters P."""
    if small:
        return SMALL["batches"], _lrs(P["a"], SMALL["lrs"]), SMALL["n_runs"], SMALL["steps"]
    return BATCHES, _lrs(P["a"], LRS), N_RUNS, STEPS


def n_streams(P, small=False):
    """Streams used: one sub-block of n_runs streams per grid point."""
    batches, lrs, n, _ = grid(P, small)
    return len(batches) * len(lrs) * n


def _walk(values, probs, sign, lr):
    """Mean, SD and Berry–Esseen ratio ρ/σ³ of one step's ln|1 + sign λ c̄|."""
    x = np.log(np.abs(1.0 + sign * lr * values))
    mu = float(np.sum(probs * x))
    var = float(np.sum(probs * (x - mu) ** 2))
    rho = float(np.sum(probs * np.abs(x - mu) ** 3))
    return mu, math.sqrt(var), rho / var ** 1.5


def linear_band(a, lr, batch, T, h0, m0, tau=TAU):
    """[lo, hi] for the expected fraction of runs with |h_T|, |m_T| < tau under the linearised
    dynamics, runs starting at (h0[r], m0[r]) (see the module docstring)."""
    values, probs = th.batch_mean_law(a, batch)
    lo = np.zeros(len(h0))
    hi = np.ones(len(h0))
    marg = []
    for sign, x0 in ((1.0, np.abs(h0)), (-1.0, np.abs(m0))):
        mu, sd, ratio = _walk(values, probs, sign, lr)
        with np.errstate(divide="ignore"):
            gap = np.log(tau) - np.log(x0)          # the sum must end below this
        p = stats.norm.cdf((gap - T * mu) / (sd * math.sqrt(T)))
        be = BE_C * ratio / math.sqrt(T)
        marg.append((np.clip(p - be, 0, 1), np.clip(p + be, 0, 1)))
    (hl, hh), (ml, mh) = marg
    lo = np.clip(hl + ml - 1.0, 0, 1)
    hi = np.minimum(hh, mh)
    return float(np.mean(lo)), float(np.mean(hi))


def build_explorer(P, stream_offset, small=False):
    a, seed = float(P["a"]), int(P["seed"])
    batches, lrs, n, T = grid(P, small)
    c = th.mean_c(a)
    xp = X.GridExplorer("explorer-two-layer",
                        [("batch", batches, "batch size S"), ("lr", lrs, "learning rate λ")])
    npts = len(batches) * len(lrs)
    z = bonferroni_z(npts, FAMILY_P)
    alpha = 2 * stats.norm.sf(z)

    w0 = ex.initial_points(n, seed, "generic", SCALE)
    h0, m0 = w0[:, 0] + w0[:, 1], w0[:, 0] - w0[:, 1]
    frac = np.zeros((len(batches), len(lrs)))
    band = np.zeros((len(batches), len(lrs), 2))
    accept = np.zeros((len(batches), len(lrs), 2))
    finals = {}
    k = 0
    for i, S in enumerate(batches):
        for j, lr in enumerate(lrs):
            res = ex.run(a, lr, w0=w0, steps=T, batch=int(S), seed=seed,
                         stream_offset=stream_offset + k * n)
            k += 1
            f = res.final
            with np.errstate(invalid="ignore"):
                cap = (np.abs(f[:, 0] + f[:, 1]) < TAU) & (np.abs(f[:, 0] - f[:, 1]) < TAU)
            frac[i, j] = cap.mean()
            lo, hi = linear_band(a, lr, int(S), T, h0, m0)
            band[i, j] = lo, hi
            accept[i, j] = (stats.binom.ppf(alpha / 2, n, lo) / n, stats.binom.isf(alpha / 2, n, hi) / n)
            finals[i, j] = (f, int(res.n_diverged))

    # static overlay: the minima u w = E[c], both branches, inside the plotted square
    lim = 1.0
    t = np.geomspace(c / lim, lim, 90)
    from bokeh.models import ColumnDataSource, Legend, Range1d
    hyp = [ColumnDataSource(data=dict(x=X._round(sg * t), y=X._round(sg * c / t)),
                            name=f"explorer-two-layer-hyperbola{k}") for k, sg in enumerate((1.0, -1.0))]

    f1 = xp.figure(x_label="u (second layer)", y_label="w (first layer)", height=420, width=640,
                   x_range=Range1d(-lim, lim), y_range=Range1d(-lim, lim),
                   title=f"final (u, w) of {n} runs after T = {T} steps (a = {a:g})")
    r_sim = f1.scatter(x="u", y="w", source=xp.source("final"), size=5, color=X.COLORS[0], alpha=0.5)
    r_hyp = [f1.line(x="x", y="y", source=src, color=X.COLORS[1], line_dash="dashed", line_width=2)
             for src in hyp]
    f1.add_layout(Legend(items=[("runs from |u₀|, |w₀| ≤ 10⁻³", [r_sim]),
                                (f"minima u·w = E[c] = {c:g}", r_hyp)]), "right")
    f2 = xp.figure(x_label="learning rate λ", y_label="P(origin at T)", height=300, width=640,
                   y_range=Range1d(-0.03, 1.03),
                   title="fraction at the origin along λ, at the chosen S")
    r_lo = f2.line(x="lr", y="lo", source=xp.source("row"), color=X.COLORS[1], line_dash="dashed", line_width=2)
    f2.line(x="lr", y="hi", source=xp.source("row"), color=X.COLORS[1], line_dash="dashed", line_width=2)
    r_pt = f2.scatter(x="lr", y="sim", source=xp.source("row"), size=7, color=X.COLORS[0])
    r_cur = f2.scatter(x="lr", y="sim", source=xp.source("here"), size=15, color=None,
                       line_color="#000000", line_width=2)
    f2.add_layout(Legend(items=[("simulation", [r_pt]), ("linear theory (band)", [r_lo]),
                                ("chosen λ", [r_cur])]), "right")

    for i, S in enumerate(batches):
        for j, lr in enumerate(lrs):
            f, n_div = finals[i, j]
            keep = np.isfinite(f).all(axis=1)
            xp.add((i, j), "final", u=np.round(f[keep, 0], 4), w=np.round(f[keep, 1], 4))
            xp.add((i, j), "row", lr=lrs, sim=frac[i], lo=band[i, :, 0], hi=band[i, :, 1])
            xp.add((i, j), "here", lr=[lr], sim=[frac[i, j]])
            lo_a, hi_a = accept[i, j]
            ok = lo_a <= frac[i, j] <= hi_a
            lh, lm = float(th.lyap_h(a, lr, int(S))), float(th.lyap_m(a, lr, int(S)))
            div = f", {n_div} diverged" if n_div else ""
            xp.verdict((i, j), ok,
                       f"P(origin) = {frac[i, j]:.3f}{div}; linear theory {band[i, j, 0]:.3f}–{band[i, j, 1]:.3f} "
                       f"(Λ_h = {lh:+.4f}, Λ_m = {lm:+.4f}), accepted {lo_a:.3f}–{hi_a:.3f} "
                       f"{'✓' if ok else '✗'}")
    i0 = batches.index(int(P["batch"])) if int(P["batch"]) in batches else 0
    j0 = int(np.argmin(np.abs(np.asarray(lrs) - float(P["lr"]))))
    xp.set_start((i0, j0))
    return xp
