"""Tests of the sharp-minima chapter (Ziyin, Li & Ueda §5.3, §6.3, App. D.3).

Theory: the landscape of Eq. 10 (gradient, Hessian, critical points) against finite differences of the
loss written as printed (not the expanded form the module uses) and against brute-force root finding;
the numbers the paper quotes (Eq. 12); the proof's r(x) (Eq. 89) against a brute-force maximum over the
box; the recomputed bound (2 - sqrt 2)/8 against a numerical root; Eq. 93 reproduced from the printed
Eq. 92 (so the error is located). Core: the landscape implementation, a Lyapunov exponent estimated from
the core against its closed form (SE-based tolerance), GD against a NumPy reference, SGD against the
proof's rigorous tail bound. Statistical tolerances use Z_TOL = 4.5 SE (conftest: two-sided p = 6.8e-6,
so a correct implementation fails such a check less than once in 1e5 runs).
"""
import math

import numpy as np
import pytest
from scipy import optimize, stats

import sgdlab
from sgdlab.chapters.sharp_minima import experiments as ex
from sgdlab.chapters.sharp_minima import theory as th

from tolerances import Z_TOL

from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]

A_VALUES = [0.1, 0.5, 0.9, 1.0]


def loss_printed(w1, w2, a, b, x):
    """Eq. 10 exactly as printed (independent of the module's expanded form)."""
    return 0.5 * (-(w1 - w2) ** 2 - (w1 + w2) ** 2 + (w1 - w2) ** 4 + (w1 + w2) ** 4
                  - 2 * a * w2 ** 2 + x * b * w1 ** 2)


# ----------------------------------------------------------------------------- the landscape

@pytest.mark.parametrize("x", [-1.0, 0.0, 1.0])
def test_gradient_matches_finite_differences_of_eq10(rng, x):
    a, b = 0.7, 9.0
    w = rng.uniform(-1, 1, (50, 2))
    h = 1e-6
    g1, g2 = th.grad(w[:, 0], w[:, 1], a, b, x)
    fd1 = (loss_printed(w[:, 0] + h, w[:, 1], a, b, x) - loss_printed(w[:, 0] - h, w[:, 1], a, b, x)) / (2 * h)
    fd2 = (loss_printed(w[:, 0], w[:, 1] + h, a, b, x) - loss_printed(w[:, 0], w[:, 1] - h, a, b, x)) / (2 * h)
    # central differences: truncation O(h^2 |L'''|) ~ 1e-11, rounding ~ eps |L| / h ~ 1e-10
    np.testing.assert_allclose(g1, fd1, atol=1e-8)
    np.testing.assert_allclose(g2, fd2, atol=1e-8)
    # expected loss = the x = 0 loss (E x = 0), and the core implements the same Eq. 10 / Eq. 86
    if x == 0.0:
        np.testing.assert_allclose(th.expected_loss(w[:, 0], w[:, 1], a), loss_printed(w[:, 0], w[:, 1], a, b, 0.0),
                                   atol=1e-14)
    land = sgdlab.make_landscape("sharp2d", a=a, b=b)
    np.testing.assert_allclose(land.grads(w, x=x), np.column_stack([g1, g2]), atol=1e-13)
    np.testing.assert_allclose(land.values(w, x=x), loss_printed(w[:, 0], w[:, 1], a, b, x), atol=1e-14)


def test_hessian_matches_finite_differences_of_gradient(rng):
    a, h = 0.5, 1e-6
    for w1, w2 in rng.uniform(-1, 1, (20, 2)):
        H = th.hessian(w1, w2, a)
        fd = np.empty((2, 2))
        for j, e in enumerate(np.eye(2) * h):
            gp = np.array(th.grad(w1 + e[0], w2 + e[1], a))
            gm = np.array(th.grad(w1 - e[0], w2 - e[1], a))
            fd[:, j] = (gp - gm) / (2 * h)
        np.testing.assert_allclose(H, fd, atol=1e-7)
        assert H[0, 1] == H[1, 0]


@pytest.mark.parametrize("a", A_VALUES)
def test_critical_points_are_all_found_and_correctly_classified(a):
    cps = th.critical_points(a)
    assert len(cps) == 9
    for c in cps:
        g = th.grad(*c["w"], a)
        assert max(abs(g[0]), abs(g[1])) < 1e-13
        ev = c["eigenvalues"]
        kind = {2: "minimum", 0: "maximum", 1: "saddle"}[int(np.sum(ev > 0))]
        assert kind == c["kind"] and np.all(np.abs(ev) > 1e-9)
        assert c["trace"] == pytest.approx(np.trace(th.hessian(*c["w"], a)))
    # brute force: Newton-type root finding from a 15 x 15 grid of starts finds no other critical point in the box
    found = set()
    for s in np.linspace(-0.95, 0.95, 15):
        for t in np.linspace(-0.95, 0.95, 15):
            sol = optimize.root(lambda w: th.grad(w[0], w[1], a), [s, t], tol=1e-14)
            if sol.success and np.all(np.abs(sol.x) <= 1):
                found.add(tuple(np.round(sol.x, 8) + 0.0))
    known = {tuple(np.round(c["w"], 8) + 0.0) for c in cps}
    assert found == known


@pytest.mark.parametrize("a", A_VALUES)
def test_paper_numbers_eq12_and_traces(a):
    cps = th.critical_points(a)
    flat = next(c for c in cps if c["name"] == "flat")      # the first of each pair has w > 0
    sharp = next(c for c in cps if c["name"] == "sharp")
    assert flat["w"] == pytest.approx((1 / math.sqrt(2), 0.0))
    assert sharp["w"] == pytest.approx((0.0, math.sqrt((1 + a) / 2)))
    assert flat["loss"] == pytest.approx(-0.25) and sharp["loss"] == pytest.approx(-(1 + a) ** 2 / 4)
    # Eq. 12's "sharpness" 4 and 4 + 4a are single diagonal entries (Eq. 11), not the trace
    ps = th.paper_sharpness(a)
    assert flat["hessian"][0, 0] == pytest.approx(ps["flat"]) == pytest.approx(4.0)
    assert sharp["hessian"][1, 1] == pytest.approx(ps["sharp"]) == pytest.approx(4 + 4 * a)
    tr = th.sharpness(a)
    assert flat["trace"] == pytest.approx(tr["flat"]) == pytest.approx(8 - 2 * a)
    assert sharp["trace"] == pytest.approx(tr["sharp"]) == pytest.approx(8 + 10 * a)
    assert tr["sharp"] > tr["flat"]
    # the sharp minima are the global minima of E L over the box (brute force on a fine grid)
    g = np.linspace(-1, 1, 801)
    W1, W2 = np.meshgrid(g, g)
    Z = th.expected_loss(W1, W2, a)
    k = np.unravel_index(np.argmin(Z), Z.shape)
    assert abs(W1[k]) < 0.01 and abs(abs(W2[k]) - math.sqrt((1 + a) / 2)) < 0.01


# ----------------------------------------------------------------------------- the proof (D.3)

@pytest.mark.parametrize("lr,b", [(0.01, None), (0.05, None), (0.07, None), (0.1, None), (0.16, None),
                                  (0.05, 3.0), (0.2, 1.0), (0.3, 20.0)])
def test_eq89_matches_brute_force_max_over_box(lr, b):
    # the factor is affine in 4 lr w1^2 + 12 lr w2^2, so the grid (which contains the corners and 0) attains it
    np.testing.assert_allclose(th.proof_r(lr, b), th.proof_r_bruteforce(lr, b, n=201), rtol=0, atol=1e-12)


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.0732, 0.1, 0.15])
def test_eq91_closed_form_with_default_b(lr):
    rp, rm = th.proof_r(lr)
    assert rp == pytest.approx(8 * lr, rel=1e-12)
    assert rm == pytest.approx(2 * max(abs(1 - 2 * lr), abs(1 - 10 * lr)), rel=1e-12)
    # corrected Eq. 92: the factor 2 of r(-1) stays in the exponent
    assert th.proof_mu(lr) == pytest.approx(0.5 * math.log(16 * lr * max(abs(1 - 2 * lr), abs(1 - 10 * lr))))
    assert th.proof_mu(lr) == pytest.approx(th.proof_mu_printed(lr) + 0.5 * math.log(2))


def test_recomputed_bound():
    lb = th.lr_bound()
    assert lb == pytest.approx((2 - math.sqrt(2)) / 8, rel=1e-15)
    assert round(lb, 4) == 0.0732
    assert th.lr_bound_numeric() == pytest.approx(lb, abs=1e-13)
    assert th.proof_mu(lb * (1 - 1e-6)) < 0 < th.proof_mu(lb * (1 + 1e-6))
    # nowhere else on (lb, 1/6) does the guarantee come back
    grid = np.linspace(lb * 1.0001, 1 / 6 - 1e-9, 2000)
    assert all(th.proof_mu(x) > 0 for x in grid)


def test_eq93_is_the_root_of_the_printed_eq92_where_b_is_negative():
    # Eq. 93's value solves the *printed* Eq. 92 on the branch lr > 1/6, where b = 1/lr - 6 < 0 ...
    assert th.printed_bound_numeric() == pytest.approx(th.LR_BOUND_PAPER, abs=1e-13)
    assert th.LR_BOUND_PAPER == pytest.approx((1 + math.sqrt(6)) / 20) and th.LR_BOUND_PAPER > 1 / 6
    assert th.default_b(th.LR_BOUND_PAPER) < 0
    # ... on lr < 1/6 the printed exponent is negative everywhere (8 lr (1 - 2 lr) <= 1), so it bounds nothing
    assert all(th.proof_mu_printed(x) < 0 for x in np.linspace(1e-3, 1 / 6, 500))
    # and the corrected exponent at Eq. 93's lr is positive: no guarantee there
    assert th.proof_mu(th.LR_BOUND_PAPER) > 0


def test_tail_bound_matches_enumeration():
    # P(prod r_i > eps) by enumerating all 2^t sign sequences, t = 12
    lr, t, eps = 0.05, 12, 0.05
    rp, rm = th.proof_r(lr)
    k = np.array([bin(s).count("1") for s in range(2 ** t)])       # number of x = +1 draws
    prod = rp ** k * rm ** (t - k)
    assert th.proof_tail_bound(lr, t, eps) == pytest.approx(np.mean(prod > eps), abs=1e-15)
    assert th.proof_tail_bound(lr, 10000, eps) < 1e-100
    assert th.proof_tail_bound(0.1, 10000, eps) == pytest.approx(1.0, abs=1e-12)   # mu > 0: vacuous


# ----------------------------------------------------------------------------- the core vs the theory

def test_sharp_minimum_exponent_from_core():
    # Start at a sharp minimum with w1 = 1e-12: for t = 20 steps |w1| stays < 1e-12 * 1.35^20 < 1e-9, so the
    # factor of w1 is its linearisation 1 - 4lr - 6lr a - x lr b (relative error O(w1^2) ~ 1e-18) and
    # ln|w1_t / w1_0| / t averages t i.i.d. two-valued terms: exact mean sharp_exponent, exact
    # sd = |ln|c+lr b| - ln|c-lr b|| / 2, SE = sd / sqrt(n t).
    a, lr, t, n = 0.5, 0.05, 20, 20000
    b = th.default_b(lr)
    w0 = np.tile([1e-12, math.sqrt((1 + a) / 2)], (n, 1))
    res = sgdlab.simulate("sharp2d", landscape_params={"a": a, "b": b}, data=ex.DATA, lr=lr, steps=t,
                          w0=w0, project=ex.BOX, seed=11)
    est = np.log(np.abs(res.final[:, 0] / 1e-12)).mean() / t
    c = 1 - 4 * lr - 6 * lr * a
    sd = abs(math.log(abs(c + lr * b)) - math.log(abs(c - lr * b))) / 2
    se = sd / math.sqrt(n * t)
    assert abs(est - th.sharp_exponent(lr, a)) < Z_TOL * se
    assert th.sharp_exponent(lr, a) < 0


def _reference_gd(a, lr, w0, steps):
    """NumPy reference (vectorised over runs) of projected GD on E L, for the test only."""
    w = np.array(w0, float)
    for _ in range(steps):
        g1, g2 = th.grad(w[:, 0], w[:, 1], a)
        w = np.clip(w - lr * np.column_stack([g1, g2]), -1.0, 1.0)
    return w


def test_pair_gd_matches_reference_and_sgd_obeys_the_proofs_bound():
    a, lr, n, steps = 0.5, 0.05, 300, 2000
    pair = ex.run_pair(a, lr, None, n, steps, seed=3)
    np.testing.assert_array_equal(pair.w0, ex.initial_points(n, 3))
    np.testing.assert_allclose(pair.gd.final, _reference_gd(a, lr, pair.w0, steps), atol=1e-10)
    # the initial law overlaps the flat minima
    assert ex.classify(pair.w0, a)[1]["flat"] > 0
    # Eq. 90 (rigorous): #runs with |w1_T| > TOL is stochastically below Bin(n, p); 1 - 1e-5 quantile
    p = th.proof_tail_bound(lr, steps, ex.TOL)
    limit = int(stats.binom.ppf(1 - 1e-5, n, p))
    assert int(np.sum(np.abs(pair.sgd.final[:, 0]) > ex.TOL)) <= limit
    assert pair.sgd_frac["sharp"] >= 1 - limit / n
    assert pair.sgd.n_diverged == 0 and pair.sgd_frac["diverged"] == 0.0
    # GD's end points are minima of E L (no noise): every run within TOL of a flat or a sharp minimum
    assert pair.gd_frac["flat"] + pair.gd_frac["sharp"] == 1.0


def test_lr_sweep_guarantee_and_transverse_exponent():
    a = 0.5
    lrs = [0.02, 0.05, 0.07, 0.14]
    sw = ex.lr_sweep(a, lrs, 200, 3000, seed=4)
    guaranteed = np.array(lrs) <= th.lr_bound()
    # where the proof applies, Eq. 90 bounds the runs with |w1| > TOL by Bin(n, p) (1 - 1e-5 quantile);
    # once w1 ~ 0, w2 follows GD to the sharp minimum well within 3000 steps
    for lr, f in zip(np.array(lrs)[guaranteed], sw["sharp"][guaranteed]):
        limit = int(stats.binom.ppf(1 - 1e-5, 200, th.proof_tail_bound(lr, 3000, ex.TOL)))
        assert round((1 - f) * 200) <= limit
    tr = ex.transverse_exponent(a, lrs, n_runs=16, steps=6000, burn_in=1000, seed=5)
    # where the proof makes |w1| < 1e-5 before the burn-in (bound on the probability of the contrary < 1e-10
    # per run), the time average is ln(1 + lr(2 + 2a)) up to 12 lr w1^2 < 1e-10 per step
    fast = np.array([th.proof_tail_bound(lr, 1000, 1e-5) < 1e-10 for lr in lrs])
    assert fast.sum() >= 2
    np.testing.assert_allclose(tr["lam"][fast], np.log1p(np.array(lrs)[fast] * (2 + 2 * a)), rtol=1e-8)
    # at lr = 0.14 the line traps w2 (Lambda_perp < 0 by many SE), and runs do stay on it
    assert tr["lam"][-1] + Z_TOL * tr["se"][-1] < 0
    assert sw["w2_small"][-1] > 0 and sw["sharp"][-1] < 1.0


def test_classify():
    a = 0.5
    r = math.sqrt((1 + a) / 2)
    pts = np.array([[0.0, r], [0.0, -r + 0.04], [1 / math.sqrt(2), 0.0], [-0.7, 0.02], [0.0, 0.0],
                    [np.nan, 0.0], [0.3, 0.3]])
    lab, frac = ex.classify(pts, a)
    assert list(lab) == ["sharp", "sharp", "flat", "flat", "other", "diverged", "other"]
    assert frac == {"sharp": 2 / 7, "flat": 2 / 7, "other": 2 / 7, "diverged": 1 / 7}


# ----------------------------------------------------------------------------- parameters

@pytest.mark.parametrize("name,kw", [
    ("a", {"a": 0.0}), ("a", {"a": 1.2}), ("a", {"a": 2.5}), ("a", {"a": "x"}),
    ("lr", {"lr": 0.0}), ("lr", {"lr": 1.5}), ("lr", {"lr": float("nan")}),
    ("b", {"b": -1.0}), ("b", {"b": "abc"}), ("b", {"lr": 0.2}),     # default b = 1/0.2 - 6 < 0
    ("n_runs", {"n_runs": 2.5}), ("n_runs", {"n_runs": 1}), ("steps", {"steps": 0}), ("seed", {"seed": -1}),
])
def test_bad_parameters_name_the_parameter(name, kw):
    args = {"a": 0.5, "lr": 0.05, "b": None, "n_runs": 100, "steps": 100, "seed": 0} | kw
    with pytest.raises(ValueError, match=rf"^{name}"):
        ex.PARAMS.validate(**args)
    with pytest.raises(ValueError, match=rf"^{name}"):
        ex.run_pair(**args)


def test_b_may_be_a_string():
    P = ex.PARAMS.validate(a=0.5, lr=0.05, b="None", n_runs=100, steps=100, seed=0)
    assert P["b"] == pytest.approx(14.0)
    assert ex.PARAMS.validate(a=0.5, lr="0.05", b="5", n_runs=100, steps=100, seed=0)["b"] == 5.0


def test_params_match_the_notebook():
    from sgdlab.book import notebook_parameters
    nb = notebook_parameters(ROOT / "book" / "sharp_minima.ipynb")
    assert list(ex.PARAMS.defaults()) == list(nb)
    import ast
    assert ex.PARAMS.defaults() == {k: ast.literal_eval(v) for k, v in nb.items()}


@pytest.mark.parametrize("param", list(ex.PARAMS), ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}"):
            ex.PARAMS.validate(**{param.name: bad})


def test_stream_plan_blocks_disjoint_at_the_largest_sizes():
    P = ex.PARAMS.validate(n_runs=10**6, steps=2000, seed=2**63)
    S = ex.stream_plan(P)
    assert S.overlaps() == []
    assert set(S.blocks) == {"fig3", "sweep", "transverse", "explorer"}  # + the page's explorer
    assert S.blocks["fig3"][1] == 10**6 and S.blocks["sweep"][1] == ex.N_SWEEP_MAX
    # at the defaults the Fig. 3 runs keep their streams 32.. (transverse at 0)
    S0 = ex.stream_plan(ex.PARAMS.validate())
    assert S0.overlaps() == [] and S0["transverse"] == 0


@pytest.mark.parametrize("lr", [0.01, 0.03, 0.05, 0.0732, 0.1, 0.16])
def test_d3_b_minimises_the_product_not_r_minus(lr):
    # D.3 says b = 1/lr - 6 minimises r_t "for both cases": it minimises r(+1) and r(+1) r(-1)
    # (numerically, no algebra) but r(-1) = 1 + 2lr + b lr increases with b >= 0.
    b0 = th.default_b(lr)
    assert th.best_b_numeric(lr) == pytest.approx(b0, abs=1e-6)
    bs = np.linspace(0.0, 3 * b0, 301)
    rp = np.array([th.proof_r(lr, b)[0] for b in bs])
    rm = np.array([th.proof_r(lr, b)[1] for b in bs])
    assert bs[np.argmin(rp)] == pytest.approx(b0, abs=bs[1])
    assert np.all(np.diff(rm) > 0)
    np.testing.assert_allclose(rm, 1 + 2 * lr + bs * lr, rtol=1e-14)
    # with the minimising b, the exponent is the corrected one: no b > 0 does better
    assert min(th.proof_mu(lr, b) for b in bs[1:]) >= th.proof_mu(lr) - 1e-12


def test_flat_minimum_factors():
    # the per-step factors of w1 at a flat minimum (w1^2 = 1/2, w2 = 0), b = 1/lr - 6
    for lr in (0.02, 0.05, 0.1):
        fp, fm = th.flat_factors(lr)
        assert fp == pytest.approx(8 * lr - 2 * lr) and fm == pytest.approx(2 - 4 * lr - 2 * lr)
        g1p = th.grad(1 / math.sqrt(2), 0.0, 0.5, th.default_b(lr), x=1.0)[0]
        assert 1 - lr * g1p * math.sqrt(2) == pytest.approx(fp)
    fp, fm = th.flat_factors(0.05)
    assert fp == pytest.approx(0.3) and fm == pytest.approx(1.7) and 0.5 * math.log(fp * fm) < 0


# ----------------------------------------------------------------------------- agreement table, figures

def _small_chapter(seed=0):
    pair = ex.run_pair(0.5, 0.05, None, 200, 2000, seed)
    lrs = [0.03, 0.06, 0.1, 0.14]
    sw = ex.lr_sweep(0.5, lrs, 100, 2000, seed)
    tr = ex.transverse_exponent(0.5, lrs, n_runs=8, steps=4000, burn_in=500, seed=seed)
    return pair, sw, tr


def test_agreement_table_passes_and_can_fail():
    pair, sw, tr = _small_chapter()
    rows = ex.agreement(pair, sw, tr)
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]]
    # a "SGD" that behaves like GD (ends at the flat minima) must fail the Prop. 4 rows
    pair.sgd = pair.gd
    rows = ex.agreement(pair, sw, tr)
    failed = {r["check"] for r in rows if not r["passed"]}
    assert any(c.startswith("SGD: runs with |w1|") for c in failed)
    assert any(c.startswith("SGD: fraction at a sharp") for c in failed)


def test_figures_and_explorer_draw(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sgdlab.chapters.sharp_minima import plots as pl
    from sgdlab.chapters.sharp_minima import explorer as wd
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    pair, sw, tr = _small_chapter(seed=1)
    figs = [pl.landscape(0.5), *pl.fig3(pair), pl.proof_exponent(th.lr_bound()),
            *pl.sweep(sw, tr, th.lr_bound(), lr_c=ex.crossing(tr["lr"], tr["lam"]), lr_mark=0.05)]
    for fig in figs:
        fig.canvas.draw()          # renders the mathtext labels (catches parse errors)
        assert fig.get_figwidth() <= 6.7 + 1e-9      # the book's content column
        assert all(len(f.axes) <= 3 for f in [fig])  # at most two panels (+ a colour bar) per figure
    # the headline panel labels the runs at each minimum: SGD's count at the sharp minima is visible
    texts = [t.get_text() for t in figs[2].axes[0].texts]
    assert sum(int(t) for t in texts) >= 190
    fig, update, n = pl.scrubber_frames(pair)
    update(n - 1)
    fig.canvas.draw()
    assert wd.draw(0.5, 0.05, True, 14.0, 100, n_runs=100) is not None
    assert wd.draw(0.5, 0.2, True, 14.0, 100, n_runs=100) is None      # b = 1/0.2 - 6 < 0: message, no crash
    box = wd.explorer(steps=100, n_runs=100)
    assert len(box.children) == 3
    # valid values off the controls' ranges extend them (never clipped)
    box = wd.explorer(a=0.01, lr=0.5, b=80.0, steps=123, n_runs=50)
    wa, wlr = box.children[0].children
    wauto, wb, wsteps = box.children[1].children
    assert (wa.value, wlr.value, wb.value, wsteps.value) == (0.01, 0.5, 80.0, 123)
    plt.close("all")


def test_errata_have_their_paragraphs_in_the_notebook():
    import json
    from sgdlab.chapters import sharp_minima
    text = "\n".join("".join(c["source"]) for c in json.load(open(ROOT / "book" / "sharp_minima.ipynb"))["cells"]
                     if c["cell_type"] == "markdown")
    labels = [e["label"] for e in sharp_minima.ERRATA]
    assert len(set(labels)) == len(labels) >= 4
    for e in sharp_minima.ERRATA:
        assert set(e) == {"paper", "location", "printed", "correct", "label"}
        assert f"\n({e['label']})=\n" in text
