/* conv_transpose.c - transposed convolutions, channels-last: conv2d_transpose
 * (NHWC) and conv1d_transpose (NWC), Keras' Conv2DTranspose / Conv1DTranspose.
 *
 * conv2d_transpose(x, kernel[, bias]): x (N, H, W, C), kernel (KH, KW, F, C) in
 * Keras' layout (output channels before input channels), bias (F,); attributes
 * strides, dilation_rate, padding ('valid' | 'same'), output_padding (-1 for
 * Keras' None), two of each. conv1d_transpose: x (N, W, C), kernel (KW, F, C),
 * one of each, run as the 2-D op with H = KH = 1.
 *
 * Input position i and tap k write output position i*s - before + k*d, so the
 * op is conv2d's backward-data: cols (rows, KH*KW*F) = X (rows, C) · Wᵀ with
 * the kernel as a row-major (KH*KW*F, C) matrix W, then col2im scatters the
 * cols into the output. Backward is conv2d's forward: dcols = im2col(dY),
 * dX += dcols · W, dW += dcolsᵀ · X, db += Σ dY.
 *
 * Output length and leading crop: pn_conv_transpose_out (conv_geom.c). */
#include <string.h>

#include "conv.h"

static int geom_make(const pn_node *n, int one_d, pn_conv_geom *g)
{
    const char *op = n->op->name;
    int rc = pn_conv_geom_read(n, one_d, one_d ? 2 : 3,
                               one_d ? "(kernel_size, filters, in_channels)"
                                     : "(kernel_h, kernel_w, filters, in_channels)",
                               PAD_SAME, g);
    if (rc) return rc;
    g->F = n->in[1]->shape[one_d ? 1 : 2];
    rc = pn_conv_bias(n, g->F, "one per filter");
    if (rc) return rc;
    int64_t oph = -1, opw, len;
    if (one_d) {
        opw = pn_attr_i(n, "output_padding");
    } else {
        const int64_t *o = pn_attr_ints(n, "output_padding", &len);
        if (!o || len != 2) return pn_error(PN_EINTERNAL, "%s: output_padding must be a pair", op);
        oph = o[0], opw = o[1];
    }
    rc = pn_conv_transpose_out(op, one_d, oph, opw, g);
    if (!rc) {
        int64_t t;
        rc = pn_mul_size(op, "the output size", g->N, g->OH, &t);
        if (!rc) rc = pn_mul_size(op, "the output size", t, g->OW, &t);
        if (!rc) rc = pn_mul_size(op, "the output size", t, g->F, &t);
        if (!rc) rc = pn_mul_size(op, "the kernel size", g->KH * g->KW, g->F, &t);
    }
    return rc;
}

static int tconv_infer_kind(pn_node *n, int one_d)
{
    pn_conv_geom g;
    int rc = geom_make(n, one_d, &g);
    if (rc) return rc;
    int64_t s2[4] = {g.N, g.OH, g.OW, g.F}, s1[3] = {g.N, g.OW, g.F};
    return one_d ? pn_node_set_shape(n, 3, s1) : pn_node_set_shape(n, 4, s2);
}

/* Input rows per chunk of cols: whole input lines. */
static int64_t chunk_rows(const pn_conv_geom *g)
{
    return pn_conv_chunk_rows(g->N * g->H, g->W, g->KH * g->KW * g->F);
}

typedef struct {
    const pn_conv_geom *g;
    float *cols;  /* (r1 - r0, KH*KW*F) */
    float *y;     /* the output (forward) or dY (backward) */
    int64_t r0, r1;
} tcols_ctx;

/* Output offset of input position (iy, ix) through tap (ky, kx), or -1 when
 * it falls outside the output. */
static inline int64_t out_at(const pn_conv_geom *g, int64_t img, int64_t iy, int64_t ix, int64_t ky,
                             int64_t kx)
{
    int64_t oy = iy * g->sh - g->pt + ky * g->dh, ox = ix * g->sw - g->pl + kx * g->dw;
    if (oy < 0 || oy >= g->OH || ox < 0 || ox >= g->OW) return -1;
    return ((img * g->OH + oy) * g->OW + ox) * g->F;
}

/* Forward scatter (col2im) image by image: different images write disjoint
 * parts of y, so images run in parallel without races. */
static void scatter_images(void *vctx, int64_t b, int64_t e)
{
    const tcols_ctx *c = vctx;
    const pn_conv_geom *g = c->g;
    int64_t F = g->F, K = g->KH * g->KW * F, hw = g->H * g->W;
    int64_t img_first = c->r0 / hw;
    for (int64_t t = b; t < e; t++) {
        int64_t img = img_first + t;
        int64_t lo = img * hw > c->r0 ? img * hw : c->r0;
        int64_t hi = (img + 1) * hw < c->r1 ? (img + 1) * hw : c->r1;
        for (int64_t r = lo; r < hi; r++) {
            int64_t rem = r % hw, iy = rem / g->W, ix = rem % g->W;
            const float *src = c->cols + (r - c->r0) * K;
            for (int64_t ky = 0; ky < g->KH; ky++)
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t o = out_at(g, img, iy, ix, ky, kx);
                    if (o < 0) continue;
                    float *d = c->y + o;
                    const float *s = src + (ky * g->KW + kx) * F;
                    for (int64_t f = 0; f < F; f++) d[f] += s[f];
                }
        }
    }
}

/* Backward gather (im2col of dY) over input rows. */
static void gather_rows(void *vctx, int64_t b, int64_t e)
{
    const tcols_ctx *c = vctx;
    const pn_conv_geom *g = c->g;
    int64_t F = g->F, K = g->KH * g->KW * F, hw = g->H * g->W;
    for (int64_t i = b; i < e; i++) {
        int64_t r = c->r0 + i, img = r / hw, rem = r % hw, iy = rem / g->W, ix = rem % g->W;
        float *dst = c->cols + i * K;
        for (int64_t ky = 0; ky < g->KH; ky++)
            for (int64_t kx = 0; kx < g->KW; kx++) {
                int64_t o = out_at(g, img, iy, ix, ky, kx);
                float *d = dst + (ky * g->KW + kx) * F;
                if (o < 0) memset(d, 0, sizeof(float) * (size_t)F);
                else memcpy(d, c->y + o, sizeof(float) * (size_t)F);
            }
    }
}

static int tconv_forward_kind(pn_node *n, int one_d)
{
    pn_conv_geom g;
    int rc = geom_make(n, one_d, &g);
    if (rc) return rc;
    float *y = n->data;
    memset(y, 0, sizeof(float) * (size_t)n->size);
    int64_t rows = g.N * g.H * g.W, K = g.KH * g.KW * g.F, C = g.C;
    if (rows > 0 && K > 0 && C > 0) {
        int64_t step = chunk_rows(&g);
        float *cols = pn_node_scratch(n, (size_t)(step * K) * sizeof(float));
        if (!cols) return PN_ENOMEM;
        const float *x = n->in[0]->data, *w = n->in[1]->data;
        int64_t hw = g.H * g.W;
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
            int64_t m = rows - r0 < step ? rows - r0 : step;
            pn_sgemm(0, 1, m, K, C, 1.0f, x + r0 * C, C, w, C, 0.0f, cols, K);
            tcols_ctx tc = {&g, cols, y, r0, r0 + m};
            pn_parallel_for((r0 + m - 1) / hw - r0 / hw + 1, 1, scatter_images, &tc);
        }
    }
    if (g.has_bias) {
        const float *b = n->in[2]->data;
        for (int64_t i = 0; i < n->size; i += g.F)
            for (int64_t f = 0; f < g.F; f++) y[i + f] += b[f];
    }
    return PN_OK;
}

static int tconv_backward_kind(pn_node *n, int one_d)
{
    pn_conv_geom g;
    int rc = geom_make(n, one_d, &g);
    if (rc) return rc;
    pn_node *X = n->in[0], *Wn = n->in[1];
    float *gy = n->grad;
    if (g.has_bias && n->in[2]->requires_grad && g.F > 0) {
        /* Summed in double: N*OH*OW terms per filter. */
        float *gb = n->in[2]->grad;
        for (int64_t f = 0; f < g.F; f++) {
            double acc = 0;
            for (int64_t i = f; i < n->size; i += g.F) acc += gy[i];
            gb[f] += (float)acc;
        }
    }
    int64_t rows = g.N * g.H * g.W, K = g.KH * g.KW * g.F, C = g.C;
    if (rows == 0 || K == 0 || C == 0 || (!X->requires_grad && !Wn->requires_grad)) return PN_OK;
    int64_t step = chunk_rows(&g);
    float *cols = pn_node_scratch(n, (size_t)(step * K) * sizeof(float));
    if (!cols) return PN_ENOMEM;
    const float *x = X->data, *w = Wn->data;
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        int64_t m = rows - r0 < step ? rows - r0 : step;
        tcols_ctx tc = {&g, cols, gy, r0, r0 + m};
        pn_parallel_for(m, 64, gather_rows, &tc);
        if (X->requires_grad) pn_sgemm(0, 0, m, C, K, 1.0f, cols, K, w, C, 1.0f, X->grad + r0 * C, C);
        if (Wn->requires_grad) pn_sgemm(1, 0, K, C, m, 1.0f, cols, K, x + r0 * C, C, 1.0f, Wn->grad, C);
    }
    return PN_OK;
}

static int conv2d_transpose_infer(pn_node *n) { return tconv_infer_kind(n, 0); }
static int conv2d_transpose_forward(pn_node *n) { return tconv_forward_kind(n, 0); }
static int conv2d_transpose_backward(pn_node *n) { return tconv_backward_kind(n, 0); }
static int conv1d_transpose_infer(pn_node *n) { return tconv_infer_kind(n, 1); }
static int conv1d_transpose_forward(pn_node *n) { return tconv_forward_kind(n, 1); }
static int conv1d_transpose_backward(pn_node *n) { return tconv_backward_kind(n, 1); }

/* The slots geom_make reads, by name. */
static const char *const tconv_inputs[] = {"x", "kernel", "bias?", NULL};
static const char *const pads[] = {"valid", "same", NULL}; /* PAD_* order */
static const pn_attr tconv2d_attrs[] = {
    {"strides", PN_ATTR_INTS, 0, 1, 2},
    {"dilation_rate", PN_ATTR_INTS, 2, 1, 2},
    {"padding", PN_ATTR_ENUM, 4, PAD_VALID, 0, pads},
    {"output_padding", PN_ATTR_INTS, 5, -1, 2},
    {NULL}};
static const pn_attr tconv1d_attrs[] = {
    {"strides", PN_ATTR_INT, 0, 1},
    {"dilation_rate", PN_ATTR_INT, 1, 1},
    {"padding", PN_ATTR_ENUM, 2, PAD_VALID, 0, pads},
    {"output_padding", PN_ATTR_INT, 3, -1},
    {NULL}};
#define TCONV_TRAITS (PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS)
static const pn_op op_conv2d_transpose = {"conv2d_transpose", -1, conv2d_transpose_infer,
                                          conv2d_transpose_forward, conv2d_transpose_backward, NULL,
                                          tconv_inputs, tconv2d_attrs, TCONV_TRAITS, NULL};
static const pn_op op_conv1d_transpose = {"conv1d_transpose", -1, conv1d_transpose_infer,
                                          conv1d_transpose_forward, conv1d_transpose_backward, NULL,
                                          tconv_inputs, tconv1d_attrs, TCONV_TRAITS, NULL};

const pn_op *const pn_ops_conv_transpose[] = {&op_conv2d_transpose, &op_conv1d_transpose, NULL};
