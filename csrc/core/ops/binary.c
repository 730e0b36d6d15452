/* binary.c - elementwise binary ops with NumPy broadcasting:
 * add, sub, mul, div, maximum, minimum.
 *
 * Forward walks the output row by row (the last axis is the inner loop, with a
 * stride of 0 or 1 per operand). Backward forms each input's contribution at
 * output size and reduces it over the broadcast axes with pn_reduce_to. */
#include <math.h>
#include <string.h>

#include "ops/binary.h"

enum { ADD, SUB, MUL, DIV, MAX, MIN };

static int binary_infer(pn_node *n)
{
    int nd;
    int64_t shape[PN_MAX_DIMS];
    int rc = pn_broadcast_shapes(n->in[0]->ndim, n->in[0]->shape, n->in[1]->ndim,
                                 n->in[1]->shape, &nd, shape);
    if (rc) {
        char msg[1024];
        strncpy(msg, pn_last_error(), sizeof msg - 1);
        msg[sizeof msg - 1] = 0;
        return pn_error(PN_EVALUE, "%s: %s", n->op->name, msg);
    }
    return pn_node_set_shape(n, nd, shape);
}

/* Per-output-axis element strides of x (0 on broadcast axes). */
static void bcast_strides(const pn_node *out, const pn_node *x, int64_t *st)
{
    int64_t xs[PN_MAX_DIMS];
    pn_strides(x->ndim, x->shape, xs);
    int off = out->ndim - x->ndim;
    for (int i = 0; i < out->ndim; i++)
        st[i] = i < off || x->shape[i - off] == 1 ? 0 : xs[i - off];
}

static inline float apply(int kind, float a, float b)
{
    switch (kind) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAX: return a > b ? a : (b > a ? b : (a != a ? a : b));
    default: return a < b ? a : (b < a ? b : (a != a ? a : b));
    }
}

/* d out / d a and d out / d b at one element; ties of max/min split the gradient
 * in half, as PyTorch does. */
static inline void partials(int kind, float a, float b, float *da, float *db)
{
    switch (kind) {
    case ADD: *da = 1; *db = 1; break;
    case SUB: *da = 1; *db = -1; break;
    case MUL: *da = b; *db = a; break;
    case DIV: *da = 1 / b; *db = -a / (b * b); break;
    case MAX: *da = a > b ? 1.f : (a == b ? .5f : 0.f); *db = 1 - *da; break;
    default: *da = a < b ? 1.f : (a == b ? .5f : 0.f); *db = 1 - *da; break;
    }
}

/* Walks the output, calling BODY with i (output), ia, ib (operand offsets). */
#define BCAST_LOOP(n, ...)                                                               \
    do {                                                                                 \
        int64_t sa_[PN_MAX_DIMS], sb_[PN_MAX_DIMS], idx_[PN_MAX_DIMS] = {0};             \
        bcast_strides(n, n->in[0], sa_);                                                 \
        bcast_strides(n, n->in[1], sb_);                                                 \
        int nd_ = n->ndim;                                                               \
        int64_t inner_ = nd_ ? n->shape[nd_ - 1] : 1;                                    \
        int64_t ia_in_ = nd_ ? sa_[nd_ - 1] : 0, ib_in_ = nd_ ? sb_[nd_ - 1] : 0;        \
        int64_t oa_ = 0, ob_ = 0;                                                        \
        for (int64_t base_ = 0; base_ < n->size; base_ += inner_) {                      \
            for (int64_t j_ = 0; j_ < inner_; j_++) {                                    \
                int64_t i = base_ + j_, ia = oa_ + j_ * ia_in_, ib = ob_ + j_ * ib_in_;  \
                __VA_ARGS__;                                                             \
            }                                                                            \
            for (int d_ = nd_ - 2; d_ >= 0; d_--) {                                      \
                idx_[d_]++;                                                              \
                oa_ += sa_[d_];                                                          \
                ob_ += sb_[d_];                                                          \
                if (idx_[d_] < n->shape[d_]) break;                                      \
                oa_ -= sa_[d_] * idx_[d_];                                               \
                ob_ -= sb_[d_] * idx_[d_];                                               \
                idx_[d_] = 0;                                                            \
            }                                                                            \
        }                                                                                \
    } while (0)

static int binary_forward_kind(pn_node *n, int kind)
{
    const float *a = n->in[0]->data, *b = n->in[1]->data;
    float *y = n->data;
    if (n->in[0]->size == n->size && n->in[1]->size == n->size) {
        for (int64_t i = 0; i < n->size; i++) y[i] = apply(kind, a[i], b[i]);
        return PN_OK;
    }
    BCAST_LOOP(n, y[i] = apply(kind, a[ia], b[ib]));
    return PN_OK;
}

static int binary_backward_kind(pn_node *n, int kind)
{
    pn_node *A = n->in[0], *B = n->in[1];
    const float *a = A->data, *b = B->data, *g = n->grad;
    int same_a = A->size == n->size, same_b = B->size == n->size;
    /* Contributions at output size; written straight into an input's gradient
     * when that input is not broadcast. */
    float *tmp = NULL;
    if ((A->requires_grad && !same_a) || (B->requires_grad && !same_b)) {
        tmp = pn_node_scratch(n, sizeof(float) * (size_t)(n->size ? n->size : 1));
        if (!tmp) return PN_ENOMEM;
    }
    for (int side = 0; side < 2; side++) {
        pn_node *X = side ? B : A;
        if (!X->requires_grad) continue;
        int same = side ? same_b : same_a;
        float *dst = same ? X->grad : tmp;
        if (same) {
            BCAST_LOOP(n, {
                float da, db;
                partials(kind, a[ia], b[ib], &da, &db);
                dst[i] += g[i] * (side ? db : da);
            });
        } else {
            BCAST_LOOP(n, {
                float da, db;
                partials(kind, a[ia], b[ib], &da, &db);
                dst[i] = g[i] * (side ? db : da);
            });
            pn_reduce_to(tmp, n->ndim, n->shape, X->grad, X->ndim, X->shape);
        }
    }
    return PN_OK;
}

static const char *const two_inputs[] = {"a", "b", NULL};
#define DEFINE_BINARY(NAME, KIND, TRAITS)                                                   \
    static int NAME##_forward(pn_node *n) { return binary_forward_kind(n, KIND); }        \
    static int NAME##_backward(pn_node *n) { return binary_backward_kind(n, KIND); }      \
    static const pn_op op_##NAME = {#NAME, 2, binary_infer, NAME##_forward, NAME##_backward, \
                                    NULL, two_inputs, NULL, PN_TRAIT_BROADCAST | (TRAITS), NULL};

DEFINE_BINARY(add, ADD, PN_TRAIT_LINEAR)
DEFINE_BINARY(sub, SUB, PN_TRAIT_LINEAR)
DEFINE_BINARY(mul, MUL, 0)
DEFINE_BINARY(div, DIV, 0)
DEFINE_BINARY(maximum, MAX, 0)
DEFINE_BINARY(minimum, MIN, 0)

int pn_binary_linear_in(const pn_node *n, int k)
{
    return n->op == &op_add || n->op == &op_sub || n->op == &op_mul || (n->op == &op_div && k == 0);
}

int pn_binary_adds(const pn_node *n, int k) { return n->op == &op_add || (n->op == &op_sub && k == 0); }

const pn_op *const pn_ops_binary[] = {&op_add, &op_sub, &op_mul, &op_div,
                                      &op_maximum, &op_minimum, NULL};
