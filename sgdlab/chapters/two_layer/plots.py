"""Figures of the two-layer-network chapter. Every function returns the matplotlib Figure (the
scrubber returns its HTML). Sized for the book's column by `sgdlab.chapters._kit.use_book_style`:
at most two panels per row, legends off the data, theory and simulation told apart by line style and
marker as well as colour."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters._kit import FIG_WIDTH, fmt, scrubber
from sgdlab.chapters.two_layer import experiments as ex
from sgdlab.chapters.two_layer import theory as th

# (colour, marker, size) per method: SGD with the chapter's batch, GD, SGD with the other batch
STYLES = (("C0", "o", 28), ("C1", "x", 10), ("C2", ".", 8))
LINESTYLES = ("-", "--", ":")


def styled(df):
    """A DataFrame for the page: the kit's number format, no index, padded columns."""
    return (df.style.format(lambda v: v if isinstance(v, str) else fmt(v)).hide(axis="index")
            .set_table_styles([{"selector": "th, td", "props": "padding: 0.2em 0.8em; text-align: right"}]))


def hyperbola(ax, a, lim, **kw):
    """The minima u w = E[c] on `ax` (both branches, |u| ≤ lim)."""
    c = th.mean_c(a)
    x = np.linspace(c / lim, lim, 300)
    ax.plot(x, c / x, **kw)
    kw.pop("label", None)
    ax.plot(-x, -c / x, **kw)


def landscape(a):
    """Left: contours of the expected loss in (u, w) with the h, m axes and the minimum hyperbola.
    Right: the expected loss along the balanced line u = w = t (a quartic with a local maximum at 0)
    and along the antibalanced line u = -w = t."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.9))
    lim = 1.0
    g = np.linspace(-lim, lim, 301)
    U, Wg = np.meshgrid(g, g)
    L = th.expected_loss(a, U, Wg) - th.expected_loss(a, 0.0, 0.0)
    c = th.mean_c(a)
    top = max(4 * c * c, 0.02)
    ax.contourf(U, Wg, L, levels=np.linspace(-c * c / 2, top, 25), cmap="viridis", extend="max")
    ax.contour(U, Wg, L, levels=[0.0], colors="grey", linewidths=0.6)
    import matplotlib.patheffects as pe
    hyperbola(ax, a, lim, color="w", lw=1.8, label="minima uw = E[c]",
              path_effects=[pe.Stroke(linewidth=3.2, foreground="k"), pe.Normal()])
    ax.annotate("", xy=(0.6, 0.6), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="C4", lw=2))
    ax.annotate("", xy=(0.6, -0.6), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="C3", lw=2))
    ax.text(0.62, 0.45, "h", color="w", fontsize=12, fontweight="bold")
    ax.text(0.62, -0.5, "m", color="w", fontsize=12, fontweight="bold")
    ax.plot(0, 0, "o", color="C3", ms=6, mec="w", label="origin (saddle)")
    ax.set_xlim(-lim, lim); ax.set_ylim(-lim, lim); ax.set_aspect("equal")
    ax.set_xlabel("u (second layer)"); ax.set_ylabel("w (first layer)")
    r = 2.2 * math.sqrt(c)
    t = np.linspace(-r, r, 400)
    base = th.expected_loss(a, 0.0, 0.0)
    bx.plot(t, th.expected_loss(a, t, t) - base, "C4", ls="-", label="balanced u = w = t")
    bx.plot(t, th.expected_loss(a, t, -t) - base, "C3", ls="--", label="antibalanced u = −w = t")
    bx.axhline(0, color="grey", lw=0.5)
    bx.set_xlabel("t"); bx.set_ylabel("E ℓ − E ℓ(0, 0)")
    bx.set_ylim(-0.8 * c * c, 2.5 * c * c)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = bx.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncol=2, fontsize=10)
    return fig


def lyapunov(a, batch, curve, lyap=None):
    """Lambda_h, Lambda_m against lr (theory lines, simulated points ±2 SE), capture windows shaded."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.6))
    lr = np.linspace(0.005, 1.6, 800)
    with np.errstate(divide="ignore"):
        ax.plot(lr, th.lyap_h(a, lr, batch), "C0", ls="-", label="Λ_h = E ln|1 + λc̄| (theory)")
        ax.plot(lr, th.lyap_m(a, lr, batch), "C1", ls="--", label="Λ_m = E ln|1 − λc̄| (theory)")
    ax.plot(lr, th.gd_rate_h(a, lr), "k:", lw=1.2, label="GD: ln(1 + λE[c])")
    for key, col, mk in (("h", "C0", "o"), ("m", "C1", "s")):
        x = [p["lr"] for p in curve]
        y = [p[f"lyap_{key}"] for p in curve]
        e = [2 * p[f"se_{key}_theory"] for p in curve]
        ax.errorbar(x, y, yerr=e, fmt=mk, color=col, ms=5, mfc="w", label=f"Λ_{key}, core (±2 SE)")
    if lyap is not None:
        ax.plot([lyap["lr"]] * 2, [lyap["lyap_h"], lyap["lyap_m"]], "k*", ms=11,
                label=f"core at the chapter's λ = {lyap['lr']:g}")
    if batch == 1 and a < 0:
        lo, hi = th.window_balanced(a)
        ax.axvspan(lo, hi, color="C0", alpha=0.08, label="balanced window (Λ_h < 0)")
        gw = th.window_generic(a)
        if gw:
            ax.axvspan(*gw, color="C2", alpha=0.18, label="generic window (both < 0)")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylim(-1.2, 0.8)
    ax.set_xlabel("learning rate λ"); ax.set_ylabel("Lyapunov exponent (per step)")
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    return fig


def finals(a, outcomes, n_show=600):
    """Left: final (u, w) of the three methods (first n_show runs each), overlaid; right: the histogram
    of log10(|u_T| + |w_T|) of all runs that did not diverge."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.9))
    hyperbola(ax, a, 2.0, color="k", lw=0.8, ls="--", label="minima uw = E[c]")
    for o, (col, mk, size) in zip(outcomes[::-1], STYLES[::-1]):
        f = o.result.final[:n_show]
        f = f[np.all(np.isfinite(f), axis=1)]
        ax.scatter(f[:, 0], f[:, 1], s=size, color=col, marker=mk, alpha=0.7, lw=1 if mk == "x" else 0,
                   label=o.label)
    ax.set_xlim(-1.6, 1.6); ax.set_ylim(-1.6, 1.6); ax.set_aspect("equal")
    ax.set_xlabel("u_T"); ax.set_ylabel("w_T")
    bins = np.linspace(-320, 1, 80)
    for o, (col, _, _), ls in zip(outcomes, STYLES, LINESTYLES):
        f = o.result.final[o.result.ok]
        with np.errstate(divide="ignore"):
            v = np.log10(np.abs(f[:, 0]) + np.abs(f[:, 1]))
        v = np.clip(v, bins[0], bins[-1])
        bx.hist(v, bins=bins, histtype="step", color=col, ls=ls, lw=1.6)
    bx.axvline(np.log10(2e-6), color="grey", ls=":", lw=1)
    bx.text(np.log10(2e-6) - 8, 0.5, "10⁻⁶", color="grey", ha="right", va="bottom", fontsize=10,
            transform=bx.get_xaxis_transform())
    bx.set_yscale("log")
    bx.set_xlabel("log₁₀(|u_T| + |w_T|)"); bx.set_ylabel("runs")
    h, l = ax.get_legend_handles_labels()
    fig.legend(h[::-1], l[::-1], loc="outside lower center", ncol=2, fontsize=10, markerscale=1.5)
    return fig


def phase(a_grid, lr_grid, panels):
    """P(origin) on the (a, lr) plane, one panel per init, with the theory curves and the blow-up
    region (hatched). Colour bar and legend below the panels."""
    fig, axes = plt.subplots(1, len(panels), figsize=(FIG_WIDTH, 4.9), squeeze=False, sharey=True)
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
        ax.plot(lo, aa, "k-", lw=1.6, label="lower edge λ = a/(a−1) (Λ_h = 0)")
        ax.plot(hb, aa, "C1--", lw=1.6, label="balanced upper edge (Λ_h = 0)")
        ax.plot(hg, aa, "C2-.", lw=1.6, label="generic upper edge (Λ_m = 0)")
        ax.axhline(th.GOLDEN_A, color="grey", ls=":", lw=1.2, label="a = −(1+√5)/2")
        ax.set_xlim(ext[0], ext[1]); ax.set_ylim(ext[2], ext[3])
        ax.set_xlabel("learning rate λ")
        ax.set_title(f"{P['init']} starts", fontsize=11)
    axes[0][0].set_ylabel("a   (c ∈ {−1, 1 − a})")
    from matplotlib.patches import Patch
    h, l = axes[0][0].get_legend_handles_labels()
    h.append(Patch(facecolor="none", edgecolor="C3", hatch="xx"))
    l.append("P(diverged) > ½")
    cb = fig.colorbar(im, ax=axes[0].tolist(), location="right", shrink=0.9, pad=0.02)
    cb.set_label(f"P(origin at T = {panels[0]['steps']})")
    fig.legend(h, l, loc="outside lower center", ncol=2, fontsize=10)
    return fig


def batch_figure(a, lr, rows, max_s=64):
    """P(origin) against the batch size, with the exact Lambda_h(S) on a twin axis."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    S = [r["batch"] for r in rows]
    ax.plot(S, [r["frac_origin"] for r in rows], "o-", color="C0", label="P(origin), core")
    ax.plot(S, [r["frac_escaped"] for r in rows], "s--", color="C2", ms=5,
            label="P(escaped: max(|u|, |w|) > 0.01), core")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size S"); ax.set_ylabel("fraction of runs")
    ax.set_ylim(-0.03, 1.03)
    bx = ax.twinx()
    bx.spines["right"].set_visible(True)
    Sg = np.arange(1, max_s + 1)
    bx.plot(Sg, [float(th.lyap_h(a, lr, int(s))) for s in Sg], "C1-.", lw=1.4, label="Λ_h(S), exact (right axis)")
    bx.axhline(float(th.gd_rate_h(a, lr)), color="C1", ls=":", lw=1.2, label="S → ∞: ln(1 + λE[c])")
    bx.axhline(0, color="grey", lw=0.6)
    bx.set_ylabel("Λ_h(S) (per step)", color="C1")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = bx.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncol=2, fontsize=10)
    return fig


def scrub(a, outcomes, snapshot_steps, n_show=400):
    """Kernel-free frame scrubber over the snapshots: the (u, w) clouds of the three methods, overlaid."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.8, 4.6))
    hyperbola(ax, a, 2.0, color="k", lw=0.8, ls="--")
    arts = []
    for o, (col, mk, size) in zip(outcomes, STYLES):
        arts.append(ax.scatter([], [], s=size, color=col, marker=mk, alpha=0.7, lw=1 if mk == "x" else 0,
                               label=o.label))
    ax.set_xlim(-1.6, 1.6); ax.set_ylim(-1.6, 1.6); ax.set_aspect("equal")
    ax.set_xlabel("u"); ax.set_ylabel("w")
    fig.legend(loc="outside right upper", fontsize=10, markerscale=1.5)
    title = ax.set_title("")

    def update(i):
        parts = []
        for sc, o in zip(arts, outcomes):
            s = o.result.snapshots[:n_show, i]
            sc.set_offsets(s[np.all(np.isfinite(s), axis=1)])
            with np.errstate(invalid="ignore"):
                near = np.mean(np.all(np.abs(o.result.snapshots[:, i]) < ex.ORIGIN_TOL, axis=1))
            parts.append(fmt(float(near), 3))
        title.set_text(f"step t = {int(snapshot_steps[i])}; at the origin: " + " / ".join(parts))
        return arts

    return scrubber(fig, update, frames=len(snapshot_steps), interval=400)
