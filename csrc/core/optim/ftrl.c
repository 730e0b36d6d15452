/* optim/ftrl.c - FTRL-Proximal (McMahan et al., 2013; keras/src/optimizers/ftrl.py).
 *
 *   l2' = l2 + beta / (2 lr);  g' = g + 2 l2_shrinkage w;  n' = n + g^2;
 *   z += g' - (n'^-p - n^-p) / lr * w;   (p = learning_rate_power)
 *   w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 l2');  n = n'
 */
#include "kernel.h"

enum { LR_POWER, INITIAL_ACCUMULATOR_VALUE, L1, L2, L2_SHRINKAGE, BETA };
static const pn_hyper_spec hyper[] = {
    {"learning_rate_power", PN_HP_FLOAT, -0.5},
    {"initial_accumulator_value", PN_HP_FLOAT, 0.1},
    {"l1_regularization_strength", PN_HP_FLOAT, 0.0},
    {"l2_regularization_strength", PN_HP_FLOAT, 0.0},
    {"l2_shrinkage_regularization_strength", PN_HP_FLOAT, 0.0},
    {"beta", PN_HP_FLOAT, 0.0},
};

/* c0 = -learning_rate_power, c1 = l1, c2 = 2 l2', c3 = 2 l2_shrinkage */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict acc = j->st[0], *restrict z = j->st[1];
    const float *restrict g = j->g;
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, scale = j->scale;
    const float p = k->c[0], l1 = k->c[1], two_l2 = k->c[2], two_l2s = k->c[3];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float n_old = acc[i], n_new = n_old + gi * gi;
        float p_new = powf(n_new, p), p_old = powf(n_old, p);
        float zi = z[i] + ((gi + two_l2s * wi) - (p_new - p_old) / lr * wi);
        float quadratic = p_new / lr + two_l2;
        float zc = zi < -l1 ? -l1 : (zi > l1 ? l1 : zi);
        z[i] = zi;
        acc[i] = n_new;
        w[i] = (zc - zi) / quadratic;
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
    if (!(k->lr > 0.0))
        return pn_error(PN_EVALUE, "Ftrl: the learning rate must be > 0 (the update divides by it), got %g",
                        k->lr);
    k->c[0] = (float)(-o->hyper[LR_POWER]);
    k->c[1] = (float)o->hyper[L1];
    k->c[2] = (float)(2.0 * (o->hyper[L2] + o->hyper[BETA] / (2.0 * k->lr)));
    k->c[3] = (float)(2.0 * o->hyper[L2_SHRINKAGE]);
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    /* Keras' checks and messages */
    if (!isfinite(o->hyper[LR_POWER]) || o->hyper[LR_POWER] > 0.0)
        return pn_error(PN_EVALUE, "Ftrl: `learning_rate_power` needs to be negative or zero. Received: "
                        "learning_rate_power=%g", o->hyper[LR_POWER]);
    if ((rc = pn_optim_check_nonneg("initial_accumulator_value", o->hyper[INITIAL_ACCUMULATOR_VALUE])))
        return rc;
    if ((rc = pn_optim_check_nonneg("l1_regularization_strength", o->hyper[L1]))) return rc;
    if ((rc = pn_optim_check_nonneg("l2_regularization_strength", o->hyper[L2]))) return rc;
    if ((rc = pn_optim_check_nonneg("l2_shrinkage_regularization_strength", o->hyper[L2_SHRINKAGE]))) return rc;
    return pn_optim_check_nonneg("beta", o->hyper[BETA]);
}

static int n_state(const pn_optim *o) { (void)o; return 2; }
static const char *state_name(const pn_optim *o, int i) { (void)o; return i == 0 ? "accumulator" : "linear"; }
static double state_init(const pn_optim *o, int i) { return i == 0 ? o->hyper[INITIAL_ACCUMULATOR_VALUE] : 0.0; }

const pn_optim_def pn_optim_ftrl = {
    .name = "ftrl", .default_lr = 0.001, .n_hyper = 6, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name, .state_init = state_init,
    .prepare = prepare, .update = update,
};
