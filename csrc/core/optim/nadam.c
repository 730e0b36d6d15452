/* optim/nadam.c - Nadam, Adam with Nesterov momentum (keras/src/optimizers/nadam.py)
 * with Keras' momentum schedule u_t = b1 (1 - 0.5 * 0.96^t).
 *
 *   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);
 *   m_hat = u_{t+1} m / (1 - prod_{k<=t+1} u_k) + (1 - u_t) g / (1 - prod_{k<=t} u_k);
 *   w -= m_hat lr / (sqrt(v / (1 - b2^t)) + eps)
 *
 * The running product prod_{k<=t} u_k is Keras' `u_product` variable; it lives in
 * o->scalar[0] and is a function of the update count alone (set_updates).
 */
#include "kernel.h"

enum { BETA_1, BETA_2, EPSILON };
static const pn_hyper_spec hyper[] = {
    {"beta_1", PN_HP_FLOAT, 0.9},
    {"beta_2", PN_HP_FLOAT, 0.999},
    {"epsilon", PN_HP_FLOAT, 1e-7},
};
#define U_PRODUCT scalar[0]

static double nadam_u(double beta_1, double t) { return beta_1 * (1.0 - 0.5 * pow(0.96, t)); }

/* c0 = 1 - beta_1, c1 = 1 - beta_2, c2 = u_{t+1} / (1 - prod_{k<=t+1} u_k),
 * c3 = (1 - u_t) / (1 - prod_{k<=t} u_k), c4 = 1 / (1 - beta_2^t), c5 = epsilon */
PN_OPTIM_CLONES
static void range(void *ctx, int64_t b, int64_t e)
{
    const pn_optim_job *j = ctx;
    const pn_optim_ctx *k = j->k;
    float *restrict w = j->w, *restrict m = j->st[0], *restrict v = j->st[1];
    const float *restrict g = j->g;
    const float lr = k->lr_f, wdlr = k->wdlr, cv = k->cv, eps = k->c[5], scale = j->scale;
    const float omb1 = k->c[0], omb2 = k->c[1], cm = k->c[2], cg = k->c[3], inv_bc2 = k->c[4];
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float mi = m[i] + (gi - m[i]) * omb1;
        float vi = v[i] + (gi * gi - v[i]) * omb2;
        m[i] = mi;
        v[i] = vi;
        float mhat = cm * mi + cg * gi;
        w[i] = wi - mhat * lr / (sqrtf(vi * inv_bc2) + eps);
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
    const double b1 = o->hyper[BETA_1], t = k->t;
    double u_t = nadam_u(b1, t), u_t1 = nadam_u(b1, t + 1.0);
    double prod_t = o->U_PRODUCT * u_t, prod_t1 = prod_t * u_t1;
    k->c[0] = (float)(1.0 - b1);
    k->c[1] = (float)(1.0 - o->hyper[BETA_2]);
    k->c[2] = (float)(u_t1 / (1.0 - prod_t1));
    k->c[3] = (float)((1.0 - u_t) / (1.0 - prod_t));
    k->c[4] = (float)(1.0 / (1.0 - pow(o->hyper[BETA_2], t)));
    k->c[5] = (float)o->hyper[EPSILON];
    k->d[0] = prod_t;
    return PN_OK;
}

static void finish(pn_optim *o, const pn_optim_ctx *k) { o->U_PRODUCT = k->d[0]; }

static void set_updates(pn_optim *o, int64_t updates)
{
    /* 0.96^k is below double epsilon after ~900 steps, from there every factor
     * equals beta_1 exactly. */
    double prod = 1.0;
    int64_t k = 1;
    for (; k <= updates && k <= 2000; k++) prod *= nadam_u(o->hyper[BETA_1], (double)k);
    if (k <= updates) prod *= pow(o->hyper[BETA_1], (double)(updates - k + 1));
    o->U_PRODUCT = prod;
}

static int validate(const pn_optim *o)
{
    int rc;
    if ((rc = pn_optim_check_range("beta_1", o->hyper[BETA_1], 0.0, 1.0, 1))) return rc;
    if ((rc = pn_optim_check_range("beta_2", o->hyper[BETA_2], 0.0, 1.0, 1))) return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o) { (void)o; return 2; }
static const char *state_name(const pn_optim *o, int i) { (void)o; return i == 0 ? "momentum" : "velocity"; }

const pn_optim_def pn_optim_nadam = {
    .name = "nadam", .default_lr = 0.001, .n_hyper = 3, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update, .finish = finish, .set_updates = set_updates,
};
