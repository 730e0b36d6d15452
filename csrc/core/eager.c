/* eager.c - the eager driver: run an op now, record it, sweep back on demand. */
#include <stdlib.h>
#include <string.h>

#include "pn.h"
#include "graph.h"

int pn_apply(const pn_op *op, int n_in, pn_node **in, const double *fattr, int n_f,
             const int64_t *iattr, int n_i, const int64_t *iv, int64_t n_iv, pn_node **out)
{
    *out = NULL;
    if (!op) return pn_error(PN_EVALUE, "unknown op");
    if ((op->n_inputs >= 0 && n_in != op->n_inputs) || n_in > PN_MAX_INPUTS || n_in < 0)
        return pn_error(PN_EVALUE, "%s takes %d inputs, got %d", op->name, op->n_inputs, n_in);
    if (n_f > PN_MAX_FATTR || n_i > PN_MAX_IATTR)
        return pn_error(PN_EVALUE, "%s: too many attributes", op->name);
    pn_node *n = pn_node_new();
    if (!n) return pn_error(PN_ENOMEM, "out of memory");
    n->op = op;
    n->n_in = n_in;
    for (int i = 0; i < n_in; i++) {
        if (!in[i]) {
            pn_node_decref(n);
            return pn_error(PN_EVALUE, "%s: input %d is missing", op->name, i);
        }
        n->in[i] = in[i];
        n->in_version[i] = in[i]->version;
        pn_node_incref(in[i]);
        if (in[i]->requires_grad && op->backward) n->requires_grad = pn_grad_enabled;
    }
    for (int i = 0; i < n_f; i++) n->fattr[i] = fattr[i];
    for (int i = 0; i < n_i; i++) n->iattr[i] = iattr[i];
    if (n_iv > 0) {
        n->iv = malloc(sizeof(int64_t) * (size_t)n_iv);
        if (!n->iv) {
            pn_node_decref(n);
            return pn_error(PN_ENOMEM, "out of memory");
        }
        memcpy(n->iv, iv, sizeof(int64_t) * (size_t)n_iv);
        n->n_iv = n_iv;
    }
    int rc = op->infer_shape(n);
    if (!rc) rc = pn_node_alloc_data(n);
    /* An empty output has nothing to compute: kernels are not entered, so an
     * input with one huge dimension and a zero one costs nothing (issue 10). */
    if (!rc && n->size) rc = op->forward(n);
    if (rc) {
        pn_node_decref(n);
        return rc;
    }
    if (!n->requires_grad && !pn_tracing) {
        /* Nothing will flow back: let the inputs go now (what no_grad saves). */
        for (int i = 0; i < n->n_in; i++) {
            pn_node_decref(n->in[i]);
            n->in[i] = NULL;
        }
        n->n_in = 0;
    }
    *out = n;
    return PN_OK;
}

int pn_backward(pn_node *root, const float *seed)
{
    if (!root->requires_grad)
        return pn_error(PN_EVALUE,
                        "backward() on a tensor that does not require grad (no input of the "
                        "computation has requires_grad=True, or it ran under no_grad())");
    pn_node **order = NULL;
    int n = 0;
    int rc = pn_topo_sort(&root, 1, 1, &order, &n);
    if (rc) return rc;
    /* An op's backward reads its inputs' values as they were when it ran; an
     * in-place write since then would give a silently wrong gradient (PyTorch
     * checks the same version counters). */
    for (int i = 0; i < n && !rc; i++) {
        pn_node *x = order[i];
        for (int k = 0; x->op && k < x->n_in; k++)
            if (x->in[k] && x->in[k]->version != x->in_version[k])
                rc = pn_error(PN_EVALUE,
                              "backward: input %d of '%s' was modified by an in-place operation "
                              "after '%s' used it, so its gradient would be wrong; use an "
                              "out-of-place op (t = t + x) or recompute the graph",
                              k, x->op->name, x->op->name);
    }
    if (rc) {
        free(order);
        return rc;
    }
    for (int i = 0; i < n && !rc; i++) {
        pn_node *x = order[i];
        if (x->op || !x->grad) rc = pn_node_zero_grad(x);
    }
    if (!rc) {
        if (seed)
            memcpy(root->grad, seed, sizeof(float) * (size_t)root->size);
        else
            for (int64_t i = 0; i < root->size; i++) root->grad[i] = 1.0f;
        for (int i = n - 1; i >= 0 && !rc; i--)
            /* an empty output sends no gradient (see pn_apply) */
            if (order[i]->op && order[i]->size) rc = order[i]->op->backward(order[i]);
    }
    /* Interior gradients are not kept (as in PyTorch); leaves accumulate. */
    for (int i = 0; i < n; i++) {
        pn_node *x = order[i];
        if (x->op && x->owns_grad) {
            free(x->grad);
            x->grad = NULL;
            x->grad_cap = 0;
            x->owns_grad = 0;
        }
    }
    free(order);
    return rc;
}
