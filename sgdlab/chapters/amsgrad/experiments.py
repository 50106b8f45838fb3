"""Simulations of the AMSGrad chapter (Ziyin, Li & Ueda §5.4, §6.4, D.4): every step runs in the core.

All optimizers start from the same w0 ~ U[-1, 1] (drawn from `seed`) and use the same seed, so run r
sees the same data sequence x_1, x_2, ... under every optimizer (common random numbers: the
comparison between optimizers is paired).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

import sgdlab
from sgdlab.chapters.amsgrad import theory as th
from sgdlab import quadratic as q
from sgdlab.params import is_int as _is_int, number as _number

__all__ = ["CONFIGS", "validate_parameters", "initial_points", "run_optimizer", "fig4_runs",
           "vhat_paths", "momentum_rate", "agreement", "OptRun", "eps_sweep", "tail_table"]

# (key, optimizer, beta1, label)
CONFIGS = [("amsgrad_0.0", "amsgrad", 0.0, "AMSGrad, β1 = 0"),
           ("adam_0.0", "adam", 0.0, "Adam, β1 = 0"),
           ("amsgrad_0.9", "amsgrad", 0.9, "AMSGrad, β1 = 0.9"),
           ("adam_0.9", "adam", 0.9, "Adam, β1 = 0.9"),
           ("gd", "gd", 0.0, "GD")]
ZERO = 1e-10      # |w| below this counts as "at the maximum" in the summaries
BOUNDARY = 1 - 1e-9
MAX_UPDATES = 3e9


def _integer(v):
    """int for ints, integral floats (5e4) and integer text ("2000"); v unchanged otherwise."""
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return v
        v = f
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return int(v)
    return v


def validate_parameters(a, lr, beta2, n_runs, steps, gd_lr, seed, beta1=0.0, eps=0.0):
    """Check the chapter's parameters; ValueError naming the parameter. Returns a dict of clean values."""
    a = _number("a", a)
    if not a < 0:
        raise ValueError(f"a: must be < 0 (w = 0 is a maximum of the expected loss only for a < 0), got {a}")
    lr = _number("lr", lr)
    if not lr > 0:
        raise ValueError(f"lr: must be > 0, got {lr}")
    beta2 = _number("beta2", beta2)
    if not 0 <= beta2 < 1:
        raise ValueError(f"beta2: must be in [0, 1), got {beta2}")
    beta1 = _number("beta1", beta1)
    if not 0 <= beta1 < 1:
        raise ValueError(f"beta1: must be in [0, 1), got {beta1}")
    eps = _number("eps", eps)
    if eps < 0:
        raise ValueError(f"eps: must be >= 0, got {eps}")
    gd_lr = _number("gd_lr", gd_lr)
    if not gd_lr > 0:
        raise ValueError(f"gd_lr: must be > 0, got {gd_lr}")
    n_runs, steps, seed = _integer(n_runs), _integer(steps), _integer(seed)
    if not _is_int(n_runs) or n_runs < 2:
        raise ValueError(f"n_runs: must be an integer >= 2, got {n_runs!r}")
    if not _is_int(steps) or steps < 10:
        raise ValueError(f"steps: must be an integer >= 10, got {steps!r}")
    if not _is_int(seed) or not 0 <= seed < 2 ** 63:
        raise ValueError(f"seed: must be an integer in [0, 2**63), got {seed!r}")
    if len(CONFIGS) * n_runs * steps > MAX_UPDATES:
        raise ValueError(f"n_runs: 5 optimizers x n_runs x steps = {len(CONFIGS) * n_runs * steps:.2g} "
                         f"updates exceeds {MAX_UPDATES:.0e}")
    return dict(a=a, lr=lr, beta2=beta2, n_runs=int(n_runs), steps=int(steps), gd_lr=gd_lr,
                seed=int(seed), beta1=beta1, eps=eps)


def initial_points(n_runs, seed):
    """w0 ~ U[-1, 1], one per run, from numpy's generator seeded with `seed` (shared by all optimizers)."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, int(n_runs))


def snapshot_steps(steps, n_lin=200, n_log=60):
    lin = np.linspace(0, steps, n_lin + 1)
    lg = np.geomspace(1, steps, n_log)
    return np.unique(np.round(np.concatenate([lin, lg])).astype(np.int64))


@dataclass
class OptRun:
    """One optimizer's runs: per-snapshot summaries of |w_t| plus the final state of every run."""
    key: str
    optimizer: str
    beta1: float
    label: str
    lr: float
    t: np.ndarray                 # snapshot steps
    mean_abs: np.ndarray          # mean |w_t| over non-diverged runs
    se_abs: np.ndarray            # its standard error
    snapshots: np.ndarray         # (n_runs, n_snapshots) w_t
    final: np.ndarray             # w_T
    w0: np.ndarray
    vhat: np.ndarray | None       # final vhat (adaptive optimizers)
    v: np.ndarray | None
    n_diverged: int
    elapsed: float
    extra: dict = field(default_factory=dict)
    eps: float = 0.0

    @property
    def lr_eff(self):
        """lr / (sqrt(vhat_T) + eps) per run (the effective SGD learning rate once vhat is frozen); None for GD."""
        if self.vhat is None:
            return None
        with np.errstate(divide="ignore"):
            return self.lr / (np.sqrt(self.vhat) + self.eps)

    @property
    def final_abs(self):
        return np.abs(self.final[np.isfinite(self.final)])


def run_optimizer(optimizer, beta1, *, a, lr, beta2, steps, w0, seed, eps=0.0, snapshots=None,
                  key=None, label=None, n_threads=None):
    """Simulate the quadratic model, w projected on [-1, 1], with one optimizer, in the core."""
    t = snapshot_steps(steps) if snapshots is None else np.asarray(snapshots)
    kw = dict(optimizer=optimizer)
    if optimizer in ("adam", "amsgrad"):
        kw.update(beta1=beta1, beta2=beta2, eps=eps)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sgdlab.DivergenceWarning)
        res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=lr, steps=steps, w0=w0,
                              project=sgdlab.Interval(-1, 1), snapshots=t, seed=seed,
                              n_threads=n_threads, **kw)
    snaps = res.snapshots
    absw = np.abs(snaps[res.ok])
    n = absw.shape[0]
    mean = absw.mean(axis=0)
    se = absw.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    st = res.opt_state
    return OptRun(key=key or f"{optimizer}_{beta1}", optimizer=optimizer, beta1=float(beta1),
                  label=label or optimizer, lr=float(lr), t=res.snapshot_steps, mean_abs=mean,
                  se_abs=se, snapshots=snaps, final=res.final, w0=np.asarray(w0, float),
                  vhat=st.get("vhat"), v=st.get("v"), n_diverged=res.n_diverged, elapsed=res.elapsed,
                  eps=float(eps) if optimizer in ("adam", "amsgrad") else 0.0)


def fig4_runs(a, lr, beta2, n_runs, steps, gd_lr, seed, eps=0.0, configs=None):
    """Fig. 4: the five optimizers of the paper from the same w0 and data streams. Dict key -> OptRun."""
    w0 = initial_points(n_runs, seed)
    out = {}
    for key, opt, b1, label in (configs or CONFIGS):
        out[key] = run_optimizer(opt, b1, a=a, lr=gd_lr if opt == "gd" else lr, beta2=beta2,
                                 steps=steps, w0=w0, seed=seed, eps=eps, key=key, label=label)
        if opt == "amsgrad" and b1 > 0:
            _record_vhat_half(out[key], a=a, beta2=beta2, seed=seed)
    return out


def _record_vhat_half(run, *, a, beta2, seed, frac=0.5):
    """vhat at the start of the late window of `late_rate` (a separate, shorter core run: run r's stream does
    not depend on `steps`, checked here on w), stored in run.extra["vhat_half"] / ["t_half"]."""
    i = int(np.searchsorted(run.t, run.t[-1] * (1 - frac)))
    t_half = int(run.t[i])
    h = run_optimizer(run.optimizer, run.beta1, a=a, lr=run.lr, beta2=beta2, steps=t_half, w0=run.w0, seed=seed,
                      eps=run.eps, snapshots=[0, t_half])
    if not np.array_equal(h.final, run.snapshots[:, i], equal_nan=True):
        raise RuntimeError("core: run r's stream depends on `steps` (prefix property broken)")
    run.extra.update(vhat_half=h.vhat, t_half=t_half)


def vhat_paths(a, lr, beta2, n_runs, seed, t_max, n_t=40, configs=None):
    """v_t and vhat_t of the first n_runs runs at n_t log-spaced steps up to t_max.

    The core returns the optimizer state only at the end of a run, so each step t is a separate
    `simulate(steps=t)` call with the same seed and w0: run r's stream does not depend on `steps`,
    so these are exactly the first t steps of the Fig. 4 runs (tested bit for bit).
    Returns {key: dict(t, v (n_runs, n_t), vhat (n_runs, n_t), w (n_runs, n_t))}.
    """
    w0 = initial_points(seed=seed, n_runs=max(n_runs, 1))
    ts = np.unique(np.round(np.geomspace(1, t_max, n_t)).astype(np.int64))
    out = {}
    for key, opt, b1, label in (configs or [c for c in CONFIGS if c[1] != "gd"]):
        V, VH, W = [], [], []
        for t in ts:
            res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=lr, steps=int(t), w0=w0,
                                  project=sgdlab.Interval(-1, 1), optimizer=opt, beta1=b1,
                                  beta2=beta2, seed=seed)
            V.append(res.opt_state["v"]); VH.append(res.opt_state["vhat"]); W.append(res.final)
        out[key] = dict(t=ts, v=np.array(V).T, vhat=np.array(VH).T, w=np.array(W).T, label=label,
                        beta1=b1, optimizer=opt)
    return out


def momentum_rate(a, beta1, lr_effs, *, n_runs=1000, t1=200, t2=2000, seed=0, big=1e30):
    """Growth rate of |w| under SGD with momentum at a fixed effective learning rate lr' (no projection):
    the asymptotic dynamics of AMSGrad once vhat has frozen at c = (lr / lr')^2.

    Run in the core as AMSGrad with eps = big and lr = lr' * big: d = m / (sqrt(vhat) + big), so the
    step is lr' m (1 + O(sqrt(vhat) / big)), i.e. momentum SGD to ~1e-20 relative precision here.
    The rate is the run average of (ln|w_t2| - ln|w_t1|) / (t2 - t1) (t1 skips the transient while m
    builds up). Returns dict(lr_eff, rate, se, n_zero) with n_zero runs excluded (w exactly 0).
    """
    lr_effs = np.atleast_1d(np.asarray(lr_effs, dtype=float))
    rate, se, nz = [], [], []
    for k, le in enumerate(lr_effs):
        res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=le * big, steps=t2, w0=1.0,
                              n_runs=n_runs, optimizer="amsgrad", beta1=beta1, beta2=0.999, eps=big,
                              snapshots=[t1, t2], seed=seed, stream_offset=k * n_runs)
        s = np.abs(res.snapshots)
        good = np.all(s > 0, axis=1) & res.ok
        r = (np.log(s[good, 1]) - np.log(s[good, 0])) / (t2 - t1)
        rate.append(r.mean()); se.append(r.std(ddof=1) / np.sqrt(r.size)); nz.append(int((~good).sum()))
    return dict(lr_eff=lr_effs, rate=np.array(rate), se=np.array(se), n_zero=np.array(nz),
                beta1=float(beta1), t1=t1, t2=t2)


def prop5_margins(a, lr_eff, steps, z=4.5, p=1e-6):
    """Drift thresholds that decide a beta1 = 0 run at a finite T (Prop. 5 run by run).

    Once vhat has frozen, ln|w_t| is a random walk with drift mu(lr') and step s.d. s(lr') (two-point
    data). Assume vhat frozen by T/2 (the vhat figure shows it is frozen within ~10^3 steps). Clearly
    inside: from ln|w_{T/2}| <= 0 the walk is below ln(1e-10) = -b at T unless it is z s.d. above its mean:
    mu < -(b + z s sqrt(T/2)) / (T/2). Clearly outside: a walk with drift mu > 0 ever goes b below its start
    with probability <= exp(-2 mu b / s^2) (Brownian bound): below p when mu > ln(1/p) s^2 / (2 b).
    Returns (mu_in, mu_out) arrays: mu < mu_in -> must be at the max; mu > mu_out -> must not be."""
    s = th.log_step_sd(a, lr_eff)
    b = np.log(1 / ZERO)
    half = steps / 2
    return -(b + z * s * np.sqrt(half)) / half, np.log(1 / p) * s * s / (2 * b)


def prop5_rows(run, a, name):
    """Prop. 5 at a finite T, run by run, for beta1 = 0 (AMSGrad with or without eps): with the frozen
    lr' = lr / (sqrt(vhat_T) + eps), runs whose drift mu(lr') is clearly negative must be at the maximum
    (|w_T| < 1e-10) and runs whose drift is clearly positive must not be (prop5_margins); runs near an edge
    of Eq. 109 are undetermined at this T and not tested. Rows for the agreement table."""
    le = run.lr_eff
    mu = th.mu_eff(a, le)
    mu_in, mu_out = prop5_margins(a, le, int(run.t[-1]))
    at = np.abs(run.final) < ZERO
    neg, pos = mu < mu_in, mu > mu_out
    ok = bool(np.all(at[neg])) and not np.any(at[pos]) and (neg.sum() + pos.sum()) > 0
    return [{"check": f"{name}: runs with μ(λ') clearly < 0 at the max (|w_T| < 1e-10); runs with μ(λ') "
                      f"clearly > 0 not at the max (undetermined near the edges: {int((~neg & ~pos).sum())})",
             "theory": "all; none", "simulation": f"{int(at[neg].sum())}/{int(neg.sum())}; "
                                                  f"{int(at[pos].sum())}/{int(pos.sum())}",
             "tolerance": "exact (margins: 4.5 SD of the walk / p < 1e-6)", "passed": ok}]


def eps_rows(sweep, a):
    """Agreement rows of the eps experiment: Prop. 5 run by run with lr' = lr / (sqrt(vhat_T) + eps), and for
    lr / eps below the Eq. 109 interval: every lr' below it and no run at the maximum."""
    lo, _ = th.lr_eff_interval(a)
    rows = []
    for e, r in sweep.items():
        rows.extend(prop5_rows(r, a, f"AMSGrad β1=0, ε = {e:g}"))
        if e > 0 and r.lr / e < lo:
            at = np.abs(r.final) < ZERO
            rows.append({"check": f"AMSGrad β1=0, ε = {e:g}: λ/ε = {r.lr / e:.3g} below Eq. 109 (λ'_lo = {lo:.4f}): "
                                  "max λ' and runs at the max",
                         "theory": f"≤ {r.lr / e:.4g}; 0", "simulation": f"{np.max(r.lr_eff):.4g}; {int(at.sum())}",
                         "tolerance": "exact", "passed": bool(np.max(r.lr_eff) <= r.lr / e and not at.any())})
    return rows


def late_rate(run, frac=0.5):
    """Per-run (ln|w_T| - ln|w_s|) / (T - s) over the last `frac` of the run, for runs with w != 0."""
    t = run.t
    i = int(np.searchsorted(t, t[-1] * (1 - frac)))
    s = np.abs(run.snapshots[:, [i, -1]])
    good = np.all(s > 0, axis=1) & np.all(np.isfinite(s), axis=1)
    return (np.log(s[good, 1]) - np.log(s[good, 0])) / (t[-1] - t[i]), good


def summary(runs):
    """Per optimizer: mean |w_T| +- SE, fraction at the maximum (|w| < 1e-10) and at the boundary."""
    rows = []
    for r in runs.values():
        f = r.final_abs
        le = r.lr_eff
        rows.append({"optimizer": r.label, "lr": r.lr, "mean |w_T|": f.mean(),
                     "SE": f.std(ddof=1) / np.sqrt(f.size), "median |w_T|": np.median(f),
                     "P(|w_T| < 1e-10)": np.mean(f < ZERO), "P(|w_T| = 1)": np.mean(f >= BOUNDARY),
                     "median lr'": np.nan if le is None else float(np.median(le)),
                     "diverged": r.n_diverged})
    return rows


def agreement(runs, a, lr, beta2, gd_lr, paths, mom0, mom9=None, z=4.5):
    """Rows of the agreement table (all computed from the simulations): check, simulation, theory, passed.

    z = 4.5 standard errors: two-sided p = 7e-6 per row under the null (correct theory and core).
    """
    rows = []

    def row(check, sim, expected, passed, tol):
        rows.append({"check": check, "theory": expected, "simulation": sim, "tolerance": tol,
                     "passed": bool(passed)})

    lo, hi = th.lr_eff_interval(a)
    # 1. GD is deterministic: |w_t| = min(1, |w0| r^t) run by run, at every snapshot.
    g = runs["gd"]
    exact = th.gd_abs_path(a, gd_lr, g.t, g.w0)
    err = float(np.max(np.abs(np.abs(g.snapshots) - exact)))
    row("GD: |w_t| = min(1, |w0|(1−λa/2)^t), every run and snapshot (max abs error)", f"{err:.1e}", "0 (exact)",
        err < 1e-9, "1e-9 (rounding of r^t)")
    # 2. Eq. 94-98 (corrected): vhat <= (1 - a)^2 for every run.
    vmax = max(float(np.max(runs[k].vhat)) for k in runs if runs[k].vhat is not None)
    row("Eq. 98 corrected: max over runs of v̂_T ≤ (1−a)²", f"{vmax:.4f}", f"≤ {th.vhat_bound(a):.4f}",
        vmax <= th.vhat_bound(a), "exact")
    # 3. vhat is non-decreasing along every AMSGrad path (the premise of Prop. 5).
    for key in ("amsgrad_0.0", "amsgrad_0.9"):
        if key in paths:
            d = np.diff(paths[key]["vhat"], axis=1)
            row(f"{runs[key].label}: v̂_t non-decreasing on every path", f"min Δv̂ = {d.min():.1e}", "≥ 0",
                d.min() >= 0, "exact")
    # 4. Prop. 5 for beta1 = 0: frozen lr' inside Eq. 109 -> |w_T| -> 0 (in probability, as t -> infinity).
    # At a finite T, ln|w| of a run whose lr' is near an edge (|mu(lr')| small) is a random walk with
    # almost no drift, which may or may not have reached 1e-10 yet: such runs are undetermined. Runs whose
    # lr' is clearly outside (mu > 0.01 per step) must not be at the maximum, those clearly inside
    # (mu < -0.01) must all be there.
    r0 = runs["amsgrad_0.0"]
    le = r0.lr_eff
    inside = (le >= lo) & (le <= hi)
    row(f"AMSGrad β1=0: λ' = λ/√v̂_T inside Eq. 109 [{lo:.4f}, {hi:.4f}], i.e. v̂_T ≥ (λ/λ'_hi)² = "
        f"{th.vhat_threshold(a, lr):.5f}", f"{inside.sum()}/{inside.size} inside (min v̂_T = {np.min(r0.vhat):.5f})",
        "→ all as t → ∞ (Prop. 5)", inside.mean() > 0.5, "more than half (finite T)")
    rows.extend(prop5_rows(r0, a, "AMSGrad β1=0"))
    # 5. The momentum-SGD rate machinery reduces to mu at beta1 = 0 (exact theory).
    zs = (mom0["rate"] - th.mu_eff(a, mom0["lr_eff"])) / mom0["se"]
    row(f"Core momentum-SGD growth rate at β1=0 vs exact μ(λ') (Lemma 1), {len(zs)} values of λ'",
        f"max |z| = {np.max(np.abs(zs)):.2f}", "μ(λ')", np.max(np.abs(zs)) <= z, f"|z| ≤ {z}")
    # 6. With momentum, frozen AMSGrad is momentum SGD at lr': late growth rate vs the rate curve.
    if mom9 is not None and "amsgrad_0.9" in runs:
        r9 = runs["amsgrad_0.9"]
        rate, good = late_rate(r9)
        # Premise: vhat frozen over the late window. Reported, not enforced: runs whose vhat still rises in
        # the 2nd half are those whose lr' sat at the edge of the momentum region (~0.43 at a = -0.1) and
        # self-tune into it; dropping them would select on the future (no upward excursion) and bias the
        # rate down (measured: -9e-5 +- 3e-5 at the defaults), so all runs are compared at their final lr'.
        # If many runs are still self-tuning (short runs) the comparison fails, and the label says why.
        vh_half = r9.extra.get("vhat_half")
        frac_frozen = float(np.mean((vh_half == r9.vhat)[good])) if vh_half is not None and good.any() else np.nan
        le9 = r9.lr_eff[good]
        pred = np.interp(le9, mom9["lr_eff"], mom9["rate"])
        # SE: run-to-run spread of the late rates (independent runs) and the curve's own SE at the
        # interpolation points (conservatively taken as fully correlated: the max over the used range).
        se_sim = rate.std(ddof=1) / np.sqrt(rate.size)
        used = (mom9["lr_eff"] >= le9.min() - 0.1) & (mom9["lr_eff"] <= le9.max() + 0.1)
        se_th = float(np.max(mom9["se"][used]))
        zz = (rate.mean() - pred.mean()) / np.hypot(se_sim, se_th)
        row(f"AMSGrad β1=0.9: late growth rate of ln|w| vs momentum-SGD rate at the final λ' (v̂ unchanged "
            f"over the 2nd half in {100 * frac_frozen:.1f}% of runs)",
            f"{rate.mean():.5f} (z = {zz:.2f})", f"{pred.mean():.5f}", abs(zz) <= z, f"|z| ≤ {z}")
    # 7. Late growth rate of ln|w| (second half of the run, runs with w_T != 0): AMSGrad with momentum
    # converges (rate < 0), Adam is stationary (rate = 0: it sits at the edge of the absorbing region).
    for key, claim in [("amsgrad_0.9", "→ max: rate < 0"), ("adam_0.0", "stationary: rate = 0"),
                       ("adam_0.9", "stationary: rate = 0")]:
        if key not in runs:
            continue
        rate, good = late_rate(runs[key])
        if rate.size < 2:
            continue
        m, s = rate.mean(), rate.std(ddof=1) / np.sqrt(rate.size)
        ok = (m + z * s < 0) if "<" in claim else (abs(m) <= z * s)
        row(f"{runs[key].label}: late growth rate of ln|w_t| per step (2nd half of the run)",
            f"{m:.2e} ± {s:.1e} (z = {m / s:.1f})", claim, ok, f"{z} SE")
    # 8. The paper's claims at the last step (mean |w_T| ± z SE).
    for key, claim, test in [
        ("amsgrad_0.0", "→ max: mean |w_T| < 1e-3", lambda m, s: m + z * s < 1e-3),
        ("adam_0.9", "away from max and boundary: 0.05 < mean |w_T| < 0.9", lambda m, s: m - z * s > 0.05 and m + z * s < 0.9),
        ("gd", "escapes: mean |w_T| > 0.99", lambda m, s: m - z * s > 0.99)]:
        if key not in runs:
            continue
        f = runs[key].final_abs
        m, s = f.mean(), f.std(ddof=1) / np.sqrt(f.size)
        row(f"paper, {runs[key].label} {claim.split(':')[0]}", f"{m:.3g} ± {s:.1g}", claim.split(": ")[1], test(m, s),
            f"{z} SE")
    return rows


def tail_table(runs, steps=(1000, 5000)):
    """Per optimizer at a few steps (and the last): median |w_t|, fraction with |w_t| < 1e-10 and with
    w_t exactly 0 (underflow). Steps beyond the run are skipped; the nearest snapshot step is used."""
    rows = []
    for r in runs.values():
        T = int(r.t[-1])
        for t in sorted({int(s) for s in steps if s < T} | {T}):
            i = int(np.argmin(np.abs(r.t - t)))
            s = np.abs(r.snapshots[:, i])
            s = s[np.isfinite(s)]
            rows.append({"optimizer": r.label, "step": int(r.t[i]), "median |w_t|": float(np.median(s)),
                         "P(|w_t| < 1e-10)": float(np.mean(s < ZERO)), "P(w_t = 0 exactly)": float(np.mean(s == 0))})
    return rows


def eps_sweep(a, lr, beta2, n_runs, steps, seed, eps_values=(0.0, 1e-8, 0.1, 1.0, 4.0), beta1=0.0):
    """AMSGrad with eps > 0: w_t = w_{t-1} - lr m_t / (sqrt(vhat_t) + eps), so once vhat has frozen at c the
    effective learning rate is lr' = lr / (sqrt(c) + eps) <= lr / eps. Prop. 5's argument is unchanged
    (lr' inside Eq. 109 -> w -> 0); but if lr / eps is below the interval's lower edge a / (a - 1), no value of
    vhat can bring lr' into it and AMSGrad escapes to the boundary like GD. Same w0 and seed as Fig. 4.
    Returns {eps: OptRun}."""
    w0 = initial_points(n_runs, seed)
    t = snapshot_steps(steps, n_lin=50, n_log=20)
    return {float(e): run_optimizer("amsgrad", beta1, a=a, lr=lr, beta2=beta2, steps=steps, w0=w0, seed=seed,
                                    eps=float(e), snapshots=t, key=f"eps_{e:g}", label=f"ε = {e:g}")
            for e in eps_values}
