"""Explorer of the sharp-minima chapter: final distribution of SGD and GD for chosen a, lr, b, steps.

Built from explicit widgets and `interactive_output` (never bare `interact`, which can hang nbclient).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import ipywidgets as W
from IPython.display import display

from sgdlab.chapters.sharp_minima import experiments as ex
from sgdlab.chapters.sharp_minima import plots as pl
from sgdlab.chapters.sharp_minima import theory as th


def draw(a, lr, b_auto, b, steps, n_runs=1000, seed=0, stream_offset=0):
    """One frame of the explorer: final distributions of SGD and GD (same start) over the contours."""
    bb = None if b_auto else b
    try:
        pair = ex.run_pair(a, lr, bb, n_runs, steps, seed, snapshots=[0, steps], stream_offset=stream_offset)
    except ValueError as err:
        print(f"invalid choice: {err}")
        return None
    P = pair.params
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.8), layout="constrained")
    for ax, (res, fr, name) in zip(axes, [(pair.sgd, pair.sgd_frac, "SGD"), (pair.gd, pair.gd_frac, "GD")]):
        pl._heat(ax, res.final, P["a"], vmax=P["n_runs"])
        ax.set_title(f"{name} at step {steps}: sharp {fr['sharp']:.3f}, flat {fr['flat']:.3f}", fontsize=10)
    h, l = axes[0].get_legend_handles_labels()
    fig.legend(h, l, loc="outside lower center", ncol=2)
    guar = "w1 -> 0 guaranteed by the proof" if th.proof_mu(P["lr"], P["b"]) < 0 else "not covered by the proof"
    fig.suptitle(rf"$a={P['a']:g}$, $\lambda={P['lr']:g}$, $b={P['b']:.4g}$ ({guar}); {n_runs} runs", fontsize=10)
    plt.show()
    return fig


def explorer(a=0.5, lr=0.05, b=None, steps=10000, n_runs=1000, seed=0, stream_offset=0):
    """Sliders for a, lr, b (or b = 1/lr - 6) and steps; the core re-simulates on every change.
    A valid value off a control's range extends the range (it is never clipped); steps outside the
    slider's list are added to it."""
    wa = W.FloatSlider(value=a, min=min(0.05, a), max=1.0, step=0.05, description="a", continuous_update=False)
    wlr = W.FloatSlider(value=lr, min=min(0.005, lr), max=max(0.3, lr), step=0.005, readout_format=".3f",
                        description="λ", continuous_update=False)
    wauto = W.Checkbox(value=b is None, description="b = 1/λ − 6")
    b0 = 14.0 if b is None else float(b)
    wb = W.FloatSlider(value=b0, min=min(0.1, b0), max=max(50.0, b0), step=0.1,
                       description="b", continuous_update=False, disabled=b is None)
    opts = sorted({10, 30, 100, 300, 1000, 3000, 10000, 30000} | {int(steps)})
    wsteps = W.SelectionSlider(options=opts, value=int(steps), description="steps", continuous_update=False)

    def _toggle(change):
        wb.disabled = change["new"]
    wauto.observe(_toggle, names="value")
    out = W.interactive_output(lambda a, lr, b_auto, b, steps: draw(a, lr, b_auto, b, steps, n_runs, seed,
                                                                                stream_offset),
                               {"a": wa, "lr": wlr, "b_auto": wauto, "b": wb, "steps": wsteps})
    ui = W.VBox([W.HBox([wa, wlr]), W.HBox([wauto, wb, wsteps]), out])
    display(ui)
    return ui
