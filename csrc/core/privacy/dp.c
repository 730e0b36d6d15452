/* dp.c - DP-SGD as a strategy of the compiled training loop (see dp.h).
 *
 * A step draws its batch, forms the clipped sum of the per-example gradients
 * in an accumulator laid out like the gradient arena, either by ghost
 * clipping (one batched pass, dp_ghost.c) or by replaying every example on its
 * own at batch size 1 (the fallback that works for any layer), then adds the
 * noise, divides by the expected batch size and takes the ordinary optimizer
 * step. Which of the two is fixed by the plan (dp_plan.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "dp.h"
#include "ops/nn.h"
#include "program.h"

int pn_dp_validate(const pn_dp *d)
{
    if (!d) return pn_error(PN_EVALUE, "DP-SGD: no configuration");
    if (!(d->clip > 0) || !isfinite(d->clip))
        return pn_error(PN_EVALUE, "DP-SGD: l2_norm_clip must be a positive finite number, got %g", d->clip);
    if (!(d->sigma >= 0) || !isfinite(d->sigma))
        return pn_error(PN_EVALUE, "DP-SGD: noise_multiplier must be >= 0 and finite, got %g", d->sigma);
    if (!(d->sample_rate > 0 && d->sample_rate <= 1))
        return pn_error(PN_EVALUE, "DP-SGD: sample_rate must be in (0, 1], got %g", d->sample_rate);
    if (!(d->divisor > 0) || !isfinite(d->divisor))
        return pn_error(PN_EVALUE, "DP-SGD: divisor (the expected batch size) must be positive, got %g", d->divisor);
    if (!pn_rng_normal_version_ok(d->stream))
        return pn_error(PN_EVALUE, "DP-SGD: stream_version must be 1 or 2, got %d", d->stream);
    if (!d->acc || !d->idx)
        return pn_error(PN_EVALUE, "DP-SGD: work buffers are missing");
    return PN_OK;
}

/* ------------------------------------------------------------------ randomness */

/* Two independent streams per step: even sub-key samples, odd sub-key noises. */
static uint64_t sample_key(const pn_dp *d) { return pn_rng_hash(d->key, 2 * (uint64_t)d->step); }
static uint64_t noise_key(uint64_t key, int64_t step) { return pn_rng_hash(key, 2 * (uint64_t)step + 1); }

double pn_dp_seeded_normal(int stream, uint64_t key, int64_t step, int64_t j)
{
    return pn_rng_normal_v(stream, noise_key(key, step), (uint64_t)j);
}

int pn_dp_seeded_normals(int stream, const char *path, uint64_t key, int64_t step, int64_t n, double *out)
{
    return pn_rng_normals_path(stream, path, noise_key(key, step), 0, n, out);
}

static int os_entropy(void *buf, size_t len)
{
    unsigned char *p = buf;
    size_t got = 0;
#if defined(__linux__)
    while (got < len) {
        ssize_t r = getrandom(p + got, len - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            break; /* ENOSYS etc.: fall back to the device */
        }
        got += (size_t)r;
    }
#endif
    if (got < len) {
        FILE *f = fopen("/dev/urandom", "rb");
        if (!f) return pn_error(PN_EINTERNAL, "DP-SGD secure mode: no OS entropy (getrandom and /dev/urandom failed)");
        got += fread(p + got, 1, len - got, f);
        fclose(f);
        if (got < len) return pn_error(PN_EINTERNAL, "DP-SGD secure mode: short read from /dev/urandom");
    }
    return PN_OK;
}

static int secure_u64(pn_dp *d, uint64_t *out)
{
    if (d->ent_pos >= d->ent_len) {
        int rc = os_entropy(d->ent, sizeof d->ent);
        if (rc) return rc;
        d->ent_len = (int)(sizeof d->ent / sizeof d->ent[0]);
        d->ent_pos = 0;
    }
    *out = d->ent[d->ent_pos++];
    return PN_OK;
}

/* uniform in [0, 1) from 53 random bits */
static int secure_uniform(pn_dp *d, double *u)
{
    uint64_t x;
    int rc = secure_u64(d, &x);
    *u = (double)(x >> 11) * (1.0 / 9007199254740992.0);
    return rc;
}

static int secure_normal(pn_dp *d, double *z)
{
    double u1, u2;
    int rc = secure_uniform(d, &u1);
    if (!rc) rc = secure_uniform(d, &u2);
    if (rc) return rc;
    if (u1 < 1e-300) u1 = 1e-300;
    *z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return PN_OK;
}

/* ------------------------------------------------------------------ one example */

void pn_dp_dropout_rows(pn_dp *d, int on, uint64_t key, int64_t first)
{
    for (int k = 0; k < d->n_dropout; k++)
        pn_dropout_streams(d->dropout[k], on, pn_rng_hash(key, (uint64_t)k), first);
}

/* Forward and backward of one example; its gradient is clipped and added to
 * the accumulator. Loss and metric statistics are summed as in the ordinary
 * loop, so the epoch logs mean the same thing. */
static int clipped_example(pn_loop *L, pn_dp *d, int64_t row)
{
    pn_loop_gather(L, &row, 0, 1);
    int rc = pn_program_forward(L->prog);
    if (!rc) rc = pn_loop_add_loss(L, 1, row);
    if (!rc) rc = pn_program_backward(L->prog, L->loss);
    if (rc) return rc;

    const float *g = L->grads;
    float *acc = d->acc;
    int64_t n = d->n_params;
    double ss = 0.0;
    for (int64_t j = 0; j < n; j++) ss += (double)g[j] * (double)g[j];
    double norm = sqrt(ss);
    double c = d->clip / (norm + 1e-6);
    if (c > 1.0) c = 1.0;
    float cf = (float)c;
    for (int64_t j = 0; j < n; j++) acc[j] += cf * g[j];
    if (d->rec && d->rec_n < d->rec_cap) {
        d->rec[2 * d->rec_n] = norm;
        d->rec[2 * d->rec_n + 1] = c;
        d->rec_n++;
    }
    return pn_loop_add_stats(L, 1);
}

static int replay_batch(pn_loop *L, pn_dp *d, int64_t b, uint64_t dropout_key)
{
    int rc = pn_program_set_batch(L->prog, 1);
    if (rc) return rc;
    for (int64_t r = 0; r < b; r++) {
        pn_dp_dropout_rows(d, 1, dropout_key, r);
        rc = clipped_example(L, d, d->idx[r]);
        if (rc) return rc;
    }
    return PN_OK;
}

/* ------------------------------------------------------------------ ghost clipping */

/* Examples [first, first + b) of the batch forward and backward at once; the
 * clipping itself is pn_dp_ghost_clip. Loss and statistics are summed as in
 * the ordinary loop. */
static int ghost_part(pn_loop *L, pn_dp *d, int64_t first, int64_t b, uint64_t dropout_key)
{
    int rc = pn_program_set_batch(L->prog, b);
    if (rc) return rc;
    pn_loop_gather(L, d->idx + first, 0, b);
    pn_dp_dropout_rows(d, 1, dropout_key, first);
    rc = pn_program_forward(L->prog);
    if (!rc) rc = pn_loop_add_loss(L, b, d->idx[first]);
    if (!rc) rc = pn_dp_ghost_backward(d, L->loss);
    if (!rc) rc = pn_dp_ghost_clip(d, b);
    if (!rc) rc = pn_loop_add_stats(L, b);
    return rc;
}

/* A batch larger than the planned buffers (a rare Poisson draw) runs in
 * parts: the clipped sum is a sum over examples either way. */
static int ghost_batch(pn_loop *L, pn_dp *d, int64_t b, uint64_t dropout_key)
{
    for (int64_t first = 0; first < b; first += d->chunk) {
        int rc = ghost_part(L, d, first, b - first < d->chunk ? b - first : d->chunk, dropout_key);
        if (rc) return rc;
    }
    return PN_OK;
}

/* ------------------------------------------------------------------ one step */

/* The rows of step k into d->idx; returns their number in *b. */
static int draw_batch(pn_loop *L, pn_dp *d, int64_t k, int64_t *b)
{
    int64_t m = 0;
    if (!d->poisson) {
        int64_t start;
        m = pn_loop_batch_rows(L, k, &start);
        for (int64_t r = 0; r < m; r++) d->idx[r] = L->perm ? L->perm[start + r] : start + r;
    } else {
        uint64_t key = sample_key(d);
        for (int64_t i = 0; i < d->n_samples; i++) {
            double u;
            if (d->secure) {
                int rc = secure_uniform(d, &u);
                if (rc) return rc;
            } else {
                u = pn_rng_uniform01(key, (uint64_t)i);
            }
            if (u < d->sample_rate) d->idx[m++] = i;
        }
    }
    *b = m;
    return PN_OK;
}

typedef struct {
    float *acc;
    double std;
    uint64_t key;
    int stream;
} noise_job;

/* Seeded noise of coordinates [begin, end): each one a function of (stream,
 * key, j) only, so threads may share the arena and the bytes never depend on
 * their number. Drawn in blocks, which stream v2 vectorises. */
static void seeded_noise_range(void *ctx, int64_t begin, int64_t end)
{
    const noise_job *job = ctx;
    double z[512];
    for (int64_t j = begin; j < end; j += 512) {
        int64_t m = end - j < 512 ? end - j : 512;
        pn_rng_normals(job->stream, job->key, (uint64_t)j, m, z);
        for (int64_t k = 0; k < m; k++) job->acc[j + k] += (float)(job->std * z[k]);
    }
}

/* acc += N(0, std^2) per coordinate */
static int add_noise(pn_dp *d, double std)
{
    float *acc = d->acc;
    if (d->secure) {
        for (int64_t j = 0; j < d->n_params; j++) {
            double z = 0.0;
            for (int t = 0; t < 4; t++) {
                double e;
                int rc = secure_normal(d, &e);
                if (rc) return rc;
                z += e;
            }
            acc[j] += (float)(0.5 * std * z); /* four normals of std/2 */
        }
    } else {
        noise_job job = {acc, std, noise_key(d->key, d->step), d->stream};
        /* a draw costs ~50 ns in stream v1, a few ns in v2 */
        pn_parallel_for(d->n_params, d->stream == 1 ? 4096 : 32768, seeded_noise_range, &job);
    }
    return PN_OK;
}

/* The loop must train with a loss and an optimizer over the arena and data
 * the state was planned and sized for. */
static int dp_check(const pn_loop *L, void *state)
{
    const pn_dp *d = state;
    int rc = pn_dp_validate(d);
    if (rc) return rc;
    if (!L->train || !L->loss || !L->step || !L->grads)
        return pn_error(PN_EVALUE, "DP-SGD runs only in a training loop with a loss and an optimizer");
    if (d->n_samples != L->n_samples || d->n_params != L->n_params)
        return pn_error(PN_EVALUE, "DP-SGD: state made for %lld samples and %lld parameters, the loop "
                        "has %lld and %lld", (long long)d->n_samples, (long long)d->n_params,
                        (long long)L->n_samples, (long long)L->n_params);
    if (d->prog != L->prog || d->arena != L->grads)
        return pn_error(PN_EVALUE, "DP-SGD: the state was not planned for this program and weights (pn_dp_plan)");
    return PN_OK;
}

/* DP step k of the epoch (k picks the fixed batch when not Poisson). */
static int dp_batch(pn_loop *L, void *state, int64_t k)
{
    pn_dp *d = state;
    int64_t b;
    int rc = draw_batch(L, d, k, &b);
    if (rc) return rc;
    d->last_batch = b;

    memset(d->acc, 0, sizeof(float) * (size_t)d->n_params);
    uint64_t dropout_key = d->n_dropout ? pn_rng_key() : 0;
    rc = d->path == PN_DP_GHOST ? ghost_batch(L, d, b, dropout_key) : replay_batch(L, d, b, dropout_key);
    pn_dp_dropout_rows(d, 0, 0, 0);
    if (rc) return rc;

    /* the hook sees the clipped sum, before noise and normalisation */
    rc = pn_loop_hook(L, d->acc, b);
    if (rc) return rc;
    double std = d->sigma * d->clip;
    if (std > 0.0) {
        rc = add_noise(d, std);
        if (rc) return rc;
    }
    /* Poisson: divide by the expected size (the drawn size is private);
     * fixed batches: their size is public, so the plain mean */
    float inv = (float)(1.0 / (d->poisson ? d->divisor : (double)b));
    for (int64_t j = 0; j < d->n_params; j++) d->acc[j] *= inv;

    rc = L->step(L->opt, d->acc);
    if (rc) return rc;
    d->step++;
    return PN_OK;
}

const pn_loop_strategy pn_dp_strategy = {"dp", dp_check, dp_batch};
