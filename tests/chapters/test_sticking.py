"""Tests of the sticking chapter (Dudukalov et al. 2025).

Theory functions are tested against the numbers of the chapter's reconstruction (to the digits it quotes) and against
independent numerics (quadrature, the formula's own limits). The experiment functions (all steps in the
core) are tested against the theory.

Statistical tolerances: a split probability p^ from n independent runs has SE = sqrt(p(1-p)/n). A check
of k simultaneous estimates uses the Bonferroni threshold z = Phi^-1(1 - p/(2k)) with family-wise
p = 1e-5, so a correct implementation fails a given test less than once in 1e5 (z = 4.42 for k = 1,
4.89 for k = 5, 5.07 for k = 8). Where the theory is an eps -> 0 limit, an explicit, stated allowance
for the finite-eps correction is added (O(eps) for light tails, spec T5); the oracle has no such term.
Seeds are fixed, so a pass is reproducible; the thresholds say why it is not luck.
"""
import ast
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sgdlab.book import notebook_parameters
from sgdlab.chapters._kit import Rows
from sgdlab.chapters.sticking import experiments as ex
from sgdlab.chapters.sticking import theory as th

P_FAMILY = 1e-5


def zcrit(k):
    return float(stats.norm.isf(P_FAMILY / (2 * k)))


def binom_se(p, n):
    return math.sqrt(p * (1 - p) / n)


# ----------------------------------------------------------------------------- theory vs spec numbers

def test_stable_tail_constant_and_cdf():
    assert round(th.stable_tail_constant(1.5), 5) == 0.19947
    assert th.stable_tail_constant(2.0) == pytest.approx(0.0, abs=1e-15)   # sin(pi) = 0: no heavy tail
    # symmetric law: F(0) = 1/2
    assert float(th.stable_cdf(0.0, 1.5)) == pytest.approx(0.5, abs=1e-6)


def test_lundberg_roots_and_laplace_constants_match_spec():
    k = th.laplace_constants(1.0, 2.0, 1.0)
    assert round(k["R_a"], 5) == 0.71456 and round(k["q_a"], 5) == 0.28544
    assert round(k["R_b"], 5) == 0.91656 and round(k["q_b"], 5) == 0.08344
    # the roots solve the Lundberg equation exp(-R d) = 1 - beta^2 R^2, also for beta != 1
    for d, beta in [(1.0, 1.0), (2.0, 1.0), (0.3, 2.5), (5.0, 0.2)]:
        R = th.lundberg_root(d, beta)
        assert 0 < R < 1 / beta
        assert math.exp(-R * d) == pytest.approx(1 - beta ** 2 * R ** 2, abs=1e-13)


def test_laplace_split_matches_spec_table():
    # spec §4 (exact rows, 4 decimals): a=b=1 and a=1, b=2, beta = 1, convention f'(M) := 0
    assert np.round(th.laplace_split([0.0, 1.0, -1.0], 1, 1, 1.0), 4).tolist() == [0.5, 0.8802, 0.1198]
    assert np.round(th.laplace_split([0.0, 1.0, -1.0], 1, 2, 1.0), 4).tolist() == [0.5619, 0.9720, 0.1346]
    # convention table of T5: 0.930 / 0.562 / 0.275
    assert round(th.laplace_split_at_kink(1, 2, 1.0, "right"), 3) == 0.930
    assert round(th.laplace_split_at_kink(1, 2, 1.0, "zero"), 3) == 0.562
    assert round(th.laplace_split_at_kink(1, 2, 1.0, "left"), 3) == 0.275


@pytest.mark.parametrize("a,b,beta", [(1, 2, 1.0), (0.5, 3.0, 2.0), (2.0, 2.0, 0.5)])
def test_laplace_kink_conventions_agree_with_first_step_quadrature(a, b, beta):
    # h(0) = E h(-g - xi) integrated numerically must reproduce the closed forms for g = 0, -b, +a
    for conv in ("zero", "right", "left"):
        g = th.kink_grad(conv, a, b)
        assert th.laplace_split_at_kink(a, b, beta, g) == pytest.approx(
            th.laplace_split_at_kink(a, b, beta, conv), abs=1e-8)


def test_laplace_split_symmetry_and_limits():
    # swapping sides: h_{a,b}(y) = 1 - h_{b,a}(-y)
    y = np.array([-3.0, -1.0, -0.2, 0.2, 1.0, 3.0])
    assert np.allclose(th.laplace_split(y, 1.3, 0.7, 1.1), 1 - th.laplace_split(-y, 0.7, 1.3, 1.1), atol=1e-12)
    # far offsets: h -> 0 / 1; monotone in y
    h = th.laplace_split(np.linspace(-30, 30, 241), 1.0, 2.0, 1.0)
    assert h[0] < 1e-8 and h[-1] > 1 - 1e-8 and np.all(np.diff(h) >= -1e-15)
    # large noise: h(0) -> b/(a+b) (diffusion limit), slowly; beta = 100 is within 0.01
    assert th.laplace_split(0.0, 1.0, 2.0, 100.0) == pytest.approx(2 / 3, abs=0.01)


def test_smooth_maximum_predictions_match_spec():
    assert np.round(th.p_right_smooth_gauss([0.25, 0.5, 1.0], 1e-3, limit=True), 3).tolist() == [0.638, 0.760, 0.921]
    assert np.round(th.p_right_smooth_stable([0.5, 1.0, 2.0], 1e-3, 1.5, limit=True), 3).tolist() == [0.679, 0.813, 0.934]
    # exact finite-eps spreads tend to the limits
    assert th.gauss_offset_sd(1e-7) == pytest.approx(math.sqrt(1e-7 / 2), rel=1e-6)
    assert th.stable_offset_scale(1e-8, 1.5) == pytest.approx(1e-8 ** (1 / 3) * 1.5 ** (-2 / 3), rel=1e-6)
    # spec C2 table of predicted E[eps tau]
    eps = [1e-2, 3e-3, 1e-3, 3e-4]
    assert np.round(th.sticking_time_gauss(eps), 3).tolist() == [2.735, 3.337, 3.886, 4.488]
    assert np.allclose(th.sticking_time_stable(eps, 1.5), [1.450, 1.850, 2.216, 2.617], atol=2e-3)
    # slopes: exactly kappa
    assert th.sticking_time_gauss(1e-3) - th.sticking_time_gauss(1e-2) == pytest.approx(0.5 * math.log(10))
    assert th.sticking_time_stable(1e-3, 1.5) - th.sticking_time_stable(1e-2, 1.5) == pytest.approx(math.log(10) / 3)


def test_other_reconstructed_numbers_match_spec():
    assert np.round(th.wrong_side_stable([10, 100, 1000], 2.0, 1.5), 4).tolist() == [0.0631, 0.0199, 0.0063]
    assert np.round(th.window_wrong_basin(1e-3, [5000, 20000], 1.5), 3).tolist() == [0.031, 0.111]
    assert np.round(1 / th.chain_rate_sine(np.array([1e-2, 3e-3, 1e-3]), 1.5)).tolist() == [886, 5393, 28025]
    assert np.round(th.chain_destination([1, 2, 3], 1.5), 4).tolist() == [0.8075, 0.1030, 0.0354]
    assert round(th.flat_max_constant(), 4) == 1.6371
    assert round(th.kink_exit_time(th.laplace_split(0.0, 1, 2), 1, 2), 3) == round(
        0.5619 * math.log(2) / 2 + 0.4381 * math.log(2), 3)


def test_diffusion_limit_formula():
    assert th.diffusion_split(0.0, 1.0, 2.0, 5.0) == pytest.approx(2 / 3)
    # continuity at 0 from both sides
    assert th.diffusion_split(-1e-9, 1.0, 2.0, 5.0) == pytest.approx(2 / 3, abs=1e-9)


# ----------------------------------------------------------------------------- oracle vs exact formula

@pytest.mark.parametrize("a,b,beta,seed", [(1.0, 2.0, 1.0, 11), (1.0, 1.0, 1.0, 12), (0.5, 1.5, 2.0, 13)])
def test_random_walk_oracle_matches_exact_laplace_formula(a, b, beta, seed):
    ys = [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]
    n = 30000
    orc = ex.walk_oracle(a, b, "laplace", beta, 1.5, ys, n_runs=n, seed=seed)
    exact = th.laplace_split(ys, a, b, beta)
    assert orc.n_undecided.sum() == 0 and orc.n_diverged.sum() == 0
    # K = 300: the walk re-crosses 0 from 300 with probability q e^{-300 R} < 1e-60: no truncation term.
    z = zcrit(len(ys))
    for p_hat, p in zip(orc.p_right, exact):
        assert abs(p_hat - p) <= z * binom_se(p, n), (p_hat, p)


def test_oracle_conventions_match_exact_laplace_formula():
    n = 30000
    z = zcrit(3)
    for k, conv in enumerate(["zero", "right", "left"]):
        orc = ex.walk_oracle(1.0, 2.0, "laplace", 1.0, 1.5, [0.0], n_runs=n, seed=20 + k, convention=conv)
        p = th.laplace_split_at_kink(1.0, 2.0, 1.0, conv)
        assert abs(orc.p_right[0] - p) <= z * binom_se(p, n)


def test_oracle_detects_a_wrong_formula():
    # the test above can fail: a formula off by 0.02 at y = 0 is rejected at this n
    n = 30000
    orc = ex.walk_oracle(1.0, 2.0, "laplace", 1.0, 1.5, [0.0], n_runs=n, seed=11)
    assert abs(orc.p_right[0] - (th.laplace_split(0.0, 1.0, 2.0) + 0.02)) > zcrit(1) * binom_se(0.56, n)


def test_oracle_diffusion_limit_and_stable_reference():
    # Gaussian sigma = 20 >> a, b: h(0) = b/(a+b) up to O((a+b)/sigma) corrections; spec [N]: 0.667.
    n = 20000
    z = zcrit(4)
    orc = ex.walk_oracle(1.0, 2.0, "gaussian", 20.0, 1.5, [0.0], n_runs=n, seed=30, K=2000.0)
    assert abs(orc.p_right[0] - 2 / 3) <= z * binom_se(2 / 3, n) + 0.006
    # SaS alpha = 1.5, c = 1: spec §4 Monte Carlo reference 0.601 / 0.881 / 0.326 (SE 0.001 each, K = 1000,
    # stated K-limit difference < 0.003): tolerance z * hypot(SE_ours, 0.001) + 0.003.
    n = 20000
    orc = ex.walk_oracle(1.0, 2.0, "stable", 1.0, 1.5, [0.0, 1.0, -1.0], n_runs=n, seed=31)
    for p_hat, p in zip(orc.p_right, [0.601, 0.881, 0.326]):
        assert abs(p_hat - p) <= z * math.hypot(binom_se(p, n), 0.001) + 0.003, (p_hat, p)


# ----------------------------------------------------------------------------- SGD (core) vs theory

def test_sgd_at_sharp_maximum_matches_laplace_formula():
    # SGD at eps = 1e-3 vs the eps -> 0 limit: allowance 3 eps for the O(eps) correction (spec: 0.9317 vs 0.9299).
    n = 30000
    ys = [-1.0, 0.0, 1.0]
    r = ex.kink_split(1.0, 2.0, "laplace", 1.0, 1.5, 1e-3, ys, n_runs=n, seed=40)
    z = zcrit(3)
    for p_hat, p in zip(r.p_right, th.laplace_split(ys, 1.0, 2.0, 1.0)):
        assert abs(p_hat - p) <= z * binom_se(p, n) + 3e-3, (p_hat, p)
    # no sticking: E[eps tau] from y = 0 close to the flow time (SE from the runs; allowance 4%)
    pred = th.kink_exit_time(th.laplace_split(0.0, 1.0, 2.0), 1.0, 2.0)
    assert abs(r.mean_time[1] - pred) <= z * r.time_se[1] + 0.04 * pred


def test_smooth_maximum_direction_and_slope():
    n = 20000
    d = ex.smooth_direction("gaussian", 1e-2, [0.25, 1.0], n_runs=n, seed=50)
    z = zcrit(4)
    for p_hat, y in zip(d.p_right, d.offsets):
        p = float(th.p_right_smooth_gauss(y, 1e-2))
        assert abs(p_hat - p) <= z * binom_se(p, n) + 0.003
    st = ex.sticking_times("gaussian", [1e-2, 1e-3], n_runs=2000, seed=51)
    slope, sse, _ = ex.fit_slope(st.offsets, st.mean_time, st.time_se)
    # kappa = 1/2; allowance 0.04 (spec: measured 0.498) on top of z * SE of the fitted slope
    assert abs(slope - 0.5) <= z * sse + 0.04
    # and it is clearly not the sharp-maximum behaviour (slope 0)
    assert slope > 0.3


def test_agreement_rows_pass_and_catch_a_bias():
    R = Rows(4.0)
    assert R.close("ok", 0.5, 0.51, 0.005)          # 2 SE
    assert not R.close("biased", 0.5, 0.53, 0.005)  # 6 SE
    assert R.close("allowed", 0.5, 0.53, 0.005, bias=0.011)
    assert [r["passed"] for r in R.rows] == [True, False, True]


# ----------------------------------------------------------------------------- parameters and streams

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "sticking.ipynb"


def test_params_match_the_notebook():
    nb = notebook_parameters(NOTEBOOK)
    assert list(ex.PARAMS.params) == list(nb)
    for p in ex.PARAMS:
        assert ast.literal_eval(nb[p.name]) == p.default, p.name


@pytest.mark.parametrize("param", list(ex.PARAMS), ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}: "):
            ex.PARAMS.validate({param.name: bad})


@pytest.mark.parametrize("name,value", [("eps", 0.0), ("eps", 0.5), ("eps", "x"), ("kink_a", -1.0),
                                        ("kink_b", float("nan")), ("noise", "cauchy"), ("noise_scale", 0),
                                        ("alpha", 2.0), ("alpha", 1.0), ("offsets", []), ("offsets", [1000]),
                                        ("offsets", "[1, oops]"), ("n_runs", 10), ("n_runs", 1.5),
                                        ("seed", -1)])
def test_validate_parameters_names_the_bad_parameter(name, value):
    with pytest.raises(ValueError, match=f"^{name}:"):
        ex.PARAMS.validate({name: value})


def test_validate_parameters_accepts_papermill_strings():
    P = ex.PARAMS.validate(offsets="[-2, 0.5]", n_runs="3000", eps="1e-3")
    assert P["offsets"] == [-2.0, 0.5] and P["n_runs"] == 3000 and P["eps"] == 1e-3


@pytest.mark.parametrize("call,name", [
    (lambda: th.gauss_offset_sd(0.0), "eps"), (lambda: th.gauss_offset_sd(1e-3, lam=-1.0), "lam"),
    (lambda: th.gauss_offset_sd(1e-3, sigma=float("inf")), "sigma"),
    (lambda: th.stable_offset_scale(1e-3, 1.5, c="x"), "c"), (lambda: th.stable_offset_scale(1e-3, 2.0), "alpha"),
    (lambda: th.sticking_slope("stable", 1.0), "alpha"), (lambda: th.wrong_side_stable(5.0, 1.0, "x"), "alpha"),
    (lambda: th.lundberg_root(float("nan"), 1.0), "drift"), (lambda: th.lundberg_root(1.0, 0), "beta"),
    (lambda: th.laplace_constants(1.0, "x"), "b"), (lambda: th.laplace_constants(-1.0, 1.0), "a"),
    (lambda: th.diffusion_split(0.0, 1.0, 1.0, 0.0), "sigma"), (lambda: th.wrong_side_stable(5.0, -1.0, 1.5), "b"),
    (lambda: th.flow_correction_double_well(0.0), "delta")])
def test_theory_rejects_bad_arguments_by_name(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: "):
        call()


def test_theory_accepts_numbers_numpy_scalars_and_numeric_text():
    want = th.gauss_offset_sd(1e-3, 1.0, 1.0)
    assert th.gauss_offset_sd("1e-3", np.float64(1.0), 1) == want
    assert th.sticking_slope("stable", "1.5") == th.sticking_slope("stable", np.float32(1.5)) == 1.0 - 1.0 / 1.5
    assert th.laplace_constants(np.int64(1), 2, "1.0") == th.laplace_constants(1.0, 2.0, 1.0)


def test_stream_plan_keeps_the_published_blocks_at_the_defaults():
    """At the defaults every block sits where the book has always drawn it (units of 2**32 streams), so
    the glued numbers do not move."""
    S = ex.stream_plan(ex.PARAMS.validate())
    units = {k: S[k] // ex.BLOCK for k in S.blocks}
    want = {"figures": 0, "window/gaussian": 100, "window/stable": 101, "direction/gaussian/0": 200,
            "direction/gaussian/1": 210, "direction/stable": 230, "times/gaussian": 300, "times/stable": 310,
            "kink_times/gaussian": 320, "kink_times/stable": 330, "kink": 400, "oracle": 420,
            "ref/gaussian/sgd": 500, "ref/laplace/sgd": 510, "ref/stable/sgd": 520, "ref/gaussian/oracle": 540,
            "ref/laplace/oracle": 550, "ref/stable/oracle": 560, "convention/zero": 600, "convention/right": 601,
            "convention/left": 602, "diffusion": 610, "diffusion_walk": 611, "diffusion_small_K": 612,
            "signature/stable": 700, "signature/laplace": 710, "chain": 800, "flat/gaussian": 900,
            "flat/stable": 910}
    assert {k: units[k] for k in want} == want
    assert S.overlaps() == []


def test_stream_plan_disjoint_at_the_largest_sizes():
    """Many offsets (the old fixed blocks 400 and 420 overlapped beyond 20 offsets) and the largest n_runs:
    no two experiments share a stream; every unit holds n_runs < 2**32 runs."""
    P = ex.PARAMS.validate(offsets=list(range(-200, 201)), n_runs=ex.PARAMS["n_runs"].hi, eps=1e-3)
    S = ex.stream_plan(P)
    assert S.overlaps() == []
    assert S.blocks["kink"][1] == 401 * ex.BLOCK and S["oracle"] >= S["kink"] + 401 * ex.BLOCK
    assert P["n_runs"] < ex.BLOCK


def test_agreement_passes_at_small_size():
    """The page's agreement rows at n_runs = 2000 (runs per estimate) pass, grouped into at most 12 claims."""
    P = ex.PARAMS.validate(n_runs=2000)
    S = ex.stream_plan(P)
    a, b, law, s, al, eps, seed = P.kink_a, P.kink_b, P.noise, P.noise_scale, P.alpha, P.eps, P.seed
    N = ex.run_counts(P)
    n = P.n_runs
    windows = [ex.convergence_window("gaussian", 1e-3, ex.WINDOW_TIMES, n_runs=N["window"], seed=seed,
                                     stream_offset=S["window/gaussian"], radius=0.2),
               ex.convergence_window("stable", 1e-3, ex.WINDOW_TIMES, alpha=al, n_runs=N["window"], seed=seed,
                                     stream_offset=S["window/stable"], radius=0.3)]
    dirs = [ex.smooth_direction("gaussian", e, ys, n_runs=N["direction"], seed=seed, stream_offset=S[f"direction/gaussian/{k}"])
            for k, (e, ys) in enumerate(ex.DIR_GAUSS)]
    dirs.append(ex.smooth_direction("stable", ex.DIR_STABLE[0], ex.DIR_STABLE[1], alpha=al, n_runs=N["direction"],
                                    seed=seed, stream_offset=S["direction/stable"]))
    times = [ex.sticking_times(lw, ex.STICK_EPS, alpha=al, n_runs=N["mean"], seed=seed, stream_offset=S[f"times/{lw}"])
             for lw in ("gaussian", "stable")]
    kink_times = [ex.sticking_times_kink(a, b, lw, ex.KINK_TIME_EPS, alpha=al, n_runs=N["mean"],
                                         seed=seed, stream_offset=S[f"kink_times/{lw}"]) for lw in ("gaussian", "stable")]
    kink = ex.kink_split(a, b, law, s, al, eps, P.offsets, n_runs=n, seed=seed, stream_offset=S["kink"])
    oracle = ex.walk_oracle(a, b, law, s, al, P.offsets, n_runs=n, seed=seed, stream_offset=S["oracle"])
    ref = {lw: (ex.kink_split(a, b, lw, 1.0, al, eps, ex.REF_OFFSETS, n_runs=N["ref"], seed=seed,
                              stream_offset=S[f"ref/{lw}/sgd"]),
                ex.walk_oracle(a, b, lw, 1.0, al, ex.REF_OFFSETS, n_runs=N["ref"], seed=seed,
                               stream_offset=S[f"ref/{lw}/oracle"]))
           for lw in ("gaussian", "laplace", "stable")}
    conventions = {c: ex.kink_split(a, b, "laplace", 1.0, al, eps, [0.0], n_runs=N["ref"], seed=seed, convention=c,
                                    stream_offset=S[f"convention/{c}"]) for c in ("zero", "right", "left")}
    diffusion = [ex.kink_split(a, b, "gaussian", 20.0, al, 1e-4, [0.0], n_runs=N["ref"], seed=seed,
                               stream_offset=S["diffusion"]),
                 ex.walk_oracle(a, b, "gaussian", 20.0, al, [0.0], n_runs=N["ref"], seed=seed, K=2000.0,
                                stream_offset=S["diffusion_walk"])]
    signature = {lw: ex.heavy_tail_signature(a, b, lw, ex.SIGNATURE_EPS, alpha=al, n_runs=n, seed=seed,
                                             stream_offset=S[f"signature/{lw}"]) for lw in ("stable", "laplace")}
    chain = ex.metastable_chain(1e-3, alpha=al, n_runs=N["chain"], seed=seed, stream_offset=S["chain"])
    flat = [ex.flat_max_times(lw, ex.FLAT_EPS, alpha=al, n_runs=N["flat"], seed=seed,
                              stream_offset=S[f"flat/{lw}"])
            for lw in ("gaussian", "stable")]
    rows = ex.agreement(P, ex.bonferroni_z(60), kink=kink, oracle=oracle, ref=ref, conventions=conventions,
                        diffusion=diffusion, windows=windows, dirs=dirs, times=times, kink_times=kink_times,
                        signature=signature, chain=chain, flat=flat)
    failed = [r["check"] for r in rows if not r["passed"]]
    assert not failed, failed
    assert len({r.get("group") or r["check"] for r in rows}) <= 12


def test_figures_and_explorer_draw(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sgdlab.chapters._kit import FIG_WIDTH
    from sgdlab.chapters.sticking import plots as pl
    from sgdlab.chapters.sticking import explorer as wd
    monkeypatch.setattr(plt, "show", lambda: None)
    out = wd.draw(1.0, 2.0, "stable", 1.0, 1.5, 1e-2, 1.0, n_runs=300, seed=1)
    assert out is not None
    sgd, orc = out
    assert len(sgd.p_right) == 7 and np.all((sgd.p_right >= 0) & (sgd.p_right <= 1))
    assert wd.draw(1.0, 2.0, "laplace", 1.0, 1.5, 1e-2, 100.0, n_runs=300) is None  # |y| eps >= 0.5: refused
    for fig in (pl.landscapes(1.0, 2.0), pl.paths(1.0, 2.0, 1e-2, "gaussian", 1.0, 1.5, n_paths=3)):
        assert fig.get_size_inches()[0] <= FIG_WIDTH + 1e-9
        assert all(ax.get_subplotspec().get_gridspec().ncols <= 2 for ax in fig.axes)
        fig.canvas.draw()
    plt.close("all")
    html = pl.histogram_scrubber(1.0, 2.0, 1e-2, "gaussian", 1.0, 1.5, n_runs=200, n_frames=3).data
    assert "font-awesome" not in html
    box = wd.explorer(n_runs=300)
    assert box is not None
    box = wd.explorer(a=7.0, eps=2e-3, y=6.0, alpha=1.02, scale=50.0, n_runs=300)   # off the controls' ranges
    assert box.children[0].children[0].value == 7.0 and box.children[1].children[2].value == 2e-3
