/* depthwise.c - depthwise 2-D convolution, channels-last (Keras'
 * DepthwiseConv2D, and the first half of SeparableConv2D).
 *
 * depthwise_conv2d(x, kernel[, bias]): x (N, H, W, C), kernel (KH, KW, C, M)
 * in Keras' layout (M = depth_multiplier), bias (C*M,). Each input channel c
 * is convolved with its own M filters; output channel c*M + m, as Keras
 * orders them. Attributes strides, dilation_rate (two each) and padding
 * ('valid' | 'same') with conv.c's output sizes and 'same' split.
 *
 * Direct loops rather than GEMM: each output channel reads one input channel,
 * so there is no reduction over channels for a GEMM to block. The kernel row
 * of a tap, w[ky, kx, :, :], is contiguous over c*M + m, like an output pixel,
 * so the inner loops run over the C*M outputs: one plain (vectorised) loop for
 * depth_multiplier 1, channel by channel otherwise (no division per element).
 * Forward runs output lines in parallel; backward runs dX image by image and
 * dW tap by tap (each task writes its own slice, and each sum has one fixed
 * order, so results do not depend on the thread count). */
#include <string.h>

#include "conv.h"

typedef struct {
    int64_t N, H, W, C, M, KH, KW, sh, sw, dh, dw, OH, OW, pt, pl;
    int has_bias;
} dw_geom;

static int geom_make(const pn_node *n, dw_geom *g)
{
    const char *op = n->op->name;
    memset(g, 0, sizeof *g);
    int rc = pn_conv_operands(n, 4, 2, "(kernel_h, kernel_w, in_channels, depth_multiplier)");
    if (rc) return rc;
    const pn_node *X = n->in[0], *K = n->in[1];
    g->N = X->shape[0];
    g->H = X->shape[1];
    g->W = X->shape[2];
    g->C = X->shape[3];
    g->KH = K->shape[0];
    g->KW = K->shape[1];
    g->M = K->shape[3];
    g->has_bias = n->n_in == 3;
    rc = pn_conv_bias(n, g->C * g->M, "in_channels * depth_multiplier");
    if (rc) return rc;
    g->sh = n->iattr[0];
    g->sw = n->iattr[1];
    g->dh = n->iattr[2];
    g->dw = n->iattr[3];
    int64_t pad = n->iattr[4];
    rc = pn_check_attr(op, "strides", g->sh, 1, PN_SIZE_MAX);
    if (!rc) rc = pn_check_attr(op, "strides", g->sw, 1, PN_SIZE_MAX);
    if (!rc) rc = pn_check_attr(op, "dilation_rate", g->dh, 1, PN_SIZE_MAX);
    if (!rc) rc = pn_check_attr(op, "dilation_rate", g->dw, 1, PN_SIZE_MAX);
    if (!rc) rc = pn_check_attr(op, "padding (0 valid, 1 same)", pad, PAD_VALID, PAD_SAME);
    if (!rc) rc = pn_conv_axis(op, "height", g->H, g->KH, g->sh, g->dh, pad, &g->OH, &g->pt);
    if (!rc) rc = pn_conv_axis(op, "width", g->W, g->KW, g->sw, g->dw, pad, &g->OW, &g->pl);
    return rc;
}

static int depthwise_conv2d_infer(pn_node *n)
{
    dw_geom g;
    int rc = geom_make(n, &g);
    if (rc) return rc;
    int64_t shape[4] = {g.N, g.OH, g.OW, g.C * g.M};
    return pn_node_set_shape(n, 4, shape);
}

typedef struct {
    const dw_geom *g;
    const float *x, *w, *b, *gy;
    float *y, *gx, *gw;
} dw_ctx;

/* Output lines [b, e) of N*OH. */
static void forward_lines(void *vctx, int64_t b, int64_t e)
{
    const dw_ctx *c = vctx;
    const dw_geom *g = c->g;
    int64_t M = g->M, CM = g->C * M;
    for (int64_t line = b; line < e; line++) {
        int64_t img = line / g->OH, oy = line % g->OH;
        for (int64_t ox = 0; ox < g->OW; ox++) {
            float *y = c->y + (line * g->OW + ox) * CM;
            for (int64_t j = 0; j < CM; j++) y[j] = c->b ? c->b[j] : 0.0f;
            for (int64_t ky = 0; ky < g->KH; ky++) {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (iy < 0 || iy >= g->H) continue;
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    const float *xs = c->x + ((img * g->H + iy) * g->W + ix) * g->C;
                    const float *w = c->w + (ky * g->KW + kx) * CM;
                    if (M == 1)
                        for (int64_t j = 0; j < CM; j++) y[j] += xs[j] * w[j];
                    else
                        for (int64_t c2 = 0; c2 < g->C; c2++)
                            for (int64_t m = 0; m < M; m++) y[c2 * M + m] += xs[c2] * w[c2 * M + m];
                }
            }
        }
    }
}

/* dX of images [b, e). */
static void backward_images(void *vctx, int64_t b, int64_t e)
{
    const dw_ctx *c = vctx;
    const dw_geom *g = c->g;
    int64_t M = g->M, CM = g->C * M;
    for (int64_t img = b; img < e; img++)
        for (int64_t oy = 0; oy < g->OH; oy++)
            for (int64_t ox = 0; ox < g->OW; ox++) {
                const float *gy = c->gy + ((img * g->OH + oy) * g->OW + ox) * CM;
                for (int64_t ky = 0; ky < g->KH; ky++) {
                    int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                    if (iy < 0 || iy >= g->H) continue;
                    for (int64_t kx = 0; kx < g->KW; kx++) {
                        int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                        if (ix < 0 || ix >= g->W) continue;
                        float *gx = c->gx + ((img * g->H + iy) * g->W + ix) * g->C;
                        const float *w = c->w + (ky * g->KW + kx) * CM;
                        if (M == 1)
                            for (int64_t j = 0; j < CM; j++) gx[j] += gy[j] * w[j];
                        else
                            for (int64_t c2 = 0; c2 < g->C; c2++)
                                for (int64_t m = 0; m < M; m++) gx[c2] += gy[c2 * M + m] * w[c2 * M + m];
                    }
                }
            }
}

/* dW of taps [b, e) of KH*KW. */
static void backward_taps(void *vctx, int64_t b, int64_t e)
{
    const dw_ctx *c = vctx;
    const dw_geom *g = c->g;
    int64_t M = g->M, CM = g->C * M;
    for (int64_t tap = b; tap < e; tap++) {
        int64_t ky = tap / g->KW, kx = tap % g->KW;
        float *gw = c->gw + tap * CM;
        for (int64_t img = 0; img < g->N; img++)
            for (int64_t oy = 0; oy < g->OH; oy++) {
                int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                if (iy < 0 || iy >= g->H) continue;
                for (int64_t ox = 0; ox < g->OW; ox++) {
                    int64_t ix = ox * g->sw - g->pl + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    const float *xs = c->x + ((img * g->H + iy) * g->W + ix) * g->C;
                    const float *gy = c->gy + ((img * g->OH + oy) * g->OW + ox) * CM;
                    if (M == 1)
                        for (int64_t j = 0; j < CM; j++) gw[j] += xs[j] * gy[j];
                    else
                        for (int64_t c2 = 0; c2 < g->C; c2++)
                            for (int64_t m = 0; m < M; m++) gw[c2 * M + m] += xs[c2] * gy[c2 * M + m];
                }
            }
    }
}

static int depthwise_conv2d_forward(pn_node *n)
{
    dw_geom g;
    int rc = geom_make(n, &g);
    if (rc) return rc;
    dw_ctx c = {&g, n->in[0]->data, n->in[1]->data, g.has_bias ? n->in[2]->data : NULL, NULL,
                n->data, NULL, NULL};
    pn_parallel_for(g.N * g.OH, 1, forward_lines, &c);
    return PN_OK;
}

static int depthwise_conv2d_backward(pn_node *n)
{
    dw_geom g;
    int rc = geom_make(n, &g);
    if (rc) return rc;
    pn_node *X = n->in[0], *Wn = n->in[1];
    int64_t CM = g.C * g.M, rows = g.N * g.OH * g.OW;
    if (g.has_bias && n->in[2]->requires_grad) {
        float *gb = n->in[2]->grad;
        for (int64_t j = 0; j < CM; j++) { /* in double: rows can be ~10^5 terms */
            double acc = 0;
            for (int64_t r = 0; r < rows; r++) acc += n->grad[r * CM + j];
            gb[j] += (float)acc;
        }
    }
    dw_ctx c = {&g, X->data, Wn->data, NULL, n->grad, NULL, X->grad, Wn->grad};
    if (X->requires_grad) pn_parallel_for(g.N, 1, backward_images, &c);
    if (Wn->requires_grad) pn_parallel_for(g.KH * g.KW, 1, backward_taps, &c);
    return PN_OK;
}

/* The slots geom_make reads, by name. */
static const char *const dw_inputs[] = {"x", "kernel", "bias?", NULL};
static const char *const pads[] = {"valid", "same", NULL}; /* PAD_* order */
static const pn_attr dw_attrs[] = {
    {"strides", PN_ATTR_INTS, 0, 1, 2},
    {"dilation_rate", PN_ATTR_INTS, 2, 1, 2},
    {"padding", PN_ATTR_ENUM, 4, PAD_VALID, 0, pads},
    {NULL}};
static const pn_op op_depthwise_conv2d = {"depthwise_conv2d", -1, depthwise_conv2d_infer,
                                          depthwise_conv2d_forward, depthwise_conv2d_backward, NULL,
                                          dw_inputs, dw_attrs,
                                          PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS, NULL};

const pn_op *const pn_ops_depthwise[] = {&op_depthwise_conv2d, NULL};
