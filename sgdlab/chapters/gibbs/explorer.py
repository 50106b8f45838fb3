"""Explorer of the long-run chapter: long-run histogram vs prediction, live, for chosen η, ησ²,
noise model and landscape. Explicit widgets + `interactive_output` (a bare `interact` can hang
nbclient). Each redraw runs about 1e7 updates in the core (well under a second)."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters.gibbs import experiments as ex
from sgdlab.chapters.gibbs import plots as pl
from sgdlab.chapters.gibbs import theory as th

LANDS = {"himmelblau": th.HIMMELBLAU, "three_hump_camel": th.THREE_HUMP}


def draw(eta, temp, noise, landscape, n_chains=40, horizon=400.0, seed=0):
    """One frame: histogram | prediction, and the TV between them."""
    sigma2 = temp / eta
    steps = int(horizon / eta)
    try:
        run = ex.long_run(eta, sigma2, n_chains, steps, steps // 10, seed, noise=noise, c=1.0,
                          n_groups=4, landscape=landscape)
    except ValueError as err:
        print(f"Not simulated: {err}")
        return None
    land = LANDS[landscape]
    form = "gibbs" if noise == "gaussian" else "powerlaw"
    G = th.bin_density(land, run.edges, run.edges, eta, sigma2, form, 1.0)
    fig = pl.heatmaps(run, G)
    fig.suptitle(f"{landscape}, {noise} noise, η = {eta:g}, ησ² = {temp:g}:\n"
                 f"TV = {th.tv_distance(run.hist, G):.3f}, outside the box {run.n_outside}, "
                 f"diverged {run.n_diverged}", fontsize=10)
    plt.show()
    return run


def explorer(eta=2e-3, temp=30.0, noise="gaussian", landscape="himmelblau", seed=0):
    """Controls + live figure (needs a running kernel). A valid η or temperature outside the sliders'
    ranges extends them."""
    import math
    lo = min(-3.7, math.floor(math.log10(eta) * 20) / 20)
    hi = max(-2.2, math.log10(ex.ETA_MAX))
    w_eta = W.FloatLogSlider(value=eta, base=10, min=lo, max=hi, step=0.05, description="η",
                             continuous_update=False, readout_format=".1e")
    w_temp = W.FloatSlider(value=temp, min=min(1.0, temp), max=max(60.0, temp), step=1.0,
                           description="ησ² or ησ²c", continuous_update=False)
    w_noise = W.Dropdown(options=["gaussian", "loss"], value=noise, description="noise")
    w_land = W.Dropdown(options=list(LANDS), value=landscape, description="landscape")
    out = W.interactive_output(lambda eta, temp, noise, landscape: draw(eta, temp, noise, landscape, seed=seed),
                               dict(eta=w_eta, temp=w_temp, noise=w_noise, landscape=w_land))
    box = W.VBox([W.HBox([w_eta, w_temp]), W.HBox([w_noise, w_land]), out])
    return box
