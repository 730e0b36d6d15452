/* optim/adadelta.c - Adadelta (keras/src/optimizers/adadelta.py; Zeiler, 2012).
 *
 *   acc_g = rho acc_g + (1 - rho) g^2
 *   delta = -sqrt(acc_d + eps) g / sqrt(acc_g + eps)
 *   acc_d = rho acc_d + (1 - rho) delta^2
 *   w    += lr delta
 *
 * Keras scales the step by the learning rate too (the paper has none: lr = 1.0
 * there); the step's unit comes from the running mean of past steps, acc_d.
 */
#include "kernel.h"

enum { RHO, EPSILON };
static const pn_hyper_spec hyper[] = {
    {"rho", PN_HP_FLOAT, 0.95},
    {"epsilon", PN_HP_FLOAT, 1e-7},
};

/* c0 = rho, c1 = 1 - rho, c2 = epsilon */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict acc_g = j->st[0], *restrict acc_d = j->st[1];
    const float *restrict g = j->g;
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, scale = j->scale;
    const float rho = k->c[0], one_rho = k->c[1], eps = k->c[2];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float ag = rho * acc_g[i] + one_rho * (gi * gi);
        float delta = -(sqrtf(acc_d[i] + eps) * gi) / sqrtf(ag + eps);
        acc_g[i] = ag;
        acc_d[i] = rho * acc_d[i] + one_rho * (delta * delta);
        w[i] = wi + lr * delta;
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
    k->c[0] = (float)o->hyper[RHO];
    k->c[1] = (float)(1.0 - o->hyper[RHO]);
    k->c[2] = (float)o->hyper[EPSILON];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    if ((rc = pn_optim_check_range("rho", o->hyper[RHO], 0.0, 1.0, 0)))
        return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o) { (void)o; return 2; }
static const char *state_name(const pn_optim *o, int i)
{
    (void)o;
    return i == 0 ? "accumulated_grad" : "accumulated_delta_var";
}

const pn_optim_def pn_optim_adadelta = {
    .name = "adadelta", .default_lr = 0.001, .n_hyper = 2, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name, .state_init = NULL,
    .prepare = prepare, .update = update,
};
