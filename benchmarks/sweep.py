"""Benchmark of sgdlab.sweep: the quadratic phase diagram in-process vs a local process pool vs a
Dask LocalCluster (2 workers x 1 thread), results checked identical. `make bench-sweep`."""
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import sgdlab  # noqa: E402
from sgdlab.tasks import quadratic_escape  # noqa: E402

GRID = {"a": np.linspace(-4, 1, 41), "lr": np.linspace(0.02, 2, 40)}
N_RUNS, CHUNK = 2000, 1000


def run(label, **kw):
    t0 = time.perf_counter()
    res = sgdlab.sweep(quadratic_escape, GRID, n_runs=N_RUNS, chunk_runs=CHUNK, **kw)
    dt = time.perf_counter() - t0
    updates = 200 * N_RUNS * res.data.sizes["a"] * res.data.sizes["lr"]   # upper bound: runs may stop early
    print(f"{label:<34}{dt:8.2f} s {updates / dt:12.3g} updates/s (at most)")
    return res.data, dt


def main():
    print(f"phase diagram: {len(GRID['a'])} x {len(GRID['lr'])} points x {N_RUNS} runs x 200 steps, "
          f"chunks of {CHUNK} runs")
    ref, t_in = run("in-process (2 threads x core 1 thr.)")
    out, t_inline = run("inline (core on all threads)", executor="inline")
    assert np.array_equal(out.log_abs_final.values, ref.log_abs_final.values)
    out, t_pool = run("process pool (2 workers x 1 thread)", executor="processes", max_workers=2)
    assert np.array_equal(out.log_abs_final.values, ref.log_abs_final.values)
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cl, Client(cl) as client:
        out, t_dask = run("dask LocalCluster (2 workers)", executor=client)
    assert np.array_equal(out.log_abs_final.values, ref.log_abs_final.values)
    print(f"identical results; speed relative to in-process: inline {t_in / t_inline:.2f}x, pool {t_in / t_pool:.2f}x, "
          f"dask {t_in / t_dask:.2f}x")


if __name__ == "__main__":
    main()
