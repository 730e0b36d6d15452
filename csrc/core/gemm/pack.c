/* pack.c - copies blocks of op(A) and op(B) into the panel layouts the
 * micro-kernels stream through (see gemm_internal.h). Transposes are absorbed
 * here: the kernels only ever see row panels of A and column panels of B. */
#include "gemm_internal.h"

#include <string.h>

/* Specialised on the panel width so that the inner loops have constant trip
 * counts the compiler can unroll and vectorise. */
static inline __attribute__((always_inline)) void
pack_a_w(const int mr, int64_t m, int64_t k, const float *A, int64_t rsa, int64_t csa,
         float *dst)
{
    for (int64_t i0 = 0; i0 < m; i0 += mr, dst += mr * k) {
        int rows = m - i0 < mr ? (int)(m - i0) : mr;
        const float *src = A + i0 * rsa;
        if (rows == mr && csa == 1) {
            /* Rows are contiguous in p: gather one column of the panel at a time. */
            for (int64_t p = 0; p < k; p++)
                for (int r = 0; r < mr; r++) dst[p * mr + r] = src[r * rsa + p];
        } else if (rows == mr && rsa == 1) {
            /* Transposed A: a panel column is contiguous; a constant-size memcpy
             * becomes a couple of vector moves. */
            for (int64_t p = 0; p < k; p++) memcpy(dst + p * mr, src + p * csa, sizeof(float) * mr);
        } else {
            for (int64_t p = 0; p < k; p++) {
                int r = 0;
                for (; r < rows; r++) dst[p * mr + r] = src[r * rsa + p * csa];
                for (; r < mr; r++) dst[p * mr + r] = 0.0f;
            }
        }
    }
}

/* Row-major B, full panels: walks B in blocks of 8 rows, each row from left to
 * right across all the panels, so every row is read as one sequential stream
 * (panel by panel, a 4 KB row stride made each panel's 128-byte pieces a
 * page apart: a third of the packing time went to waiting for them). */
static inline __attribute__((always_inline)) void
pack_b_rows(const int nr, int64_t k, int64_t panels, const float *B, int64_t rsb, float *dst)
{
    for (int64_t p0 = 0; p0 < k; p0 += 8) {
        int64_t p1 = p0 + 8 < k ? p0 + 8 : k;
        for (int64_t f = 0; f < panels; f++)
            for (int64_t p = p0; p < p1; p++)
                memcpy(dst + f * nr * k + p * nr, B + p * rsb + f * nr, sizeof(float) * nr);
    }
}

static inline __attribute__((always_inline)) void
pack_b_w(const int nr, int64_t k, int64_t n, const float *B, int64_t rsb, int64_t csb,
         float *dst)
{
    if (csb == 1 && n >= nr) {
        int64_t panels = n / nr;
        pack_b_rows(nr, k, panels, B, rsb, dst);
        B += panels * nr;
        dst += panels * nr * k;
        n -= panels * nr;
    }
    for (int64_t j0 = 0; j0 < n; j0 += nr, dst += nr * k) {
        int cols = n - j0 < nr ? (int)(n - j0) : nr;
        const float *src = B + j0 * csb;
        if (cols == nr && csb == 1) {
            for (int64_t p = 0; p < k; p++) memcpy(dst + p * nr, src + p * rsb, sizeof(float) * nr);
        } else if (cols == nr && rsb == 1) {
            /* Transposed B: each column is contiguous in p. Walk the sources in
             * blocks of 8 p so that reads stay sequential and the writes stay in
             * a few cache lines of the (L1-resident) destination panel. */
            int64_t p0 = 0;
            for (; p0 + 8 <= k; p0 += 8)
                for (int c = 0; c < nr; c++)
                    for (int q = 0; q < 8; q++) dst[(p0 + q) * nr + c] = src[c * csb + p0 + q];
            for (; p0 < k; p0++)
                for (int c = 0; c < nr; c++) dst[p0 * nr + c] = src[c * csb + p0];
        } else {
            for (int64_t p = 0; p < k; p++) {
                int c = 0;
                for (; c < cols; c++) dst[p * nr + c] = src[p * rsb + c * csb];
                for (; c < nr; c++) dst[p * nr + c] = 0.0f;
            }
        }
    }
}

void pn_gemm_pack_a(int mr, int64_t m, int64_t k, const float *A, int64_t rsa, int64_t csa,
                    float *dst)
{
    switch (mr) {
    case 4: pack_a_w(4, m, k, A, rsa, csa, dst); break;
    case 6: pack_a_w(6, m, k, A, rsa, csa, dst); break;
    case 8: pack_a_w(8, m, k, A, rsa, csa, dst); break;
    case 12: pack_a_w(12, m, k, A, rsa, csa, dst); break;
    default: pack_a_w(mr, m, k, A, rsa, csa, dst); break;
    }
}

void pn_gemm_pack_b(int nr, int64_t k, int64_t n, const float *B, int64_t rsb, int64_t csb,
                    float *dst)
{
    switch (nr) {
    case 8: pack_b_w(8, k, n, B, rsb, csb, dst); break;
    case 16: pack_b_w(16, k, n, B, rsb, csb, dst); break;
    case 32: pack_b_w(32, k, n, B, rsb, csb, dst); break;
    default: pack_b_w(nr, k, n, B, rsb, csb, dst); break;
    }
}
