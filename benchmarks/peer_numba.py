"""Numba peer of the core for `make bench` (issue 22): the core's algorithm for the six benchmark
workloads (one xoshiro256** stream per run seeded from (seed, run), the same ziggurat tables,
samplers and floating-point operations in the same order), `@njit(parallel=True)` with `prange`
over runs. What a researcher who knows the core's design could write in an afternoon.

Imported by benchmarks/run.py only when numba imports; `set_tables` first (the ziggurat tables come
from the C peer so that all three use the very same numbers).
"""
import numba
import numpy as np
from numba import njit, prange

U = np.uint64
_TABLES = {}


@njit(inline="always")
def _rotl(x, k):
    return (x << U(k)) | (x >> U(64 - k))


@njit(inline="always")
def _splitmix(x):
    x = x + U(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> U(30))) * U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U(27))) * U(0x94D049BB133111EB)
    return x, z ^ (z >> U(31))


@njit(inline="always")
def _seed(seed, stream):
    k, key = _splitmix(U(seed))
    k = U(stream) ^ U(0x6A09E667F3BCC909)
    k, z = _splitmix(k)
    key = key ^ z
    k = key
    k, key = _splitmix(k)
    k, s0 = _splitmix(k)
    k, s1 = _splitmix(k)
    k, s2 = _splitmix(k)
    k, s3 = _splitmix(k)
    return s0, s1, s2, s3


@njit(inline="always")
def _next(s):
    s0, s1, s2, s3 = s
    result = _rotl(s1 * U(5), 7) * U(9)
    t = s1 << U(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return (s0, s1, s2, s3), result


@njit(inline="always")
def _double(s):
    s, u = _next(s)
    return s, float(u >> U(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def _open(s):
    s, u = _next(s)
    return s, (float(u >> U(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit
def _normal_slow(s, rabs, idx, x, ki, wi, fi):
    R = 3.6541528853610088
    if idx == 0:
        while True:
            s, a = _double(s)
            xx = -np.log1p(-a) / R
            s, b = _double(s)
            yy = -np.log1p(-b)
            if yy + yy > xx * xx:
                return s, (-(R + xx) if (rabs >> U(8)) & U(1) else R + xx), True
    s, a = _double(s)
    if (fi[idx - 1] - fi[idx]) * a + fi[idx] < np.exp(-0.5 * x * x):
        return s, x, True
    return s, 0.0, False


@njit(inline="always")
def _normal(s, ki, wi, fi):
    while True:
        s, u = _next(s)
        idx = np.int64(u & U(0xff))
        u = u >> U(8)
        rabs = (u >> U(1)) & U(0x000fffffffffffff)
        x = float(rabs) * wi[idx] * (1.0 - 2.0 * float(u & U(1)))
        if rabs < ki[idx]:
            return s, x
        s, x, ok = _normal_slow(s, rabs, idx, x, ki, wi, fi)
        if ok:
            return s, x


@njit(inline="always")
def _four_well_grad(z):
    # the core's prefix/suffix product rule, written out with scalars (no arrays in the loop)
    v0 = z + 1.6; d0 = 1.0
    v1 = (z + 1.3) * (z + 1.3); d1 = 2.0 * (z + 1.3)
    v2 = (z - 0.2) * (z - 0.2); d2 = 2.0 * (z - 0.2)
    v3 = (z - 0.7) * (z - 0.7); d3 = 2.0 * (z - 0.7)
    v4 = z - 1.6; d4 = 1.0
    d = abs(1.65 - z)
    v5 = (0.05 * d) ** 0.6
    d5 = (-0.6 * v5 / d * (1.0 if z < 1.65 else -1.0)) if d > 0 else 0.0
    q = 0.01 + 4.0 * (z - 0.5) * (z - 0.5)
    v6 = 1.0 + 1.0 / q; d6 = -8.0 * (z - 0.5) / (q * q)
    q = 0.1 + 4.0 * (z + 1.5) * (z + 1.5)
    v7 = 1.0 + 1.0 / q; d7 = -8.0 * (z + 1.5) / (q * q)
    e = np.exp(-5.0 * (z + 0.8) * (z + 0.8))
    v8 = 1.0 - 0.25 * e; d8 = 2.5 * (z + 0.8) * e
    p1 = 1.0 * v0; p2 = p1 * v1; p3 = p2 * v2; p4 = p3 * v3; p5 = p4 * v4
    p6 = p5 * v5; p7 = p6 * v6; p8 = p7 * v7
    s8 = 1.0 * v8; s7 = s8 * v7; s6 = s7 * v6; s5 = s6 * v5; s4 = s5 * v4
    s3 = s4 * v3; s2 = s3 * v2; s1 = s2 * v1
    s = 0.0
    s += d0 * 1.0 * s1
    s += d1 * p1 * s2
    s += d2 * p2 * s3
    s += d3 * p3 * s4
    s += d4 * p4 * s5
    s += d5 * p5 * s6
    s += d6 * p6 * s7
    s += d7 * p7 * s8
    s += d8 * p8 * 1.0
    return s


@njit(inline="always")
def _bad(w, max_abs):
    return not (abs(w) <= max_abs)


@njit(parallel=True)
def _run(wl, w0, steps, seed, ki, wi, fi):
    n = w0.shape[0]
    out = np.empty_like(w0)
    for r in prange(n):
        _run_one(wl, r, w0, out, steps, seed, ki, wi, fi)
    return out


@njit
def _run_one(wl, r, w0, out, steps, seed, ki, wi, fi):
    if True:
        s = _seed(seed, r)
        if wl == 0 or wl == 1:          # quadratic / quartic (c = 1), TwoPoint(-1)
            w = w0[r, 0]
            lr = 0.5 if wl == 0 else 0.1
            mx = 1e300 if wl == 0 else 1e100
            for t in range(steps):
                s, u = _double(s)
                x = -2.0 if u >= 0.5 else 1.0
                g = x * w if wl == 0 else (x + 1.0 * w * w) * w
                wn = w - lr * g
                if _bad(wn, mx):
                    w = np.nan
                    break
                w = wn
            out[r, 0] = w
        elif wl == 2:                   # sharp2d, box [-1, 1]^2
            w1 = w0[r, 0]
            w2 = w0[r, 1]
            for t in range(steps):
                s, u = _double(s)
                x = -1.0 if u >= 0.5 else 1.0
                g1 = -2.0 * w1 + 4.0 * w1 * w1 * w1 + 12.0 * w1 * w2 * w2 + x * 14.0 * w1
                g2 = -2.0 * w2 + 4.0 * w2 * w2 * w2 + 12.0 * w1 * w1 * w2 - 2.0 * 0.5 * w2
                a = w1 - 0.05 * g1
                b = w2 - 0.05 * g2
                a = -1.0 if a < -1.0 else (1.0 if a > 1.0 else a)
                b = -1.0 if b < -1.0 else (1.0 if b > 1.0 else b)
                if _bad(a, 1e100) or _bad(b, 1e100):
                    w1 = np.nan
                    w2 = np.nan
                    break
                w1 = a
                w2 = b
            out[r, 0] = w1
            out[r, 1] = w2
        elif wl == 3:                   # AMSGrad on the quadratic, TwoPoint(-0.1), [-1, 1]
            w = w0[r, 0]
            m = 0.0
            v = 0.0
            vh = 0.0
            a1 = -0.1 - 1.0
            for t in range(steps):
                s, u = _double(s)
                x = a1 if u >= 0.5 else 1.0
                g = x * w
                m = 0.9 * m + (1.0 - 0.9) * g
                v = 0.999 * v + (1.0 - 0.999) * g * g
                if v > vh:
                    vh = v
                den = np.sqrt(vh) + 0.0
                d = 0.2 * (m / den if den > 0 else 0.0)
                wn = w - d
                wn = -1.0 if wn < -1.0 else (1.0 if wn > 1.0 else wn)
                if _bad(wn, 1e100):
                    w = np.nan
                    break
                w = wn
            out[r, 0] = w
        elif wl == 4:                   # Himmelblau + sqrt(15000) N(0, I)
            sc = np.sqrt(15000.0)
            p = w0[r, 0]
            q = w0[r, 1]
            for t in range(steps):
                a = p * p + q - 11.0
                b = p + q * q - 7.0
                g1 = 4.0 * p * a + 2.0 * b
                g2 = 2.0 * a + 4.0 * q * b
                s, z1 = _normal(s, ki, wi, fi)
                s, z2 = _normal(s, ki, wi, fi)
                g1 += sc * (1.0 * z1)
                g2 += sc * (1.0 * z2)
                a = p - 0.002 * g1
                b = q - 0.002 * g2
                if _bad(a, 1e100) or _bad(b, 1e100):
                    p = np.nan
                    q = np.nan
                    break
                p = a
                q = b
            out[r, 0] = p
            out[r, 1] = q
        else:                           # four-well + 0.1 Pareto(1.2), clip 0.5, [-1.6, 1.6]
            e = -1.0 / 1.2
            w = w0[r, 0]
            for t in range(steps):
                g = _four_well_grad(w)
                s, u = _next(s)
                sign = 2.0 * float(u >> U(63)) - 1.0
                s, o = _open(s)
                g += 0.1 * (1.0 * (sign * o ** e))
                d = 0.01 * g
                nrm = np.sqrt(0.0 + d * d)
                if nrm > 0.5:
                    d = d * (0.5 / nrm)
                wn = w - d
                wn = -1.6 if wn < -1.6 else (1.6 if wn > 1.6 else wn)
                if _bad(wn, 1e100):
                    w = np.nan
                    break
                w = wn
            out[r, 0] = w


def set_tables(ki, wi, fi):
    _TABLES.update(ki=np.ascontiguousarray(ki, dtype=np.uint64), wi=np.ascontiguousarray(wi),
                   fi=np.ascontiguousarray(fi))


def run(wl, w0, steps, seed, threads):
    """Final states (n, dim) of workload wl from w0 (n,) or (n, dim)."""
    w0 = np.asarray(w0, dtype=np.float64)
    if w0.ndim == 1:
        w0 = w0.reshape(-1, 1)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return _run(wl, np.ascontiguousarray(w0), steps, seed, _TABLES["ki"], _TABLES["wi"], _TABLES["fi"])
