"""Figures of the local-maximum chapter: Prop. 1, the mean/median paradox, Fig. 1, the phase
diagrams (Fig. 2 left, Fig. 5, Prop. 9, one figure each), Fig. 7, the mu = 0 endpoints, and the frames
of a kernel-free scrubber of Fig. 1 left (for the kit's `scrubber`)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters._kit import FIG_WIDTH

from sgdlab.chapters.local_maximum import experiments as ex
from sgdlab.chapters.local_maximum import theory as th


def prop1(p1, ax=None):
    """Fraction of runs with w_t != 0 at lr = 1 (+-2 binomial SE) against 2^-t."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8))
    t, f, n = p1["t"], p1["frac"], p1["n_runs"]
    se = np.sqrt(p1["theory"] * (1 - p1["theory"]) / n)
    tt = np.linspace(0, t[-1], 200)
    ax.semilogy(tt, 0.5 ** tt, "k-", lw=1.2, label=r"Prop. 1: $2^{-t}$ (exact)")
    ok = f > 0
    ax.errorbar(t[ok], f[ok], yerr=2 * se[ok], fmt="o", color="C0", ms=5,
                label=f"simulated, {n} runs (±2 SE)")
    ax.axhline(1 / n, color="grey", ls=":", lw=1, label="one run")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"fraction of runs with $w_t \neq 0$")
    ax.legend(loc="upper right")
    return ax.figure


def paradox(par, ax=None):
    """Exact E[w_t], E[w_t^2] (grow) vs sample mean, median and 10-90% quantiles of |w_t| (shrink)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 5.6))
    t = par["t"]
    ax.semilogy(t, par["m2"], "C3-", lw=1.4, label=r"exact $\mathbb{E}[w_t^2]$")
    ax.semilogy(t, par["m1"], "C1--", lw=1.4, label=r"exact $\mathbb{E}[w_t]$")
    with np.errstate(invalid="ignore"):
        pos2 = par["mean_sq"] > 0
        pos1 = par["mean"] > 0
    ax.semilogy(t[pos2], par["mean_sq"][pos2], "C3o", ms=4, mfc="none", label="sample mean of $w_t^2$")
    ax.semilogy(t[pos1], par["mean"][pos1], "C1s", ms=4, mfc="none", label="sample mean of $w_t$")
    ax.fill_between(t, par["q"][0.1], par["q"][0.9], color="C0", alpha=0.2, lw=0,
                    label=r"simulated 10–90 % of $|w_t|$")
    ax.semilogy(t, par["q"][0.5], "C0o", ms=3.5, label=r"simulated median $|w_t|$")
    ax.step(t, par["q_theory"][0.5], "C0-", where="mid", lw=1, label="exact median (binomial)")
    ax.step(t, par["q_theory"][0.1], "C0:", where="mid", lw=1)
    ax.step(t, par["q_theory"][0.9], "C0:", where="mid", lw=1, label="exact 10 %, 90 % quantiles")
    ax.set_xlabel("step t")
    ax.set_ylabel("value (log scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return ax.figure


def _nz(x, floor=0.5):
    """Heights for a log axis: entries below `floor` are not drawn (NaN)."""
    x = np.asarray(x, float)
    return np.where(x >= floor, x, np.nan)


def _hist_counts(values, edges):
    v = values[np.isfinite(values)]
    return np.histogram(v, bins=edges)[0]      # values outside the window are not counted


def fig1_quadratic(quad):
    """Fig. 1 left: histogram of w_T for the quadratic model; simulated counts (dots) against the exact
    expected counts of the binomial mixture (black steps)."""
    edges = ex.HIST_EDGES
    centres = 0.5 * (edges[1:] + edges[:-1])
    n = quad.final.size
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8))
    exp_ = th.bin_probs(edges, quad.a, quad.lr, quad.steps) * n
    ax.stairs(np.where(exp_ >= 0.1, exp_, 0.01), edges, color="k", lw=1.3, baseline=None,
              label="exact expected count")
    cnt = _hist_counts(quad.final, edges)
    ax.plot(centres, _nz(cnt), "o", color="C0", ms=6, mfc="none", mew=1.5, label=f"simulated, {n} runs")
    ax.set_yscale("log")
    ax.set_ylim(0.3, 20 * n)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("w after T steps (bins of width 0.05)")
    ax.set_ylabel("number of runs")
    ax.legend(loc="upper left")
    return fig


def fig1_quartic(quart):
    """Fig. 1 right: histogram of w_T for the quartic loss, with the minima of the expected loss."""
    edges = ex.HIST_EDGES
    centres = 0.5 * (edges[1:] + edges[:-1])
    m = quart.final.size
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8))
    ax.bar(centres, _nz(_hist_counts(quart.final, edges)), width=np.diff(edges), color="C2", alpha=0.7,
           label=f"simulated: {m - quart.n_diverged} of {m} runs (the rest diverged)")
    for r in th.quartic_minima(quart.a, quart.c):
        ax.axvline(r, color="C3", ls="--", lw=1.3)
    ax.plot([], [], "C3--", label=r"minima of $\mathbb{E}\hat L$: $\pm\sqrt{-a/(2c)}$")
    ax.set_yscale("log")
    ax.set_ylim(0.3, 20 * m)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("w after T steps (bins of width 0.05)")
    ax.set_ylabel("number of runs")
    ax.legend(loc="upper left")
    return fig


def _eq8_lines(ax, a_min=-4.0, label=True):
    a = np.linspace(a_min, -1e-3, 400)
    lo, hi = th.absorbing_interval(a)
    ax.plot(a, lo, color="orange", lw=2.2, label="Eq. 8 (quadratic loss)" if label else None)
    ax.plot(a, hi, color="orange", lw=2.2)


def phase(diagram, mu_fine=None, ax=None, ct_lines=True, wrong=None, show_eq8=True, mu_label="μ = 0"):
    """Escape fraction on the (a, lr) grid (dark: absorbed at w = 0), with the theory lines; one figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 6.0))
    A, L = diagram.a_values, diagram.lrs
    da, dl = A[1] - A[0], L[1] - L[0]
    im = ax.imshow(diagram.escape.T, origin="lower", aspect="auto", cmap="Blues_r", vmin=0, vmax=1,
                   extent=(A[0] - da / 2, A[-1] + da / 2, L[0] - dl / 2, L[-1] + dl / 2))
    if show_eq8:
        _eq8_lines(ax, A[0])
    if mu_fine is not None:
        a_f, l_f, m_f = mu_fine
        ax.contour(a_f, l_f, m_f.T, levels=[0.0], colors="magenta", linewidths=1.4, linestyles="--")
        ax.plot([], [], "m--", lw=1.4, label=mu_label)
    if ct_lines:
        a = np.linspace(A[0], 0, 200)
        ax.plot(a, th.ct_boundary_paper(a), "r:", lw=2, label="Eq. 71 as printed: λ = −a")
        ax.plot(a, th.ct_boundary_ito(a), "g-.", lw=1.6, label="continuous time, consistent: λ = −a/(1−a/2)²")
    if wrong is not None and wrong.any():
        i, j = np.nonzero(wrong)
        ax.plot(A[i], L[j], "rx", ms=5, label="misclassified cell (outside the band)")
    ax.set_xlim(A[0] - da / 2, A[-1] + da / 2)
    ax.set_ylim(0, L[-1] + dl / 2)
    ax.set_xlabel("a   (E x = a/2; w = 0 is a maximum of E L̂ for a < 0)")
    ax.set_ylabel("learning rate λ")
    ax.figure.colorbar(im, ax=ax, label="escape probability (|w_T| > 0.05)")
    h, l = ax.get_legend_handles_labels()
    ax.figure.legend(h, l, loc="outside lower center", ncol=2, frameon=False, fontsize=10)
    return ax.figure


def fig7(st, ax=None):
    """Fig. 7: stationary histogram with additive noise vs Eq. 57 (conditioned on the window)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.6))
    e = st["edges"]
    c = 0.5 * (e[1:] + e[:-1])
    ax.bar(c, st["density"], width=np.diff(e), color="C0", alpha=0.6,
           label=f"simulated: {st['n_runs']} runs, steps {st['burn_in']}–{st['steps']} pooled")
    w = np.linspace(e[0], e[-1], 1001)
    p = th.eq57_density(w, st["a"], st["lr"], st["sigma"])
    p /= np.trapezoid(p, w)
    mp = st["mapping"]
    ax.plot(w, p, "k--", lw=1.5, label=f"Eq. 57 with S = {mp['S']:.3f}, a → E x = {mp['A']:g}, b = 0")
    ax.set_yscale("log")
    ax.set_xlabel("w")
    ax.set_ylabel("density on [−1, 1]")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False)
    return ax.figure


def endpoints(ends, lr=None, ax=None):
    """P(|w_t| > eps) at the two ends of Eq. 8 (mu = 0): simulated (markers) and exact (lines) tend to
    1/2; for contrast the exact curve at an interior lr (mu < 0) goes to 0."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    t = ends.t
    marks = ("o", "s")
    for j, side in enumerate(("lower", "upper")):
        se = np.sqrt(np.clip(ends.theory[j] * (1 - ends.theory[j]), 0, None) / ends.n_runs)
        ax.plot(t, ends.theory[j], ("k-", "k--")[j], lw=1.3, label=f"exact, {side} end λ = {ends.lrs[j]:.4g}")
        ax.errorbar(t, ends.frac_out[j], yerr=2 * se, fmt=marks[j], color=f"C{j}", ms=4.5, mfc="none",
                    label=f"simulated, {side} end (±2 SE)")
    if lr is not None:
        ax.plot(t, [th.prob_abs_gt_fixed(ends.eps, ends.a, lr, int(k)) for k in t], "C2:", lw=2,
                label=f"exact, λ = {lr:g} (μ = {float(th.mu(ends.a, lr)):.3f})")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("step t")
    ax.set_ylabel(rf"$P(|w_t| > {ends.eps:g})$ from $w_0 = 1$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False, fontsize=10)
    return ax.figure


def fig1_scrubber(quad, n_frames=None):
    """(fig, update, frames) for the kit's `scrubber`: the histogram of w_t of the Fig. 1 runs at the
    snapshot steps, simulated (dots) against the exact expected counts (black steps)."""
    edges = ex.HIST_EDGES
    centres = 0.5 * (edges[1:] + edges[:-1])
    n = quad.final.size
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8))
    st = ax.stairs(np.ones(len(centres)), edges, color="k", lw=1.3, baseline=None, label="exact expected count")
    pts, = ax.plot(centres, np.ones_like(centres), "o", color="C0", ms=6, mfc="none", mew=1.5,
                   label="simulated")
    ax.set_yscale("log")
    ax.set_ylim(0.3, 20 * n)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("w")
    ax.set_ylabel("number of runs")
    ax.legend(loc="upper left")
    title = ax.set_title("")

    def update(k):
        t = int(quad.snap_steps[k])
        cnt = _hist_counts(quad.snapshots[:, k], edges)
        pts.set_ydata(_nz(cnt))
        e = th.bin_probs(edges, quad.a, quad.lr, t) * n
        st.set_data(np.where(e >= 0.1, e, 0.01))
        title.set_text(f"a = {quad.a:g}, λ = {quad.lr:g}: step t = {t}")
        return pts, st, title

    frames = list(range(len(quad.snap_steps)))
    if n_frames is not None and n_frames < len(frames):
        frames = [int(k) for k in np.unique(np.round(np.linspace(0, len(frames) - 1, n_frames)).astype(int))]
    update(frames[0])
    return fig, update, frames
