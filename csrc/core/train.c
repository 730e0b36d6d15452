/* train.c - the compiled epoch loop (train.h). For each batch its strategy
 * runs; the plain one gathers rows into the placeholders, replays forward,
 * (backward, gradient hook, optimizer step), sums the loss and the metric
 * statistics and copies the outputs. No allocation once the buffers are
 * planned for the batch size, no host-language code between batches (unless
 * the host installs a gradient hook). */
#include <math.h>
#include <string.h>

#include "program.h"
#include "train.h"

int64_t pn_loop_batch_rows(const pn_loop *L, int64_t k, int64_t *start)
{
    *start = k * L->batch_size;
    return L->n_samples - *start < L->batch_size ? L->n_samples - *start : L->batch_size;
}

void pn_loop_gather(pn_loop *L, const int64_t *rows, int64_t start, int64_t b)
{
    for (int s = 0; s < L->n_data; s++) {
        pn_node *slot = L->slots[s];
        int64_t per = b ? slot->size / b : 0;
        for (int64_t r = 0; r < b; r++) {
            int64_t src = rows ? rows[r] : L->perm ? L->perm[start + r] : start + r;
            memcpy(slot->data + r * per, L->data[s] + src * per, sizeof(float) * (size_t)per);
        }
    }
}

int pn_loop_add_loss(pn_loop *L, int64_t b, int64_t sample)
{
    if (L->loss->size < 1) return pn_error(PN_EVALUE, "the loss has no value (shape with a 0)");
    double loss = L->loss->data[0];
    if (L->stop_on_nan && !isfinite(loss))
        return pn_error(PN_EVALUE, "the loss became %g at sample %lld", loss, (long long)sample);
    L->loss_sum += loss * (double)b;
    L->loss_count += (double)b;
    return PN_OK;
}

int pn_loop_add_stats(pn_loop *L, int64_t b)
{
    /* Sizes are re-checked against the host's arrays for every batch: they were
     * validated for one plan, and a statistic whose size does not follow the
     * batch would otherwise be written past their end. */
    int64_t used = 0;
    for (int k = 0; k < L->n_stats; k++) used += L->stats[k]->size;
    if (used > L->n_acc)
        return pn_error(PN_EVALUE, "the metric statistics hold %lld values at batch size %lld, "
                        "the accumulator %lld", (long long)used, (long long)b, (long long)L->n_acc);
    double *acc = L->acc;
    for (int k = 0; k < L->n_stats; k++) {
        pn_node *s = L->stats[k];
        for (int64_t j = 0; j < s->size; j++) acc[j] += s->data[j];
        acc += s->size;
    }
    return PN_OK;
}

int pn_loop_hook(pn_loop *L, float *grads, int64_t rows)
{
    return L->hook ? L->hook(L->hook_ctx, grads, L->n_params, rows) : PN_OK;
}

/* ------------------------------------------------------------------ the plain step */

static int copy_outputs(pn_loop *L, int64_t start, int64_t b)
{
    for (int k = 0; k < L->n_out; k++) {
        pn_node *o = L->outs[k];
        if (o->ndim < 1 || o->shape[0] != b || o->size != b * L->out_per[k])
            return pn_error(PN_EVALUE, "output %d does not have one row of %lld values per sample "
                            "at batch size %lld", k, (long long)L->out_per[k], (long long)b);
        if (o->size)
            memcpy(L->out_data[k] + L->out_per[k] * start, o->data, sizeof(float) * (size_t)o->size);
    }
    return PN_OK;
}

static int plain_batch(pn_loop *L, void *state, int64_t k)
{
    (void)state;
    int64_t start, b = pn_loop_batch_rows(L, k, &start);
    int rc = pn_program_set_batch(L->prog, b);
    if (rc) return rc;
    pn_loop_gather(L, NULL, start, b);
    rc = pn_program_forward(L->prog);
    if (rc) return rc;
    if (L->loss) {
        rc = pn_loop_add_loss(L, b, start);
        if (rc) return rc;
    }
    if (L->train) {
        rc = pn_program_backward(L->prog, L->loss);
        if (!rc) rc = pn_loop_hook(L, L->grads, b);
        if (!rc && L->step) rc = L->step(L->opt, L->grads);
        if (rc) return rc;
    }
    rc = pn_loop_add_stats(L, b);
    if (rc) return rc;
    return copy_outputs(L, start, b);
}

const pn_loop_strategy pn_loop_plain = {"plain", NULL, plain_batch};

/* ------------------------------------------------------------------ the loop */

int pn_loop_build(pn_loop *L, const pn_loop_strategy *s, void *state)
{
    L->strategy = s ? s : &pn_loop_plain;
    L->strategy_state = state;
    if (L->train && !L->loss) return pn_error(PN_EVALUE, "training needs a loss");
    return PN_OK;
}

int pn_loop_begin(pn_loop *L)
{
    if (!L->strategy) return pn_error(PN_EINTERNAL, "the loop was not built (pn_loop_build)");
    if (L->batch_size < 1) return pn_error(PN_EVALUE, "batch_size must be positive");
    L->loss_sum = L->loss_count = 0.0;
    return L->strategy->check ? L->strategy->check(L, L->strategy_state) : PN_OK;
}

int pn_loop_run(pn_loop *L, int64_t first, int64_t count, int64_t *done)
{
    *done = 0;
    if (!L->strategy) return pn_error(PN_EINTERNAL, "the loop was not built (pn_loop_build)");
    int64_t n_batches = (L->n_samples + L->batch_size - 1) / L->batch_size;
    for (int64_t k = first; k < first + count && k < n_batches; k++) {
        int rc = L->strategy->batch(L, L->strategy_state, k);
        if (rc) return rc;
        (*done)++;
    }
    return PN_OK;
}
