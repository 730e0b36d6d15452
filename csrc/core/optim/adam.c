/* optim/adam.c - Adam, AMSGrad variant (keras/src/optimizers/adam.py); AdamW is
 * Adam with weight_decay (the driver's decoupled decay).
 *
 *   alpha = lr sqrt(1 - b2^t) / (1 - b1^t);  m += (g - m)(1 - b1);
 *   v += (g^2 - v)(1 - b2);  amsgrad: v = vhat = max(vhat, v);
 *   w -= m alpha / (sqrt(v) + eps)
 */
#include "kernel.h"

enum { BETA_1, BETA_2, EPSILON, AMSGRAD };
static const pn_hyper_spec hyper[] = {
    {"beta_1", PN_HP_FLOAT, 0.9},
    {"beta_2", PN_HP_FLOAT, 0.999},
    {"epsilon", PN_HP_FLOAT, 1e-7},
    {"amsgrad", PN_HP_BOOL, 0.0},
};

/* c0 = 1 - beta_1, c1 = 1 - beta_2, c2 = alpha, c3 = epsilon */
PN_INLINE void k_adam(const pn_optim_ctx *k, float *restrict w, const float *restrict g,
                      float *restrict m, float *restrict v, float *restrict vhat, int64_t b,
                      int64_t e, float scale, int amsgrad)
{
    const float wdlr = k->wdlr, cv = k->cv, eps = k->c[3];
    const float omb1 = k->c[0], omb2 = k->c[1], alpha = k->c[2];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float mi = m[i] + (gi - m[i]) * omb1;
        float vi = v[i] + (gi * gi - v[i]) * omb2;
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            vi = vhat[i] > vi ? vhat[i] : vi;
            vhat[i] = vi;
        }
        w[i] = wi - mi * alpha / (sqrtf(vi) + eps);
    }
}

PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    if (j->o->hyper[AMSGRAD] != 0.0) k_adam(j->k, j->w, j->g, j->st[0], j->st[1], j->st[2], b, e, j->scale, 1);
    else k_adam(j->k, j->w, j->g, j->st[0], j->st[1], NULL, b, e, j->scale, 0);
}

static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *w, const float *g,
                   float *const *st, int64_t n, float scale)
{
    (void)s;
    pn_optim_run(range, o, k, w, g, st, n, scale);
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    const double b1 = o->hyper[BETA_1], b2 = o->hyper[BETA_2], t = k->t;
    k->c[0] = (float)(1.0 - b1);
    k->c[1] = (float)(1.0 - b2);
    k->c[2] = (float)(k->lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t)));
    k->c[3] = (float)o->hyper[EPSILON];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    /* beta_1 = 1 divides by 1 - beta_1^t = 0 in the bias correction. */
    if ((rc = pn_optim_check_range("beta_1", o->hyper[BETA_1], 0.0, 1.0, 1))) return rc;
    if ((rc = pn_optim_check_range("beta_2", o->hyper[BETA_2], 0.0, 1.0, 1))) return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o) { return 2 + (o->hyper[AMSGRAD] != 0.0); }

static const char *state_name(const pn_optim *o, int i)
{
    (void)o;
    return i == 0 ? "momentum" : i == 1 ? "velocity" : "velocity_hat";
}

const pn_optim_def pn_optim_adam = {
    .name = "adam", .default_lr = 0.001, .n_hyper = 4, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
