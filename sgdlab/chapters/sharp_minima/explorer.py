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


def draw(a, lr, b_auto, b, steps, n_runs=1000, seed=0):
    """One frame of the explorer: final distributions of SGD and GD (same start) over the contours."""
    bb = None if b_auto else b
    try:
        pair = ex.run_pair(a, lr, bb, n_runs, steps, seed, snapshots=[0, steps])
    except ValueError as err:
        print(f"invalid choice: {err}")
        return None
    P = pair.params
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
    for ax, (res, fr, name) in zip(axes, [(pair.sgd, pair.sgd_frac, "SGD"), (pair.gd, pair.gd_frac, "GD")]):
        pl._heat(ax, res.final, P["a"], vmax=P["n_runs"])
        ax.set_title(f"{name} at step {steps}: sharp {fr['sharp']:.3f}, flat {fr['flat']:.3f}", fontsize=10)
    axes[0].legend(loc="lower left", fontsize=7)
    guar = "w1 -> 0 guaranteed by the proof" if th.proof_mu(P["lr"], P["b"]) < 0 else "not covered by the proof"
    fig.suptitle(rf"$a={P['a']:g}$, $\lambda={P['lr']:g}$, $b={P['b']:.4g}$ ({guar}); {n_runs} runs", fontsize=10)
    fig.tight_layout()
    plt.show()
    return fig


def explorer(a=0.5, lr=0.05, b=None, steps=10000, n_runs=1000, seed=0):
    """Sliders for a, lr, b (or b = 1/lr - 6) and steps; the core re-simulates on every change."""
    wa = W.FloatSlider(value=a, min=0.05, max=1.0, step=0.05, description="a", continuous_update=False)
    wlr = W.FloatSlider(value=lr, min=0.005, max=0.3, step=0.005, readout_format=".3f",
                        description="λ", continuous_update=False)
    wauto = W.Checkbox(value=b is None, description="b = 1/λ − 6")
    wb = W.FloatSlider(value=14.0 if b is None else float(b), min=0.1, max=50.0, step=0.1,
                       description="b", continuous_update=False, disabled=b is None)
    wsteps = W.SelectionSlider(options=[10, 30, 100, 300, 1000, 3000, 10000, 30000],
                               value=min([10, 30, 100, 300, 1000, 3000, 10000, 30000], key=lambda s: abs(s - steps)),
                               description="steps", continuous_update=False)

    def _toggle(change):
        wb.disabled = change["new"]
    wauto.observe(_toggle, names="value")
    out = W.interactive_output(lambda a, lr, b_auto, b, steps: draw(a, lr, b_auto, b, steps, n_runs, seed),
                               {"a": wa, "lr": wlr, "b_auto": wauto, "b": wb, "steps": wsteps})
    ui = W.VBox([W.HBox([wa, wlr]), W.HBox([wauto, wb, wsteps]), out])
    display(ui)
    return ui
