/* optim/adamax.c - Adamax, the infinity-norm Adam (keras/src/optimizers/adamax.py).
 *
 *   m += (g - m)(1 - b1);  u = max(b2 u, |g|);  w -= lr m / ((1 - b1^t)(u + eps))
 */
#include "kernel.h"

enum { BETA_1, BETA_2, EPSILON };
static const pn_hyper_spec hyper[] = {
    {"beta_1", PN_HP_FLOAT, 0.9},
    {"beta_2", PN_HP_FLOAT, 0.999},
    {"epsilon", PN_HP_FLOAT, 1e-7},
};

/* c0 = 1 - beta_1, c1 = beta_2, c2 = lr / (1 - b1^t), c3 = epsilon */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict m = j->st[0], *restrict u = j->st[1];
    const float *restrict g = j->g;
    const float wdlr = k->wdlr, cv = k->cv, eps = k->c[3], scale = j->scale;
    const float omb1 = k->c[0], b2 = k->c[1], a = k->c[2];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float mi = m[i] + (gi - m[i]) * omb1;
        float ui = b2 * u[i], ag = fabsf(gi);
        ui = ui > ag ? ui : ag;
        m[i] = mi;
        u[i] = ui;
        w[i] = wi - a * mi / (ui + eps);
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
    k->c[0] = (float)(1.0 - o->hyper[BETA_1]);
    k->c[1] = (float)o->hyper[BETA_2];
    k->c[2] = (float)(k->lr / (1.0 - pow(o->hyper[BETA_1], k->t)));
    k->c[3] = (float)o->hyper[EPSILON];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    if ((rc = pn_optim_check_range("beta_1", o->hyper[BETA_1], 0.0, 1.0, 1))) return rc;
    if ((rc = pn_optim_check_range("beta_2", o->hyper[BETA_2], 0.0, 1.0, 1))) return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o) { (void)o; return 2; }
static const char *state_name(const pn_optim *o, int i) { (void)o; return i == 0 ? "momentum" : "norm"; }

const pn_optim_def pn_optim_adamax = {
    .name = "adamax", .default_lr = 0.001, .n_hyper = 3, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
