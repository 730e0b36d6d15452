/* optim/sgd.c - SGD with optional (Nesterov) momentum (keras/src/optimizers/sgd.py).
 *
 *   m = momentum * m - lr * g;  w += m   (Nesterov: w += momentum * m - lr * g)
 *   without momentum: w -= lr * g (and no state)
 */
#include "kernel.h"

enum { MOMENTUM, NESTEROV };
static const pn_hyper_spec hyper[] = {
    {"momentum", PN_HP_FLOAT, 0.0},
    {"nesterov", PN_HP_BOOL, 0.0},
};

/* Variant flags are literals at the call sites, so every variant gets its own
 * branch-free (vectorisable) loop. */
PN_INLINE void k_sgd(const pn_optim_ctx *k, float *restrict w, const float *restrict g,
                     float *restrict m, int64_t b, int64_t e, float scale, int momentum,
                     int nesterov)
{
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, mu = k->c[0];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        if (!momentum) {
            w[i] = wi - gi * lr;
        } else {
            float mi = m[i] * mu - gi * lr;
            m[i] = mi;
            w[i] = nesterov ? wi + (mi * mu - gi * lr) : wi + mi;
        }
    }
}

PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim *o = j->o;
    if (o->hyper[MOMENTUM] == 0.0) k_sgd(j->k, j->w, j->g, NULL, b, e, j->scale, 0, 0);
    else if (o->hyper[NESTEROV]) k_sgd(j->k, j->w, j->g, j->st[0], b, e, j->scale, 1, 1);
    else k_sgd(j->k, j->w, j->g, j->st[0], b, e, j->scale, 1, 0);
}

static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *w, const float *g,
                   float *const *st, int64_t n, float scale)
{
    (void)s;
    pn_optim_run(range, o, k, w, g, st, n, scale);
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    k->c[0] = (float)o->hyper[MOMENTUM];
    return PN_OK;
}

static int validate(const pn_optim *o) { return pn_optim_check_range("momentum", o->hyper[MOMENTUM], 0.0, 1.0, 0); }
static int n_state(const pn_optim *o) { return o->hyper[MOMENTUM] != 0.0; }
static const char *state_name(const pn_optim *o, int i) { (void)o, (void)i; return "momentum"; }

const pn_optim_def pn_optim_sgd = {
    .name = "sgd", .default_lr = 0.01, .n_hyper = 2, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
