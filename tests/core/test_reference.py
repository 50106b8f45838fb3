"""The compiled core against the pure-NumPy reference (sgdlab.reference)."""
import numpy as np
import pytest
from scipy import stats

import sgdlab
from sgdlab.reference import simulate_reference
from tolerances import P_MIN, Z_TOL, zscore_means

# ---------------------------------------------------------------- deterministic: exactly equal
GD_CASES = [
    ("quadratic", {}, sgdlab.TwoPoint(-1.0), 0.3, (-1, 1)),
    ("quartic", {"c": 1.0}, sgdlab.TwoPoint(-1.0), 0.3, (-1, 1)),
    ("sharp2d", {"a": 0.5, "b": 14.0}, sgdlab.Discrete([1.0, -1.0], [0.5, 0.5]), 0.02, (-1, 1)),
    ("two_layer", {}, sgdlab.TwoPoint(-0.2), 0.1, (-1, 1)),
    ("himmelblau", {}, None, 0.002, (-5, 5)),
    ("three_hump_camel", {}, None, 0.01, (-3, 3)),
    ("four_well", {}, None, 0.001, (-1.5, 1.5)),
    ("kinked_two_well", {"a": 1.0, "b": 2.0}, None, 0.05, (-2, 2)),
    ("double_well", {}, None, 0.05, (-3, 3)),
    ("sine", {}, None, 0.05, (-2, 2)),
    ("flat_max", {}, None, 0.05, (-1.2, 1.2)),
    ("harmonic", {"k": 2.0}, None, 0.1, (-2, 2)),
]


@pytest.mark.parametrize("name,params,data,lr,box", GD_CASES, ids=[c[0] for c in GD_CASES])
def test_gd_is_bit_identical_to_reference(name, params, data, lr, box, rng):
    dim = sgdlab.make_landscape(name, **params).dim
    w0 = rng.uniform(box[0], box[1], (64, dim))
    kw = dict(lr=lr, steps=300, w0=w0, data=data, landscape_params=params, optimizer="gd",
              snapshots=[0, 1, 7, 300])
    core = sgdlab.simulate(name, **kw)
    ref = simulate_reference(name, **kw)
    if name == "four_well":
        # exp() of numpy's SIMD loops may differ from libm's by 1 ulp: equal to rounding, not bits
        np.testing.assert_allclose(core.final.reshape(-1, dim), ref["final"], rtol=1e-12, atol=0)
        return
    np.testing.assert_array_equal(core.final.reshape(-1, dim), ref["final"])
    np.testing.assert_array_equal(core.snapshots.reshape(64, 4, dim), ref["snapshots"])


def test_gd_clip_and_projection_bit_identical(rng):
    w0 = rng.uniform(-5, 5, (50, 2))
    for proj, ref_proj in [(sgdlab.Box(-3.5, 3.5), ("box", -3.5, 3.5)),
                           (sgdlab.Ball([0.5, 0.0], 3.0), ("ball", [0.5, 0.0], 3.0))]:
        kw = dict(lr=0.01, steps=200, w0=w0, optimizer="gd", clip=0.05)
        core = sgdlab.simulate("himmelblau", project=proj, **kw)
        ref = simulate_reference("himmelblau", project=ref_proj, **kw)
        np.testing.assert_array_equal(core.final, ref["final"])


def test_gd_exit_time_matches_reference():
    w0 = np.linspace(0.05, 0.45, 40)
    core = sgdlab.simulate("double_well", lr=0.01, steps=2000, w0=w0, optimizer="gd",
                           exit_region=sgdlab.Interval(-0.5, 0.5), stop_at_exit=True)
    ref = simulate_reference("double_well", lr=0.01, steps=2000, w0=w0, optimizer="gd",
                             exit_region=("box", -0.5, 0.5), stop_at_exit=True)
    np.testing.assert_array_equal(core.exit_step, ref["exit_step"])
    np.testing.assert_array_equal(core.exit_state, ref["exit_state"][:, 0])
    assert np.all(core.exit_step > 0)


# ---------------------------------------------------------------- noisy: statistically equal
def _ks(a, b):
    p = stats.ks_2samp(a, b).pvalue
    assert p > P_MIN, f"two-sample KS p-value {p:.2e} (core vs reference)"


def test_sgd_quadratic_log_growth_matches_reference():
    # ln|w_T/w_0| is a sum of T i.i.d. terms; compare the two samples' means (z test) and laws (KS)
    n, T = 4000, 30
    kw = dict(lr=0.5, steps=T, w0=np.ones(n), data=sgdlab.TwoPoint(-1.0))
    core = np.log(np.abs(sgdlab.simulate("quadratic", seed=1, **kw).final))
    ref = np.log(np.abs(simulate_reference("quadratic", seed=2, **kw)["final"][:, 0]))
    assert abs(zscore_means(core, ref)) < Z_TOL
    _ks(core, ref)


@pytest.mark.parametrize("noise,params", [("gaussian", {"scale": 1.0}), ("laplace", {"scale": 0.7}),
                                          ("pareto", {"alpha": 1.2, "scale": 0.1}),
                                          ("stable", {"alpha": 1.5, "scale": 0.5})])
def test_additive_noise_dynamics_match_reference(noise, params, rng):
    # double well from 0.3, clipped, projected: the law of the final point must agree (KS)
    n = 3000
    w0 = np.full(n, 0.3)
    kw = dict(lr=0.05, steps=40, w0=w0, noise=noise, clip=0.3)
    core = sgdlab.simulate("double_well", noise_scale=1.0, project=sgdlab.Interval(-2, 2), seed=3,
                           **{**kw, "noise": sgdlab.make_noise(noise, **params)})
    ref = simulate_reference("double_well", noise_params=params, project=("box", -2, 2), seed=4, **kw)
    _ks(core.final, ref["final"][:, 0])


def test_sqrt_loss_noise_2d_matches_reference():
    n = 3000
    w0 = np.tile([3.0, 2.0], (n, 1))
    kw = dict(lr=0.002, steps=50, w0=w0, noise="gaussian")
    core = sgdlab.simulate("himmelblau", noise_scale=sgdlab.SqrtLoss(5.0, 1.0), seed=5, **kw)
    ref = simulate_reference("himmelblau", noise_scale=sgdlab.SqrtLoss(5.0, 1.0),
                             noise_params={"scale": 1.0}, seed=6, **kw)
    for k in range(2):
        _ks(core.final[:, k], ref["final"][:, k])


@pytest.mark.parametrize("opt,beta1", [("adam", 0.0), ("adam", 0.9), ("amsgrad", 0.0), ("amsgrad", 0.9)])
def test_adam_amsgrad_match_reference(opt, beta1, rng):
    n = 3000
    w0 = rng.uniform(-1, 1, n)
    kw = dict(lr=0.05, steps=200, w0=w0, data=sgdlab.TwoPoint(-0.1), optimizer=opt, beta1=beta1,
              beta2=0.99)
    core = sgdlab.simulate("quadratic", project=sgdlab.Interval(-1, 1), seed=7, **kw)
    ref = simulate_reference("quadratic", project=("box", -1, 1), seed=8, **kw)
    _ks(np.abs(core.final), np.abs(ref["final"][:, 0]))


def test_minibatch_matches_reference():
    n = 4000
    kw = dict(lr=0.5, steps=40, w0=np.tile([0.3, 0.2], (n, 1)), data=sgdlab.TwoPoint(-0.2),
              batch_size=4)
    core = sgdlab.simulate("two_layer", seed=9, **kw)
    ref = simulate_reference("two_layer", seed=10, **kw)
    prod_c = core.final[:, 0] * core.final[:, 1]
    prod_r = ref["final"][:, 0] * ref["final"][:, 1]
    _ks(prod_c, prod_r)
