/* train.h - the compiled epoch loop: batches gathered, replayed, stepped in C.
 *
 * The loop is an object with two seams:
 *  - a per-batch strategy (pn_loop_strategy), chosen once when the loop is
 *    built: how batch k becomes loss, statistics, outputs and an optimizer
 *    step. The plain step lives here (train.c); others live with the
 *    feature they serve, built from the helpers below, unknown to this file.
 *  - a gradient hook between backward and the optimizer step, the place where
 *    a data-parallel allreduce goes. */
#ifndef PN_TRAIN_H
#define PN_TRAIN_H
#include "pn.h"

/* The optimizer step: applies the gradient arena (n_params floats, one segment
 * per trainable weight) to the weights, which the optimizer reaches through its
 * own weight table (optim.h: they live where each Variable was born). */
typedef int (*pn_step_fn)(void *opt, const float *grads);
/* The gradient hook: called on every training batch between backward and the
 * optimizer step with the gradient the step will apply (n floats, laid out as
 * the trainable arena; writable: what it leaves there is applied) and the
 * number of rows of the batch. A nonzero return stops the loop with that status. */
typedef int (*pn_grad_hook_fn)(void *ctx, float *grads, int64_t n, int64_t batch_rows);

struct pn_loop;

/* A per-batch strategy. check (may be NULL) runs at pn_loop_begin, once the
 * run's data are set, and refuses a loop it cannot drive; batch runs batch k
 * of the epoch. `state` is the strategy's own, given to pn_loop_build. */
typedef struct pn_loop_strategy {
    const char *name;
    int (*check)(const struct pn_loop *L, void *state);
    int (*batch)(struct pn_loop *L, void *state, int64_t k);
} pn_loop_strategy;

/* The plain step: forward, backward, hook, optimizer step on the batch. */
extern const pn_loop_strategy pn_loop_plain;

typedef struct pn_loop {
    pn_program *prog;
    pn_node *loss;              /* scalar loss node, NULL for predict */
    int n_data;                 /* dataset arrays gathered per batch into the slots */
    pn_node **slots;            /* placeholder leaves (first axis: batch) */
    const float **data;         /* n_samples rows each */
    const int64_t *perm;        /* sample order, NULL for 0..n-1 */
    int64_t n_samples, batch_size;
    int train;                  /* 1: backward and optimizer step */
    pn_step_fn step;
    void *opt;
    float *grads;               /* the gradient arena of the trainable weights */
    int64_t n_params;           /* floats in it */
    pn_grad_hook_fn hook;       /* NULL: none (no call at all) */
    void *hook_ctx;
    int n_stats;                /* metric statistics summed over the epoch */
    pn_node **stats;
    double *acc;                /* concatenated accumulators */
    int64_t n_acc;              /* their number (the stats must fit, checked per batch) */
    int n_out;                  /* predict: outputs copied row by row */
    pn_node **outs;
    float **out_data;           /* n_samples * out_per[k] floats each */
    const int64_t *out_per;     /* floats per sample of each output */
    double loss_sum, loss_count; /* Σ batch_loss·batch_size, Σ batch_size */
    int stop_on_nan;            /* stop (status PN_EVALUE) when the loss is not finite */
    const pn_loop_strategy *strategy; /* set by pn_loop_build */
    void *strategy_state;
} pn_loop;

/* The loop lives as long as a fit: pn_loop_build fixes what stays for all its
 * epochs (program, loss, slots, statistics, outputs, optimizer, arenas, hook,
 * strategy: NULL is pn_loop_plain); each run then sets its data (data, perm,
 * n_samples, batch_size, acc, out_data) and calls pn_loop_begin, which zeroes
 * the loss sums and lets the strategy check the loop as it now is. */
int pn_loop_build(pn_loop *L, const pn_loop_strategy *s, void *state);
int pn_loop_begin(pn_loop *L);
/* Runs batches [first, first + count) of the epoch; returns a status. *done
 * receives the number of batches completed. */
int pn_loop_run(pn_loop *L, int64_t first, int64_t count, int64_t *done);

/* ---- helpers for strategies (one batch's parts) */
/* Rows of batch k of the epoch; its first position in the epoch's order in *start. */
int64_t pn_loop_batch_rows(const pn_loop *L, int64_t k, int64_t *start);
/* Copies b data rows into the placeholders (planned for batch size b): the
 * given dataset rows, or (rows NULL) positions [start, start + b) of the
 * epoch's order. */
void pn_loop_gather(pn_loop *L, const int64_t *rows, int64_t start, int64_t b);
/* Adds the scalar loss of b rows to the epoch's sum (sample: the first row's
 * index, for the message when stop_on_nan refuses a non-finite loss). */
int pn_loop_add_loss(pn_loop *L, int64_t b, int64_t sample);
/* Adds the metric statistics of the batch just run to the accumulators. */
int pn_loop_add_stats(pn_loop *L, int64_t b);
/* Calls the gradient hook, if any, on grads (n_params floats) for a batch of rows. */
int pn_loop_hook(pn_loop *L, float *grads, int64_t rows);
#endif
