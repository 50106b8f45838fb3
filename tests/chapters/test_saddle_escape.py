"""Tests of the escape-rate chapter (Ziyin, Li & Ueda §5.2, D.2): theory vs brute force, core vs theory.

Statistical tolerances: every simulated quantity is a mean of many i.i.d. terms, so it is normal to
within a tiny error, with a standard error (SE) we know exactly (two-point law: sd/sqrt(n_runs t),
see `theory.saddle.estimator_se`) or estimate from the runs. A check of k simultaneous estimates uses
the Bonferroni threshold z = Phi^-1(1 - p / (2k)) with family-wise p = 1e-5, so a correct
implementation fails a given test fewer than 1 time in 1e5 (z = 4.42 for k = 1, 5.0 for k = 12).
Seeds are fixed, so a pass is reproducible; the thresholds say why it is not luck.
"""
import itertools

import numpy as np
import pytest
from pathlib import Path

from sgdlab.book import notebook_parameters
from sgdlab.chapters._kit import agreement_html
from scipy import stats

from sgdlab.chapters.saddle_escape import experiments as ex
from sgdlab import quadratic as q
from sgdlab.chapters.saddle_escape import theory as th

P_FAMILY = 1e-5
A_VALUES = [-0.05, -0.1, -0.25, -0.5, -1.0, -2.0, -5.0]


# ----------------------------------------------------------------------------- theory vs numerics

def test_prop3_numbers_from_the_paper():
    # Spec / paper: a = -1 gives lr* = 0.25 and gamma* = 0.0589 (4 decimals quoted).
    assert th.optimal_lr(-1.0) == pytest.approx(0.25, abs=1e-15)
    assert round(float(th.optimal_rate(-1.0)), 4) == 0.0589


@pytest.mark.parametrize("a", A_VALUES)
def test_prop3_closed_form_matches_brute_force_maximisation(a):
    lr_num, g_num = th.numerical_optimum(a)
    # gamma: the numerical maximum of a smooth function is accurate to ~machine precision.
    assert g_num == pytest.approx(float(th.optimal_rate(a)), rel=1e-10, abs=1e-15)
    # lr: near a maximum gamma varies quadratically, so xatol-limited search gives ~1e-6 at worst.
    assert lr_num == pytest.approx(float(th.optimal_lr(a)), abs=1e-6)
    # and the maximiser lies in (0, 1/2), i.e. inside the lr < 1 domain of Prop. 3.
    assert 0 < th.optimal_lr(a) < 0.5


def test_gamma_star_vanishes_as_a_goes_to_zero_and_grows_with_abs_a():
    a = -np.logspace(-6, 1, 50)
    g = th.optimal_rate(a)
    assert np.all(g > 0) and np.all(np.diff(g) > 0)
    # small-|a| expansion gamma* = a^2/8 + O(a^3): relative error ~ |a|
    assert g[0] == pytest.approx(a[0] ** 2 / 8, rel=1e-5)


@pytest.mark.parametrize("eps", [1e-4, 1e-3, 0.01, 0.05, 0.1, 0.5])
def test_eq85_matches_brute_force_inversion(eps):
    bound = float(th.max_abs_a_for_rate(eps))
    assert th.numerical_max_abs_a(eps) == pytest.approx(bound, rel=1e-9)
    # Eq. 85 is sharp: gamma* equals eps at a = -bound, and is below it just inside.
    assert float(th.optimal_rate(-bound)) == pytest.approx(eps, rel=1e-10)
    assert th.optimal_rate(-bound * (1 - 1e-6)) < eps


def test_sup_over_lr_larger_than_one_is_unbounded():
    # Prop. 3 needs lr <= 1 (Theorem 2's assumption): beyond 1, mu grows without bound.
    assert th.mu(-0.01, 50.0) > 1.0
    lr, g = th.numerical_optimum(-0.01, lr_max=100.0)
    assert g > 1.0 and lr > 50


def test_log_step_sd_against_exact_law():
    for a, lr in [(-1.0, 0.25), (-0.1, 0.7), (-2.0, 0.05)]:
        vals, probs = q.log_ratio_law(a, lr, 1)
        m = np.sum(vals * probs)
        sd = np.sqrt(np.sum(probs * (vals - m) ** 2))
        assert th.log_step_sd(a, lr) == pytest.approx(sd, rel=1e-12)
        # t steps: the exact binomial law has variance t sd^2
        vals, probs = q.log_ratio_law(a, lr, 40)
        var40 = np.sum(probs * (vals - np.sum(vals * probs)) ** 2)
        assert var40 == pytest.approx(40 * sd ** 2, rel=1e-10)


def test_mu_batch_matches_enumeration():
    a, lrs = -0.7, np.array([0.05, 0.3, 0.8])
    for B in (1, 2, 3, 5):
        brute = np.zeros_like(lrs)
        for xs in itertools.product([1.0, a - 1], repeat=B):
            brute += np.log(np.abs(1 - lrs * np.mean(xs))) / 2 ** B
        np.testing.assert_allclose(th.mu_batch(a, lrs, B), brute, rtol=1e-12)
    np.testing.assert_allclose(th.mu_batch(a, lrs, 1), th.mu(a, lrs), rtol=1e-13)


def test_gaussian_series_matches_quadrature():
    lrs = np.array([0.01, 0.1, 0.25, 0.47, 0.9, 0.999, 1.5])
    for a, B in [(-1.0, 1), (-0.1, 1), (-2.0, 4)]:
        m, s = th.gaussian_batch_law(a, B)
        np.testing.assert_allclose(th.mu_gaussian_series(m, s, lrs),
                                   th.mu_gaussian_quadrature(m, s, lrs), atol=1e-8)


def test_gaussian_series_matches_monte_carlo():
    rng = np.random.default_rng(5)
    x = rng.normal(-0.5, 1.5, 2_000_000)
    for lr in (0.2, 0.6):
        y = np.log(np.abs(1 - lr * x))
        se = y.std() / np.sqrt(y.size)
        assert abs(y.mean() - th.mu_gaussian_series(-0.5, 1.5, lr)) < stats.norm.isf(P_FAMILY / 4) * se


def test_bonferroni_and_tolerances():
    assert th.bonferroni_z(1, 1e-4) == pytest.approx(3.8906, abs=1e-4)
    lrs = np.linspace(0.01, 0.99, 99)
    mu = th.mu(-1.0, lrs)
    tol = th.argmax_tolerances(lrs, mu, np.full(99, 1e-3), 4.0, 0.25, th.optimal_rate(-1.0))
    assert tol["lr_lo"] <= 0.25 <= tol["lr_hi"]
    assert tol["gamma_lo"] <= mu.max() <= tol["gamma_hi"]
    with pytest.raises(ValueError, match="n_tests"):
        th.bonferroni_z(0)


# ----------------------------------------------------------------------------- core vs theory

LRS = [0.05, 0.15, 0.25, 0.4, 0.6, 0.8, 0.95]


def test_simulated_two_point_curve_matches_mu():
    a, n_runs, steps = -1.0, 2000, 50
    c = ex.escape_rate_curve(a, LRS, n_runs=n_runs, steps=steps, seed=11, running=True)
    se = th.estimator_se(a, c.lrs, n_runs, steps)
    z = th.bonferroni_z(len(LRS), P_FAMILY)
    assert np.all(np.abs(c.gamma - th.mu(a, c.lrs)) <= z * se)
    assert c.n_diverged.sum() == 0
    # The sample SE estimates the exact one: relative sd of a sample sd is sqrt((kurt - 1)/(4n)),
    # kurt ~ 3 here (sum of 50 two-point terms), i.e. 0.016 for n = 2000; 5 of those = 0.08.
    np.testing.assert_allclose(c.se / se, 1.0, atol=0.08)
    # Telescoping: the running estimate at t = steps (from snapshots) is the log_growth estimate.
    np.testing.assert_allclose(c.running[:, -1], c.gamma, rtol=1e-10, atol=1e-12)
    # Unbiased at every t (Fig. 6): all running points (correlated, so Bonferroni is conservative).
    zt = th.bonferroni_z(len(LRS) * steps, P_FAMILY)
    se_t = th.estimator_se(a, c.lrs[:, None], n_runs, np.arange(1, steps + 1)[None, :])
    assert np.all(np.abs(c.running[:, 1:] - th.mu(a, c.lrs)[:, None]) <= zt * se_t)


def test_simulated_argmax_is_consistent_with_prop3():
    a, n_runs, steps = -0.5, 2000, 50
    lrs = [round(0.01 * k, 2) for k in range(1, 100)]
    c = ex.escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=3)
    mu = th.mu(a, c.lrs)
    se = th.estimator_se(a, c.lrs, n_runs, steps)
    tol = th.argmax_tolerances(c.lrs, mu, se, th.bonferroni_z(len(lrs), P_FAMILY),
                               th.optimal_lr(a), th.optimal_rate(a))
    k = int(np.argmax(c.gamma))
    assert tol["lr_lo"] <= c.lrs[k] <= tol["lr_hi"]
    assert tol["gamma_lo"] <= c.gamma[k] <= tol["gamma_hi"]
    # and the tolerance is informative: it excludes the ends of the grid
    assert tol["lr_lo"] > 0.05 and tol["lr_hi"] < 0.5


@pytest.mark.parametrize("law,B", [("gaussian", 1), ("gaussian", 4), ("two-point", 4)])
def test_other_laws_match_their_theory(law, B):
    a = -1.0
    c = ex.escape_rate_curve(a, LRS, n_runs=2000, steps=50, seed=7, law=law, batch_size=B)
    z = th.bonferroni_z(len(LRS), P_FAMILY)
    assert c.n_diverged.sum() == 0
    assert np.all(np.abs(c.gamma - ex.theory_curve(a, c.lrs, law, B)) <= z * c.se)


def test_gd_in_core_is_exact():
    np.testing.assert_allclose(ex.gd_rate_core(-1.0, LRS), th.gd_rate(-1.0, np.array(LRS)),
                               rtol=1e-12, atol=1e-15)
    # GD's rate increases with lr (the contrast the chapter draws)
    assert np.all(np.diff(th.gd_rate(-1.0, np.array(LRS))) > 0)


def test_streams_make_points_reproducible_and_independent():
    c1 = ex.escape_rate_curve(-1.0, LRS, n_runs=200, steps=20, seed=4)
    c2 = ex.escape_rate_curve(-1.0, LRS, n_runs=200, steps=20, seed=4)
    c3 = ex.escape_rate_curve(-1.0, LRS, n_runs=200, steps=20, seed=4, stream_base=10_000)
    np.testing.assert_array_equal(c1.gamma, c2.gamma)
    assert not np.any(c1.gamma == c3.gamma)


def test_eq85_table():
    rows = ex.eq85_table([0.01, 0.1])
    assert all(r["rel_err"] < 1e-9 for r in rows)


# ----------------------------------------------------------------------------- validation

GOOD = dict(a=-1.0, a_values=[-0.5, -1.0], lrs=[0.1, 0.2, 0.3], n_runs=100, steps=50, seed=0)
NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "saddle_escape.ipynb"


@pytest.mark.parametrize("name,value", [
    ("a", 0.5), ("a", float("nan")), ("a", "x"), ("a_values", []), ("a_values", [-1.0, 0.2]),
    ("lrs", [0.1, 1.0, 0.5]), ("lrs", [0.3, 0.2, 0.1]), ("lrs", [0.1]), ("n_runs", 1),
    ("n_runs", 10.5), ("steps", 0), ("steps", 100_000), ("seed", -1), ("seed", True)])
def test_bad_parameters_name_the_parameter(name, value):
    with pytest.raises(ValueError, match=name):
        ex.PARAMS.validate({**GOOD, name: value})


def test_bad_law_and_lr():
    with pytest.raises(ValueError, match="law"):
        ex.make_data(-1.0, "cauchy")
    with pytest.raises(ValueError, match="batch_size"):
        ex.make_data(-1.0, "gaussian", 0)
    with pytest.raises(ValueError, match="lrs"):
        ex.escape_rate_curve(-1.0, [0.0, 0.1, 0.2])
    with pytest.raises(ValueError, match="eps"):
        th.numerical_max_abs_a(-0.1)


def test_list_parameters_may_be_strings():
    P = ex.PARAMS.validate({**GOOD, "a_values": "[-0.5, -2]", "lrs": "[0.1, 0.2, 0.3]"})
    assert P["a_values"] == [-0.5, -2.0] and list(P["lrs"]) == [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match="a_values"):
        ex.PARAMS.validate({**GOOD, "a_values": "[-0.5,"})
    with pytest.raises(ValueError, match="a_values"):
        ex.PARAMS.validate({**GOOD, "a_values": [-0.5, -0.5]})


def test_params_match_the_notebook():
    nb = notebook_parameters(NOTEBOOK)
    assert list(nb) == [p.name for p in ex.PARAMS]
    assert ex.PARAMS.defaults() == {k: eval(v) for k, v in nb.items()}
    assert list(ex.PARAMS.validate()["lrs"]) == ex.DEFAULT_LRS


@pytest.mark.parametrize("param", list(ex.PARAMS), ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}: "):
            ex.PARAMS.validate({param.name: bad})


def test_stream_plan_has_no_overlap_at_the_largest_sizes():
    # largest n_runs with the smallest grid, and a long a_values list (it used to run into the batch
    # curves' streams from 99 values on)
    P = ex.PARAMS.validate(dict(a=-1.0, a_values=[-0.01 * (k + 1) for k in range(150)], lrs=[0.1, 0.2, 0.3],
                                n_runs=10**6, steps=1, seed=2**63 - 1))
    S = ex.stream_plan(P)
    assert S.overlaps() == [] and len(S.blocks) == 1 + 150 + 2 * len(ex.BATCH_SIZES) + 1  # + the page's explorer
    # the offsets the book always used are kept at the defaults (glued values do not move)
    D = ex.stream_plan(ex.PARAMS.validate())
    n = 99 * 2000
    assert D["main"] == 0 and [D[f"family_{k}"] for k in range(5)] == [(1 + k) * n for k in range(5)]
    assert (D["two_point_B1"], D["gaussian_B1"], D["gaussian_B16"]) == (100 * n, 101 * n, 105 * n)


def test_errata_list():
    from sgdlab.chapters.saddle_escape import ERRATA
    text = NOTEBOOK.read_text()
    assert len(ERRATA) >= 5
    for e in ERRATA:
        assert set(e) == {"paper", "location", "printed", "correct", "label"}
        assert e["paper"] == "ziyin2021sgd" and e["label"].startswith("erratum-saddle_escape-")
        assert f"({e['label']})=" in text


def test_mu_is_concave_on_the_unit_interval():
    # D.2 calls mu convex; its second derivative on (0, 1) is negative (finite differences and closed form)
    for a in (-0.1, -1.0, -3.0):
        lr = np.linspace(0.01, 0.99, 99)
        h = 1e-4
        d2 = (th.mu(a, lr + h) - 2 * th.mu(a, lr) + th.mu(a, lr - h)) / h ** 2
        closed = -0.5 * ((1 - lr) ** -2 + (1 - a) ** 2 * (1 + lr * (1 - a)) ** -2)
        np.testing.assert_allclose(d2, closed, rtol=1e-4)
        assert np.all(closed < 0)


def test_turning_points_find_prop3_optimum_and_gaussian_dip():
    lr = np.linspace(0.0025, 0.9975, 399)
    maxima, minima = ex.turning_points(lr, th.mu(-1.0, lr))
    assert len(maxima) == 1 and not minima
    assert abs(maxima[0][0] - 0.25) <= 0.0025  # grid resolution
    maxima, minima = ex.turning_points(lr, ex.theory_curve(-1.0, lr, "gaussian", 1))
    assert len(maxima) == 1 and len(minima) == 1 and maxima[0][0] < minima[0][0]


def _small_chapter(seed=2):
    lrs = [round(0.05 * k, 2) for k in range(1, 20)]
    main = ex.escape_rate_curve(-1.0, lrs, n_runs=500, steps=30, seed=seed, running=True)
    fam = ex.family_curves([-0.25, -2.0], lrs, n_runs=500, steps=30, seed=seed)
    two, gauss = ex.law_comparison(-1.0, [1, 4], lrs, n_runs=500, steps=30, seed=seed)
    gd = ex.gd_rate_core(-1.0, lrs, steps=30)
    return main, fam, two, gauss, gd


def test_agreement_table_passes_and_can_fail():
    main, fam, two, gauss, gd = _small_chapter()
    eq85 = ex.eq85_table([0.01])
    rows = ex.agreement(main, fam, two, gauss, [1, 4], gd, [0.1, 0.5], eq85)
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]]
    # A simulation biased by 6 SE at one learning rate must be caught by the first row.
    k = 5
    main.gamma[k] += 6.0 * float(th.estimator_se(-1.0, main.lrs[k], main.n_runs, main.steps))
    rows = ex.agreement(main, fam, two, gauss, [1, 4], gd, [0.1, 0.5], eq85)
    assert not rows[0]["passed"]
    assert "checks agree" in agreement_html(rows)
    assert len({r.get("group") or r["check"] for r in rows}) <= 12      # claims on the page


def test_figures_and_explorer_draw(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sgdlab.chapters.saddle_escape import plots as pl
    from sgdlab.chapters.saddle_escape import explorer as wd
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    main, fam, two, gauss, gd = _small_chapter(seed=9)
    from sgdlab.chapters._kit import FIG_WIDTH, scrubber, use_book_style
    use_book_style()
    figs = [pl.running_estimate(main, [0.1, 0.5]), pl.rate_family(fam), pl.sgd_vs_gd(main, gd),
            pl.gamma_star_vs_a(ex.eq85_table([0.01])), pl.gaussian_panels(-1.0, [1, 4], two, gauss)]
    for f in figs:                 # the book's column: at most 6.7 in wide, one panel per row here
        assert f.get_size_inches()[0] <= FIG_WIDTH + 1e-9
    fig, update, frames = pl.running_curve_scrubber(main, n_frames=3)
    html = scrubber(fig, update, frames).data
    assert "<script" in html and "font-awesome" not in html
    curve = wd.draw(-0.5, "gaussian", 4, 20, 200)
    assert curve is not None and np.all(np.isfinite(curve.gamma))
    assert wd.draw(-1.0, "two-point", 1, 5000, 200) is None  # steps beyond the double range: message, no crash
    box = wd.explorer()
    assert len(box.children) == 2
    # valid parameters off the controls (e.g. -p n_runs 3000, a = -5, steps = 300) build and draw
    box = wd.explorer(a=-5.0, steps=300, n_runs=3000)
    ctrl = {c.description: c for col in box.children[0].children for c in col.children}
    assert ctrl["n_runs"].value == 3000 and ctrl["a"].value == -5.0 and ctrl["steps"].value == 300
    box = wd.explorer(a=-0.013, n_runs=77)
    assert {c.description: c for col in box.children[0].children for c in col.children}["a"].value == -0.013
    plt.close("all")
