"""Simulations of the heavy-tailed chapter (Wang, Oh & Rhee 2022, Fig. 1): every step runs in the core.

Update (spec heavy_tailed.md 1.1): X <- proj_[-L, L](X - phi_b(eta (f'(X) - Z))), Z = noise_scale *
(+-1) * Pareto(alpha) (classical Pareto, the core's "pareto" law) or N(0, noise_scale^2).

Two records are used:
* first exit from the field Omega_2 = (s1, s2) (`exit_region=Interval(s1, s2)`, `stop_at_exit`),
  runs capped at `cap` steps (censored runs are counted and reported, never silently dropped);
* per-run occupancy of the four fields (`occupancy_edges`), a pooled histogram and thinned paths.

Core workaround: `simulate(..., occupancy_edges=e)` documents len(e)+1 columns (below e[0], each bin,
above e[-1)) but never fills the last one: steps above e[-1] are counted in the last bin (see
`_occupancy_fields`). We append an edge L + 0.1 beyond the projection, so that no step is ever
above it and the result is right with or without the fix.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

import sgdlab
from sgdlab.chapters.heavy_tails import theory as th
from sgdlab.params import is_int as _is_int

__all__ = ["NOISES", "validate_parameters", "parse_b", "b_key", "OccupancyRun", "run_occupancy",
           "scenarios", "ExitCurve", "exit_time_curve", "exit_curves", "exit_split", "fit_slope", "agreement",
           "HUMP_B", "HUMP_ETAS", "HUMP_ETA", "HUMP_SCALE", "HUMP_LIGHT_SCALE", "HUMP_STEPS", "HUMP_W0",
           "HumpRun", "run_hump", "hump_scenarios", "narrow_slope", "agreement_2d"]

NOISES = ("pareto", "gaussian")
PROJECT = sgdlab.Interval(-th.L_PROJ, th.L_PROJ)
DEFAULT_EXIT_ETAS = {"0.28": [0.1, 0.05, 0.03, 0.02], "0.5": [0.1, 0.03, 0.01, 0.003, 0.001],
                     "inf": [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003]}
# P1 Fig. 1 (right), read off the plot (spec 2.2): 20 runs per dot, cap 5e7 steps.
PAPER_EXIT_ETAS = {"0.28": [0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.001],
                   "0.5": [0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4],
                   "inf": [0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4]}

_CP = None


def critical_points():
    global _CP
    if _CP is None:
        _CP = th.critical_points()
    return _CP


# ----------------------------------------------------------------------------- parameters

def _number(name, v, lo=None, hi=None, open_lo=True):
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            raise ValueError(f"{name}: must be a number, got {v!r}") from None
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name}: must be a finite number, got {v!r}")
    v = float(v)
    if lo is not None and (v <= lo if open_lo else v < lo):
        raise ValueError(f"{name}: must be {'>' if open_lo else '>='} {lo}, got {v}")
    if hi is not None and v >= hi:
        raise ValueError(f"{name}: must be < {hi}, got {v}")
    return v


def parse_b(b, name="b"):
    """b as a float, or None for no truncation (accepts None, 'None', 'inf', inf)."""
    if b is None or (isinstance(b, str) and b.strip().lower() in ("none", "inf", "")):
        return None
    b = _number(name, b, lo=0.0)
    return None if math.isinf(b) else b


def b_key(b):
    """Dictionary key of a truncation level: '0.5', '0.28', 'inf'."""
    return "inf" if b is None else f"{b:g}"


def _int(name, v, lo):
    if isinstance(v, str):
        try:
            v = int(v)
        except ValueError:
            raise ValueError(f"{name}: must be an integer, got {v!r}") from None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v) or v < lo:
        raise ValueError(f"{name}: must be an integer >= {lo}, got {v!r}")
    return int(v)


def validate_exit_etas(exit_etas):
    """{b_key: increasing list of etas in (0, 1)}. Strings holding a Python dict are accepted."""
    if isinstance(exit_etas, str):
        try:
            exit_etas = ast.literal_eval(exit_etas)
        except (ValueError, SyntaxError):
            raise ValueError(f"exit_etas: could not read {exit_etas!r} as a dict") from None
    if not isinstance(exit_etas, dict) or not exit_etas:
        raise ValueError(f"exit_etas: must be a dict {{b: [etas]}} with b like '0.5' or 'inf', got {exit_etas!r}")
    out = {}
    for k, etas in exit_etas.items():
        b = parse_b(k, "exit_etas")
        if not isinstance(etas, (list, tuple)) or len(etas) < 2:
            raise ValueError(f"exit_etas: need at least 2 learning rates for b={k!r}, got {etas!r}")
        arr = sorted({_number("exit_etas", e, lo=0.0, hi=1.0) for e in etas}, reverse=True)
        out[b_key(b)] = arr
    return out


def validate_parameters(alpha, b, eta, steps, n_paths, x0, noise_scale, noise, seed, exit_etas,
                        exit_runs, exit_cap):
    """Check the chapter's papermill parameters; ValueError naming the bad one."""
    alpha = _number("alpha", alpha, lo=1.0, hi=2.0)
    b = parse_b(b)
    eta = _number("eta", eta, lo=0.0, hi=1.0)
    steps = _int("steps", steps, 1000)
    n_paths = _int("n_paths", n_paths, 1)
    x0 = _number("x0", x0)
    if not -th.L_PROJ <= x0 <= th.L_PROJ:
        raise ValueError(f"x0: must lie in [-{th.L_PROJ}, {th.L_PROJ}], got {x0}")
    cp = critical_points()
    if np.min(np.abs(x0 - cp["s"])) < 1e-9:
        raise ValueError(f"x0: must not sit on a saddle {cp['s']}, got {x0}")
    noise_scale = _number("noise_scale", noise_scale, lo=0.0)
    if noise not in NOISES:
        raise ValueError(f"noise: must be one of {NOISES}, got {noise!r}")
    seed = _int("seed", seed, 0)
    exit_etas = validate_exit_etas(exit_etas)
    exit_runs = _int("exit_runs", exit_runs, 10)
    exit_cap = _int("exit_cap", exit_cap, 1000)
    if steps * n_paths > 2e10:
        raise ValueError("steps: steps * n_paths exceeds 2e10 updates")
    return dict(alpha=alpha, b=b, eta=eta, steps=steps, n_paths=n_paths, x0=x0, noise_scale=noise_scale,
                noise=noise, seed=seed, exit_etas=exit_etas, exit_runs=exit_runs, exit_cap=exit_cap)


def _noise(noise, alpha):
    return sgdlab.make_noise("pareto", alpha=alpha) if noise == "pareto" else sgdlab.make_noise("gaussian")


# ----------------------------------------------------------------------------- long-run occupancy

@dataclass
class OccupancyRun:
    label: str
    params: dict
    fractions: np.ndarray           # (n_paths, 4): fraction of steps in Omega_1..Omega_4 per path
    pooled: np.ndarray              # (4,): pooled over paths (paths of equal length)
    hist_edges: np.ndarray
    hist: np.ndarray                # pooled counts over paths and steps
    traj_steps: np.ndarray
    trajectories: np.ndarray | None  # (n_traj, n_frames)
    n_diverged: int
    elapsed: float
    prediction: np.ndarray = field(default=None)

    @property
    def sharp_fraction(self):
        return float(self.pooled[0] + self.pooled[2])

    def sharp_per_path(self):
        return self.fractions[:, 0] + self.fractions[:, 2]


def _occupancy_fields(res, n_fields):
    occ = np.asarray(res.occupancy, dtype=float)[:, :n_fields]
    return occ


def run_occupancy(alpha=1.2, b=0.5, eta=1e-2, steps=10**7, n_paths=4, x0=0.3, noise_scale=0.1,
                  noise="pareto", seed=0, stream_offset=0, n_traj=1, n_frames=2000, hist_bins=160,
                  label=None, progress=False):
    """Simulate n_paths paths of `steps` steps and record the fraction of steps in each field."""
    cp = critical_points()
    edges = list(cp["s"]) + [th.L_PROJ + 0.1]   # workaround: see the module docstring
    thin = max(1, steps // n_frames)
    res = sgdlab.simulate("four_well", noise=_noise(noise, alpha), noise_scale=noise_scale, lr=eta,
                          clip=b, project=PROJECT, w0=x0, n_runs=n_paths, steps=steps,
                          occupancy_edges=edges, hist=(-th.L_PROJ, th.L_PROJ, hist_bins),
                          n_trajectories=min(n_traj, n_paths), thin=thin, seed=seed,
                          stream_offset=stream_offset, progress=progress)
    occ = _occupancy_fields(res, len(cp["m"]))
    ok = res.ok
    tot = occ.sum(axis=1, keepdims=True)
    fr = occ / np.where(tot > 0, tot, 1)
    pooled = occ[ok].sum(axis=0) / max(occ[ok].sum(), 1)
    label = label or f"{noise}, b={b_key(b)}"
    return OccupancyRun(label=label, params=dict(alpha=alpha, b=b, eta=eta, steps=steps, n_paths=n_paths,
                                                 x0=x0, noise_scale=noise_scale, noise=noise, seed=seed),
                        fractions=fr[ok], pooled=pooled, hist_edges=res.hist_edges[0], hist=res.hist,
                        traj_steps=res.trajectory_steps,
                        trajectories=np.atleast_2d(res.trajectories) if n_traj else None,
                        n_diverged=res.n_diverged, elapsed=res.elapsed,
                        prediction=th.predicted_occupancy(b, alpha, x0, cp) if noise == "pareto" else None)


def scenarios(alpha=1.2, b=0.5, eta=1e-2, steps=10**7, n_paths=4, x0=0.3, noise_scale=0.1, seed=0,
              light_scale=1.0):
    """P1 Fig. 1 (left, middle): heavy tails with/without truncation at b, light tails N(0, light_scale^2)
    with/without truncation. Each scenario has its own block of random streams."""
    b = 0.5 if b is None else b
    specs = [("heavy-tailed, no truncation", "pareto", None, noise_scale),
             (f"heavy-tailed, truncated at b={b:g}", "pareto", b, noise_scale),
             ("light-tailed N(0,1), no truncation", "gaussian", None, light_scale),
             (f"light-tailed N(0,1), truncated at b={b:g}", "gaussian", b, light_scale)]
    return [run_occupancy(alpha, bb, eta, steps, n_paths, x0, sc, nz, seed, stream_offset=1000 * (k + 1),
                          label=lab) for k, (lab, nz, bb, sc) in enumerate(specs)]


# ----------------------------------------------------------------------------- exit times

@dataclass
class ExitCurve:
    b: float | None
    etas: np.ndarray
    mean: np.ndarray          # mean first exit step over uncensored runs (lower bound if censored)
    se: np.ndarray            # standard error of the mean
    censored: np.ndarray      # runs that hit the cap
    n_runs: int
    cap: int
    prediction: np.ndarray    # 1/(q lambda(eta)); NaN where l* >= 3
    l_star: int
    exit_left: np.ndarray     # fraction of exits to the left (into Omega_1)
    slope: float = float("nan")
    slope_se: float = float("nan")
    intercept: float = float("nan")
    fit_mask: np.ndarray = None
    times: list = field(default_factory=list)

    @property
    def key(self):
        return b_key(self.b)


def fit_slope(etas, mean, se):
    """Weighted least squares of log(mean) on log(1/eta); returns (slope, its SE, intercept).
    Weights 1/var(log mean) with var(log mean) ~ (se/mean)^2 (delta method)."""
    x = np.log(1 / np.asarray(etas, float))
    y = np.log(np.asarray(mean, float))
    s = np.asarray(se, float) / np.asarray(mean, float)
    w = 1 / s ** 2
    X = np.vstack([np.ones_like(x), x]).T
    A = X.T @ (w[:, None] * X)
    coef = np.linalg.solve(A, X.T @ (w * y))
    cov = np.linalg.inv(A)
    return float(coef[1]), float(math.sqrt(cov[1, 1])), float(coef[0])


def exit_time_curve(b, etas, n_runs=100, alpha=1.2, noise_scale=0.1, x0=-0.7, cap=2 * 10**7, seed=0,
                    stream_base=0):
    """Mean first exit step from Omega_2 = (s1, s2) for each eta (runs stop at exit or at `cap`)."""
    cp = critical_points()
    s1, s2 = cp["s"][0], cp["s"][1]
    lstar, _ = th.jump_counts(cp["m"], cp["s"], b)
    etas = np.asarray(etas, float)
    mean, se, cens, left, times = [], [], [], [], []
    for k, eta in enumerate(etas):
        res = sgdlab.simulate("four_well", noise=_noise("pareto", alpha), noise_scale=noise_scale, lr=eta,
                              clip=b, project=PROJECT, w0=x0, n_runs=n_runs, steps=int(cap),
                              exit_region=sgdlab.Interval(s1, s2), stop_at_exit=True, seed=seed,
                              stream_offset=stream_base + k * n_runs)
        t = res.exit_step[res.ok]
        done = t >= 0
        tt = np.where(done, t, cap).astype(float)   # censored runs counted at the cap: a lower bound
        times.append(t[done])
        mean.append(tt.mean())
        se.append(tt.std(ddof=1) / math.sqrt(len(tt)))
        cens.append(int((~done).sum()) + res.n_diverged)
        left.append(float(np.mean(res.exit_state[res.ok][done] < s1)) if done.any() else float("nan"))
    pred = np.full(len(etas), np.nan)
    if lstar[1] <= 2:
        pred = th.exit_time_prediction(etas, 1, b, alpha, noise_scale, cp)
    mean, se, cens = np.array(mean), np.array(se), np.array(cens)
    curve = ExitCurve(b=b, etas=etas, mean=mean, se=se, censored=cens, n_runs=n_runs, cap=int(cap),
                      prediction=pred, l_star=int(lstar[1]), exit_left=np.array(left), times=times)
    mask = cens == 0
    if mask.sum() >= 2:
        curve.slope, curve.slope_se, curve.intercept = fit_slope(etas[mask], mean[mask], se[mask])
    curve.fit_mask = mask
    return curve


def exit_curves(exit_etas, n_runs=100, alpha=1.2, noise_scale=0.1, cap=2 * 10**7, seed=0):
    """One ExitCurve per truncation level of the dict {b_key: etas}; each with its own streams."""
    out = []
    for k, (key, etas) in enumerate(exit_etas.items()):
        out.append(exit_time_curve(parse_b(key), etas, n_runs=n_runs, alpha=alpha, noise_scale=noise_scale,
                                   cap=cap, seed=seed, stream_base=10**7 * (k + 1)))
    return out


def exit_split(b, etas, n_runs=400, field=2, to=1, alpha=1.2, noise_scale=0.1, x0=0.3, cap=10**7, seed=0,
               stream_base=5 * 10**7):
    """Fraction of first exits from field `field` (0-based; default Omega_3) that land in field `to`
    (default Omega_2), with its binomial SE and the competing-rates prediction, for each eta."""
    cp = critical_points()
    e = th._edges(cp["s"])
    rows = []
    for k, eta in enumerate(etas):
        res = sgdlab.simulate("four_well", noise=_noise("pareto", alpha), noise_scale=noise_scale, lr=eta,
                              clip=b, project=PROJECT, w0=x0, n_runs=n_runs, steps=int(cap),
                              exit_region=sgdlab.Interval(e[field], e[field + 1]), stop_at_exit=True,
                              seed=seed, stream_offset=stream_base + k * n_runs)
        done = res.ok & (res.exit_step >= 0)
        xs = res.exit_state[done]
        frac = float(np.mean((xs > e[to]) & (xs < e[to + 1])))
        n = int(done.sum())
        rows.append({"eta": float(eta), "n_exits": n, "fraction": frac,
                     "se": math.sqrt(max(frac * (1 - frac), 1e-12) / n),
                     "theory": float(th.competing_exit_probability(eta, field, to, b, alpha, noise_scale, cp)),
                     "mean_exit": float(res.exit_step[done].mean()), "censored": n_runs - n})
    return rows


# ----------------------------------------------------------------------------- agreement

def _row(check, theory, simulation, tolerance, passed):
    return {"check": check, "theory": theory, "simulation": simulation, "tolerance": tolerance,
            "passed": bool(passed)}


SLOPE_BAND = 0.15   # spec 5.2: slope within 0.15 of 1 + l*(alpha-1) (finite-eta bias, alpha-1 = 0.2 is slow)


Z_BINOM = 4.5   # two-sided normal p < 1e-5 for one binomial proportion


def agreement(cp, curves, main, scen, reducible, alpha, split=None):
    """Rows {check, theory, simulation, tolerance, passed} computed from this chapter's runs."""
    rows = []
    m = cp["m"]
    rows.append(_row("critical points: minima (printed formula)", "spec: -1.5115, -0.6993, 0.4962, 1.3221",
                     ", ".join(f"{x:.4f}" for x in m), "1e-3",
                     np.allclose(m, [-1.5115, -0.6993, 0.4962, 1.3221], atol=1e-3)))
    for key, want in (("0.5", [1, 2, 1, 2]), ("0.28", [1, 3, 1, 3])):
        ls, _ = th.jump_counts(m, cp["s"], float(key))
        rows.append(_row(f"l* at b={key}", str(want), str(list(map(int, ls))), "exact", list(ls) == want))
    g5, g28 = th.transition_graph(m, cp["s"], 0.5), th.transition_graph(m, cp["s"], 0.28)
    rows.append(_row("G_b irreducible at b=0.5, reducible at b=0.28", "True, False",
                     f"{g5['irreducible']}, {g28['irreducible']}", "exact",
                     g5["irreducible"] and not g28["irreducible"]))
    for c in curves:
        if not np.isfinite(c.slope):
            continue
        beta = th.slope_theory(c.l_star, alpha)
        rows.append(_row(f"exit-time slope, b={c.key} (l*={c.l_star})", f"{beta:.2f}",
                         f"{c.slope:.3f} ± {c.slope_se:.3f}", f"±{SLOPE_BAND}",
                         abs(c.slope - beta) <= SLOPE_BAND))
    by = {c.key: c for c in curves}
    # ordering T(0.28) > T(0.5) > T(inf) by x5 at common etas
    if "0.5" in by and "inf" in by:
        common = np.intersect1d(by["0.5"].etas, by["inf"].etas)
        r = [by["0.5"].mean[by["0.5"].etas == e][0] / by["inf"].mean[by["inf"].etas == e][0] for e in common]
        rows.append(_row("T(b=0.5)/T(no trunc.) at common η", "> 5", f"min {min(r):.1f}", "> 5", min(r) > 5))
    if "0.28" in by and "0.5" in by:
        common = np.intersect1d(by["0.28"].etas, by["0.5"].etas)
        if len(common):
            r = [by["0.28"].mean[by["0.28"].etas == e][0] / by["0.5"].mean[by["0.5"].etas == e][0] for e in common]
            rows.append(_row("T(b=0.28)/T(b=0.5) at common η", "> 5", f"min {min(r):.1f}", "> 5", min(r) > 5))
    # prefactor: untruncated within 25 % at the smallest eta; b = 0.5 ratio in [0.6, 1.1] (spec 5.3)
    for key, lo, hi in (("inf", 0.75, 1.25), ("0.5", 0.6, 1.1)):
        if key in by:
            c = by[key]
            k = int(np.argmin(c.etas))
            ratio = c.mean[k] / c.prediction[k]
            rows.append(_row(f"E σ / (1/(q λ)) at η={c.etas[k]:g}, b={key}", f"1 (pred {c.prediction[k]:.3g})",
                             f"{ratio:.3f} (± {c.se[k] / c.prediction[k]:.3f})", f"[{lo}, {hi}]",
                             lo <= ratio <= hi and c.censored[k] == 0))
    # occupancy
    hv, hb, lv, lb = scen
    pi_inf = th.predicted_occupancy(None, alpha, hv.params["x0"], cp)
    d = float(np.max(np.abs(hv.pooled - pi_inf)))
    rows.append(_row("occupancy, heavy untruncated vs CTMC on all minima (max |Δ|)",
                     "(" + ", ".join(f"{x:.3f}" for x in pi_inf) + ")",
                     "(" + ", ".join(f"{x:.3f}" for x in hv.pooled) + ")", "0.03", d <= 0.03))
    rows.append(_row(f"sharp fraction, heavy truncated at b={hb.params['b']:g}", "→ 0 (η → 0)",
                     f"{hb.sharp_fraction:.4f}", "< 0.05", hb.sharp_fraction < 0.05))
    share = hb.pooled[1] / (hb.pooled[1] + hb.pooled[3])
    pi5 = th.predicted_occupancy(hb.params["b"], alpha, hb.params["x0"], cp)
    rows.append(_row("Ω2 share of Ω2+Ω4 time, truncated", f"{pi5[1] / (pi5[1] + pi5[3]):.3f}",
                     f"{share:.3f}", "> 0.75", share > 0.75))
    for run in (lv, lb):
        i0 = th.field_index(run.params["x0"], cp["s"])
        rows.append(_row(f"{run.label}: time in the start field Ω{i0 + 1}", "1 (stuck)",
                         f"{run.pooled[i0]:.5f}", "> 0.999", run.pooled[i0] > 0.999))
    for run in reducible:
        if run.params["x0"] > cp["s"][0] and run.params["x0"] < cp["s"][1]:
            frac = float(run.pooled[[0, 1]].sum())
            rows.append(_row(f"b=0.28 (reducible), x0={run.params['x0']:g}: time in class {{m1, m2}}",
                             "1", f"{frac:.4f}", "> 0.99", frac > 0.99))
    if split:
        r = min(split, key=lambda r: r["eta"])
        tol = Z_BINOM * r["se"]
        rows.append(_row(f"b=0.28: first exit from Ω3 into Ω2 at η={r['eta']:g} (competing rates)",
                         f"{r['theory']:.3f}", f"{r['fraction']:.3f} ({r['n_exits']} exits)",
                         f"±{tol:.3f} (4.5 SE)", abs(r["fraction"] - r["theory"]) <= tol))
    # exit location from Omega_2 at the smallest etas: P(exit into Omega_1) -> q_21/q_2
    for c in curves:
        if not np.isfinite(c.prediction).all():
            continue
        Q0 = th.q_matrix(cp["m"], cp["s"], c.b, alpha)
        p = -Q0[1, 0] / Q0[1, 1]
        idx = np.argsort(c.etas)[:3]
        n = c.n_runs * len(idx) - int(c.censored[idx].sum())
        frac = float(np.mean(np.concatenate([[c.exit_left[k]] * (c.n_runs - int(c.censored[k])) for k in idx])))
        se = math.sqrt(p * (1 - p) / n)
        rows.append(_row(f"exit from Ω2 into Ω1, b={c.key} (η ≤ {c.etas[idx].max():g}, pooled)",
                         f"q21/q2 = {p:.3f}", f"{frac:.3f} ({n} exits)", f"±{Z_BINOM * se:.3f} (4.5 SE)",
                         abs(frac - p) <= Z_BINOM * se))
    return rows


# ----------------------------------------------------------------------------- the 2-D landscape

# Our own 2-D example (theory.heavy_tailed.hump_basins): three_hump_camel in the box [-3.5, 3] x [-2, 2],
# isotropic noise (uniform direction times |Z|), update truncated at HUMP_B. Fixed here (the chapter's
# parameters belong to the 1-D experiment); alpha, n_paths and seed are the chapter's.
HUMP_B = 1.35            # l* = (2, 1, 1): r = (1.467, 0.937, 1.235) are 0.12 from the multiples of b
HUMP_ETAS = (0.02, 0.01, 0.005)
HUMP_ETA = 0.01          # untruncated heavy and light runs
HUMP_SCALE = 0.5         # heavy: |Z| = 0.5 * Pareto(alpha)
HUMP_LIGHT_SCALE = 1.0   # light: Z ~ N(0, 1) per coordinate direction, isotropic
HUMP_STEPS = 10**7
HUMP_W0 = (0.0, 0.0)     # the middle minimum (narrowest basin)
HUMP_BLOCKS = 10         # batch means per path for the standard errors


@dataclass
class HumpRun:
    label: str
    params: dict
    pooled: np.ndarray        # (k,) fraction of steps in each basin, pooled over paths (2-D histogram)
    blocks: np.ndarray        # (n_paths * HUMP_BLOCKS, k) fractions per block of the thinned paths
    paths: np.ndarray         # (n_paths, n_frames, 2) thinned paths
    n_diverged: int
    elapsed: float

    def se(self):
        """Batch-means standard error of each pooled fraction (blocks of steps/HUMP_BLOCKS steps are
        much longer than the sojourns, so they are close to independent)."""
        n = len(self.blocks)
        return self.blocks.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(self.blocks.shape[1], np.nan)


def run_hump(bm, alpha=1.2, b=HUMP_B, eta=HUMP_ETA, steps=HUMP_STEPS, n_paths=4, noise="pareto",
             noise_scale=HUMP_SCALE, w0=HUMP_W0, seed=0, stream_offset=0, n_frames=20000, label=None):
    """n_paths paths on the 2-D landscape; fraction of steps (t > 0) in each basin of `bm`, from a 2-D
    histogram on exactly the classification cells."""
    nx, ny = len(bm["xs"]), len(bm["ys"])
    lo, hi = bm["lo"], bm["hi"]
    # hist upper edges moved 1e-9 past the box so that points projected onto the upper faces are counted
    # (the core's bin of w = hi exactly is "outside"); the cells move by < 1e-11, far below their 0.025
    hist = ((lo[0], hi[0] + 1e-9, nx), (lo[1], hi[1] + 1e-9, ny))
    thin = max(1, steps // n_frames)
    res = sgdlab.simulate("three_hump_camel", noise=_noise(noise, alpha), noise_scale=noise_scale,
                          isotropic=True, lr=eta, clip=b, project=sgdlab.Box(tuple(lo), tuple(hi)),
                          w0=np.asarray(w0, float), n_runs=n_paths, steps=steps, hist=hist,
                          n_trajectories=n_paths, thin=thin, seed=seed, stream_offset=stream_offset)
    k = len(bm["minima"])
    H = np.asarray(res.hist, dtype=float)
    counts = np.array([H[bm["labels"] == j].sum() for j in range(k)])
    if res.hist_outside:
        raise RuntimeError(f"run_hump: {res.hist_outside} steps outside the histogram (projection failed?)")
    pooled = counts / max(counts.sum(), 1.0)
    paths = np.asarray(res.trajectories, float).reshape(n_paths, -1, 2)[np.asarray(res.ok)]
    lab = th.label_of(bm, paths[:, 1:])           # frames after the start
    nb = HUMP_BLOCKS
    m = (lab.shape[1] // nb) * nb
    blocks = np.array([[np.mean(blk == j) for j in range(k)]
                       for row in lab[:, :m] for blk in np.split(row, nb)]) if m else np.zeros((0, k))
    label = label or f"{noise}, b={b_key(b)}, η={eta:g}"
    return HumpRun(label=label, params=dict(alpha=alpha, b=b, eta=eta, steps=steps, n_paths=n_paths,
                                            noise=noise, noise_scale=noise_scale, w0=tuple(w0), seed=seed),
                   pooled=pooled, blocks=blocks, paths=paths, n_diverged=res.n_diverged, elapsed=res.elapsed)


def hump_scenarios(bm, alpha=1.2, n_paths=4, seed=0, steps=HUMP_STEPS, etas=HUMP_ETAS, b=HUMP_B):
    """Heavy truncated at b for each eta in `etas`, heavy untruncated and light (Gaussian) untruncated
    at HUMP_ETA; all start at the middle minimum. Streams 20000 + 1000 k."""
    runs = [run_hump(bm, alpha, b, e, steps, n_paths, "pareto", HUMP_SCALE, seed=seed,
                     stream_offset=20000 + 1000 * k, label=f"heavy, truncated b={b:g}, η={e:g}")
            for k, e in enumerate(etas)]
    runs.append(run_hump(bm, alpha, None, HUMP_ETA, steps, n_paths, "pareto", HUMP_SCALE, seed=seed,
                         stream_offset=20000 + 1000 * len(etas), label=f"heavy, no truncation, η={HUMP_ETA:g}"))
    runs.append(run_hump(bm, alpha, None, HUMP_ETA, steps, n_paths, "gaussian", HUMP_LIGHT_SCALE, seed=seed,
                         stream_offset=20000 + 1000 * (len(etas) + 1),
                         label=f"light N(0,1), no truncation, η={HUMP_ETA:g}"))
    return runs


def narrow_slope(runs, widest):
    """Fit log(time outside the widest basins) = c + s log(eta) over the truncated runs; SE of s by the
    delta method from the batch-means SEs (weighted least squares). Returns (s, se, etas, frac, frac_se)."""
    etas, fr, se = [], [], []
    for r in runs:
        outside = r.blocks[:, [j for j in range(r.blocks.shape[1]) if j not in widest]].sum(axis=1)
        etas.append(r.params["eta"])
        fr.append(1.0 - float(r.pooled[widest].sum()))
        se.append(outside.std(ddof=1) / math.sqrt(len(outside)) if len(outside) > 1 else np.nan)
    etas, fr, se = map(np.asarray, (etas, fr, se))
    x, y, sy = np.log(etas), np.log(fr), se / fr
    w = 1 / sy**2
    xm = np.sum(w * x) / np.sum(w)
    s = np.sum(w * (x - xm) * y) / np.sum(w * (x - xm) ** 2)
    s_se = math.sqrt(1 / np.sum(w * (x - xm) ** 2))
    return float(s), float(s_se), etas, fr, se


def agreement_2d(bm, runs, alpha, b=HUMP_B):
    """Rows for the 2-D landscape (runs from `hump_scenarios`: truncated..., untruncated, light)."""
    rows = []
    D = th.basin_distances(bm)
    g = th.transition_graph_2d(D, b)
    widest = g["widest"]
    trunc, heavy, light = runs[:-2], runs[-2], runs[-1]
    rows.append(_row(f"2-D: G_b irreducible at b={b:g}, widest basin(s)", "True, [left]",
                     f"{g['irreducible']}, {widest}", "exact", g["irreducible"] and widest == [0]))
    pi = th.stationary(th.untruncated_generator_2d(bm, alpha))
    se = heavy.se()
    d = np.abs(heavy.pooled - pi)
    tol = Z_BINOM * se
    rows.append(_row("2-D occupancy, heavy untruncated vs CTMC on all minima",
                     "(" + ", ".join(f"{x:.3f}" for x in pi) + ")",
                     "(" + ", ".join(f"{x:.3f}" for x in heavy.pooled) + ")",
                     "±(" + ", ".join(f"{x:.3f}" for x in tol) + ") (4.5 SE)", bool(np.all(d <= tol))))
    if len(trunc) >= 2:
        s, s_se, *_ = narrow_slope(trunc, widest)
        rows.append(_row(f"2-D truncated: time outside the widest basin ∝ η^(α-1)", f"slope {alpha - 1:.2f}",
                         f"{s:.3f} ± {s_se:.3f}", f"±{Z_BINOM * s_se:.3f} (4.5 SE)",
                         abs(s - (alpha - 1)) <= Z_BINOM * s_se))
    worst = min(float(np.mean(th.label_of(bm, p[1:]) == widest[0])) for r in trunc for p in r.paths)
    rows.append(_row("2-D truncated: widest basin holds most of each path's time", "> 0.5 (→ 1 as η → 0)",
                     f"min over paths {worst:.3f}", "> 0.5", worst > 0.5))
    i0 = int(th.label_of(bm, np.asarray(light.params["w0"])))
    rows.append(_row("2-D light tails: time in the start basin", "1 (stuck)", f"{light.pooled[i0]:.5f}",
                     "> 0.999", light.pooled[i0] > 0.999))
    return rows
