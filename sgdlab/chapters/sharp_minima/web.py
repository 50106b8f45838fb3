"""Kernel-free explorer of the sharp-minima chapter (issue 21): sliders λ × a → where the runs end
(sharp minima (0, ±√((1+a)/2)), flat minima (±1/√2, 0), or elsewhere), with b = 1/λ − 6 (the proof's
choice) and the corrected Prop. 4 bound λ ≤ (2 − √2)/8 ≈ 0.0732 (the paper prints (1 + √6)/20).

Per grid point: RUNS runs of STEPS steps of SGD on Eq. 10 in the box |wᵢ| ≤ 1, from the chapter's
initial law (centred on the flat minima, `experiments.initial_points`), each point drawing its x's
from its own block of the core's streams. Verdict per point:
* where the corrected proof applies (E ln r_t < 0, `theory.proof_mu`): Eq. 90 is a rigorous bound
  P(|w₁,T| > TOL) ≤ p (`theory.proof_tail_bound`), so the count of runs with |w₁,T| > TOL must not
  exceed the Bin(runs, p) quantile at the Bonferroni level (family-wise 1e-4 over the grid);
* above the bound the (corrected) proof guarantees nothing: the verdict says so and shows ✓ (nothing
  to disagree with); the page shows what happens there (most runs still end at a sharp minimum, some
  are trapped on the invariant line w₂ = 0, where the chapter's transverse exponent is negative).
  With the printed Eq. 92 (r(−1) without its factor 2) the bound would reach λ = 0.1725 and the
  trapped runs would contradict it (tested).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

import sgdlab
from sgdlab.chapters._explorer import COLORS, GridExplorer
from sgdlab.chapters._kit import fmt

from . import experiments as xp_
from . import theory as th

__all__ = ["LRS", "A_VALUES", "RUNS", "STEPS", "n_streams", "build_explorer"]

LRS = np.round(np.arange(1, 17) * 0.01, 4)          # 0.01 … 0.16 (b = 1/λ − 6 > 0 needs λ < 1/6)
A_VALUES = np.round(np.arange(1, 11) * 0.1, 4)      # 0.1 … 1.0
RUNS = 400
STEPS = 3000
FAMILY_P = 1e-4
LINE_TOL = 1e-6
DATA = sgdlab.Discrete([1.0, -1.0], [0.5, 0.5])
BOX = sgdlab.Box(-1.0, 1.0)


def _grid(small):
    if small:
        return LRS[[2, 5, 9, 15]], A_VALUES[[1, 4, 9]], 60, 1500
    return LRS, A_VALUES, RUNS, STEPS


def n_streams(P, small=False):
    L, A, runs, _ = _grid(small)
    return len(L) * len(A) * runs


def _tol():
    return float(getattr(xp_, "TOL", 0.05))


def classify(final, a, tol):
    """'sharp' / 'flat' (within tol of such a minimum of E L̂, `theory.minima`), 'line' (on w₂ = 0),
    'other'."""
    m = th.minima(a)
    d_s = np.min([np.hypot(final[:, 0] - p[0], final[:, 1] - p[1]) for p in m["sharp"]], axis=0)
    d_f = np.min([np.hypot(final[:, 0] - p[0], final[:, 1] - p[1]) for p in m["flat"]], axis=0)
    lab = np.full(len(final), "other", dtype=object)
    lab[np.abs(final[:, 1]) < LINE_TOL] = "line"
    lab[d_f <= tol] = "flat"
    lab[d_s <= tol] = "sharp"
    lab[~np.all(np.isfinite(final), axis=1)] = "other"
    return lab


def build_explorer(P, stream_offset, small=False):
    """The explorer on the λ × a grid (`small=True`: 4 × 3 points, 60 runs of 1500 steps, for tests)."""
    L, A, runs, steps = _grid(small)
    seed = int(P["seed"])
    tol = _tol()
    n_points = len(L) * len(A)
    level = FAMILY_P / n_points
    ex = GridExplorer("explorer-sharp-minima", [("lr", L, "λ"), ("a", A, "a")])
    ex.set_start((int(np.argmin(np.abs(L - float(P.get("lr", 0.05))))),
                  int(np.argmin(np.abs(A - float(P.get("a", 0.5)))))))
    w0 = xp_.initial_points(runs, seed)
    lb, lb_paper = th.lr_bound(), th.LR_BOUND_PAPER

    from bokeh.models import ColumnDataSource, Legend, Range1d, Span

    f1 = ex.figure(x_label="w₁", y_label="w₂", height=380, width=680,
                   title=f"where {runs} runs end after {steps} steps (marker area ∝ runs; start: around the flat minima)",
                   x_range=Range1d(-1.05, 1.05), y_range=Range1d(-1.05, 1.05), match_aspect=True)
    r_end = f1.scatter(x="w1", y="w2", size="s", source=ex.source("ends"), color=COLORS[0], alpha=0.6)
    r_sh = f1.scatter(x="x", y="y", source=ex.source("sharp"), marker="circle", size=22,
                      fill_color=None, line_color=COLORS[1], line_width=2.5, line_dash="dashed")
    r_fl = f1.scatter(x="x", y="y", source=ex.source("flat"), marker="square", size=20,
                      fill_color=None, line_color=COLORS[2], line_width=2.5)
    f1.add_layout(Legend(items=[("end points (simulation)", [r_end]),
                                ("sharp minima (0, ±√((1+a)/2))", [r_sh]),
                                ("flat minima (±1/√2, 0)", [r_fl])],
                         label_text_font_size="12px"), "right")

    f2 = ex.figure(x_label="learning rate λ (b = 1/λ − 6)", y_label="fraction of runs",
                   title="where the runs end, at this a, against λ", height=300,
                   y_range=Range1d(-0.03, 1.03))
    r_fs = f2.line(x="lr", y="sharp", source=ex.source("sweep"), color=COLORS[1], line_width=2)
    f2.scatter(x="lr", y="sharp", source=ex.source("sweep"), color=COLORS[1], size=5)
    r_ff = f2.line(x="lr", y="flat", source=ex.source("sweep"), color=COLORS[2], line_width=2)
    r_fo = f2.line(x="lr", y="rest", source=ex.source("sweep"), color=COLORS[3], line_width=2,
                   line_dash="dotdash")
    r_now = f2.scatter(x="lr", y="y", source=ex.source("here"), marker="star", size=16,
                       fill_color=COLORS[4], line_color="black")
    r_b = f2.line(x=[lb, lb], y=[0, 1], color=COLORS[1], line_dash="dashed", line_width=1.5)
    r_bp = f2.line(x=[lb_paper, lb_paper], y=[0, 1], color="#777777", line_dash="dotted", line_width=1.5)
    f2.add_layout(Legend(items=[("sharp", [r_fs]), ("flat", [r_ff]), ("w₂ = 0 line / other", [r_fo]),
                                ("this λ", [r_now]), (f"corrected Prop. 4 bound {fmt(lb, 3)}", [r_b]),
                                (f"printed Eq. 93 {fmt(lb_paper, 4)}", [r_bp])],
                         label_text_font_size="12px"), "right")

    fracs = np.zeros((len(L), len(A), 3))
    texts = {}
    for i, lr in enumerate(L):
        lr = float(lr)
        b = th.default_b(lr)
        pmu = th.proof_mu(lr)
        for j, a in enumerate(A):
            a = float(a)
            off = stream_offset + (i * len(A) + j) * runs
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sgdlab.DivergenceWarning)
                res = sgdlab.simulate("sharp2d", landscape_params={"a": a, "b": b}, data=DATA, lr=lr,
                                      steps=steps, w0=w0, project=BOX, seed=seed, stream_offset=off,
                                      n_threads=1)
            fin = res.final
            lab = classify(fin, a, tol)
            n_s, n_f = int(np.sum(lab == "sharp")), int(np.sum(lab == "flat"))
            n_l, n_o = int(np.sum(lab == "line")), int(np.sum(lab == "other"))
            fracs[i, j] = (n_s / runs, n_f / runs, (n_l + n_o) / runs)
            # where the runs end: positions rounded to 0.02, counted
            q = np.round(np.nan_to_num(fin, nan=9.0) / 0.02).astype(int)
            u, cnt = np.unique(q, axis=0, return_counts=True)
            ex.add((i, j), "ends", w1=u[:, 0] * 0.02, w2=u[:, 1] * 0.02, s=4 + 22 * np.sqrt(cnt / runs))
            m = th.minima(a)
            ex.add((i, j), "sharp", x=m["sharp"][:, 0], y=m["sharp"][:, 1])
            ex.add((i, j), "flat", x=m["flat"][:, 0], y=m["flat"][:, 1])
            parts = [f"λ = {fmt(lr)}, a = {fmt(a)}, b = {fmt(b, 4)}: {n_s} of {runs} runs at a sharp minimum, "
                     f"{n_f} at a flat one, {n_l + n_o} elsewhere ({n_l} on the line w₂ = 0)"]
            ok_proof = None           # no claim to check unless the corrected proof applies
            if pmu < 0:
                p = th.proof_tail_bound(lr, steps, tol)
                limit = int(stats.binom.isf(level, runs, p)) if p > 0 else 0
                cnt = int(np.sum(~(np.abs(fin[:, 0]) <= tol)))
                ok_proof = cnt <= limit
                parts.append(f"corrected Prop. 4 (λ ≤ {fmt(lb, 3)}): {cnt} runs with |w₁| > {fmt(tol)}, "
                             f"allowed ≤ {limit} (Eq. 90: P ≤ {fmt(p, 2)}) {'✓' if ok_proof else '✗'}")
            else:
                parts.append(f"λ > {fmt(lb, 3)}: the corrected Prop. 4 guarantees nothing here "
                             f"(E ln r = {fmt(pmu, 3)} > 0), so there is no claim to check "
                             f"(the printed Eq. 93 would claim all {runs} runs at a sharp minimum)")
            texts[(i, j)] = (ok_proof, " · ".join(parts))
    for i in range(len(L)):
        for j in range(len(A)):
            ex.add((i, j), "sweep", lr=L, sharp=fracs[:, j, 0], flat=fracs[:, j, 1], rest=fracs[:, j, 2])
            ex.add((i, j), "here", lr=[L[i]], y=[fracs[i, j, 0]])
            ex.verdict((i, j), *texts[(i, j)])
    ex.meta = dict(points=n_points, runs=runs, steps=steps, family_p=FAMILY_P)
    return ex
