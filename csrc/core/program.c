/* program.c - the compiled driver: a graph sorted once, its buffers planned for
 * a batch size and replayed batch after batch without allocation. */
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "program.h"

/* Pairs (x, pooling of x) that may run as one pass (pn_op.forward_pooled):
 * x's output is then never written, which in a CNN is the largest
 * activation of all, written once and read once by the pooling (and in
 * training, its gradient zeroed, scattered into by the pooling's backward
 * and read by x's). Only where nothing else can see it: the pooling is x's
 * one consumer in the program and x is no output; when a gradient flows, x's
 * op must also have backward_pooled. */
static int plan_fusion(pn_program *p, pn_node **outputs, int n_out)
{
    size_t n = (size_t)(p->n ? p->n : 1);
    p->pooled_from = malloc(sizeof *p->pooled_from * n);
    p->skipped = calloc(n, sizeof *p->skipped);
    p->win = malloc(sizeof *p->win * n);
    p->fused_with = malloc(sizeof *p->fused_with * n);
    if (!p->pooled_from || !p->skipped || !p->win || !p->fused_with)
        return pn_error(PN_ENOMEM, "out of memory");
    for (int i = 0; i < p->n; i++) p->fused_with[i] = -1;
    for (int i = 0; i < p->n; i++) {
        pn_node *pool = p->order[i], *x = pool->op && pool->n_in ? pool->in[0] : NULL;
        p->pooled_from[i] = -1;
        if (!x || !x->op || !x->op->forward_pooled || !pool->op->pools_input) continue;
        if ((x->requires_grad || pool->requires_grad) && !x->op->backward_pooled) continue;
        if (!pool->op->pools_input(pool, p->win[i])) continue;
        int uses = 0, at = -1;
        for (int j = 0; j < p->n; j++) {
            if (p->order[j] == x) at = j;
            for (int k = 0; k < p->order[j]->n_in; k++) uses += p->order[j]->in[k] == x;
        }
        for (int j = 0; j < n_out; j++) uses += outputs[j] == x;
        if (uses != 1 || at < 0) continue;
        p->pooled_from[i] = at;
        p->skipped[at] = 1;
    }
    return PN_OK;
}

/* fork() while another thread replays a program (a predict in a second thread,
 * whose batch holds p->lock with the GIL released) copies the lock into the child
 * locked, by a thread that does not exist there: the child's first use of the
 * model blocked forever. The child's handler below gives every live program a
 * fresh lock. The parent cannot instead wait for the batches to end before
 * forking: the forking thread holds the GIL, which a lock holder may need (a
 * gradient hook, a result array built under the lock). What the child then sees
 * in such a program's buffers is whatever the batch had written: activations are
 * recomputed by the next replay, but weights caught mid-step by a fit stay as the
 * fork found them (forking in the middle of training is the caller's race). */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pn_program *live;
static pthread_once_t live_atfork_once = PTHREAD_ONCE_INIT;

static void live_prepare(void) { pthread_mutex_lock(&live_lock); }
static void live_parent(void) { pthread_mutex_unlock(&live_lock); }
static void live_child(void)
{
    pthread_mutex_init(&live_lock, NULL);
    for (pn_program *p = live; p; p = p->next_live) pthread_mutex_init(&p->lock, NULL);
}
static void live_register_atfork(void) { pthread_atfork(live_prepare, live_parent, live_child); }

static void live_add(pn_program *p)
{
    pthread_once(&live_atfork_once, live_register_atfork);
    pthread_mutex_lock(&live_lock);
    p->next_live = live;
    if (live) live->prev_live = p;
    live = p;
    pthread_mutex_unlock(&live_lock);
}

static void live_remove(pn_program *p)
{
    pthread_mutex_lock(&live_lock);
    if (p->prev_live) p->prev_live->next_live = p->next_live;
    else if (live == p) live = p->next_live;
    if (p->next_live) p->next_live->prev_live = p->prev_live;
    p->prev_live = p->next_live = NULL;
    pthread_mutex_unlock(&live_lock);
}

int pn_program_create(pn_node **outputs, int n_out, pn_node **inputs, int n_in,
                      pn_program **out)
{
    *out = NULL;
    /* The placeholders are resized to every batch and filled by memcpy: they
     * must be distinct leaves owning their buffers (not a host array, whose
     * memory cannot grow, nor a parameter or an op's output). */
    for (int i = 0; i < n_in; i++) {
        const pn_node *x = inputs[i];
        if (!x || x->op || x->is_param || !x->owns_data || x->ndim < 1)
            return pn_error(PN_EVALUE, "program input %d must be a placeholder (a leaf with a batch "
                            "axis that owns its buffer, see _C.placeholder)", i);
        for (int j = 0; j < i; j++)
            if (inputs[j] == x) return pn_error(PN_EVALUE, "program inputs %d and %d are the same", j, i);
    }
    for (int i = 0; i < n_out; i++)
        if (!outputs[i]) return pn_error(PN_EVALUE, "program output %d is missing", i);
    pn_program *p = calloc(1, sizeof *p);
    if (!p) return pn_error(PN_ENOMEM, "out of memory");
    if (pthread_mutex_init(&p->lock, NULL)) {
        free(p);
        return pn_error(PN_ENOMEM, "cannot create the program's lock");
    }
    int rc = pn_topo_sort(outputs, n_out, 0, &p->order, &p->n);
    if (rc) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return rc;
    }
    for (int i = 0; i < p->n; i++) pn_node_incref(p->order[i]);
    p->inputs = malloc(sizeof *p->inputs * (size_t)(n_in ? n_in : 1));
    if (!p->inputs) {
        pn_program_free(p);
        return pn_error(PN_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n_in; i++) {
        p->inputs[i] = inputs[i];
        pn_node_incref(inputs[i]);
    }
    p->n_in = n_in;
    rc = plan_fusion(p, outputs, n_out);
    if (rc) {
        pn_program_free(p);
        return rc;
    }
    live_add(p);
    *out = p;
    return PN_OK;
}

void pn_program_free(pn_program *p)
{
    if (!p) return;
    live_remove(p);
    for (int i = 0; i < p->n; i++) pn_node_decref(p->order[i]);
    for (int i = 0; i < p->n_in; i++) pn_node_decref(p->inputs[i]);
    free(p->order);
    free(p->inputs);
    free(p->pooled_from);
    free(p->skipped);
    free(p->win);
    free(p->fused_with);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void pn_program_lock(pn_program *p) { pthread_mutex_lock(&p->lock); }
int pn_program_trylock(pn_program *p) { return pthread_mutex_trylock(&p->lock); }
void pn_program_unlock(pn_program *p) { pthread_mutex_unlock(&p->lock); }

/* Whether x is one of the program's nodes that forward computes (outputs to
 * read must be: a node pooled away by plan_fusion holds nothing). */
int pn_program_has(const pn_program *p, const pn_node *x)
{
    for (int i = 0; i < p->n; i++)
        if (p->order[i] == x) return !p->skipped[i];
    return 0;
}

int pn_program_n_nodes(const pn_program *p) { return p->n; }

int pn_program_set_batch(pn_program *p, int64_t b)
{
    if (b < 0) return pn_error(PN_EVALUE, "batch size must be >= 0, got %lld", (long long)b);
    /* the cache holds only while the placeholders still have this batch (another
     * program over the same placeholders may have re-planned them) */
    int same = b == p->batch;
    for (int i = 0; same && i < p->n_in; i++) same = p->inputs[i]->shape[0] == b;
    if (same) return PN_OK;
    for (int i = 0; i < p->n_in; i++) {
        pn_node *x = p->inputs[i];
        if (x->ndim < 1) return pn_error(PN_EVALUE, "program input %d has no batch axis", i);
        int64_t shape[PN_MAX_DIMS];
        memcpy(shape, x->shape, sizeof shape);
        shape[0] = b;
        int rc = pn_node_set_shape(x, x->ndim, shape);
        if (!rc) rc = pn_node_alloc_data(x); /* placeholders own their (growing) buffers */
        if (rc) return rc;
    }
    for (int i = 0; i < p->n; i++) {
        pn_node *x = p->order[i];
        if (!x->op) continue;
        int rc = x->op->infer_shape(x);
        if (!rc) rc = pn_node_alloc_data(x);
        if (rc) return rc;
    }
    p->batch = b;
    return PN_OK;
}

int pn_program_forward(pn_program *p)
{
    for (int i = 0; i < p->n; i++) p->fused_with[i] = -1;
    for (int i = 0; i < p->n; i++) {
        pn_node *x = p->order[i];
        if (!x->op || !x->size || p->skipped[i]) continue; /* empty: nothing to compute (eager.c) */
        if (p->pooled_from[i] >= 0) { /* x pools the output of `from`, skipped above */
            int at = p->pooled_from[i];
            pn_node *from = p->order[at];
            int rc = from->size ? from->op->forward_pooled(from, p->win[i], x) : PN_UNFUSED;
            if (rc == PN_OK) {
                p->fused_with[i] = at, p->fused_with[at] = i;
                continue;
            }
            if (rc != PN_UNFUSED) return rc;
            if (from->size && (rc = from->op->forward(from))) return rc; /* one after the other */
        }
        int rc = x->op->forward(x);
        if (rc) return rc;
    }
    return PN_OK;
}

int pn_program_backward(pn_program *p, pn_node *loss)
{
    for (int i = 0; i < p->n; i++) {
        pn_node *x = p->order[i];
        if (!x->requires_grad || (p->skipped[i] && p->fused_with[i] >= 0)) continue;
        int rc = pn_node_zero_grad(x);
        if (rc) return rc;
    }
    if (!loss->grad) return pn_error(PN_EVALUE, "the loss does not depend on any trainable weight");
    for (int64_t i = 0; i < loss->size; i++) loss->grad[i] = 1.0f;
    for (int i = p->n - 1; i >= 0; i--) {
        pn_node *x = p->order[i];
        if (!x->op || !x->requires_grad || !x->size) continue;
        int rc, with = p->fused_with[i];
        if (with < 0) rc = x->op->backward(x);
        else if (p->skipped[i]) /* in x's own place: its inputs' gradients in the unfused order */
            rc = x->op->backward_pooled(x, p->win[with], p->order[with]);
        else continue; /* the pooling: done by its producer's backward_pooled */
        if (rc) return rc;
    }
    return PN_OK;
}
