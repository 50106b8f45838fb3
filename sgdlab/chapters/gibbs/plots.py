"""Figures of the long-run chapter (Azizian et al. 2024/2025; Ziyin et al. §5.5). Sized for the book's
column by `sgdlab.chapters._kit.use_book_style`: at most two panels per row, legends off the data,
theory and simulation told apart by line style or marker as well as colour."""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt

from sgdlab.chapters._kit import FIG_WIDTH, fmt, scrubber
from sgdlab.chapters.gibbs import theory as th

# labels of the Himmelblau critical points (as in the authors' figure), by standard coordinates
HIMMELBLAU_LABELS = {(-3.779, -3.283): "K1", (-3.073, -0.081): "K2", (-2.805, 3.131): "K3",
                     (-0.271, -0.923): "K4", (-0.128, -1.954): "K5", (0.087, 2.884): "K6",
                     (3.0, 2.0): "K7", (3.385, 0.074): "K8", (3.584, -1.848): "K9"}
HUMP_LABELS = ["x0", "x1", "x2", "x3", "x4"]
COLORS = {"min": "C0", "saddle": "C1", "max": "C3"}
MARKERS = {"min": "o", "saddle": "X", "max": "^"}


def styled(df):
    """A DataFrame for the page: the kit's number format, no index, padded columns."""
    return (df.style.format(lambda v: v if isinstance(v, str) else fmt(v)).hide(axis="index")
            .set_table_styles([{"selector": "th, td", "props": "padding: 0.2em 0.7em; text-align: right"}]))


def label_of(p):
    for (x, y), name in HIMMELBLAU_LABELS.items():
        if abs(p.x - x) < 2e-3 and abs(p.y - y) < 2e-3:
            return name
    return "?"


def landscape(land, pts, edges=(), labels=None, ax=None, lim=None):
    """Contour map with critical points (blue minima, red saddles, orange maxima) and the
    heteroclinic connections found by the theory (grey segments)."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 5.0))
    (xl, xh), (yl, yh) = lim or land.box
    X, Y = np.meshgrid(np.linspace(xl, xh, 300), np.linspace(yl, yh, 300))
    F = land.f(X, Y)
    lv = np.quantile(F, np.linspace(0, 0.9, 25))
    cs = ax.contourf(X, Y, F, levels=np.unique(lv), cmap="Greys_r", alpha=0.7)
    plt.colorbar(cs, ax=ax, label="f", shrink=0.8)
    for i, j in edges:
        ax.plot([pts[i].x, pts[j].x], [pts[i].y, pts[j].y], color="k", lw=0.6, ls=":")
    seen = set()
    for k, p in enumerate(pts):
        lab = {"min": "minimum", "saddle": "saddle", "max": "maximum"}.get(p.kind, p.kind)
        ax.plot(p.x, p.y, MARKERS.get(p.kind, "o"), color=COLORS.get(p.kind, "k"), ms=8, mec="w",
                label=None if p.kind in seen else lab)
        seen.add(p.kind)
        name = labels[k] if labels else ""
        ax.annotate(name, (p.x, p.y), xytext=(5, 4), textcoords="offset points", fontsize=10, color="k",
                    bbox=dict(fc="w", ec="none", alpha=0.6, pad=0.5))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if fig is not None:
        fig.legend(loc="outside lower center", ncol=3, fontsize=10)
        return fig
    return ax


def heatmaps(run, G):
    """Simulated long-run histogram (left) and the bin-integrated prediction G (right), same colour
    scale, colour bar below."""
    P = run.prob()
    e = run.edges
    fig, axs = plt.subplots(1, 2, figsize=(FIG_WIDTH, 4.1), sharey=True)
    vmax = max(P.max(), G.max())
    for ax, M, name in ((axs[0], P, "SGD histogram"), (axs[1], G, "Gibbs prediction")):
        im = ax.imshow(M.T, origin="lower", extent=(e[0], e[-1], e[0], e[-1]), vmin=0, vmax=vmax,
                       cmap="viridis")
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("x")
    axs[0].set_ylabel("y")
    fig.colorbar(im, ax=axs, location="bottom", shrink=0.7, label="probability per bin")
    return fig


def difference(run, G):
    """Histogram minus prediction, bin by bin (diverging colour scale, ±¼ of the peak probability)."""
    P = run.prob()
    e = run.edges
    vmax = max(P.max(), G.max())
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.75, 4.4))
    im = ax.imshow((P - G).T, origin="lower", extent=(e[0], e[-1], e[0], e[-1]), cmap="RdBu_r",
                   vmin=-vmax / 4, vmax=vmax / 4)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    fig.colorbar(im, ax=ax, label="histogram − prediction (per bin)")
    return fig


def masses(names, m, se, t, title=""):
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.8, 3.8))
    x = np.arange(len(names))
    ax.bar(x - 0.18, t, 0.36, color="grey", label="Gibbs (bin-integrated)")
    ax.bar(x + 0.18, m, 0.36, yerr=2 * np.asarray(se), color="C0", hatch="//", capsize=3, label="SGD (±2 SE)")
    ax.set_xticks(x, names)
    ax.set_ylabel("basin mass")
    fig.legend(loc="outside right upper", fontsize=10)
    return fig


def tv_vs_eta(rows, title=""):
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.85, 3.8))
    eta = [r["eta"] for r in rows]
    ax.plot(eta, [r["tv"] for r in rows], "o-", label="TV(histogram, Gibbs)")
    ax.plot(eta, [r["tv_halves"] for r in rows], "s--", color="grey", label="TV between two halves (noise floor)")
    ax.set_xscale("log")
    ax.set_xlabel("step size η (ησ² fixed)")
    ax.set_ylabel("total variation")
    fig.legend(loc="outside lower center", ncol=1, fontsize=10)
    return fig


def powerlaw_cuts(run, forms, title=""):
    """Marginal in x of the histogram against the candidate laws."""
    e = run.edges
    c = (e[:-1] + e[1:]) / 2
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    marg = run.prob().sum(axis=1)
    ax.step(c, marg, where="mid", color="k", lw=1.5, label="SGD, noise ∝ (f + c)")
    for (name, G), st in zip(forms.items(), ["C0-", "C3--", "C2:"]):
        ax.plot(c, G.sum(axis=1), st, lw=1.3, label=name)
    ax.set_yscale("log")
    pos = marg[marg > 0]
    if pos.size:   # the frozen-noise Gibbs law falls by ~100 decades between the minima: keep the data in view
        ax.set_ylim(0.2 * pos.min(), 3 * pos.max())
    ax.set_xlabel("x")
    ax.set_ylabel("marginal probability per bin")
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    return fig


def hump_boxes(hits, slope, intercept, slope_theory, title=""):
    """Box plots of τ per 1/η (log scale) with the LS line of ln mean τ ('Data') and the theory
    slope through the same centroid ('Theory'), as in the authors' figure."""
    inv = np.array([h.inv_eta for h in hits])
    means = np.array([h.tau.mean() for h in hits])
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.8))
    width = 0.6 * (np.min(np.diff(inv)) if len(inv) > 1 else 50)
    ax.boxplot([np.log10(h.tau + 1) for h in hits], positions=inv, widths=width, showfliers=False,
               manage_ticks=False)
    rng = np.random.default_rng(0)
    for h in hits:
        ax.plot(h.inv_eta + rng.uniform(-width / 3, width / 3, h.tau.size), np.log10(h.tau + 1), ".",
                ms=1.5, alpha=0.3, color="C0")
    ax.plot(inv, np.log10(means), "kD", ms=5, label="mean τ")
    xs = np.linspace(inv.min(), inv.max(), 50)
    ax.plot(xs, (intercept + slope * xs) / np.log(10), "C0:", lw=2, label=f"Data: least-squares slope {slope:.5f}")
    a_th = np.mean(np.log(means)) - slope_theory * inv.mean()
    ax.plot(xs, (a_th + slope_theory * xs) / np.log(10), "C3-", lw=1.5,
            label=f"Theory: slope 2(f(x1) − f(x4))/σ² = {slope_theory:.5f}")
    ax.set_xlabel("1/η")
    ax.set_ylabel("log₁₀ convergence time τ (steps)")
    fig.legend(loc="outside lower center", ncol=1, fontsize=10)
    return fig


def tau_bimodal(h, title=""):
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.85, 3.8))
    lt = np.log10(h.tau + 1)
    bins = np.linspace(lt.min(), lt.max(), 40)
    ax.hist(lt[~h.slow], bins, alpha=0.7, label=f"direct over x1 ({(~h.slow).mean():.0%})")
    ax.hist(lt[h.slow], bins, alpha=0.7, hatch="//", label=f"via x4 first ({h.slow.mean():.0%})")
    ax.set_xlabel("log₁₀ τ (steps)")
    ax.set_ylabel("runs")
    fig.legend(loc="outside right upper", fontsize=10)
    return fig


def no_spurious(rows, hump_inv, hump_eta_mean, title=""):
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.9, 4.2))
    inv = [1 / r["eta"] for r in rows]
    ax.errorbar(inv, [r["eta_mean_tau"] for r in rows], yerr=[2 * r["eta"] * r["se"] for r in rows],
                fmt="o-", label="double well (no spurious minimum)")
    ax.plot(hump_inv, hump_eta_mean, "s-", color="C3", label="three-hump camel (spurious minimum x4)")
    ax.set_yscale("log")
    ax.set_xlabel("1/η")
    ax.set_ylabel("η · mean τ  (continuous time)")
    fig.legend(loc="outside lower center", fontsize=10)
    return fig


def prop6(panels, title=""):
    """panels: list of (name, hist, edges, target bin masses, loss label)."""
    fig, axs = plt.subplots(1, len(panels), figsize=(FIG_WIDTH, 3.9))
    axs = np.atleast_1d(axs)
    for ax, (name, h, e, t) in zip(axs, panels):
        c = (e[:-1] + e[1:]) / 2
        wdt = e[1] - e[0]
        ax.bar(c, h / h.sum() / wdt, wdt, color="C0", alpha=0.6, label="SGD histogram" if ax is axs[0] else None)
        ax.plot(c, t / wdt, "k-", lw=1.5, label="target p(w)" if ax is axs[0] else None)
        ax.plot(c, 0.5 * c ** 2 / 8, "C3:", lw=1.2, label="loss w²/2 (÷ 8)" if ax is axs[0] else None)
        ax.set_ylim(0, 1.3 * max((h / h.sum() / wdt).max(), (t / wdt).max()))
        ax.set_xlabel("w")
        ax.set_ylabel("density")
        ax.set_title(name, fontsize=11)
    fig.legend(loc="outside lower center", ncol=3, fontsize=10)
    return fig


def evolution_animation(res, G, edges):
    """Kernel-free scrubber: 2-D histogram of the particles at each snapshot, prediction contours."""
    c = (edges[:-1] + edges[1:]) / 2
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.75, 5.0))
    snaps = res.snapshots
    n = snaps.shape[0]

    def update(i):
        ax.clear()
        pts = snaps[:, i, :]
        ok = np.all(np.isfinite(pts), axis=1)
        H, _, _ = np.histogram2d(pts[ok, 0], pts[ok, 1], bins=[edges, edges])
        ax.imshow(H.T / n, origin="lower", extent=(edges[0], edges[-1], edges[0], edges[-1]),
                  cmap="viridis", vmin=0, vmax=max(G.max() * 3, 1.0 / n))
        ax.contour(c, c, G.T, levels=np.quantile(G[G > 0], [0.5, 0.8, 0.95]), colors="w", linewidths=0.7)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"step {res.snapshot_steps[i]:,} ({n} particles)", fontsize=11)
    return scrubber(fig, update, frames=len(res.snapshot_steps), interval=400)
