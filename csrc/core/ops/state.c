/* state.c - store_states: how a stateful recurrent layer (Keras' stateful=True)
 * keeps its final states for the next batch.
 *
 * store_states(y, s_0 .. s_{k-1}, v_0 .. v_{k-1}): the output is y unchanged;
 * as a side effect forward copies each final state s_i into the leaf v_i (the
 * layer's state Variable, which the next call reads as its initial state).
 * The copy sits on the path from the layer's input to its output so that
 * every driver that computes the output also stores the states, in the same
 * pass (the compiled driver replays it every batch, eager calls every call).
 * Backward passes dy to y only: as in Keras, no gradient flows from one batch
 * into the next through the stored states. */
#include <string.h>

#include "pn.h"

static int check(const pn_node *n)
{
    char s1[128], s2[128];
    if (n->n_in < 3 || n->n_in % 2 == 0)
        return pn_error(PN_EVALUE, "store_states takes (output, k states, k targets), got %d inputs",
                        n->n_in);
    int k = (n->n_in - 1) / 2;
    for (int i = 0; i < k; i++) {
        const pn_node *s = n->in[1 + i], *v = n->in[1 + k + i];
        if (s->ndim != v->ndim || memcmp(s->shape, v->shape, sizeof(int64_t) * (size_t)s->ndim))
            return pn_error(PN_EVALUE,
                            "store_states: state %d has shape %s but its stored state has %s (a "
                            "stateful layer keeps the batch size of its first call)",
                            i, pn_shape_str(s1, s->ndim, s->shape), pn_shape_str(s2, v->ndim, v->shape));
        if (v->op || v->readonly || v->requires_grad)
            return pn_error(PN_EVALUE, "store_states: target %d must be a writable constant leaf "
                            "(the layer's state variable)", i);
    }
    return PN_OK;
}

static int store_states_infer(pn_node *n)
{
    int rc = check(n);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static int store_states_forward(pn_node *n)
{
    int rc = check(n);
    if (rc) return rc;
    int k = (n->n_in - 1) / 2;
    memcpy(n->data, n->in[0]->data, sizeof(float) * (size_t)n->size);
    for (int i = 0; i < k; i++)
        memcpy(n->in[1 + k + i]->data, n->in[1 + i]->data, sizeof(float) * (size_t)n->in[1 + i]->size);
    return PN_OK;
}

static int store_states_backward(pn_node *n)
{
    pn_node *y = n->in[0];
    if (y->requires_grad)
        for (int64_t i = 0; i < n->size; i++) y->grad[i] += n->grad[i];
    return PN_OK;
}

static const pn_op op_store_states = {"store_states", -1, store_states_infer, store_states_forward,
                                      store_states_backward, NULL};

const pn_op *const pn_ops_state[] = {&op_store_states, NULL};
