"""Figures of the sharp-minima chapter: landscape, Fig. 3 heat maps, the proof's exponent, the lr sweep."""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm

from sgdlab.chapters.sharp_minima import theory as th

MARK = {"maximum": ("^", "tab:red"), "minimum": ("o", "k"), "saddle": ("x", "tab:purple")}


def _contours(ax, a, n=201, levels=24, filled=False):
    g = np.linspace(-1, 1, n)
    W1, W2 = np.meshgrid(g, g)
    Z = th.expected_loss(W1, W2, a)
    if filled:
        cs = ax.contourf(W1, W2, Z, levels=levels, cmap="viridis")
    else:
        cs = ax.contour(W1, W2, Z, levels=levels, colors="0.55", linewidths=0.6)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$w_1$")
    ax.set_ylabel(r"$w_2$")
    return cs


def _minima(ax, a, legend=False, counts=None):
    """Open markers at the minima, drawn *behind* the histogram and larger than a bin, so the runs that sit
    exactly at a minimum stay visible inside the marker; `counts` (flat, sharp) labels each minimum with
    the number of runs within TOL of it."""
    m = th.minima(a)
    ax.plot(m["flat"][:, 0], m["flat"][:, 1], "s", mfc="none", mec="tab:orange", ms=15, mew=1.2, zorder=1,
            label=f"flat minima (trace {th.sharpness(a)['flat']:g})")
    ax.plot(m["sharp"][:, 0], m["sharp"][:, 1], "D", mfc="none", mec="tab:red", ms=15, mew=1.2, zorder=1,
            label=f"sharp minima (trace {th.sharpness(a)['sharp']:g})")
    if counts is not None:
        for kind, pts in m.items():
            for p, c in zip(pts, counts[kind]):
                ha = "left" if kind == "sharp" else "center"
                dx, dy = (0.09, 0.0) if kind == "sharp" else (0.0, 0.12)
                ax.annotate(f"{c}", (p[0] + dx, p[1] + dy), ha=ha, va="center", fontsize=10,
                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85), zorder=5)


def _counts(pts, a):
    """Runs within TOL of each minimum: {'flat': [n(+), n(-)], 'sharp': [n(+), n(-)]}."""
    from sgdlab.chapters.sharp_minima.experiments import TOL
    pts = np.asarray(pts, float)
    out = {}
    for kind, ms in th.minima(a).items():
        out[kind] = [int(np.sum(np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1]) <= TOL)) for p in ms]
    return out


def landscape(a):
    """Filled contours of E L over the box with the nine critical points, classified."""
    fig, ax = plt.subplots(figsize=(6.7, 6.4), layout="constrained")
    cs = _contours(ax, a, filled=True, levels=30)
    fig.colorbar(cs, ax=ax, label=r"$\mathbb{E}\,\hat L(w)$", shrink=0.8)
    seen = set()
    for c in th.critical_points(a):
        mk, col = MARK[c["kind"]]
        lab = None
        if c["name"] not in seen:
            lab = {"origin": "maximum", "flat": "flat minima", "sharp": "sharp minima",
                   "saddle": "saddles"}[c["name"]] + f", loss {c['loss']:.4g}"
            seen.add(c["name"])
        ax.plot(*c["w"], mk, color="w" if c["name"] == "flat" else col, mec="k", ms=9, label=lab)
    fig.legend(loc="outside lower center", ncol=2)
    return fig


def _heat(ax, pts, a, bins=60, vmax=None, levels=24, counts=False):
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    H, xe, ye = np.histogram2d(pts[:, 0], pts[:, 1], bins=bins, range=[[-1, 1], [-1, 1]])
    H = np.ma.masked_equal(H.T, 0)
    im = ax.pcolormesh(xe, ye, H, cmap="inferno_r", norm=LogNorm(vmin=1, vmax=vmax or max(2, H.max())), zorder=2)
    _contours(ax, a, levels=levels)
    _minima(ax, a, counts=_counts(pts, a) if counts else None)
    return im


def heat_pair(pair, panels, counts=True):
    """One row of two heat maps: `panels` = [(which, step), (which, step)] with which in {'SGD', 'GD'}.
    2-D histogram of the runs (log colour scale, runs per 1/30 x 1/30 bin) over the contours of E L;
    the number next to each minimum counts the runs within TOL of it."""
    P = pair.params
    ss = list(pair.sgd.snapshot_steps)
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.9), sharey=True, layout="constrained")
    for ax, (which, s) in zip(axes, panels):
        res = pair.sgd if which == "SGD" else pair.gd
        im = _heat(ax, res.snapshots[:, ss.index(s)], P["a"], vmax=P["n_runs"], counts=counts)
        ax.set_title(f"{which}, step {s}")
    axes[1].set_ylabel("")
    fig.colorbar(im, ax=axes, shrink=0.75, label="runs per bin")
    h, l = axes[0].get_legend_handles_labels()
    fig.legend(h, l, loc="outside lower center", ncol=2)
    return fig


def fig3(pair, steps_show=None):
    """Fig. 3 as two figures of two panels each: (start, SGD at step 2) and (SGD, GD at the last step)."""
    P = pair.params
    early = [("SGD", 0), ("SGD", 2)] if 2 in list(pair.sgd.snapshot_steps) else [("SGD", 0), ("GD", 0)]
    return (heat_pair(pair, early, counts=False),
            heat_pair(pair, [("SGD", P["steps"]), ("GD", P["steps"])]))


def proof_exponent(lr_bound, lr_max=0.25):
    """E ln r_t of the proof against lr (b = 1/lr - 6): corrected (Eq. 91) and as printed (Eq. 92)."""
    lrs = np.linspace(0.002, lr_max, 800)
    mu = np.array([th.proof_mu(x) for x in lrs])
    mu_p = np.array([th.proof_mu_printed(x) for x in lrs])
    fig, ax = plt.subplots(figsize=(6.7, 4.6), layout="constrained")
    ax.plot(lrs, mu, "-", color="C0", label=r"corrected: $\frac{1}{2}\ln[16\lambda\max(|1-2\lambda|,|1-10\lambda|)]$")
    ax.plot(lrs, mu_p, "--", color="C1", label=r"Eq. 92 as printed: $\frac{1}{2}\ln[8\lambda\max(\cdot)]$")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(lr_bound, color="C0", ls=":", label=rf"corrected bound $(2-\sqrt{{2}})/8={lr_bound:.4f}$")
    ax.axvline(th.LR_BOUND_PAPER, color="C1", ls="-.",
               label=rf"Eq. 93: $(1+\sqrt{{6}})/20={th.LR_BOUND_PAPER:.4f}$")
    ax.axvspan(1 / 6, lr_max, color="0.9", label=r"$b=1/\lambda-6\leq0$")
    ax.set_xlabel(r"learning rate $\lambda$")
    ax.set_ylabel(r"$\mathbb{E}\ln r_t$ (per step)")
    ax.set_ylim(-1.5, 0.8)
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    return fig


def _vlines(ax, lr_bound, lr_c, lr_mark):
    ax.axvline(lr_bound, color="C0", ls=":", label=rf"proof's guarantee $\lambda<{lr_bound:.4f}$")
    if lr_c is not None and np.isfinite(lr_c):
        ax.axvline(lr_c, color="C3", ls="-.", label=rf"$\Lambda_\perp=0$ at $\lambda\approx{lr_c:.4f}$")
    if lr_mark is not None:
        ax.axvline(lr_mark, color="0.4", lw=0.8, label=rf"chapter's $\lambda={lr_mark:g}$")


def sweep(sw, trans, lr_bound, lr_c=None, lr_mark=None):
    """Two figures: (1) fraction of runs at sharp / flat minima and still near w2 = 0 at the last step,
    against lr; (2) the transverse exponent of the line w2 = 0 (+-4.5 SE) and the proof's exponent."""
    lr = sw["lr"]
    f1, ax = plt.subplots(figsize=(6.7, 4.4), layout="constrained")
    ax.plot(lr, sw["sharp"], "o-", color="C1", label="at a sharp minimum")
    ax.plot(lr, sw["flat"], "s--", color="C2", label="at a flat minimum")
    ax.plot(lr, sw["w2_small"], "^:", color="C3", label=r"trapped near $w_2=0$ ($|w_2|<10^{-6}$)")
    ax.set_ylabel(f"fraction of {sw['n_runs']} runs\nat step {sw['steps']}")
    ax.set_xlabel(r"learning rate $\lambda$ (with $b=1/\lambda-6$)")
    ax.set_ylim(-0.03, 1.03)
    _vlines(ax, lr_bound, lr_c, lr_mark)
    f1.legend(loc="outside lower center", ncol=2, fontsize=10)
    f2, bx = plt.subplots(figsize=(6.7, 4.4), layout="constrained")
    bx.errorbar(trans["lr"], trans["lam"], yerr=4.5 * trans["se"], fmt="o-", ms=3, capsize=2, color="C3",
                label=r"$\Lambda_\perp$ (core, $\pm4.5$ SE)")
    mu = [th.proof_mu(x) for x in lr]
    bx.plot(lr, mu, "--", color="C0", label=r"proof's $\mathbb{E}\ln r_t$ (corrected)")
    bx.axhline(0, color="k", lw=0.8)
    bx.set_ylabel("exponent per step")
    bx.set_xlabel(r"learning rate $\lambda$ (with $b=1/\lambda-6$)")
    _vlines(bx, lr_bound, lr_c, lr_mark)
    f2.legend(loc="outside lower center", ncol=2, fontsize=10)
    return f1, f2


def scrubber_frames(pair, max_frames=16):
    """(fig, update, n_frames) for the kit's `scrubber`: SGD and GD heat maps at up to `max_frames` of the
    recorded steps (always the first, step 2 if recorded, and the last), kept light for the web page."""
    P = pair.params
    steps = list(pair.sgd.snapshot_steps)
    idx = np.unique(np.round(np.linspace(0, len(steps) - 1, min(max_frames, len(steps)))).astype(int))
    idx = sorted(set(idx.tolist()) | ({steps.index(2)} if 2 in steps else set()))
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.4), dpi=80, layout="constrained")

    def draw(k):
        j = idx[k]
        for ax, (res, name) in zip(axes, [(pair.sgd, "SGD"), (pair.gd, "GD")]):
            ax.clear()
            _heat(ax, res.snapshots[:, j], P["a"], bins=40, vmax=P["n_runs"], levels=12)
            ax.set_title(f"{name}, step {steps[j]}")

    return fig, draw, len(idx)
