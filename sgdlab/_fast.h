/* The fused SIMD step of the core (issue 22, item 2): a whole step of a block of runs (data draw,
 * gradient, additive noise, optimizer direction, lr step, clip, box projection, divergence test)
 * computed for 4 runs per AVX2 vector: every landscape of sgdlab/landscapes.pyx; two-point data;
 * Gaussian, Pareto, Laplace or stable noise of constant scale (coordinates or isotropic); optimizers
 * SGD, Adam and AMSGrad. libm's pow, exp, log, sin and cos (four_well, sine, the heavy-tailed laws)
 * stay scalar calls, lane by lane: a vector pow would not give libm's bits. The documented switch
 * simulate(fast_math=True) (plan field fast_math) computes exp, log and pow on vectors instead
 * (sgd_vexp, sgd_vlog, sgd_vpow below): not libm's bits, still a pure function of each run.
 *
 * Bit-identical to the scalar passes of `_steps` in sgdlab/_driver.pyx. Per run the operations and
 * their order are those of the scalar code: the expressions below are the scalar ones written on
 * GCC vector types (C evaluates `a * b + c * d` left to right on vectors as on scalars); +, -, *, /
 * and sqrt are correctly rounded in AVX as in scalar SSE2; no FMA (the target is "avx2" without
 * "fma", and the build keeps -ffp-contract=off). Comparisons are the ordered ones of the scalar
 * code (false on NaN). The random streams are the same xoshiro256** words (integer arithmetic).
 *
 * Used only when the CPU has AVX2 and SGDLAB_NO_SIMD is unset (the switch of sgdlab/_simd.h): with
 * it set, the scalar passes run, with the same results (tests/core/test_simd.py checks both).
 *
 * Layout: the block's iterates are lane-major (W[j*dim + i]) and its optimizer state slot-major
 * (ST[k*slot_stride + j*dim + i]). One vector holds coordinate i of 4 runs: in dimension 1 that is
 * the block's own layout (used in place); in dimension 2 `sgd_fast_steps` copies the state into
 * coordinate-major local arrays, advances up to `nsteps` steps and copies it back.
 */
#ifndef SGDLAB_FAST_H
#define SGDLAB_FAST_H
#include <stdint.h>
#include <stddef.h>
#include <math.h>
#include "_simd.h"

enum { SGD_FAST_QUADRATIC = 1, SGD_FAST_QUARTIC = 2, SGD_FAST_SHARP2D = 3, SGD_FAST_HIMMELBLAU = 4,
       SGD_FAST_FOUR_WELL = 5, SGD_FAST_DOUBLE_WELL = 6, SGD_FAST_KINKED = 7, SGD_FAST_SINE = 8,
       SGD_FAST_FLAT_MAX = 9, SGD_FAST_HARMONIC = 10, SGD_FAST_TWO_LAYER = 11, SGD_FAST_CAMEL = 12 };
enum { SGD_FAST_NONE = 0, SGD_FAST_GAUSS = 1, SGD_FAST_PARETO = 2, SGD_FAST_LAPLACE = 3, SGD_FAST_STABLE = 4 };
enum { SGD_FAST_SGD = 0, SGD_FAST_ADAM = 1, SGD_FAST_AMSGRAD = 2 };

/* Stack storage for the driver's Blk (sgdlab/_driver.pyx), 64-byte aligned; the driver checks
 * that a Blk fits. */
typedef struct {
    unsigned char bytes[4096];
} __attribute__((aligned(64))) SgdBlkStorage;

/* The slow path of the ziggurat for one run (state words at s0[0], s1[0], s2[0], s3[0], updated):
 * supplied by the driver (sgdlab/_random.pyx std_normal_slow). */
typedef double (*sgd_normal_slow_fn)(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3,
                                     uint64_t rabs, int64_t idx, double x);

typedef struct {
    int land, opt, dim;          /* SGD_FAST_* ; dim 1 or 2 (the landscape's) */
    double lc, la, lb;           /* landscape constants: quartic c; sharp2d a, b; double_well R (lc);
                                    kinked_two_well a, b, kink_grad (la, lb, lc); harmonic k (lc) */
    int two_point;               /* data: 1 two-point law (kthr, atom0, atom1), 0 none (x = 0) */
    int batch;                   /* data points per step (two-point law) */
    int64_t kthr;
    double atom0, atom1;
    int noise;                   /* additive noise: SGD_FAST_GAUSS/PARETO/LAPLACE/STABLE, a law
                                    of scale gscale times the constant scale nscale; or NONE */
    double gscale, nscale, pe, alpha;   /* Pareto: pe = -1/alpha; stable: alpha */
    int isotropic;               /* dimension 2: a uniform direction times |Z| (see _gradient) */
    const uint64_t *ki;          /* ziggurat tables and slow path (Gaussian noise only) */
    const double *wi;
    sgd_normal_slow_fn slow;
    double b1, b2, eps;          /* Adam / AMSGrad */
    double lr, clip, max_abs;    /* clip <= 0: off */
    int box;                     /* projection onto [pa, pb] (1) or none (0) */
    double pa[2], pb[2];
    int fast_math;               /* 1: exp, log, pow by sgd_vexp/sgd_vlog/sgd_vpow (not libm's bits) */
} SgdFastPlan;

#if SGD_HAVE_X86
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));

#define SGD_AVX2 __attribute__((target("avx2")))
#ifndef SGD_AVX2_INLINE   /* (defined in _simd.h) */
#define SGD_AVX2_INLINE static inline __attribute__((target("avx2"), always_inline))
#endif
/* libm-bound pieces (pow, exp, log, sin, cos lane by lane) stay out of line: inlined into every
   model's loop they would crowd its registers for nothing */
#define SGD_AVX2_CALL static __attribute__((target("avx2"), noinline))

SGD_AVX2_INLINE v4d sgd_v(double a) { return (v4d){a, a, a, a}; }

/* m ? a : b, lane by lane (m: all ones or all zeros per lane, as comparisons give) */
SGD_AVX2_INLINE v4d sgd_sel(v4i m, v4d a, v4d b) {
    return (v4d)_mm256_blendv_pd((__m256d)b, (__m256d)a, (__m256d)m);
}

SGD_AVX2_INLINE v4d sgd_fabs(v4d a) {
    return (v4d)((v4i)a & (v4i){0x7fffffffffffffffLL, 0x7fffffffffffffffLL,
                                 0x7fffffffffffffffLL, 0x7fffffffffffffffLL});
}

SGD_AVX2_INLINE v4d sgd_sqrt(v4d a) { return (v4d)_mm256_sqrt_pd((__m256d)a); }

/* the two-point law (as sgd_two_point_avx2): x = atoms[k >= kthr], u = k 2^-53 */
SGD_AVX2_INLINE v4d sgd_two_point4(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                                   uint64_t *s3) {
    __m256i k = _mm256_srli_epi64(sgd_next4(s0, s1, s2, s3), 11);
    __m256i ge = _mm256_cmpgt_epi64(k, _mm256_set1_epi64x(P->kthr - 1));
    return (v4d)_mm256_blendv_pd(_mm256_set1_pd(P->atom0), _mm256_set1_pd(P->atom1),
                                 _mm256_castsi256_pd(ge));
}

/* N(0, 1) for 4 runs: the fast path of the ziggurat in lanes (as sgd_normal_fast_avx2), then the
 * slow path run by run for the lanes that need it (about 1 draw in 100) */
SGD_AVX2_INLINE v4d sgd_normal4(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                                uint64_t *s3) {
    __m256i u = sgd_next4(s0, s1, s2, s3);
    __m256i idx = _mm256_and_si256(u, _mm256_set1_epi64x(0xff));
    u = _mm256_srli_epi64(u, 8);
    __m256i rabs = _mm256_and_si256(_mm256_srli_epi64(u, 1), _mm256_set1_epi64x(0x000fffffffffffffLL));
    __m256d rd = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(rabs, _mm256_set1_epi64x(0x4330000000000000LL))),
                               _mm256_set1_pd(4503599627370496.0));
    __m256d w = _mm256_i64gather_pd(P->wi, idx, 8);
    __m256i k = _mm256_i64gather_epi64((const long long *)P->ki, idx, 8);
    __m256i one = _mm256_set1_epi64x(1);
    __m256i odd = _mm256_cmpeq_epi64(_mm256_and_si256(u, one), one);
    __m256d sign = _mm256_blendv_pd(_mm256_set1_pd(1.0), _mm256_set1_pd(-1.0), _mm256_castsi256_pd(odd));
    __m256d x = _mm256_mul_pd(_mm256_mul_pd(rd, w), sign);
    int slow = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(k, rabs))) ^ 0xf;
    if (__builtin_expect(slow, 0)) {
        double xs[4] __attribute__((aligned(32)));
        uint64_t ra[4] __attribute__((aligned(32)));
        int64_t ix[4] __attribute__((aligned(32)));
        _mm256_store_pd(xs, x);
        _mm256_store_si256((__m256i *)ra, rabs);
        _mm256_store_si256((__m256i *)ix, idx);
        for (int j = 0; j < 4; j++)
            if ((slow >> j) & 1)
                xs[j] = P->slow(s0 + j, s1 + j, s2 + j, s3 + j, ra[j], ix[j], xs[j]);
        x = _mm256_load_pd(xs);
    }
    return (v4d)x;
}

enum { SGD_FAST_LANES = 16 };    /* = LANES of sgdlab/_random.pxd: the most runs in a block */

/* k < 2^52 (a 64-bit lane) to double, exactly: the exponent trick of sgd_normal_fast_avx2 */
SGD_AVX2_INLINE v4d sgd_u52_to_double(__m256i k) {
    return (v4d)_mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(k, _mm256_set1_epi64x(0x4330000000000000LL))),
                              _mm256_set1_pd(4503599627370496.0));
}

/* k < 2^53 to double, exactly (AVX2 has no 64-bit conversion): its high and low 32 bits
 * converted apart, hi 2^32 + lo, both steps exact since every partial result is an integer < 2^53 */
SGD_AVX2_INLINE v4d sgd_u53_to_double(__m256i k) {
    v4d hi = sgd_u52_to_double(_mm256_srli_epi64(k, 32));
    v4d lo = sgd_u52_to_double(_mm256_and_si256(k, _mm256_set1_epi64x(0xffffffffLL)));
    return hi * 4294967296.0 + lo;
}

/* random_sign (sgdlab/_random.pxd): 2 (u >> 63) - 1 */
SGD_AVX2_INLINE v4d sgd_sign4(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    return 2.0 * sgd_u52_to_double(_mm256_srli_epi64(sgd_next4(s0, s1, s2, s3), 63)) - 1.0;
}

/* next_open: ((u >> 11) + 0.5) 2^-53 */
SGD_AVX2_INLINE v4d sgd_open4(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    return (sgd_u53_to_double(_mm256_srli_epi64(sgd_next4(s0, s1, s2, s3), 11)) + 0.5)
           * (1.0 / 9007199254740992.0);
}

/* libm lane by lane: the very calls of the scalar code */
SGD_AVX2_INLINE v4d sgd_pow4(v4d x, double y) {
    double a[4] __attribute__((aligned(32)));
    *(v4d *)a = x;
    for (int j = 0; j < 4; j++)
        a[j] = pow(a[j], y);
    return *(v4d *)a;
}

/* exp, sin, log, cos: the same, one macro */
#define SGD_LANEWISE(NAME, FN) \
    SGD_AVX2_INLINE v4d NAME(v4d x) { \
        double a[4] __attribute__((aligned(32))); \
        *(v4d *)a = x; \
        for (int j = 0; j < 4; j++) \
            a[j] = FN(a[j]); \
        return *(v4d *)a; \
    }
SGD_LANEWISE(sgd_exp4, exp)
SGD_LANEWISE(sgd_sin4, sin)
SGD_LANEWISE(sgd_log4, log)
SGD_LANEWISE(sgd_cos4, cos)
#undef SGD_LANEWISE

/* ---- fast_math (simulate(fast_math=True), off by default): exp, log and pow on 4 lanes at once.
 * fdlibm's algorithms (e_exp.c, e_log.c: error < 1 ulp) written on vectors, without FMA; pow(x, y)
 * is exp(y log x) for x >= 0 (the only arguments the callers pass), relative error about
 * (2 + 3 |y ln x|) ulp. These are not libm's bits, hence not the NumPy reference's; but each lane is
 * a pure function of its own run's numbers, so results stay bit-identical whatever the threads,
 * chunks or blocks. tests/core/test_fast_math.py measures the errors against libm. */
SGD_AVX2_INLINE v4d sgd_bits_to_double(__m256i b) { return (v4d)_mm256_castsi256_pd(b); }

/* 2^k for integral k in [-1022, 1023] held in the int32 lanes of k */
SGD_AVX2_INLINE v4d sgd_pow2i(__m128i k) {
    __m256i e = _mm256_add_epi64(_mm256_cvtepi32_epi64(k), _mm256_set1_epi64x(1023));
    return sgd_bits_to_double(_mm256_slli_epi64(e, 52));
}

SGD_AVX2_INLINE v4d sgd_vexp(v4d x) {
    const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                 P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                 P5 = 4.13813679705723846039e-08;
    /* clamped so that k stays in [-1077, 1025]; outside, the selects below give inf or 0 */
    v4d xc = sgd_sel(x > 710.0, sgd_v(710.0), sgd_sel(x < -746.0, sgd_v(-746.0), x));
    xc = sgd_sel(xc == xc, xc, sgd_v(0.0));                       /* NaN: fixed up below */
    v4d kd = (v4d)_mm256_round_pd((__m256d)(xc * 1.44269504088896338700e+00),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v4d hi = xc - kd * 6.93147180369123816490e-01;               /* exact: ln2_hi has 32 zero bits */
    v4d lo = kd * 1.90821492927058770002e-10;
    v4d r = hi - lo;
    v4d t = r * r;
    v4d c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    v4d y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    /* y 2^k in two exact halves, so that subnormal results are rounded once */
    __m128i k = _mm256_cvtpd_epi32((__m256d)kd);
    __m128i k1 = _mm_srai_epi32(k, 1);
    y = y * sgd_pow2i(k1) * sgd_pow2i(_mm_sub_epi32(k, k1));
    y = sgd_sel(x > 7.09782712893383973096e+02, sgd_v(__builtin_inf()), y);
    y = sgd_sel(x < -7.45133219101941108420e+02, sgd_v(0.0), y);
    return sgd_sel(x == x, y, x);
}

SGD_AVX2_INLINE v4d sgd_vlog(v4d x) {
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                 Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                 Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                 Lg7 = 1.479819860511658591e-01;
    v4d sub = sgd_sel(x < 2.2250738585072014e-308, sgd_v(1.0), sgd_v(0.0));   /* subnormal (or <= 0) */
    v4d xs = sgd_sel(sub != 0.0, x * 18014398509481984.0, x);               /* x 2^54 */
    __m256i b = _mm256_castpd_si256((__m256d)xs);
    __m256i hx = _mm256_srli_epi64(b, 32);                                   /* high word */
    __m256i hm = _mm256_and_si256(hx, _mm256_set1_epi64x(0x000fffff));
    __m256i i = _mm256_and_si256(_mm256_add_epi64(hm, _mm256_set1_epi64x(0x95f64)),
                                 _mm256_set1_epi64x(0x100000));
    /* m = x or x/2 scaled into [sqrt(2)/2, sqrt(2)); k its exponent */
    __m256i nh = _mm256_or_si256(hm, _mm256_xor_si256(i, _mm256_set1_epi64x(0x3ff00000)));
    v4d m = sgd_bits_to_double(_mm256_or_si256(_mm256_slli_epi64(nh, 32),
                                               _mm256_and_si256(b, _mm256_set1_epi64x(0xffffffffLL))));
    __m256i ki = _mm256_add_epi64(_mm256_srli_epi64(hx, 20), _mm256_srli_epi64(i, 20));  /* k + 1023 */
    v4d dk = sgd_u52_to_double(_mm256_and_si256(ki, _mm256_set1_epi64x(0xfff))) - 1023.0 - 54.0 * sub;
    v4d f = m - 1.0;
    v4d s = f / (2.0 + f), z = s * s, w = z * z;
    v4d t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    v4d t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    v4d R = t2 + t1, hfsq = 0.5 * f * f;
    v4d y = dk * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + R) + dk * 1.90821492927058770002e-10)) - f);
    y = sgd_sel(x == __builtin_inf(), x, y);
    y = sgd_sel(x == 0.0, sgd_v(-__builtin_inf()), y);
    return sgd_sel(x < 0.0, sgd_v(__builtin_nan("")), sgd_sel(x == x, y, x));
}

/* x^y for x >= 0 (or NaN): exp(y log x); y == 0 gives 1 */
SGD_AVX2_INLINE v4d sgd_vpow(v4d x, double y) {
    if (y == 0.0)
        return sgd_v(1.0);
    return sgd_vexp(y * sgd_vlog(x));
}

/* libm's (fm = 0) or the vector ones (fm = 1) */
SGD_AVX2_INLINE v4d sgd_powf4(v4d x, double y, int fm) { return fm ? sgd_vpow(x, y) : sgd_pow4(x, y); }
SGD_AVX2_INLINE v4d sgd_expf4(v4d x, int fm) { return fm ? sgd_vexp(x) : sgd_exp4(x); }
SGD_AVX2_INLINE v4d sgd_logf4(v4d x, int fm) { return fm ? sgd_vlog(x) : sgd_log4(x); }

/* sym_pareto_e and std_laplace of sgdlab/_random.pxd: the sign first, then the uniform */
SGD_AVX2_CALL v4d sgd_pareto4(double e, int fm, uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    v4d s = sgd_sign4(s0, s1, s2, s3);
    return s * sgd_powf4(sgd_open4(s0, s1, s2, s3), e, fm);
}

SGD_AVX2_CALL v4d sgd_laplace4(int fm, uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    v4d s = sgd_sign4(s0, s1, s2, s3);
    return s * -sgd_logf4(sgd_open4(s0, s1, s2, s3), fm);
}

/* _four_well_grad of sgdlab/landscapes.pyx at 4 points, operation for operation: the nine factors
 * v[k] and their derivatives dv[k], then f' by the product rule with prefix/suffix products */
SGD_AVX2_CALL v4d sgd_four_well_grad4(v4d z, int fm) {
    v4d v[9], dv[9], pre[10], suf[10], s = sgd_v(0.0), d, q, e;
    int k;
    v[0] = z + 1.6; dv[0] = sgd_v(1.0);
    v[1] = (z + 1.3) * (z + 1.3); dv[1] = 2.0 * (z + 1.3);
    v[2] = (z - 0.2) * (z - 0.2); dv[2] = 2.0 * (z - 0.2);
    v[3] = (z - 0.7) * (z - 0.7); dv[3] = 2.0 * (z - 0.7);
    v[4] = z - 1.6; dv[4] = sgd_v(1.0);
    d = sgd_fabs(1.65 - z);
    v[5] = sgd_powf4(0.05 * d, 0.6, fm);
    dv[5] = sgd_sel(d > 0.0, -0.6 * v[5] / d * sgd_sel(z < 1.65, sgd_v(1.0), sgd_v(-1.0)), sgd_v(0.0));
    q = 0.01 + 4.0 * (z - 0.5) * (z - 0.5);
    v[6] = 1.0 + 1.0 / q; dv[6] = -8.0 * (z - 0.5) / (q * q);
    q = 0.1 + 4.0 * (z + 1.5) * (z + 1.5);
    v[7] = 1.0 + 1.0 / q; dv[7] = -8.0 * (z + 1.5) / (q * q);
    e = sgd_expf4(-5.0 * (z + 0.8) * (z + 0.8), fm);
    v[8] = 1.0 - 0.25 * e; dv[8] = 2.5 * (z + 0.8) * e;
    pre[0] = sgd_v(1.0);
    for (k = 0; k < 9; k++)
        pre[k + 1] = pre[k] * v[k];
    suf[9] = sgd_v(1.0);
    for (k = 8; k >= 0; k--)
        suf[k] = suf[k + 1] * v[k];
    for (k = 0; k < 9; k++)
        s = s + dv[k] * pre[k] * suf[k + 1];
    return s;
}

/* The gradient at the 4 points w[0..dim-1] (coordinates) with data x, into g: the expressions of
 * grad_block / grad in sgdlab/landscapes.pyx, operation for operation. */
SGD_AVX2_INLINE void sgd_fast_grad(const SgdFastPlan *P, const int land, const v4d *w, v4d x, v4d *g) {
    if (land == SGD_FAST_QUADRATIC) {
        g[0] = x * w[0];
    } else if (land == SGD_FAST_QUARTIC) {
        g[0] = (x + P->lc * w[0] * w[0]) * w[0];
    } else if (land == SGD_FAST_SHARP2D) {
        v4d w1 = w[0], w2 = w[1];
        g[0] = -2.0 * w1 + 4.0 * w1 * w1 * w1 + 12.0 * w1 * w2 * w2 + x * P->lb * w1;
        g[1] = -2.0 * w2 + 4.0 * w2 * w2 * w2 + 12.0 * w1 * w1 * w2 - 2.0 * P->la * w2;
    } else if (land == SGD_FAST_HIMMELBLAU) {
        v4d u = w[0], v = w[1];
        v4d a = u * u + v - 11.0, b = u + v * v - 7.0;
        g[0] = 4.0 * u * a + 2.0 * b;
        g[1] = 2.0 * a + 4.0 * v * b;
    } else if (land == SGD_FAST_FOUR_WELL) {
        g[0] = sgd_four_well_grad4(w[0], P->fast_math);
    } else if (land == SGD_FAST_DOUBLE_WELL) {   /* z > R, z < -R, else: selected, not branched */
        v4d z = w[0];
        double R = P->lc;
        g[0] = sgd_sel(z > R, (R * R * R - R) + (3.0 * R * R - 1.0) * (z - R),
                       sgd_sel(z < -R, -(R * R * R - R) + (3.0 * R * R - 1.0) * (z + R), z * z * z - z));
    } else if (land == SGD_FAST_KINKED) {        /* z < 0, z > 0, else (0 or NaN): kink_grad */
        v4d z = w[0];
        g[0] = sgd_sel(z < 0.0, P->la * (z + 1.0), sgd_sel(z > 0.0, P->lb * (z - 1.0), sgd_v(P->lc)));
    } else if (land == SGD_FAST_SINE) {
        g[0] = sgd_sin4(2.0 * M_PI * w[0]);
    } else if (land == SGD_FAST_FLAT_MAX) {
        v4d z = w[0], z2 = z * z;
        g[0] = z2 * z2 * z - z2 * z;
    } else if (land == SGD_FAST_HARMONIC) {
        g[0] = P->lc * w[0];
    } else if (land == SGD_FAST_TWO_LAYER) {
        v4d e = w[0] * w[1] - x;
        g[0] = e * w[1];
        g[1] = e * w[0];
    } else {    /* three_hump_camel */
        v4d u = w[0], v = w[1], u2 = u * u;
        g[0] = (12.0 * u2 * u2 * u / 13.0 + 5.0 * u2 * u2 / 8.0 - 91.0 * u2 * u / 16.0
                - 1.5 * u2 + 21.0 * u / 4.0 + v);
        g[1] = 2.5 * v + u;
    }
}

/* Where a block's iterates and optimizer state are, coordinate-major: coordinate i of run j at
 * w[i * wc + j], of its optimizer state slot k (m, v, vhat) at st[k * ss + i * sc + j]. */
typedef struct {
    double *w, *st;
    ptrdiff_t wc, sc, ss;
    double *lg_sum;              /* escape-rate sums of the runs (dimension 1), or NULL */
    int64_t *lg_n;
    double *trace;               /* or NULL: the iterates after every step, step k's coordinate i
                                    of run j at trace[(k * dim + i) * SGD_FAST_LANES + j] */
} SgdFastState;

SGD_AVX2_INLINE v4d sgd_load(const double *p) { return (v4d)_mm256_loadu_pd(p); }
SGD_AVX2_INLINE void sgd_store(double *p, v4d a) { _mm256_storeu_pd(p, (__m256d)a); }

/* sym_stable of sgdlab/_random.pxd (Chambers-Mallows-Stuck): the uniform angle, then (alpha != 1)
 * the exponential; sin, cos, pow and log lane by lane */
SGD_AVX2_CALL v4d sgd_stable4(double alpha, int fm, uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    v4d v = M_PI * (sgd_open4(s0, s1, s2, s3) - 0.5), w;
    if (alpha == 1.0)
        return sgd_sin4(v) / sgd_cos4(v);
    w = -sgd_logf4(sgd_open4(s0, s1, s2, s3), fm);
    return sgd_sin4(alpha * v) / sgd_powf4(sgd_cos4(v), 1.0 / alpha, fm)
           * sgd_powf4(sgd_cos4((1.0 - alpha) * v) / w, (1.0 - alpha) / alpha, fm);
}

/* one standardised draw of the noise law per run (the law's own scale applied by the caller) */
SGD_AVX2_INLINE v4d sgd_noise4(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                               uint64_t *s3) {
    if (P->noise == SGD_FAST_GAUSS)
        return sgd_normal4(P, s0, s1, s2, s3);
    if (P->noise == SGD_FAST_PARETO)
        return sgd_pareto4(P->pe, P->fast_math, s0, s1, s2, s3);
    if (P->noise == SGD_FAST_LAPLACE)
        return sgd_laplace4(P->fast_math, s0, s1, s2, s3);
    return sgd_stable4(P->alpha, P->fast_math, s0, s1, s2, s3);
}

/* _gradient's isotropic noise in dimension `dim`: a Gaussian direction, then G += s |scale Z| / |dir|
 * dir. |Z| is drawn only where |dir| > 0 (a conditional expression in _gradient): a run whose
 * direction is exactly 0 gets its stream back as it was before that draw. */
SGD_AVX2_CALL void sgd_isotropic_noise4(const SgdFastPlan *P, const int dim, uint64_t *s0,
                                          uint64_t *s1, uint64_t *s2, uint64_t *s3, v4d *g) {
    v4d dirn[2], nrm = sgd_v(0.0), amp;
    __m256i r[4], keep;
    uint64_t *s[4] = {s0, s1, s2, s3};
    int i;
    for (i = 0; i < dim; i++) {
        dirn[i] = sgd_normal4(P, s0, s1, s2, s3);
        nrm = nrm + dirn[i] * dirn[i];
    }
    nrm = sgd_sqrt(nrm);
    for (i = 0; i < 4; i++)
        r[i] = _mm256_loadu_si256((const __m256i *)s[i]);
    keep = (__m256i)(nrm > 0.0);
    amp = P->nscale * sgd_fabs(P->gscale * sgd_noise4(P, s0, s1, s2, s3)) / nrm;
    amp = sgd_sel((v4i)keep, amp, sgd_v(0.0));
    if (__builtin_expect(_mm256_movemask_pd((__m256d)keep) != 0xf, 0))
        for (i = 0; i < 4; i++)
            _mm256_storeu_si256((__m256i *)s[i],
                                _mm256_blendv_epi8(r[i], _mm256_loadu_si256((const __m256i *)s[i]), keep));
    for (i = 0; i < dim; i++)
        g[i] = g[i] + amp * dirn[i];
}

/* The escape-rate sums in dimension 1, as _steps adds them: for the runs that did not diverge and
 * whose previous iterate w is not 0, sum += log(|wn| / |w|) (libm, lane by lane), n += 1. */
SGD_AVX2_CALL void sgd_log_growth(const SgdFastState *S, ptrdiff_t o, v4d w, v4d wn, int bad) {
    double r[4] __attribute__((aligned(32)));
    int take = _mm256_movemask_pd((__m256d)(w != 0.0)) & ~bad;
    *(v4d *)r = sgd_fabs(wn) / sgd_fabs(w);
    for (int j = 0; j < 4; j++)
        if ((take >> j) & 1) {
            S->lg_sum[o + j] += log(r[j]);
            S->lg_n[o + j] += 1;
        }
}

/* The options a step may have to look at, as bits of `feat`: each loop is compiled for one set
 * of them (sgd_fast_features picks the smallest that covers the plan), so that a run without
 * noise, clipping, projection or escape-rate sums does not test for them at every step. */
enum { SGD_F_BATCH = 1,     /* two-point data, more than one point per step */
       SGD_F_NOISE = 2,     /* additive noise */
       SGD_F_CLIP = 4,      /* clip > 0 */
       SGD_F_BOX = 8,       /* box projection */
       SGD_F_LG = 16,       /* escape-rate sums */
       SGD_F_ALL = 31,
       SGD_F_TRACE = 32 };  /* the iterates after every step into S->trace: only in the loop of
                               sgd_fast_traced_*, so the others compile exactly without it */

/* One step of the 4 runs o..o+3, their state updated in place; returns the movemask of the runs
 * whose new iterate is non-finite or beyond max_abs. `land`, `opt`, `dim` and `feat` are constants
 * at each call site (one loop per model and feature set); an option outside `feat` is off in the
 * plan (sgd_fast_features), so leaving out its code changes no result. */
SGD_AVX2_INLINE int sgd_fast_group(const SgdFastPlan *P, const int land, const int opt, const int dim,
                                   const int feat, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                                   uint64_t *s3, const SgdFastState *S, ptrdiff_t o) {
    v4d x = sgd_v(0.0), g[2], d[2], wn[2], w[2];
    int i;
    for (i = 0; i < dim; i++)
        w[i] = sgd_load(S->w + i * S->wc + o);
    if (!P->two_point) {
        sgd_fast_grad(P, land, w, x, g);
    } else if (!(feat & SGD_F_BATCH) || P->batch == 1) {
        x = sgd_two_point4(P, s0, s1, s2, s3);
        sgd_fast_grad(P, land, w, x, g);
    } else {    /* the batch mean as _gradient sums it: G = 0, G += T per data point, G /= batch */
        v4d t[2];
        for (i = 0; i < dim; i++)
            g[i] = sgd_v(0.0);
        for (int k = 0; k < P->batch; k++) {
            x = sgd_two_point4(P, s0, s1, s2, s3);
            sgd_fast_grad(P, land, w, x, t);
            for (i = 0; i < dim; i++)
                g[i] = g[i] + t[i];
        }
        for (i = 0; i < dim; i++)
            g[i] = g[i] / (double)P->batch;
    }
    if ((feat & SGD_F_NOISE) && P->noise != SGD_FAST_NONE && P->isotropic) {
        sgd_isotropic_noise4(P, dim, s0, s1, s2, s3, g);
    } else if ((feat & SGD_F_NOISE) && P->noise != SGD_FAST_NONE) {
        /* coordinate by coordinate, as sample_block draws it; T = scale Z, then G += s T */
        for (i = 0; i < dim; i++)
            g[i] = g[i] + P->nscale * (P->gscale * sgd_noise4(P, s0, s1, s2, s3));
    }
    /* the direction (sgdlab/optimizers.pyx direction_block) */
    for (i = 0; i < dim; i++) {
        if (opt == SGD_FAST_SGD) {
            d[i] = g[i];
        } else {
            double *pm = S->st + i * S->sc + o, *pv = pm + S->ss, *pvh = pm + 2 * S->ss;
            v4d m = sgd_load(pm), v = sgd_load(pv), vh = sgd_load(pvh), den;
            m = P->b1 * m + (1.0 - P->b1) * g[i];
            v = P->b2 * v + (1.0 - P->b2) * g[i] * g[i];
            if (opt == SGD_FAST_AMSGRAD)
                vh = sgd_sel(v > vh, v, vh);
            else
                vh = v;
            den = sgd_sqrt(vh) + P->eps;
            d[i] = sgd_sel(den > 0.0, m / den, sgd_v(0.0));
            sgd_store(pm, m);
            sgd_store(pv, v);
            sgd_store(pvh, vh);
        }
        d[i] = P->lr * d[i];
    }
    /* the update of _steps: clip lr d to norm `clip`, wn = proj(w - d), the divergence test */
    if ((feat & SGD_F_CLIP) && P->clip > 0) {
        v4d nrm = sgd_v(0.0), c;
        v4i big;
        for (i = 0; i < dim; i++)
            nrm += d[i] * d[i];
        nrm = sgd_sqrt(nrm);
        big = nrm > P->clip;
        c = P->clip / nrm;
        for (i = 0; i < dim; i++)
            d[i] = sgd_sel(big, d[i] * c, d[i]);
    }
    v4i bad = (v4i){0, 0, 0, 0};
    for (i = 0; i < dim; i++) {
        wn[i] = w[i] - d[i];
        if ((feat & SGD_F_BOX) && P->box) {   /* z < a ? a : (z > b ? b : z), both tests on z */
            v4d z = wn[i];
            wn[i] = sgd_sel(z > P->pb[i], sgd_v(P->pb[i]), z);
            wn[i] = sgd_sel(z < P->pa[i], sgd_v(P->pa[i]), wn[i]);
        }
        bad |= ~(sgd_fabs(wn[i]) <= P->max_abs);
    }
    if ((feat & SGD_F_LG) && S->lg_sum != NULL)
        sgd_log_growth(S, o, w[0], wn[0], _mm256_movemask_pd((__m256d)bad));
    for (i = 0; i < dim; i++)
        sgd_store(S->w + i * S->wc + o, wn[i]);
    return _mm256_movemask_pd((__m256d)bad);
}

/* Up to nsteps steps of the n runs (all of them, in lockstep), stopping after the first step at
 * which a run diverges; returns the steps done and, in *badmask, the runs that diverged then (bit j:
 * run j). Groups of 4 runs are independent, so the out-of-order core overlaps them. */
SGD_AVX2_INLINE int64_t sgd_fast_loop_at(const SgdFastPlan *P, const int land, const int opt, const int dim,
                                      const int feat, uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3,
                                      const SgdFastState *S, ptrdiff_t n, int64_t nsteps,
                                      int *badmask) {
    const ptrdiff_t ng = (n + 3) / 4;
    const int live = (int)((1u << n) - 1u);
    int64_t t = 0;
    while (t < nsteps) {
        int bad = 0;
        for (ptrdiff_t g = 0; g < ng; g++) {
            ptrdiff_t o = 4 * g;
            bad |= sgd_fast_group(P, land, opt, dim, feat, s0 + o, s1 + o, s2 + o, s3 + o, S, o) << o;
        }
        if ((feat & SGD_F_TRACE) && S->trace != NULL) {   /* records counted at every step read them */
            double *tr = S->trace + t * dim * SGD_FAST_LANES;
            for (int i = 0; i < dim; i++)
                for (ptrdiff_t j = 0; j < 4 * ng; j++)
                    tr[i * SGD_FAST_LANES + j] = S->w[i * S->wc + j];
        }
        t++;
        bad &= live;     /* lanes past the live runs compute freely and never stop anything */
        if (bad) {
            *badmask = bad;
            return t;
        }
    }
    *badmask = 0;
    return t;
}

/* The same steps with the block's whole state (streams and iterates of all 16 lanes) in local
 * arrays that the compiler keeps in registers or its own stack slots for all nsteps steps, instead
 * of loading and storing it through the block's arrays at every step; written back at the end.
 * SGD in dimension 1 without out-of-line calls (noise samplers, escape-rate sums), which would keep
 * the state in memory. All 16 lanes are computed: lanes past the live runs start from 0
 * (sgd_fast_steps) and never stop anything. */
SGD_AVX2_INLINE int64_t sgd_fast_loop_local(const SgdFastPlan *P, const int land, const int feat,
                                            uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3,
                                            const SgdFastState *S, ptrdiff_t n, int64_t nsteps,
                                            int *badmask) {
    enum { L = SGD_FAST_LANES };
    uint64_t r0[L] __attribute__((aligned(32))), r1[L] __attribute__((aligned(32)));
    uint64_t r2[L] __attribute__((aligned(32))), r3[L] __attribute__((aligned(32)));
    double w[L] __attribute__((aligned(32)));
    const int live = (int)((1u << n) - 1u);
    SgdFastState loc = *S;
    int64_t t = 0;
    int bad = 0, j;
    for (j = 0; j < L; j++) {
        r0[j] = s0[j]; r1[j] = s1[j]; r2[j] = s2[j]; r3[j] = s3[j];
        w[j] = S->w[j];
    }
    loc.w = w;
    while (t < nsteps) {
        bad = 0;
#pragma GCC unroll 4
        for (int g = 0; g < L / 4; g++)
            bad |= sgd_fast_group(P, land, SGD_FAST_SGD, 1, feat, r0 + 4 * g, r1 + 4 * g, r2 + 4 * g,
                                  r3 + 4 * g, &loc, 4 * g) << (4 * g);
        t++;
        bad &= live;
        if (bad)
            break;
    }
    for (j = 0; j < L; j++) {
        s0[j] = r0[j]; s1[j] = r1[j]; s2[j] = r2[j]; s3[j] = r3[j];
        S->w[j] = w[j];
    }
    *badmask = bad;
    return t;
}

/* The steps: with the state in locals for a full block of SGD in dimension 1 without out-of-line
 * calls or a trace, else through the block's arrays (a block of at most 12 live runs computes only
 * its groups of 4). */
SGD_AVX2_INLINE int64_t sgd_fast_loop(const SgdFastPlan *P, const int land, const int opt, const int dim,
                                      const int feat, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                                      uint64_t *s3, const SgdFastState *S, ptrdiff_t n,
                                      int64_t nsteps, int *badmask) {
    if (opt == SGD_FAST_SGD && dim == 1 && !(feat & (SGD_F_NOISE | SGD_F_LG | SGD_F_TRACE))
        && n > SGD_FAST_LANES - 4)
        return sgd_fast_loop_local(P, land, feat, s0, s1, s2, s3, S, n, nsteps, badmask);
    return sgd_fast_loop_at(P, land, opt, dim, feat, s0, s1, s2, s3, S, n, nsteps, badmask);
}

/* The options of the plan (SGD_F_* bits) that the step must look at */
SGD_AVX2_INLINE int sgd_fast_features(const SgdFastPlan *P, const SgdFastState *S) {
    return (P->two_point && P->batch != 1 ? SGD_F_BATCH : 0) | (P->noise != SGD_FAST_NONE ? SGD_F_NOISE : 0)
           | (P->clip > 0 ? SGD_F_CLIP : 0) | (P->box ? SGD_F_BOX : 0) | (S->lg_sum != NULL ? SGD_F_LG : 0);
}

/* One function per model (landscape L, optimizer O, dimension D), compiled apart so that each
 * loop gets the registers to itself; in it one loop per feature set: none (a plain run), the box
 * projection alone, noise alone, and everything (tested at each step); beside it the everything
 * loop writing a trace (sgd_fast_traced_*, SGD only: occupancy and histograms counted at every
 * step). The plan and the state view are copied into locals, which the stores to the block's
 * arrays cannot alias (their fields stay in registers). */
#define SGD_FAST_MODEL(L, O, D) \
    SGD_AVX2_CALL int64_t sgd_fast_model_##L##_##O(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, \
                                                   uint64_t *s2, uint64_t *s3, const SgdFastState *S, \
                                                   ptrdiff_t n, int64_t nsteps, int *badmask) { \
        const SgdFastPlan plan = *P; \
        const SgdFastState state = *S; \
        const int f = sgd_fast_features(&plan, &state); \
        if (f == 0) \
            return sgd_fast_loop(&plan, (L), (O), (D), 0, s0, s1, s2, s3, &state, n, nsteps, badmask); \
        if ((f & ~SGD_F_BOX) == 0) \
            return sgd_fast_loop(&plan, (L), (O), (D), SGD_F_BOX, s0, s1, s2, s3, &state, n, nsteps, \
                                 badmask); \
        if ((f & ~SGD_F_NOISE) == 0) \
            return sgd_fast_loop(&plan, (L), (O), (D), SGD_F_NOISE, s0, s1, s2, s3, &state, n, nsteps, \
                                 badmask); \
        return sgd_fast_loop(&plan, (L), (O), (D), SGD_F_ALL, s0, s1, s2, s3, &state, n, nsteps, badmask); \
    }
/* SGD only (Adam and AMSGrad with per-step records take one step per call: see sgd_fast_steps) */
#define SGD_FAST_TRACED(L, D) \
    SGD_AVX2_CALL int64_t sgd_fast_traced_##L(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, \
                                              uint64_t *s2, uint64_t *s3, const SgdFastState *S, \
                                              ptrdiff_t n, int64_t nsteps, int *badmask) { \
        const SgdFastPlan plan = *P; \
        const SgdFastState state = *S; \
        return sgd_fast_loop(&plan, (L), SGD_FAST_SGD, (D), SGD_F_ALL | SGD_F_TRACE, s0, s1, s2, s3, \
                             &state, n, nsteps, badmask); \
    }
#define SGD_FAST_MODELS(L, D) SGD_FAST_MODEL(L, 0, D) SGD_FAST_MODEL(L, 1, D) SGD_FAST_MODEL(L, 2, D) \
    SGD_FAST_TRACED(L, D)
SGD_FAST_MODELS(1, 1) SGD_FAST_MODELS(2, 1) SGD_FAST_MODELS(3, 2) SGD_FAST_MODELS(4, 2)
SGD_FAST_MODELS(5, 1) SGD_FAST_MODELS(6, 1) SGD_FAST_MODELS(7, 1) SGD_FAST_MODELS(8, 1)
SGD_FAST_MODELS(9, 1) SGD_FAST_MODELS(10, 1) SGD_FAST_MODELS(11, 2) SGD_FAST_MODELS(12, 2)
#undef SGD_FAST_MODELS
#undef SGD_FAST_TRACED
#undef SGD_FAST_MODEL

#define SGD_FAST_CASE(L, O, D) \
    case (L) * 4 + (O): \
        done = ((O) == SGD_FAST_SGD && trace != NULL ? sgd_fast_traced_##L : sgd_fast_model_##L##_##O)( \
            P, s0, s1, s2, s3, &S, n, nsteps, badmask); \
        break;

/* The block's steps (see sgd_fast_loop) on its lane-major iterates W (n x dim) and slot-major
 * optimizer state ST (slot k of element q at ST[k * slot_stride + q]): in place in dimension 1
 * (already coordinate-major), through coordinate-major copies in dimension 2. */
SGD_AVX2 __attribute__((unused)) static int64_t sgd_fast_steps(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                                       uint64_t *s3, double *W, double *ST, ptrdiff_t slot_stride,
                                       double *lg_sum, int64_t *lg_n, ptrdiff_t n, int64_t nsteps,
                                       int *badmask, double *trace) {
    double w[2][SGD_FAST_LANES] __attribute__((aligned(32)));
    double st[3][2][SGD_FAST_LANES] __attribute__((aligned(32)));
    const int dim = P->dim, nsl = P->opt == SGD_FAST_SGD ? 0 : 3;
    const ptrdiff_t n4 = (n + 3) / 4 * 4;
    SgdFastState S;
    int64_t done = 0;
    S.lg_sum = lg_sum;      /* (dimension 1 only: Core._fast_plan) */
    S.lg_n = lg_n;
    S.trace = trace;        /* (at most nsteps steps of it) */
    if (trace != NULL && P->opt != SGD_FAST_SGD)
        nsteps = 1;         /* no traced loop for Adam/AMSGrad: one step, none of it traced */
    ptrdiff_t j;
    int i, k;
    /* lanes past the live runs start from 0 (stale values could be denormals, slow to compute on) */
    if (dim == 1) {
        S.w = W; S.wc = 0; S.st = ST; S.sc = 0; S.ss = slot_stride;
        for (j = n; j < n4; j++) {
            W[j] = 0.0;
            for (k = 0; k < nsl; k++)
                ST[k * slot_stride + j] = 0.0;
        }
    } else {
        S.w = &w[0][0]; S.wc = SGD_FAST_LANES;
        S.st = &st[0][0][0]; S.sc = SGD_FAST_LANES; S.ss = 2 * SGD_FAST_LANES;
        for (j = 0; j < n4; j++)
            for (i = 0; i < 2; i++) {
                w[i][j] = j < n ? W[j * 2 + i] : 0.0;
                for (k = 0; k < nsl; k++)
                    st[k][i][j] = j < n ? ST[k * slot_stride + j * 2 + i] : 0.0;
            }
    }
    switch (P->land * 4 + P->opt) {     /* (landscape, optimizer, dimension): the SGD_FAST_* numbers */
        SGD_FAST_CASE(1, 0, 1)
        SGD_FAST_CASE(1, 1, 1)
        SGD_FAST_CASE(1, 2, 1)
        SGD_FAST_CASE(2, 0, 1)
        SGD_FAST_CASE(2, 1, 1)
        SGD_FAST_CASE(2, 2, 1)
        SGD_FAST_CASE(3, 0, 2)
        SGD_FAST_CASE(3, 1, 2)
        SGD_FAST_CASE(3, 2, 2)
        SGD_FAST_CASE(4, 0, 2)
        SGD_FAST_CASE(4, 1, 2)
        SGD_FAST_CASE(4, 2, 2)
        SGD_FAST_CASE(5, 0, 1)
        SGD_FAST_CASE(5, 1, 1)
        SGD_FAST_CASE(5, 2, 1)
        SGD_FAST_CASE(6, 0, 1)
        SGD_FAST_CASE(6, 1, 1)
        SGD_FAST_CASE(6, 2, 1)
        SGD_FAST_CASE(7, 0, 1)
        SGD_FAST_CASE(7, 1, 1)
        SGD_FAST_CASE(7, 2, 1)
        SGD_FAST_CASE(8, 0, 1)
        SGD_FAST_CASE(8, 1, 1)
        SGD_FAST_CASE(8, 2, 1)
        SGD_FAST_CASE(9, 0, 1)
        SGD_FAST_CASE(9, 1, 1)
        SGD_FAST_CASE(9, 2, 1)
        SGD_FAST_CASE(10, 0, 1)
        SGD_FAST_CASE(10, 1, 1)
        SGD_FAST_CASE(10, 2, 1)
        SGD_FAST_CASE(11, 0, 2)
        SGD_FAST_CASE(11, 1, 2)
        SGD_FAST_CASE(11, 2, 2)
        SGD_FAST_CASE(12, 0, 2)
        SGD_FAST_CASE(12, 1, 2)
        SGD_FAST_CASE(12, 2, 2)
        default:
            *badmask = 0;
            return 0;       /* not a fused model: the driver never asks (see Core._fast_plan) */
    }
    if (dim == 2)
        for (j = 0; j < n; j++)
            for (i = 0; i < 2; i++) {
                W[j * 2 + i] = w[i][j];
                for (k = 0; k < nsl; k++)
                    ST[k * slot_stride + j * 2 + i] = st[k][i][j];
            }
    return done;
}
#undef SGD_FAST_CASE

/* The fast_math functions on n numbers (fn 0: exp, 1: log, 2: pow(x, y)), for the tests */
SGD_AVX2 __attribute__((unused)) static void sgd_fast_math_eval(int fn, const double *x, double y,
                                                                double *out, ptrdiff_t n) {
    double a[4] __attribute__((aligned(32)));
    for (ptrdiff_t j = 0; j < n; j += 4) {
        for (int q = 0; q < 4; q++)
            a[q] = j + q < n ? x[j + q] : 1.0;
        v4d v = *(v4d *)a;
        v = fn == 0 ? sgd_vexp(v) : (fn == 1 ? sgd_vlog(v) : sgd_vpow(v, y));
        *(v4d *)a = v;
        for (int q = 0; q < 4 && j + q < n; q++)
            out[j + q] = a[q];
    }
}

#else   /* not x86: the driver never builds a plan (no AVX2) */
static void sgd_fast_math_eval(int fn, const double *x, double y, double *out, ptrdiff_t n) {
    (void)fn; (void)x; (void)y; (void)out; (void)n;
}
static int64_t sgd_fast_steps(const SgdFastPlan *P, uint64_t *s0, uint64_t *s1, uint64_t *s2,
                              uint64_t *s3, double *W, double *ST, ptrdiff_t slot_stride,
                              double *lg_sum, int64_t *lg_n, ptrdiff_t n, int64_t nsteps,
                              int *badmask, double *trace) {
    (void)P; (void)s0; (void)s1; (void)s2; (void)s3; (void)W; (void)ST; (void)slot_stride; (void)n;
    (void)nsteps; (void)lg_sum; (void)lg_n; (void)trace;
    *badmask = 0;
    return 0;
}
#endif
#endif
