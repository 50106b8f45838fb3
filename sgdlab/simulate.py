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

Structure (after msprime's sim_ancestry): `simulate` (the public call) -> `_parse_simulate` (every
check, ValueError naming the parameter; builds one record object per kind asked for, see
`sgdlab._driver.Record`) -> `Simulator(spec)` (state arrays and the compiled `_driver.Core`) ->
`Simulator.run` (chunks of steps) -> `Simulator.result` (the `Result`, each record contributing its
own fields). Adding a record kind: its class in _driver.pyx (kernel method + `fields`), its slot
and call in the driver, its `_parse_*` here.
"""
from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sgdlab import _driver, _random
from sgdlab.landscapes import Landscape, make_landscape
from sgdlab.noise import Constant, DataLaw, NoiseLaw, NoiseScale, make_noise
from sgdlab.optimizers import Optimizer, make_optimizer
from sgdlab.regions import Ball, Box

__all__ = ["simulate", "Result", "DivergenceWarning", "default_threads", "Simulator"]


class DivergenceWarning(RuntimeWarning):
    """Some runs diverged (non-finite or beyond max_abs); they are flagged and excluded by `ok`."""


# Threads are capped at this many per CPU (and at the number of blocks of runs): more cannot help,
# and where libgomp cannot create the threads it ends the whole interpreter.
THREADS_PER_CPU = 4
CHUNK_SECONDS = 0.25            # default length of a chunk of steps (see Simulator.run)
FIRST_CHUNK_UPDATES = 2_000_000  # updates in the first chunk, before any rate is known
MAX_STEPS = 2 ** 62  # the driver's step counter is an int64 (t1 + 1 must not overflow)
_BLOCK = 16           # runs per block of the driver (_random LANES): one thread works on whole blocks


def default_threads():
    """Threads used by default: $SGDLAB_NUM_THREADS (a positive integer), else the number of CPUs."""
    env = os.environ.get("SGDLAB_NUM_THREADS")
    if env is not None and env.strip():
        try:
            value = int(env.strip())
        except ValueError:
            raise ValueError(f"SGDLAB_NUM_THREADS: must be a positive integer, got {env!r}") from None
        if value < 1:
            raise ValueError(f"SGDLAB_NUM_THREADS: must be a positive integer, got {env!r}")
        return value
    return os.cpu_count() or 1


def _cap_threads(n_threads, n_runs):
    """The threads actually used: at most THREADS_PER_CPU per CPU and one per block of runs."""
    n_blocks = (n_runs + _BLOCK - 1) // _BLOCK
    return max(1, min(n_threads, THREADS_PER_CPU * (os.cpu_count() or 1), n_blocks))


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
    trajectory_frames: tuple = (0, 1)  # (frames, thin) of the trajectories: see trajectory_steps
    fast_math: bool = False           # True if the vector exp/log/pow ran (simulate(fast_math=True))

    @property
    def trajectory_steps(self):
        """Steps of the trajectory frames, 0, thin, 2 thin, ... (computed on access, not stored)."""
        n_frames, thin = self.trajectory_frames
        return np.arange(0, n_frames * thin, thin, dtype=np.int64)

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


def _int(name, value, minimum, maximum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name}: must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: must be <= {maximum}, got {value}")
    return value


def _bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: must be True or False, got {value!r}")
    return bool(value)


def _float(name, value, *, positive=False, nonneg=False):
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating, str, bytes)):
        raise ValueError(f"{name}: must be a real number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")
    if nonneg and value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value!r}")
    return value


def _initial_state(w0, n_runs, dim, n_slots):
    try:
        arr = np.asarray(w0)
        if arr.dtype.kind == "O":
            arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"w0: must be real numbers, got {w0!r}") from None
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"w0: must be real numbers, got {w0!r}")
    arr = arr.astype(np.float64, copy=False)
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
    # the per-run state: iterate, optimizer state, stream, flags and stop step
    _check_memory("n_runs", n_runs * (dim + max(1, n_slots * dim) + _random.RNG_WORDS + 2), "runs")
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
        lo, hi = region.arrays(dim, name)
        return 1, lo, hi, 0.0
    if isinstance(region, Ball):
        c, r = region.arrays(dim, name)
        return 2, c, np.zeros(dim), r
    raise ValueError(f"{name}: expected a sgdlab.Box/Interval or sgdlab.Ball, got {region!r}")


def _hist_spec(hist, dim):
    if hist is None:
        return 0, [0.0, 0.0], [1.0, 1.0], [1, 1]
    bad = ValueError(f"hist: expected (lo, hi, n) for 1-D or ((lo, hi, n), (lo, hi, n)) for 2-D, got {hist!r}")
    if isinstance(hist, np.ndarray):
        hist = hist.tolist()
    if not isinstance(hist, (tuple, list)):
        raise bad
    spec = list(hist)
    if len(spec) == 3 and not isinstance(spec[0], (tuple, list)):
        spec = [tuple(spec)]
    if len(spec) not in (1, 2) or len(spec) > dim:
        raise bad
    if not all(isinstance(axis, (tuple, list)) and len(axis) == 3 for axis in spec):
        raise bad
    lo, hi, nb = [0.0, 0.0], [1.0, 1.0], [1, 1]
    for k, (a, b, n) in enumerate(spec):
        lo[k] = _float("hist: lo", a)
        hi[k] = _float("hist: hi", b)
        nb[k] = _int("hist: n", n, 1)
        if hi[k] <= lo[k]:
            raise ValueError(f"hist: need lo < hi, got {a!r}, {b!r}")
        if not math.isfinite(hi[k] - lo[k]):
            raise ValueError(f"hist: the width hi - lo must be finite, got {a!r}, {b!r}")
    return len(spec), lo, hi, nb


def simulate(landscape, *, lr, steps, w0, n_runs=None, landscape_params=None, data=None,
             noise=None, noise_scale=1.0, isotropic=False, optimizer="sgd", beta1=0.0,
             beta2=0.999, eps=0.0, batch_size=1, clip=None, project=None, max_abs=1e100,
             snapshots=None, n_trajectories=0, thin=1, exit_region=None, stop_at_exit=False,
             targets=None, stop_at_target=False, occupancy_edges=None, hist=None, burn_in=0,
             log_growth=False, seed=0, stream_offset=0, n_threads=None, progress=False,
             chunk_updates=None, fast_math=False):
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
      seed (0 <= seed < 2**64), stream_offset (first stream id; stream_offset + n_runs <= 2**64),
      n_threads (default $SGDLAB_NUM_THREADS, else all CPUs; capped at THREADS_PER_CPU = 4 per CPU
      and at one per block of 16 runs, since more cannot help and libgomp ends the interpreter when
      it cannot create them; results do not depend on it), progress (tqdm bar over steps),
      chunk_updates: updates per chunk of steps (progress and Ctrl-C are handled between chunks);
        default None: chunks of about CHUNK_SECONDS = 0.25 s, sized from the rate of the chunk
        before (the first has FIRST_CHUNK_UPDATES = 2·10⁶ updates). Results never depend on it.
      fast_math: False (default) computes exp, log and pow with libm, bit for bit as the NumPy
        reference `sgdlab.reference` does. True lets the fused AVX2 step compute them on 4 runs at
        once (fdlibm's algorithms: exp and log within 1 ulp, pow(x, y) = exp(y ln x) within about
        (2 + 3 |y ln x|) ulp): the heavy-tails workload (four-well gradient, Pareto noise) runs
        about 1.6 times faster (`make bench`). Results then differ from the default's in the last
        bits (and, being trajectories, soon more); they stay bit-identical across threads and
        chunkings on one machine, but a CPU without AVX2 (or SGDLAB_NO_SIMD=1, or a model the
        fused step does not cover) computes the default's exact path instead. `Result.fast_math`
        says which ran.
    Settings that would have no effect are rejected (ValueError naming them): beta1/beta2/eps other
    than their defaults without Adam/AMSGrad, noise_scale without noise, batch_size != 1 on a
    deterministic landscape, stop_at_exit without exit_region, stop_at_target without targets.
    Flags (isotropic, stop_at_exit, stop_at_target, log_growth) must be bools.
    """
    t_start = time.perf_counter()
    spec = _parse_simulate(
        landscape, lr=lr, steps=steps, w0=w0, n_runs=n_runs, landscape_params=landscape_params,
        data=data, noise=noise, noise_scale=noise_scale, isotropic=isotropic, optimizer=optimizer,
        beta1=beta1, beta2=beta2, eps=eps, batch_size=batch_size, clip=clip, project=project,
        max_abs=max_abs, snapshots=snapshots, n_trajectories=n_trajectories, thin=thin,
        exit_region=exit_region, stop_at_exit=stop_at_exit, targets=targets,
        stop_at_target=stop_at_target, occupancy_edges=occupancy_edges, hist=hist, burn_in=burn_in,
        log_growth=log_growth, seed=seed, stream_offset=stream_offset, n_threads=n_threads,
        chunk_updates=chunk_updates, fast_math=fast_math)
    sim = Simulator(spec)
    sim.run(progress=progress)
    return sim.result(t_start, stacklevel=3)


@dataclass
class _Spec:
    """A checked `simulate` call: the model, the start, the records and how to execute."""
    landscape: Landscape
    data: DataLaw | None
    noise: NoiseLaw | None
    noise_scale: NoiseScale
    optimizer: Optimizer
    exact: bool
    isotropic: bool
    lr: float
    batch_size: int
    clip: float | None                 # as given (None: no clipping)
    max_abs: float
    project: tuple                     # (kind, a, b, radius): kind 0 none, 1 box, 2 ball
    steps: int
    w0: np.ndarray                     # (n_runs, dim), a private copy
    seed: int
    stream_offset: int
    n_threads: int
    chunk_updates: int | None          # None: chunks of about CHUNK_SECONDS
    fast_math: bool
    records: list                      # sgdlab._driver.Record objects, at most one of each kind

    @property
    def dim(self):
        return self.landscape.dim

    @property
    def n_runs(self):
        return self.w0.shape[0]


# defaults of the Adam/AMSGrad settings: other values are rejected for other optimizers
_ADAM_DEFAULTS = dict(beta1=0.0, beta2=0.999, eps=0.0)


def _parse_model(landscape, landscape_params, optimizer, beta1, beta2, eps, data, noise, noise_scale):
    if landscape_params is not None and not isinstance(landscape_params, Mapping):
        raise ValueError(f"landscape_params: expected a dict of parameters, got {landscape_params!r}")
    if isinstance(landscape, Landscape):
        if landscape_params:
            raise ValueError("landscape_params: not allowed together with a Landscape instance")
        land = landscape
    elif isinstance(landscape, str):
        for key, value in (landscape_params or {}).items():
            if (isinstance(value, (bool, np.bool_, str, bytes, complex, np.complexfloating))
                    or not isinstance(value, (int, float, np.integer, np.floating))):
                raise ValueError(f"landscape_params: {key!r} must be a number, got {value!r}")
        try:
            land = make_landscape(landscape, **(landscape_params or {}))
        except (TypeError, ValueError, OverflowError) as exc:
            msg = str(exc)
            if msg.startswith("landscape:"):
                raise ValueError(msg) from None
            raise ValueError(f"landscape_params: {msg}") from None
    else:
        raise ValueError(f"landscape: expected a name or a Landscape, got {landscape!r}")
    opt_name = optimizer if isinstance(optimizer, str) else None
    adam = dict(beta1=beta1, beta2=beta2, eps=eps)
    if opt_name in ("adam", "amsgrad"):
        for key, value in adam.items():
            _float(key, value)
        opt = make_optimizer(opt_name, beta1=beta1, beta2=beta2, eps=eps)
    elif isinstance(optimizer, (str, Optimizer)):
        for key, value in adam.items():
            if isinstance(value, (bool, np.bool_)) or value != _ADAM_DEFAULTS[key]:
                raise ValueError(f"{key}: only used by optimizer='adam' or 'amsgrad', got {value!r} "
                                 f"with optimizer={optimizer!r}")
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
    if noise_law is None and (isinstance(noise_scale, NoiseScale) or scale.sigma != 1.0):
        raise ValueError(f"noise_scale: has no effect without noise (noise=None), got {noise_scale!r}")
    return land, opt, exact, noise_law, scale


def _parse_snapshots(snapshots, steps, w):
    try:
        snap_steps = np.zeros(0, dtype=np.int64) if snapshots is None else np.asarray(snapshots).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"snapshots: expected a sequence of steps, got {snapshots!r}") from None
    if snap_steps.size and snap_steps.dtype.kind not in "iuf":
        raise ValueError(f"snapshots: steps must be integers, got {snapshots!r}")
    if snap_steps.size:
        if not np.issubdtype(snap_steps.dtype, np.integer):
            if not np.all(np.isfinite(snap_steps)) or not np.all(snap_steps == np.round(snap_steps)):
                raise ValueError("snapshots: steps must be integers")
        snap_steps = snap_steps.astype(np.int64)
        if np.any(np.diff(snap_steps) <= 0) or snap_steps[0] < 0 or snap_steps[-1] > steps:
            raise ValueError(f"snapshots: must be strictly increasing steps in [0, steps={steps}]")
    _check_memory("snapshots", w.shape[0] * snap_steps.size * w.shape[1])
    return _driver.Snapshots(snap_steps, w)


def _parse_trajectories(n_trajectories, thin, steps, w):
    n_runs, dim = w.shape
    n_traj = _int("n_trajectories", n_trajectories, 0)
    if n_traj > n_runs:
        raise ValueError(f"n_trajectories: at most n_runs={n_runs}, got {n_traj}")
    thin = _int("thin", thin, 1)
    _check_memory("n_trajectories", n_traj * (steps // thin + 1) * dim)
    return _driver.Trajectories(n_traj, thin, steps, w)


def _parse_targets(targets, stop_at_target, n_runs, dim):
    if targets is None:
        targets = []
    if isinstance(targets, (Box, Ball)):
        targets = [targets]
    if not isinstance(targets, (list, tuple)):
        raise ValueError(f"targets: expected a list of Balls or Intervals, got {targets!r}")
    if stop_at_target and not targets:
        raise ValueError("stop_at_target: True needs targets")
    tc, tr = [], []
    for tgt in targets:
        if isinstance(tgt, Box):
            lo, hi = tgt.arrays(dim, "targets")
            if dim != 1:
                raise ValueError("targets: boxes are only allowed in 1-D (intervals); use Balls")
            tc.append((lo + hi) / 2); tr.append(float((hi - lo)[0] / 2))
        elif isinstance(tgt, Ball):
            c, r = tgt.arrays(dim, "targets")
            tc.append(c); tr.append(r)
        else:
            raise ValueError(f"targets: expected Balls or Intervals, got {tgt!r}")
    if not tr:
        return None
    _check_memory("targets", len(tr) * (dim + 1))
    tcenter = np.ascontiguousarray(np.array(tc, dtype=np.float64).reshape(len(tc), dim))
    return _driver.Targets(tcenter, np.array(tr, dtype=np.float64), bool(stop_at_target), n_runs)


def _parse_occupancy(occupancy_edges, burn_in, n_runs):
    if occupancy_edges is None:
        return None
    try:
        occ_edges = np.asarray(occupancy_edges)
        if occ_edges.dtype.kind not in "iufO":
            raise TypeError
        occ_edges = occ_edges.astype(np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"occupancy_edges: expected a sequence of numbers, got {occupancy_edges!r}") from None
    _check_memory("occupancy_edges", n_runs * (occ_edges.size + 1))
    if occ_edges.size < 2 or not np.all(np.isfinite(occ_edges)) or np.any(np.diff(occ_edges) <= 0):
        raise ValueError("occupancy_edges: need >= 2 finite, strictly increasing edges")
    return _driver.Occupancy(occ_edges, burn_in, n_runs)


def _parse_hist(hist, burn_in, dim, n_threads):
    if hist is None:
        return None
    hist_dim, lo, hi, nb = _hist_spec(hist, dim)
    n_bins = nb[0] * (nb[1] if hist_dim == 2 else 1)
    _check_memory("hist", n_threads * (n_bins + 8) + sum(nb[:hist_dim]))
    edges = [np.linspace(lo[k], hi[k], nb[k] + 1) for k in range(hist_dim)]
    return _driver.Histogram(hist_dim, lo, hi, nb, edges, burn_in, n_threads)


def _parse_simulate(landscape, *, lr, steps, w0, n_runs, landscape_params, data, noise, noise_scale,
                    isotropic, optimizer, beta1, beta2, eps, batch_size, clip, project, max_abs,
                    snapshots, n_trajectories, thin, exit_region, stop_at_exit, targets,
                    stop_at_target, occupancy_edges, hist, burn_in, log_growth, seed,
                    stream_offset, n_threads, chunk_updates, fast_math=False):
    """Check every argument of `simulate` (ValueError naming the parameter) and build the records."""
    land, opt, exact, noise_law, scale = _parse_model(landscape, landscape_params, optimizer, beta1,
                                                      beta2, eps, data, noise, noise_scale)
    dim = land.dim
    lr = _float("lr", lr, positive=True)
    steps = _int("steps", steps, 0, MAX_STEPS)
    batch_size = _int("batch_size", batch_size, 1)
    if batch_size != 1 and not land.sampled:
        raise ValueError(f"batch_size: landscape {land.name!r} is deterministic (no data to batch), "
                         f"got {batch_size}")
    if clip is not None:
        _float("clip", clip, positive=True)
    max_abs = _float("max_abs", max_abs, positive=True)
    isotropic = _bool("isotropic", isotropic)
    stop_at_exit = _bool("stop_at_exit", stop_at_exit)
    stop_at_target = _bool("stop_at_target", stop_at_target)
    log_growth = _bool("log_growth", log_growth)
    fast_math = _bool("fast_math", fast_math)
    seed = _int("seed", seed, 0, 2 ** 64 - 1)
    stream_offset = _int("stream_offset", stream_offset, 0, 2 ** 64 - 1)
    if chunk_updates is not None:
        chunk_updates = _int("chunk_updates", chunk_updates, 1)
    burn_in = _int("burn_in", burn_in, 0)
    n_threads = default_threads() if n_threads is None else _int("n_threads", n_threads, 1)
    w, n_runs = _initial_state(w0, n_runs, dim, opt.n_slots)
    if stream_offset + n_runs > 2 ** 64:
        raise ValueError(f"stream_offset: runs use streams stream_offset .. stream_offset + n_runs - 1, "
                         f"which must be < 2**64; got stream_offset={stream_offset} with n_runs={n_runs}")
    n_threads = _cap_threads(n_threads, n_runs)
    proj = _region("project", project, dim)

    records = [_parse_snapshots(snapshots, steps, w), _parse_trajectories(n_trajectories, thin, steps, w)]
    ex = _region("exit_region", exit_region, dim)
    if ex[0]:
        records.append(_driver.ExitRegion(*ex, stop_at_exit, n_runs, dim))
    elif stop_at_exit:
        raise ValueError("stop_at_exit: True needs an exit_region")
    records.append(_parse_targets(targets, stop_at_target, n_runs, dim))
    records.append(_parse_occupancy(occupancy_edges, burn_in, n_runs))
    records.append(_parse_hist(hist, burn_in, dim, n_threads))
    if log_growth:
        records.append(_driver.LogGrowth(n_runs))
    return _Spec(landscape=land, data=data, noise=noise_law, noise_scale=scale, optimizer=opt,
                 exact=exact, isotropic=isotropic, lr=lr, batch_size=batch_size, clip=clip,
                 max_abs=max_abs, project=proj, steps=steps, w0=w, seed=seed,
                 stream_offset=stream_offset, n_threads=n_threads, chunk_updates=chunk_updates,
                 fast_math=fast_math,
                 records=[r for r in records if r is not None])


# Result fields of the records that were not asked for
_ABSENT = dict(snapshots=None, trajectories=None, exit_step=None, exit_state=None, hit_step=None,
               hit_index=None, occupancy_edges=None, occupancy=None, hist_edges=None, hist=None,
               hist_outside=0, log_growth_sum=None, log_growth_n=None)


class Simulator:
    """Runs a checked `_Spec` in the compiled core (`sgdlab._driver.Core`) and collects a `Result`."""

    def __init__(self, spec):
        self.spec = spec
        n_runs, dim = spec.w0.shape
        self.w = spec.w0
        self.ost = np.zeros((n_runs, max(1, spec.optimizer.n_slots * dim)))
        self.rng = _random.seed_states(spec.seed, spec.stream_offset, n_runs)
        self.alive = np.ones(n_runs, dtype=np.uint8)
        self.diverged = np.zeros(n_runs, dtype=np.uint8)
        self.stop_step = np.full(n_runs, -1, dtype=np.int64)
        self.core = _driver.Core(
            landscape=spec.landscape, data=spec.data, noise=spec.noise, noise_scale=spec.noise_scale,
            optimizer=spec.optimizer, lr=spec.lr, batch=spec.batch_size, exact=spec.exact,
            isotropic=spec.isotropic, clip=0.0 if spec.clip is None else float(spec.clip),
            max_abs=spec.max_abs, project=spec.project, w=self.w, ost=self.ost, rng=self.rng,
            alive=self.alive, diverged=self.diverged, stop_step=self.stop_step,
            records=spec.records, fast_math=spec.fast_math)

    def run(self, progress=False):
        """All steps, in chunks of `chunk_updates` updates, or of about CHUNK_SECONDS each
        (progress bar between chunks). A chunk loads and stores every run's state once, so at many
        runs short chunks cost (≈ 5–10 % at 200 000 runs with 100-step chunks); long ones would delay
        the progress bar and Ctrl-C: hence chunks of a fixed duration, whatever the model's cost."""
        spec = self.spec
        steps, n_runs = spec.steps, spec.n_runs
        fixed = spec.chunk_updates is not None
        chunk = max(1, (spec.chunk_updates if fixed else FIRST_CHUNK_UPDATES) // n_runs)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=steps, unit="step", desc=f"{spec.landscape.name} x {n_runs} runs")
        t = 0
        while t < steps:
            t1 = min(steps, t + chunk)
            c0 = time.perf_counter()
            self.core.advance(t1, spec.n_threads)
            if not fixed:
                # the next chunk: CHUNK_SECONDS at the rate just seen, at most 4 times this one
                dt = time.perf_counter() - c0
                chunk = max(1, min(4 * chunk, int(chunk * CHUNK_SECONDS / max(dt, 1e-6))))
            if bar is not None:
                bar.update(t1 - t)
            t = t1
            if not self.alive.any():
                if bar is not None:
                    bar.update(steps - t)
                break
        if bar is not None:
            bar.close()
        if steps == 0:
            # the driver never runs: apply the step-0 exit/target checks here
            _events_at_zero(self.w, spec.records)

    def result(self, t_start, stacklevel=2):
        spec = self.spec
        dim, steps, n_runs = spec.dim, spec.steps, spec.n_runs
        div = self.diverged.astype(bool)
        if div.any():
            warnings.warn(f"{int(div.sum())} of {n_runs} runs diverged (|w| > {spec.max_abs:g} or "
                          "non-finite); they are flagged in Result.diverged and excluded by Result.ok",
                          DivergenceWarning, stacklevel=stacklevel)
        run_steps = np.where(self.stop_step >= 0, self.stop_step, steps)
        sq = (lambda a: a[..., 0]) if dim == 1 else (lambda a: a)
        opt_state = {}
        if spec.optimizer.n_slots == 3:
            ost = self.ost
            opt_state = {"m": sq(ost[:, :dim]), "v": sq(ost[:, dim:2 * dim]), "vhat": sq(ost[:, 2 * dim:])}
        fields = dict(_ABSENT)
        for rec in spec.records:
            fields.update(rec.fields(sq))
        return Result(
            dim=dim, steps=steps, n_runs=n_runs, final=sq(self.w), diverged=div,
            diverged_step=np.where(div, self.stop_step, -1), stop_step=self.stop_step, **fields,
            opt_state=opt_state,
            params=dict(landscape=spec.landscape.name, landscape_params=dict(spec.landscape.params),
                        lr=spec.lr, steps=steps, n_runs=n_runs, optimizer=repr(spec.optimizer),
                        data=repr(spec.data), noise=repr(spec.noise), noise_scale=repr(spec.noise_scale),
                        batch_size=spec.batch_size, clip=spec.clip, seed=spec.seed,
                        stream_offset=spec.stream_offset, fast_math=self.core.fast_math_used),
            elapsed=time.perf_counter() - t_start, updates=int(run_steps.sum()),
            fast_math=self.core.fast_math_used)


def _events_at_zero(w, records):
    """With steps == 0 the driver never runs: the step-0 exit/target checks, done here."""
    for rec in records:
        if isinstance(rec, _driver.ExitRegion):
            if rec.kind == 1:
                out = np.any((w < rec.a_array) | (w > rec.b_array), axis=1)
            else:
                out = ~_in_ball(w, rec.a_array, rec.rad)
            rec.step_array[out] = 0
            rec.state_array[out] = w[out]
        elif isinstance(rec, _driver.Targets):
            tcenter, trad, hit_step = rec.center_array, rec.rad_array, rec.step_array
            for k in range(len(trad)):
                inside = _in_ball(w, tcenter[k], trad[k]) & (hit_step < 0)
                hit_step[inside] = 0
                rec.index_array[inside] = k


def _in_ball(w, center, r):
    """Rows of w (finite) within distance r of center, as the driver decides it: as squares for
    1e-140 <= r <= 1e140, else comparing scaled distances (no overflow or underflow)."""
    z = w - center
    if 1e-140 <= r <= 1e140:
        return np.sum(z ** 2, axis=1) <= r ** 2
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.max(np.abs(z), axis=1)
        safe = np.where(m > 0, m, 1.0)
        d = safe * np.sqrt(np.sum((z / safe[:, None]) ** 2, axis=1))
    return np.where(m > 0, d <= r, True) & np.isfinite(m)


def _check_memory(name, n_doubles, what="record", limit_bytes=4e9):
    if n_doubles * 8 > limit_bytes:
        hint = ("ask for fewer runs" if what == "runs" else
                "ask for fewer runs, snapshots, frames (thin), bins or edges")
        raise ValueError(f"{name}: the {what} buffer would need {n_doubles * 8 / 1e9:.1f} GB "
                         f"(limit {limit_bytes / 1e9:g} GB); {hint}")
