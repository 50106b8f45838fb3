"""Kernel-free explorer of the escape-rate chapter (issue 21): a slider over a < 0 → the escape rate
γ(λ) simulated (Eq. 9 estimator, core runs) against the exact μ(λ), with λ* and γ* (Prop. 3) marked
and GD's rate for contrast; below, γ* against |a| (it → 0 as a → 0⁻) with the simulated best rates.

Per a: the λ grid LRS plus λ* itself, RUNS runs of STEPS steps from w₀ = 1 per λ, each (a, λ) on its
own block of the core's streams. The Eq. 9 estimate (1/t) ln|w_t/w_0| is a mean of t i.i.d. terms
ln|1 − λx|, so its expectation is μ(λ) at every t and its standard error is exactly
sd(ln|1 − λx|)/√(runs·t) (`theory.estimator_se`). Verdict per a: every λ within z·SE of μ(λ), z from
`bonferroni_z` over all (a, λ) of the grid (family-wise 1e-4), and the simulated maximum and its λ
inside the intervals that event implies (`theory.argmax_tolerances`, no extra error probability).
"""
from __future__ import annotations

import warnings

import numpy as np

import sgdlab
from sgdlab.chapters._explorer import COLORS, GridExplorer
from sgdlab.chapters._kit import bonferroni_z, fmt

from . import theory as th

__all__ = ["A_VALUES", "LRS", "RUNS", "n_streams", "build_explorer"]

A_VALUES = np.round(-4.0 * 2.0 ** (-np.arange(16) / 2.0), 6)[::-1]    # −0.022 … −4 (×√2 steps), has −1
A_VALUES = np.sort(A_VALUES)                                          # slider left to right: −4 → −0.022
LRS = np.round(np.arange(1, 40) * 0.025, 4)                          # 0.025 … 0.975
RUNS = 2000
FAMILY_P = 1e-4
FLOOR = 1e-5     # bottom of the log axis of γ*: a bar reaching it includes 0


def _grid(small):
    if small:
        return A_VALUES[[0, 4, 8, 15]], LRS[::4], 200
    return A_VALUES, LRS, RUNS


def _lrs_for(a, lrs):
    """The λ grid with λ* of this a inserted (so the curve is sampled at its maximum)."""
    star = float(th.optimal_lr(a))
    return np.unique(np.round(np.r_[lrs, star], 6))


def n_streams(P, small=False):
    A, L, runs = _grid(small)
    return len(A) * (len(L) + 1) * runs


def build_explorer(P, stream_offset, small=False):
    """The explorer over a (`small=True`: 4 values of a, 10 λ, 200 runs, for tests)."""
    A, L, runs = _grid(small)
    seed = int(P["seed"])
    steps = int(P.get("steps", 50))
    n_tests = len(A) * (len(L) + 1)
    z = bonferroni_z(n_tests, FAMILY_P)
    ex = GridExplorer("explorer-saddle-escape", [("a", A, "a")])
    ex.set_start(int(np.argmin(np.abs(A - float(P.get("a", -1.0))))))

    from bokeh.models import ColumnDataSource, Legend, Range1d

    f1 = ex.figure(x_label="learning rate λ", y_label="escape rate γ per step",
                   title=f"γ(λ): {runs} runs × {steps} steps per λ from w₀ = 1 (bars ± {fmt(z, 3)} SE)",
                   height=340)
    r_sim = f1.scatter(x="lr", y="g", source=ex.source("sim"), color=COLORS[0], size=5)
    r_bar = f1.segment(x0="lr", y0="lo", x1="lr", y1="hi", source=ex.source("sim"), color=COLORS[0])
    r_th = f1.line(x="lr", y="mu", source=ex.source("theory"), color=COLORS[1], line_dash="dashed",
                   line_width=2)
    r_gd = f1.line(x="lr", y="gd", source=ex.source("theory"), color=COLORS[2], line_dash="dotdash",
                   line_width=1.5)
    r_ls = f1.segment(x0="x", y0="y0", x1="x", y1="y1", source=ex.source("star"), color=COLORS[3],
                      line_dash="dotted", line_width=1.5)
    r_gs = f1.scatter(x="x", y="y1", source=ex.source("star"), marker="star", size=16,
                      fill_color=COLORS[4], line_color="black")
    f1.add_layout(Legend(items=[("simulation (Eq. 9)", [r_sim, r_bar]), ("exact μ(λ)", [r_th]),
                                ("GD: ln|1 − λa/2|", [r_gd]), ("λ* (Prop. 3)", [r_ls]),
                                ("(λ*, γ*)", [r_gs])],
                         label_text_font_size="12px"), "right")

    f2 = ex.figure(x_label="|a|   (log scale)", y_label="best escape rate", x_axis_type="log",
                   y_axis_type="log", title="γ* = ln((2 − a)/(2√(1 − a))) → 0 as a → 0⁻ (Prop. 3)",
                   height=300, y_range=Range1d(FLOOR, 1.0))
    aa = -np.geomspace(abs(A).min() * 0.8, abs(A).max() * 1.2, 150)
    curve = ColumnDataSource(dict(x=np.round(-aa, 5).tolist(),
                                  y=[float(f"{v:.5g}") for v in th.optimal_rate(aa)]))
    r_c = f2.line(x="x", y="y", source=curve, color=COLORS[1], line_dash="dashed", line_width=2)

    best_x, best_g, best_lo, best_hi = [], [], [], []
    for i, a in enumerate(A):
        a = float(a)
        lrs = _lrs_for(a, L)
        mu = th.mu(a, lrs)
        se = th.estimator_se(a, lrs, runs, steps)
        g = np.empty(len(lrs))
        for j, lr in enumerate(lrs):
            off = stream_offset + (i * (len(L) + 1) + j) * runs
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
                res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=float(lr), steps=steps,
                                      w0=1.0, n_runs=runs, log_growth=True, max_abs=1e300, seed=seed,
                                      stream_offset=off, n_threads=1)
            g[j] = float(np.mean(res.escape_rate()))   # no run can diverge: |ln w| <= 50 ln 5.9
        zs = np.abs(g - mu) / se
        n_ok = int(np.sum(zs <= z))
        tol = th.argmax_tolerances(lrs, mu, se, z, th.optimal_lr(a), th.optimal_rate(a))
        k = int(np.argmax(g))
        ok_lr = tol["lr_lo"] <= lrs[k] <= tol["lr_hi"]
        ok_g = tol["gamma_lo"] <= g[k] <= tol["gamma_hi"]
        ok = n_ok == len(lrs) and ok_lr and ok_g
        star_lr, star_g = float(th.optimal_lr(a)), float(th.optimal_rate(a))
        ex.add(i, "sim", lr=lrs, g=g, lo=g - z * se, hi=g + z * se)
        lt = np.linspace(0.005, 0.985, 150)
        ex.add(i, "theory", lr=lt, mu=th.mu(a, lt), gd=th.gd_rate(a, lt))
        ex.add(i, "star", x=[star_lr], y0=[float(np.min(th.mu(a, lt)))], y1=[star_g])
        ex.add(i, "here", x=[abs(a)], y=[max(float(g[k]), FLOOR)])
        best_x.append(abs(a))
        best_g.append(float(g[k]))
        best_lo.append(max(float(g[k] - z * se[k]), FLOOR))
        best_hi.append(float(g[k] + z * se[k]))
        ex.verdict(i, ok,
                   f"a = {fmt(a, 3)}: γ̂(λ) within {fmt(z, 3)}·SE of μ(λ) at {n_ok} of {len(lrs)} λ "
                   f"(largest |γ̂ − μ|/SE = {fmt(float(zs.max()), 3)}) {'✓' if n_ok == len(lrs) else '✗'} · "
                   f"best simulated λ = {fmt(float(lrs[k]), 3)} (allowed {fmt(tol['lr_lo'], 3)}–"
                   f"{fmt(tol['lr_hi'], 3)}; λ* = {fmt(star_lr, 3)}) {'✓' if ok_lr else '✗'}, "
                   f"γ̂ = {fmt(float(g[k]), 3)} (allowed {fmt(tol['gamma_lo'], 3)}–{fmt(tol['gamma_hi'], 3)}; "
                   f"γ* = {fmt(star_g, 3)}) {'✓' if ok_g else '✗'}")

    best = ColumnDataSource(dict(x=[float(f"{v:.5g}") for v in best_x],
                                 y=[float(f"{v:.5g}") for v in np.maximum(best_g, FLOOR)],
                                 lo=[float(f"{v:.5g}") for v in best_lo],
                                 hi=[float(f"{v:.5g}") for v in best_hi]))
    r_b = f2.scatter(x="x", y="y", source=best, color=COLORS[0], size=6)
    f2.segment(x0="x", y0="lo", x1="x", y1="hi", source=best, color=COLORS[0])
    r_h = f2.scatter(x="x", y="y", source=ex.source("here"), marker="star", size=18,
                     fill_color=COLORS[4], line_color="black")
    f2.add_layout(Legend(items=[("γ* (Prop. 3)", [r_c]), ("simulated max over λ", [r_b]),
                                ("this a", [r_h])], label_text_font_size="12px"), "right")
    ex.meta = dict(z=z, runs=runs, steps=steps, n_tests=n_tests)
    return ex
