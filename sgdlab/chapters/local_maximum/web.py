"""Kernel-free explorer of the local-maximum chapter (issue 21): sliders a × λ over runs precomputed
by the core, the histogram of log₁₀|w_T| against the exact binomial-mixture law, and where (a, λ)
sits on the (a, λ) plane relative to Eq. 8's interval (μ < 0).

Per grid point: RUNS runs of the quadratic model from w₀ ~ U[−1, 1] for STEPS steps, each point on
its own block of the core's streams. The exact law of w_T is the mixture Σ_k P(K = k) U[−m_k, m_k],
K ~ Bin(T, ½) (`theory.log_scales`), so P(|w_T| ≤ y) = Σ_k P(K = k) min(1, y / m_k) exactly.
Verdict per point: (1) P(|w_T| < ε) against that exact value, acceptance interval = the binomial
law's central interval at the Bonferroni level (family-wise 1e-4 over the grid; for large n p(1-p)
this is ± z·SE); (2) a χ² goodness-of-fit test of the whole histogram (bins merged until every
expected count is ≥ 10) at the same level. λ = 1 is left out of the grid: there every run is exactly
0 after the first draw x = 1 (Prop. 1), and 0 has no place on a log axis.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

import sgdlab
from sgdlab.tasks import initial_points
from sgdlab.chapters._explorer import COLORS, GridExplorer
from sgdlab.chapters._kit import fmt

from . import theory as th

__all__ = ["A_VALUES", "LRS", "RUNS", "STEPS", "n_streams", "build_explorer", "exact_cdf_abs"]

A_VALUES = np.round(np.linspace(-3.0, -0.25, 12), 4)                     # 12 values, step 0.25
LRS = np.round(np.r_[np.arange(1, 10) / 10, np.arange(11, 21) / 10], 4)  # 0.1..2.0 without 1.0
RUNS = 1000
STEPS = 100           # |ln|w_T|| <= 100 ln 9 < 230 on the whole grid: inside the double range
N_BINS = 40
FAMILY_P = 1e-4
MIN_EXPECTED = 10.0


def _grid(small):
    if small:
        return A_VALUES[[0, 4, 8, 11]], LRS[[2, 7, 9, 14]], 300
    return A_VALUES, LRS, RUNS


def n_streams(P, small=False):
    """Streams used: one block of `runs` per grid point."""
    A, L, runs = _grid(small)
    return len(A) * len(L) * runs


def exact_cdf_abs(y, a, lr, t, w0_max=1.0):
    """P(|w_t| <= y) for w_0 ~ U[-w0_max, w0_max], exact (binomial mixture of uniforms), for an array
    y > 0 (vectorised over y; log space so that m_k = 9^100 does not overflow)."""
    logm, p = th.log_scales(a, lr, t)
    logM = logm + math.log(w0_max)
    ly = np.log(np.asarray(y, float))[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.exp(np.minimum(ly - logM[None, :], 0.0))
    return r @ p


def _merge_bins(obs, exp, min_expected=MIN_EXPECTED):
    """Adjacent bins merged left to right until each expected count is >= min_expected (the last
    group is merged into the previous one if short)."""
    go, ge, co, ce = [], [], 0.0, 0.0
    for o, e in zip(obs, exp):
        co += o
        ce += e
        if ce >= min_expected:
            go.append(co)
            ge.append(ce)
            co = ce = 0.0
    if ce > 0 or co > 0:
        if ge:
            go[-1] += co
            ge[-1] += ce
        else:
            go.append(co)
            ge.append(ce)
    return np.array(go), np.array(ge)


def _phase_text(a, lr, mu):
    lo, hi = (float(v) for v in th.absorbing_interval(a))
    where = ("inside" if lo < lr < hi else "outside")
    fate = "w → 0" if mu < 0 else "|w| grows"
    return f"μ = {fmt(mu, 3)} ({where} Eq. 8: {fmt(lo, 3)} < λ < {fmt(hi, 4)}; {fate})"


def build_explorer(P, stream_offset, small=False):
    """The explorer on the a × λ grid (`small=True`: a 4 × 4 grid with 300 runs, for tests)."""
    A, L, runs = _grid(small)
    seed, eps = int(P["seed"]), float(P.get("eps", 1e-3))
    n_points = len(A) * len(L)
    z_level = FAMILY_P / n_points            # per-point two-sided level (Bonferroni)
    ex = GridExplorer("explorer-local-maximum", [("a", A, "a"), ("lr", L, "λ")])
    i0 = int(np.argmin(np.abs(A - float(P.get("a", -1.0)))))
    j0 = int(np.argmin(np.abs(L - float(P.get("lr", 0.8)))))
    ex.set_start((i0, j0))

    from bokeh.models import ColumnDataSource, Legend, LinearColorMapper, ColorBar

    f1 = ex.figure(x_label=f"log₁₀|w| after T = {STEPS} steps", y_label="number of runs",
                   title=f"{runs} runs from w₀ ~ U[−1, 1]: histogram and the exact law (binomial mixture)",
                   height=300)
    hist = ex.source("hist")
    r_sim = f1.vbar(x="x", top="n", width="w", source=hist, color=COLORS[0], alpha=0.55, line_color=COLORS[0])
    r_th = f1.step(x="x", y="e", source=hist, mode="center", color=COLORS[1], line_dash="dashed",
                   line_width=2)
    r_eps = f1.line(x="ex", y="ey", source=ex.source("eps"), color="#555555", line_dash="dotted")
    f1.x_range.renderers = [r_sim, r_th]   # the ε marker does not stretch the axis
    f1.y_range.renderers = [r_sim, r_th]
    f1.add_layout(Legend(items=[("simulation", [r_sim]), ("exact law", [r_th]),
                                (f"|w| = ε = {fmt(eps)}", [r_eps])],
                         location="top_left", label_text_font_size="12px"), "right")

    f2 = ex.figure(x_label="a   (x ∈ {1, a − 1}, E x = a/2)", y_label="learning rate λ",
                   title="simulated P(|w_T| < ε) at every grid point (λ = 1 left out) and Eq. 8's interval",
                   height=300)
    aa = np.linspace(A[0] - 0.1, A[-1] + 0.1, 120)
    lo, hi = th.absorbing_interval(aa)
    band = ColumnDataSource(dict(a=np.round(aa, 4), lo=np.round(lo, 4), hi=np.round(hi, 4)))

    absorbed = np.zeros((len(A), len(L)))
    for i, a in enumerate(A):
        for j, lr in enumerate(L):
            k = i * len(L) + j
            off = stream_offset + k * runs
            w0 = initial_points(seed, off, runs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
                res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(float(a)), lr=float(lr),
                                      steps=STEPS, w0=w0, seed=seed, stream_offset=off, max_abs=1e300,
                                      n_threads=1)
            fin = np.abs(res.final)
            ok = res.ok & (fin > 0)
            lw = np.log10(fin[ok])
            # bins: from the exact law's 0.1% to 99.99% quantile of log10|w_T|
            logm, p = th.log_scales(float(a), float(lr), STEPS)
            top = float(np.max(logm[p > 1e-12])) / math.log(10)
            grid = np.linspace(float(np.min(logm[p > 1e-12])) / math.log(10) - 6, top, 400)
            F = exact_cdf_abs(10.0 ** grid, float(a), float(lr), STEPS)
            x_lo = float(np.interp(1e-3, F, grid))
            x_hi = float(np.interp(0.9999, F, grid)) if F[-1] > 0.9999 else top
            edges = np.linspace(math.floor(x_lo * 2) / 2, math.ceil(x_hi * 2) / 2, N_BINS + 1)
            Fe = exact_cdf_abs(10.0 ** edges, float(a), float(lr), STEPS)
            exp_in = runs * np.diff(Fe)
            obs_in = np.histogram(lw, bins=edges)[0].astype(float)
            obs_all = np.r_[np.sum(lw < edges[0]) + np.sum(~ok), obs_in, np.sum(lw >= edges[-1])]
            exp_all = np.r_[runs * Fe[0], exp_in, runs * (1 - Fe[-1])]
            go, ge = _merge_bins(obs_all, exp_all)
            chi2 = float(np.sum((go - ge) ** 2 / ge))
            dof = max(len(go) - 1, 1)
            p_chi = float(stats.chi2.sf(chi2, dof))
            ok_chi = p_chi >= z_level
            # P(|w_T| < eps): exact, and the binomial acceptance interval at the Bonferroni level
            p_eps = float(exact_cdf_abs(np.array([eps]), float(a), float(lr), STEPS)[0])
            n_eps = int(np.sum(fin[res.ok] < eps))   # a diverged run is not near 0
            c_lo = stats.binom.ppf(z_level / 2, runs, p_eps)
            c_hi = stats.binom.isf(z_level / 2, runs, p_eps)
            ok_eps = bool(c_lo <= n_eps <= c_hi)
            absorbed[i, j] = n_eps / runs
            mu = float(th.mu(float(a), float(lr)))
            w = float(edges[1] - edges[0])
            ex.add((i, j), "hist", x=0.5 * (edges[1:] + edges[:-1]), n=obs_in, e=exp_in,
                   w=np.full(N_BINS, w))
            le = math.log10(eps)
            ex.add((i, j), "eps", ex=[le, le], ey=[0, float(max(obs_in.max(), exp_in.max()))])
            ex.add((i, j), "here", a=[a], lr=[lr])
            ok_all = ok_eps and ok_chi
            ex.verdict((i, j), ok_all,
                       f"a = {fmt(a)}, λ = {fmt(lr)}: {_phase_text(float(a), float(lr), mu)} · "
                       f"P(|w_T| < ε) = {fmt(n_eps / runs, 3)}, exact {fmt(p_eps, 3)} "
                       f"(accept {fmt(c_lo / runs, 3)}–{fmt(c_hi / runs, 3)}) {'✓' if ok_eps else '✗'} · "
                       f"histogram χ² = {fmt(chi2, 3)} on {dof} d.o.f., p = {fmt(p_chi, 2)} "
                       f"{'✓' if ok_chi else '✗'}")

    Ag, Lg = np.meshgrid(A, L, indexing="ij")
    grid_src = ColumnDataSource(dict(a=Ag.ravel().round(4), lr=Lg.ravel().round(4),
                                     p=absorbed.ravel().round(3)))
    from bokeh.palettes import Blues256
    cmap = LinearColorMapper(palette=list(Blues256)[::-1], low=0.0, high=1.0)   # dark = absorbed
    da, dl = float(A[1] - A[0]), 0.1
    r_grid = f2.rect(x="a", y="lr", width=da * 0.9, height=dl * 0.9, source=grid_src,
                     fill_color={"field": "p", "transform": cmap}, line_color=None, alpha=0.85)
    # Eq. 8's edges (μ = 0) drawn over the cells
    f2.line(x="a", y="lo", source=band, color=COLORS[1], line_dash="dashed", line_width=2.5)
    r_edge = f2.line(x="a", y="hi", source=band, color=COLORS[1], line_dash="dashed", line_width=2.5)
    r_here = f2.scatter(x="a", y="lr", source=ex.source("here"), marker="star", size=20,
                        fill_color=COLORS[4], line_color="black")
    f2.add_layout(ColorBar(color_mapper=cmap, width=8, title="P(|w|<ε)"), "right")
    f2.add_layout(Legend(items=[("simulated P(|w_T| < ε)", [r_grid]), ("Eq. 8: μ < 0 between the dashed lines", [r_edge]),
                                ("this (a, λ)", [r_here])],
                         location="top_left", label_text_font_size="12px"), "below")
    f2.height = 380
    f2.x_range.range_padding = 0.02
    f2.y_range.range_padding = 0.02
    ex.meta = dict(points=n_points, runs=runs, steps=STEPS, family_p=FAMILY_P)
    return ex
