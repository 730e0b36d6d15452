/* kernel_avx512.c - AVX-512F micro-kernel, 12 x 32: 24 zmm accumulators, two
 * for the B row, one broadcast of A (27 of 32 registers). The default kernel
 * on CPUs with AVX-512F (tested on a Zen 4 EPYC, where it runs at ~97% of the
 * measured zmm FMA peak on cache-resident panels).
 *
 * Same bits as the AVX2 kernel: both sum each C element by FMA in p order
 * inside the same kc blocks (KC 256 for both) and store alpha*acc (+beta*C)
 * the same way, so a seeded training run gives identical weights on either;
 * a larger KC measured a few per cent faster and would lose that. */
#include "gemm_internal.h"

#ifdef PN_GEMM_X86
#include <immintrin.h>

#define MR 12
#define NR 32
#define TGT __attribute__((target("avx512f,avx2,fma")))
#define INL static inline __attribute__((always_inline))

TGT INL void store_row(float *c, __m512 x0, __m512 x1, __m512 va, float beta,
                       __mmask16 m0, __mmask16 m1)
{
    x0 = _mm512_mul_ps(x0, va);
    x1 = _mm512_mul_ps(x1, va);
    if (beta != 0.0f) {
        __m512 vb = _mm512_set1_ps(beta);
        x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), x0);
        x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), x1);
    }
    _mm512_mask_storeu_ps(c, m0, x0);
    _mm512_mask_storeu_ps(c + 16, m1, x1);
}

TGT INL void body(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b,
                  int64_t ldb, float *c, int64_t ldc, float alpha, float beta, const int mread,
                  int m, int n)
{
    __m512 acc[MR][2];
    const float *ar[MR];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        ar[i] = a + (i < mread ? i : 0) * rsa; /* rows past mread alias row 0 */
    }
    /* The tile of C is read and written at the end: start pulling in both
     * cache lines of each row (128 bytes, 2 or 3 lines when unaligned) now,
     * k FMAs ahead. */
    for (int i = 0; i < m; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
    for (int64_t p = 0; p < k; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            if (i >= mread) break; /* mread is a literal: a short tile costs its own rows */
            __m512 x = _mm512_set1_ps(ar[i][p * csa]);
            acc[i][0] = _mm512_fmadd_ps(x, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(x, b1, acc[i][1]);
        }
        b += ldb;
    }
    __m512 va = _mm512_set1_ps(alpha);
    __mmask16 m0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    __mmask16 m1 = n >= 32 ? (__mmask16)0xFFFF : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++)
        if (i < m) store_row(c + i * ldc, acc[i][0], acc[i][1], va, beta, m0, m1);
}

TGT static void kernel_packed(int64_t k, const float *a, int64_t rsa, int64_t csa,
                              const float *b, int64_t ldb, float *c, int64_t ldc, float alpha,
                              float beta, int m, int n)
{
    (void)rsa, (void)csa, (void)ldb;
    body(k, a, 1, MR, b, NR, c, ldc, alpha, beta, MR, m, n);
}

TGT static void kernel_strided(int64_t k, const float *a, int64_t rsa, int64_t csa,
                               const float *b, int64_t ldb, float *c, int64_t ldc, float alpha,
                               float beta, int m, int n)
{
    switch (m) { /* one specialised body per tile height */
    case 1: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 1, 1, n); break;
    case 2: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 2, 2, n); break;
    case 3: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 3, 3, n); break;
    case 4: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 4, 4, n); break;
    case 5: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 5, 5, n); break;
    case 6: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 6, 6, n); break;
    case 7: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 7, 7, n); break;
    case 8: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 8, 8, n); break;
    case 9: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 9, 9, n); break;
    case 10: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 10, 10, n); break;
    case 11: body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, 11, 11, n); break;
    default: /* a full tile of A read in place (gemm.c): unit k stride as a literal */
        if (csa == 1) body(k, a, rsa, 1, b, ldb, c, ldc, alpha, beta, MR, m, n);
        else body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, MR, m, n);
        break;
    }
}

/* The convolution tile of pn_wkernel: body()'s loop once per window row
 * segment of [p0, p0 + k), on the same accumulators, so each C element gets
 * the one FMA chain over p that body() gives the im2col'd tile. */
TGT INL void wbody(int64_t p0, int64_t k, const float *const *rows, int64_t seg, int64_t lds,
                   const float *b, int64_t ldb, float *c, int64_t ldc, float beta,
                   const int mread, int n)
{
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int i = 0; i < mread; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
    int64_t s = p0 / seg, q = p0 % seg;
    for (int64_t left = k; left > 0; s++, q = 0) {
        int64_t len = seg - q < left ? seg - q : left;
        const float *ar[MR];
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) ar[i] = rows[i < mread ? i : 0] + s * lds + q;
        for (int64_t p = 0; p < len; p++) {
            __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
            for (int i = 0; i < MR; i++) {
                if (i >= mread) break;
                __m512 x = _mm512_set1_ps(ar[i][p]);
                acc[i][0] = _mm512_fmadd_ps(x, b0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(x, b1, acc[i][1]);
            }
            b += ldb;
        }
        left -= len;
    }
    __m512 va = _mm512_set1_ps(1.0f);
    __mmask16 m0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    __mmask16 m1 = n >= 32 ? (__mmask16)0xFFFF : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++)
        if (i < mread) store_row(c + i * ldc, acc[i][0], acc[i][1], va, beta, m0, m1);
}

TGT static void kernel_window(int64_t p0, int64_t k, const float *const *rows, int64_t seg,
                              int64_t lds, const float *b, int64_t ldb, float *c, int64_t ldc,
                              float beta, int m, int n)
{
    switch (m) { /* one specialised body per tile height, as kernel_strided */
    case 1: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 1, n); break;
    case 2: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 2, n); break;
    case 3: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 3, n); break;
    case 4: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 4, n); break;
    case 5: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 5, n); break;
    case 6: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 6, n); break;
    case 7: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 7, n); break;
    case 8: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 8, n); break;
    case 9: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 9, n); break;
    case 10: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 10, n); break;
    case 11: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, 11, n); break;
    default: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, MR, n); break;
    }
}

/* L2 of AVX-512 server parts is 1-2 MB: a larger A block than for AVX2. */
#ifndef AVX512_MC
#define AVX512_MC 240
#endif
#ifndef AVX512_KC
#define AVX512_KC 256
#endif
#ifndef AVX512_NC
#define AVX512_NC 4096
#endif
/* Measured on Zen 4 (one thread, CPU time): in place 1024 x 784 @ 784 x 256
 * 82-89 -> 87-92 GFLOP/s, 1024 x 256 @ 256 x 128 84 -> 98, 4096 x 512 @
 * 512 x 128 80 -> 98; at N = 1024 packing wins (1024^3 92 vs 78). */
#ifndef AVX512_A_INPLACE_MAX_N
#define AVX512_A_INPLACE_MAX_N 512
#endif
/* The 12 x 32 B micro-panel (32 KB at kc 256) fills Zen 4's L1: keep the
 * 12 KB A micro-panel there instead and stream B from a 512 KB block in L2.
 * One thread, CPU time, 7 alternated rounds: 2048^3 96.9 -> 103.5 GFLOP/s,
 * 1024^3 97.8 -> 97.0 (within the spread). */
#ifndef AVX512_A_IN_L1_MAX_NW
#define AVX512_A_IN_L1_MAX_NW 512
#endif
const pn_gemm_impl pn_gemm_impl_avx512 = {"avx512", MR, NR, AVX512_MC, AVX512_KC, AVX512_NC,
                                          AVX512_A_INPLACE_MAX_N, AVX512_A_IN_L1_MAX_NW,
                                          kernel_packed, kernel_strided,
                                          pn_gemm_pack_a_avx2, pn_gemm_pack_b_avx2,
                                          pn_gemm_gemv_avx2, pn_gemm_rank1_avx2,
                                          kernel_window};
#endif
