"""Simulations of the sticking chapter (Dudukalov et al. 2025; spec sticking.md): all steps in the core.

SGD is X_{k+1} = X_k - eps (f'(X_k) + s Z_{k+1}) with constant eps (the core's `lr`) and additive
noise of law Z (gaussian / laplace / stable) and scale s (`noise_scale`). "Reaching a minimum" is the
first |X - M| > delta = 0.5 (half-way to the minimum), recorded with `exit_region` + `stop_at_exit`:
the sign of the exit state is the side, the exit step the time. Runs that neither exit nor diverge
within the step budget are counted as undecided and reported.

Every configuration gets its own block of random streams (`stream_offset = block * 2**32`), so all
estimates are statistically independent.

The random-walk oracle (law-agnostic ground truth for the sharp maximum, spec §6) is the scaled walk
W_{k+1} = W_k + b - xi (W > 0), W_k - a - xi (W < 0), stopped at |W| > K. It is simulated in the core
as SGD on the kinked two-well landscape at a tiny step eps_w = 1e-9 with X = eps_w W: then
X_{k+1}/eps_w = W_k - a(1 + eps_w W_k) - xi on the left (and likewise on the right), i.e. the walk up
to a drift error a eps_w |W| <= a K 1e-9 per step, which is negligible (relative 1e-6 at K = 1000).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import sgdlab
from sgdlab.chapters.sticking import theory as th
from sgdlab.params import is_int as _is_int, maybe_list as _maybe_list, number as _number

__all__ = ["validate_parameters", "noise_law", "KinkResult", "kink_split", "walk_oracle",
           "smooth_direction", "sticking_times", "fit_slope", "convergence_window",
           "heavy_tail_signature", "metastable_chain", "flat_max_times", "agreement"]

DELTA = 0.5
LINEAR_START = 0.25   # T3's linearisation at the smooth maximum: |X_0| <= 0.25 keeps |f'(x) + x| / |x| = x^2 <= 6%
WALK_EPS = 1e-9
BLOCK = 2 ** 32


def validate_parameters(eps, kink_a, kink_b, noise, noise_scale, alpha, offsets, n_runs, seed):
    """Check the papermill parameters of the chapter; ValueError naming the parameter."""
    eps = _number("eps", eps, positive=True)
    if not eps <= 0.05:
        raise ValueError(f"eps: must be <= 0.05 (the theory is an eps -> 0 limit), got {eps}")
    if eps < 1e-5:
        raise ValueError(f"eps: must be >= 1e-5 (runs take ~1/eps steps), got {eps}")
    kink_a = _number("kink_a", kink_a, positive=True)
    kink_b = _number("kink_b", kink_b, positive=True)
    if not isinstance(noise, str) or noise not in th.LAWS:
        raise ValueError(f"noise: must be one of {th.LAWS}, got {noise!r}")
    noise_scale = _number("noise_scale", noise_scale, positive=True)
    alpha = _number("alpha", alpha)
    if not 1.0 < alpha < 2.0:
        raise ValueError(f"alpha: must lie in (1, 2) (finite mean, infinite variance), got {alpha}")
    offsets = _maybe_list("offsets", offsets)
    if not isinstance(offsets, (list, tuple)) or len(offsets) < 1:
        raise ValueError(f"offsets: must be a non-empty list of numbers (units of eps), got {offsets!r}")
    offsets = [_number("offsets", y) for y in offsets]
    if any(abs(y) * eps >= DELTA for y in offsets):
        raise ValueError(f"offsets: every |y| eps must be < {DELTA} (the stopping radius), got {offsets!r}")
    if not _is_int(n_runs) or n_runs < 100:
        raise ValueError(f"n_runs: must be an integer >= 100, got {n_runs!r}")
    if n_runs > 2_000_000:
        raise ValueError(f"n_runs: must be <= 2000000, got {n_runs}")
    if not _is_int(seed) or not 0 <= seed < 2 ** 63:
        raise ValueError(f"seed: must be an integer in [0, 2**63), got {seed!r}")
    return dict(eps=eps, kink_a=kink_a, kink_b=kink_b, noise=noise, noise_scale=noise_scale,
                alpha=alpha, offsets=offsets, n_runs=int(n_runs), seed=int(seed))


def noise_law(law, alpha=1.5):
    """The core's noise law with unit scale (the scale goes to `noise_scale`)."""
    if law == "gaussian":
        return sgdlab.make_noise("gaussian")
    if law == "laplace":
        return sgdlab.make_noise("laplace")
    if law == "stable":
        return sgdlab.make_noise("stable", alpha=float(alpha))
    raise ValueError(f"noise: must be one of {th.LAWS}, got {law!r}")


def law_label(law, scale=1.0, alpha=1.5):
    if law == "gaussian":
        return f"Gaussian σ={scale:g}"
    if law == "laplace":
        return f"Laplace β={scale:g}"
    return f"SαS α={alpha:g}, c={scale:g}"


def _binom_se(p, n):
    return math.sqrt(max(p * (1 - p), 0.25 / max(n, 1)) / max(n, 1)) if n else float("nan")


def _exits(res):
    """(decided mask, side +1/-1, exit step) of an exit-stopped run set; diverged runs excluded."""
    decided = (res.exit_step >= 0) & res.ok
    side = np.sign(res.exit_state)
    return decided, side, res.exit_step


@dataclass
class KinkResult:
    """Split probabilities at a sharp maximum, per start offset."""
    offsets: np.ndarray           # y (units of eps, or the scale of the experiment)
    p_right: np.ndarray
    se: np.ndarray
    mean_time: np.ndarray         # E[eps tau] over decided runs
    time_se: np.ndarray
    n: np.ndarray                 # decided runs per offset
    n_undecided: np.ndarray
    n_diverged: np.ndarray
    meta: dict = field(default_factory=dict)


def _split_runs(landscape, params, lr, x0s, law, scale, alpha, radius, n_runs, seed, block, max_steps,
                center=0.0):
    out = dict(p=[], se=[], t=[], tse=[], n=[], und=[], div=[], side=[])
    for i, x0 in enumerate(x0s):
        res = sgdlab.simulate(landscape, landscape_params=params, noise=noise_law(law, alpha),
                              noise_scale=scale, lr=lr, steps=int(max_steps), w0=float(x0),
                              n_runs=n_runs, exit_region=sgdlab.Interval(center - radius, center + radius),
                              stop_at_exit=True, seed=seed, stream_offset=(block + i) * BLOCK)
        decided, side, step = _exits(res)
        n = int(decided.sum())
        p = float(np.mean(side[decided] > 0)) if n else float("nan")
        t = lr * step[decided].astype(float)
        out["p"].append(p)
        out["se"].append(_binom_se(p, n))
        out["t"].append(float(t.mean()) if n else float("nan"))
        out["tse"].append(float(t.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"))
        out["n"].append(n)
        out["und"].append(int(((res.exit_step < 0) & res.ok).sum()))
        out["div"].append(res.n_diverged)
    return out


def _to_result(offsets, out, meta):
    return KinkResult(np.asarray(offsets, float), np.array(out["p"]), np.array(out["se"]), np.array(out["t"]),
                      np.array(out["tse"]), np.array(out["n"]), np.array(out["und"]), np.array(out["div"]),
                      meta)


def kink_split(a, b, law, scale, alpha, eps, offsets, *, n_runs, seed, convention=0.0, block=0,
               delta=DELTA, x0_abs=None):
    """SGD on the kinked two-well landscape (f' = a(x+1) left of 0, b(x-1) right, f'(0) := convention)
    from X_0 = eps y for y in `offsets` (or from the absolute starts `x0_abs`); stop at |X| > delta.
    `convention`: a number (the value of f'(0)) or 'zero'/'right'/'left'."""
    g = convention if not isinstance(convention, str) else th.kink_grad(convention, a, b)
    x0s = list(x0_abs) if x0_abs is not None else [eps * y for y in offsets]
    max_steps = 200 * delta / (eps * min(a, b)) + 10_000
    out = _split_runs("kinked_two_well", dict(a=a, b=b, kink_grad=g), eps, x0s, law, scale, alpha, delta,
                      n_runs, seed, block, max_steps)
    return _to_result(offsets if x0_abs is None else x0s, out,
                      dict(a=a, b=b, law=law, scale=scale, alpha=alpha, eps=eps, kink_grad=g,
                           label=law_label(law, scale, alpha), n_runs=n_runs))


def walk_oracle(a, b, law, scale, alpha, offsets, *, n_runs, seed, K=None, convention=0.0, block=0):
    """The scaled random walk of spec T5 (law-agnostic), started at W_0 = y, stopped at |W| > K
    (default 300 for light tails, 1000 for stable noise); returns the fraction ending at +K."""
    g = convention if not isinstance(convention, str) else th.kink_grad(convention, a, b)
    if K is None:
        K = 1000.0 if law == "stable" else 300.0
    max_steps = 200 * K / min(a, b) + 10_000
    out = _split_runs("kinked_two_well", dict(a=a, b=b, kink_grad=g), WALK_EPS,
                      [WALK_EPS * y for y in offsets], law, scale, alpha, K * WALK_EPS, n_runs, seed, block,
                      max_steps)
    out["t"] = [t * 0 + float("nan") for t in out["t"]]
    return _to_result(offsets, out, dict(a=a, b=b, law=law, scale=scale, alpha=alpha, K=K, kink_grad=g,
                                         label="random walk, " + law_label(law, scale, alpha),
                                         n_runs=n_runs))


def smooth_direction(law, eps, ys, *, alpha=1.5, scale=1.0, n_runs, seed, block=0):
    """Double well (smooth maximum at 0, lam = 1): exit side from X_0 = y * eps^(1/2) (finite variance)
    or y * eps^(1 - 1/alpha) (stable)."""
    unit = math.sqrt(eps) if law != "stable" else eps ** (1.0 - 1.0 / alpha)
    max_steps = 50 * math.log(1 / eps) / eps + 10_000
    out = _split_runs("double_well", dict(linear_beyond=2.0), eps, [unit * y for y in ys], law, scale, alpha,
                      DELTA, n_runs, seed, block, max_steps)
    return _to_result(ys, out, dict(law=law, eps=eps, unit=unit, alpha=alpha, scale=scale,
                                    label=law_label(law, scale, alpha), n_runs=n_runs))


def sticking_times(law, eps_values, *, alpha=1.5, scale=1.0, n_runs, seed, block=0, landscape="double_well"):
    """Mean exit time E[eps tau_delta] from X_0 = M = 0, per eps (one KinkResult-like row per eps)."""
    rows = []
    for i, eps in enumerate(eps_values):
        params = dict(linear_beyond=2.0) if landscape == "double_well" else None
        if landscape == "flat_max":
            max_steps = 20 * 2.0 * eps ** -1.5 + 10_000
        else:
            max_steps = 50 * math.log(1 / eps) / eps + 10_000
        out = _split_runs(landscape, params, eps, [0.0], law, scale, alpha, DELTA, n_runs, seed,
                          block + i, max_steps)
        rows.append({k: v[0] for k, v in out.items() if v})
    return _to_result(np.asarray(eps_values, float), {k: [r[k] for r in rows] for k in rows[0]},
                      dict(law=law, alpha=alpha, scale=scale, landscape=landscape,
                           label=law_label(law, scale, alpha), n_runs=n_runs))


def fit_slope(eps_values, means, ses):
    """Weighted least-squares slope of E[eps tau] against log(1/eps), with its standard error."""
    x = np.log(1.0 / np.asarray(eps_values, float))
    y, s = np.asarray(means, float), np.asarray(ses, float)
    w = 1.0 / s ** 2
    X = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ (X.T @ (w * y))
    return float(beta[1]), float(math.sqrt(cov[1, 1])), float(beta[0])


def convergence_window(law, eps, ode_times, *, alpha=1.5, scale=1.0, x0=0.5, n_runs, seed, block=0,
                       radius=0.2):
    """C1: double well from x0 (basin of +1); states at eps*n in `ode_times`.
    Returns dict with P(|X - 1| < radius), P(X < 0), their SEs, and the snapshots."""
    steps = [int(round(t / eps)) for t in ode_times]
    res = sgdlab.simulate("double_well", landscape_params=dict(linear_beyond=2.0), noise=noise_law(law, alpha),
                          noise_scale=scale, lr=eps, steps=max(steps), w0=x0, n_runs=n_runs,
                          snapshots=steps, seed=seed, stream_offset=block * BLOCK)
    snaps = res.snapshots[res.ok]
    n = snaps.shape[0]
    p_min = np.mean(np.abs(snaps - 1.0) < radius, axis=0)
    p_neg = np.mean(snaps < 0, axis=0)
    return dict(ode_times=np.asarray(ode_times, float), steps=np.array(steps), p_min=p_min,
                p_min_se=np.sqrt(p_min * (1 - p_min) / n), p_neg=p_neg, p_neg_se=np.sqrt(p_neg * (1 - p_neg) / n),
                snapshots=snaps, n=n, n_diverged=res.n_diverged, law=law, eps=eps, alpha=alpha, scale=scale,
                radius=radius, label=law_label(law, scale, alpha))


def heavy_tail_signature(a, b, law, eps_values, *, alpha=1.5, scale=1.0, x0=0.05, n_runs, seed, block=0):
    """C3 signature: P(left) from the fixed start X_0 = x0 > 0 for several eps (y = x0/eps grows)."""
    rows = []
    for i, eps in enumerate(eps_values):
        r = kink_split(a, b, law, scale, alpha, eps, [x0 / eps], n_runs=n_runs, seed=seed, block=block + i)
        rows.append(dict(eps=eps, y=x0 / eps, p_left=1 - float(r.p_right[0]), se=float(r.se[0]),
                         n=int(r.n[0]), n_undecided=int(r.n_undecided[0]), n_diverged=int(r.n_diverged[0])))
    return rows


def metastable_chain(eps, *, alpha=1.5, scale=1.0, n_runs, seed, block=0):
    """C4: f' = sin(2 pi x), SaS noise, X_0 = 0; first |X| > 1/2: exit step and destination round(X)."""
    mean = 1.0 / th.chain_rate_sine(eps, alpha, scale)
    res = sgdlab.simulate("sine", noise=noise_law("stable", alpha), noise_scale=scale, lr=eps,
                          steps=int(30 * mean) + 10_000, w0=0.0, n_runs=n_runs,
                          exit_region=sgdlab.Interval(-0.5, 0.5), stop_at_exit=True, seed=seed,
                          stream_offset=block * BLOCK)
    decided = (res.exit_step >= 0) & res.ok
    steps = res.exit_step[decided].astype(float)
    dest = np.rint(res.exit_state[decided]).astype(int)
    return dict(eps=eps, alpha=alpha, steps=steps, dest=dest, n=int(decided.sum()),
                n_undecided=int(((res.exit_step < 0) & res.ok).sum()), n_diverged=res.n_diverged,
                mean=float(steps.mean()), mean_se=float(steps.std(ddof=1) / math.sqrt(len(steps))),
                cv=float(steps.std(ddof=1) / steps.mean()), predicted_mean=float(mean))


def flat_max_times(law, eps_values, *, alpha=1.5, scale=1.0, n_runs, seed, block=0):
    """C5: E[eps tau_0.5] from the degenerate maximum of f' = x^5 - x^3."""
    return sticking_times(law, eps_values, alpha=alpha, scale=scale, n_runs=n_runs, seed=seed, block=block,
                          landscape="flat_max")


# ----------------------------------------------------------------------------- agreement table

def bonferroni_z(n_checks, family_p=1e-4):
    """Two-sided z such that n_checks simultaneous normal checks all pass with probability >= 1 - family_p."""
    from scipy import stats
    return float(stats.norm.isf(family_p / (2 * max(int(n_checks), 1))))


class Rows:
    """Collects agreement rows {check, theory, simulation, tolerance, passed}. A statistical row passes if
    |sim - theory| <= z * SE + bias (bias: a stated allowance for the eps -> 0 limit, from the spec)."""

    def __init__(self, z):
        self.z = float(z)
        self.rows = []

    def close(self, check, theory, sim, se, bias=0.0, note=""):
        tol = self.z * float(se) + float(bias)
        ok = bool(abs(float(sim) - float(theory)) <= tol)
        self.rows.append(dict(check=check, theory=round(float(theory), 4), simulation=round(float(sim), 4),
                              tolerance=(f"±{tol:.4f} (z·SE = {self.z:.2f}×{float(se):.4f}"
                                         + (f" + ε-allowance {bias:g}" if bias else "") + ")"
                                         + (f"; {note}" if note else "")),
                              passed=ok))
        return ok

    def rel(self, check, theory, sim, se, rel, note=""):
        return self.close(check, theory, sim, se, bias=rel * abs(float(theory)), note=note or f"allowance {rel:.0%}")

    def bound(self, check, theory_text, sim, ok, tol_text):
        self.rows.append(dict(check=check, theory=theory_text, simulation=sim if isinstance(sim, str)
                              else round(float(sim), 4), tolerance=tol_text, passed=bool(ok)))
        return bool(ok)


def agreement(P, z, *, kink, oracle, ref, conventions, diffusion, windows, dirs, times, kink_times, signature,
              chain=None, flat=None):
    """Rows of the chapter's agreement table, computed from the simulations (see the notebook for the
    meaning of each block). P: validated parameters."""
    a, b, law, s, alpha, eps = P["kink_a"], P["kink_b"], P["noise"], P["noise_scale"], P["alpha"], P["eps"]
    R = Rows(z)
    bias_kink = (0.3 * eps ** (alpha - 1.0)) if law == "stable" else 3.0 * eps
    # C3 at the chapter's parameters: SGD vs exact formula (Laplace) or oracle, oracle vs formula.
    for i, y in enumerate(kink.offsets):
        if law == "laplace":
            h = th.laplace_split(float(y), a, b, s)
            R.close(f"C3 SGD h({y:g}) vs exact Laplace formula", h, kink.p_right[i], kink.se[i], bias_kink)
            R.close(f"C3 oracle h({y:g}) vs exact Laplace formula", h, oracle.p_right[i], oracle.se[i])
        else:
            R.close(f"C3 SGD h({y:g}) vs random-walk oracle ({law})", oracle.p_right[i], kink.p_right[i],
                    math.hypot(kink.se[i], oracle.se[i]), bias_kink)
    # reference laws at (a, b): SGD vs oracle (and vs formula for Laplace)
    for lw, (sg, orc) in ref.items():
        bias = (0.3 * eps ** (alpha - 1.0)) if lw == "stable" else 3.0 * eps
        for i, y in enumerate(sg.offsets):
            theo = th.laplace_split(float(y), a, b, 1.0) if lw == "laplace" else orc.p_right[i]
            se = sg.se[i] if lw == "laplace" else math.hypot(sg.se[i], orc.se[i])
            R.close(f"C3 {sg.meta['label']}: SGD h({y:g}) vs {'formula' if lw == 'laplace' else 'oracle'}",
                    theo, sg.p_right[i], se, bias)
    for conv, r in conventions.items():
        R.close(f"C3 convention {th.CONVENTIONS[conv]}: Laplace β=1 h(0)", th.laplace_split_at_kink(a, b, 1.0, conv),
                r.p_right[0], r.se[0], 3.0 * eps)
    for d in diffusion:
        where = f"oracle K={d.meta['K']:g}" if "K" in d.meta else f"SGD ε={d.meta['eps']:g}"
        R.close(f"C3 diffusion limit, Gaussian σ={d.meta['scale']:g}, {where}: h(0) = b/(a+b)", b / (a + b),
                d.p_right[0], d.se[0], 0.006, note="allowance 0.006 (finite σ, spec)")
    # no sticking at the sharp max: E[eps tau] at the two smallest eps vs the flow time
    for kt in kink_times:
        h = float(kt.p_right[-1])
        pred = th.kink_exit_time(h, a, b)
        for i in range(1, len(kt.offsets)):
            R.rel(f"C3 no sticking, {kt.meta['label']}: E[ε τ] at ε={kt.offsets[i]:g} vs flow time",
                  pred, kt.mean_time[i], kt.time_se[i], 0.04, note="allowance 4% (O(ε^{α-1}) / O(ε))")
        sl, sse, _ = fit_slope(kt.offsets, kt.mean_time, kt.time_se)
        R.close(f"C3 no sticking, {kt.meta['label']}: slope of E[ε τ] vs log(1/ε)", 0.0, sl, sse, 0.02)
    # heavy-tail signature
    if "stable" in signature:
        rows = signature["stable"]
        p1, p2 = rows[0]["p_left"], rows[1]["p_left"]
        ratio = p1 / p2 if p2 > 0 else float("nan")
        rse = ratio * math.hypot(rows[0]["se"] / p1, rows[1]["se"] / p2) if p2 > 0 else float("nan")
        pred = (rows[1]["y"] / rows[0]["y"]) ** (alpha - 1.0)
        R.rel(f"C3 SαS wrong side: P(left) ratio ε={rows[0]['eps']:g} / {rows[1]['eps']:g} (∝ ε^(α−1))",
              pred, ratio, rse, 0.15, note="allowance 15% (pre-asymptotic)")
        for r in rows:
            psi = float(th.wrong_side_stable(r["y"], b, alpha))
            R.bound(f"C3 SαS wrong side at y={r['y']:g}: 0.6 ψ_R(y) ≤ P(left) ≤ ψ_R(y)",
                    f"[{0.6 * psi:.4f}, {psi:.4f}]", r["p_left"],
                    0.6 * psi - z * r["se"] <= r["p_left"] <= psi + z * r["se"],
                    f"± z·SE = {z * r['se']:.4f}; ψ_R asymptotic (Veraverbeke)")
    for lw in ("laplace", "gaussian"):
        if lw in signature:
            for r in signature[lw]:
                R.bound(f"C3 {lw} wrong side at y={r['y']:g}: P(left) exponentially small",
                        "< 1e-4", r["p_left"], r["p_left"] * r["n"] <= 3, "at most 3 of n runs")
    # C1 window
    for w in windows:
        t = w["ode_times"]
        if w["law"] == "gaussian":
            late = t >= 2
            R.bound(f"C1 Gaussian: P(|X−1|<{w['radius']}) for εn ≥ 2", "≥ 0.995", float(w["p_min"][late].min()),
                    bool(np.all(w["p_min"][late] >= 0.995)), "spec threshold")
            R.bound("C1 Gaussian: P(X<0), all εn", "0 (Kramers time ~e^500 steps)", float(w["p_neg"].max()),
                    bool(np.all(w["p_neg"] == 0)), "exact 0")
        else:
            k = int(np.argmax(w["p_min"]))
            nonmono = 0 < k < len(t) - 1 and w["p_min"][-1] < w["p_min"][k] - z * math.hypot(w["p_min_se"][-1], w["p_min_se"][k])
            R.bound(f"C1 SαS: P(|X−1|<{w['radius']}) rises then falls (window)", "peak inside, last < peak",
                    f"peak {w['p_min'][k]:.3f} at εn={t[k]:g}, last {w['p_min'][-1]:.3f}", nonmono,
                    "difference beyond z·SE")
            pred = float(th.window_wrong_basin(w["eps"], t[-1] / w["eps"], w["alpha"], w["scale"]))
            R.close(f"C1 SαS: P(X<0) at εn={t[-1]:g} vs two-state chain (T2)", pred, w["p_neg"][-1],
                    w["p_neg_se"][-1], max(0.03, 0.3 * pred), note="allowance max(0.03, 30%): transient (spec)")
    # C2 direction and times
    for d in dirs:
        for i, y in enumerate(d.offsets):
            if abs(y) * d.meta["unit"] > LINEAR_START:
                continue   # start outside the linear zone of the maximum: not a test of T3 (see direction_outside_linear)
            if d.meta["law"] == "stable":
                pr = float(th.p_right_smooth_stable(y, d.meta["eps"], d.meta["alpha"]))
                bias = 0.01
            else:
                pr = float(th.p_right_smooth_gauss(y, d.meta["eps"]))
                bias = 0.003
            R.close(f"C2 {d.meta['label']}, ε={d.meta['eps']:g}: P(right) from y={y:g}", pr, d.p_right[i], d.se[i], bias)
    for st in times:
        slope, sse, _ = fit_slope(st.offsets, st.mean_time, st.time_se)
        kappa = th.sticking_slope(st.meta["law"], st.meta["alpha"])
        R.close(f"C2 {st.meta['label']}: slope of E[ε τ] vs log(1/ε) = κ", kappa, slope, sse, 0.04)
        for i, e in enumerate(st.offsets):
            pred = (th.sticking_time_stable(e, st.meta["alpha"], c=st.meta["scale"]) if st.meta["law"] == "stable"
                    else th.sticking_time_gauss(e, sigma=st.meta["scale"]))
            R.rel(f"C2 {st.meta['label']}: E[ε τ] at ε={e:g}", float(pred), st.mean_time[i], st.time_se[i], 0.03)
        R.close(f"C2 {st.meta['label']}: P(right) from M (pooled over ε)", 0.5,
                float(np.sum(st.p_right * st.n) / np.sum(st.n)), 0.5 / math.sqrt(np.sum(st.n)))
    # C4 chain
    if chain is not None:
        R.rel(f"C4 SαS α={chain['alpha']:g}, ε={chain['eps']:g}: mean exit step vs 1/rate", chain["predicted_mean"],
              chain["mean"], chain["mean_se"], 0.15, note="allowance 15% (multi-jump exits)")
        cv_se = math.sqrt(2.0 / chain["n"])
        R.close("C4 coefficient of variation of the exit step (exponential law)", 1.0, chain["cv"], cv_se, 0.05)
        for k, allow in ((1, 0.03), (2, 0.015)):
            p = float(np.mean(np.abs(chain["dest"]) == k))
            R.close(f"C4 P(|dest| = {k}) vs single-jump law", float(th.chain_destination(k, chain["alpha"])), p,
                    math.sqrt(p * (1 - p) / chain["n"]), allow)
        R.close("C4 P(dest > 0)", 0.5, float(np.mean(chain["dest"] > 0)), 0.5 / math.sqrt(chain["n"]))
    # C5 flat maximum
    if flat is not None:
        g = [f for f in flat if f.meta["law"] == "gaussian"][0]
        x = np.log(1 / g.offsets)
        slope, sse, _ = fit_slope(g.offsets, np.log(g.mean_time), g.time_se / g.mean_time)
        R.close("C5 Gaussian flat max: exponent of E[ε τ] in 1/ε", 0.5, slope, sse, 0.07, note="spec allowance 0.07")
        R.rel(f"C5 Gaussian flat max: E[ε τ] at ε={g.offsets[-1]:g} vs 1.637 ε^(-1/2)",
              float(th.flat_max_time_gauss(g.offsets[-1])), g.mean_time[-1], g.time_se[-1], 0.05)
        for st in flat:
            if st.meta["law"] == "stable":
                R.bound("C5 SαS flat max: shorter than Gaussian at every ε", "E_SαS < E_Gauss",
                        f"max ratio {float(np.max(st.mean_time / g.mean_time)):.3f}",
                        bool(np.all(st.mean_time + z * st.time_se < g.mean_time)), "beyond z·SE")
    return R.rows


def sticking_times_kink(a, b, law, eps_values, *, alpha=1.5, scale=1.0, n_runs, seed, block=0):
    """C3 no-sticking check: E[eps tau_0.5] from the sharp maximum X_0 = 0 (f'(0) := 0), per eps."""
    rows = [kink_split(a, b, law, scale, alpha, e, [0.0], n_runs=n_runs, seed=seed, block=block + i)
            for i, e in enumerate(eps_values)]
    cat = lambda name: np.array([getattr(r, name)[0] for r in rows])
    return KinkResult(np.asarray(eps_values, float), cat("p_right"), cat("se"), cat("mean_time"), cat("time_se"),
                      cat("n"), cat("n_undecided"), cat("n_diverged"),
                      dict(law=law, alpha=alpha, scale=scale, a=a, b=b, label=law_label(law, scale, alpha),
                           n_runs=n_runs))


def direction_outside_linear(dirs):
    """Points of `smooth_direction` whose start |X_0| exceeds LINEAR_START: T3 linearises f' at the maximum,
    so these are shown but not tested (for alpha near 1 the scale eps^(1-1/alpha) is not small)."""
    return [dict(law=d.meta["label"], eps=d.meta["eps"], y=float(y), x0=float(y * d.meta["unit"]),
                 p_right=float(d.p_right[i]))
            for d in dirs for i, y in enumerate(d.offsets) if abs(y) * d.meta["unit"] > LINEAR_START]
