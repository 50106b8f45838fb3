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
ETA_OPTIONS = (0.03, 0.02, 0.01, 0.005, 0.003)


def draw(alpha, b, eta, noise, x0, steps=2 * 10**6, n_paths=2, seed=0):
    """One explorer frame: histogram and path of the run, occupancy vs the CTMC prediction."""
    cp = ex.critical_points()
    scale = 0.1 if noise == "pareto" else 1.0
    try:
        run = ex.run_occupancy(alpha, b, eta, steps, n_paths, x0, scale, noise, seed, n_frames=1500)
    except ValueError as err:
        print(f"Not simulated: {err}")
        return None
    fig = plt.figure(figsize=(6.7, 6.6))
    gs = fig.add_gridspec(2, 2)
    a1, a2, a3 = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[1, :])
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
    a3.legend(loc="upper left")
    a3.set_title(f"l* = {list(map(int, g['l_star']))}, G_b {'irreducible' if g['irreducible'] else 'reducible'}; "
                 f"time in sharp fields {run.sharp_fraction:.3f}", fontsize=10.5)
    plt.show()
    return run


def explorer(alpha=1.2, b=0.5, eta=1e-2, noise="pareto", x0=0.3, seed=0):
    """Controls + live figure (needs a running kernel). A valid value off a control's grid or range is
    added to the grid / widens the range, so the explorer opens at the chapter's parameters."""
    b_opts = list(B_OPTIONS)
    if b not in dict(b_opts).values():
        b_opts = sorted(b_opts + [(f"{b:g}", b)], key=lambda o: -1 if o[1] is None else o[1])
    etas = sorted(set(ETA_OPTIONS) | {float(eta)}, reverse=True)
    w_alpha = W.FloatSlider(value=alpha, min=min(1.05, alpha), max=max(1.95, alpha), step=0.05,
                            description="α", continuous_update=False)
    w_b = W.Dropdown(options=b_opts, value=b, description="b")
    w_eta = W.SelectionSlider(options=etas, value=float(eta), description="η", continuous_update=False)
    w_noise = W.Dropdown(options=list(ex.NOISES), value=noise, description="noise")
    w_x0 = W.FloatSlider(value=x0, min=min(-1.55, x0), max=max(1.55, x0), step=0.05, description="x0",
                         continuous_update=False)
    out = W.interactive_output(lambda alpha, b, eta, noise, x0: draw(alpha, b, eta, noise, x0, seed=seed),
                               {"alpha": w_alpha, "b": w_b, "eta": w_eta, "noise": w_noise, "x0": w_x0})
    return W.VBox([W.HBox([w_alpha, w_b, w_eta]), W.HBox([w_noise, w_x0]), out])
