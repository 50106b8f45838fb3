"""sgdlab.sweep under bad input and faults: every argument is checked before anything runs, an
interruption keeps what finished and stops promptly, a dying worker process costs only its own chunk.

Each risky case runs in a subprocess with a timeout, so a hang or a crash fails the test instead of
the suite."""
import concurrent.futures as cf
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sgdlab
from sgdlab.sweep import SweepInterrupted
from sgdlab.tasks import quadratic_escape

GRID = {"a": [-1.0], "lr": [0.3, 0.8]}


def _lambda_task(point, n, seed, off):
    return quadratic_escape(point, n, seed, off)


@pytest.mark.parametrize("kwargs,name", [
    (dict(grid={"seed": [1, 2]}), "grid"),
    (dict(grid={"run": [1, 2]}), "grid"),
    (dict(grid={"a": [[-1.0, -0.5], [0.1, 0.2]]}), "grid"),
    (dict(grid={"a": [-1.0, -1.0]}), "grid"),
    (dict(grid={"a": [[-1.0], [0.1, 0.2]]}), "grid"),
    (dict(grid={1: [0.1]}), "grid"),
    (dict(grid={}), "grid"),
    (dict(seeds=[1.5, 2.7]), "seeds"),
    (dict(seeds=[0, 0]), "seeds"),
    (dict(seeds=[-1]), "seeds"),
    (dict(seeds=[True]), "seeds"),
    (dict(seeds=[2**64]), "seeds"),
    (dict(n_runs=0), "n_runs"),
    (dict(n_runs=10.0), "n_runs"),
    (dict(chunk_runs=0), "chunk_runs"),
    (dict(max_workers=0), "max_workers"),
    (dict(max_workers=1.5), "max_workers"),
    (dict(simulation=5), "simulation"),
    (dict(simulation=lambda p, n, s, o: quadratic_escape(p, n, s, o), executor="processes"), "simulation"),
    (dict(executor="gpu"), "executor"),
    (dict(stream_offset=-1), "stream_offset"),
    (dict(stream_offset=1.0), "stream_offset"),
    (dict(stream_offset=True), "stream_offset"),
    (dict(stream_offset=2**64 - 9), "stream_offset"),     # runs would use streams beyond 2**64 - 1
])
def test_bad_arguments_fail_before_anything_runs(kwargs, name):
    calls = []

    def counting(point, n, seed, off):
        calls.append(1)
        return quadratic_escape(point, n, seed, off)

    args = dict(simulation=counting, grid={"a": [-1.0], "lr": [0.8]}, n_runs=10)
    args.update(kwargs)
    sim, grid = args.pop("simulation"), args.pop("grid")
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        sgdlab.sweep(sim, grid, **args)
    assert not calls, "a chunk ran before the arguments were checked"


def _interrupting(point, n_runs, seed, offset):
    if offset == 200:
        raise KeyboardInterrupt
    return quadratic_escape(point, n_runs, seed, offset)


@pytest.mark.parametrize("executor", ["inline", None])
def test_interrupt_keeps_the_finished_chunks(executor):
    full = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, chunk_runs=100, executor="inline").data
    with pytest.raises(SweepInterrupted) as info:
        sgdlab.sweep(_interrupting, GRID, n_runs=400, chunk_runs=100, executor=executor, max_workers=2)
    part = info.value.partial.data
    done = ~np.isnan(part.escaped.values)
    assert done.any(), "no finished chunk was kept"
    # what was kept is exactly what the full sweep computed
    np.testing.assert_array_equal(part.escaped.values[done], full.escaped.values[done])
    assert np.isnan(part.escaped.values[..., 200:300]).all()


class _FinishAtSubmit(cf.Executor):
    """Runs each chunk when it is submitted: every future is finished before the sweep waits on
    any, so `as_completed` hands them out together, in no particular order (the race a thread pool
    runs into when a chunk finishes just as another one is interrupted)."""

    def submit(self, fn, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - as a pool's worker does
            fut.set_exception(exc)
        return fut


def test_interrupt_keeps_chunks_that_finished_together_with_the_interrupting_one():
    full = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, chunk_runs=100, executor="inline").data
    with pytest.raises(SweepInterrupted) as info:
        sgdlab.sweep(_interrupting, GRID, n_runs=400, chunk_runs=100, executor=_FinishAtSubmit())
    part = info.value.partial.data
    # every chunk but the two interrupting ones (runs 200..299 of each point) had finished
    assert part.attrs["n_missing_chunks"] == 2
    keep = np.r_[0:200, 300:400]
    np.testing.assert_array_equal(part.escaped.values[..., keep], full.escaped.values[..., keep])
    assert np.isnan(part.escaped.values[..., 200:300]).all()


SCRIPT_PROMPT = textwrap.dedent("""
    import signal, sys, threading, time, os
    import sgdlab
    from sgdlab.sweep import SweepInterrupted
    sys.path.insert(0, {here!r})
    from test_sweep_hardening import slow_chunk
    sgdlab.sweep(slow_chunk, {{"a": [0]}}, n_runs=1, executor="inline")   # imports done before the clock
    threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    t0 = time.perf_counter()
    try:
        sgdlab.sweep(slow_chunk, {{"a": list(range(40))}}, n_runs=1, executor={executor!r}, max_workers=2)
    except SweepInterrupted as e:
        kept = int((~__import__("numpy").isnan(e.partial.data.x.values)).sum())
        print("stopped", round(time.perf_counter() - t0, 2), "kept", kept)
""")


def slow_chunk(point, n_runs, seed, offset):
    import time
    time.sleep(0.5)
    return {"x": [float(point["a"])] * n_runs}


@pytest.mark.parametrize("executor", [None, "processes"])
def test_ctrl_c_stops_promptly(executor):
    """40 chunks of 0.5 s on 2 workers take 10 s; Ctrl-C after 1.5 s must stop within ~1 s more,
    keeping the chunks that finished."""
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run([sys.executable, "-c", SCRIPT_PROMPT.format(here=here, executor=executor)],
                       capture_output=True, text=True, timeout=60)
    assert "stopped" in r.stdout, r.stdout + r.stderr
    words = r.stdout.split()
    elapsed, kept = float(words[1]), int(words[3])
    assert elapsed < 4.0, f"the sweep took {elapsed} s to stop after Ctrl-C at 1.5 s"
    assert kept >= 1


def dying(point, n_runs, seed, offset):
    if point["a"] == 3:
        os._exit(1)        # the worker process dies
    return {"x": [float(point["a"])] * n_runs}


def test_a_dying_worker_costs_only_its_own_chunk():
    res = sgdlab.sweep(dying, {"a": list(range(12))}, n_runs=2, executor="processes", max_workers=2,
                       raise_on_error=False)
    assert len(res.failures) == 1 and res.failures[0].point == {"a": 3}
    x = res.data.x.values[:, 0, :]
    assert np.isnan(x[3]).all()
    np.testing.assert_array_equal(np.delete(x, 3, axis=0)[:, 0], [a for a in range(12) if a != 3])
