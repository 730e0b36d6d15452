/* optim/lamb.c - Lamb, layer-wise adaptive moments (You et al., 2019;
 * keras/src/optimizers/lamb.py).
 *
 *   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);
 *   u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps);
 *   r = ||w|| / ||u|| per tensor (1 if either norm is 0);  w -= r lr u
 *
 * The norms make it two passes over the segment; both are serial so the sums,
 * and so the bits, do not depend on the thread count. The second pass recomputes
 * u from m and v with the same float operations instead of storing it.
 */
#include "kernel.h"

enum { BETA_1, BETA_2, EPSILON };
static const pn_hyper_spec hyper[] = {
    {"beta_1", PN_HP_FLOAT, 0.9},
    {"beta_2", PN_HP_FLOAT, 0.999},
    {"epsilon", PN_HP_FLOAT, 1e-7},
};

/* c0 = 1 - b1, c1 = 1 - b2, c2 = 1 / (1 - b1^t), c3 = 1 / (1 - b2^t), c4 = eps */
PN_INLINE float lamb_u(const pn_optim_ctx *k, float m, float v)
{
    return (m * k->c[2]) / (sqrtf(v * k->c[3]) + k->c[4]);
}

static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *restrict w,
                   const float *restrict g, float *const *st, int64_t n, float scale)
{
    (void)o, (void)s;
    float *restrict m = st[0], *restrict v = st[1];
    const float wdlr = k->wdlr, cv = k->cv, omb1 = k->c[0], omb2 = k->c[1];
    double ww = 0.0, uu = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr; /* the norm is the decayed weight's, as in Keras */
        float mi = m[i] + (gi - m[i]) * omb1;
        float vi = v[i] + (gi * gi - v[i]) * omb2;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi;
        float u = lamb_u(k, mi, vi);
        ww += (double)wi * wi;
        uu += (double)u * u;
    }
    double ratio = (ww > 0.0 && uu > 0.0) ? sqrt(ww) / sqrt(uu) : 1.0;
    const float f = (float)(ratio * k->lr);
    for (int64_t i = 0; i < n; i++) w[i] -= f * lamb_u(k, m[i], v[i]);
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    const double b1 = o->hyper[BETA_1], b2 = o->hyper[BETA_2];
    k->c[0] = (float)(1.0 - b1);
    k->c[1] = (float)(1.0 - b2);
    k->c[2] = (float)(1.0 / (1.0 - pow(b1, k->t)));
    k->c[3] = (float)(1.0 / (1.0 - pow(b2, k->t)));
    k->c[4] = (float)o->hyper[EPSILON];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    /* beta = 1 divides by 1 - beta^t = 0 in the bias corrections. */
    if ((rc = pn_optim_check_range("beta_1", o->hyper[BETA_1], 0.0, 1.0, 1))) return rc;
    if ((rc = pn_optim_check_range("beta_2", o->hyper[BETA_2], 0.0, 1.0, 1))) return rc;
    return pn_optim_check_nonneg("epsilon", o->hyper[EPSILON]);
}

static int n_state(const pn_optim *o) { (void)o; return 2; }
static const char *state_name(const pn_optim *o, int i) { (void)o; return i == 0 ? "momentum" : "velocity"; }

const pn_optim_def pn_optim_lamb = {
    .name = "lamb", .default_lr = 0.001, .n_hyper = 3, .hyper = hyper,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
