"""Figures of the sticking chapter (Dudukalov et al. 2025; spec sticking.md). Theory is always overlaid."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

import sgdlab
from sgdlab.chapters.sticking import experiments as ex
from sgdlab.chapters.sticking import theory as th


def _f_double_well(x):
    return x ** 4 / 4 - x ** 2 / 2


def _f_kink(x, a, b):
    return np.where(x < 0, 0.5 * a * ((x + 1) ** 2 - 1), 0.5 * b * ((x - 1) ** 2 - 1))


def landscapes_and_paths(a, b, eps, law, scale, alpha, n_paths=12, seed=0, t_max=6.0):
    """Left: the two landscapes. Middle/right: sample paths from the smooth maximum (double well) and
    from the sharp maximum (kinked wells), both started exactly at the maximum, against ODE time eps*k."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    x = np.linspace(-1.6, 1.6, 400)
    axes[0].plot(x, _f_double_well(x), label="double well $x^4/4-x^2/2$ (smooth max)")
    axes[0].plot(x, _f_kink(x, a, b), label=f"kinked wells, a={a:g}, b={b:g} (sharp max)")
    axes[0].set_xlabel("x")
    axes[0].set_ylabel("f(x)")
    axes[0].set_ylim(-1.2, 0.8)
    axes[0].legend(fontsize=8, loc="lower center")
    axes[0].set_title("landscapes")
    steps = int(t_max / eps)
    thin = max(1, steps // 400)
    for ax, (name, params, title) in zip(axes[1:], [
            ("double_well", dict(linear_beyond=2.0), "smooth maximum: sticks ~ log(1/ε)/ε steps"),
            ("kinked_two_well", dict(a=a, b=b, kink_grad=0.0), "sharp maximum: leaves in O(1/ε) steps")]):
        res = sgdlab.simulate(name, landscape_params=params, noise=ex.noise_law(law, alpha), noise_scale=scale,
                              lr=eps, steps=steps, w0=0.0, n_runs=n_paths, n_trajectories=n_paths, thin=thin,
                              seed=seed)
        t = res.trajectory_steps * eps
        for k in range(n_paths):
            ax.plot(t, res.trajectories[k], lw=0.8, alpha=0.8)
        ax.axhspan(-ex.DELTA, ex.DELTA, color="grey", alpha=0.12, label=f"|x| ≤ δ = {ex.DELTA}")
        ax.set_xlabel("ODE time ε·k")
        ax.set_ylabel("$X_k$")
        ax.set_ylim(-1.6, 1.6)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{ex.law_label(law, scale, alpha)} noise, ε = {eps:g}; paths start at the maximum x = 0",
                 fontsize=10)
    fig.tight_layout()
    return fig


def convergence_window(windows, alpha):
    """C1: P(|X-1| < r) and P(X < 0) against eps*n for each law, with the T2 two-state theory."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for k, w in enumerate(windows):
        c = f"C{k}"
        lab = f"{w['label']}, ε={w['eps']:g}"
        axes[0].errorbar(w["ode_times"], w["p_min"], yerr=2 * w["p_min_se"], fmt="o-", color=c, ms=4,
                         label=f"{lab}, r = {w['radius']:g}")
        axes[1].errorbar(w["ode_times"], w["p_neg"], yerr=2 * w["p_neg_se"], fmt="o", color=c, ms=4, label=lab)
        if w["law"] == "stable":
            tt = np.geomspace(0.1, max(w["ode_times"]) * 1.2, 200)
            axes[1].plot(tt, th.window_wrong_basin(w["eps"], tt / w["eps"], w["alpha"], w["scale"]), "--",
                         color=c, label=f"T2 two-state chain, ε={w['eps']:g}")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("ODE time ε·n")
    axes[0].set_ylabel(r"$P(|X_n - 1| < r)$")
    axes[0].set_title("at the basin's minimum", fontsize=10)
    axes[1].set_ylabel("P(X_n < 0)  (wrong basin)")
    axes[1].set_title("pushed into the other basin", fontsize=10)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def smooth_direction(dirs, alpha):
    """C2: P(exit right) against the start offset y (units sqrt(eps) or eps^(1-1/alpha)) with theory."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    yy = np.linspace(-0.2, 2.6, 120)
    for d in dirs:
        ax = axes[0] if d.meta["law"] != "stable" else axes[1]
        ax.errorbar(d.offsets, d.p_right, yerr=2 * d.se, fmt="o", ms=5,
                    label=f"SGD, ε={d.meta['eps']:g} (±2 SE)")
    axes[0].plot(yy, th.p_right_smooth_gauss(yy, 1e-3, limit=True), "k-", lw=1.2, label=r"$\Phi(y\sqrt{2})$")
    axes[1].plot(yy, th.p_right_smooth_stable(yy, 1e-3, alpha, limit=True), "k-", lw=1.2,
                 label=r"$F_\alpha(y\,(\alpha\lambda)^{1/\alpha})$")
    axes[0].set_xlabel(r"start offset y, $X_0 = y\sqrt{\varepsilon}$")
    axes[1].set_xlabel(rf"start offset y, $X_0 = y\,\varepsilon^{{1-1/\alpha}}$ (α = {alpha:g})")
    axes[0].set_ylabel("P(exit to the right)")
    axes[0].set_title("Gaussian σ = 1", fontsize=10)
    axes[1].set_title(f"SαS α = {alpha:g}, c = 1", fontsize=10)
    for ax in axes:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def sticking_times(times, kink_times=None, alpha=1.5, a=1.0, b=2.0):
    """C2 vs C3: E[eps tau] against log(1/eps) at the smooth maximum (log growth, slope kappa) and at the
    sharp maximum (flat)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for k, s in enumerate(times):
        x = np.log(1 / s.offsets)
        slope, sse, _ = ex.fit_slope(s.offsets, s.mean_time, s.time_se)
        ax.errorbar(x, s.mean_time, yerr=2 * s.time_se, fmt="o", color=f"C{k}",
                    label=f"smooth max, {s.meta['label']}: fitted slope {slope:.3f} ± {sse:.3f}")
        xx = np.linspace(x.min() - 0.3, x.max() + 0.3, 50)
        if s.meta["law"] == "stable":
            yy = th.sticking_time_stable(np.exp(-xx), s.meta["alpha"], c=s.meta["scale"])
            lab = f"T3 theory, slope 1 − 1/α = {1 - 1 / s.meta['alpha']:.3f}"
        else:
            yy = th.sticking_time_gauss(np.exp(-xx), sigma=s.meta["scale"])
            lab = "T3 theory, slope 1/2"
        ax.plot(xx, yy, "--", color=f"C{k}", lw=1, label=lab)
    for k, s in enumerate(kink_times or []):
        x = np.log(1 / s.offsets)
        ax.errorbar(x, s.mean_time, yerr=2 * s.time_se, fmt="s", color=f"C{k + 2}", mfc="none",
                    label=f"sharp max, {s.meta['label']}")
        ax.axhline(th.kink_exit_time(float(np.mean(s.p_right)), a, b), color=f"C{k + 2}", ls=":", lw=1)
    ax.set_xlabel("log(1/ε)")
    ax.set_ylabel("mean exit time E[ε τ] from the maximum (ODE units)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def kink_split(sgd, oracle, a, b, law, scale, alpha, y_grid=None):
    """C3: h(y) for the chapter's law: SGD and oracle points, exact Laplace curve or oracle, diffusion
    limit for reference."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    yy = np.linspace(min(-4, sgd.offsets.min() - 1), max(4, sgd.offsets.max() + 1), 400)
    yy = yy[yy != 0]
    if law == "laplace":
        for k, part in enumerate([yy[yy < 0], yy[yy > 0]]):   # h jumps at y = 0: draw the two branches apart
            ax.plot(part, th.laplace_split(part, a, b, scale), "k-", lw=1.2,
                    label="exact Laplace formula (T5)" if k == 0 else None)
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
    ax.set_title(f"sharp maximum, a = {a:g}, b = {b:g}, {ex.law_label(law, scale, alpha)}", fontsize=10)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def heavy_tail_signature(rows_by_law, b, alpha):
    """C3: wrong-side probability from X_0 = +x0 against y = x0/eps: polynomial for SaS, exponential for
    light tails (computed exactly)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
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
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def metastable_chain(chain):
    """C4: exit-time distribution (exponential with the predicted rate) and the landing basins."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    s = chain["steps"] / chain["predicted_mean"]
    axes[0].hist(s, bins=50, density=True, alpha=0.6, label=f"SGD, ε = {chain['eps']:g}, {chain['n']} runs")
    xx = np.linspace(0, s.max(), 200)
    axes[0].plot(xx, np.exp(-xx), "k-", label="Exp(1) (T2)")
    axes[0].set_yscale("log")
    axes[0].set_xlabel(r"exit step × predicted rate $2C_\alpha(2\varepsilon)^\alpha$")
    axes[0].set_ylabel("density")
    axes[0].legend(fontsize=8)
    k = np.arange(1, 6)
    counts = np.array([np.mean(np.abs(chain["dest"]) == kk) for kk in k])
    axes[1].bar(k - 0.2, counts, width=0.4, label="SGD")
    axes[1].bar(k + 0.2, th.chain_destination(k, chain["alpha"]), width=0.4, label="single-jump theory")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("|destination minimum| k")
    axes[1].set_ylabel("P(|dest| = k)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def flat_max(flat):
    """C5: E[eps tau] at the degenerate maximum against eps (log-log), Gaussian theory 1.637 eps^-1/2."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, s in enumerate(flat):
        ax.errorbar(s.offsets, s.mean_time, yerr=2 * s.time_se, fmt="o", color=f"C{k}", label=s.meta["label"])
    ee = np.geomspace(min(s.offsets.min() for s in flat) / 1.5, max(s.offsets.max() for s in flat) * 1.5, 50)
    ax.plot(ee, th.flat_max_time_gauss(ee), "k--", lw=1, label=r"T4 (Gaussian): $1.637\,\varepsilon^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step size ε")
    ax.set_ylabel("mean exit time E[ε τ] (ODE units)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def histogram_scrubber(a, b, eps, law, scale, alpha, n_runs=4000, seed=0, t_max=5.0, n_frames=26):
    """Kernel-free scrubber: histograms of X at ODE times t for runs started at the smooth maximum and at
    the sharp maximum."""
    from sgdlab.book import scrubber
    steps = int(round(t_max / eps))
    snaps = np.unique(np.linspace(0, steps, n_frames).astype(int))
    res = []
    for name, params in [("double_well", dict(linear_beyond=2.0)),
                         ("kinked_two_well", dict(a=a, b=b, kink_grad=0.0))]:
        r = sgdlab.simulate(name, landscape_params=params, noise=ex.noise_law(law, alpha), noise_scale=scale,
                            lr=eps, steps=steps, w0=0.0, n_runs=n_runs, snapshots=snaps, seed=seed)
        res.append(r.snapshots[r.ok])
    edges = np.linspace(-1.6, 1.6, 81)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)

    def update(i):
        for ax, X, title in zip(axes, res, ["smooth maximum (double well)", f"sharp maximum (a={a:g}, b={b:g})"]):
            ax.clear()
            ax.hist(X[:, i], bins=edges, density=True, color="C0" if "smooth" in title else "C1")
            ax.set_ylim(0, 6)
            ax.set_xlabel("X")
            ax.set_title(f"{title}, ε·k = {snaps[i] * eps:.2f}", fontsize=9)
        axes[0].set_ylabel("density of X over runs")
    update(0)
    fig.tight_layout()
    return scrubber(fig, update, len(snaps))
