/* optim.h - the optimizers of the pynn engine: one flat loop over a parameter arena.
 *
 * Every optimizer follows the Keras 3 update order exactly:
 *   lr = schedule(iterations)            (before the increment, as Keras does)
 *   g  = clip(g)                         (clipnorm per tensor | global_clipnorm | clipvalue)
 *   w -= w * weight_decay * lr           (decoupled decay, any optimizer)
 *   update w and the state with t = iterations + 1
 *   iterations += 1
 *
 * The host owns all memory: the state arrays (n floats each, n_state() of them, laid
 * out like the parameter arena), the segment offsets and the piecewise-schedule
 * tables. pn_optim_step never allocates, so it can run inside the compiled training
 * loop with the GIL released. The caller guarantees that w and g hold o->n floats
 * (the step cannot see their length). Large segments are split over the
 * pn_parallel_for pool; the updates are elementwise and norms are summed serially,
 * so results are bit-identical for any thread count.
 *
 * Segments are the tensor boundaries inside the arena: seg[0] = 0 < ... <= seg[n_seg]
 * = n (empty segments are allowed). They matter for clipnorm (per tensor) and for
 * normalized SGD (per-tensor normalisation); every other formula is elementwise.
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
    PN_OPT_SGD = 0,      /* momentum, nesterov */
    PN_OPT_RMSPROP = 1,  /* rho, momentum, epsilon, centered */
    PN_OPT_ADAM = 2,     /* beta_1, beta_2, epsilon, amsgrad (AdamW = Adam + weight_decay) */
    PN_OPT_ADAGRAD = 3,  /* initial_accumulator_value, epsilon */
    PN_OPT_ADAMAX = 4,   /* beta_1, beta_2, epsilon */
    PN_OPT_NADAM = 5,    /* beta_1, beta_2, epsilon */
    PN_OPT_NSGD = 6,     /* normalized SGD with momentum: beta (Cutkosky & Mehta 2020) */
    PN_OPT_N_KINDS = 7
} pn_optim_kind;

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

typedef struct pn_optim {
    int kind;                   /* pn_optim_kind */
    double lr;                  /* learning rate when sched.kind == PN_SCHED_CONSTANT */
    pn_schedule sched;

    /* hyper-parameters (only those of kind are read) */
    double momentum;            /* SGD, RMSprop */
    int nesterov;               /* SGD */
    double rho;                 /* RMSprop */
    int centered;               /* RMSprop */
    double beta_1, beta_2;      /* Adam, Adamax, Nadam */
    int amsgrad;                /* Adam */
    double epsilon;             /* RMSprop, Adam, Adagrad, Adamax, Nadam */
    double initial_accumulator_value; /* Adagrad: initial state value (host fills) */
    double beta;                /* NSGD momentum of the running average */

    /* common options; 0 means off */
    double weight_decay;
    double clipnorm, clipvalue, global_clipnorm;  /* at most one may be > 0 */

    int64_t iterations;         /* steps taken; t = iterations + 1 in the formulas */
    double u_product;           /* Nadam's running product of momentum schedule
                                   values; keep consistent via pn_optim_set_iterations */

    int64_t n;                  /* floats in the arena */
    int n_seg;
    const int64_t *seg;         /* n_seg + 1 offsets, host-owned */
    float *state[PN_OPTIM_MAX_STATE]; /* pn_optim_n_state() arrays of n floats, host-owned */

    double last_lr;             /* learning rate used by the last step (for logs) */
} pn_optim;

/* Fills o with the Keras defaults of kind (learning rate included, no schedule,
 * no clipping, no weight decay, iterations 0). Arena fields are left empty. */
int pn_optim_init(pn_optim *o, int kind);

/* Checks hyper-parameters, schedule, segments and state pointers; the message
 * names the offending argument. pn_optim_step calls it too. */
int pn_optim_validate(const pn_optim *o);

/* Number of state arrays the configuration needs (0..PN_OPTIM_MAX_STATE), their
 * Keras names ("momentum", "velocity", ...) and initial values. */
int pn_optim_n_state(const pn_optim *o);
const char *pn_optim_state_name(const pn_optim *o, int i);
double pn_optim_state_init(const pn_optim *o, int i);

/* Name of a kind ("sgd", "adam", ...) or NULL. */
const char *pn_optim_kind_name(int kind);

/* Learning rate a step taken now would use: the schedule at o->iterations. */
double pn_optim_lr(const pn_optim *o);
/* A schedule's value at step (Keras formulas). */
double pn_schedule_eval(const pn_schedule *s, double step);
int pn_schedule_validate(const pn_schedule *s);

/* Sets iterations and the state derived from it (Nadam's u_product), e.g. when
 * training resumes from a checkpoint. Fails on negative values. */
int pn_optim_set_iterations(pn_optim *o, int64_t iterations);

/* One step over the whole arena: w and g hold o->n floats laid out by o->seg. */
int pn_optim_step(pn_optim *o, float *w, const float *g);

/* The same step where segment s lives at w[s] / g[s] (o->seg[s+1] - o->seg[s]
 * floats each) instead of inside one arena; the state stays in the arena layout.
 * A NULL w[s] or g[s] skips that segment (no gradient this step): it is neither
 * clipped, counted in the global norm, decayed nor updated. Used by the eager
 * mode, where parameters are separate arrays. */
int pn_optim_step_list(pn_optim *o, float *const *w, const float *const *g);

#ifdef __cplusplus
}
#endif
#endif
