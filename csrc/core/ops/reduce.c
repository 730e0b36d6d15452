/* reduce.c - reductions over a set of axes: sum, mean, max, min, var, std.
 *
 * Attributes (the same for every op here):
 *   iattr[0]  keepdims (0/1)
 *   iattr[1]  0: reduce over all axes (iv ignored; the default when an op is
 *                applied with no attributes at all);
 *             1: reduce over exactly the axes listed in iv (negative axes
 *                allowed; an empty list reduces nothing, as in NumPy)
 *   fattr[0]  ddof for var / std (0 = population variance, Keras' choice;
 *             torch's default is 1)
 *
 * max / min follow torch.amax / amin (and TF): the gradient is split evenly
 * between tied maxima, and a NaN anywhere in a slice makes that slice NaN.
 * Reducing zero elements: sum = 0, mean / var / std = NaN, max / min refuse
 * (there is no identity), as NumPy does.
 *
 * Implementation: adjacent axes that are all reduced or all kept are merged,
 * then the input is walked once in memory order with each element's output
 * offset carried along (stride 0 on reduced axes), so the innermost loop is
 * either a contiguous row reduced to one value or a contiguous row added to a
 * contiguous output row. Accumulation is in double and in a fixed order, so
 * results are bit-identical whatever the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pn.h"

typedef struct {
    int nd;                  /* merged rank, >= 1 */
    int64_t shape[PN_MAX_DIMS];
    int64_t ost[PN_MAX_DIMS]; /* output stride per merged axis, 0 if reduced */
    int64_t in_size, out_size, count; /* count: elements per output */
} red_plan;

/* Which axes are reduced (mask), validated; fails naming the op, axis, rank. */
static int red_mask(const pn_node *n, int *mask)
{
    const pn_node *x = n->in[0];
    *mask = 0;
    if (!n->iattr[1]) {
        *mask = (1 << x->ndim) - 1;
        return PN_OK;
    }
    for (int64_t k = 0; k < n->n_iv; k++) {
        int64_t a = n->iv[k];
        if (a < -x->ndim || a >= x->ndim)
            return pn_error(PN_EVALUE, "%s: axis %lld is out of range for a tensor of rank %d",
                            n->op->name, (long long)a, x->ndim);
        int ax = (int)(a < 0 ? a + x->ndim : a);
        if (*mask & (1 << ax))
            return pn_error(PN_EVALUE, "%s: axis %d is repeated", n->op->name, ax);
        *mask |= 1 << ax;
    }
    return PN_OK;
}

static int red_plan_make(const pn_node *n, red_plan *p)
{
    const pn_node *x = n->in[0];
    int mask;
    int rc = red_mask(n, &mask);
    if (rc) return rc;
    int64_t shape[PN_MAX_DIMS];
    int red[PN_MAX_DIMS];
    int nd = 0;
    p->count = 1;
    p->in_size = x->size;
    for (int d = 0; d < x->ndim; d++) {
        int r = (mask >> d) & 1;
        if (r) p->count *= x->shape[d];
        if (nd > 0 && red[nd - 1] == r) {
            shape[nd - 1] *= x->shape[d];
        } else {
            shape[nd] = x->shape[d];
            red[nd++] = r;
        }
    }
    if (nd == 0) { /* 0-d input: one element, nothing to reduce */
        shape[0] = 1;
        red[0] = 0;
        nd = 1;
    }
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
        p->shape[d] = shape[d];
        p->ost[d] = red[d] ? 0 : s;
        if (!red[d]) s *= shape[d];
    }
    p->nd = nd;
    p->out_size = s;
    return PN_OK;
}

static int red_infer(pn_node *n)
{
    const pn_node *x = n->in[0];
    int mask;
    int rc = red_mask(n, &mask);
    if (rc) return rc;
    int64_t shape[PN_MAX_DIMS], count = 1, out = 1;
    int nd = 0;
    for (int d = 0; d < x->ndim; d++) {
        if ((mask >> d) & 1) {
            count *= x->shape[d];
            if (n->iattr[0]) shape[nd++] = 1;
        } else {
            out *= x->shape[d];
            shape[nd++] = x->shape[d];
        }
    }
    const char *name = n->op->name;
    if (count == 0 && out > 0 && (!strcmp(name, "max") || !strcmp(name, "min"))) {
        char s[128];
        return pn_error(PN_EVALUE, "%s: cannot reduce over zero elements (input shape %s)", name,
                        pn_shape_str(s, x->ndim, x->shape));
    }
    return pn_node_set_shape(n, nd, shape);
}

/* Walks the input in memory order; BODY sees i (input offset), o (output offset).
 * The output offset is carried incrementally, like binary.c's BCAST_LOOP. */
#define RED_LOOP(p, ...)                                                                     \
    do {                                                                                     \
        int64_t idx_[PN_MAX_DIMS] = {0}, o_ = 0;                                             \
        int nd_ = (p)->nd;                                                                   \
        int64_t inner_ = (p)->shape[nd_ - 1], ost_ = (p)->ost[nd_ - 1];                      \
        for (int64_t base_ = 0; base_ < (p)->in_size; base_ += inner_) {                     \
            for (int64_t j_ = 0; j_ < inner_; j_++) {                                        \
                int64_t i = base_ + j_, o = o_ + j_ * ost_;                                  \
                (void)i, (void)o;                                                            \
                __VA_ARGS__;                                                                 \
            }                                                                                \
            for (int d_ = nd_ - 2; d_ >= 0; d_--) {                                          \
                idx_[d_]++;                                                                  \
                o_ += (p)->ost[d_];                                                          \
                if (idx_[d_] < (p)->shape[d_]) break;                                        \
                o_ -= (p)->ost[d_] * idx_[d_];                                               \
                idx_[d_] = 0;                                                                \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* acc[o] = sum of the elements of x mapped to o (optionally of (x - mu[o])^2). */
static void red_sum(const red_plan *p, const float *x, const double *mu, double *acc)
{
    memset(acc, 0, sizeof(double) * (size_t)p->out_size);
    if (p->in_size == 0) return;
    int64_t inner = p->shape[p->nd - 1];
    if (p->ost[p->nd - 1] == 0) {
        /* last axis reduced: a contiguous row per output value */
        int64_t idx[PN_MAX_DIMS] = {0}, o = 0;
        for (int64_t base = 0; base < p->in_size; base += inner) {
            double s = 0;
            const float *r = x + base;
            if (mu) {
                double m = mu[o];
                for (int64_t j = 0; j < inner; j++) s += (r[j] - m) * (r[j] - m);
            } else {
                for (int64_t j = 0; j < inner; j++) s += r[j];
            }
            acc[o] += s;
            for (int d = p->nd - 2; d >= 0; d--) {
                idx[d]++;
                o += p->ost[d];
                if (idx[d] < p->shape[d]) break;
                o -= p->ost[d] * idx[d];
                idx[d] = 0;
            }
        }
        return;
    }
    if (mu)
        RED_LOOP(p, { double dv = x[i] - mu[o]; acc[o] += dv * dv; });
    else
        RED_LOOP(p, acc[o] += x[i]);
}

static double *red_scratch(pn_node *n, const red_plan *p, int copies)
{
    size_t k = (size_t)(p->out_size ? p->out_size : 1);
    return pn_node_scratch(n, sizeof(double) * k * (size_t)copies);
}

/* ------------------------------------------------------------------ sum, mean */

static int sum_mean_forward(pn_node *n, int mean)
{
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    double *acc = red_scratch(n, &p, 1);
    if (!acc) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    red_sum(&p, n->in[0]->data, NULL, acc);
    /* mean of nothing is NaN (0/0), as in NumPy and torch */
    double scale = mean ? 1.0 / (double)p.count : 1.0;
    for (int64_t o = 0; o < p.out_size; o++)
        n->data[o] = (float)(mean && p.count == 0 ? NAN : acc[o] * scale);
    return PN_OK;
}

static int sum_mean_backward(pn_node *n, int mean)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad || X->size == 0) return PN_OK;
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    const float *g = n->grad;
    float *gx = X->grad;
    if (mean) {
        float s = (float)(1.0 / (double)p.count);
        RED_LOOP(&p, gx[i] += g[o] * s);
    } else {
        RED_LOOP(&p, gx[i] += g[o]);
    }
    return PN_OK;
}

static int sum_forward(pn_node *n) { return sum_mean_forward(n, 0); }
static int sum_backward(pn_node *n) { return sum_mean_backward(n, 0); }
static int mean_forward(pn_node *n) { return sum_mean_forward(n, 1); }
static int mean_backward(pn_node *n) { return sum_mean_backward(n, 1); }

/* ------------------------------------------------------------------ max, min */

static int extreme_forward(pn_node *n, int is_max)
{
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    const float *x = n->in[0]->data;
    float *y = n->data;
    if (p.in_size == 0) return PN_OK;
    /* Each output starts from the first element that maps to it (a flag per
     * output, not an identity value: starting from -inf would turn an empty
     * comparison into a wrong answer, and NaN must win once seen). */
    unsigned char *seen = pn_node_scratch(n, (size_t)p.out_size);
    if (!seen) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    memset(seen, 0, (size_t)p.out_size);
    RED_LOOP(&p, {
        float v = x[i], cur = y[o];
        if (!seen[o]) {
            y[o] = v;
            seen[o] = 1;
        } else if (cur == cur && (v != v || (is_max ? v > cur : v < cur))) {
            y[o] = v;
        }
    });
    return PN_OK;
}

static int extreme_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad || X->size == 0) return PN_OK;
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    const float *x = X->data, *y = n->data, *g = n->grad;
    float *gx = X->grad;
    double *ties = red_scratch(n, &p, 1);
    if (!ties) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    memset(ties, 0, sizeof(double) * (size_t)p.out_size);
    RED_LOOP(&p, ties[o] += x[i] == y[o]);
    RED_LOOP(&p, if (x[i] == y[o]) gx[i] += (float)(g[o] / ties[o]));
    return PN_OK;
}

static int max_forward(pn_node *n) { return extreme_forward(n, 1); }
static int min_forward(pn_node *n) { return extreme_forward(n, 0); }

/* ------------------------------------------------------------------ var, std
 * Two passes (mean, then squared deviations) in double: the one-pass formula
 * E[x^2] - E[x]^2 cancels catastrophically when the mean is large. */

static int var_std_forward(pn_node *n, int is_std)
{
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    double *mu = red_scratch(n, &p, 2);
    if (!mu) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    double *acc = mu + (p.out_size ? p.out_size : 1);
    red_sum(&p, n->in[0]->data, NULL, mu);
    for (int64_t o = 0; o < p.out_size; o++) mu[o] /= (double)p.count;
    red_sum(&p, n->in[0]->data, mu, acc);
    double denom = (double)p.count - n->fattr[0];
    for (int64_t o = 0; o < p.out_size; o++) {
        /* like NumPy: no degrees of freedom left -> NaN (torch gives inf / NaN) */
        double v = denom > 0 ? acc[o] / denom : NAN;
        n->data[o] = (float)(is_std ? sqrt(v) : v);
    }
    return PN_OK;
}

/* d var / dx = 2 (x - mu) / denom; d std / dx = (x - mu) / (denom * std), with
 * the gradient set to 0 where std = 0 (torch does the same) rather than 0/0. */
static int var_std_backward(pn_node *n, int is_std)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad || X->size == 0) return PN_OK;
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    double *mu = red_scratch(n, &p, 1);
    if (!mu) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    const float *x = X->data, *y = n->data, *g = n->grad;
    float *gx = X->grad;
    red_sum(&p, x, NULL, mu);
    for (int64_t o = 0; o < p.out_size; o++) mu[o] /= (double)p.count;
    double denom = (double)p.count - n->fattr[0];
    if (is_std)
        RED_LOOP(&p, if (y[o] != 0) gx[i] += (float)(g[o] * (x[i] - mu[o]) / (denom * y[o])));
    else
        RED_LOOP(&p, gx[i] += (float)(g[o] * 2.0 * (x[i] - mu[o]) / denom));
    return PN_OK;
}

static int var_forward(pn_node *n) { return var_std_forward(n, 0); }
static int var_backward(pn_node *n) { return var_std_backward(n, 0); }
static int std_forward(pn_node *n) { return var_std_forward(n, 1); }
static int std_backward(pn_node *n) { return var_std_backward(n, 1); }

static const pn_op op_sum = {"sum", 1, red_infer, sum_forward, sum_backward, NULL};
static const pn_op op_mean = {"mean", 1, red_infer, mean_forward, mean_backward, NULL};
static const pn_op op_max = {"max", 1, red_infer, max_forward, extreme_backward, NULL};
static const pn_op op_min = {"min", 1, red_infer, min_forward, extreme_backward, NULL};
static const pn_op op_var = {"var", 1, red_infer, var_forward, var_backward, NULL};
static const pn_op op_std = {"std", 1, red_infer, std_forward, std_backward, NULL};

const pn_op *const pn_ops_reduce[] = {&op_sum, &op_mean, &op_max, &op_min, &op_var, &op_std,
                                      NULL};
