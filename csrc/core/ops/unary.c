/* unary.c - elementwise unary ops and activations, plus softmax / log_softmax.
 *
 * Elementwise ops: neg, pow (exponent fattr[0]), exp, log, sqrt, abs, erf,
 * clip (fattr[0] = lo, fattr[1] = hi), square, relu, relu6,
 * leaky_relu (fattr[0] = negative_slope), elu (fattr[0] = alpha), selu, gelu
 * (iattr[0] = 1 for the tanh approximation), silu, sigmoid, tanh, softplus,
 * softsign, hard_sigmoid, hard_silu.
 * Axis ops: softmax, log_softmax (iattr[0] = axis, may be negative; -1 by
 * default).
 *
 * exp, tanh, sigmoid, silu, softplus, elu/selu (gradient) and the exact gelu
 * use branch-free polynomial versions (Cephes) below instead of libm calls,
 * so their loops vectorise; accuracy is stated at each and checked by tests.
 *
 * Every elementwise op is one forward expression y = F(x) and one derivative
 * expression D(x, y) = dy/dx written next to each other in the table below;
 * backward accumulates gx += g * D. Loops run over flat ranges split by
 * pn_parallel_for, whose chunking depends only on the size, so results never
 * depend on the thread count (and each element is computed independently
 * anyway). Where the derivative is cheaper from the output (exp, sqrt) it
 * reads y, which the forward left in n->data.
 *
 * Derivatives at kinks follow PyTorch (and TF where they agree): relu'(0) = 0,
 * abs'(0) = 0, clip passes the gradient on the closed interval [lo, hi],
 * leaky_relu'(0) = slope, relu6 and hard_sigmoid pass it on the open interval,
 * hard_silu takes the outer piece's slope at -3 and 3.
 * stop_gradient (keras.ops.stop_gradient) copies x and has no backward: its
 * output never requires a gradient, so nothing flows back through it in the
 * eager tape or in a compiled program.
 * relu/relu6/clip propagate NaN, as torch does, so a NaN is never hidden. */
/* Under GCC's default -ftrapping-math a float compare may not be executed
 * speculatively, so loops with selects (fast_expf's range checks, relu, max)
 * stay scalar. Nothing in pynn reads FP exception flags; lifting this for the
 * file lets those loops vectorise. (Better as a global flag in setup.py.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <math.h>
#include <string.h>

#include "pn.h"
#include "activation.h"

/* Elements per task: big enough that a task outweighs its dispatch, small
 * enough that batch-sized activations (32 x 1024) already split. */
#define UNARY_GRAIN 16384

typedef struct {
    const float *x, *y, *g;
    float *out;
    float a, b; /* op parameters (from fattr) */
    int flag;   /* op flag (from iattr[0]) */
} unary_ctx;

static int unary_infer(pn_node *n)
{
    return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static void unary_setup(const pn_node *n, unary_ctx *c)
{
    c->x = n->in[0]->data;
    c->y = n->data;
    c->g = n->grad;
    c->a = (float)n->fattr[0];
    c->b = (float)n->fattr[1];
    c->flag = (int)n->iattr[0];
}

/* Each loop is written once as an always-inline body and instantiated for
 * flag = 0 and flag = 1, so a flag-dependent op (gelu) gets two clean loops
 * instead of computing both variants per element and selecting. Parameters
 * are passed by value so the compiler sees loop invariants and vectorises. */
#define DEFINE_UNARY(NAME, F, D)                                                             \
    ALWAYS_INLINE void NAME##_fwd_loop(const float *restrict xs, float *restrict ys,         \
                                       int64_t lo, int64_t hi, const float a, const float b, \
                                       const int flag)                                       \
    {                                                                                        \
        (void)a, (void)b, (void)flag;                                                        \
        for (int64_t i = lo; i < hi; i++) {                                                  \
            const float x = xs[i];                                                           \
            ys[i] = (F);                                                                     \
        }                                                                                    \
    }                                                                                        \
    ALWAYS_INLINE void NAME##_bwd_loop(const float *restrict xs, const float *restrict yv,   \
                                       const float *restrict gs, float *restrict gx,         \
                                       int64_t lo, int64_t hi, const float a, const float b, \
                                       const int flag)                                       \
    {                                                                                        \
        (void)a, (void)b, (void)flag, (void)xs, (void)yv;                                    \
        for (int64_t i = lo; i < hi; i++) {                                                  \
            const float x = xs[i], y = yv[i];                                                \
            (void)x, (void)y;                                                                \
            gx[i] += gs[i] * (D);                                                            \
        }                                                                                    \
    }                                                                                        \
    RANGE_FN NAME##_fwd_range(void *ctx, int64_t lo, int64_t hi)                             \
    {                                                                                        \
        const unary_ctx *c = ctx;                                                            \
        if (c->flag)                                                                         \
            NAME##_fwd_loop(c->x, c->out, lo, hi, c->a, c->b, 1);                            \
        else                                                                                 \
            NAME##_fwd_loop(c->x, c->out, lo, hi, c->a, c->b, 0);                            \
    }                                                                                        \
    RANGE_FN NAME##_bwd_range(void *ctx, int64_t lo, int64_t hi)                             \
    {                                                                                        \
        const unary_ctx *c = ctx;                                                            \
        if (c->flag)                                                                         \
            NAME##_bwd_loop(c->x, c->y, c->g, c->out, lo, hi, c->a, c->b, 1);                \
        else                                                                                 \
            NAME##_bwd_loop(c->x, c->y, c->g, c->out, lo, hi, c->a, c->b, 0);                \
    }                                                                                        \
    static int NAME##_forward(pn_node *n)                                                    \
    {                                                                                        \
        unary_ctx c;                                                                         \
        unary_setup(n, &c);                                                                  \
        c.out = n->data;                                                                     \
        pn_parallel_for(n->size, UNARY_GRAIN, NAME##_fwd_range, &c);                         \
        return PN_OK;                                                                        \
    }                                                                                        \
    static int NAME##_backward(pn_node *n)                                                   \
    {                                                                                        \
        if (!n->in[0]->requires_grad) return PN_OK;                                          \
        unary_ctx c;                                                                         \
        unary_setup(n, &c);                                                                  \
        c.out = n->in[0]->grad;                                                              \
        pn_parallel_for(n->size, UNARY_GRAIN, NAME##_bwd_range, &c);                         \
        return PN_OK;                                                                        \
    }

UNARY_OPS(DEFINE_UNARY)

/* clip with lo > hi has no sensible meaning (NumPy silently returns hi);
 * refuse it so the gradient mask is never empty by accident. */
static int unary_infer_checked(pn_node *n)
{
    if (n->op->forward == clip_forward && !(n->fattr[0] <= n->fattr[1]))
        return pn_error(PN_EVALUE, "clip: lower bound %g must not exceed upper bound %g",
                        n->fattr[0], n->fattr[1]);
    return unary_infer(n);
}

/* Descriptors. The parameters live in fattr[0], fattr[1] (a, b) and iattr[0]
 * (flag), as unary_setup reads them; the defaults are Keras'. */
static const char *const one_input[] = {"x", NULL};
static const pn_attr pow_attrs[] = {{"exponent", PN_ATTR_FLOAT, 0, 1.0}, {NULL}};
static const pn_attr clip_attrs[] = {{"x_min", PN_ATTR_FLOAT, 0, -INFINITY},
                                     {"x_max", PN_ATTR_FLOAT, 1, INFINITY}, {NULL}};
static const pn_attr leaky_relu_attrs[] = {{"negative_slope", PN_ATTR_FLOAT, 0, 0.2}, {NULL}};
static const pn_attr elu_attrs[] = {{"alpha", PN_ATTR_FLOAT, 0, 1.0}, {NULL}};
static const pn_attr gelu_attrs[] = {{"approximate", PN_ATTR_BOOL, 0, 1}, {NULL}};

#define UNARY_OP(NAME, ATTRS, TRAITS)                                                       \
    static const pn_op op_##NAME = {#NAME, 1, unary_infer_checked, NAME##_forward,         \
                                    NAME##_backward, NULL, one_input, ATTRS,                 \
                                    PN_TRAIT_ROWWISE | (TRAITS), NULL};
UNARY_OP(neg, NULL, PN_TRAIT_LINEAR)
UNARY_OP(pow, pow_attrs, 0)
UNARY_OP(exp, NULL, 0)
UNARY_OP(log, NULL, 0)
UNARY_OP(sqrt, NULL, 0)
UNARY_OP(abs, NULL, 0)
UNARY_OP(clip, clip_attrs, 0)
UNARY_OP(square, NULL, 0)
UNARY_OP(sin, NULL, 0)
UNARY_OP(cos, NULL, 0)
UNARY_OP(erf, NULL, 0)
UNARY_OP(floor, NULL, 0)
UNARY_OP(ceil, NULL, 0)
UNARY_OP(round, NULL, 0)
UNARY_OP(trunc, NULL, 0)
UNARY_OP(sign, NULL, 0)
UNARY_OP(relu, NULL, 0)
UNARY_OP(relu6, NULL, 0)
UNARY_OP(leaky_relu, leaky_relu_attrs, 0)
UNARY_OP(elu, elu_attrs, 0)
UNARY_OP(selu, NULL, 0)
UNARY_OP(gelu, gelu_attrs, 0)
UNARY_OP(silu, NULL, 0)
UNARY_OP(sigmoid, NULL, 0)
UNARY_OP(tanh, NULL, 0)
UNARY_OP(softplus, NULL, 0)
UNARY_OP(softsign, NULL, 0)
UNARY_OP(hard_sigmoid, NULL, 0)
UNARY_OP(hard_silu, NULL, 0)

/* ---------------------------------------------------------------- softmax
 * The tensor is seen as (outer, L, inner) around the axis; each of the
 * outer * inner rows (stride inner) is normalised on its own, so threads take
 * whole rows and the result is independent of their number. Max subtraction
 * keeps exp from overflowing; sums are in double. A 0-d tensor is a single
 * row of length 1 (axis 0 or -1), as in torch. */

typedef struct {
    const float *x, *y, *g;
    float *out;
    int64_t L, inner;
    int log; /* log_softmax */
} smax_ctx;

static int smax_geometry(const pn_node *n, int64_t *L, int64_t *inner)
{
    const pn_node *x = n->in[0];
    if (x->ndim == 0) {
        if (n->iattr[0] != 0 && n->iattr[0] != -1)
            return pn_error(PN_EVALUE, "%s: axis %lld is out of range for a tensor of rank 0",
                            n->op->name, (long long)n->iattr[0]);
        *L = *inner = 1;
        return PN_OK;
    }
    int ax;
    int rc = pn_norm_axis(n->op->name, n->iattr[0], x->ndim, &ax);
    if (rc) return rc;
    *L = x->shape[ax];
    *inner = 1;
    for (int d = ax + 1; d < x->ndim; d++) *inner *= x->shape[d];
    return PN_OK;
}

static int smax_infer(pn_node *n)
{
    int64_t L, inner;
    int rc = smax_geometry(n, &L, &inner);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static inline int64_t row_base(const smax_ctx *c, int64_t r)
{
    if (c->inner == 1) return r * c->L; /* skip the divisions in the common case */
    return (r / c->inner) * c->L * c->inner + r % c->inner;
}

/* Sum of a[j] (times b[j] if b) over a contiguous row, in double, with eight
 * independent partial sums in a fixed pattern: the compiler can vectorise it
 * (one serial double chain would not), and the order depends only on n. */
ALWAYS_INLINE double row_sum(const float *restrict a, const float *restrict b, int64_t n)
{
    double acc[8] = {0};
    int64_t j = 0;
    if (b)
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) acc[k] += (double)a[j + k] * b[j + k];
    else
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) acc[k] += a[j + k];
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < n; j++) s += b ? (double)a[j] * b[j] : a[j];
    return s;
}

/* Row maximum, ignoring NaN: a NaN in the row turns x - m, hence the sum and
 * the whole row, into NaN anyway. Eight lanes so the contiguous case
 * vectorises (max is exact, so the lane split cannot change the result). */
ALWAYS_INLINE float row_max(const float *restrict x, int64_t n, int64_t st)
{
    float m = -INFINITY;
    int64_t j = 0;
    if (st == 1) {
        float lane[8];
        for (int k = 0; k < 8; k++) lane[k] = -INFINITY;
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++) lane[k] = x[j + k] > lane[k] ? x[j + k] : lane[k];
        for (int k = 0; k < 8; k++) m = lane[k] > m ? lane[k] : m;
    }
    for (; j < n; j++) m = x[j * st] > m ? x[j * st] : m;
    return m;
}

RANGE_FN smax_fwd_range(void *ctx, int64_t lo, int64_t hi)
{
    const smax_ctx *c = ctx;
    const int64_t L = c->L, st = c->inner;
    for (int64_t r = lo; r < hi; r++) {
        const float *x = c->x + row_base(c, r);
        float *y = c->out + row_base(c, r);
        float m = row_max(x, L, st);
        double s;
        if (st == 1) { /* the hot case (last axis): every loop vectorises */
            for (int64_t j = 0; j < L; j++) y[j] = fast_expf(x[j] - m);
            s = row_sum(y, NULL, L);
        } else {
            s = 0;
            for (int64_t j = 0; j < L; j++) {
                float e = fast_expf(x[j * st] - m);
                y[j * st] = e;
                s += e;
            }
        }
        if (c->log) {
            float ls = (float)log(s);
            for (int64_t j = 0; j < L; j++) y[j * st] = (x[j * st] - m) - ls;
        } else {
            float inv = (float)(1.0 / s);
            for (int64_t j = 0; j < L; j++) y[j * st] *= inv;
        }
    }
}

/* softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - exp(y) * sum(g). */
RANGE_FN smax_bwd_range(void *ctx, int64_t lo, int64_t hi)
{
    const smax_ctx *c = ctx;
    const int64_t L = c->L, st = c->inner;
    for (int64_t r = lo; r < hi; r++) {
        int64_t b = row_base(c, r);
        const float *y = c->y + b, *g = c->g + b;
        float *gx = c->out + b;
        double s = 0;
        if (st == 1) {
            s = c->log ? row_sum(g, NULL, L) : row_sum(g, y, L);
        } else if (c->log) {
            for (int64_t j = 0; j < L; j++) s += g[j * st];
        } else {
            for (int64_t j = 0; j < L; j++) s += (double)g[j * st] * y[j * st];
        }
        float sf = (float)s;
        if (c->log)
            for (int64_t j = 0; j < L; j++) gx[j * st] += g[j * st] - fast_expf(y[j * st]) * sf;
        else
            for (int64_t j = 0; j < L; j++) gx[j * st] += y[j * st] * (g[j * st] - sf);
    }
}

static int smax_run(pn_node *n, int backward)
{
    smax_ctx c;
    int rc = smax_geometry(n, &c.L, &c.inner);
    if (rc) return rc;
    if (n->size == 0) return PN_OK;
    if (backward && !n->in[0]->requires_grad) return PN_OK;
    c.x = n->in[0]->data;
    c.y = n->data;
    c.g = n->grad;
    c.out = backward ? n->in[0]->grad : n->data;
    c.log = strcmp(n->op->name, "log_softmax") == 0;
    int64_t rows = n->size / c.L;
    int64_t grain = UNARY_GRAIN / c.L;
    pn_parallel_for(rows, grain > 1 ? grain : 1, backward ? smax_bwd_range : smax_fwd_range, &c);
    return PN_OK;
}

static int smax_forward(pn_node *n) { return smax_run(n, 0); }
static int smax_backward(pn_node *n) { return smax_run(n, 1); }

/* iattr[0]: the axis. Row-wise unless it normalises over the batch axis. */
static const pn_attr smax_attrs[] = {{"axis", PN_ATTR_INT, 0, -1}, {NULL}};
static uint32_t smax_traits(const pn_node *n)
{
    int64_t ax = n->iattr[0];
    if (ax < 0 && n->n_in && n->in[0]) ax += n->in[0]->ndim; /* a node knows its rank */
    return ax == 0 ? 0 : PN_TRAIT_ROWWISE;
}
static const pn_op op_softmax = {"softmax", 1, smax_infer, smax_forward, smax_backward, NULL,
                                 one_input, smax_attrs, PN_TRAIT_ROWWISE, smax_traits};
static const pn_op op_log_softmax = {"log_softmax", 1, smax_infer, smax_forward, smax_backward,
                                     NULL, one_input, smax_attrs, PN_TRAIT_ROWWISE, smax_traits};

/* ---------------------------------------------------------------- stop_gradient */
static int stop_gradient_forward(pn_node *n)
{
    if (n->size) memcpy(n->data, n->in[0]->data, (size_t)n->size * sizeof(float));
    return PN_OK;
}
static const pn_op op_stop_gradient = {"stop_gradient", 1, unary_infer, stop_gradient_forward,
                                       NULL, NULL, one_input, NULL, PN_TRAIT_ROWWISE, NULL};

#define UNARY_ENTRY(NAME, F, D) &op_##NAME,
const pn_op *const pn_ops_unary[] = {UNARY_OPS(UNARY_ENTRY) &op_softmax, &op_log_softmax,
                                     &op_stop_gradient, NULL};
