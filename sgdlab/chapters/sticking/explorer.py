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
        P = ex.PARAMS.validate(eps=eps, kink_a=a, kink_b=b, noise=law, noise_scale=scale, alpha=alpha, offsets=ys,
                               n_runs=n_runs, seed=seed)
    except ValueError as err:
        print(f"Not simulated: {err}")
        return None
    S = ex.stream_plan(P)
    sgd = ex.kink_split(a, b, law, scale, alpha, eps, ys, n_runs=n_runs, seed=seed, stream_offset=S["explorer/sgd"])
    orc = ex.walk_oracle(a, b, law, scale, alpha, ys, n_runs=n_runs, seed=seed, stream_offset=S["explorer/oracle"])
    pl.kink_split(sgd, orc, a, b, law, scale, alpha)
    plt.show()
    i = ys.index(float(y))
    extra = f", exact Laplace {float(th.laplace_split(y, a, b, scale)):.4f}" if law == "laplace" else ""
    print(f"y = {y:g}: SGD {sgd.p_right[i]:.4f} ± {sgd.se[i]:.4f}, oracle {orc.p_right[i]:.4f}{extra}; "
          f"E[ε τ] = {sgd.mean_time[i]:.3f}; diverged {int(sgd.n_diverged.sum())}")
    return sgd, orc


def explorer(a=1.0, b=2.0, law="laplace", scale=1.0, alpha=1.5, eps=1e-3, y=1.0, n_runs=2000, seed=0):
    """Controls + live figure (needs a running kernel). A valid value off a control's grid or range widens
    the range or joins the grid, so the explorer opens at the chapter's parameters."""
    w_a = W.FloatSlider(value=a, min=min(0.1, a), max=max(5.0, a), step=0.1, description="a = f'(M−)",
                        continuous_update=False)
    w_b = W.FloatSlider(value=b, min=min(0.1, b), max=max(5.0, b), step=0.1, description="b = −f'(M+)",
                        continuous_update=False)
    w_law = W.Dropdown(options=list(th.LAWS), value=law, description="noise")
    lg = float(np.log10(scale))
    w_s = W.FloatLogSlider(value=scale, base=10, min=min(-1, lg), max=max(1.5, lg), step=0.05, description="scale",
                           continuous_update=False)
    w_al = W.FloatSlider(value=alpha, min=min(1.1, alpha), max=max(1.9, alpha), step=0.05, description="α (stable)",
                         continuous_update=False)
    w_eps = W.Dropdown(options=sorted({1e-2, 3e-3, 1e-3, 3e-4, float(eps)}, reverse=True), value=float(eps),
                       description="ε")
    w_y = W.FloatSlider(value=y, min=min(-5.0, y), max=max(5.0, y), step=0.5, description="offset y",
                        continuous_update=False)
    out = W.interactive_output(
        lambda a, b, law, scale, alpha, eps, y: draw(a, b, law, scale, alpha, eps, y, n_runs=n_runs, seed=seed),
        dict(a=w_a, b=w_b, law=w_law, scale=w_s, alpha=w_al, eps=w_eps, y=w_y))
    return W.VBox([W.HBox([w_a, w_b, w_law]), W.HBox([w_s, w_al, w_eps]), w_y, out])
