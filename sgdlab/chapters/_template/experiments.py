"""Runs of the template chapter, all in the core, and its agreement rows."""
from dataclasses import dataclass

import numpy as np

import sgdlab
from sgdlab.chapters._kit import Param, Params, Rows, Streams, bonferroni_z

from . import theory as th

SIGMA = 0.3

PARAMS = Params(
    Param("lr", 0.05, "float", "learning rate λ", lo=0, hi=0.5, lo_open=True, why="small steps"),
    Param("n_runs", 2000, "int", "independent runs", lo=100, hi=10**6),
    Param("steps", 2000, "int", "steps per run", lo=100, hi=10**6),
    Param("seed", 0, "int", "seed of the core's random streams", lo=0),
)


def stream_plan(P):
    """The chapter's random streams: one disjoint block per experiment."""
    s = Streams()
    s.take("main", P["n_runs"])
    return s


@dataclass
class Run:
    final: np.ndarray
    snapshots: np.ndarray
    snapshot_steps: np.ndarray
    n_diverged: int


def run(P, S):
    res = sgdlab.simulate("double_well", noise="gaussian", noise_scale=SIGMA, lr=P["lr"], steps=P["steps"],
                          w0=np.linspace(-0.5, 0.5, P["n_runs"]),
                          snapshots=np.linspace(0, P["steps"], 11).astype(int),
                          seed=P["seed"], stream_offset=S["main"])
    return Run(res.final[res.ok], res.snapshots, np.asarray(res.snapshot_steps), int(res.n_diverged))


def agreement(P, r):
    """One claim: the mean |w| of the runs agrees with the Gibbs law (small-step limit; the allowance
    of 2 % covers the O(λ) correction of the discrete chain)."""
    rows = Rows(z=bonferroni_z(1))
    a = np.abs(r.final)
    rows.rel("mean |w| at the last step", th.gibbs_mean_abs(P["lr"], SIGMA), a.mean(),
             a.std(ddof=1) / np.sqrt(a.size), rel=0.02)
    rows.bound("no run diverged", "0", r.n_diverged, r.n_diverged == 0, "exact")
    return rows.rows
