/* kernel_generic.c - portable C micro-kernel (4 x 8), the fallback on any CPU:
 * no intrinsics, no target attributes; the 32 accumulators fit in 8 SSE2/NEON
 * registers. */
#include "gemm_internal.h"

#include <stddef.h>

#define MR 4
#define NR 8

#if defined(__GNUC__) || defined(__clang__)
/* GCC/Clang vector extensions: portable across ISAs (SSE2, NEON, ...) and
 * keep the 4 x 8 tile in registers, which GCC's auto-vectoriser does not
 * manage for the plain nested loops (those ran at ~6 GFLOP/s here). */
typedef float v4 __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) v4 load4(const float *p)
{
    v4 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void
body(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb,
     float *c, int64_t ldc, float alpha, float beta, int m, int n)
{
    v4 acc[MR][2] = {{{0}}};
    const float *ar[MR];
    /* Rows past m alias row 0 so that nothing outside A is read. */
    for (int i = 0; i < MR; i++) ar[i] = a + (i < m ? i : 0) * rsa;
    for (int64_t p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        v4 b0 = load4(bp), b1 = load4(bp + 4);
        for (int i = 0; i < MR; i++) {
            float ai = ar[i][p * csa];
            v4 x = {ai, ai, ai, ai};
            acc[i][0] += x * b0;
            acc[i][1] += x * b1;
        }
    }
    for (int i = 0; i < m; i++) {
        float t[NR], *ci = c + i * ldc;
        __builtin_memcpy(t, &acc[i][0], sizeof acc[i][0]);
        __builtin_memcpy(t + 4, &acc[i][1], sizeof acc[i][1]);
        if (beta == 0.0f)
            for (int j = 0; j < n; j++) ci[j] = alpha * t[j];
        else
            for (int j = 0; j < n; j++) ci[j] = alpha * t[j] + beta * ci[j];
    }
}
#else
static void body(int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b,
                 int64_t ldb, float *c, int64_t ldc, float alpha, float beta, int m, int n)
{
    float acc[MR][NR] = {{0}};
    const float *ar[MR];
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
#endif

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

const pn_gemm_impl pn_gemm_impl_generic = {"generic", MR, NR, 128, 256, 4096, 0, 0,
                                           kernel_packed, kernel_strided,
                                           pn_gemm_pack_a, pn_gemm_pack_b, NULL, NULL, NULL};
