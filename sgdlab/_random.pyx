# cython: language_level=3
"""Python access to the core's random streams (used by the simulator and by the sampler tests)."""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t
from libc.math cimport exp, log, log1p, sqrt
from sgdlab._random cimport (Rng, rng_seed, next_u64, next_double, std_laplace, sym_pareto,
                             sym_stable, std_exponential)

cnp.import_array()

# ---------------------------------------------------------------- ziggurat for N(0, 1)
# 256 layers of equal area V under exp(-x^2/2); R is the start of the tail. Layer i < 255 is
# accepted at once when the 52-bit uniform is below ki[i] (about 99% of draws).
cdef double ZIG_R = 3.6541528853610088
cdef double ZIG_V = 0.00492867323399
cdef ZigTables ZT
cdef uint64_t* ki = ZT.ki
cdef double* wi = ZT.wi
cdef double* fi = ZT.fi


cdef void _build_tables():
    cdef double m = 4503599627370496.0      # 2^52
    cdef double dn = ZIG_R, tn = ZIG_R
    cdef double q = ZIG_V / exp(-0.5 * dn * dn)
    cdef int i
    ki[0] = <uint64_t>((dn / q) * m)
    ki[1] = 0
    wi[0] = q / m
    wi[255] = dn / m
    fi[0] = 1.0
    fi[255] = exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = sqrt(-2.0 * log(ZIG_V / dn + exp(-0.5 * dn * dn)))
        ki[i + 1] = <uint64_t>((dn / tn) * m)
        tn = dn
        fi[i] = exp(-0.5 * dn * dn)
        wi[i] = dn / m


_build_tables()


cdef double std_normal(Rng* r) noexcept nogil:
    """Standard normal variate from stream r (ziggurat; the same layout as numpy's)."""
    cdef uint64_t u, rabs
    cdef int idx
    cdef double x
    u = next_u64(r)
    idx = <int>(u & 0xff)
    u >>= 8
    rabs = (u >> 1) & <uint64_t>0x000fffffffffffffULL
    x = rabs * wi[idx] * (1.0 - 2.0 * <double>(u & 1))    # branchless random sign
    if rabs < ki[idx]:
        return x
    return std_normal_slow(r, rabs, idx, x)


cdef double std_normal_slow(Rng* r, uint64_t rabs, int idx, double x) noexcept nogil:
    """The rest of `std_normal` after a draw that fell outside the rectangles: the tail (layer 0)
    or the wedge test; a rejected draw starts afresh."""
    cdef double xx, yy
    if idx == 0:
        while True:
            xx = -log1p(-next_double(r)) / ZIG_R
            yy = -log1p(-next_double(r))
            if yy + yy > xx * xx:
                return -(ZIG_R + xx) if (rabs >> 8) & 1 else ZIG_R + xx
    elif (fi[idx - 1] - fi[idx]) * next_double(r) + fi[idx] < exp(-0.5 * x * x):
        return x
    return std_normal(r)


cdef NormalSlow std_normal_slow_v(Rng r, uint64_t rabs, int idx, double x) noexcept nogil:
    cdef NormalSlow o
    o.x = std_normal_slow(&r, rabs, idx, x)
    o.r = r
    return o


cdef const ZigTables* zig_tables() noexcept nogil:
    return &ZT

RNG_WORDS = sizeof(Rng) // 8


def seed_states(uint64_t seed, uint64_t first_stream, Py_ssize_t n):
    """Return an (n, RNG_WORDS) uint64 array holding the states of streams first_stream..+n-1."""
    cdef cnp.ndarray[cnp.uint64_t, ndim=2] out = np.empty((n, RNG_WORDS), dtype=np.uint64)
    cdef Py_ssize_t i
    for i in range(n):
        rng_seed(<Rng*>&out[i, 0], seed, first_stream + <uint64_t>i)
    return out


def uniform_per_stream(uint64_t seed, uint64_t first_stream, Py_ssize_t n):
    """One U[0, 1) draw from each stream (seed, first_stream + i), i < n: per-run random initial
    points that do not depend on how runs are chunked."""
    cdef cnp.ndarray[cnp.float64_t, ndim=1] out = np.empty(n, dtype=np.float64)
    cdef Rng r
    cdef Py_ssize_t i
    for i in range(n):
        rng_seed(&r, seed, first_stream + <uint64_t>i)
        out[i] = next_double(&r)
    return out


def sample_raw(str law, Py_ssize_t n, uint64_t seed=0, uint64_t stream=0, double alpha=1.5):
    """Draw n standardised variates of `law` from stream (seed, stream), as the core draws them.

    law: "uniform" ([0, 1)), "normal", "exponential", "laplace" (density e^-|z|/2),
    "pareto" (+-U^(-1/alpha)), "stable" (symmetric alpha-stable, scale 1).
    """
    cdef Rng r
    cdef cnp.ndarray[cnp.float64_t, ndim=1] out = np.empty(n, dtype=np.float64)
    cdef Py_ssize_t i
    cdef int kind
    kinds = {"uniform": 0, "normal": 1, "exponential": 2, "laplace": 3, "pareto": 4, "stable": 5}
    if law not in kinds:
        raise ValueError(f"law: unknown sampler {law!r}; expected one of {sorted(kinds)}")
    kind = kinds[law]
    rng_seed(&r, seed, stream)
    with nogil:
        for i in range(n):
            if kind == 0:
                out[i] = next_double(&r)
            elif kind == 1:
                out[i] = std_normal(&r)
            elif kind == 2:
                out[i] = std_exponential(&r)
            elif kind == 3:
                out[i] = std_laplace(&r)
            elif kind == 4:
                out[i] = sym_pareto(&r, alpha)
            else:
                out[i] = sym_stable(&r, alpha)
    return out
