/* dp.h - DP-SGD inside the compiled training loop (Abadi et al. 2016, as Opacus).
 *
 * One DP step: draw the batch (Poisson sampling: every example independently
 * with probability q; or the loop's ordinary fixed batch), then for each
 * example run forward and backward at batch size 1, clip its gradient over the
 * whole trainable arena to L2 norm <= C with
 *     c_i = min(1, C / (||g_i|| + 1e-6)),
 * add c_i g_i into the accumulator, add Gaussian noise N(0, (sigma C)^2) per
 * coordinate, divide by the expected batch size q N (Poisson: the real size
 * would leak; fixed batches: their public size) and hand that gradient to the
 * ordinary optimizer step.
 *
 * Randomness: seeded mode draws sampling and noise from pynn's counter-based
 * generator at (key, step, index), so a seeded run is reproducible and
 * independent of the thread count; secure mode reads getrandom(2)
 * (/dev/urandom as a fallback) and, like Opacus' secure_mode, sums four
 * normals of std/2 per coordinate (Holohan & Braghin 2021, floating-point
 * attacks on the Gaussian mechanism).
 *
 * The host owns every buffer; nothing is allocated while steps run. */
#ifndef PN_DP_H
#define PN_DP_H
#include <stdint.h>

struct pn_loop;

typedef struct pn_dp {
    double clip;               /* C: per-example L2 bound over the whole arena */
    double sigma;              /* noise multiplier: noise std is sigma * C */
    double sample_rate;        /* q: Poisson inclusion probability */
    double divisor;            /* Poisson: the expected batch size q N */
    int poisson;               /* 1: Poisson sampling; 0: the loop's fixed batches */
    int secure;                /* 1: OS entropy and the 4-normal sum */
    uint64_t key;              /* seeded mode: base key */
    int64_t step;              /* DP steps taken so far (counter of the streams) */
    int64_t n_params;          /* floats in the trainable arena */
    int64_t n_samples;         /* rows of the data set (size of idx) */
    float *acc;                /* n_params: the clipped sum, then the noisy mean */
    int64_t *idx;              /* n_samples: indices of the current batch */
    /* optional record of every example: ||g_i|| before clipping, c_i */
    double *rec;               /* 2 * rec_cap doubles, or NULL */
    int64_t rec_cap, rec_n;
    int64_t last_batch;        /* size of the last batch drawn */
    /* secure mode's entropy buffer */
    uint64_t ent[512];
    int ent_pos, ent_len;
} pn_dp;

/* Checks the configuration; the message names the offending field. */
int pn_dp_validate(const pn_dp *d);
/* Runs DP step k of the epoch (k picks the fixed batch when not Poisson). */
int pn_dp_step(struct pn_loop *L, int64_t k);
/* The noise draw of the seeded mode: N(0,1) for (key, step, coordinate j);
 * exposed so tests can regenerate the noise the loop added. */
double pn_dp_seeded_normal(uint64_t key, int64_t step, int64_t j);
#endif
