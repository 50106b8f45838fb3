"""Simulations of the two-layer-network chapter: every step runs in the core.

The network is the core's `two_layer` landscape, parameters (u, w), per-sample loss (u w - c)^2 / 2,
with c drawn from `sgdlab.Discrete([-1, 1 - a], [1/2, 1/2])`; `batch_size=S` averages S per-sample
gradients, `optimizer="gd"` uses the exact expected gradient. "At the origin" means |u|, |w| < 1e-6
at the last step; "diverged" means non-finite or |u| or |w| > 1e6 (the core's `max_abs`), such runs are
flagged by the core and counted separately (`n_diverged` in every result), never averaged.

Random streams: `stream_plan(P)` gives every experiment of the chapter its own block of the core's
streams (seed, stream_offset + r); the experiments take the block's start as `stream_offset`.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

import sgdlab
from sgdlab.chapters._kit import Param, Params, Rows, Streams, bonferroni_z, fmt
from sgdlab.chapters.two_layer import theory as th

__all__ = ["ORIGIN_TOL", "MAX_ABS", "PARAMS", "stream_plan", "sizes", "curve_lrs", "data_law",
           "initial_points", "run", "Outcome", "outcome", "compare_methods", "lyapunov", "lyapunov_curve",
           "capture_by_batch", "phase_diagram", "PHASE_A", "PHASE_LR", "balanced_vs_quartic", "decisive",
           "decisive_pair", "agreement"]

ORIGIN_TOL = 1e-6
MAX_ABS = 1e6
BATCHES = (1, 2, 3, 4, 8)
BUDGET = 2e9          # n_runs * steps * (batch + 20) core updates at most


def _budget(v):
    if v["n_runs"] * v["steps"] * (v["batch"] + 20) > BUDGET:
        raise ValueError(f"n_runs: n_runs * steps * (batch + 20) = "
                         f"{v['n_runs'] * v['steps'] * (v['batch'] + 20):.3g} exceeds {BUDGET:.0e} updates "
                         f"(lower n_runs, steps or batch)")


PARAMS = Params(
    Param("a", -0.2, "float", "data law c ∈ {−1, 1 − a}, E[c] = −a/2", lo=-3.0, hi=0.0, hi_open=True,
          why="the origin is a saddle with E[c] = −a/2 > 0 only for a < 0"),
    Param("lr", 0.5, "float", "learning rate λ", lo=0.0, hi=2.0, lo_open=True),
    Param("batch", 1, "int", "minibatch size S of the main SGD runs", lo=1, hi=1024),
    Param("n_runs", 2000, "int", "independent runs, starts u₀, w₀ ~ U[−1, 1] i.i.d.", lo=10, hi=10**6),
    Param("steps", 2000, "int", "steps per run T", lo=10, hi=10**7),
    Param("seed", 0, "int", "seed of the core's random streams", lo=0, hi=2**63 - 1),
    extra=_budget)

# the phase diagram's grid (a, lr) and the learning rates of the exponent curve
PHASE_A = np.round(np.linspace(-1.6, -0.05, 24), 4)
PHASE_LR = np.round(np.linspace(0.04, 1.5, 37), 4)
PHASE_STEPS = 1000
CURVE_LRS = (0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.9, 1.1, 1.3, 1.5)


def curve_lrs(lr):
    """The learning rates of the exponent curve: CURVE_LRS without those within 0.02 of the chapter's."""
    return [l for l in CURVE_LRS if abs(l - lr) > 0.02]


def sizes(P):
    """Run counts of the chapter's experiments at validated parameters P."""
    return dict(main=P["n_runs"], curve=min(P["n_runs"], 1000), local=min(P["n_runs"], 1000),
                phase=min(P["n_runs"], 200), quartic=P["n_runs"])


def stream_plan(P):
    """Every block of random streams the chapter uses (all at seed P.seed), disjoint whatever P is.

    - methods: the main comparison (SGD with `batch`, GD, SGD with batch 8) and the batch-size table;
      they share this block on purpose (common random numbers: same starts and draws for every method
      and batch size, so the table's row S = batch is the main SGD run);
    - lyapunov: the exponents at the chapter's (a, lr): balanced, antibalanced and generic starts;
    - curve: the exponents at the other learning rates, 3 sub-blocks per learning rate;
    - local: capture from starts near the origin (all batch sizes share it, same draws);
    - quartic, quartic_B: the balanced line against the quartic at (a, lr) and at (-1, 0.8);
    - phase_generic, phase_balanced: one sub-block per grid point.
    `at=` keeps the blocks where the book drew them before this plan existed, where that place is free."""
    n = sizes(P)
    S = Streams()
    S.take("methods", n["main"], at=0)
    S.take("lyapunov", 3 * n["main"], at=0)
    S.take("curve", 3 * n["curve"] * len(curve_lrs(P["lr"])))
    S.take("local", n["local"])
    S.take("quartic", n["quartic"])
    S.take("quartic_B", n["quartic"])
    grid = PHASE_A.size * PHASE_LR.size * n["phase"]
    S.take("phase_generic", grid)
    S.take("phase_balanced", grid)
    from . import web   # the page's kernel-free explorer: its own block, after all others
    S.take("explorer", web.n_streams(P))
    return S


def data_law(a):
    """c in {-1, 1 - a} with probability 1/2 each."""
    return sgdlab.Discrete(list(th.atoms(a)), [0.5, 0.5])


def initial_points(n_runs, seed, init="generic", scale=1.0):
    """(n_runs, 2) starts: generic (u, w) i.i.d. U[-scale, scale]; balanced u = w ~ U[-scale, scale];
    antibalanced u = -w. A numpy stream independent of the core's streams (seed, r)."""
    if init not in ("generic", "balanced", "antibalanced"):
        raise ValueError(f"init: must be 'generic', 'balanced' or 'antibalanced', got {init!r}")
    rng = np.random.default_rng([int(seed), 0x2_1A7E])
    if init == "generic":
        return rng.uniform(-scale, scale, (n_runs, 2))
    t = rng.uniform(-scale, scale, n_runs)
    return np.c_[t, t] if init == "balanced" else np.c_[t, -t]


def run(a, lr, *, w0, steps, batch=1, optimizer="sgd", seed=0, stream_offset=0, **kw):
    """One core call on the network; DivergenceWarning silenced (divergences are counted instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
        return sgdlab.simulate("two_layer", data=data_law(a), lr=lr, steps=steps, w0=w0,
                               batch_size=batch, optimizer=optimizer, max_abs=MAX_ABS, seed=seed,
                               stream_offset=stream_offset, **kw)


@dataclass
class Outcome:
    label: str
    result: object
    frac_origin: float
    frac_manifold: float
    frac_diverged: float
    frac_escaped: float
    n_diverged: int


def outcome(label, res, a):
    """Fractions of runs: at the origin (|u|, |w| < 1e-6), on the minimum manifold to 1e-6
    (|u w - E[c]| < 1e-6: GD's end state), escaped (max(|u|, |w|) > 0.01, not diverged), diverged."""
    f = res.final
    with np.errstate(invalid="ignore"):
        origin = np.all(np.abs(f) < ORIGIN_TOL, axis=1)
        manifold = np.abs(f[:, 0] * f[:, 1] - th.mean_c(a)) < 1e-6
        escaped = np.max(np.abs(f), axis=1) > 0.01
    n = res.n_runs
    return Outcome(label, res, float(origin.sum() / n), float(manifold.sum() / n), float(res.n_diverged / n),
                   float(escaped.sum() / n), int(res.n_diverged))


def compare_methods(a, lr, *, batch=1, n_runs=2000, steps=2000, seed=0, snapshot_steps=None,
                    init="generic", stream_offset=0):
    """SGD with `batch`, GD and SGD with batch 8 (batch 1 if `batch` is 8) from the same starts.
    The SGD runs share the streams (seed, stream_offset + r) too. Returns [Outcome, ...]."""
    w0 = initial_points(n_runs, seed, init)
    other = 8 if batch != 8 else 1
    out = []
    for label, opt, S in ((f"SGD, batch {batch}", "sgd", batch), ("GD", "gd", 1),
                          (f"SGD, batch {other}", "sgd", other)):
        res = run(a, lr, w0=w0, steps=steps, batch=S, optimizer=opt, seed=seed, snapshots=snapshot_steps,
                  stream_offset=stream_offset)
        out.append(outcome(label, res, a))
    return out


LYAP_SCALE = 1e-150   # starts of the exponent runs: u w ~ 1e-300 is below one unit in the last place
                      # of c, so the core's update is exactly the linearised one, with ~300 decades of room


def _lyap_steps(a, lr, batch, steps, scale):
    """Steps for the exponent estimate: a run that is 6 walk-SDs above (below) the typical one must
    stay in the linear regime |.| < 1e-4 (above 1e-300, far from subnormals) for T steps."""
    T = int(steps)
    room_up = math.log(1e-4 / scale)
    room_down = math.log(scale / 1e-300)
    for key in ("h", "m"):
        lam = float((th.lyap_h if key == "h" else th.lyap_m)(a, lr, batch))
        sd = float(th.lyap_sd(a, lr, batch, key))
        if not (math.isfinite(lam) and math.isfinite(sd)):
            continue
        while T > 5 and (lam * T + 6 * sd * math.sqrt(T) > room_up or -lam * T + 6 * sd * math.sqrt(T) > room_down):
            T = int(T * 0.9)
    return max(T, 5)


def _rate_stats(x):
    x = np.asarray(x, float)
    n = x.size
    return float(np.mean(x)), (float(np.std(x, ddof=1) / math.sqrt(n)) if n > 1 and np.all(np.isfinite(x))
                                else float("nan"))


def lyapunov(a, lr, *, batch=1, n_runs=2000, steps=200, seed=0, scale=LYAP_SCALE, stream_offset=0):
    """Lyapunov exponents of the origin, estimated in (h, m) coordinates from core runs.

    Near the origin h and m are multiplied by independent-of-state factors 1 + lr cbar and
    1 - lr cbar. At a generic start the two coordinates are mixed in (u, w), and the smaller one is
    lost to cancellation: once |m/h| < 1e-16 the core's u and w round to the same number (and
    log|m/h| is a random walk with per-step spread ~1, so this happens within a few dozen steps;
    a precision trap). So each exponent is measured on its own invariant line:

    * Lambda_h on the balanced line u = w: m = 0 exactly for ever (the update is symmetric in u, w).
    * Lambda_m on the antibalanced line u = -w: h = 0 exactly for ever (the update commutes with
      (u, w) -> (-w, -u), and IEEE rounding is sign-symmetric).
    On a line the exponent estimate is (1/T) ln|u_T / u_0| (= (1/T) sum ln|h_t/h_{t-1}| by
    telescoping). The core's `log_growth` (since 7742c8e it no longer squares |w|, which underflowed
    below 1e-154) gives the same sum on these lines to ~1e-15 (checked at the defaults); the ratio of
    the final and initial states needs no extra record.
    Cross-check at generic starts: (1/T) ln|h_T/h_0| (resp. m) from the core's final (u, w) for the
    dominant direction (the larger exponent), and the number of runs whose other coordinate was
    lost (u_T + w_T or u_T - w_T exactly 0).
    Standard errors: empirical over runs (`se_*`) and exact, sd(ln factor)/sqrt(n T) (`se_*_theory`).
    """
    T = _lyap_steps(a, lr, batch, steps, scale)
    lh, lm = float(th.lyap_h(a, lr, batch)), float(th.lyap_m(a, lr, batch))
    out = dict(a=a, lr=lr, batch=batch, T=T, theory_h=lh, theory_m=lm, n_diverged=0)
    for key, init, off in (("h", "balanced", 0), ("m", "antibalanced", n_runs)):
        w0 = initial_points(n_runs, seed + 104729, init, scale)
        rl = run(a, lr, w0=w0, steps=T, batch=batch, seed=seed, stream_offset=stream_offset + off)
        with np.errstate(divide="ignore"):
            rate = np.log(np.abs(rl.final[rl.ok, 0] / w0[rl.ok, 0])) / T
        out[f"lyap_{key}"], out[f"se_{key}"] = _rate_stats(rate)
        out["n_diverged"] += int(rl.n_diverged)
        other = rl.final[rl.ok, 0] - (1.0 if init == "balanced" else -1.0) * rl.final[rl.ok, 1]
        out[f"{key}_invariant_max_abs"] = float(np.max(np.abs(other))) if other.size else 0.0
        out[f"n_{key}"] = n = int(rate.size)
        out[f"se_{key}_theory"] = float(th.lyap_sd(a, lr, batch, key)) / math.sqrt(max(n, 1) * T)
    # generic starts
    dom = "h" if lh >= lm else "m"
    sign = 1.0 if dom == "h" else -1.0
    w0 = initial_points(n_runs, seed + 7919, "generic", scale)
    res = run(a, lr, w0=w0, steps=T, batch=batch, seed=seed, stream_offset=stream_offset + 2 * n_runs)
    f, g0 = res.final[res.ok], w0[res.ok]
    d_T = f[:, 0] + sign * f[:, 1]
    keep = d_T != 0          # the dominant coordinate itself can be lost if it starts tiny (rare)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.log(np.abs(d_T[keep] / (g0[keep, 0] + sign * g0[keep, 1]))) / T
    out["generic_dir"] = dom
    out["generic_excluded"] = int(np.sum(~keep))
    out["generic_lyap"], out["generic_se"] = _rate_stats(e)
    out["generic_n"] = int(e.size)
    out["generic_se_theory"] = float(th.lyap_sd(a, lr, batch, dom)) / math.sqrt(max(e.size, 1) * T)
    out["generic_lost"] = int(np.sum(f[:, 0] - sign * f[:, 1] == 0))
    out["n_diverged"] += int(res.n_diverged)
    return out


def lyapunov_curve(a, lrs, *, batch=1, n_runs=1000, steps=200, seed=0, stream_offset=0):
    """`lyapunov` at each lr; lr number i uses the streams stream_offset + [3 i n_runs, 3 (i + 1) n_runs)
    (each `lyapunov` call uses 3 n_runs streams), so the points are independent."""
    return [lyapunov(a, float(lr), batch=batch, n_runs=n_runs, steps=steps, seed=seed,
                     stream_offset=stream_offset + 3 * i * n_runs) for i, lr in enumerate(lrs)]


LOCAL_SCALE = 1e-3


def capture_by_batch(a, lr, batches=BATCHES, *, n_runs=2000, steps=2000, seed=0, init="generic", scale=1.0,
                     stream_offset=0):
    """Fraction at the origin / escaped / diverged for each batch size, same starts U[-scale, scale]^2
    and the same streams (seed, stream_offset + r) for every batch size."""
    w0 = initial_points(n_runs, seed, init, scale)
    rows = []
    for S in batches:
        o = outcome(f"S={S}", run(a, lr, w0=w0, steps=steps, batch=int(S), seed=seed,
                                  stream_offset=stream_offset), a)
        rows.append(dict(batch=int(S), frac_origin=o.frac_origin, frac_escaped=o.frac_escaped,
                         frac_diverged=o.frac_diverged, n_diverged=o.n_diverged,
                         lyap_h=float(th.lyap_h(a, lr, int(S))),
                         lyap_m=float(th.lyap_m(a, lr, int(S)))))
    return rows


def phase_diagram(a_grid, lr_grid, *, init="generic", n_runs=200, steps=1000, seed=0, stream_offset=0):
    """P(origin) and P(diverged) at step `steps` on the (a, lr) grid, batch 1, starts U[-1, 1].
    Grid point k (row-major) uses the streams stream_offset + [k n_runs, (k + 1) n_runs).
    Returns dict of arrays shaped (len(a_grid), len(lr_grid))."""
    a_grid = np.asarray(a_grid, float)
    lr_grid = np.asarray(lr_grid, float)
    p0 = np.zeros((a_grid.size, lr_grid.size))
    pd = np.zeros_like(p0)
    w0 = initial_points(n_runs, seed, init)
    k = n_div = 0
    for i, a in enumerate(a_grid):
        for j, lr in enumerate(lr_grid):
            o = outcome("", run(float(a), float(lr), w0=w0, steps=steps, seed=seed,
                                stream_offset=stream_offset + k * n_runs), float(a))
            k += 1
            p0[i, j], pd[i, j] = o.frac_origin, o.frac_diverged
            n_div += o.n_diverged
    return dict(a=a_grid, lr=lr_grid, init=init, p_origin=p0, p_diverged=pd, n_runs=n_runs, steps=steps,
                n_diverged=n_div)


# ----------------------------------------------------------------------------- balanced line = quartic

def _balanced_map(t, c, lr):
    """One step of the network on u = w = t, as the core computes it: e = t*t - c; t - lr*(e*t).
    The core's quartic (c = 1) computes t - lr*((x + 1.0*t*t)*t); with x = -c, x + t*t is t*t - c
    exactly (IEEE addition is commutative and negation is exact), so this is also the quartic's step."""
    return t - lr * ((t * t - c) * t)


def _quartic_old_order(t, x, lr):
    """The quartic step in the order the core used before commit 7742c8e: t - lr*(x*t + 1.0*t*t*t).
    The same polynomial, rounded differently; kept only as a counterfactual (the bit-for-bit equality
    below is a property of the evaluation order, not automatic)."""
    return t - lr * (x * t + 1.0 * t * t * t)


def _same(x, y):
    """Elementwise bit-for-bit equality, NaN == NaN (diverged runs are NaN in both)."""
    return (x == y) | (np.isnan(x) & np.isnan(y))


def balanced_vs_quartic(a, lr, *, n_runs=2000, steps=500, seed=0, n_replay=50, replay_steps=100,
                        stream_offset=0):
    """The balanced line of the network against the core's `quartic` landscape with x = -c.

    Both core runs use the same seed, starts t0 ~ U[-1, 1] and streams: two_layer with
    Discrete([-1, 1 - a]) and quartic with TwoPoint(a) = Discrete([1, a - 1]), so the same uniform
    draw selects c = -1 <-> x = 1 and c = 1 - a <-> x = a - 1, i.e. x = -c on every step, and the two
    landscapes compute the same floating-point operations: the runs must be identical (snapshots,
    finals, divergence flags and steps).

    Replay audit on the first `n_replay` runs (every step up to `replay_steps`): the draw c_t is read
    off the network's trajectory (exactly one atom must reproduce each recorded step, so the core's step
    is the written map t' = t - lr (t^2 - c) t), then the map is iterated in NumPy and must reproduce the
    quartic's trajectory with x = -c. Counterfactual: the quartic in its old evaluation order
    (`_quartic_old_order`) with the same draws, to show that the equality depends on the order."""
    n_replay = min(int(n_replay), int(n_runs))
    w0 = initial_points(n_runs, seed, "balanced")
    t0 = w0[:, 0]
    snaps = sorted({1, 2, 5, 10, 50, steps})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
        net = sgdlab.simulate("two_layer", data=data_law(a), lr=lr, steps=steps, w0=w0, seed=seed,
                              max_abs=MAX_ABS, snapshots=snaps, n_trajectories=n_replay, thin=1,
                              stream_offset=stream_offset)
        qrt = sgdlab.simulate("quartic", data=sgdlab.TwoPoint(a), lr=lr, steps=steps, w0=t0, seed=seed,
                              max_abs=MAX_ABS, snapshots=snaps, n_trajectories=n_replay, thin=1,
                              stream_offset=stream_offset)
    u, w = net.final[:, 0], net.final[:, 1]
    invariant = float(np.max(np.abs(u[net.ok] - w[net.ok]))) if net.ok.any() else 0.0
    s_net, s_q = net.snapshots[:, :, 0], qrt.snapshots
    equal_frac = [float(np.mean(_same(s_net[:, k], s_q[:, k]))) for k in range(len(snaps))]
    identical = bool(np.array_equal(s_net, s_q, equal_nan=True)
                     and np.array_equal(net.final[:, 0], qrt.final, equal_nan=True)
                     and np.array_equal(net.final[:, 1], qrt.final, equal_nan=True)
                     and np.array_equal(net.diverged, qrt.diverged)
                     and np.array_equal(net.diverged_step, qrt.diverged_step))
    fate_net = np.where(net.diverged, 2, np.where(np.abs(u) < ORIGIN_TOL, 0, 1))
    fate_q = np.where(qrt.diverged, 2, np.where(np.abs(qrt.final) < ORIGIN_TOL, 0, 1))
    c_lo, c_hi = th.atoms(a)
    # counterfactual after one step, all runs: the draw from the network's step-1 snapshot
    hit_lo = _balanced_map(t0, c_lo, lr) == s_net[:, 0]
    hit_hi = _balanced_map(t0, c_hi, lr) == s_net[:, 0]
    one = hit_lo ^ hit_hi
    c1 = np.where(hit_lo, c_lo, c_hi)[one]
    old_equal_1 = float(np.mean(_quartic_old_order(t0[one], -c1, lr) == s_q[one, 0])) if one.any() else float("nan")
    # replay audit, vectorised over runs, step by step
    tn = net.trajectories[:, : replay_steps + 1, 0]
    tq = qrt.trajectories[:, : replay_steps + 1]
    n_rep, n_k = tn.shape
    t_rep, t_old = tn[:, 0].copy(), tq[:, 0].copy()
    active = np.ones(n_rep, bool)            # still replayable (finite, draw identified)
    map_ok = np.ones(n_rep, bool)            # each network step is the map, the replay is the quartic
    old_ok = np.ones(n_rep, bool)            # the old order would have reproduced it too
    n_checked = undecided = 0
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(1, n_k):
            active &= np.isfinite(tn[:, k]) & np.isfinite(tq[:, k])
            lo = _balanced_map(tn[:, k - 1], c_lo, lr) == tn[:, k]
            hi = _balanced_map(tn[:, k - 1], c_hi, lr) == tn[:, k]
            neither = active & ~lo & ~hi                      # the core's step is not the written map
            map_ok &= ~neither
            undecided += int(np.sum(active & lo & hi))       # t = 0 or both atoms give the same double
            active &= lo ^ hi
            c = np.where(lo, c_lo, c_hi)
            t_rep = np.where(active, _balanced_map(t_rep, c, lr), t_rep)
            t_old = np.where(active, _quartic_old_order(t_old, -c, lr), t_old)
            n_checked += int(active.sum())
            map_ok &= ~active | (t_rep == tq[:, k])
            old_ok &= ~active | (t_old == tq[:, k])
    return dict(a=a, lr=lr, steps=steps, n_runs=n_runs, snapshot_steps=snaps, invariant_max_abs=invariant,
                equal_frac=equal_frac, identical=identical,
                same_fate_frac=float(np.mean(fate_net == fate_q)),
                frac_origin_net=float(np.mean(fate_net == 0)), frac_origin_quartic=float(np.mean(fate_q == 0)),
                frac_div_net=float(np.mean(fate_net == 2)), frac_div_quartic=float(np.mean(fate_q == 2)),
                n_diverged=int(net.n_diverged),
                n_replay=int(n_rep), replay_steps=int(n_k - 1), replay_updates=n_checked,
                replay_undecided=undecided, replay_bit_equal=int(map_ok.sum()),
                old_order_equal_step1=old_equal_1, old_order_bit_equal=int(old_ok.sum()))


# ----------------------------------------------------------------------------- agreement

def decisive(lam, sd, T, z=3.0, h0=2.0):
    """Does the linear theory decide P(origin at T) -> 1 or 0? log|h_T| - log|h_0| is a random walk
    with drift lam and spread sd sqrt(T) (starts |h_0| <= 2). lam < 0: it must end below ln(1e-6)
    even from ln 2, z spreads beyond it; lam > 0: it must stay above ln(1e-6) from ln|h_0| ~ 0 (the
    nonlinearity only holds it near the minima). z = 3: a Gaussian tail of 1.3e-3 < 0.01."""
    if not math.isfinite(lam):
        return lam < 0
    if sd == 0 or not math.isfinite(sd):
        return True
    gap = math.log(h0 / ORIGIN_TOL)          # distance in log|h| from the start to the 1e-6 threshold
    if lam < 0:
        return (-lam * T - gap) >= z * sd * math.sqrt(T)
    return (lam * T + gap) >= z * sd * math.sqrt(T)


def decisive_pair(a, lr, batch, T, h0=2.0, z=3.0):
    """`decisive` for generic starts: capture needs both exponents decisively negative, escape the
    larger one decisively positive. An infinite exponent (a factor 1 + lr cbar that is exactly 0 for
    one batch mean) is never decisive: the walk then has an atom at -inf, reached by a rare draw,
    while its typical drift can have either sign."""
    lam = {k: float((th.lyap_h if k == "h" else th.lyap_m)(a, lr, batch)) for k in ("h", "m")}
    if not all(math.isfinite(v) for v in lam.values()):
        return False
    sd = {k: float(th.lyap_sd(a, lr, batch, k)) for k in ("h", "m")}
    if max(lam.values()) < 0:
        return all(decisive(lam[k], sd[k], T, z, h0) for k in ("h", "m"))
    k = max(lam, key=lam.get)
    return decisive(lam[k], sd[k], T, z, h0)


def agreement(a, lr, batch, steps, lyap, curve, methods, local, bq, z=4.5):
    """Agreement rows (the kit's `Rows`): {check, theory, simulation, tolerance, passed[, group]}.

    Exponents: |estimate − theory| ≤ z SE with the exact SE; z = 4.5: two-sided p = 7e-6 per row.
    The curve row tests all its points at once (Bonferroni, family-wise 1e-5). Exact rows must hold
    exactly. local: `capture_by_batch(..., scale=LOCAL_SCALE)` rows (starts near the origin), listed
    where the linear theory is decisive at T. bq: one `balanced_vs_quartic` result or a list of them."""
    rows = Rows(z=z)
    for key, name in (("h", "Λ_h"), ("m", "Λ_m")):
        th_v, sim_v, se = lyap[f"theory_{key}"], lyap[f"lyap_{key}"], lyap[f"se_{key}_theory"]
        check = (f"{name} at a = {a:g}, λ = {lr:g}, S = {batch} ({lyap['n_' + key]} runs × {lyap['T']} steps, "
                 f"{'balanced' if key == 'h' else 'antibalanced'} line)")
        if math.isfinite(th_v):
            rows.close(check, th_v, sim_v, se, note="exact SE")
        else:
            rows.bound(check, fmt(th_v), sim_v, sim_v == th_v, "equal (an exact zero factor)")
    if math.isfinite(lyap["generic_lyap"]) and math.isfinite(lyap["generic_se_theory"]):
        d = lyap["generic_dir"]
        rows.close(f"Λ_{d} from generic starts, (1/T) ln|{d}_T/{d}_0| ({lyap['generic_n']} runs)",
                   lyap["theory_" + d], lyap["generic_lyap"], lyap["generic_se_theory"], note="exact SE")
    rows.bound("invariant lines stay exact: max |u − w| (balanced), max |u + w| (antibalanced)", "0",
               f"{fmt(lyap['h_invariant_max_abs'])}, {fmt(lyap['m_invariant_max_abs'])}",
               lyap["h_invariant_max_abs"] == 0 and lyap["m_invariant_max_abs"] == 0, "exactly 0")
    k = 2 * len(curve)
    zc = bonferroni_z(k, 1e-5)
    worst, ok = 0.0, True
    for p in curve:
        for key in ("h", "m"):
            if not math.isfinite(p[f"theory_{key}"]):
                ok &= p[f"lyap_{key}"] == p[f"theory_{key}"]
                continue
            dz = abs(p[f"lyap_{key}"] - p[f"theory_{key}"]) / p[f"se_{key}_theory"]
            worst = max(worst, dz)
            ok &= dz <= zc
    rows.bound(f"Λ_h, Λ_m at {len(curve)} other learning rates", "closed forms", f"max |z| = {fmt(worst, 3)}",
               ok, f"|z| ≤ {fmt(zc, 3)} (Bonferroni over {k} points, family-wise 10⁻⁵)")
    T = steps
    sgd, gd, other = methods
    rows.bound("GD never ends at the origin (h grows by 1 + λE[c] > 1 per step)", "0", gd.frac_origin,
               gd.frac_origin == 0, "exactly 0")
    # the exponents are local: capture/escape from starts near the origin, |u0|, |w0| < 1e-3, for every
    # batch size at which the linear theory is decisive at T
    cap = "capture (both exponents < 0) or escape (one > 0) from starts within 1e-3 of the origin"
    for row in local:
        S = row["batch"]
        if not decisive_pair(a, lr, S, T, h0=2 * LOCAL_SCALE):
            continue
        lam = max(row["lyap_h"], row["lyap_m"])
        if lam < 0:
            if row["frac_diverged"] < 1:
                cond = row["frac_origin"] / (1 - row["frac_diverged"])
                rows.bound(f"S = {S}, starts within 1e-3: P(origin | not diverged) at T = {T}",
                           f"→ 1 (max Λ = {fmt(lam)})",
                           f"{fmt(cond)} ({fmt(row['frac_diverged'])} diverged)", cond >= 0.99, "≥ 0.99",
                           group=cap)
        else:
            rows.bound(f"S = {S}, starts within 1e-3: P(origin) at T = {T}", f"→ 0 (max Λ = +{fmt(lam)})",
                       row["frac_origin"], row["frac_origin"] <= 0.01, "≤ 0.01", group=cap)
    same = "the balanced line is the preprint's quartic with x = −c, bit for bit"
    for b in ([bq] if isinstance(bq, dict) else list(bq)):
        where = f"a = {b['a']:g}, λ = {b['lr']:g}, {b['n_runs']} runs × {b['steps']} steps"
        rows.bound(f"{where}: max |u_T − w_T|", "0 (exact invariant)", b["invariant_max_abs"],
                   b["invariant_max_abs"] == 0.0, "exactly 0", group=same)
        rows.bound(f"{where}: snapshots, finals, divergence flags and steps of network and quartic",
                   "identical", f"bit-equal fraction {fmt(min(b['equal_frac']))} (worst snapshot); "
                   f"{fmt(b['frac_div_net'])} diverged in both", b["identical"], "identical", group=same)
        rows.bound(f"{where}: replay of {b['n_replay']} runs × {b['replay_steps']} steps "
                   f"({b['replay_updates']} updates) through t' = t − λ(t² − c)t",
                   "all runs, bit for bit", f"{b['replay_bit_equal']} of {b['n_replay']}",
                   b["replay_bit_equal"] == b["n_replay"] and b["replay_updates"] > 0, "all", group=same)
    return rows.rows
