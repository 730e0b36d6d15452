/* optim/lion.c - Lion, evolved sign momentum (Chen et al., 2023;
 * keras/src/optimizers/lion.py).
 *
 *   w -= lr * sign(b1 m + (1 - b1) g);  m = b2 m + (1 - b2) g
 */
#include "kernel.h"

enum { BETA_1, BETA_2 };
static const pn_hyper_spec hyper[] = {
    {"beta_1", PN_HP_FLOAT, 0.9},
    {"beta_2", PN_HP_FLOAT, 0.99},
};

/* c0 = beta_1, c1 = 1 - beta_1, c2 = beta_2, c3 = 1 - beta_2 */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict m = j->st[0];
    const float *restrict g = j->g;
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, scale = j->scale;
    const float b1 = k->c[0], omb1 = k->c[1], b2 = k->c[2], omb2 = k->c[3];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i], mi = m[i];
        wi -= wi * wdlr;
        float c = mi * b1 + gi * omb1;
        /* sign as Keras' ops.sign: 0 stays 0 and NaN stays NaN */
        float sg = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : c);
        w[i] = wi - lr * sg;
        m[i] = mi * b2 + gi * omb2;
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
    k->c[0] = (float)o->hyper[BETA_1];
    k->c[1] = (float)(1.0 - o->hyper[BETA_1]);
    k->c[2] = (float)o->hyper[BETA_2];
    k->c[3] = (float)(1.0 - o->hyper[BETA_2]);
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    const double b1 = o->hyper[BETA_1];
    /* Keras: beta_1 = 0 degenerates to SignSGD */
    if (!isfinite(b1) || b1 <= 0.0 || b1 > 1.0)
        return pn_error(PN_EVALUE, "Lion: argument `beta_1` must be in the (0, 1] range. Otherwise, the "
                        "optimizer degenerates to SignSGD. Received: beta_1=%g", b1);
    return pn_optim_check_range("beta_2", o->hyper[BETA_2], 0.0, 1.0, 0);
}

static int n_state(const pn_optim *o) { (void)o; return 1; }
static const char *state_name(const pn_optim *o, int i) { (void)o, (void)i; return "momentum"; }

const pn_optim_def pn_optim_lion = {
    .name = "lion", .default_lr = 0.001, .n_hyper = 2, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
