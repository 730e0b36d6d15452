/* tmp_fallback.c - naive GEMM and serial pool until gemm/ and threads.c land. */
#include "pn.h"
void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx)
{
    (void)grain;
    if (n > 0) fn(ctx, 0, n);
}
void pn_set_num_threads(int n) { (void)n; }
int pn_get_num_threads(void) { return 1; }
const char *pn_gemm_isa(void) { return "naive"; }
void pn_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
              int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) *
                     (tb ? B[j * ldb + k] : B[k * ldb + j]);
            C[i * ldc + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j]));
        }
}
