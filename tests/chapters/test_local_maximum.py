"""Tests of the local-maximum chapter: theory against the paper's numbers and independent brute force,
experiments (core runs) against the exact theory, validation, agreement table, figures and explorer.

Statistical tolerances: Z_TOL = 4.5 standard errors (two-sided p = 6.8e-6 per check; see conftest),
with the exact standard error of the simulated quantity (binomial for fractions, exact moments for means),
Bonferroni-corrected where several comparisons are made at once. Seeds are fixed.
"""
import itertools
import math
import warnings

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from sgdlab.chapters.local_maximum import experiments as ex
from sgdlab.chapters.local_maximum import theory as th
from sgdlab import quadratic

from conftest import Z_TOL


# ------------------------------------------------------------------ theory: numbers from the paper/spec

def test_paper_numbers():
    lo, hi = th.absorbing_interval(-1.0)
    assert lo == pytest.approx(0.5, abs=1e-12)
    assert hi == pytest.approx(1.2808, abs=5e-5)                      # Eq. 8 at a = -1 (spec)
    assert float(th.mu(-1.0, 0.8)) == pytest.approx(-0.327, abs=5e-4)  # spec: mu = -0.327 per step
    assert float(th.mu(-1.0, lo)) == pytest.approx(0.0, abs=1e-12)     # endpoints have mu = 0
    assert float(th.mu(-1.0, hi)) == pytest.approx(0.0, abs=1e-12)
    assert th.quartic_minima(-1.0) == pytest.approx((-math.sqrt(0.5), math.sqrt(0.5)))
    assert th.quartic_minima(0.5) == ()


def _enumerate(a, lr, t):
    """All 2^t draw sequences: the factor prod(1 - lr x_i) of each (probability 2^-t)."""
    out = []
    for xs in itertools.product([1.0, a - 1.0], repeat=t):
        out.append(np.prod([1 - lr * x for x in xs]))
    return np.array(out)


@pytest.mark.parametrize("a,lr,t", [(-1.0, 0.8, 6), (-2.5, 1.3, 5), (0.5, 0.4, 7), (-1.0, 1.0, 4)])
def test_exact_law_against_enumeration(a, lr, t):
    f = np.abs(_enumerate(a, lr, t))
    # P(|w_t| <= eps) with w0 ~ U[-1, 1]: average over sequences of P(|w0| f <= eps) = min(1, eps/f)
    for eps in (1e-3, 0.05, 0.7):
        brute = np.mean([1.0 if m == 0 else min(1.0, eps / m) for m in f])
        assert th.prob_abs_le(eps, a, lr, t) == pytest.approx(brute, rel=1e-12, abs=1e-15)
    # bin probabilities: CDF of U[-m, m] averaged over sequences
    edges = np.array([-1.3, -0.4, -0.05, 0.0, 0.05, 0.2, 1.0, 2.5])
    def cdf(w):
        return np.mean([(0.5 if w == 0 else float(w > 0)) if m == 0 else float(np.clip(0.5 + w / (2 * m), 0, 1))
                        for m in f])
    brute = np.diff([cdf(e) for e in edges])
    assert th.bin_probs(edges, a, lr, t) == pytest.approx(brute, abs=1e-13)


def test_quantile_against_enumeration():
    a, lr, t = -1.0, 0.8, 7
    f = np.sort(np.abs(_enumerate(a, lr, t)))
    for q in (0.1, 0.5, 0.9):
        # the smallest value whose empirical CDF reaches q
        brute = f[int(np.ceil(q * f.size)) - 1]
        assert th.abs_quantile_w0_fixed(q, a, lr, t) == pytest.approx(brute, rel=1e-10)


def test_bin_probs_no_overflow_at_long_times():
    p = th.bin_probs(ex.HIST_EDGES, -1.0, 0.8, 2000)      # m_k up to 2.6^2000: log space
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(th.prob_abs_le(1.0, -1.0, 0.8, 2000), abs=1e-12)


def test_gaussian_mu_series_matches_quadrature():
    a_vals = np.array([-3.7, -1.0, -0.1, 0.6])
    lrs = np.array([0.03, 0.45, 1.0, 1.7])
    grid = th.mu_gaussian_grid(a_vals, lrs)
    for i, a in enumerate(a_vals):
        m, s = th.gaussian_law(a)
        for j, lr in enumerate(lrs):
            assert grid[i, j] == pytest.approx(quadratic.mu_gaussian(m, s, lr), abs=1e-9)
    with pytest.raises(ValueError, match="lrs"):
        th.mu_gaussian_grid([-1.0], [0.0])


def test_continuous_time_lines():
    # consistent line: the Ito drift of ln|w|, -lr A - lr^2/(2S), vanishes on it
    for a in (-0.3, -1.0, -3.0):
        p = th.ct_mapping(a, 1.0)
        lr = float(th.ct_boundary_ito(a))
        assert -lr * p["A"] - lr ** 2 / (2 * p["S"]) == pytest.approx(0.0, abs=1e-12)
    # both continuous-time lines have the slope of Eq. 8's lower branch a/(a-1) as a -> 0-
    a = -1e-5
    lo = float(th.absorbing_interval(a)[0])
    assert float(th.ct_boundary_ito(a)) == pytest.approx(lo, rel=1e-4)
    assert float(th.ct_boundary_paper(a)) == pytest.approx(lo, rel=1e-4)


@pytest.mark.parametrize("c", [0.0, 0.7])
def test_eq57_is_zero_flux_stationary_density(c):
    # dw = -lr (A w + B w^3) dt + lr sqrt(C/S) dW, C = w^2 + S sigma^2: zero flux means
    # (lr^2 / (2S)) d/dw [C P] = -lr (A w + B w^3) P. Checked by central differences.
    a, lr, sigma = -1.0, 0.8, 0.1
    p = th.ct_mapping(a, lr, sigma, c)
    A, B, S = p["A"], p["B"], p["S"]
    h = 1e-5
    for w in (-0.7, -0.05, 0.13, 0.9):
        CP = lambda v: (v * v + S * sigma ** 2) * th.eq57_density(v, a, lr, sigma, c)
        lhs = lr ** 2 / (2 * S) * (CP(w + h) - CP(w - h)) / (2 * h)
        rhs = -lr * (A * w + B * w ** 3) * th.eq57_density(w, a, lr, sigma, c)
        assert lhs == pytest.approx(rhs, rel=1e-6)


def test_kesten_exponent():
    k = th.kesten_exponent(-1.0, 0.8)
    assert 0.5 * (0.2 ** k + 2.6 ** k) == pytest.approx(1.0, abs=1e-10)
    assert 0.4 < k < 0.43
    with pytest.raises(ValueError):
        th.kesten_exponent(-1.0, 0.3)      # mu > 0: no stationary law


# ------------------------------------------------------------------ experiments against theory

def test_prop1_against_two_to_minus_t():
    n = 20000
    p1 = ex.prop1(n_runs=n, t_max=10, seed=3)
    t = p1["t"]
    assert p1["frac"][0] == 1.0
    se = np.sqrt(p1["theory"][1:] * (1 - p1["theory"][1:]) / n)
    z = stats.norm.isf(6.8e-6 / 2 / 10)            # Z_TOL level, Bonferroni over the 10 steps
    assert np.all(np.abs(p1["frac"][1:] - 0.5 ** t[1:]) <= z * se)


def test_paradox_moments_and_median():
    par = ex.paradox(-1.0, 0.8, n_runs=20000, t_max=12, seed=4)
    for tt in (1, 2, 4):
        assert abs(par["mean"][tt] - par["m1"][tt]) <= Z_TOL * par["se1"][tt]
    assert abs(par["mean_sq"][2] - par["m2"][2]) <= Z_TOL * par["se2"][2]
    # the median of |w_t| is a lattice point (0.2 * 2.6)^6 = 0.0198 at t = 12; the lattice CDF there
    # (P(K >= 6) = 0.61 vs 0.39 below) is > 40 SE away from 1/2, so simulated and exact medians coincide
    assert par["q"][0.5][12] == pytest.approx(par["q_theory"][0.5][12], rel=1e-9)
    assert par["q_theory"][0.5][12] == pytest.approx(0.52 ** 6, rel=1e-12)
    assert par["q_theory"][0.5][12] < 0.05 < 50 < par["m1"][12]


def test_fig1_histogram_against_exact_law():
    n = 4000
    f = ex.final_histogram(-1.0, 0.8, n_runs=n, steps=30, eps=0.01, seed=5, n_frames=4)
    pt = th.prob_abs_le(0.01, -1.0, 0.8, 30)
    assert abs(f.frac_at_max - pt) <= Z_TOL * math.sqrt(pt * (1 - pt) / n)
    chi = ex.histogram_chi2(f)
    assert len(chi) >= 2                          # steps 10 and 20 spread over several cells
    assert min(c[3] for c in chi) >= 1e-5 / len(chi)
    # a wrong law is detected: the same histogram against the law at the wrong learning rate
    wrong = ex.FinalLaw(**{**f.__dict__, "lr": 0.75})
    assert min(c[3] for c in ex.histogram_chi2(wrong)) < 1e-6


def test_quartic_runs_do_not_sit_at_minima_and_divergence_is_counted():
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # no DivergenceWarning leaks out
        q = ex.final_histogram(-1.0, 0.8, n_runs=1000, steps=200, eps=1e-3, seed=6, loss="quartic")
    assert q.frac_near_min == 0.0
    assert q.n_diverged == int(np.isnan(q.final).sum()) > 0
    assert q.frac_at_max + q.n_diverged / 1000 <= 1.0


def test_phase_diagrams_agree_with_theory_and_executor_is_transparent():
    A, L = ex.phase_grid(21, 20)
    d = ex.phase_diagram("quadratic", A, L, n_runs=60, steps=200, seed=1)
    ag = ex.phase_agreement(d, th.mu_grid(A, L))
    assert ag["agreement"] >= 0.99 and ag["n_cells"] > 200
    g = ex.phase_diagram("gaussian", A, L, n_runs=60, steps=200, seed=1)
    ag = ex.phase_agreement(g, th.mu_gaussian_grid(A, L))
    assert ag["agreement"] >= 0.99
    # the classification can fail: compare the quadratic diagram with the Gaussian law's mu
    assert ex.phase_agreement(d, th.mu_gaussian_grid(A, L))["agreement"] < 0.95
    # same cells on a process pool: bit-identical
    small = ex.phase_diagram("quadratic", A[:2], L[4:6], n_runs=50, steps=100, seed=2)
    pool = ex.phase_diagram("quadratic", A[:2], L[4:6], n_runs=50, steps=100, seed=2, executor="processes",
                            chunk_runs=25)
    np.testing.assert_array_equal(small.escape, pool.escape)


def test_stationary_additive_noise():
    st = ex.stationary_additive(-1.0, 0.8, 0.1, n_runs=300, steps=1500, burn_in=500, seed=7)
    assert st["frac_central_sim"] < 0.5 and st["n_diverged"] == 0
    assert st["tv"] < 0.1
    assert st["theory_prob"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ validation and the agreement table

def _params(**kw):
    base = dict(a=-1.0, lr=0.8, n_runs=2000, steps=200, eps=1e-3, seed=0, phase_n_a=81, phase_n_lr=80,
                phase_runs=400, phase_steps=200, sigma_add=0.1, quartic_c=1.0, executor=None)
    base.update(kw)
    return base


@pytest.mark.parametrize("name,value", [("a", 0.5), ("a", "x"), ("lr", 0.0), ("lr", 2.5), ("n_runs", 3),
                                        ("steps", 0), ("steps", 3000), ("eps", 1.0), ("seed", -1),
                                        ("phase_n_a", 2), ("phase_runs", 1.5), ("sigma_add", 0.0),
                                        ("quartic_c", -1.0), ("executor", "threads")])
def test_validation_names_the_parameter(name, value):
    with pytest.raises(ValueError, match=name):
        ex.validate_parameters(**_params(**{name: value}))


def test_validation_accepts_papermill_strings():
    P = ex.validate_parameters(**_params(a="-0.5", n_runs="500", executor="None"))
    assert P["a"] == -0.5 and P["n_runs"] == 500 and P["executor"] is None
    assert ex.validate_parameters(**_params(executor="processes"))["executor"] == "processes"


def _small_run(seed=0):
    p1 = ex.prop1(n_runs=2000, t_max=10, seed=seed)
    par = ex.paradox(-1.0, 0.8, n_runs=2000, t_max=10, seed=seed)
    quad = ex.final_histogram(-1.0, 0.8, n_runs=2000, steps=100, eps=1e-3, seed=seed)
    A, L = ex.phase_grid(11, 10)
    d = ex.phase_diagram("quadratic", A, L, n_runs=60, steps=200, seed=seed)
    g = ex.phase_diagram("gaussian", A, L, n_runs=60, steps=200, seed=seed)
    mq, mg = th.mu_grid(A, L), th.mu_gaussian_grid(A, L)
    ags = (ex.phase_agreement(d, mq), ex.phase_agreement(d, mq, th.log_step_sd(A[:, None], L[None, :])),
           ex.phase_agreement(g, mg), ex.phase_agreement(g, mg, th.log_step_sd_gaussian(A, L)))
    st = ex.stationary_additive(-1.0, 0.8, 0.1, n_runs=200, steps=1000, burn_in=300, seed=seed)
    return p1, par, quad, ags, st


def test_agreement_table_passes_and_catches_a_bias():
    p1, par, quad, ags, st = _small_run()
    rows = ex.agreement(p1, par, quad, *ags, st)
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]]
    assert {"check", "theory", "simulation", "tolerance", "passed"} <= set(rows[0])
    # a 6 SE bias of the sample mean at t = 3 must fail the Eq. 6 row
    biased = dict(par, mean=par["mean"] + 6 * par["se1"] * (np.arange(par["mean"].size) == 3))
    rows = ex.agreement(p1, biased, quad, *ags, st)
    assert not [r for r in rows if r["check"].startswith("E[w_t] ")][0]["passed"]


# ------------------------------------------------------------------ figures and explorer (smoke)

def test_figures_and_explorer_render():
    from sgdlab.chapters.local_maximum import plots as pl
    from sgdlab.chapters.local_maximum import explorer as wd
    quad = ex.final_histogram(-1.0, 0.8, n_runs=300, steps=50, seed=0, n_frames=3)
    quart = ex.final_histogram(-1.0, 0.8, n_runs=300, steps=50, seed=0, loss="quartic")
    pl.fig1(quad, quart)
    pl.prop1(ex.prop1(n_runs=300, t_max=5))
    pl.paradox(ex.paradox(-1.0, 0.8, n_runs=300, t_max=10))
    A, L = ex.phase_grid(5, 4)
    d = ex.phase_diagram("quadratic", A, L, n_runs=20, steps=50)
    pl.phase(d, (A, L, th.mu_grid(A, L)))
    pl.fig7(ex.stationary_additive(-1.0, 0.8, 0.1, n_runs=50, steps=300, burn_in=100))
    html = pl.fig1_animation(quad)
    assert "<script" in html
    res = wd.draw(-1.0, 0.8, "gaussian", 0.5, 0.05, 100, {"gaussian": d}, n_runs=200)
    assert res.final.shape == (200,)
    box = wd.explorer({"two-point": d, "gaussian": d}, steps=50, n_runs=100)
    assert len(box.children) == 3
    plt.close("all")
