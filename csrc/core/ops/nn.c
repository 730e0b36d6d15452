/* nn.c - training-time ops: dropout.
 *
 * dropout(x): iattr[0] = training, fattr[0] = rate. Inverted dropout (kept units
 * scaled by 1/(1-rate)) as in Keras, so inference is the identity. The mask is
 * drawn from a fresh counter-based key per forward call: reproducible under
 * pynn.set_seed and independent of the thread count.
 *
 * Per-example streams (iattr[1] = 1, set by the DP-SGD driver, dp.c): row r of
 * the first axis draws from the key pn_rng_hash(iattr[2], iattr[3] + r) instead,
 * so an example gets the same mask whether it runs alone (iattr[3] = its
 * position in the batch) or inside the whole batch (iattr[3] = 0). */
#include "pn.h"

static int dropout_infer(pn_node *n)
{
    double rate = n->fattr[0];
    if (!(rate >= 0.0 && rate < 1.0))
        return pn_error(PN_EVALUE, "dropout: rate must be in [0, 1), got %g", rate);
    return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static int dropout_forward(pn_node *n)
{
    const float *x = n->in[0]->data;
    float *y = n->data;
    double rate = n->fattr[0];
    if (!n->iattr[0] || rate == 0.0) {
        for (int64_t i = 0; i < n->size; i++) y[i] = x[i];
        return PN_OK;
    }
    float *mask = pn_node_scratch(n, sizeof(float) * (size_t)(n->size ? n->size : 1));
    if (!mask) return PN_ENOMEM;
    float scale = (float)(1.0 / (1.0 - rate));
    int64_t rows = 1, per = n->size;
    uint64_t key = 0;
    if (n->iattr[1]) {
        rows = n->ndim ? n->shape[0] : 1;
        per = rows ? n->size / rows : 0;
    } else {
        key = pn_rng_key();
    }
    for (int64_t r = 0; r < rows; r++) {
        if (n->iattr[1]) key = pn_rng_hash((uint64_t)n->iattr[2], (uint64_t)(n->iattr[3] + r));
        for (int64_t j = 0; j < per; j++) {
            int64_t i = r * per + j;
            mask[i] = pn_rng_uniform01(key, (uint64_t)j) >= rate ? scale : 0.0f;
            y[i] = x[i] * mask[i];
        }
    }
    return PN_OK;
}

static int dropout_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad) return PN_OK;
    if (!n->iattr[0] || n->fattr[0] == 0.0) {
        for (int64_t i = 0; i < n->size; i++) X->grad[i] += n->grad[i];
        return PN_OK;
    }
    const float *mask = n->saved;
    for (int64_t i = 0; i < n->size; i++) X->grad[i] += n->grad[i] * mask[i];
    return PN_OK;
}

static const pn_op op_dropout = {"dropout", 1, dropout_infer, dropout_forward, dropout_backward, NULL};

const pn_op *const pn_ops_nn[] = {&op_dropout, NULL};
