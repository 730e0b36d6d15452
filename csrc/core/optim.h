/* optim.h - the optimizers of the pynn engine: one flat loop per segment of a
 * parameter arena or of a model's weight table.
 *
 * Every optimizer is one entry of a table (csrc/core/optim/, one file each, listed
 * in optim/list.h); this header is the generic driver around them. The driver
 * follows the Keras 3 update order exactly:
 *   lr = schedule(iterations)            (before the increment, as Keras does)
 *   [gradient accumulation: add g to the accumulator and stop here, except every
 *    N-th call, which continues with g = (g + accumulator) / N]
 *   g  = clip(g)                         (clipnorm per tensor | global_clipnorm | clipvalue)
 *   w -= w * weight_decay * lr           (decoupled decay, any optimizer)
 *   update w and the state with t = iterations / N + 1 (the entry's kernel)
 *   [use_ema: ema = m * ema + (1 - m) * w, also on accumulating calls; every
 *    ema_overwrite_frequency-th update, w = ema]
 *   iterations += 1
 *
 * The host owns all memory: the state arrays (n floats each, n_state() of them, laid
 * out like the parameter arena), the accumulator, the segment offsets and the
 * piecewise-schedule tables. pn_optim_step never allocates, so it can run inside the
 * compiled training loop with the GIL released. The caller guarantees that w and g
 * hold o->n floats (the step cannot see their length). Large segments are split over
 * the pn_parallel_for pool; the updates are elementwise and norms are summed
 * serially, so results are bit-identical for any thread count.
 *
 * Segments are the tensor boundaries inside the arena: seg[0] = 0 < ... <= seg[n_seg]
 * = n (empty segments are allowed). They matter for clipnorm (per tensor) and for the
 * optimizers whose formula works per tensor (NSGD, Lamb, Adafactor).
 *
 * A model's weights are not one arena: each Variable keeps the memory it was born
 * with, so a model steps them through its weight table (w_table: segment s at
 * w_table[s], pn_optim_step_table), while the gradient, the state and the
 * accumulator are contiguous arenas indexed by the segment offsets.
 *
 * Scalars (learning rate, bias corrections, norms) are computed in double; the
 * elementwise arithmetic is float32, like Keras.
 */
#ifndef PN_OPTIM_H
#define PN_OPTIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PN_SCHED_CONSTANT = 0,
    PN_SCHED_EXPONENTIAL = 1,   /* initial_lr, decay_steps, decay_rate, staircase */
    PN_SCHED_PIECEWISE = 2,     /* n_bounds, boundaries[n_bounds], values[n_bounds + 1] */
    PN_SCHED_POLYNOMIAL = 3,    /* initial_lr, decay_steps, end_lr, power, cycle */
    PN_SCHED_INVERSE_TIME = 4,  /* initial_lr, decay_steps, decay_rate, staircase */
    PN_SCHED_COSINE = 5,        /* initial_lr, decay_steps, alpha, warmup (target, steps) */
    PN_SCHED_N_KINDS = 6
} pn_schedule_kind;

typedef struct pn_schedule {
    int kind;                   /* pn_schedule_kind */
    double initial_lr;
    double decay_steps;
    double decay_rate;
    double end_lr;
    double power;
    double alpha;
    double warmup_target;       /* used only when has_warmup */
    double warmup_steps;
    int staircase, cycle, has_warmup;
    int n_bounds;               /* piecewise: host-owned tables */
    const double *boundaries;   /* n_bounds, strictly increasing */
    const double *values;       /* n_bounds + 1 */
} pn_schedule;

#define PN_OPTIM_MAX_STATE 3
#define PN_OPTIM_MAX_HYPER 8

/* Types of a hyper-parameter in an optimizer's schema. */
typedef enum { PN_HP_FLOAT = 0, PN_HP_BOOL = 1 } pn_hyper_type;

typedef struct pn_hyper_spec {
    const char *name;           /* the Keras argument name */
    int type;                   /* pn_hyper_type */
    double def;                 /* Keras default */
} pn_hyper_spec;

struct pn_optim_def;            /* one table entry: optim/kernel.h */

typedef struct pn_optim {
    const struct pn_optim_def *def;
    double hyper[PN_OPTIM_MAX_HYPER]; /* in the entry's schema order; read only by its file */
    double lr;                  /* learning rate when sched.kind == PN_SCHED_CONSTANT */
    pn_schedule sched;

    /* common options; 0 means off */
    double weight_decay;
    double clipnorm, clipvalue, global_clipnorm;  /* at most one may be > 0 */
    int64_t accum_steps;        /* gradient_accumulation_steps: 0 = off, else >= 2 */

    int64_t iterations;         /* calls to step (Keras' `_iterations`: with accumulation
                                   it counts every call, updates happen every accum_steps) */
    double scalar[2];           /* an entry's scalar state (Nadam's momentum product);
                                   kept consistent by pn_optim_set_iterations */

    int64_t n;                  /* floats in the arena */
    int n_seg;
    const int64_t *seg;         /* n_seg + 1 offsets, host-owned */
    const int64_t *seg_dims;    /* optional, 2 per segment: the last two axes of the tensor
                                   (rows, cols), rows = 0 below rank 2 (Adafactor needs it) */
    float *state[PN_OPTIM_MAX_STATE]; /* pn_optim_n_state() arrays of n floats, host-owned */
    float *accum;               /* n floats when accum_steps >= 2, host-owned, starts at 0 */
    /* Keras' use_ema (optim_ema.c): after every call, ema = m * ema + (1 - m) * w with
       m = ema_momentum except 0 before the first update; every ema_overwrite-th update
       (0 = never) copies ema into the weights */
    int use_ema;
    double ema_momentum;        /* in [0, 1], Keras' default 0.99 */
    int64_t ema_overwrite;      /* ema_overwrite_frequency: 0 = None, else >= 1 */
    float *ema;                 /* n floats when use_ema, host-owned, starts at 0 */
    float *const *w_table;      /* the weight table: n_seg pointers, segment s of the
                                   weights at w_table[s] (host-owned), or NULL */

    double last_lr;             /* learning rate used by the last step (for logs) */
} pn_optim;

/* The table: number of optimizers, the i-th name, lookup by name (NULL if none). */
int pn_optim_count(void);
const char *pn_optim_name_at(int i);
const struct pn_optim_def *pn_optim_find(const char *name);

/* An entry's hyper-parameter schema (Keras names, types, defaults). */
int pn_optim_n_hyper(const struct pn_optim_def *d);
const pn_hyper_spec *pn_optim_hyper_at(const struct pn_optim_def *d, int i);

/* Fills o with the Keras defaults of the named optimizer (learning rate included, no
 * schedule, no clipping, no weight decay, no accumulation, iterations 0). Arena
 * fields are left empty. Fails on an unknown name. */
int pn_optim_init(pn_optim *o, const char *name);
const char *pn_optim_name(const pn_optim *o);

/* Sets a hyper-parameter of the entry's schema or a common option (learning_rate,
 * weight_decay, clipnorm, clipvalue, global_clipnorm, gradient_accumulation_steps,
 * use_ema, ema_momentum, ema_overwrite_frequency)
 * by name. Unknown names fail with a message listing the known ones; ranges are
 * checked by pn_optim_validate. pn_optim_hyper_type gives the pn_hyper_type of a
 * name, or -1 if the optimizer has no such argument. */
int pn_optim_hyper_type(const pn_optim *o, const char *name);
int pn_optim_set(pn_optim *o, const char *name, double value);

/* Checks hyper-parameters, schedule, segments and state pointers; the message
 * names the offending argument. pn_optim_step calls it too. */
int pn_optim_validate(const pn_optim *o);

/* Number of state arrays the configuration needs (0..PN_OPTIM_MAX_STATE), their
 * Keras names ("momentum", "velocity", ...) and initial values. The accumulator of
 * gradient accumulation is not one of them (o->accum). */
int pn_optim_n_state(const pn_optim *o);
const char *pn_optim_state_name(const pn_optim *o, int i);
double pn_optim_state_init(const pn_optim *o, int i);
/* Nonzero if the entry reads o->seg_dims. */
int pn_optim_needs_dims(const pn_optim *o);

/* Learning rate a step taken now would use: the schedule at o->iterations. */
double pn_optim_lr(const pn_optim *o);
/* Updates applied so far: iterations / accum_steps (Keras' `optimizer.iterations`). */
int64_t pn_optim_updates(const pn_optim *o);
/* A schedule's value at step (Keras formulas). */
double pn_schedule_eval(const pn_schedule *s, double step);
int pn_schedule_validate(const pn_schedule *s);

/* Sets iterations and the scalar state derived from it (Nadam's momentum product),
 * e.g. when training resumes from a checkpoint. Fails on negative values. */
int pn_optim_set_iterations(pn_optim *o, int64_t iterations);

/* One step over the whole arena: w and g hold o->n floats laid out by o->seg. */
int pn_optim_step(pn_optim *o, float *w, const float *g);

/* One step of the weights in o->w_table (the compiled loop's form): g is the
 * gradient arena of o->n floats, segment s of it at g + o->seg[s]. The same bits
 * as pn_optim_step on an arena holding the same values. */
int pn_optim_step_table(pn_optim *o, const float *g);

/* The same step where segment s lives at w[s] / g[s] (o->seg[s+1] - o->seg[s]
 * floats each) instead of inside one arena; the state stays in the arena layout.
 * A NULL w[s] or g[s] skips that segment (no gradient this step): it is neither
 * clipped, counted in the global norm, accumulated, decayed nor updated. Used by
 * the eager mode, where parameters are separate arrays. */
int pn_optim_step_list(pn_optim *o, float *const *w, const float *const *g);
/* The exponential moving average of the weights after a step (optim_ema.c); the
 * step calls it. w_arena, or wl (segment s at wl[s], NULL skips it). */
void pn_optim_ema_update(pn_optim *o, float *w_arena, float *const *wl);
/* Checks use_ema, ema_momentum and ema_overwrite_frequency as Keras does. */
int pn_optim_ema_validate(const pn_optim *o);

#ifdef __cplusplus
}
#endif
#endif
