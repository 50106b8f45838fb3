"""Pure-NumPy reference implementation of the core's dynamics (the code a user would otherwise write).

Vectorised over runs, a Python loop over steps. It is the oracle of the tests (exactly equal to the
core for deterministic dynamics: the gradients below evaluate the same expressions in the same
order; statistically equal for noisy ones, since it draws from numpy's Generator instead of the
core's streams) and the baseline of the benchmarks. Supports the subset of `simulate` that the
tests and benchmarks need: every landscape, data law, noise law, Constant/SqrtLoss scales, all
optimizers, batch size, clipping, box/ball projection, divergence, snapshots and exit times.
"""
from __future__ import annotations

import numpy as np

from sgdlab.noise import Constant, Discrete, GaussianData, SqrtLoss


# ----------------------------------------------------------------------------- gradients
def _grad(name, p, w, x):
    """Gradient of landscape `name` (params p) at w (n, dim) with data x (n,) or a scalar."""
    if name == "quadratic":
        return (x * w[:, 0])[:, None]
    if name == "quartic":
        z = w[:, 0]
        return ((x + p["c"] * z * z) * z)[:, None]
    if name == "sharp2d":
        w1, w2 = w[:, 0], w[:, 1]
        g1 = -2.0 * w1 + 4.0 * w1 * w1 * w1 + 12.0 * w1 * w2 * w2 + x * p["b"] * w1
        g2 = -2.0 * w2 + 4.0 * w2 * w2 * w2 + 12.0 * w1 * w1 * w2 - 2.0 * p["a"] * w2
        return np.stack([g1, g2], axis=1)
    if name == "two_layer":
        e = w[:, 0] * w[:, 1] - x
        return np.stack([e * w[:, 1], e * w[:, 0]], axis=1)
    if name == "himmelblau":
        u, v = w[:, 0], w[:, 1]
        a = u * u + v - 11.0
        b = u + v * v - 7.0
        return np.stack([4.0 * u * a + 2.0 * b, 2.0 * a + 4.0 * v * b], axis=1)
    if name == "three_hump_camel":
        u, v = w[:, 0], w[:, 1]
        u2 = u * u
        g1 = (12.0 * u2 * u2 * u / 13.0 + 5.0 * u2 * u2 / 8.0 - 91.0 * u2 * u / 16.0
              - 1.5 * u2 + 21.0 * u / 4.0 + v)
        return np.stack([g1, 2.5 * v + u], axis=1)
    if name == "four_well":
        return _four_well_grad(w[:, 0])[:, None]
    if name == "kinked_two_well":
        z = w[:, 0]
        g = np.where(z < 0, p["a"] * (z + 1.0), np.where(z > 0, p["b"] * (z - 1.0), p["kink_grad"]))
        return g[:, None]
    if name == "double_well":
        z, R = w[:, 0], p["linear_beyond"]
        g = np.where(z > R, (R * R * R - R) + (3.0 * R * R - 1.0) * (z - R),
                     np.where(z < -R, -(R * R * R - R) + (3.0 * R * R - 1.0) * (z + R), z * z * z - z))
        return g[:, None]
    if name == "sine":
        return np.sin(2.0 * np.pi * w[:, :1])
    if name == "flat_max":
        z = w[:, 0]
        z2 = z * z
        return (z2 * z2 * z - z2 * z)[:, None]
    if name == "harmonic":
        return p["k"] * w
    raise ValueError(f"landscape: the reference does not implement {name!r}")


def _four_well_factors(z):
    d = np.abs(1.65 - z)
    q1 = 0.01 + 4.0 * (z - 0.5) * (z - 0.5)
    q2 = 0.1 + 4.0 * (z + 1.5) * (z + 1.5)
    e = np.exp(-5.0 * (z + 0.8) * (z + 0.8))
    with np.errstate(divide="ignore"):
        d6 = np.where(d > 0, -0.6 * 0.05 * (0.05 * d) ** -0.4 * np.where(z < 1.65, 1.0, -1.0), 0.0)
    v = [z + 1.6, (z + 1.3) * (z + 1.3), (z - 0.2) * (z - 0.2), (z - 0.7) * (z - 0.7), z - 1.6,
         (0.05 * d) ** 0.6, 1.0 + 1.0 / q1, 1.0 + 1.0 / q2, 1.0 - 0.25 * e]
    dv = [np.ones_like(z), 2.0 * (z + 1.3), 2.0 * (z - 0.2), 2.0 * (z - 0.7), np.ones_like(z), d6,
          -8.0 * (z - 0.5) / (q1 * q1), -8.0 * (z + 1.5) / (q2 * q2), 2.5 * (z + 0.8) * e]
    return v, dv


def _four_well_grad(z):
    v, dv = _four_well_factors(z)
    pre = [np.ones_like(z)]
    for k in range(9):
        pre.append(pre[k] * v[k])
    suf = [None] * 10
    suf[9] = np.ones_like(z)
    for k in range(8, -1, -1):
        suf[k] = suf[k + 1] * v[k]
    s = np.zeros_like(z)
    for k in range(9):
        s = s + dv[k] * pre[k] * suf[k + 1]
    return s


# ----------------------------------------------------------------------------- noise
def draw_noise(rng, name, params, size):
    """Draw the core's noise laws with numpy: gaussian, laplace, pareto (classical), stable (CMS)."""
    scale = params.get("scale", 1.0)
    if name == "gaussian":
        return scale * rng.standard_normal(size)
    if name == "laplace":
        return scale * rng.laplace(0.0, 1.0, size)
    if name == "pareto":
        sign = rng.choice([-1.0, 1.0], size)
        return scale * sign * (1.0 + rng.pareto(params["alpha"], size))   # Lomax + 1 = classical Pareto
    if name == "stable":
        a = params["alpha"]
        v = np.pi * (rng.random(size) - 0.5)
        if a == 1.0:
            return scale * np.tan(v)
        e = rng.standard_exponential(size)
        return scale * (np.sin(a * v) / np.cos(v) ** (1 / a) * (np.cos((1 - a) * v) / e) ** ((1 - a) / a))
    raise ValueError(f"noise: the reference does not implement {name!r}")


def _draw_data(rng, data, size):
    if isinstance(data, Discrete):
        return rng.choice(np.asarray(data.params["values"]), size=size, p=np.asarray(data.params["probs"]))
    if isinstance(data, GaussianData):
        return data.mean + data.std * rng.standard_normal(size)
    raise ValueError(f"data: the reference does not implement {data!r}")


# ----------------------------------------------------------------------------- simulation
def simulate_reference(landscape, *, lr, steps, w0, data=None, landscape_params=None, noise=None,
                       noise_params=None, noise_scale=1.0, optimizer="sgd", beta1=0.0, beta2=0.999,
                       eps=0.0, batch_size=1, clip=None, project=None, max_abs=1e100,
                       snapshots=None, exit_region=None, stop_at_exit=False, seed=0):
    """NumPy version of `sgdlab.simulate` for the subset documented in the module docstring.

    landscape: a name; noise: a name with `noise_params` (e.g. {"alpha": 1.2, "scale": 0.1}).
    project / exit_region: ("box", lo, hi) or ("ball", center, radius) with numpy-able values.
    Returns a dict with final, diverged, diverged_step, snapshots, exit_step, exit_state (dim axis
    kept, shape (n, dim)).
    """
    from sgdlab.landscapes import make_landscape
    land = make_landscape(landscape, **(landscape_params or {}))
    p, dim = land.params, land.dim
    rng = np.random.default_rng(seed)
    w = np.array(w0, dtype=np.float64).reshape(-1, dim).copy()
    n = w.shape[0]
    exact = optimizer == "gd"
    adam = optimizer in ("adam", "amsgrad")
    m = np.zeros_like(w); v = np.zeros_like(w); vh = np.zeros_like(w)
    alive = np.ones(n, dtype=bool)
    diverged_step = np.full(n, -1)
    snaps_at = list(snapshots or [])
    snaps = np.full((n, len(snaps_at), dim), np.nan)
    exit_step = np.full(n, -1)
    exit_state = np.full((n, dim), np.nan)
    if snaps_at and snaps_at[0] == 0:
        snaps[:, 0] = w
    if isinstance(noise_scale, (int, float)):
        noise_scale = Constant(noise_scale)
    for t in range(1, steps + 1):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        wa = w[idx]
        if land.sampled:
            if exact:
                if isinstance(data, Discrete):
                    g = np.zeros_like(wa)
                    for xv, pv in zip(data.params["values"], data.params["probs"]):
                        g += pv * _grad(landscape, p, wa, xv)
                else:
                    g = _grad(landscape, p, wa, data.mean)
            elif batch_size == 1:
                g = _grad(landscape, p, wa, _draw_data(rng, data, idx.size))
            else:
                g = np.zeros_like(wa)
                for _ in range(batch_size):
                    g += _grad(landscape, p, wa, _draw_data(rng, data, idx.size))
                g /= batch_size
        else:
            g = _grad(landscape, p, wa, 0.0)
        if noise is not None and not exact:
            if isinstance(noise_scale, SqrtLoss):
                f = land.values(wa, data.mean if data is not None else 0.0)
                s = noise_scale.sigma * np.sqrt(np.maximum(f + noise_scale.c, 0.0))
            else:
                s = np.full(idx.size, noise_scale.sigma)
            g = g + s[:, None] * draw_noise(rng, noise, noise_params or {}, (idx.size, dim))
        if adam:
            m[idx] = beta1 * m[idx] + (1.0 - beta1) * g
            v[idx] = beta2 * v[idx] + (1.0 - beta2) * g * g
            vh[idx] = np.maximum(vh[idx], v[idx]) if optimizer == "amsgrad" else v[idx]
            den = np.sqrt(vh[idx]) + eps
            with np.errstate(invalid="ignore", divide="ignore"):
                d = np.where(den > 0, m[idx] / den, 0.0)
        else:
            d = g
        d = lr * d
        if clip is not None:
            nrm = np.sqrt(np.sum(d * d, axis=1))
            big = nrm > clip
            d[big] = d[big] * (clip / nrm[big])[:, None]
        wn = wa - d
        if project is not None:
            wn = _apply_region(project, wn)
        with np.errstate(invalid="ignore"):
            bad = ~np.all(np.isfinite(wn) & (np.abs(wn) <= max_abs), axis=1)
        if bad.any():
            diverged_step[idx[bad]] = t
            alive[idx[bad]] = False
            wn[bad] = np.nan
        w[idx] = wn
        good = idx[~bad]
        if exit_region is not None:
            out = _outside(exit_region, w[good]) & (exit_step[good] < 0)
            exit_step[good[out]] = t
            exit_state[good[out]] = w[good[out]]
            if stop_at_exit:
                alive[good[out]] = False
        if t in snaps_at:
            k = snaps_at.index(t)
            snaps[good, k] = w[good]
    return {"final": w, "diverged": diverged_step >= 0, "diverged_step": diverged_step,
            "snapshots": snaps, "exit_step": exit_step, "exit_state": exit_state}


def _apply_region(region, w):
    kind, a, b = region
    if kind == "box":
        return np.minimum(np.maximum(w, np.asarray(a, float)), np.asarray(b, float))
    c = np.asarray(a, float)
    r = float(b)
    nrm = np.sqrt(np.sum((w - c) ** 2, axis=1))
    f = np.where(nrm > r, r / np.where(nrm > 0, nrm, 1.0), 1.0)
    return c + (w - c) * f[:, None]


def _outside(region, w):
    kind, a, b = region
    if kind == "box":
        return np.any((w < np.asarray(a, float)) | (w > np.asarray(b, float)), axis=1)
    return np.sum((w - np.asarray(a, float)) ** 2, axis=1) > float(b) ** 2
