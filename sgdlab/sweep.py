"""Big sweeps: one simulation mapped over a parameter grid, seeds and chunks of runs, on any executor.

A phase diagram at paper resolution needs 1e10-1e12 updates. `sweep` splits the work into tasks
(grid point x seed x chunk of runs), runs them in-process, on a local process pool, on a Dask
cluster, or on any `concurrent.futures.Executor`, and gathers the per-run outputs into one labelled
`xarray.Dataset`.

Why an xarray Dataset: the result is a dense array over (grid parameters..., seed, run) for every
output; xarray keeps the parameter values as coordinates, so `ds.escaped.mean("run")` is the phase
diagram and `ds.sel(a=-1.0)` a slice, without the reshaping a long pandas table would need. It
converts to pandas with `ds.to_dataframe()` when a table is wanted.

Reproducibility: run r of a grid point uses the core's stream (seed, stream_offset + r) whatever chunk
it falls in (the task passes its `stream_offset` to `sgdlab.simulate`), so results are bit-identical
however the runs are chunked and wherever the chunks are executed. `stream_offset` (default 0) moves
the whole sweep to its own block of streams, so that it shares none with other experiments.
"""
from __future__ import annotations

import concurrent.futures as cf
import itertools
import os
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

__all__ = ["sweep", "SweepResult", "SweepError", "SweepInterrupted", "ChunkFailure"]

_RESERVED = ("seed", "run")  # the result's own dims


@dataclass(frozen=True)
class ChunkFailure:
    """A task that raised: where, which runs, and the error. `stream_offset` is the one the task was
    called with (sweep's `stream_offset` + `first_run`); `first_run` indexes the result's "run" dim."""
    point: dict
    seed: int
    stream_offset: int
    n_runs: int
    error: str
    first_run: int | None = None     # None: the same as stream_offset (a sweep with stream_offset 0)

    def __str__(self):
        run = self.stream_offset if self.first_run is None else self.first_run
        streams = "" if run == self.stream_offset else f" (streams {self.stream_offset}..)"
        return (f"point {self.point}, seed {self.seed}, runs {run}..{run + self.n_runs - 1}{streams}: "
                f"{self.error.strip().splitlines()[-1]}")


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


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or another interruption) stopped the sweep: the queued chunks were cancelled, and every
    chunk that had finished is kept in `partial` (a `SweepResult`; NaN where nothing finished)."""

    def __init__(self, partial: SweepResult):
        self.partial = partial
        done = partial.n_tasks - partial.data.attrs.get("n_missing_chunks", 0)
        super().__init__(f"sweep interrupted: {done} of {partial.n_tasks} chunks finished "
                         f"(kept in .partial)")


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


def _terminate(pool):
    """Stop the worker processes of an interrupted process pool now (their chunks are abandoned)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except Exception:  # noqa: BLE001 - already gone
            pass


def _run_pool(pool, owned, executor, max_workers, task, tasks, store, fail, bar, base=0):
    """Run the tasks on an executor; returns the KeyboardInterrupt that stopped it, or None.

    A worker process that dies (BrokenProcessPool) takes every queued chunk of its pool with it. On a
    pool of our own, the chunks it took are run again on a fresh pool, and those that still meet a
    broken pool one at a time, each in a pool of its own: only a chunk that kills its own worker is
    reported as failed."""
    from concurrent.futures.process import BrokenProcessPool
    retry = owned and executor == "processes"
    own = []                                   # pools made here, shut down here

    def run(pool, metas, may_retry):
        """Run metas on pool; returns (broken metas, KeyboardInterrupt or None)."""
        broken = []
        futures = {pool.submit(task, m[1], m[4], m[2], base + m[3]): m for m in metas}
        seen = set()

        def collect(fut):
            seen.add(fut)
            meta = futures[fut]
            try:
                store(meta, fut.result())
            except BrokenProcessPool as exc:
                if may_retry:
                    broken.append(meta)
                    return
                fail(meta, exc)
            except Exception as exc:  # noqa: BLE001
                fail(meta, exc)
            except SystemExit as exc:
                fail(meta, exc)
            if bar is not None:
                bar.update(1)

        try:
            for fut in cf.as_completed(futures):
                collect(fut)
        except KeyboardInterrupt as exc:
            for f in futures:
                f.cancel()
            # as_completed hands out the futures that finished together in no particular order:
            # chunks that finished before (or with) the interrupting one are kept, not dropped
            for f in futures:
                if f not in seen and f.done() and not f.cancelled() \
                        and not isinstance(f.exception(), KeyboardInterrupt):
                    try:
                        collect(f)
                    except KeyboardInterrupt:
                        pass
            return broken, exc
        return broken, None

    try:
        broken, stop = run(pool, tasks, retry)
        if stop is not None or not broken:
            return stop
        pool.shutdown(wait=True)
        # the chunks a dead worker took with it: all again on a fresh pool ...
        own.append(cf.ProcessPoolExecutor(max_workers=max_workers))
        broken, stop = run(own[-1], broken, True)
        if stop is not None or not broken:
            return stop
        own[-1].shutdown(wait=True)
        # ... and those that meet a broken pool again, one at a time, each in a pool of its own
        for meta in broken:
            own.append(cf.ProcessPoolExecutor(max_workers=1))
            _, stop = run(own[-1], [meta], False)
            if stop is not None:
                return stop
            own[-1].shutdown(wait=True)
        return None
    finally:
        for p in own:
            p.shutdown(wait=False, cancel_futures=True)
            _terminate(p)


def sweep(simulation, grid, *, n_runs, seeds=(0,), chunk_runs=None, executor=None,
          max_workers=None, progress=False, raise_on_error=True, stream_offset=0):
    """Map `simulation` over the cartesian product of `grid`, the `seeds` and chunks of runs.

    simulation: a picklable callable `(point: dict, n_runs, seed, stream_offset) -> dict` of
        per-run outputs (arrays of shape (n_runs,)); it must pass `seed` and `stream_offset` to
        `sgdlab.simulate`. See `sgdlab.tasks.quadratic_escape` for an example.
    grid: {name: sequence of values}; the dims of the result in this order.
    n_runs: runs per grid point and seed; chunk_runs: runs per task (default: all in one task).
    stream_offset: run r of every grid point and seed uses the core's stream (seed, stream_offset + r);
        give each independent sweep its own block of n_runs streams (default 0: streams 0..n_runs-1).
    executor: None (in-process: a pool of `max_workers` threads, default all CPUs, since the core
        releases the GIL), "inline" (one task after another in the calling thread, the core with
        its default threads), "processes" (local process pool of `max_workers`), any
        `concurrent.futures.Executor`, or a `dask.distributed.Client`. Except "inline", tasks run
        the core with one thread each (the executor provides the parallelism).
    progress: a tqdm bar over tasks. raise_on_error: raise `SweepError` (with `.partial`) if any
        chunk failed; otherwise return the partial `SweepResult` with its `failures`.
    """
    import xarray as xr

    names, values, seeds, chunk = _parse(simulation, grid, n_runs, seeds, chunk_runs, executor,
                                         max_workers)
    base = _parse_offset(stream_offset, n_runs)
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

    n_done = [0]

    def store(meta, out):
        n_done[0] += 1
        idx, point, seed, off, size = meta
        for name, arr in out.items():
            if name not in outputs:
                outputs[name] = np.full(shape, np.nan)
            outputs[name][idx + (slice(off, off + size),)] = arr

    def fail(meta, exc):
        n_done[0] += 1
        idx, point, seed, off, size = meta
        err = "".join(traceback.format_exception_only(type(exc), exc))
        failures.append(ChunkFailure(point, seed, base + off, size, err, first_run=off))

    interrupted = None
    try:
        if pool is None:
            for meta in tasks:
                try:
                    store(meta, task(meta[1], meta[4], meta[2], base + meta[3]))
                except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
                    fail(meta, exc)
                except KeyboardInterrupt as exc:
                    interrupted = exc
                    break
                except SystemExit as exc:   # a chunk that exits is a failed chunk, not the end
                    fail(meta, exc)
                if bar is not None:
                    bar.update(1)
        else:
            interrupted = _run_pool(pool, owned, executor, max_workers, task, tasks, store, fail, bar, base)
    finally:
        if bar is not None:
            bar.close()
        if owned and pool is not None:
            # after an interruption: cancel what is queued and do not wait for running chunks
            pool.shutdown(wait=interrupted is None, cancel_futures=interrupted is not None)
            if interrupted is not None and isinstance(pool, cf.ProcessPoolExecutor):
                _terminate(pool)
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
    ds.attrs.update(n_runs=n_runs, chunk_runs=chunk, n_failed_chunks=len(failures),
                    n_missing_chunks=len(tasks) - n_done[0])
    failures.sort(key=lambda f: (str(f.point), f.seed, f.stream_offset))
    result = SweepResult(ds, failures, time.perf_counter() - t0, len(tasks))
    if interrupted is not None:
        raise SweepInterrupted(result) from interrupted
    if failures and raise_on_error:
        raise SweepError(result)
    return result


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _parse(simulation, grid, n_runs, seeds, chunk_runs, executor, max_workers):
    """Check every argument before anything runs (a bad grid found after the last chunk would lose
    the whole sweep). Returns (names, values, seeds, chunk)."""
    if not callable(simulation):
        raise ValueError(f"simulation: must be callable, got {simulation!r}")
    if not isinstance(grid, dict) or not grid:
        raise ValueError("grid: expected a non-empty dict {name: values}")
    names, values = [], []
    for name, vals in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid: parameter names must be identifiers, got {name!r}")
        if name in _RESERVED:
            raise ValueError(f"grid: {name!r} is a dimension of the result; give it another name")
        try:
            arr = np.asarray(vals, dtype=object if isinstance(vals, (list, tuple)) and any(
                isinstance(v, str) for v in vals) else None)
        except ValueError:
            raise ValueError(f"grid: values of {name!r} must be a flat sequence of numbers or strings") from None
        if arr.ndim > 1:
            raise ValueError(f"grid: values of {name!r} must be one-dimensional, got shape {arr.shape}")
        vals = list(np.atleast_1d(arr))
        if not vals:
            raise ValueError(f"grid: parameter {name!r} has no values")
        plain = [_plain(v) for v in vals]
        try:
            dup = len(set(plain)) != len(plain)
        except TypeError:
            raise ValueError(f"grid: values of {name!r} must be numbers or strings") from None
        if dup:
            raise ValueError(f"grid: values of {name!r} repeat (the same runs would be counted twice): {plain}")
        names.append(name)
        values.append(vals)
    if not _is_int(n_runs) or n_runs < 1:
        raise ValueError(f"n_runs: must be an integer >= 1, got {n_runs!r}")
    seeds_in = list(np.atleast_1d(np.asarray(seeds, dtype=object)))
    if not seeds_in or any(not _is_int(x) or not 0 <= int(x) < 2**64 for x in seeds_in):
        raise ValueError(f"seeds: need integers in [0, 2**64), got {seeds!r}")
    seeds = [int(x) for x in seeds_in]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds: repeated seeds would count the same runs twice, got {seeds!r}")
    chunk = n_runs if chunk_runs is None else chunk_runs
    if not _is_int(chunk) or chunk < 1:
        raise ValueError(f"chunk_runs: must be an integer >= 1, got {chunk_runs!r}")
    if max_workers is not None and (not _is_int(max_workers) or max_workers < 1):
        raise ValueError(f"max_workers: must be an integer >= 1, got {max_workers!r}")
    if isinstance(executor, str) and executor not in ("inline", "processes"):
        raise ValueError(f"executor: expected None, 'inline', 'processes', a concurrent.futures.Executor "
                         f"or a dask.distributed.Client, got {executor!r}")
    if executor not in (None, "inline"):
        import pickle
        try:
            pickle.dumps(simulation)
        except Exception as exc:  # noqa: BLE001 - any pickling error means the same thing here
            raise ValueError(f"simulation: must be picklable to run on {executor!r} (define it at "
                             f"module level): {exc}") from None
    return names, values, seeds, int(chunk)


def _parse_offset(stream_offset, n_runs):
    """The first stream of the sweep's block: runs use streams stream_offset .. stream_offset + n_runs - 1
    (< 2**64, the core's stream ids)."""
    if not _is_int(stream_offset) or not 0 <= int(stream_offset) <= 2**64 - n_runs:
        raise ValueError(f"stream_offset: need an integer in [0, 2**64 - n_runs] (runs use streams "
                         f"stream_offset .. stream_offset + n_runs - 1), got {stream_offset!r}")
    return int(stream_offset)


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v
