"""Figures of the template chapter."""
import matplotlib.pyplot as plt
import numpy as np

from . import theory as th
from .experiments import SIGMA


def final_law(P, r):
    fig, ax = plt.subplots(figsize=(6.7, 3.4))
    ax.hist(r.final, bins=60, range=(-2, 2), density=True, color="#0072B2", alpha=0.6, label="simulation")
    w = np.linspace(-2, 2, 400)
    ax.plot(w, th.gibbs_density(w, P["lr"], SIGMA), "k--", label="Gibbs law (small λ)")
    ax.set_xlabel("final iterate $w$")
    ax.set_ylabel("density")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    return fig


def scrubber(r):
    from sgdlab.chapters._kit import scrubber as kit_scrubber
    fig, ax = plt.subplots(figsize=(6.7, 3.0))

    def frame(k):
        ax.clear()
        ax.hist(r.snapshots[:, k], bins=40, range=(-2, 2), density=True, color="#0072B2")
        ax.set_xlim(-2, 2)
        ax.set_ylim(0, 3)
        ax.set_xlabel("$w$")
        ax.set_ylabel("density")
        ax.set_title(f"step {r.snapshot_steps[k]}")
    return kit_scrubber(fig, frame, frames=len(r.snapshot_steps))
