"""Figures of the long-run chapter (Azizian et al. 2024/2025; Ziyin et al. §5.5)."""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt

from sgdlab.chapters.gibbs import theory as th

# poster labels of the Himmelblau critical points (ICML-24 poster), by standard coordinates
HIMMELBLAU_LABELS = {(-3.779, -3.283): "K1", (-3.073, -0.081): "K2", (-2.805, 3.131): "K3",
                     (-0.271, -0.923): "K4", (-0.128, -1.954): "K5", (0.087, 2.884): "K6",
                     (3.0, 2.0): "K7", (3.385, 0.074): "K8", (3.584, -1.848): "K9"}
HUMP_LABELS = ["x0", "x1", "x2", "x3", "x4"]
COLORS = {"min": "C0", "saddle": "C3", "max": "C1"}


def label_of(p):
    for (x, y), name in HIMMELBLAU_LABELS.items():
        if abs(p.x - x) < 2e-3 and abs(p.y - y) < 2e-3:
            return name
    return "?"


def landscape(land, pts, edges=(), labels=None, ax=None, lim=None):
    """Contour map with critical points (blue minima, red saddles, orange maxima) and the
    heteroclinic connections found by the theory (grey segments)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.6))
    (xl, xh), (yl, yh) = lim or land.box
    X, Y = np.meshgrid(np.linspace(xl, xh, 300), np.linspace(yl, yh, 300))
    F = land.f(X, Y)
    lv = np.quantile(F, np.linspace(0, 0.9, 25))
    cs = ax.contourf(X, Y, F, levels=np.unique(lv), cmap="Greys_r", alpha=0.7)
    plt.colorbar(cs, ax=ax, label="f")
    for i, j in edges:
        ax.plot([pts[i].x, pts[j].x], [pts[i].y, pts[j].y], color="k", lw=0.6, ls=":")
    for k, p in enumerate(pts):
        ax.plot(p.x, p.y, "o", color=COLORS.get(p.kind, "k"), ms=7, mec="w")
        name = labels[k] if labels else ""
        ax.annotate(f"{name}\nf={p.f:.2f}", (p.x, p.y), xytext=(4, 4), textcoords="offset points",
                    fontsize=7, color="k")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{land.name}: minima (blue), saddles (red), maxima (orange)", fontsize=9)
    return ax


def heatmaps(run, G, title=""):
    """Simulated long-run histogram and the bin-integrated prediction G, same colour scale."""
    P = run.prob()
    e = run.edges
    fig, axs = plt.subplots(1, 3, figsize=(13, 4))
    vmax = max(P.max(), G.max())
    for ax, M, name in ((axs[0], P, "SGD long-run histogram"), (axs[1], G, "prediction (bin-integrated)")):
        im = ax.imshow(M.T, origin="lower", extent=(e[0], e[-1], e[0], e[-1]), vmin=0, vmax=vmax,
                       cmap="viridis")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    plt.colorbar(im, ax=axs[:2], label="probability per bin")
    im = axs[2].imshow((P - G).T, origin="lower", extent=(e[0], e[-1], e[0], e[-1]), cmap="RdBu_r",
                       vmin=-vmax / 4, vmax=vmax / 4)
    axs[2].set_title("difference (histogram − prediction)", fontsize=9)
    axs[2].set_xlabel("x")
    plt.colorbar(im, ax=axs[2], label="probability per bin")
    fig.suptitle(title, fontsize=10)
    return fig


def surface3d(run, G, title=""):
    """3-D view: simulated density (surface) with the prediction as a black wireframe."""
    e = run.edges
    c = (e[:-1] + e[1:]) / 2
    X, Y = np.meshgrid(c, c, indexing="ij")
    area = (e[1] - e[0]) ** 2
    fig = plt.figure(figsize=(7, 5.5))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(X, Y, run.prob() / area, cmap="Blues", alpha=0.75, linewidth=0)
    ax.plot_wireframe(X, Y, G / area, rstride=3, cstride=3, color="k", lw=0.4)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("density")
    ax.set_title(title, fontsize=9)
    return fig


def masses(names, m, se, t, title=""):
    fig, ax = plt.subplots(figsize=(6, 3.6))
    x = np.arange(len(names))
    ax.bar(x - 0.18, t, 0.36, color="grey", label="Gibbs (bin-integrated)")
    ax.bar(x + 0.18, m, 0.36, yerr=2 * np.asarray(se), color="C0", capsize=3, label="SGD (±2 SE)")
    ax.set_xticks(x, names)
    ax.set_ylabel("basin mass")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def tv_vs_eta(rows, title=""):
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    eta = [r["eta"] for r in rows]
    ax.plot(eta, [r["tv"] for r in rows], "o-", label="TV(histogram, Gibbs)")
    ax.plot(eta, [r["tv_halves"] for r in rows], "s--", color="grey", label="TV between two halves (noise floor)")
    ax.set_xscale("log")
    ax.set_xlabel("step size η (ησ² fixed)")
    ax.set_ylabel("total variation")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def powerlaw_cuts(run, forms, title=""):
    """Marginal in x of the histogram against the candidate laws."""
    e = run.edges
    c = (e[:-1] + e[1:]) / 2
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.step(c, run.prob().sum(axis=1), where="mid", color="k", lw=1.5, label="SGD, noise ∝ (f + c)")
    for (name, G), st in zip(forms.items(), ["C0-", "C3--", "C2:"]):
        ax.plot(c, G.sum(axis=1), st, lw=1.3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("x")
    ax.set_ylabel("marginal probability per bin")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def hump_boxes(hits, slope, intercept, slope_theory, title=""):
    """Box plots of τ per 1/η (log scale) with the LS line of ln mean τ ('Data') and the theory
    slope through the same centroid ('Theory'), as in the ICML-25 poster."""
    inv = np.array([h.inv_eta for h in hits])
    means = np.array([h.tau.mean() for h in hits])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.6 * (np.min(np.diff(inv)) if len(inv) > 1 else 50)
    ax.boxplot([np.log10(h.tau + 1) for h in hits], positions=inv, widths=width, showfliers=False,
               manage_ticks=False)
    rng = np.random.default_rng(0)
    for h in hits:
        ax.plot(h.inv_eta + rng.uniform(-width / 3, width / 3, h.tau.size), np.log10(h.tau + 1), ".",
                ms=1.5, alpha=0.3, color="C0")
    ax.plot(inv, np.log10(means), "kD", ms=5, label="mean τ")
    xs = np.linspace(inv.min(), inv.max(), 50)
    ax.plot(xs, (intercept + slope * xs) / np.log(10), "C0:", lw=2, label=f"Data: LS slope {slope:.5f}")
    a_th = np.mean(np.log(means)) - slope_theory * inv.mean()
    ax.plot(xs, (a_th + slope_theory * xs) / np.log(10), "C3-", lw=1.5,
            label=f"Theory: slope 2(f(x1) − f(x4))/σ² = {slope_theory:.5f}")
    ax.set_xlabel("1/η")
    ax.set_ylabel("log10 convergence time τ (steps)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def tau_bimodal(h, title=""):
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    lt = np.log10(h.tau + 1)
    bins = np.linspace(lt.min(), lt.max(), 40)
    ax.hist(lt[~h.slow], bins, alpha=0.7, label=f"direct over x1 ({(~h.slow).mean():.0%})")
    ax.hist(lt[h.slow], bins, alpha=0.7, label=f"via x4 first ({h.slow.mean():.0%})")
    ax.set_xlabel("log10 τ (steps)")
    ax.set_ylabel("runs")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def no_spurious(rows, hump_inv, hump_eta_mean, title=""):
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    inv = [1 / r["eta"] for r in rows]
    ax.errorbar(inv, [r["eta_mean_tau"] for r in rows], yerr=[2 * r["eta"] * r["se"] for r in rows],
                fmt="o-", label="double well (no spurious minimum)")
    ax.plot(hump_inv, hump_eta_mean, "s-", color="C3", label="three-hump camel (spurious minimum x4)")
    ax.set_yscale("log")
    ax.set_xlabel("1/η")
    ax.set_ylabel("η · mean τ  (continuous time)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def prop6(panels, title=""):
    """panels: list of (name, hist, edges, target bin masses, loss label)."""
    fig, axs = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8))
    axs = np.atleast_1d(axs)
    for ax, (name, h, e, t) in zip(axs, panels):
        c = (e[:-1] + e[1:]) / 2
        wdt = e[1] - e[0]
        ax.bar(c, h / h.sum() / wdt, wdt, color="C0", alpha=0.6, label="SGD histogram")
        ax.plot(c, t / wdt, "k-", lw=1.5, label="target p(w)")
        ax.plot(c, np.exp(-c ** 2 / 2) / np.sqrt(2 * np.pi) * 0 + 0.5 * c ** 2 / 8, "C3:", lw=1,
                label="loss w²/2 (÷8)")
        ax.set_ylim(0, 1.3 * max((h / h.sum() / wdt).max(), (t / wdt).max()))
        ax.set_xlabel("w")
        ax.set_ylabel("density")
        ax.set_title(f"{name}: TV = {th.tv_distance(h, t):.3f}", fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def evolution_animation(res, G, edges):
    """Kernel-free scrubber: 2-D histogram of the particles at each snapshot, prediction contours."""
    from sgdlab.book import scrubber
    c = (edges[:-1] + edges[1:]) / 2
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
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
        ax.set_title(f"step {res.snapshot_steps[i]:,} ({n} particles); white: Gibbs contours", fontsize=9)
    return scrubber(fig, update, frames=len(res.snapshot_steps), interval=400)
