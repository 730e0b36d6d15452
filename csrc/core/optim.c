/* optim.c - every optimizer as one flat loop over the parameter arena.
 *
 * Formulas and update order are those of Keras 3 (keras/src/optimizers/, one file per optimizer); see
 * optim.h for the order. Per-step scalars (learning rate, bias corrections,
 * norms) are computed in double: Keras casts beta_2 = 0.999 to float32 before
 * forming 1 - beta_2, which alone moves Adam's second moment by ~1e-5 relative;
 * doing the scalar algebra in double keeps us on the exact formula while the
 * per-element work stays float32 and vectorisable.
 */
#include "optim.h"

#include <math.h>
#include <string.h>

#include "pn.h"

static const char *const kind_names[PN_OPT_N_KINDS] = {
    "sgd", "rmsprop", "adam", "adagrad", "adamax", "nadam", "nsgd"};

const char *pn_optim_kind_name(int kind)
{
    return (kind >= 0 && kind < PN_OPT_N_KINDS) ? kind_names[kind] : NULL;
}

int pn_optim_init(pn_optim *o, int kind)
{
    if (!o) return pn_error(PN_EVALUE, "optimizer: NULL handle");
    if (kind < 0 || kind >= PN_OPT_N_KINDS)
        return pn_error(PN_EVALUE, "optimizer: unknown kind %d", kind);
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->lr = (kind == PN_OPT_SGD || kind == PN_OPT_NSGD) ? 0.01 : 0.001;
    o->sched.kind = PN_SCHED_CONSTANT;
    o->rho = 0.9;
    o->beta_1 = 0.9;
    o->beta_2 = 0.999;
    o->epsilon = 1e-7;
    o->initial_accumulator_value = 0.1;
    o->beta = 0.9;
    o->u_product = 1.0;
    return PN_OK;
}

/* ---------------------------------------------------------------- state layout */

int pn_optim_n_state(const pn_optim *o)
{
    switch (o->kind) {
    case PN_OPT_SGD: return o->momentum != 0.0;
    case PN_OPT_RMSPROP: return 1 + (o->momentum > 0.0) + (o->centered != 0);
    case PN_OPT_ADAM: return 2 + (o->amsgrad != 0);
    case PN_OPT_ADAGRAD: return 1;
    case PN_OPT_ADAMAX: return 2;
    case PN_OPT_NADAM: return 2;
    case PN_OPT_NSGD: return 1;
    default: return 0;
    }
}

/* Slot order follows the order in which Keras creates the variables, so that a
 * state list lines up with keras' optimizer.variables. */
const char *pn_optim_state_name(const pn_optim *o, int i)
{
    if (i < 0 || i >= pn_optim_n_state(o)) return NULL;
    switch (o->kind) {
    case PN_OPT_SGD: return "momentum";
    case PN_OPT_RMSPROP:
        if (i == 0) return "velocity";
        if (i == 1 && o->momentum > 0.0) return "momentum";
        return "average_gradient";
    case PN_OPT_ADAM: return i == 0 ? "momentum" : i == 1 ? "velocity" : "velocity_hat";
    case PN_OPT_ADAGRAD: return "accumulator";
    case PN_OPT_ADAMAX: return i == 0 ? "momentum" : "norm";
    case PN_OPT_NADAM: return i == 0 ? "momentum" : "velocity";
    case PN_OPT_NSGD: return "momentum";
    default: return NULL;
    }
}

double pn_optim_state_init(const pn_optim *o, int i)
{
    (void)i;
    return o->kind == PN_OPT_ADAGRAD ? o->initial_accumulator_value : 0.0;
}

/* ---------------------------------------------------------------- validation */

static int bad_range(const char *name, double v, double lo, double hi, int hi_open)
{
    if (!isfinite(v) || v < lo || (hi_open ? v >= hi : v > hi))
        return pn_error(PN_EVALUE, "optimizer: `%s` must be in [%g, %g%s, got %g", name, lo, hi,
                        hi_open ? ")" : "]", v);
    return PN_OK;
}

static int bad_nonneg(const char *name, double v)
{
    if (!isfinite(v) || v < 0.0)
        return pn_error(PN_EVALUE, "optimizer: `%s` must be a finite number >= 0, got %g", name, v);
    return PN_OK;
}

int pn_schedule_validate(const pn_schedule *s)
{
    int rc;
    if (s->kind < 0 || s->kind >= PN_SCHED_N_KINDS)
        return pn_error(PN_EVALUE, "schedule: unknown kind %d", s->kind);
    if (s->kind == PN_SCHED_CONSTANT) return PN_OK;
    if (s->kind == PN_SCHED_PIECEWISE) {
        if (s->n_bounds < 0 || !s->values || (s->n_bounds > 0 && !s->boundaries))
            return pn_error(PN_EVALUE, "PiecewiseConstantDecay: missing boundaries/values");
        for (int i = 0; i <= s->n_bounds; i++)
            if (!isfinite(s->values[i]))
                return pn_error(PN_EVALUE, "PiecewiseConstantDecay: values[%d] is not finite", i);
        for (int i = 0; i < s->n_bounds; i++) {
            if (!isfinite(s->boundaries[i]))
                return pn_error(PN_EVALUE, "PiecewiseConstantDecay: boundaries[%d] is not finite", i);
            if (i > 0 && !(s->boundaries[i] > s->boundaries[i - 1]))
                return pn_error(PN_EVALUE,
                                "PiecewiseConstantDecay: boundaries must be strictly increasing "
                                "(boundaries[%d] = %g after %g)",
                                i, s->boundaries[i], s->boundaries[i - 1]);
        }
        return PN_OK;
    }
    if (!isfinite(s->initial_lr))
        return pn_error(PN_EVALUE, "schedule: `initial_learning_rate` must be finite, got %g",
                        s->initial_lr);
    if (!isfinite(s->decay_steps) || !(s->decay_steps > 0))
        return pn_error(PN_EVALUE, "schedule: `decay_steps` must be > 0, got %g", s->decay_steps);
    switch (s->kind) {
    case PN_SCHED_EXPONENTIAL:
    case PN_SCHED_INVERSE_TIME:
        if (!isfinite(s->decay_rate))
            return pn_error(PN_EVALUE, "schedule: `decay_rate` must be finite, got %g", s->decay_rate);
        break;
    case PN_SCHED_POLYNOMIAL:
        if (!isfinite(s->end_lr) || !isfinite(s->power))
            return pn_error(PN_EVALUE, "PolynomialDecay: `end_learning_rate` and `power` must be finite");
        break;
    case PN_SCHED_COSINE:
        if ((rc = bad_range("alpha", s->alpha, 0.0, 1.0, 0))) return rc;
        if (s->has_warmup) {
            if (!isfinite(s->warmup_target))
                return pn_error(PN_EVALUE, "CosineDecay: `warmup_target` must be finite");
            if ((rc = bad_nonneg("warmup_steps", s->warmup_steps))) return rc;
        }
        break;
    default: break;
    }
    return PN_OK;
}

int pn_optim_validate(const pn_optim *o)
{
    int rc;
    if (!o) return pn_error(PN_EVALUE, "optimizer: NULL handle");
    if (o->kind < 0 || o->kind >= PN_OPT_N_KINDS)
        return pn_error(PN_EVALUE, "optimizer: unknown kind %d", o->kind);
    if (o->sched.kind == PN_SCHED_CONSTANT) {
        if ((rc = bad_nonneg("learning_rate", o->lr))) return rc;
    } else if ((rc = pn_schedule_validate(&o->sched))) {
        return rc;
    }
    switch (o->kind) {
    case PN_OPT_SGD:
        if ((rc = bad_range("momentum", o->momentum, 0.0, 1.0, 0))) return rc;
        break;
    case PN_OPT_RMSPROP:
        if ((rc = bad_range("rho", o->rho, 0.0, 1.0, 0))) return rc;
        if ((rc = bad_range("momentum", o->momentum, 0.0, 1.0, 0))) return rc;
        if ((rc = bad_nonneg("epsilon", o->epsilon))) return rc;
        break;
    case PN_OPT_ADAM:
    case PN_OPT_ADAMAX:
    case PN_OPT_NADAM:
        /* beta_1 = 1 divides by 1 - beta_1^t = 0 in the bias correction. */
        if ((rc = bad_range("beta_1", o->beta_1, 0.0, 1.0, 1))) return rc;
        if ((rc = bad_range("beta_2", o->beta_2, 0.0, 1.0, 1))) return rc;
        if ((rc = bad_nonneg("epsilon", o->epsilon))) return rc;
        break;
    case PN_OPT_ADAGRAD:
        if ((rc = bad_nonneg("initial_accumulator_value", o->initial_accumulator_value))) return rc;
        if ((rc = bad_nonneg("epsilon", o->epsilon))) return rc;
        break;
    case PN_OPT_NSGD:
        if ((rc = bad_range("beta", o->beta, 0.0, 1.0, 1))) return rc;
        break;
    default: break;
    }
    if ((rc = bad_nonneg("weight_decay", o->weight_decay))) return rc;
    if ((rc = bad_nonneg("clipnorm", o->clipnorm))) return rc;
    if ((rc = bad_nonneg("clipvalue", o->clipvalue))) return rc;
    if ((rc = bad_nonneg("global_clipnorm", o->global_clipnorm))) return rc;
    if ((o->clipnorm > 0) + (o->clipvalue > 0) + (o->global_clipnorm > 0) > 1)
        return pn_error(PN_EVALUE,
                        "optimizer: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can "
                        "be set. Received: clipnorm=%g, clipvalue=%g, global_clipnorm=%g",
                        o->clipnorm, o->clipvalue, o->global_clipnorm);
    if (o->iterations < 0)
        return pn_error(PN_EVALUE, "optimizer: `iterations` must be >= 0, got %lld",
                        (long long)o->iterations);
    if (o->n < 0 || o->n_seg < 0)
        return pn_error(PN_EVALUE, "optimizer: negative arena size (n=%lld, n_seg=%d)",
                        (long long)o->n, o->n_seg);
    if (o->n_seg == 0) {
        if (o->n != 0)
            return pn_error(PN_EVALUE, "optimizer: arena of %lld floats has no segments",
                            (long long)o->n);
    } else {
        if (!o->seg) return pn_error(PN_EVALUE, "optimizer: segment offsets missing");
        if (o->seg[0] != 0)
            return pn_error(PN_EVALUE, "optimizer: first segment offset must be 0, got %lld",
                            (long long)o->seg[0]);
        for (int s = 0; s < o->n_seg; s++)
            if (o->seg[s + 1] < o->seg[s])
                return pn_error(PN_EVALUE, "optimizer: segment offsets decrease at %d", s);
        if (o->seg[o->n_seg] != o->n)
            return pn_error(PN_EVALUE, "optimizer: segments cover %lld floats, arena has %lld",
                            (long long)o->seg[o->n_seg], (long long)o->n);
    }
    if (o->n > 0)
        for (int i = 0; i < pn_optim_n_state(o); i++)
            if (!o->state[i])
                return pn_error(PN_EVALUE, "optimizer: state array %d (%s) missing", i,
                                pn_optim_state_name(o, i));
    return PN_OK;
}

/* ---------------------------------------------------------------- schedules */

static double cosine_decayed(const pn_schedule *s, double frac)
{
    const double pi = 3.14159265358979323846;
    double cosine = 0.5 * (1.0 + cos(pi * frac));
    return (1.0 - s->alpha) * cosine + s->alpha;
}

double pn_schedule_eval(const pn_schedule *s, double step)
{
    double p, ds = s->decay_steps;
    switch (s->kind) {
    case PN_SCHED_EXPONENTIAL:
        p = step / ds;
        if (s->staircase) p = floor(p);
        return s->initial_lr * pow(s->decay_rate, p);
    case PN_SCHED_PIECEWISE:
        /* values[i] on (boundaries[i-1], boundaries[i]]: boundaries are inclusive on
         * the left interval, as in Keras (step <= boundaries[0] -> values[0]). */
        for (int i = 0; i < s->n_bounds; i++)
            if (step <= s->boundaries[i]) return s->values[i];
        return s->values[s->n_bounds];
    case PN_SCHED_POLYNOMIAL:
        if (s->cycle) {
            /* the first multiple of decay_steps above step; 1 at step 0 */
            double mult = step == 0.0 ? 1.0 : ceil(step / ds);
            ds *= mult;
        } else if (step > ds) {
            step = ds;
        }
        p = step / ds;
        return (s->initial_lr - s->end_lr) * pow(1.0 - p, s->power) + s->end_lr;
    case PN_SCHED_INVERSE_TIME:
        p = step / ds;
        if (s->staircase) p = floor(p);
        return s->initial_lr / (1.0 + s->decay_rate * p);
    case PN_SCHED_COSINE:
        if (!s->has_warmup) {
            if (step > ds) step = ds;
            return s->initial_lr * cosine_decayed(s, step / ds);
        }
        if (step > ds + s->warmup_steps) step = ds + s->warmup_steps;
        if (step < s->warmup_steps)
            return (s->warmup_target - s->initial_lr) * (step / s->warmup_steps) + s->initial_lr;
        return s->warmup_target * cosine_decayed(s, (step - s->warmup_steps) / ds);
    case PN_SCHED_CONSTANT:
    default:
        return s->initial_lr;
    }
}

double pn_optim_lr(const pn_optim *o)
{
    if (o->sched.kind == PN_SCHED_CONSTANT) return o->lr;
    return pn_schedule_eval(&o->sched, (double)o->iterations);
}

/* Nadam's momentum schedule mu_t = beta_1 (1 - 0.5 * 0.96^t). */
static double nadam_u(double beta_1, double t) { return beta_1 * (1.0 - 0.5 * pow(0.96, t)); }

int pn_optim_set_iterations(pn_optim *o, int64_t iterations)
{
    if (iterations < 0)
        return pn_error(PN_EVALUE, "optimizer: `iterations` must be >= 0, got %lld",
                        (long long)iterations);
    o->iterations = iterations;
    /* Keras keeps u_product = prod_{k<=t} mu_k as a variable; it is a function of
     * the step count alone, so rebuild it. 0.96^k is below double epsilon after
     * ~900 steps, from there every factor equals beta_1 exactly. */
    double prod = 1.0;
    int64_t k = 1;
    for (; k <= iterations && k <= 2000; k++) prod *= nadam_u(o->beta_1, (double)k);
    if (k <= iterations) prod *= pow(o->beta_1, (double)(iterations - k + 1));
    o->u_product = prod;
    return PN_OK;
}

/* ---------------------------------------------------------------- the step */

/* Sum of squares in double with four partial sums: deterministic (fixed order
 * independent of threads) and not bound by one add chain's latency. */
static double sumsq(const float *x, int64_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)x[i] * x[i];
        s1 += (double)x[i + 1] * x[i + 1];
        s2 += (double)x[i + 2] * x[i + 2];
        s3 += (double)x[i + 3] * x[i + 3];
    }
    for (; i < n; i++) s0 += (double)x[i] * x[i];
    return (s0 + s1) + (s2 + s3);
}

/* Per-step constants shared by every segment. */
typedef struct {
    float lr, wdlr;           /* learning rate, weight_decay * lr */
    float cv;                 /* clipvalue, +inf when off */
    float c1, c2, c3, c4;     /* kind-specific, see the kernels */
    float eps;
    double lr_d;
} step_consts;

/* The gradient after scale (norm clipping) and clipvalue. With clipvalue off cv
 * is +inf, so the same branch-free select serves both cases and the loops
 * vectorise; comparisons rather than fminf/fmaxf keep a NaN gradient NaN
 * instead of turning it into -clipvalue. */
#if defined(__GNUC__)
#define PN_INLINE static inline __attribute__((always_inline))
#else
#define PN_INLINE static inline
#endif

PN_INLINE float clip_g(float g, float scale, float cv)
{
    g *= scale;
    return g < -cv ? -cv : (g > cv ? cv : g);
}
#define CLIPPED(gv) clip_g((gv), scale, cv)

/* The kernels below take their variant flags as arguments and are force-inlined
 * into call sites with literal flags, so every variant gets its own branch-free
 * (vectorisable) loop. Each handles elements [b, e) of one segment. */

PN_INLINE void k_sgd(const step_consts *k, float *restrict w, const float *restrict g,
                     float *restrict m, int64_t b, int64_t e, float scale, int momentum,
                     int nesterov)
{
    const float lr = k->lr, wdlr = k->wdlr, cv = k->cv, mu = k->c1;
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

/* c1 = rho, c2 = 1 - rho, c3 = momentum */
PN_INLINE void k_rmsprop(const step_consts *k, float *restrict w, const float *restrict g,
                         float *restrict v, float *restrict mom, float *restrict avg, int64_t b,
                         int64_t e, float scale, int use_mom, int centered)
{
    const float lr = k->lr, wdlr = k->wdlr, cv = k->cv, eps = k->eps;
    const float rho = k->c1, omr = k->c2, mu = k->c3;
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

/* c1 = 1 - beta_1, c2 = 1 - beta_2, c3 = alpha = lr sqrt(1 - b2^t) / (1 - b1^t) */
PN_INLINE void k_adam(const step_consts *k, float *restrict w, const float *restrict g,
                      float *restrict m, float *restrict v, float *restrict vhat, int64_t b,
                      int64_t e, float scale, int amsgrad)
{
    const float wdlr = k->wdlr, cv = k->cv, eps = k->eps;
    const float omb1 = k->c1, omb2 = k->c2, alpha = k->c3;
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

PN_INLINE void k_adagrad(const step_consts *k, float *restrict w, const float *restrict g,
                         float *restrict acc, int64_t b, int64_t e, float scale)
{
    const float lr = k->lr, wdlr = k->wdlr, cv = k->cv, eps = k->eps;
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float ai = acc[i] + gi * gi;
        acc[i] = ai;
        w[i] = wi - lr * gi / sqrtf(ai + eps);
    }
}

/* c1 = 1 - beta_1, c2 = beta_2, c3 = lr / (1 - b1^t) */
PN_INLINE void k_adamax(const step_consts *k, float *restrict w, const float *restrict g,
                        float *restrict m, float *restrict u, int64_t b, int64_t e, float scale)
{
    const float wdlr = k->wdlr, cv = k->cv, eps = k->eps;
    const float omb1 = k->c1, b2 = k->c2, a = k->c3;
    for (int64_t i = b; i < e; i++) {
        float gi = CLIPPED(g[i]), wi = w[i];
        wi -= wi * wdlr;
        float mi = m[i] + (gi - m[i]) * omb1;
        float ui = b2 * u[i], ag = fabsf(gi);
        ui = ui > ag ? ui : ag;
        m[i] = mi;
        u[i] = ui;
        w[i] = wi - a * mi / (ui + eps);
    }
}

/* c1 = 1 - beta_1, c2 = 1 - beta_2, c3 = u_{t+1} / (1 - prod_{k<=t+1} u_k),
 * c4 = (1 - u_t) / (1 - prod_{k<=t} u_k); v_hat = v / (1 - beta_2^t) is v * c5. */
PN_INLINE void k_nadam(const step_consts *k, float inv_bc2, float *restrict w,
                       const float *restrict g, float *restrict m, float *restrict v, int64_t b,
                       int64_t e, float scale)
{
    const float lr = k->lr, wdlr = k->wdlr, cv = k->cv, eps = k->eps;
    const float omb1 = k->c1, omb2 = k->c2, cm = k->c3, cg = k->c4;
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

/* NSGD phase 1: the running average v = beta v + (1 - beta) g. */
PN_INLINE void k_nsgd_avg(const step_consts *k, const float *restrict g, float *restrict v,
                          int64_t b, int64_t e, float scale)
{
    const float cv = k->cv, beta = k->c1, omb = k->c2;
    for (int64_t i = b; i < e; i++) v[i] = beta * v[i] + omb * CLIPPED(g[i]);
}

/* NSGD phase 2: w -= a v with a = lr / ||v|| (0 for a zero average). */
PN_INLINE void k_nsgd_step(const step_consts *k, float a, float *restrict w,
                           const float *restrict v, int64_t b, int64_t e)
{
    const float wdlr = k->wdlr;
    for (int64_t i = b; i < e; i++) {
        float wi = w[i];
        wi -= wi * wdlr;
        w[i] = wi - a * v[i];
    }
}

/* One segment's work, split into chunks for the thread pool. Updates are purely
 * elementwise, so the bytes written never depend on how chunks are scheduled. */
typedef struct {
    const pn_optim *o;
    const step_consts *k;
    float *w;
    const float *g;
    float *st[PN_OPTIM_MAX_STATE];
    float scale;
    float nsgd_a;     /* NSGD phase 2 factor */
    int phase;        /* NSGD: 1 average, 2 step */
    float inv_bc2;    /* Nadam */
} seg_job;

/* On x86-64 with GCC the update loop is also cloned for x86-64-v3 (8 floats
 * per AVX op instead of 4) and picked at load time; the portable clone stays
 * the default. fp-contract=off (already implied by the build's -std=c11,
 * stated because it matters here) keeps the AVX clone from fusing a multiply
 * and an add into an FMA, so both clones produce the same bits: an optimizer
 * step does not depend on the CPU it ran on. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=off")))
#endif
static void seg_range(void *ctx, int64_t b, int64_t e)
{
    const seg_job *j = ctx;
    const pn_optim *o = j->o;
    const step_consts *k = j->k;
    float *w = j->w, *const *st = j->st;
    const float *g = j->g;
    const float sc = j->scale;
    switch (o->kind) {
    case PN_OPT_SGD:
        if (o->momentum == 0.0) k_sgd(k, w, g, NULL, b, e, sc, 0, 0);
        else if (o->nesterov) k_sgd(k, w, g, st[0], b, e, sc, 1, 1);
        else k_sgd(k, w, g, st[0], b, e, sc, 1, 0);
        break;
    case PN_OPT_RMSPROP: {
        const int use_mom = o->momentum > 0.0;
        float *mom = use_mom ? st[1] : NULL, *avg = o->centered ? st[use_mom ? 2 : 1] : NULL;
        if (use_mom && o->centered) k_rmsprop(k, w, g, st[0], mom, avg, b, e, sc, 1, 1);
        else if (use_mom) k_rmsprop(k, w, g, st[0], mom, NULL, b, e, sc, 1, 0);
        else if (o->centered) k_rmsprop(k, w, g, st[0], NULL, avg, b, e, sc, 0, 1);
        else k_rmsprop(k, w, g, st[0], NULL, NULL, b, e, sc, 0, 0);
        break;
    }
    case PN_OPT_ADAM:
        if (o->amsgrad) k_adam(k, w, g, st[0], st[1], st[2], b, e, sc, 1);
        else k_adam(k, w, g, st[0], st[1], NULL, b, e, sc, 0);
        break;
    case PN_OPT_ADAGRAD: k_adagrad(k, w, g, st[0], b, e, sc); break;
    case PN_OPT_ADAMAX: k_adamax(k, w, g, st[0], st[1], b, e, sc); break;
    case PN_OPT_NADAM: k_nadam(k, j->inv_bc2, w, g, st[0], st[1], b, e, sc); break;
    case PN_OPT_NSGD:
        if (j->phase == 1) k_nsgd_avg(k, g, st[0], b, e, sc);
        else k_nsgd_step(k, j->nsgd_a, w, st[0], b, e);
        break;
    default: break;
    }
}

/* Below this many floats per chunk the pool's hand-off costs more than it saves. */
#define OPTIM_GRAIN 32768

static void update_segment(const pn_optim *o, const step_consts *k, float *w, const float *g,
                           float *const *st, int64_t n, float scale, float inv_bc2)
{
    seg_job j;
    memset(&j, 0, sizeof j);
    j.o = o;
    j.k = k;
    j.w = w;
    j.g = g;
    for (int i = 0; i < PN_OPTIM_MAX_STATE; i++) j.st[i] = st[i];
    j.scale = scale;
    j.inv_bc2 = inv_bc2;
    j.phase = 1;
    pn_parallel_for(n, OPTIM_GRAIN, seg_range, &j);
    if (o->kind == PN_OPT_NSGD) {
        /* A zero average (e.g. all-zero gradients) leaves w alone (only decayed)
         * rather than dividing by zero. */
        double norm = sqrt(sumsq(st[0], n));
        j.nsgd_a = norm > 0.0 ? (float)(k->lr_d / norm) : 0.0f;
        j.phase = 2;
        pn_parallel_for(n, OPTIM_GRAIN, seg_range, &j);
    }
}

static int step_impl(pn_optim *o, float *w_arena, const float *g_arena, float *const *wl,
                     const float *const *gl)
{
    int rc = pn_optim_validate(o);
    if (rc) return rc;
    if (wl ? !gl : (o->n > 0 && (!w_arena || !g_arena)))
        return pn_error(PN_EVALUE, "optimizer step: NULL parameter or gradient buffer");

    const double lr = pn_optim_lr(o);
    const double t = (double)o->iterations + 1.0;
    if (!isfinite(lr) || lr < 0.0)
        return pn_error(PN_EVALUE, "optimizer step: learning rate schedule gave %g at step %lld",
                        lr, (long long)o->iterations);

    step_consts k;
    memset(&k, 0, sizeof k);
    k.lr = (float)lr;
    k.lr_d = lr;
    k.wdlr = (float)(o->weight_decay * lr);
    k.cv = o->clipvalue > 0.0 ? (float)o->clipvalue : INFINITY;
    k.eps = (float)o->epsilon;
    double new_u_product = o->u_product;
    float inv_bc2 = 1.0f;
    switch (o->kind) {
    case PN_OPT_SGD: k.c1 = (float)o->momentum; break;
    case PN_OPT_RMSPROP:
        k.c1 = (float)o->rho;
        k.c2 = (float)(1.0 - o->rho);
        k.c3 = (float)o->momentum;
        break;
    case PN_OPT_ADAM:
        k.c1 = (float)(1.0 - o->beta_1);
        k.c2 = (float)(1.0 - o->beta_2);
        k.c3 = (float)(lr * sqrt(1.0 - pow(o->beta_2, t)) / (1.0 - pow(o->beta_1, t)));
        break;
    case PN_OPT_ADAMAX:
        k.c1 = (float)(1.0 - o->beta_1);
        k.c2 = (float)o->beta_2;
        k.c3 = (float)(lr / (1.0 - pow(o->beta_1, t)));
        break;
    case PN_OPT_NADAM: {
        double u_t = nadam_u(o->beta_1, t), u_t1 = nadam_u(o->beta_1, t + 1.0);
        double prod_t = o->u_product * u_t, prod_t1 = prod_t * u_t1;
        k.c1 = (float)(1.0 - o->beta_1);
        k.c2 = (float)(1.0 - o->beta_2);
        k.c3 = (float)(u_t1 / (1.0 - prod_t1));
        k.c4 = (float)((1.0 - u_t) / (1.0 - prod_t));
        inv_bc2 = (float)(1.0 / (1.0 - pow(o->beta_2, t)));
        new_u_product = prod_t;
        break;
    }
    case PN_OPT_NSGD:
        k.c1 = (float)o->beta;
        k.c2 = (float)(1.0 - o->beta);
        break;
    default: break;
    }

    const int n_state = pn_optim_n_state(o);
    float gscale = 1.0f;
    if (o->global_clipnorm > 0.0) {
        double ss = 0.0;
        for (int s = 0; s < o->n_seg; s++) {
            const float *g = gl ? gl[s] : g_arena + o->seg[s];
            if (g && (!wl || wl[s])) ss += sumsq(g, o->seg[s + 1] - o->seg[s]);
        }
        double norm = sqrt(ss);
        if (norm > o->global_clipnorm) gscale = (float)(o->global_clipnorm / norm);
    }

    for (int s = 0; s < o->n_seg; s++) {
        int64_t off = o->seg[s], len = o->seg[s + 1] - off;
        float *w = wl ? wl[s] : w_arena + off;
        const float *g = gl ? gl[s] : g_arena + off;
        if (len == 0 || !w || !g) continue;
        float *st[PN_OPTIM_MAX_STATE] = {NULL, NULL, NULL};
        for (int i = 0; i < n_state; i++) st[i] = o->state[i] + off;
        float scale = gscale;
        if (o->clipnorm > 0.0) {
            /* Keras: g * c / max(||g||, c); ||g|| = 0 leaves g as is. */
            double norm = sqrt(sumsq(g, len));
            scale = (float)(o->clipnorm / (norm > o->clipnorm ? norm : o->clipnorm));
        }
        update_segment(o, &k, w, g, st, len, scale, inv_bc2);
    }

    o->u_product = new_u_product;
    o->last_lr = lr;
    o->iterations++;
    return PN_OK;
}

int pn_optim_step(pn_optim *o, float *w, const float *g) { return step_impl(o, w, g, NULL, NULL); }

int pn_optim_step_list(pn_optim *o, float *const *w, const float *const *g)
{
    if (!w || !g) return pn_error(PN_EVALUE, "optimizer step: NULL parameter or gradient list");
    return step_impl(o, NULL, NULL, w, g);
}
