/* optim/kernel.h - what an optimizer file implements: its table entry.
 *
 * One file per optimizer under csrc/core/optim/ defines one `const pn_optim_def
 * pn_optim_<name>` and is listed by one line in optim/list.h. The entry declares
 * the optimizer's Keras hyper-parameters (name, type, default), checks their
 * ranges, names its state slots and runs the update on one segment (one tensor of
 * the arena). Everything common (schedules, clipping, the weight-decay factor,
 * gradient accumulation, iteration counting, segment walking) is optim.c's.
 *
 * Internal to the engine: not part of pn.h.
 */
#ifndef PN_OPTIM_KERNEL_H
#define PN_OPTIM_KERNEL_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "optim.h"
#include "pn.h"

/* Per-step values the driver computes and hands to every segment's update. */
typedef struct pn_optim_ctx {
    double lr;        /* learning rate of this step (double) */
    double t;         /* 1-based update count: Keras' `iterations + 1` */
    float lr_f;       /* lr as float32 */
    float wdlr;       /* weight_decay * lr: the kernels apply w -= w * wdlr first */
    float cv;         /* clipvalue, +inf when off */
    float c[8];       /* the entry's own per-step constants (its prepare fills them) */
    double d[4];
} pn_optim_ctx;

typedef struct pn_optim_def {
    const char *name;          /* "adam": the name Python asks for */
    double default_lr;         /* Keras' default learning_rate */
    int n_hyper;
    const pn_hyper_spec *hyper; /* o->hyper[i] holds hyper[i].name's value */
    int needs_dims;            /* reads o->seg_dims (the tensor's last two axes) */

    /* Range checks of o->hyper; the message names the argument (pn_optim_check_*). */
    int (*validate)(const pn_optim *o);
    /* State slots for this configuration, their Keras names, their initial values
     * (state_init NULL: zeros). */
    int (*n_state)(const pn_optim *o);
    const char *(*state_name)(const pn_optim *o, int i);
    double (*state_init)(const pn_optim *o, int i);
    /* Per-step constants from k->lr and k->t into k->c / k->d (NULL: none). May
     * refuse the step (e.g. a learning rate the formula divides by). */
    int (*prepare)(const pn_optim *o, pn_optim_ctx *k);
    /* The update of segment s: w, g and st[] point at its n floats. scale is the
     * norm-clipping factor the gradient is multiplied by before clipvalue. */
    void (*update)(const pn_optim *o, const pn_optim_ctx *k, int s, float *w, const float *g,
                   float *const *st, int64_t n, float scale);
    /* After all segments: commit scalar state (NULL: none). */
    void (*finish)(pn_optim *o, const pn_optim_ctx *k);
    /* Rebuild o->scalar[] for `updates` updates already applied (NULL: none). */
    void (*set_updates)(pn_optim *o, int64_t updates);
} pn_optim_def;

/* Range checks shared by the entries; they set the engine error and return it. */
int pn_optim_check_range(const char *name, double v, double lo, double hi, int hi_open);
int pn_optim_check_nonneg(const char *name, double v);
/* Sum of squares in double with a fixed order (independent of threads). */
double pn_optim_sumsq(const float *x, int64_t n);

/* The gradient after scale (norm clipping) and clipvalue. With clipvalue off cv
 * is +inf, so the same branch-free select serves both cases and the loops
 * vectorise; comparisons rather than fminf/fmaxf keep a NaN gradient NaN
 * instead of turning it into -clipvalue. */
#if defined(__GNUC__)
#define PN_INLINE static inline __attribute__((always_inline))
#else
#define PN_INLINE static inline
#endif

PN_INLINE float pn_clip_g(float g, float scale, float cv)
{
    g *= scale;
    return g < -cv ? -cv : (g > cv ? cv : g);
}
#define CLIPPED(gv) pn_clip_g((gv), scale, cv)

/* On x86-64 with GCC an update loop is also cloned for x86-64-v4 and x86-64-v3 (16
 * or 8 floats per op instead of 4) and picked at load time; the portable clone stays
 * the default. fp-contract=off (already implied by the build's -std=c11, stated
 * because it matters here) keeps the AVX clone from fusing a multiply and an add
 * into an FMA, so every clone produces the same bits: an optimizer step does not
 * depend on the CPU it ran on. Put it on every elementwise range function. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define PN_OPTIM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("fp-contract=off")))
#else
#define PN_OPTIM_CLONES
#endif

/* One segment's elementwise work, split into chunks for the thread pool. Updates
 * are purely elementwise, so the bytes written never depend on how chunks are
 * scheduled. */
typedef struct pn_optim_job {
    const pn_optim *o;
    const pn_optim_ctx *k;
    float *w;
    const float *g;
    float *const *st;
    float scale;
    float f;          /* an entry's extra per-segment factor */
    int phase;        /* for entries with more than one pass */
} pn_optim_job;

/* Below this many floats per chunk the pool's hand-off costs more than it saves. */
#define PN_OPTIM_GRAIN 32768

static inline void pn_optim_run(pn_range_fn fn, const pn_optim *o, const pn_optim_ctx *k, float *w,
                                const float *g, float *const *st, int64_t n, float scale)
{
    pn_optim_job j;
    memset(&j, 0, sizeof j);
    j.o = o;
    j.k = k;
    j.w = w;
    j.g = g;
    j.st = st;
    j.scale = scale;
    pn_parallel_for(n, PN_OPTIM_GRAIN, fn, &j);
}

#endif
