/* dp_plan.c - chooses the DP-SGD path of a program (see dp.h): ghost clipping
 * when the graph provably keeps the examples of a batch apart and every
 * trainable weight is the kernel or the bias of an affine op, else the
 * per-example replay. Decided from the ops' traits (pn.h), never their names.
 *
 * The graph is inspected at batch size 2, node by node in topological order,
 * and every node the loss depends on gets a kind:
 *   CONST    depends on no data (weights, constants);
 *   BATCHED  first axis is the batch and row r depends on example r only;
 *   REDUCED  a mean over the batch: a loss op reduced "sum_over_batch_size",
 *            sums of those (LINEAR and BROADCAST: add, sub), and linear
 *            functions of one of them (LINEAR, or binary.h says so: a loss
 *            weight's mul).
 * A node that could mix rows (not PN_TRAIT_ROWWISE: a reduction over the
 * batch, a transpose, an op that claims nothing) rules ghost clipping out, so
 * a missing trait costs speed, never correctness. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "ops/binary.h"
#include "ops/dense.h"
#include "ops/nn.h"
#include "program.h"

enum { K_CONST, K_BATCHED, K_REDUCED };

static int index_of(const pn_program *p, const pn_node *x)
{
    for (int i = 0; i < p->n; i++)
        if (p->order[i] == x) return i;
    return -1;
}

/* Offset of weight x's gradient in the gradient arena (where the model bound
 * it), or -1 when it lies elsewhere (compared as addresses: the pointers may
 * belong to unrelated buffers). */
static int64_t arena_offset(const float *grads, int64_t n, const pn_node *x)
{
    uintptr_t a = (uintptr_t)grads, v = (uintptr_t)x->grad;
    if (!x->grad) return -1;
    if (v < a || (v - a) % sizeof(float)) return -1;
    int64_t off = (int64_t)((v - a) / sizeof(float));
    return off + x->size <= n ? off : -1;
}

static int is_input(const pn_program *p, const pn_node *x)
{
    for (int i = 0; i < p->n_in; i++)
        if (p->inputs[i] == x) return 1;
    return 0;
}

typedef struct {
    const pn_program *p;
    int *kind;       /* per node of p->order */
    char *why;       /* d->why */
} walk;

static int kind_of(const walk *w, const pn_node *x) { return w->kind[index_of(w->p, x)]; }

/* batched tensor at the planning batch size 2 */
static int rows2(const pn_node *x) { return x->ndim >= 1 && x->shape[0] == 2; }

static int refuse(const walk *w, const pn_node *x, const char *what)
{
    snprintf(w->why, 256, "op '%s' %s", x->op ? x->op->name : "leaf", what);
    return 0;
}

/* Is batched node x (traits t) row-wise? (its inputs' kinds are known, none REDUCED) */
static int rowwise(const walk *w, const pn_node *x, uint32_t t)
{
    if (!rows2(x)) return refuse(w, x, "moves the batch axis");
    if (t & PN_TRAIT_BROADCAST) { /* elementwise: every batched operand keeps the batch axis */
        for (int k = 0; k < x->n_in; k++) {
            const pn_node *a = x->in[k];
            int ok = kind_of(w, a) == K_BATCHED ? a->ndim == x->ndim && rows2(a)
                                                 : a->ndim < x->ndim || a->shape[0] == 1;
            if (!ok) return refuse(w, x, "broadcasts over the batch axis");
        }
        return 1;
    }
    if (!(t & PN_TRAIT_ROWWISE))
        return refuse(w, x, "is not row-wise over the batch (ghost clipping does not cover it)");
    for (int k = 0; k < x->n_in; k++) {
        const pn_node *a = x->in[k];
        if (kind_of(w, a) != K_BATCHED) continue; /* constants broadcast */
        if (k > 0 && (t & PN_TRAIT_HAS_PARAMS)) return refuse(w, x, "takes a batched weight");
        if (!rows2(a)) return refuse(w, x, "takes an input without the batch axis first");
    }
    return 1;
}

/* Kind of an op node from its inputs' kinds; 0 with a reason when it rules
 * ghost clipping out. */
static int classify(const walk *w, const pn_node *x, int *out)
{
    uint32_t t = pn_node_traits(x);
    int nb = 0, nr = 0;
    for (int k = 0; k < x->n_in; k++) {
        int kk = kind_of(w, x->in[k]);
        nb += kk == K_BATCHED;
        nr += kk == K_REDUCED;
    }
    if (!nb && !nr) {
        *out = K_CONST;
        return 1;
    }
    if (nr) { /* sums of means over the batch, and linear functions of one */
        *out = K_REDUCED;
        int k = 0;
        while (kind_of(w, x->in[k]) != K_REDUCED) k++;
        if (!nb && (t & PN_TRAIT_LINEAR) && (nr == 1 || (t & PN_TRAIT_BROADCAST))) return 1;
        if (!nb && nr == 1 && pn_binary_linear_in(x, k)) return 1; /* a weighted loss: mean * c */
        return refuse(w, x, "combines the batch loss non-linearly");
    }
    if (t & PN_TRAIT_LOSS) {
        *out = K_REDUCED;
        for (int k = 0; k < x->n_in; k++)
            if (kind_of(w, x->in[k]) != K_BATCHED || !rows2(x->in[k]))
                return refuse(w, x, "takes an input that is not one row per example");
        if (strcmp(pn_attr_s(x, "reduction"), "sum_over_batch_size") != 0)
            return refuse(w, x, "is not reduced as a mean over the batch");
        return 1;
    }
    *out = K_BATCHED;
    return rowwise(w, x, t);
}

/* The ghost entry of trainable weight P, or 0 with a reason. */
static int weight_entry(const walk *w, const pn_node *P, pn_dp_ghost *e)
{
    const pn_program *p = w->p;
    const pn_node *use = NULL;
    int uses = 0;
    for (int i = 0; i < p->n; i++) {
        const pn_node *x = p->order[i];
        if (!x->op || w->kind[i] < 0) continue;
        for (int k = 0; k < x->n_in; k++)
            if (x->in[k] == P) {
                uses++;
                use = x;
            }
    }
    if (uses != 1) {
        char shape[128];
        snprintf(w->why, 256, "a weight of shape %s is used by %d ops (a regularizer, or shared)",
                 pn_shape_str(shape, P->ndim, P->shape), uses);
        return 0;
    }
    uint32_t t = pn_node_traits(use);
    const pn_node *other = use->n_in == 2 ? use->in[use->in[0] == P] : NULL;
    if ((t & PN_TRAIT_AFFINE) && use->in[0] != P && use->in[0]->ndim == 2 &&
        kind_of(w, use->in[0]) == K_BATCHED) { /* x @ kernel (+ bias), one row per example */
        e->kind = use->in[1] == P ? PN_GHOST_MATMUL : PN_GHOST_BIAS;
    } else if (other && pn_binary_adds(use, use->in[1] == P) && kind_of(w, other) == K_BATCHED &&
               P->ndim == use->ndim - 1 &&
               memcmp(P->shape, use->shape + 1, sizeof(int64_t) * (size_t)P->ndim) == 0) {
        e->kind = PN_GHOST_BIAS; /* a bias added to every row */
    } else {
        refuse(w, use, "takes a weight in a way ghost clipping does not cover (kernels and biases of affine ops)");
        return 0;
    }
    e->node = (pn_node *)use;
    return 1;
}

/* Fills d->ghost: 1, or 0 with the reason in d->why when ghost clipping is
 * ruled out, or -1 when out of memory. */
static int ghost_plan(pn_dp *d, pn_program *p, pn_node *loss, const float *grads)
{
    int rc = pn_program_set_batch(p, 2);
    if (rc) {
        p->batch = -1; /* half-inferred shapes: the next set_batch redoes them all */
        snprintf(d->why, sizeof d->why, "the graph does not take a batch of 2: %s", pn_last_error());
        return 0;
    }
    walk w = {p, malloc(sizeof(int) * (size_t)p->n), d->why};
    if (!w.kind) return -1;
    int ok = 1, n_weights = 0;
    /* ancestors of the loss get a kind, the rest -1 */
    for (int i = 0; i < p->n; i++) w.kind[i] = p->order[i] == loss ? 0 : -1;
    for (int i = p->n - 1; i >= 0; i--)
        if (w.kind[i] == 0)
            for (int k = 0; k < p->order[i]->n_in; k++) w.kind[index_of(p, p->order[i]->in[k])] = 0;
    for (int i = 0; i < p->n && ok; i++) {
        pn_node *x = p->order[i];
        if (w.kind[i] < 0) continue;
        if (!x->op) {
            w.kind[i] = is_input(p, x) ? K_BATCHED : K_CONST;
            if (!x->requires_grad) continue;
            if (arena_offset(grads, d->n_params, x) < 0) {
                snprintf(d->why, sizeof d->why, "a trainable tensor lies outside the model's weights");
                ok = 0;
            }
            n_weights++;
            continue;
        }
        ok = classify(&w, x, &w.kind[i]);
    }
    if (ok && (w.kind[index_of(p, loss)] != K_REDUCED || loss->size != 1)) {
        snprintf(d->why, sizeof d->why, "the loss is not a mean over the batch of built-in losses");
        ok = 0;
    }
    if (ok) {
        d->ghost = calloc((size_t)(n_weights ? n_weights : 1), sizeof *d->ghost);
        if (!d->ghost) {
            free(w.kind);
            return -1;
        }
    }
    for (int i = 0; i < p->n && ok; i++) {
        pn_node *x = p->order[i];
        if (w.kind[i] < 0 || x->op || !x->requires_grad) continue;
        pn_dp_ghost *e = &d->ghost[d->n_ghost];
        ok = weight_entry(&w, x, e);
        e->param = x;
        e->offset = arena_offset(grads, d->n_params, x);
        e->scale_rows = 1; /* a dense kernel and its bias share their rows */
        for (int j = 0; j < d->n_ghost; j++) e->scale_rows &= d->ghost[j].node != e->node;
        d->n_ghost++;
    }
    free(w.kind);
    return ok;
}

/* One ghost pass on zeros at the chunk size, so that every buffer a step
 * needs (activations, gradients, op and GEMM scratch) exists before the first
 * one. Dropout in its per-example mode leaves pynn's generator untouched. */
static int warm_up(pn_dp *d, pn_program *p, pn_node *loss)
{
    int rc = pn_program_set_batch(p, d->chunk);
    if (rc) {
        p->batch = -1;
        return rc;
    }
    for (int i = 0; i < p->n_in; i++)
        memset(p->inputs[i]->data, 0, sizeof(float) * (size_t)p->inputs[i]->size);
    double *rec = d->rec;
    d->rec = NULL;
    pn_dp_dropout_rows(d, 1, 0, 0);
    rc = pn_program_forward(p);
    if (!rc) rc = pn_dp_ghost_backward(d, loss);
    if (!rc) rc = pn_dp_ghost_clip(d, d->chunk);
    pn_dp_dropout_rows(d, 0, 0, 0);
    d->rec = rec;
    return rc;
}

/* A stochastic node that takes per-example streams (left off here): dropout.
 * The others (dropout_mask) are refused by pn_dropout_streams and draw as
 * usual, a fresh mask per pass, which keeps every example's gradient its own. */
static int per_example_streams(pn_node *x)
{
    return (pn_node_traits(x) & PN_TRAIT_STOCHASTIC) && pn_dropout_streams(x, 0, 0, 0) == PN_OK;
}

static void free_ghost(pn_dp *d)
{
    free(d->ghost);
    free(d->sq);
    free(d->scale);
    d->ghost = NULL;
    d->sq = NULL;
    d->scale = NULL;
    d->n_ghost = 0;
}

int pn_dp_plan(pn_dp *d, pn_program *p, pn_node *loss, const float *grads, int allow_ghost,
               int64_t chunk)
{
    if (chunk < 1) return pn_error(PN_EVALUE, "DP-SGD plan: chunk must be >= 1, got %lld", (long long)chunk);
    pn_dp_plan_free(d);
    if (index_of(p, loss) < 0) return pn_error(PN_EVALUE, "DP-SGD plan: the loss is not in the program");
    d->prog = p;
    d->arena = grads;
    for (int i = 0; i < p->n; i++) d->n_dropout += per_example_streams(p->order[i]);
    d->dropout = malloc(sizeof *d->dropout * (size_t)(d->n_dropout ? d->n_dropout : 1));
    if (!d->dropout) goto nomem;
    d->n_dropout = 0;
    for (int i = 0; i < p->n; i++)
        if (per_example_streams(p->order[i])) d->dropout[d->n_dropout++] = p->order[i];

    snprintf(d->why, sizeof d->why, "ghost clipping was not allowed");
    int ghost = allow_ghost ? ghost_plan(d, p, loss, grads) : 0;
    if (ghost < 0) goto nomem;
    if (ghost) {
        d->chunk = chunk;
        d->sq = malloc(sizeof *d->sq * (size_t)chunk);
        d->scale = malloc(sizeof *d->scale * (size_t)chunk);
        if (!d->sq || !d->scale) goto nomem;
        int rc = warm_up(d, p, loss);
        if (rc == PN_ENOMEM) goto nomem;
        if (rc) {
            snprintf(d->why, sizeof d->why, "a trial batch failed: %s", pn_last_error());
            ghost = 0;
        }
    }
    if (ghost) {
        d->path = PN_DP_GHOST;
        d->why[0] = 0;
    } else {
        free_ghost(d); /* keep only what the replay needs */
    }
    return PN_OK;
nomem:
    pn_dp_plan_free(d);
    return pn_error(PN_ENOMEM, "DP-SGD plan: out of memory");
}

void pn_dp_plan_free(pn_dp *d)
{
    free_ghost(d);
    free(d->dropout);
    d->dropout = NULL;
    d->n_dropout = 0;
    d->chunk = 0;
    d->prog = NULL;
    d->arena = NULL;
    d->path = PN_DP_REPLAY;
}
