"""Big sweeps: one simulation mapped over a parameter grid, seeds and chunks of runs, on any executor.

A phase diagram at paper resolution needs 1e10-1e12 updates. `sweep` splits the work into tasks
(grid point x seed x chunk of runs), runs them in-process, on a local process pool, on a Dask
cluster, or on any `concurrent.futures.Executor`, and gathers the per-run outputs into one labelled
`xarray.Dataset`.

Why an xarray Dataset: the result is a dense array over (grid parameters..., seed, run) for every
output; xarray keeps the parameter values as coordinates, so `ds.escaped.mean("run")` is the phase
diagram and `ds.sel(a=-1.0)` a slice, without the reshaping a long pandas table would need. It
converts to pandas with `ds.to_dataframe()` when a table is wanted.

Reproducibility: run r of a grid point uses the core's stream (seed, r) whatever chunk it falls in
(the task passes `stream_offset` to `sgdlab.simulate`), so results are bit-identical however the
runs are chunked and wherever the chunks are executed.
"""
from __future__ import annotations

import concurrent.futures as cf
import itertools
import os
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

__all__ = ["sweep", "SweepResult", "SweepError", "ChunkFailure"]


@dataclass(frozen=True)
class ChunkFailure:
    """A task that raised: where, which runs, and the error."""
    point: dict
    seed: int
    stream_offset: int
    n_runs: int
    error: str

    def __str__(self):
        return (f"point {self.point}, seed {self.seed}, runs {self.stream_offset}.."
                f"{self.stream_offset + self.n_runs - 1}: {self.error.strip().splitlines()[-1]}")


@dataclass
class SweepResult:
    """The gathered outputs (NaN where a chunk failed), the failures and the wall time."""
    data: object                      # xarray.Dataset with dims (*grid, "seed", "run")
    failures: list = field(default_factory=list)
    elapsed: float = 0.0
    n_tasks: int = 0

    @property
    def complete(self):
        return not self.failures


class SweepError(RuntimeError):
    """Some chunks failed. `partial` holds every finished chunk; `failures` says which failed."""

    def __init__(self, partial: SweepResult):
        self.partial = partial
        self.failures = partial.failures
        lines = "\n".join(f"  - {f}" for f in self.failures[:10])
        more = f"\n  ... and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
        super().__init__(f"{len(self.failures)} of {partial.n_tasks} sweep chunks failed "
                         f"(finished chunks are in .partial):\n{lines}{more}")


class _Task:
    """Picklable call of the user's simulation with a thread budget for the core."""

    def __init__(self, simulation, threads):
        self.simulation = simulation
        self.threads = threads

    def __call__(self, point, n_runs, seed, offset):
        if self.threads is not None:
            os.environ["SGDLAB_NUM_THREADS"] = str(self.threads)
        out = self.simulation(dict(point), n_runs, seed, offset)
        if not isinstance(out, dict) or not out:
            raise TypeError("simulation must return a non-empty dict of per-run arrays")
        clean = {}
        for name, arr in out.items():
            arr = np.asarray(arr, dtype=np.float64)
            if arr.shape != (n_runs,):
                raise ValueError(f"simulation output {name!r}: expected shape ({n_runs},), got {arr.shape}")
            clean[name] = arr
        return clean


def _resolve_executor(executor, max_workers, n_tasks):
    """Return (executor, owned, threads_per_task)."""
    if executor == "inline":
        return None, False, None
    if executor is None:
        # In-process: a thread pool, the core single-threaded in each task. The core releases the
        # GIL, and a small chunk on all cores spends more time in OpenMP fork/join than in work.
        from .simulate import default_threads
        workers = min(max_workers or default_threads(), n_tasks)
        if workers <= 1:
            return None, False, None
        return cf.ThreadPoolExecutor(max_workers=workers), True, "threads"
    if executor == "processes":
        return cf.ProcessPoolExecutor(max_workers=max_workers), True, 1
    if isinstance(executor, cf.Executor):
        return executor, False, 1
    if hasattr(executor, "get_executor") and hasattr(executor, "scheduler_info"):   # dask Client
        return executor.get_executor(), False, 1
    raise ValueError(f"executor: expected None, 'processes', a concurrent.futures.Executor or a "
                     f"dask.distributed.Client, got {executor!r}")


def sweep(simulation, grid, *, n_runs, seeds=(0,), chunk_runs=None, executor=None,
          max_workers=None, progress=False, raise_on_error=True):
    """Map `simulation` over the cartesian product of `grid`, the `seeds` and chunks of runs.

    simulation: a picklable callable `(point: dict, n_runs, seed, stream_offset) -> dict` of
        per-run outputs (arrays of shape (n_runs,)); it must pass `seed` and `stream_offset` to
        `sgdlab.simulate`. See `sgdlab.tasks.quadratic_escape` for an example.
    grid: {name: sequence of values}; the dims of the result in this order.
    n_runs: runs per grid point and seed; chunk_runs: runs per task (default: all in one task).
    executor: None (in-process: a pool of `max_workers` threads, default all CPUs, since the core
        releases the GIL), "inline" (one task after another in the calling thread, the core with
        its default threads), "processes" (local process pool of `max_workers`), any
        `concurrent.futures.Executor`, or a `dask.distributed.Client`. Except "inline", tasks run
        the core with one thread each (the executor provides the parallelism).
    progress: a tqdm bar over tasks. raise_on_error: raise `SweepError` (with `.partial`) if any
        chunk failed; otherwise return the partial `SweepResult` with its `failures`.
    """
    import xarray as xr

    if not isinstance(grid, dict) or not grid:
        raise ValueError("grid: expected a non-empty dict {name: values}")
    names = list(grid)
    values = []
    for name in names:
        vals = list(np.atleast_1d(np.asarray(grid[name])))
        if not vals:
            raise ValueError(f"grid: parameter {name!r} has no values")
        values.append(vals)
    if isinstance(n_runs, bool) or not isinstance(n_runs, (int, np.integer)) or n_runs < 1:
        raise ValueError(f"n_runs: must be an integer >= 1, got {n_runs!r}")
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"seeds: need non-negative integers, got {seeds!r}")
    chunk = n_runs if chunk_runs is None else chunk_runs
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk_runs: must be an integer >= 1, got {chunk_runs!r}")
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers: must be >= 1, got {max_workers!r}")
    n_tasks = int(np.prod([len(v) for v in values])) * len(seeds) * (-(-n_runs // chunk))
    pool, owned, threads = _resolve_executor(executor, max_workers, n_tasks)
    old_env = os.environ.get("SGDLAB_NUM_THREADS")
    if threads == "threads":          # set once here: worker threads share the environment
        os.environ["SGDLAB_NUM_THREADS"] = "1"
        threads = None

    shape = tuple(len(v) for v in values) + (len(seeds), n_runs)
    tasks = []
    for index in itertools.product(*[range(len(v)) for v in values]):
        point = {n: _plain(values[k][i]) for k, (n, i) in enumerate(zip(names, index))}
        for si, seed in enumerate(seeds):
            for off in range(0, n_runs, chunk):
                tasks.append((index + (si,), point, seed, off, min(chunk, n_runs - off)))

    t0 = time.perf_counter()
    task = _Task(simulation, threads)
    outputs, failures = {}, []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(tasks), unit="chunk", desc="sweep")

    def store(meta, out):
        idx, point, seed, off, size = meta
        for name, arr in out.items():
            if name not in outputs:
                outputs[name] = np.full(shape, np.nan)
            outputs[name][idx + (slice(off, off + size),)] = arr

    def fail(meta, exc):
        idx, point, seed, off, size = meta
        err = "".join(traceback.format_exception_only(type(exc), exc))
        failures.append(ChunkFailure(point, seed, off, size, err))

    try:
        if pool is None:
            for meta in tasks:
                try:
                    store(meta, task(meta[1], meta[4], meta[2], meta[3]))
                except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
                    fail(meta, exc)
                if bar is not None:
                    bar.update(1)
        else:
            futures = {pool.submit(task, m[1], m[4], m[2], m[3]): m for m in tasks}
            for fut in cf.as_completed(futures):
                meta = futures[fut]
                try:
                    store(meta, fut.result())
                except Exception as exc:  # noqa: BLE001
                    fail(meta, exc)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if owned:
            pool.shutdown()
        if os.environ.get("SGDLAB_NUM_THREADS") != old_env:
            if old_env is None:
                os.environ.pop("SGDLAB_NUM_THREADS", None)
            else:
                os.environ["SGDLAB_NUM_THREADS"] = old_env

    coords = {n: v for n, v in zip(names, [np.asarray(v) for v in values])}
    coords["seed"] = np.asarray(seeds)
    coords["run"] = np.arange(n_runs)
    dims = names + ["seed", "run"]
    ds = xr.Dataset({k: (dims, v) for k, v in outputs.items()}, coords=coords)
    ds.attrs.update(n_runs=n_runs, chunk_runs=chunk, n_failed_chunks=len(failures))
    failures.sort(key=lambda f: (str(f.point), f.seed, f.stream_offset))
    result = SweepResult(ds, failures, time.perf_counter() - t0, len(tasks))
    if failures and raise_on_error:
        raise SweepError(result)
    return result


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v
