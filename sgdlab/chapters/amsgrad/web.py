"""Kernel-free explorer of the AMSGrad chapter (issue 21): sliders β1 × λ → the mean |w_t| over time
(log axes) for AMSGrad, Adam (both with β2 and a of the chapter, no ε) and GD at the same λ, w confined
to [−1, 1], from the chapter's starts w₀ ~ U[−1, 1].

Per grid point: RUNS runs of STEPS steps of AMSGrad and of Adam (paired: the same starts and the same
block of the core's streams, so run r sees the same data under both, as in the chapter); GD is
deterministic. Verdict per point, every check exact or at a Bonferroni level (family-wise 1e-4):
* GD: |w_t| = min(1, |w₀|(1 − λa/2)^t) run by run at every snapshot (`theory.gd_abs_path`);
* corrected Eq. 94–98: v̂_T (AMSGrad) and v_T (Adam) ≤ (1 − a)² in every run (`theory.vhat_bound`;
  the paper's 1 + a is exceeded, the count is shown);
* β1 = 0 only (Prop. 5, run by run): with the frozen λ' = λ/√v̂_T, runs whose drift μ(λ') is clearly
  negative are at the maximum (|w_T| < 1e-10) and runs whose drift is clearly positive are not
  (`experiments.prop5_margins`, with z and p set by the number of runs tested on the whole grid).
"""
from __future__ import annotations

import warnings

import numpy as np

import sgdlab
from sgdlab.chapters._explorer import COLORS, GridExplorer
from sgdlab.chapters._kit import bonferroni_z, fmt

from . import experiments as xp_
from . import theory as th

__all__ = ["BETA1S", "LRS", "RUNS", "STEPS", "n_streams", "build_explorer"]

BETA1S = np.round(np.arange(10) * 0.1, 4)                                   # 0, 0.1, …, 0.9
LRS = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5])
RUNS = 200
STEPS = 5000
FAMILY_P = 1e-4
COL = {"amsgrad": COLORS[0], "adam": COLORS[1], "gd": COLORS[3]}   # the chapter's C0, C1, C3


def _grid(small):
    if small:
        return BETA1S[[0, 9]], LRS[[1, 4, 8]], 40, 3000
    return BETA1S, LRS, RUNS, STEPS


def n_streams(P, small=False):
    B, L, runs, _ = _grid(small)
    return len(B) * len(L) * runs


def _t_grid(steps, n=48):
    return np.unique(np.r_[0, np.round(np.geomspace(1, steps, n))].astype(np.int64))


def _log_axis(x, floor=1e-300):
    """Values for a log axis: values <= floor (zero, negative or below 1e-300) become NaN (not drawn)."""
    x = np.asarray(x, float)
    return np.where(x > floor, x, np.nan)


def build_explorer(P, stream_offset, small=False):
    """The explorer on the β1 × λ grid (`small=True`: 2 × 3 points, 40 runs of 3000 steps, for tests)."""
    B, L, runs, steps = _grid(small)
    seed, a, beta2 = int(P["seed"]), float(P["a"]), float(P["beta2"])
    t = _t_grid(steps)
    w0 = xp_.initial_points(runs, seed)
    n_points = len(B) * len(L)
    # Prop. 5 run by run: each run of the β1 = 0 column is tested once
    n_prop5 = len(L) * runs
    z5 = bonferroni_z(n_prop5, FAMILY_P / 2)
    p5 = FAMILY_P / 2 / n_prop5
    lo_i, hi_i = th.lr_eff_interval(a)
    vb, vb_paper = th.vhat_bound(a), 1.0 + a

    ex = GridExplorer("explorer-amsgrad", [("beta1", B, "β1"), ("lr", L, "λ")])
    ex.set_start((int(np.argmin(np.abs(B - 0.0))), int(np.argmin(np.abs(L - float(P.get("lr", 0.2)))))))

    from bokeh.models import Legend

    f = ex.figure(x_label="step t (log scale)", y_label="mean |w_t| over runs (log scale)",
                  x_axis_type="log", y_axis_type="log", height=380,
                  title=f"a = {fmt(a)}, β2 = {fmt(beta2)}, {runs} runs from w₀ ~ U[−1, 1], w ∈ [−1, 1]; "
                        f"bands ± 2 SE")
    items = []
    for key, name in (("amsgrad", "AMSGrad"), ("adam", "Adam")):
        src = ex.source(key)
        band = f.varea(x="t", y1="lo", y2="hi", source=src, color=COL[key], alpha=0.2)
        line = f.line(x="t", y="m", source=src, color=COL[key], line_width=2)
        items.append((name, [line, band]))
    src = ex.source("gd")
    r_gd = f.line(x="t", y="m", source=src, color=COL["gd"], line_width=2)
    r_gx = f.line(x="t", y="exact", source=src, color="black", line_dash="dotted", line_width=1.5)
    items += [("GD (same λ)", [r_gd]), ("GD exact", [r_gx])]
    f.add_layout(Legend(items=items, label_text_font_size="12px"), "right")

    gd_cache = {}
    for j, lr in enumerate(L):
        lr = float(lr)
        res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), optimizer="gd", lr=lr, steps=steps,
                              w0=w0, project=sgdlab.Interval(-1, 1), snapshots=t, seed=seed, n_threads=1)
        exact = th.gd_abs_path(a, lr, res.snapshot_steps, w0)
        err = float(np.max(np.abs(np.abs(res.snapshots) - exact)))
        gd_cache[j] = (np.abs(res.snapshots).mean(axis=0), exact.mean(axis=0), err)

    for i, b1 in enumerate(B):
        b1 = float(b1)
        for j, lr in enumerate(L):
            lr = float(lr)
            off = stream_offset + (i * len(L) + j) * runs
            out = {}
            for key in ("amsgrad", "adam"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
                    res = sgdlab.simulate("quadratic", data=sgdlab.TwoPoint(a), lr=lr, steps=steps, w0=w0,
                                          project=sgdlab.Interval(-1, 1), optimizer=key, beta1=b1,
                                          beta2=beta2, eps=0.0, snapshots=t, seed=seed, stream_offset=off,
                                          n_threads=1)
                absw = np.abs(res.snapshots)
                m = absw.mean(axis=0)
                se = absw.std(axis=0, ddof=1) / np.sqrt(runs)
                ex.add((i, j), key, t=np.maximum(res.snapshot_steps, 0.8), m=_log_axis(m),
                       lo=_log_axis(np.maximum(m - 2 * se, m * 1e-3)), hi=_log_axis(m + 2 * se))
                out[key] = res
            gm, gx, gerr = gd_cache[j]
            ex.add((i, j), "gd", t=np.maximum(t, 0.8), m=_log_axis(gm), exact=_log_axis(gx))
            ok_gd = gerr < 1e-9
            vh = out["amsgrad"].opt_state["vhat"]
            v_adam = out["adam"].opt_state["v"]
            vmax = float(max(np.max(vh), np.max(v_adam)))
            n_paper = int(np.sum(vh > vb_paper) + np.sum(v_adam > vb_paper))
            ok_v = vmax <= vb
            parts = [f"β1 = {fmt(b1)}, λ = {fmt(lr)}: GD exact run by run (max error {fmt(gerr, 2)}) "
                     f"{'✓' if ok_gd else '✗'}",
                     f"max v̂_T = {fmt(vmax, 4)} ≤ (1 − a)² = {fmt(vb, 4)} {'✓' if ok_v else '✗'} "
                     f"(the printed 1 + a = {fmt(vb_paper, 3)} is exceeded in {n_paper} runs)"]
            ok = ok_gd and ok_v
            if b1 == 0.0:
                r = out["amsgrad"]
                le = lr / np.sqrt(r.opt_state["vhat"])
                mu = th.mu_eff(a, le)
                mu_in, mu_out = xp_.prop5_margins(a, le, steps, z=z5, p=p5)
                at = np.abs(r.final) < xp_.ZERO
                neg, pos = mu < mu_in, mu > mu_out
                ok5 = bool(np.all(at[neg])) and not bool(np.any(at[pos]))
                ok = ok and ok5
                parts.append(f"Prop. 5 with λ' = λ/√v̂_T (Eq. 109: {fmt(lo_i, 3)} < λ' < {fmt(hi_i, 3)}): "
                             f"{int(at[neg].sum())} of {int(neg.sum())} runs with μ(λ') clearly < 0 at the "
                             f"maximum, {int(at[pos].sum())} of {int(pos.sum())} with μ(λ') clearly > 0 "
                             f"({int((~neg & ~pos).sum())} undetermined at this T) {'✓' if ok5 else '✗'}")
            else:
                at = np.abs(out["amsgrad"].final) < xp_.ZERO
                parts.append(f"AMSGrad: {int(at.sum())} of {runs} runs at the maximum (|w_T| < 10⁻¹⁰); "
                             f"Adam: {int((np.abs(out['adam'].final) < xp_.ZERO).sum())} (no exact "
                             f"prediction with momentum)")
            ex.verdict((i, j), ok, " · ".join(parts))
    ex.meta = dict(points=n_points, runs=runs, steps=steps, family_p=FAMILY_P)
    return ex
