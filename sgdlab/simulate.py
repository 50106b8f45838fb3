"""`simulate`: the one entry point to the compiled core.

One call simulates `n_runs` independent runs of a stochastic optimizer for `steps` steps, entirely
in C (`sgdlab._driver`), runs spread over threads. Everything a chapter records is accumulated in
the core, so memory does not grow with `steps` unless trajectories are asked for.

Conventions
-----------
* Step t maps w_{t-1} to w_t: w_t = proj(w_{t-1} - clip_b(lr * d_t)), where d_t is the optimizer's
  direction for the stochastic gradient g_t = grad L(w_{t-1}; x_t) (batch mean over `batch_size`
  fresh data points for sampled losses) + s(w_{t-1}) Z_t (additive noise, if any).
* ``optimizer="gd"`` uses the exact expected gradient: no data sampling, no additive noise.
* Run r draws only from its own stream (seed, stream_offset + r): the same seed gives bit-identical
  results whatever the number of threads, the chunking of steps, or n_runs.
* A run diverges when an iterate is non-finite or exceeds `max_abs` in absolute value: it is stopped,
  flagged (`Result.diverged`, `Result.diverged_step`), its `final` entry is NaN, and a
  `DivergenceWarning` says how many runs diverged. Use `Result.ok` to select the others.
"""
from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from sgdlab import _driver, _random
from sgdlab.landscapes import Landscape, make_landscape
from sgdlab.noise import Constant, DataLaw, NoiseLaw, NoiseScale, make_noise
from sgdlab.optimizers import Optimizer, make_optimizer
from sgdlab.regions import Ball, Box

__all__ = ["simulate", "Result", "DivergenceWarning", "default_threads"]


class DivergenceWarning(RuntimeWarning):
    """Some runs diverged (non-finite or beyond max_abs); they are flagged and excluded by `ok`."""


def default_threads():
    """Threads used by default: $SGDLAB_NUM_THREADS, else the number of CPUs."""
    env = os.environ.get("SGDLAB_NUM_THREADS")
    if env:
        return max(1, int(env))
    return os.cpu_count() or 1


@dataclass
class Result:
    """What `simulate` recorded. Arrays have a trailing `dim` axis, dropped when dim == 1."""
    dim: int
    steps: int
    n_runs: int
    final: np.ndarray                 # state at the end (or at the stop step); NaN if diverged
    diverged: np.ndarray              # bool per run
    diverged_step: np.ndarray         # step of divergence, -1 if none
    stop_step: np.ndarray             # step at which the run stopped early (exit/target/divergence), -1 if none
    snapshot_steps: np.ndarray
    snapshots: np.ndarray | None      # (n_runs, n_snapshots[, dim]); NaN after a stop
    trajectory_steps: np.ndarray
    trajectories: np.ndarray | None   # (n_trajectories, n_frames[, dim]); NaN after a stop
    exit_step: np.ndarray | None      # first step outside exit_region, -1 if never
    exit_state: np.ndarray | None     # state at that step
    hit_step: np.ndarray | None       # first step inside a target, -1 if never
    hit_index: np.ndarray | None      # which target, -1 if none
    occupancy_edges: np.ndarray | None
    occupancy: np.ndarray | None      # (n_runs, len(edges)+1): steps below edges[0], in each bin, above
    hist_edges: list | None
    hist: np.ndarray | None           # pooled counts over runs and steps > burn_in
    hist_outside: int
    log_growth_sum: np.ndarray | None # sum over steps of ln(|w_t| / |w_{t-1}|)
    log_growth_n: np.ndarray | None   # number of steps in that sum
    opt_state: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    elapsed: float = 0.0
    updates: int = 0

    @property
    def ok(self):
        """Mask of runs that did not diverge."""
        return ~self.diverged

    @property
    def n_diverged(self):
        return int(self.diverged.sum())

    def escape_rate(self):
        """Per-run estimate (1/t) sum ln|w_i/w_{i-1}| of Eq. 9 (Ziyin et al.); NaN for diverged runs."""
        if self.log_growth_sum is None:
            raise ValueError("log_growth: simulate(..., log_growth=True) to record the escape rate")
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = self.log_growth_sum / self.log_growth_n
        rate = rate.astype(float)
        rate[self.diverged] = np.nan
        return rate


def _int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name}: must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return value


def _float(name, value, *, positive=False, nonneg=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")
    if nonneg and value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value!r}")
    return value


def _initial_state(w0, n_runs, dim):
    arr = np.asarray(w0, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((1, dim), float(arr))
    elif arr.ndim == 1 and dim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim == 1 and arr.size == dim:
        arr = arr.reshape(1, dim)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"w0: expected shape (n_runs, {dim}) or ({dim},), got {np.shape(w0)}")
    if n_runs is None:
        n_runs = arr.shape[0]
    n_runs = _int("n_runs", n_runs, 1)
    if arr.shape[0] == 1:
        arr = np.repeat(arr, n_runs, axis=0)
    if arr.shape[0] != n_runs:
        raise ValueError(f"w0: has {arr.shape[0]} rows but n_runs={n_runs}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("w0: must be finite")
    return np.array(arr, dtype=np.float64, order="C", copy=True), n_runs


def _region(name, region, dim):
    """(kind, a, b, radius) for the driver: kind 0 none, 1 box, 2 ball."""
    if region is None:
        return 0, np.zeros(dim), np.zeros(dim), 0.0
    if isinstance(region, Box):
        lo, hi = region.arrays(dim)
        return 1, lo, hi, 0.0
    if isinstance(region, Ball):
        c, r = region.arrays(dim)
        return 2, c, np.zeros(dim), r
    raise ValueError(f"{name}: expected a sgdlab.Box/Interval or sgdlab.Ball, got {region!r}")


def _hist_spec(hist, dim):
    if hist is None:
        return 0, [0.0, 0.0], [1.0, 1.0], [1, 1], None
    spec = list(hist)
    if len(spec) == 3 and not isinstance(spec[0], (tuple, list)):
        spec = [tuple(spec)]
    if len(spec) not in (1, 2) or len(spec) > dim:
        raise ValueError(f"hist: expected (lo, hi, n) for 1-D or ((lo, hi, n), (lo, hi, n)) for 2-D, got {hist!r}")
    lo, hi, nb, edges = [0.0, 0.0], [1.0, 1.0], [1, 1], []
    for k, (a, b, n) in enumerate(spec):
        lo[k] = _float("hist lo", a)
        hi[k] = _float("hist hi", b)
        nb[k] = _int("hist bins", n, 1)
        if hi[k] <= lo[k]:
            raise ValueError(f"hist: need lo < hi, got {a!r}, {b!r}")
        edges.append(np.linspace(lo[k], hi[k], nb[k] + 1))
    return len(spec), lo, hi, nb, edges


def simulate(landscape, *, lr, steps, w0, n_runs=None, landscape_params=None, data=None,
             noise=None, noise_scale=1.0, isotropic=False, optimizer="sgd", beta1=0.0,
             beta2=0.999, eps=0.0, batch_size=1, clip=None, project=None, max_abs=1e100,
             snapshots=None, n_trajectories=0, thin=1, exit_region=None, stop_at_exit=False,
             targets=None, stop_at_target=False, occupancy_edges=None, hist=None, burn_in=0,
             log_growth=False, seed=0, stream_offset=0, n_threads=None, progress=False,
             chunk_updates=20_000_000):
    """Simulate `n_runs` independent runs of SGD/GD/Adam/AMSGrad for `steps` steps in the core.

    Model
      landscape: name (see `sgdlab.landscapes.LANDSCAPES`) or a `Landscape`; `landscape_params` for
        a name. data: a `DataLaw` (`TwoPoint(a)`, `Discrete`, `GaussianData`) for sampled losses.
      noise: additive gradient noise, a name ("gaussian", "laplace", "pareto", "stable") or a
        `NoiseLaw`; noise_scale: s(w), a number or a `NoiseScale` (`Constant`, `SqrtLoss`,
        `Tabulated`). isotropic: in 2-D, draw a uniform direction times |Z| instead of i.i.d.
        coordinates.
    Optimizer
      optimizer: "sgd", "gd" (exact expected gradient, no noise), "adam", "amsgrad" (beta1, beta2,
        eps), or an `Optimizer`. lr: step size > 0. batch_size: data points per step.
      clip: b > 0 clips the whole update lr*d to norm b. project: a `Box`/`Interval`/`Ball`.
      max_abs: divergence bound.
    Start
      w0: (n_runs, dim), (dim,) or a scalar (broadcast), or (n_runs,) for dim 1. n_runs: optional
        if w0 has one row per run.
    Records
      snapshots: increasing steps in [0, steps] at which every run's state is stored.
      n_trajectories, thin: full paths of the first runs, every `thin` steps.
      exit_region (+stop_at_exit): first step outside a Box/Ball and the state there.
      targets (+stop_at_target): list of Balls (or Intervals); first step inside one, and which.
      occupancy_edges: per-run counts of steps t > burn_in with w[0] in each bin.
      hist: (lo, hi, n) or ((lo, hi, n), (lo, hi, n)): pooled histogram over runs of steps t > burn_in.
      log_growth: per-run sum of ln(|w_t|/|w_{t-1}|) (escape rate, Eq. 9 of Ziyin et al.).
    Execution
      seed (0 <= seed < 2**64), stream_offset (first stream id), n_threads (default all CPUs),
      progress (tqdm bar over steps), chunk_updates (updates per chunk between progress updates).
    """
    t_start = time.perf_counter()
    # ---- model
    if isinstance(landscape, Landscape):
        if landscape_params:
            raise ValueError("landscape_params: not allowed together with a Landscape instance")
        land = landscape
    else:
        land = make_landscape(landscape, **(landscape_params or {}))
    dim = land.dim
    opt_name = optimizer if isinstance(optimizer, str) else None
    if opt_name in ("adam", "amsgrad"):
        opt = make_optimizer(opt_name, beta1=beta1, beta2=beta2, eps=eps)
    elif isinstance(optimizer, (str, Optimizer)):
        opt = make_optimizer(optimizer)
    else:
        raise ValueError(f"optimizer: expected a name or an Optimizer, got {optimizer!r}")
    exact = opt_name == "gd"
    if land.sampled:
        if not isinstance(data, DataLaw):
            raise ValueError(f"data: landscape {land.name!r} is a sampled loss and needs a DataLaw "
                             f"(e.g. sgdlab.TwoPoint(a)), got {data!r}")
        if exact and data.n_atoms == 0 and not land.affine_in_x:
            raise ValueError("optimizer: 'gd' with a continuous data law needs a loss affine in x")
    elif data is not None:
        raise ValueError(f"data: landscape {land.name!r} is deterministic and takes no data law")
    if noise is None:
        noise_law = None
    elif isinstance(noise, (str, NoiseLaw)):
        noise_law = make_noise(noise)
    else:
        raise ValueError(f"noise: expected a name or a NoiseLaw, got {noise!r}")
    if isinstance(noise_scale, NoiseScale):
        scale = noise_scale
    else:
        scale = Constant(_float("noise_scale", noise_scale, nonneg=True))
    lr = _float("lr", lr, positive=True)
    steps = _int("steps", steps, 0)
    batch_size = _int("batch_size", batch_size, 1)
    clip_b = 0.0 if clip is None else _float("clip", clip, positive=True)
    max_abs = _float("max_abs", max_abs, positive=True)
    seed = _int("seed", seed, 0)
    stream_offset = _int("stream_offset", stream_offset, 0)
    if seed >= 2 ** 64 or stream_offset >= 2 ** 64:
        raise ValueError("seed: must be < 2**64")
    n_threads = default_threads() if n_threads is None else _int("n_threads", n_threads, 1)
    burn_in = _int("burn_in", burn_in, 0)
    w, n_runs = _initial_state(w0, n_runs, dim)
    proj = _region("project", project, dim)

    # ---- state
    n_slots = opt.n_slots
    ost = np.zeros((n_runs, max(1, n_slots * dim)))
    rng = _random.seed_states(seed, stream_offset, n_runs)
    alive = np.ones(n_runs, dtype=np.uint8)
    diverged = np.zeros(n_runs, dtype=np.uint8)
    stop_step = np.full(n_runs, -1, dtype=np.int64)

    # ---- records
    snap_steps = np.zeros(0, dtype=np.int64) if snapshots is None else np.asarray(snapshots).ravel()
    if snap_steps.size:
        if not np.issubdtype(snap_steps.dtype, np.integer):
            if not np.all(np.isfinite(snap_steps)) or not np.all(snap_steps == np.round(snap_steps)):
                raise ValueError("snapshots: steps must be integers")
        snap_steps = snap_steps.astype(np.int64)
        if np.any(np.diff(snap_steps) <= 0) or snap_steps[0] < 0 or snap_steps[-1] > steps:
            raise ValueError(f"snapshots: must be strictly increasing steps in [0, steps={steps}]")
    _check_memory("snapshots", n_runs * snap_steps.size * dim)
    snaps = np.full((n_runs, max(1, snap_steps.size), dim), np.nan)
    snap_ptr = np.zeros(n_runs, dtype=np.int64)
    if snap_steps.size and snap_steps[0] == 0:
        snaps[:, 0, :] = w
        snap_ptr[:] = 1
    n_traj = _int("n_trajectories", n_trajectories, 0)
    if n_traj > n_runs:
        raise ValueError(f"n_trajectories: at most n_runs={n_runs}, got {n_traj}")
    thin = _int("thin", thin, 1)
    n_frames = steps // thin + 1
    _check_memory("n_trajectories", n_traj * n_frames * dim)
    traj = np.full((max(1, n_traj), n_frames if n_traj else 1, dim), np.nan)
    if n_traj:
        traj[:, 0, :] = w[:n_traj]
    ex = _region("exit_region", exit_region, dim)
    exit_step = np.full(n_runs, -1, dtype=np.int64)
    exit_state = np.full((n_runs, dim), np.nan)
    if targets is None:
        targets = []
    if isinstance(targets, (Box, Ball)):
        targets = [targets]
    tc, tr = [], []
    for tgt in targets:
        if isinstance(tgt, Box):
            lo, hi = tgt.arrays(dim)
            if dim != 1:
                raise ValueError("targets: boxes are only allowed in 1-D (intervals); use Balls")
            tc.append((lo + hi) / 2); tr.append(float((hi - lo)[0] / 2))
        elif isinstance(tgt, Ball):
            c, r = tgt.arrays(dim)
            tc.append(c); tr.append(r)
        else:
            raise ValueError(f"targets: expected Balls or Intervals, got {tgt!r}")
    tcenter = np.ascontiguousarray(np.array(tc, dtype=np.float64).reshape(len(tc), dim)) if tc else np.zeros((1, dim))
    trad = np.array(tr, dtype=np.float64)
    hit_step = np.full(n_runs, -1, dtype=np.int64)
    hit_index = np.full(n_runs, -1, dtype=np.int64)
    if occupancy_edges is not None:
        occ_edges = np.asarray(occupancy_edges, dtype=np.float64).ravel()
        if occ_edges.size < 2 or not np.all(np.isfinite(occ_edges)) or np.any(np.diff(occ_edges) <= 0):
            raise ValueError("occupancy_edges: need >= 2 finite, strictly increasing edges")
        occ = np.zeros((n_runs, occ_edges.size + 1), dtype=np.int64)
    else:
        occ_edges = np.zeros(2)
        occ = np.zeros((1, 1), dtype=np.int64)
    hist_dim, hist_lo, hist_hi, hist_n, hist_edges = _hist_spec(hist, dim)
    n_bins = hist_n[0] * (hist_n[1] if hist_dim == 2 else 1) if hist_dim else 1
    _check_memory("hist", n_threads * n_bins)
    hist_buf = np.zeros((n_threads, n_bins), dtype=np.int64)
    hist_out = np.zeros(n_threads, dtype=np.int64)
    lg_sum = np.zeros(n_runs)
    lg_n = np.zeros(n_runs, dtype=np.int64)

    sim = _driver.Simulation(
        landscape=land, data=data, noise=noise_law, noise_scale=scale, optimizer=opt, lr=lr,
        batch=batch_size, exact=exact, isotropic=bool(isotropic), clip=clip_b, max_abs=max_abs,
        proj_kind=proj[0], proj_a=proj[1], proj_b=proj[2], proj_rad=proj[3],
        w=w, ost=ost, rng=rng, alive=alive, diverged=diverged, stop_step=stop_step,
        snap_steps=snap_steps if snap_steps.size else np.zeros(0, dtype=np.int64), snaps=snaps,
        snap_ptr=snap_ptr, n_traj=n_traj, thin=thin, traj=traj,
        exit_kind=ex[0], exit_a=ex[1], exit_b=ex[2], exit_rad=ex[3], stop_at_exit=bool(stop_at_exit),
        exit_step=exit_step, exit_state=exit_state, tcenter=tcenter, trad=trad,
        stop_at_target=bool(stop_at_target), hit_step=hit_step, hit_index=hit_index,
        burn_in=burn_in, occ_edges=occ_edges, occ=occ, hist_dim=hist_dim, hist_lo=hist_lo,
        hist_hi=hist_hi, hist_n=hist_n, hist=hist_buf, hist_out=hist_out,
        log_growth=bool(log_growth), lg_sum=lg_sum, lg_n=lg_n)

    chunk = max(1, int(chunk_updates) // n_runs)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=steps, unit="step", desc=f"{land.name} x {n_runs} runs")
    t = 0
    if steps == 0:
        sim.advance(0, n_threads)  # nothing to do; events at step 0 are checked with the first step
    while t < steps:
        t1 = min(steps, t + chunk)
        sim.advance(t1, n_threads)
        if bar is not None:
            bar.update(t1 - t)
        t = t1
        if not alive.any():
            if bar is not None:
                bar.update(steps - t)
            break
    if bar is not None:
        bar.close()
    if steps == 0:
        _events_at_zero(w, ex, exit_step, exit_state, tcenter, trad, hit_step, hit_index)

    div = diverged.astype(bool)
    if div.any():
        warnings.warn(f"{int(div.sum())} of {n_runs} runs diverged (|w| > {max_abs:g} or non-finite); "
                      "they are flagged in Result.diverged and excluded by Result.ok",
                      DivergenceWarning, stacklevel=2)
    run_steps = np.where(stop_step >= 0, stop_step, steps)
    sq = (lambda a: a[..., 0]) if dim == 1 else (lambda a: a)
    opt_state = {}
    if n_slots == 3:
        opt_state = {"m": sq(ost[:, :dim]), "v": sq(ost[:, dim:2 * dim]), "vhat": sq(ost[:, 2 * dim:])}
    hist_counts = None
    if hist_dim:
        hist_counts = hist_buf.sum(axis=0)
        if hist_dim == 2:
            hist_counts = hist_counts.reshape(hist_n[0], hist_n[1])
    return Result(
        dim=dim, steps=steps, n_runs=n_runs, final=sq(w), diverged=div,
        diverged_step=np.where(div, stop_step, -1), stop_step=stop_step,
        snapshot_steps=snap_steps, snapshots=sq(snaps[:, :snap_steps.size]) if snap_steps.size else None,
        trajectory_steps=np.arange(n_frames if n_traj else 0) * thin, trajectories=sq(traj) if n_traj else None,
        exit_step=exit_step if ex[0] else None, exit_state=sq(exit_state) if ex[0] else None,
        hit_step=hit_step if tr else None, hit_index=hit_index if tr else None,
        occupancy_edges=occ_edges if occupancy_edges is not None else None,
        occupancy=occ if occupancy_edges is not None else None,
        hist_edges=hist_edges, hist=hist_counts, hist_outside=int(hist_out.sum()),
        log_growth_sum=lg_sum if log_growth else None, log_growth_n=lg_n if log_growth else None,
        opt_state=opt_state,
        params=dict(landscape=land.name, landscape_params=dict(land.params), lr=lr, steps=steps,
                    n_runs=n_runs, optimizer=repr(opt), data=repr(data), noise=repr(noise_law),
                    noise_scale=repr(scale), batch_size=batch_size, clip=clip, seed=seed,
                    stream_offset=stream_offset),
        elapsed=time.perf_counter() - t_start, updates=int(run_steps.sum()))


def _events_at_zero(w, ex, exit_step, exit_state, tcenter, trad, hit_step, hit_index):
    """With steps == 0 the driver never runs: apply the step-0 exit/target checks here."""
    kind, a, b, rad = ex
    if kind == 1:
        out = np.any((w < a) | (w > b), axis=1)
    elif kind == 2:
        out = np.sum((w - a) ** 2, axis=1) > rad ** 2
    else:
        out = np.zeros(len(w), dtype=bool)
    exit_step[out] = 0
    exit_state[out] = w[out]
    for k in range(len(trad)):
        inside = (np.sum((w - tcenter[k]) ** 2, axis=1) <= trad[k] ** 2) & (hit_step < 0)
        hit_step[inside] = 0
        hit_index[inside] = k


def _check_memory(name, n_doubles, limit_bytes=4e9):
    if n_doubles * 8 > limit_bytes:
        raise ValueError(f"{name}: the record buffer would need {n_doubles * 8 / 1e9:.1f} GB; "
                         "ask for fewer runs, snapshots or frames (thin)")
