"""Figures of the AMSGrad chapter (Ziyin, Li & Ueda §5.4, §6.4, D.4)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters._kit import scrubber as book_scrubber

from sgdlab.chapters.amsgrad import theory as th

COLORS = {"amsgrad_0.0": "C0", "adam_0.0": "C1", "amsgrad_0.9": "C0", "adam_0.9": "C1", "gd": "C3"}
# line styles tell the optimizers apart in greyscale: AMSGrad solid, Adam dashed, GD dash-dot
STYLES = {"amsgrad_0.0": "-", "adam_0.0": "--", "amsgrad_0.9": "-", "adam_0.9": "--", "gd": "-."}
FLOOR = -320.0   # log10|w| drawn for w exactly 0 (underflow)


def fig4(runs, a, gd_lr, z=2.0):
    """Mean |w_t| on a log axis, with a ±z SE band where it is positive; left β1 = 0, right β1 = 0.9; GD
    (with its exact mean) on both. Means that underflow to 0 are not drawn."""
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 4.3), layout="constrained")
    gd = runs.get("gd")
    for ax, b1 in zip(axes, (0.0, 0.9)):
        for key, r in runs.items():
            if r.optimizer == "gd" or r.beta1 != b1:
                continue
            m = np.where(r.mean_abs > 0, r.mean_abs, np.nan)
            ax.plot(r.t, m, color=COLORS[key], ls=STYLES[key], label=r.label.split(",")[0])
            lo = np.where(m - z * r.se_abs > 0, m - z * r.se_abs, np.nan)
            ax.fill_between(r.t, lo, m + z * r.se_abs, color=COLORS[key], alpha=0.25)
        if gd is not None:
            ax.plot(gd.t, gd.mean_abs, color="C3", ls=STYLES["gd"], label=f"GD (λ = {gd.lr:g})")
            ax.plot(gd.t, np.mean(th.gd_abs_path(a, gd.lr, gd.t, gd.w0), axis=0), "k:", lw=1.5,
                    label="GD exact mean")
        ax.set_xlabel("step t")
        ax.set_title(f"β1 = {b1:g}" + (" (no momentum)" if b1 == 0 else " (momentum)"))
        ax.set_yscale("log")
        ax.set_ylim(top=3.0)
    axes[0].set_ylabel("mean |w_t| over runs")
    h, l = axes[0].get_legend_handles_labels()
    fig.legend(h, l, loc="outside lower center", ncol=4)
    return fig


def _log10_abs(x):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log10(np.abs(x)), FLOOR)


def log_quantiles(runs):
    """Median and 10-90% band of log10|w_t| per optimizer (w exactly 0, i.e. underflow, drawn at the floor)."""
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 4.6), sharey=True, layout="constrained")
    for ax, b1 in zip(axes, (0.0, 0.9)):
        for key, r in runs.items():
            if r.optimizer != "gd" and r.beta1 != b1:
                continue
            L = _log10_abs(r.snapshots[np.all(np.isfinite(r.snapshots), axis=1)])
            lo, med, hi = np.percentile(L, [10, 50, 90], axis=0)
            name = r.label.split(",")[0]
            ax.plot(r.t, med, color=COLORS[key], ls=STYLES[key], label=f"{name}: median")
            ax.fill_between(r.t, lo, hi, color=COLORS[key], alpha=0.2)
            if r.optimizer != "gd":
                ax.plot(r.t, np.log10(np.maximum(r.mean_abs, 10.0 ** FLOOR)), color=COLORS[key], ls=":", lw=1.2,
                        label=f"{name}: log10 of mean")
        ax.set_xscale("symlog", linthresh=100)
        ax.set_xlabel("step t (log above 100)")
        ax.set_title(f"β1 = {b1:g}")
        ax.set_ylim(-330, 10)
    axes[0].set_ylabel("log10 |w_t|  (median, 10–90% band)")
    h, l = axes[0].get_legend_handles_labels()
    fig.legend(h, l, loc="outside lower center", ncol=3)
    return fig


def vhat_paths(paths, a, lr):
    """v_t and vhat_t (median and 10-90% band over runs) against t, with the threshold and the bound."""
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 4.6), sharey=True, layout="constrained")
    c_star = th.vhat_threshold(a, lr)
    for ax, b1 in zip(axes, (0.0, 0.9)):
        for key, p in paths.items():
            if p["beta1"] != b1:
                continue
            arr = p["vhat"] if p["optimizer"] == "amsgrad" else p["v"]
            name = "AMSGrad v̂_t" if p["optimizer"] == "amsgrad" else "Adam v_t (= v̂_t)"
            col = "C0" if p["optimizer"] == "amsgrad" else "C1"
            lo, med, hi = np.percentile(arr, [10, 50, 90], axis=0)
            ax.plot(p["t"], med, color=col, ls="-" if p["optimizer"] == "amsgrad" else "--",
                    marker="." if p["optimizer"] == "amsgrad" else None, label=name + " (median)")
            ax.fill_between(p["t"], lo, hi, color=col, alpha=0.2)
            if p["optimizer"] == "amsgrad":
                ax.plot(p["t"], np.median(p["v"], axis=0), color=col, ls=":", label="AMSGrad v_t (median)")
        ax.axhline(c_star, color="k", ls="--", lw=1,
                   label=f"(λ/λ'_hi)² = {c_star:.4f}: λ/√v̂ enters Eq. 109 (β1 = 0)")
        ax.axhline(th.vhat_bound(a), color="grey", ls="-.", lw=1, label=f"bound (1−a)² = {th.vhat_bound(a):.2f}")
        ax.set_xscale("log"); ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_title(f"β1 = {b1:g}")
    axes[0].set_ylabel("second-moment estimate")
    h, l = axes[0].get_legend_handles_labels()
    fig.legend(h, l, loc="outside lower center", ncol=2)
    return fig


def _lr_eff_color(key, r):
    return COLORS[key] if r.beta1 == 0 else ("C2" if "amsgrad" in key else "C4")


def phase(runs, a, a_range=(-1.0, -0.005)):
    """The Eq. 109 region in the (a, λ') plane with the measured λ' = λ/√v̂_T of 400 runs per optimizer,
    jittered around `a`."""
    fig, ax = plt.subplots(figsize=(6.7, 4.8), layout="constrained")
    aa = np.linspace(a_range[0], a_range[1], 300)
    lo = aa / (aa - 1); hi = (aa - np.sqrt(aa * aa - 8 * aa + 8)) / (2 * (aa - 1))
    ax.fill_between(aa, lo, hi, color="0.85", label="Eq. 109: w → 0 (β1 = 0)")
    ax.plot(aa, lo, "k-", lw=1); ax.plot(aa, hi, "k-", lw=1)
    rng = np.random.default_rng(0)
    offs = {"amsgrad_0.0": -0.03, "adam_0.0": -0.015, "amsgrad_0.9": 0.015, "adam_0.9": 0.03}
    marks = {"amsgrad_0.0": "o", "adam_0.0": "s", "amsgrad_0.9": "^", "adam_0.9": "v"}
    for key, r in runs.items():
        if r.lr_eff is None:
            continue
        le = r.lr_eff[:400]
        ax.scatter(a + offs[key] + 0.004 * rng.standard_normal(le.size), le, s=6, alpha=0.5,
                   marker=marks[key], color=_lr_eff_color(key, r), label=f"{r.label}")
    ax.set_xlabel("a"); ax.set_ylabel("effective learning rate λ' = λ/√v̂_T")
    ax.set_ylim(0, 2.2)
    fig.legend(loc="outside lower center", ncol=3, markerscale=2.5)
    return fig


def rates(runs, a, mom9):
    """Top: growth rate of ln|w| per step against λ' at `a`: μ(λ') for β1 = 0 (exact, Lemma 1) and momentum
    SGD for β1 = 0.9 (core, ±2 SE). Bottom: histograms of the measured λ' = λ/√v̂_T of each optimizer."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.7, 6.4), sharex=True, height_ratios=[3, 2], layout="constrained")
    x = np.linspace(0.01, 2.0, 400)
    with np.errstate(divide="ignore"):
        ax.plot(x, th.mu_eff(a, x), "C0-", label="β1 = 0: μ(λ') (exact, Lemma 1)")
    ax.errorbar(mom9["lr_eff"], mom9["rate"], yerr=2 * mom9["se"], fmt="o", color="C2", ms=3,
                label=f"β1 = {mom9['beta1']:g}: momentum SGD at λ' (core, ±2 SE)")
    ax.axhline(0, color="k", lw=0.8)
    l0, h0 = th.lr_eff_interval(a)
    for axx in (ax, bx):
        axx.axvspan(l0, h0, color="0.92", zorder=0)
    ax.set_ylim(-0.06, 0.06)
    ax.set_ylabel("growth rate of ln|w| per step")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1, frameon=False)
    bins = np.linspace(0, 2.0, 81)
    for key, r in runs.items():
        if r.lr_eff is None:
            continue
        bx.hist(np.clip(r.lr_eff, 0, 2.0), bins=bins, histtype="step", color=_lr_eff_color(key, r), lw=1.4,
                ls=STYLES[key], label=r.label)
    bx.set_yscale("log")
    bx.set_xlabel("λ'"); bx.set_ylabel("runs")
    fig.legend(*bx.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    return fig


def final_distribution(runs, keys=None):
    """Histogram of log10|w_T| for up to two optimizers side by side; w_T exactly 0 (underflow) in the leftmost
    bin. The counts of exact zeros and of runs on the boundary |w_T| = 1 are printed in each panel."""
    keys = list(runs)[:2] if keys is None else list(keys)
    fig, axes = plt.subplots(1, len(keys), figsize=(6.7, 3.4), sharey=True, layout="constrained", squeeze=False)
    axes = axes[0]
    bins = np.linspace(FLOOR - 5, 5, 66)
    for ax, key in zip(axes, keys):
        r = runs[key]
        L = _log10_abs(r.final[np.isfinite(r.final)])
        ax.hist(L, bins=bins, color=COLORS[key])
        ax.set_title(r.label)
        ax.set_xlabel("log10 |w_T|")
        n0 = int(np.sum(r.final == 0)); n1 = int(np.sum(np.abs(r.final) >= 1 - 1e-9))
        nt = int(np.sum(np.abs(r.final) < 1e-10))
        ax.text(0.5, 0.97, f"|w_T| < 10⁻¹⁰: {nt}\nw_T = 0: {n0}\n|w_T| = 1: {n1}", transform=ax.transAxes,
                va="top", ha="center", fontsize=10)
    axes[0].set_ylabel("runs")
    return fig


def scrubber(runs, n_frames=16):
    """Kernel-free frame scrubber (the kit's; IPython HTML): histogram of log10|w_t| for every optimizer at a
    sequence of log-spaced steps."""
    r0 = next(iter(runs.values()))
    idx = np.unique(np.round(np.geomspace(1, len(r0.t) - 1, n_frames)).astype(int))
    fig, ax = plt.subplots(figsize=(6.7, 3.9), dpi=80, layout="constrained")
    bins = np.linspace(FLOOR - 5, 5, 66)
    centers = 0.5 * (bins[1:] + bins[:-1])
    lines = {}
    for key, r in runs.items():
        (lines[key],) = ax.step(centers, np.zeros_like(centers), where="mid", color=_lr_eff_color(key, r)
                                if r.optimizer != "gd" else COLORS[key], ls=STYLES[key], label=r.label)
    ax.set_xlabel("log10 |w_t|  (w = 0 in the leftmost bin)"); ax.set_ylabel("fraction of runs")
    ax.set_ylim(0, 1)
    fig.legend(loc="outside right upper")
    title = ax.set_title("")

    def draw(k):
        i = idx[k]
        for key, r in runs.items():
            s = r.snapshots[:, i]
            h, _ = np.histogram(_log10_abs(s[np.isfinite(s)]), bins=bins)
            lines[key].set_ydata(h / max(1, s.size))
        title.set_text(f"step t = {r0.t[i]}")
        return list(lines.values())

    return book_scrubber(fig, draw, frames=len(idx), interval=300)


YMAX_EPS = 5.0


def eps_panel(sweep, a):
    """Left: mean |w_t| of AMSGrad for each eps (log axis). Right: each run's lr' = lr / (sqrt(vhat_T) + eps)
    against eps, with the Eq. 109 interval and the cap lr / eps."""
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 4.6), layout="constrained")
    lo, hi = th.lr_eff_interval(a)
    eps = np.array(list(sweep))
    xpos = np.arange(eps.size)
    styles = ["-", "--", "-.", ":", (0, (5, 1, 1, 1))]
    for k, (e, r) in enumerate(sweep.items()):
        m = np.where(r.mean_abs > 0, r.mean_abs, np.nan)
        axes[0].plot(r.t, m, color=f"C{k}", ls=styles[k % len(styles)], label=f"{r.label}")
        le = r.lr_eff
        jit = 0.08 * np.random.default_rng(k).standard_normal(le.size)
        axes[1].scatter(xpos[k] + jit, le, s=6, alpha=0.5, color=f"C{k}", zorder=3)
        if e > 0 and r.lr / e <= YMAX_EPS:
            axes[1].plot([xpos[k] - 0.3, xpos[k] + 0.3], [r.lr / e] * 2, "k-", lw=1.5)
        elif e > 0:
            axes[1].annotate(f"cap\n{r.lr / e:.2g}", (xpos[k], YMAX_EPS), xytext=(0, -24),
                             textcoords="offset points", ha="center", fontsize=9)
    axes[0].set_xlabel("step t"); axes[0].set_ylabel("mean |w_t| over runs")
    axes[0].set_yscale("log")
    axes[0].set_ylim(top=3.0)
    axes[0].set_title("mean |w_t|")
    axes[1].axhspan(lo, hi, color="0.88", label=f"Eq. 109: ({lo:.3f}, {hi:.3f})")
    axes[1].plot([], [], "k-", label="cap λ/ε")
    axes[1].set_xticks(xpos, [f"{e:g}" for e in eps])
    axes[1].set_xlabel("ε"); axes[1].set_ylabel("λ' = λ/(√v̂_T + ε) per run")
    axes[1].set_yscale("log"); axes[1].set_ylim(0.02, YMAX_EPS)
    axes[1].set_title("λ' at the last step")
    h0, l0 = axes[0].get_legend_handles_labels()
    h1, l1 = axes[1].get_legend_handles_labels()
    fig.legend(h0 + h1, l0 + l1, loc="outside lower center", ncol=4)
    return fig
