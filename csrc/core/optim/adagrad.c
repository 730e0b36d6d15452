/* optim/adagrad.c - Adagrad (keras/src/optimizers/adagrad.py).
 *
 *   acc += g^2 (acc starts at initial_accumulator_value);  w -= lr g / sqrt(acc + eps)
 */
#include "kernel.h"

enum { INITIAL_ACCUMULATOR_VALUE, EPSILON };
static const pn_hyper_spec hyper[] = {
    {"initial_accumulator_value", PN_HP_FLOAT, 0.1},
    {"epsilon", PN_HP_FLOAT, 1e-7},
};

PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict acc = j->st[0];
    const float *restrict g = j->g;
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, eps = k->c[0], scale = j->scale;
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float ai = acc[i] + gi * gi;
        acc[i] = ai;
        w[i] = wi - lr * gi / sqrtf(ai + eps);
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
    k->c[0] = (float)o->hyper[EPSILON];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    if ((rc = pn_optim_check_nonneg("initial_accumulator_value", o->hyper[INITIAL_ACCUMULATOR_VALUE])))
        return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o) { (void)o; return 1; }
static const char *state_name(const pn_optim *o, int i) { (void)o, (void)i; return "accumulator"; }
static double state_init(const pn_optim *o, int i) { (void)i; return o->hyper[INITIAL_ACCUMULATOR_VALUE]; }

const pn_optim_def pn_optim_adagrad = {
    .name = "adagrad", .default_lr = 0.001, .n_hyper = 2, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name, .state_init = state_init,
    .prepare = prepare, .update = update,
};
