"""simulate(): reproducibility, validation, divergence handling and records."""
import pickle
import warnings

import numpy as np
import pytest

import sgdlab


def _heavy(n_threads, seed=0, chunk=20_000_000, n=500, offset=0):
    return sgdlab.simulate("four_well", noise=sgdlab.make_noise("pareto", alpha=1.2), noise_scale=0.1,
                           lr=0.01, clip=0.5, project=sgdlab.Interval(-1.6, 1.6), w0=-0.7, n_runs=n,
                           steps=3000, snapshots=[10, 3000], exit_region=sgdlab.Interval(-1.3, 0.2),
                           occupancy_edges=[-1.3, 0.2, 0.7], log_growth=True, seed=seed,
                           stream_offset=offset, n_threads=n_threads, chunk_updates=chunk)


def test_bit_identical_whatever_threads_and_chunks():
    a = _heavy(1)
    for b in (_heavy(2), _heavy(2, chunk=500 * 7)):     # 2 threads; chunks of 7 steps
        for field in ("final", "snapshots", "exit_step", "exit_state", "occupancy", "log_growth_sum"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_hist_identical_with_threads():
    kw = dict(noise="gaussian", noise_scale=30.0, lr=0.002, steps=2000, n_runs=200,
              w0=[0.0, 0.0], hist=((-5, 5, 40), (-5, 5, 40)), burn_in=100, seed=3)
    a = sgdlab.simulate("himmelblau", n_threads=1, **kw)
    b = sgdlab.simulate("himmelblau", n_threads=2, **kw)
    np.testing.assert_array_equal(a.hist, b.hist)
    assert a.hist.sum() + a.hist_outside == 200 * (2000 - 100)


def test_seeds_and_streams():
    a, b = _heavy(2, seed=0), _heavy(2, seed=1)
    assert not np.array_equal(a.final, b.final)
    # run r uses stream (seed, offset + r): a run's result does not depend on n_runs
    small = _heavy(2, n=50)
    np.testing.assert_array_equal(small.final, a.final[:50])
    shifted = _heavy(2, n=50, offset=100)
    np.testing.assert_array_equal(shifted.final, a.final[100:150])


def test_records_are_consistent():
    n, T = 300, 500
    res = sgdlab.simulate("double_well", noise="gaussian", noise_scale=1.0, lr=0.01, steps=T,
                          w0=np.linspace(-1, 1, n), n_trajectories=5, thin=10,
                          snapshots=[0, 100, 500], occupancy_edges=[-0.5, 0.0, 0.5], burn_in=50, seed=4)
    # trajectories agree with snapshots at shared steps
    np.testing.assert_array_equal(res.trajectories[:, 10], res.snapshots[:5, 1])
    np.testing.assert_array_equal(res.trajectories[:, 50], res.final[:5])
    np.testing.assert_array_equal(res.trajectory_steps[[0, 10, 50]], [0, 100, 500])
    # every step after burn_in is counted once
    np.testing.assert_array_equal(res.occupancy.sum(axis=1), T - 50)
    assert res.occupancy.shape == (n, 4)


def test_occupancy_bins_below_inside_above():
    # Runs that do not move (lr tiny): every counted step falls in the bin of the start point,
    # including the two outer bins (below the first edge, at/above the last).
    edges = [-1.0, 0.0, 1.0]
    w0 = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    expect = [0, 1, 1, 2, 2, 3, 3]
    res = sgdlab.simulate("harmonic", optimizer="gd", lr=1e-300, steps=20, w0=w0,
                          occupancy_edges=edges, burn_in=5, seed=0)
    assert res.occupancy.shape == (7, 4)
    for r, k in enumerate(expect):
        assert res.occupancy[r, k] == 15 and res.occupancy[r].sum() == 15


def test_no_trajectory_allocates_nothing():
    # A huge step budget with early stopping must cost nothing up front: no per-step arrays when no
    # trajectory is asked for (this used to build arange(steps + 1): 8 GB for steps = 1e9).
    res = sgdlab.simulate("double_well", lr=0.1, steps=10**12, w0=np.array([0.5, -0.5]),
                          targets=[sgdlab.Interval(0.99, 1.01), sgdlab.Interval(-1.01, -0.99)],
                          stop_at_target=True, seed=0)
    assert res.trajectories is None and res.trajectory_steps.size == 0
    assert (res.hit_step > 0).all() and (res.stop_step == res.hit_step).all()


def test_targets_and_stop():
    res = sgdlab.simulate("double_well", lr=0.01, steps=5000, w0=np.array([0.3, -0.3, 0.0]),
                          optimizer="gd", targets=[sgdlab.Interval(0.9, 1.1), sgdlab.Interval(-1.1, -0.9)],
                          stop_at_target=True)
    assert list(res.hit_index) == [0, 1, -1]          # 0 is a fixed point of GD
    assert res.hit_step[0] == res.hit_step[1] > 0 and res.hit_step[2] == -1
    assert abs(res.final[0] - 0.9) < 0.01 and res.stop_step[0] == res.hit_step[0]


def test_divergence_is_flagged_not_nan_poison():
    # Ziyin et al. Fig. 1 right: quartic loss, lr = 0.8, a = -1; the map is chaotic for large |w|
    w0 = np.random.default_rng(2).uniform(-1.5, 1.5, 2000)
    with pytest.warns(sgdlab.DivergenceWarning, match="diverged"):
        res = sgdlab.simulate("quartic", data=sgdlab.TwoPoint(-1.0), lr=0.8, steps=200, w0=w0, seed=5)
    assert 0 < res.n_diverged < 2000
    assert np.all(np.isnan(res.final[res.diverged]))
    assert np.all(np.isfinite(res.final[res.ok]))
    assert np.all(res.diverged_step[res.diverged] > 0) and np.all(res.diverged_step[res.ok] == -1)
    assert np.isfinite(np.mean(np.abs(res.final[res.ok])))


def test_w0_not_modified_and_shapes():
    w0 = np.ones((10, 2))
    res = sgdlab.simulate("himmelblau", lr=0.001, steps=5, w0=w0, optimizer="gd")
    assert np.all(w0 == 1.0) and res.final.shape == (10, 2)
    res1 = sgdlab.simulate("sine", lr=0.1, steps=5, w0=0.2, n_runs=7, optimizer="gd")
    assert res1.final.shape == (7,)


def test_objects_pickle():
    for obj in (sgdlab.make_landscape("quartic", c=2.0), sgdlab.make_noise("stable", alpha=1.5),
                sgdlab.TwoPoint(-1.0), sgdlab.SqrtLoss(2.0, 1.0), sgdlab.make_optimizer("amsgrad", beta1=0.9)):
        assert repr(pickle.loads(pickle.dumps(obj))) == repr(obj)


BAD = [
    (dict(lr=-0.1), "lr"), (dict(lr=0.0), "lr"), (dict(lr=float("nan")), "lr"),
    (dict(steps=-1), "steps"), (dict(n_runs=0), "n_runs"), (dict(w0=[float("inf")]), "w0"),
    (dict(w0=np.zeros((3, 2))), "w0"), (dict(batch_size=0), "batch_size"), (dict(clip=-1.0), "clip"),
    (dict(snapshots=[5, 3]), "snapshots"), (dict(snapshots=[0, 99]), "snapshots"),
    (dict(optimizer="rmsprop"), "optimizer"), (dict(noise="cauchy"), "noise"),
    (dict(noise_scale=-1.0), "noise_scale"), (dict(seed=-3), "seed"), (dict(n_threads=0), "n_threads"),
    (dict(max_abs=0.0), "max_abs"), (dict(thin=0), "thin"), (dict(n_trajectories=100), "n_trajectories"),
    (dict(exit_region=(0, 1)), "exit_region"), (dict(project=sgdlab.Interval(1, 0)), "region"),
    (dict(occupancy_edges=[0.0, 0.0]), "occupancy_edges"), (dict(hist=(1.0, 0.0, 10)), "hist"),
]


@pytest.mark.parametrize("kw,name", BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_raises_value_error_naming_parameter(kw, name):
    base = dict(lr=0.1, steps=10, w0=np.zeros(4), data=sgdlab.TwoPoint(-1.0))
    with pytest.raises(ValueError, match=name):
        sgdlab.simulate("quadratic", **{**base, **kw})


def test_bad_models():
    with pytest.raises(ValueError, match="landscape"):
        sgdlab.simulate("rosenbrock", lr=0.1, steps=1, w0=0.0, n_runs=1)
    with pytest.raises(ValueError, match="data"):
        sgdlab.simulate("quadratic", lr=0.1, steps=1, w0=0.0, n_runs=1)
    with pytest.raises(ValueError, match="data"):
        sgdlab.simulate("sine", data=sgdlab.TwoPoint(-1), lr=0.1, steps=1, w0=0.0, n_runs=1)
    with pytest.raises(ValueError, match="probs"):
        sgdlab.Discrete([1.0, 2.0], [0.5, 0.6])
    with pytest.raises(ValueError, match="alpha"):
        sgdlab.make_noise("stable", alpha=2.5)
    with pytest.raises(ValueError, match="alpha"):
        sgdlab.make_noise("pareto", alpha=0.0)
    with pytest.raises(ValueError, match="beta1"):
        sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(-1), optimizer="adam", beta1=1.0,
                        lr=0.1, steps=1, w0=0.0, n_runs=1)
    with pytest.raises(ValueError, match="std"):
        sgdlab.GaussianData(0.0, -1.0)
    with pytest.raises(ValueError, match="landscape"):
        sgdlab.make_landscape("quartic", d=1.0)


def test_log_growth_is_scale_free():
    # ln|w_t/w_0| must not depend on the scale of w (squares of |w| < 1e-154 underflow to 0). The
    # quadratic model is linear in w; the network is linear near its saddle (u w << 1 at 1e-100).
    kw = dict(data=sgdlab.TwoPoint(-1.0), lr=0.3, steps=200, log_growth=True, seed=3, max_abs=1e300)
    for name, w0, scale in [("quadratic", np.full(50, 1.0), 1e-200),
                            ("two_layer", np.full((50, 2), 1e-100), 1e-150)]:
        big = sgdlab.simulate(name, w0=w0, **kw)
        tiny = sgdlab.simulate(name, w0=w0 * scale, **kw)
        assert np.isfinite(tiny.escape_rate()).all()
        np.testing.assert_allclose(tiny.escape_rate(), big.escape_rate(), rtol=1e-9)


@pytest.mark.filterwarnings("ignore::sgdlab.DivergenceWarning")
def test_two_layer_balanced_line_is_the_quartic_bit_for_bit():
    # u = w = t with data y = -x: the network's gradient (t t - y) t is the quartic's (x + t t) t
    # (c = 1) operation for operation, so the two trajectories are identical, not merely close.
    a, n = -1.0, 500
    t0 = np.random.default_rng(0).uniform(-1, 1, n)
    net = sgdlab.simulate("two_layer", data=sgdlab.Discrete([-1.0, 1.0 - a], [0.5, 0.5]), lr=0.8,
                          steps=300, w0=np.column_stack([t0, t0]), seed=5, max_abs=1e12)
    qrt = sgdlab.simulate("quartic", data=sgdlab.TwoPoint(a), lr=0.8, steps=300, w0=t0, seed=5,
                          max_abs=1e12)
    np.testing.assert_array_equal(net.diverged, qrt.diverged)
    np.testing.assert_array_equal(net.final[:, 0], qrt.final)
    np.testing.assert_array_equal(net.final[:, 1], qrt.final)
