/* matmul.c - matrix products on pn_sgemm.
 *
 * matmul(a, b): a (..., M, K) @ b (..., K, N) with NumPy semantics: 1-D operands
 * are promoted (and the added axis dropped), leading (batch) axes broadcast.
 * transpose_a, transpose_b (iattr[0], iattr[1]): transpose a / b (last two axes) before multiplying, which
 * the packing in GEMM absorbs at no cost.
 * Backward: dA = dC · Bᵀ, dB = Aᵀ · dC, per batch, accumulated (beta = 1). */
#include <string.h>

#include "pn.h"

typedef struct {
    int64_t M, N, K, batch;
    int64_t a_bstride[PN_MAX_DIMS], b_bstride[PN_MAX_DIMS]; /* per batch axis, in matrices */
    int64_t bshape[PN_MAX_DIMS];
    int nb;
} mm_plan;

/* Shapes seen as matrices: a 1-D a is (1, K), a 1-D b is (K, 1). */
static int mm_plan_make(const pn_node *n, mm_plan *p, int64_t *out_shape, int *out_nd)
{
    const pn_node *A = n->in[0], *B = n->in[1];
    int ta = (int)n->iattr[0], tb = (int)n->iattr[1];
    char sa[128], sb[128];
    if (A->ndim == 0 || B->ndim == 0)
        return pn_error(PN_EVALUE, "matmul: operands must have at least one dimension, got %s and %s",
                        pn_shape_str(sa, A->ndim, A->shape), pn_shape_str(sb, B->ndim, B->shape));
    int64_t ar = A->ndim == 1 ? 1 : A->shape[A->ndim - 2], ac = A->shape[A->ndim - 1];
    int64_t br = B->ndim == 1 ? B->shape[0] : B->shape[B->ndim - 2];
    int64_t bc = B->ndim == 1 ? 1 : B->shape[B->ndim - 1];
    if (ta && A->ndim > 1) { int64_t t = ar; ar = ac; ac = t; }
    if (tb && B->ndim > 1) { int64_t t = br; br = bc; bc = t; }
    if (ac != br)
        return pn_error(PN_EVALUE,
                        "matmul: shapes %s and %s are not aligned: %lld (dim %d of the first) != %lld "
                        "(dim %d of the second)",
                        pn_shape_str(sa, A->ndim, A->shape), pn_shape_str(sb, B->ndim, B->shape),
                        (long long)ac, A->ndim - 1, (long long)br, B->ndim == 1 ? 0 : B->ndim - 2);
    p->M = ar; p->K = ac; p->N = bc;
    int na = A->ndim > 2 ? A->ndim - 2 : 0, nbb = B->ndim > 2 ? B->ndim - 2 : 0;
    int rc = pn_broadcast_shapes(na, A->shape, nbb, B->shape, &p->nb, p->bshape);
    if (rc)
        return pn_error(PN_EVALUE, "matmul: batch dimensions of %s and %s do not broadcast",
                        pn_shape_str(sa, A->ndim, A->shape), pn_shape_str(sb, B->ndim, B->shape));
    int64_t as[PN_MAX_DIMS], bs[PN_MAX_DIMS];
    pn_strides(na, A->shape, as);
    pn_strides(nbb, B->shape, bs);
    p->batch = 1;
    for (int i = 0; i < p->nb; i++) {
        /* broadcast batch axes can multiply past either operand's size */
        rc = pn_mul_size("matmul", "the broadcast batch", p->batch, p->bshape[i], &p->batch);
        if (rc) return rc;
        int ia = i - (p->nb - na), ib = i - (p->nb - nbb);
        p->a_bstride[i] = ia < 0 || A->shape[ia] == 1 ? 0 : as[ia];
        p->b_bstride[i] = ib < 0 || B->shape[ib] == 1 ? 0 : bs[ib];
    }
    if (out_shape) {
        int k = 0;
        for (int i = 0; i < p->nb; i++) out_shape[k++] = p->bshape[i];
        if (A->ndim > 1) out_shape[k++] = p->M;
        if (B->ndim > 1) out_shape[k++] = p->N;
        *out_nd = k;
    }
    return PN_OK;
}

static int matmul_infer(pn_node *n)
{
    mm_plan p;
    int64_t shape[PN_MAX_DIMS];
    int nd = 0;
    int rc = mm_plan_make(n, &p, shape, &nd);
    return rc ? rc : pn_node_set_shape(n, nd, shape);
}

/* Offsets (in matrices) of operand a and b for batch index t. */
static void mm_offsets(const mm_plan *p, int64_t t, int64_t *oa, int64_t *ob)
{
    *oa = *ob = 0;
    for (int i = p->nb - 1; i >= 0; i--) {
        int64_t k = t % p->bshape[i];
        t /= p->bshape[i];
        *oa += k * p->a_bstride[i];
        *ob += k * p->b_bstride[i];
    }
}

static int matmul_forward(pn_node *n)
{
    mm_plan p;
    int rc = mm_plan_make(n, &p, NULL, NULL);
    if (rc) return rc;
    const pn_node *A = n->in[0], *B = n->in[1];
    int ta = (int)n->iattr[0] && A->ndim > 1, tb = (int)n->iattr[1] && B->ndim > 1;
    int64_t lda = ta ? p.M : p.K, ldb = tb ? p.K : p.N;
    for (int64_t t = 0; t < p.batch; t++) {
        int64_t oa, ob;
        mm_offsets(&p, t, &oa, &ob);
        pn_sgemm(ta, tb, p.M, p.N, p.K, 1.0f, A->data + oa * p.M * p.K, lda,
                 B->data + ob * p.K * p.N, ldb, 0.0f, n->data + t * p.M * p.N, p.N);
    }
    return PN_OK;
}

static int matmul_backward(pn_node *n)
{
    mm_plan p;
    int rc = mm_plan_make(n, &p, NULL, NULL);
    if (rc) return rc;
    pn_node *A = n->in[0], *B = n->in[1];
    int ta = (int)n->iattr[0] && A->ndim > 1, tb = (int)n->iattr[1] && B->ndim > 1;
    int64_t lda = ta ? p.M : p.K, ldb = tb ? p.K : p.N;
    for (int64_t t = 0; t < p.batch; t++) {
        int64_t oa, ob;
        mm_offsets(&p, t, &oa, &ob);
        const float *g = n->grad + t * p.M * p.N;
        if (A->requires_grad) {
            float *ga = A->grad + oa * p.M * p.K;
            if (ta) /* stored A is K x M: dAᵀ = op(B) · gᵀ */
                pn_sgemm(tb, 1, p.K, p.M, p.N, 1.0f, B->data + ob * p.K * p.N, ldb, g, p.N, 1.0f,
                         ga, lda);
            else /* dA = g · op(B)ᵀ */
                pn_sgemm(0, !tb, p.M, p.K, p.N, 1.0f, g, p.N, B->data + ob * p.K * p.N, ldb, 1.0f,
                         ga, lda);
        }
        if (B->requires_grad) {
            float *gb = B->grad + ob * p.K * p.N;
            if (tb) /* stored B is N x K: dBᵀ = gᵀ · op(A) */
                pn_sgemm(1, ta, p.N, p.K, p.M, 1.0f, g, p.N, A->data + oa * p.M * p.K, lda, 1.0f,
                         gb, ldb);
            else /* dB = op(A)ᵀ · g */
                pn_sgemm(!ta, 0, p.K, p.N, p.M, 1.0f, A->data + oa * p.M * p.K, lda, g, p.N, 1.0f,
                         gb, ldb);
        }
    }
    return PN_OK;
}

static const char *const matmul_inputs[] = {"a", "b", NULL};
static const pn_attr matmul_attrs[] = {{"transpose_a", PN_ATTR_BOOL, 0, 0},
                                       {"transpose_b", PN_ATTR_BOOL, 1, 0}, {NULL}};
/* x @ W with both 2-D and neither transposed acts row by row as x @ kernel:
 * affine (and row-wise while W is a constant, as dense's kernel). Other
 * layouts (batched matmuls, transposes) claim only linearity. */
static uint32_t matmul_traits(const pn_node *n)
{
    const pn_node *A = n->in[0], *B = n->in[1];
    if (A && B && A->ndim == 2 && B->ndim == 2 && !n->iattr[0] && !n->iattr[1])
        return PN_TRAIT_LINEAR | PN_TRAIT_ROWWISE | PN_TRAIT_AFFINE;
    return PN_TRAIT_LINEAR;
}
static const pn_op op_matmul = {"matmul", 2, matmul_infer, matmul_forward, matmul_backward, NULL,
                                matmul_inputs, matmul_attrs, PN_TRAIT_LINEAR, matmul_traits};

const pn_op *const pn_ops_matmul[] = {&op_matmul, NULL};
