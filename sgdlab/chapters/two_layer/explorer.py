"""Explorer of the two-layer-network chapter: final (u, w) for chosen a, lr, batch size and init.

Explicit widgets + `interactive_output` (a bare `interact` can hang nbclient). Each redraw runs the
core twice (SGD with the chosen batch and GD, same starts): 2 x n_runs x steps updates (~1e6 at
the defaults, well under a second).
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters._kit import FIG_WIDTH
from sgdlab.chapters.two_layer import experiments as ex
from sgdlab.chapters.two_layer.plots import hyperbola as _hyperbola
from sgdlab.chapters.two_layer import theory as th


def draw(a, lr, batch, init, steps=1000, n_runs=500, seed=0):
    """One explorer frame: SGD (batch S) and GD final states, with the exponents' prediction."""
    w0 = ex.initial_points(n_runs, seed, init)
    sgd = ex.outcome(f"SGD, batch {batch}", ex.run(a, lr, w0=w0, steps=steps, batch=batch, seed=seed), a)
    gd = ex.outcome("GD", ex.run(a, lr, w0=w0, steps=steps, optimizer="gd", seed=seed), a)
    lh, lm = float(th.lyap_h(a, lr, batch)), float(th.lyap_m(a, lr, batch))
    attract = lh < 0 and (init == "balanced" or lm < 0)
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 4.2))
    for ax, o, col in zip(axes, (sgd, gd), ("C0", "C3")):
        f = o.result.final
        ax.scatter(f[:, 0], f[:, 1], s=5, color=col, alpha=0.6)
        _hyperbola(ax, a, 2.0, color="k", lw=0.8, ls="--", label="u·w = E[c]")
        ax.set_xlim(-2, 2); ax.set_ylim(-2, 2); ax.set_aspect("equal")
        ax.set_xlabel("u"); ax.set_ylabel("w")
        ax.set_title(f"{o.label}\norigin {o.frac_origin:.3f}, escaped {o.frac_escaped:.3f},\n"
                     f"diverged {o.frac_diverged:.3f}", fontsize=10)
    fig.suptitle(f"a = {a:g}, λ = {lr:g}, {init} starts, T = {steps}: Λ_h = {lh:.4f}, Λ_m = {lm:.4f}\n"
                 f"linear theory: the origin {'attracts' if attract else 'repels'}", fontsize=10)
    plt.show()
    return sgd, gd


def explorer(a=-0.2, lr=0.5, batch=1, init="generic", steps=1000, n_runs=500, seed=0):
    """Controls + live figure (needs a running kernel). Every value the chapter's parameters allow is
    reachable: the sliders cover a in [-3, 0) and lr in (0, 2] (a value off their grid of 0.01 is
    snapped to it), and a batch size or step count not in the menus is added to them."""
    w_a = W.FloatSlider(value=a, min=-3.0, max=-0.01, step=0.01, description="a",
                        continuous_update=False, readout_format=".2f")
    w_lr = W.FloatSlider(value=lr, min=0.01, max=2.0, step=0.01, description="λ",
                         continuous_update=False, readout_format=".2f")
    w_b = W.Dropdown(options=sorted({1, 2, 3, 4, 8, 16, int(batch)}), value=int(batch), description="batch S")
    w_init = W.Dropdown(options=["generic", "balanced"], value=init, description="init")
    w_steps = W.Dropdown(options=sorted({200, 1000, 2000, 5000, int(steps)}), value=int(steps),
                         description="steps")
    out = W.interactive_output(
        lambda a, lr, batch, init, steps: draw(a, lr, batch, init, steps, n_runs, seed),
        dict(a=w_a, lr=w_lr, batch=w_b, init=w_init, steps=w_steps))
    return W.VBox([W.HBox([W.VBox([w_a, w_lr, w_b]), W.VBox([w_init, w_steps])]), out])
