/* unary.c - elementwise unary ops and activations, plus softmax / log_softmax.
 *
 * Elementwise ops: neg, pow (exponent fattr[0]), exp, log, sqrt, abs,
 * clip (fattr[0] = lo, fattr[1] = hi), square, relu, relu6,
 * leaky_relu (fattr[0] = negative_slope), elu (fattr[0] = alpha), selu, gelu
 * (iattr[0] = 1 for the tanh approximation), silu, sigmoid, tanh, softplus,
 * softsign, hard_sigmoid, hard_silu.
 * Axis ops: softmax, log_softmax (iattr[0] = axis, may be negative; note an
 * apply() without attributes means axis 0 - pynn.ops passes -1 by default).
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

/* Elements per task: big enough that a task outweighs its dispatch, small
 * enough that batch-sized activations (32 x 1024) already split. */
#define UNARY_GRAIN 16384

typedef struct {
    const float *x, *y, *g;
    float *out;
    float a, b; /* op parameters (from fattr) */
    int flag;   /* op flag (from iattr[0]) */
} unary_ctx;

/* SELU constants (Klambauer et al. 2017), the same values as Keras and torch. */
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define SELU_SCALE 1.0507009873554804934193349852946f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define SQRT_2_OVER_PI 0.79788456080286535588f
#define GELU_C 0.044715f

/* ---------------------------------------------------------------- fast exp, tanh
 * glibc's expf / tanhf are scalar calls, so a loop that uses them is never
 * vectorised; these branch-free versions are (4 floats per SSE2 op in the
 * portable build) and keep ~1 ulp (exp) / ~2 ulp (tanh) accuracy, with inf,
 * NaN and gradual underflow handled like expf. Cephes' polynomials. */
static inline float fast_expf(float x)
{
    /* clamping maps NaN to the low bound (no UB in the int conversion);
     * the selects at the end restore NaN, inf and 0 */
    float xc = x > -104.0f ? x : -104.0f;
    xc = xc < 88.7228394f ? xc : 88.7228394f;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick (floorf is a call without SSE4.1) */
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xc - n * 0.693359375f - n * -2.12194440e-4f;
    float z = r * r;
    float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    /* 2^n as two factors so n in [-150, 128] never leaves the normal range
     * of either (the product underflows gradually, as expf does) */
    int32_t ni = (int32_t)n, h = ni >> 1;
    union { int32_t i; float f; } s1 = {(h + 127) << 23}, s2 = {(ni - h + 127) << 23};
    float y = p * s1.f * s2.f;
    y = x > 88.7228394f ? INFINITY : y;
    y = x < -103.972084f ? 0.0f : y;
    return x != x ? x : y;
}

static inline float fast_tanhf(float x)
{
    float ax = fabsf(x);
    float z = x * x;
    /* small |x|: odd polynomial (1 - 2/(e+1) would cancel) */
    float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                    1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
    float big = 1.0f - 2.0f / (fast_expf(2.0f * ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? small : big;
}

/* log1p(e) for e in [0, 1] (all softplus needs), branch-free: log(u) of
 * u = 1 + e by Cephes' logf polynomial on [sqrt(1/2), sqrt(2)), then the
 * classic correction log(u) * e / (u - 1), which restores the digits lost
 * when 1 + e rounds (so softplus(-100) is still 3.7e-44, not 0). */
static inline float fast_log1p_unit(float e)
{
    float u = 1.0f + e;
    float k = u > 1.41421356f ? 1.0f : 0.0f;
    float m = u > 1.41421356f ? 0.5f * u : u;
    float x = m - 1.0f, z = x * x;
    float y = ((((((((7.0376836292e-2f * x - 1.1514610310e-1f) * x + 1.1676998740e-1f) * x -
                    1.2420140846e-1f) * x + 1.4249322787e-1f) * x - 1.6668057665e-1f) * x +
                 2.0000714765e-1f) * x - 2.4999993993e-1f) * x + 3.3333331174e-1f) * x * z;
    y += -2.12194440e-4f * k;
    y += -0.5f * z;
    float lg = x + y + 0.693359375f * k;
    float d = u - 1.0f;
    return d == 0.0f ? e : lg * (e / d);
}

/* Standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2, branch-free so the
 * exact GELU vectorises (erff is a scalar call). Cephes' erf / erfc
 * polynomials: erf on |z| < 1, erfc = exp(-z^2)/z * poly(1/z^2) beyond, used
 * on the side where it keeps relative accuracy in the left tail. Relative
 * error of x * Phi(x): ~1e-6 for |x| < 4, growing to ~1.5e-5 near x = -12
 * (where gelu is ~1e-31) because exp(-z^2) inherits the rounding of z^2. */
static inline float fast_phi(float x)
{
    float z = x * INV_SQRT2, a = fabsf(z), zz = z * z;
    float e = ((((((7.853861353153693e-5f * zz - 8.010193625184903e-4f) * zz +
                   5.188327685732524e-3f) * zz - 2.685381193529856e-2f) * zz +
                 1.128358514861418e-1f) * zz - 3.761262582423300e-1f) * zz +
               1.128379165726710f) * z;
    float y = 1.0f / (a * a);
    float p = ((((((((2.326819970068386e-2f * y - 1.387039388740657e-1f) * y +
                     3.687424674597105e-1f) * y - 5.824733027278666e-1f) * y +
                   6.210004621745983e-1f) * y - 4.944515323274145e-1f) * y +
                 3.404879937665872e-1f) * y - 2.741127028184656e-1f) * y +
               5.638259427386472e-1f);
    float q = (((((((-1.047766399936249e+1f * y + 1.297719955372516e+1f) * y -
                    7.495518717768503e+0f) * y + 2.921019019210786e+0f) * y -
                  1.015265279202700e+0f) * y + 4.218463358204948e-1f) * y -
                2.820767439740514e-1f) * y + 5.641895067754075e-1f);
    float c = fast_expf(-a * a) / a * (a < 2.0f ? p : q); /* erfc(a) */
    float tail = z < 0 ? 0.5f * c : 1.0f - 0.5f * c;
    return a < 1.0f ? 0.5f + 0.5f * e : tail;
}

/* 1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|, so for
 * x = -100 we get e/(1+e) with e = exp(-100), not 1/inf. */
static inline float stable_sigmoid(float x)
{
    float e = fast_expf(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return x >= 0 ? s : e * s;
}

/* sigmoid' and tanh' from x, not from y: y (1 - y) and 1 - y^2 round to 0 once
 * y rounds to +-1 (|x| > ~17 for sigmoid, ~9 for tanh), while the true values
 * e^-|x| and 4 e^-2|x| are still representable. One exp per element buys a
 * gradient that is right to a few ulps everywhere. */
static inline float sigmoid_deriv(float x)
{
    float e = fast_expf(-fabsf(x));
    return e / ((1.0f + e) * (1.0f + e));
}

static inline float tanh_deriv(float x)
{
    float e = fast_expf(-2.0f * fabsf(x));
    return 4.0f * e / ((1.0f + e) * (1.0f + e));
}

static inline float pow_deriv(float x, float p)
{
    /* torch's convention: d/dx x^0 = 0 everywhere (even at x = 0). */
    if (p == 0.0f) return 0.0f;
    if (p == 1.0f) return 1.0f;
    if (p == 2.0f) return 2.0f * x;
    return p * powf(x, p - 1.0f);
}

static inline float pow_value(float x, float p)
{
    if (p == 2.0f) return x * x;
    if (p == 1.0f) return x;
    if (p == 0.5f) return sqrtf(x);
    return powf(x, p);
}

static inline float gelu_value(float x, int approx)
{
    if (approx) {
        float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        return 0.5f * x * (1.0f + fast_tanhf(u));
    }
    return x * fast_phi(x);
}

static inline float gelu_deriv(float x, int approx)
{
    if (approx) {
        float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        float t = fast_tanhf(u);
        return 0.5f * (1.0f + t) +
               0.5f * x * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x * x);
    }
    return fast_phi(x) + x * INV_SQRT_2PI * fast_expf(-0.5f * x * x);
}

/* One table row per op: NAME, F(x) with parameters a, b, flag, and D(x, y).
 * The derivative must not produce NaN where the true one is 0 (e.g. relu at
 * -inf), since backward multiplies it by g. */
#define UNARY_OPS(X)                                                                         \
    X(neg, -x, -1.0f)                                                                        \
    X(pow, pow_value(x, a), pow_deriv(x, a))                                                 \
    X(exp, fast_expf(x), y)                                                                       \
    X(log, logf(x), 1.0f / x)                                                                \
    X(sqrt, sqrtf(x), 0.5f / y)                                                              \
    X(abs, fabsf(x), (x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f)))                                \
    X(clip, (x < a ? a : (x > b ? b : x)), (x >= a && x <= b ? 1.0f : 0.0f))                \
    X(square, x * x, 2.0f * x)                                                               \
    X(relu, (x > 0 || x != x ? x : 0.0f), (x > 0 ? 1.0f : 0.0f))                             \
    X(relu6, (x < 0 ? 0.0f : (x > 6 ? 6.0f : x)), (x > 0 && x < 6 ? 1.0f : 0.0f))          \
    X(leaky_relu, (x > 0 ? x : a * x), (x > 0 ? 1.0f : a))                                   \
    X(elu, (x > 0 ? x : a * expm1f(x)), (x > 0 ? 1.0f : a * fast_expf(x)))                        \
    X(selu, SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1f(x)),                               \
      SELU_SCALE * (x > 0 ? 1.0f : SELU_ALPHA * fast_expf(x)))                                    \
    X(gelu, gelu_value(x, flag), gelu_deriv(x, flag))                                        \
    X(silu, x * stable_sigmoid(x),                                                           \
      stable_sigmoid(x) * (1.0f + x * (1.0f - stable_sigmoid(x))))                           \
    X(sigmoid, stable_sigmoid(x), sigmoid_deriv(x))                                          \
    X(tanh, fast_tanhf(x), tanh_deriv(x))                                                         \
    X(softplus, fast_log1p_unit(fast_expf(-fabsf(x))) + (x > 0 ? x : 0.0f), stable_sigmoid(x))             \
    X(softsign, x / (1.0f + fabsf(x)), 1.0f / ((1.0f + fabsf(x)) * (1.0f + fabsf(x))))     \
    X(hard_sigmoid, (x <= -3 ? 0.0f : (x >= 3 ? 1.0f : x / 6.0f + 0.5f)),                    \
      (x > -3 && x < 3 ? 1.0f / 6.0f : 0.0f))                                                \
    X(hard_silu, (x <= -3 ? 0.0f : (x >= 3 ? x : x * (x + 3.0f) / 6.0f)),                    \
      (x <= -3 ? 0.0f : (x >= 3 ? 1.0f : x / 3.0f + 0.5f)))

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
 * are passed by value so the compiler sees loop invariants and vectorises.
 * On x86-64 with GCC each range function is also cloned for x86-64-v3
 * (AVX2 + FMA) and picked at load time (ifunc); the portable SSE2 clone
 * stays the default, as DESIGN.md asks (no -march=native). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RANGE_FN __attribute__((target_clones("arch=x86-64-v3", "default"))) static void
#else
#define RANGE_FN static void
#endif
#if defined(__GNUC__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

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

#define DEFINE_UNARY_OP(NAME, F, D)                                                          \
    static const pn_op op_##NAME = {#NAME, 1, unary_infer_checked, NAME##_forward,             \
                                    NAME##_backward, NULL};
UNARY_OPS(DEFINE_UNARY_OP)

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

static const pn_op op_softmax = {"softmax", 1, smax_infer, smax_forward, smax_backward, NULL};
static const pn_op op_log_softmax = {"log_softmax", 1, smax_infer, smax_forward, smax_backward,
                                     NULL};

#define UNARY_ENTRY(NAME, F, D) &op_##NAME,
const pn_op *const pn_ops_unary[] = {UNARY_OPS(UNARY_ENTRY) &op_softmax, &op_log_softmax, NULL};
