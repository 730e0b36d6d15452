/* pack_avx2.c - AVX2 packing for the two layouts that need a transpose (rows
 * of A contiguous in k; columns of transposed B contiguous in k). Scalar
 * gathers there cost ~0.35 ns per float, a tenth of the multiply time of a
 * training-sized GEMM; 8x8 register transposes bring that to a few cycles per
 * 8 floats. Other layouts are plain copies and go to the portable packers. */
#include "gemm_internal.h"

#ifdef PN_GEMM_X86
#include <immintrin.h>

#include "transpose_avx2.h"

#define TGT __attribute__((target("avx2,fma")))
#define INL static inline __attribute__((always_inline))

/* Stores the first `rows` floats of v at d (rows <= 8), never past them: the
 * next floats belong to the next panel (maybe another thread's). */
TGT INL void store_head(float *d, __m256 v, int rows)
{
    if (rows == 8) {
        _mm256_storeu_ps(d, v);
        return;
    }
    __m128 lo = _mm256_castps256_ps128(v);
    if (rows >= 4) {
        _mm_storeu_ps(d, lo);
        lo = _mm256_extractf128_ps(v, 1);
        d += 4;
        rows -= 4;
    }
    if (rows >= 2) {
        _mm_storel_pi((__m64 *)d, lo);
        lo = _mm_movehl_ps(lo, lo);
        d += 2;
        rows -= 2;
    }
    if (rows) _mm_store_ss(d, lo);
}

/* A with unit column stride into mr-row panels (mr = 6 for the AVX2 kernel,
 * 12 for the AVX-512 one): groups of up to 8 rows x 8 k per transpose. */
TGT void pn_gemm_pack_a_avx2(int mr, int64_t m, int64_t k, const float *A, int64_t rsa,
                             int64_t csa, float *dst)
{
    if ((mr != 6 && mr != 12) || csa != 1) {
        pn_gemm_pack_a(mr, m, k, A, rsa, csa, dst);
        return;
    }
    int64_t full = m / mr * mr;
    for (int64_t i0 = 0; i0 < full; i0 += mr, dst += mr * k) {
        for (int g = 0; g < mr; g += 8) {
            const int rows = mr - g < 8 ? mr - g : 8;
            const float *s = A + (i0 + g) * rsa;
            int64_t p = 0;
            for (; p + 8 <= k; p += 8) {
                __m256 r[8];
                for (int i = 0; i < 8; i++)
                    r[i] = i < rows ? _mm256_loadu_ps(s + i * rsa + p) : _mm256_setzero_ps();
                transpose8(r);
                for (int q = 0; q < 8; q++) store_head(dst + (p + q) * mr + g, r[q], rows);
            }
            for (; p < k; p++)
                for (int i = 0; i < rows; i++) dst[p * mr + g + i] = s[i * rsa + p];
        }
    }
    if (full < m) pn_gemm_pack_a(mr, m - full, k, A + full * rsa, rsa, csa, dst);
}

/* Transposed B (unit row stride) into nr-column panels (16 or 32): 8 columns x
 * 8 k per transpose. */
TGT void pn_gemm_pack_b_avx2(int nr, int64_t k, int64_t n, const float *B, int64_t rsb,
                             int64_t csb, float *dst)
{
    if ((nr != 16 && nr != 32) || rsb != 1) {
        pn_gemm_pack_b(nr, k, n, B, rsb, csb, dst);
        return;
    }
    int64_t full = n / nr * nr;
    for (int64_t j0 = 0; j0 < full; j0 += nr, dst += nr * k) {
        for (int h = 0; h < nr; h += 8) {
            const float *s = B + (j0 + h) * csb;
            int64_t p = 0;
            for (; p + 8 <= k; p += 8) {
                __m256 r[8];
                for (int c = 0; c < 8; c++) r[c] = _mm256_loadu_ps(s + c * csb + p);
                transpose8(r);
                for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + q) * nr + h, r[q]);
            }
            for (; p < k; p++)
                for (int c = 0; c < 8; c++) dst[p * nr + h + c] = s[c * csb + p];
        }
    }
    if (full < n) pn_gemm_pack_b(nr, k, n - full, B + full * csb, rsb, csb, dst);
}
#endif
