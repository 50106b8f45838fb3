"""Figures of the escape-rate chapter: simulation as markers/bands, theory as lines, always overlaid."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters._kit import FIG_WIDTH

from sgdlab.chapters.saddle_escape import experiments as ex
from sgdlab.chapters.saddle_escape import theory as th

Z95 = 1.959963984540054


def _colors(n):
    return plt.cm.viridis(np.linspace(0.0, 0.85, n))


def running_estimate(curve, lrs_show, ax=None):
    """Fig. 6: running Eq. 9 estimate (1/t) sum ln|w_i/w_{i-1}| against t, 95% band, mu dashed."""
    if ax is None:
        _, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    t = np.arange(curve.steps + 1)
    for c, lr in zip(_colors(len(lrs_show)), lrs_show):
        i = int(np.argmin(np.abs(curve.lrs - lr)))
        m, s = curve.running[i], curve.running_se[i]
        ax.plot(t[1:], m[1:], color=c, lw=1.6, label=f"simulated, λ = {curve.lrs[i]:g}")
        ax.fill_between(t[1:], (m - Z95 * s)[1:], (m + Z95 * s)[1:], color=c, alpha=0.25, lw=0)
        ax.axhline(float(th.mu(curve.a, curve.lrs[i])), color=c, ls="--", lw=1)
    ax.plot([], [], "k--", lw=1, label="theory μ(λ) (exact at every t)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("step t")
    ax.set_ylabel("running estimate of γ (per step)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return ax.figure


def rate_family(curves, ylim_bottom=None, ax=None):
    """Fig. 2 right: simulated gamma(lr) for several a (error bars = 2 SE), exact mu lines, optima marked.
    A second panel below zooms on the curves with |a| <= 0.3, whose peaks are invisible at the main scale."""
    small = [c for c in curves if abs(c.a) <= 0.3]
    if ax is None:
        if small:
            fig, (ax, ins) = plt.subplots(2, 1, figsize=(FIG_WIDTH, 8.2), height_ratios=(1.4, 1))
        else:
            fig, ax = plt.subplots(figsize=(FIG_WIDTH, 5.6))
            ins = None
    else:
        ins = None
    lr_fine = np.linspace(1e-3, 0.999, 1000)
    tops = []
    colors = _colors(len(curves))
    for c, curve in zip(colors, curves):
        a = curve.a
        ax.plot(lr_fine, th.mu(a, lr_fine), color=c, lw=1.4)
        ax.errorbar(curve.lrs, curve.gamma, yerr=2 * curve.se, fmt="o", ms=3, color=c,
                    elinewidth=0.8, label=f"a = {a:g} (simulated ±2 SE)")
        ls, gs = float(th.optimal_lr(a)), float(th.optimal_rate(a))
        ax.plot(ls, gs, marker="*", ms=13, color=c, mec="k", mew=0.6, zorder=5)
        k = int(np.argmax(curve.gamma))
        ax.plot(curve.lrs[k], curve.gamma[k], marker="D", ms=7, mfc="none", mec=c, mew=1.5, zorder=5)
        tops.append(gs)
    ax.plot([], [], "k-", lw=1.4, label="theory μ(λ)")
    ax.plot([], [], "k*", ms=10, label="theory optimum (λ*, γ*)")
    ax.plot([], [], "kD", mfc="none", ms=7, label="simulated argmax")
    ax.axhline(0, color="grey", lw=0.6)
    top = max(tops)
    ax.set_ylim(ylim_bottom if ylim_bottom is not None else -1.5 * top, 1.35 * top)
    ax.set_xlim(0, 1)
    ax.set_xlabel("learning rate λ")
    ax.set_ylabel("escape rate γ (per step)")
    if ins is not None:
        amax = max(abs(c.a) for c in small)
        g_top = float(th.optimal_rate(-amax))
        for c, curve in zip(colors, curves):
            if abs(curve.a) > 0.3:
                continue
            ins.plot(lr_fine, th.mu(curve.a, lr_fine), color=c, lw=1.3)
            ins.errorbar(curve.lrs, curve.gamma, yerr=2 * curve.se, fmt="o", ms=3, color=c, elinewidth=0.7)
            ins.plot(th.optimal_lr(curve.a), th.optimal_rate(curve.a), "*", ms=12, color=c, mec="k", mew=0.5)
            k = int(np.argmax(curve.gamma))
            ins.plot(curve.lrs[k], curve.gamma[k], marker="D", ms=7, mfc="none", mec=c, mew=1.5, zorder=5)
        ins.axhline(0, color="grey", lw=0.6)
        ins.set_xlim(0, 2.2 * float(th.optimal_lr(-amax)))
        ins.set_ylim(-1.5 * g_top, 1.6 * g_top)
        ins.set_xlabel("learning rate λ (zoom on |a| ≤ 0.3)")
        ins.set_ylabel("escape rate γ (per step)")
    h, l = ax.get_legend_handles_labels()
    ax.figure.legend(h, l, loc="outside lower center", ncol=2, frameon=False, fontsize=10)
    return ax.figure


def sgd_vs_gd(curve, gd_core, ax=None):
    """SGD's gamma(lr) against GD's rate ln|1 - lr a/2| (lines: theory; markers: the core)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    a = curve.a
    lr_fine = np.linspace(1e-3, 0.999, 1000)
    ax.plot(lr_fine, th.gd_rate(a, lr_fine), color="C3", lw=1.5, label="GD theory ln(1 − λa/2)")
    ax.plot(curve.lrs[::3], gd_core[::3], "s", ms=4, mfc="none", color="C3", label="GD in the core")
    ax.plot(lr_fine, th.mu(a, lr_fine), color="C0", lw=1.5, ls="--", label="SGD theory μ(λ)")
    ax.errorbar(curve.lrs, curve.gamma, yerr=2 * curve.se, fmt="o", ms=2.5, color="C0",
                elinewidth=0.8, label="SGD simulated (±2 SE)")
    ax.axhline(0, color="grey", lw=0.6)
    top = float(np.max(th.gd_rate(a, lr_fine)))
    ax.set_ylim(-0.6 * top, 1.1 * top)
    ax.set_xlim(0, 1)
    ax.set_xlabel("learning rate λ")
    ax.set_ylabel("escape rate (per step)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return ax.figure


def gamma_star_vs_a(eq85_rows, a_sim=None, gamma_sim=None, ax=None):
    """Prop. 3: gamma* against |a| (log-log) with the Eq. 85 thresholds for a few eps."""
    if ax is None:
        _, ax = plt.subplots(figsize=(FIG_WIDTH, 5.4))
    absa = np.logspace(-3, np.log10(5), 400)
    ax.loglog(absa, th.optimal_rate(-absa), "k-", lw=1.6, label=r"$\gamma^*=\ln\frac{2-a}{2\sqrt{1-a}}$")
    ax.loglog(absa, absa ** 2 / 8, "k:", lw=1, label=r"small-$|a|$ limit $a^2/8$")
    for c, row in zip(_colors(len(eq85_rows)), eq85_rows):
        ax.axhline(row["eps"], color=c, lw=0.8, ls="--")
        ax.axvline(row["formula"], color=c, lw=0.8, ls="--")
        ax.plot(row["numeric"], row["eps"], "o", ms=7, mfc="none", mec=c, mew=1.5,
                label=f"ε = {row['eps']:g}: Eq. 85 |a| ≤ {row['formula']:.4g}")
    if a_sim is not None:
        ax.errorbar(np.abs(a_sim), gamma_sim[0], yerr=gamma_sim[1], fmt="D", color="C3", ms=5,
                    label="simulated max of γ(λ) (±2 SE)")
    ax.set_xlabel("|a|  (a < 0: curvature of the maximum)")
    ax.set_ylabel("best escape rate γ* (per step)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize=10)
    return ax.figure


def gaussian_panels(a, batch_sizes, curves_two, curves_gauss, gd_lr=None):
    """Two-point batch-B law vs Gaussian N(a/2, (2-a)^2/(4B)): simulation markers, exact lines, GD dashed.
    One panel per batch size, stacked (one panel per row, the column's width)."""
    n = len(batch_sizes)
    fig, axes = plt.subplots(n, 1, figsize=(FIG_WIDTH, 2.6 * n + 1.0), sharex=True)
    axes = np.atleast_1d(axes)
    lr_fine = np.linspace(2e-3, 0.998, 500)
    for ax, B, c2, cg in zip(axes, batch_sizes, curves_two, curves_gauss):
        ax.plot(lr_fine, ex.theory_curve(a, lr_fine, "two-point", B), color="C0", lw=1.4,
                label="two-point, exact")
        ax.errorbar(c2.lrs, c2.gamma, yerr=2 * c2.se, fmt="o", ms=3, color="C0", elinewidth=0.7,
                    label="two-point, simulated (±2 SE)")
        ax.plot(lr_fine, ex.theory_curve(a, lr_fine, "gaussian", B), color="C1", lw=1.4, ls="-.",
                label="Gaussian, exact series")
        ax.errorbar(cg.lrs, cg.gamma, yerr=2 * cg.se, fmt="s", ms=3, mfc="none", color="C1", elinewidth=0.7,
                    label="Gaussian, simulated (±2 SE)")
        ax.plot(lr_fine, th.gd_rate(a, lr_fine), "k--", lw=1, label="GD ln(1 − λa/2)")
        ax.axhline(0, color="grey", lw=0.6)
        top = float(np.max(th.gd_rate(a, lr_fine)))
        ax.set_ylim(-0.5 * top, 1.1 * top)
        ax.set_xlim(0, 1)
        ax.set_ylabel("γ (per step)")
        ax.text(0.02, 0.92, f"batch B = {B}", transform=ax.transAxes, va="top")
    axes[-1].set_xlabel("learning rate λ")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False, fontsize=10)
    return fig


def running_curve_scrubber(curve, n_frames=12):
    """(fig, update, frames) for the kit's `scrubber`: the simulated gamma(lr) curve (with 95% band) as
    t grows, against mu(lr). Frames at roughly geometric t from 1 to curve.steps."""
    ts = np.unique(np.geomspace(1, curve.steps, n_frames).round().astype(int))
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.9))
    lr_fine = np.linspace(1e-3, 0.999, 600)
    ax.plot(lr_fine, th.mu(curve.a, lr_fine), "k-", lw=1.3, label="theory μ(λ)")
    line, = ax.plot([], [], "o", ms=3, color="C0", label="simulated estimate at step t (95 % band)")
    band = [ax.fill_between(curve.lrs, 0 * curve.lrs, 0 * curve.lrs, color="C0", alpha=0.2)]
    g = float(th.optimal_rate(curve.a))
    ax.set_ylim(-4 * g, 2.5 * g)
    ax.set_xlim(0, 1)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("learning rate λ")
    ax.set_ylabel("estimate of γ (per step)")
    ax.legend(loc="lower left")
    title = ax.set_title("")

    def update(k):
        t = ts[k]
        m, s = curve.running[:, t], curve.running_se[:, t]
        line.set_data(curve.lrs, m)
        band[0].remove()
        band[0] = ax.fill_between(curve.lrs, m - Z95 * s, m + Z95 * s, color="C0", alpha=0.2, lw=0)
        title.set_text(f"a = {curve.a:g}, step t = {t}")
        return line, title

    update(0)
    return fig, update, list(range(len(ts)))
