/* reduce.c - reductions over a set of axes: sum, mean, max, min, var, std.
 *
 * Attributes (the same for every op here; slots in the descriptors at the end):
 *   keepdims    (iattr[0])
 *   reduce_all  (iattr[1]) 1: reduce over all axes (axis ignored; the default);
 *               0: reduce over exactly the axes listed in axis (iv; negative
 *               axes allowed; an empty list reduces nothing, as in NumPy)
 *   ddof        (fattr[0]) for var / std (0 = population variance, Keras' choice;
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
/* Under GCC's default -ftrapping-math a float compare may not be executed
 * speculatively, so loops with selects (fast_expf's range checks, relu, max)
 * stay scalar. Nothing in pynn reads FP exception flags; lifting this for the
 * file lets those loops vectorise. (Better as a global flag in setup.py.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
    if (n->iattr[1]) { /* reduce_all */
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
        /* a length-1 axis is laid out the same reduced or kept; calling it kept
         * lets it merge (summing (N, 1) over axis 1 is then one flat copy) */
        if (x->shape[d] == 1) r = nd > 0 ? red[nd - 1] : 0;
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

/* Walks the input in memory order one innermost row at a time. BODY sees
 * base (input offset of the row), o (output offset of its first element) and
 * n_ (row length); LAST_RED tells whether the row collapses to out[o] (last
 * axis reduced) or maps onto out[o .. o + n_) (last axis kept). Either way the
 * row loop is contiguous and simple enough to vectorise. */
#define RED_ROWS(p, ...)                                                                     \
    do {                                                                                     \
        int64_t idx_[PN_MAX_DIMS] = {0}, o = 0;                                              \
        int nd_ = (p)->nd;                                                                   \
        int64_t n_ = (p)->shape[nd_ - 1];                                                    \
        for (int64_t base = 0; base < (p)->in_size; base += n_) {                            \
            __VA_ARGS__;                                                                     \
            for (int d_ = nd_ - 2; d_ >= 0; d_--) {                                          \
                idx_[d_]++;                                                                  \
                o += (p)->ost[d_];                                                           \
                if (idx_[d_] < (p)->shape[d_]) break;                                        \
                o -= (p)->ost[d_] * idx_[d_];                                                \
                idx_[d_] = 0;                                                                \
            }                                                                                \
        }                                                                                    \
    } while (0)
#define LAST_RED(p) ((p)->ost[(p)->nd - 1] == 0)

/* Sum of a row (of its squared deviations from mu if sq) in double, with
 * eight partial sums in a fixed pattern: vectorisable, unlike one serial
 * chain, and the order depends only on n. */
static double row_sum(const float *restrict a, int64_t n, int sq, double mu)
{
    double acc[8] = {0};
    int64_t j = 0;
    if (sq)
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) {
                double d = a[j + k] - mu;
                acc[k] += d * d;
            }
    else
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) acc[k] += a[j + k];
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < n; j++) s += sq ? (a[j] - mu) * (a[j] - mu) : a[j];
    return s;
}

/* ---- threaded paths for the common 2-D layouts (after merging):
 *   rows: (kept R, reduced C)  - each output is one contiguous row;
 *   cols: (reduced R, kept C)  - a task owns a range of columns and walks
 *                                all rows, so each output still sums in row order;
 *   all:  one reduced run      - fixed blocks of RED_BLOCK elements, partial sums
 *                                added in block order.
 * Task boundaries never change what is added to what, or in which order, so
 * results are bit-identical for any thread count (and to the serial walk). */
#define RED_GRAIN 32768 /* input elements per task */
#define RED_BLOCK 65536 /* elements per partial sum of a full reduction */

typedef struct {
    const float *x;
    const double *mu;
    double *acc;
    int64_t rows, cols;
} sum2d_ctx;

static void sum_rows_task(void *ctx, int64_t lo, int64_t hi)
{
    const sum2d_ctx *c = ctx;
    for (int64_t r = lo; r < hi; r++)
        c->acc[r] = row_sum(c->x + r * c->cols, c->cols, c->mu != NULL, c->mu ? c->mu[r] : 0);
}

static void sum_cols_task(void *ctx, int64_t lo, int64_t hi)
{
    const sum2d_ctx *c = ctx;
    double *restrict a = c->acc;
    for (int64_t r = 0; r < c->rows; r++) {
        const float *restrict x = c->x + r * c->cols;
        if (c->mu)
            for (int64_t j = lo; j < hi; j++) a[j] += (x[j] - c->mu[j]) * (x[j] - c->mu[j]);
        else
            for (int64_t j = lo; j < hi; j++) a[j] += x[j];
    }
}

/* acc[b] = sum of block b (rows = number of blocks, cols = n) */
static void sum_blocks_task(void *ctx, int64_t lo, int64_t hi)
{
    const sum2d_ctx *c = ctx;
    for (int64_t b = lo; b < hi; b++) {
        int64_t len = c->cols - b * RED_BLOCK;
        len = len < RED_BLOCK ? len : RED_BLOCK;
        c->acc[b] = row_sum(c->x + b * RED_BLOCK, len, c->mu != NULL, c->mu ? c->mu[0] : 0);
    }
}

static int64_t grain_for(int64_t work_per_item)
{
    int64_t g = RED_GRAIN / (work_per_item > 0 ? work_per_item : 1);
    return g > 1 ? g : 1;
}

/* Partial sums a full reduction needs (one per block of RED_BLOCK elements). */
static int64_t red_blocks(const red_plan *p)
{
    if (p->nd != 1 || !LAST_RED(p)) return 0;
    return (p->shape[0] + RED_BLOCK - 1) / RED_BLOCK;
}

/* acc[o] = sum of the elements of x mapped to o (optionally of (x - mu[o])^2).
 * part: room for red_blocks(p) partial sums (from red_scratch). */
static void red_sum(const red_plan *p, const float *x, const double *mu, double *acc, double *part)
{
    memset(acc, 0, sizeof(double) * (size_t)p->out_size);
    if (p->in_size == 0) return;
    sum2d_ctx c = {x, mu, acc, p->nd == 2 ? p->shape[0] : 1, p->shape[p->nd - 1]};
    if (p->nd == 1 && LAST_RED(p)) {
        /* blocks summed in parallel, then added in block order: the same bits
         * for any thread count */
        int64_t nb = red_blocks(p);
        sum2d_ctx bc = c;
        bc.acc = part;
        pn_parallel_for(nb, 1, sum_blocks_task, &bc);
        for (int64_t b = 0; b < nb; b++) acc[0] += part[b];
        return;
    }
    if (p->nd == 2 && LAST_RED(p)) {
        pn_parallel_for(c.rows, grain_for(c.cols), sum_rows_task, &c);
        return;
    }
    if (p->nd == 2 && p->ost[0] == 0) {
        pn_parallel_for(c.cols, grain_for(c.rows), sum_cols_task, &c);
        return;
    }
    if (LAST_RED(p)) {
        RED_ROWS(p, acc[o] += row_sum(x + base, n_, mu != NULL, mu ? mu[o] : 0));
    } else if (mu) {
        RED_ROWS(p, {
            const float *restrict r = x + base;
            double *restrict a = acc + o;
            const double *restrict m = mu + o;
            for (int64_t j = 0; j < n_; j++) a[j] += (r[j] - m[j]) * (r[j] - m[j]);
        });
    } else {
        RED_ROWS(p, {
            const float *restrict r = x + base;
            double *restrict a = acc + o;
            for (int64_t j = 0; j < n_; j++) a[j] += r[j];
        });
    }
}

/* copies x out_size doubles, then red_blocks(p) partial sums for red_sum (at
 * red_part), in the node's scratch: kept across batches, so a replayed
 * reduction never allocates. */
static double *red_scratch(pn_node *n, const red_plan *p, int copies)
{
    size_t k = (size_t)(p->out_size ? p->out_size : 1);
    return pn_node_scratch(n, sizeof(double) * (k * (size_t)copies + (size_t)red_blocks(p)));
}

static double *red_part(double *scratch, const red_plan *p, int copies)
{
    return scratch + (p->out_size ? p->out_size : 1) * copies;
}

/* ------------------------------------------------------------------ sum, mean */

static int sum_mean_forward(pn_node *n, int mean)
{
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    double *acc = red_scratch(n, &p, 1);
    if (!acc) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    red_sum(&p, n->in[0]->data, NULL, acc, red_part(acc, &p, 1));
    /* mean of nothing is NaN (0/0), as in NumPy and torch */
    double scale = mean ? 1.0 / (double)p.count : 1.0;
    for (int64_t o = 0; o < p.out_size; o++)
        n->data[o] = (float)(mean && p.count == 0 ? NAN : acc[o] * scale);
    return PN_OK;
}

/* gx += s * g broadcast back over the reduced axes, for merged rank <= 2;
 * every element of gx is written by exactly one task. */
typedef struct {
    const float *g;
    float *gx;
    float s;
    int64_t rows, cols;
    int last_red; /* rank 2: (kept, reduced) if set, else (reduced, kept) */
} bcast_ctx;

static void bcast_rows_task(void *ctx, int64_t lo, int64_t hi)
{
    const bcast_ctx *c = ctx;
    for (int64_t r = lo; r < hi; r++) {
        float *restrict d = c->gx + r * c->cols;
        if (c->last_red) {
            float v = c->g[r] * c->s;
            for (int64_t j = 0; j < c->cols; j++) d[j] += v;
        } else {
            const float *restrict gv = c->g;
            for (int64_t j = 0; j < c->cols; j++) d[j] += gv[j] * c->s;
        }
    }
}

/* rank 1: everything reduced (one output) or nothing reduced */
static void bcast_flat_task(void *ctx, int64_t lo, int64_t hi)
{
    const bcast_ctx *c = ctx;
    float *restrict d = c->gx;
    if (c->last_red) {
        float v = c->g[0] * c->s;
        for (int64_t i = lo; i < hi; i++) d[i] += v;
    } else {
        const float *restrict gv = c->g;
        for (int64_t i = lo; i < hi; i++) d[i] += gv[i] * c->s;
    }
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
    float s = mean ? (float)(1.0 / (double)p.count) : 1.0f;
    bcast_ctx c = {g, gx, s, p.nd == 2 ? p.shape[0] : 1, p.shape[p.nd - 1], LAST_RED(&p)};
    if (p.nd == 1) {
        pn_parallel_for(c.cols, RED_GRAIN, bcast_flat_task, &c);
        return PN_OK;
    }
    if (p.nd == 2) {
        pn_parallel_for(c.rows, grain_for(c.cols), bcast_rows_task, &c);
        return PN_OK;
    }
    if (LAST_RED(&p)) {
        RED_ROWS(&p, {
            float v = g[o] * s;
            float *restrict d = gx + base;
            for (int64_t j = 0; j < n_; j++) d[j] += v;
        });
    } else {
        RED_ROWS(&p, {
            float *restrict d = gx + base;
            const float *restrict gv = g + o;
            for (int64_t j = 0; j < n_; j++) d[j] += gv[j] * s;
        });
    }
    return PN_OK;
}

static int sum_forward(pn_node *n) { return sum_mean_forward(n, 0); }
static int sum_backward(pn_node *n) { return sum_mean_backward(n, 0); }
static int mean_forward(pn_node *n) { return sum_mean_forward(n, 1); }
static int mean_backward(pn_node *n) { return sum_mean_backward(n, 1); }

/* ------------------------------------------------------------------ max, min */

/* max (sign = 1) or min (sign = -1) of cur and v, with NaN sticky: a plain
 * v > cur select would let a later number replace a NaN. */
static inline float pick(float cur, float v, int is_max)
{
    int better = is_max ? v > cur : v < cur;
    return (cur == cur) && (better || v != v) ? v : cur;
}

/* Max or min of a contiguous row, NaN if it holds one. GCC vectorises a max
 * reduction only under -ffinite-math-only, so on x86 the SSE2 loop is written
 * out (SSE2 is baseline on x86-64); max/min are exact, so the lane split
 * cannot change the result. */
static float row_extreme(const float *restrict r, int64_t n, int is_max)
{
    float m = is_max ? -INFINITY : INFINITY;
    int64_t j = 0;
#if defined(__SSE2__)
    if (n >= 8) {
        __m128 a = _mm_set1_ps(m), b = a, bad = _mm_setzero_ps();
        for (; j + 8 <= n; j += 8) {
            __m128 u = _mm_loadu_ps(r + j), v = _mm_loadu_ps(r + j + 4);
            bad = _mm_or_ps(bad, _mm_or_ps(_mm_cmpunord_ps(u, u), _mm_cmpunord_ps(v, v)));
            a = is_max ? _mm_max_ps(a, u) : _mm_min_ps(a, u);
            b = is_max ? _mm_max_ps(b, v) : _mm_min_ps(b, v);
        }
        if (_mm_movemask_ps(bad)) return NAN;
        float t[8];
        _mm_storeu_ps(t, a);
        _mm_storeu_ps(t + 4, b);
        for (int k = 0; k < 8; k++) m = pick(m, t[k], is_max);
    }
#endif
    for (; j < n; j++) m = pick(m, r[j], is_max);
    return m;
}

/* Threaded max/min for the 2-D layouts of red_sum (max and min are exact, so
 * any split gives the same bytes). */
typedef struct {
    const float *x;
    float *y;
    int64_t rows, cols;
    int is_max;
} ext_ctx;

static void ext_rows_task(void *ctx, int64_t lo, int64_t hi)
{
    const ext_ctx *c = ctx;
    for (int64_t r = lo; r < hi; r++) c->y[r] = row_extreme(c->x + r * c->cols, c->cols, c->is_max);
}

static void ext_cols_task(void *ctx, int64_t lo, int64_t hi)
{
    const ext_ctx *c = ctx;
    for (int64_t r = 0; r < c->rows; r++) {
        const float *restrict x = c->x + r * c->cols;
        float *restrict y = c->y;
        for (int64_t j = lo; j < hi; j++) y[j] = pick(y[j], x[j], c->is_max);
    }
}

static int extreme_forward(pn_node *n, int is_max)
{
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    const float *x = n->in[0]->data;
    float *y = n->data;
    if (p.in_size == 0) return PN_OK;
    /* -inf / +inf start values are exact: infer refused empty slices, and an
     * all -inf slice still returns -inf */
    const float start = is_max ? -INFINITY : INFINITY;
    for (int64_t o = 0; o < p.out_size; o++) y[o] = start;
    ext_ctx c = {x, y, p.nd == 2 ? p.shape[0] : 1, p.shape[p.nd - 1], is_max};
    if (p.nd == 2 && LAST_RED(&p)) {
        pn_parallel_for(c.rows, grain_for(c.cols), ext_rows_task, &c);
        return PN_OK;
    }
    if (p.nd == 2 && p.ost[0] == 0) {
        pn_parallel_for(c.cols, grain_for(c.rows), ext_cols_task, &c);
        return PN_OK;
    }
    if (LAST_RED(&p)) {
        RED_ROWS(&p, y[o] = pick(y[o], row_extreme(x + base, n_, is_max), is_max));
    } else {
        RED_ROWS(&p, {
            const float *restrict r = x + base;
            float *restrict yo = y + o;
            for (int64_t j = 0; j < n_; j++) yo[j] = pick(yo[j], r[j], is_max);
        });
    }
    return PN_OK;
}

/* The gradient goes to every element equal to the result, split evenly
 * (torch.amax); elements of a NaN slice get none (x == NaN is false). */
static int extreme_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad || X->size == 0) return PN_OK;
    red_plan p;
    int rc = red_plan_make(n, &p);
    if (rc) return rc;
    const float *x = X->data, *y = n->data, *g = n->grad;
    float *gx = X->grad;
    float *ties = pn_node_scratch(n, sizeof(float) * (size_t)(p.out_size ? p.out_size : 1));
    if (!ties) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    memset(ties, 0, sizeof(float) * (size_t)p.out_size);
    /* tie counts are small integers: exact in float up to 2^24 */
    if (LAST_RED(&p)) {
        RED_ROWS(&p, {
            const float *restrict r = x + base;
            float c = 0, m = y[o];
            for (int64_t j = 0; j < n_; j++) c += r[j] == m;
            ties[o] += c;
        });
        RED_ROWS(&p, {
            const float *restrict r = x + base;
            float *restrict d = gx + base;
            float m = y[o], v = g[o] / ties[o];
            for (int64_t j = 0; j < n_; j++) d[j] += r[j] == m ? v : 0.0f;
        });
    } else {
        RED_ROWS(&p, {
            const float *restrict r = x + base, *restrict m = y + o;
            float *restrict t = ties + o;
            for (int64_t j = 0; j < n_; j++) t[j] += r[j] == m[j];
        });
        RED_ROWS(&p, {
            const float *restrict r = x + base, *restrict m = y + o, *restrict gv = g + o;
            const float *restrict t = ties + o;
            float *restrict d = gx + base;
            for (int64_t j = 0; j < n_; j++) d[j] += r[j] == m[j] ? gv[j] / t[j] : 0.0f;
        });
    }
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
    red_sum(&p, n->in[0]->data, NULL, mu, red_part(mu, &p, 2));
    for (int64_t o = 0; o < p.out_size; o++) mu[o] /= (double)p.count;
    red_sum(&p, n->in[0]->data, mu, acc, red_part(mu, &p, 2));
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
    /* mu, then the per-output factor k with dx = k * (x - mu) */
    double *mu = red_scratch(n, &p, 2);
    if (!mu) return pn_error(PN_ENOMEM, "%s: out of memory", n->op->name);
    double *k = mu + (p.out_size ? p.out_size : 1);
    const float *x = X->data, *y = n->data, *g = n->grad;
    float *gx = X->grad;
    red_sum(&p, x, NULL, mu, red_part(mu, &p, 2));
    double denom = (double)p.count - n->fattr[0];
    for (int64_t o = 0; o < p.out_size; o++) {
        mu[o] /= (double)p.count;
        k[o] = is_std ? (y[o] != 0 ? g[o] / (denom * y[o]) : 0.0) : 2.0 * g[o] / denom;
    }
    if (LAST_RED(&p)) {
        RED_ROWS(&p, {
            const float *restrict r = x + base;
            float *restrict d = gx + base;
            double m = mu[o], kv = k[o];
            for (int64_t j = 0; j < n_; j++) d[j] += (float)(kv * (r[j] - m));
        });
    } else {
        RED_ROWS(&p, {
            const float *restrict r = x + base;
            float *restrict d = gx + base;
            const double *restrict m = mu + o, *restrict kv = k + o;
            for (int64_t j = 0; j < n_; j++) d[j] += (float)(kv[j] * (r[j] - m[j]));
        });
    }
    return PN_OK;
}

static int var_forward(pn_node *n) { return var_std_forward(n, 0); }
static int var_backward(pn_node *n) { return var_std_backward(n, 0); }
static int std_forward(pn_node *n) { return var_std_forward(n, 1); }
static int std_backward(pn_node *n) { return var_std_backward(n, 1); }

static const char *const one_input[] = {"x", NULL};
#define RED_ATTRS {"keepdims", PN_ATTR_BOOL, 0, 0}, {"reduce_all", PN_ATTR_BOOL, 1, 1}, \
                  {"axis", PN_ATTR_INTS, 0, 0, 0}
static const pn_attr red_attrs[] = {RED_ATTRS, {NULL}};
static const pn_attr var_attrs[] = {RED_ATTRS, {"ddof", PN_ATTR_FLOAT, 0, 0.0}, {NULL}};

/* Row-wise when the batch axis (0) is kept. */
static uint32_t red_traits(const pn_node *n)
{
    uint32_t linear = n->op->forward == sum_forward || n->op->forward == mean_forward ? PN_TRAIT_LINEAR : 0;
    if (n->iattr[1]) return linear;
    for (int64_t k = 0; k < n->n_iv; k++) {
        int64_t a = n->iv[k];
        if (a < 0 && n->n_in && n->in[0]) a += n->in[0]->ndim;
        if (a == 0 || a < 0) return linear; /* a negative axis of unknown rank may be 0 */
    }
    return linear | PN_TRAIT_ROWWISE;
}

#define RED_OP(NAME, FWD, BWD, ATTRS, TRAITS)                                                 \
    static const pn_op op_##NAME = {#NAME, 1, red_infer, FWD, BWD, NULL, one_input, ATTRS, \
                                    TRAITS, red_traits};
RED_OP(sum, sum_forward, sum_backward, red_attrs, PN_TRAIT_LINEAR)
RED_OP(mean, mean_forward, mean_backward, red_attrs, PN_TRAIT_LINEAR)
RED_OP(max, max_forward, extreme_backward, red_attrs, 0)
RED_OP(min, min_forward, extreme_backward, red_attrs, 0)
RED_OP(var, var_forward, var_backward, var_attrs, 0)
RED_OP(std, std_forward, std_backward, var_attrs, 0)

const pn_op *const pn_ops_reduce[] = {&op_sum, &op_mean, &op_max, &op_min, &op_var, &op_std,
                                      NULL};
