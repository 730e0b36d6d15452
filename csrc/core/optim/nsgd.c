/* optim/nsgd.c - normalized SGD with momentum (Cutkosky & Mehta, 2020); not in Keras.
 *
 *   v = beta v + (1 - beta) g;  w -= lr v / ||v||  (norm per tensor; a zero
 *   average leaves w alone, only decayed)
 */
#include "kernel.h"

enum { BETA };
static const pn_hyper_spec hyper[] = {
    {"beta", PN_HP_FLOAT, 0.9},
};

/* Phase 1: the running average (c0 = beta, c1 = 1 - beta). Phase 2: w -= f v. */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict v = j->st[0];
    const float *restrict g = j->g;
    if (j->phase == 0) {
        const float cv = k->cv, beta = k->c[0], omb = k->c[1], scale = j->scale;
        for (int64_t i = b; i < e; i++) v[i] = beta * v[i] + omb * CLIPPED(g[i]);
    } else {
        const float wdlr = k->wdlr, a = j->f;
        for (int64_t i = b; i < e; i++) {
            float wi = w[i];
            wi -= wi * wdlr;
            w[i] = wi - a * v[i];
        }
    }
}

static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *w, const float *g,
                   float *const *st, int64_t n, float scale)
{
    (void)s;
    pn_optim_job j;
    memset(&j, 0, sizeof j);
    j.o = o;
    j.k = k;
    j.w = w;
    j.g = g;
    j.st = st;
    j.scale = scale;
    pn_parallel_for(n, PN_OPTIM_GRAIN, range, &j);
    /* A zero average (e.g. all-zero gradients) divides by nothing. */
    double norm = sqrt(pn_optim_sumsq(st[0], n));
    j.f = norm > 0.0 ? (float)(k->lr / norm) : 0.0f;
    j.phase = 1;
    pn_parallel_for(n, PN_OPTIM_GRAIN, range, &j);
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    k->c[0] = (float)o->hyper[BETA];
    k->c[1] = (float)(1.0 - o->hyper[BETA]);
    return PN_OK;
}

static int validate(const pn_optim *o) { return pn_optim_check_range("beta", o->hyper[BETA], 0.0, 1.0, 1); }
static int n_state(const pn_optim *o) { (void)o; return 1; }
static const char *state_name(const pn_optim *o, int i) { (void)o, (void)i; return "momentum"; }

const pn_optim_def pn_optim_nsgd = {
    .name = "nsgd", .default_lr = 0.01, .n_hyper = 1, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
