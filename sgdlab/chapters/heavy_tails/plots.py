"""Figures of the heavy-tailed chapter (P1 Fig. 1): landscape, exit times, histograms, trajectories."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters.heavy_tails import theory as th

COLORS = {"0.28": "tab:orange", "0.5": "tab:blue", "inf": "tab:gray"}
# P1 Fig. 1 right, dot values read off the plot (spec 2.2); the b = 0.28 value at 1e-3 hit the cap.
PAPER_DOTS = {"inf": {0.1: 1.3e2, 0.01: 2.3e3, 0.001: 3.7e4, 1e-4: 6e5},
              "0.5": {0.1: 9e2, 0.01: 2.8e4, 0.001: 8e5, 1e-4: 1.8e7},
              "0.28": {0.1: 2.3e4, 0.01: 8e5}}
FIELD_NAMES = ["Ω1 (sharp)", "Ω2 (wide)", "Ω3 (sharp)", "Ω4 (wide)"]


def _label_b(key):
    return "no truncation" if key == "inf" else f"b = {key}"


def landscape(cp, bs=(0.5, 0.28), ax=None):
    """f with its minima, saddles, fields and the jump counts l*_i for each b."""
    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    x = np.linspace(-th.L_PROJ, th.L_PROJ, 2000)
    ax.plot(x, th.f(x), "k-", lw=1.5, label="f(x) (P1 Fig. 1, as printed)")
    for k, s in enumerate(cp["s"]):
        ax.axvline(s, color="grey", ls=":", lw=1, label="saddles s1, s2, s3" if k == 0 else None)
    m = cp["m"]
    ax.plot(m, th.f(m), "rv", ms=8, label="minima (numerical roots of f')")
    for i, (mi, pm) in enumerate(zip(m, th.PAPER_CRITICAL_POINTS["m"])):
        txt = [f"m{i + 1} = {mi:.3f}", f"f'' = {cp['f2_m'][i]:.3g}"]
        for b in bs:
            ls, _ = th.jump_counts(m, cp["s"], b)
            txt.append(f"l*(b={b:g}) = {ls[i]}")
        ax.annotate("\n".join(txt), (mi, th.f(mi)), xytext=(8 if i == 0 else 0, -50), textcoords="offset points",
                    ha="left" if i == 0 else "center", va="top", fontsize=7.5)
    ax.plot(th.PAPER_CRITICAL_POINTS["m"][1], th.f(th.PAPER_CRITICAL_POINTS["m"][1]), "bx", ms=8,
            label="m2 = −0.66 as stated in P1")
    ax.set_ylim(-1.35, 0.35)
    ax.set_xlim(-th.L_PROJ, th.L_PROJ)
    ax.set_xlabel("x (projection onto [−1.6, 1.6])")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=7.5, loc="upper center", ncol=2)
    return ax


def exit_times(curves, alpha, ax=None):
    """Mean first exit step from Ω2 vs η (log-log, η decreasing to the right), fitted slopes,
    theoretical slopes and the prefactor prediction 1/(q λ(η))."""
    ax = ax or plt.subplots(figsize=(7.5, 5))[1]
    for c in curves:
        col = COLORS.get(c.key, "C3")
        full = c.censored == 0
        ax.errorbar(c.etas[full], c.mean[full], yerr=2 * c.se[full], fmt="o", color=col, ms=6, capsize=2,
                    label=f"{_label_b(c.key)}: sim ({c.n_runs} runs, ±2 SE), fitted slope "
                          f"{c.slope:.2f} ± {c.slope_se:.2f}; theory {th.slope_theory(c.l_star, alpha):.2f}")
        if (~full).any():
            ax.plot(c.etas[~full], c.mean[~full], "o", mfc="none", mec=col, ms=7,
                    label=f"{_label_b(c.key)}: some runs hit the cap (lower bound)")
        e = np.geomspace(c.etas.min(), c.etas.max(), 50)
        if np.isfinite(c.slope):
            ax.plot(e, np.exp(c.intercept) * e ** -c.slope, "-", color=col, lw=0.8, alpha=0.7)
        if np.isfinite(c.prediction).all():
            pred = th.exit_time_prediction(e, 1, c.b, alpha)
            ax.plot(e, pred, "--", color=col, lw=1.3, label=f"{_label_b(c.key)}: 1/(q₂ λ₂(η)), q₂ = "
                    f"{-th.q_matrix(th.critical_points()['m'], th.critical_points()['s'], c.b, alpha)[1, 1]:.3f}")
        paper = PAPER_DOTS.get(c.key, {})
        if paper:
            ax.plot(list(paper), list(paper.values()), "x", color=col, ms=7, mew=1.5)
    ax.plot([], [], "kx", label="P1 Fig. 1 dots (read off the plot, 20 runs each)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("learning rate η (decreasing →)")
    ax.set_ylabel("mean first exit time from Ω2 (steps)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax.grid(True, which="both", alpha=0.25)
    return ax


def exit_law(curves, alpha, ax=None):
    """Empirical CDF of q λ(η) σ at the smallest η against Exp(1) (exit theorem)."""
    ax = ax or plt.subplots(figsize=(5.5, 4))[1]
    t = np.linspace(0, 5, 200)
    ax.plot(t, 1 - np.exp(-t), "k-", lw=2, label="Exp(1)")
    for c in curves:
        if not np.isfinite(c.prediction).all():
            continue
        k = int(np.argmin(c.etas))
        z = np.sort(c.times[k] / c.mean[k])
        ax.step(z, np.arange(1, len(z) + 1) / len(z), where="post", color=COLORS.get(c.key, "C3"),
                label=f"{_label_b(c.key)}, η = {c.etas[k]:g}: σ / mean σ")
    ax.set_xlim(0, 5)
    ax.set_xlabel("exit time / its mean")
    ax.set_ylabel("empirical CDF")
    ax.legend(fontsize=8)
    return ax


def histograms(runs, cp):
    """P1 Fig. 1 left: density of visited locations, one row per scenario, f in the last row."""
    fig, axes = plt.subplots(len(runs) + 1, 1, figsize=(7.5, 1.6 * (len(runs) + 1)), sharex=True)
    for ax, run in zip(axes, runs):
        e = run.hist_edges
        dens = run.hist / max(run.hist.sum(), 1) / np.diff(e)
        ax.bar(e[:-1], dens, width=np.diff(e), align="edge", color="C0")
        ax.set_yscale("log")
        ax.set_ylim(1e-4, max(dens.max() * 3, 1))
        ax.set_ylabel("density", fontsize=8)
        ax.set_title(f"{run.label}: sharp fraction {run.sharp_fraction:.3f}", fontsize=9)
        for mi in cp["m"]:
            ax.axvline(mi, color="k", ls="--", lw=0.6)
    x = np.linspace(-th.L_PROJ, th.L_PROJ, 800)
    axes[-1].plot(x, th.f(x), "k-")
    for mi in cp["m"]:
        axes[-1].axvline(mi, color="k", ls="--", lw=0.6)
    axes[-1].set_ylabel("f(x)", fontsize=8)
    axes[-1].set_xlabel("x")
    fig.tight_layout()
    return fig


def trajectories(runs, cp):
    """P1 Fig. 1 middle: one (thinned) path per scenario, X_n against n."""
    fig, axes = plt.subplots(len(runs), 1, figsize=(7.5, 1.5 * len(runs)), sharex=True)
    for ax, run in zip(np.atleast_1d(axes), runs):
        ax.plot(run.traj_steps, run.trajectories[0], lw=0.5, color="C0")
        for mi in cp["m"]:
            ax.axhline(mi, color="k", ls="--", lw=0.5)
        for s in cp["s"]:
            ax.axhline(s, color="grey", ls=":", lw=0.5)
        ax.set_ylim(-th.L_PROJ, th.L_PROJ)
        ax.set_ylabel("X_n", fontsize=8)
        ax.set_title(f"{run.label} (every {int(run.traj_steps[1])}th step)", fontsize=9)
    np.atleast_1d(axes)[-1].set_xlabel("step n")
    fig.tight_layout()
    return fig


def occupancy_bars(runs, ax=None):
    """Fraction of steps in each field (per path as dots, pooled as bars) vs the CTMC prediction."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    n = len(runs)
    w = 0.8 / n
    for k, run in enumerate(runs):
        xs = np.arange(4) + (k - (n - 1) / 2) * w
        ax.bar(xs, run.pooled, width=w, color=f"C{k}", alpha=0.75, label=run.label)
        for fr in run.fractions:
            ax.plot(xs, fr, ".", color="k", ms=3)
        if run.prediction is not None and np.all(np.isfinite(run.prediction)):
            ax.plot(xs, run.prediction, "_", color="r", ms=16, mew=2.5,
                    label="limiting CTMC prediction" if k == 0 else None)
    ax.plot([], [], "k.", label="single paths")
    ax.set_xticks(range(4))
    ax.set_xticklabels(FIELD_NAMES)
    ax.set_ylabel("fraction of steps")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7.5)
    return ax


def trajectory_scrubber(runs, cp, n_frames=20, dpi=65):
    """Kernel-free frame scrubber: the four paths revealed up to step n (frame), with the running
    fraction of time in the sharp fields."""
    from sgdlab.book import scrubber
    fig, axes = plt.subplots(len(runs), 1, figsize=(7, 1.35 * len(runs)), sharex=True, dpi=dpi)
    lines, texts = [], []
    T = runs[0].traj_steps
    for ax, run in zip(axes, runs):
        for mi in cp["m"]:
            ax.axhline(mi, color="k", ls="--", lw=0.4)
        (ln,) = ax.plot([], [], lw=0.6)
        lines.append(ln)
        texts.append(ax.text(0.01, 0.85, "", transform=ax.transAxes, fontsize=7))
        ax.set_xlim(0, T[-1])
        ax.set_ylim(-th.L_PROJ, th.L_PROJ)
        ax.set_ylabel("X_n", fontsize=7)
        ax.set_title(run.label, fontsize=8)
    axes[-1].set_xlabel("step n")
    fig.tight_layout()
    cuts = np.linspace(len(T) // n_frames, len(T), n_frames).astype(int)

    def update(i):
        c = cuts[i]
        for ln, tx, run in zip(lines, texts, runs):
            x = run.trajectories[0][:c]
            ln.set_data(T[:c], x)
            sharp = np.mean((x < cp["s"][0]) | ((x > cp["s"][1]) & (x < cp["s"][2])))
            tx.set_text(f"n = {T[c - 1]:.2e}: time in sharp fields so far {sharp:.3f}")
        return lines
    return scrubber(fig, update, n_frames, interval=400)


# ----------------------------------------------------------------------------- the 2-D landscape

BASIN_NAMES = ["left", "middle", "right"]
BASIN_COLORS = ["#c6dbef", "#fdd0a2", "#c7e9c0"]


def hump_map(bm, b, path=None, ax=None):
    """Basins of the projected gradient flow (colours), level sets of f, the minima with r_i (dashed
    circle) and l*_i = ceil(r_i/b); optionally one thinned path on top."""
    from matplotlib.colors import ListedColormap
    ax = ax or plt.subplots(figsize=(8, 5))[1]
    lo, hi = bm["lo"], bm["hi"]
    k = len(bm["minima"])
    ax.imshow(bm["labels"].T, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="equal",
              cmap=ListedColormap(BASIN_COLORS[:k]), interpolation="nearest")
    X, Y = np.meshgrid(bm["xs"], bm["ys"], indexing="ij")
    F = th.hump_f(X, Y)
    ax.contour(X, Y, F, levels=np.arange(-7, 12, 1.0), colors="k", linewidths=0.4, alpha=0.5)
    D = th.basin_distances(bm)
    ls, _ = th.jump_counts_2d(D, b)
    tt = np.linspace(0, 2 * np.pi, 200)
    for i, m in enumerate(bm["minima"]):
        r = min(D[i, j] for j in range(k) if j != i)
        ax.plot(m[0] + r * np.cos(tt), m[1] + r * np.sin(tt), "--", color="k", lw=0.9)
        ax.plot(*m, "k*", ms=11)
        ax.annotate(f"{BASIN_NAMES[i]}: f={bm['f_min'][i]:.2f}\nr={r:.3f}, l*={ls[i]}", m, xytext=(0, 14),
                    textcoords="offset points", ha="center", fontsize=8,
                    bbox=dict(boxstyle="round", fc="w", alpha=0.8))
    if path is not None:
        step = max(1, len(path) // 1500)
        ax.plot(path[::step, 0], path[::step, 1], "-", color="tab:red", lw=0.4, alpha=0.5,
                label="one truncated path (thinned)")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"basins of attraction (box = projection), b = {b:g}")
    return ax


def hump_occupancy(runs, pi_untrunc, widest, alpha, slope=None):
    """Left: fraction of steps per basin for each run (bars; block means as dots), with the untruncated
    CTMC law and the truncated limit. Right: time outside the widest basin vs eta (truncated runs)
    with the first-order law C eta^(alpha-1) through the middle point."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
    k = len(runs[0].pooled)
    n = len(runs)
    w = 0.8 / n
    lim = np.zeros(k)
    lim[widest] = 1.0 / len(widest)
    for c, run in enumerate(runs):
        xs = np.arange(k) + (c - (n - 1) / 2) * w
        ax.bar(xs, run.pooled, width=w, color=f"C{c}", alpha=0.75, label=run.label)
        for blk in run.blocks:
            ax.plot(xs, blk, ".", color="k", ms=1.5, alpha=0.5)
        if run.params["noise"] == "pareto":
            pred = lim if run.params["b"] is not None else pi_untrunc
            ax.plot(xs, pred, "_", color="r", ms=12, mew=2.2)
    ax.plot([], [], "_", color="r", ms=12, mew=2.2, label="limit η → 0 (truncated: widest only; untruncated: CTMC)")
    ax.plot([], [], "k.", label=f"blocks of {runs[0].params['steps'] // len(runs[0].blocks) * runs[0].params['n_paths']:.2g} steps")
    ax.set_xticks(range(k))
    ax.set_xticklabels([f"{BASIN_NAMES[i]} basin" for i in range(k)])
    ax.set_ylabel("fraction of steps")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    trunc = [r for r in runs if r.params["noise"] == "pareto" and r.params["b"] is not None]
    if len(trunc) >= 2:
        from sgdlab.chapters.heavy_tails.experiments import narrow_slope
        s, s_se, etas, fr, se = narrow_slope(trunc, widest)
        ax2.errorbar(etas, fr, yerr=4.5 * se, fmt="o", color="tab:blue", capsize=3, label="simulation (±4.5 SE)")
        ee = np.geomspace(etas.min() / 1.5, etas.max() * 1.5, 50)
        mid = len(etas) // 2
        ax2.plot(ee, fr[mid] * (ee / etas[mid]) ** (alpha - 1), "k--", label=f"∝ η^(α-1) = η^{alpha - 1:.2f}")
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xticks(etas, [f"{e:g}" for e in etas])
        ax2.xaxis.set_minor_formatter(plt.NullFormatter())
        ax2.set_xlabel("learning rate η")
        ax2.set_ylabel("fraction of steps outside the widest basin")
        ax2.set_title(f"truncated: fitted slope {s:.2f} ± {s_se:.2f}")
        ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig
