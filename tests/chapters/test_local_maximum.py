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
from sgdlab.book import notebook_parameters
from sgdlab.chapters._kit import agreement_html
from pathlib import Path

from tolerances import Z_TOL


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


# ------------------------------------------------------------------ parameters, streams, errata

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "local_maximum.ipynb"


def _params(**kw):
    base = dict(a=-1.0, lr=0.8, n_runs=2000, steps=200, eps=1e-3, seed=0, phase_n_a=81, phase_n_lr=80,
                phase_runs=400, phase_steps=200, sigma_add=0.1, quartic_c=1.0, executor=None)
    base.update(kw)
    return base


def test_params_match_the_notebook():
    nb = notebook_parameters(NOTEBOOK)
    assert list(nb) == [p.name for p in ex.PARAMS]
    assert {k: v for k, v in ex.PARAMS.defaults().items()} == {k: eval(v) for k, v in nb.items()}


@pytest.mark.parametrize("param", list(ex.PARAMS), ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}: "):
            ex.PARAMS.validate({param.name: bad})


@pytest.mark.parametrize("name,value", [("a", 0.5), ("a", "x"), ("lr", 0.0), ("lr", 2.5), ("n_runs", 3),
                                        ("steps", 0), ("steps", 3000), ("eps", 1.0), ("seed", -1),
                                        ("phase_n_a", 2), ("phase_runs", 1.5), ("sigma_add", 0.0),
                                        ("quartic_c", -1.0), ("executor", "threads")])
def test_validation_names_the_parameter(name, value):
    with pytest.raises(ValueError, match=name):
        ex.PARAMS.validate(_params(**{name: value}))


def test_validation_accepts_papermill_strings():
    P = ex.PARAMS.validate(_params(a="-0.5", n_runs="500", executor="None"))
    assert P["a"] == -0.5 and P["n_runs"] == 500 and P["executor"] is None
    assert ex.PARAMS.validate(_params(executor="processes"))["executor"] == "processes"


def test_stream_plan_has_no_overlap_at_the_largest_sizes():
    # stream blocks depend on n_runs and phase_runs only; the other sizes are set small enough to pass
    # the budget check
    big = {p.name: p.hi for p in ex.PARAMS if p.kind == "int" and p.hi is not None}
    big.update(steps=100, phase_n_a=3, phase_n_lr=3, phase_steps=100)
    P = ex.PARAMS.validate(_params(**big))
    assert P.n_runs == 10**6 and P.phase_runs == 10**5 and P.seed == 2**63 - 1
    S = ex.stream_plan(P)
    assert S.overlaps() == []
    assert {f"phase_{k}" for k in ex.PHASE_KINDS} <= set(S.blocks)
    assert all(S.blocks[f"phase_{k}"][1] == 10**5 for k in ex.PHASE_KINDS)
    # the offsets the book always used are kept (the glued values do not move) except Prop. 1's,
    # which shared Fig. 1's streams, and the phase diagrams', which shared streams 0.. with Fig. 1 and
    # each other: they come after every other block, so the explorer's block did not move either
    D = ex.stream_plan(ex.PARAMS.validate())
    assert (D["fig1_quadratic"], D["fig1_quartic"], D["paradox"], D["fig7"]) == (0, 10**6, 10**7, 2 * 10**7)
    assert D["prop1"] >= 2 * 10**7 + 2000 and D.overlaps() == []
    assert D["explorer"] == 2 * 10**7 + 4 * 2000
    ends = [s + n for name, (s, n) in D.blocks.items() if not name.startswith("phase_")]
    assert min(D[f"phase_{k}"] for k in ex.PHASE_KINDS) >= max(ends)


def test_run_functions_default_to_the_stream_plan():
    """No hand-picked default offsets: without stream_offset a run function draws from the block the
    chapter's stream plan gives it for the call's sizes, and says so by giving the same numbers."""
    plan = ex.stream_plan(dict(ex.PARAMS.defaults(), n_runs=300, phase_runs=30))
    np.testing.assert_array_equal(ex.paradox(-1.0, 0.8, n_runs=300, t_max=8, seed=3)["mean_sq"],
                                  ex.paradox(-1.0, 0.8, n_runs=300, t_max=8, seed=3,
                                             stream_offset=plan["paradox"])["mean_sq"])
    kw = dict(n_runs=300, steps=200, burn_in=50, seed=3)
    np.testing.assert_array_equal(ex.stationary_additive(-1.0, 0.8, 0.1, **kw)["counts"],
                                  ex.stationary_additive(-1.0, 0.8, 0.1, stream_offset=plan["fig7"], **kw)["counts"])
    A, L = ex.phase_grid(5, 4)
    plan = ex.stream_plan(dict(ex.PARAMS.defaults(), phase_runs=30))     # the other blocks at defaults
    for kind in ex.PHASE_KINDS:
        d = ex.phase_diagram(kind, A, L, n_runs=30, steps=50, seed=3)
        e = ex.phase_diagram(kind, A, L, n_runs=30, steps=50, seed=3, stream_offset=plan[f"phase_{kind}"])
        np.testing.assert_array_equal(d.escape, e.escape)
    # the quadratic diagram no longer runs on Fig. 1's streams 0..: on streams 0.. it differs
    old = ex.phase_diagram("quadratic", A, L, n_runs=30, steps=50, seed=3, stream_offset=0)
    assert not np.array_equal(old.escape, ex.phase_diagram("quadratic", A, L, n_runs=30, steps=50, seed=3).escape)


@pytest.mark.parametrize("name,call", [
    ("eps", lambda v: th.prob_abs_le(v, -1.0, 0.8, 5)),
    ("eps", lambda v: th.prob_abs_gt_fixed(v, -1.0, 0.8, 5)),
    ("w0_max", lambda v: th.prob_abs_le(0.1, -1.0, 0.8, 5, w0_max=v)),
    ("w0_max", lambda v: th.bin_probs(ex.HIST_EDGES, -1.0, 0.8, 5, w0_max=v)),
    ("c", lambda v: th.quartic_minima(-1.0, v)),
])
def test_theory_rejects_bad_arguments_by_name(name, call):
    for bad in (0.0, -0.5, float("inf"), float("nan"), "-1"):
        with pytest.raises(ValueError, match=rf"^{name}: "):
            call(bad)
    np.testing.assert_array_equal(call("0.5"), call(0.5))      # numeric text is read, as it always was
    np.testing.assert_array_equal(call(np.float32(0.5)), call(0.5))


def test_theory_step_count_is_an_integer_by_name():
    for bad in (-1, 2.0, 2.5, "3", True, None):
        with pytest.raises(ValueError, match=r"^t: must be an integer >= 0"):
            th.log_scales(-1.0, 0.8, bad)
        with pytest.raises(ValueError, match=r"^t: "):
            th.prob_abs_le(0.1, -1.0, 0.8, bad)
    logm, p = th.log_scales(-1.0, 0.8, np.int64(3))
    assert logm.shape == p.shape == (4,) and th.log_scales(-1.0, 0.8, 0)[1].tolist() == [1.0]


def test_eq7_corrected_against_the_binomial_law_and_simulation():
    # the exact second moment of the binomial law at lr = 1 is the corrected Eq. 7, not the printed one
    for a in (-1.0, -0.3, -2.5):
        f_ok, f_pr = th.eq7_factors(a)
        assert f_ok == pytest.approx((2 - a) ** 2 / 2) and f_pr == pytest.approx((2 - a) ** 2 / 4)
        for t in range(0, 8):
            exact = th.second_moment(a, 1.0, t)
            assert exact == pytest.approx(th.eq7_corrected(a, t), rel=1e-12)
            if t > 0:
                assert exact == pytest.approx(2.0 ** t * th.eq7_printed(a, t), rel=1e-12)
    assert th.eq7_factors(-1.0) == (4.5, 2.25)
    # and by simulation (20000 runs): the corrected value within Z_TOL SE, the printed one far out
    p1 = ex.prop1(n_runs=20000, t_max=5, seed=11, a=-1.0)
    for t in (1, 2, 3):
        assert abs(p1["mean_sq"][t] - p1["m2"][t]) <= Z_TOL * p1["se2"][t]
        assert abs(p1["mean_sq"][t] - p1["m2_printed"][t]) > 10 * p1["se2"][t]
    # P(w_t = 0) = 1 - 2^-t (the paper prints 1/(1 - 2^-t), which exceeds 1)
    assert np.all(np.abs((1 - p1["frac"][1:]) - (1 - 0.5 ** p1["t"][1:])) <= Z_TOL * np.sqrt(
        0.5 ** p1["t"][1:] * (1 - 0.5 ** p1["t"][1:]) / 20000))


def test_endpoints_mu_zero_no_convergence():
    # Eq. 8's ends: mu = 0, s > 0; exact P(|w_t| > eps) tends to 1/2 (not 0), and the simulation agrees
    for a in (-1.0, -0.3, -3.0):
        lo, hi = th.absorbing_interval(a)
        for lr in (lo, hi):
            assert abs(float(th.mu(a, lr))) < 1e-12 and th.log_step_sd(a, lr) > 0.1
            p = [th.prob_abs_gt_fixed(1e-3, a, float(lr), t) for t in (1000, 4000, 16000)]
            assert 0.5 < p[2] < p[1] < p[0] and p[2] - 0.5 < 0.5 * (p[0] - 0.5)
    assert th.log_step_sd(-1.0, 0.5) == pytest.approx(math.log(2))
    e = ex.endpoints(-1.0, n_runs=4000, steps=1000, eps=1e-3, seed=12, stream_offsets=(0, 10**6))
    assert e.n_diverged == 0 and e.mu == pytest.approx((0.0, 0.0), abs=1e-12)
    se = np.sqrt(np.clip(e.theory * (1 - e.theory), 0, None) / e.n_runs)
    z = stats.norm.isf(6.8e-6 / 2 / 2)
    assert np.all(np.abs(e.frac_out[:, -1] - e.theory[:, -1]) <= z * se[:, -1])
    assert np.all(e.frac_out[:, -1] > 0.45)           # far from 0: no convergence in probability
    # an interior lr (mu < 0) does go to 0: the exact law at the same T
    assert th.prob_abs_gt_fixed(1e-3, -1.0, 0.8, 1000) < 1e-6


def test_eq65_gradient_noise_is_the_variance():
    # per-sample gradient x w with the two-point law: its variance is Var(x) w^2 = (1 - a/2)^2 w^2,
    # not (E[x^2] + (E x)^2) w^2 as Eq. 65 prints
    for a in (-1.0, -0.4, 0.5):
        xs = np.array([1.0, a - 1.0])
        w = 0.7
        var = np.mean((xs * w) ** 2) - np.mean(xs * w) ** 2
        assert var == pytest.approx((1 - a / 2) ** 2 * w ** 2, rel=1e-12)
        printed = (np.mean(xs ** 2) + np.mean(xs) ** 2) * w ** 2
        assert printed - var == pytest.approx(2 * (a / 2) ** 2 * w ** 2, rel=1e-9) and printed - var > 1e-3


def test_errata_list():
    from sgdlab.chapters.local_maximum import ERRATA
    text = NOTEBOOK.read_text()
    assert len(ERRATA) >= 10
    for e in ERRATA:
        assert set(e) == {"paper", "location", "printed", "correct", "label"}
        assert e["paper"] == "ziyin2021sgd" and e["label"].startswith("erratum-local_maximum-")
        assert f"({e['label']})=" in text


def _small_run(seed=0):
    p1 = ex.prop1(n_runs=2000, t_max=10, seed=seed, stream_offset=10**8)
    par = ex.paradox(-1.0, 0.8, n_runs=2000, t_max=10, seed=seed)
    quad = ex.final_histogram(-1.0, 0.8, n_runs=2000, steps=100, eps=1e-3, seed=seed)
    A, L = ex.phase_grid(11, 10)
    d = ex.phase_diagram("quadratic", A, L, n_runs=60, steps=200, seed=seed)
    g = ex.phase_diagram("gaussian", A, L, n_runs=60, steps=200, seed=seed)
    mq, mg = th.mu_grid(A, L), th.mu_gaussian_grid(A, L)
    ags = (ex.phase_agreement(d, mq), ex.phase_agreement(d, mq, th.log_step_sd(A[:, None], L[None, :])),
           ex.phase_agreement(g, mg), ex.phase_agreement(g, mg, th.log_step_sd_gaussian(A, L)))
    st = ex.stationary_additive(-1.0, 0.8, 0.1, n_runs=200, steps=1000, burn_in=300, seed=seed)
    ends = ex.endpoints(-1.0, n_runs=2000, steps=500, seed=seed, stream_offsets=(2 * 10**8, 3 * 10**8))
    return p1, par, quad, ags, st, ends


def test_agreement_table_passes_and_catches_a_bias():
    p1, par, quad, ags, st, ends = _small_run()
    rows = ex.agreement(p1, par, quad, *ags, st, ends)
    assert len({r.get("group") or r["check"] for r in rows}) <= 12      # claims on the page
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]]
    assert {"check", "theory", "simulation", "tolerance", "passed"} <= set(rows[0])
    # a 6 SE bias of the sample mean at t = 3 must fail the Eq. 6 row
    biased = dict(par, mean=par["mean"] + 6 * par["se1"] * (np.arange(par["mean"].size) == 3))
    rows = ex.agreement(p1, biased, quad, *ags, st, ends)
    assert not [r for r in rows if r["check"].startswith("E[w_t] ")][0]["passed"]
    # the printed Eq. 7 in place of the corrected one fails its row
    wrong7 = dict(p1, m2=p1["m2_printed"])
    rows = ex.agreement(wrong7, par, quad, *ags, st, ends)
    assert not [r for r in rows if r["check"].startswith("Eq. 7 corrected")][0]["passed"]
    # a theory that converges at the endpoints (P -> 0) fails the endpoint rows
    conv = ex.Endpoints(**{**ends.__dict__, "theory": ends.theory * 0.01})
    rows = ex.agreement(p1, par, quad, *ags, st, conv)
    assert not any(r["passed"] for r in rows if (r.get("group") or "").startswith("Eq. 8's endpoints"))
    html = agreement_html(rows)
    assert "checks agree" in html
    # where mu >= 0 (here lr = 0.005) there is no stationary law: the Fig. 7 rows are left out
    rows = ex.agreement(p1, par, quad, *ags, dict(st, lr=0.005), ends)
    assert not [r for r in rows if r["check"].startswith("Fig. 7")]


# ------------------------------------------------------------------ figures and explorer (smoke)

def test_figures_and_explorer_render():
    from sgdlab.chapters.local_maximum import plots as pl
    from sgdlab.chapters.local_maximum import explorer as wd
    quad = ex.final_histogram(-1.0, 0.8, n_runs=300, steps=50, seed=0, n_frames=3)
    quart = ex.final_histogram(-1.0, 0.8, n_runs=300, steps=50, seed=0, loss="quartic")
    from sgdlab.chapters._kit import FIG_WIDTH, scrubber, use_book_style
    use_book_style()
    A, L = ex.phase_grid(5, 4)
    d = ex.phase_diagram("quadratic", A, L, n_runs=20, steps=50)
    figs = [pl.fig1_quadratic(quad), pl.fig1_quartic(quart), pl.prop1(ex.prop1(n_runs=300, t_max=5)),
            pl.paradox(ex.paradox(-1.0, 0.8, n_runs=300, t_max=10)), pl.phase(d, (A, L, th.mu_grid(A, L))),
            pl.fig7(ex.stationary_additive(-1.0, 0.8, 0.1, n_runs=50, steps=300, burn_in=100)),
            pl.endpoints(ex.endpoints(-1.0, n_runs=100, steps=50), lr=0.8)]
    for f in figs:                       # the book's column: at most 6.7 in wide, at most 2 panels a row
        assert f.get_size_inches()[0] <= FIG_WIDTH + 1e-9
        assert len([ax for ax in f.axes if ax.get_label() != "<colorbar>"]) <= 2
    fig, update, frames = pl.fig1_scrubber(quad)
    html = scrubber(fig, update, frames).data
    assert "<script" in html and "font-awesome" not in html
    res = wd.draw(-1.0, 0.8, "gaussian", 0.5, 0.05, 100, {"gaussian": d}, n_runs=200)
    assert res.final.shape == (200,)
    box = wd.explorer({"two-point": d, "gaussian": d}, steps=50, n_runs=100)
    assert len(box.children) == 3
    # valid parameters off the controls' grid and range still work (the controls extend)
    box = wd.explorer({"two-point": d, "gaussian": d}, a=-3.987, lr=0.004, steps=7, n_runs=100)
    sliders = {c.description: c for row in box.children[:2] for c in row.children}
    assert sliders["a"].value == -3.987 and sliders["λ"].value == 0.004 and sliders["steps"].value == 7
    plt.close("all")
