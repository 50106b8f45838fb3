"""Kernel-free explorer of the long-run chapter: temperature ησ² → where SGD spends its time on
Himmelblau's function, against the Gibbs density exp(−2f/(ησ²)), and the four basin masses.

At every temperature T = ησ² of the grid (η = P["eta"], σ² = T/η) the core runs `N_GROUPS` independent
groups of `PER_GROUP` chains, started uniformly on [−5, 5]², for `HORIZON`/η steps, and pools the
visits after a burn-in of `BURN` of the steps (`experiments.long_run`, an 80 × 80 histogram). The page
shows the occupancy on 40 × 40 cells (2 × 2 blocks of the chapter's bins) next to the bin-integrated
Gibbs density (`theory.bin_density`), both divided by the Gibbs peak so one fixed colour scale serves
every temperature, and the mass of each minimum's basin (the chapter's bin labels).

Verdict: every basin mass against its Gibbs value, and the mean loss ⟨f⟩ (over the chapter's bins,
f at the bin centres, the same bins for the simulation and the bin-integrated Gibbs law): the masses
hardly depend on the temperature (all four minima have f = 0), ⟨f⟩ ≈ ησ²/2 does. The SE is the between-group standard error
(groups are independent); with only N_GROUPS groups the t distribution with N_GROUPS − 1 degrees of
freedom is used, at the two-sided level α = 2Φ̄(z), z = `bonferroni_z` over the 4 basins × the grid's
temperatures (family-wise 10⁻⁴). The Gibbs law is the η → 0 limit: SGD's stationary variance on a
quadratic of curvature λ is ησ²/(λ(2 − ηλ)) exactly, an excess ηλ/(2 − ηλ) over Gibbs, so ⟨f⟩ is
allowed to exceed its Gibbs value by that fraction at the stiffest minimum curvature (`eta_allowance`;
15.5 % at η = 2·10⁻³), on top of the statistical tolerance. No allowance is made for incomplete mixing: the groups are independent with uniform starts, so the
SE is honest for the finite-time masses; where the chains do not cross the barriers within the horizon
(the coldest temperatures: K2 at f = 104, K5 at 178) the SE is large and the whiskers show it.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sgdlab.chapters import _explorer as X
from sgdlab.chapters._kit import bonferroni_z
from sgdlab.chapters.gibbs import experiments as ex
from sgdlab.chapters.gibbs import theory as th
from sgdlab.chapters.gibbs.plots import label_of

__all__ = ["TEMPS", "N_GROUPS", "PER_GROUP", "HORIZON", "BURN", "CELLS", "n_streams", "grid",
           "build_explorer"]

TEMPS = (20.0, 23.0, 26.0, 30.0, 34.0, 38.0, 43.0, 49.0, 55.0, 62.0, 70.0, 80.0)   # ~12 % steps
N_GROUPS = 20
PER_GROUP = 2
HORIZON = 400.0       # continuous time per chain (steps = HORIZON / η)
BURN = 0.25
CELLS = 40            # displayed cells per axis (2 × 2 blocks of the 80 × 80 histogram)
FAMILY_P = 1e-4
SMALL = dict(temps=(25.0, 40.0, 70.0), per_group=2, horizon=60.0)


def grid(P, small=False):
    """(temperatures, chains per group, horizon) at parameters P."""
    if small:
        return SMALL["temps"], SMALL["per_group"], SMALL["horizon"]
    return TEMPS, PER_GROUP, HORIZON


def n_streams(P, small=False):
    temps, per, _ = grid(P, small)
    return len(temps) * N_GROUPS * per


def eta_allowance(eta, pts):
    """Largest relative excess ηλ/(2 − ηλ) of SGD's stationary ⟨f⟩ over Gibbs's on the local quadratics
    of the minima (λ their Hessian eigenvalues)."""
    lam = max(float(np.max(p.eigvals)) for p in pts if p.kind == "min")
    return eta * lam / (2.0 - eta * lam)


def _blocks(h, k=2):
    n = h.shape[0] // k
    return h.reshape(n, k, n, k).sum(axis=(1, 3))


def build_explorer(P, stream_offset, small=False):
    from bokeh.layouts import row
    from bokeh.models import Legend, LinearColorMapper, Range1d, Whisker, ColorBar
    from bokeh.palettes import Viridis256

    eta, seed = float(P["eta"]), int(P["seed"])
    temps, per, horizon = grid(P, small)
    steps = int(round(horizon / eta))
    burn = int(BURN * steps)
    pts = th.critical_points(th.HIMMELBLAU)
    mins = [k for k, p in enumerate(pts) if p.kind == "min"]
    names = [label_of(pts[k]) for k in mins]
    labels = ex.bin_labels(th.HIMMELBLAU, pts)
    z = bonferroni_z(len(temps) * (len(mins) + 1), FAMILY_P)
    allow = eta_allowance(eta, pts)
    ce = np.linspace(-ex.HALF, ex.HALF, ex.BINS + 1)
    cc = (ce[:-1] + ce[1:]) / 2
    F = th.HIMMELBLAU.f(*np.meshgrid(cc, cc, indexing="ij"))
    alpha = 2 * stats.norm.sf(z)
    tq = float(stats.t.isf(alpha / 2, N_GROUPS - 1))

    xp = X.GridExplorer("explorer-gibbs", [("temp", temps, "temperature ησ²")])
    e = np.linspace(-ex.HALF, ex.HALF, CELLS + 1)
    cx = (e[:-1] + e[1:]) / 2
    XX, YY = np.meshgrid(cx, cx, indexing="ij")
    cell = e[1] - e[0]
    mapper = LinearColorMapper(palette=Viridis256, low=0.0, high=1.0)
    figs = []
    for name, title in (("sim", "SGD occupancy (simulation)"), ("gibbs", "Gibbs density exp(−2f/(ησ²))")):
        f = xp.figure(x_label="x", y_label="y", width=330, height=330, title=title,
                      x_range=Range1d(-ex.HALF, ex.HALF), y_range=Range1d(-ex.HALF, ex.HALF),
                      tools="pan,box_zoom,reset,save", toolbar_location=None)
        f.background_fill_color = Viridis256[0]     # the cells left out (< 0.2 % of the peak) read as 0
        f.rect(x="x", y="y", width=cell, height=cell, source=xp.source(name),
               fill_color={"field": "v", "transform": mapper}, line_color=None)
        f.scatter([pts[k].x for k in mins], [pts[k].y for k in mins], marker="x", size=8,
                  color="white")
        figs.append(f)
    figs[1].add_layout(ColorBar(color_mapper=mapper, width=8, title="mass per cell / Gibbs peak",
                                title_text_font_size="11px"), "right")
    figs[1].width = 350
    fm = xp.figure(x_label="basin (minimum)", y_label="basin mass", height=260, width=680,
                   x_range=Range1d(-0.6, len(mins) - 0.4), y_range=Range1d(0, 0.5),
                   title="mass of each minimum's basin: simulation (± tolerance) vs Gibbs")
    fm.xaxis.ticker = list(range(len(mins)))
    fm.xaxis.major_label_overrides = {i: f"{n} ({pts[k].x:.2f}, {pts[k].y:.2f})"
                                      for i, (n, k) in enumerate(zip(names, mins))}
    r_sim = fm.vbar(x="i", top="m", width=0.5, source=xp.source("mass"), color=X.COLORS[0], alpha=0.8)
    fm.add_layout(Whisker(base="i", lower="lo", upper="hi", source=xp.source("mass"),
                          line_color="#000000"))
    r_th = fm.scatter(x="i", y="t", source=xp.source("mass"), marker="dash", size=40, color=X.COLORS[1],
                      line_width=3)
    fm.add_layout(Legend(items=[("simulation", [r_sim]), ("Gibbs", [r_th])]), "right")
    # the two heatmaps side by side (GridExplorer stacks its figures in a column)
    xp._figures[:2] = [row(*figs)]

    n_per = N_GROUPS * per
    for i, T in enumerate(temps):
        sigma2 = T / eta
        run = ex.long_run(eta, sigma2, n_per, steps, burn, seed, n_groups=N_GROUPS,
                          stream_base=stream_offset + i * n_per)
        m, se, t = ex.basin_masses(run, labels, mins)
        G = th.bin_density(th.HIMMELBLAU, run.edges, run.edges, eta, sigma2)
        Ps = run.prob()
        g40, s40 = _blocks(G), _blocks(Ps)
        peak = g40.max()
        keep = (g40 > 2e-3 * peak) | (s40 > 2e-3 * peak)   # cells below 0.2% of the peak stay blank
        for name, M in (("sim", s40), ("gibbs", g40)):
            xp.add(i, name, x=XX[keep], y=YY[keep], v=np.round(M[keep] / peak, 3))
        tol = tq * se
        xp.add(i, "mass", i=np.arange(len(mins)), m=m, t=t, lo=m - tol, hi=m + tol)
        dz = np.abs(m - t) / np.where(se > 0, se, np.nan)
        fg = np.array([(h * F).sum() / h.sum() for h in run.hists])
        f_sim, f_se, f_th = float((run.hist * F).sum() / run.hist.sum()), float(fg.std(ddof=1) / math.sqrt(len(fg))), float((G * F).sum())
        f_lo, f_hi = f_th - tq * f_se, f_th * (1 + allow) + tq * f_se
        ok_m = bool(np.all(np.abs(m - t) <= tol))
        ok_f = f_lo <= f_sim <= f_hi
        ok = ok_m and ok_f and run.n_diverged == 0
        masses = ", ".join(f"{n} {a:.3f}/{b:.3f}" for n, a, b in zip(names, m, t))
        div = f"; {run.n_diverged} diverged" if run.n_diverged else ""
        xp.verdict(i, ok, f"basin masses sim/Gibbs {masses} (max |Δ|/SE = {np.nanmax(dz):.1f} ≤ {tq:.1f}"
                          f"{'' if ok_m else ' fails'}); mean loss ⟨f⟩ = {f_sim:.2f} ± {f_se:.2f}, Gibbs "
                          f"{f_th:.2f}, accepted {f_lo:.2f}–{f_hi:.2f} (O(η) excess ≤ {100 * allow:.1f} %){div} "
                          f"{'✓' if ok else '✗'}")
    T0 = float(P["eta"]) * float(P["sigma2"])
    xp.set_start(int(np.argmin(np.abs(np.log(np.asarray(temps) / T0)))))
    return xp
