/* pool.c - channels-last spatial resampling: pooling, global pooling, zero
 * padding, cropping and nearest upsampling.
 *
 * max_pool2d / avg_pool2d: x (N, H, W, C), pool_size (h, w), strides (h, w),
 * padding; max_pool1d / avg_pool1d: x (N, W, C), pool_size, strides, padding
 * (slots in the descriptors before the op table). The 1-D ops run as 2-D with H = pool_h = 1. padding 'valid' or
 * 'same' (TF split). Padded positions never win a max and are not counted in
 * an average, as in Keras/TF. Max pooling keeps, per output element, the index
 * of the winning position inside its window (first maximum on ties, like TF and
 * PyTorch), so backward routes the gradient without re-searching; a node no
 * gradient flows through (inference) keeps none and computes the max alone.
 *
 * global_avg_pool / global_max_pool: x (N, spatial..., C) -> (N, C), or
 * (N, 1, ..., 1, C) with keepdims.
 *
 * zero_padding, cropping: x (N, H, W, C) or (N, W, C), padding / cropping (top,
 * bottom, left, right) (top/bottom must be 0 for 3-D). upsampling: size (h, w),
 * each pixel repeated (nearest neighbour, Keras' default).
 *
 * Loops put channels innermost (contiguous in NHWC) so they vectorise. Forward
 * splits over output lines; backward scatters into dx split by image, which
 * keeps writes of overlapping windows on one thread. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math") /* as in unary.c: lets the max selects vectorise */
#endif
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "activation.h" /* RANGE_FN */
#include "pn.h"
#include "pool.h"

typedef struct {
    int64_t N, H, W, C, PH, PW, sh, sw, OH, OW, pt, pl;
} pool_geom;

static int pool_axis(const char *op, const char *axis, int64_t n, int64_t k, int64_t s, int64_t mode,
                     int64_t *out, int64_t *before)
{
    if (mode == 0) {
        if (n < k)
            return pn_error(PN_EVALUE,
                            "%s: pool size %lld is larger than the input %s %lld with padding='valid'; "
                            "use a smaller pool_size or padding='same'",
                            op, (long long)k, axis, (long long)n);
        *out = (n - k) / s + 1;
        *before = 0;
        return PN_OK;
    }
    *out = n == 0 ? 0 : (n - 1) / s + 1;
    /* (out - 1) * s <= n - 1, so subtracting n first keeps the sum in range */
    int64_t total = (*out - 1) * s - n + k;
    *before = total > 0 ? total / 2 : 0;
    return PN_OK;
}

static int pool_geom_make(const pn_node *n, int one_d, pool_geom *g)
{
    const char *op = n->op->name;
    const pn_node *X = n->in[0];
    char s1[128];
    int rank = one_d ? 3 : 4;
    memset(g, 0, sizeof *g);
    if (X->ndim != rank)
        return pn_error(PN_EVALUE,
                        one_d ? "%s: expected a 3-D input (batch, steps, channels), got shape %s"
                              : "%s: expected a 4-D input (batch, height, width, channels), got shape %s",
                        op, pn_shape_str(s1, X->ndim, X->shape));
    g->N = X->shape[0];
    g->H = one_d ? 1 : X->shape[1];
    g->W = X->shape[rank - 2];
    g->C = X->shape[rank - 1];
    int64_t mode;
    if (one_d) {
        g->PH = g->sh = 1;
        g->PW = n->iattr[0];
        g->sw = n->iattr[1];
        mode = n->iattr[2];
    } else {
        g->PH = n->iattr[0];
        g->PW = n->iattr[1];
        g->sh = n->iattr[2];
        g->sw = n->iattr[3];
        mode = n->iattr[4];
    }
    if (g->PH < 1 || g->PW < 1 || g->sh < 1 || g->sw < 1)
        return pn_error(PN_EVALUE, "%s: pool sizes and strides must be >= 1, got pool (%lld, %lld), "
                        "strides (%lld, %lld)", op, (long long)g->PH, (long long)g->PW,
                        (long long)g->sh, (long long)g->sw);
    /* at most PN_SIZE_MAX each: window ends (position + size) then stay in range */
    if (g->PH > PN_SIZE_MAX || g->PW > PN_SIZE_MAX || g->sh > PN_SIZE_MAX || g->sw > PN_SIZE_MAX)
        return pn_error(PN_EVALUE, "%s: pool sizes and strides must be at most %lld, got pool (%lld, %lld), "
                        "strides (%lld, %lld)", op, (long long)PN_SIZE_MAX, (long long)g->PH,
                        (long long)g->PW, (long long)g->sh, (long long)g->sw);
    if (mode != 0 && mode != 1) return pn_error(PN_EVALUE, "%s: unknown padding code %lld", op, (long long)mode);
    int rc = pool_axis(op, one_d ? "steps" : "height", g->H, g->PH, g->sh, one_d ? 0 : mode, &g->OH, &g->pt);
    if (!rc) rc = pool_axis(op, one_d ? "steps" : "width", g->W, g->PW, g->sw, mode, &g->OW, &g->pl);
    return rc;
}

static int pool_infer_kind(pn_node *n, int one_d)
{
    pool_geom g;
    int rc = pool_geom_make(n, one_d, &g);
    if (rc) return rc;
    int64_t s2[4] = {g.N, g.OH, g.OW, g.C}, s1[3] = {g.N, g.OW, g.C};
    return one_d ? pn_node_set_shape(n, 3, s1) : pn_node_set_shape(n, 4, s2);
}

/* The window of output (oy, ox) clipped to the input: [y0, y1) x [x0, x1). */
static inline void window(const pool_geom *g, int64_t oy, int64_t ox, int64_t *y0, int64_t *y1,
                          int64_t *x0, int64_t *x1)
{
    int64_t ys = oy * g->sh - g->pt, xs = ox * g->sw - g->pl;
    *y0 = ys < 0 ? 0 : ys;
    *x0 = xs < 0 ? 0 : xs;
    *y1 = ys + g->PH > g->H ? g->H : ys + g->PH;
    *x1 = xs + g->PW > g->W ? g->W : xs + g->PW;
}

typedef struct {
    const pool_geom *g;
    const float *x;
    float *y;
    int32_t *arg;   /* max: winning position in the window (ky * PW + kx) */
    const float *gy;
    float *dx;
    int is_max;
} pool_ctx;

/* Max pooling keeps, per output element, the winner's offset from the window's
 * top-left corner in input positions (ky * W + kx), so backward reaches it
 * with one add instead of a division per element. */
RANGE_FN pool_fwd_lines(void *vctx, int64_t b, int64_t e)
{
    const pool_ctx *c = vctx;
    const pool_geom *g = c->g;
    int64_t C = g->C;
    for (int64_t line = b; line < e; line++) {
        int64_t img = line / g->OH, oy = line % g->OH;
        for (int64_t ox = 0; ox < g->OW; ox++) {
            int64_t o = ((img * g->OH + oy) * g->OW + ox) * C;
            float *restrict y = c->y + o;
            int64_t y0, y1, x0, x1;
            window(g, oy, ox, &y0, &y1, &x0, &x1);
            if (c->is_max && c->arg) {
                int32_t *restrict a = c->arg + o;
                int64_t ys = oy * g->sh - g->pt, xs0 = ox * g->sw - g->pl;
                /* the window is never empty: its first position starts the search */
                const float *restrict x = c->x + ((img * g->H + y0) * g->W + x0) * C;
                int32_t first = pn_max_pool_pos(y0 - ys, x0 - xs0, g->W);
                for (int64_t ch = 0; ch < C; ch++) {
                    y[ch] = x[ch];
                    a[ch] = first;
                }
                for (int64_t iy = y0; iy < y1; iy++)
                    for (int64_t ix = x0; ix < x1; ix++) {
                        if (iy == y0 && ix == x0) continue;
                        const float *restrict xs = c->x + ((img * g->H + iy) * g->W + ix) * C;
                        int32_t pos = pn_max_pool_pos(iy - ys, ix - xs0, g->W);
                        /* selects, not branches, so the channel loop vectorises; the
                         * first maximum wins ties and a NaN wins (and stays), as in TF */
                        for (int64_t ch = 0; ch < C; ch++) {
                            float v = xs[ch], cur = y[ch];
                            int take = pn_max_takes(cur, v);
                            y[ch] = take ? v : cur;
                            a[ch] = take ? pos : a[ch];
                        }
                    }
            } else if (c->is_max) { /* no gradient will flow: the maximum alone */
                const float *restrict x = c->x + ((img * g->H + y0) * g->W + x0) * C;
                for (int64_t ch = 0; ch < C; ch++) y[ch] = x[ch];
                for (int64_t iy = y0; iy < y1; iy++)
                    for (int64_t ix = x0; ix < x1; ix++) {
                        if (iy == y0 && ix == x0) continue;
                        const float *restrict xs = c->x + ((img * g->H + iy) * g->W + ix) * C;
                        for (int64_t ch = 0; ch < C; ch++) /* the same selects as above */
                            y[ch] = pn_max_step(y[ch], xs[ch]);
                    }
            } else {
                for (int64_t ch = 0; ch < C; ch++) y[ch] = 0;
                for (int64_t iy = y0; iy < y1; iy++)
                    for (int64_t ix = x0; ix < x1; ix++) {
                        const float *xs = c->x + ((img * g->H + iy) * g->W + ix) * C;
                        for (int64_t ch = 0; ch < C; ch++) y[ch] += xs[ch];
                    }
                float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
                for (int64_t ch = 0; ch < C; ch++) y[ch] *= inv;
            }
        }
    }
}

/* Max backward walks each window's positions and adds gy where the position
 * is the winner: a select per channel, which vectorises, where scattering to
 * the winners one channel at a time did not. Each input position still gets
 * its outputs' gradients in output order (one winner per output and channel),
 * so the sums are the scatter's, bit for bit. */
RANGE_FN pool_bwd_images(void *vctx, int64_t b, int64_t e)
{
    const pool_ctx *c = vctx;
    const pool_geom *g = c->g;
    int64_t C = g->C;
    for (int64_t img = b; img < e; img++)
        for (int64_t oy = 0; oy < g->OH; oy++)
            for (int64_t ox = 0; ox < g->OW; ox++) {
                int64_t o = ((img * g->OH + oy) * g->OW + ox) * C;
                const float *restrict gy = c->gy + o;
                if (c->is_max) {
                    const int32_t *restrict a = c->arg + o;
                    int64_t y0, y1, x0, x1, ys = oy * g->sh - g->pt, xs0 = ox * g->sw - g->pl;
                    window(g, oy, ox, &y0, &y1, &x0, &x1);
                    for (int64_t iy = y0; iy < y1; iy++)
                        for (int64_t ix = x0; ix < x1; ix++) {
                            float *restrict d = c->dx + ((img * g->H + iy) * g->W + ix) * C;
                            int32_t pos = pn_max_pool_pos(iy - ys, ix - xs0, g->W);
                            for (int64_t ch = 0; ch < C; ch++)
                                d[ch] = a[ch] == pos ? d[ch] + gy[ch] : d[ch];
                        }
                } else {
                    int64_t y0, y1, x0, x1;
                    window(g, oy, ox, &y0, &y1, &x0, &x1);
                    float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
                    for (int64_t iy = y0; iy < y1; iy++)
                        for (int64_t ix = x0; ix < x1; ix++) {
                            float *d = c->dx + ((img * g->H + iy) * g->W + ix) * C;
                            for (int64_t ch = 0; ch < C; ch++) d[ch] += gy[ch] * inv;
                        }
                }
            }
}

static int pool_forward_kind(pn_node *n, int one_d, int is_max)
{
    pool_geom g;
    int rc = pool_geom_make(n, one_d, &g);
    if (rc) return rc;
    pool_ctx c = {&g, n->in[0]->data, n->data, NULL, NULL, NULL, is_max};
    if (is_max && n->requires_grad) { /* backward routes through the winners */
        if (g.PH * g.W > INT32_MAX)
            return pn_error(PN_EVALUE, "%s: pool height x input width %lld is too large", n->op->name,
                            (long long)(g.PH * g.W));
        c.arg = pn_node_scratch(n, sizeof(int32_t) * (size_t)n->size);
        if (!c.arg) return PN_ENOMEM;
    }
    pn_parallel_for(g.N * g.OH, 4, pool_fwd_lines, &c);
    return PN_OK;
}

static int pool_backward_kind(pn_node *n, int one_d, int is_max)
{
    pool_geom g;
    int rc = pool_geom_make(n, one_d, &g);
    if (rc) return rc;
    if (!n->in[0]->requires_grad) return PN_OK;
    pool_ctx c = {&g, NULL, NULL, n->saved, n->grad, n->in[0]->grad, is_max};
    if (is_max && n->size && (!n->saved || n->saved_bytes < sizeof(int32_t) * (size_t)n->size))
        return pn_error(PN_EINTERNAL, "%s: backward without a matching forward", n->op->name);
    pn_parallel_for(g.N, 1, pool_bwd_images, &c);
    return PN_OK;
}

/* The slots pool_geometry reads, by name (strides default to the pool size
 * in Keras; the wrappers pass them). */
static const char *const one_input[] = {"x", NULL};
static const char *const pool_pad[] = {"valid", "same", NULL};
static const pn_attr pool2d_attrs[] = {{"pool_size", PN_ATTR_INTS, 0, 2, 2},
                                       {"strides", PN_ATTR_INTS, 2, 2, 2},
                                       {"padding", PN_ATTR_ENUM, 4, 0, 0, pool_pad}, {NULL}};
static const pn_attr pool1d_attrs[] = {{"pool_size", PN_ATTR_INT, 0, 2},
                                       {"strides", PN_ATTR_INT, 1, 2},
                                       {"padding", PN_ATTR_ENUM, 2, 0, 0, pool_pad}, {NULL}};

/* For the compiled driver's fusion (pn_op.pools_input): a 2-D max pooling
 * whose windows tile the input ('valid', strides = pool size), so that
 * each of its output lines needs its own PH input lines and no others. */
static int max_pool2d_pools_input(const pn_node *n, int64_t win[2])
{
    pool_geom g;
    if (pool_geom_make(n, 0, &g) || pn_attr_i(n, "padding") != 0 || g.sh != g.PH || g.sw != g.PW)
        return 0;
    win[0] = g.PH, win[1] = g.PW;
    return 1;
}

#define DEFINE_POOL(NAME, ONE_D, IS_MAX, TRAITS, POOLS_INPUT)                                   \
    static int NAME##_infer(pn_node *n) { return pool_infer_kind(n, ONE_D); }                   \
    static int NAME##_forward(pn_node *n) { return pool_forward_kind(n, ONE_D, IS_MAX); }       \
    static int NAME##_backward(pn_node *n) { return pool_backward_kind(n, ONE_D, IS_MAX); }     \
    static const pn_op op_##NAME = {#NAME, 1, NAME##_infer, NAME##_forward, NAME##_backward, NULL, \
                                    one_input, ONE_D ? pool1d_attrs : pool2d_attrs,            \
                                    PN_TRAIT_ROWWISE | (TRAITS), NULL, POOLS_INPUT, NULL};

DEFINE_POOL(max_pool2d, 0, 1, 0, max_pool2d_pools_input)
DEFINE_POOL(avg_pool2d, 0, 0, PN_TRAIT_LINEAR, NULL)
DEFINE_POOL(max_pool1d, 1, 1, 0, NULL)
DEFINE_POOL(avg_pool1d, 1, 0, PN_TRAIT_LINEAR, NULL)

/* ---------------------------------------------------------------- global pooling */

/* x seen as (N, M, C) with M the product of the spatial axes. */
static int global_dims(const pn_node *n, int64_t *N, int64_t *M, int64_t *C)
{
    const pn_node *X = n->in[0];
    char s[128];
    *N = *M = *C = 0;
    if (X->ndim < 3)
        return pn_error(PN_EVALUE,
                        "%s: expected an input (batch, spatial..., channels) of rank 3 or more, got "
                        "shape %s", n->op->name, pn_shape_str(s, X->ndim, X->shape));
    *N = X->shape[0];
    *C = X->shape[X->ndim - 1];
    *M = 1;
    for (int i = 1; i < X->ndim - 1; i++) *M *= X->shape[i];
    return PN_OK;
}

static int global_infer(pn_node *n)
{
    int64_t N, M, C;
    int rc = global_dims(n, &N, &M, &C);
    if (rc) return rc;
    const pn_node *X = n->in[0];
    if (M == 0 && strcmp(n->op->name, "global_max_pool") == 0) {
        char s[128];
        return pn_error(PN_EVALUE, "global_max_pool: the input %s has no spatial positions to take "
                        "a maximum over", pn_shape_str(s, X->ndim, X->shape));
    }
    int64_t shape[PN_MAX_DIMS];
    if (n->iattr[0]) {
        for (int i = 0; i < X->ndim; i++) shape[i] = (i == 0 || i == X->ndim - 1) ? X->shape[i] : 1;
        return pn_node_set_shape(n, X->ndim, shape);
    }
    shape[0] = N;
    shape[1] = C;
    return pn_node_set_shape(n, 2, shape);
}

static int global_avg_forward(pn_node *n)
{
    int64_t N, M, C;
    int rc = global_dims(n, &N, &M, &C);
    if (rc) return rc;
    const float *x = n->in[0]->data;
    for (int64_t i = 0; i < N; i++) {
        float *y = n->data + i * C;
        for (int64_t c = 0; c < C; c++) y[c] = 0;
        for (int64_t m = 0; m < M; m++) {
            const float *xs = x + (i * M + m) * C;
            for (int64_t c = 0; c < C; c++) y[c] += xs[c];
        }
        float inv = 1.0f / (float)M; /* M == 0 gives NaN, like a mean over nothing */
        for (int64_t c = 0; c < C; c++) y[c] *= inv;
    }
    return PN_OK;
}

static int global_avg_backward(pn_node *n)
{
    int64_t N, M, C;
    int rc = global_dims(n, &N, &M, &C);
    if (rc) return rc;
    if (!n->in[0]->requires_grad || M == 0) return PN_OK;
    float inv = 1.0f / (float)M;
    for (int64_t i = 0; i < N; i++) {
        const float *g = n->grad + i * C;
        for (int64_t m = 0; m < M; m++) {
            float *d = n->in[0]->grad + (i * M + m) * C;
            for (int64_t c = 0; c < C; c++) d[c] += g[c] * inv;
        }
    }
    return PN_OK;
}

static int global_max_forward(pn_node *n)
{
    int64_t N, M, C;
    int rc = global_dims(n, &N, &M, &C);
    if (rc) return rc;
    int32_t *arg = pn_node_scratch(n, sizeof(int32_t) * (size_t)n->size);
    if (!arg) return PN_ENOMEM;
    if (M > INT32_MAX) return pn_error(PN_EVALUE, "global_max_pool: too many spatial positions");
    const float *x = n->in[0]->data;
    for (int64_t i = 0; i < N; i++) {
        float *y = n->data + i * C;
        int32_t *a = arg + i * C;
        memcpy(y, x + i * M * C, sizeof(float) * (size_t)C);
        for (int64_t c = 0; c < C; c++) a[c] = 0;
        for (int64_t m = 1; m < M; m++) {
            const float *xs = x + (i * M + m) * C;
            for (int64_t c = 0; c < C; c++)
                if (xs[c] > y[c] || (xs[c] != xs[c] && y[c] == y[c])) {
                    y[c] = xs[c];
                    a[c] = (int32_t)m;
                }
        }
    }
    return PN_OK;
}

static int global_max_backward(pn_node *n)
{
    int64_t N, M, C;
    int rc = global_dims(n, &N, &M, &C);
    if (rc) return rc;
    if (!n->in[0]->requires_grad) return PN_OK;
    if (n->size && (!n->saved || n->saved_bytes < sizeof(int32_t) * (size_t)n->size))
        return pn_error(PN_EINTERNAL, "global_max_pool: backward without a matching forward");
    const int32_t *arg = n->saved;
    for (int64_t i = 0; i < N; i++)
        for (int64_t c = 0; c < C; c++)
            n->in[0]->grad[(i * M + arg[i * C + c]) * C + c] += n->grad[i * C + c];
    return PN_OK;
}

static const pn_attr global_attrs[] = {{"keepdims", PN_ATTR_BOOL, 0, 0}, {NULL}};
static const pn_op op_global_avg_pool = {"global_avg_pool", 1, global_infer, global_avg_forward,
                                         global_avg_backward, NULL, one_input, global_attrs,
                                         PN_TRAIT_ROWWISE | PN_TRAIT_LINEAR, NULL};
static const pn_op op_global_max_pool = {"global_max_pool", 1, global_infer, global_max_forward,
                                         global_max_backward, NULL, one_input, global_attrs,
                                         PN_TRAIT_ROWWISE, NULL};

/* ---------------------------------------------------------------- padding, cropping, upsampling */

/* x as (N, H, W, C) (H = 1 for rank 3) and the four per-side amounts. */
typedef struct {
    int64_t N, H, W, C, top, bottom, left, right;
} edge_geom;

static int edge_geom_make(const pn_node *n, const char *what, edge_geom *g)
{
    const pn_node *X = n->in[0];
    char s[128];
    memset(g, 0, sizeof *g);
    if (X->ndim != 3 && X->ndim != 4)
        return pn_error(PN_EVALUE,
                        "%s: expected a 4-D input (batch, height, width, channels) or a 3-D input "
                        "(batch, steps, channels), got shape %s",
                        n->op->name, pn_shape_str(s, X->ndim, X->shape));
    int d4 = X->ndim == 4;
    g->N = X->shape[0];
    g->H = d4 ? X->shape[1] : 1;
    g->W = X->shape[X->ndim - 2];
    g->C = X->shape[X->ndim - 1];
    g->top = n->iattr[0];
    g->bottom = n->iattr[1];
    g->left = n->iattr[2];
    g->right = n->iattr[3];
    if (g->top < 0 || g->bottom < 0 || g->left < 0 || g->right < 0)
        return pn_error(PN_EVALUE, "%s: %s amounts must be >= 0, got (%lld, %lld, %lld, %lld)",
                        n->op->name, what, (long long)g->top, (long long)g->bottom,
                        (long long)g->left, (long long)g->right);
    if (!d4 && (g->top || g->bottom))
        return pn_error(PN_EVALUE, "%s: a 3-D input has no height axis to %s", n->op->name, what);
    /* bounded so that extents +/- amounts cannot wrap */
    const int64_t amounts[4] = {g->top, g->bottom, g->left, g->right};
    int rc = PN_OK;
    for (int i = 0; i < 4 && !rc; i++) rc = pn_check_attr(n->op->name, what, amounts[i], 0, PN_SIZE_MAX);
    return rc;
}

static int edge_set_shape(pn_node *n, int64_t OH, int64_t OW)
{
    const pn_node *X = n->in[0];
    int64_t shape[4] = {X->shape[0], OH, OW, X->shape[X->ndim - 1]};
    if (X->ndim == 4) return pn_node_set_shape(n, 4, shape);
    int64_t s3[3] = {X->shape[0], OW, X->shape[2]};
    return pn_node_set_shape(n, 3, s3);
}

/* Copies (or, backward, accumulates) between x and the interior of a larger
 * y: y[:, r + top, c + left] <-> x[:, r, c] for r < rows, c < cols. Padding has
 * x smaller than y; cropping swaps their roles. */
static void copy_window(const float *src, int64_t sH, int64_t sW, int64_t sy0, int64_t sx0,
                        float *dst, int64_t dH, int64_t dW, int64_t dy0, int64_t dx0, int64_t N,
                        int64_t rows, int64_t cols, int64_t C, int accumulate)
{
    for (int64_t i = 0; i < N; i++)
        for (int64_t r = 0; r < rows; r++) {
            const float *s = src + ((i * sH + sy0 + r) * sW + sx0) * C;
            float *d = dst + ((i * dH + dy0 + r) * dW + dx0) * C;
            if (accumulate)
                for (int64_t k = 0; k < cols * C; k++) d[k] += s[k];
            else
                memcpy(d, s, sizeof(float) * (size_t)(cols * C));
        }
}

/* The padded extents, checked: a padding near 2^63 must not wrap the sum. */
static int zero_padding_dims(pn_node *n, edge_geom *g, int64_t *OH, int64_t *OW)
{
    int rc = edge_geom_make(n, "padding", g);
    if (!rc) rc = pn_add_size("zero_padding", "the padded height", g->H, g->top, OH);
    if (!rc) rc = pn_add_size("zero_padding", "the padded height", *OH, g->bottom, OH);
    if (!rc) rc = pn_add_size("zero_padding", "the padded width", g->W, g->left, OW);
    if (!rc) rc = pn_add_size("zero_padding", "the padded width", *OW, g->right, OW);
    return rc;
}

static int zero_padding_infer(pn_node *n)
{
    edge_geom g;
    int64_t OH, OW;
    int rc = zero_padding_dims(n, &g, &OH, &OW);
    return rc ? rc : edge_set_shape(n, OH, OW);
}

static int zero_padding_forward(pn_node *n)
{
    edge_geom g;
    int64_t OH, OW;
    int rc = zero_padding_dims(n, &g, &OH, &OW);
    if (rc) return rc;
    memset(n->data, 0, sizeof(float) * (size_t)n->size);
    copy_window(n->in[0]->data, g.H, g.W, 0, 0, n->data, OH, OW, g.top, g.left, g.N, g.H, g.W, g.C, 0);
    return PN_OK;
}

static int zero_padding_backward(pn_node *n)
{
    edge_geom g;
    int64_t OH, OW;
    int rc = zero_padding_dims(n, &g, &OH, &OW);
    if (rc || !n->in[0]->requires_grad) return rc;
    copy_window(n->grad, OH, OW, g.top, g.left, n->in[0]->grad, g.H, g.W, 0, 0, g.N, g.H, g.W, g.C, 1);
    return PN_OK;
}

static int cropping_dims(pn_node *n, edge_geom *g, int64_t *OH, int64_t *OW)
{
    int rc = edge_geom_make(n, "cropping", g);
    if (rc) return rc;
    /* amounts are in [0, PN_SIZE_MAX] (edge_geom_make): these cannot wrap */
    *OH = g->H - g->top - g->bottom;
    *OW = g->W - g->left - g->right;
    if (*OH < 0 || *OW < 0 || (n->in[0]->ndim == 4 && *OH == 0) || *OW == 0) {
        char s[128];
        return pn_error(PN_EVALUE,
                        "cropping: cropping (top %lld, bottom %lld, left %lld, right %lld) leaves "
                        "nothing of the input %s",
                        (long long)g->top, (long long)g->bottom, (long long)g->left,
                        (long long)g->right, pn_shape_str(s, n->in[0]->ndim, n->in[0]->shape));
    }
    return PN_OK;
}

static int cropping_infer(pn_node *n)
{
    edge_geom g;
    int64_t OH, OW;
    int rc = cropping_dims(n, &g, &OH, &OW);
    return rc ? rc : edge_set_shape(n, OH, OW);
}

static int cropping_forward(pn_node *n)
{
    edge_geom g;
    int64_t OH, OW;
    int rc = cropping_dims(n, &g, &OH, &OW);
    if (rc) return rc;
    copy_window(n->in[0]->data, g.H, g.W, g.top, g.left, n->data, OH, OW, 0, 0, g.N, OH, OW, g.C, 0);
    return PN_OK;
}

static int cropping_backward(pn_node *n)
{
    edge_geom g;
    int64_t OH, OW;
    int rc = cropping_dims(n, &g, &OH, &OW);
    if (rc || !n->in[0]->requires_grad) return rc;
    copy_window(n->grad, OH, OW, 0, 0, n->in[0]->grad, g.H, g.W, g.top, g.left, g.N, OH, OW, g.C, 1);
    return PN_OK;
}

static int upsampling_dims(pn_node *n, edge_geom *g, int64_t *fh, int64_t *fw)
{
    const pn_node *X = n->in[0];
    char s[128];
    memset(g, 0, sizeof *g);
    *fh = *fw = 1;
    if (X->ndim != 3 && X->ndim != 4)
        return pn_error(PN_EVALUE,
                        "upsampling: expected a 4-D input (batch, height, width, channels) or a 3-D "
                        "input (batch, steps, channels), got shape %s",
                        pn_shape_str(s, X->ndim, X->shape));
    g->N = X->shape[0];
    g->H = X->ndim == 4 ? X->shape[1] : 1;
    g->W = X->shape[X->ndim - 2];
    g->C = X->shape[X->ndim - 1];
    *fh = X->ndim == 4 ? n->iattr[0] : 1;
    *fw = n->iattr[1];
    if (*fh < 1 || *fw < 1)
        return pn_error(PN_EVALUE, "upsampling: size must be >= 1, got (%lld, %lld)",
                        (long long)n->iattr[0], (long long)n->iattr[1]);
    /* H * fh and W * fw are the output extents: checked, so a size of 2^62
     * is refused instead of wrapping to a tiny buffer */
    int64_t t;
    int rc = pn_mul_size("upsampling", "the upsampled height", g->H, *fh, &t);
    if (!rc) rc = pn_mul_size("upsampling", "the upsampled width", g->W, *fw, &t);
    return rc;
}

static int upsampling_infer(pn_node *n)
{
    edge_geom g;
    int64_t fh, fw;
    int rc = upsampling_dims(n, &g, &fh, &fw);
    return rc ? rc : edge_set_shape(n, g.H * fh, g.W * fw);
}

static int upsampling_forward(pn_node *n)
{
    edge_geom g;
    int64_t fh, fw;
    int rc = upsampling_dims(n, &g, &fh, &fw);
    if (rc) return rc;
    int64_t OW = g.W * fw;
    size_t cb = sizeof(float) * (size_t)g.C;
    for (int64_t i = 0; i < g.N; i++)
        for (int64_t y = 0; y < g.H; y++) {
            float *line = n->data + ((i * g.H + y) * fh * OW) * g.C;
            const float *src = n->in[0]->data + (i * g.H + y) * g.W * g.C;
            for (int64_t x = 0; x < g.W; x++)
                for (int64_t r = 0; r < fw; r++) memcpy(line + (x * fw + r) * g.C, src + x * g.C, cb);
            /* The other fh - 1 output lines repeat the first. */
            for (int64_t r = 1; r < fh; r++) memcpy(line + r * OW * g.C, line, cb * (size_t)OW);
        }
    return PN_OK;
}

static int upsampling_backward(pn_node *n)
{
    edge_geom g;
    int64_t fh, fw;
    int rc = upsampling_dims(n, &g, &fh, &fw);
    if (rc || !n->in[0]->requires_grad) return rc;
    int64_t OH = g.H * fh, OW = g.W * fw;
    for (int64_t i = 0; i < g.N; i++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                const float *s = n->grad + ((i * OH + oy) * OW + ox) * g.C;
                float *d = n->in[0]->grad + ((i * g.H + oy / fh) * g.W + ox / fw) * g.C;
                for (int64_t c = 0; c < g.C; c++) d[c] += s[c];
            }
    return PN_OK;
}

/* (top, bottom, left, right) and (size_h, size_w), the slots read above */
static const pn_attr padding_attrs[] = {{"padding", PN_ATTR_INTS, 0, 0, 4}, {NULL}};
static const pn_attr cropping_attrs[] = {{"cropping", PN_ATTR_INTS, 0, 0, 4}, {NULL}};
static const pn_attr upsampling_attrs[] = {{"size", PN_ATTR_INTS, 0, 2, 2}, {NULL}};
#define EDGE_TRAITS (PN_TRAIT_ROWWISE | PN_TRAIT_LINEAR)
static const pn_op op_zero_padding = {"zero_padding", 1, zero_padding_infer, zero_padding_forward,
                                      zero_padding_backward, NULL, one_input, padding_attrs,
                                      EDGE_TRAITS, NULL};
static const pn_op op_cropping = {"cropping", 1, cropping_infer, cropping_forward, cropping_backward,
                                  NULL, one_input, cropping_attrs, EDGE_TRAITS, NULL};
static const pn_op op_upsampling = {"upsampling", 1, upsampling_infer, upsampling_forward,
                                    upsampling_backward, NULL, one_input, upsampling_attrs,
                                    EDGE_TRAITS, NULL};

const pn_op *const pn_ops_pool[] = {&op_max_pool2d,      &op_avg_pool2d,      &op_max_pool1d,
                                    &op_avg_pool1d,      &op_global_avg_pool, &op_global_max_pool,
                                    &op_zero_padding,    &op_cropping,        &op_upsampling,
                                    NULL};
