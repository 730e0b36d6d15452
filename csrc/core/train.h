/* train.h - the compiled epoch loop: batches gathered, replayed, stepped in C. */
#ifndef PN_TRAIN_H
#define PN_TRAIN_H
#include "pn.h"

typedef int (*pn_step_fn)(void *opt, float *params, const float *grads);
/* The gradient hook: called on every training batch between backward and the
 * optimizer step with the gradient the step will apply (n floats, laid out as
 * the trainable arena; writable: what it leaves there is applied) and the
 * number of rows of the batch. A nonzero return stops the loop with that status. */
typedef int (*pn_grad_hook_fn)(void *ctx, float *grads, int64_t n, int64_t batch_rows);

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
    float *params;              /* trainable arena */
    float *grads;               /* its gradient arena */
    int64_t n_params;           /* floats in both */
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
    struct pn_dp *dp;           /* DP-SGD (dp.h): each batch is a DP step; NULL: plain */
} pn_loop;

/* Runs batches [first, first + count) of the epoch; returns a status. *done
 * receives the number of batches completed. */
int pn_loop_run(pn_loop *L, int64_t first, int64_t count, int64_t *done);
/* Calls the gradient hook, if any, on grads (n_params floats) for a batch of rows. */
int pn_loop_hook(pn_loop *L, float *grads, int64_t rows);
#endif
