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
from sgdlab.params import is_int as _is_int, maybe_list as _maybe_list

__all__ = ["LAWS", "validate_parameters", "make_data", "theory_curve", "RateCurve",
           "escape_rate_curve", "gd_rate_core", "eq85_table"]

LAWS = ("two-point", "gaussian")


def _finite_number(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name}: must be a finite number, got {v!r}")
    return float(v)


def validate_lrs(lrs, name="lrs"):
    lrs = _maybe_list(name, lrs)
    if not isinstance(lrs, (list, tuple, np.ndarray)) or len(lrs) < 3:
        raise ValueError(f"{name}: must be a list of at least 3 learning rates, got {lrs!r}")
    arr = np.array([_finite_number(name, v) for v in lrs])
    if np.any(arr <= 0) or np.any(arr >= 1):
        raise ValueError(f"{name}: every learning rate must lie in the open interval (0, 1) "
                         "(gamma = mu only for lr < 1, and mu(1) = -inf)")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name}: must be strictly increasing")
    return arr


def validate_parameters(a, a_values, lrs, n_runs, steps, seed):
    """Check the papermill parameters of the chapter; ValueError naming the parameter."""
    a = _finite_number("a", a)
    a_values = _maybe_list("a_values", a_values)
    if a >= 0:
        raise ValueError(f"a: must be < 0 (w = 0 is a maximum of the expected loss only for a < 0), got {a}")
    if not isinstance(a_values, (list, tuple)) or len(a_values) < 1:
        raise ValueError(f"a_values: must be a non-empty list of negative numbers, got {a_values!r}")
    av = [_finite_number("a_values", v) for v in a_values]
    if any(v >= 0 for v in av):
        raise ValueError(f"a_values: every value must be < 0, got {a_values!r}")
    if len(set(av)) != len(av):
        raise ValueError(f"a_values: values must be distinct, got {a_values!r}")
    lrs = validate_lrs(lrs)
    if not _is_int(n_runs) or n_runs < 2:
        raise ValueError(f"n_runs: must be an integer >= 2, got {n_runs!r}")
    if not _is_int(steps) or steps < 1:
        raise ValueError(f"steps: must be an integer >= 1, got {steps!r}")
    if not _is_int(seed) or not 0 <= seed < 2 ** 63:
        raise ValueError(f"seed: must be an integer in [0, 2**63), got {seed!r}")
    _check_float_range(min(av + [a]), lrs, steps, "steps")
    if len(lrs) * (len(av) + 1) * n_runs * steps > 3e9:
        raise ValueError("n_runs: n_runs * steps * len(lrs) * (len(a_values) + 1) exceeds 3e9 updates")
    return dict(a=a, a_values=av, lrs=lrs, n_runs=int(n_runs), steps=int(steps), seed=int(seed))


def _check_float_range(a, lrs, steps, name):
    # With w0 = 1 the two-point run satisfies |ln|w_t|| <= t max(|ln|1-lr||, ln|1-lr(a-1)|); keep it
    # inside the double range (|ln| < 700) so the core never flags a spurious divergence/underflow.
    lrs = np.asarray(lrs, float)
    worst = steps * np.max(np.maximum(np.abs(np.log(np.abs(1 - lrs))), np.log(1 + lrs * (1 - a))))
    if worst > 650:
        raise ValueError(f"{name}: {steps} steps would take |w_t| beyond the double range "
                         f"(|ln w_t| up to {worst:.0f}); use fewer steps or keep lrs away from 1")


def make_data(a, law="two-point", batch_size=1):
    """(DataLaw, batch_size for simulate, description) for the chapter's data laws.

    "two-point": x in {1, a - 1} w.p. 1/2, averaged over `batch_size` draws in the core.
    "gaussian": x ~ N(a/2, (2 - a)^2 / (4 B)), the Gaussian with the batch-B two-point mean and
    variance (App. B.2's large-batch model), one draw per step.
    """
    if law not in LAWS:
        raise ValueError(f"law: must be one of {LAWS}, got {law!r}")
    if not _is_int(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size: must be an integer >= 1, got {batch_size!r}")
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
    a = _finite_number("a", a)
    lrs = validate_lrs(lrs)
    if not _is_int(n_runs) or n_runs < 2:
        raise ValueError(f"n_runs: must be an integer >= 2, got {n_runs!r}")
    if not _is_int(steps) or steps < 1:
        raise ValueError(f"steps: must be an integer >= 1, got {steps!r}")
    data, B, desc = make_data(a, law, batch_size)
    if law == "two-point":
        _check_float_range(a, lrs, steps, "steps")
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
    a = _finite_number("a", a)
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

def family_curves(a_values, lrs, *, n_runs, steps, seed, first_block=1):
    """gamma(lr) for each a in a_values; curve k uses stream block first_block + k (independent)."""
    n = len(lrs) * n_runs
    return [escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=seed,
                              stream_base=(first_block + k) * n)
            for k, a in enumerate(a_values)]


def law_comparison(a, batch_sizes, lrs, *, n_runs, steps, seed, first_block=100):
    """For each B: the two-point batch-B curve and the Gaussian N(a/2, (2-a)^2/(4B)) curve."""
    n = len(lrs) * n_runs
    two, gauss = [], []
    for k, B in enumerate(batch_sizes):
        two.append(escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=seed, law="two-point",
                                     batch_size=B, stream_base=(first_block + 2 * k) * n))
        gauss.append(escape_rate_curve(a, lrs, n_runs=n_runs, steps=steps, seed=seed, law="gaussian",
                                       batch_size=B, stream_base=(first_block + 2 * k + 1) * n))
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
    """The chapter's agreement table: list of dicts (check, simulation, theory, criterion, pass).

    Each row is a simultaneous test of its points at level family_p / n_rows (Bonferroni), so a
    correct implementation fails the whole table with probability < family_p. SEs of two-point
    estimates are exact (`estimator_se`); others are the sample SE over runs.
    """
    n_rows = 10 + len(family)
    p_row = family_p / n_rows
    rows = []

    def add(check, sim, theory, criterion, ok):
        rows.append(dict(check=check, simulation=sim, theory=theory, criterion=criterion, passed=bool(ok)))

    a, lrs = main.a, main.lrs
    mu = th.mu(a, lrs)
    se = th.estimator_se(a, lrs, main.n_runs, main.steps)
    z = th.bonferroni_z(len(lrs), p_row)
    zs = np.abs(main.gamma - mu) / se
    add(f"γ̂(λ) = μ(λ) on all {len(lrs)} λ, a = {a:g}", f"max |γ̂−μ| = {np.max(np.abs(main.gamma - mu)):.2e}",
        "0", f"max |γ̂−μ|/SE = {zs.max():.2f} ≤ {z:.2f}", zs.max() <= z)
    lr_hat, g_hat, tol, ok_lr, ok_g = _argmax_check(main, se, z)
    add(f"argmax λ̂*, a = {a:g}", f"{lr_hat:.3f}", f"λ* = {tol['lr_star']:.4f}",
        f"λ̂* ∈ [{tol['lr_lo']:.2f}, {tol['lr_hi']:.2f}] (plausible argmax set)", ok_lr)
    add(f"max γ̂*, a = {a:g}", f"{g_hat:.5f}", f"γ* = {tol['gamma_star']:.5f}",
        f"γ̂* ∈ [{tol['gamma_lo']:.5f}, {tol['gamma_hi']:.5f}]", ok_g)
    for c in family:
        sec = th.estimator_se(c.a, c.lrs, c.n_runs, c.steps)
        muc = th.mu(c.a, c.lrs)
        zc = np.abs(c.gamma - muc) / sec
        zz = th.bonferroni_z(len(c.lrs), p_row)
        lh, gh, tl, okl, okg = _argmax_check(c, sec, zz)
        add(f"family a = {c.a:g}: curve, λ̂*, γ̂*",
            f"max z = {zc.max():.2f}; λ̂* = {lh:.2f}; γ̂* = {gh:.5f}",
            f"λ* = {tl['lr_star']:.4f}; γ* = {tl['gamma_star']:.5f}",
            f"z ≤ {zz:.2f}; λ̂* ∈ [{tl['lr_lo']:.2f}, {tl['lr_hi']:.2f}]; "
            f"γ̂* ∈ [{tl['gamma_lo']:.5f}, {tl['gamma_hi']:.5f}]",
            zc.max() <= zz and okl and okg)
    # Fig. 6: running estimate at every t for the shown lrs
    idx = [int(np.argmin(np.abs(lrs - x))) for x in lrs_show]
    t = np.arange(1, main.steps + 1)
    se_t = th.estimator_se(a, lrs[idx][:, None], main.n_runs, t[None, :])
    zr = np.abs(main.running[idx, 1:] - mu[idx][:, None]) / se_t
    zzr = th.bonferroni_z(zr.size, p_row)
    add(f"Fig. 6: running estimate = μ at every t ≤ {main.steps}", f"max z = {zr.max():.2f}", "μ(λ) for all t",
        f"max z ≤ {zzr:.2f} (Bonferroni over {zr.size} points)", zr.max() <= zzr)
    # Prop. 3 and Eq. 85 against brute-force numerics
    errs = [abs(th.numerical_optimum(c.a)[1] - float(th.optimal_rate(c.a))) / float(th.optimal_rate(c.a))
            for c in family]
    add("Prop. 3: γ* closed form vs numerical max of μ over (0,1)", f"max rel. err = {max(errs):.1e}",
        "ln((2−a)/(2√(1−a)))", "< 1e-9", max(errs) < 1e-9)
    e85 = max(r["rel_err"] for r in eq85_rows)
    add("Eq. 85: largest |a| with γ* ≤ ε, formula vs root-finding", f"max rel. err = {e85:.1e}",
        "2|−e^ε√(e^{2ε}−1) − e^{2ε} + 1|", "< 1e-9", e85 < 1e-9)
    # other laws: sample SE
    zl = []
    for c2, cg, B in zip(two, gauss, batch_sizes):
        for c, law in ((c2, "two-point"), (cg, "gaussian")):
            zl.append(float(np.max(np.abs(c.gamma - theory_curve(c.a, c.lrs, law, B)) / c.se)))
    zzl = th.bonferroni_z(2 * len(batch_sizes) * len(lrs), p_row)
    add(f"batch B ∈ {list(batch_sizes)}: two-point (binomial) and Gaussian (series) curves",
        f"max z = {max(zl):.2f}", "exact μ_B(λ)", f"max z ≤ {zzl:.2f}", max(zl) <= zzl)
    qd = 0.0
    for B in batch_sizes:
        m, s = th.gaussian_batch_law(a, B)
        sub = lrs[::7]
        qd = max(qd, float(np.max(np.abs(th.mu_gaussian_series(m, s, sub) - th.mu_gaussian_quadrature(m, s, sub)))))
    add("Gaussian μ: series vs quadrature (quadratic.mu_gaussian)", f"max |Δ| = {qd:.1e}", "identical", "< 1e-8",
        qd < 1e-8)
    gd_err = float(np.max(np.abs(gd_core - th.gd_rate(a, lrs))))
    add("GD in the core vs ln(1 − λa/2)", f"max |Δ| = {gd_err:.1e}", "exact", "< 1e-12", gd_err < 1e-12)
    n_div = int(main.n_diverged.sum() + sum(c.n_diverged.sum() for c in family + list(two) + list(gauss)))
    add("diverged runs (all simulations)", f"{n_div}", "0", "= 0", n_div == 0)
    return rows


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
