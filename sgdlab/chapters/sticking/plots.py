"""Figures of the sticking chapter (Dudukalov et al. 2025), sized for the book's column (`use_book_style`):
at most two panels per row; theory is always overlaid and told apart by line style or marker. Every
function returns the figure."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

import sgdlab
from sgdlab.chapters._kit import FIG_WIDTH, scrubber
from sgdlab.chapters.sticking import experiments as ex
from sgdlab.chapters.sticking import theory as th


def _f_double_well(x):
    return x ** 4 / 4 - x ** 2 / 2


def _f_kink(x, a, b):
    return np.where(x < 0, 0.5 * a * ((x + 1) ** 2 - 1), 0.5 * b * ((x - 1) ** 2 - 1))


def landscapes(a, b):
    """The two landscapes: the double well (smooth maximum) and the kinked wells (sharp maximum)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.4))
    x = np.linspace(-1.6, 1.6, 400)
    ax.plot(x, _f_double_well(x), "-", label="double well x⁴/4 − x²/2 (smooth maximum)")
    ax.plot(x, _f_kink(x, a, b), "--", label=f"kinked wells, a = {a:g}, b = {b:g} (sharp maximum)")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_ylim(-1.2, 0.8)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    return fig


def paths(a, b, eps, law, scale, alpha, n_paths=12, seed=0, t_max=6.0, stream_offset=0):
    """Sample paths from the smooth maximum (double well) and from the sharp maximum (kinked wells), both
    started exactly at the maximum, against ODE time eps*k (one panel each, side by side)."""
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.6), sharey=True)
    steps = int(t_max / eps)
    thin = max(1, steps // 400)
    for ax, (name, params, title) in zip(axes, [
            ("double_well", dict(linear_beyond=2.0), "smooth maximum"),
            ("kinked_two_well", dict(a=a, b=b, kink_grad=0.0), "sharp maximum")]):
        res = sgdlab.simulate(name, landscape_params=params, noise=ex.noise_law(law, alpha), noise_scale=scale,
                              lr=eps, steps=steps, w0=0.0, n_runs=n_paths, n_trajectories=n_paths, thin=thin,
                              seed=seed, stream_offset=stream_offset)
        t = res.trajectory_steps * eps
        for k in range(n_paths):
            ax.plot(t, res.trajectories[k], lw=0.8, alpha=0.8)
        ax.axhspan(-ex.DELTA, ex.DELTA, color="grey", alpha=0.15)
        ax.set_xlabel("ODE time ε·k")
        ax.set_ylim(-1.6, 1.6)
        ax.set_title(title)
    axes[0].set_ylabel("X_k (grey: |x| ≤ δ = 0.5)")
    return fig


def convergence_window(windows, alpha):
    """P(|X-1| < r) and P(X < 0) against eps*n for each law, with the two-state chain (theory)."""
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 4.4))
    for k, w in enumerate(windows):
        c = f"C{k}"
        lab = f"{w['label']}, ε={w['eps']:g}"
        mk = "o" if w["law"] == "gaussian" else "s"
        axes[0].errorbar(w["ode_times"], w["p_min"], yerr=2 * w["p_min_se"], fmt=mk + "-", color=c, ms=5,
                         label=f"simulation, {lab} (r = {w['radius']:g})")
        axes[1].errorbar(w["ode_times"], w["p_neg"], yerr=2 * w["p_neg_se"], fmt=mk, color=c, ms=5)
        if w["law"] == "stable":
            tt = np.geomspace(0.1, max(w["ode_times"]) * 1.2, 200)
            axes[1].plot(tt, th.window_wrong_basin(w["eps"], tt / w["eps"], w["alpha"], w["scale"]), "--",
                         color=c)
            axes[0].plot([], [], "--", color=c, label="theory: two-state chain (right panel)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("ODE time ε·n")
    axes[0].set_ylabel(r"$P(|X_n - 1| < r)$")
    axes[0].set_title("at the basin's minimum")
    axes[1].set_ylabel("P(X_n < 0)")
    axes[1].set_title("in the other basin")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=1)
    return fig


def smooth_direction(dirs, alpha):
    """P(exit right) against the start offset y (units sqrt(eps) or eps^(1-1/alpha)) with theory."""
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 4.6), sharey=True)
    mks = iter("o^s")
    yy = np.linspace(-0.2, 2.6, 120)
    for d in dirs:
        ax = axes[0] if d.meta["law"] != "stable" else axes[1]
        ax.errorbar(d.offsets, d.p_right, yerr=2 * d.se, fmt=next(mks), ms=5,
                    label=f"SGD, ε = {d.meta['eps']:g}")
    axes[0].plot(yy, th.p_right_smooth_gauss(yy, 1e-3, limit=True), "k--", lw=1.4, label=r"theory $\Phi(y\sqrt{2})$")
    axes[1].plot(yy, th.p_right_smooth_stable(yy, 1e-3, alpha, limit=True), "k--", lw=1.4,
                 label=r"theory $F_\alpha(y\,(\alpha\lambda)^{1/\alpha})$")
    axes[0].set_xlabel(r"y, $X_0 = y\sqrt{\varepsilon}$")
    axes[1].set_xlabel(rf"y, $X_0 = y\,\varepsilon^{{1-1/\alpha}}$")
    axes[0].set_ylabel("P(exit to the right)")
    axes[0].set_title("Gaussian σ = 1")
    axes[1].set_title(f"SαS α = {alpha:g}, c = 1")
    for ax in axes:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), fontsize=10)
    return fig


def sticking_times(times, kink_times=None, alpha=1.5, a=1.0, b=2.0):
    """E[eps tau] against log(1/eps) at the smooth maximum (log growth, slope kappa) and at the
    sharp maximum (flat)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 6.0))
    for k, s in enumerate(times):
        x = np.log(1 / s.offsets)
        slope, sse, _ = ex.fit_slope(s.offsets, s.mean_time, s.time_se)
        ax.errorbar(x, s.mean_time, yerr=2 * s.time_se, fmt="o", color=f"C{k}",
                    label=f"smooth max, {s.meta['label']}: fitted slope {slope:.3f} ± {sse:.3f}")
        xx = np.linspace(x.min() - 0.3, x.max() + 0.3, 50)
        if s.meta["law"] == "stable":
            yy = th.sticking_time_stable(np.exp(-xx), s.meta["alpha"], c=s.meta["scale"])
            lab = f"theory, slope 1 − 1/α = {1 - 1 / s.meta['alpha']:.3f}"
        else:
            yy = th.sticking_time_gauss(np.exp(-xx), sigma=s.meta["scale"])
            lab = "theory, slope 1/2"
        ax.plot(xx, yy, "--", color=f"C{k}", lw=1, label=lab)
    for k, s in enumerate(kink_times or []):
        x = np.log(1 / s.offsets)
        ax.errorbar(x, s.mean_time, yerr=2 * s.time_se, fmt="s", color=f"C{k + 2}", mfc="none",
                    label=f"sharp max, {s.meta['label']}")
        ax.axhline(th.kink_exit_time(float(np.mean(s.p_right)), a, b), color=f"C{k + 2}", ls=":", lw=1)
    ax.set_xlabel("log(1/ε)")
    ax.set_ylabel("E[ετ] from the maximum\n(ODE time units)")
    ax.set_ylim(bottom=0)
    ax.plot([], [], "k:", lw=1, label="theory at the sharp maximum: flow time")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize=10)
    return fig


def kink_split(sgd, oracle, a, b, law, scale, alpha, y_grid=None):
    """h(y) for the chapter's law: SGD and oracle points, exact Laplace curve or oracle, diffusion
    limit for reference."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 5.6))
    yy = np.linspace(min(-4, sgd.offsets.min() - 1), max(4, sgd.offsets.max() + 1), 400)
    yy = yy[yy != 0]
    if law == "laplace":
        for k, part in enumerate([yy[yy < 0], yy[yy > 0]]):   # h jumps at y = 0: draw the two branches apart
            ax.plot(part, th.laplace_split(part, a, b, scale), "k-", lw=1.2,
                    label="theory: exact Laplace formula" if k == 0 else None)
        ax.plot([0], [th.laplace_split(0.0, a, b, scale)], "k*", ms=10, label="exact h(0), f'(M) := 0")
    sig = scale * (math.sqrt(2) if law == "laplace" else 1.0)
    if law != "stable":
        ax.plot(yy, th.diffusion_split(yy, a, b, sig), color="grey", ls=":", lw=1.2,
                label="diffusion limit (same variance)")
    ax.errorbar(oracle.offsets, oracle.p_right, yerr=2 * oracle.se, fmt="D", mfc="none", ms=8, color="C2",
                label=f"random-walk oracle, K = {oracle.meta['K']:g} (±2 SE)")
    ax.errorbar(sgd.offsets, sgd.p_right, yerr=2 * sgd.se, fmt="o", ms=5, color="C0",
                label=f"SGD, ε = {sgd.meta['eps']:g} (±2 SE)")
    ax.axhline(b / (a + b), color="C3", ls="--", lw=0.8, label=f"b/(a+b) = {b / (a + b):.3f}")
    ax.set_xlabel(r"start offset y  ($X_0 = M + \varepsilon y$)")
    ax.set_ylabel("P(reach the right-hand minimum first)")
    ax.set_title(f"a = {a:g}, b = {b:g}, {ex.law_label(law, scale, alpha)}")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=1, fontsize=10)
    return fig


def heavy_tail_signature(rows_by_law, b, alpha):
    """Wrong-side probability from X_0 = +x0 against y = x0/eps: polynomial for SaS, exponential for
    light tails (computed exactly)."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 5.4))
    yy = np.geomspace(1, 2000, 200)
    ax.plot(yy, th.wrong_side_stable(yy, b, alpha), "C1--", lw=1.2,
            label=r"SαS: $C_\alpha y^{1-\alpha}/(b(\alpha-1))$ (Veraverbeke)")
    ax.plot(yy, th.wrong_side_laplace(yy, b), "C0--", lw=1.2, label=r"Laplace: $q_b e^{-R_b y}$ (exact)")
    for law, rows in rows_by_law.items():
        c = "C1" if law == "stable" else "C0"
        y = np.array([r["y"] for r in rows])
        p = np.array([r["p_left"] for r in rows])
        se = np.array([r["se"] for r in rows])
        pos = p > 0
        if np.any(pos):
            ax.errorbar(y[pos], p[pos], yerr=2 * se[pos], fmt="o", color=c, ms=6, label=f"SGD, {law}: P(left) (±2 SE)")
        if np.any(~pos):
            nv = np.array([r["n"] for r in rows])[~pos]
            ax.plot(y[~pos], 3.0 / nv, "v", color=c, ms=7,
                    label=f"SGD, {law}: no run ended left; 95% upper bound 3/n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1)
    ax.set_xlabel(r"scaled start offset y = $x_0/\varepsilon$")
    ax.set_ylabel("P(wrong side: left minimum first)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize=10)
    return fig


def metastable_chain(chain):
    """Exit-time distribution (exponential with the predicted rate) and the landing basins."""
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 4.0))
    s = chain["steps"] / chain["predicted_mean"]
    axes[0].hist(s, bins=50, density=True, alpha=0.6, label="SGD")
    xx = np.linspace(0, s.max(), 200)
    axes[0].plot(xx, np.exp(-xx), "k--", label="theory Exp(1)")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("exit step × predicted rate")
    axes[0].set_ylabel("density")
    axes[0].legend(loc="upper right")
    k = np.arange(1, 6)
    counts = np.array([np.mean(np.abs(chain["dest"]) == kk) for kk in k])
    axes[1].bar(k - 0.2, counts, width=0.4, label="SGD")
    axes[1].bar(k + 0.2, th.chain_destination(k, chain["alpha"]), width=0.4, hatch="//", edgecolor="k", lw=0.5,
                label="theory (one jump)")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("destination |k|")
    axes[1].set_ylabel("P(|destination| = k)")
    axes[1].legend(loc="upper right")
    return fig


def flat_max(flat):
    """E[eps tau] at the degenerate maximum against eps (log-log), Gaussian theory 1.637 eps^-1/2."""
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.0))
    for k, s in enumerate(flat):
        ax.errorbar(s.offsets, s.mean_time, yerr=2 * s.time_se, fmt="os"[k % 2], color=f"C{k}",
                    label=f"SGD, {s.meta['label']} (±2 SE)")
    ee = np.geomspace(min(s.offsets.min() for s in flat) / 1.5, max(s.offsets.max() for s in flat) * 1.5, 50)
    ax.plot(ee, th.flat_max_time_gauss(ee), "k--", lw=1, label=r"theory (Gaussian): $1.637\,\varepsilon^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step size ε")
    ax.set_ylabel("E[ετ] (ODE time units)")
    ax.legend(loc="upper right")
    return fig


def histogram_scrubber(a, b, eps, law, scale, alpha, n_runs=4000, seed=0, t_max=5.0, n_frames=26, stream_offset=0):
    """Kernel-free scrubber: histograms of X at ODE times t for runs started at the smooth maximum and at
    the sharp maximum."""
    steps = int(round(t_max / eps))
    snaps = np.unique(np.linspace(0, steps, n_frames).astype(int))
    res = []
    for name, params in [("double_well", dict(linear_beyond=2.0)),
                         ("kinked_two_well", dict(a=a, b=b, kink_grad=0.0))]:
        r = sgdlab.simulate(name, landscape_params=params, noise=ex.noise_law(law, alpha), noise_scale=scale,
                            lr=eps, steps=steps, w0=0.0, n_runs=n_runs, snapshots=snaps, seed=seed,
                            stream_offset=stream_offset)
        res.append(r.snapshots[r.ok])
    edges = np.linspace(-1.6, 1.6, 81)
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.4), sharey=True, dpi=90)

    def update(i):
        for ax, X, title in zip(axes, res, ["smooth maximum", f"sharp maximum (a = {a:g}, b = {b:g})"]):
            ax.clear()
            ax.hist(X[:, i], bins=edges, density=True, color="C0" if "smooth" in title else "C1")
            ax.set_ylim(0, 6)
            ax.set_xlabel("X")
            ax.set_title(f"{title}\nε·k = {snaps[i] * eps:.2f}", fontsize=10.5)
        axes[0].set_ylabel("density of X over runs")
    update(0)
    return scrubber(fig, update, len(snaps))
