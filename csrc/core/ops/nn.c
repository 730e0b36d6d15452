/* nn.c - training-time ops: dropout, dropout_mask, random_normal, random_uniform.
 *
 * dropout(x): rate, training (slots in the descriptors at the end). Inverted dropout (kept units
 * scaled by 1/(1-rate)) as in Keras, so inference is the identity. The mask is
 * drawn from a fresh counter-based key per forward call: reproducible under
 * pynn.set_seed and independent of the thread count.
 *
 * Per-example streams (iattr[1] = 1, set through pn_dropout_streams, nn.h, by
 * drivers that run examples both alone and in batches): row r of
 * the first axis draws from the key pn_rng_hash(iattr[2], iattr[3] + r) instead,
 * so an example gets the same mask whether it runs alone (iattr[3] = its
 * position in the batch) or inside the whole batch (iattr[3] = 0).
 *
 * dropout_mask(x): the mask alone, shape (N, count, width) with N = x.shape[0];
 * attributes count, width, rate. Every entry is 0 or
 * 1/(1-rate), drawn like dropout's. The recurrent layers draw one per sequence
 * (the same mask at every time step, count = 1 or one per gate) and hand it to
 * their op; it has no gradient.
 *
 * random_normal(ref) / random_uniform(ref): fresh draws of the shape `shape`, where
 * an entry -1 stands for ref's first dimension (the batch: pynn.random.normal(
 * shape=(batch, dim)) inside a traced model, whose batch size changes from plan to
 * plan); a, b = (mean, stddev) or (minval, maxval). ref only gives that size (no
 * gradient). */
#include <string.h>

#include "nn.h"

/* Fills m[0..n) with 0 (probability rate) or 1/(1-rate) drawn from key. */
static void draw_keyed(float *m, int64_t n, double rate, uint64_t key)
{
    float scale = (float)(1.0 / (1.0 - rate));
    for (int64_t i = 0; i < n; i++)
        m[i] = pn_rng_uniform01(key, (uint64_t)i) >= rate ? scale : 0.0f;
}

/* The same from a fresh key. */
static void draw_mask(float *m, int64_t n, double rate) { draw_keyed(m, n, rate, pn_rng_key()); }

static int check_rate(const char *name, double rate)
{
    if (!(rate >= 0.0 && rate < 1.0))
        return pn_error(PN_EVALUE, "%s: rate must be in [0, 1), got %g", name, rate);
    return PN_OK;
}

static int dropout_infer(pn_node *n)
{
    int rc = check_rate("dropout", n->fattr[0]);
    if (rc) return rc;
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
    if (n->iattr[1]) { /* per-example streams */
        int64_t rows = n->ndim ? n->shape[0] : 1, per = rows ? n->size / rows : 0;
        for (int64_t r = 0; r < rows; r++)
            draw_keyed(mask + r * per, per, rate, pn_rng_hash((uint64_t)n->iattr[2], (uint64_t)n->iattr[3] + (uint64_t)r));
    } else {
        draw_mask(mask, n->size, rate);
    }
    for (int64_t i = 0; i < n->size; i++) y[i] = x[i] * mask[i];
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

static int dropout_mask_infer(pn_node *n)
{
    const pn_node *x = n->in[0];
    int rc = check_rate("dropout_mask", n->fattr[0]);
    if (rc) return rc;
    if (x->ndim < 1 || n->iattr[0] < 1 || n->iattr[1] < 1)
        return pn_error(PN_EVALUE,
                        "dropout_mask: needs a batched input and count, width >= 1; got rank %d, "
                        "count %lld, width %lld",
                        x->ndim, (long long)n->iattr[0], (long long)n->iattr[1]);
    return pn_node_set_shape(n, 3, (int64_t[]){x->shape[0], n->iattr[0], n->iattr[1]});
}

static int dropout_mask_forward(pn_node *n)
{
    draw_mask(n->data, n->size, n->fattr[0]);
    return PN_OK;
}

static int random_infer(pn_node *n)
{
    int64_t shape[PN_MAX_DIMS];
    if (n->n_iv > PN_MAX_DIMS)
        return pn_error(PN_EVALUE, "%s: at most %d dimensions", n->op->name, PN_MAX_DIMS);
    for (int64_t i = 0; i < n->n_iv; i++) {
        int64_t d = n->iv[i];
        if (d == -1) {
            if (n->in[0]->ndim < 1)
                return pn_error(PN_EVALUE, "%s: -1 (the batch) needs a reference with a batch axis",
                                n->op->name);
            d = n->in[0]->shape[0];
        }
        if (d < 0) return pn_error(PN_EVALUE, "%s: dimension %lld is negative", n->op->name,
                                   (long long)d);
        shape[i] = d;
    }
    if (!(n->fattr[1] >= 0.0) && strcmp(n->op->name, "random_normal") == 0)
        return pn_error(PN_EVALUE, "random_normal: stddev must be >= 0, got %g", n->fattr[1]);
    return pn_node_set_shape(n, (int)n->n_iv, shape);
}

static int random_forward(pn_node *n)
{
    uint64_t key = pn_rng_key();
    double a = n->fattr[0], b = n->fattr[1];
    if (strcmp(n->op->name, "random_normal") == 0)
        for (int64_t i = 0; i < n->size; i++) n->data[i] = (float)(a + b * pn_rng_normal(key, (uint64_t)i));
    else
        for (int64_t i = 0; i < n->size; i++)
            n->data[i] = (float)(a + (b - a) * pn_rng_uniform01(key, (uint64_t)i));
    return PN_OK;
}

/* Slots: dropout rate fattr[0], training iattr[0]; iattr[1..3] are the
 * per-example streams (no attributes: pn_dropout_streams sets them). */
static const char *const one_input[] = {"x", NULL};
static const pn_attr dropout_attrs[] = {{"rate", PN_ATTR_FLOAT, 0, 0.5},
                                        {"training", PN_ATTR_BOOL, 0, 1}, {NULL}};
static const pn_attr mask_attrs[] = {{"rate", PN_ATTR_FLOAT, 0, 0.5},
                                     {"count", PN_ATTR_INT, 0, 1},
                                     {"width", PN_ATTR_INT, 1, 1}, {NULL}};
/* Inference (or rate 0) draws nothing. */
static uint32_t dropout_traits(const pn_node *n)
{
    return PN_TRAIT_ROWWISE | (n->iattr[0] && n->fattr[0] != 0.0 ? PN_TRAIT_STOCHASTIC : 0);
}
static const pn_op op_dropout = {"dropout", 1, dropout_infer, dropout_forward, dropout_backward, NULL,
                                 one_input, dropout_attrs, PN_TRAIT_ROWWISE | PN_TRAIT_STOCHASTIC,
                                 dropout_traits};

/* Slots: a fattr[0], b fattr[1]; shape in the node's iv. */
static const char *const ref_input[] = {"ref", NULL};
static const pn_attr normal_attrs[] = {{"shape", PN_ATTR_INTS, 0, 0, 0}, {"mean", PN_ATTR_FLOAT, 0, 0.0},
                                       {"stddev", PN_ATTR_FLOAT, 1, 1.0}, {NULL}};
static const pn_attr uniform_attrs[] = {{"shape", PN_ATTR_INTS, 0, 0, 0},
                                        {"minval", PN_ATTR_FLOAT, 0, 0.0},
                                        {"maxval", PN_ATTR_FLOAT, 1, 1.0}, {NULL}};
static const pn_op op_random_normal = {"random_normal", 1, random_infer, random_forward, NULL, NULL,
                                       ref_input, normal_attrs, PN_TRAIT_STOCHASTIC, NULL};
static const pn_op op_random_uniform = {"random_uniform", 1, random_infer, random_forward, NULL,
                                        NULL, ref_input, uniform_attrs, PN_TRAIT_STOCHASTIC, NULL};
static const pn_op op_dropout_mask = {"dropout_mask", 1, dropout_mask_infer, dropout_mask_forward,
                                      NULL, NULL, one_input, mask_attrs,
                                      PN_TRAIT_ROWWISE | PN_TRAIT_STOCHASTIC, NULL};

int pn_dropout_streams(pn_node *n, int on, uint64_t key, int64_t first)
{
    if (n->op != &op_dropout) return pn_error(PN_EINTERNAL, "pn_dropout_streams on a non-dropout node");
    n->iattr[1] = on;
    n->iattr[2] = (int64_t)key;
    n->iattr[3] = first;
    return PN_OK;
}

const pn_op *const pn_ops_nn[] = {&op_dropout, &op_dropout_mask, &op_random_normal,
                                  &op_random_uniform, NULL};
