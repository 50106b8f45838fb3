"""simulate(fast_math=True): the fused step's vector exp, log and pow (sgdlab/_fast.h).

The switch is off by default (the exact path, libm's bits, the NumPy reference's). On, results are
no longer libm's, but they must stay bit-identical whatever the threads, chunks or block
composition (each lane is a pure function of its own run), and close to the exact path step by step.
All checks are deterministic (fixed inputs and seeds): no statistical tolerance is involved."""
import os
import subprocess
import sys

import numpy as np
import pytest

import sgdlab
import sgdlab.noise
from sgdlab._driver import fast_math_eval

needs_simd = pytest.mark.skipif(not sgdlab.noise.SIMD, reason="fast_math needs the fused AVX2 step")


def _ulps(got, want):
    """|got - want| in units of the spacing of `want` (finite pairs); non-finite values must agree."""
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    fin = np.isfinite(want)
    np.testing.assert_array_equal(got[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)])
    assert np.isfinite(got[fin]).all()
    return np.abs(got[fin] - want[fin]) / np.spacing(np.abs(want[fin]))


@needs_simd
def test_vector_exp_and_log_are_within_one_ulp_of_libm():
    # fdlibm's algorithms err by < 1 ulp; glibc's are correctly rounded in almost all cases, so the
    # two differ by at most 1 ulp: checked on 3 million numbers across the whole range and on the
    # edges (subnormal results and arguments, overflow, 0, inf, NaN)
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-745.2, 709.79, 2_000_000), rng.uniform(-1, 1, 1_000_000),
                        rng.uniform(-1e-8, 1e-8, 100_000),
                        [0.0, -0.0, 1e-320, 709.78, 709.7827128933839, 709.79, 800.0, -708.4, -720.0,
                         -745.13, -745.14, -800.0, np.inf, -np.inf, np.nan]])
    with np.errstate(over="ignore"):
        assert _ulps(fast_math_eval("exp", x), np.exp(x)).max() <= 1.0
    y = np.concatenate([10 ** rng.uniform(-323.5, 308.2, 2_000_000), rng.uniform(0.5, 2, 1_000_000),
                        [0.0, -0.0, -1.0, -np.inf, 5e-324, 1e-310, 2.2250738585072014e-308, 1.0,
                         1 - 2 ** -53, 1 + 2 ** -52, 1.7976931348623157e308, np.inf, np.nan]])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert _ulps(fast_math_eval("log", y), np.log(y)).max() <= 1.0


@needs_simd
@pytest.mark.parametrize("e", [-1 / 1.2, -1 / 0.5, 0.6, 1 / 1.5, 2.0])
def test_vector_pow_error_is_bounded_by_its_derivation(e):
    # pow(x, e) = exp(e ln x). ln x errs by <= 1 ulp, absolutely by <= |ln x| 2^-52; the product
    # e ln x adds a rounding: its absolute error is <= 1.5 |e ln x| 2^-52. exp turns an absolute
    # error of its argument into the same relative error of the result, <= 3 |e ln x| ulp (an ulp
    # is >= 2^-53 relative); exp's own error adds <= 1 ulp, libm's pow's <= 1 more: bound
    # 2 + 3 |e ln x| ulp. Arguments: the noise laws' uniforms in (2^-53, 1).
    u = np.random.default_rng(2).uniform(2 ** -53, 1, 2_000_000)
    u = np.concatenate([u, [2 ** -53, 0.5, 1 - 2 ** -53]])
    err = _ulps(fast_math_eval("pow", u, e), u ** e)
    assert (err <= 2 + 3 * np.abs(e * np.log(u))).all()
    np.testing.assert_array_equal(fast_math_eval("pow", np.array([0.0, 1.0, np.inf, np.nan]), 0.6),
                                  [0.0, 1.0, np.inf, np.nan])


def _heavy(**kw):
    """The heavy-tails chapter's model: four-well landscape, Pareto noise, clipping, projection."""
    args = dict(lr=0.01, w0=np.linspace(-1.5, 1.5, 203), clip=0.5, steps=2000, seed=4,
                noise=sgdlab.make_noise("pareto", alpha=1.2), noise_scale=0.1,
                project=sgdlab.Interval(-1.6, 1.6), n_threads=1)
    args.update(kw)
    return sgdlab.simulate("four_well", **args)


CASES = {
    "four_well_pareto": lambda **kw: _heavy(**kw),
    "quadratic_laplace": lambda **kw: sgdlab.simulate(
        "quadratic", data=sgdlab.TwoPoint(-0.5), noise="laplace", noise_scale=0.3, lr=0.1,
        **dict(dict(w0=np.linspace(-1, 1, 203), steps=2000, seed=5, n_threads=1), **kw)),
    "double_well_stable": lambda **kw: sgdlab.simulate(
        "double_well", noise=sgdlab.make_noise("stable", alpha=1.5), noise_scale=0.05, lr=0.05,
        clip=1.0, **dict(dict(w0=np.linspace(-1, 1, 203), steps=2000, seed=6, n_threads=1), **kw)),
}


@needs_simd
@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_math_is_bit_identical_across_threads_chunks_and_blocks(case):
    run = CASES[case]
    a = run(fast_math=True)
    assert a.fast_math
    assert np.isfinite(a.final).all()
    b = run(fast_math=True, n_threads=2, chunk_updates=12_345)
    np.testing.assert_array_equal(a.final, b.final)
    # runs 100.. on their own (other block neighbours, other lanes) are the same runs
    c = run(fast_math=True, w0=np.linspace(-1.5 if case == "four_well_pareto" else -1, 1.5 if
                                           case == "four_well_pareto" else 1, 203)[100:],
            stream_offset=100)
    np.testing.assert_array_equal(a.final[100:], c.final)
    exact = run()
    assert not exact.fast_math
    assert (a.final != exact.final).any(), "fast_math changed nothing: is it wired to the kernel?"


# One step from the same state with the same draws: the two paths differ only through the results
# of pow/exp, each within r = 2 + 3 |y ln x| ulp of libm's (the bound tested above; an ulp is
# <= 2^-52 relative). Products and sums of perturbed factors carry the relative error of every
# factor: a term t that contains k perturbed results moves by <= k r 2^-52 |t| (to first order,
# and the last operations may round differently: 2 ulp of the result more).
U_MIN = 2.0 ** -53        # the smallest uniform the noise laws draw


@needs_simd
def test_one_step_of_pareto_noise_is_within_its_error_bound():
    # quadratic loss with two-point data (no transcendental in the gradient) + Pareto noise, no
    # clipping: w1 = w0 - lr (g + s n); only n = +-U^e changes: |dn| <= r |n|, r <= 2 + 3 |e| 36.8
    # (|ln U| <= 36.8), and s n = (w0 - w1)/lr - g from the exact path.
    e = -1 / 1.2
    r = (2 + 3 * abs(e) * -np.log(U_MIN)) * 2.0 ** -52
    w0 = np.linspace(-1.5, 1.5, 4003)
    kw = dict(data=sgdlab.TwoPoint(-0.5), noise=sgdlab.make_noise("pareto", alpha=1.2),
              noise_scale=0.1, lr=0.01, w0=w0, steps=1, seed=8, max_abs=1e300)
    a = sgdlab.simulate("quadratic", fast_math=True, **kw)
    b = sgdlab.simulate("quadratic", **kw)
    assert a.fast_math
    lr_g = 0.01 * 1.5 * np.abs(w0)                       # |lr x w0| with |x| <= 1.5 (atoms -0.5 +- 1)
    noise = np.abs(w0 - b.final) + lr_g                 # >= |lr s n|
    tol = r * noise * (1 + 1e-9) + 2 * np.spacing(np.abs(b.final))
    d = np.abs(a.final - b.final)
    assert (d <= tol).all(), np.max(d / tol)
    assert (d > 0).any()


def _four_well_terms(z):
    """|dv_k pre_k suf_k+1|, the nine terms of the four-well gradient (sgdlab/landscapes.pyx)."""
    d = np.abs(1.65 - z)
    v = [z + 1.6, (z + 1.3) ** 2, (z - 0.2) ** 2, (z - 0.7) ** 2, z - 1.6, (0.05 * d) ** 0.6,
         1 + 1 / (0.01 + 4 * (z - 0.5) ** 2), 1 + 1 / (0.1 + 4 * (z + 1.5) ** 2),
         1 - 0.25 * np.exp(-5 * (z + 0.8) ** 2)]
    e = np.exp(-5 * (z + 0.8) ** 2)
    dv = [1, 2 * (z + 1.3), 2 * (z - 0.2), 2 * (z - 0.7), 1, -0.6 * v[5] / d,
          -8 * (z - 0.5) / (0.01 + 4 * (z - 0.5) ** 2) ** 2, -8 * (z + 1.5) / (0.1 + 4 * (z + 1.5) ** 2) ** 2,
          2.5 * (z + 0.8) * e]
    return [np.abs(dv[k] * np.prod([v[m] for m in range(9) if m != k], axis=0)) for k in range(9)]


@needs_simd
def test_one_step_of_the_four_well_gradient_is_within_its_error_bound():
    # no noise: w1 = w0 - lr g; g = sum of the nine terms. Every term holds v5 (or dv5 = -0.6 v5 / d),
    # relative error <= r5 = 2 + 3 * 0.6 |ln(0.05 d)| ulp from pow(0.05 d, 0.6), and v8 = 1 - 0.25 e
    # (relative error <= r8 / 3, since 0.25 e / v8 <= 1/3) or dv8 = 2.5 (z + 0.8) e (<= r8), r8 = 1
    # ulp from exp: each term moves by <= (r5 + r8) |term|
    z = np.linspace(-1.6, 1.6, 4003)
    kw = dict(lr=0.01, w0=z, steps=1, seed=9)
    a = sgdlab.simulate("four_well", fast_math=True, **kw)
    b = sgdlab.simulate("four_well", **kw)
    assert a.fast_math
    r = (2 + 3 * 0.6 * np.abs(np.log(0.05 * np.abs(1.65 - z))) + 1) * 2.0 ** -52
    tol = 0.01 * r * np.sum(_four_well_terms(z), axis=0) * (1 + 1e-6) + 2 * np.spacing(np.abs(b.final))
    d = np.abs(a.final - b.final)
    assert (d <= tol).all(), np.max(d / tol)
    assert (d > 0).any()


@needs_simd
def test_fast_math_where_the_fused_step_does_not_apply_is_the_exact_path():
    # a ball projection is not in the fused step: the scalar passes run, with libm
    kw = dict(project=sgdlab.Ball(0.0, 1.6))
    a = _heavy(fast_math=True, **kw)
    b = _heavy(**kw)
    assert not a.fast_math
    np.testing.assert_array_equal(a.final, b.final)


def test_fast_math_off_by_default_and_checked():
    a = _heavy(steps=50)
    b = _heavy(steps=50, fast_math=False)
    assert not a.fast_math
    np.testing.assert_array_equal(a.final, b.final)
    for bad in (1, "yes", None):
        with pytest.raises(ValueError, match=r"^fast_math\b"):
            _heavy(steps=5, fast_math=bad)
    with pytest.raises(ValueError, match=r"^fn\b"):
        fast_math_eval("sin", np.ones(3))


def test_without_simd_fast_math_runs_the_exact_path(tmp_path):
    code = ("import sys, numpy as np, sgdlab\n"
            "kw = dict(lr=0.01, w0=np.linspace(-1.5, 1.5, 67), clip=0.5, steps=300, seed=4,\n"
            "          noise=sgdlab.make_noise('pareto', alpha=1.2), noise_scale=0.1)\n"
            "a = sgdlab.simulate('four_well', fast_math=True, **kw)\n"
            "b = sgdlab.simulate('four_well', **kw)\n"
            "assert not a.fast_math\n"
            "np.testing.assert_array_equal(a.final, b.final)\n")
    env = dict(os.environ, SGDLAB_NO_SIMD="1")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
