/* SIMD kernels of the core (issue 22, item 2): streams of a block of runs advanced in AVX2 lanes.
 *
 * The block keeps its xoshiro256** states word-major (RngBlock in _random.pxd: s0[16], s1[16],
 * s2[16], s3[16]), so four runs' states load into four registers without shuffles. Integer
 * arithmetic only, so results are bit-identical to the scalar code: the kernels are used when the
 * CPU has AVX2 (checked at import, `__builtin_cpu_supports`), compiled for it with a target
 * attribute whatever the build flags; elsewhere the scalar loops run. SGDLAB_NO_SIMD=1 turns them off.
 */
#ifndef SGDLAB_SIMD_H
#define SGDLAB_SIMD_H
#include <stdint.h>
#include <stddef.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define SGD_HAVE_X86 1
#else
#define SGD_HAVE_X86 0
#endif

__attribute__((unused)) static int sgd_cpu_has_avx2(void) {
#if SGD_HAVE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

#if SGD_HAVE_X86
#ifndef SGD_AVX2_INLINE
#define SGD_AVX2_INLINE static inline __attribute__((target("avx2"), always_inline))
#endif
/* one xoshiro256** step in each of 4 lanes: next_u64 of the 4 streams at s0.. s3 (word-major
 * block states), their states updated in place; used by these kernels and by _fast.h */
SGD_AVX2_INLINE __m256i sgd_next4(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    __m256i x0 = _mm256_loadu_si256((const __m256i *)s0);
    __m256i x1 = _mm256_loadu_si256((const __m256i *)s1);
    __m256i x2 = _mm256_loadu_si256((const __m256i *)s2);
    __m256i x3 = _mm256_loadu_si256((const __m256i *)s3);
    __m256i m5 = _mm256_add_epi64(_mm256_slli_epi64(x1, 2), x1);
    __m256i rl = _mm256_or_si256(_mm256_slli_epi64(m5, 7), _mm256_srli_epi64(m5, 57));
    __m256i res = _mm256_add_epi64(_mm256_slli_epi64(rl, 3), rl);
    __m256i t = _mm256_slli_epi64(x1, 17);
    x2 = _mm256_xor_si256(x2, x0);
    x3 = _mm256_xor_si256(x3, x1);
    x1 = _mm256_xor_si256(x1, x2);
    x0 = _mm256_xor_si256(x0, x3);
    x2 = _mm256_xor_si256(x2, t);
    x3 = _mm256_or_si256(_mm256_slli_epi64(x3, 45), _mm256_srli_epi64(x3, 19));
    _mm256_storeu_si256((__m256i *)s0, x0);
    _mm256_storeu_si256((__m256i *)s1, x1);
    _mm256_storeu_si256((__m256i *)s2, x2);
    _mm256_storeu_si256((__m256i *)s3, x3);
    return res;
}

/* Two-point data law for lanes 0..n-1, n rounded up to a multiple of 4 (at most the block's 16
 * lanes; lanes past the live runs hold no live run and may advance freely):
 * u = (next_u64 >> 11) * 2^-53 and x = atoms[u >= c0]. Since u is k 2^-53 exactly,
 * u >= c0 <=> k >= kthr with kthr = ceil(c0 2^53), an integer comparison. */
__attribute__((target("avx2")))
__attribute__((unused)) static void sgd_two_point_avx2(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3,
                               ptrdiff_t n, int64_t kthr, double atom0, double atom1, double *X) {
    const __m256i thr = _mm256_set1_epi64x(kthr - 1);
    const __m256d a0 = _mm256_set1_pd(atom0), a1 = _mm256_set1_pd(atom1);
    for (ptrdiff_t j = 0; j < n; j += 4) {
        __m256i res = sgd_next4(s0 + j, s1 + j, s2 + j, s3 + j);
        __m256i k = _mm256_srli_epi64(res, 11);
        __m256i ge = _mm256_cmpgt_epi64(k, thr);          /* k >= kthr (k < 2^53: signed is fine) */
        _mm256_storeu_pd(X + j, _mm256_blendv_pd(a0, a1, _mm256_castsi256_pd(ge)));
    }
}

/* Fast path of the ziggurat (sgdlab/_random.pyx std_normal) for lanes 0..n-1 (n a multiple of 4):
 * one draw per lane; x_out[j] = the variate when the draw falls in a rectangle. Returns a bit mask
 * of the lanes that need the slow path (tail or wedge), with rabs_out[j], idx_out[j] and x_out[j]
 * as the scalar code has them at that point. rabs < 2^52, so its conversion to double is exact
 * (exponent trick) and the signed comparison with ki is the unsigned one. */
__attribute__((target("avx2")))
__attribute__((unused)) static int sgd_normal_fast_avx2(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3, ptrdiff_t n,
                                const uint64_t *ki, const double *wi, double *x_out,
                                uint64_t *rabs_out, int64_t *idx_out) {
    const __m256i ff = _mm256_set1_epi64x(0xff), one = _mm256_set1_epi64x(1);
    const __m256i m52 = _mm256_set1_epi64x(0x000fffffffffffffLL);
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
    const __m256d pone = _mm256_set1_pd(1.0), mone = _mm256_set1_pd(-1.0);
    int slow = 0;
    for (ptrdiff_t j = 0; j < n; j += 4) {
        __m256i u = sgd_next4(s0 + j, s1 + j, s2 + j, s3 + j);
        __m256i idx = _mm256_and_si256(u, ff);
        u = _mm256_srli_epi64(u, 8);
        __m256i rabs = _mm256_and_si256(_mm256_srli_epi64(u, 1), m52);
        __m256d rd = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(rabs, magic)), two52);
        __m256d w = _mm256_i64gather_pd(wi, idx, 8);
        __m256i k = _mm256_i64gather_epi64((const long long *)ki, idx, 8);
        __m256i odd = _mm256_cmpeq_epi64(_mm256_and_si256(u, one), one);
        __m256d sign = _mm256_blendv_pd(pone, mone, _mm256_castsi256_pd(odd));
        __m256d x = _mm256_mul_pd(_mm256_mul_pd(rd, w), sign);
        __m256i acc = _mm256_cmpgt_epi64(k, rabs);           /* rabs < ki[idx] */
        _mm256_storeu_pd(x_out + j, x);
        int m = _mm256_movemask_pd(_mm256_castsi256_pd(acc)) ^ 0xf;
        if (m) {
            _mm256_storeu_si256((__m256i *)(rabs_out + j), rabs);
            _mm256_storeu_si256((__m256i *)(idx_out + j), idx);
            slow |= m << j;
        }
    }
    return slow;
}
#else
__attribute__((unused)) static int sgd_normal_fast_avx2(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3, ptrdiff_t n,
                                const uint64_t *ki, const double *wi, double *x_out,
                                uint64_t *rabs_out, int64_t *idx_out) {
    (void)s0; (void)s1; (void)s2; (void)s3; (void)n; (void)ki; (void)wi; (void)x_out;
    (void)rabs_out; (void)idx_out;
    return 0;
}
__attribute__((unused)) static void sgd_two_point_avx2(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3,
                               ptrdiff_t n, int64_t kthr, double atom0, double atom1, double *X) {
    (void)s0; (void)s1; (void)s2; (void)s3; (void)n; (void)kthr; (void)atom0; (void)atom1; (void)X;
}
#endif
#endif
