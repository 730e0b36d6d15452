/* cumulative.c - running sums and products along one axis (attribute axis, may be
 * negative); the shape is kept. The input is seen as (outer, L, inner) around the axis.
 *
 * cumsum: y_j = x_0 + ... + x_j, summed in order (NumPy's cumsum order, so an inf or
 *   NaN only reaches the outputs at and after it). Backward: dx_i = sum_{j >= i} g_j,
 *   the reversed running sum.
 * cumprod: y_j = x_0 * ... * x_j in order. Backward without dividing by x (zeros are
 *   common in masks): before the first zero z of a line, dx_i = (sum_{j >= i} g_j y_j)
 *   / x_i needs no zero guard since x_i != 0 there; at z, dx_z = y_{z-1} * sum_{j >= z}
 *   g_j prod_{z < k <= j} x_k (one forward scan); after z every y_j holds the factor
 *   x_z = 0, so dx is 0. O(L) per line either way. */
#include <string.h>

#include "pn.h"

static int cum_geometry(const pn_node *n, int64_t *L, int64_t *inner)
{
    const pn_node *x = n->in[0];
    int ax = 0;
    if (x->ndim == 0)
        return pn_error(PN_EVALUE, "%s: needs a tensor of rank >= 1, got a scalar", n->op->name);
    int rc = pn_norm_axis(n->op->name, n->iattr[0], x->ndim, &ax);
    if (rc) return rc;
    *L = x->shape[ax];
    *inner = 1;
    for (int d = ax + 1; d < x->ndim; d++) *inner *= x->shape[d];
    return PN_OK;
}

static int cum_infer(pn_node *n)
{
    int64_t L = 0, inner = 1;
    int rc = cum_geometry(n, &L, &inner);
    if (rc) return rc;
    return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

/* Line r of the op starts at line_base(r) and steps by inner. */
static int64_t line_base(int64_t r, int64_t L, int64_t inner)
{
    return (r / inner) * L * inner + r % inner;
}

static int cumsum_forward(pn_node *n)
{
    int64_t L = 0, inner = 1;
    int rc = cum_geometry(n, &L, &inner);
    if (rc) return rc;
    const float *x = n->in[0]->data;
    for (int64_t r = 0, lines = L ? n->size / L : 0; r < lines; r++) {
        const int64_t base = line_base(r, L, inner);
        float s = 0.0f;
        for (int64_t j = 0; j < L; j++) {
            s += x[base + j * inner];
            n->data[base + j * inner] = s;
        }
    }
    return PN_OK;
}

static int cumsum_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad) return PN_OK;
    int64_t L = 0, inner = 1;
    int rc = cum_geometry(n, &L, &inner);
    if (rc) return rc;
    const float *g = n->grad;
    for (int64_t r = 0, lines = L ? n->size / L : 0; r < lines; r++) {
        const int64_t base = line_base(r, L, inner);
        float s = 0.0f;
        for (int64_t j = L - 1; j >= 0; j--) {
            s += g[base + j * inner];
            X->grad[base + j * inner] += s;
        }
    }
    return PN_OK;
}

static int cumprod_forward(pn_node *n)
{
    int64_t L = 0, inner = 1;
    int rc = cum_geometry(n, &L, &inner);
    if (rc) return rc;
    const float *x = n->in[0]->data;
    for (int64_t r = 0, lines = L ? n->size / L : 0; r < lines; r++) {
        const int64_t base = line_base(r, L, inner);
        float p = 1.0f;
        for (int64_t j = 0; j < L; j++) {
            p *= x[base + j * inner];
            n->data[base + j * inner] = p;
        }
    }
    return PN_OK;
}

static int cumprod_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad) return PN_OK;
    int64_t L = 0, inner = 1;
    int rc = cum_geometry(n, &L, &inner);
    if (rc) return rc;
    const float *x = X->data, *y = n->data, *g = n->grad;
    for (int64_t r = 0, lines = L ? n->size / L : 0; r < lines; r++) {
        const int64_t base = line_base(r, L, inner);
        int64_t z = 0;
        while (z < L && x[base + z * inner] != 0.0f) z++;
        if (z < L) { /* the first zero's own gradient, by a forward scan */
            float before = z > 0 ? y[base + (z - 1) * inner] : 1.0f, run = 1.0f, s = 0.0f;
            for (int64_t j = z; j < L; j++) {
                if (j > z) run *= x[base + j * inner];
                s += g[base + j * inner] * run;
            }
            X->grad[base + z * inner] += before * s;
        }
        /* before the first zero: the reversed running sum of g * y (whose terms from
         * z on are 0, as y is), divided by x_i != 0 */
        float s = 0.0f;
        for (int64_t j = L - 1; j >= 0; j--) {
            s += g[base + j * inner] * y[base + j * inner];
            if (j < z) X->grad[base + j * inner] += s / x[base + j * inner];
        }
    }
    return PN_OK;
}

/* Slot: axis iattr[0]. */
static const char *const one_input[] = {"x", NULL};
static const pn_attr cum_attrs[] = {{"axis", PN_ATTR_INT, 0, -1}, {NULL}};
static const pn_op op_cumsum = {"cumsum", 1, cum_infer, cumsum_forward, cumsum_backward, NULL,
                                one_input, cum_attrs, 0, NULL};
static const pn_op op_cumprod = {"cumprod", 1, cum_infer, cumprod_forward, cumprod_backward,
                                 NULL, one_input, cum_attrs, 0, NULL};

const pn_op *const pn_ops_cumulative[] = {&op_cumsum, &op_cumprod, NULL};
