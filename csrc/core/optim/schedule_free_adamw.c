/* optim/schedule_free_adamw.c - Schedule-Free AdamW (Defazio et al., 2024,
 * arXiv:2405.15682; keras/src/optimizers/schedule_free_adamw.py, whose float32
 * operation order this follows).
 *
 * The weights hold y, an interpolation between the sequence z (state "momentum",
 * where the gradient steps land) and its running average x:
 *   lr' = lr min(t / warmup_steps, 1)      (warmup_steps = 0: lr)
 *   v  += (g^2 - v)(1 - b2);  z -= lr' g / (sqrt(v / (1 - b2^t)) + eps)
 *   x_old = (y - (1 - b1) z_old) / b1;  x = (1 - 1/t) x_old + z / t
 *   y = (1 - b1) z + b1 x
 * Keras starts z at the weights (its build copies them): the first update (t = 1)
 * reads z from the weights as they were before the decoupled weight decay.
 */
#include "kernel.h"

enum { BETA_1, BETA_2, EPSILON, WARMUP_STEPS };
static const pn_hyper_spec hyper[] = {
    {"beta_1", PN_HP_FLOAT, 0.9},
    {"beta_2", PN_HP_FLOAT, 0.999},
    {"epsilon", PN_HP_FLOAT, 1e-8},
    {"warmup_steps", PN_HP_FLOAT, 0.0},
};

/* c0 = lr', c1 = beta_1, c2 = 1 - beta_1, c3 = 1 - beta_2, c4 = 1 - beta_2^t,
 * c5 = epsilon, c6 = 1/t, c7 = 1 - 1/t; d0 = 1 on the first update */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict z = j->st[0], *restrict v = j->st[1];
    const float *restrict g = j->g;
    const float wdlr = k->wdlr, cv = k->cv, scale = j->scale;
    const float lr = k->c[0], b1 = k->c[1], omb1 = k->c[2], omb2 = k->c[3], bc2 = k->c[4];
    const float eps = k->c[5], wt = k->c[6], omwt = k->c[7];
    const int first = k->d[0] != 0.0;
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), yi = w[i];
        float zold = first ? yi : z[i];
        yi -= yi * wdlr;
        float vi = v[i] + (gi * gi - v[i]) * omb2;
        float zi = zold - lr * gi / (sqrtf(vi / bc2) + eps);
        float xold = (yi - omb1 * zold) / b1;
        float xi = omwt * xold + wt * zi;
        w[i] = omb1 * zi + b1 * xi;
        z[i] = zi;
        v[i] = vi;
    }
}

static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *w, const float *g,
                   float *const *st, int64_t n, float scale)
{
    (void)s;
    pn_optim_run(range, o, k, w, g, st, n, scale);
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    /* Keras computes these scalars as float32 tensors */
    const float t = (float)k->t, b1 = (float)o->hyper[BETA_1], b2 = (float)o->hyper[BETA_2];
    float lr = k->lr_f;
    if (o->hyper[WARMUP_STEPS] > 0) {
        float f = t / (float)o->hyper[WARMUP_STEPS];
        lr = lr * (f < 1.0f ? f : 1.0f);
    }
    k->c[0] = lr;
    k->c[1] = b1;
    k->c[2] = 1.0f - b1;
    k->c[3] = 1.0f - b2;
    k->c[4] = 1.0f - powf(b2, t);
    k->c[5] = (float)o->hyper[EPSILON];
    k->c[6] = 1.0f / t;
    k->c[7] = 1.0f - k->c[6];
    k->d[0] = k->t == 1.0;
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    /* beta_1 = 0 divides by 0 when x is recovered from y; beta_2 = 1 leaves 1 - b2^t = 0 */
    if (!isfinite(o->hyper[BETA_1]) || o->hyper[BETA_1] <= 0.0 || o->hyper[BETA_1] > 1.0)
        return pn_error(PN_EVALUE, "optimizer: `beta_1` must be in (0, 1] (the averaged weights "
                        "are recovered by dividing by it), got %g", o->hyper[BETA_1]);
    if ((rc = pn_optim_check_range("beta_2", o->hyper[BETA_2], 0.0, 1.0, 1))) return rc;
    if ((rc = pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]))) return rc;
    const double ws = o->hyper[WARMUP_STEPS];
    if (!isfinite(ws) || ws < 0.0 || ws != floor(ws))
        return pn_error(PN_EVALUE, "optimizer: `warmup_steps` must be a whole number >= 0, got %g", ws);
    return PN_OK;
}

static int n_state(const pn_optim *o) { (void)o; return 2; }

static const char *state_name(const pn_optim *o, int i)
{
    (void)o;
    return i == 0 ? "momentum" : "velocity";
}

const pn_optim_def pn_optim_schedule_free_adamw = {
    .name = "schedule_free_adamw", .default_lr = 0.0025, .n_hyper = 4, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
