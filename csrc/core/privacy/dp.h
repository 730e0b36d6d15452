/* dp.h - DP-SGD as a strategy of the compiled training loop (Abadi et al.
 * 2016, as Opacus). The engine outside this folder does not know it exists.
 *
 * One DP step: draw the batch (Poisson sampling: every example independently
 * with probability q; or the loop's ordinary fixed batch), then clip every
 * example's gradient g_i over the whole trainable arena to L2 norm <= C with
 *     c_i = min(1, C / (||g_i|| + 1e-6)),
 * sum the c_i g_i into the accumulator, add Gaussian noise N(0, (sigma C)^2) per
 * coordinate, divide by the expected batch size q N (Poisson: the real size
 * would leak; fixed batches: their public size) and hand that gradient to the
 * ordinary optimizer step.
 *
 * Two ways to get the per-example gradients, chosen once per fit by
 * pn_dp_plan (dp_plan.c):
 *  - ghost clipping (Goodfellow 2015, Opacus' ghost mode): the batch runs
 *    forward and backward once at full size. Every trainable weight is the
 *    kernel or bias of an affine op (PN_TRAIT_AFFINE: x W (+ bias), x of
 *    shape (b, K); the fused dense op, a 2-D matmul) or a bias added to one
 *    row per example (an add, ops/binary.h), so example i's gradient is x_i ⊗ δ_i or
 *    δ_i, with δ_i row i of the gradient of x W (+ bias): its squared norm
 *    is ||x_i||² ||δ_i||² or ||δ_i||², and the clipped sum is Xᵀ diag(c) Δ or
 *    Σ_i c_i δ_i, one GEMM per kernel (dp_ghost.c). The whole graph must
 *    keep the examples apart (PN_TRAIT_ROWWISE ops only) and the loss must be a mean
 *    over the batch, so each row of the batch gradient is 1/b of that
 *    example's own gradient.
 *  - per-example replay, for every other model: each example runs forward
 *    and backward alone at batch size 1, whatever the layers.
 * Dropout draws per-example streams in both (pn_dropout_streams, ops/nn.h),
 * so an example gets the same mask in either path.
 *
 * Randomness: seeded mode draws sampling and noise from pynn's counter-based
 * generator at (key, step, index), so a seeded run is reproducible and
 * independent of the thread count (the noise from the normal stream version
 * `stream`: 1 Box-Muller, 2 ziggurat, rng_normal.c); secure mode reads getrandom(2)
 * (/dev/urandom as a fallback) and, like Opacus' secure_mode, sums four
 * normals of std/2 per coordinate (Holohan & Braghin 2021, floating-point
 * attacks on the Gaussian mechanism).
 *
 * The host owns the accumulator and the index buffer, the plan allocates its
 * own once; nothing is allocated while steps run. */
#ifndef PN_DP_H
#define PN_DP_H
#include <stdint.h>

#include "pn.h"
#include "train.h"

struct pn_program;

enum { PN_DP_REPLAY = 0, PN_DP_GHOST = 1 };
/* The normal stream of the seeded noise unless one is asked for (pynn's
 * DPSGD(stream_version=...) passes it always; this is the binding's). */
#define PN_DP_STREAM_DEFAULT 2
enum { PN_GHOST_MATMUL = 0, PN_GHOST_BIAS = 1 };

/* A weight whose per-example gradient ghost clipping forms from the batch. */
typedef struct {
    int kind;          /* PN_GHOST_MATMUL: the kernel W of x W, x (b, K), W (K, N);
                        * PN_GHOST_BIAS: a bias added to one row of N per example */
    pn_node *node;     /* the op that consumes the weight: affine, or the add of a bias */
    int scale_rows;    /* the first entry of its node: scales the shared rows */
    int64_t offset;    /* of the weight in the trainable arena */
    pn_node *param;
} pn_dp_ghost;

typedef struct pn_dp {
    double clip;               /* C: per-example L2 bound over the whole arena */
    double sigma;              /* noise multiplier: noise std is sigma * C */
    double sample_rate;        /* q: Poisson inclusion probability */
    double divisor;            /* Poisson: the expected batch size q N */
    int poisson;               /* 1: Poisson sampling; 0: the loop's fixed batches */
    int secure;                /* 1: OS entropy and the 4-normal sum */
    uint64_t key;              /* seeded mode: base key */
    int stream;                /* seeded mode: normal stream version of the noise (rng_normal.c) */
    int64_t step;              /* DP steps taken so far (counter of the streams) */
    int64_t n_params;          /* floats in the trainable arena */
    int64_t n_samples;         /* rows of the data set (size of idx) */
    float *acc;                /* n_params: the clipped sum, then the noisy mean */
    int64_t *idx;              /* n_samples: indices of the current batch */
    /* optional record of every example: ||g_i|| before clipping, c_i */
    double *rec;               /* 2 * rec_cap doubles, or NULL */
    int64_t rec_cap, rec_n;
    int64_t last_batch;        /* size of the last batch drawn */
    /* the plan (pn_dp_plan): the program it was made for and the path */
    struct pn_program *prog;
    const float *arena;        /* the gradient arena the offsets refer to */
    int path;                  /* PN_DP_GHOST or PN_DP_REPLAY */
    char why[256];             /* replay: what ruled ghost clipping out */
    int n_ghost;
    pn_dp_ghost *ghost;        /* ghost path: one entry per trainable weight */
    int64_t chunk;             /* ghost path: rows per pass (a larger batch runs in parts) */
    double *sq;                /* ghost path: chunk squared norms */
    float *scale;              /* ghost path: chunk factors b c_i */
    int n_dropout;
    pn_node **dropout;         /* dropout nodes, keyed per example each step */
    /* secure mode's entropy buffer */
    uint64_t ent[512];
    int ent_pos, ent_len;
} pn_dp;

/* Checks the configuration; the message names the offending field. */
int pn_dp_validate(const pn_dp *d);
/* Plans the DP steps of program p (loss: its scalar loss; grads: the
 * gradient arena of d->n_params floats, to which the trainable weights'
 * gradients are bound; it gives each weight its offset): the path (ghost clipping when
 * allow_ghost and the graph allows it, else replay, with the reason in
 * d->why) and what it needs. Ghost clipping runs at most `chunk` examples per
 * pass (a larger Poisson batch in parts, with the same result) and the plan
 * runs one pass of that size on zeros, so that every buffer exists before the
 * first step. Allocates; pn_dp_plan_free releases. The program must outlive
 * the plan. */
int pn_dp_plan(pn_dp *d, struct pn_program *p, pn_node *loss, const float *grads, int allow_ghost,
               int64_t chunk);
void pn_dp_plan_free(pn_dp *d);
/* Ghost path, after forward and backward of b examples (at most d->chunk):
 * per-example norms and clip factors (recorded), clipped sum added to d->acc. */
int pn_dp_ghost_clip(pn_dp *d, int64_t b);
/* Ghost path: the backward pass of the program (forward done) that skips the
 * weights' own gradients, which pn_dp_ghost_clip forms after clipping. */
int pn_dp_ghost_backward(pn_dp *d, pn_node *loss);
/* Dropout masks per example (ops/nn.c): dropout node k of the plan draws row
 * r of its batch from pn_rng_hash(pn_rng_hash(key, k), first + r), so example
 * `first + r` of a step gets the same mask in either path. on = 0 restores
 * the ordinary mode. */
void pn_dp_dropout_rows(pn_dp *d, int on, uint64_t key, int64_t first);
/* DP-SGD as the loop's per-batch strategy (train.h), with a planned pn_dp as
 * its state: every batch of the loop is one DP step (k picks the fixed batch
 * when not Poisson); the gradient hook sees the clipped sum before the noise. */
extern const pn_loop_strategy pn_dp_strategy;
/* The noise draw of the seeded mode: N(0,1) for (stream version, key, step,
 * coordinate j); exposed so tests, and DataParallel's process 0, can
 * regenerate the noise the loop adds. pn_dp_seeded_normals: coordinates
 * 0..n-1 into out, through code path `path` (pn_rng_normals_path; NULL: the
 * best), -1 when the CPU lacks it. */
double pn_dp_seeded_normal(int stream, uint64_t key, int64_t step, int64_t j);
int pn_dp_seeded_normals(int stream, const char *path, uint64_t key, int64_t step, int64_t n, double *out);
#endif
