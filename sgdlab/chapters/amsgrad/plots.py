"""Figures of the AMSGrad chapter (Ziyin, Li & Ueda §5.4, §6.4, D.4)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sgdlab.book import scrubber as book_scrubber

from sgdlab.chapters.amsgrad import theory as th

COLORS = {"amsgrad_0.0": "C0", "adam_0.0": "C1", "amsgrad_0.9": "C0", "adam_0.9": "C1", "gd": "C3"}
STYLES = {"amsgrad_0.0": "-", "adam_0.0": "-", "amsgrad_0.9": "-", "adam_0.9": "-", "gd": "-"}
FLOOR = -320.0   # log10|w| drawn for w exactly 0 (underflow)


def fig4(runs, a, gd_lr, z=2.0):
    """Mean |w_t| with a ±z SE band; left β1 = 0, right β1 = 0.9; GD (with its exact mean) on both."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    gd = runs.get("gd")
    for ax, b1 in zip(axes, (0.0, 0.9)):
        for key, r in runs.items():
            if r.optimizer == "gd" or r.beta1 != b1:
                continue
            ax.plot(r.t, r.mean_abs, color=COLORS[key], label=r.label)
            ax.fill_between(r.t, r.mean_abs - z * r.se_abs, r.mean_abs + z * r.se_abs, color=COLORS[key], alpha=0.3)
        if gd is not None:
            ax.plot(gd.t, gd.mean_abs, color="C3", label=f"GD (λ = {gd.lr:g})")
            ax.fill_between(gd.t, gd.mean_abs - z * gd.se_abs, gd.mean_abs + z * gd.se_abs, color="C3", alpha=0.3)
            ax.plot(gd.t, np.mean(th.gd_abs_path(a, gd.lr, gd.t, gd.w0), axis=0), "k:", lw=1.5,
                    label="GD exact: mean of min(1, |w0|(1−λa/2)^t)")
        ax.set_xlabel("step t")
        ax.set_title(f"β1 = {b1:g}" + (" (no momentum)" if b1 == 0 else " (momentum)"))
        ax.set_ylim(-0.03, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center right")
    axes[0].set_ylabel("mean |w_t| over runs (band ±2 SE)")
    fig.tight_layout()
    return fig


def _log10_abs(x):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log10(np.abs(x)), FLOOR)


def log_quantiles(runs):
    """Median and 10-90% band of log10|w_t| per optimizer (w exactly 0, i.e. underflow, drawn at the floor)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for ax, b1 in zip(axes, (0.0, 0.9)):
        for key, r in runs.items():
            if r.optimizer != "gd" and r.beta1 != b1:
                continue
            L = _log10_abs(r.snapshots[np.all(np.isfinite(r.snapshots), axis=1)])
            lo, med, hi = np.percentile(L, [10, 50, 90], axis=0)
            ax.plot(r.t, med, color=COLORS[key], label=f"{r.label}: median")
            ax.fill_between(r.t, lo, hi, color=COLORS[key], alpha=0.2)
            ax.plot(r.t, np.log10(np.maximum(r.mean_abs, 10.0 ** FLOOR)), color=COLORS[key], ls="--", lw=1,
                    label=f"{r.label}: log10 of mean |w|")
        ax.set_xscale("symlog", linthresh=100)
        ax.set_xlabel("step t (linear below 100, log above)")
        ax.set_title(f"β1 = {b1:g}")
        ax.set_ylim(-330, 10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("log10 |w_t|  (median, 10–90% band)")
    fig.tight_layout()
    return fig


def vhat_paths(paths, a, lr):
    """v_t and vhat_t (median and 10-90% band over runs) against t, with the threshold and the bound."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    c_star = th.vhat_threshold(a, lr)
    for ax, b1 in zip(axes, (0.0, 0.9)):
        for key, p in paths.items():
            if p["beta1"] != b1:
                continue
            arr = p["vhat"] if p["optimizer"] == "amsgrad" else p["v"]
            name = "AMSGrad v̂_t" if p["optimizer"] == "amsgrad" else "Adam v_t (= v̂_t)"
            col = "C0" if p["optimizer"] == "amsgrad" else "C1"
            lo, med, hi = np.percentile(arr, [10, 50, 90], axis=0)
            ax.plot(p["t"], med, color=col, marker=".", label=name + " (median)")
            ax.fill_between(p["t"], lo, hi, color=col, alpha=0.2)
            if p["optimizer"] == "amsgrad":
                ax.plot(p["t"], np.median(p["v"], axis=0), color=col, ls=":", label="AMSGrad v_t (median)")
        if b1 == 0.0:
            ax.axhline(c_star, color="k", ls="--", lw=1,
                       label=f"(λ/λ'_hi)² = {c_star:.4f}: λ/√v̂ enters Eq. 109")
        ax.axhline(th.vhat_bound(a), color="grey", ls="-.", lw=1, label=f"bound (1−a)² = {th.vhat_bound(a):.2f}")
        ax.set_xscale("log"); ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_title(f"β1 = {b1:g}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("second-moment estimate (band 10–90%)")
    fig.tight_layout()
    return fig


def phase(runs, a, mom9, a_range=(-1.0, -0.005)):
    """Left: the Eq. 109 region in the (a, λ') plane with the measured λ' = λ/√v̂_T of each run.
    Right: growth rate of |w| against λ' at `a` — μ(λ') for β1 = 0 (exact), momentum SGD for β1 = 0.9
    (core) — with histograms of the measured λ'."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ax = axes[0]
    aa = np.linspace(a_range[0], a_range[1], 300)
    lo = aa / (aa - 1); hi = (aa - np.sqrt(aa * aa - 8 * aa + 8)) / (2 * (aa - 1))
    ax.fill_between(aa, lo, hi, color="0.85", label="Eq. 109: w → 0 (β1 = 0)")
    ax.plot(aa, lo, "k-", lw=1); ax.plot(aa, hi, "k-", lw=1)
    rng = np.random.default_rng(0)
    offs = {"amsgrad_0.0": -0.02, "adam_0.0": -0.01, "amsgrad_0.9": 0.01, "adam_0.9": 0.02}
    marks = {"amsgrad_0.0": "o", "adam_0.0": "s", "amsgrad_0.9": "^", "adam_0.9": "v"}
    for key, r in runs.items():
        if r.lr_eff is None:
            continue
        le = r.lr_eff[:400]
        ax.scatter(a + offs[key] + 0.004 * rng.standard_normal(le.size), le, s=4, alpha=0.4,
                   marker=marks[key], color=COLORS[key] if r.beta1 == 0 else ("C2" if "amsgrad" in key else "C4"),
                   label=f"{r.label}: λ/√v̂_T")
    ax.set_xlabel("a"); ax.set_ylabel("effective learning rate λ' = λ/√c")
    ax.set_ylim(0, 2.2); ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", markerscale=3)
    ax.set_title("Prop. 5 / Eq. 109 phase diagram (runs jittered around a)")
    ax = axes[1]
    x = np.linspace(0.01, 2.0, 400)
    with np.errstate(divide="ignore"):
        ax.plot(x, th.mu_eff(a, x), "C0-", label="β1 = 0: μ(λ') (exact, Lemma 1)")
    ax.errorbar(mom9["lr_eff"], mom9["rate"], yerr=2 * mom9["se"], fmt="C2.", ms=4,
                label=f"β1 = {mom9['beta1']:g}: momentum SGD at λ' (core, ±2 SE)")
    ax.axhline(0, color="k", lw=0.8)
    l0, h0 = th.lr_eff_interval(a)
    ax.axvspan(l0, h0, color="0.9", zorder=0)
    ax.set_ylim(-0.06, 0.06)
    ax.set_xlabel("λ'"); ax.set_ylabel("growth rate of ln|w| per step")
    ax.set_title(f"a = {a:g}: who shrinks at which λ'")
    ax2 = ax.twinx()
    bins = np.linspace(0, 2.0, 81)
    for key, r in runs.items():
        if r.lr_eff is None:
            continue
        col = COLORS[key] if r.beta1 == 0 else ("C2" if "amsgrad" in key else "C4")
        ax2.hist(np.clip(r.lr_eff, 0, 2.0), bins=bins, histtype="step", color=col, lw=1.2,
                 ls="-" if "amsgrad" in key else "--", label=f"{r.label}")
    ax2.set_ylabel("runs (histogram of λ/√v̂_T)")
    h1, l1 = ax.get_legend_handles_labels(); h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def final_distribution(runs):
    """Histogram of log10|w_T| per optimizer; w_T exactly 0 (underflow) in the leftmost bin."""
    keys = list(runs)
    fig, axes = plt.subplots(1, len(keys), figsize=(3.0 * len(keys), 3.2), sharey=True)
    bins = np.linspace(FLOOR - 5, 5, 66)
    for ax, key in zip(axes, keys):
        r = runs[key]
        L = _log10_abs(r.final[np.isfinite(r.final)])
        ax.hist(L, bins=bins, color=COLORS[key])
        ax.set_title(r.label, fontsize=9)
        ax.set_xlabel("log10 |w_T|")
        n0 = int(np.sum(r.final == 0)); n1 = int(np.sum(np.abs(r.final) >= 1 - 1e-9))
        ax.text(0.02, 0.95, f"w_T = 0: {n0}\n|w_T| = 1: {n1}", transform=ax.transAxes, va="top", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("runs")
    fig.tight_layout()
    return fig


def scrubber(runs, n_frames=40):
    """Kernel-free frame scrubber (IPython HTML): histogram of log10|w_t| for every optimizer at a sequence of steps."""
    r0 = next(iter(runs.values()))
    idx = np.unique(np.round(np.geomspace(1, len(r0.t) - 1, n_frames)).astype(int))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = np.linspace(FLOOR - 5, 5, 66)
    centers = 0.5 * (bins[1:] + bins[:-1])
    lines = {}
    for key, r in runs.items():
        (lines[key],) = ax.step(centers, np.zeros_like(centers), where="mid", color=COLORS[key],
                                ls="-" if r.beta1 == 0 or r.optimizer == "gd" else "--", label=r.label)
    ax.set_xlabel("log10 |w_t|  (w = 0 in the leftmost bin)"); ax.set_ylabel("fraction of runs")
    ax.set_ylim(0, 1); ax.legend(fontsize=7, loc="upper left"); ax.grid(alpha=0.3)
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
    """Left: mean |w_t| of AMSGrad for each eps. Right: each run's lr' = lr / (sqrt(vhat_T) + eps) against eps,
    with the Eq. 109 interval and the cap lr / eps."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    lo, hi = th.lr_eff_interval(a)
    eps = np.array(list(sweep))
    xpos = np.arange(eps.size)
    for k, (e, r) in enumerate(sweep.items()):
        axes[0].plot(r.t, r.mean_abs, color=f"C{k}", label=f"{r.label}: mean |w_T| = {r.mean_abs[-1]:.2g}")
        axes[0].fill_between(r.t, r.mean_abs - 2 * r.se_abs, r.mean_abs + 2 * r.se_abs, color=f"C{k}", alpha=0.3)
        le = r.lr_eff
        jit = 0.08 * np.random.default_rng(k).standard_normal(le.size)
        axes[1].scatter(xpos[k] + jit, le, s=6, alpha=0.5, color=f"C{k}", zorder=3)
        if e > 0 and r.lr / e <= YMAX_EPS:
            axes[1].plot([xpos[k] - 0.3, xpos[k] + 0.3], [r.lr / e] * 2, "k-", lw=1.5)
        elif e > 0:
            axes[1].annotate(f"cap λ/ε = {r.lr / e:.2g}\n(off scale)", (xpos[k], YMAX_EPS), xytext=(0, -22),
                             textcoords="offset points", ha="center", fontsize=7)
    axes[0].set_xlabel("step t"); axes[0].set_ylabel("mean |w_t| over runs (band ±2 SE)")
    axes[0].set_ylim(-0.03, 1.05); axes[0].grid(alpha=0.3); axes[0].legend(fontsize=7, loc="center right")
    axes[0].set_title("AMSGrad, β1 = 0, with ε")
    axes[1].axhspan(lo, hi, color="0.88", label=f"Eq. 109: [{lo:.3f}, {hi:.3f}]")
    axes[1].plot([], [], "k-", label="cap λ/ε")
    axes[1].set_xticks(xpos, [f"{e:g}" for e in eps])
    axes[1].set_xlabel("ε"); axes[1].set_ylabel("λ' = λ/(√v̂_T + ε) per run")
    axes[1].set_yscale("log"); axes[1].set_ylim(0.02, YMAX_EPS); axes[1].grid(alpha=0.3); axes[1].legend(fontsize=8, loc="lower left")
    axes[1].set_title("effective learning rate at the last step")
    fig.tight_layout()
    return fig
