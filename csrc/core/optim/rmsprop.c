/* optim/rmsprop.c - RMSprop (keras/src/optimizers/rmsprop.py).
 *
 *   v = rho v + (1 - rho) g^2;  den = v + eps  (centered: a = rho a + (1 - rho) g,
 *   den = v - a^2 + eps);  inc = lr g / sqrt(den);  momentum > 0: inc = mu mom + inc,
 *   mom = inc;  w -= inc
 */
#include "kernel.h"

enum { RHO, MOMENTUM, EPSILON, CENTERED };
static const pn_hyper_spec hyper[] = {
    {"rho", PN_HP_FLOAT, 0.9},
    {"momentum", PN_HP_FLOAT, 0.0},
    {"epsilon", PN_HP_FLOAT, 1e-7},
    {"centered", PN_HP_BOOL, 0.0},
};

/* c0 = rho, c1 = 1 - rho, c2 = momentum, c3 = epsilon */
PN_INLINE void k_rmsprop(const pn_optim_ctx *k, float *restrict w, const float *restrict g,
                         float *restrict v, float *restrict mom, float *restrict avg, int64_t b,
                         int64_t e, float scale, int use_mom, int centered)
{
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, eps = k->c[3];
    const float rho = k->c[0], omr = k->c[1], mu = k->c[2];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float vi = rho * v[i] + omr * (gi * gi);
        v[i] = vi;
        float den = vi + eps;
        if (centered) {
            float ai = rho * avg[i] + omr * gi;
            avg[i] = ai;
            den = vi - ai * ai + eps;
        }
        float inc = lr * gi / sqrtf(den);
        if (use_mom) {
            inc = mu * mom[i] + inc;
            mom[i] = inc;
        }
        w[i] = wi - inc;
    }
}

PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim *o = j->o;
    const pn_optim_ctx *k = j->k;
    float *w = j->w, *const *st = j->st;
    const float *g = j->g;
    const float sc = j->scale;
    const int use_mom = o->hyper[MOMENTUM] > 0.0, centered = o->hyper[CENTERED] != 0.0;
    float *mom = use_mom ? st[1] : NULL, *avg = centered ? st[use_mom ? 2 : 1] : NULL;
    if (use_mom && centered) k_rmsprop(k, w, g, st[0], mom, avg, b, e, sc, 1, 1);
    else if (use_mom) k_rmsprop(k, w, g, st[0], mom, NULL, b, e, sc, 1, 0);
    else if (centered) k_rmsprop(k, w, g, st[0], NULL, avg, b, e, sc, 0, 1);
    else k_rmsprop(k, w, g, st[0], NULL, NULL, b, e, sc, 0, 0);
}

static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *w, const float *g,
                   float *const *st, int64_t n, float scale)
{
    (void)s;
    pn_optim_run(range, o, k, w, g, st, n, scale);
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    k->c[0] = (float)o->hyper[RHO];
    k->c[1] = (float)(1.0 - o->hyper[RHO]);
    k->c[2] = (float)o->hyper[MOMENTUM];
    k->c[3] = (float)o->hyper[EPSILON];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    if ((rc = pn_optim_check_range("rho", o->hyper[RHO], 0.0, 1.0, 0))) return rc;
    if ((rc = pn_optim_check_range("momentum", o->hyper[MOMENTUM], 0.0, 1.0, 0))) return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o)
{
    return 1 + (o->hyper[MOMENTUM] > 0.0) + (o->hyper[CENTERED] != 0.0);
}

static const char *state_name(const pn_optim *o, int i)
{
    if (i == 0) return "velocity";
    if (i == 1 && o->hyper[MOMENTUM] > 0.0) return "momentum";
    return "average_gradient";
}

const pn_optim_def pn_optim_rmsprop = {
    .name = "rmsprop", .default_lr = 0.001, .n_hyper = 4, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
