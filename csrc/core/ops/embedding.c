/* embedding.c - table lookup: embedding(ids, table) -> ids.shape + (D,).
 *
 * ids arrive as float32 (the engine's only dtype; integers are exact up to 2^24)
 * and are validated on every forward, because they are data, not shape: an id
 * that is negative, fractional or >= input_dim is a user error that must become
 * a ValueError naming the id, never an out-of-bounds read.
 * Backward scatter-adds rows of the output gradient into the table gradient;
 * repeated ids accumulate. ids get no gradient (they are indices). */
#include <math.h>
#include <string.h>

#include "pn.h"

static int embedding_infer(pn_node *n)
{
    const pn_node *ids = n->in[0], *tab = n->in[1];
    char s[128];
    if (tab->ndim != 2)
        return pn_error(PN_EVALUE, "embedding: the table must be (input_dim, output_dim), got %s",
                        pn_shape_str(s, tab->ndim, tab->shape));
    if (ids->ndim + 1 > PN_MAX_DIMS)
        return pn_error(PN_EVALUE, "embedding: ids of rank %d are too many dimensions", ids->ndim);
    int64_t shape[PN_MAX_DIMS];
    for (int i = 0; i < ids->ndim; i++) shape[i] = ids->shape[i];
    shape[ids->ndim] = tab->shape[1];
    return pn_node_set_shape(n, ids->ndim + 1, shape);
}

/* Returns the row of id i, or -1 after setting the error. */
static int64_t embedding_row(const pn_node *n, int64_t i)
{
    float v = n->in[0]->data[i];
    int64_t V = n->in[1]->shape[0];
    if (!(v >= 0.0f && v < (float)V) || v != floorf(v)) {
        pn_error(PN_EVALUE,
                 "embedding: id %g (at flat position %lld) is not an integer in [0, input_dim=%lld); "
                 "ids must be integer token indices smaller than input_dim",
                 (double)v, (long long)i, (long long)V);
        return -1;
    }
    /* float32 holds every integer only below 2^24: id 16777217 arrives as
     * 16777216, so an id from 2^24 on may not be the id given (another row). */
    if (v >= 16777216.0f) {
        pn_error(PN_EVALUE,
                 "embedding: id %.0f (at flat position %lld) is at or above 2^24; ids travel as "
                 "float32, which cannot hold every integer from 2^24 on exactly, so it may not be "
                 "the id given (tables with input_dim above 2^24 can only be indexed below 2^24)",
                 (double)v, (long long)i);
        return -1;
    }
    return (int64_t)v;
}

static int embedding_forward(pn_node *n)
{
    const pn_node *ids = n->in[0], *tab = n->in[1];
    int64_t D = tab->shape[1];
    for (int64_t i = 0; i < ids->size; i++) {
        int64_t r = embedding_row(n, i);
        if (r < 0) return PN_EVALUE;
        memcpy(n->data + i * D, tab->data + r * D, sizeof(float) * (size_t)D);
    }
    return PN_OK;
}

static int embedding_backward(pn_node *n)
{
    pn_node *ids = n->in[0], *tab = n->in[1];
    if (!tab->requires_grad) return PN_OK;
    int64_t D = tab->shape[1];
    for (int64_t i = 0; i < ids->size; i++) {
        int64_t r = embedding_row(n, i);
        if (r < 0) return PN_EVALUE; /* ids were overwritten since forward */
        float *dst = tab->grad + r * D;
        const float *g = n->grad + i * D;
        for (int64_t d = 0; d < D; d++) dst[d] += g[d];
    }
    return PN_OK;
}

/* embedding_mask(ids) -> 1 where id != 0, else 0: Keras' mask_zero padding mask,
 * computed inside the graph so the compiled driver recomputes it per batch.
 * No gradient (it is a comparison). */
static int embedding_mask_infer(pn_node *n)
{
    return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static int embedding_mask_forward(pn_node *n)
{
    const float *x = n->in[0]->data;
    for (int64_t i = 0; i < n->size; i++) n->data[i] = x[i] != 0.0f ? 1.0f : 0.0f;
    return PN_OK;
}

static const char *const emb_inputs[] = {"ids", "table", NULL};
static const char *const mask_inputs[] = {"ids", NULL};
static const pn_op op_embedding = {"embedding", 2, embedding_infer, embedding_forward,
                                   embedding_backward, NULL, emb_inputs, NULL,
                                   PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS, NULL};
static const pn_op op_embedding_mask = {"embedding_mask", 1, embedding_mask_infer,
                                        embedding_mask_forward, NULL, NULL, mask_inputs, NULL,
                                        PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_embedding[] = {&op_embedding, &op_embedding_mask, NULL};
