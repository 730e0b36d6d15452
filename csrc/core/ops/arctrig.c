/* arctrig.c - the inverse trigonometric ops: arctan, arcsin, arccos (one input)
 * and arctan2(y, x) (two inputs, NumPy broadcasting), keras.ops' names.
 *
 * Values are libm's atanf / asinf / acosf / atan2f (correctly rounded to
 * within an ulp; outside [-1, 1] arcsin and arccos are NaN, as in NumPy).
 * Derivatives:
 *   arctan'(x)  =  1 / (1 + x^2)
 *   arcsin'(x)  =  1 / sqrt(1 - x^2)    (inf at |x| = 1, NaN beyond, as torch)
 *   arccos'(x)  = -1 / sqrt(1 - x^2)
 *   d atan2(y, x) / dy =  x / (x^2 + y^2),  d / dx = -y / (x^2 + y^2)
 * The squares are formed in double: in float, x^2 overflows for |x| > 1.8e19
 * and the gradient of arctan2 would turn into 0 * inf = NaN. At the origin the
 * angle has no derivative; both partials are 0 there, as torch's (not 0 / 0).
 *
 * arctan2 walks its output once with per-operand strides (0 on broadcast axes);
 * backward accumulates each element's partials straight into the operands'
 * gradients at those offsets, in order, so a broadcast operand's sum does not
 * depend on the thread count (the loop is serial; these ops are not hot). */
#include <math.h>
#include <string.h>

#include "pn.h"

/* ---------------------------------------------------------------- arctan, arcsin, arccos */
enum { ARCTAN, ARCSIN, ARCCOS };

static int arc_infer(pn_node *n) { return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape); }

static float arc_value(int kind, float x)
{
    switch (kind) {
    case ARCTAN: return atanf(x);
    case ARCSIN: return asinf(x);
    default: return acosf(x);
    }
}

static float arc_deriv(int kind, float x)
{
    double xd = x;
    switch (kind) {
    case ARCTAN: return (float)(1.0 / (1.0 + xd * xd));
    case ARCSIN: return (float)(1.0 / sqrt(1.0 - xd * xd));
    default: return (float)(-1.0 / sqrt(1.0 - xd * xd));
    }
}

static int arc_forward_kind(pn_node *n, int kind)
{
    const float *x = n->in[0]->data;
    float *y = n->data;
    for (int64_t i = 0; i < n->size; i++) y[i] = arc_value(kind, x[i]);
    return PN_OK;
}

static int arc_backward_kind(pn_node *n, int kind)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    const float *x = n->in[0]->data, *g = n->grad;
    float *gx = n->in[0]->grad;
    for (int64_t i = 0; i < n->size; i++) gx[i] += g[i] * arc_deriv(kind, x[i]);
    return PN_OK;
}

static const char *const one_input[] = {"x", NULL};
#define DEFINE_ARC(NAME, KIND)                                                              \
    static int NAME##_forward(pn_node *n) { return arc_forward_kind(n, KIND); }           \
    static int NAME##_backward(pn_node *n) { return arc_backward_kind(n, KIND); }         \
    static const pn_op op_##NAME = {#NAME, 1, arc_infer, NAME##_forward, NAME##_backward,  \
                                    NULL, one_input, NULL, PN_TRAIT_ROWWISE, NULL};

DEFINE_ARC(arctan, ARCTAN)
DEFINE_ARC(arcsin, ARCSIN)
DEFINE_ARC(arccos, ARCCOS)

/* ---------------------------------------------------------------- arctan2 */
static int arctan2_infer(pn_node *n)
{
    int nd;
    int64_t shape[PN_MAX_DIMS];
    if (pn_broadcast_shapes(n->in[0]->ndim, n->in[0]->shape, n->in[1]->ndim, n->in[1]->shape,
                            &nd, shape)) {
        char msg[1024];
        strncpy(msg, pn_last_error(), sizeof msg - 1);
        msg[sizeof msg - 1] = 0;
        return pn_error(PN_EVALUE, "arctan2: %s", msg);
    }
    return pn_node_set_shape(n, nd, shape);
}

/* Element strides of operand x along each output axis (0 where x is broadcast). */
static void operand_strides(const pn_node *out, const pn_node *x, int64_t *st)
{
    int64_t xs[PN_MAX_DIMS];
    pn_strides(x->ndim, x->shape, xs);
    int off = out->ndim - x->ndim;
    for (int i = 0; i < out->ndim; i++)
        st[i] = i < off || x->shape[i - off] == 1 ? 0 : xs[i - off];
}

/* Calls visit(n, i, ia, ib) for each output element i with the offsets of
 * the two operands' elements that make it, in output order. */
typedef void (*arctan2_visit)(pn_node *n, int64_t i, int64_t ia, int64_t ib);
static void arctan2_walk(pn_node *n, arctan2_visit visit)
{
    int64_t sa[PN_MAX_DIMS], sb[PN_MAX_DIMS], idx[PN_MAX_DIMS] = {0};
    operand_strides(n, n->in[0], sa);
    operand_strides(n, n->in[1], sb);
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < n->size; i++) {
        visit(n, i, ia, ib);
        for (int d = n->ndim - 1; d >= 0; d--) { /* odometer step */
            idx[d]++;
            ia += sa[d];
            ib += sb[d];
            if (idx[d] < n->shape[d]) break;
            ia -= sa[d] * idx[d];
            ib -= sb[d] * idx[d];
            idx[d] = 0;
        }
    }
}

static void arctan2_value_at(pn_node *n, int64_t i, int64_t ia, int64_t ib)
{
    n->data[i] = atan2f(n->in[0]->data[ia], n->in[1]->data[ib]);
}

static void arctan2_grad_at(pn_node *n, int64_t i, int64_t ia, int64_t ib)
{
    double y = n->in[0]->data[ia], x = n->in[1]->data[ib];
    double r2 = x * x + y * y;
    double g = r2 > 0 ? n->grad[i] / r2 : 0.0;
    if (n->in[0]->requires_grad) n->in[0]->grad[ia] += (float)(g * x);
    if (n->in[1]->requires_grad) n->in[1]->grad[ib] += (float)(-g * y);
}

static int arctan2_forward(pn_node *n)
{
    arctan2_walk(n, arctan2_value_at);
    return PN_OK;
}

static int arctan2_backward(pn_node *n)
{
    if (n->in[0]->requires_grad || n->in[1]->requires_grad) arctan2_walk(n, arctan2_grad_at);
    return PN_OK;
}

static const char *const arctan2_inputs[] = {"x1", "x2", NULL};
static const pn_op op_arctan2 = {"arctan2", 2, arctan2_infer, arctan2_forward, arctan2_backward,
                                 NULL, arctan2_inputs, NULL, PN_TRAIT_BROADCAST, NULL};

const pn_op *const pn_ops_arctrig[] = {&op_arctan, &op_arcsin, &op_arccos, &op_arctan2, NULL};
