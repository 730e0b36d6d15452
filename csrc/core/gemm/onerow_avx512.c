/* onerow_avx512.c - the GEMV of a batch-1 forward (one row of A, B rows
 * contiguous) on AVX-512F: a Dense layer's x @ kernel for one sample.
 *
 * Why a kernel of its own: one row has no reuse of B, so the GEMV is a stream
 * of B through the core at the speed the caches deliver it. The AVX2 kernel
 * covers 64 columns per pass and walks B's rows with a stride (1 KB for 256
 * columns), four cache lines of every row per pass; here a pass covers up to
 * 256 columns (16 zmm accumulators), so for the layers of a typical MLP each
 * pass reads whole rows, i.e. B once, front to back, which the hardware
 * prefetcher follows. Measured on a Zen 4 EPYC, one thread, 784 x 256 from
 * L2: 8.7 us with the AVX2 kernel, see the commit for this one.
 *
 * Same bits as the micro-kernels and the AVX2 one-row kernel (see
 * onerow_avx2.c): each C element is acc = fma(a_p, b_pj, acc) from +0 for p in
 * order inside the driver's kc blocks, then x = alpha * acc and, unless the
 * block's beta is 0, x = fma(beta, c, x). Vector width does not enter the
 * per-element arithmetic, so a sample's output is the same alone and in a
 * batch. A transposed B (the batch-1 backward's dY W^T) goes to the AVX2
 * kernel. */
#include "gemm_internal.h"

#ifdef PN_GEMM_X86
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx2,fma")))
#define INL static inline __attribute__((always_inline))

/* V vectors (16 V columns) of c = alpha * a op(B) (+ beta c) over k rows of
 * B; with V == 1, n <= 16 columns are live and lanes past n are neither read
 * nor written. */
TGT INL void strip(const int V, int64_t k, const float *a, int64_t csa, const float *b,
                   int64_t rsb, float *c, float alpha, float beta, int64_t n)
{
    __m512 acc[16];
    for (int v = 0; v < V; v++) acc[v] = _mm512_setzero_ps();
    const __mmask16 m = n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1); /* V == 1 only */
    for (int64_t p = 0; p < k; p++) {
        __m512 x = _mm512_set1_ps(a[p * csa]);
        const float *row = b + p * rsb;
        if (V == 1) acc[0] = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, row), acc[0]);
        else
            for (int v = 0; v < V; v++)
                acc[v] = _mm512_fmadd_ps(x, _mm512_loadu_ps(row + 16 * v), acc[v]);
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int v = 0; v < V; v++) {
        __mmask16 mv = V == 1 ? m : 0xFFFF;
        __m512 x = _mm512_mul_ps(acc[v], va);
        if (beta != 0.0f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mv, c + 16 * v), x);
        _mm512_mask_storeu_ps(c + 16 * v, mv, x);
    }
}

/* Columns [0, n) for one kc block: strips of 16 vectors, then at most one
 * strip each of 8, 4, 2 and 1 whole vectors, then one masked vector. The
 * layers of a typical MLP (1, 10, 64, 128, 256 units) take a single pass. */
TGT static void block(int64_t n, int64_t k, const float *a, int64_t csa, const float *b,
                      int64_t rsb, float *c, float alpha, float beta)
{
    int64_t j = 0;
    for (; j + 256 <= n; j += 256) strip(16, k, a, csa, b + j, rsb, c + j, alpha, beta, 256);
    if (j + 128 <= n) strip(8, k, a, csa, b + j, rsb, c + j, alpha, beta, 128), j += 128;
    if (j + 64 <= n) strip(4, k, a, csa, b + j, rsb, c + j, alpha, beta, 64), j += 64;
    if (j + 32 <= n) strip(2, k, a, csa, b + j, rsb, c + j, alpha, beta, 32), j += 32;
    if (j + 16 <= n) strip(1, k, a, csa, b + j, rsb, c + j, alpha, beta, 16), j += 16;
    if (j < n) strip(1, k, a, csa, b + j, rsb, c + j, alpha, beta, n - j);
}

/* One row of C = alpha * a(0,.) op(B) + beta * C, columns [0, n): the
 * pn_gemv_fn contract (gemm_internal.h). */
TGT void pn_gemm_gemv_avx512(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                             const float *B, int64_t rsb, int64_t csb, float alpha, float beta,
                             float *c)
{
    if (csb != 1) {
        pn_gemm_gemv_avx2(n, K, kc, a, csa, B, rsb, csb, alpha, beta, c);
        return;
    }
    for (int64_t p0 = 0; p0 < K; p0 += kc) {
        int64_t k = K - p0 < kc ? K - p0 : kc;
        block(n, k, a + p0 * csa, csa, B + p0 * rsb, rsb, c, alpha, p0 == 0 ? beta : 1.0f);
    }
}
#endif
