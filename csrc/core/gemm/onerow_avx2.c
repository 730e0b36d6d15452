/* onerow_avx2.c - kernels for products with one row: the GEMV of a batch-1
 * forward (one row of A) and the rank-1 update of a one-row batch's weight
 * gradient (K == 1). Through the tiled path a single row costs a packing of
 * the whole of B and a micro-kernel that runs all MR rows (or, unpacked, a
 * two-accumulator FMA chain at latency); these read B in place with eight
 * independent accumulators.
 *
 * Same bits as the micro-kernels: each C element is summed in the order they
 * use - K in the driver's blocks of kc, inside a block acc = fma(a_p, b_pj, acc)
 * from +0 for p in order, then x = alpha * acc and, unless the block's beta is
 * 0, x = fma(beta, c, x) (beta is the caller's for the first block, 1 after).
 * So a sample's outputs are the same bits alone and in a batch, on the AVX2
 * and the AVX-512 kernel alike (both sum that way). */
#include "gemm_internal.h"

#ifdef PN_GEMM_X86
#include <immintrin.h>

#include "transpose_avx2.h"

#define TGT __attribute__((target("avx2,fma")))
#define INL static inline __attribute__((always_inline))

/* Lane j is on when j < n (n may exceed 8). */
TGT INL __m256i lanes(int64_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n > 8 ? 8 : (int)n), idx);
}

/* c = alpha * acc (+ beta * c): the micro-kernels' store_row, n <= 8 lanes. */
TGT INL void combine(float *c, __m256 acc, float alpha, float beta, int64_t n)
{
    __m256 x = _mm256_mul_ps(acc, _mm256_set1_ps(alpha));
    if (n >= 8) {
        if (beta != 0.0f) x = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c), x);
        _mm256_storeu_ps(c, x);
    } else {
        __m256i m = lanes(n);
        if (beta != 0.0f)
            x = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_maskload_ps(c, m), x);
        _mm256_maskstore_ps(c, m, x);
    }
}

/* ---------------------------------------------------------------- B rows contiguous
 * c[j] for j in [0, n): row p of op(B) is B + p*rsb, contiguous in j. V vectors
 * (8 V columns) per pass; fewer than 8 V columns left are done one vector at a
 * time (V = 1), the last one masked. */
#define GEMV_V 8

TGT INL void gemv_n_strip(const int V, int64_t k, const float *a, int64_t csa, const float *b,
                          int64_t rsb, float *c, float alpha, float beta, int64_t n)
{
    __m256 acc[GEMV_V];
    for (int v = 0; v < V; v++) acc[v] = _mm256_setzero_ps();
    if (V == 1 && n < 8) {
        __m256i m = lanes(n);
        for (int64_t p = 0; p < k; p++)
            acc[0] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + p * csa),
                                     _mm256_maskload_ps(b + p * rsb, m), acc[0]);
    } else {
        for (int64_t p = 0; p < k; p++) {
            __m256 x = _mm256_broadcast_ss(a + p * csa);
            const float *row = b + p * rsb;
            for (int v = 0; v < V; v++)
                acc[v] = _mm256_fmadd_ps(x, _mm256_loadu_ps(row + 8 * v), acc[v]);
        }
    }
    for (int v = 0; v < V; v++) combine(c + 8 * v, acc[v], alpha, beta, n - 8 * v);
}

TGT static void gemv_n(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                       const float *B, int64_t rsb, float alpha, float beta, float *c)
{
    for (int64_t p0 = 0; p0 < K; p0 += kc) {
        int64_t k = K - p0 < kc ? K - p0 : kc;
        float bb = p0 == 0 ? beta : 1.0f;
        const float *ap = a + p0 * csa, *bp = B + p0 * rsb;
        int64_t j = 0;
        for (; j + 8 * GEMV_V <= n; j += 8 * GEMV_V)
            gemv_n_strip(GEMV_V, k, ap, csa, bp + j, rsb, c + j, alpha, bb, 8 * GEMV_V);
        for (; j < n; j += 8)
            gemv_n_strip(1, k, ap, csa, bp + j, rsb, c + j, alpha, bb, n - j);
    }
}

/* ---------------------------------------------------------------- B columns contiguous
 * op(B)(p, j) = B[j*csb + p] (a transposed weight): eight columns are eight
 * rows of memory; an 8x8 register transpose turns 8 of their p into 8 vectors
 * over j, consumed in p order. G groups of 8 columns per pass. */
#define GEMV_G 4

/* Columns [0, n) of the strip, n <= 8 G; columns past n alias column 0 (read,
 * never stored), so nothing outside B is touched. */
TGT INL void gemv_t_strip(const int G, int64_t k, const float *a, int64_t csa, const float *b,
                          int64_t csb, float *c, float alpha, float beta, int64_t n)
{
    __m256 acc[GEMV_G];
    const float *col[GEMV_G][8];
    for (int g = 0; g < G; g++) {
        acc[g] = _mm256_setzero_ps();
        for (int r = 0; r < 8; r++) col[g][r] = b + (8 * g + r < n ? 8 * g + r : 0) * csb;
    }
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 x[8];
        for (int q = 0; q < 8; q++) x[q] = _mm256_broadcast_ss(a + (p + q) * csa);
        for (int g = 0; g < G; g++) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(col[g][i] + p);
            transpose8(r);
            for (int q = 0; q < 8; q++) acc[g] = _mm256_fmadd_ps(x[q], r[q], acc[g]);
        }
    }
    for (; p < k; p++) {
        __m256 x = _mm256_broadcast_ss(a + p * csa);
        for (int g = 0; g < G; g++) {
            const float *const *cg = col[g];
            __m256 v = _mm256_setr_ps(cg[0][p], cg[1][p], cg[2][p], cg[3][p], cg[4][p], cg[5][p],
                                      cg[6][p], cg[7][p]);
            acc[g] = _mm256_fmadd_ps(x, v, acc[g]);
        }
    }
    for (int g = 0; g < G; g++)
        if (8 * g < n) combine(c + 8 * g, acc[g], alpha, beta, n - 8 * g);
}

TGT static void gemv_t(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                       const float *B, int64_t csb, float alpha, float beta, float *c)
{
    for (int64_t p0 = 0; p0 < K; p0 += kc) {
        int64_t k = K - p0 < kc ? K - p0 : kc;
        float bb = p0 == 0 ? beta : 1.0f;
        const float *ap = a + p0 * csa, *bp = B + p0;
        int64_t j = 0;
        /* Rows of B a multiple of 2 KB apart (K = 512, 1024, ...) fall in the same
         * L1 sets: 32 of them at once thrash it (half the speed measured), 8 do not. */
        if (csb % 512 != 0)
            for (; j + 8 * GEMV_G <= n; j += 8 * GEMV_G)
                gemv_t_strip(GEMV_G, k, ap, csa, bp + j * csb, csb, c + j, alpha, bb, 8 * GEMV_G);
        for (; j < n; j += 8)
            gemv_t_strip(1, k, ap, csa, bp + j * csb, csb, c + j, alpha, bb, n - j);
    }
}

/* One row of C = alpha * a(0,.) op(B) + beta * C, columns [0, n). */
TGT void pn_gemm_gemv_avx2(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                           const float *B, int64_t rsb, int64_t csb, float alpha, float beta,
                           float *c)
{
    if (csb == 1) gemv_n(n, K, kc, a, csa, B, rsb, alpha, beta, c);
    else gemv_t(n, K, kc, a, csa, B, csb, alpha, beta, c);
}

/* ---------------------------------------------------------------- rank 1
 * K == 1: c[i][j] = alpha * fma(a_i, b_j, +0) (+ beta * c[i][j]), rows
 * [0, m), streaming each row of C once. b is contiguous (b_j = b[j]). */
TGT void pn_gemm_rank1_avx2(int64_t m, int64_t n, const float *a, int64_t rsa, const float *b,
                            float alpha, float beta, float *C, int64_t ldc)
{
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t i = 0; i < m; i++) {
        __m256 x = _mm256_broadcast_ss(a + i * rsa);
        float *c = C + i * ldc;
        int64_t j = 0;
        for (; j + 8 <= n; j += 8)
            combine(c + j, _mm256_fmadd_ps(x, _mm256_loadu_ps(b + j), zero), alpha, beta, 8);
        if (j < n)
            combine(c + j, _mm256_fmadd_ps(x, _mm256_maskload_ps(b + j, lanes(n - j)), zero),
                    alpha, beta, n - j);
    }
}
#endif
