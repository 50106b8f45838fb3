"""Simulations of the escape-rate chapter (Ziyin, Li & Ueda §5.2, §6.2, A.2): all steps run in the core.

Every learning rate of every curve gets its own block of random streams (`stream_offset`), so all
points are statistically independent: the scatter of a simulated curve around the theory is honest
sampling noise, not one shared random number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import sgdlab
from sgdlab.chapters.saddle_escape import theory as th
from sgdlab.params import integer as _integer, maybe_list as _maybe_list, number as _number
from sgdlab.chapters._kit import Param, Params, Rows, Streams, fmt

__all__ = ["LAWS", "PARAMS", "stream_plan", "BATCH_SIZES", "make_data", "theory_curve", "RateCurve",
           "escape_rate_curve", "gd_rate_core", "eq85_table"]

LAWS = ("two-point", "gaussian")


def validate_lrs(lrs, name="lrs"):
    lrs = _maybe_list(name, lrs)
    if not isinstance(lrs, (list, tuple, np.ndarray)) or len(lrs) < 3:
        raise ValueError(f"{name}: must be a list of at least 3 learning rates, got {lrs!r}")
    arr = np.array([_number(name, v) for v in lrs])
    if np.any(arr <= 0) or np.any(arr >= 1):
        raise ValueError(f"{name}: every learning rate must lie in the open interval (0, 1) "
                         "(gamma = mu only for lr < 1, and mu(1) = -inf)")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name}: must be strictly increasing")
    return arr


DEFAULT_LRS = [round(0.01 * k, 2) for k in range(1, 100)]

# Two-point runs from w0 = 1 keep |ln|w_t|| <= `theory.log_growth_bound`; holding that below LOG_W_MAX keeps
# w_t inside the double range (|ln| < 700), so the core never flags a spurious divergence/underflow.
LOG_W_MAX = 650
TOO_MANY_STEPS = ("steps: {steps} steps would take |w_t| beyond the double range (|ln w_t| up to {worst:.0f}); "
                  "use fewer steps or keep lrs away from 1")


def _extra(v):
    """Cross-parameter checks: lrs increasing (>= 3 points), a_values distinct, the double range, the budget."""
    lrs = validate_lrs(v["lrs"])
    av = [float(x) for x in v["a_values"]]
    if len(set(av)) != len(av):
        raise ValueError(f"a_values: values must be distinct, got {v['a_values']!r}")
    worst = th.log_growth_bound(min(av + [v["a"]]), lrs, v["steps"])
    if worst > LOG_W_MAX:
        raise ValueError(TOO_MANY_STEPS.format(steps=v["steps"], worst=worst))
    if len(lrs) * (len(av) + 1) * v["n_runs"] * v["steps"] > 3e9:
        raise ValueError("n_runs: n_runs * steps * len(lrs) * (len(a_values) + 1) exceeds 3e9 updates")
    return dict(a_values=av, lrs=lrs)


PARAMS = Params(
    Param("a", -1.0, "float", "curvature parameter of the main curve: x ∈ {1, a − 1}, E x = a/2",
          hi=0.0, hi_open=True, why="w = 0 is a maximum of the expected loss only for a < 0"),
    Param("a_values", [-0.1, -0.25, -0.5, -1.0, -2.0], "list", "values of a for the family of curves "
          "(the paper's Fig. 2 right); distinct", hi=0.0, hi_open=True),
    Param("lrs", DEFAULT_LRS, "list", "learning-rate grid (default 0.01, 0.02, …, 0.99): at least 3 points, "
          "strictly increasing", lo=0.0, hi=1.0, lo_open=True, hi_open=True,
          why="γ = μ only for λ < 1, and μ(1) = −∞"),
    Param("n_runs", 2000, "int", "independent runs per learning rate (paper: 2000)", lo=2, hi=10**6),
    Param("steps", 50, "int", "steps per run (paper, Section 6.2: the first 50 steps)", lo=1, hi=10**4),
    Param("seed", 0, "int", "seed of the core's random streams", lo=0, hi=2**63 - 1),
    extra=_extra)

BATCH_SIZES = (1, 4, 16)


def params_table_html():
    """The kit's parameter table, with the 99-point default grid of `lrs` written as a range."""
    html = PARAMS.table_html()
    return html.replace(repr(DEFAULT_LRS), "0.01, 0.02, …, 0.99 (99 values)")


def stream_plan(P):
    """Disjoint blocks of random streams: one block of len(lrs) * n_runs streams per simulated curve.

    The offsets the book always used are kept where they are free (main curve at 0, family curve k at
    (1 + k) blocks, the batch/Gaussian curves from block 100 on); with 99 or more values of a_values
    the family used to run into the batch curves' streams, and such blocks now move."""
    S = Streams()
    n = len(P["lrs"]) * P["n_runs"]
    S.take("main", n, at=0)
    for k in range(len(P["a_values"])):
        S.take(f"family_{k}", n, at=(1 + k) * n)
    for k, B in enumerate(BATCH_SIZES):
        S.take(f"two_point_B{B}", n, at=(100 + 2 * k) * n)
        S.take(f"gaussian_B{B}", n, at=(100 + 2 * k + 1) * n)
    from . import web   # the page's kernel-free explorer: its own block, after all others
    S.take("explorer", web.n_streams(P))
    return S


def make_data(a, law="two-point", batch_size=1):
    """(DataLaw, batch_size for simulate, description) for the chapter's data laws.

    "two-point": x in {1, a - 1} w.p. 1/2, averaged over `batch_size` draws in the core.
    "gaussian": x ~ N(a/2, (2 - a)^2 / (4 B)), the Gaussian with the batch-B two-point mean and
    variance (App. B.2's large-batch model), one draw per step.
    """
    if law not in LAWS:
        raise ValueError(f"law: must be one of {LAWS}, got {law!r}")
    batch_size = _integer("batch_size", batch_size, 1)
    if law == "two-point":
        return sgdlab.TwoPoint(a), int(batch_size), f"two-point, B={batch_size}"
    m, s = th.gaussian_batch_law(a, batch_size)
    return sgdlab.GaussianData(m, s), 1, f"Gaussian N({m:g}, {s:.3g}^2)"


def theory_curve(a, lrs, law="two-point", batch_size=1):
    """Exact mu(lr) for the law: closed form (B = 1), binomial sum (B > 1) or Gaussian series."""
    lrs = np.asarray(lrs, float)
    if law == "two-point":
        return th.mu(a, lrs) if batch_size == 1 else th.mu_batch(a, lrs, batch_size)
    if law == "gaussian":
        return th.mu_gaussian_series(*th.gaussian_batch_law(a, batch_size), lrs)
    raise ValueError(f"law: must be one of {LAWS}, got {law!r}")


@dataclass
class RateCurve:
    """Simulated escape rate on a learning-rate grid (Eq. 9 estimator averaged over runs)."""
    a: float
    law: str
    batch_size: int
    lrs: np.ndarray
    steps: int
    n_runs: int
    gamma: np.ndarray        # mean over non-diverged runs of (1/t) sum ln|w_i/w_{i-1}|
    se: np.ndarray           # sample standard error of that mean
    n_diverged: np.ndarray   # per lr
    running: np.ndarray | None = None     # (n_lr, steps + 1): mean of (1/t) ln|w_t/w_0| over runs; NaN at t = 0
    running_se: np.ndarray | None = None  # its sample standard error
    elapsed: float = 0.0
    meta: dict = field(default_factory=dict)


def escape_rate_curve(a, lrs, *, n_runs=2000, steps=50, seed=0, law="two-point", batch_size=1,
                      stream_base=0, running=False, w0=1.0):
    """Estimate gamma(lr) for each lr in `lrs` with `n_runs` runs of `steps` steps each.

    Learning rate i uses streams stream_base + i * n_runs + r (r < n_runs) of `seed`, so curves
    simulated with disjoint stream_base ranges are independent. With running=True every step is
    snapshotted to give the running estimate (1/t) ln|w_t/w_0| (Fig. 6); by telescoping it equals
    the Eq. 9 sum (1/t) sum_i ln|w_i/w_{i-1}| exactly.
    """
    a = _number("a", a)
    lrs = validate_lrs(lrs)
    n_runs = _integer("n_runs", n_runs, 2)
    steps = _integer("steps", steps, 1)
    data, B, desc = make_data(a, law, batch_size)
    if law == "two-point":
        worst = th.log_growth_bound(a, lrs, steps)
        if worst > LOG_W_MAX:
            raise ValueError(TOO_MANY_STEPS.format(steps=steps, worst=worst))
    n = len(lrs)
    gamma, se = np.full(n, np.nan), np.full(n, np.nan)
    ndiv = np.zeros(n, dtype=int)
    run_mean = np.full((n, steps + 1), np.nan) if running else None
    run_se = np.full((n, steps + 1), np.nan) if running else None
    t_idx = np.arange(1, steps + 1)
    elapsed = 0.0
    for i, lr in enumerate(lrs):
        res = sgdlab.simulate("quadratic", data=data, batch_size=B, lr=float(lr), steps=steps,
                              w0=w0, n_runs=n_runs, log_growth=True, max_abs=1e300, seed=seed,
                              stream_offset=stream_base + i * n_runs,
                              snapshots=np.arange(steps + 1) if running else None)
        elapsed += res.elapsed
        rate = res.escape_rate()[res.ok]
        ndiv[i] = res.n_diverged
        gamma[i] = rate.mean()
        se[i] = rate.std(ddof=1) / np.sqrt(rate.size)
        if running:
            snaps = res.snapshots[res.ok]
            with np.errstate(divide="ignore"):
                est = np.log(np.abs(snaps[:, 1:] / snaps[:, :1])) / t_idx
            run_mean[i, 1:] = est.mean(axis=0)
            run_se[i, 1:] = est.std(axis=0, ddof=1) / np.sqrt(est.shape[0])
    return RateCurve(a=a, law=law, batch_size=int(batch_size), lrs=lrs, steps=int(steps),
                     n_runs=int(n_runs), gamma=gamma, se=se, n_diverged=ndiv, running=run_mean,
                     running_se=run_se, elapsed=elapsed, meta=dict(data=desc, seed=seed,
                                                                   stream_base=stream_base))


def gd_rate_core(a, lrs, steps=50):
    """GD's rate (1/t) ln|w_t/w_0| measured in the core (optimizer="gd", exact expected gradient)."""
    a = _number("a", a)
    lrs = validate_lrs(lrs)
    out = np.empty(len(lrs))
    for i, lr in enumerate(lrs):
        res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), optimizer="gd", lr=float(lr),
                              steps=steps, w0=1.0, n_runs=1, log_growth=True)
        out[i] = res.escape_rate()[0]
    return out


def eq85_table(eps_values):
    """Prop. 3 / Eq. 85: for each eps, the largest |a| with gamma* <= eps, formula vs brute force."""
    rows = []
    for eps in eps_values:
        formula = float(th.max_abs_a_for_rate(eps))
        numeric = th.numerical_max_abs_a(eps)
        rows.append(dict(eps=float(eps), formula=formula, numeric=numeric,
                         rel_err=abs(formula - numeric) / numeric))
    return rows


# ----------------------------------------------------------------------------- chapter drivers

def family_curves(a_values, lrs, *, n_runs, steps, seed, first_block=1, streams=None):
    """gamma(lr) for each a in a_values; curve k uses stream block first_block + k (independent), or
    the block `streams[f"family_{k}"]` of a `stream_plan`."""
    n = len(lrs) * n_runs
    return [escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=seed,
                              stream_base=streams[f"family_{k}"] if streams is not None else (first_block + k) * n)
            for k, a in enumerate(a_values)]


def law_comparison(a, batch_sizes, lrs, *, n_runs, steps, seed, first_block=100, streams=None):
    """For each B: the two-point batch-B curve and the Gaussian N(a/2, (2-a)^2/(4B)) curve (stream blocks
    from first_block on, or `streams[f"two_point_B{B}"]`, `streams[f"gaussian_B{B}"]`)."""
    n = len(lrs) * n_runs
    two, gauss = [], []
    for k, B in enumerate(batch_sizes):
        b2 = streams[f"two_point_B{B}"] if streams is not None else (first_block + 2 * k) * n
        bg = streams[f"gaussian_B{B}"] if streams is not None else (first_block + 2 * k + 1) * n
        two.append(escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=seed, law="two-point",
                                     batch_size=B, stream_base=b2))
        gauss.append(escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=seed, law="gaussian",
                                       batch_size=B, stream_base=bg))
    return two, gauss


def turning_points(lrs, values):
    """Interior local maxima and minima of a curve sampled on a grid: (list of (lr, value), same)."""
    v = np.asarray(values, float)
    d = np.sign(np.diff(v))
    maxima = [(float(lrs[i + 1]), float(v[i + 1])) for i in range(len(d) - 1) if d[i] > 0 > d[i + 1]]
    minima = [(float(lrs[i + 1]), float(v[i + 1])) for i in range(len(d) - 1) if d[i] < 0 < d[i + 1]]
    return maxima, minima


def _argmax_check(curve, se_theory, z):
    a = curve.a
    mu = th.mu(a, curve.lrs)
    tol = th.argmax_tolerances(curve.lrs, mu, se_theory, z, th.optimal_lr(a), th.optimal_rate(a))
    k = int(np.argmax(curve.gamma))
    lr_hat, g_hat = float(curve.lrs[k]), float(curve.gamma[k])
    ok_lr = tol["lr_lo"] <= lr_hat <= tol["lr_hi"]
    ok_g = tol["gamma_lo"] <= g_hat <= tol["gamma_hi"]
    return lr_hat, g_hat, tol, ok_lr, ok_g


def agreement(main, family, two, gauss, batch_sizes, gd_core, lrs_show, eq85_rows, family_p=1e-4):
    """The chapter's agreement rows {check, theory, simulation, tolerance, passed[, group]}.

    Each statistical claim is a simultaneous test of its points at level family_p / n_claims
    (Bonferroni), so a correct implementation fails the whole table with probability < family_p. SEs of
    two-point estimates are exact (`estimator_se`); others are the sample SE over runs. The argmax and
    max of a curve are checked against the rigorous set `theory.argmax_tolerances`.
    """
    n_rows = 10 + len(family)
    p_row = family_p / n_rows
    R = Rows()
    a, lrs = main.a, main.lrs
    mu = th.mu(a, lrs)
    se = th.estimator_se(a, lrs, main.n_runs, main.steps)
    z = th.bonferroni_z(len(lrs), p_row)
    zs = np.abs(main.gamma - mu) / se
    R.bound(f"γ̂(λ) = μ(λ) at all {len(lrs)} learning rates (a = {fmt(a)})", "0 SE", f"max {fmt(zs.max(), 3)} SE",
            zs.max() <= z, f"≤ {fmt(z, 3)} SE (Bonferroni)")
    lr_hat, g_hat, tol, ok_lr, ok_g = _argmax_check(main, se, z)
    R.bound(f"argmax λ̂* of the simulated curve (a = {fmt(a)})", tol["lr_star"], lr_hat, ok_lr,
            f"in [{fmt(tol['lr_lo'], 3)}, {fmt(tol['lr_hi'], 3)}]")
    R.bound(f"max γ̂* of the simulated curve (a = {fmt(a)})", tol["gamma_star"], g_hat, ok_g,
            f"in [{fmt(tol['gamma_lo'], 3)}, {fmt(tol['gamma_hi'], 3)}]")
    for c in family:
        sec = th.estimator_se(c.a, c.lrs, c.n_runs, c.steps)
        muc = th.mu(c.a, c.lrs)
        zc = np.abs(c.gamma - muc) / sec
        zz = th.bonferroni_z(len(c.lrs), p_row)
        lh, gh, tl, okl, okg = _argmax_check(c, sec, zz)
        R.bound(f"a = {fmt(c.a)}: curve, λ̂* = {fmt(lh, 3)}, γ̂* = {fmt(gh, 3)}",
                f"λ* = {fmt(tl['lr_star'], 3)}, γ* = {fmt(tl['gamma_star'], 3)}",
                f"max {fmt(zc.max(), 3)} SE", zc.max() <= zz and okl and okg,
                f"≤ {fmt(zz, 3)} SE; λ̂* in [{fmt(tl['lr_lo'], 2)}, {fmt(tl['lr_hi'], 2)}]; "
                f"γ̂* in [{fmt(tl['gamma_lo'], 3)}, {fmt(tl['gamma_hi'], 3)}]",
                group="Family of curves (Fig. 2 right): γ̂ = μ, argmax and max")
    # Fig. 6: running estimate at every t for the shown lrs
    idx = [int(np.argmin(np.abs(lrs - x))) for x in lrs_show]
    t = np.arange(1, main.steps + 1)
    se_t = th.estimator_se(a, lrs[idx][:, None], main.n_runs, t[None, :])
    zr = np.abs(main.running[idx, 1:] - mu[idx][:, None]) / se_t
    zzr = th.bonferroni_z(zr.size, p_row)
    R.bound(f"Fig. 6: running estimate = μ at every t ≤ {main.steps}", "0 SE", f"max {fmt(zr.max(), 3)} SE",
            zr.max() <= zzr, f"≤ {fmt(zzr, 3)} SE ({zr.size} points)")
    # Prop. 3 and Eq. 85 against brute-force numerics
    errs = [abs(th.numerical_optimum(c.a)[1] - float(th.optimal_rate(c.a))) / float(th.optimal_rate(c.a))
            for c in family]
    R.bound("Prop. 3: γ* closed form vs numerical maximum of μ over (0, 1)", "ln((2−a)/(2√(1−a)))",
            f"rel. difference {fmt(max(errs), 2)}", max(errs) < 1e-9, "< 10⁻⁹")
    e85 = max(r["rel_err"] for r in eq85_rows)
    R.bound("Eq. 85: largest |a| with γ* ≤ ε, formula vs root-finding", "2|−e^ε√(e^{2ε}−1) − e^{2ε} + 1|",
            f"rel. difference {fmt(e85, 2)}", e85 < 1e-9, "< 10⁻⁹")
    # other laws: sample SE
    zl = []
    for c2, cg, B in zip(two, gauss, batch_sizes):
        for c, law in ((c2, "two-point"), (cg, "gaussian")):
            zl.append(float(np.max(np.abs(c.gamma - theory_curve(c.a, c.lrs, law, B)) / c.se)))
    zzl = th.bonferroni_z(2 * len(batch_sizes) * len(lrs), p_row)
    R.bound(f"batch B ∈ {{{', '.join(str(b) for b in batch_sizes)}}}: two-point and Gaussian curves = exact μ_B(λ)",
            "0 SE", f"max {fmt(max(zl), 3)} SE", max(zl) <= zzl, f"≤ {fmt(zzl, 3)} SE")
    qd = 0.0
    for B in batch_sizes:
        m, s = th.gaussian_batch_law(a, B)
        sub = lrs[::7]
        qd = max(qd, float(np.max(np.abs(th.mu_gaussian_series(m, s, sub) - th.mu_gaussian_quadrature(m, s, sub)))))
    R.bound("Gaussian μ: series vs quadrature", "identical", f"max |Δ| = {fmt(qd, 2)}", qd < 1e-8, "< 10⁻⁸")
    gd_err = float(np.max(np.abs(gd_core - th.gd_rate(a, lrs))))
    R.bound("GD in the core vs ln(1 − λa/2)", "exact", f"max |Δ| = {fmt(gd_err, 2)}", gd_err < 1e-12, "< 10⁻¹²")
    n_div = int(main.n_diverged.sum() + sum(c.n_diverged.sum() for c in family + list(two) + list(gauss)))
    R.bound("diverged runs (all simulations)", 0, n_div, n_div == 0, "= 0")
    return R.rows


def law_summary(a_values, batch_sizes, n_grid=400):
    """Theory only: for each (law, B, a), interior local max of mu on (0, 1) and sup over (0, 1).

    Rows: dict(law, B, a, local_max_lr, local_max, sup_lr, sup) with None where mu has no interior
    local maximum (monotone on the grid). Grid resolution 1/n_grid in lr.
    """
    lr = np.linspace(1.0 / n_grid, 1 - 1.0 / n_grid, n_grid - 1)
    rows = []
    for law in LAWS:
        for B in batch_sizes:
            for a in a_values:
                v = theory_curve(a, lr, law, B)
                maxima, _ = turning_points(lr, v)
                k = int(np.argmax(v))
                first = maxima[0] if maxima else (None, None)
                rows.append(dict(law=law, B=int(B), a=float(a), local_max_lr=first[0], local_max=first[1],
                                 sup_lr=float(lr[k]), sup=float(v[k])))
    return rows
