"""Explorer of the heavy-tailed chapter: alpha, truncation b, eta, noise law and start, live.

Built from explicit widgets and `interactive_output` (a bare `interact` can hang nbclient). Each
redraw runs 2 paths of `steps` steps in the core (4e6 updates at the defaults: well under a second).
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from sgdlab.chapters.heavy_tails import experiments as ex
from sgdlab.chapters.heavy_tails import theory as th

B_OPTIONS = [("none", None), ("0.2", 0.2), ("0.28", 0.28), ("0.4", 0.4), ("0.5", 0.5), ("0.7", 0.7), ("1.0", 1.0)]


def draw(alpha, b, eta, noise, x0, steps=2 * 10**6, n_paths=2, seed=0):
    """One explorer frame: histogram and path of the run, occupancy vs the CTMC prediction."""
    cp = ex.critical_points()
    scale = 0.1 if noise == "pareto" else 1.0
    try:
        run = ex.run_occupancy(alpha, b, eta, steps, n_paths, x0, scale, noise, seed, n_frames=1500)
    except ValueError as err:
        print(f"Not simulated: {err}")
        return None
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(12, 3.4))
    e = run.hist_edges
    a1.bar(e[:-1], run.hist / max(run.hist.sum(), 1) / np.diff(e), width=np.diff(e), align="edge")
    a1.set_yscale("log")
    a1.set_xlabel("x")
    a1.set_ylabel("density of visited locations")
    for mi in cp["m"]:
        a1.axvline(mi, color="k", ls="--", lw=0.6)
    a2.plot(run.traj_steps, run.trajectories[0], lw=0.5)
    a2.set_ylim(-th.L_PROJ, th.L_PROJ)
    a2.set_xlabel("step n")
    a2.set_ylabel("X_n (first path)")
    a3.bar(range(4), run.pooled, color="C0", alpha=0.7, label="simulated")
    g = th.transition_graph(cp["m"], cp["s"], b)
    if noise == "pareto":
        try:
            pred = th.predicted_occupancy(b, alpha, x0, cp)
        except ValueError:
            pred = np.full(4, np.nan)
        if np.all(np.isfinite(pred)):
            a3.plot(range(4), pred, "r_", ms=20, mew=3, label="CTMC limit (η → 0)")
    a3.set_xticks(range(4))
    a3.set_xticklabels(["Ω1", "Ω2", "Ω3", "Ω4"])
    a3.set_ylim(0, 1.05)
    a3.set_ylabel("fraction of steps")
    a3.legend(fontsize=8)
    fig.suptitle(f"{noise}, α = {alpha:g}, b = {ex.b_key(b)}, η = {eta:g}, x0 = {x0:g}: l* = "
                 f"{list(map(int, g['l_star']))}, G_b {'irreducible' if g['irreducible'] else 'reducible'}; "
                 f"sharp fraction {run.sharp_fraction:.3f}; diverged {run.n_diverged}", fontsize=9)
    fig.tight_layout()
    plt.show()
    return run


def explorer(alpha=1.2, b=0.5, eta=1e-2, noise="pareto", x0=0.3, seed=0):
    """Controls + live figure. Needs a running kernel; on the static page it shows the initial view."""
    w_alpha = W.FloatSlider(value=alpha, min=1.05, max=1.95, step=0.05, description="α",
                            continuous_update=False)
    w_b = W.Dropdown(options=B_OPTIONS, value=b if b in dict(B_OPTIONS).values() else 0.5, description="b")
    w_eta = W.SelectionSlider(options=[0.03, 0.02, 0.01, 0.005, 0.003], value=eta if eta in
                              (0.03, 0.02, 0.01, 0.005, 0.003) else 0.01, description="η", continuous_update=False)
    w_noise = W.Dropdown(options=list(ex.NOISES), value=noise, description="noise")
    w_x0 = W.FloatSlider(value=x0, min=-1.55, max=1.55, step=0.05, description="x0", continuous_update=False)
    out = W.interactive_output(lambda alpha, b, eta, noise, x0: draw(alpha, b, eta, noise, x0, seed=seed),
                               {"alpha": w_alpha, "b": w_b, "eta": w_eta, "noise": w_noise, "x0": w_x0})
    return W.VBox([W.HBox([w_alpha, w_b, w_eta]), W.HBox([w_noise, w_x0]), out])
