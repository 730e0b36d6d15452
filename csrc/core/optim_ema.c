/* optim_ema.c - Keras' `use_ema` for every optimizer: the exponential moving average
 * of the weights the optimizer keeps (keras/src/optimizers/base_optimizer.py,
 * _update_model_variables_moving_average and _overwrite_model_variables_with_average_value).
 *
 * Keras runs it at the end of every apply(), also on the calls that only accumulate a
 * gradient, with the counter read before its increment:
 *   m   = ema_momentum if iterations != 0 else 0   (iterations = updates applied)
 *   ema = m * ema + (1 - m) * w
 *   if ema_overwrite_frequency and (iterations + 1) % ema_overwrite_frequency == 0: w = ema
 * so the first step copies the weights (the average starts at zero but is never used
 * as zero). Float32 elementwise, as Keras; split over the pool like the updates. */
#include <math.h>
#include <string.h>

#include "optim.h"
#include "optim/kernel.h"
#include "pn.h"

typedef struct {
    float *ema;
    float *w;
    float m, one_minus_m;
    int overwrite;
} ema_job;

static void ema_range(void *ctx, int64_t b, int64_t e)
{
    const ema_job *j = ctx;
    float *restrict ema = j->ema;
    float *restrict w = j->w;
    const float m = j->m, c = j->one_minus_m;
    for (int64_t i = b; i < e; i++) ema[i] = m * ema[i] + c * w[i];
    if (j->overwrite) memcpy(w + b, ema + b, (size_t)(e - b) * sizeof(float));
}

void pn_optim_ema_update(pn_optim *o, float *w_arena, float *const *wl)
{
    if (!o->use_ema || !o->ema) return;
    const int64_t updates = pn_optim_updates(o);
    /* Keras forms 1 - m in float32 from the float32 momentum */
    const float m = updates != 0 ? (float)o->ema_momentum : 0.0f;
    ema_job j = {NULL, NULL, m, 1.0f - m, o->ema_overwrite > 0 && (updates + 1) % o->ema_overwrite == 0};
    for (int s = 0; s < o->n_seg; s++) {
        int64_t off = o->seg[s], len = o->seg[s + 1] - off;
        float *w = wl ? wl[s] : w_arena + off;
        if (len == 0 || !w) continue;
        j.ema = o->ema + off;
        j.w = w;
        pn_parallel_for(len, PN_OPTIM_GRAIN, ema_range, &j);
    }
}

int pn_optim_ema_validate(const pn_optim *o)
{
    if (!(o->ema_momentum >= 0.0 && o->ema_momentum <= 1.0))
        return pn_error(PN_EVALUE, "`ema_momentum` must be in the range [0, 1]. Received: "
                        "ema_momentum=%g", o->ema_momentum);
    if (o->ema_overwrite < 0)
        return pn_error(PN_EVALUE, "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                        "Received: ema_overwrite_frequency=%lld", (long long)o->ema_overwrite);
    return PN_OK;
}
