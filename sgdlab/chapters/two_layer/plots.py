"""Figures of the two-layer-network chapter. Every function returns the matplotlib Figure."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.book import scrubber
from sgdlab.chapters.two_layer import experiments as ex
from sgdlab.chapters.two_layer import theory as th

COLORS = ("C0", "C3", "C2")


def _hyperbola(ax, a, lim, **kw):
    c = th.mean_c(a)
    x = np.linspace(c / lim, lim, 300)
    ax.plot(x, c / x, **kw)
    kw.pop("label", None)
    ax.plot(-x, -c / x, **kw)


def landscape(a):
    """Left: contours of the expected loss in (u, w) with the h, m axes and the minimum hyperbola.
    Right: the expected loss along the balanced line u = w = t (a quartic with a local maximum at 0)
    and along the antibalanced line u = -w = t."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    lim = 1.0
    g = np.linspace(-lim, lim, 301)
    U, Wg = np.meshgrid(g, g)
    L = th.expected_loss(a, U, Wg) - th.expected_loss(a, 0.0, 0.0)
    c = th.mean_c(a)
    top = max(4 * c * c, 0.02)
    cs = ax.contourf(U, Wg, L, levels=np.linspace(-c * c / 2, top, 25), cmap="viridis", extend="max")
    fig.colorbar(cs, ax=ax, label="E ℓ(u, w) − E ℓ(0, 0)")
    ax.contour(U, Wg, L, levels=[0.0], colors="grey", linewidths=0.6)
    _hyperbola(ax, a, lim, color="w", lw=1.5, label=f"minima u·w = E[c] = {c:g}")
    ax.annotate("", xy=(0.6, 0.6), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="C1", lw=2))
    ax.annotate("", xy=(0.6, -0.6), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="C3", lw=2))
    ax.text(-0.9, 0.85, "h = u + w: curvature −E[c]", color="C1", fontsize=8,
            bbox=dict(fc="w", ec="none", alpha=0.7))
    ax.text(0.05, -0.75, "m = u − w: curvature +E[c]", color="C3", fontsize=8,
            bbox=dict(fc="w", ec="none", alpha=0.7))
    ax.plot(0, 0, "ro", ms=6, label="origin: strict saddle")
    ax.set_xlim(-lim, lim); ax.set_ylim(-lim, lim); ax.set_aspect("equal")
    ax.set_xlabel("u (second-layer weight)"); ax.set_ylabel("w (first-layer weight)")
    ax.legend(fontsize=7, loc="lower left")
    r = 2.2 * math.sqrt(th.mean_c(a))
    t = np.linspace(-r, r, 400)
    base = th.expected_loss(a, 0.0, 0.0)
    bx.plot(t, th.expected_loss(a, t, t) - base, "C1", label="balanced line u = w = t: ½t⁴ − E[c]t²")
    bx.plot(t, th.expected_loss(a, t, -t) - base, "C3", label="antibalanced u = −w = t: ½t⁴ + E[c]t²")
    bx.axhline(0, color="grey", lw=0.5)
    bx.set_xlabel("t"); bx.set_ylabel("E ℓ − E ℓ(0, 0)")
    cc = th.mean_c(a)
    bx.set_ylim(-0.8 * cc * cc, 2.5 * cc * cc)
    bx.legend(fontsize=8)
    bx.set_title("along the balanced line 0 is a local maximum", fontsize=9)
    fig.tight_layout()
    return fig


def lyapunov(a, batch, curve, lyap=None):
    """Lambda_h, Lambda_m against lr (theory lines, simulated points +-2 SE), capture windows shaded."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    lr = np.linspace(0.005, 1.6, 800)
    with np.errstate(divide="ignore"):
        ax.plot(lr, th.lyap_h(a, lr, batch), "C1", label="Λ_h = E ln|1 + λc̄| (escape direction)")
        ax.plot(lr, th.lyap_m(a, lr, batch), "C3", label="Λ_m = E ln|1 − λc̄| (stable direction)")
    ax.plot(lr, th.gd_rate_h(a, lr), "k:", lw=1, label="GD: ln(1 + λE[c])")
    for key, col in (("h", "C1"), ("m", "C3")):
        x = [p["lr"] for p in curve]
        y = [p[f"lyap_{key}"] for p in curve]
        e = [2 * p[f"se_{key}_theory"] for p in curve]
        ax.errorbar(x, y, yerr=e, fmt="o", color=col, ms=4, mfc="w")
    if lyap is not None:
        ax.plot([lyap["lr"]] * 2, [lyap["lyap_h"], lyap["lyap_m"]], "k*", ms=11,
                label=f"chapter's λ = {lyap['lr']:g}: simulated")
    if batch == 1 and a < 0:
        lo, hi = th.window_balanced(a)
        ax.axvspan(lo, hi, color="C1", alpha=0.08, label=f"balanced window ({lo:.3f}, {hi:.3f})")
        gw = th.window_generic(a)
        if gw:
            ax.axvspan(*gw, color="C2", alpha=0.15, label=f"generic window ({gw[0]:.3f}, {gw[1]:.3f})")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylim(-1.2, 0.8)
    ax.set_xlabel("learning rate λ"); ax.set_ylabel("Lyapunov exponent (per step)")
    ax.set_title(f"a = {a:g}, batch {batch}: points = core, ±2 SE", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def finals(a, outcomes, n_show=600):
    """Final (u, w) of each method (first n_show runs) and the histogram of log10(|u| + |w|)."""
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.9))
    for ax, o, col in zip(axes[:3], outcomes, COLORS):
        f = o.result.final[:n_show]
        ax.scatter(f[:, 0], f[:, 1], s=4, color=col, alpha=0.6)
        _hyperbola(ax, a, 2.0, color="k", lw=0.8, ls="--", label="u·w = E[c]")
        ax.set_xlim(-2, 2); ax.set_ylim(-2, 2); ax.set_aspect("equal")
        ax.set_xlabel("u"); ax.set_ylabel("w")
        ax.set_title(f"{o.label}\norigin {o.frac_origin:.3f}, escaped {o.frac_escaped:.3f}, "
                     f"diverged {o.frac_diverged:.3f}", fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
    bx = axes[3]
    bins = np.linspace(-320, 1, 80)
    for o, col in zip(outcomes, COLORS):
        f = o.result.final[o.result.ok]
        with np.errstate(divide="ignore"):
            v = np.log10(np.abs(f[:, 0]) + np.abs(f[:, 1]))
        v = np.clip(v, bins[0], bins[-1])
        bx.hist(v, bins=bins, histtype="step", color=col, lw=1.5, label=o.label)
    bx.axvline(np.log10(2e-6), color="grey", ls=":", lw=1, label="|u|, |w| < 1e-6")
    bx.set_yscale("log")
    bx.set_xlabel("log10(|u_T| + |w_T|)"); bx.set_ylabel("runs")
    bx.legend(fontsize=7)
    fig.tight_layout()
    return fig


def phase(a_grid, lr_grid, panels):
    """P(origin) on the (a, lr) plane for each init, with the theory curves and the blow-up region."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.6), squeeze=False)
    aa = np.linspace(min(a_grid), -1e-3, 400)
    lo = aa / (aa - 1.0)
    hb = (aa - np.sqrt(aa ** 2 - 8 * aa + 8)) / (2 * (aa - 1.0))
    hg = (aa + np.sqrt(aa ** 2 - 8 * aa + 8)) / (2 * (1.0 - aa))
    da = (a_grid[1] - a_grid[0]) / 2
    dl = (lr_grid[1] - lr_grid[0]) / 2
    ext = (lr_grid[0] - dl, lr_grid[-1] + dl, a_grid[0] - da, a_grid[-1] + da)
    for ax, P in zip(axes[0], panels):
        im = ax.imshow(P["p_origin"], origin="lower", extent=ext, aspect="auto", cmap="Blues", vmin=0, vmax=1)
        ax.contourf(P["lr"], P["a"], P["p_diverged"], levels=[0.5, 1.01], colors="none", hatches=["xx"])
        ax.contour(P["lr"], P["a"], P["p_diverged"], levels=[0.5], colors="C3", linewidths=1)
        ax.plot(lo, aa, "k-", lw=1.5, label="λ = a/(a−1): Λ_h = 0 (lower edge)")
        ax.plot(hb, aa, "C1--", lw=1.5, label="upper edge, balanced (Λ_h = 0)")
        ax.plot(hg, aa, "C2-", lw=1.5, label="upper edge, generic (Λ_m = 0)")
        ax.axhline(th.GOLDEN_A, color="grey", ls=":", lw=1, label="a = −(1+√5)/2")
        ax.plot([], [], color="C3", lw=1, label="hatched: P(diverged) > ½")
        ax.set_xlim(ext[0], ext[1]); ax.set_ylim(ext[2], ext[3])
        ax.set_xlabel("learning rate λ"); ax.set_ylabel("a   (c ∈ {−1, 1 − a})")
        ax.set_title(f"{P['init']} init: P(|u|,|w| < 1e-6 at T = {P['steps']}), {P['n_runs']} runs/point",
                     fontsize=9)
        fig.colorbar(im, ax=ax, label="P(origin)")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def batch_figure(a, lr, rows, max_s=64):
    """P(origin) against the batch size, with the exact Lambda_h(S) on a twin axis."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    S = [r["batch"] for r in rows]
    ax.plot(S, [r["frac_origin"] for r in rows], "o-", color="C0", label="simulated P(origin)")
    ax.plot(S, [r["frac_escaped"] for r in rows], "s--", color="C2", ms=4, label="simulated P(escaped: max(|u|,|w|) > 0.01)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size S"); ax.set_ylabel("fraction of runs")
    ax.set_ylim(-0.03, 1.03)
    bx = ax.twinx()
    Sg = np.arange(1, max_s + 1)
    bx.plot(Sg, [float(th.lyap_h(a, lr, int(s))) for s in Sg], "C1-", lw=1.2, label="exact Λ_h(S)")
    bx.axhline(float(th.gd_rate_h(a, lr)), color="C1", ls=":", lw=1, label="S → ∞: ln(1 + λE[c])")
    bx.axhline(0, color="grey", lw=0.6)
    bx.set_ylabel("Λ_h(S) (per step)", color="C1")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = bx.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.set_title(f"a = {a:g}, λ = {lr:g}", fontsize=9)
    fig.tight_layout()
    return fig


def scrub(a, outcomes, snapshot_steps, n_show=400):
    """Kernel-free frame scrubber over the snapshots: (u, w) clouds of the three methods."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), dpi=72)
    arts = []
    for ax, o, col in zip(axes, outcomes, COLORS):
        _hyperbola(ax, a, 2.0, color="k", lw=0.8, ls="--")
        sc = ax.scatter([], [], s=4, color=col, alpha=0.6)
        ax.set_xlim(-2, 2); ax.set_ylim(-2, 2); ax.set_aspect("equal")
        ax.set_xlabel("u"); ax.set_ylabel("w")
        arts.append(sc)
    title = fig.suptitle("")

    def update(i):
        for ax, sc, o in zip(axes, arts, outcomes):
            s = o.result.snapshots[:n_show, i]
            s = s[np.all(np.isfinite(s), axis=1)]
            sc.set_offsets(s)
            with np.errstate(invalid="ignore"):
                near = np.mean(np.all(np.abs(o.result.snapshots[:, i]) < ex.ORIGIN_TOL, axis=1))
            ax.set_title(f"{o.label}: at origin {near:.3f}", fontsize=9)
        title.set_text(f"step t = {int(snapshot_steps[i])}")
        return arts

    fig.tight_layout()
    return scrubber(fig, update, frames=len(snapshot_steps), interval=400)
