"""Explorer of the escape-rate chapter: gamma(lr) live for chosen a, data law, batch, steps, n_runs.

Built from explicit widgets and `interactive_output` (a bare `interact` can hang nbclient). Each
redraw runs the core on a 49-point lr grid: about 5e6 updates at the defaults, well under a second.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters.saddle_escape import experiments as ex
from sgdlab.chapters.saddle_escape import theory as th

GRID = [round(0.02 * k, 2) for k in range(1, 50)]


def draw(a, law, batch_size, steps, n_runs, seed=0):
    """One explorer frame: simulated gamma(lr) (+-2 SE) with the exact mu(lr) and GD's rate."""
    try:
        curve = ex.escape_rate_curve(a, GRID, n_runs=n_runs, steps=steps, seed=seed, law=law,
                                     batch_size=batch_size)
    except ValueError as err:  # e.g. too many steps for the double range: say so instead of failing
        print(f"Not simulated: {err}")
        return None
    lr_fine = np.linspace(2e-3, 0.998, 500)
    mu = ex.theory_curve(a, lr_fine, law, batch_size)
    fig, ax = plt.subplots(figsize=(6.7, 4.2))
    ax.plot(lr_fine, mu, "k-", lw=1.4, label="theory μ(λ)")
    ax.errorbar(curve.lrs, curve.gamma, yerr=2 * curve.se, fmt="o", ms=3, color="C0",
                elinewidth=0.8, label=f"simulated ({curve.meta['data']}, ±2 SE)")
    ax.plot(lr_fine, th.gd_rate(a, lr_fine), "C3--", lw=1.2, label="GD ln(1 − λa/2)")
    k = int(np.argmax(curve.gamma))
    ax.plot(curve.lrs[k], curve.gamma[k], "D", mfc="none", mec="C0", ms=9, mew=1.5,
            label=f"simulated max: λ = {curve.lrs[k]:.2f}, γ = {curve.gamma[k]:.4f}")
    if law == "two-point" and batch_size == 1:
        ax.plot(th.optimal_lr(a), th.optimal_rate(a), "k*", ms=12,
                label=f"Prop. 3: λ* = {float(th.optimal_lr(a)):.3f}, γ* = {float(th.optimal_rate(a)):.4f}")
    top = max(float(np.max(mu)), float(np.nanmax(curve.gamma)), 1e-3)
    ax.set_ylim(-2.0 * top, 2.2 * top)
    ax.set_xlim(0, 1)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("learning rate λ")
    ax.set_ylabel("escape rate γ (per step)")
    ax.set_title(f"a = {a:g}, {n_runs} runs × {steps} steps, diverged runs: {int(curve.n_diverged.sum())}")
    ax.legend(fontsize=8, loc="lower left")
    plt.show()
    return curve


def explorer(a=-1.0, law="two-point", batch_size=1, steps=50, n_runs=2000, seed=0):
    """Controls + live figure. Needs a running kernel; on the static page it shows the initial view."""
    # any valid parameter value works: ranges and option lists are extended to include it
    a = float(a)
    w_a = W.FloatSlider(value=a, min=min(-3.0, a), max=max(-0.02, a), step=0.001, description="a",
                        continuous_update=False, readout_format=".3f")
    w_law = W.Dropdown(options=list(ex.LAWS), value=law, description="data law")
    w_b = W.Dropdown(options=sorted({1, 2, 4, 8, 16, 64, int(batch_size)}), value=int(batch_size),
                     description="batch B")
    w_steps = W.IntSlider(value=int(steps), min=1, max=max(200, int(steps)), step=1, description="steps",
                          continuous_update=False)
    w_runs = W.Dropdown(options=sorted({200, 500, 1000, 2000, 5000, 10000, int(n_runs)}), value=int(n_runs),
                        description="n_runs")
    out = W.interactive_output(
        lambda a, law, batch_size, steps, n_runs: draw(a, law, batch_size, steps, n_runs, seed),
        dict(a=w_a, law=w_law, batch_size=w_b, steps=w_steps, n_runs=w_runs))
    controls = W.HBox([W.VBox([w_a, w_law, w_b]), W.VBox([w_steps, w_runs])])
    return W.VBox([controls, out])
