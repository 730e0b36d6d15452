/* conv.c - channels-last convolutions on pn_sgemm: conv2d (NHWC) and conv1d (NWC).
 *
 * conv2d(x, kernel[, bias]): x (N, H, W, C), kernel (KH, KW, C, F) in Keras'
 * layout, bias (F,). Attributes: strides, dilation_rate, padding, activation,
 * approximate, alpha (the descriptors at the end give their slots).
 * conv1d(x, kernel[, bias]): x (N, W, C), kernel (KW, C, F).
 * The same attributes with one stride and one dilation. conv1d runs as conv2d
 * with H = KH = 1.
 * padding: 0 'valid', 1 'same' (TF/Keras split: the smaller half before),
 * 2 'causal' (conv1d only: everything before).
 *
 * The kernel (KH, KW, C, F) is already a row-major (KH*KW*C, F) matrix, so with
 * im2col rows ordered (image, oy, ox) and columns (ky, kx, c) one GEMM gives the
 * output rows in NHWC order directly: Y (rows, F) = cols (rows, K) · W (K, F).
 * Rows of many images go through one GEMM: the im2col buffer holds whole output
 * lines up to a fixed budget, so small images batch together and large ones
 * split, and the im2col scratch kept per node stays bounded whatever the
 * batch size.
 * Backward: dW += colsᵀ·dY (cols rebuilt rather than kept: memory over flops),
 * dcols = dY·Wᵀ scattered back by col2im, db += Σ dY.
 * The layer's activation (pn_fused_activations; 0 linear) is fused as in
 * dense.c: bias and activation in one pass over the GEMM output, dY formed
 * as dy * act'(pre) once in backward, bit for bit the unfused graph. Like
 * dense, relu/relu6 keep no pre-activation; the others keep it (and dY) in
 * the node's scratch, one output's worth each.
 * A 1x1 kernel with stride 1 and no padding needs no im2col at all: x is cols. */
#include <math.h>
#include <string.h>

#include "bias_act.h"
#include "conv.h"

/* Floats of im2col kept per node; about L2-to-L3 sized, and large enough that
 * the GEMM's M dimension covers several hundred rows for typical kernels. */
#define COL_BUDGET ((int64_t)1 << 20)

/* Output length and leading padding of one spatial axis, by Keras' rules:
 * valid: floor((n - d(k-1) - 1)/s) + 1; same and causal: ceil(n/s). */
int pn_conv_axis(const char *op, const char *axis, int64_t n, int64_t k, int64_t s,
                     int64_t d, int64_t mode, int64_t *out, int64_t *before)
{
    /* the dilated extent is checked: a dilation near 2^63 must not wrap */
    int64_t ext;
    int rc = pn_mul_size(op, "the dilated kernel extent", d, k - 1, &ext);
    if (rc) return rc;
    ext += 1;
    if (mode == PAD_VALID) {
        if (n < ext)
            return pn_error(PN_EVALUE,
                            "%s: the kernel spans %lld positions along the %s (kernel size %lld, "
                            "dilation %lld) but the input %s is only %lld with padding='valid'; "
                            "use a smaller kernel or dilation, padding='same', or a larger input",
                            op, (long long)ext, axis, (long long)k, (long long)d, axis,
                            (long long)n);
        *out = (n - ext) / s + 1;
        *before = 0;
        return PN_OK;
    }
    *out = n == 0 ? 0 : (n - 1) / s + 1;
    if (mode == PAD_CAUSAL) {
        *before = ext - 1;
    } else {
        int64_t total = (*out - 1) * s - n + ext; /* (out - 1) * s <= n - 1: no wrap */
        *before = total > 0 ? total / 2 : 0;
    }
    return PN_OK;
}

int pn_conv_operands(const pn_node *n, int rank, int in_axis, const char *layout)
{
    const char *op = n->op->name;
    char s1[128], s2[128];
    if (n->n_in != 2 && n->n_in != 3)
        return pn_error(PN_EVALUE, "%s takes (input, kernel) or (input, kernel, bias), got %d inputs",
                        op, n->n_in);
    const pn_node *X = n->in[0], *K = n->in[1];
    if (X->ndim != rank)
        return pn_error(PN_EVALUE,
                        rank == 3 ? "%s: expected a 3-D input (batch, steps, channels), got shape %s"
                                  : "%s: expected a 4-D input (batch, height, width, channels), got shape %s",
                        op, pn_shape_str(s1, X->ndim, X->shape));
    if (K->ndim != rank)
        return pn_error(PN_EVALUE, "%s: expected a %d-D kernel %s, got shape %s", op, rank, layout,
                        pn_shape_str(s1, K->ndim, K->shape));
    if (K->shape[in_axis] != X->shape[rank - 1])
        return pn_error(PN_EVALUE,
                        "%s: the kernel %s expects %lld input channels but the input %s has %lld "
                        "(channels are the last axis)",
                        op, pn_shape_str(s1, K->ndim, K->shape), (long long)K->shape[in_axis],
                        pn_shape_str(s2, X->ndim, X->shape), (long long)X->shape[rank - 1]);
    for (int a = 0; a < rank - 2; a++)
        if (K->shape[a] < 1)
            return pn_error(PN_EVALUE, "%s: kernel %s has an empty spatial axis", op,
                            pn_shape_str(s1, K->ndim, K->shape));
    return PN_OK;
}

int pn_conv_bias(const pn_node *n, int64_t len, const char *what)
{
    char s1[128];
    const pn_node *B = n->n_in == 3 ? n->in[2] : NULL;
    if (B && (B->ndim != 1 || B->shape[0] != len))
        return pn_error(PN_EVALUE, "%s: bias must have shape (%lld,) (%s), got %s", n->op->name,
                        (long long)len, what, pn_shape_str(s1, B->ndim, B->shape));
    return PN_OK;
}

typedef struct {
    int64_t N, H, W, C, F, KH, KW, sh, sw, dh, dw, OH, OW, pt, pl;
    int has_bias;
    int act, flag;  /* fused activation (bias_act.h) */
    float a;
    int keep_pre;   /* pre-activation kept apart from the output */
    int grad;       /* a gradient will flow through the activation: room for dY */
} conv_geom;

static int conv_geom_make(const pn_node *n, int one_d, conv_geom *g)
{
    const char *op = n->op->name;
    memset(g, 0, sizeof *g);
    int rank = one_d ? 3 : 4;
    int rc = pn_conv_operands(n, rank, rank - 2,
                              one_d ? "(kernel_size, in_channels, filters)"
                                    : "(kernel_h, kernel_w, in_channels, filters)");
    if (rc) return rc;
    const pn_node *X = n->in[0], *K = n->in[1];
    g->N = X->shape[0];
    g->H = one_d ? 1 : X->shape[1];
    g->W = X->shape[rank - 2];
    g->C = X->shape[rank - 1];
    g->KH = one_d ? 1 : K->shape[0];
    g->KW = K->shape[rank - 3];
    g->F = K->shape[rank - 1];
    g->has_bias = n->n_in == 3;
    rc = pn_conv_bias(n, g->F, "one per filter");
    if (rc) return rc;
    int64_t pad;
    if (one_d) {
        g->sh = g->dh = 1;
        g->sw = n->iattr[0];
        g->dw = n->iattr[1];
        pad = n->iattr[2];
    } else {
        g->sh = n->iattr[0];
        g->sw = n->iattr[1];
        g->dh = n->iattr[2];
        g->dw = n->iattr[3];
        pad = n->iattr[4];
    }
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1)
        return pn_error(PN_EVALUE, "%s: strides and dilation rates must be >= 1, got strides (%lld, %lld), "
                        "dilation (%lld, %lld)", op, (long long)g->sh, (long long)g->sw,
                        (long long)g->dh, (long long)g->dw);
    if (g->sh > PN_SIZE_MAX || g->sw > PN_SIZE_MAX || g->dh > PN_SIZE_MAX || g->dw > PN_SIZE_MAX)
        return pn_error(PN_EVALUE, "%s: strides and dilation rates must be at most %lld, got strides "
                        "(%lld, %lld), dilation (%lld, %lld)", op, (long long)PN_SIZE_MAX,
                        (long long)g->sh, (long long)g->sw, (long long)g->dh, (long long)g->dw);
    if (pad != PAD_VALID && pad != PAD_SAME && !(one_d && pad == PAD_CAUSAL))
        return pn_error(PN_EVALUE, "%s: unknown padding code %lld", op, (long long)pad);
    int64_t act = n->iattr[one_d ? 3 : 5];
    if (act < 0 || act >= PN_N_ACTS)
        return pn_error(PN_EVALUE, "%s: unknown activation id %lld", op, (long long)act);
    g->act = (int)act;
    g->flag = (int)n->iattr[one_d ? 4 : 6];
    g->a = pn_act_param(g->act, n->fattr[0]);
    g->keep_pre = !pn_act_from_output(g->act);
    g->grad = n->requires_grad && g->act != PN_ACT_linear;
    rc = pn_conv_axis(op, one_d ? "steps" : "height", g->H, g->KH, g->sh, g->dh,
                          one_d ? PAD_VALID : pad, &g->OH, &g->pt);
    if (!rc)
        rc = pn_conv_axis(op, one_d ? "steps" : "width", g->W, g->KW, g->sw, g->dw, pad, &g->OW,
                          &g->pl);
    return rc;
}

static int conv_infer_kind(pn_node *n, int one_d)
{
    conv_geom g;
    int rc = conv_geom_make(n, one_d, &g);
    if (rc) return rc;
    int64_t s2[4] = {g.N, g.OH, g.OW, g.F}, s1[3] = {g.N, g.OW, g.F};
    return one_d ? pn_node_set_shape(n, 3, s1) : pn_node_set_shape(n, 4, s2);
}

static int is_pointwise(const conv_geom *g)
{
    return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0;
}

/* Output rows per im2col chunk: whole output lines, at least one. */
static int64_t chunk_rows(const conv_geom *g)
{
    int64_t K = g->KH * g->KW * g->C;
    int64_t line = g->OW * (K ? K : 1);
    int64_t lines = line ? COL_BUDGET / line : 1;
    if (lines < 1) lines = 1;
    int64_t total = g->N * g->OH;
    if (lines > total) lines = total;
    return lines * g->OW;
}

/* One scratch layout for forward and backward so that backward never grows
 * (and so never loses) what forward left: [im2col chunk floats][F doubles]
 * [pre-activation if keep_pre][dY if grad], the last two rows x F floats. */
typedef struct {
    char *base;
    float *cols, *pre, *dpre;
    double *acc;
} conv_scratch;

static size_t scratch_bytes(const conv_geom *g, size_t *cols_bytes)
{
    int64_t K = g->KH * g->KW * g->C, out = g->N * g->OH * g->OW * g->F;
    size_t c = is_pointwise(g) ? 0 : (size_t)(chunk_rows(g) * K) * sizeof(float);
    c = (c + 63) & ~(size_t)63;
    *cols_bytes = c;
    size_t acc = ((size_t)g->F * sizeof(double) + 63) & ~(size_t)63;
    return c + acc + (size_t)out * sizeof(float) * (size_t)(g->keep_pre + g->grad);
}

/* Forward sizes the scratch; backward finds it (NULL base: out of memory, or a
 * backward without its forward). */
static conv_scratch scratch_of(pn_node *n, const conv_geom *g, int grow)
{
    size_t cols_bytes, bytes = scratch_bytes(g, &cols_bytes);
    conv_scratch s = {NULL, NULL, NULL, NULL, NULL};
    if (grow) s.base = pn_node_scratch(n, bytes);
    else if (n->saved && n->saved_bytes >= bytes) s.base = n->saved;
    if (!s.base) return s;
    s.cols = (float *)s.base;
    s.acc = (double *)(s.base + cols_bytes);
    float *p = (float *)(s.base + cols_bytes + (((size_t)g->F * sizeof(double) + 63) & ~(size_t)63));
    int64_t out = g->N * g->OH * g->OW * g->F;
    s.pre = g->keep_pre ? p : NULL;
    s.dpre = g->grad ? p + (g->keep_pre ? out : 0) : NULL;
    return s;
}

typedef struct {
    const conv_geom *g;
    const float *x;
    float *cols;
    int64_t r0;
} im2col_ctx;

/* im2col copies runs of KW*C (or C) floats: with few channels (a first layer
 * on grey images copies 3 floats at a time) a memcpy call costs more than the
 * copy, so short runs are copied inline. */
static inline void copy_run(float *restrict d, const float *restrict s, int64_t n)
{
    if (n > 16) {
        memcpy(d, s, sizeof(float) * (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++) d[i] = s[i];
}

static inline void zero_run(float *d, int64_t n)
{
    if (n > 16) {
        memset(d, 0, sizeof(float) * (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++) d[i] = 0.0f;
}

static void im2col_range(void *vctx, int64_t b, int64_t e)
{
    const im2col_ctx *c = vctx;
    const conv_geom *g = c->g;
    int64_t C = g->C, K = g->KH * g->KW * C, ohw = g->OH * g->OW;
    for (int64_t i = b; i < e; i++) {
        int64_t r = c->r0 + i, img = r / ohw, rem = r % ohw, oy = rem / g->OW, ox = rem % g->OW;
        float *dst = c->cols + i * K;
        int64_t ix0 = ox * g->sw - g->pl;
        for (int64_t ky = 0; ky < g->KH; ky++) {
            int64_t iy = oy * g->sh - g->pt + ky * g->dh;
            float *d = dst + ky * g->KW * C;
            if (iy < 0 || iy >= g->H) {
                zero_run(d, g->KW * C);
                continue;
            }
            const float *xrow = c->x + (img * g->H + iy) * g->W * C;
            if (g->dw == 1 && ix0 >= 0 && ix0 + g->KW <= g->W) { /* whole window row is contiguous */
                copy_run(d, xrow + ix0 * C, g->KW * C);
                continue;
            }
            for (int64_t kx = 0; kx < g->KW; kx++) {
                int64_t ix = ix0 + kx * g->dw;
                if (ix < 0 || ix >= g->W) zero_run(d + kx * C, C);
                else copy_run(d + kx * C, xrow + ix * C, C);
            }
        }
    }
}

typedef struct {
    const conv_geom *g;
    const float *dcols;
    float *dx;
    int64_t r0, r1; /* chunk rows */
} col2im_ctx;

/* Scatters the chunk's rows image by image: different images write disjoint
 * parts of dx, so images can run in parallel without races. */
static void col2im_images(void *vctx, int64_t b, int64_t e)
{
    const col2im_ctx *c = vctx;
    const conv_geom *g = c->g;
    int64_t C = g->C, K = g->KH * g->KW * C, ohw = g->OH * g->OW;
    int64_t img_first = c->r0 / ohw;
    for (int64_t t = b; t < e; t++) {
        int64_t img = img_first + t;
        int64_t lo = img * ohw > c->r0 ? img * ohw : c->r0;
        int64_t hi = (img + 1) * ohw < c->r1 ? (img + 1) * ohw : c->r1;
        for (int64_t r = lo; r < hi; r++) {
            int64_t rem = r % ohw, oy = rem / g->OW, ox = rem % g->OW;
            const float *src = c->dcols + (r - c->r0) * K;
            for (int64_t ky = 0; ky < g->KH; ky++) {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (iy < 0 || iy >= g->H) continue;
                float *drow = c->dx + (img * g->H + iy) * g->W * C;
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    float *d = drow + ix * C;
                    const float *s = src + (ky * g->KW + kx) * C;
                    for (int64_t ch = 0; ch < C; ch++) d[ch] += s[ch];
                }
            }
        }
    }
}

static int conv_forward_kind(pn_node *n, int one_d)
{
    conv_geom g;
    int rc = conv_geom_make(n, one_d, &g);
    if (rc) return rc;
    const float *x = n->in[0]->data, *w = n->in[1]->data;
    int64_t rows = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, F = g.F;
    if (rows == 0 || F == 0) return PN_OK;
    conv_scratch s = scratch_of(n, &g, 1);
    if (!s.base) return PN_ENOMEM;
    float *y = g.keep_pre ? s.pre : n->data; /* the GEMM result, before bias and activation */
    if (K == 0) {
        memset(y, 0, sizeof(float) * (size_t)(rows * F));
    } else if (is_pointwise(&g)) {
        pn_sgemm(0, 0, rows, F, K, 1.0f, x, K, w, F, 0.0f, y, F);
    } else {
        int64_t step = chunk_rows(&g);
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
            int64_t m = rows - r0 < step ? rows - r0 : step;
            im2col_ctx ic = {&g, x, s.cols, r0};
            pn_parallel_for(m, 64, im2col_range, &ic);
            pn_sgemm(0, 0, m, F, K, 1.0f, s.cols, K, w, F, 0.0f, y + r0 * F, F);
        }
    }
    pn_bias_act_forward(g.act, g.a, g.flag, y, n->data, g.has_bias ? n->in[2]->data : NULL, rows, F);
    return PN_OK;
}

static int conv_backward_kind(pn_node *n, int one_d)
{
    conv_geom g;
    int rc = conv_geom_make(n, one_d, &g);
    if (rc) return rc;
    pn_node *X = n->in[0], *Wn = n->in[1];
    const float *gy = n->grad;
    int64_t rows = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, F = g.F;
    if (rows == 0 || F == 0) return PN_OK;
    conv_scratch s = scratch_of(n, &g, 0);
    if (!s.base) return pn_error(PN_EINTERNAL, "%s: backward without its forward", n->op->name);
    if (g.act != PN_ACT_linear) { /* dY = dy * act'(pre), once */
        pn_act_backward(g.act, g.a, g.flag, g.keep_pre ? s.pre : n->data, n->data, n->grad, s.dpre,
                        rows * F);
        gy = s.dpre;
    }
    if (g.has_bias && n->in[2]->requires_grad) {
        /* Summed in double: rows can be N*OH*OW ~ 10^5 terms per filter. */
        double *acc = s.acc;
        for (int64_t f = 0; f < F; f++) acc[f] = 0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t f = 0; f < F; f++) acc[f] += gy[r * F + f];
        float *gb = n->in[2]->grad;
        for (int64_t f = 0; f < F; f++) gb[f] += (float)acc[f];
    }
    if (K == 0 || (!X->requires_grad && !Wn->requires_grad)) return PN_OK;
    const float *x = X->data, *w = Wn->data;
    if (is_pointwise(&g)) {
        if (Wn->requires_grad) pn_sgemm(1, 0, K, F, rows, 1.0f, x, K, gy, F, 1.0f, Wn->grad, F);
        if (X->requires_grad) pn_sgemm(0, 1, rows, K, F, 1.0f, gy, F, w, F, 1.0f, X->grad, K);
        return PN_OK;
    }
    float *cols = s.cols;
    int64_t step = chunk_rows(&g), ohw = g.OH * g.OW;
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        int64_t m = rows - r0 < step ? rows - r0 : step;
        const float *gyc = gy + r0 * F;
        if (Wn->requires_grad) {
            im2col_ctx ic = {&g, x, cols, r0};
            pn_parallel_for(m, 64, im2col_range, &ic);
            pn_sgemm(1, 0, K, F, m, 1.0f, cols, K, gyc, F, 1.0f, Wn->grad, F);
        }
        if (X->requires_grad) {
            pn_sgemm(0, 1, m, K, F, 1.0f, gyc, F, w, F, 0.0f, cols, K);
            col2im_ctx cc = {&g, cols, X->grad, r0, r0 + m};
            int64_t n_img = (r0 + m - 1) / ohw - r0 / ohw + 1;
            pn_parallel_for(n_img, 1, col2im_images, &cc);
        }
    }
    return PN_OK;
}

static int conv2d_infer(pn_node *n) { return conv_infer_kind(n, 0); }
static int conv2d_forward(pn_node *n) { return conv_forward_kind(n, 0); }
static int conv2d_backward(pn_node *n) { return conv_backward_kind(n, 0); }
static int conv1d_infer(pn_node *n) { return conv_infer_kind(n, 1); }
static int conv1d_forward(pn_node *n) { return conv_forward_kind(n, 1); }
static int conv1d_backward(pn_node *n) { return conv_backward_kind(n, 1); }

/* The slots conv_geometry reads (iattr: strides, dilation, padding, activation,
 * approximate; fattr[0]: alpha), by name. */
static const char *const conv_inputs[] = {"x", "kernel", "bias?", NULL};
static const char *const pad2d[] = {"valid", "same", NULL};   /* PAD_* order */
static const char *const pad1d[] = {"valid", "same", "causal", NULL};
static const pn_attr conv2d_attrs[] = {
    {"strides", PN_ATTR_INTS, 0, 1, 2},
    {"dilation_rate", PN_ATTR_INTS, 2, 1, 2},
    {"padding", PN_ATTR_ENUM, 4, PAD_VALID, 0, pad2d},
    {"activation", PN_ATTR_ENUM, 5, PN_ACT_linear, 0, pn_fused_activations},
    {"approximate", PN_ATTR_BOOL, 6, 0},
    {"alpha", PN_ATTR_FLOAT, 0, NAN},
    {NULL}};
static const pn_attr conv1d_attrs[] = {
    {"strides", PN_ATTR_INT, 0, 1},
    {"dilation_rate", PN_ATTR_INT, 1, 1},
    {"padding", PN_ATTR_ENUM, 2, PAD_VALID, 0, pad1d},
    {"activation", PN_ATTR_ENUM, 3, PN_ACT_linear, 0, pn_fused_activations},
    {"approximate", PN_ATTR_BOOL, 4, 0},
    {"alpha", PN_ATTR_FLOAT, 0, NAN},
    {NULL}};
#define CONV_TRAITS (PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS)
static const pn_op op_conv2d = {"conv2d", -1, conv2d_infer, conv2d_forward, conv2d_backward, NULL,
                                conv_inputs, conv2d_attrs, CONV_TRAITS, NULL};
static const pn_op op_conv1d = {"conv1d", -1, conv1d_infer, conv1d_forward, conv1d_backward, NULL,
                                conv_inputs, conv1d_attrs, CONV_TRAITS, NULL};

const pn_op *const pn_ops_conv[] = {&op_conv2d, &op_conv1d, NULL};
