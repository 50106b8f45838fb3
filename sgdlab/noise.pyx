# cython: language_level=3
"""Noise laws, data laws and noise scales of the core.

To add a noise law: subclass `NoiseLaw`, implement `sample` (a `noexcept nogil` draw from the run's
stream, see `sgdlab/_random.pxd`), register it in `NOISES`. Data laws and scales work the same way.
"""
import math

import numpy as np
from libc.math cimport sqrt, fabs
from sgdlab._random cimport (Rng, RngBlock, lane_get, lane_put, LANES, NormalSlow, std_normal_slow_v, next_double, std_normal, std_normal_z, zig_tables, ZigTables, std_laplace, sym_pareto, sym_pareto_e, sym_stable)
from sgdlab.landscapes import _finite, _positive
from libc.stdint cimport uint64_t, int64_t
from libc.math cimport ceil
import os


cdef extern from "_simd.h":
    int sgd_cpu_has_avx2() nogil
    void sgd_two_point_avx2(uint64_t* s0, uint64_t* s1, uint64_t* s2, uint64_t* s3, Py_ssize_t n,
                            int64_t kthr, double atom0, double atom1, double* X) noexcept nogil
    int sgd_normal_fast_avx2(uint64_t* s0, uint64_t* s1, uint64_t* s2, uint64_t* s3, Py_ssize_t n,
                             const uint64_t* ki, const double* wi, double* x_out, uint64_t* rabs_out,
                             int64_t* idx_out) noexcept nogil

# SIMD kernels (sgdlab/_simd.h): bit-identical to the scalar loops; on when the CPU has AVX2
cdef bint _SIMD = bool(sgd_cpu_has_avx2()) and not os.environ.get("SGDLAB_NO_SIMD")
SIMD = bool(_SIMD)


# ----------------------------------------------------------------------------- additive noise

cdef class NoiseLaw:
    def __init__(self):
        raise TypeError("NoiseLaw is abstract; use make_noise(name, ...)")

    cdef double sample(self, Rng* r) noexcept nogil:
        return 0.0

    cdef void sample_block(self, RngBlock* R, double* Z, Py_ssize_t n, int dim) noexcept nogil:
        """Z[j*dim + i] = i-th draw of the run in lane j from its own stream (lane j of R)."""
        cdef Py_ssize_t j
        cdef int i
        cdef Rng r
        for j in range(n):
            r = lane_get(R, j)
            for i in range(dim):
                Z[j * dim + i] = self.sample(&r)
            lane_put(R, j, &r)

    @property
    def name(self):
        return _NOISE_NAMES[type(self)]

    def __reduce__(self):
        return (_rebuild_noise, (self.name, dict(self.params)))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


def _rebuild_noise(name, params):
    return make_noise(name, **params)


cdef class Gaussian(NoiseLaw):
    """Z = scale * N(0, 1)."""
    def __init__(self, scale=1.0):
        self.scale = _positive("scale", scale); self.params = {"scale": self.scale}

    cdef double sample(self, Rng* r) noexcept nogil:
        return self.scale * std_normal(r)

    cdef void sample_block(self, RngBlock* R, double* Z, Py_ssize_t n, int dim) noexcept nogil:
        cdef Py_ssize_t j
        cdef int i
        cdef Rng r
        cdef const ZigTables* zt = zig_tables()
        cdef double scale = self.scale
        cdef double xs[LANES]
        cdef uint64_t rabs[LANES]
        cdef int64_t ix[LANES]
        cdef int slow
        cdef NormalSlow o
        if _SIMD:
            # coordinate by coordinate, all lanes at once; the rare slow draws lane by lane, so each
            # run still draws coordinate 0 (with its slow path) before coordinate 1
            for i in range(dim):
                slow = sgd_normal_fast_avx2(R.s0, R.s1, R.s2, R.s3, (n + 3) // 4 * 4, zt.ki, zt.wi,
                                            xs, rabs, ix)
                if slow:
                    for j in range(n):
                        if (slow >> j) & 1:
                            o = std_normal_slow_v(lane_get(R, j), rabs[j], <int>ix[j], xs[j])
                            lane_put(R, j, &o.r)
                            xs[j] = o.x
                for j in range(n):
                    Z[j * dim + i] = scale * xs[j]
            return
        for j in range(n):
            r = lane_get(R, j)
            for i in range(dim):
                Z[j * dim + i] = scale * std_normal_z(&r, zt)
            lane_put(R, j, &r)


cdef class Laplace(NoiseLaw):
    """Z with density exp(-|z|/scale)/(2 scale) (variance 2 scale^2)."""
    def __init__(self, scale=1.0):
        self.scale = _positive("scale", scale); self.params = {"scale": self.scale}

    cdef double sample(self, Rng* r) noexcept nogil:
        return self.scale * std_laplace(r)

    cdef void sample_block(self, RngBlock* R, double* Z, Py_ssize_t n, int dim) noexcept nogil:
        cdef Py_ssize_t j
        cdef int i
        cdef Rng r
        cdef double scale = self.scale
        for j in range(n):
            r = lane_get(R, j)
            for i in range(dim):
                Z[j * dim + i] = scale * std_laplace(&r)
            lane_put(R, j, &r)


cdef class Pareto(NoiseLaw):
    """Symmetric classical Pareto: Z = scale * (+-1) * U^(-1/alpha), P(|Z| > scale z) = z^-alpha, z >= 1."""
    cdef readonly double alpha

    def __init__(self, alpha=1.2, scale=1.0):
        self.alpha = _positive("alpha", alpha)
        self.scale = _positive("scale", scale)
        self.params = {"alpha": self.alpha, "scale": self.scale}

    cdef double sample(self, Rng* r) noexcept nogil:
        return self.scale * sym_pareto(r, self.alpha)

    cdef void sample_block(self, RngBlock* R, double* Z, Py_ssize_t n, int dim) noexcept nogil:
        cdef Py_ssize_t j
        cdef int i
        cdef Rng r
        cdef double e = -1.0 / self.alpha      # the exponent sym_pareto computes, once per block
        cdef double scale = self.scale
        for j in range(n):
            r = lane_get(R, j)
            for i in range(dim):
                Z[j * dim + i] = scale * sym_pareto_e(&r, e)
            lane_put(R, j, &r)


cdef class Stable(NoiseLaw):
    """Symmetric alpha-stable, E exp(itZ) = exp(-|scale t|^alpha), alpha in (0, 2] (CMS sampler)."""
    cdef readonly double alpha

    def __init__(self, alpha=1.5, scale=1.0):
        alpha = _finite("alpha", alpha)
        if not 0.0 < alpha <= 2.0:
            raise ValueError(f"alpha: a stable law needs 0 < alpha <= 2, got {alpha!r}")
        self.alpha = alpha
        self.scale = _positive("scale", scale)
        self.params = {"alpha": self.alpha, "scale": self.scale}

    cdef double sample(self, Rng* r) noexcept nogil:
        return self.scale * sym_stable(r, self.alpha)

    cdef void sample_block(self, RngBlock* R, double* Z, Py_ssize_t n, int dim) noexcept nogil:
        cdef Py_ssize_t j
        cdef int i
        cdef Rng r
        cdef double scale = self.scale, alpha = self.alpha
        for j in range(n):
            r = lane_get(R, j)
            for i in range(dim):
                Z[j * dim + i] = scale * sym_stable(&r, alpha)
            lane_put(R, j, &r)


NOISES = {"gaussian": Gaussian, "laplace": Laplace, "pareto": Pareto, "stable": Stable}
_NOISE_NAMES = {cls: name for name, cls in NOISES.items()}


def make_noise(name, **params):
    """Build a noise law by name: "gaussian", "laplace", "pareto" (alpha), "stable" (alpha)."""
    if isinstance(name, NoiseLaw):
        if params:
            raise ValueError("noise: parameters given together with a NoiseLaw instance")
        return name
    if name not in NOISES:
        raise ValueError(f"noise: unknown name {name!r}; known: {sorted(NOISES)}")
    try:
        return NOISES[name](**params)
    except TypeError as exc:
        raise ValueError(f"noise {name!r}: bad parameters {sorted(params)}: {exc}") from None


# ----------------------------------------------------------------------------- data laws

cdef class DataLaw:
    def __init__(self):
        raise TypeError("DataLaw is abstract; use Discrete, TwoPoint or GaussianData")

    cdef double sample(self, Rng* r) noexcept nogil:
        return self.mean

    cdef void sample_block(self, RngBlock* R, double* X, Py_ssize_t n) noexcept nogil:
        """X[j] = one data point drawn from the stream of the run in lane j."""
        cdef Py_ssize_t j
        cdef Rng r
        for j in range(n):
            r = lane_get(R, j)
            X[j] = self.sample(&r)
            lane_put(R, j, &r)

    def __reduce__(self):
        return (_rebuild_data, (type(self).__name__, dict(self.params)))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


def _rebuild_data(clsname, params):
    return {"Discrete": Discrete, "GaussianData": GaussianData}[clsname](**params)


cdef class Discrete(DataLaw):
    """x = values[k] with probability probs[k]."""
    def __init__(self, values, probs):
        v = np.asarray(values, dtype=np.float64).ravel()
        p = np.asarray(probs, dtype=np.float64).ravel()
        if v.size == 0 or v.shape != p.shape:
            raise ValueError(f"probs: need as many probabilities as values, got {p.size} and {v.size}")
        if not np.all(np.isfinite(v)):
            raise ValueError("values: must be finite")
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError("probs: must be finite and non-negative")
        if abs(p.sum() - 1.0) > 1e-12:
            raise ValueError(f"probs: must sum to 1, got {p.sum()!r}")
        self.atoms = v.copy()
        self.probs = p.copy()
        cum = np.cumsum(p)
        cum[-1] = 1.0
        self.cum = cum
        # the two-point sampler compares the integer k of u = k 2^-53 (exact) with ceil(cum[0] 2^53)
        self.kthr = math.ceil(float(cum[0]) * 9007199254740992.0) if v.size == 2 else 0
        self.n_atoms = v.size
        self.mean = float(np.dot(v, p))
        self.params = {"values": v.tolist(), "probs": p.tolist()}

    cdef double sample(self, Rng* r) noexcept nogil:
        # branchless inverse-CDF search: k = #{j < n-1 : u >= cum[j]} (a data-dependent branch
        # would be mispredicted half of the time for the two-point law)
        cdef double u = next_double(r)
        cdef int j, k = 0
        for j in range(self.n_atoms - 1):
            k += (u >= self.cum[j])
        return self.atoms[k]

    cdef void sample_block(self, RngBlock* R, double* X, Py_ssize_t n) noexcept nogil:
        # raw pointers and constants in locals: the stores to X could otherwise alias the tables
        cdef Py_ssize_t j
        cdef int m, k, na = self.n_atoms
        cdef double u, c0
        cdef Rng r
        cdef const double* cum = &self.cum[0]
        cdef const double* atoms = &self.atoms[0]
        if na == 2:     # the two-point laws: the same selection without the loop (still branchless)
            if _SIMD:
                sgd_two_point_avx2(R.s0, R.s1, R.s2, R.s3, (n + 3) // 4 * 4, self.kthr,
                                   atoms[0], atoms[1], X)
                return
            c0 = cum[0]
            for j in range(n):
                r = lane_get(R, j)
                u = next_double(&r)
                lane_put(R, j, &r)
                X[j] = atoms[<int>(u >= c0)]
            return
        for j in range(n):
            r = lane_get(R, j)
            u = next_double(&r)
            lane_put(R, j, &r)
            k = 0
            for m in range(na - 1):
                k += (u >= cum[m])
            X[j] = atoms[k]


def TwoPoint(a):
    """The two-point law of Ziyin et al.: x in {1, a - 1} with probability 1/2 each (E x = a/2)."""
    a = _finite("a", a)
    return Discrete([1.0, a - 1.0], [0.5, 0.5])


cdef class GaussianData(DataLaw):
    """x ~ N(mean, std^2) (the large-batch limit of Ziyin et al. App. B.2)."""
    cdef readonly double std

    def __init__(self, mean, std):
        self.mean = _finite("mean", mean)
        self.std = _positive("std", std)
        self.n_atoms = 0
        self.params = {"mean": self.mean, "std": self.std}

    cdef double sample(self, Rng* r) noexcept nogil:
        return self.mean + self.std * std_normal(r)

    cdef void sample_block(self, RngBlock* R, double* X, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t j
        cdef Rng r
        cdef const ZigTables* zt = zig_tables()
        cdef double mean = self.mean, std = self.std
        for j in range(n):
            r = lane_get(R, j)
            X[j] = mean + std * std_normal_z(&r, zt)
            lane_put(R, j, &r)


# ----------------------------------------------------------------------------- noise scales

cdef class NoiseScale:
    def __init__(self):
        raise TypeError("NoiseScale is abstract; use Constant, SqrtLoss or Tabulated")

    cdef double scale(self, double f, const double* w) noexcept nogil:
        return 1.0

    def __call__(self, w, f=0.0):
        """Python access: s at a point w (1-D array of the landscape's dim) with loss value f."""
        arr = np.ascontiguousarray(np.atleast_1d(np.asarray(w, dtype=np.float64)))
        cdef double[::1] a = arr
        return self.scale(float(f), &a[0])

    def __reduce__(self):
        return (_rebuild_scale, (type(self).__name__, dict(self.params)))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


def _rebuild_scale(clsname, params):
    return {"Constant": Constant, "SqrtLoss": SqrtLoss, "Tabulated": Tabulated}[clsname](**params)


cdef class Constant(NoiseScale):
    """s(w) = sigma."""
    cdef readonly double sigma

    def __init__(self, sigma=1.0):
        self.sigma = _finite("sigma", sigma)
        if self.sigma < 0:
            raise ValueError(f"sigma: must be >= 0, got {sigma!r}")
        self.needs_value = False
        self.params = {"sigma": self.sigma}

    cdef double scale(self, double f, const double* w) noexcept nogil:
        return self.sigma


cdef class SqrtLoss(NoiseScale):
    """s(w) = sigma * sqrt(f(w) + c) (noise variance proportional to the loss; Azizian et al.)."""
    cdef readonly double sigma, c

    def __init__(self, sigma=1.0, c=1.0):
        self.sigma = _positive("sigma", sigma)
        self.c = _finite("c", c)
        self.needs_value = True
        self.params = {"sigma": self.sigma, "c": self.c}

    cdef double scale(self, double f, const double* w) noexcept nogil:
        cdef double v = f + self.c
        return self.sigma * sqrt(v) if v > 0 else 0.0


cdef class Tabulated(NoiseScale):
    """s(w) interpolated linearly in w[0] from a table (grid increasing); constant beyond its ends.
    Any 1-D noise shape (e.g. the one of Ziyin et al. Prop. 6 that imposes a stationary law)."""
    cdef double[::1] grid, vals
    cdef Py_ssize_t n

    def __init__(self, grid, values):
        g = np.asarray(grid, dtype=np.float64).ravel()
        v = np.asarray(values, dtype=np.float64).ravel()
        if g.size < 2 or g.shape != v.shape:
            raise ValueError(f"values: need the same length as grid (>= 2), got {v.size} and {g.size}")
        if not (np.all(np.isfinite(g)) and np.all(np.isfinite(v))):
            raise ValueError("grid/values: must be finite")
        if np.any(np.diff(g) <= 0):
            raise ValueError("grid: must be strictly increasing")
        if np.any(v < 0):
            raise ValueError("values: noise scales must be >= 0")
        self.grid = g.copy(); self.vals = v.copy(); self.n = g.size
        self.needs_value = False
        self.params = {"grid": g.tolist(), "values": v.tolist()}

    cdef double scale(self, double f, const double* w) noexcept nogil:
        cdef double z = w[0]
        cdef Py_ssize_t lo = 0, hi = self.n - 1, mid
        if z <= self.grid[0]:
            return self.vals[0]
        if z >= self.grid[hi]:
            return self.vals[hi]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.grid[mid] <= z:
                lo = mid
            else:
                hi = mid
        return self.vals[lo] + (self.vals[hi] - self.vals[lo]) * (z - self.grid[lo]) / (self.grid[hi] - self.grid[lo])
