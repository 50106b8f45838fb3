"""Simulations of the long-run chapter (Azizian et al. 2024/2025; Ziyin et al. §5.5): all SGD steps
run in the compiled core through `sgdlab.simulate`.

SGD here is x_{t+1} = x_t − η (∇f(x_t) + Z_t): the core's update with lr = η and additive noise
Z = s(x) N(0, I) (i.i.d. coordinates), s = σ (Gaussian) or s = σ √(f + c) (`SqrtLoss`).

Long-run histograms are pooled over chains and steps after burn-in. To get honest error bars the
chains are split into `n_groups` independent groups (own blocks of random streams): a quantity
computed per group (basin mass, …) has the between-group standard error sd/√n_groups.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import numpy as np

import sgdlab
from sgdlab.chapters.gibbs import theory as th
from sgdlab.params import is_int as _is_int

__all__ = ["validate_parameters", "GibbsRun", "long_run", "basin_masses", "tv_sweep", "evolution",
           "HitTimes", "hitting_times", "slope_fit", "no_spurious", "prop6_run", "agreement"]

HALF = 5.0        # histogram box [−5, 5]²
BINS = 80         # 80 × 80 bins (the slides' animation frame)
MAX_UPDATES = 4e9


def _num(name, v, positive=True):
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            raise ValueError(f"{name}: must be a number, got {v!r}") from None
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name}: must be a finite number, got {v!r}")
    if positive and v <= 0:
        raise ValueError(f"{name}: must be > 0, got {v!r}")
    return float(v)


def _int(name, v, minimum):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v) or v < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _list(name, v):
    # papermill's `-p name value` passes lists as strings
    if isinstance(v, str):
        try:
            v = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            raise ValueError(f"{name}: could not read {v!r} as a list of numbers") from None
    if not isinstance(v, (list, tuple, np.ndarray)):
        raise ValueError(f"{name}: must be a list of numbers, got {v!r}")
    return [_num(name, x) for x in v]


def validate_parameters(eta, sigma2, n_chains, steps, burn_in, seed, inv_etas, sigma2_hump, delta,
                        n_runs_hump):
    """Check the papermill parameters of the chapter; ValueError naming the parameter."""
    eta = _num("eta", eta)
    sigma2 = _num("sigma2", sigma2)
    if eta * 134 > 0.7:
        raise ValueError(f"eta: η·λ_max must stay below ~0.7 on Himmelblau (λ_max ≈ 134 at K1); got {eta}")
    n_chains = _int("n_chains", n_chains, 8)
    steps = _int("steps", steps, 1)
    burn_in = _int("burn_in", burn_in, 0)
    if burn_in >= steps:
        raise ValueError(f"burn_in: must be < steps={steps}, got {burn_in}")
    seed = _int("seed", seed, 0)
    if seed >= 2 ** 63:
        raise ValueError("seed: must be < 2**63")
    inv = _list("inv_etas", inv_etas)
    if len(inv) < 3 or np.any(np.diff(inv) <= 0):
        raise ValueError(f"inv_etas: need at least 3 strictly increasing values of 1/η, got {inv_etas!r}")
    if min(inv) < 20:
        raise ValueError(f"inv_etas: 1/η must be >= 20 (η ≤ 0.05), got {min(inv)}")
    sigma2_hump = _num("sigma2_hump", sigma2_hump)
    delta = _num("delta", delta)
    if delta >= 2.0:
        raise ValueError(f"delta: the margin must be < 2 (x0 and x1 are 1.5 apart), got {delta}")
    n_runs_hump = _int("n_runs_hump", n_runs_hump, 10)
    if n_chains * steps > MAX_UPDATES:
        raise ValueError(f"steps: n_chains * steps exceeds {MAX_UPDATES:.0e} updates")
    return dict(eta=eta, sigma2=sigma2, n_chains=n_chains, steps=steps, burn_in=burn_in, seed=seed,
                inv_etas=inv, sigma2_hump=sigma2_hump, delta=delta, n_runs_hump=n_runs_hump)


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


def tv_sweep(etas, temp, n_chains, horizon, burn_frac, seed):
    """TV(histogram, bin-integrated Gibbs) for several η at fixed ησ² = temp, each run for the same
    continuous time `horizon` (steps = horizon/η). Also the TV between the two halves of the
    groups, a gauge of the sampling floor."""
    rows = []
    for k, eta in enumerate(etas):
        steps = int(round(horizon / eta))
        run = long_run(eta, temp / eta, n_chains, steps, int(burn_frac * steps), seed,
                       stream_base=(k + 1) * 100_000)
        G = th.bin_density(th.HIMMELBLAU, run.edges, run.edges, eta, temp / eta)
        g = len(run.hists) // 2
        rows.append(dict(eta=float(eta), sigma2=float(temp / eta), steps=steps,
                         tv=th.tv_distance(run.hist, G),
                         tv_halves=th.tv_distance(run.hists[:g].sum(0), run.hists[g:].sum(0)),
                         n_diverged=run.n_diverged, run=run))
    return rows


def evolution(eta, sigma2, n_particles, snapshot_steps, seed, landscape="himmelblau"):
    """Particles started uniformly on [−5, 5]²; their positions at `snapshot_steps`."""
    rng = np.random.default_rng([int(seed), 11])
    r = sgdlab.simulate(landscape, noise="gaussian", noise_scale=math.sqrt(sigma2), lr=eta,
                        steps=int(snapshot_steps[-1]), w0=rng.uniform(-HALF, HALF, (n_particles, 2)),
                        snapshots=list(snapshot_steps), seed=seed, stream_offset=9_000_000)
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
                  max_steps=2 * 10 ** 8):
    """τ = first step with |x_t − x0| ≤ δ on the three-hump camel, SGD from `start` with Gaussian
    noise N(0, σ² I). The exit record (x > 1.5) tells whether the run went to x4 first."""
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
                            stream_offset=k * 1_000_000)
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


def no_spurious(etas, sigma, delta, n_runs, seed):
    """P2 corollary with no spurious minimum: f(x) = x⁴/4 − x²/2 (core 'double_well', minima ±1,
    both global), Gaussian noise σ, start at the maximum x = 0, τ = first step with ||x| − 1| ≤ δ.
    Returns rows {eta, mean_tau, se, eta_mean_tau}."""
    rows = []
    for k, eta in enumerate(etas):
        steps = int(50 / eta) + 10 ** 6
        r = sgdlab.simulate("double_well", noise="gaussian", noise_scale=sigma, lr=eta, steps=steps,
                            thin=steps, w0=0.0, n_runs=n_runs,
                            targets=[sgdlab.Interval(-1 - delta, -1 + delta), sgdlab.Interval(1 - delta, 1 + delta)],
                            stop_at_target=True, seed=seed, stream_offset=k * 1_000_000)
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

def agreement(**k):
    """Rows {check, theory, simulation, tolerance, passed} from the chapter's results (see the
    notebook for what each tolerance means)."""
    rows = []

    def row(check, theory, sim, tol, passed):
        rows.append(dict(check=check, theory=theory, simulation=sim, tolerance=tol, passed=bool(passed)))

    row("three-hump f(x1) − f(x4) (spec 4.887592)", "4.887592", f"{k['barrier']:.6f}", "1e-5",
        abs(k["barrier"] - 4.887592) < 1e-5)
    row("three-hump E(x2)·σ²/2 (W-graph)", "4.8876", f"{k['E_x2_units']:.6f}", "1e-4",
        abs(k["E_x2_units"] - 4.887592) < 1e-4)
    row("Himmelblau TV(histogram, Gibbs) at η, σ²", "TV ≤ 0.05 (spec C3, η ≤ 2e-3)",
        f"{k['tv_gibbs']:.4f}", "0.05", k["tv_gibbs"] < 0.05)
    for name, m, se, t in zip(k["min_names"], k["masses"], k["masses_se"], k["masses_theory"]):
        tol = max(4.5 * se, 0.01)
        row(f"basin mass {name}", f"{t:.4f}", f"{m:.4f} ± {se:.4f}", f"{tol:.4f} (4.5 SE, ≥ 0.01)",
            abs(m - t) <= tol)
    tvs = k["tv_sweep"]
    row("TV decreases as η → 0 at fixed ησ²", "decreasing", ", ".join(f"{r['tv']:.3f}" for r in tvs),
        "largest η has the largest TV", tvs[0]["tv"] == max(r["tv"] for r in tvs))
    pl = k["tv_forms"]
    row("power law (f+c)^−(2/ησ²+1): TV", "TV ≤ 0.06 (spec C4)", f"{pl['powerlaw']:.4f}", "0.06",
        pl["powerlaw"] < 0.06)
    row("power law beats the pure LD form and Gibbs_c", "smallest TV",
        f"LD {pl['ld']:.3f}, Gibbs_c {pl['gibbs_c']:.3f}", "strict",
        pl["powerlaw"] < min(pl["ld"], pl["gibbs_c"]))
    b, bt = k["hump_slope_hat"], k["hump_slope_theory"]
    row("three-hump slope of ln E[τ] vs 1/η", f"{bt:.5f}", f"{b:.5f} ± {k['hump_slope_se']:.5f}",
        "ratio in [1.0, 1.45] (spec C2: prefactor excess)", 1.0 <= b / bt <= 1.45)
    ref = k["nsm_ref_slope"]
    row("no spurious minima: slope of ln(η E[τ]) vs 1/η", "0 (E(x) = 0: sub-exponential)",
        f"{k['nsm_slope']:.2e}", f"≤ 1% of {ref:.2f} (the slope a minimum as deep as the barrier would give)",
        k["nsm_slope"] <= 0.01 * ref)
    row("Prop. 6, second target (bimodal): TV", "0", f"{k['tv_prop6_mix']:.4f}", "0.05",
        k["tv_prop6_mix"] < 0.05)
    return rows
