/* kernel_generic.c - portable C micro-kernel (4 x 8), the fallback on any CPU.
 * Written so that baseline SSE2 vectorisation keeps the 32 accumulators in 8
 * registers; no intrinsics, no target attributes. */
#include "gemm_internal.h"

#define MR 4
#define NR 8

static inline __attribute__((always_inline)) void
body(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb,
     float *c, int64_t ldc, float alpha, float beta, int m, int n)
{
    float acc[MR][NR] = {{0}};
    const float *ar[MR];
    /* Rows past m alias row 0 so that nothing outside A is read. */
    for (int i = 0; i < MR; i++) ar[i] = a + (i < m ? i : 0) * rsa;
    for (int64_t p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        for (int i = 0; i < MR; i++) {
            float ai = ar[i][p * csa];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * bp[j];
        }
    }
    for (int i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < n; j++) ci[j] = alpha * acc[i][j];
        else
            for (int j = 0; j < n; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
}

static void kernel_packed(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b,
                          int64_t ldb, float *c, int64_t ldc, float alpha, float beta, int m,
                          int n)
{
    (void)rsa, (void)csa, (void)ldb;
    body(k, a, 1, MR, b, NR, c, ldc, alpha, beta, m, n);
}

static void kernel_strided(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b,
                           int64_t ldb, float *c, int64_t ldc, float alpha, float beta, int m,
                           int n)
{
    body(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, m, n);
}

const pn_gemm_impl pn_gemm_impl_generic = {"generic", MR, NR, 128, 256, 4096,
                                           kernel_packed, kernel_strided};
