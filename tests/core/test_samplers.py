"""The core's samplers (sgdlab._random): laws checked by moments, quantiles and tails."""
import math

import numpy as np
import pytest
from scipy import stats

from sgdlab._random import sample_raw
from tolerances import P_MIN, Z_TOL

N = 400_000


def _mean_ok(x, expected):
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - expected) < Z_TOL * se, (x.mean(), expected, se)


def _prob_ok(hits, n, p):
    se = math.sqrt(p * (1 - p) / n)
    assert abs(hits / n - p) < Z_TOL * se, (hits / n, p, se)


def test_uniform_is_uniform():
    u = sample_raw("uniform", N, seed=1)
    assert u.min() >= 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > P_MIN


def test_normal_moments_and_law():
    z = sample_raw("normal", N, seed=2)
    _mean_ok(z, 0.0)
    _mean_ok(z ** 2, 1.0)        # variance 1
    _mean_ok(z ** 4, 3.0)        # kurtosis of a Gaussian
    assert stats.kstest(z, "norm").pvalue > P_MIN


def test_exponential_and_laplace():
    e = sample_raw("exponential", N, seed=3)
    _mean_ok(e, 1.0)
    assert stats.kstest(e, "expon").pvalue > P_MIN
    lap = sample_raw("laplace", N, seed=4)
    _mean_ok(lap ** 2, 2.0)      # density e^{-|z|}/2 has variance 2
    assert stats.kstest(lap, "laplace").pvalue > P_MIN


@pytest.mark.parametrize("alpha", [1.2, 1.5])
def test_pareto_tail(alpha):
    # classical Pareto: P(|Z| > z) = z^-alpha for z >= 1 (numpy's pareto would be Lomax: P(>z) = (1+z)^-a)
    z = sample_raw("pareto", N, seed=5, alpha=alpha)
    a = np.abs(z)
    assert a.min() >= 1.0
    for q in (2.0, 10.0, 100.0):
        _prob_ok(np.sum(a > q), N, q ** -alpha)
    _prob_ok(np.sum(z > 0), N, 0.5)
    assert stats.kstest(a, stats.pareto(alpha).cdf).pvalue > P_MIN


@pytest.mark.parametrize("alpha", [1.2, 1.5, 1.8])
def test_stable_log_moment_and_tail(alpha):
    # E log|Z| = gamma_Euler (1/alpha - 1) for symmetric alpha-stable with scale 1 (Zolotarev)
    z = sample_raw("stable", N, seed=6, alpha=alpha)
    _mean_ok(np.log(np.abs(z)), np.euler_gamma * (1 / alpha - 1))
    # tail: P(|Z| > x) ~ 2 C_alpha x^-alpha, C_alpha = Gamma(alpha) sin(pi alpha/2)/pi
    x = 200.0
    c = math.gamma(alpha) * math.sin(math.pi * alpha / 2) / math.pi
    p_tail = 2 * c * x ** -alpha
    hits = np.sum(np.abs(z) > x)
    # the asymptotic form has a relative correction O(x^-alpha) (< 1% at x = 200): allow it on top of the SE
    se = math.sqrt(p_tail / N)
    assert abs(hits / N - p_tail) < Z_TOL * se + 0.01 * p_tail


def test_stable_special_cases():
    g = sample_raw("stable", N, seed=7, alpha=2.0)      # alpha = 2: N(0, 2)
    assert stats.kstest(g / math.sqrt(2), "norm").pvalue > P_MIN
    c = sample_raw("stable", N, seed=8, alpha=1.0)      # alpha = 1: standard Cauchy
    assert stats.kstest(c, "cauchy").pvalue > P_MIN


def test_stable_matches_scipy_cdf():
    alpha = 1.5
    z = sample_raw("stable", 100_000, seed=9, alpha=alpha)
    for q in (-3.0, -0.5, 0.5, 3.0):
        p = stats.levy_stable.cdf(q, alpha, 0.0)     # S1 parametrisation, scale 1
        _prob_ok(np.sum(z <= q), z.size, p)


def test_streams_differ_and_repeat():
    a = sample_raw("uniform", 1000, seed=1, stream=0)
    b = sample_raw("uniform", 1000, seed=1, stream=1)
    c = sample_raw("uniform", 1000, seed=2, stream=0)
    np.testing.assert_array_equal(a, sample_raw("uniform", 1000, seed=1, stream=0))
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    # neighbouring streams are uncorrelated
    x = sample_raw("normal", 50_000, seed=1, stream=10)
    y = sample_raw("normal", 50_000, seed=1, stream=11)
    assert abs(np.corrcoef(x, y)[0, 1]) < Z_TOL / math.sqrt(x.size)


def test_unknown_sampler():
    with pytest.raises(ValueError, match="law"):
        sample_raw("cauchy", 10)
