/* state.c - how a stateful recurrent layer (Keras' stateful=True) reads and keeps
 * its states across batches.
 *
 * read_states(x, v): the layer's stored states v (batch, ...) as a value whose
 * batch follows x's, so that a compiled model, traced on a placeholder batch of
 * one, plans for the real batch and checks it when it runs: forward copies v
 * and fails, with a message that says how to fix it, when the batches differ.
 * No gradient (the stored states are constants of the batch).
 *
 * store_states(y, s_0 .. s_{k-1}, v_0 .. v_{k-1}): the output is y unchanged;
 * as a side effect forward copies each final state s_i into the leaf v_i (the
 * layer's state Variable, which read_states gives the next call). The copy sits
 * on the path from the layer's input to its output, so every driver that
 * computes the output also stores the states, in the same pass (the compiled
 * driver replays it every batch, eager calls every call). Backward passes dy
 * to y only: as in Keras, no gradient flows from one batch into the next.
 *
 * While a model is traced (pn_tracing) nothing is read or stored: the trace
 * runs on a placeholder batch of one and must not move the states.
 *
 * SpectralNormalization uses store_states too, to write the normalized kernel and
 * the power iteration's vector back into its (unbatched) variables each training
 * step: there the "batch" axis is the kernel's first axis, unchanged. */
#include <string.h>

#include "pn.h"

static int same_tail(const pn_node *a, const pn_node *b)
{
    return a->ndim == b->ndim && a->ndim >= 1 &&
           memcmp(a->shape + 1, b->shape + 1, sizeof(int64_t) * (size_t)(a->ndim - 1)) == 0;
}

static int batch_error(const char *op, int64_t kept, int64_t got)
{
    return pn_error(PN_EVALUE,
                    "%s: a stateful layer keeps its states for batches of %lld but got a batch of "
                    "%lld; use the same batch size in every call (give it up front with "
                    "pynn.Input(shape, batch_size=%lld), and in fit a dataset size that it "
                    "divides)",
                    op, (long long)kept, (long long)got, (long long)got);
}

static int read_states_infer(pn_node *n)
{
    char s1[128];
    if (n->n_in != 2)
        return pn_error(PN_EVALUE, "read_states takes (input, stored states), got %d inputs", n->n_in);
    const pn_node *x = n->in[0], *v = n->in[1];
    if (x->ndim < 1 || v->ndim < 1)
        return pn_error(PN_EVALUE, "read_states: the input and the states need a batch axis, got %s",
                        pn_shape_str(s1, v->ndim, v->shape));
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, v->shape, sizeof(int64_t) * (size_t)v->ndim);
    shape[0] = x->shape[0];
    return pn_node_set_shape(n, v->ndim, shape);
}

static int read_states_forward(pn_node *n)
{
    const pn_node *x = n->in[0], *v = n->in[1];
    if (pn_tracing) {
        memset(n->data, 0, sizeof(float) * (size_t)n->size);
        return PN_OK;
    }
    if (v->shape[0] != x->shape[0]) return batch_error("read_states", v->shape[0], x->shape[0]);
    memcpy(n->data, v->data, sizeof(float) * (size_t)n->size);
    return PN_OK;
}

static int store_check(const pn_node *n)
{
    char s1[128], s2[128];
    if (n->n_in < 3 || n->n_in % 2 == 0)
        return pn_error(PN_EVALUE, "store_states takes (output, k states, k targets), got %d inputs",
                        n->n_in);
    int k = (n->n_in - 1) / 2;
    for (int i = 0; i < k; i++) {
        const pn_node *s = n->in[1 + i], *v = n->in[1 + k + i];
        if (!same_tail(s, v))
            return pn_error(PN_EVALUE, "store_states: state %d has shape %s but its target has %s",
                            i, pn_shape_str(s1, s->ndim, s->shape), pn_shape_str(s2, v->ndim, v->shape));
        /* a trainable target is allowed: SpectralNormalization stores the normalized
         * kernel into the kernel itself, as Keras assigns it before the step */
        if (v->op || v->readonly)
            return pn_error(PN_EVALUE, "store_states: target %d must be a writable leaf "
                            "(the layer's state variable)", i);
    }
    return PN_OK;
}

static int store_states_infer(pn_node *n)
{
    int rc = store_check(n);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static int store_states_forward(pn_node *n)
{
    int rc = store_check(n);
    if (rc) return rc;
    int k = (n->n_in - 1) / 2;
    memcpy(n->data, n->in[0]->data, sizeof(float) * (size_t)n->size);
    if (pn_tracing) return PN_OK;
    for (int i = 0; i < k; i++)
        if (n->in[1 + i]->shape[0] != n->in[1 + k + i]->shape[0])
            return batch_error("store_states", n->in[1 + k + i]->shape[0], n->in[1 + i]->shape[0]);
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

static const char *const read_inputs[] = {"x", "stored", NULL};
static const char *const store_inputs[] = {"y", "states_then_targets...", NULL};
static const pn_attr no_attrs[] = {{NULL}};
static const pn_op op_read_states = {"read_states", 2, read_states_infer, read_states_forward, NULL,
                                     NULL, read_inputs, no_attrs, 0, NULL};
static const pn_op op_store_states = {"store_states", -1, store_states_infer, store_states_forward,
                                      store_states_backward, NULL, store_inputs, no_attrs, 0, NULL};

const pn_op *const pn_ops_state[] = {&op_read_states, &op_store_states, NULL};
