"""Figures of the local-maximum chapter: Prop. 1, the mean/median paradox, Fig. 1, the phase
diagrams (Fig. 2 left, Fig. 5, Prop. 9), Fig. 7, and a kernel-free scrubber of Fig. 1 left."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from sgdlab.chapters.local_maximum import experiments as ex
from sgdlab.chapters.local_maximum import theory as th


def prop1(p1, ax=None):
    """Fraction of runs with w_t != 0 at lr = 1 (+-2 binomial SE) against 2^-t."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.8))
    t, f, n = p1["t"], p1["frac"], p1["n_runs"]
    se = np.sqrt(p1["theory"] * (1 - p1["theory"]) / n)
    tt = np.linspace(0, t[-1], 200)
    ax.semilogy(tt, 0.5 ** tt, "k-", lw=1.2, label=r"Prop. 1: $2^{-t}$")
    ok = f > 0
    ax.errorbar(t[ok], f[ok], yerr=2 * se[ok], fmt="o", color="C0", ms=4,
                label=f"simulated ({n} runs, ±2 SE)")
    ax.axhline(1 / n, color="grey", ls=":", lw=1, label="one run in n_runs")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"fraction of runs with $w_t \neq 0$")
    ax.set_title("λ = 1: one draw of x = 1 sets w exactly to 0")
    ax.legend(fontsize=8)
    return ax


def paradox(par, ax=None):
    """Exact E[w_t], E[w_t^2] (grow) vs sample mean, median and 10-90% quantiles of |w_t| (shrink)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
    t = par["t"]
    ax.semilogy(t, par["m2"], "C3-", lw=1.4, label=r"exact $\mathbb{E}[w_t^2]$ (Eq. 7)")
    ax.semilogy(t, par["m1"], "C1-", lw=1.4, label=r"exact $\mathbb{E}[w_t]$ (Eq. 6, corrected)")
    with np.errstate(invalid="ignore"):
        pos2 = par["mean_sq"] > 0
        pos1 = par["mean"] > 0
    ax.semilogy(t[pos2], par["mean_sq"][pos2], "C3o", ms=3, mfc="none", label="sample mean of $w_t^2$")
    ax.semilogy(t[pos1], par["mean"][pos1], "C1s", ms=3, mfc="none", label="sample mean of $w_t$")
    ax.fill_between(t, par["q"][0.1], par["q"][0.9], color="C0", alpha=0.2, lw=0,
                    label=r"simulated 10–90% quantiles of $|w_t|$")
    ax.semilogy(t, par["q"][0.5], "C0o", ms=3, label=r"simulated median $|w_t|$")
    ax.step(t, par["q_theory"][0.5], "C0-", where="mid", lw=1, label="exact median (binomial law)")
    ax.step(t, par["q_theory"][0.1], "C0:", where="mid", lw=1)
    ax.step(t, par["q_theory"][0.9], "C0:", where="mid", lw=1, label="exact 10%, 90% quantiles")
    ax.set_xlabel("step t")
    ax.set_ylabel("value (log scale)")
    ax.set_title(f"a = {par['a']:g}, λ = {par['lr']:g}, w₀ = 1, {par['n_runs']} runs")
    ax.legend(fontsize=7.5, loc="lower left", ncol=2)
    return ax


def _nz(x, floor=0.5):
    """Heights for a log axis: entries below `floor` are not drawn (NaN)."""
    x = np.asarray(x, float)
    return np.where(x >= floor, x, np.nan)


def _hist_counts(values, edges):
    v = values[np.isfinite(values)]
    return np.histogram(v, bins=edges)[0]      # values outside the window are not counted


def fig1(quad, quart):
    """Fig. 1: histogram of w_T for the quadratic (with the exact law) and the quartic (minima marked)."""
    edges = ex.HIST_EDGES
    centres = 0.5 * (edges[1:] + edges[:-1])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    n = quad.final.size
    axes[0].bar(centres, _nz(_hist_counts(quad.final, edges)), width=np.diff(edges),
                color="C0", alpha=0.7, label=f"simulated, {n} runs")
    exp_ = th.bin_probs(edges, quad.a, quad.lr, quad.steps) * n
    axes[0].plot(centres, _nz(exp_, 0.1), "k_", ms=10, mew=2, label="exact expected count (≥ 0.1 shown)")
    axes[0].set_title(f"quadratic $xw^2/2$, step {quad.steps}: "
                      f"{100 * quad.frac_at_max:.1f}% within {quad.eps:g} of 0")
    m = quart.final.size
    axes[1].bar(centres, _nz(_hist_counts(quart.final, edges)), width=np.diff(edges),
                color="C2", alpha=0.7, label=f"simulated, {m - quart.n_diverged} of {m} runs (rest diverged)")
    for r in th.quartic_minima(quart.a, quart.c):
        axes[1].axvline(r, color="C3", ls="--", lw=1)
    axes[1].plot([], [], "C3--", label=r"minima of $\mathbb{E}\hat L$: $\pm\sqrt{-a/(2c)}$")
    cc = "" if quart.c == 1 else f"{quart.c:g}"
    axes[1].set_title(f"quartic $xw^2/2 + {cc}w^4/4$, step {quart.steps}: "
                      f"{quart.n_diverged} diverged")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylim(0.08, 5 * n)
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel("w (bins of width 0.05)")
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel("number of runs")
    fig.suptitle(f"Fig. 1: a = {quad.a:g}, λ = {quad.lr:g}, w₀ ~ U[−1, 1]")
    fig.tight_layout()
    return fig


def _eq8_lines(ax, a_min=-4.0, label=True):
    a = np.linspace(a_min, -1e-3, 400)
    lo, hi = th.absorbing_interval(a)
    ax.plot(a, lo, color="orange", lw=1.8, label="Eq. 8 (quadratic)" if label else None)
    ax.plot(a, hi, color="orange", lw=1.8)


def phase(diagram, mu_fine=None, title="", ax=None, ct_lines=True, wrong=None, show_eq8=True,
          mu_label="μ = 0"):
    """Escape fraction on the (a, lr) grid (dark: absorbed at w = 0), with the theory lines."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4.8))
    A, L = diagram.a_values, diagram.lrs
    da, dl = A[1] - A[0], L[1] - L[0]
    im = ax.imshow(diagram.escape.T, origin="lower", aspect="auto", cmap="Blues_r", vmin=0, vmax=1,
                   extent=(A[0] - da / 2, A[-1] + da / 2, L[0] - dl / 2, L[-1] + dl / 2))
    if show_eq8:
        _eq8_lines(ax, A[0])
    if mu_fine is not None:
        a_f, l_f, m_f = mu_fine
        cs = ax.contour(a_f, l_f, m_f.T, levels=[0.0], colors="magenta", linewidths=1.2, linestyles="--")
        ax.plot([], [], "m--", lw=1.2, label=mu_label)
    if ct_lines:
        a = np.linspace(A[0], 0, 200)
        ax.plot(a, th.ct_boundary_paper(a), "r:", lw=1.5, label="Eq. 71 as printed: λ = −a")
        ax.plot(a, th.ct_boundary_ito(a), "g-.", lw=1.2, label="continuous time, consistent: λ = −a/(1−a/2)²")
    if wrong is not None and wrong.any():
        i, j = np.nonzero(wrong)
        ax.plot(A[i], L[j], "rx", ms=4, label="misclassified (outside band)")
    ax.set_xlim(A[0] - da / 2, A[-1] + da / 2)
    ax.set_ylim(0, L[-1] + dl / 2)
    ax.set_xlabel("a (E x = a/2; w = 0 is a maximum of E L for a < 0)")
    ax.set_ylabel("learning rate λ")
    ax.set_title(title or f"{diagram.kind}: {diagram.n_runs} runs × {diagram.steps} steps per cell", fontsize=10)
    plt.colorbar(im, ax=ax, label="escape probability (|w_T| > 0.05)")
    ax.legend(fontsize=7, loc="upper left")
    return ax


def phase_panels(quad, quart, gauss, mu_quad, mu_gauss, wrong_quad=None, wrong_gauss=None):
    fig, axes = plt.subplots(1, 3, figsize=(18, 5))
    phase(quad, mu_quad, "Fig. 2 left: quadratic, two-point data", axes[0], wrong=wrong_quad)
    phase(quart, None, "Fig. 5: quartic xw²/2 + w⁴/4, two-point data", axes[1])
    phase(gauss, mu_gauss, "Prop. 9: quadratic, Gaussian data N(a/2, (1−a/2)²)", axes[2], ct_lines=False,
          wrong=wrong_gauss, mu_label="quadrature: E ln|1−λx| = 0")
    fig.tight_layout()
    return fig


def fig7(st, ax=None):
    """Fig. 7: stationary histogram with additive noise vs Eq. 57 (conditioned on the window)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.2))
    e = st["edges"]
    c = 0.5 * (e[1:] + e[:-1])
    ax.bar(c, st["density"], width=np.diff(e), color="C0", alpha=0.6,
           label=f"simulated: {st['n_runs']} runs, steps {st['burn_in']}–{st['steps']} pooled")
    w = np.linspace(e[0], e[-1], 1001)
    p = th.eq57_density(w, st["a"], st["lr"], st["sigma"])
    p /= np.trapezoid(p, w)
    mp = st["mapping"]
    ax.plot(w, p, "k-", lw=1.3, label=f"Eq. 57, S = {mp['S']:.3f}, a→E x = {mp['A']:g}, b = 0, σ = {mp['sigma']:g}")
    ax.set_yscale("log")
    ax.set_xlabel("w")
    ax.set_ylabel("density on [−1, 1] (conditioned on the window)")
    ax.set_title(f"Fig. 7: additive noise σ = {st['sigma']:g} (a = {st['a']:g}, λ = {st['lr']:g}); "
                 f"TV distance {st['tv']:.3f}", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def fig1_animation(quad, n_frames=None, dpi=65):
    """Kernel-free scrubber: the histogram of w_t for the quadratic model at the snapshot steps, with
    the exact expected counts. Returns the HTML of `to_jshtml()`."""
    edges = ex.HIST_EDGES
    centres = 0.5 * (edges[1:] + edges[:-1])
    n = quad.final.size
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=dpi)
    bars = ax.bar(centres, np.ones_like(centres), width=np.diff(edges), color="C0", alpha=0.7,
                  label="simulated")
    marks, = ax.plot(centres, np.ones_like(centres), "k_", ms=10, mew=2, label="exact expected count")
    ax.set_yscale("log")
    ax.set_ylim(0.08, 5 * n)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("w")
    ax.set_ylabel("number of runs")
    ax.legend(fontsize=8, loc="upper left")
    title = ax.set_title("")

    def draw(k):
        t = int(quad.snap_steps[k])
        cnt = _hist_counts(quad.snapshots[:, k], edges)
        for b, h in zip(bars, cnt):
            b.set_height(h if h > 0 else 1e-3)    # below the axis: not visible
        marks.set_ydata(_nz(th.bin_probs(edges, quad.a, quad.lr, t) * n, 0.1))
        title.set_text(f"a = {quad.a:g}, λ = {quad.lr:g}: step t = {t}")
        return bars, marks, title

    frames = range(len(quad.snap_steps))
    if n_frames is not None and n_frames < len(quad.snap_steps):
        frames = np.unique(np.round(np.linspace(0, len(quad.snap_steps) - 1, n_frames)).astype(int))
    anim = animation.FuncAnimation(fig, draw, frames=frames, interval=400, blit=False)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return html
