"""The AVX2 kernels (sgdlab/_simd.h) give the same bits as the scalar loops (SGDLAB_NO_SIMD=1)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import sgdlab
import sgdlab.noise

CODE = """
import sys, numpy as np, sgdlab
w2 = np.random.default_rng(1).uniform(-4, 4, (203, 2))
a = sgdlab.simulate("himmelblau", noise="gaussian", noise_scale=100.0, lr=0.002, w0=w2, steps=300,
                    seed=5, n_threads=2).final
b = sgdlab.simulate("sharp2d", data=sgdlab.TwoPoint(0.3), lr=0.05, w0=w2 / 4, steps=300, seed=6,
                    project=sgdlab.Box(-1, 1), n_threads=2).final
c = sgdlab.simulate("quadratic", data=sgdlab.GaussianData(0.2, 1.0), noise="gaussian", noise_scale=0.5,
                    lr=0.1, w0=w2[:, 0], steps=300, seed=7, n_threads=1).final
np.save(sys.argv[1], np.concatenate([a.ravel(), b.ravel(), c.ravel()]))
"""


def _run(tmp_path, name, no_simd, code=CODE, timeout=300):
    """`code` run in a fresh interpreter (SGDLAB_NO_SIMD is read at import), with or without SIMD;
    the array it saved."""
    env = dict(os.environ)
    env.pop("SGDLAB_NO_SIMD", None)
    if no_simd:
        env["SGDLAB_NO_SIMD"] = "1"
    out = tmp_path / f"{name}.npy"
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=timeout)
    return np.load(out)


@pytest.mark.skipif(not sgdlab.noise.SIMD, reason="the CPU has no AVX2 (or SGDLAB_NO_SIMD is set)")
def test_simd_and_scalar_paths_are_bit_identical(tmp_path):
    a = _run(tmp_path, "simd", False)
    b = _run(tmp_path, "scalar", True)
    assert np.isfinite(a).mean() > 0.9
    np.testing.assert_array_equal(a, b)


# The fused SIMD step (sgdlab/_fast.h): every model it computes, with divergence, clipping, box
# projection, records and events, on run counts that fill no whole block; compared field by field.
# Each of the fused step's loops (one per set of options: none, e.g. the first two cases in 1-D and
# 2-D; box projection only, e.g. the AMSGrad cases; noise only, e.g. the Adam quartic; everything,
# e.g. clip with a box) is among them; so are records counted at every step (occupancy, histograms)
# from the fused step's trace, and events, which take it one step at a time.
FUSED = """
import sys, warnings, numpy as np, sgdlab
rng = np.random.default_rng(3)
w1 = rng.uniform(-1.5, 1.5, 203)
w2 = rng.uniform(-1.2, 1.2, (203, 2))
cases = [
    dict(landscape="quadratic", data=sgdlab.TwoPoint(-1.0), lr=2.0, w0=w1, max_abs=1e30),
    dict(landscape="sharp2d", data=sgdlab.TwoPoint(0.5), lr=0.4, w0=w2, max_abs=50.0),
    dict(landscape="quadratic", data=sgdlab.TwoPoint(2.5), lr=0.3, w0=w1, clip=0.2,
         project=sgdlab.Interval(-1, 0.8), snapshots=[0, 5, 40, 400], n_trajectories=7, thin=3),
    dict(landscape="quartic", landscape_params={"c": 0.7}, data=sgdlab.TwoPoint(-1.0), lr=0.6, w0=w1,
         max_abs=1e6, exit_region=sgdlab.Interval(-1.4, 1.4), occupancy_edges=[-1, 0, 1],
         hist=(-2, 2, 9)),
    dict(landscape="quartic", data=sgdlab.Discrete([1.0, -3.0], [0.3, 0.7]), lr=0.2, w0=w1,
         noise="gaussian", noise_scale=0.7, optimizer="adam", beta1=0.5, beta2=0.9, eps=1e-8),
    dict(landscape="quadratic", data=sgdlab.TwoPoint(-0.1), lr=0.2, w0=w1, optimizer="amsgrad",
         beta1=0.9, beta2=0.999, project=sgdlab.Interval(-1, 1), targets=[sgdlab.Interval(0.1, 0.2)],
         stop_at_target=True),
    dict(landscape="sharp2d", landscape_params={"a": 0.3, "b": 10.0}, data=sgdlab.TwoPoint(0.2),
         lr=0.3, w0=w2, max_abs=50.0, clip=1.5, exit_region=sgdlab.Ball([0, 0], 1.0), stop_at_exit=True),
    dict(landscape="sharp2d", data=sgdlab.TwoPoint(0.0), lr=0.05, w0=w2, optimizer="amsgrad",
         project=sgdlab.Box([-1, -0.5], [1, 0.5]), hist=((-1, 1, 5), (-1, 1, 4)), burn_in=10),
    dict(landscape="himmelblau", noise="gaussian", noise_scale=30.0, lr=0.01, w0=w2 * 4, max_abs=1e4,
         optimizer="adam", snapshots=[100, 400]),
    dict(landscape="himmelblau", lr=0.02, w0=w2 * 4, clip=0.3),
    dict(landscape="four_well", lr=0.01, w0=w1, clip=0.5, noise=sgdlab.make_noise("pareto", alpha=1.2),
         noise_scale=0.1, project=sgdlab.Interval(-1.6, 1.6), occupancy_edges=[-1, 0, 1]),
    dict(landscape="four_well", lr=0.05, w0=w1, noise="laplace", noise_scale=0.5, optimizer="adam",
         max_abs=3.0),
    dict(landscape="quartic", data=sgdlab.TwoPoint(-1.0), lr=0.1, w0=w1, noise=sgdlab.make_noise("pareto", alpha=0.8),
         noise_scale=0.05, max_abs=1e3),
    dict(landscape="double_well", lr=0.05, w0=w1 * 2, noise=sgdlab.make_noise("pareto", alpha=1.5),
         noise_scale=0.3, clip=1.0, project=sgdlab.Interval(-3, 3)),
    dict(landscape="kinked_two_well", landscape_params={"a": 1.0, "b": 3.0, "kink_grad": 0.25}, lr=0.1,
         w0=np.where(np.arange(203) % 5 == 0, 0.0, w1), noise="gaussian", noise_scale=0.4),
    dict(landscape="sine", lr=0.05, w0=w1, noise="laplace", noise_scale=0.5, optimizer="amsgrad"),
    dict(landscape="flat_max", lr=0.2, w0=w1, noise="gaussian", noise_scale=0.5, max_abs=10.0),
    dict(landscape="harmonic", landscape_params={"k": 2.0}, lr=0.3, w0=w1, noise="gaussian", noise_scale=1.0),
    dict(landscape="two_layer", data=sgdlab.TwoPoint(0.5), lr=0.2, w0=w2 * 2, max_abs=1e4,
         exit_region=sgdlab.Box([-2, -2], [2, 2])),
    dict(landscape="quadratic", data=sgdlab.TwoPoint(-0.5), batch_size=3, lr=0.8, w0=w1, max_abs=1e200,
         log_growth=True),
    dict(landscape="sharp2d", data=sgdlab.Discrete([1.0, -1.0], [0.25, 0.75]), batch_size=4, lr=0.1,
         w0=w2, optimizer="adam", project=sgdlab.Box(-1, 1)),
    dict(landscape="quadratic", data=sgdlab.TwoPoint(-1.0), lr=2.0, w0=np.where(np.arange(203) % 7 == 0, 0.0, w1),
         max_abs=1e30, log_growth=True, noise="gaussian", noise_scale=0.1),
    dict(landscape="three_hump_camel", lr=0.01, w0=w2 * 2, noise=sgdlab.make_noise("pareto", alpha=1.3),
         noise_scale=0.5, isotropic=True, clip=0.4, project=sgdlab.Box([-2, -1.5], [2, 1.5])),
    dict(landscape="himmelblau", lr=0.002, w0=w2 * 4, noise="gaussian", noise_scale=20.0, isotropic=True),
    dict(landscape="double_well", lr=0.02, w0=w1, noise=sgdlab.make_noise("stable", alpha=1.4),
         noise_scale=0.2, clip=1.0, occupancy_edges=[-1, 0, 1]),
    dict(landscape="sine", lr=0.02, w0=w1, noise=sgdlab.make_noise("stable", alpha=1.0), noise_scale=0.1,
         max_abs=1e3),
    dict(landscape="three_hump_camel", lr=0.01, w0=w2 * 2, noise="gaussian", noise_scale=2.0, clip=0.5,
         targets=[sgdlab.Ball([0, 0], 0.1)]),
    # occupancy and histograms without events: counted from the fused step's trace after burn_in,
    # with runs diverging inside a traced stretch (1-D plain SGD, 2-D with noise)
    dict(landscape="quadratic", data=sgdlab.TwoPoint(-1.0), lr=2.0, w0=w1, max_abs=1e30,
         occupancy_edges=[-1, 0, 1], hist=(-2, 2, 9), burn_in=37),
    dict(landscape="himmelblau", noise="gaussian", noise_scale=300.0, lr=0.01, w0=w2 * 4, max_abs=60.0,
         hist=((-6, 6, 7), (-6, 6, 5)), burn_in=3),
]
out = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for k, kw in enumerate(cases):
        name = kw.pop("landscape")
        for threads, chunk in ((1, 20_000_000), (2, 5_000)):
            r = sgdlab.simulate(name, steps=400, seed=11 + k, n_threads=threads, chunk_updates=chunk, **kw)
            for f in ("final", "diverged", "diverged_step", "stop_step", "snapshots", "trajectories", "exit_step",
                      "exit_state", "hit_step", "hit_index", "occupancy", "hist", "hist_outside",
                      "log_growth_sum", "log_growth_n"):
                v = getattr(r, f, None)
                if v is not None:
                    out.append(np.asarray(v, dtype=np.float64).ravel())
np.save(sys.argv[1], np.concatenate(out))
"""


@pytest.mark.skipif(not sgdlab.noise.SIMD, reason="the CPU has no AVX2 (or SGDLAB_NO_SIMD is set)")
def test_fused_simd_step_and_scalar_passes_are_bit_identical(tmp_path):
    a, b = (_run(tmp_path, f"fused_{no_simd}", no_simd, code=FUSED, timeout=600) for no_simd in (False, True))
    assert a.size > 10000
    np.testing.assert_array_equal(a, b)
