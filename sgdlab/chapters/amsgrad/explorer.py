"""Explorer of the AMSGrad chapter: mean |w_t| live for chosen a, lr, beta1, beta2, eps and optimizer.

Built from explicit widgets and `interactive_output` (a bare `interact` can hang nbclient). Each
redraw runs the core for the chosen optimizer and for GD: 500 runs x 20 000 steps by default,
about 0.2 s.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters.amsgrad import experiments as ex
from sgdlab.chapters.amsgrad import theory as th

OPTIMIZERS = ["amsgrad", "adam", "gd"]


def draw(a, lr, beta1, beta2, eps, optimizer, steps=20000, n_runs=500, gd_lr=0.01, seed=0, stream_offset=0):
    """One explorer frame: mean |w_t| (±2 SE) of the chosen optimizer, with GD for reference."""
    try:
        P = dict(ex.PARAMS.validate(a=a, lr=lr, beta2=beta2, n_runs=n_runs, steps=steps, gd_lr=gd_lr, seed=seed))
        P.update(beta1=ex.BETA1.check(beta1), eps=ex.EPS.check(eps))
    except ValueError as err:
        print(f"Not simulated: {err}")
        return None
    w0 = ex.initial_points(n_runs, seed)
    t = ex.snapshot_steps(steps, n_lin=100, n_log=30)
    run = ex.run_optimizer(optimizer, P["beta1"], a=P["a"], lr=P["lr"] if optimizer != "gd" else gd_lr,
                           beta2=P["beta2"], steps=steps, w0=w0, seed=seed, eps=P["eps"], snapshots=t,
                           label=f"{optimizer}", stream_offset=stream_offset)
    fig, ax = plt.subplots(figsize=(6.7, 4.2), layout="constrained")
    ax.plot(run.t, run.mean_abs, "C0-", label=f"{optimizer} (β1 = {beta1:g}, β2 = {beta2:g}, ε = {eps:g})")
    ax.fill_between(run.t, run.mean_abs - 2 * run.se_abs, run.mean_abs + 2 * run.se_abs, color="C0", alpha=0.3)
    ax.plot(t, np.mean(th.gd_abs_path(a, gd_lr, t, w0), axis=0), "C3-.", label=f"GD exact (λ = {gd_lr:g})")
    text = f"mean |w_T| = {run.mean_abs[-1]:.3g} ± {run.se_abs[-1]:.1g}"
    if run.lr_eff is not None:
        lo, hi = th.lr_eff_interval(a)
        text += f"\nmedian λ/√v̂_T = {np.median(run.lr_eff):.3f}; Eq. 109: [{lo:.3f}, {hi:.3f}]"
    ax.text(0.98, 0.5, text, transform=ax.transAxes, ha="right", fontsize=10)
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel("step t")
    ax.set_ylabel("mean |w_t| (band ±2 SE)")
    ax.set_title(f"a = {a:g}, λ = {lr:g}, {n_runs} runs, diverged: {run.n_diverged}")
    fig.legend(loc="outside lower center", ncol=2)
    ax.grid(alpha=0.3)
    plt.show()
    return run


def explorer(a=-0.1, lr=0.2, beta1=0.0, beta2=0.999, eps=0.0, optimizer="amsgrad", steps=20000,
             n_runs=500, gd_lr=0.01, seed=0, stream_offset=0):
    """Controls + live figure. Needs a running kernel. A valid value off a control's range extends the
    range (it is never clipped); β2 and ε values off the menus are added to them."""
    w_a = W.FloatSlider(value=a, min=min(-1.0, a), max=max(-0.01, a), step=0.01, description="a",
                        continuous_update=False)
    lg = float(np.log10(lr))
    w_lr = W.FloatLogSlider(value=lr, base=10, min=min(-3.0, np.floor(lg)), max=max(0.0, np.ceil(lg)), step=0.05,
                            description="λ", continuous_update=False, readout_format=".3g")
    w_b1 = W.FloatSlider(value=beta1, min=0.0, max=max(0.99, beta1), step=0.01, description="β1",
                         continuous_update=False)
    w_b2 = W.Dropdown(options=sorted({0.9, 0.99, 0.999, 0.9999, beta2}), value=beta2, description="β2")
    w_eps = W.Dropdown(options=sorted({0.0, 1e-8, 1e-2, 0.1, 1.0, 4.0, eps}), value=eps, description="ε")
    w_opt = W.Dropdown(options=OPTIMIZERS, value=optimizer, description="optimizer")
    out = W.interactive_output(
        lambda a, lr, beta1, beta2, eps, optimizer: draw(a, lr, beta1, beta2, eps, optimizer, steps, n_runs,
                                                         gd_lr, seed, stream_offset),
        dict(a=w_a, lr=w_lr, beta1=w_b1, beta2=w_b2, eps=w_eps, optimizer=w_opt))
    controls = W.HBox([W.VBox([w_opt, w_a, w_lr]), W.VBox([w_b1, w_b2, w_eps])])
    return W.VBox([controls, out])
