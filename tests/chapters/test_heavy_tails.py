"""Tests of the heavy-tailed chapter: theory against the spec's worked example (heavy_tailed.md 3.4,
5, appendix), experiments (core simulations) against the theory.

Tolerances. Simulated means and proportions are compared with 4.5 standard errors: a two-sided
normal p < 1e-5, so a correct implementation fails a given check less than once in 1e5 runs of the
suite. Where the theory is an eta -> 0 limit, the residual finite-eta bias is stated next to the test
and the band comes from the spec's measurements (section 5), not from tuning to our own output.
"""
import ast
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

import sgdlab
from sgdlab.book import notebook_parameters
from sgdlab.chapters.heavy_tails import experiments as ex
from sgdlab.chapters.heavy_tails import theory as th

Z = 4.5
ALPHA = 1.2


@pytest.fixture(scope="module")
def cp():
    return th.critical_points()


# ----------------------------------------------------------------------------- landscape

def test_fprime_spot_values_from_spec():
    # spec appendix: f'(-1.0) = -0.81072, f'(0.0) = 0.40497, f'(1.0) = -0.73394, f'(1.55) = 1.89952
    np.testing.assert_allclose(th.fprime([-1.0, 0.0, 1.0, 1.55]), [-0.81072, 0.40497, -0.73394, 1.89952],
                               atol=1e-5)


def test_fprime_matches_finite_differences_and_core():
    x = np.linspace(-1.59, 1.59, 41)
    h = 1e-6
    fd = (th.f(x + h) - th.f(x - h)) / (2 * h)
    np.testing.assert_allclose(th.fprime(x), fd, rtol=1e-6, atol=1e-7)
    land = sgdlab.landscapes.make_landscape("four_well")
    np.testing.assert_allclose(np.ravel(land.grads(x.reshape(-1, 1))), th.fprime(x), rtol=1e-10, atol=1e-12)


def test_critical_points_of_printed_formula(cp):
    np.testing.assert_allclose(cp["m"], [-1.5115, -0.6993, 0.4962, 1.3221], atol=1e-3)
    np.testing.assert_allclose(cp["s"], [-1.3, 0.2, 0.7], atol=1e-3)
    assert cp["f2_m"][0] > 100 and cp["f2_m"][2] > 100
    assert cp["f2_m"][1] < 10 and cp["f2_m"][3] < 10
    np.testing.assert_allclose(th.fprime(cp["m"]), 0, atol=1e-10)
    # the paper's m2 = -0.66 is not a critical point of the printed formula
    assert abs(th.fprime(-0.66)) > 0.05


def test_erratum_m3_rounds_to_050_not_049(cp):
    """P1 lists m3 = 0.49; the printed formula's minimum 0.4962 rounds to 0.50 (the page glues both)."""
    m3 = float(cp["m"][2])
    assert abs(th.fprime(m3)) < 1e-10 and th.fsecond(m3) > 0
    assert f"{m3:.2f}" == "0.50" and abs(m3 - 0.49) > 0.005
    assert math.floor(m3 * 100) / 100 == th.PAPER_CRITICAL_POINTS["m"][2]   # 0.49 is the truncated value


# ----------------------------------------------------------------------------- jump counts and graph

def test_jump_counts_and_graph(cp):
    m, s = cp["m"], cp["s"]
    assert list(th.jump_counts(m, s, 0.5)[0]) == [1, 2, 1, 2]
    assert list(th.jump_counts(m, s, 0.28)[0]) == [1, 3, 1, 3]
    assert list(th.jump_counts(m, s, None)[0]) == [1, 1, 1, 1]
    g5 = th.transition_graph(m, s, 0.5)
    assert g5["irreducible"] and g5["widest"] == [1, 3]
    edges5 = {(i + 1, j + 1) for i in range(4) for j in range(4) if g5["adjacency"][i, j]}
    assert edges5 == {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3)}
    g28 = th.transition_graph(m, s, 0.28)
    edges28 = {(i + 1, j + 1) for i in range(4) for j in range(4) if g28["adjacency"][i, j]}
    assert edges28 == {(1, 2), (2, 1), (3, 4), (4, 3)}
    assert not g28["irreducible"]
    assert sorted(map(sorted, g28["classes"])) == [[0, 1], [2, 3]] and all(g28["absorbing"])


def test_fig2_toy_graph():
    toy = th.TOY_FIG2
    g5 = th.transition_graph(toy["m"], toy["s"], 0.5)
    assert g5["irreducible"]
    assert (g5["l"][0, 1], g5["l"][1, 0], g5["l"][1, 2], g5["l"][2, 1]) == (1, 2, 2, 1)
    g4 = th.transition_graph(toy["m"], toy["s"], 0.4)
    assert g4["l"][1, 2] == 3 and g4["l_star"][1] == 2 and not g4["adjacency"][1, 2]
    cls = {tuple(sorted(c)): a for c, a in zip(g4["classes"], g4["absorbing"])}
    assert cls == {(0, 1): True, (2,): False}


# ----------------------------------------------------------------------------- constants and CTMCs

def test_q_constants_b05_match_spec(cp):
    Q = th.q_matrix(cp["m"], cp["s"], 0.5, ALPHA)
    # spec 3.4: q(2,1) = 3.847, q(2,3) = 0.234, q(4,3) = 2.969, q(3,2) = 2.153, q(3,4) = 3.373, q(1,2) ~ 3.23
    np.testing.assert_allclose([Q[1, 0], Q[1, 2], Q[3, 2], Q[2, 1], Q[2, 3], Q[0, 1]],
                               [3.847, 0.234, 2.969, 2.153, 3.373, 3.23], rtol=2e-3)
    assert Q[1, 3] == 0 and Q[3, 1] == 0 and Q[0, 2] == 0
    np.testing.assert_allclose(-Q[1, 1], 4.081, rtol=1e-3)


def test_two_jump_integral_against_direct_double_integral(cp):
    """The by-parts 1-D formula of q_{2,1} (b = 0.5) against the double integral
    int nu(dw0) int_{m}^{m + phi_b(w0)} g(y)/|f'(y)| dy, computed independently."""
    m2, s1 = cp["m"][1], cp["s"][0]
    b = 0.5
    e = th._edges(cp["s"])

    def g(y):
        return th.nu_land(y, e[0], e[1], b, ALPHA)

    def G(y0):  # time-weighted exit mass along the flow from y0 back to m2 (left side)
        a = max(y0, s1 + 1e-12)
        if a >= m2:
            return 0.0
        return integrate.quad(lambda y: g(y) / abs(float(th.fprime(y))), a, m2, points=[s1 + b], limit=200)[0]
    # first jumps to the left, w0 in (0, b): density alpha p w^(-alpha-1); |w0| >= b: atom p b^-alpha at m2 - b
    cont = integrate.quad(lambda w: ALPHA * 0.5 * w ** (-ALPHA - 1) * G(m2 - w), m2 - s1 - b, b, limit=200)[0]
    direct = cont + 0.5 * b ** -ALPHA * G(m2 - b)
    Q = th.q_matrix(cp["m"], cp["s"], b, ALPHA)
    assert direct == pytest.approx(Q[1, 0], rel=1e-5)


def test_untruncated_generator_and_stationary_law(cp):
    Q = th.q_matrix(cp["m"], cp["s"], None, ALPHA)
    spec = np.array([[-3.2258, 2.9634, 0.0695, 0.1929], [0.9216, -1.4896, 0.2338, 0.3341],
                     [0.2476, 1.9051, -5.5259, 3.3732], [0.1573, 0.2782, 0.4483, -0.8838]])
    np.testing.assert_allclose(Q, spec, atol=2e-4)
    np.testing.assert_allclose(th.stationary(Q), [0.143, 0.422, 0.051, 0.385], atol=1.5e-3)
    # q2 = 0.5 (0.601^-1.2 + 0.899^-1.2) = 1.490 (spec 5.3)
    assert -Q[1, 1] == pytest.approx(1.490, abs=2e-3)


def test_truncated_ctmc_on_widest_minima(cp):
    Q, V = th.ctmc_generator(cp["m"], cp["s"], 0.5, ALPHA)
    assert V == [1, 3]
    np.testing.assert_allclose([Q[0, 1], Q[1, 0]], [0.1427, 1.157], rtol=2e-3)
    np.testing.assert_allclose(th.predicted_occupancy(0.5, ALPHA, 0.3, cp), [0, 0.890, 0, 0.110], atol=1e-3)
    np.testing.assert_allclose(th.predicted_occupancy(0.28, ALPHA, 0.3, cp), [0, 0, 0, 1])
    np.testing.assert_allclose(th.predicted_occupancy(0.28, ALPHA, -0.7, cp), [0, 1, 0, 0])


def test_exit_time_predictions_match_spec(cp):
    # spec 3.5: no clip 2.67e3 (eta 1e-2), 4.24e4 (1e-3); b = 0.5: 8.33e3 (3e-2), 9.76e5 (1e-3), 2.45e7 (1e-4)
    np.testing.assert_allclose(th.exit_time_prediction(np.array([1e-2, 1e-3]), 1, None, ALPHA, cp=cp),
                               [2.67e3, 4.24e4], rtol=2e-3)
    np.testing.assert_allclose(th.exit_time_prediction(np.array([3e-2, 1e-3, 1e-4]), 1, 0.5, ALPHA, cp=cp),
                               [8.33e3, 9.76e5, 2.45e7], rtol=2e-3)
    assert th.slope_theory(np.array([1, 2, 3]), ALPHA) == pytest.approx([1.2, 1.4, 1.6])


NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "heavy_tails.ipynb"


def test_params_match_the_notebook():
    assert list(ex.PARAMS.params) == list(notebook_parameters(NOTEBOOK))
    nb = notebook_parameters(NOTEBOOK)
    for p in ex.PARAMS:
        assert ast.literal_eval(nb[p.name]) == p.default, p.name


@pytest.mark.parametrize("param", list(ex.PARAMS), ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}: "):
            ex.PARAMS.validate({param.name: bad})


def test_parameter_validation():
    P = ex.PARAMS.validate(b="None", exit_etas="{'inf': [0.1, 0.01], 0.28: [0.1, 0.05]}", n_paths="3",
                           steps=1e6)
    assert P.b is None and set(P.exit_etas) == {"inf", "0.28"} and P.n_paths == 3 and P.steps == 10**6
    assert ex.PARAMS.validate(b=float("inf")).b is None and ex.PARAMS.validate(b="inf").b is None
    for name, bad in [("alpha", 0.9), ("b", -1), ("eta", 1.5), ("steps", 10), ("n_paths", 0), ("x0", 2.0),
                      ("noise_scale", 0), ("noise", "cauchy"), ("seed", -1), ("exit_etas", {"0.5": [0.1]}),
                      ("exit_etas", {"0.5": [0.1, 1.5]}), ("exit_etas", "{"), ("exit_runs", 1), ("exit_cap", 5)]:
        with pytest.raises(ValueError, match=rf"^{name}: "):
            ex.PARAMS.validate({name: bad})
    with pytest.raises(ValueError, match="^x0: .*saddle"):
        ex.PARAMS.validate(x0=float(th.critical_points()["s"][1]))
    with pytest.raises(ValueError, match="^steps: "):
        ex.PARAMS.validate(steps=10**8, n_paths=1000)


def test_stream_plan_keeps_the_published_blocks_at_the_defaults():
    """At the defaults every block sits where the book has always drawn it (so the glued numbers do not
    move): scenarios 1000(k+1), reducible 7000+100k, main 9000, 2-D 20000+1000k, exit curves 1e7(k+1),
    the split 5e7; the page's explorer above all of them."""
    S = ex.stream_plan(ex.PARAMS.validate())
    top = max(s + n for name, (s, n) in S.blocks.items() if name != "explorer")
    assert S["explorer"] == top
    del S.blocks["explorer"]
    want = {**{f"scenario/{k}": 1000 * (k + 1) for k in range(4)}, "reducible/0": 7000, "reducible/1": 7100,
            "main": 9000, **{f"hump/{k}": 20000 + 1000 * k for k in range(5)},
            "exit/0.28": 10**7, "exit/0.5": 2 * 10**7, "exit/inf": 3 * 10**7, "split": 5 * 10**7}
    assert {k: S[k] for k in S.blocks} == want
    assert S.overlaps() == []


class _Drawn(Exception):
    pass


def test_exit_split_draws_from_the_plans_split_block(monkeypatch):
    """Called without stream_base, exit_split draws from the plan's "split" block (5e7 at the defaults,
    as the book always did); a call that needs more streams than that block goes above every block."""
    def first_draw(*args, stream_offset, **kw):
        raise _Drawn(stream_offset)
    monkeypatch.setattr(sgdlab, "simulate", first_draw)
    S = ex.stream_plan(ex.PARAMS.validate())
    start, size = S.blocks["split"]
    with pytest.raises(_Drawn) as got:
        ex.exit_split(ex.SPLIT_B, ex.SPLIT_ETAS, n_runs=ex.SPLIT_RUNS)
    assert got.value.args[0] == start == 5 * 10**7
    with pytest.raises(_Drawn) as got:
        ex.exit_split(ex.SPLIT_B, [3e-3], n_runs=size + 1)
    assert got.value.args[0] == max(s + n for s, n in S.blocks.values())


def test_stream_plan_disjoint_at_the_largest_sizes():
    """The largest run counts validation allows (and many exit grids): no two experiments share a stream.
    Before the plan, n_paths > 1000 made the four scenarios share streams (1000 (k + 1))."""
    big = {k: list(np.geomspace(0.9, 1e-6, 200)) for k in ("0.1", "0.2", "0.28", "0.5", "0.7", "1", "inf")}
    top = {p.name: p.hi for p in ex.PARAMS if p.kind == "int" and p.hi is not None}
    P = ex.PARAMS.validate(n_paths=top["n_paths"], exit_runs=top["exit_runs"], exit_etas=big, steps=10**6)
    S = ex.stream_plan(P)
    assert S.overlaps() == []
    blocks = sorted(S.blocks.values())
    assert all(a + n <= c for (a, n), (c, _) in zip(blocks, blocks[1:]))
    assert S.blocks["scenario/1"][0] >= S.blocks["scenario/0"][0] + top["n_paths"]


# ----------------------------------------------------------------------------- simulations vs theory

def test_untruncated_exit_time_and_location_at_eta_1e3(cp):
    """Mean exit from Omega_2 vs 1/(q2 H(1/eta)) and P(exit left) vs q21/q2. The exit time is asymptotically
    exponential, so SE = mean/sqrt(n); the spec's runs put the finite-eta bias at eta = 1e-3 within 10 %,
    well inside 4.5 SE = 22 % at 400 runs."""
    c = ex.exit_time_curve(None, [1e-3], n_runs=400, seed=11)
    assert c.censored[0] == 0
    pred = c.prediction[0]
    assert abs(c.mean[0] - pred) <= Z * c.se[0]
    Q = th.q_matrix(cp["m"], cp["s"], None, ALPHA)
    p = Q[1, 0] / -Q[1, 1]
    assert abs(c.exit_left[0] - p) <= Z * math.sqrt(p * (1 - p) / 400)


@pytest.fixture(scope="module")
def slope_curves():
    return {"inf": ex.exit_time_curve(None, [0.03, 0.01, 0.003, 0.001], n_runs=150, seed=12),
            "0.5": ex.exit_time_curve(0.5, [0.03, 0.01, 0.003], n_runs=150, seed=13),
            "0.28": ex.exit_time_curve(0.28, [0.1, 0.05, 0.03], n_runs=60, seed=14)}


def test_exit_slopes_ordered_by_jump_count(slope_curves):
    """Fitted slopes near 1 + l*(alpha - 1) (bands that allow the slow eta^(alpha-1) pre-asymptotic
    bias, measured on P1's full grid) and exit times ordered T(0.28) > T(0.5) > T(none), by x5, at
    common eta."""
    etas = [0.1, 0.03, 0.01]
    c_inf, c_05, c_28 = slope_curves["inf"], slope_curves["0.5"], slope_curves["0.28"]
    assert 1.05 <= c_inf.slope <= 1.35
    assert 1.25 <= c_05.slope <= 1.55
    assert 1.45 <= c_28.slope <= 1.85
    for e in etas[1:]:
        assert c_05.mean[c_05.etas == e][0] > 5 * c_inf.mean[c_inf.etas == e][0]
    assert c_28.mean[c_28.etas == 0.03][0] > 5 * c_05.mean[c_05.etas == 0.03][0]


def test_occupancy_truncated_vs_untruncated_vs_light(cp):
    """eta = 1e-2 (spec 5.4-5.5): truncated sharp fraction < 5 % with the Omega_2 share of the wide time
    > 0.75 (CTMC 0.89); untruncated within 0.03 of the CTMC law on all minima; light tails stuck in Omega_3."""
    hb = ex.run_occupancy(ALPHA, 0.5, 1e-2, 10**7, 2, 0.3, seed=21)
    assert hb.sharp_fraction < 0.05
    assert hb.pooled[1] / (hb.pooled[1] + hb.pooled[3]) > 0.75
    hv = ex.run_occupancy(ALPHA, None, 1e-2, 10**7, 2, 0.3, seed=22)
    assert np.max(np.abs(hv.pooled - th.predicted_occupancy(None, ALPHA, 0.3, cp))) < 0.03
    for b in (None, 0.5):
        lt = ex.run_occupancy(ALPHA, b, 1e-2, 10**6, 1, 0.3, noise_scale=1.0, noise="gaussian", seed=23)
        assert lt.pooled[2] > 0.999


def test_occupancy_columns_cover_all_fields():
    """The core's occupancy columns for the three saddles as edges are the four fields: a light-tailed
    run started at m4 is counted in Omega_4 (the column above the last edge), not in Omega_3."""
    run = ex.run_occupancy(ALPHA, None, 1e-3, 10**5, 1, 1.32, noise_scale=0.1, noise="gaussian", seed=24)
    np.testing.assert_allclose(run.pooled, [0, 0, 0, 1])
    assert run.fractions.sum(axis=1) == pytest.approx(1.0)


def test_reducible_case_start_dependence_and_leak(cp):
    """b = 0.28: from -0.7 the class {m1, m2} keeps > 99 % of the time (spec 5.5); from m3's field the
    fraction of first exits into Omega_2 matches the competing-rates prediction within 4.5 binomial SE."""
    run = ex.run_occupancy(ALPHA, 0.28, 1e-2, 4 * 10**6, 2, -0.7, seed=31)
    assert run.pooled[:2].sum() > 0.99
    r = ex.exit_split(0.28, [3e-3], n_runs=600, seed=32)[0]
    assert r["censored"] == 0
    assert abs(r["fraction"] - r["theory"]) <= Z * math.sqrt(r["theory"] * (1 - r["theory"]) / r["n_exits"])


def test_transient_class_and_missing_constants(cp):
    """b = 0.2: l* = (2, 4, 2, 4); m3 reaches Omega_2 and Omega_4 with 2 jumps each, so {m3, m4} is
    transient and {m1, m2} absorbing: from 0.3 the limit is a point mass at m2. The untruncated-style
    CTMC needs q for l* = 4, which is not implemented: q rows are NaN, not invented."""
    g = th.transition_graph(cp["m"], cp["s"], 0.2)
    assert list(g["l_star"]) == [2, 4, 2, 4]
    cls = {tuple(sorted(c)): a for c, a in zip(g["classes"], g["absorbing"])}
    assert cls == {(0, 1): True, (2, 3): False}
    np.testing.assert_allclose(th.predicted_occupancy(0.2, ALPHA, 0.3, cp), [0, 1, 0, 0])
    Q = th.q_matrix(cp["m"], cp["s"], 0.2, ALPHA)
    assert np.isnan(Q[1]).all() and np.isnan(Q[3]).all() and np.isfinite(Q[0]).all()


# ----------------------------------------------------------------------------- the 2-D landscape

@pytest.fixture(scope="module")
def bm():
    return th.hump_basins()


def test_hump_basins_minima_radii_and_jump_counts(bm):
    m = bm["minima"]
    assert m.shape == (3, 2) and bm["unsettled"] == 0
    for p in m:   # critical points with positive definite Hessian
        assert np.hypot(*th.hump_grad(*p)) < 1e-9
    assert np.all(bm["hessian_eigs"] > 0)
    np.testing.assert_allclose(bm["f_min"], th.hump_f(*m.T))
    assert np.all(np.diff(m[:, 0]) > 0)                     # ordered by x
    assert [int(np.sum(bm["labels"] == j)) > 0 for j in range(3)] == [True] * 3
    assert np.all(th.label_of(bm, m) == np.arange(3))       # each minimum lies in its own basin
    D = th.basin_distances(bm)
    r = np.array([min(D[i, j] for j in range(3) if j != i) for i in range(3)])
    assert np.all(r > 4 * bm["cell"])
    ls, l = th.jump_counts_2d(D, ex.HUMP_B)
    assert ls.dtype.kind == "i" and list(ls) == [2, 1, 1]
    # the chosen b is well away from the multiples of r that would change l*: the resolution of r is
    # cell/sqrt(2) = 0.018
    assert np.all(np.abs(r / ex.HUMP_B - np.round(r / ex.HUMP_B)) * ex.HUMP_B > 0.05)
    g = th.transition_graph_2d(D, ex.HUMP_B)
    assert g["irreducible"] and g["widest"] == [0]
    assert list(th.jump_counts_2d(D, None)[0]) == [1, 1, 1]


def test_hump_gradient_and_basin_labels_match_the_core(bm):
    """The core's exact-gradient descent (optimizer "gd", small step) from interior cell centres ends at
    the minimum of the cell's label; cells next to a basin boundary are skipped (discretisation)."""
    lab = bm["labels"]
    inner = np.ones_like(lab, dtype=bool)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            inner &= np.roll(np.roll(lab, dx, 0), dy, 1) == lab
    inner[[0, -1], :] = inner[:, [0, -1]] = False
    rng = np.random.default_rng(3)
    ix, iy = np.nonzero(inner)
    pick = rng.choice(len(ix), 300, replace=False)
    w0 = np.c_[bm["xs"][ix[pick]], bm["ys"][iy[pick]]]
    res = sgdlab.simulate("three_hump_camel", optimizer="gd", lr=0.005, steps=20000, w0=w0,
                          project=sgdlab.Box(tuple(bm["lo"]), tuple(bm["hi"])), seed=0)
    d = np.hypot(res.final[:, None, 0] - bm["minima"][:, 0], res.final[:, None, 1] - bm["minima"][:, 1])
    assert np.all(d.min(axis=1) < 1e-6)
    assert np.array_equal(d.argmin(axis=1), lab[ix[pick], iy[pick]])


def test_untruncated_generator_2d_against_monte_carlo(bm):
    """q_{i,j} by quadrature vs Monte Carlo: z = r_i U^(-1/alpha) e_theta (nu conditioned on |z| > r_i,
    total mass r_i^-alpha); the estimate of q_{i,j} is binomial, SE = r_i^-alpha sqrt(p(1-p)/n), compared
    at 4.5 SE plus 1 % of q_i for the quadrature (midpoint rule on 720 x 400 nodes)."""
    alpha = 1.2
    Q = th.untruncated_generator_2d(bm, alpha)
    np.testing.assert_allclose(Q.sum(axis=1), 0, atol=1e-12)
    assert np.all(Q - np.diag(np.diag(Q)) >= 0)
    D = th.basin_distances(bm)
    rng = np.random.default_rng(5)
    n = 200_000
    for i, m in enumerate(bm["minima"]):
        r0 = 0.999 * min(D[i, j] for j in range(3) if j != i)
        rad = r0 * rng.uniform(size=n) ** (-1 / alpha)
        th_ = rng.uniform(0, 2 * np.pi, n)
        pts = np.clip(m + rad[:, None] * np.c_[np.cos(th_), np.sin(th_)], bm["lo"], bm["hi"])
        lab = th.label_of(bm, pts)
        for j in range(3):
            if j != i:
                p = np.mean(lab == j)
                se = r0 ** -alpha * math.sqrt(max(p * (1 - p), 1 / n) / n)
                assert abs(r0 ** -alpha * p - Q[i, j]) <= Z * se + 0.01 * -Q[i, i]


def test_hump_occupancy_scenarios(bm):
    """Untruncated heavy tails: occupancy = stationary law of the CTMC within 4.5 batch-means SE.
    Truncated at b: the widest basin (l* = 2) holds most of the time, more than without truncation by
    4.5 SE; light tails never leave the start basin."""
    alpha = 1.2
    pi = th.stationary(th.untruncated_generator_2d(bm, alpha))
    heavy = ex.run_hump(bm, alpha, None, 0.01, 2 * 10**6, 4, "pareto", ex.HUMP_SCALE, seed=11)
    se = heavy.se()
    assert np.all(np.abs(heavy.pooled - pi) <= Z * se)
    trunc = ex.run_hump(bm, alpha, ex.HUMP_B, 0.01, 2 * 10**6, 4, "pareto", ex.HUMP_SCALE, seed=12)
    assert trunc.pooled[0] > 0.5
    assert trunc.pooled[0] - heavy.pooled[0] > Z * math.hypot(trunc.se()[0], se[0])
    light = ex.run_hump(bm, alpha, None, 0.01, 10**6, 2, "gaussian", ex.HUMP_LIGHT_SCALE, seed=13)
    assert light.pooled[1] == 1.0 and light.n_diverged == 0


# ----------------------------------------------------------------------------- the page at small size

@pytest.fixture(scope="module")
def small_page(cp, bm, slope_curves):
    """The chapter's experiments at small size (streams from the chapter's plan)."""
    P = ex.PARAMS.validate(steps=10**7, n_paths=2)
    S = ex.stream_plan(P)
    scen = ex.scenarios(ALPHA, 0.5, 1e-2, 10**7, 2, 0.3, 0.1, seed=41, streams=S)
    red = ex.reducible_runs(ALPHA, 1e-2, 4 * 10**6, 2, 0.1, seed=42, streams=S)
    split = ex.exit_split(0.28, [3e-3], n_runs=600, seed=43, stream_base=S["split"])
    hump = ex.hump_scenarios(bm, ALPHA, 4, seed=44, steps=2 * 10**6, streams=S)
    curves = [slope_curves[k] for k in ("0.28", "0.5", "inf")]
    return dict(scen=scen, red=red, split=split, hump=hump, curves=curves)


def test_agreement_passes_at_small_size(cp, bm, small_page):
    rows = (ex.agreement(cp, small_page["curves"], small_page["scen"], small_page["red"], ALPHA, small_page["split"])
            + ex.agreement_2d(bm, small_page["hump"], ALPHA))
    assert all(set(r) >= {"check", "theory", "simulation", "tolerance", "passed"} for r in rows)
    failed = [r["check"] for r in rows if not r["passed"]]
    assert not failed, failed
    claims = {r.get("group") or r["check"] for r in rows}
    assert len(claims) <= 10       # one line per claim on the page


def test_agreement_can_fail(cp, bm, small_page):
    """A light-tailed run that did leave its start field, or a wrong 2-D law, is caught."""
    scen = list(small_page["scen"])
    hv, hb, lv, lb = scen
    moved = ex.OccupancyRun(**{**lv.__dict__, "pooled": np.array([0.0, 0.01, 0.99, 0.0])})
    rows = ex.agreement(cp, small_page["curves"], [hv, hb, moved, lb], small_page["red"], ALPHA)
    assert [r["passed"] for r in rows if "start field" in r["check"]] == [False, True]
    hump = list(small_page["hump"])
    h = hump[-2]
    hump[-2] = ex.HumpRun(**{**h.__dict__, "pooled": h.pooled + 6 * h.se() * np.array([1, -1, 0])})
    rows2 = ex.agreement_2d(bm, hump, ALPHA)
    assert not all(r["passed"] for r in rows2 if r["group"] == ex.G_UNTR)


def test_figures_scrubber_and_explorer_render(cp, bm, small_page):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sgdlab.chapters.heavy_tails import explorer as wd
    from sgdlab.chapters.heavy_tails import plots as pl
    from sgdlab.chapters._kit import FIG_WIDTH
    g2 = th.transition_graph_2d(th.basin_distances(bm), ex.HUMP_B)
    pi2 = th.stationary(th.untruncated_generator_2d(bm, ALPHA))
    figs = [pl.landscape(cp), pl.exit_times(small_page["curves"], ALPHA), pl.exit_law(small_page["curves"], ALPHA),
            pl.histograms(small_page["scen"], cp), pl.trajectories(small_page["scen"], cp),
            pl.occupancy_bars(small_page["scen"][:2]), pl.occupancy_bars(small_page["red"]),
            pl.hump_map(bm, ex.HUMP_B, path=small_page["hump"][1].paths[0]),
            pl.hump_occupancy(small_page["hump"], pi2, g2["widest"]),
            pl.hump_slope(small_page["hump"], g2["widest"], ALPHA)]
    for fig in figs:
        assert fig.get_size_inches()[0] <= FIG_WIDTH + 1e-9
        assert all(ax.get_subplotspec().get_gridspec().ncols <= 2 for ax in fig.axes if ax.get_subplotspec())
        fig.canvas.draw()
        plt.close(fig)
    html = pl.trajectory_scrubber(small_page["scen"], cp, n_frames=3).data
    assert "<img" in html or "data:image" in html
    assert "font-awesome" not in html
    w = wd.explorer(alpha=1.01, b=0.33, eta=0.004, x0=1.59)     # valid values off the controls' grids
    assert w.children[0].children[1].value == 0.33 and w.children[0].children[2].value == 0.004
    run = wd.draw(1.2, 0.5, 0.01, "pareto", 0.3, steps=10**5, n_paths=1)
    assert run is not None
    plt.close("all")
