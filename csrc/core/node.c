/* node.c - node allocation, reference counting and buffers. */
#include <stdlib.h>
#include <string.h>

#include "pn.h"

_Thread_local int pn_grad_enabled = 1;
_Thread_local int pn_tracing = 0;

pn_node *pn_node_new(void)
{
    pn_node *n = calloc(1, sizeof *n);
    if (n) n->refcount = 1;
    return n;
}

void pn_node_incref(pn_node *n)
{
    if (n) n->refcount++;
}

/* Iterative so that freeing a long chain (an RNN unrolled over 10^5 steps)
 * cannot overflow the C stack. */
void pn_node_decref(pn_node *n)
{
    if (!n) return;
    pn_node *stack_small[64];
    pn_node **stack = stack_small;
    int cap = 64, top = 0;
    stack[top++] = n;
    while (top) {
        pn_node *x = stack[--top];
        if (--x->refcount > 0) continue;
        for (int i = 0; i < x->n_in; i++) {
            if (!x->in[i]) continue;
            if (top == cap) {
                pn_node **bigger = malloc(sizeof *bigger * cap * 2);
                if (!bigger) { /* cannot grow: leak rather than crash */
                    continue;
                }
                memcpy(bigger, stack, sizeof *stack * top);
                if (stack != stack_small) free(stack);
                stack = bigger;
                cap *= 2;
            }
            stack[top++] = x->in[i];
        }
        if (x->owns_data) free(x->data);
        if (x->owns_grad) free(x->grad);
        if (x->release) x->release(x->release_ctx);
        if (x->grad_release) x->grad_release(x->grad_ctx);
        free(x->iv);
        free(x->saved);
        free(x);
    }
    if (stack != stack_small) free(stack);
}

int pn_node_set_shape(pn_node *n, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > PN_MAX_DIMS)
        return pn_error(PN_EVALUE, "tensors of rank %d are not supported (at most %d)", ndim,
                        PN_MAX_DIMS);
    /* The product of the non-zero dimensions is bounded, not only the size: a
     * zero-size tensor such as (0, 2^40, 2^40) would otherwise make strides,
     * batch counts and sums of dimensions wrap in the ops that walk it. */
    int64_t size = 1, nonzero = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return pn_error(PN_EVALUE, "negative dimension %lld", (long long)shape[i]);
        if (shape[i] == 0) {
            size = 0;
            continue;
        }
        if (shape[i] > PN_SIZE_MAX || nonzero > PN_SIZE_MAX / shape[i]) {
            char s[128];
            return pn_error(PN_EVALUE, "a tensor of shape %s is too large (the product of its "
                            "non-zero dimensions may be at most %lld)",
                            pn_shape_str(s, ndim, shape), (long long)PN_SIZE_MAX);
        }
        nonzero *= shape[i];
    }
    if (size) size = nonzero;
    /* validated first: a failed call leaves the node as it was */
    for (int i = 0; i < ndim; i++) n->shape[i] = shape[i];
    n->ndim = ndim;
    n->size = size;
    return PN_OK;
}

int pn_node_alloc_data(pn_node *n)
{
    if (!n->owns_data && n->data) return PN_OK; /* host-owned */
    size_t need = n->size ? (size_t)n->size : 1;
    if (n->data && n->data_cap >= need) return PN_OK;
    free(n->data);
    n->data = aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64);
    if (!n->data) {
        n->data_cap = 0;
        return pn_error(PN_ENOMEM, "out of memory allocating %zu floats", need);
    }
    n->data_cap = need;
    n->owns_data = 1;
    return PN_OK;
}

int pn_node_zero_grad(pn_node *n)
{
    size_t need = n->size ? (size_t)n->size : 1;
    if (n->grad && (!n->owns_grad || n->grad_cap >= need)) {
        memset(n->grad, 0, sizeof(float) * (size_t)n->size);
        return PN_OK;
    }
    if (n->owns_grad) free(n->grad);
    n->grad = calloc(need, sizeof(float));
    if (!n->grad) {
        n->grad_cap = 0;
        return pn_error(PN_ENOMEM, "out of memory allocating a gradient of %zu floats", need);
    }
    n->grad_cap = need;
    n->owns_grad = 1;
    return PN_OK;
}

void *pn_node_scratch(pn_node *n, size_t bytes)
{
    if (bytes == 0) bytes = 1;
    if (n->saved && n->saved_bytes >= bytes) return n->saved;
    free(n->saved);
    n->saved = aligned_alloc(64, ((bytes + 63) / 64) * 64);
    n->saved_bytes = n->saved ? bytes : 0;
    if (!n->saved) pn_error(PN_ENOMEM, "out of memory allocating %zu bytes of scratch", bytes);
    return n->saved;
}

pn_node *pn_leaf_external(float *data, int ndim, const int64_t *shape,
                          void (*release)(void *), void *ctx)
{
    pn_node *n = pn_node_new();
    if (!n) {
        pn_error(PN_ENOMEM, "out of memory");
        return NULL;
    }
    if (pn_node_set_shape(n, ndim, shape)) {
        free(n);
        return NULL;
    }
    n->data = data;
    n->release = release;
    n->release_ctx = ctx;
    return n;
}

pn_node *pn_leaf_new(int ndim, const int64_t *shape)
{
    pn_node *n = pn_node_new();
    if (!n) {
        pn_error(PN_ENOMEM, "out of memory");
        return NULL;
    }
    if (pn_node_set_shape(n, ndim, shape) || pn_node_alloc_data(n)) {
        pn_node_decref(n);
        return NULL;
    }
    memset(n->data, 0, sizeof(float) * (size_t)n->size);
    return n;
}
