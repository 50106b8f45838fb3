"""sgdlab.sweep: chunking and executors do not change results; failures are reported, not lost."""
import numpy as np
import pytest

import sgdlab
from sgdlab.tasks import quadratic_escape

GRID = {"a": [-1.0, -0.25], "lr": [0.3, 0.8, 1.5]}


def flaky(point, n_runs, seed, offset):
    """Fails on one grid point (module-level so that process pools can pickle it)."""
    if point["lr"] == 0.8 and offset >= 100:
        raise RuntimeError("boom")
    return quadratic_escape(point, n_runs, seed, offset)


@pytest.fixture(scope="module")
def reference():
    return sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1]).data


def test_dims_and_theory_sign(reference):
    assert reference.escaped.dims == ("a", "lr", "seed", "run")
    frac = reference.escaped.mean(("seed", "run"))
    # a = -1: lr = 0.8 lies inside the Eq. 8 interval (0.5, 1.28): almost no run escapes;
    # lr = 0.3 and 1.5 lie outside: almost all do (200 steps, mu = +0.057 and +0.35 per step)
    assert float(frac.sel(a=-1.0, lr=0.8)) < 0.05
    assert float(frac.sel(a=-1.0, lr=1.5)) > 0.95


def test_chunking_does_not_change_results(reference):
    for chunk in (1000, 64, 7):
        out = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1], chunk_runs=chunk).data
        np.testing.assert_array_equal(out.log_abs_final.values, reference.log_abs_final.values)


def test_inline_and_thread_pool_identical(reference, monkeypatch):
    # default in-process = a thread pool with the core single-threaded; "inline" = one task after
    # another with the core's own threads. Same numbers, and the thread setting is restored.
    monkeypatch.setenv("SGDLAB_NUM_THREADS", "2")
    out = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1], chunk_runs=50,
                       executor="inline").data
    np.testing.assert_array_equal(out.log_abs_final.values, reference.log_abs_final.values)
    out = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1], chunk_runs=50,
                       max_workers=3).data
    np.testing.assert_array_equal(out.log_abs_final.values, reference.log_abs_final.values)
    import os
    assert os.environ["SGDLAB_NUM_THREADS"] == "2"


def test_process_pool_identical(reference):
    out = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1], chunk_runs=100,
                       executor="processes", max_workers=2).data
    np.testing.assert_array_equal(out.log_abs_final.values, reference.log_abs_final.values)


def test_dask_local_cluster_identical(reference):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        out = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1], chunk_runs=150,
                           executor=client).data
    np.testing.assert_array_equal(out.log_abs_final.values, reference.log_abs_final.values)


def test_failing_chunk_is_reported_and_finished_chunks_kept(reference):
    with pytest.raises(sgdlab.SweepError, match=r"lr': 0.8.*seed 0, runs 100..199") as info:
        sgdlab.sweep(flaky, GRID, n_runs=400, seeds=[0, 1], chunk_runs=100, executor="processes",
                     max_workers=2)
    err = info.value
    assert len(err.failures) == 2 * 2 * 3          # 2 values of a x 2 seeds x 3 chunks at lr = 0.8
    part = err.partial.data.log_abs_final
    ok = part.sel(lr=[0.3, 1.5])
    np.testing.assert_array_equal(ok.values, reference.log_abs_final.sel(lr=[0.3, 1.5]).values)
    assert np.all(np.isnan(part.sel(lr=0.8).values[..., 100:]))
    np.testing.assert_array_equal(part.sel(lr=0.8).values[..., :100],
                                  reference.log_abs_final.sel(lr=0.8).values[..., :100])
    res = sgdlab.sweep(flaky, GRID, n_runs=400, chunk_runs=100, raise_on_error=False)
    assert not res.complete and len(res.failures) == 6


def test_stream_offset_shifts_the_streams(reference):
    """stream_offset=k gives run r of every point the stream (seed, k + r): a sweep shifted by 100 is
    runs 100.. of the unshifted one, bit for bit, however it is chunked and wherever it runs."""
    shifted = sgdlab.sweep(quadratic_escape, GRID, n_runs=300, seeds=[0, 1], stream_offset=100).data
    np.testing.assert_array_equal(shifted.log_abs_final.values, reference.log_abs_final.values[..., 100:])
    for kw in (dict(chunk_runs=64, executor="inline"), dict(chunk_runs=7, max_workers=3),
               dict(chunk_runs=100, executor="processes", max_workers=2)):
        out = sgdlab.sweep(quadratic_escape, GRID, n_runs=300, seeds=[0, 1], stream_offset=100, **kw).data
        np.testing.assert_array_equal(out.log_abs_final.values, shifted.log_abs_final.values)
    # a block of its own shares no stream with the default block: no finite run coincides
    far = sgdlab.sweep(quadratic_escape, GRID, n_runs=400, seeds=[0, 1], stream_offset=10**9).data
    a, b = far.log_abs_final.values, reference.log_abs_final.values
    both = np.isfinite(a) & np.isfinite(b)
    assert both.sum() > 500 and not np.any(a[both] == b[both])


def test_failures_name_runs_and_streams_of_a_shifted_sweep():
    res = sgdlab.sweep(flaky, GRID, n_runs=400, chunk_runs=100, stream_offset=1000, raise_on_error=False)
    # flaky fails at lr = 0.8 for task offsets >= 100: every chunk there, since the offsets start at 1000
    assert len(res.failures) == 2 * 4
    assert sorted({f.first_run for f in res.failures}) == [0, 100, 200, 300]
    assert all(f.stream_offset == 1000 + f.first_run for f in res.failures)
    assert "runs 100..199 (streams 1100..)" in " ".join(str(f) for f in res.failures)
    assert np.all(np.isnan(res.data.log_abs_final.sel(lr=0.8).values))
    assert not np.any(np.isnan(res.data.log_abs_final.sel(lr=[0.3, 1.5]).values))


def test_bad_arguments():
    with pytest.raises(ValueError, match="grid"):
        sgdlab.sweep(quadratic_escape, {}, n_runs=10)
    with pytest.raises(ValueError, match="n_runs"):
        sgdlab.sweep(quadratic_escape, GRID, n_runs=0)
    with pytest.raises(ValueError, match="chunk_runs"):
        sgdlab.sweep(quadratic_escape, GRID, n_runs=10, chunk_runs=0)
    with pytest.raises(ValueError, match="executor"):
        sgdlab.sweep(quadratic_escape, GRID, n_runs=10, executor="gpu")
    with pytest.raises(ValueError, match="stream_offset"):
        sgdlab.sweep(quadratic_escape, GRID, n_runs=10, stream_offset=2**64 - 5)
