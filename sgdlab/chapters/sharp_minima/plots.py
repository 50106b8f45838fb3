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


def _minima(ax, a, legend=False):
    m = th.minima(a)
    ax.plot(m["flat"][:, 0], m["flat"][:, 1], "s", mfc="none", mec="tab:orange", ms=9, mew=1.8,
            label=f"flat minima (trace {th.sharpness(a)['flat']:g})")
    ax.plot(m["sharp"][:, 0], m["sharp"][:, 1], "D", mfc="none", mec="tab:red", ms=9, mew=1.8,
            label=f"sharp minima (trace {th.sharpness(a)['sharp']:g})")


def landscape(a):
    """Filled contours of E L over the box with the nine critical points, classified."""
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    cs = _contours(ax, a, filled=True, levels=30)
    fig.colorbar(cs, ax=ax, label=r"$\mathbb{E}\,\hat L(w)$")
    seen = set()
    for c in th.critical_points(a):
        mk, col = MARK[c["kind"]]
        lab = None
        if c["name"] not in seen:
            lab = f"{c['name']} ({c['kind']}), loss {c['loss']:.4f}"
            seen.add(c["name"])
        ax.plot(*c["w"], mk, color="w" if c["name"] == "flat" else col, mec="k", ms=9, label=lab)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    ax.set_title(rf"Expected loss of Eq. 10, $a={a:g}$ (box $|w_i|\leq 1$)")
    fig.tight_layout()
    return fig


def _heat(ax, pts, a, bins=60, vmax=None, levels=24):
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    H, xe, ye = np.histogram2d(pts[:, 0], pts[:, 1], bins=bins, range=[[-1, 1], [-1, 1]])
    H = np.ma.masked_equal(H.T, 0)
    im = ax.pcolormesh(xe, ye, H, cmap="inferno_r", norm=LogNorm(vmin=1, vmax=vmax or max(2, H.max())))
    _contours(ax, a, levels=levels)
    _minima(ax, a)
    return im


def fig3(pair, steps_show=None):
    """Fig. 3: the 2-D distribution of the runs (heat map, log colour scale, counts per bin) over the
    contours of E L at three steps, SGD (top) and GD from the same start (bottom)."""
    P = pair.params
    ss = list(pair.sgd.snapshot_steps)
    if steps_show is None:
        steps_show = [0, 2, P["steps"]]
    fig, axes = plt.subplots(2, len(steps_show), figsize=(3.9 * len(steps_show) + 1.2, 8.0), layout="constrained")
    for row, (res, name) in enumerate([(pair.sgd, "SGD"), (pair.gd, "GD")]):
        for col, s in enumerate(steps_show):
            ax = axes[row, col]
            im = _heat(ax, res.snapshots[:, ss.index(s)], P["a"], vmax=P["n_runs"])
            ax.set_title(f"{name}, step {s}")
    axes[0, 0].legend(loc="lower left", fontsize=7, framealpha=0.9)
    fig.colorbar(im, ax=axes, shrink=0.5, label="runs per bin (of %d)" % P["n_runs"])
    fig.suptitle(rf"$a={P['a']:g}$, $\lambda={P['lr']:g}$, $b={P['b']:.4g}$, {P['n_runs']} runs, "
                 r"$x=\pm1$; SGD (top) and GD (bottom) from the same initial points")
    return fig


def proof_exponent(lr_bound, lr_max=0.25):
    """E ln r_t of the proof against lr (b = 1/lr - 6): corrected (Eq. 91) and as printed (Eq. 92)."""
    lrs = np.linspace(0.002, lr_max, 800)
    mu = np.array([th.proof_mu(x) for x in lrs])
    mu_p = np.array([th.proof_mu_printed(x) for x in lrs])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(lrs, mu, label=r"corrected: $\frac{1}{2}\ln[16\lambda\max(|1-2\lambda|,|1-10\lambda|)]$")
    ax.plot(lrs, mu_p, "--", label=r"Eq. 92 as printed: $\frac{1}{2}\ln[8\lambda\max(\cdot)]$")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(lr_bound, color="tab:blue", ls=":", label=rf"corrected bound $(2-\sqrt{{2}})/8={lr_bound:.4f}$")
    ax.axvline(th.LR_BOUND_PAPER, color="tab:orange", ls=":",
               label=rf"Eq. 93: $(1+\sqrt{{6}})/20={th.LR_BOUND_PAPER:.4f}$")
    ax.axvspan(1 / 6, lr_max, color="0.9", label=r"$b=1/\lambda-6\leq0$")
    ax.set_xlabel(r"learning rate $\lambda$")
    ax.set_ylabel(r"$\mathbb{E}\ln r_t$ (per step)")
    ax.set_ylim(-1.5, 0.8)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(r"The proof's bound on the growth rate of $|w_1|$ (negative: $w_1\to0$ guaranteed)")
    fig.tight_layout()
    return fig


def sweep(sw, trans, lr_bound, lr_c=None, lr_mark=None):
    """Top: fraction of runs at sharp / flat minima and still near w2 = 0 at the last step, against lr.
    Bottom: the transverse exponent of the line w2 = 0 (+-4.5 SE) and the proof's exponent."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    lr = sw["lr"]
    ax.plot(lr, sw["sharp"], "o-", color="tab:red", label="at a sharp minimum")
    ax.plot(lr, sw["flat"], "s-", color="tab:orange", label="at a flat minimum")
    ax.plot(lr, sw["w2_small"], "^:", color="tab:purple", label=r"trapped near $w_2=0$ ($|w_2|<10^{-6}$)")
    ax.set_ylabel(f"fraction of {sw['n_runs']} runs\nat step {sw['steps']}")
    ax.set_ylim(-0.03, 1.03)
    bx.errorbar(trans["lr"], trans["lam"], yerr=4.5 * trans["se"], fmt="o-", ms=3, capsize=2,
                label=r"$\Lambda_\perp=\mathbb{E}_\pi\ln|1+\lambda(2+2a)-12\lambda w_1^2|$ (core, $\pm4.5$ SE)")
    mu = [th.proof_mu(x) for x in lr]
    bx.plot(lr, mu, "--", color="tab:blue", label=r"proof's $\mathbb{E}\ln r_t$ (corrected)")
    bx.axhline(0, color="k", lw=0.8)
    bx.set_ylabel("exponent per step")
    bx.set_xlabel(r"learning rate $\lambda$ (with $b=1/\lambda-6$)")
    for axx in (ax, bx):
        axx.axvline(lr_bound, color="tab:blue", ls=":", label=rf"proof's guarantee $\lambda\leq{lr_bound:.4f}$")
        if lr_c is not None and np.isfinite(lr_c):
            axx.axvline(lr_c, color="tab:purple", ls="-.", label=rf"$\Lambda_\perp=0$ at $\lambda\approx{lr_c:.4f}$")
        if lr_mark is not None:
            axx.axvline(lr_mark, color="0.4", lw=0.8, label=rf"chapter's $\lambda={lr_mark:g}$")
    ax.legend(fontsize=8, loc="center right")
    bx.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def scrubber_frames(pair, max_frames=16):
    """(fig, update, n_frames) for `sgdlab.book.scrubber`: SGD and GD heat maps at up to `max_frames` of the
    recorded steps (always the first, step 2 if recorded, and the last), kept small for the web page."""
    P = pair.params
    steps = list(pair.sgd.snapshot_steps)
    idx = np.unique(np.round(np.linspace(0, len(steps) - 1, min(max_frames, len(steps)))).astype(int))
    idx = sorted(set(idx.tolist()) | ({steps.index(2)} if 2 in steps else set()))
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.8), dpi=60)

    def draw(k):
        j = idx[k]
        for ax, (res, name) in zip(axes, [(pair.sgd, "SGD"), (pair.gd, "GD")]):
            ax.clear()
            _heat(ax, res.snapshots[:, j], P["a"], bins=40, vmax=P["n_runs"], levels=12)
            ax.set_title(f"{name}, step {steps[j]}")
        fig.tight_layout()

    return fig, draw, len(idx)
