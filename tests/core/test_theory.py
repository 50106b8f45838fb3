"""The core against exact theory of the quadratic model (Ziyin, Li & Ueda)."""
import math

import numpy as np
import pytest

import sgdlab
from sgdlab import quadratic as q
from tolerances import Z_TOL


def test_prop1_fraction_nonzero_is_two_to_minus_t():
    # lr = 1: one draw x = 1 sets w to exactly 0, so P(w_t != 0) = 2^-t (binomial SE per step)
    n, T = 200_000, 12
    res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(-1.0), lr=1.0, steps=T,
                          w0=np.ones(n), snapshots=range(T + 1), seed=11)
    frac = (res.snapshots != 0).mean(axis=0)
    p = q.prob_nonzero_lr1(np.arange(T + 1))
    se = np.sqrt(p * (1 - p) / n)
    assert frac[0] == 1.0
    assert np.all(np.abs(frac[1:] - p[1:]) < Z_TOL * se[1:] + 1e-12)


@pytest.mark.parametrize("a,lr", [(-1.0, 0.25), (-1.0, 0.8), (-0.5, 0.6), (0.5, 0.3)])
def test_mean_log_growth_equals_mu(a, lr):
    # ln|w_T/w_0| / T averages T i.i.d. terms ln|1 - lr x| with mean mu and variance s2/T, where
    # s2 = (ln|1-lr| - ln|1-lr(a-1)|)^2 / 4: compare the run average with its exact SE.
    n, T = 20_000, 40
    res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=lr, steps=T, w0=np.ones(n),
                          log_growth=True, seed=12)
    rate = res.escape_rate()
    mu = float(q.mu(a, lr))
    s2 = (math.log(abs(1 - lr)) - math.log(abs(1 - lr * (a - 1)))) ** 2 / 4
    se = math.sqrt(s2 / T / n)
    assert abs(rate.mean() - mu) < Z_TOL * se
    # and the recorded sum is ln|w_T/w_0| itself
    np.testing.assert_allclose(res.log_growth_sum, np.log(np.abs(res.final)), rtol=1e-9, atol=1e-9)


def test_exact_law_of_log_ratio():
    # finite-t law: ln|w_t/w_0| = k ln|1-lr| + (t-k) ln|1-lr(a-1)|, k ~ Bin(t, 1/2)
    a, lr, T, n = -1.0, 0.8, 10, 100_000
    res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=lr, steps=T, w0=np.ones(n), seed=13)
    vals, probs = q.log_ratio_law(a, lr, T)
    obs = np.log(np.abs(res.final))
    for v, p in zip(vals, probs):
        frac = np.mean(np.isclose(obs, v, rtol=0, atol=1e-9))
        assert abs(frac - p) < Z_TOL * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize("a", [-1.0, -0.5, -2.0])
def test_absorption_on_both_sides_of_eq8(a):
    lo, hi = q.absorbing_interval(a)
    n, T = 2000, 3000
    w0 = np.random.default_rng(1).uniform(-1, 1, n)
    data = sgdlab.TwoPoint(a)
    inside = [lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo)]
    outside = [0.6 * lo, hi + 0.15]
    for lr in inside:      # mu < 0: |w_T| ~ exp(T mu) -> essentially every run is below 1e-6
        assert q.mu(a, lr) < 0
        res = sgdlab.simulate("quadratic", data=data, lr=lr, steps=T, w0=w0, seed=14)
        assert np.mean(np.abs(res.final[res.ok]) < 1e-6) > 0.99
    for lr in outside:     # mu > 0: runs escape (|w| leaves [-1e6, 1e6]; stopped there)
        assert q.mu(a, lr) > 0
        res = sgdlab.simulate("quadratic", data=data, lr=lr, steps=T, w0=w0, seed=15,
                              exit_region=sgdlab.Interval(-1e6, 1e6), stop_at_exit=True)
        assert res.n_diverged == 0
        assert np.mean(res.exit_step > 0) > 0.99


def test_theory_numbers_from_the_paper():
    lo, hi = q.absorbing_interval(-1.0)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(1.2808, abs=1e-4)
    assert q.optimal_lr(-1.0) == pytest.approx(0.25)
    assert q.optimal_rate(-1.0) == pytest.approx(0.0589, abs=1e-4)
    assert float(q.mu(-1.0, 0.8)) == pytest.approx(-0.327, abs=1e-3)
    # Eq. 85 is the inverse of gamma*(a): gamma*(-bound(eps)) == eps
    for eps in (0.01, 0.05, 0.2):
        assert float(q.optimal_rate(-q.max_abs_a_for_rate(eps))) == pytest.approx(eps, rel=1e-9)
    # the Gaussian-data quadrature reduces to the closed form when std -> 0
    assert q.mu_gaussian(0.0, 1e-4, 0.5) == pytest.approx(0.0, abs=1e-6)


def test_log_ratio_law_at_lr_one():
    # lr = 1: a draw x = 1 sends w to exactly 0 (ln 0 = -inf); with no such draw (k = 0, prob 2^-t)
    # the log-ratio is t ln|2 - a|, finite.
    t, a = 5, -1.0
    vals, probs = q.log_ratio_law(a, 1.0, t)
    assert vals[0] == t * np.log(2 - a) and np.isneginf(vals[1:]).all()
    assert probs[0] == pytest.approx(0.5 ** t, rel=1e-12)
