"""Explorer of the sticking chapter: split probabilities h(y) at a sharp maximum, live.

Built from explicit widgets and `interactive_output` (a bare `interact` can hang nbclient). Each redraw
runs SGD on the kinked wells at 7 offsets and the random-walk oracle at the same offsets in the core
(2000 runs each by default: ~1e7 updates, about a second for stable noise, less for light tails).
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters.sticking import experiments as ex
from sgdlab.chapters.sticking import plots as pl
from sgdlab.chapters.sticking import theory as th


def offsets_around(y, n=7):
    """n integer-spaced offsets centred on the chosen one (the chosen one is included)."""
    return [float(y + k) for k in range(-(n // 2), n // 2 + 1)]


def draw(a, b, law, scale, alpha, eps, y, n_runs=2000, seed=0):
    """One explorer frame: SGD and oracle h at offsets around y, with theory curves."""
    if abs(y) * eps >= ex.DELTA:
        print(f"Not simulated: offset y: |y| eps must be < {ex.DELTA}, got y = {y:g}, eps = {eps:g}")
        return None
    ys = [v for v in offsets_around(y) if abs(v) * eps < ex.DELTA]
    try:
        ex.validate_parameters(eps, a, b, law, scale, alpha, ys, n_runs, seed)
    except ValueError as err:
        print(f"Not simulated: {err}")
        return None
    sgd = ex.kink_split(a, b, law, scale, alpha, eps, ys, n_runs=n_runs, seed=seed, block=0)
    orc = ex.walk_oracle(a, b, law, scale, alpha, ys, n_runs=n_runs, seed=seed, block=50)
    pl.kink_split(sgd, orc, a, b, law, scale, alpha)
    plt.show()
    i = ys.index(float(y))
    extra = f", exact Laplace {float(th.laplace_split(y, a, b, scale)):.4f}" if law == "laplace" else ""
    print(f"y = {y:g}: SGD {sgd.p_right[i]:.4f} ± {sgd.se[i]:.4f}, oracle {orc.p_right[i]:.4f}{extra}; "
          f"E[ε τ] = {sgd.mean_time[i]:.3f}; diverged {int(sgd.n_diverged.sum())}")
    return sgd, orc


def explorer(a=1.0, b=2.0, law="laplace", scale=1.0, alpha=1.5, eps=1e-3, y=1.0, n_runs=2000, seed=0):
    """Controls + live figure. Needs a running kernel; on the static page it shows the initial view."""
    w_a = W.FloatSlider(value=a, min=0.1, max=5.0, step=0.1, description="a = f'(M−)", continuous_update=False)
    w_b = W.FloatSlider(value=b, min=0.1, max=5.0, step=0.1, description="b = −f'(M+)", continuous_update=False)
    w_law = W.Dropdown(options=list(th.LAWS), value=law, description="noise")
    w_s = W.FloatLogSlider(value=scale, base=10, min=-1, max=1.5, step=0.05, description="scale",
                           continuous_update=False)
    w_al = W.FloatSlider(value=alpha, min=1.1, max=1.9, step=0.05, description="α (stable)",
                         continuous_update=False)
    w_eps = W.Dropdown(options=[1e-2, 3e-3, 1e-3, 3e-4], value=eps if eps in (1e-2, 3e-3, 1e-3, 3e-4) else 1e-3,
                       description="ε")
    w_y = W.FloatSlider(value=y, min=-5.0, max=5.0, step=0.5, description="offset y", continuous_update=False)
    out = W.interactive_output(
        lambda a, b, law, scale, alpha, eps, y: draw(a, b, law, scale, alpha, eps, y, n_runs=n_runs, seed=seed),
        dict(a=w_a, b=w_b, law=w_law, scale=w_s, alpha=w_al, eps=w_eps, y=w_y))
    return W.VBox([W.HBox([w_a, w_b, w_law]), W.HBox([w_s, w_al, w_eps]), w_y, out])
