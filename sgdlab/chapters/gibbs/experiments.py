"""Simulations of the long-run chapter (Azizian et al. 2024/2025; Ziyin et al. §5.5): all SGD steps
run in the compiled core through `sgdlab.simulate`.

SGD here is x_{t+1} = x_t − η (∇f(x_t) + Z_t): the core's update with lr = η and additive noise
Z = s(x) N(0, I) (i.i.d. coordinates), s = σ (Gaussian) or s = σ √(f + c) (`SqrtLoss`).

Long-run histograms are pooled over chains and steps after burn-in. To get honest error bars the
chains are split into `n_groups` independent groups (own blocks of random streams): a quantity
computed per group (basin mass, …) has the between-group standard error sd/√n_groups.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import sgdlab
from sgdlab.chapters._kit import Param, Params, Rows, Streams, fmt
from sgdlab.chapters.gibbs import theory as th

__all__ = ["PARAMS", "stream_plan", "GibbsRun", "long_run", "basin_masses", "tv_sweep", "evolution",
           "HitTimes", "hitting_times", "slope_fit", "no_spurious", "prop6_run", "agreement",
           "TV_ETAS", "NSM_ETAS"]

HALF = 5.0        # histogram box [−5, 5]²
BINS = 80         # 80 × 80 bins
MAX_UPDATES = 4e9
ETA_MAX = 0.7 / 134   # η λ_max below ~0.7 on Himmelblau (λ_max ≈ 134 at K1)

# fixed settings of the chapter's secondary experiments (not parameters)
TV_ETAS = (5e-3, 2e-3, 1e-3)          # several η at the temperature of the main run
TV_CHAINS = 100
POWERLAW = dict(eta=1e-3, sigma2=1000.0, c=1.0, n_chains=40, steps=5_000_000, burn_in=500_000)
EVOLUTION_PARTICLES = 2000
NSM_ETAS = (0.08, 0.04, 0.02, 0.01, 0.005)
NSM_RUNS = 2000
PROP6_CHAINS = 400


def _cross(v):
    if v["burn_in"] >= v["steps"]:
        raise ValueError(f"burn_in: must be < steps = {v['steps']}, got {v['burn_in']}")
    if v["n_chains"] * v["steps"] > MAX_UPDATES:
        raise ValueError(f"steps: n_chains * steps = {v['n_chains'] * v['steps']:.3g} exceeds "
                         f"{MAX_UPDATES:.0e} updates")
    inv = v["inv_etas"]
    if len(inv) < 3 or np.any(np.diff(inv) <= 0):
        raise ValueError(f"inv_etas: need at least 3 strictly increasing values of 1/η, got {inv!r}")


PARAMS = Params(
    Param("eta", 2e-3, "float", "step size η of the Himmelblau long-run experiment", lo=0.0, lo_open=True,
          hi=ETA_MAX, why="η·λ_max must stay below ~0.7 on Himmelblau, λ_max ≈ 134 at K1"),
    Param("sigma2", 15000.0, "float", "Gaussian noise variance σ² (ησ² = 30 at the defaults, reconstructed)",
          lo=0.0, lo_open=True),
    Param("n_chains", 200, "int", "chains started uniformly on [−5, 5]² (8 independent groups)", lo=8,
          hi=10**6),
    Param("steps", 400_000, "int", "steps per chain", lo=1),
    Param("burn_in", 100_000, "int", "steps discarded before histogramming (< steps)", lo=0),
    Param("seed", 0, "int", "seed of the core's random streams", lo=0, hi=2**63 - 1),
    Param("inv_etas", [150, 263, 377, 490, 604, 718, 831, 945, 1058], "list",
          "values of 1/η for the convergence-time experiment (≥ 3, increasing)", lo=20,
          why="1/η ≥ 20, i.e. η ≤ 0.05"),
    Param("sigma2_hump", 1500.0, "float", "σ² of the three-hump experiment (reconstructed)", lo=0.0,
          lo_open=True),
    Param("delta", 0.5, "float", "margin δ of the hitting time τ = min{t : ‖x_t − x0‖ ≤ δ}", lo=0.0,
          lo_open=True, hi=2.0, hi_open=True, why="x0 and x1 are 1.5 apart"),
    Param("n_runs_hump", 400, "int", "runs per η of the convergence-time experiment", lo=10, hi=10**6),
    extra=_cross)


def stream_plan(P):
    """Every block of random streams the chapter uses (all at seed P.seed), disjoint whatever P is.
    `at=` keeps each block where the book drew it before this plan existed, where that place is free:
    at the defaults only the first hitting-time block and the no-spurious-minimum blocks move (they
    shared streams with the Himmelblau chains and with each other)."""
    S = Streams()
    S.take("himmelblau", P["n_chains"], at=0)
    for k in range(len(TV_ETAS)):
        S.take(f"tv_{k}", TV_CHAINS, at=(k + 1) * 100_000)
    S.take("evolution", EVOLUTION_PARTICLES, at=9_000_000)
    S.take("powerlaw", POWERLAW["n_chains"], at=50_000_000)
    S.take("prop6_gauss", PROP6_CHAINS, at=70_000_000)
    S.take("prop6_mix", PROP6_CHAINS, at=80_000_000)
    for k in range(len(P["inv_etas"])):
        S.take(f"hump_{k}", P["n_runs_hump"], at=k * 1_000_000)
    for k in range(len(NSM_ETAS)):
        S.take(f"nsm_{k}", NSM_RUNS, at=k * 1_000_000)
    from . import web   # the page's kernel-free explorer: its own block, after all others
    S.take("explorer", web.n_streams(P))
    return S


def _default_offsets(prefix, count, n_runs):
    """Stream offsets for a run function called without them: the blocks `prefix_0 .. prefix_{count-1}`
    of the chapter's stream plan at default parameters where they exist and hold `n_runs` streams (the
    streams the page uses), otherwise fresh blocks above every block of the plan."""
    S = stream_plan(PARAMS.validate())
    out = []
    for k in range(count):
        name = f"{prefix}_{k}"
        if name in S.blocks and S.blocks[name][1] >= n_runs:
            out.append(S[name])
        else:
            out.append(S.take(f"{name}_call", n_runs))
    return out


# ----------------------------------------------------------------------------- long-run histograms

@dataclass
class GibbsRun:
    eta: float
    sigma2: float
    noise: str
    c: float
    hists: np.ndarray      # (n_groups, BINS, BINS) counts, index [g, ix, iy]
    edges: np.ndarray
    n_outside: int
    n_diverged: int
    updates: int
    elapsed: float

    @property
    def hist(self):
        return self.hists.sum(axis=0)

    def prob(self):
        h = self.hist.astype(float)
        return h / h.sum()


def long_run(eta, sigma2, n_chains, steps, burn_in, seed, noise="gaussian", c=1.0, n_groups=8,
             landscape="himmelblau", stream_base=0):
    """Chains started uniformly on [−5, 5]², pooled 80 × 80 histogram on [−5, 5]² after burn_in,
    one histogram per group of chains."""
    n_groups = int(n_groups)
    per = max(1, int(n_chains) // n_groups)
    if noise == "gaussian":
        scale = math.sqrt(sigma2)
    elif noise == "loss":
        scale = sgdlab.SqrtLoss(math.sqrt(sigma2), c)
    else:
        raise ValueError(f"noise: expected 'gaussian' or 'loss', got {noise!r}")
    rng = np.random.default_rng([int(seed), 7, stream_base])
    hists, out, div, upd, el = [], 0, 0, 0, 0.0
    for g in range(n_groups):
        r = sgdlab.simulate(landscape, noise="gaussian", noise_scale=scale, lr=eta, steps=steps,
                            w0=rng.uniform(-HALF, HALF, (per, 2)), burn_in=burn_in,
                            hist=((-HALF, HALF, BINS), (-HALF, HALF, BINS)), seed=seed,
                            stream_offset=stream_base + g * per)
        hists.append(r.hist)
        out += r.hist_outside
        div += r.n_diverged
        upd += r.updates
        el += r.elapsed
    return GibbsRun(eta, sigma2, noise, c, np.array(hists), np.linspace(-HALF, HALF, BINS + 1), out,
                    div, upd, el)


def bin_labels(land=th.HIMMELBLAU, pts=None):
    """Basin label (index into pts) of every histogram bin centre."""
    pts = th.critical_points(land) if pts is None else pts
    e = np.linspace(-HALF, HALF, BINS + 1)
    c = (e[:-1] + e[1:]) / 2
    X, Y = np.meshgrid(c, c, indexing="ij")
    return th.basin_labels(land, pts, np.stack([X, Y], -1))


def basin_masses(run, labels, mins):
    """Per-basin mass (minima in the order of `mins`): pooled mean, between-group SE, theory
    (bin-integrated density with the same bin labels)."""
    per = np.array([[h[labels == k].sum() / h.sum() for k in mins] for h in run.hists])
    pooled = np.array([run.hist[labels == k].sum() for k in mins]) / run.hist.sum()
    se = per.std(axis=0, ddof=1) / math.sqrt(len(per))
    form = "gibbs" if run.noise == "gaussian" else "powerlaw"
    G = th.bin_density(th.HIMMELBLAU, run.edges, run.edges, run.eta, run.sigma2, form, run.c)
    theory = np.array([G[labels == k].sum() for k in mins])
    return pooled, se, theory


def tv_sweep(etas, temp, n_chains, horizon, burn_frac, seed, stream_bases=None):
    """TV(histogram, bin-integrated Gibbs) for several η at fixed ησ² = temp, each run for the same
    continuous time `horizon` (steps = horizon/η). Also the TV between the two halves of the
    groups, a gauge of the sampling floor. η number k uses the streams from stream_bases[k]
    (default: the chapter's stream plan, blocks tv_k)."""
    if stream_bases is None:
        stream_bases = _default_offsets("tv", len(etas), n_chains)
    rows = []
    for k, eta in enumerate(etas):
        steps = int(round(horizon / eta))
        base = int(stream_bases[k])
        run = long_run(eta, temp / eta, n_chains, steps, int(burn_frac * steps), seed, stream_base=base)
        G = th.bin_density(th.HIMMELBLAU, run.edges, run.edges, eta, temp / eta)
        g = len(run.hists) // 2
        rows.append(dict(eta=float(eta), sigma2=float(temp / eta), steps=steps,
                         tv=th.tv_distance(run.hist, G),
                         tv_halves=th.tv_distance(run.hists[:g].sum(0), run.hists[g:].sum(0)),
                         n_diverged=run.n_diverged, run=run))
    return rows


def evolution(eta, sigma2, n_particles, snapshot_steps, seed, landscape="himmelblau", *, stream_offset):
    """Particles started uniformly on [−5, 5]²; their positions at `snapshot_steps`. `stream_offset`: the
    first of the n_particles streams, the block "evolution" of the chapter's `stream_plan` on the page."""
    rng = np.random.default_rng([int(seed), 11])
    r = sgdlab.simulate(landscape, noise="gaussian", noise_scale=math.sqrt(sigma2), lr=eta,
                        steps=int(snapshot_steps[-1]), w0=rng.uniform(-HALF, HALF, (n_particles, 2)),
                        snapshots=list(snapshot_steps), seed=seed, stream_offset=stream_offset)
    return r


# ----------------------------------------------------------------------------- hitting times

@dataclass
class HitTimes:
    inv_eta: float
    tau: np.ndarray        # hitting step per run (censored runs: the cap)
    slow: np.ndarray       # run went past the saddle x3 towards x4 (x > 1.5) before hitting
    censored: int
    n_diverged: int


def hitting_times(inv_etas, sigma2, delta, n_runs, seed, start=(0.0, 0.0), cap_factor=None,
                  max_steps=2 * 10 ** 8, stream_offsets=None):
    """τ = first step with |x_t − x0| ≤ δ on the three-hump camel, SGD from `start` with Gaussian
    noise N(0, σ² I). The exit record (x > 1.5) tells whether the run went to x4 first.
    1/η number k uses the streams from stream_offsets[k] (default: the chapter's stream plan, blocks
    hump_k)."""
    if stream_offsets is None:
        stream_offsets = _default_offsets("hump", len(inv_etas), int(n_runs))
    pts = th.critical_points(th.THREE_HUMP)
    x0 = min((p for p in pts if p.kind == "min"), key=lambda p: p.f).xy
    out = []
    for k, inv in enumerate(inv_etas):
        eta = 1.0 / float(inv)
        steps = int(max_steps)
        # thin=steps: nothing is recorded along the path (works around the core allocating
        # arange(steps + 1) for trajectory_steps even when no trajectory is asked for)
        r = sgdlab.simulate("three_hump_camel", noise="gaussian", noise_scale=math.sqrt(sigma2),
                            lr=eta, steps=steps, thin=steps, w0=list(start), n_runs=int(n_runs),
                            targets=[sgdlab.Ball(x0, delta)], stop_at_target=True,
                            exit_region=sgdlab.Box((-1e6, -1e6), (1.5, 1e6)), seed=seed,
                            stream_offset=int(stream_offsets[k]))
        tau = r.hit_step.astype(float)
        cens = int((tau < 0).sum())
        tau[tau < 0] = steps
        slow = (r.exit_step >= 0) & ((r.exit_step < r.hit_step) | (r.hit_step < 0))
        out.append(HitTimes(float(inv), tau, slow, cens, r.n_diverged))
    return out


def slope_fit(inv_etas, means, ses=None):
    """Least-squares line ln(mean) = a + b/η; returns (b, a, se_b) with se_b from the delta method
    SE(ln m) = SE(m)/m propagated through the (unweighted) LS weights."""
    x = np.asarray(inv_etas, float)
    y = np.log(np.asarray(means, float))
    xc = x - x.mean()
    w = xc / (xc ** 2).sum()
    b = float(w @ y)
    a = float(y.mean() - b * x.mean())
    se_b = float(np.sqrt(np.sum((w * np.asarray(ses) / np.asarray(means)) ** 2))) if ses is not None else float("nan")
    return b, a, se_b


def no_spurious(etas, sigma, delta, n_runs, seed, stream_offsets=None):
    """P2 corollary with no spurious minimum: f(x) = x⁴/4 − x²/2 (core 'double_well', minima ±1,
    both global), Gaussian noise σ, start at the maximum x = 0, τ = first step with ||x| − 1| ≤ δ.
    η number k uses the streams from stream_offsets[k] (default: the chapter's stream plan, blocks
    nsm_k). Returns rows {eta, mean_tau, se, eta_mean_tau, n_diverged}."""
    if stream_offsets is None:
        stream_offsets = _default_offsets("nsm", len(etas), int(n_runs))
    rows = []
    for k, eta in enumerate(etas):
        steps = int(50 / eta) + 10 ** 6
        r = sgdlab.simulate("double_well", noise="gaussian", noise_scale=sigma, lr=eta, steps=steps,
                            thin=steps, w0=0.0, n_runs=n_runs,
                            targets=[sgdlab.Interval(-1 - delta, -1 + delta), sgdlab.Interval(1 - delta, 1 + delta)],
                            stop_at_target=True, seed=seed,
                            stream_offset=int(stream_offsets[k]))
        tau = r.hit_step.astype(float)
        if np.any(tau < 0):
            raise RuntimeError(f"no_spurious: {int((tau < 0).sum())} runs did not hit within {steps} steps")
        m, se = tau.mean(), tau.std(ddof=1) / math.sqrt(tau.size)
        rows.append(dict(eta=float(eta), mean_tau=float(m), se=float(se), eta_mean_tau=float(eta * m),
                         n_diverged=r.n_diverged))
    return rows


# ----------------------------------------------------------------------------- Ziyin et al. Prop. 6

def prop6_run(pdf, lr, n_chains, horizon, seed, half=4.0, bins=80, stream_base=0):
    """SGD on L = w²/2 (core 'harmonic') with the Prop. 6 noise for the target `pdf`, iterates
    projected on [−half, half] (the paper truncates at ±4), started U[−1, 1]; pooled histogram after
    a burn-in of 10% of the horizon (in units of 1/lr steps). Returns (hist, edges, target bin
    masses, result)."""
    grid = np.linspace(-half, half, 1601)
    s2 = th.prop6_noise_variance(grid, pdf, lr)
    steps = int(round(horizon / lr))
    rng = np.random.default_rng([int(seed), 13, stream_base])
    r = sgdlab.simulate("harmonic", noise="gaussian", noise_scale=sgdlab.Tabulated(grid, np.sqrt(s2)),
                        lr=lr, steps=steps, burn_in=steps // 10, w0=rng.uniform(-1, 1, n_chains),
                        project=sgdlab.Interval(-half, half), hist=(-half, half, bins), seed=seed,
                        stream_offset=stream_base)
    edges = np.linspace(-half, half, bins + 1)
    target = np.array([np.trapezoid(pdf(np.linspace(a, b, 21)), np.linspace(a, b, 21))
                       for a, b in zip(edges[:-1], edges[1:])])
    h = r.hist.astype(float)
    h[-1] += r.hist_outside  # the projection's atom at +half lands just outside [lo, hi): count it in the last bin
    return h, edges, target, r


# ----------------------------------------------------------------------------- agreement

BARRIER = 4.887592   # f(x1) − f(x4) on the three-hump camel (independent computation, 7 digits)


def agreement(**k):
    """Agreement rows (the kit's `Rows`) from the chapter's results.

    Tolerances: exact numbers to 1e-5 (1e-4 for the arborescence energy, which goes through the
    critical points' Newton tolerance); basin masses to 4.5 between-group standard errors (two-sided
    p = 7e-6 per row for an exact Gibbs sampler) plus 0.01 for the O(η) bias of the scheme; TV
    thresholds and the slope-ratio bracket are criteria from an independent simulation made for this
    book (the papers report no numbers)."""
    rows = Rows(z=4.5)
    rows.bound("three-hump barrier f(x1) − f(x4)", fmt(BARRIER, 7), fmt(k["barrier"], 7),
               abs(k["barrier"] - BARRIER) < 1e-5, "1×10⁻⁵")
    rows.bound("three-hump hitting energy E(x2)·σ²/2 (minimum spanning arborescences)", fmt(BARRIER, 7),
               fmt(k["E_x2_units"], 7), abs(k["E_x2_units"] - BARRIER) < 1e-4, "1×10⁻⁴")
    if k.get("eta", 2e-3) <= 2e-3:   # the criterion is set for η ≤ 2e-3 only (larger η: O(η) bias)
        rows.bound("Himmelblau: TV(histogram, Gibbs law)", "small (≤ 0.05 for η ≤ 2×10⁻³)", k["tv_gibbs"],
                   k["tv_gibbs"] < 0.05, "0.05")
    for name, m, se, t in zip(k["min_names"], k["masses"], k["masses_se"], k["masses_theory"]):
        rows.close(f"basin mass of {name}", t, m, se, bias=0.01, note="0.01 for the O(η) bias",
                   group="Himmelblau basin masses against the Gibbs law")
    tvs = k["tv_sweep"]
    rows.bound("TV to the Gibbs law is largest at the largest η (fixed ησ²)", "largest at the largest η",
               ", ".join(fmt(r["tv"], 3) for r in tvs), tvs[0]["tv"] == max(r["tv"] for r in tvs),
               "strict ordering")
    pl = k["tv_forms"]
    rows.bound("noise ∝ f + c: TV to (f+c)^−(2/ησ²+1)", "small (≤ 0.06)", pl["powerlaw"],
               pl["powerlaw"] < 0.06, "0.06")
    rows.bound("noise ∝ f + c: that law beats the pure large-deviation form and Gibbs", "smallest TV",
               f"LD {fmt(pl['ld'], 3)}, Gibbs {fmt(pl['gibbs_c'], 3)}", pl["powerlaw"] < min(pl["ld"], pl["gibbs_c"]),
               "strict")
    b, bt = k["hump_slope_hat"], k["hump_slope_theory"]
    rows.bound("three-hump: slope of ln E[τ] against 1/η", bt, f"{fmt(b)} ± {fmt(k['hump_slope_se'], 2)}",
               1.0 <= b / bt <= 1.45, "ratio in [1, 1.45] (prefactor excess)")
    ref = k["nsm_ref_slope"]
    rows.bound("no spurious minimum: slope of ln(η E[τ]) against 1/η", "0 (sub-exponential)",
               k["nsm_slope"], k["nsm_slope"] <= 0.01 * ref,
               f"≤ 1% of {fmt(ref, 3)} (the slope of a minimum as deep as the barrier)")
    rows.bound("Prop. 6, bimodal target: TV(histogram, target)", "0", k["tv_prop6_mix"],
               k["tv_prop6_mix"] < 0.05, "0.05")
    return rows.rows
