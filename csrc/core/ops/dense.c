/* dense.c - the fused Dense op: y = act(x · W + b) as one node.
 *
 * Inputs x (..., K), kernel W (K, N) (Keras' layout), optional bias b (N).
 * Attributes (slots in the descriptor at the end): activation (one of
 * pn_fused_activations), approximate (gelu's tanh form), alpha (leaky_relu's
 * slope, elu's alpha; NaN: the Keras default).
 * The leading axes of x are one batch of M rows: one GEMM, whatever the rank.
 *
 * Forward: one GEMM into the pre-activation buffer, then one pass over the
 * output rows that adds the bias and applies the activation (bias_act.c). Backward: one pass forms dpre = dy * act'(pre), then db = Σ_rows dpre,
 * dW += xᵀ·dpre and dx += dpre·Wᵀ, the transposes absorbed by GEMM's packing.
 *
 * Numerics are the unfused graph's, bit for bit (2-D x): the same GEMM calls,
 * the activation from the one table both use (activation.h), the bias added
 * after the product and its gradient summed row by row in the same order as
 * the broadcast add's backward. What fusion saves is two nodes' buffers and
 * gradients, two passes over memory and two op dispatches per layer.
 *
 * Memory: relu, relu6 and linear get their derivative from the output
 * (pn_act_from_output), so they keep no pre-activation; the others keep it in
 * the node's scratch. The scratch also holds dpre when a gradient will flow,
 * so backward never allocates. */
#include <math.h>
#include <string.h>

#include "bias_act.h"
#include "dense.h"

/* Output columns per task of the bias gradient (rows are summed in order). */
#define DENSE_GRAIN 16384

typedef struct {
    int64_t M, K, N;
    int act, flag;
    float a;
    int keep_pre; /* pre-activation stored apart from y */
    int grad;     /* a gradient will flow: room for dpre */
} dense_plan;

static int dense_plan_make(const pn_node *n, dense_plan *p)
{
    const pn_node *x = n->in[0], *w = n->in[1];
    char sx[128], sw[128];
    if (n->n_in != 2 && n->n_in != 3)
        return pn_error(PN_EVALUE, "dense takes x, kernel and an optional bias, got %d inputs",
                        n->n_in);
    if (x->ndim < 2)
        return pn_error(PN_EVALUE, "dense: x must have at least 2 dimensions (batch, features), got %s",
                        pn_shape_str(sx, x->ndim, x->shape));
    if (w->ndim != 2 || w->shape[0] != x->shape[x->ndim - 1])
        return pn_error(PN_EVALUE, "dense: kernel must have shape (%lld, units) for x of shape %s, got %s",
                        (long long)x->shape[x->ndim - 1], pn_shape_str(sx, x->ndim, x->shape),
                        pn_shape_str(sw, w->ndim, w->shape));
    if (n->n_in == 3 && (n->in[2]->ndim != 1 || n->in[2]->shape[0] != w->shape[1]))
        return pn_error(PN_EVALUE, "dense: bias must have shape (%lld,), got %s", (long long)w->shape[1],
                        pn_shape_str(sx, n->in[2]->ndim, n->in[2]->shape));
    if (n->iattr[0] < 0 || n->iattr[0] >= PN_N_ACTS) /* the binding checks the name */
        return pn_error(PN_EVALUE, "dense: unknown activation id %lld", (long long)n->iattr[0]);
    p->K = w->shape[0];
    p->N = w->shape[1];
    p->M = 1;
    for (int d = 0; d < x->ndim - 1; d++) p->M *= x->shape[d];
    p->act = (int)n->iattr[0];
    p->flag = (int)n->iattr[1];
    p->a = pn_act_param(p->act, n->fattr[0]);
    p->keep_pre = !pn_act_from_output(p->act);
    p->grad = n->requires_grad && p->act != PN_ACT_linear; /* linear: dpre is dy itself */
    return PN_OK;
}

static int dense_infer(pn_node *n)
{
    dense_plan p = {0};
    int rc = dense_plan_make(n, &p);
    if (rc) return rc;
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, n->in[0]->shape, sizeof shape);
    shape[n->in[0]->ndim - 1] = p.N;
    return pn_node_set_shape(n, n->in[0]->ndim, shape);
}

/* Scratch: [pre (M*N) if keep_pre][dpre (M*N) if grad]. One layout for both
 * passes, sized in forward. */
static size_t scratch_floats(const dense_plan *p)
{
    return (size_t)(p->M * p->N) * (size_t)(p->keep_pre + p->grad);
}

static int dense_forward(pn_node *n)
{
    dense_plan p = {0};
    int rc = dense_plan_make(n, &p);
    if (rc) return rc;
    float *scratch = NULL;
    if (scratch_floats(&p)) {
        scratch = pn_node_scratch(n, sizeof(float) * scratch_floats(&p));
        if (!scratch) return PN_ENOMEM;
    }
    float *pre = p.keep_pre ? scratch : n->data;
    pn_sgemm(0, 0, p.M, p.N, p.K, 1.0f, n->in[0]->data, p.K, n->in[1]->data, p.N, 0.0f, pre, p.N);
    pn_bias_act_forward(p.act, p.a, p.flag, pre, n->data, n->n_in == 3 ? n->in[2]->data : NULL,
                        p.M, p.N);
    return PN_OK;
}

typedef struct {
    const float *dpre;
    float *db;
    int64_t M, N;
} bias_ctx;

/* db[j] += Σ_r dpre[r, j], rows in order (as pn_reduce_to sums a broadcast
 * add's gradient), so splitting the columns over threads changes no bit. */
static void bias_grad_range(void *ctx, int64_t lo, int64_t hi)
{
    const bias_ctx *c = ctx;
    for (int64_t r = 0; r < c->M; r++) {
        const float *d = c->dpre + r * c->N;
        for (int64_t j = lo; j < hi; j++) c->db[j] += d[j];
    }
}

static int dense_backward(pn_node *n)
{
    dense_plan p = {0};
    int rc = dense_plan_make(n, &p);
    if (rc) return rc;
    pn_node *X = n->in[0], *W = n->in[1], *B = n->n_in == 3 ? n->in[2] : NULL;
    const float *dpre = n->grad;
    if (p.act != PN_ACT_linear) {
        if (!n->saved || n->saved_bytes < sizeof(float) * scratch_floats(&p))
            return pn_error(PN_EINTERNAL, "dense: backward without its forward");
        float *scratch = n->saved, *dp = scratch + (p.keep_pre ? p.M * p.N : 0);
        pn_act_backward(p.act, p.a, p.flag, p.keep_pre ? scratch : n->data, n->data, n->grad, dp,
                        p.M * p.N);
        dpre = dp;
    }
    if (B && B->requires_grad) {
        bias_ctx bc = {dpre, B->grad, p.M, p.N};
        int64_t grain = p.M ? DENSE_GRAIN / p.M : 1;
        pn_parallel_for(p.N, grain > 1 ? grain : 1, bias_grad_range, &bc);
    }
    if (W->requires_grad) /* dW = xᵀ · dpre */
        pn_sgemm(1, 0, p.K, p.N, p.M, 1.0f, X->data, p.K, dpre, p.N, 1.0f, W->grad, p.N);
    if (X->requires_grad) /* dx = dpre · Wᵀ */
        pn_sgemm(0, 1, p.M, p.K, p.N, 1.0f, dpre, p.N, W->data, p.N, 1.0f, X->grad, p.K);
    return PN_OK;
}

static const char *const dense_inputs[] = {"x", "kernel", "bias?", NULL};
static const pn_attr dense_attrs[] = {
    {"activation", PN_ATTR_ENUM, 0, 0, 0, pn_fused_activations},
    {"approximate", PN_ATTR_BOOL, 1, 0},
    {"alpha", PN_ATTR_FLOAT, 0, NAN},
    {NULL}};
static const pn_op op_dense = {"dense", -1, dense_infer, dense_forward, dense_backward, NULL,
                               dense_inputs, dense_attrs,
                               PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS | PN_TRAIT_AFFINE, NULL};

float *pn_dense_grad_pre(pn_node *n)
{
    dense_plan p = {0};
    if (n->op != &op_dense) return n->grad; /* no fused activation: its output gradient */
    if (dense_plan_make(n, &p)) return NULL;
    if (p.act == PN_ACT_linear) return n->grad;
    if (!p.grad || !n->saved || n->saved_bytes < sizeof(float) * scratch_floats(&p)) return NULL;
    return (float *)n->saved + (p.keep_pre ? p.M * p.N : 0);
}

const pn_op *const pn_ops_dense[] = {&op_dense, NULL};
