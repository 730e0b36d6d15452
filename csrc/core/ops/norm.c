/* norm.c - batch_norm and layer_norm over the channels-last layout.
 *
 * batch_norm(x, gamma, beta, moving_mean, moving_var): x (..., C), the others (C,).
 * Attributes momentum, epsilon, training. Keras 3 semantics:
 *  - training: mean and the *biased* variance over every axis but the last
 *    (ops.moments); y = (x - mean) / sqrt(var + eps) * gamma + beta; the moving
 *    statistics are updated in place, m = m*momentum + batch*(1 - momentum), with
 *    the same biased variance (PyTorch would use the unbiased one here). Backward
 *    goes through the batch statistics. The flag is fixed when the graph is built
 *    because training and inference graphs are traced separately. While a model
 *    is traced (pn_tracing) the forward computes but does not update: the trace
 *    runs on a placeholder batch and must leave the statistics where they are.
 *  - inference: the moving statistics stand in for the batch ones; they are
 *    plain inputs then, so they get gradients if anyone asks for them.
 * layer_norm(x, gamma, beta): normalises each row of the last axis; epsilon
 * (Keras default 1e-3).
 *
 * Per-channel sums are formed in fixed blocks of rows and the block partials
 * combined in order, so results do not depend on the number of threads. */
#include <math.h>
#include <string.h>

#include "pn.h"

#define ROW_BLOCK 256

/* x seen as (M, C). */
static int norm_check(const pn_node *n, int n_params, int64_t *M, int64_t *C)
{
    const pn_node *X = n->in[0];
    char s1[128], s2[128];
    if (X->ndim < 1)
        return pn_error(PN_EVALUE, "%s: the input needs a channel (last) axis, got a scalar",
                        n->op->name);
    *C = X->shape[X->ndim - 1];
    *M = *C ? X->size / *C : 0;
    if (*C == 0) {
        *M = 1;
        for (int i = 0; i < X->ndim - 1; i++) *M *= X->shape[i];
    }
    static const char *const names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (int i = 1; i <= n_params; i++) {
        const pn_node *P = n->in[i];
        if (P->ndim != 1 || P->shape[0] != *C)
            return pn_error(PN_EVALUE, "%s: %s must have shape (%lld,) to match the last axis of the "
                            "input %s, got %s", n->op->name, names[i - 1], (long long)*C,
                            pn_shape_str(s1, X->ndim, X->shape), pn_shape_str(s2, P->ndim, P->shape));
    }
    return PN_OK;
}

/* ---------------------------------------------------------------- batch norm */

typedef struct {
    const float *x, *g;   /* input, and for backward the output gradient */
    const float *mean, *inv;
    double *part;         /* per block: sums over its rows, 2*C doubles */
    int64_t M, C;
    int pass;
} bn_ctx;

/* pass 0: Σx; pass 1: Σ(x-mean)²; pass 2: Σg and Σg·(x-mean)·inv. */
static void bn_block_sums(void *vctx, int64_t b, int64_t e)
{
    const bn_ctx *c = vctx;
    int64_t C = c->C;
    for (int64_t blk = b; blk < e; blk++) {
        double *s0 = c->part + blk * 2 * C, *s1 = s0 + C;
        for (int64_t k = 0; k < 2 * C; k++) s0[k] = 0;
        int64_t r1 = (blk + 1) * ROW_BLOCK < c->M ? (blk + 1) * ROW_BLOCK : c->M;
        for (int64_t r = blk * ROW_BLOCK; r < r1; r++) {
            const float *x = c->x + r * C;
            if (c->pass == 0) {
                for (int64_t k = 0; k < C; k++) s0[k] += x[k];
            } else if (c->pass == 1) {
                for (int64_t k = 0; k < C; k++) {
                    double d = (double)x[k] - c->mean[k];
                    s0[k] += d * d;
                }
            } else {
                const float *g = c->g + r * C;
                for (int64_t k = 0; k < C; k++) {
                    s0[k] += g[k];
                    s1[k] += (double)g[k] * ((double)x[k] - c->mean[k]) * c->inv[k];
                }
            }
        }
    }
}

/* Sums the block partials in block order into out0 (and out1). */
static void bn_reduce(bn_ctx *c, int pass, double *out0, double *out1)
{
    int64_t nb = (c->M + ROW_BLOCK - 1) / ROW_BLOCK, C = c->C;
    c->pass = pass;
    pn_parallel_for(nb, 1, bn_block_sums, c);
    for (int64_t k = 0; k < C; k++) out0[k] = out1 ? (out1[k] = 0) : 0;
    for (int64_t blk = 0; blk < nb; blk++)
        for (int64_t k = 0; k < C; k++) {
            out0[k] += c->part[blk * 2 * C + k];
            if (out1) out1[k] += c->part[blk * 2 * C + C + k];
        }
}

/* Scratch: [mean C floats][inv C floats][block partials nb*2C doubles][2C doubles],
 * the same layout in forward and backward so backward finds forward's stats. */
static size_t bn_scratch_bytes(int64_t M, int64_t C)
{
    int64_t nb = (M + ROW_BLOCK - 1) / ROW_BLOCK;
    size_t f = ((sizeof(float) * (size_t)(2 * C)) + 63) & ~(size_t)63;
    return f + sizeof(double) * (size_t)((nb + 1) * 2 * C);
}

static int batch_norm_infer(pn_node *n)
{
    int64_t M, C;
    int rc = norm_check(n, 4, &M, &C);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

typedef struct {
    const float *x, *gamma, *beta, *mean, *inv, *gy;
    float *y;
    int64_t C;
    double M; /* rows, for the backward formula */
    const double *sg, *sgx; /* per channel Σg, Σg·xhat */
} bn_apply_ctx;

static void bn_normalise_rows(void *vctx, int64_t b, int64_t e)
{
    const bn_apply_ctx *c = vctx;
    for (int64_t r = b; r < e; r++) {
        const float *x = c->x + r * c->C;
        float *y = c->y + r * c->C;
        for (int64_t k = 0; k < c->C; k++)
            y[k] = (x[k] - c->mean[k]) * c->inv[k] * c->gamma[k] + c->beta[k];
    }
}

static int batch_norm_forward(pn_node *n)
{
    int64_t M, C;
    int rc = norm_check(n, 4, &M, &C);
    if (rc) return rc;
    if (C == 0) return PN_OK;
    pn_node *X = n->in[0], *mm = n->in[3], *mv = n->in[4];
    double momentum = n->fattr[0], eps = n->fattr[1];
    /* Training writes the moving statistics in place: memory its owner declared
     * read-only (a mode="r" memmap, frombuffer of bytes) must not be written. */
    if (n->iattr[0] && (mm->readonly || mv->readonly))
        return pn_error(PN_EVALUE,
                        "batch_norm: %s is read-only, but training updates it in place; pass a "
                        "writable float32 array (e.g. np.array(..., copy=True))",
                        mm->readonly ? "moving_mean" : "moving_variance");
    char *s = pn_node_scratch(n, bn_scratch_bytes(M, C));
    if (!s) return PN_ENOMEM;
    float *mean = (float *)s, *inv = mean + C;
    size_t foff = ((sizeof(float) * (size_t)(2 * C)) + 63) & ~(size_t)63;
    double *part = (double *)(s + foff);
    double *sum = part + ((M + ROW_BLOCK - 1) / ROW_BLOCK) * 2 * C, *sq = sum + C;
    if (n->iattr[0] && M > 0) {
        bn_ctx c = {X->data, NULL, mean, NULL, part, M, C, 0};
        /* Two passes (mean, then squared deviations): one-pass E[x²]-E[x]²
         * cancels badly for large offsets. */
        bn_reduce(&c, 0, sum, NULL);
        for (int64_t k = 0; k < C; k++) mean[k] = (float)(sum[k] / (double)M);
        bn_reduce(&c, 1, sq, NULL);
        for (int64_t k = 0; k < C; k++) {
            /* The variance from the float-rounded mean; the difference to the exact
             * mean's is O(rounding²) and the mean used below is this float. */
            double var = sq[k] / (double)M;
            inv[k] = (float)(1.0 / sqrt(var + eps));
            if (pn_tracing) continue; /* a trace computes, never moves the statistics */
            mm->data[k] = (float)(mm->data[k] * momentum + (sum[k] / (double)M) * (1.0 - momentum));
            mv->data[k] = (float)(mv->data[k] * momentum + var * (1.0 - momentum));
        }
    } else {
        /* Inference (or an empty training batch: nothing to learn statistics
         * from, so the moving ones are used and left unchanged). */
        for (int64_t k = 0; k < C; k++) {
            mean[k] = mm->data[k];
            inv[k] = (float)(1.0 / sqrt((double)mv->data[k] + eps));
        }
    }
    bn_apply_ctx a = {X->data, n->in[1]->data, n->in[2]->data, mean, inv, NULL, n->data, C, 0, NULL, NULL};
    pn_parallel_for(M, ROW_BLOCK, bn_normalise_rows, &a);
    return PN_OK;
}

static void bn_dx_rows(void *vctx, int64_t b, int64_t e)
{
    const bn_apply_ctx *c = vctx;
    for (int64_t r = b; r < e; r++) {
        const float *x = c->x + r * c->C, *g = c->gy + r * c->C;
        float *dx = c->y + r * c->C;
        for (int64_t k = 0; k < c->C; k++) {
            float scale = c->gamma[k] * c->inv[k];
            if (c->sg) {
                /* Through the batch statistics:
                 * dx = γ·inv/M · (M·g − Σg − xhat·Σ(g·xhat)). */
                double xhat = ((double)x[k] - c->mean[k]) * c->inv[k];
                dx[k] += (float)(scale * (g[k] - (c->sg[k] + xhat * c->sgx[k]) / c->M));
            } else {
                dx[k] += scale * g[k];
            }
        }
    }
}

static int batch_norm_backward(pn_node *n)
{
    int64_t M, C;
    int rc = norm_check(n, 4, &M, &C);
    if (rc) return rc;
    if (C == 0 || M == 0) return PN_OK;
    pn_node *X = n->in[0], *G = n->in[1], *B = n->in[2], *mm = n->in[3], *mv = n->in[4];
    if (!n->saved || n->saved_bytes < bn_scratch_bytes(M, C))
        return pn_error(PN_EINTERNAL, "batch_norm: backward without a matching forward");
    char *s = n->saved;
    const float *mean = (float *)s, *inv = mean + C;
    size_t foff = ((sizeof(float) * (size_t)(2 * C)) + 63) & ~(size_t)63;
    double *part = (double *)(s + foff);
    double *sg = part + ((M + ROW_BLOCK - 1) / ROW_BLOCK) * 2 * C, *sgx = sg + C;
    bn_ctx c = {X->data, n->grad, mean, inv, part, M, C, 2};
    bn_reduce(&c, 2, sg, sgx);
    if (G->requires_grad)
        for (int64_t k = 0; k < C; k++) G->grad[k] += (float)sgx[k];
    if (B->requires_grad)
        for (int64_t k = 0; k < C; k++) B->grad[k] += (float)sg[k];
    int training = n->iattr[0] != 0;
    if (!training) {
        /* y = (x − m)·(v + ε)^(−1/2)·γ + β: dm = −Σg·γ·inv, dv = −½·Σg·γ·(x − m)·inv³. */
        for (int64_t k = 0; k < C; k++) {
            double gi = (double)G->data[k] * inv[k];
            if (mm->requires_grad) mm->grad[k] += (float)(-sg[k] * gi);
            if (mv->requires_grad) mv->grad[k] += (float)(-0.5 * gi * inv[k] * sgx[k]);
        }
    }
    if (X->requires_grad) {
        bn_apply_ctx a = {X->data, G->data, NULL, mean, inv, n->grad, X->grad, C, (double)M,
                          training ? sg : NULL, training ? sgx : NULL};
        pn_parallel_for(M, ROW_BLOCK, bn_dx_rows, &a);
    }
    return PN_OK;
}

/* Slots: fattr [momentum, epsilon], iattr[0] training (Keras' defaults). */
static const char *const bn_inputs[] = {"x", "gamma", "beta", "moving_mean", "moving_variance", NULL};
static const pn_attr bn_attrs[] = {{"momentum", PN_ATTR_FLOAT, 0, 0.99},
                                   {"epsilon", PN_ATTR_FLOAT, 1, 1e-3},
                                   {"training", PN_ATTR_BOOL, 0, 0}, {NULL}};
/* Training mixes the rows of a batch through its statistics. */
static uint32_t bn_traits(const pn_node *n)
{
    return PN_TRAIT_HAS_PARAMS | (n->iattr[0] ? 0 : PN_TRAIT_ROWWISE);
}
static const pn_op op_batch_norm = {"batch_norm", 5, batch_norm_infer, batch_norm_forward,
                                    batch_norm_backward, NULL, bn_inputs, bn_attrs,
                                    PN_TRAIT_HAS_PARAMS | PN_TRAIT_ROWWISE, bn_traits};

/* ---------------------------------------------------------------- layer norm */

static int layer_norm_infer(pn_node *n)
{
    int64_t M, C;
    int rc = norm_check(n, 2, &M, &C);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

typedef struct {
    const float *x, *gamma, *beta, *gy;
    float *y, *dx;
    float *stats; /* per row: mean, inv */
    double eps;
    int64_t C;
} ln_ctx;

static void ln_forward_rows(void *vctx, int64_t b, int64_t e)
{
    const ln_ctx *c = vctx;
    int64_t C = c->C;
    for (int64_t r = b; r < e; r++) {
        const float *x = c->x + r * C;
        float *y = c->y + r * C;
        double s = 0, q = 0;
        for (int64_t k = 0; k < C; k++) s += x[k];
        double mean = s / (double)C;
        for (int64_t k = 0; k < C; k++) q += (x[k] - mean) * (x[k] - mean);
        double inv = 1.0 / sqrt(q / (double)C + c->eps);
        c->stats[2 * r] = (float)mean;
        c->stats[2 * r + 1] = (float)inv;
        for (int64_t k = 0; k < C; k++)
            y[k] = (float)((x[k] - mean) * inv) * c->gamma[k] + c->beta[k];
    }
}

/* dx = inv · (dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), dxhat = g·γ. */
static void ln_dx_rows(void *vctx, int64_t b, int64_t e)
{
    const ln_ctx *c = vctx;
    int64_t C = c->C;
    for (int64_t r = b; r < e; r++) {
        const float *x = c->x + r * C, *g = c->gy + r * C;
        float *dx = c->dx + r * C;
        double mean = c->stats[2 * r], inv = c->stats[2 * r + 1], s1 = 0, s2 = 0;
        for (int64_t k = 0; k < C; k++) {
            double dh = (double)g[k] * c->gamma[k];
            s1 += dh;
            s2 += dh * (x[k] - mean) * inv;
        }
        s1 /= (double)C;
        s2 /= (double)C;
        for (int64_t k = 0; k < C; k++) {
            double xhat = (x[k] - mean) * inv;
            dx[k] += (float)(inv * ((double)g[k] * c->gamma[k] - s1 - xhat * s2));
        }
    }
}

/* [mean, inv per row][Σg·xhat, Σg per channel, in double]: one layout for
 * forward and backward so backward never reallocates forward's statistics. */
static size_t ln_scratch_bytes(int64_t M, int64_t C)
{
    size_t f = (sizeof(float) * (size_t)(2 * M) + 63) & ~(size_t)63;
    return f + sizeof(double) * (size_t)(2 * C);
}

static int layer_norm_forward(pn_node *n)
{
    int64_t M, C;
    int rc = norm_check(n, 2, &M, &C);
    if (rc) return rc;
    if (C == 0) return PN_OK;
    float *stats = pn_node_scratch(n, ln_scratch_bytes(M, C));
    if (!stats) return PN_ENOMEM;
    ln_ctx c = {n->in[0]->data, n->in[1]->data, n->in[2]->data, NULL, n->data, NULL, stats,
                n->fattr[0], C};
    pn_parallel_for(M, 64, ln_forward_rows, &c);
    return PN_OK;
}

static int layer_norm_backward(pn_node *n)
{
    int64_t M, C;
    int rc = norm_check(n, 2, &M, &C);
    if (rc) return rc;
    if (C == 0 || M == 0) return PN_OK;
    if (!n->saved || n->saved_bytes < ln_scratch_bytes(M, C))
        return pn_error(PN_EINTERNAL, "layer_norm: backward without a matching forward");
    pn_node *X = n->in[0], *G = n->in[1], *B = n->in[2];
    const float *stats = n->saved, *x = X->data, *gy = n->grad;
    if (G->requires_grad || B->requires_grad) {
        /* Column sums over rows in double, serial so the order (and result) is fixed. */
        double *sgx = (double *)((char *)n->saved + ((sizeof(float) * (size_t)(2 * M) + 63) & ~(size_t)63));
        double *sg = sgx + C;
        for (int64_t k = 0; k < 2 * C; k++) sgx[k] = 0;
        for (int64_t r = 0; r < M; r++) {
            double mean = stats[2 * r], inv = stats[2 * r + 1];
            const float *xr = x + r * C, *g = gy + r * C;
            for (int64_t k = 0; k < C; k++) {
                sgx[k] += (double)g[k] * ((xr[k] - mean) * inv);
                sg[k] += g[k];
            }
        }
        if (G->requires_grad)
            for (int64_t k = 0; k < C; k++) G->grad[k] += (float)sgx[k];
        if (B->requires_grad)
            for (int64_t k = 0; k < C; k++) B->grad[k] += (float)sg[k];
    }
    if (X->requires_grad) {
        ln_ctx c = {x, G->data, NULL, gy, NULL, X->grad, (float *)stats, n->fattr[0], C};
        pn_parallel_for(M, 64, ln_dx_rows, &c);
    }
    return PN_OK;
}

static const char *const ln_inputs[] = {"x", "gamma", "beta", NULL};
static const pn_attr ln_attrs[] = {{"epsilon", PN_ATTR_FLOAT, 0, 1e-3}, {NULL}};
static const pn_op op_layer_norm = {"layer_norm", 3, layer_norm_infer, layer_norm_forward,
                                    layer_norm_backward, NULL, ln_inputs, ln_attrs,
                                    PN_TRAIT_HAS_PARAMS | PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_norm[] = {&op_batch_norm, &op_layer_norm, NULL};
