/* optim.c - the generic optimizer driver: the table lookup, hyper-parameters by
 * name, schedules, clipping, the weight-decay factor, gradient accumulation and
 * iteration counting around the entries of csrc/core/optim/ (one file per
 * optimizer). Nothing here names an optimizer.
 *
 * Formulas and update order are those of Keras 3 (keras/src/optimizers/, one file
 * per optimizer); see optim.h for the order. Per-step scalars (learning rate, bias
 * corrections, norms) are computed in double: Keras casts beta_2 = 0.999 to
 * float32 before forming 1 - beta_2, which alone moves Adam's second moment by
 * ~1e-5 relative; doing the scalar algebra in double keeps us on the exact formula
 * while the per-element work stays float32 and vectorisable.
 */
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optim/kernel.h"
#include "pn.h"

/* ---------------------------------------------------------------- the table */

/* One line per optimizer in optim/list.h: PN_OPTIM(sgd) names `pn_optim_sgd`. */
#define PN_OPTIM(x) extern const pn_optim_def pn_optim_##x;
#include "optim/list.h"
#undef PN_OPTIM

static const pn_optim_def *const table[] = {
#define PN_OPTIM(x) &pn_optim_##x,
#include "optim/list.h"
#undef PN_OPTIM
};
#define N_TABLE ((int)(sizeof table / sizeof table[0]))

int pn_optim_count(void) { return N_TABLE; }

const char *pn_optim_name_at(int i) { return (i >= 0 && i < N_TABLE) ? table[i]->name : NULL; }

const pn_optim_def *pn_optim_find(const char *name)
{
    for (int i = 0; name && i < N_TABLE; i++)
        if (!strcmp(name, table[i]->name)) return table[i];
    return NULL;
}

int pn_optim_n_hyper(const pn_optim_def *d) { return d ? d->n_hyper : 0; }

const pn_hyper_spec *pn_optim_hyper_at(const pn_optim_def *d, int i)
{
    return (d && i >= 0 && i < d->n_hyper) ? &d->hyper[i] : NULL;
}

const char *pn_optim_name(const pn_optim *o) { return o && o->def ? o->def->name : NULL; }

int pn_optim_init(pn_optim *o, const char *name)
{
    if (!o) return pn_error(PN_EVALUE, "optimizer: NULL handle");
    const pn_optim_def *d = pn_optim_find(name);
    if (!d) {
        char known[512];
        size_t len = 0;
        known[0] = 0;
        for (int i = 0; i < N_TABLE && len + 16 < sizeof known; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", table[i]->name);
        return pn_error(PN_EVALUE, "unknown optimizer kind '%s' (known: %s)", name ? name : "(null)", known);
    }
    memset(o, 0, sizeof *o);
    o->def = d;
    o->lr = d->default_lr;
    o->sched.kind = PN_SCHED_CONSTANT;
    o->ema_momentum = 0.99;
    for (int i = 0; i < d->n_hyper; i++) o->hyper[i] = d->hyper[i].def;
    if (d->set_updates) d->set_updates(o, 0);
    return PN_OK;
}

/* The common options every optimizer takes, by Keras name. */
static double *common_slot(pn_optim *o, const char *name)
{
    if (!strcmp(name, "learning_rate")) return &o->lr;
    if (!strcmp(name, "weight_decay")) return &o->weight_decay;
    if (!strcmp(name, "clipnorm")) return &o->clipnorm;
    if (!strcmp(name, "clipvalue")) return &o->clipvalue;
    if (!strcmp(name, "global_clipnorm")) return &o->global_clipnorm;
    return NULL;
}

static int hyper_index(const pn_optim *o, const char *name)
{
    for (int i = 0; i < o->def->n_hyper; i++)
        if (!strcmp(name, o->def->hyper[i].name)) return i;
    return -1;
}

int pn_optim_hyper_type(const pn_optim *o, const char *name)
{
    if (!o || !o->def || !name) return -1;
    int i = hyper_index(o, name);
    if (i >= 0) return o->def->hyper[i].type;
    if (!strcmp(name, "gradient_accumulation_steps")) return PN_HP_FLOAT;
    if (!strcmp(name, "use_ema")) return PN_HP_BOOL;
    if (!strcmp(name, "ema_momentum") || !strcmp(name, "ema_overwrite_frequency")) return PN_HP_FLOAT;
    return common_slot((pn_optim *)o, name) ? PN_HP_FLOAT : -1;
}

int pn_optim_set(pn_optim *o, const char *name, double value)
{
    if (!o || !o->def || !name) return pn_error(PN_EVALUE, "optimizer: NULL handle or name");
    int i = hyper_index(o, name);
    if (i >= 0) {
        if (o->def->hyper[i].type == PN_HP_BOOL && value != 0.0 && value != 1.0)
            return pn_error(PN_EVALUE, "%s: `%s` must be a bool, got %g", o->def->name, name, value);
        o->hyper[i] = value;
        return PN_OK;
    }
    if (!strcmp(name, "gradient_accumulation_steps")) {
        /* Keras: None/0 means off, otherwise an integer >= 2 */
        if (!isfinite(value) || value != floor(value) || (value != 0.0 && value < 2.0) || value > 1e15)
            return pn_error(PN_EVALUE,
                            "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                            "gradient_accumulation_steps=%g", value);
        o->accum_steps = (int64_t)value;
        return PN_OK;
    }
    if (!strcmp(name, "use_ema")) {
        if (value != 0.0 && value != 1.0)
            return pn_error(PN_EVALUE, "%s: `use_ema` must be a bool, got %g", o->def->name, value);
        o->use_ema = value != 0.0;
        return PN_OK;
    }
    if (!strcmp(name, "ema_momentum")) {
        o->ema_momentum = value;
        return PN_OK;
    }
    if (!strcmp(name, "ema_overwrite_frequency")) {
        /* Keras: None (0 here) or an integer >= 1 */
        if (!isfinite(value) || value != floor(value) || value < 0.0 || value > 1e15)
            return pn_error(PN_EVALUE, "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                            "Received: ema_overwrite_frequency=%g", value);
        o->ema_overwrite = (int64_t)value;
        return PN_OK;
    }
    double *slot = common_slot(o, name);
    if (!slot) {
        char known[512];
        size_t len = 0;
        known[0] = 0;
        for (int k = 0; k < o->def->n_hyper && len + 40 < sizeof known; k++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s, ", o->def->hyper[k].name);
        return pn_error(PN_ETYPE,
                        "%s: unexpected keyword argument '%s' (it takes %slearning_rate, weight_decay, clipnorm, "
                        "clipvalue, global_clipnorm, gradient_accumulation_steps, use_ema, ema_momentum, "
                        "ema_overwrite_frequency)",
                        o->def->name, name, known);
    }
    *slot = value;
    return PN_OK;
}

/* ---------------------------------------------------------------- state layout */

int pn_optim_n_state(const pn_optim *o) { return o && o->def ? o->def->n_state(o) : 0; }

/* Slot order follows the order in which Keras creates the variables, so that a
 * state list lines up with keras' optimizer.variables. */
const char *pn_optim_state_name(const pn_optim *o, int i)
{
    if (i < 0 || i >= pn_optim_n_state(o)) return NULL;
    return o->def->state_name(o, i);
}

double pn_optim_state_init(const pn_optim *o, int i)
{
    return o->def->state_init ? o->def->state_init(o, i) : 0.0;
}

int pn_optim_needs_dims(const pn_optim *o) { return o && o->def && o->def->needs_dims; }

/* ---------------------------------------------------------------- validation */

int pn_optim_check_range(const char *name, double v, double lo, double hi, int hi_open)
{
    if (!isfinite(v) || v < lo || (hi_open ? v >= hi : v > hi))
        return pn_error(PN_EVALUE, "optimizer: `%s` must be in [%g, %g%s, got %g", name, lo, hi,
                        hi_open ? ")" : "]", v);
    return PN_OK;
}

int pn_optim_check_nonneg(const char *name, double v)
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
        if ((rc = pn_optim_check_range("alpha", s->alpha, 0.0, 1.0, 0))) return rc;
        if (s->has_warmup) {
            if (!isfinite(s->warmup_target))
                return pn_error(PN_EVALUE, "CosineDecay: `warmup_target` must be finite");
            if ((rc = pn_optim_check_nonneg("warmup_steps", s->warmup_steps))) return rc;
        }
        break;
    default: break;
    }
    return PN_OK;
}

int pn_optim_validate(const pn_optim *o)
{
    int rc;
    if (!o || !o->def) return pn_error(PN_EVALUE, "optimizer: NULL handle");
    if (o->sched.kind == PN_SCHED_CONSTANT) {
        if ((rc = pn_optim_check_nonneg("learning_rate", o->lr))) return rc;
    } else if ((rc = pn_schedule_validate(&o->sched))) {
        return rc;
    }
    if (o->def->validate && (rc = o->def->validate(o))) return rc;
    if ((rc = pn_optim_check_nonneg("weight_decay", o->weight_decay))) return rc;
    if ((rc = pn_optim_check_nonneg("clipnorm", o->clipnorm))) return rc;
    if ((rc = pn_optim_check_nonneg("clipvalue", o->clipvalue))) return rc;
    if ((rc = pn_optim_check_nonneg("global_clipnorm", o->global_clipnorm))) return rc;
    if ((o->clipnorm > 0) + (o->clipvalue > 0) + (o->global_clipnorm > 0) > 1)
        return pn_error(PN_EVALUE,
                        "optimizer: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can "
                        "be set. Received: clipnorm=%g, clipvalue=%g, global_clipnorm=%g",
                        o->clipnorm, o->clipvalue, o->global_clipnorm);
    if (o->accum_steps < 0 || o->accum_steps == 1)
        return pn_error(PN_EVALUE, "`gradient_accumulation_steps` must be an integer >= 2, got %lld",
                        (long long)o->accum_steps);
    if ((rc = pn_optim_ema_validate(o))) return rc;
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
        if (o->def->needs_dims) {
            if (!o->seg_dims)
                return pn_error(PN_EVALUE, "%s needs the shapes of the tensors, not only their sizes",
                                o->def->name);
            for (int s = 0; s < o->n_seg; s++) {
                int64_t r = o->seg_dims[2 * s], c = o->seg_dims[2 * s + 1], len = o->seg[s + 1] - o->seg[s];
                if (r < 0 || c < 0 || (r > 0 && len > 0 && (c == 0 || len % (r * c) != 0)))
                    return pn_error(PN_EVALUE, "optimizer: tensor %d of %lld floats cannot have last axes "
                                    "(%lld, %lld)", s, (long long)len, (long long)r, (long long)c);
            }
        }
    }
    if (o->n > 0) {
        for (int i = 0; i < pn_optim_n_state(o); i++)
            if (!o->state[i])
                return pn_error(PN_EVALUE, "optimizer: state array %d (%s) missing", i,
                                pn_optim_state_name(o, i));
        if (o->accum_steps >= 2 && !o->accum)
            return pn_error(PN_EVALUE, "optimizer: gradient accumulator missing");
        if (o->use_ema && !o->ema)
            return pn_error(PN_EVALUE, "optimizer: moving-average (use_ema) array missing");
    }
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

int64_t pn_optim_updates(const pn_optim *o)
{
    return o->accum_steps >= 2 ? o->iterations / o->accum_steps : o->iterations;
}

int pn_optim_set_iterations(pn_optim *o, int64_t iterations)
{
    if (iterations < 0)
        return pn_error(PN_EVALUE, "optimizer: `iterations` must be >= 0, got %lld",
                        (long long)iterations);
    o->iterations = iterations;
    if (o->def && o->def->set_updates) o->def->set_updates(o, pn_optim_updates(o));
    return PN_OK;
}

/* ---------------------------------------------------------------- the step */

/* Sum of squares in double with four partial sums: deterministic (fixed order
 * independent of threads) and not bound by one add chain's latency. */
double pn_optim_sumsq(const float *x, int64_t n)
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

/* Gradient accumulation (Keras' _backend_apply_gradients): acc = g + acc on the
 * calls in between; on the N-th, acc = (g + acc) / N becomes the gradient the
 * update sees, and the accumulator is zeroed after the update. */
typedef struct {
    float *acc;
    const float *g;
    float steps;      /* Keras divides by N (not a multiply by 1/N): so do we */
    int average;
} accum_job;

static void accum_range(void *ctx, int64_t b, int64_t e)
{
    const accum_job *j = ctx;
    float *restrict acc = j->acc;
    const float *restrict g = j->g;
    if (j->average) {
        const float steps = j->steps;
        for (int64_t i = b; i < e; i++) acc[i] = (g[i] + acc[i]) / steps;
    } else {
        for (int64_t i = b; i < e; i++) acc[i] = g[i] + acc[i];
    }
}

static void accumulate(float *acc, const float *g, int64_t n, int average, float steps)
{
    accum_job j = {acc, g, steps, average};
    pn_parallel_for(n, PN_OPTIM_GRAIN, accum_range, &j);
}

static int step_impl(pn_optim *o, float *w_arena, const float *g_arena, float *const *wl,
                     const float *const *gl)
{
    int rc = pn_optim_validate(o);
    if (rc) return rc;
    if (o->n > 0 && ((!wl && !w_arena) || (!gl && !g_arena)))
        return pn_error(PN_EVALUE, "optimizer step: NULL parameter or gradient buffer");

    const double lr = pn_optim_lr(o);
    if (!isfinite(lr) || lr < 0.0)
        return pn_error(PN_EVALUE, "optimizer step: learning rate schedule gave %g at step %lld",
                        lr, (long long)o->iterations);

    if (o->accum_steps >= 2) {
        const int update = (o->iterations + 1) % o->accum_steps == 0;
        for (int s = 0; s < o->n_seg; s++) {
            int64_t off = o->seg[s], len = o->seg[s + 1] - off;
            const float *g = gl ? gl[s] : g_arena + off;
            if (len == 0 || !g || (wl && !wl[s])) continue;
            accumulate(o->accum + off, g, len, update, (float)o->accum_steps);
        }
        if (!update) {
            pn_optim_ema_update(o, w_arena, wl);
            o->iterations++;
            return PN_OK;
        }
    }

    pn_optim_ctx k;
    memset(&k, 0, sizeof k);
    k.lr = lr;
    k.t = (double)pn_optim_updates(o) + 1.0;
    k.lr_f = (float)lr;
    k.wdlr = (float)(o->weight_decay * lr);
    k.cv = o->clipvalue > 0.0 ? (float)o->clipvalue : INFINITY;
    if (o->def->prepare && (rc = o->def->prepare(o, &k))) return rc;

    /* With accumulation the averaged gradient lives in the accumulator (arena layout). */
    const float *g_src = o->accum_steps >= 2 ? o->accum : g_arena;
    const int g_listed = gl && o->accum_steps < 2;

    const int n_state = pn_optim_n_state(o);
    float gscale = 1.0f;
    if (o->global_clipnorm > 0.0) {
        double ss = 0.0;
        for (int s = 0; s < o->n_seg; s++) {
            int present = !gl || (gl[s] && (!wl || wl[s]));
            const float *g = g_listed ? gl[s] : g_src + o->seg[s];
            if (present) ss += pn_optim_sumsq(g, o->seg[s + 1] - o->seg[s]);
        }
        double norm = sqrt(ss);
        if (norm > o->global_clipnorm) gscale = (float)(o->global_clipnorm / norm);
    }

    for (int s = 0; s < o->n_seg; s++) {
        int64_t off = o->seg[s], len = o->seg[s + 1] - off;
        float *w = wl ? wl[s] : w_arena + off;
        if (len == 0 || !w || (gl && !gl[s])) continue;
        const float *g = g_listed ? gl[s] : g_src + off;
        float *st[PN_OPTIM_MAX_STATE] = {NULL, NULL, NULL};
        for (int i = 0; i < n_state; i++) st[i] = o->state[i] + off;
        float scale = gscale;
        if (o->clipnorm > 0.0) {
            /* Keras: g * c / max(||g||, c); ||g|| = 0 leaves g as is. */
            double norm = sqrt(pn_optim_sumsq(g, len));
            scale = (float)(o->clipnorm / (norm > o->clipnorm ? norm : o->clipnorm));
        }
        o->def->update(o, &k, s, w, g, st, len, scale);
    }

    if (o->accum_steps >= 2 && o->n > 0) memset(o->accum, 0, (size_t)o->n * sizeof(float));
    if (o->def->finish) o->def->finish(o, &k);
    pn_optim_ema_update(o, w_arena, wl);
    o->last_lr = lr;
    o->iterations++;
    return PN_OK;
}

int pn_optim_step(pn_optim *o, float *w, const float *g) { return step_impl(o, w, g, NULL, NULL); }

int pn_optim_step_table(pn_optim *o, const float *g)
{
    if (!o->w_table && o->n_seg > 0)
        return pn_error(PN_EVALUE, "optimizer step: no weight table is bound");
    return step_impl(o, NULL, g, o->w_table, NULL);
}

int pn_optim_step_list(pn_optim *o, float *const *w, const float *const *g)
{
    if (!w || !g) return pn_error(PN_EVALUE, "optimizer step: NULL parameter or gradient list");
    return step_impl(o, NULL, NULL, w, g);
}
