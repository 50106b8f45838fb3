"""Explorer of the local-maximum chapter: the histogram of w after `steps` steps and the position of
(a, lr) on the phase diagram, live for chosen a, lr, data law, quartic coefficient, additive noise.

Built from explicit widgets and `interactive_output` (a bare `interact` can hang nbclient). One
redraw is one core call of n_runs x steps updates (2000 x 1000 = 2e6: ~10-20 ms in the core).
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

import sgdlab
from sgdlab.tasks import initial_points
from sgdlab.chapters.local_maximum import theory as th

LAWS = ("two-point", "gaussian")


def simulate_final(a, lr, law="two-point", c=0.0, sigma=0.0, steps=1000, n_runs=2000, seed=0):
    """Final states of n_runs runs from w0 ~ U[-1, 1] (quadratic if c == 0, else quartic with c)."""
    if law not in LAWS:
        raise ValueError(f"law: must be one of {LAWS}, got {law!r}")
    if c < 0:
        raise ValueError(f"c: must be >= 0, got {c}")
    if sigma < 0:
        raise ValueError(f"sigma: must be >= 0, got {sigma}")
    data = sgdlab.TwoPoint(a) if law == "two-point" else sgdlab.GaussianData(*th.gaussian_law(a))
    kw = {}
    if c > 0:
        kw["landscape_params"] = {"c": float(c)}
    if sigma > 0:
        kw.update(noise="gaussian", noise_scale=float(sigma))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
        return sgdlab.simulate("quartic" if c > 0 else "quadratic", data=data, lr=lr, steps=steps,
                               w0=initial_points(seed, 0, n_runs), seed=seed, max_abs=1e100, **kw)


def draw(a, lr, law, c, sigma, steps, diagrams, n_runs=2000, seed=0):
    """One explorer frame: histogram of w_steps (log counts) and the (a, lr) point on the diagram."""
    res = simulate_final(a, lr, law, c, sigma, steps, n_runs, seed)
    # cheap artists only (stairs, one image, no tight_layout): the redraw is dominated by matplotlib
    fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.4), dpi=100, constrained_layout=False)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.8, wspace=0.3)
    edges = np.linspace(-1.5, 1.5, 61)
    fin = res.final[res.ok]
    counts = np.histogram(fin, bins=edges)[0]
    axes[0].stairs(counts, edges, fill=True, color="C0", alpha=0.7)
    if counts.any():
        axes[0].set_yscale("log")
        axes[0].set_ylim(0.8, 2 * n_runs)
    axes[0].set_xlabel(f"w after {steps} steps")
    axes[0].set_ylabel("number of runs")
    mu = float(th.mu(a, lr)) if law == "two-point" else float(th.mu_gaussian(*th.gaussian_law(a), lr))
    near = np.mean(np.abs(fin) <= 1e-3) if fin.size else float("nan")
    axes[0].set_title(f"{'quadratic' if c == 0 else f'quartic c={c:g}'}, {law}, σ={sigma:g}: "
                      f"{100 * near:.1f}% within 1e-3 of 0, {res.n_diverged} diverged\n"
                      f"μ = E ln|1−λx| = {mu:+.3f} ({'absorbing' if mu < 0 else 'escaping'} for c=σ=0)",
                      fontsize=9)
    d = diagrams.get(law)
    if d is not None:
        A, L = d.a_values, d.lrs
        axes[1].imshow(d.escape.T, origin="lower", aspect="auto", cmap="Blues_r", vmin=0, vmax=1,
                       extent=(A[0], A[-1], L[0], L[-1]))
        if law == "two-point":
            aa = np.linspace(A[0], -1e-3, 300)
            lo, hi = th.absorbing_interval(aa)
            axes[1].plot(aa, lo, color="orange"); axes[1].plot(aa, hi, color="orange")
        axes[1].plot([a], [lr], "r*", ms=14)
        axes[1].set_xlabel("a"); axes[1].set_ylabel("λ")
        axes[1].set_title(f"simulated phase diagram ({law}, quadratic): ★ = (a, λ)", fontsize=9)
    plt.show()
    return res


def explorer(diagrams, a=-1.0, lr=0.8, steps=1000, n_runs=2000, seed=0):
    """Controls + live figure; `diagrams` = {"two-point": PhaseDiagram, "gaussian": PhaseDiagram}.
    Needs a running kernel; on the static page it shows the initial view."""
    # any valid parameter value works: the ranges are extended to include it, and the step is fine
    # enough that the slider shows the value it was given (the slider keeps off-step values)
    w_a = W.FloatSlider(value=a, min=min(-4.0, a), max=1.0, step=0.01, description="a",
                        continuous_update=False, readout_format=".3f")
    w_lr = W.FloatSlider(value=lr, min=min(0.01, lr), max=max(2.0, lr), step=0.01, description="λ",
                         continuous_update=False, readout_format=".3f")
    w_law = W.Dropdown(options=list(LAWS), value="two-point", description="data law")
    w_c = W.FloatSlider(value=0.0, min=0.0, max=2.0, step=0.1, description="quartic c",
                        continuous_update=False)
    w_s = W.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.01, description="additive σ",
                        continuous_update=False)
    w_steps = W.IntSlider(value=steps, min=min(10, steps), max=max(5000, steps), step=10, description="steps",
                          continuous_update=False)
    out = W.interactive_output(
        lambda a, lr, law, c, sigma, steps: draw(a, lr, law, c, sigma, steps, diagrams, n_runs, seed),
        dict(a=w_a, lr=w_lr, law=w_law, c=w_c, sigma=w_s, steps=w_steps))
    box = W.VBox([W.HBox([w_a, w_lr, w_law]), W.HBox([w_c, w_s, w_steps]), out])
    return box
