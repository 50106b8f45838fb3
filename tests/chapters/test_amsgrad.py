"""Tests of the AMSGrad chapter: theory numbers, the core's Adam/AMSGrad step by step against a NumPy
replay, and the chapter's experiment functions against the theory.

Statistical checks use fixed seeds and Z_TOL = 4.5 standard errors (conftest): two-sided p = 6.8e-6,
so a correct implementation fails a given check less than once in 1e5 runs.
"""
from pathlib import Path

import numpy as np
import pytest

import sgdlab
from sgdlab.chapters.amsgrad import experiments as ex
from sgdlab.chapters.amsgrad import theory as th
from sgdlab import quadratic as q
from tolerances import Z_TOL


# ------------------------------------------------------------------ theory against the paper's numbers
def test_eq109_interval_matches_eq8_numbers():
    # spec: for a = -1 the Eq. 8 interval is 0.5 <= lr <= 1.2808; Eq. 109 is the same in lr'.
    lo, hi = th.lr_eff_interval(-1.0)
    assert lo == pytest.approx(0.5, abs=1e-12)
    assert hi == pytest.approx(1.2808, abs=1e-4)
    lo, hi = th.lr_eff_interval(-0.1)
    # endpoints are zeros of mu (Eq. 108 with equality)
    assert abs(float(th.mu_eff(-0.1, lo))) < 1e-12 and abs(float(th.mu_eff(-0.1, hi))) < 1e-12
    assert float(th.mu_eff(-0.1, 0.5 * (lo + hi))) < 0
    with pytest.raises(ValueError, match="a:"):
        th.lr_eff_interval(0.2)


def test_vhat_bound_and_threshold():
    # |x| <= 1 - a for a < 0: (1 - a)^2 = 1.21 at a = -0.1 (the paper's 1 + a = 0.9 is too small).
    assert th.vhat_bound(-0.1) == pytest.approx(1.21)
    c = th.vhat_threshold(-0.1, 0.2)
    _, hi = th.lr_eff_interval(-0.1)
    assert 0.2 / np.sqrt(c) == pytest.approx(hi)


def test_gd_closed_form_against_core():
    # GD with projection is deterministic: the core must reproduce min(1, |w0| r^t) to rounding.
    w0 = ex.initial_points(300, 3)
    t = [0, 10, 100, 1000, 5000]
    res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(-0.1), lr=0.01, steps=5000, w0=w0,
                          optimizer="gd", project=sgdlab.Interval(-1, 1), snapshots=t)
    exact = th.gd_abs_path(-0.1, 0.01, t, w0)
    assert np.max(np.abs(np.abs(res.snapshots) - exact)) < 1e-11
    # E min(1, U R) = 1 - 1/(2R): check against the exact path averaged over a fine grid of U.
    u = (np.arange(200000) + 0.5) / 200000
    for tt in (10, 1000, 5000):
        assert np.mean(th.gd_abs_path(-0.1, 0.01, tt, u)) == pytest.approx(float(th.gd_mean_abs_uniform(-0.1, 0.01, tt)), abs=1e-6)


# ------------------------------------------------------------------ core Adam / AMSGrad step by step
# The core returns the optimizer state (m, v, vhat) only at the end of a run, but run r's random stream
# does not depend on `steps` (tested bit for bit below and in test_vhat_paths_are_prefixes_of_the_long_runs),
# so `simulate(steps=t)` for t = 1..T gives the core's full state (w_t, m_t, v_t, vhat_t) after every
# step. Each step is then checked on its own: starting from the core's state at t - 1, one step of
# Eq. 13-16 in NumPy (th.adam_step) with one of the two possible data draws x in {1, a - 1} must
# reproduce the core's state at t EXACTLY (bit for bit: the core evaluates the same expressions in the
# same order, built with -ffp-contract=off, and sqrt is correctly rounded). So any deviation of the
# core's Adam/AMSGrad from Eq. 13-16 (bias correction, eps inside the root, the Eq. 13 typo, a missing
# max, a different projection, a state that is not carried over) fails at the first step where it
# changes a single bit of the state.
#
# (An earlier version inferred the draws from w_t alone and followed every consistent hypothesis. That
# is ambiguous whenever both draws give the same w: at the boundary, where the projection absorbs both
# steps while m and v keep diverging, and near w = 0 -- hypotheses multiplied without bound. With the
# full state the draw is determined whenever w_{t-1} != 0, and when w_{t-1} = 0 both draws give the same
# state, so no hypothesis set is needed at all.)
def _core_states(opt, beta1, eps, lr, box, *, a, beta2, steps, w0, seed):
    """The core's (w, m, v, vhat) after every step, each an array (n_runs, steps + 1); state 0 is (w0, 0, 0, 0)."""
    n = len(w0)
    W = [np.asarray(w0, float)]
    M, V, VH = [np.zeros(n)], [np.zeros(n)], [np.zeros(n)]
    kw = dict(data=sgdlab.TwoPoint(a), lr=lr, w0=w0, optimizer=opt, beta1=beta1, beta2=beta2, eps=eps,
              project=sgdlab.Interval(-box, box), seed=seed)
    for t in range(1, steps + 1):
        res = sgdlab.simulate("quadratic", steps=t, **kw)
        W.append(res.final); M.append(res.opt_state["m"]); V.append(res.opt_state["v"])
        VH.append(res.opt_state["vhat"])
    full = sgdlab.simulate("quadratic", steps=steps, n_trajectories=n, thin=1, **kw)
    states = tuple(np.array(z).T for z in (W, M, V, VH))
    # prefix property: the finals of the short runs are the trajectory of the long one, bit for bit
    assert np.array_equal(states[0], full.trajectories), "run r's stream depends on `steps`"
    return states


def _check_steps(states, step, *, a):
    """One-step check of every (run, step). step(w, m, v, vh, g) -> (w, m, v, vh) is the reference update.

    Returns (bad, draws): bad[r, t-1] is True where neither draw reproduces the core's state at t from
    its state at t-1; draws[r, t-1] is +1 (x = 1), -1 (x = a - 1) or 0 (both draws give the same state,
    i.e. the draw is not observable, e.g. w_{t-1} = 0)."""
    W, M, V, VH = states
    prev = tuple(z[:, :-1] for z in states)
    nxt = tuple(z[:, 1:] for z in states)
    match = []
    for x in (1.0, a - 1.0):
        cand = step(*prev, x * prev[0])
        match.append(np.all([np.asarray(c) == z for c, z in zip(cand, nxt)], axis=0))
    bad = ~(match[0] | match[1])
    draws = np.where(match[0] & ~match[1], 1, np.where(match[1] & ~match[0], -1, 0))
    return bad, draws


# Includes the chapter's own settings (lr = 0.2, beta1 = 0.9, w in [-1, 1]), where runs sit on the
# boundary for long stretches, small lr (many interior steps), eps > 0, and an inactive projection.
STEP_CASES = [("amsgrad", 0.0, 0.0, 0.2, 1.0), ("adam", 0.0, 0.0, 0.2, 1.0), ("amsgrad", 0.0, 1e-3, 0.2, 1.0),
              ("amsgrad", 0.9, 0.0, 0.2, 1.0), ("adam", 0.9, 0.0, 0.2, 1.0),
              ("amsgrad", 0.9, 0.0, 0.02, 1.0), ("adam", 0.9, 0.0, 0.02, 1.0), ("adam", 0.9, 1e-3, 0.02, 1.0),
              ("amsgrad", 0.9, 0.0, 0.2, 1e3), ("adam", 0.9, 0.0, 0.2, 1e3)]
STEP_A, STEP_BETA2, STEP_T, STEP_N = -0.1, 0.99, 400, 40


def _step_fn(opt, beta1, eps, lr, box, beta2=STEP_BETA2):
    return lambda w, m, v, vh, g: th.adam_step(w, m, v, vh, g, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                               amsgrad=(opt == "amsgrad"), lo=-box, hi=box)


@pytest.mark.parametrize("opt,beta1,eps,lr,box", STEP_CASES)
def test_core_adam_amsgrad_step_by_step(opt, beta1, eps, lr, box):
    a = STEP_A
    states = _core_states(opt, beta1, eps, lr, box, a=a, beta2=STEP_BETA2, steps=STEP_T,
                          w0=ex.initial_points(STEP_N, 11), seed=5)
    bad, draws = _check_steps(states, _step_fn(opt, beta1, eps, lr, box), a=a)
    if bad.any():
        r, t = np.argwhere(bad)[0]
        raise AssertionError(f"{bad.sum()} of {bad.size} steps deviate from Eq. 13-16; first: run {r}, "
                             f"step {t + 1}, core state {[float(z[r, t + 1]) for z in states]} from "
                             f"{[float(z[r, t]) for z in states]}")
    W, M, V, VH = states
    if opt == "adam":
        assert np.array_equal(VH, V)
    else:
        assert np.all(np.diff(VH, axis=1) >= 0) and np.all(VH >= V)
    # The observable draws must be a fair coin: whether a draw is observable depends only on the state
    # before it, so the selected draws are still i.i.d. Bernoulli(1/2); z of the count, |z| < Z_TOL.
    obs = draws != 0
    k, N = int((draws == 1).sum()), int(obs.sum())
    assert N > 0.3 * draws.size
    assert abs(k - N / 2) / np.sqrt(N / 4) < Z_TOL


WRONG = ["eq13_typo", "bias_correction", "eps_1e-8", "adam_for_amsgrad", "beta2_off_by_1e-9", "wider_box"]


@pytest.mark.parametrize("wrong", WRONG)
def test_step_check_detects_deviations_from_eq13_16(wrong):
    # The step-by-step check must be able to fail: a reference that deviates from Eq. 13-16 in a small
    # way must be rejected on the core's AMSGrad runs at the chapter's settings, and the right one not.
    opt, beta1, eps, lr, box = "amsgrad", 0.9, 0.0, 0.2, 1.0
    b2 = STEP_BETA2
    states = _core_states(opt, beta1, eps, lr, box, a=STEP_A, beta2=b2, steps=60,
                          w0=ex.initial_points(10, 11), seed=5)
    right = _step_fn(opt, beta1, eps, lr, box)
    t = np.arange(1, 61)[None, :]       # step number of each column of the one-step check

    def typo(w, m, v, vh, g):           # the paper's Eq. 13 as printed: m_t = b1 v_{t-1} + (1 - b1) g_t
        return right(w, v, v, vh, g)

    def biascorr(w, m, v, vh, g):       # Kingma & Ba's bias correction (not in the paper's Eq. 13-16)
        m2 = beta1 * m + (1 - beta1) * g
        v2 = b2 * v + (1 - b2) * g * g
        vh2 = np.maximum(vh, v2)
        d = (m2 / (1 - beta1 ** t)) / np.sqrt(vh2 / (1 - b2 ** t))
        return np.clip(w - lr * d, -box, box), m2, v2, vh2

    fns = {"eq13_typo": typo, "bias_correction": biascorr,
           "eps_1e-8": _step_fn(opt, beta1, 1e-8, lr, box),
           "adam_for_amsgrad": _step_fn("adam", beta1, eps, lr, box),
           "beta2_off_by_1e-9": _step_fn(opt, beta1, eps, lr, box, beta2=b2 + 1e-9),
           "wider_box": _step_fn(opt, beta1, eps, lr, box * (1 + 1e-9))}
    with np.errstate(all="ignore"):
        bad, _ = _check_steps(states, fns[wrong], a=STEP_A)
    assert bad.any(), wrong
    bad, _ = _check_steps(states, right, a=STEP_A)
    assert not bad.any()


# ------------------------------------------------------------------ experiments against theory
def test_momentum_rate_reduces_to_mu_without_momentum():
    # At beta1 = 0 the eps-trick momentum SGD is SGD at lr': each run's rate is a mean of t2 - t1 i.i.d.
    # terms ln|1 - lr' x|, so the run average has SE s(lr') / sqrt(n (t2 - t1)) exactly.
    lrs = [0.1, 0.3, 0.5, 1.3]
    m = ex.momentum_rate(-0.1, 0.0, lrs, n_runs=400, t1=50, t2=350, seed=21)
    se = th.log_step_sd(-0.1, np.array(lrs)) / np.sqrt(400 * 300)
    z = (m["rate"] - q.mu(-0.1, np.array(lrs))) / se
    assert np.all(np.abs(z) < Z_TOL), z
    assert np.all(m["n_zero"] == 0)


def test_frozen_amsgrad_lr_eff_inside_eq109_and_converges():
    # Prop. 5 (beta1 = 0): vhat freezes with lr' = lr / sqrt(vhat) inside Eq. 109, then w -> 0. At a finite
    # T a few runs may still be near an edge (seed 1 has one at T = 20000 with lr' = 1.398 just above
    # 1.3946, |w_T| = 1e-6): those are undetermined; runs with a clear drift must be decided correctly.
    a, lr = -0.1, 0.2
    w0 = ex.initial_points(400, 1)
    r = ex.run_optimizer("amsgrad", 0.0, a=a, lr=lr, beta2=0.999, steps=20000, w0=w0, seed=1)
    lo, hi = th.lr_eff_interval(a)
    (row,) = ex.prop5_rows(r, a, "test")
    assert row["passed"], row
    mu = th.mu_eff(a, r.lr_eff)
    mu_in, _ = ex.prop5_margins(a, r.lr_eff, 20000)
    assert np.mean(mu < mu_in) > 0.9                       # almost every run is decided (inside)
    # vhat <= (1 - a)^2 (corrected Eq. 98) keeps lr' >= lr / (1 - a), which is above the lower edge here
    assert lr / (1 - a) >= lo and np.all(r.lr_eff >= lr / (1 - a) * (1 - 1e-12))
    inside = (r.lr_eff >= lo) & (r.lr_eff <= hi)
    assert np.all(r.vhat[inside] >= th.vhat_threshold(a, lr) * (1 - 1e-12))
    # GD from the same start escapes to the boundary
    g = ex.run_optimizer("gd", 0.0, a=a, lr=0.01, beta2=0.999, steps=20000, w0=w0, seed=1)
    assert np.all(np.abs(g.final) == 1.0)


def test_agreement_passes_at_reduced_size_and_detects_a_wrong_theory():
    a, lr, beta2, gd_lr, seed = -0.1, 0.2, 0.999, 0.01, 0
    runs = ex.fig4_runs(a, lr, beta2, 400, 20000, gd_lr, seed)
    paths = ex.vhat_paths(a, lr, beta2, 50, seed, t_max=5000, n_t=10)
    mom9 = ex.momentum_rate(a, 0.9, np.linspace(0.02, 1.0, 50), seed=1, n_runs=500)
    mom0 = ex.momentum_rate(a, 0.0, [0.1, 0.3, 0.5], t1=100, t2=600, seed=2, n_runs=500)
    rows = ex.agreement(runs, a, lr, beta2, gd_lr, paths, mom0, mom9)
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]]
    # a wrong momentum curve (shifted by 6 SE of the comparison) must fail the momentum row
    bad = dict(mom9, rate=mom9["rate"] + 0.002)
    rows = ex.agreement(runs, a, lr, beta2, gd_lr, paths, mom0, bad)
    assert not [r for r in rows if "momentum-SGD rate at the final" in r["check"]][0]["passed"]
    # an Adam that converged (its late log-rates shifted by the AMSGrad-with-momentum rate) must fail
    # the stationarity row: shift w_T by exp(rate * T/2) run by run
    runs2 = dict(runs)
    r9 = runs["adam_0.9"]
    shrink = np.exp(-0.003 * (r9.t[-1] - r9.t[int(np.searchsorted(r9.t, r9.t[-1] * 0.5))]))
    snaps = r9.snapshots.copy(); snaps[:, -1] *= shrink
    runs2["adam_0.9"] = ex.OptRun(**{**r9.__dict__, "snapshots": snaps})
    rows = ex.agreement(runs2, a, lr, beta2, gd_lr, paths, mom0, mom9)
    assert not [r for r in rows if r["check"].startswith("Adam, β1 = 0.9: late growth")][0]["passed"]


@pytest.mark.parametrize("kw,name", [(dict(a=0.1), "a"), (dict(lr=0.0), "lr"), (dict(beta2=1.0), "beta2"),
                                     (dict(n_runs=1), "n_runs"), (dict(steps=2.5), "steps"),
                                     (dict(gd_lr=-1), "gd_lr"), (dict(seed=-1), "seed"),
                                     (dict(n_runs=10 ** 6, steps=10 ** 6), "n_runs")])
def test_validation_names_the_parameter(kw, name):
    args = dict(a=-0.1, lr=0.2, beta2=0.999, n_runs=2000, steps=50000, gd_lr=0.01, seed=0)
    args.update(kw)
    with pytest.raises(ValueError, match=f"^{name}:"):
        ex.PARAMS.validate(**args)


def test_validation_accepts_papermill_strings_and_integral_floats():
    P = ex.PARAMS.validate(a="-0.1", lr="0.2", beta2="0.999", n_runs="2000", steps=5e4, gd_lr="0.01", seed="3")
    assert P["a"] == -0.1 and P["n_runs"] == 2000 and P["steps"] == 50000 and P["seed"] == 3
    assert isinstance(P["steps"], int)


def test_figures_scrubber_and_explorer_draw(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sgdlab.chapters.amsgrad import plots as pl
    from sgdlab.chapters.amsgrad import explorer as wd
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    a, lr, beta2, gd_lr, seed = -0.1, 0.2, 0.999, 0.01, 3
    runs = ex.fig4_runs(a, lr, beta2, 60, 2000, gd_lr, seed)
    paths = ex.vhat_paths(a, lr, beta2, 10, seed, t_max=500, n_t=6)
    mom9 = ex.momentum_rate(a, 0.9, [0.1, 0.4, 0.8], n_runs=50, t1=50, t2=300, seed=1)
    figs = [pl.fig4(runs, a, gd_lr), pl.log_quantiles(runs), pl.vhat_paths(paths, a, lr), pl.phase(runs, a),
            pl.rates(runs, a, mom9), pl.final_distribution(runs, ["amsgrad_0.0", "adam_0.0"]),
            pl.final_distribution(runs, ["gd"]),
            pl.eps_panel(ex.eps_sweep(a, lr, beta2, 30, 500, seed, eps_values=(0.0, 4.0)), a)]
    for fig in figs:
        fig.canvas.draw()
        assert fig.get_figwidth() <= 6.7 + 1e-9
        assert len([x for x in fig.axes if x.get_label() != "<colorbar>"]) <= 2
    html = pl.scrubber(runs, n_frames=5).data
    assert "<script" in html and "animation" in html.lower()
    for opt in wd.OPTIMIZERS:
        r = wd.draw(a, lr, 0.9, beta2, 0.0, opt, steps=500, n_runs=20)
        assert r is not None and np.all(np.isfinite(r.mean_abs))
    assert wd.draw(0.5, lr, 0.0, beta2, 0.0, "adam", steps=500, n_runs=20) is None   # bad a: message, no run
    box = wd.explorer(steps=300, n_runs=10)
    assert len(box.children) == 2
    # valid values off the controls' ranges extend them (never clipped)
    box = wd.explorer(a=-3.0, lr=5.0, beta1=0.995, beta2=0.95, eps=2.5, steps=300, n_runs=10)
    (w_opt, w_a, w_lr), (w_b1, w_b2, w_eps) = [v.children for v in box.children[0].children]
    assert (w_a.value, w_b1.value, w_b2.value, w_eps.value) == (-3.0, 0.995, 0.95, 2.5)
    assert w_lr.value == pytest.approx(5.0)
    assert wd.draw(-0.1, lr, 1.0, beta2, 0.0, "adam", steps=500, n_runs=20) is None  # beta1 = 1: message
    plt.close("all")


def test_eps_rows_pass_and_need_eps_in_lr_eff():
    # AMSGrad with eps: Prop. 5 run by run with lr' = lr / (sqrt(vhat_T) + eps). For eps = 4, lr / eps = 0.05
    # is below the Eq. 109 interval: no run may be at the maximum. Taking lr' = lr / sqrt(vhat_T) (eps
    # forgotten) must make the rows fail.
    a = -0.1
    sweep = ex.eps_sweep(a, 0.2, 0.999, 200, 10000, 4, eps_values=(0.0, 0.1, 4.0))
    rows = ex.eps_rows(sweep, a)
    assert len(rows) == 4 and all(r["passed"] for r in rows), rows
    r4 = sweep[4.0]
    assert r4.lr_eff.max() <= 0.05 and np.all(np.abs(r4.final) > 1e-10)
    forgot = {4.0: ex.OptRun(**{**r4.__dict__, "eps": 0.0}), 0.1: ex.OptRun(**{**sweep[0.1].__dict__, "eps": 0.0})}
    assert not any(r["passed"] for r in ex.eps_rows(forgot, a))


def test_prop5_margins():
    # mu_in: 4.5 SD below the walk's mean still reaches ln(1e-10) from 0 in T/2 steps; mu_out: Brownian
    # bound exp(-2 mu b / s^2) = 1e-6 exactly at the threshold.
    le = np.array([0.3, 1.2])
    mu_in, mu_out = ex.prop5_margins(-0.1, le, 20000)
    s = th.log_step_sd(-0.1, le)
    b = np.log(1e10)
    assert np.allclose(mu_in * 10000 + 4.5 * s * 100, -b)
    assert np.allclose(np.exp(-2 * mu_out * b / s ** 2), 1e-6)


# ------------------------------------------------------------------ kit contract, errata

ROOT = Path(__file__).resolve().parents[2]


def test_params_match_the_notebook():
    import ast
    from sgdlab.book import notebook_parameters
    nb = notebook_parameters(ROOT / "book" / "amsgrad.ipynb")
    assert list(ex.PARAMS.defaults()) == list(nb)
    assert ex.PARAMS.defaults() == {k: ast.literal_eval(v) for k, v in nb.items()}


@pytest.mark.parametrize("param", [*ex.PARAMS, ex.BETA1, ex.EPS], ids=lambda p: p.name)
def test_invalid_values_name_the_parameter(param):
    for bad in param.invalid_values():
        with pytest.raises(ValueError, match=rf"^{param.name}"):
            if param.name in ex.PARAMS.params:
                ex.PARAMS.validate(**{param.name: bad})
            else:
                param.check(bad)


def test_stream_plan_blocks_disjoint_at_the_largest_sizes():
    P = ex.PARAMS.validate(n_runs=10**7, steps=10, seed=2**63 - 1)
    S = ex.stream_plan(P)
    assert S.overlaps() == [] and S.blocks["fig4"] == (0, 10**7)
    assert S.blocks["momentum_0.9"][1] == ex.N_MOM * len(ex.MOM9_GRID)
    S0 = ex.stream_plan(ex.PARAMS.validate())
    assert S0.overlaps() == [] and S0["fig4"] == 0          # Fig. 4 keeps its streams at the defaults


def test_momentum_rate_uses_its_block():
    # the k-th lr' of a block starting at s uses streams s + k n .. s + (k + 1) n - 1
    m1 = ex.momentum_rate(-0.1, 0.9, [0.2, 0.4], n_runs=20, t1=10, t2=60, seed=0, stream_offset=20)
    m2 = ex.momentum_rate(-0.1, 0.9, [0.3, 0.2, 0.4], n_runs=20, t1=10, t2=60, seed=0, stream_offset=0)
    assert m1["rate"][0] == m2["rate"][1] and m1["rate"][1] == m2["rate"][2]     # same streams, same lr'
    m3 = ex.momentum_rate(-0.1, 0.9, [0.2], n_runs=20, t1=10, t2=60, seed=0, stream_offset=0)
    assert m3["rate"][0] != m1["rate"][0] and m1["n_diverged"] == 0             # other streams


def test_eq109_endpoints_are_not_absorbing():
    # at both ends of Eq. 109 the drift mu is 0 while the log step s.d. is > 0: ln|w| is a driftless walk,
    # P(|w_t| > eps) -> 1/2, no convergence in probability: the interval is open
    for a in (-0.1, -0.5, -1.0, -4.0):
        lo, hi = th.lr_eff_interval(a)
        for edge in (lo, hi):
            assert abs(float(th.mu_eff(a, edge))) < 1e-12
            assert float(th.log_step_sd(a, edge)) > 0.05
    assert float(th.log_step_sd(-1.0, 0.5)) == pytest.approx(np.log(2))     # the errata example: s = ln 2


def test_prop5_lower_edge_secured_when_minus_lr_below_a():
    # vhat <= (1 - a)^2 gives lr' >= lr / (1 - a), above a / (a - 1) exactly when a > -lr
    for a, lr in [(-0.1, 0.2), (-0.5, 0.6), (-0.05, 0.06)]:
        lo, _ = th.lr_eff_interval(a)
        assert lr / (1 - a) > lo
    a, lr = -0.5, 0.3                      # a < -lr: the argument gives nothing
    assert lr / (1 - a) < th.lr_eff_interval(a)[0]


def test_errata_have_their_paragraphs_in_the_notebook():
    import json
    from sgdlab.chapters import amsgrad
    text = "\n".join("".join(c["source"]) for c in json.load(open(ROOT / "book" / "amsgrad.ipynb"))["cells"]
                     if c["cell_type"] == "markdown")
    labels = [e["label"] for e in amsgrad.ERRATA]
    assert len(set(labels)) == len(labels) >= 6
    for e in amsgrad.ERRATA:
        assert set(e) == {"paper", "location", "printed", "correct", "label"}
        assert f"\n({e['label']})=\n" in text


def test_exact_zeros_depend_on_the_order_of_operations_not_the_tiny_fraction():
    # the "runs exactly 0" count is a property of subnormal rounding: two algebraically equal update orders
    # give very different counts, while every run is below 1e-300 under both
    d = ex.underflow_demo(-0.1, 0.2, 1.3, n_runs=500, steps=3000)
    fz = sorted(v["frac_zero"] for v in d.values())
    assert all(v["frac_tiny"] == 1.0 for v in d.values())
    assert fz[0] < 0.5 and fz[1] > 0.9
