"""Figures of the heavy-tailed chapter (P1 Fig. 1 and our 2-D landscape), sized for the book's column
(`use_book_style`): at most two panels per row, theory and simulation told apart by line style/marker.
Every function returns the figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters._kit import FIG_WIDTH, scrubber
from sgdlab.chapters.heavy_tails import theory as th

COLORS = {"0.28": "#D55E00", "0.5": "#0072B2", "inf": "#555555"}
MARKERS = {"0.28": "^", "0.5": "o", "inf": "s"}
# P1 Fig. 1 right, dot values read off the plot; the b = 0.28 value at 1e-3 hit the cap.
PAPER_DOTS = {"inf": {0.1: 1.3e2, 0.01: 2.3e3, 0.001: 3.7e4, 1e-4: 6e5},
              "0.5": {0.1: 9e2, 0.01: 2.8e4, 0.001: 8e5, 1e-4: 1.8e7},
              "0.28": {0.1: 2.3e4, 0.01: 8e5}}
FIELD_NAMES = ["Ω1 (sharp)", "Ω2 (wide)", "Ω3 (sharp)", "Ω4 (wide)"]
HATCHES = ["", "//", "..", "xx", "\\\\", "--"]


def _label_b(key):
    return "no truncation" if key == "inf" else f"b = {key}"


def landscape(cp, bs=(0.5, 0.28)):
    """f with its minima (sharp/wide), saddles and P1's stated m2."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    x = np.linspace(-th.L_PROJ, th.L_PROJ, 2000)
    ax.plot(x, th.f(x), "k-", lw=1.5, label="f(x) as printed in P1")
    for k, s in enumerate(cp["s"]):
        ax.axvline(s, color="grey", ls=":", lw=1.2, label="saddles s1, s2, s3" if k == 0 else None)
    m = cp["m"]
    ax.plot(m, th.f(m), "v", color="#D55E00", ms=9, label="minima (roots of f′)")
    for i, mi in enumerate(m):
        kind = "sharp" if cp["f2_m"][i] > 50 else "wide"
        ax.annotate(f"m{i + 1}\n{kind}", (mi, th.f(mi)), xytext=(8 if i == 0 else 0, -12), textcoords="offset points",
                    ha="left" if i == 0 else "center", va="top")
    pm = th.PAPER_CRITICAL_POINTS["m"][1]
    ax.plot(pm, th.f(pm), "x", color="#0072B2", ms=9, mew=2, label="m2 = −0.66 as stated in P1")
    ax.set_ylim(-1.1, 0.3)
    ax.set_xlim(-th.L_PROJ, th.L_PROJ)
    ax.set_xlabel("x (iterates projected onto [−1.6, 1.6])")
    ax.set_ylabel("f(x)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=10)
    return fig


def exit_times(curves, alpha):
    """Mean first exit step from Ω2 vs η (log-log, η decreasing to the right): simulation (markers, ±2 SE),
    weighted fits (thin solid), the prefactor prediction 1/(q₂λ₂(η)) (dashed), P1's dots (crosses)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 6.4))
    cp = th.critical_points()
    for c in curves:
        col, mk = COLORS.get(c.key, "C3"), MARKERS.get(c.key, "D")
        full = c.censored == 0
        ax.errorbar(c.etas[full], c.mean[full], yerr=2 * c.se[full], fmt=mk, color=col, ms=6, capsize=2,
                    label=f"{_label_b(c.key)} (l* = {c.l_star}): simulation; fitted slope {c.slope:.2f}, "
                          f"theory {th.slope_theory(c.l_star, alpha):.2f}")
        if (~full).any():
            ax.plot(c.etas[~full], c.mean[~full], mk, mfc="none", mec=col, ms=7,
                    label=f"{_label_b(c.key)}: some runs hit the cap (lower bound)")
        e = np.geomspace(c.etas.min(), c.etas.max(), 50)
        if np.isfinite(c.slope):
            ax.plot(e, np.exp(c.intercept) * e ** -c.slope, "-", color=col, lw=0.9)
        if np.isfinite(c.prediction).all():
            q2 = -th.q_matrix(cp["m"], cp["s"], c.b, alpha)[1, 1]
            ax.plot(e, th.exit_time_prediction(e, 1, c.b, alpha), "--", color=col, lw=1.6,
                    label=f"{_label_b(c.key)}: theory 1/(q₂λ₂(η)), q₂ = {q2:.3f}")
        paper = PAPER_DOTS.get(c.key, {})
        if paper:
            ax.plot(list(paper), list(paper.values()), "x", color=col, ms=8, mew=1.5)
    ax.plot([], [], "kx", label="P1 Fig. 1 (read off the plot, 20 runs per dot)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("learning rate η (decreasing →)")
    ax.set_ylabel("mean first exit time from Ω2 (steps)")
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)
    ax.grid(True, which="major", alpha=0.25)
    return fig


def exit_law(curves, alpha):
    """Empirical CDF of σ/mean σ at the smallest η of each curve with a closed-form q, against Exp(1)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8))
    t = np.linspace(0, 5, 200)
    ax.plot(t, 1 - np.exp(-t), "k--", lw=2, label="theory: Exp(1)")
    styles = ["-", "-."]
    for n, c in enumerate([c for c in curves if np.isfinite(c.prediction).all()]):
        k = int(np.argmin(c.etas))
        z = np.sort(c.times[k] / c.mean[k])
        ax.step(z, np.arange(1, len(z) + 1) / len(z), where="post", color=COLORS.get(c.key, "C3"),
                ls=styles[n % 2], label=f"simulation, {_label_b(c.key)}, η = {c.etas[k]:g}")
    ax.set_xlim(0, 5)
    ax.set_xlabel("exit time / its mean")
    ax.set_ylabel("empirical CDF")
    ax.legend(loc="lower right")
    return fig


def histograms(runs, cp):
    """P1 Fig. 1 left: density of visited locations, one row per scenario, f in the last row."""
    fig, axes = plt.subplots(len(runs) + 1, 1, figsize=(FIG_WIDTH, 1.75 * (len(runs) + 1)), sharex=True)
    for ax, run in zip(axes, runs):
        e = run.hist_edges
        dens = run.hist / max(run.hist.sum(), 1) / np.diff(e)
        ax.bar(e[:-1], dens, width=np.diff(e), align="edge", color="#0072B2")
        ax.set_yscale("log")
        ax.set_ylim(1e-4, max(dens.max() * 3, 1))
        ax.set_ylabel("density")
        ax.set_title(f"{run.label}: time in sharp fields {run.sharp_fraction:.3f}", fontsize=10.5)
        for mi in cp["m"]:
            ax.axvline(mi, color="k", ls="--", lw=0.6)
    x = np.linspace(-th.L_PROJ, th.L_PROJ, 800)
    axes[-1].plot(x, th.f(x), "k-")
    for i, mi in enumerate(cp["m"]):
        axes[-1].axvline(mi, color="k", ls="--", lw=0.6)
        axes[-1].text(mi, 0.15, f"m{i + 1}", ha="center", va="bottom")
    axes[-1].set_ylim(-1.4, 0.5)
    axes[-1].set_ylabel("f(x)")
    axes[-1].set_xlabel("x")
    return fig


def trajectories(runs, cp):
    """P1 Fig. 1 middle: one (thinned) path per scenario, X_n against n."""
    fig, axes = plt.subplots(len(runs), 1, figsize=(FIG_WIDTH, 1.6 * len(runs)), sharex=True)
    for ax, run in zip(np.atleast_1d(axes), runs):
        ax.plot(run.traj_steps, run.trajectories[0], lw=0.5, color="#0072B2")
        for mi in cp["m"]:
            ax.axhline(mi, color="k", ls="--", lw=0.5)
        ax.set_ylim(-th.L_PROJ, th.L_PROJ)
        ax.set_yticks(np.round(cp["m"], 2))
        ax.set_yticklabels([f"m{i + 1}" for i in range(len(cp["m"]))])
        ax.set_title(run.label, fontsize=10.5)
    np.atleast_1d(axes)[-1].set_xlabel(f"step n (every {int(runs[0].traj_steps[1])}th step drawn)")
    return fig


def occupancy_bars(runs, names=None):
    """Fraction of steps in each field (pooled: bars; single paths: dots) vs the limiting CTMC (red bars)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.2))
    n = len(runs)
    w = 0.8 / n
    for k, run in enumerate(runs):
        xs = np.arange(4) + (k - (n - 1) / 2) * w
        ax.bar(xs, run.pooled, width=w, color=f"C{k}", alpha=0.75, hatch=HATCHES[k % len(HATCHES)],
               edgecolor="k", lw=0.5, label=(names[k] if names else run.label) + ": simulation")
        for fr in run.fractions:
            ax.plot(xs, fr, ".", color="k", ms=4)
        if run.prediction is not None and np.all(np.isfinite(run.prediction)):
            ax.plot(xs, run.prediction, "_", color="#CC0000", ms=18, mew=3,
                    label="theory: limiting CTMC" if k == 0 else None)
    ax.plot([], [], "k.", label="single paths")
    ax.set_xticks(range(4))
    ax.set_xticklabels(FIELD_NAMES)
    ax.set_ylabel("fraction of steps")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=10)
    return fig


def trajectory_scrubber(runs, cp, n_frames=20):
    """Kernel-free frame scrubber: the paths revealed up to step n, with the running fraction of time in
    the sharp fields in each panel's title."""
    fig, axes = plt.subplots(len(runs), 1, figsize=(FIG_WIDTH, 1.55 * len(runs) + 0.4), sharex=True, dpi=90)
    lines, titles = [], []
    T = runs[0].traj_steps
    for ax, run in zip(axes, runs):
        for mi in cp["m"]:
            ax.axhline(mi, color="k", ls="--", lw=0.4)
        (ln,) = ax.plot([], [], lw=0.6, color="#0072B2")
        lines.append(ln)
        titles.append(ax.set_title(run.label, fontsize=10.5))
        ax.set_xlim(0, T[-1])
        ax.set_ylim(-th.L_PROJ, th.L_PROJ)
        ax.set_yticks(np.round(cp["m"], 2))
        ax.set_yticklabels([f"m{i + 1}" for i in range(len(cp["m"]))])
    axes[-1].set_xlabel("step n")
    cuts = np.linspace(len(T) // n_frames, len(T), n_frames).astype(int)

    def update(i):
        c = cuts[i]
        for ln, tt, run in zip(lines, titles, runs):
            x = run.trajectories[0][:c]
            ln.set_data(T[:c], x)
            sharp = np.mean((x < cp["s"][0]) | ((x > cp["s"][1]) & (x < cp["s"][2])))
            tt.set_text(f"{run.label}: sharp fields so far {sharp:.3f}")
        return lines
    return scrubber(fig, update, n_frames, interval=400)


# ----------------------------------------------------------------------------- the 2-D landscape

BASIN_NAMES = ["left", "middle", "right"]
BASIN_COLORS = ["#c6dbef", "#fdd0a2", "#c7e9c0"]


def hump_map(bm, b, path=None):
    """Basins of the projected gradient flow (colours), level sets of f, the minima with r_i (dashed
    circle) and l*_i = ceil(r_i/b); optionally one thinned path on top."""
    from matplotlib.colors import ListedColormap
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 5.0))
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
                    textcoords="offset points", ha="center", fontsize=10,
                    bbox=dict(boxstyle="round", fc="w", alpha=0.8))
    if path is not None:
        step = max(1, len(path) // 1500)
        ax.plot(path[::step, 0], path[::step, 1], "-", color="tab:red", lw=0.4, alpha=0.5,
                label="one truncated path (thinned)")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.plot([], [], "--", color="k", lw=0.9, label="radius r_i of each basin")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=10)
    return fig


def hump_occupancy(runs, pi_untrunc, widest):
    """Fraction of steps per basin for each run (bars; block means as dots), with the untruncated CTMC
    law and the truncated limit (red bars)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.6))
    k = len(runs[0].pooled)
    n = len(runs)
    w = 0.8 / n
    lim = np.zeros(k)
    lim[widest] = 1.0 / len(widest)
    for c, run in enumerate(runs):
        xs = np.arange(k) + (c - (n - 1) / 2) * w
        ax.bar(xs, run.pooled, width=w, color=f"C{c}", alpha=0.75, hatch=HATCHES[c % len(HATCHES)],
               edgecolor="k", lw=0.5, label=run.label)
        for blk in run.blocks:
            ax.plot(xs, blk, ".", color="k", ms=2, alpha=0.5)
        if run.params["noise"] == "pareto":
            pred = lim if run.params["b"] is not None else pi_untrunc
            ax.plot(xs, pred, "_", color="#CC0000", ms=12, mew=2.5)
    ax.plot([], [], "_", color="#CC0000", ms=12, mew=2.5,
            label="theory, η → 0 (truncated: widest basin only; untruncated: CTMC law)")
    ax.plot([], [], "k.", label="block means")
    ax.set_xticks(range(k))
    ax.set_xticklabels([f"{BASIN_NAMES[i]} basin" for i in range(k)])
    ax.set_ylabel("fraction of steps")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1)
    return fig


def hump_slope(runs, widest, alpha):
    """Time outside the widest basin vs η for the truncated runs, with the first-order law ∝ η^(α−1)."""
    from sgdlab.chapters.heavy_tails.experiments import narrow_slope
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.4))
    trunc = [r for r in runs if r.params["noise"] == "pareto" and r.params["b"] is not None]
    s, s_se, etas, fr, se = narrow_slope(trunc, widest)
    ax.errorbar(etas, fr, yerr=4.5 * se, fmt="o", color="#0072B2", capsize=3,
                label=f"simulation (±4.5 SE); fitted slope {s:.2f} ± {s_se:.2f}")
    ee = np.geomspace(etas.min() / 1.5, etas.max() * 1.5, 50)
    mid = len(etas) // 2
    ax.plot(ee, fr[mid] * (ee / etas[mid]) ** (alpha - 1), "k--", label=f"theory: ∝ η^(α−1) = η^{alpha - 1:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(etas, [f"{e:g}" for e in etas])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("fraction of steps\noutside the widest basin")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=10)
    return fig
