/* gemm_internal.h - private interface between the SGEMM driver, the packing
 * routines and the per-ISA micro-kernels (csrc/core/gemm only). */
#ifndef PN_GEMM_INTERNAL_H
#define PN_GEMM_INTERNAL_H
#include <stdint.h>

/* A micro-kernel computes one MR x NR tile of C over k:
 *     C[i][j] = alpha * sum_p a(i,p) * b(p,j) + beta * C[i][j]
 * for i < m, j < n (m <= MR, n <= NR); with beta == 0, C is never read.
 * a(i,p) = a[i*rsa + p*csa]; only rows i < m are read.
 * b(p,j) = b[p*ldb + j]; NR floats per row must be readable (packed panels are
 * zero-padded; the driver packs ragged edges of unpacked B).
 * Packed A is the case rsa == 1, csa == MR; packed B is ldb == NR. The sum over
 * p runs in order 0..k-1 whatever the strides, so a given C element gets the
 * same bits from every call that covers it with the same k-blocking. */
typedef void (*pn_ukernel)(int64_t k, const float *a, int64_t rsa, int64_t csa,
                           const float *b, int64_t ldb, float *c, int64_t ldc,
                           float alpha, float beta, int m, int n);

/* Packing routine (see pn_gemm_pack_a / pn_gemm_pack_b below). */
typedef void (*pn_pack_fn)(int w, int64_t rows, int64_t cols, const float *src, int64_t rs,
                           int64_t cs, float *dst);

/* One row of C (M == 1): c[j] = alpha * sum_p a[p*csa] * b(p,j) + beta * c[j] for
 * j < n, b(p,j) = B[p*rsb + j*csb] (csb == 1 or rsb == 1), K summed in blocks of
 * kc exactly as the micro-kernels sum a tile (see onerow_avx2.c). */
typedef void (*pn_gemv_fn)(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                           const float *B, int64_t rsb, int64_t csb, float alpha, float beta,
                           float *c);
/* K == 1: C[i][j] = alpha * a[i*rsa] * b[j] + beta * C[i][j], i < m, j < n. */
typedef void (*pn_rank1_fn)(int64_t m, int64_t n, const float *a, int64_t rsa, const float *b,
                            float alpha, float beta, float *C, int64_t ldc);
/* A convolution's tile with A read where it lies in the input (ops/conv.c:
 * no im2col copy). Row i of A is one output position's window:
 *     a(i,p) = rows[i][(p / seg) * lds + p % seg]
 * (seg: the KW*C contiguous floats of one window row, lds: the distance
 * between window rows). Computes C[i][j] = sum over p in [p0, p0 + k) of
 * a(i,p) * b(p - p0, j) + beta * C[i][j] (alpha 1), i < m, j < n, summing in
 * p order with the micro-kernel's operations: the bits of im2col followed by
 * skernel(k, cols + p0, ...) with alpha 1. */
typedef void (*pn_wkernel)(int64_t p0, int64_t k, const float *const *rows, int64_t seg,
                           int64_t lds, const float *b, int64_t ldb, float *c, int64_t ldc,
                           float beta, int m, int n);

typedef struct {
    const char *name;
    int mr, nr;
    int64_t mc, kc, nc;   /* cache blocking: A block mc x kc, B panel kc x nc */
    /* Up to this N (0: never) a row-major A is read in place by skernel
     * instead of packed: packing A costs as much as the compute it saves when
     * few column panels reuse it (see gemm.c). */
    int64_t a_inplace_max_n;
    /* 0: jr outside ir (a B micro-panel stays in L1, A streams from L2);
     * else ir outside jr over tiles at most this wide: an A micro-panel stays
     * in L1 and B micro-panels stream from an L2-sized block -- for kernels
     * whose kc x NR B micro-panel fills L1 (12 x 32 at kc 256: 32 KB). */
    int64_t a_in_l1_max_nw;
    pn_ukernel kernel;    /* may assume packed operands (fast path) */
    pn_ukernel skernel;   /* arbitrary a strides and b row stride */
    pn_pack_fn pack_a;    /* pn_gemm_pack_a or an ISA-specific equivalent */
    pn_pack_fn pack_b;
    pn_gemv_fn gemv;      /* one-row kernels with the micro-kernel's bits, or NULL */
    pn_rank1_fn rank1;
    pn_wkernel wkernel;   /* NULL: conv.c im2cols every tile */
} pn_gemm_impl;

extern const pn_gemm_impl pn_gemm_impl_generic;
/* Defined only on x86-64 with a compiler that knows the target attributes. */
extern const pn_gemm_impl pn_gemm_impl_avx2;
extern const pn_gemm_impl pn_gemm_impl_avx512;

/* Packs the m x k block a(i,p) = A[i*rsa + p*csa] into ceil(m/mr) panels of
 * mr rows, p-major inside a panel, zero-padding the last panel's rows. */
void pn_gemm_pack_a(int mr, int64_t m, int64_t k, const float *A, int64_t rsa,
                    int64_t csa, float *dst);
/* Packs the k x n block b(p,j) = B[p*rsb + j*csb] into ceil(n/nr) panels of
 * nr columns, p-major inside a panel, zero-padding the last panel's columns. */
void pn_gemm_pack_b(int nr, int64_t k, int64_t n, const float *B, int64_t rsb,
                    int64_t csb, float *dst);

/* Same contracts, with AVX2 transposes for the gathering layouts (panel widths
 * 6/12 of A and 16/32 of B; others go to the portable packers). Used by both
 * x86 kernels: every AVX-512 CPU has AVX2. */
void pn_gemm_pack_a_avx2(int mr, int64_t m, int64_t k, const float *A, int64_t rsa,
                         int64_t csa, float *dst);
void pn_gemm_pack_b_avx2(int nr, int64_t k, int64_t n, const float *B, int64_t rsb,
                         int64_t csb, float *dst);

/* The one-row kernels of both x86 impls (FMA summation, as both micro-kernels). */
void pn_gemm_gemv_avx2(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                       const float *B, int64_t rsb, int64_t csb, float alpha, float beta,
                       float *c);
/* The AVX-512 GEMV (B rows contiguous; a transposed B goes to the AVX2 one):
 * same bits, whole rows of B per pass (onerow_avx512.c). */
void pn_gemm_gemv_avx512(int64_t n, int64_t K, int64_t kc, const float *a, int64_t csa,
                         const float *B, int64_t rsb, int64_t csb, float alpha, float beta,
                         float *c);
void pn_gemm_rank1_avx2(int64_t m, int64_t n, const float *a, int64_t rsa, const float *b,
                        float alpha, float beta, float *C, int64_t ldc);

/* For callers that drive the micro-kernels themselves (ops/conv.c im2cols
 * small tiles straight into them): the active kernel table, and the depth
 * blocks every path of pn_sgemm sums K in (later blocks accumulate with
 * beta 1), so such a caller gets pn_sgemm's bits. */
const pn_gemm_impl *pn_gemm_active(void);
int64_t pn_gemm_k_block(const pn_gemm_impl *im, int64_t K);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PN_GEMM_X86 1
#endif
#endif
