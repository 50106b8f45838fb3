# Random numbers for the core: one xoshiro256** stream per run, seeded from (seed, stream id).
#
# Why not numpy's BitGenerator objects: a sweep simulates 1e5-1e7 runs, each wanting its own
# stream; creating a numpy bit generator costs ~8 us per run (more than a 50-step run costs), while
# seeding this generator from (seed, run) costs a few ns. Stream r depends only on (seed, r), so a
# run's result does not depend on n_runs, on the number of threads or on how the work is chunked.
# Seeding follows Vigna's recommendation: the 256-bit state is filled by SplitMix64 started from a
# 64-bit key that mixes the seed and the stream id.
from libc.stdint cimport uint64_t, uint32_t, int64_t
from libc.math cimport log, sqrt, cos, sin, pow, fabs, M_PI, exp


cdef struct Rng:
    uint64_t s0
    uint64_t s1
    uint64_t s2
    uint64_t s3


cdef enum:
    LANES = 16     # runs per block of the driver (BLOCK): one lane per run


cdef struct RngBlock:
    # the streams of a block of runs, word-major (lane j = slot j): SIMD loads need no shuffles
    uint64_t s0[LANES]
    uint64_t s1[LANES]
    uint64_t s2[LANES]
    uint64_t s3[LANES]


cdef inline Rng lane_get(const RngBlock* B, Py_ssize_t j) noexcept nogil:
    cdef Rng r
    r.s0 = B.s0[j]; r.s1 = B.s1[j]; r.s2 = B.s2[j]; r.s3 = B.s3[j]
    return r


cdef inline void lane_put(RngBlock* B, Py_ssize_t j, const Rng* r) noexcept nogil:
    B.s0[j] = r.s0; B.s1[j] = r.s1; B.s2[j] = r.s2; B.s3[j] = r.s3



cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t splitmix64(uint64_t* x) noexcept nogil:
    x[0] += <uint64_t>0x9E3779B97F4A7C15ULL
    cdef uint64_t z = x[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline void rng_seed(Rng* r, uint64_t seed, uint64_t stream) noexcept nogil:
    cdef uint64_t k = seed
    cdef uint64_t key = splitmix64(&k)
    k = stream ^ <uint64_t>0x6A09E667F3BCC909ULL
    key ^= splitmix64(&k)
    k = key
    key = splitmix64(&k)          # one more round so that nearby (seed, stream) pairs decorrelate
    r.s0 = splitmix64(&k)
    r.s1 = splitmix64(&k)
    r.s2 = splitmix64(&k)
    r.s3 = splitmix64(&k)


cdef inline uint64_t next_u64(Rng* r) noexcept nogil:
    cdef uint64_t result = _rotl(r.s1 * 5, 7) * 9
    cdef uint64_t t = r.s1 << 17
    r.s2 ^= r.s0
    r.s3 ^= r.s1
    r.s1 ^= r.s2
    r.s0 ^= r.s3
    r.s2 ^= t
    r.s3 = _rotl(r.s3, 45)
    return result


cdef inline double next_double(Rng* r) noexcept nogil:
    """Uniform on [0, 1) with 53 random bits."""
    return (next_u64(r) >> 11) * (1.0 / 9007199254740992.0)


cdef inline double next_open(Rng* r) noexcept nogil:
    """Uniform on (0, 1): never exactly 0 or 1."""
    return ((next_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0)


# Standard normal: a 256-layer ziggurat (Marsaglia & Tsang 2000, in the 64-bit form numpy uses),
# tables built when sgdlab._random is imported; defined in _random.pyx.
cdef struct ZigTables:
    uint64_t ki[256]
    double wi[256]
    double fi[256]

cdef struct NormalSlow:
    Rng r
    double x

cdef double std_normal(Rng* r) noexcept nogil
cdef double std_normal_slow(Rng* r, uint64_t rabs, int idx, double x) noexcept nogil
cdef NormalSlow std_normal_slow_v(Rng r, uint64_t rabs, int idx, double x) noexcept nogil
cdef const ZigTables* zig_tables() noexcept nogil


cdef inline double std_normal_z(Rng* r, const ZigTables* z) noexcept nogil:
    """`std_normal` with its fast path (about 99% of draws) inlined into the caller's loop; the
    caller fetches the tables once with `zig_tables()`. The same draws and the same values."""
    cdef uint64_t u = next_u64(r)
    cdef int idx = <int>(u & 0xff)
    cdef uint64_t rabs
    cdef double x
    u >>= 8
    rabs = (u >> 1) & <uint64_t>0x000fffffffffffffULL
    x = rabs * z.wi[idx] * (1.0 - 2.0 * <double>(u & 1))
    if rabs < z.ki[idx]:
        return x
    # the stream goes to the slow path by value, so that the caller's copy never has its address
    # taken and stays in registers on the fast path
    cdef NormalSlow o = std_normal_slow_v(r[0], rabs, idx, x)
    r[0] = o.r
    return o.x


cdef inline double std_exponential(Rng* r) noexcept nogil:
    """Standard exponential by inversion."""
    return -log(next_open(r))


cdef inline double random_sign(Rng* r) noexcept nogil:
    return 2.0 * <double>(next_u64(r) >> 63) - 1.0      # branchless: a coin is never predictable


cdef inline double std_laplace(Rng* r) noexcept nogil:
    """Laplace with density exp(-|z|)/2 (variance 2). The sign is drawn first (sequenced: C leaves
    the order of the operands of `*` unspecified)."""
    cdef double s = random_sign(r)
    return s * std_exponential(r)


cdef inline double sym_pareto_e(Rng* r, double e) noexcept nogil:
    """`sym_pareto` with the exponent e = -1/alpha computed once by the caller. The sign is drawn
    first, then the uniform (sequenced: C leaves the order of the operands of `*` unspecified)."""
    cdef double s = random_sign(r)
    return s * pow(next_open(r), e)


cdef inline double sym_pareto(Rng* r, double alpha) noexcept nogil:
    """Classical Pareto with a random sign: P(|Z| > z) = z^-alpha for z >= 1 (not numpy's Lomax)."""
    return sym_pareto_e(r, -1.0 / alpha)


cdef inline double sym_stable(Rng* r, double alpha) noexcept nogil:
    """Symmetric alpha-stable, scale 1 (Chambers-Mallows-Stuck, beta = 0): E exp(itZ) = exp(-|t|^alpha).

    alpha = 2 gives N(0, 2); alpha = 1 gives the standard Cauchy law.
    """
    cdef double v = M_PI * (next_open(r) - 0.5)
    cdef double w
    if alpha == 1.0:
        return sin(v) / cos(v)
    w = std_exponential(r)
    return sin(alpha * v) / pow(cos(v), 1.0 / alpha) * pow(cos((1.0 - alpha) * v) / w, (1.0 - alpha) / alpha)
