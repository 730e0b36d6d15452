/* prepacked.c - SGEMM against a B packed once and reused: C = op(A) . B + beta C
 * for many A (the recurrent layers multiply every time step's state by the
 * same recurrent kernel; pn_sgemm would pack, or read with a 2 KB row stride,
 * the same B at every step).
 *
 * pn_sgemm_pack_b lays B out in the active kernel's column panels (NR wide,
 * zero-padded), in the depth blocks pn_sgemm sums K in (pn_gemm_k_block):
 * the block of rows [p0, p0 + kc) starts at p0 * Np (Np = N rounded up to
 * NR), its panel of columns [j0, j0 + NR) at p0 * Np + j0 * kc. pn_sgemm_prepacked then walks
 * the panels with the micro-kernel reading A in place. Every C element is the
 * same sum over the same K blocks as pn_sgemm's, through the same micro-kernel
 * arithmetic, so the bits equal pn_sgemm(0, trans_b, ...) with alpha 1
 * (tests/test_gemm_prepacked.py checks this on every kernel the CPU runs).
 *
 * pn_sgemm_prepacked runs on the calling thread: the caller splits the rows
 * over the worker pool (the recurrent step fuses its gate math into the same
 * task). The pack is valid for the kernel that was active when it was made;
 * the kernel is chosen once per process, so that is every later call. */
#include "pn.h"
#include "gemm_internal.h"

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

int64_t pn_sgemm_packed_b_floats(int64_t K, int64_t N)
{
    if (K <= 0 || N <= 0) return 0;
    return K * round_up(N, pn_gemm_active()->nr);
}

int64_t pn_sgemm_k_block(int64_t K) { return pn_gemm_k_block(pn_gemm_active(), K); }

void pn_sgemm_pack_b(int trans_b, int64_t K, int64_t N, const float *B, int64_t ldb, float *dst)
{
    const pn_gemm_impl *im = pn_gemm_active();
    if (K <= 0 || N <= 0) return;
    int64_t rsb = trans_b ? 1 : ldb, csb = trans_b ? ldb : 1;
    int64_t kcb = pn_gemm_k_block(im, K), Np = round_up(N, im->nr);
    for (int64_t p0 = 0; p0 < K; p0 += kcb) {
        int64_t kc = K - p0 < kcb ? K - p0 : kcb;
        im->pack_b(im->nr, kc, N, B + p0 * rsb, rsb, csb, dst + p0 * Np);
    }
}

void pn_sgemm_prepacked(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                        const float *Bp, float beta, float *C, int64_t ldc)
{
    const pn_gemm_impl *im = pn_gemm_active();
    const int mr = im->mr, nr = im->nr;
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* an empty sum: C = beta C, never reading C when beta is 0 */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    int64_t kcb = pn_gemm_k_block(im, K), Np = round_up(N, nr);
    /* Panel-major: a kc x NR panel of B stays in L1 while the rows of A
     * (a step's states: a few KB) stream past it. */
    for (int64_t j0 = 0; j0 < N; j0 += nr) {
        int n = N - j0 < nr ? (int)(N - j0) : nr;
        for (int64_t p0 = 0; p0 < K; p0 += kcb) {
            int64_t kc = K - p0 < kcb ? K - p0 : kcb;
            float b = p0 == 0 ? beta : 1.0f; /* later K blocks accumulate */
            const float *bp = Bp + p0 * Np + j0 * kc;
            for (int64_t i0 = 0; i0 < M; i0 += mr) {
                int m = M - i0 < mr ? (int)(M - i0) : mr;
                im->skernel(kc, A + i0 * lda + p0, lda, 1, bp, nr, C + i0 * ldc + j0, ldc,
                            1.0f, b, m, n);
            }
        }
    }
}
