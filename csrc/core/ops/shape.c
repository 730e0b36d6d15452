/* shape.c - ops that move values without computing on them:
 * reshape, transpose, slice, take, concatenate, stack, broadcast_to; and arange_like,
 * the positions along a tensor's first axis.
 *
 * Every shape is re-derived from the inputs and the attributes in infer_shape,
 * never cached from the first call: the compiled driver re-runs infer_shape
 * whenever the batch size changes, so a layer's reshape to (-1, 8) or a slice
 * with an open stop must follow the new batch.
 *
 * transpose, slice and broadcast_to are all "read the input through a strided
 * view" (a base offset plus one element stride per output axis, 0 for axes
 * that repeat a value), so they share strided_walk for forward (gather) and
 * backward (scatter-add). Scatter-add is also correct for broadcast_to, whose
 * view visits an input element many times: each visit adds its share. */
#include <math.h>
#include <string.h>

#include "pn.h"

/* Sentinel for an omitted slice bound (Python's None); see slice below. */
#define PN_SLICE_NONE INT64_MIN

enum { SL_SLICE = 0, SL_INDEX = 1, SL_NEWAXIS = 2 };

/* dense[i] = strided[off(i)] (gather) or strided[off(i)] += dense[i] (scatter),
 * where off(i) = base + sum_d idx_d(i) * st[d] over the output shape. */
static void strided_walk(int nd, const int64_t *shape, const int64_t *st, int64_t base,
                         float *dense, float *strided, int scatter)
{
    int64_t total = 1;
    for (int d = 0; d < nd; d++) total *= shape[d];
    if (total == 0) return;
    if (nd == 0) {
        if (scatter) strided[base] += dense[0];
        else dense[0] = strided[base];
        return;
    }
    int64_t inner = shape[nd - 1], ist = st[nd - 1], off = base;
    int64_t idx[PN_MAX_DIMS] = {0};
    for (int64_t i = 0; i < total; i += inner) {
        if (scatter)
            for (int64_t j = 0; j < inner; j++) strided[off + j * ist] += dense[i + j];
        else
            for (int64_t j = 0; j < inner; j++) dense[i + j] = strided[off + j * ist];
        for (int d = nd - 2; d >= 0; d--) {
            idx[d]++;
            off += st[d];
            if (idx[d] < shape[d]) break;
            off -= st[d] * idx[d];
            idx[d] = 0;
        }
    }
}

static int copy_error(const char *op, const char *what)
{
    char msg[1024];
    strncpy(msg, pn_last_error(), sizeof msg - 1);
    msg[sizeof msg - 1] = 0;
    return pn_error(PN_EVALUE, "%s: %s%s", op, what, msg);
}

/* ------------------------------------------------------------------ reshape
 * shape (iv): the target shape; one entry may be -1 (inferred from the input size). */

static int reshape_infer(pn_node *n)
{
    const pn_node *x = n->in[0];
    int64_t shape[PN_MAX_DIMS];
    char sx[128], st[128];
    if (n->n_iv > PN_MAX_DIMS)
        return pn_error(PN_EVALUE, "reshape: target rank %lld exceeds the maximum of %d",
                        (long long)n->n_iv, PN_MAX_DIMS);
    int nd = (int)n->n_iv, unknown = -1;
    int64_t known = 1;
    for (int i = 0; i < nd; i++) {
        shape[i] = n->iv[i];
        if (shape[i] == -1) {
            if (unknown >= 0)
                return pn_error(PN_EVALUE, "reshape: can only specify one unknown dimension (-1), got %s",
                                pn_shape_str(st, nd, n->iv));
            unknown = i;
        } else if (shape[i] < 0) {
            return pn_error(PN_EVALUE, "reshape: negative dimension %lld in target shape %s",
                            (long long)shape[i], pn_shape_str(st, nd, n->iv));
        } else {
            int rc = pn_mul_size("reshape", "the target shape", known, shape[i], &known);
            if (rc) return rc;
        }
    }
    if (unknown >= 0) {
        if (known == 0 || x->size % known != 0)
            return pn_error(PN_EVALUE, "reshape: cannot reshape a tensor of shape %s (%lld elements) "
                            "into shape %s", pn_shape_str(sx, x->ndim, x->shape),
                            (long long)x->size, pn_shape_str(st, nd, n->iv));
        shape[unknown] = x->size / known;
    } else if (known != x->size) {
        return pn_error(PN_EVALUE, "reshape: cannot reshape a tensor of shape %s (%lld elements) "
                        "into shape %s (%lld elements)", pn_shape_str(sx, x->ndim, x->shape),
                        (long long)x->size, pn_shape_str(st, nd, n->iv), (long long)known);
    }
    return pn_node_set_shape(n, nd, shape);
}

static int reshape_forward(pn_node *n)
{
    if (n->size) memcpy(n->data, n->in[0]->data, sizeof(float) * (size_t)n->size);
    return PN_OK;
}

static int reshape_backward(pn_node *n)
{
    pn_node *x = n->in[0];
    if (!x->requires_grad) return PN_OK;
    for (int64_t i = 0; i < n->size; i++) x->grad[i] += n->grad[i];
    return PN_OK;
}

/* ------------------------------------------------------------------ transpose
 * axes (iv): the permutation (output axis i is input axis iv[i], negatives
 * allowed); empty axes reverse the axes, as NumPy does. */

static int transpose_perm(const pn_node *n, int *perm)
{
    const pn_node *x = n->in[0];
    int nd = x->ndim;
    if (n->n_iv == 0) {
        for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
        return PN_OK;
    }
    char sx[128];
    if (n->n_iv != nd)
        return pn_error(PN_EVALUE, "transpose: axes has %lld entries but the input of shape %s has %d "
                        "dimensions", (long long)n->n_iv, pn_shape_str(sx, nd, x->shape), nd);
    int seen[PN_MAX_DIMS] = {0};
    for (int i = 0; i < nd; i++) {
        int rc = pn_norm_axis("transpose", n->iv[i], nd, &perm[i]);
        if (rc) return rc;
        if (seen[perm[i]]++)
            return pn_error(PN_EVALUE, "transpose: repeated axis %lld in axes", (long long)n->iv[i]);
    }
    return PN_OK;
}

/* The input seen through the permutation: output shape and input strides. */
static int transpose_view(const pn_node *n, int64_t *shape, int64_t *st)
{
    int perm[PN_MAX_DIMS];
    int rc = transpose_perm(n, perm);
    if (rc) return rc;
    int64_t xs[PN_MAX_DIMS];
    pn_strides(n->in[0]->ndim, n->in[0]->shape, xs);
    for (int i = 0; i < n->in[0]->ndim; i++) {
        shape[i] = n->in[0]->shape[perm[i]];
        st[i] = xs[perm[i]];
    }
    return PN_OK;
}

static int transpose_infer(pn_node *n)
{
    int64_t shape[PN_MAX_DIMS], st[PN_MAX_DIMS];
    int rc = transpose_view(n, shape, st);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, shape);
}

static int transpose_forward(pn_node *n)
{
    int64_t shape[PN_MAX_DIMS], st[PN_MAX_DIMS];
    int rc = transpose_view(n, shape, st);
    if (!rc) strided_walk(n->ndim, shape, st, 0, n->data, n->in[0]->data, 0);
    return rc;
}

static int transpose_backward(pn_node *n)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    int64_t shape[PN_MAX_DIMS], st[PN_MAX_DIMS];
    int rc = transpose_view(n, shape, st);
    if (!rc) strided_walk(n->ndim, shape, st, 0, n->grad, n->in[0]->grad, 1);
    return rc;
}

/* ------------------------------------------------------------------ slice
 * NumPy basic indexing. index (iv) holds groups of four (kind, a, b, c), one group per
 * index item, consumed left to right against the input axes:
 *   SL_SLICE   a:b:c with NumPy semantics (negative bounds count from the end,
 *              out-of-range bounds clip, c may be negative; PN_SLICE_NONE
 *              (INT64_MIN) marks an omitted bound or step);
 *   SL_INDEX   integer a (negative counts from the end), drops the axis;
 *   SL_NEWAXIS inserts an axis of length 1 and consumes no input axis.
 * Input axes left over are taken whole. Bounds are resolved against the
 * current shape on every infer, so an open slice follows the batch size. */

typedef struct {
    int nd;
    int64_t shape[PN_MAX_DIMS], st[PN_MAX_DIMS];
    int64_t base;
} view;

static int slice_view(const pn_node *n, view *v)
{
    const pn_node *x = n->in[0];
    int64_t xs[PN_MAX_DIMS];
    pn_strides(x->ndim, x->shape, xs);
    char sx[128];
    if (n->n_iv % 4)
        return pn_error(PN_EVALUE, "slice: index attribute must hold groups of 4, got %lld values",
                        (long long)n->n_iv);
    int64_t items = n->n_iv / 4, consumed = 0;
    for (int64_t k = 0; k < items; k++)
        consumed += n->iv[4 * k] != SL_NEWAXIS;
    if (consumed > x->ndim)
        return pn_error(PN_EINDEX, "slice: too many indices for a tensor of shape %s: it has %d "
                        "dimensions but %lld were indexed", pn_shape_str(sx, x->ndim, x->shape),
                        x->ndim, (long long)consumed);
    v->nd = 0;
    v->base = 0;
    int ax = 0;
    for (int64_t k = 0; k <= items; k++) {
        /* past the last item: the remaining axes, whole */
        int64_t kind = k < items ? n->iv[4 * k] : -1;
        if (kind == -1) {
            for (; ax < x->ndim; ax++) {
                if (v->nd >= PN_MAX_DIMS) goto too_many;
                v->shape[v->nd] = x->shape[ax];
                v->st[v->nd++] = xs[ax];
            }
            break;
        }
        int64_t a = n->iv[4 * k + 1], b = n->iv[4 * k + 2], c = n->iv[4 * k + 3];
        if (kind == SL_NEWAXIS) {
            if (v->nd >= PN_MAX_DIMS) goto too_many;
            v->shape[v->nd] = 1;
            v->st[v->nd++] = 0;
        } else if (kind == SL_INDEX) {
            int64_t len = x->shape[ax];
            int64_t i = a < 0 ? a + len : a;
            if (i < 0 || i >= len)
                return pn_error(PN_EINDEX, "slice: index %lld is out of bounds for axis %d with size %lld",
                                (long long)a, ax, (long long)len);
            v->base += i * xs[ax];
            ax++;
        } else if (kind == SL_SLICE) {
            int64_t len = x->shape[ax];
            int64_t step = c == PN_SLICE_NONE ? 1 : c;
            if (step == 0) return pn_error(PN_EVALUE, "slice: slice step cannot be zero");
            int64_t start, stop;
            /* Python's PySlice_AdjustIndices: with a negative step the
             * "before the first element" position is -1. */
            if (a == PN_SLICE_NONE) start = step < 0 ? len - 1 : 0;
            else {
                start = a < 0 ? a + len : a;
                if (start < 0) start = step < 0 ? -1 : 0;
                else if (start >= len) start = step < 0 ? len - 1 : len;
            }
            if (b == PN_SLICE_NONE) stop = step < 0 ? -1 : len;
            else {
                stop = b < 0 ? b + len : b;
                if (stop < 0) stop = step < 0 ? -1 : 0;
                else if (stop >= len) stop = step < 0 ? len - 1 : len;
            }
            int64_t cnt = 0;
            if (step > 0 && start < stop) cnt = (stop - start - 1) / step + 1;
            if (step < 0 && stop < start) cnt = (start - stop - 1) / (-step) + 1;
            if (v->nd >= PN_MAX_DIMS) goto too_many;
            /* with two or more elements |step| < len, so step * stride stays
             * inside the tensor; with fewer the step is never used (and a step
             * near 2^63 times the stride would overflow) */
            if (cnt < 2) step = 1;
            v->shape[v->nd] = cnt;
            v->st[v->nd++] = step * xs[ax];
            if (cnt) v->base += start * xs[ax];
            ax++;
        } else {
            return pn_error(PN_EVALUE, "slice: unknown index kind %lld", (long long)kind);
        }
    }
    return PN_OK;
too_many:
    return pn_error(PN_EVALUE, "slice: the result would have more than %d dimensions", PN_MAX_DIMS);
}

static int slice_infer(pn_node *n)
{
    view v;
    int rc = slice_view(n, &v);
    return rc ? rc : pn_node_set_shape(n, v.nd, v.shape);
}

static int slice_forward(pn_node *n)
{
    view v;
    int rc = slice_view(n, &v);
    if (!rc) strided_walk(v.nd, v.shape, v.st, v.base, n->data, n->in[0]->data, 0);
    return rc;
}

/* A slice visits each input element at most once, so the scatter never
 * collides; elements outside the slice get no gradient. */
static int slice_backward(pn_node *n)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    view v;
    int rc = slice_view(n, &v);
    if (!rc) strided_walk(v.nd, v.shape, v.st, v.base, n->grad, n->in[0]->grad, 1);
    return rc;
}

/* ------------------------------------------------------------------ broadcast_to
 * shape (iv): the target shape (NumPy rules); -1 keeps the input's size on that axis,
 * which lets a traced graph follow a new batch size. */

static int broadcast_view(const pn_node *n, view *v)
{
    const pn_node *x = n->in[0];
    char sx[128], st[128];
    if (n->n_iv > PN_MAX_DIMS || n->n_iv < x->ndim)
        return pn_error(PN_EVALUE, "broadcast_to: cannot broadcast a tensor of shape %s to shape %s",
                        pn_shape_str(sx, x->ndim, x->shape),
                        pn_shape_str(st, n->n_iv > PN_MAX_DIMS ? PN_MAX_DIMS : (int)n->n_iv, n->iv));
    int64_t xs[PN_MAX_DIMS];
    pn_strides(x->ndim, x->shape, xs);
    v->nd = (int)n->n_iv;
    v->base = 0;
    int off = v->nd - x->ndim;
    for (int i = 0; i < v->nd; i++) {
        int64_t want = n->iv[i];
        int64_t have = i < off ? 1 : x->shape[i - off];
        if (want == -1) want = have;
        if (want < 0 || (have != want && have != 1))
            return pn_error(PN_EVALUE, "broadcast_to: cannot broadcast a tensor of shape %s to shape %s",
                            pn_shape_str(sx, x->ndim, x->shape), pn_shape_str(st, v->nd, n->iv));
        v->shape[i] = want;
        v->st[i] = i < off || have == 1 ? 0 : xs[i - off];
    }
    return PN_OK;
}

static int broadcast_infer(pn_node *n)
{
    view v;
    int rc = broadcast_view(n, &v);
    return rc ? rc : pn_node_set_shape(n, v.nd, v.shape);
}

static int broadcast_forward(pn_node *n)
{
    view v;
    int rc = broadcast_view(n, &v);
    if (!rc) strided_walk(v.nd, v.shape, v.st, 0, n->data, n->in[0]->data, 0);
    return rc;
}

static int broadcast_backward(pn_node *n)
{
    pn_node *x = n->in[0];
    if (!x->requires_grad) return PN_OK;
    pn_reduce_to(n->grad, n->ndim, n->shape, x->grad, x->ndim, x->shape);
    return PN_OK;
}

/* ------------------------------------------------------------------ take
 * take(x, indices), axis (iattr[0]): NumPy's take. Indices travel as float32
 * and must hold integers in [-size, size) (negatives count from the end); the
 * output shape is x.shape[:axis] + indices.shape + x.shape[axis+1:].
 * Indices are data, so they are checked in forward and again in backward (the
 * host may have written to them in between); they get no gradient. */

static int take_infer(pn_node *n)
{
    const pn_node *x = n->in[0], *ix = n->in[1];
    int ax, rc = pn_norm_axis("take", n->iattr[0], x->ndim, &ax);
    if (rc) return rc;
    int nd = x->ndim - 1 + ix->ndim;
    if (nd > PN_MAX_DIMS)
        return pn_error(PN_EVALUE, "take: the result would have %d dimensions (at most %d)", nd,
                        PN_MAX_DIMS);
    int64_t shape[PN_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < ax; i++) shape[k++] = x->shape[i];
    for (int i = 0; i < ix->ndim; i++) shape[k++] = ix->shape[i];
    for (int i = ax + 1; i < x->ndim; i++) shape[k++] = x->shape[i];
    return pn_node_set_shape(n, nd, shape);
}

/* Sizes around the axis: x is (outer, len, inner), out is (outer, K, inner). */
static int take_dims(const pn_node *n, int64_t *outer, int64_t *len, int64_t *inner)
{
    const pn_node *x = n->in[0];
    int ax, rc = pn_norm_axis("take", n->iattr[0], x->ndim, &ax);
    if (rc) return rc;
    *outer = *inner = 1;
    for (int i = 0; i < ax; i++) *outer *= x->shape[i];
    for (int i = ax + 1; i < x->ndim; i++) *inner *= x->shape[i];
    *len = x->shape[ax];
    return PN_OK;
}

static int take_check(const pn_node *n, int64_t len)
{
    const pn_node *ix = n->in[1];
    int ax;
    pn_norm_axis("take", n->iattr[0], n->in[0]->ndim, &ax);
    for (int64_t k = 0; k < ix->size; k++) {
        float f = ix->data[k];
        if (!(f == floorf(f)))
            return pn_error(PN_EVALUE, "take: index %g (at position %lld) is not an integer",
                            (double)f, (long long)k);
        if (f < -(float)len || f >= (float)len)
            return pn_error(PN_EINDEX, "take: index %.0f is out of bounds for axis %d with size %lld",
                            (double)f, ax, (long long)len);
        /* Indices travel as float32: from 2^24 on, neighbouring integers share a
         * value (16777217 arrives as 16777216), so such an index may not be the
         * one the caller wrote. Refused rather than returning another row. */
        if (fabsf(f) >= 16777216.0f)
            return pn_error(PN_EINDEX, "take: index %.0f (at position %lld) is at or above 2^24 in "
                            "magnitude; indices travel as float32, which cannot hold every integer "
                            "from 2^24 on exactly, so it may not be the index given", (double)f,
                            (long long)k);
    }
    return PN_OK;
}

static inline int64_t take_index(float f, int64_t len)
{
    int64_t i = (int64_t)f;
    return i < 0 ? i + len : i;
}

static int take_forward(pn_node *n)
{
    int64_t outer, len, inner;
    int rc = take_dims(n, &outer, &len, &inner);
    if (!rc) rc = take_check(n, len);
    if (rc) return rc;
    const float *x = n->in[0]->data, *ix = n->in[1]->data;
    int64_t K = n->in[1]->size;
    float *y = n->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < K; k++)
            memcpy(y + (o * K + k) * inner, x + (o * len + take_index(ix[k], len)) * inner,
                   sizeof(float) * (size_t)inner);
    return PN_OK;
}

static int take_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad) return PN_OK;
    int64_t outer, len, inner;
    int rc = take_dims(n, &outer, &len, &inner);
    if (!rc) rc = take_check(n, len);
    if (rc) return rc;
    const float *ix = n->in[1]->data, *g = n->grad;
    int64_t K = n->in[1]->size;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < K; k++) {
            float *dst = X->grad + (o * len + take_index(ix[k], len)) * inner;
            const float *src = g + (o * K + k) * inner;
            for (int64_t j = 0; j < inner; j++) dst[j] += src[j];
        }
    return PN_OK;
}

/* ------------------------------------------------------------------ concatenate / stack
 * Variadic, axis (iattr[0]). Both are seen as (outer, chunk_i) row blocks:
 * each input contributes a contiguous chunk to every output row. */

static int concat_infer(pn_node *n)
{
    char s0[128], si[128];
    if (n->n_in < 1) return pn_error(PN_EVALUE, "concatenate: needs at least one input");
    const pn_node *a = n->in[0];
    if (a->ndim == 0)
        return pn_error(PN_EVALUE, "concatenate: zero-dimensional tensors cannot be concatenated");
    int ax, rc = pn_norm_axis("concatenate", n->iattr[0], a->ndim, &ax);
    if (rc) return rc;
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    for (int i = 1; i < n->n_in; i++) {
        const pn_node *b = n->in[i];
        int ok = b->ndim == a->ndim;
        for (int d = 0; ok && d < a->ndim; d++) ok = d == ax || b->shape[d] == a->shape[d];
        if (!ok)
            return pn_error(PN_EVALUE, "concatenate: all input dimensions except for the "
                            "concatenation axis %d must match, but input 0 has shape %s and input %d "
                            "has shape %s", ax, pn_shape_str(s0, a->ndim, a->shape), i,
                            pn_shape_str(si, b->ndim, b->shape));
        rc = pn_add_size("concatenate", "the concatenated axis", shape[ax], b->shape[ax], &shape[ax]);
        if (rc) return rc;
    }
    return pn_node_set_shape(n, a->ndim, shape);
}

static int stack_infer(pn_node *n)
{
    char s0[128], si[128];
    if (n->n_in < 1) return pn_error(PN_EVALUE, "stack: needs at least one input");
    const pn_node *a = n->in[0];
    int ax, rc = pn_norm_axis("stack", n->iattr[0], a->ndim + 1, &ax);
    if (rc) return rc;
    for (int i = 1; i < n->n_in; i++) {
        const pn_node *b = n->in[i];
        int ok = b->ndim == a->ndim;
        for (int d = 0; ok && d < a->ndim; d++) ok = b->shape[d] == a->shape[d];
        if (!ok)
            return pn_error(PN_EVALUE, "stack: all inputs must have the same shape, but input 0 has "
                            "shape %s and input %d has shape %s", pn_shape_str(s0, a->ndim, a->shape),
                            i, pn_shape_str(si, b->ndim, b->shape));
    }
    if (a->ndim + 1 > PN_MAX_DIMS)
        return pn_error(PN_EVALUE, "stack: the result would have more than %d dimensions", PN_MAX_DIMS);
    int64_t shape[PN_MAX_DIMS];
    for (int d = 0, k = 0; d <= a->ndim; d++)
        shape[d] = d == ax ? n->n_in : a->shape[k++];
    return pn_node_set_shape(n, a->ndim + 1, shape);
}

/* outer = product of the output axes before the join axis; each input's
 * chunk per outer row is its size / outer. */
static int64_t join_outer(const pn_node *n, int is_stack)
{
    int ax;
    pn_norm_axis(n->op->name, n->iattr[0], n->in[0]->ndim + is_stack, &ax);
    int64_t outer = 1;
    for (int d = 0; d < ax; d++) outer *= n->shape[d];
    return outer;
}

static int join_run(pn_node *n, int is_stack, int backward)
{
    int64_t outer = join_outer(n, is_stack);
    if (outer == 0 || n->size == 0) return PN_OK;
    int64_t row = n->size / outer, off = 0;
    for (int i = 0; i < n->n_in; i++) {
        pn_node *x = n->in[i];
        int64_t chunk = x->size / outer;
        if (!backward) {
            for (int64_t o = 0; o < outer; o++)
                memcpy(n->data + o * row + off, x->data + o * chunk, sizeof(float) * (size_t)chunk);
        } else if (x->requires_grad) {
            for (int64_t o = 0; o < outer; o++) {
                const float *g = n->grad + o * row + off;
                float *dst = x->grad + o * chunk;
                for (int64_t j = 0; j < chunk; j++) dst[j] += g[j];
            }
        }
        off += chunk;
    }
    return PN_OK;
}

static int concat_forward(pn_node *n) { return join_run(n, 0, 0); }
static int concat_backward(pn_node *n) { return join_run(n, 0, 1); }
static int stack_forward(pn_node *n) { return join_run(n, 1, 0); }
static int stack_backward(pn_node *n) { return join_run(n, 1, 1); }

/* ------------------------------------------------------------------ descriptors */
static const char *const one_input[] = {"x", NULL};
static const char *const take_inputs[] = {"x", "indices", NULL};
static const char *const join_inputs[] = {"tensors...", NULL};
static const pn_attr shape_attrs[] = {{"shape", PN_ATTR_INTS, 0, 0, 0}, {NULL}};
static const pn_attr transpose_attrs[] = {{"axes", PN_ATTR_INTS, 0, 0, 0}, {NULL}};
static const pn_attr slice_attrs[] = {{"index", PN_ATTR_INTS, 0, 0, 0}, {NULL}};
static const pn_attr axis_attrs[] = {{"axis", PN_ATTR_INT, 0, 0}, {NULL}};

/* The first entry of an axis list (or of a shape) is the batch axis's: a
 * reshape to (-1, ...) and a permutation that keeps axis 0 first are row-wise. */
static uint32_t batch_first(const pn_node *n, int64_t want, int rank_shift)
{
    if (n->n_iv < 1) return PN_TRAIT_LINEAR;
    int64_t a = n->iv[0];
    if (a < 0 && want == 0 && n->n_in && n->in[0]) a += n->in[0]->ndim + rank_shift;
    return a == want ? PN_TRAIT_LINEAR | PN_TRAIT_ROWWISE : PN_TRAIT_LINEAR;
}
static uint32_t reshape_traits(const pn_node *n) { return batch_first(n, -1, 0); }
static uint32_t transpose_traits(const pn_node *n) { return batch_first(n, 0, 0); }
/* concatenate / stack along an axis other than the batch's. */
static uint32_t join_traits(const pn_node *n)
{
    int64_t a = n->iattr[0];
    int stack = n->op->forward == stack_forward;
    if (a < 0 && n->n_in && n->in[0]) a += n->in[0]->ndim + stack;
    return a == 0 || a < 0 ? PN_TRAIT_LINEAR : PN_TRAIT_LINEAR | PN_TRAIT_ROWWISE;
}

static const pn_op op_reshape = {"reshape", 1, reshape_infer, reshape_forward, reshape_backward, NULL,
                                 one_input, shape_attrs, PN_TRAIT_LINEAR, reshape_traits};
static const pn_op op_transpose = {"transpose", 1, transpose_infer, transpose_forward,
                                   transpose_backward, NULL, one_input, transpose_attrs,
                                   PN_TRAIT_LINEAR, transpose_traits};
static const pn_op op_slice = {"slice", 1, slice_infer, slice_forward, slice_backward, NULL,
                               one_input, slice_attrs, PN_TRAIT_LINEAR, NULL};
static const pn_op op_broadcast_to = {"broadcast_to", 1, broadcast_infer, broadcast_forward,
                                      broadcast_backward, NULL, one_input, shape_attrs,
                                      PN_TRAIT_LINEAR, NULL};
static const pn_op op_take = {"take", 2, take_infer, take_forward, take_backward, NULL,
                              take_inputs, axis_attrs, 0, NULL};
static const pn_op op_concatenate = {"concatenate", -1, concat_infer, concat_forward,
                                     concat_backward, NULL, join_inputs, axis_attrs,
                                     PN_TRAIT_LINEAR, join_traits};
static const pn_op op_stack = {"stack", -1, stack_infer, stack_forward, stack_backward, NULL,
                               join_inputs, axis_attrs, PN_TRAIT_LINEAR, join_traits};

/* ---------------------------------------------------------------- arange_like
 * arange_like(ref): 0, 1, ..., n-1 for ref's first dimension n. Inside a traced model
 * that is the batch, whose size changes from plan to plan: keras.ops.eye / arange of
 * ops.shape(x)[0] (a supervised contrastive loss masking each sample's pair with
 * itself) follow it through this op instead of baking in the traced size. ref only
 * gives the length (no gradient); past 2^24 positions float32 skips integers. */
static int arange_like_infer(pn_node *n)
{
    if (n->in[0]->ndim < 1) return pn_error(PN_EVALUE, "arange_like: ref must have an axis, got a scalar");
    if (n->in[0]->shape[0] > 16777216)
        return pn_error(PN_EVALUE, "arange_like: %lld positions do not all fit float32's integers "
                        "(at most 2^24)", (long long)n->in[0]->shape[0]);
    int64_t len = n->in[0]->shape[0];
    return pn_node_set_shape(n, 1, &len);
}

static int arange_like_forward(pn_node *n)
{
    for (int64_t i = 0; i < n->size; i++) n->data[i] = (float)i;
    return PN_OK;
}
static const char *const ref_input[] = {"ref", NULL};
static const pn_op op_arange_like = {"arange_like", 1, arange_like_infer, arange_like_forward, NULL,
                                     NULL, ref_input, NULL, 0, NULL};

const pn_op *const pn_ops_shape[] = {&op_reshape, &op_transpose, &op_slice, &op_broadcast_to,
                                     &op_take, &op_concatenate, &op_stack, &op_arange_like, NULL};
