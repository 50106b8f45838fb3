/* Plain-C peer of the core for `make bench` (issue 22): the six benchmark workloads written the
 * way a C programmer would, one run at a time with its state in registers, OpenMP over runs
 * (static schedule), with the core's random streams (xoshiro256** per run seeded from
 * (seed, run), the same ziggurat and samplers) and the same floating-point operations in the same
 * order. Compiled at bench time with the core's flags; its final states must equal the core's
 * bit for bit (benchmarks/run.py checks).
 *
 * int peer_run(int workload, int64_t n, int64_t steps, uint64_t seed, const double *w0, double *out,
 *              int threads): w0, out are (n, dim) row-major; returns 0, or -1 for an unknown workload.
 * Workloads: 0 quadratic, 1 quartic, 2 sharp2d, 3 amsgrad, 4 himmelblau, 5 heavy_tailed.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct { uint64_t s0, s1, s2, s3; } Rng;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t splitmix64(uint64_t *x) {
    *x += 0x9E3779B97F4A7C15ULL;
    uint64_t z = *x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline void rng_seed(Rng *r, uint64_t seed, uint64_t stream) {
    uint64_t k = seed;
    uint64_t key = splitmix64(&k);
    k = stream ^ 0x6A09E667F3BCC909ULL;
    key ^= splitmix64(&k);
    k = key;
    key = splitmix64(&k);
    r->s0 = splitmix64(&k);
    r->s1 = splitmix64(&k);
    r->s2 = splitmix64(&k);
    r->s3 = splitmix64(&k);
}

static inline uint64_t next_u64(Rng *r) {
    uint64_t result = rotl(r->s1 * 5, 7) * 9;
    uint64_t t = r->s1 << 17;
    r->s2 ^= r->s0;
    r->s3 ^= r->s1;
    r->s1 ^= r->s2;
    r->s0 ^= r->s3;
    r->s2 ^= t;
    r->s3 = rotl(r->s3, 45);
    return result;
}

static inline double next_double(Rng *r) { return (next_u64(r) >> 11) * (1.0 / 9007199254740992.0); }
static inline double next_open(Rng *r) { return ((next_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
static inline double random_sign(Rng *r) { return 2.0 * (double)(next_u64(r) >> 63) - 1.0; }

static inline double sym_pareto_e(Rng *r, double e) {
    double s = random_sign(r);
    return s * pow(next_open(r), e);
}

/* ziggurat, as sgdlab/_random.pyx builds and uses it */
static const double ZIG_R = 3.6541528853610088;
static const double ZIG_V = 0.00492867323399;
static uint64_t ki[256];
static double wi[256], fi[256];
static int tables_built = 0;

static void build_tables(void) {
    double m = 4503599627370496.0;
    double dn = ZIG_R, tn = ZIG_R;
    double q = ZIG_V / exp(-0.5 * dn * dn);
    ki[0] = (uint64_t)((dn / q) * m);
    ki[1] = 0;
    wi[0] = q / m;
    wi[255] = dn / m;
    fi[0] = 1.0;
    fi[255] = exp(-0.5 * dn * dn);
    for (int i = 254; i > 0; i--) {
        dn = sqrt(-2.0 * log(ZIG_V / dn + exp(-0.5 * dn * dn)));
        ki[i + 1] = (uint64_t)((dn / tn) * m);
        tn = dn;
        fi[i] = exp(-0.5 * dn * dn);
        wi[i] = dn / m;
    }
    tables_built = 1;
}

static inline double std_normal(Rng *r) {
    for (;;) {
        uint64_t u = next_u64(r);
        int idx = (int)(u & 0xff);
        u >>= 8;
        uint64_t rabs = (u >> 1) & 0x000fffffffffffffULL;
        double x = rabs * wi[idx] * (1.0 - 2.0 * (double)(u & 1));
        if (rabs < ki[idx]) return x;
        if (idx == 0) {
            for (;;) {
                double xx = -log1p(-next_double(r)) / ZIG_R;
                double yy = -log1p(-next_double(r));
                if (yy + yy > xx * xx) return ((rabs >> 8) & 1) ? -(ZIG_R + xx) : ZIG_R + xx;
            }
        } else if ((fi[idx - 1] - fi[idx]) * next_double(r) + fi[idx] < exp(-0.5 * x * x)) {
            return x;
        }
    }
}

static inline double four_well_grad(double z) {
    double v[9], dv[9], pre[10], suf[10], s = 0.0, d, e, q;
    v[0] = z + 1.6; dv[0] = 1.0;
    v[1] = (z + 1.3) * (z + 1.3); dv[1] = 2.0 * (z + 1.3);
    v[2] = (z - 0.2) * (z - 0.2); dv[2] = 2.0 * (z - 0.2);
    v[3] = (z - 0.7) * (z - 0.7); dv[3] = 2.0 * (z - 0.7);
    v[4] = z - 1.6; dv[4] = 1.0;
    d = fabs(1.65 - z);
    v[5] = pow(0.05 * d, 0.6);
    dv[5] = d > 0 ? (-0.6 * v[5] / d * (z < 1.65 ? 1.0 : -1.0)) : 0.0;
    q = 0.01 + 4.0 * (z - 0.5) * (z - 0.5);
    v[6] = 1.0 + 1.0 / q; dv[6] = -8.0 * (z - 0.5) / (q * q);
    q = 0.1 + 4.0 * (z + 1.5) * (z + 1.5);
    v[7] = 1.0 + 1.0 / q; dv[7] = -8.0 * (z + 1.5) / (q * q);
    e = exp(-5.0 * (z + 0.8) * (z + 0.8));
    v[8] = 1.0 - 0.25 * e; dv[8] = 2.5 * (z + 0.8) * e;
    pre[0] = 1.0;
    for (int k = 0; k < 9; k++) pre[k + 1] = pre[k] * v[k];
    suf[9] = 1.0;
    for (int k = 8; k >= 0; k--) suf[k] = suf[k + 1] * v[k];
    for (int k = 0; k < 9; k++) s += dv[k] * pre[k] * suf[k + 1];
    return s;
}

/* two-point data law {1, a-1} with probability 1/2: the core's branchless inverse CDF (a branch
 * on a fair coin would be mispredicted half of the time) */
static inline double two_point(Rng *r, const double *atoms) {
    double u = next_double(r);
    return atoms[u >= 0.5];
}

static inline int bad1(double w, double max_abs) { return (!isfinite(w)) | (fabs(w) > max_abs); }

static void run_one(int wl, Rng *rng, const double *w0, double *out, int64_t steps) {
    Rng r = *rng;
    int64_t t;
    switch (wl) {
    case 0: { /* quadratic, TwoPoint(-1), lr 0.5, max_abs 1e300 */
        const double A[2] = {1.0, -2.0};
        double w = w0[0];
        for (t = 0; t < steps; t++) {
            double x = two_point(&r, A);
            double d = 0.5 * (x * w);
            double wn = w - d;
            if (bad1(wn, 1e300)) { w = NAN; break; }
            w = wn;
        }
        out[0] = w;
        break;
    }
    case 1: { /* quartic c = 1, TwoPoint(-1), lr 0.1 */
        const double A[2] = {1.0, -2.0};
        double w = w0[0];
        for (t = 0; t < steps; t++) {
            double x = two_point(&r, A);
            double d = 0.1 * ((x + 1.0 * w * w) * w);
            double wn = w - d;
            if (bad1(wn, 1e100)) { w = NAN; break; }
            w = wn;
        }
        out[0] = w;
        break;
    }
    case 2: { /* sharp2d a = 0.5, b = 14, Discrete([1, -1]), lr 0.05, box [-1, 1]^2 */
        const double A[2] = {1.0, -1.0};
        double w1 = w0[0], w2 = w0[1];
        for (t = 0; t < steps; t++) {
            double x = two_point(&r, A);
            double g1 = -2.0 * w1 + 4.0 * w1 * w1 * w1 + 12.0 * w1 * w2 * w2 + x * 14.0 * w1;
            double g2 = -2.0 * w2 + 4.0 * w2 * w2 * w2 + 12.0 * w1 * w1 * w2 - 2.0 * 0.5 * w2;
            double a = w1 - 0.05 * g1, b = w2 - 0.05 * g2;
            if (a < -1.0) a = -1.0; else if (a > 1.0) a = 1.0;
            if (b < -1.0) b = -1.0; else if (b > 1.0) b = 1.0;
            if (bad1(a, 1e100) | bad1(b, 1e100)) { w1 = w2 = NAN; break; }
            w1 = a; w2 = b;
        }
        out[0] = w1; out[1] = w2;
        break;
    }
    case 3: { /* AMSGrad b1 0.9 b2 0.999 eps 0 on the quadratic, TwoPoint(-0.1), lr 0.2, [-1, 1] */
        const double A[2] = {1.0, -0.1 - 1.0};
        double w = w0[0], m = 0.0, v = 0.0, vh = 0.0;
        for (t = 0; t < steps; t++) {
            double x = two_point(&r, A);
            double g = x * w;
            m = 0.9 * m + (1.0 - 0.9) * g;
            v = 0.999 * v + (1.0 - 0.999) * g * g;
            if (v > vh) vh = v;
            double den = sqrt(vh) + 0.0;
            double d = 0.2 * (den > 0 ? m / den : 0.0);
            double wn = w - d;
            if (wn < -1.0) wn = -1.0; else if (wn > 1.0) wn = 1.0;
            if (bad1(wn, 1e100)) { w = NAN; break; }
            w = wn;
        }
        out[0] = w;
        break;
    }
    case 4: { /* Himmelblau + sqrt(15000) N(0, I), lr 0.002 */
        const double s = sqrt(15000.0);
        double u = w0[0], v = w0[1];
        for (t = 0; t < steps; t++) {
            double a = u * u + v - 11.0, b = u + v * v - 7.0;
            double g1 = 4.0 * u * a + 2.0 * b, g2 = 2.0 * a + 4.0 * v * b;
            double z1 = 1.0 * std_normal(&r);
            double z2 = 1.0 * std_normal(&r);
            g1 += s * z1;
            g2 += s * z2;
            double p = u - 0.002 * g1, q = v - 0.002 * g2;
            if (bad1(p, 1e100) | bad1(q, 1e100)) { u = v = NAN; break; }
            u = p; v = q;
        }
        out[0] = u; out[1] = v;
        break;
    }
    case 5: { /* four-well + 0.1 Pareto(1.2), lr 0.01, clip 0.5, [-1.6, 1.6] */
        const double e = -1.0 / 1.2;
        double w = w0[0];
        for (t = 0; t < steps; t++) {
            double g = four_well_grad(w);
            double z = 1.0 * sym_pareto_e(&r, e);
            g += 0.1 * z;
            double d = 0.01 * g;
            double nrm = sqrt(0.0 + d * d);
            if (nrm > 0.5) d = d * (0.5 / nrm);
            double wn = w - d;
            if (wn < -1.6) wn = -1.6; else if (wn > 1.6) wn = 1.6;
            if (bad1(wn, 1e100)) { w = NAN; break; }
            w = wn;
        }
        out[0] = w;
        break;
    }
    }
    *rng = r;
}

int peer_run(int wl, int64_t n, int64_t steps, uint64_t seed, const double *w0, double *out, int threads) {
    int dim = (wl == 2 || wl == 4) ? 2 : 1;
    if (wl < 0 || wl > 5) return -1;
    if (!tables_built) build_tables();
#ifdef _OPENMP
    #pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (int64_t i = 0; i < n; i++) {
        Rng r;
        rng_seed(&r, seed, (uint64_t)i);
        run_one(wl, &r, w0 + i * dim, out + i * dim, steps);
    }
    return 0;
}

/* the ziggurat tables, for the Numba peer (so that both use the very same numbers) */
void peer_tables(uint64_t *k, double *w, double *f) {
    if (!tables_built) build_tables();
    memcpy(k, ki, sizeof ki);
    memcpy(w, wi, sizeof wi);
    memcpy(f, fi, sizeof fi);
}

/* Machine probe (benchmarks/run.py): the quartic workload's step on 16 runs (4 AVX2 vectors of
 * xoshiro256** streams, the two-point draw, w -= lr (x + w^2) w) with every state in registers:
 * no memory traffic, no driver, no OpenMP scheduling inside. Whatever changes its speed from call
 * to call, or keeps its 2-thread rate below twice its 1-thread rate, is the machine's (clock, a
 * neighbour on the host's core), so its spread and scaling tell the core's share of those numbers
 * from the machine's. Not the core's streams or results: only its instruction mix.
 *
 * int peer_probe(int64_t iters, int threads, double *checksum): iters steps on each of `threads`
 * threads; returns 0, or -1 where there is no AVX2. */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
typedef uint64_t probe_u4 __attribute__((vector_size(32)));
typedef int64_t probe_i4 __attribute__((vector_size(32)));
typedef double probe_d4 __attribute__((vector_size(32)));

__attribute__((target("avx2"), noinline)) static double probe_loop(int64_t iters, uint64_t seed) {
    probe_u4 s0[4], s1[4], s2[4], s3[4];
    probe_d4 w[4];
    const probe_i4 kthr = {1LL << 52, 1LL << 52, 1LL << 52, 1LL << 52};
    const probe_d4 a0 = {1.0, 1.0, 1.0, 1.0}, a1 = {-2.0, -2.0, -2.0, -2.0};
    uint64_t x = seed;
    for (int g = 0; g < 4; g++) {
        for (int l = 0; l < 4; l++) {
            s0[g][l] = splitmix64(&x); s1[g][l] = splitmix64(&x);
            s2[g][l] = splitmix64(&x); s3[g][l] = splitmix64(&x);
            w[g][l] = 0.5 + 0.01 * (4 * g + l);
        }
    }
    for (int64_t t = 0; t < iters; t++) {
        for (int g = 0; g < 4; g++) {
            probe_u4 r = s1[g] + (s1[g] << 2);                 /* s1 * 5 */
            r = (r << 7) | (r >> 57);
            r = r + (r << 3);                                  /* * 9 */
            probe_u4 u = s1[g] << 17;
            s2[g] ^= s0[g]; s3[g] ^= s1[g]; s1[g] ^= s2[g]; s0[g] ^= s3[g];
            s2[g] ^= u; s3[g] = (s3[g] << 45) | (s3[g] >> 19);
            probe_i4 ge = (probe_i4)(r >> 11) >= kthr;
            probe_d4 xd = (probe_d4)(((probe_i4)a1 & ge) | ((probe_i4)a0 & ~ge));
            w[g] = w[g] - 0.1 * ((xd + w[g] * w[g]) * w[g]);
        }
    }
    double s = 0.0;
    for (int g = 0; g < 4; g++)
        for (int l = 0; l < 4; l++)
            s += w[g][l];
    return s;
}

int peer_probe(int64_t iters, int threads, double *checksum) {
    double total = 0.0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2"))
        return -1;
#ifdef _OPENMP
    #pragma omp parallel num_threads(threads) reduction(+:total)
    total += probe_loop(iters, 1234567u + (uint64_t)omp_get_thread_num());
#else
    for (int i = 0; i < threads; i++)
        total += probe_loop(iters, 1234567u + (uint64_t)i);
#endif
    *checksum = total;
    return 0;
}
#else
int peer_probe(int64_t iters, int threads, double *checksum) {
    (void)iters; (void)threads; *checksum = 0.0;
    return -1;
}
#endif

/* libm probe (benchmarks/run.py): pow and exp, the calls the heavy-tailed workload spends its time
 * in, in two shapes, on one thread, no driver and no memory traffic:
 *   chained = 0: 4 independent evaluations per iteration (the core's shape: libm called lane by
 *                lane for 4 runs at once; throughput-bound, the out-of-order core overlaps them);
 *   chained = 1: one evaluation per iteration, each on the previous result (the C peer's shape:
 *                one run at a time; latency-bound).
 * The spread of identical calls of the two shows how much of a spread the machine gives to each
 * kind of code. int peer_probe_libm(int64_t iters, int chained, double *checksum): 4 evaluations
 * (chained = 0) or 1 (chained = 1) per iteration; returns 0. */
int peer_probe_libm(int64_t iters, int chained, double *checksum) {
    double acc = 0.0;
    if (chained) {
        double y = 0.5;
        for (int64_t i = 0; i < iters; i++)
            y = 0.3 + 0.5 * exp(-y * pow(y + 0.1, -0.8333));
        acc = y;
    } else {
        for (int64_t i = 0; i < iters; i++) {
            for (int l = 0; l < 4; l++) {
                double x = 0.3 + (double)((i * 4 + l) & 1023) * 1e-3;
                acc += pow(x, -0.8333) + exp(-x * x);
            }
        }
    }
    *checksum = acc;
    return 0;
}
