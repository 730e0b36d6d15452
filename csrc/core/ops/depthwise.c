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

/* F = C * M: the depth multiplier M is the kernel's last axis. */
static int geom_make(const pn_node *n, pn_conv_geom *g, int64_t *M)
{
    int rc = pn_conv_geom_read(n, 0, 2, "(kernel_h, kernel_w, in_channels, depth_multiplier)",
                               PAD_SAME, g);
    if (rc) return rc;
    *M = n->in[1]->shape[3];
    g->F = g->C * *M;
    rc = pn_conv_bias(n, g->F, "in_channels * depth_multiplier");
    return rc ? rc : pn_conv_out(n->op->name, 0, g);
}

static int depthwise_conv2d_infer(pn_node *n)
{
    pn_conv_geom g;
    int64_t M;
    int rc = geom_make(n, &g, &M);
    if (rc) return rc;
    int64_t shape[4] = {g.N, g.OH, g.OW, g.F};
    return pn_node_set_shape(n, 4, shape);
}

typedef struct {
    const pn_conv_geom *g;
    int64_t M; /* depth multiplier */
    const float *x, *w, *b, *gy;
    float *y, *gx, *gw;
} dw_ctx;

/* Output lines [b, e) of N*OH. */
static void forward_lines(void *vctx, int64_t b, int64_t e)
{
    const dw_ctx *c = vctx;
    const pn_conv_geom *g = c->g;
    int64_t M = c->M, CM = g->F;
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
    const pn_conv_geom *g = c->g;
    int64_t M = c->M, CM = g->F;
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
    const pn_conv_geom *g = c->g;
    int64_t M = c->M, CM = g->F;
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
    pn_conv_geom g;
    int64_t M;
    int rc = geom_make(n, &g, &M);
    if (rc) return rc;
    dw_ctx c = {&g, M, n->in[0]->data, n->in[1]->data, g.has_bias ? n->in[2]->data : NULL, NULL,
                n->data, NULL, NULL};
    pn_parallel_for(g.N * g.OH, 1, forward_lines, &c);
    return PN_OK;
}

static int depthwise_conv2d_backward(pn_node *n)
{
    pn_conv_geom g;
    int64_t M;
    int rc = geom_make(n, &g, &M);
    if (rc) return rc;
    pn_node *X = n->in[0], *Wn = n->in[1];
    int64_t CM = g.F, rows = g.N * g.OH * g.OW;
    if (g.has_bias && n->in[2]->requires_grad) {
        float *gb = n->in[2]->grad;
        for (int64_t j = 0; j < CM; j++) { /* in double: rows can be ~10^5 terms */
            double acc = 0;
            for (int64_t r = 0; r < rows; r++) acc += n->grad[r * CM + j];
            gb[j] += (float)acc;
        }
    }
    dw_ctx c = {&g, M, X->data, Wn->data, NULL, n->grad, NULL, X->grad, Wn->grad};
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
