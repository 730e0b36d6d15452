/* optim/adafactor.c - Adafactor (Shazeer & Stern, 2018;
 * keras/src/optimizers/adafactor.py).
 *
 *   rho = min(lr, 1 / sqrt(t));  alpha = max(eps_2, rms(w)) rho;  q = g^2 + eps_1;
 *   b = 1 - t^beta_2_decay
 *   rank >= 2 (rows R, cols C of the last two axes, B = the rest):
 *     r[b,i] = b r + (1 - b) mean_j q;  c[b,j] = b c + (1 - b) mean_i q;
 *     v[b,i,j] = r[b,i] / mean_i r[b,i] * c[b,j]
 *   rank < 2:  v = b v + (1 - b) q
 *   u = g / sqrt(v);  w -= alpha u / max(1, rms(u) / clip_threshold)
 *
 * The factored moments need the tensor's last two axes: o->seg_dims. Slots "r" and
 * "c" use the first B*R and B*C floats of their segment (the rest stays 0), so the
 * state keeps the arena layout. `relative_step` is accepted and, as in Keras, has
 * no effect on the update: rho already takes min(lr, 1 / sqrt(t)).
 * Means and norms are summed serially in double.
 */
#include "kernel.h"

enum { BETA_2_DECAY, EPSILON_1, EPSILON_2, CLIP_THRESHOLD, RELATIVE_STEP };
static const pn_hyper_spec hyper[] = {
    {"beta_2_decay", PN_HP_FLOAT, -0.8},
    {"epsilon_1", PN_HP_FLOAT, 1e-30},
    {"epsilon_2", PN_HP_FLOAT, 1e-3},
    {"clip_threshold", PN_HP_FLOAT, 1.0},
    {"relative_step", PN_HP_BOOL, 1.0},
};

/* c0 = b, c1 = 1 - b, c2 = eps_1; d0 = rho, d1 = eps_2, d2 = clip_threshold */
static void update(const pn_optim *o, const pn_optim_ctx *k, int s, float *restrict w,
                   const float *restrict g, float *const *st, int64_t n, float scale)
{
    float *restrict r = st[0], *restrict c = st[1], *restrict v = st[2];
    const float cv = k->cv, wdlr = k->wdlr, bt = k->c[0], omb = k->c[1], eps1 = k->c[2];
    const int64_t R = o->seg_dims[2 * s], C = o->seg_dims[2 * s + 1];

    double ww = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float wi = w[i];
        wi -= wi * wdlr; /* rms(w) is the decayed weight's, as in Keras */
        w[i] = wi;
        ww += (double)wi * wi;
    }
    const double rms_w = sqrt(ww / (double)n);
    const double alpha = (rms_w > k->d[1] ? rms_w : k->d[1]) * k->d[0];

    if (R > 0) {
        const int64_t B = n / (R * C);
        for (int64_t bb = 0; bb < B; bb++) {
            const float *gb = g + bb * R * C;
            float *rb = r + bb * R, *cb = c + bb * C, *vb = v + bb * R * C;
            double rsum = 0.0;
            for (int64_t i = 0; i < R; i++) {
                double q = 0.0;
                for (int64_t jj = 0; jj < C; jj++) {
                    float gi = CLIPPED(gb[i * C + jj]);
                    q += (double)(gi * gi + eps1);
                }
                rb[i] = bt * rb[i] + omb * (float)(q / (double)C);
                rsum += rb[i];
            }
            for (int64_t jj = 0; jj < C; jj++) {
                double q = 0.0;
                for (int64_t i = 0; i < R; i++) {
                    float gi = CLIPPED(gb[i * C + jj]);
                    q += (double)(gi * gi + eps1);
                }
                cb[jj] = bt * cb[jj] + omb * (float)(q / (double)R);
            }
            const float rmean = (float)(rsum / (double)R);
            for (int64_t i = 0; i < R; i++)
                for (int64_t jj = 0; jj < C; jj++) vb[i * C + jj] = rb[i] / rmean * cb[jj];
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            float gi = CLIPPED(g[i]);
            v[i] = bt * v[i] + omb * (gi * gi + eps1);
        }
    }

    double uu = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float u = CLIPPED(g[i]) / sqrtf(v[i]);
        uu += (double)u * u;
    }
    const double rms_u = sqrt(uu / (double)n), den = rms_u / k->d[2];
    const float f = (float)(alpha / (den > 1.0 ? den : 1.0));
    for (int64_t i = 0; i < n; i++) w[i] -= f * (CLIPPED(g[i]) / sqrtf(v[i]));
}

static int prepare(const pn_optim *o, pn_optim_ctx *k)
{
    const double b = 1.0 - pow(k->t, o->hyper[BETA_2_DECAY]), inv_sqrt_t = 1.0 / sqrt(k->t);
    k->c[0] = (float)b;
    k->c[1] = (float)(1.0 - b);
    k->c[2] = (float)o->hyper[EPSILON_1];
    k->d[0] = k->lr < inv_sqrt_t ? k->lr : inv_sqrt_t;
    k->d[1] = o->hyper[EPSILON_2];
    k->d[2] = o->hyper[CLIP_THRESHOLD];
    return PN_OK;
}

static int validate(const pn_optim *o)
{
    int rc;
    if (!isfinite(o->hyper[BETA_2_DECAY]))
        return pn_error(PN_EVALUE, "Adafactor: `beta_2_decay` must be finite, got %g", o->hyper[BETA_2_DECAY]);
    if ((rc = pn_optim_check_nonneg("epsilon_1", o->hyper[EPSILON_1]))) return rc;
    if ((rc = pn_optim_check_nonneg("epsilon_2", o->hyper[EPSILON_2]))) return rc;
    if (!isfinite(o->hyper[CLIP_THRESHOLD]) || !(o->hyper[CLIP_THRESHOLD] > 0.0))
        return pn_error(PN_EVALUE, "Adafactor: `clip_threshold` must be a finite number > 0, got %g",
                        o->hyper[CLIP_THRESHOLD]);
    return PN_OK;
}

static int n_state(const pn_optim *o) { (void)o; return 3; }
static const char *state_name(const pn_optim *o, int i) { (void)o; return i == 0 ? "r" : i == 1 ? "c" : "velocity"; }

const pn_optim_def pn_optim_adafactor = {
    .name = "adafactor", .default_lr = 0.001, .n_hyper = 5, .hyper = hyper, .needs_dims = 1,
    .validate = validate, .n_state = n_state, .state_name = state_name,
    .prepare = prepare, .update = update,
};
