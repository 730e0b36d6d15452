/* kernel_avx2.c - AVX2+FMA micro-kernel, 6 x 16: twelve ymm accumulators, two
 * for the B row, one broadcast of A (15 of 16 registers), 12 FMAs per 2 loads
 * and 6 broadcasts, which keeps both FMA pipes of Haswell..Zen busy.
 * Compiled with a per-function target so the shipped build stays portable; the
 * driver only calls it when __builtin_cpu_supports says avx2 and fma. */
#include "gemm_internal.h"

#ifdef PN_GEMM_X86
#include <immintrin.h>

#define MR 6
#define NR 16
#define TGT __attribute__((target("avx2,fma")))
#define INL static inline __attribute__((always_inline))

/* Masks for the ragged right edge: lane j is on when j < n. */
TGT INL void edge_masks(int n, __m256i *m0, __m256i *m1)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    *m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
    *m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), idx);
}

/* One row of the tile: C = alpha*acc + beta*C, the same operations for full
 * and ragged tiles so a C element's bits never depend on where a tile ends. */
TGT INL void store_row(float *c, __m256 x0, __m256 x1, __m256 va, float beta, int n,
                       __m256i m0, __m256i m1)
{
    x0 = _mm256_mul_ps(x0, va);
    x1 = _mm256_mul_ps(x1, va);
    if (n == NR) {
        if (beta != 0.0f) {
            __m256 vb = _mm256_set1_ps(beta);
            x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), x0);
            x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), x1);
        }
        _mm256_storeu_ps(c, x0);
        _mm256_storeu_ps(c + 8, x1);
    } else {
        if (beta != 0.0f) {
            __m256 vb = _mm256_set1_ps(beta);
            x0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c, m0), x0);
            x1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8, m1), x1);
        }
        _mm256_maskstore_ps(c, m0, x0);
        _mm256_maskstore_ps(c + 8, m1, x1);
    }
}

/* Rows at or past mread are skipped: body() is always inlined with a literal
 * mread, so a short tile (a single sample, the last rows of a batch) costs
 * only its own FMAs and broadcasts. Each C element's sum is unchanged. */
#define FMA_ROW(r)                                                                        \
    do {                                                                                  \
        if (mread > r) {                                                                  \
            __m256 x = _mm256_broadcast_ss(a##r + p * csa);                               \
            c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0);                                    \
            c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1);                                    \
        }                                                                                 \
    } while (0)

TGT INL void body(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b,
                  int64_t ldb, float *c, int64_t ldc, float alpha, float beta, const int mread,
                  int m, int n)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
           c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    /* Rows past mread alias row 0 so that nothing outside A is read. */
    const float *a0 = a, *a1 = a + (mread > 1) * rsa, *a2 = a + (mread > 2) * 2 * rsa,
                *a3 = a + (mread > 3) * 3 * rsa, *a4 = a + (mread > 4) * 4 * rsa,
                *a5 = a + (mread > 5) * 5 * rsa;
    /* The tile of C is written at the end; start pulling it in now. */
    for (int i = 0; i < m; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    int64_t p = 0;
#pragma GCC unroll 4
    for (; p < k; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        FMA_ROW(0); FMA_ROW(1); FMA_ROW(2); FMA_ROW(3); FMA_ROW(4); FMA_ROW(5);
        b += ldb;
    }
    __m256 va = _mm256_set1_ps(alpha);
    __m256i m0, m1;
    edge_masks(n, &m0, &m1);
    store_row(c, c00, c01, va, beta, n, m0, m1);
    if (m > 1) store_row(c + ldc, c10, c11, va, beta, n, m0, m1);
    if (m > 2) store_row(c + 2 * ldc, c20, c21, va, beta, n, m0, m1);
    if (m > 3) store_row(c + 3 * ldc, c30, c31, va, beta, n, m0, m1);
    if (m > 4) store_row(c + 4 * ldc, c40, c41, va, beta, n, m0, m1);
    if (m > 5) store_row(c + 5 * ldc, c50, c51, va, beta, n, m0, m1);
}

TGT static void kernel_packed(int64_t k, const float *a, int64_t rsa, int64_t csa,
                              const float *b, int64_t ldb, float *c, int64_t ldc, float alpha,
                              float beta, int m, int n)
{
    (void)rsa, (void)csa, (void)ldb;
    /* Packed panels hold all MR rows (zero-padded): constant strides let the
     * compiler fold every A address into one base register. */
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
    default: /* a full tile of A read in place (gemm.c): unit k stride as a literal */
        if (csa == 1) body(k, a, rsa, 1, b, ldb, c, ldc, alpha, beta, MR, m, n);
        else body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, MR, m, n);
        break;
    }
}

/* The convolution tile of pn_wkernel: body()'s loop once per window row
 * segment of [p0, p0 + k), on the same accumulators, so each C element gets
 * the one FMA chain over p that body() gives the im2col'd tile. */
#define WFMA_ROW(r)                                                                       \
    do {                                                                                  \
        if (mread > r) {                                                                  \
            __m256 x = _mm256_broadcast_ss(a##r + p);                                     \
            c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0);                                    \
            c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1);                                    \
        }                                                                                 \
    } while (0)

TGT INL void wbody(int64_t p0, int64_t k, const float *const *rows, int64_t seg, int64_t lds,
                   const float *b, int64_t ldb, float *c, int64_t ldc, float beta,
                   const int mread, int n)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
           c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int i = 0; i < mread; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    int64_t s = p0 / seg, q = p0 % seg;
    for (int64_t left = k; left > 0; s++, q = 0) {
        int64_t len = seg - q < left ? seg - q : left, off = s * lds + q;
        /* rows past mread alias row 0 so that nothing outside x is read */
        const float *a0 = rows[0] + off, *a1 = rows[mread > 1 ? 1 : 0] + off,
                    *a2 = rows[mread > 2 ? 2 : 0] + off, *a3 = rows[mread > 3 ? 3 : 0] + off,
                    *a4 = rows[mread > 4 ? 4 : 0] + off, *a5 = rows[mread > 5 ? 5 : 0] + off;
        for (int64_t p = 0; p < len; p++) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            WFMA_ROW(0); WFMA_ROW(1); WFMA_ROW(2); WFMA_ROW(3); WFMA_ROW(4); WFMA_ROW(5);
            b += ldb;
        }
        left -= len;
    }
    __m256 va = _mm256_set1_ps(1.0f);
    __m256i m0, m1;
    edge_masks(n, &m0, &m1);
    store_row(c, c00, c01, va, beta, n, m0, m1);
    if (mread > 1) store_row(c + ldc, c10, c11, va, beta, n, m0, m1);
    if (mread > 2) store_row(c + 2 * ldc, c20, c21, va, beta, n, m0, m1);
    if (mread > 3) store_row(c + 3 * ldc, c30, c31, va, beta, n, m0, m1);
    if (mread > 4) store_row(c + 4 * ldc, c40, c41, va, beta, n, m0, m1);
    if (mread > 5) store_row(c + 5 * ldc, c50, c51, va, beta, n, m0, m1);
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
    default: wbody(p0, k, rows, seg, lds, b, ldb, c, ldc, beta, MR, n); break;
    }
}

/* Blocking for 32 KB L1d / 512 KB-1 MB L2 (Zen 2-4, Haswell..Ice Lake): a
 * kc x NR panel of B (16 KB) stays in L1, an mc x kc block of A in L2. */
#ifndef AVX2_MC
#define AVX2_MC 144
#endif
#ifndef AVX2_KC
#define AVX2_KC 256
#endif
#ifndef AVX2_NC
#define AVX2_NC 4080
#endif
const pn_gemm_impl pn_gemm_impl_avx2 = {"avx2", MR, NR, AVX2_MC, AVX2_KC, AVX2_NC, 0, 0,
                                        kernel_packed, kernel_strided,
                                        pn_gemm_pack_a_avx2, pn_gemm_pack_b_avx2,
                                        pn_gemm_gemv_avx2, pn_gemm_rank1_avx2,
                                        kernel_window};
#endif
