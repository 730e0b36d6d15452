/* select.c - ops that pick values rather than compute them:
 *
 * where(cond, x, y): cond != 0 ? x : y elementwise; the three inputs have one
 *   shape (pynn.ops.where broadcasts them first with broadcast_to, whose backward
 *   sums the gradient back). The gradient goes to x where cond holds and to y
 *   elsewhere; cond gets none. A NaN in cond counts as true (it is not 0), as
 *   NumPy's bool(nan).
 * argmax / argmin (attribute axis, may be negative): the index of the first
 *   largest / smallest value along the axis, as a float; the axis is removed.
 *   A NaN wins (NumPy returns the first NaN's index). No gradient. */
#include <math.h>
#include <string.h>

#include "pn.h"

static int same_shape(const pn_node *a, const pn_node *b)
{
    return a->ndim == b->ndim && memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) == 0;
}

static int where_infer(pn_node *n)
{
    char a[128], b[128], c[128];
    pn_node *C = n->in[0], *X = n->in[1], *Y = n->in[2];
    if (!same_shape(C, X) || !same_shape(C, Y))
        return pn_error(PN_EVALUE, "where: condition %s, x %s and y %s must have one shape",
                        pn_shape_str(a, C->ndim, C->shape), pn_shape_str(b, X->ndim, X->shape),
                        pn_shape_str(c, Y->ndim, Y->shape));
    return pn_node_set_shape(n, X->ndim, X->shape);
}

static int where_forward(pn_node *n)
{
    const float *c = n->in[0]->data, *x = n->in[1]->data, *y = n->in[2]->data;
    for (int64_t i = 0; i < n->size; i++) n->data[i] = c[i] != 0 ? x[i] : y[i];
    return PN_OK;
}

static int where_backward(pn_node *n)
{
    const float *c = n->in[0]->data, *g = n->grad;
    pn_node *X = n->in[1], *Y = n->in[2];
    if (X->requires_grad)
        for (int64_t i = 0; i < n->size; i++) X->grad[i] += c[i] != 0 ? g[i] : 0.0f;
    if (Y->requires_grad)
        for (int64_t i = 0; i < n->size; i++) Y->grad[i] += c[i] != 0 ? 0.0f : g[i];
    return PN_OK;
}

static const char *const where_inputs[] = {"condition", "x1", "x2", NULL};
static const pn_op op_where = {"where", 3, where_infer, where_forward, where_backward, NULL,
                               where_inputs, NULL, 0, NULL};

/* ---------------------------------------------------------------- argmax / argmin
 * The input is seen as (outer, L, inner) around the axis. */
static int arg_geometry(const pn_node *n, int *ax, int64_t *L, int64_t *inner)
{
    const pn_node *x = n->in[0];
    if (x->ndim == 0)
        return pn_error(PN_EVALUE, "%s: needs a tensor of rank >= 1, got a scalar", n->op->name);
    int rc = pn_norm_axis(n->op->name, n->iattr[0], x->ndim, ax);
    if (rc) return rc;
    *L = x->shape[*ax];
    *inner = 1;
    for (int d = *ax + 1; d < x->ndim; d++) *inner *= x->shape[d];
    return PN_OK;
}

static int arg_infer(pn_node *n)
{
    int ax = 0;
    int64_t L = 0, inner = 1, shape[PN_MAX_DIMS];
    int rc = arg_geometry(n, &ax, &L, &inner);
    if (rc) return rc;
    if (L == 0)
        return pn_error(PN_EVALUE, "%s: axis %lld has length 0 (no index to return)",
                        n->op->name, (long long)n->iattr[0]);
    int nd = 0;
    for (int d = 0; d < n->in[0]->ndim; d++)
        if (d != ax) shape[nd++] = n->in[0]->shape[d];
    return pn_node_set_shape(n, nd, shape);
}

static int arg_forward(pn_node *n)
{
    int ax = 0;
    int64_t L = 0, inner = 1;
    int rc = arg_geometry(n, &ax, &L, &inner);
    if (rc) return rc;
    const int want_min = strcmp(n->op->name, "argmin") == 0;
    const float *x = n->in[0]->data;
    for (int64_t r = 0; r < n->size; r++) {
        const float *row = x + (r / inner) * L * inner + r % inner;
        int64_t k = 0;
        float best = row[0];
        for (int64_t j = 1; j < L && best == best; j++) {
            float v = row[j * inner];
            if (v != v || (want_min ? v < best : v > best)) {
                best = v;
                k = j;
            }
        }
        n->data[r] = (float)k;
    }
    return PN_OK;
}

/* Slot: axis iattr[0]. */
static const char *const one_input[] = {"x", NULL};
static const pn_attr arg_attrs[] = {{"axis", PN_ATTR_INT, 0, -1}, {NULL}};
static const pn_op op_argmax = {"argmax", 1, arg_infer, arg_forward, NULL, NULL, one_input,
                                arg_attrs, 0, NULL};
static const pn_op op_argmin = {"argmin", 1, arg_infer, arg_forward, NULL, NULL, one_input,
                                arg_attrs, 0, NULL};

const pn_op *const pn_ops_select[] = {&op_where, &op_argmax, &op_argmin, NULL};
