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
from sgdlab.chapters._kit import Param, Params, Rows, Streams, fmt

__all__ = ["CONFIGS", "PARAMS", "stream_plan", "BETA1", "EPS", "initial_points", "run_optimizer", "fig4_runs",
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


def _budget(P):
    """Cross-parameter limit: the five optimizers' updates."""
    if len(CONFIGS) * P["n_runs"] * P["steps"] > MAX_UPDATES:
        raise ValueError(f"n_runs: 5 optimizers x n_runs x steps = {len(CONFIGS) * P['n_runs'] * P['steps']:.2g} "
                         f"updates exceeds {MAX_UPDATES:.0e}")


PARAMS = Params(
    Param("a", -0.1, "float", "curvature parameter: x ∈ {1, a − 1}; w = 0 is a maximum of E L̂ = aw²/4 for a < 0",
          hi=0.0, hi_open=True),
    Param("lr", 0.2, "float", "learning rate λ of Adam and AMSGrad", lo=0.0, lo_open=True),
    Param("beta2", 0.999, "float", "second-moment decay β₂", lo=0.0, hi=1.0, hi_open=True),
    Param("n_runs", 2000, "int", "independent runs per optimizer", lo=2, hi=10**7),
    Param("steps", 50000, "int", "steps per run", lo=10, hi=10**9),
    Param("gd_lr", 0.01, "float", "learning rate λ of gradient descent", lo=0.0, lo_open=True),
    Param("seed", 0, "int", "seed of the initial points and of the core's random streams", lo=0, hi=2**63,
          hi_open=True),
    extra=_budget)

#: the explorer's extra controls (not parameters of the page)
BETA1 = Param("beta1", 0.0, "float", "momentum β₁", lo=0.0, hi=1.0, hi_open=True)
EPS = Param("eps", 0.0, "float", "ε added to √v̂", lo=0.0)

N_MOM = 1000                                              # runs per λ' of the momentum-SGD rate curves
MOM9_GRID = np.round(np.linspace(0.02, 1.6, 80), 4)       # λ' grid, β1 = 0.9
MOM0_GRID = [0.05, 0.1, 0.2, 0.3, 0.5]                    # λ' grid, β1 = 0 (check against μ(λ'))
N_EPS_MAX, EPS_STEPS_MAX = 500, 20000                     # ε sweep: at most 500 runs x 20 000 steps
N_PATHS_MAX, PATHS_T_MAX = 200, 20000                     # v̂ paths: first 200 runs, up to step 20 000


def stream_plan(P) -> Streams:
    """The chapter's blocks of the core's random streams (`stream_offset`s), disjoint at any size.

    "fig4": the five optimizers of Fig. 4 share it on purpose (run r sees the same data under every
    optimizer: a paired comparison); the v̂ paths and the ε sweep re-use its first runs (same w0 and data as
    Fig. 4, the prefix property of the core's streams). The two momentum-SGD rate curves have their own
    blocks (N_MOM streams per λ')."""
    S = Streams()
    S.take("fig4", P["n_runs"], at=0)
    S.take("momentum_0.9", N_MOM * len(MOM9_GRID), at=0)
    S.take("momentum_0.0", N_MOM * len(MOM0_GRID), at=0)
    from . import web   # the page's kernel-free explorer: its own block, after all others
    S.take("explorer", web.n_streams(P))
    return S


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
                  key=None, label=None, n_threads=None, stream_offset=0):
    """Simulate the quadratic model, w projected on [-1, 1], with one optimizer, in the core."""
    t = snapshot_steps(steps) if snapshots is None else np.asarray(snapshots)
    kw = dict(optimizer=optimizer)
    if optimizer in ("adam", "amsgrad"):
        kw.update(beta1=beta1, beta2=beta2, eps=eps)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sgdlab.DivergenceWarning)
        res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=lr, steps=steps, w0=w0,
                              project=sgdlab.Interval(-1, 1), snapshots=t, seed=seed,
                              stream_offset=stream_offset, n_threads=n_threads, **kw)
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


def fig4_runs(a, lr, beta2, n_runs, steps, gd_lr, seed, eps=0.0, configs=None, stream_offset=0):
    """Fig. 4: the five optimizers of the paper from the same w0 and data streams (stream_offset, ...).
    Dict key -> OptRun."""
    w0 = initial_points(n_runs, seed)
    out = {}
    for key, opt, b1, label in (configs or CONFIGS):
        out[key] = run_optimizer(opt, b1, a=a, lr=gd_lr if opt == "gd" else lr, beta2=beta2,
                                 steps=steps, w0=w0, seed=seed, eps=eps, key=key, label=label,
                                 stream_offset=stream_offset)
        if opt == "amsgrad" and b1 > 0:
            _record_vhat_half(out[key], a=a, beta2=beta2, seed=seed, stream_offset=stream_offset)
    return out


def _record_vhat_half(run, *, a, beta2, seed, frac=0.5, stream_offset=0):
    """vhat at the start of the late window of `late_rate` (a separate, shorter core run: run r's stream does
    not depend on `steps`, checked here on w), stored in run.extra["vhat_half"] / ["t_half"]."""
    i = int(np.searchsorted(run.t, run.t[-1] * (1 - frac)))
    t_half = int(run.t[i])
    h = run_optimizer(run.optimizer, run.beta1, a=a, lr=run.lr, beta2=beta2, steps=t_half, w0=run.w0, seed=seed,
                      eps=run.eps, snapshots=[0, t_half], stream_offset=stream_offset)
    if not np.array_equal(h.final, run.snapshots[:, i], equal_nan=True):
        raise RuntimeError("core: run r's stream depends on `steps` (prefix property broken)")
    run.extra.update(vhat_half=h.vhat, t_half=t_half)


def vhat_paths(a, lr, beta2, n_runs, seed, t_max, n_t=40, configs=None, stream_offset=0):
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
                                  beta2=beta2, seed=seed, stream_offset=stream_offset)
            V.append(res.opt_state["v"]); VH.append(res.opt_state["vhat"]); W.append(res.final)
        out[key] = dict(t=ts, v=np.array(V).T, vhat=np.array(VH).T, w=np.array(W).T, label=label,
                        beta1=b1, optimizer=opt)
    return out


def momentum_rate(a, beta1, lr_effs, *, n_runs=1000, t1=200, t2=2000, seed=0, big=1e30, stream_offset=0):
    """Growth rate of |w| under SGD with momentum at a fixed effective learning rate lr' (no projection):
    the asymptotic dynamics of AMSGrad once vhat has frozen at c = (lr / lr')^2.

    Run in the core as AMSGrad with eps = big and lr = lr' * big: d = m / (sqrt(vhat) + big), so the
    step is lr' m (1 + O(sqrt(vhat) / big)), i.e. momentum SGD to ~1e-20 relative precision here.
    The rate is the run average of (ln|w_t2| - ln|w_t1|) / (t2 - t1) (t1 skips the transient while m
    builds up). Returns dict(lr_eff, rate, se, n_zero, n_diverged) with n_zero runs excluded (w exactly 0).
    The k-th lr' uses streams stream_offset + k n_runs, ..., stream_offset + (k + 1) n_runs - 1.
    """
    lr_effs = np.atleast_1d(np.asarray(lr_effs, dtype=float))
    rate, se, nz, n_div = [], [], [], 0
    for k, le in enumerate(lr_effs):
        res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=le * big, steps=t2, w0=1.0,
                              n_runs=n_runs, optimizer="amsgrad", beta1=beta1, beta2=0.999, eps=big,
                              snapshots=[t1, t2], seed=seed,
                              stream_offset=stream_offset + k * n_runs)
        n_div += int(res.n_diverged)
        s = np.abs(res.snapshots)
        good = np.all(s > 0, axis=1) & res.ok
        r = (np.log(s[good, 1]) - np.log(s[good, 0])) / (t2 - t1)
        rate.append(r.mean()); se.append(r.std(ddof=1) / np.sqrt(r.size)); nz.append(int((~good).sum()))
    return dict(lr_eff=lr_effs, rate=np.array(rate), se=np.array(se), n_zero=np.array(nz),
                beta1=float(beta1), t1=t1, t2=t2, n_diverged=n_div)


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


G_PROP5 = "Prop. 5 run by run (β1 = 0): drift μ(λ') clearly < 0 ⇒ at the maximum; clearly > 0 ⇒ not"
G_VHAT = "premises of Prop. 5: v̂_t non-decreasing and bounded"
G_EPS = "with ε: λ' ≤ λ/ε, and below Eq. 109 no run at the maximum"
G_LATE = "late growth rate of ln|w_t| (2nd half of the run): AMSGrad < 0, Adam = 0"
G_PAPER = "the paper's Fig. 4 claims at the last step"


def prop5_rows(run, a, name, group=G_PROP5):
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
    R = Rows()
    R.bound(f"{name}: at the max among runs with μ(λ') clearly < 0; among runs with μ(λ') clearly > 0 "
            f"(undetermined near the edges: {int((~neg & ~pos).sum())})",
            f"{int(neg.sum())} of {int(neg.sum())}; 0 of {int(pos.sum())}",
            f"{int(at[neg].sum())} of {int(neg.sum())}; {int(at[pos].sum())} of {int(pos.sum())}", ok,
            "exact (margins: 4.5 s.d. of the walk; p < 10⁻⁶)", group=group)
    return R.rows


def eps_rows(sweep, a):
    """Agreement rows of the eps experiment: Prop. 5 run by run with lr' = lr / (sqrt(vhat_T) + eps), and for
    lr / eps below the Eq. 109 interval: every lr' below it and no run at the maximum."""
    lo, _ = th.lr_eff_interval(a)
    R = Rows()
    for e, r in sweep.items():
        R.extend(prop5_rows(r, a, f"AMSGrad β1 = 0, ε = {fmt(e)}"))
        if e > 0 and r.lr / e < lo:
            at = np.abs(r.final) < ZERO
            R.bound(f"ε = {fmt(e)}: λ/ε = {fmt(r.lr / e, 3)} below Eq. 109 (λ'_lo = {fmt(lo)}): largest λ'; "
                    "runs at the max", f"≤ {fmt(r.lr / e)}; 0", f"{fmt(float(np.max(r.lr_eff)))}; {int(at.sum())}",
                    bool(np.max(r.lr_eff) <= r.lr / e and not at.any()), "exact", group=G_EPS)
    return R.rows


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
    """Rows of the agreement table (the kit's `Rows`, all computed from the simulations).

    z = 4.5 standard errors: two-sided p = 7e-6 per row under the null (correct theory and core).
    """
    R = Rows(z=z)
    lo, hi = th.lr_eff_interval(a)
    # 1. GD is deterministic: |w_t| = min(1, |w0| r^t) run by run, at every snapshot.
    g = runs["gd"]
    exact = th.gd_abs_path(a, gd_lr, g.t, g.w0)
    err = float(np.max(np.abs(np.abs(g.snapshots) - exact)))
    R.bound("GD: |w_t| = min(1, |w0|(1−λa/2)^t), every run and snapshot (largest error)", 0.0, err, err < 1e-9,
            "10⁻⁹ (rounding of r^t)")
    # 2. the premises of Prop. 5: vhat <= (1 - a)^2 (corrected Eq. 94-98) and non-decreasing
    vmax = max(float(np.max(runs[k].vhat)) for k in runs if runs[k].vhat is not None)
    R.bound("Eq. 98 corrected: largest v̂_T over runs ≤ (1−a)²", f"≤ {fmt(th.vhat_bound(a))}", vmax,
            vmax <= th.vhat_bound(a), "exact", group=G_VHAT)
    for key in ("amsgrad_0.0", "amsgrad_0.9"):
        if key in paths:
            d = np.diff(paths[key]["vhat"], axis=1)
            R.bound(f"{runs[key].label}: smallest increment of v̂_t on every path", "≥ 0", float(d.min()),
                    d.min() >= 0, "exact", group=G_VHAT)
    # the lower edge of Eq. 109 holds for every run when -lr < a: lr' >= lr / (1 - a) > a / (a - 1)
    r0 = runs["amsgrad_0.0"]
    le = r0.lr_eff
    if -lr < a:
        R.bound(f"AMSGrad β1 = 0: smallest λ' ≥ λ/(1−a) = {fmt(lr / (1 - a))} > λ'_lo = {fmt(lo)} (lower edge "
                "secured)", f"≥ {fmt(lr / (1 - a))}", float(np.min(le)),
                bool(np.min(le) >= lr / (1 - a) * (1 - 1e-12)), "exact (relative 10⁻¹²)", group=G_VHAT)
    # 3. Prop. 5 for beta1 = 0: frozen lr' inside the open Eq. 109 interval -> |w_T| -> 0 as t -> infinity.
    inside = (le > lo) & (le < hi)
    R.bound(f"AMSGrad β1 = 0: runs with λ' = λ/√v̂_T inside Eq. 109 ({fmt(lo)}, {fmt(hi)}), i.e. v̂_T > "
            f"{fmt(th.vhat_threshold(a, lr))}", "all as t → ∞ (Prop. 5)", f"{int(inside.sum())} of {inside.size}",
            inside.mean() > 0.5, "more than half at a finite T")
    R.extend(prop5_rows(r0, a, "AMSGrad β1 = 0"))
    # 4. The momentum-SGD rate machinery reduces to mu at beta1 = 0 (exact theory).
    zs = (mom0["rate"] - th.mu_eff(a, mom0["lr_eff"])) / mom0["se"]
    R.bound(f"core's momentum-SGD rate at β1 = 0 vs exact μ(λ') (Lemma 1), {len(zs)} values of λ': largest |z|",
            f"≤ {fmt(z)}", float(np.max(np.abs(zs))), np.max(np.abs(zs)) <= z, f"|z| ≤ {fmt(z)}")
    # 5. With momentum, frozen AMSGrad is momentum SGD at lr': late growth rate vs the rate curve.
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
        R.close(f"AMSGrad β1 = 0.9: late growth rate of ln|w| vs the momentum-SGD rate at the final λ' "
                f"(v̂ unchanged over the 2nd half in {100 * frac_frozen:.1f}% of runs)",
                float(pred.mean()), float(rate.mean()), float(np.hypot(se_sim, se_th)))
    # 6. Late growth rate of ln|w| (second half of the run, runs with w_T != 0): AMSGrad with momentum
    # converges (rate < 0), Adam is stationary (rate = 0: it sits at the edge of the absorbing region).
    for key, claim in [("amsgrad_0.9", "< 0"), ("adam_0.0", "= 0"), ("adam_0.9", "= 0")]:
        if key not in runs:
            continue
        rate, good = late_rate(runs[key])
        if rate.size < 2:
            continue
        m, s = float(rate.mean()), float(rate.std(ddof=1) / np.sqrt(rate.size))
        name = f"{runs[key].label}: late growth rate of ln|w_t| per step (2nd half of the run)"
        if claim == "< 0":
            R.bound(name, "< 0", m, m + z * s < 0, f"< −{fmt(z)}·SE = −{fmt(z * s, 2)}", group=G_LATE)
        else:
            R.close(name, 0.0, m, s, group=G_LATE)
    # 7. The paper's claims at the last step (mean |w_T| +- z SE).
    for key, theory, test in [
        ("amsgrad_0.0", "→ max: mean |w_T| < 10⁻³", lambda m, s: m + z * s < 1e-3),
        ("adam_0.9", "0.05 < mean |w_T| < 0.9 (neither max nor boundary)", lambda m, s: m - z * s > 0.05 and m + z * s < 0.9),
        ("gd", "escapes: mean |w_T| > 0.99", lambda m, s: m - z * s > 0.99)]:
        if key not in runs:
            continue
        f = runs[key].final_abs
        m, s = float(f.mean()), float(f.std(ddof=1) / np.sqrt(f.size))
        R.bound(f"{runs[key].label}: mean |w_T|", theory, m, test(m, s), f"{fmt(z)} SE = {fmt(z * s, 2)}",
                group=G_PAPER)
    return R.rows


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


def eps_sweep(a, lr, beta2, n_runs, steps, seed, eps_values=(0.0, 1e-8, 0.1, 1.0, 4.0), beta1=0.0,
              stream_offset=0):
    """AMSGrad with eps > 0: w_t = w_{t-1} - lr m_t / (sqrt(vhat_t) + eps), so once vhat has frozen at c the
    effective learning rate is lr' = lr / (sqrt(c) + eps) <= lr / eps. Prop. 5's argument is unchanged
    (lr' inside Eq. 109 -> w -> 0); but if lr / eps is below the interval's lower edge a / (a - 1), no value of
    vhat can bring lr' into it and AMSGrad escapes to the boundary like GD. Same w0 and seed as Fig. 4.
    Returns {eps: OptRun}."""
    w0 = initial_points(n_runs, seed)
    t = snapshot_steps(steps, n_lin=50, n_log=20)
    return {float(e): run_optimizer("amsgrad", beta1, a=a, lr=lr, beta2=beta2, steps=steps, w0=w0, seed=seed,
                                    eps=float(e), snapshots=t, key=f"eps_{e:g}", label=f"ε = {e:g}",
                                    stream_offset=stream_offset)
            for e in eps_values}


UNDERFLOW_ORDERS = {"w − λ·m/√v̂": lambda w, m, lr, sq: w - lr * m / sq,
                    "w − (λ/√v̂)·m": lambda w, m, lr, sq: w - (lr / sq) * m}


def underflow_demo(a, lr, lr_eff, n_runs=2000, steps=3000, w_start=1e-250, seed=1):
    """What happens to AMSGrad (β1 = 0, v̂ frozen so that λ/√v̂ = lr_eff) once |w| reaches the subnormal range,
    for two algebraically equal orders of the update, in NumPy (√v̂ = lr / lr_eff). With drift μ(lr_eff) < 0
    both drive |w| below the smallest normal double; whether a run then ends exactly at 0 or stays at the
    smallest subnormal (4.9e-324) depends on how the last products round, i.e. on the order.
    Returns {order: dict(frac_zero, frac_tiny (|w| < 1e-300), median)}."""
    out = {}
    for name, step in UNDERFLOW_ORDERS.items():
        rng = np.random.default_rng(seed)
        w = np.full(int(n_runs), float(w_start))
        sq = float(lr) / float(lr_eff)
        for _ in range(int(steps)):
            x = np.where(rng.random(w.size) < 0.5, 1.0, a - 1.0)
            w = step(w, x * w, float(lr), sq)
        out[name] = dict(frac_zero=float(np.mean(w == 0)), frac_tiny=float(np.mean(np.abs(w) < 1e-300)),
                         median=float(np.median(np.abs(w))))
    return out
