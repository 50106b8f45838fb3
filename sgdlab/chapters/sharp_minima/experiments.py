"""Simulations of the sharp-minima chapter (Ziyin, Li & Ueda, Section 5.3 / 6.3, App. D.3).

Every run goes through `sgdlab.simulate` on the core's `sharp2d` landscape with x = +-1
(`Discrete([1, -1], [0.5, 0.5])`) and the iterates confined to the box |w1|, |w2| <= 1
(`project=Box(-1, 1)`). Only the post-processing (classification, averages) is done here.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

import sgdlab
from sgdlab.params import number_in
from sgdlab.simulate import DivergenceWarning
from sgdlab.chapters._kit import Param, Params, Rows, Streams, fmt
from sgdlab.chapters.sharp_minima import theory as th

__all__ = ["DATA", "BOX", "TOL", "INIT_STD", "PARAMS", "stream_plan", "initial_points",
           "run_pair", "classify", "snapshot_steps", "lr_sweep", "transverse_exponent", "agreement"]

DATA = sgdlab.Discrete([1.0, -1.0], [0.5, 0.5])
BOX = sgdlab.Box(-1.0, 1.0)
TOL = 0.05          # "at a minimum" = within this Euclidean distance of it (papermill contract)
INIT_STD = 0.1      # initial law: (+-1/sqrt 2, 0) + N(0, INIT_STD^2 I), sign +-1 w.p. 1/2, clipped to the box


def _check(P):
    """Cross-parameter checks; resolves b (None -> the proof's 1/lr - 6)."""
    b = P["b"]
    if isinstance(b, str) and b.strip().lower() in ("none", "null", ""):
        b = None                      # papermill -p b None passes the string
    if b is None:
        b = th.default_b(P["lr"])
        if b <= 0:
            raise ValueError(f"b: the default b = 1/lr - 6 = {b:.4g} is not > 0 for lr = {P['lr']} "
                             "(the construction needs b > 0, i.e. lr < 1/6); pass b explicitly")
    else:
        try:
            b = float(b)
        except (TypeError, ValueError):
            raise ValueError(f"b: must be a number or None, got {b!r}") from None
        if not math.isfinite(b) or b <= 0:
            raise ValueError(f"b: must be a finite number > 0 (Eq. 10 assumes b > 0), got {b!r}")
    if P["n_runs"] * P["steps"] > 2 * 10**9:
        raise ValueError(f"n_runs, steps: n_runs * steps = {P['n_runs'] * P['steps']} updates is too many (max 2e9)")
    return {"b": b}


PARAMS = Params(
    Param("a", 0.5, "float", "asymmetry of Eq. 10; a ≤ 1 keeps the sharp minima inside the box |wᵢ| ≤ 1",
          **th.A_RANGE),
    Param("lr", 0.05, "float", "learning rate λ (Fig. 3: 0.05)", lo=0.0, hi=1.0, lo_open=True, hi_open=True,
          why="the proof and the figures concern small learning rates"),
    Param("b", None, "any", "noise strength b > 0; None means the proof's b = 1/λ − 6", optional=True),
    Param("n_runs", 2000, "int", "independent runs (Fig. 3: 2000)", lo=10, hi=10**6),
    Param("steps", 10000, "int", "steps per run (Fig. 3: 10 000)", lo=2, hi=10**7),
    Param("seed", 0, "int", "seed of the initial points and of the core's random streams", lo=0, hi=2**63),
    extra=_check)

N_SWEEP_MAX = 500     # runs per learning rate in the sweep: min(n_runs, N_SWEEP_MAX)
LR_GRID = np.round(np.arange(0.01, 0.1651, 0.005), 4)    # the sweep's learning rates
N_TRANS, TRANS_STEPS, TRANS_BURN = 32, 20000, 2000      # transverse-exponent runs


def n_sweep(P):
    return min(int(P["n_runs"]), N_SWEEP_MAX)


def stream_plan(P) -> Streams:
    """The chapter's blocks of the core's random streams (`stream_offset`s), disjoint at any size.

    The sweep uses one block for all its learning rates (common random numbers: the same noise
    sequences and initial points at every lr), and so does the transverse exponent. The explorer
    re-simulates with the Fig. 3 block.
    """
    S = Streams()
    S.take("transverse", N_TRANS, at=0)
    S.take("fig3", P["n_runs"], at=0)
    S.take("sweep", n_sweep(P), at=0)
    from . import web   # the page's kernel-free explorer: its own block, after all others
    S.take("explorer", web.n_streams(P))
    return S


def initial_points(n_runs, seed, std=INIT_STD):
    """The initial law of Fig. 3 (the paper does not give one): centred on the two flat minima,
    (s/sqrt 2 + std Z1, std Z2) with s = +-1 w.p. 1/2, clipped to the box. Overlaps the flat minima."""
    rng = np.random.default_rng([int(seed), 6])
    s = rng.choice([-1.0, 1.0], size=n_runs)
    w = np.column_stack([s / math.sqrt(2) + std * rng.standard_normal(n_runs),
                         std * rng.standard_normal(n_runs)])
    return np.clip(w, -1.0, 1.0)


def snapshot_steps(steps):
    """Steps recorded for the figures and the scrubber: 0, 1, 2, ... roughly log-spaced, and `steps`."""
    base = [0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 65, 80, 100, 130, 160, 200,
            300, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]
    return sorted({s for s in base if s <= steps} | {int(steps)})


def classify(final, a, tol=TOL):
    """Per-run labels of end points: 'sharp', 'flat' (within tol of one of those minima), 'other',
    'diverged' (NaN). Returns (labels array, fractions dict over all runs)."""
    f = np.asarray(final, float)
    m = th.minima(a)
    d_sharp = np.min([np.hypot(f[:, 0] - p[0], f[:, 1] - p[1]) for p in m["sharp"]], axis=0)
    d_flat = np.min([np.hypot(f[:, 0] - p[0], f[:, 1] - p[1]) for p in m["flat"]], axis=0)
    lab = np.full(len(f), "other", dtype=object)
    lab[d_flat <= tol] = "flat"
    lab[d_sharp <= tol] = "sharp"
    lab[~np.all(np.isfinite(f), axis=1)] = "diverged"
    n = len(f)
    frac = {k: float(np.sum(lab == k)) / n for k in ("sharp", "flat", "other", "diverged")}
    return lab, frac


@dataclass
class Pair:
    """SGD and GD from the same initial points."""
    params: dict
    w0: np.ndarray
    sgd: object          # sgdlab.Result
    gd: object
    sgd_frac: dict
    gd_frac: dict
    n_diverged: int = 0  # SGD + GD runs that diverged (none can: the box)


def _sim(a, lr, b, w0, steps, seed, optimizer="sgd", **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        res = sgdlab.simulate("sharp2d", landscape_params={"a": a, "b": b}, data=DATA, lr=lr,
                              steps=steps, w0=w0, project=BOX, optimizer=optimizer, seed=seed, **kw)
    return res  # divergence is reported through res.n_diverged (the box makes it impossible here)


def run_pair(a, lr, b, n_runs, steps, seed, snapshots=None, stream_offset=0):
    """SGD and GD (exact expected gradient) from the same initial points, with snapshots.
    SGD draws its x's from the core's streams stream_offset, ..., stream_offset + n_runs - 1."""
    P = dict(PARAMS.validate(a=a, lr=lr, b=b, n_runs=n_runs, steps=steps, seed=seed))
    w0 = initial_points(P["n_runs"], P["seed"])
    snaps = snapshot_steps(P["steps"]) if snapshots is None else list(snapshots)
    sgd = _sim(P["a"], P["lr"], P["b"], w0, P["steps"], P["seed"], snapshots=snaps, stream_offset=stream_offset)
    gd = _sim(P["a"], P["lr"], P["b"], w0, P["steps"], P["seed"], optimizer="gd", snapshots=snaps)
    return Pair(P, w0, sgd, gd, classify(sgd.final, P["a"])[1], classify(gd.final, P["a"])[1],
                int(sgd.n_diverged) + int(gd.n_diverged))


def lr_sweep(a, lrs, n_runs, steps, seed, b=None, stream_offset=0):
    """Fractions of runs ending at sharp / flat / other minima for each lr (b = 1/lr - 6 unless given),
    all runs starting from the same initial points and drawing from the same streams (stream_offset, ...)
    at every lr. Also the fraction still near the line w2 = 0, and n_diverged over the whole sweep."""
    a = number_in("a", a, **th.A_RANGE)
    w0 = initial_points(n_runs, seed)
    out = {"lr": [], "b": [], "sharp": [], "flat": [], "other": [], "diverged": [], "w2_small": []}
    n_div = 0
    for lr in lrs:
        bb = th.default_b(lr) if b is None else float(b)
        res = _sim(a, float(lr), bb, w0, steps, seed, stream_offset=stream_offset)
        n_div += int(res.n_diverged)
        _, frac = classify(res.final, a)
        out["lr"].append(float(lr))
        out["b"].append(bb)
        for k in ("sharp", "flat", "other", "diverged"):
            out[k].append(frac[k])
        out["w2_small"].append(float(np.mean(np.abs(res.final[res.ok, 1]) < 1e-6)))
    out = {k: np.asarray(v) for k, v in out.items()}
    out["n_runs"] = n_runs
    out["steps"] = steps
    out["n_diverged"] = n_div
    return out


def transverse_exponent(a, lrs, n_runs=64, steps=20000, burn_in=2000, thin=1, seed=0, b=None, stream_offset=0):
    """Lyapunov exponent of w2 transverse to the invariant line w2 = 0, for each lr.

    On w2 = 0 the core runs the 1-D chain w1 -> clip(w1 (1 + lr(2 - x b) - 4 lr w1^2)); a small w2 is
    multiplied by 1 + lr(2 + 2a) - 12 lr w1^2 per step (Eq. 86 linearised in w2). The exponent
    Lambda = E_pi ln|1 + lr(2 + 2a) - 12 lr w1^2| under the chain's stationary law pi is estimated by
    per-run time averages after burn_in (independent runs, so SE = sd / sqrt(n_runs)).
    Lambda > 0: the line repels w2 and runs leave for the sharp minima; Lambda < 0: it traps them.
    """
    a = number_in("a", a, **th.A_RANGE)
    rng = np.random.default_rng([int(seed), 7])
    w0 = np.column_stack([rng.uniform(-1, 1, n_runs), np.zeros(n_runs)])
    lam, se, n_div = [], [], 0
    for lr in lrs:
        bb = th.default_b(lr) if b is None else float(b)
        res = _sim(a, float(lr), bb, w0, steps, seed, n_trajectories=n_runs, thin=thin,
                   stream_offset=stream_offset)
        n_div += int(res.n_diverged)
        k0 = np.searchsorted(res.trajectory_steps, burn_in)
        w1 = res.trajectories[:, k0:, 0]
        with np.errstate(divide="ignore"):
            per_run = np.log(np.abs(1 + lr * (2 + 2 * a) - 12 * lr * w1 ** 2)).mean(axis=1)
        lam.append(float(per_run.mean()))
        se.append(float(per_run.std(ddof=1) / math.sqrt(n_runs)))
    return {"lr": np.asarray(lrs, float), "lam": np.asarray(lam), "se": np.asarray(se),
            "n_runs": n_runs, "steps": steps, "burn_in": burn_in, "n_diverged": n_div}


def crossing(x, y):
    """First zero crossing of y(x) from + to - by linear interpolation (NaN if none)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    for i in range(len(x) - 1):
        if y[i] > 0 >= y[i + 1]:
            return float(x[i] + (x[i + 1] - x[i]) * y[i] / (y[i] - y[i + 1]))
    return float("nan")


# ----------------------------------------------------------------------------- agreement table

Z = 4.5   # two-sided normal tail 6.8e-6 per check: a correct implementation fails < 1 in 1e4 tables


def agreement(pair, sweep, trans, fd_h=1e-5):
    """Agreement rows (the kit's `Rows`) computed from the chapter's runs; a list of row dicts."""
    from scipy.stats import binom
    P = pair.params
    a, lr, b, n, steps = P["a"], P["lr"], P["b"], P["n_runs"], P["steps"]
    land = sgdlab.make_landscape("sharp2d", a=a, b=b)
    R = Rows()

    # 1. the landscape in the core vs the closed forms (x = 0 gives the expected loss/gradient: E x = 0)
    g_core = "the core's Eq. 10 vs the closed forms"
    cps = th.critical_points(a)
    W = np.array([c["w"] for c in cps])
    gmax = float(np.max(np.abs(land.grads(W, x=0.0))))
    R.bound("core: |grad E L| at the 9 critical points", 0.0, gmax, gmax <= 1e-12, "≤ 10⁻¹² (rounding)",
            group=g_core)
    lerr = float(np.max(np.abs(land.values(W, x=0.0) - np.array([c["loss"] for c in cps]))))
    R.bound("core: loss at the critical points, largest error", 0.0, lerr, lerr <= 1e-12, "≤ 10⁻¹² (rounding)",
            group=g_core)
    for kind in ("flat", "sharp"):
        w = next(c["w"] for c in cps if c["name"] == kind)
        tr_fd = fd_trace(land, w, fd_h)
        tr = th.sharpness(a)[kind]
        # central differences of an exact gradient: error O(h^2 * third derivative) ~ 1e-9 here
        R.bound(f"Hessian trace at the {kind} minimum (finite differences of the core's gradient)", tr, tr_fd,
                abs(tr_fd - tr) <= 1e-6, "±10⁻⁶ (truncation O(h²) ≈ 10⁻⁹)", group=g_core)
    # 2. the proof
    g_proof = "the proof of Prop. 4 (App. D.3), recomputed"
    r_f, r_bf = th.proof_r(lr, b), th.proof_r_bruteforce(lr, b)
    for x, i in (("+1", 0), ("−1", 1)):
        R.bound(f"Eq. 89: r({x}) vs brute-force maximum over the box", r_f[i], r_bf[i],
                abs(r_f[i] - r_bf[i]) <= 1e-12, "±10⁻¹² (grid contains the maximiser)", group=g_proof)
    lb, lbn = th.lr_bound(), th.lr_bound_numeric()
    R.bound("largest guaranteed λ: (2 − √2)/8 vs numerical root of ½ ln r(+1)r(−1)", lb, lbn,
            abs(lb - lbn) <= 1e-12, "±10⁻¹² (root finder)", group=g_proof)
    mu_paper = th.proof_mu(th.LR_BOUND_PAPER)
    R.bound("corrected E ln r_t at Eq. 93's λ = (1 + √6)/20 (> 0: no guarantee)", "> 0", mu_paper,
            mu_paper > 0, "sign", group=g_proof)
    b_num = th.best_b_numeric(lr)
    R.bound(f"D.3: b minimising r(+1) r(−1) at λ = {fmt(lr)} vs 1/λ − 6", th.default_b(lr), b_num,
            abs(b_num - th.default_b(lr)) <= 1e-6, "±10⁻⁶ (bounded minimiser at a kink)", group=g_proof)
    # 3. the simulation at the chapter's parameters
    lab, frac = classify(pair.sgd.final, a)
    if th.proof_mu(lr, b) < 0:
        # Eq. 90 is a rigorous bound: P(|w1,t| > TOL) <= p = P(prod r_i > TOL). Runs are independent, so the
        # count of runs with |w1,t| > TOL is stochastically below Bin(n, p); its 1 - 1e-5 quantile is the limit.
        p = th.proof_tail_bound(lr, steps, TOL, b)
        limit = int(binom.ppf(1 - 1e-5, n, p))
        cnt = int(np.sum(~(np.abs(pair.sgd.final[:, 0]) <= TOL)))
        R.bound(f"SGD: runs with |w1| > {TOL} at step {steps} (Prop. 4 / Eq. 90 bound)",
                f"≤ {limit} (p = {fmt(p, 2)})", cnt, cnt <= limit, "Bin(n, p) quantile 1 − 10⁻⁵")
        R.bound("SGD: fraction at a sharp minimum (w1 → 0, then GD in w2)", 1.0, frac["sharp"],
                frac["sharp"] >= 1 - limit / n, f"≥ 1 − {limit}/{n}")
    # GD: exact expected gradient, deterministic; compare with a 10x smaller step (gradient flow) from the same points
    fine = _sim(a, lr / 10, b, pair.w0, steps * 10, P["seed"], optimizer="gd")
    lab_fine, frac_fine = classify(fine.final, a)
    lab_gd, _ = classify(pair.gd.final, a)
    mism = int(np.sum(lab_gd != lab_fine))
    R.bound("GD: fraction at a flat minimum vs gradient flow (λ/10) from the same points",
            frac_fine["flat"], pair.gd_frac["flat"], mism == 0, "same label for every run")
    # 4. the sweep against the proof's guarantee and the transverse exponent
    s_lr, s_sh = sweep["lr"], sweep["sharp"]
    g = np.array([th.proof_mu(x) < 0 for x in s_lr])
    if np.any(g):
        # per lr, the rigorous Eq. 90 limit on the runs not at a sharp minimum (as in row 3; w2 then follows
        # GD to +-sqrt((1+a)/2) well within the run), Binomial 1 - 1e-5 quantile
        ns = int(sweep["n_runs"])
        lim = [int(binom.ppf(1 - 1e-5, ns, th.proof_tail_bound(x, int(sweep["steps"]), TOL))) for x in s_lr[g]]
        bad = [int(round((1 - f) * ns)) for f in s_sh[g]]
        R.bound(f"sweep: runs not at a sharp minimum, λ ≤ {fmt(lb)} ({int(g.sum())} values of λ)",
                f"≤ {max(lim)} per λ (Eq. 90)", max(bad), all(x <= y for x, y in zip(bad, lim)),
                "Bin(n, p) quantile 1 − 10⁻⁵")
    neg = trans["lam"] + Z * trans["se"] < 0
    if np.any(neg):
        trapped = np.interp(trans["lr"][neg], s_lr, sweep["w2_small"])
        worst = float(np.min(trapped))
        R.bound("sweep: where Λ⊥ < 0 (by 4.5 SE) some runs are trapped at w2 = 0", "> 0", worst, worst > 0,
                "> 0 at every such λ")
    return R.rows


def fd_trace(land, w, h=1e-5):
    """Trace of the Hessian of the expected loss at w by central differences of the core's gradient."""
    w = np.asarray(w, float)
    tr = 0.0
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        gp = land.grads((w + e)[None, :], x=0.0)[0, i]
        gm = land.grads((w - e)[None, :], x=0.0)[0, i]
        tr += (gp - gm) / (2 * h)
    return float(tr)
