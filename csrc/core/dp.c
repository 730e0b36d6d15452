/* dp.c - DP-SGD steps inside the compiled training loop (see dp.h).
 *
 * The simple, obviously-correct design: every example (or microbatch) of a
 * batch is replayed on its own through the compiled program at batch size 1
 * (m), so a per-example gradient is exactly the gradient the engine computes
 * for that example, whatever the layers. The clipped gradients are summed into
 * an accumulator arena laid out like the parameter arena; noise and the
 * division by the expected batch size follow, then the normal optimizer step. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "dp.h"
#include "program.h"
#include "train.h"

int pn_dp_validate(const pn_dp *d)
{
    if (!d) return pn_error(PN_EVALUE, "DP-SGD: no configuration");
    if (!(d->clip > 0) || !isfinite(d->clip))
        return pn_error(PN_EVALUE, "DP-SGD: l2_norm_clip must be a positive finite number, got %g", d->clip);
    if (!(d->sigma >= 0) || !isfinite(d->sigma))
        return pn_error(PN_EVALUE, "DP-SGD: noise_multiplier must be >= 0 and finite, got %g", d->sigma);
    if (!(d->sample_rate > 0 && d->sample_rate <= 1))
        return pn_error(PN_EVALUE, "DP-SGD: the sample rate must be in (0, 1], got %g", d->sample_rate);
    if (!(d->divisor > 0) || !isfinite(d->divisor))
        return pn_error(PN_EVALUE, "DP-SGD: the expected batch size must be positive, got %g", d->divisor);
    if (d->microbatches < 0)
        return pn_error(PN_EVALUE, "DP-SGD: num_microbatches must be >= 0, got %lld",
                        (long long)d->microbatches);
    if (d->steps_per_epoch < 1)
        return pn_error(PN_EVALUE, "DP-SGD: steps per epoch must be positive");
    if (!d->acc || (!d->idx && !d->fixed_idx))
        return pn_error(PN_EVALUE, "DP-SGD: work buffers are missing");
    return PN_OK;
}

/* ------------------------------------------------------------------ randomness */

/* Two independent streams per step: even sub-key samples, odd sub-key noises. */
static uint64_t sample_key(const pn_dp *d) { return pn_rng_hash(d->key, 2 * (uint64_t)d->step); }
static uint64_t noise_key(uint64_t key, int64_t step) { return pn_rng_hash(key, 2 * (uint64_t)step + 1); }

double pn_dp_seeded_normal(uint64_t key, int64_t step, int64_t j)
{
    return pn_rng_normal(noise_key(key, step), (uint64_t)j);
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

/* ------------------------------------------------------------------ one unit */

static void gather_rows(pn_loop *L, const int64_t *rows, int64_t m)
{
    for (int s = 0; s < L->n_data; s++) {
        pn_node *slot = L->slots[s];
        int64_t row = m ? slot->size / m : 0;
        for (int64_t r = 0; r < m; r++)
            memcpy(slot->data + r * row, L->data[s] + rows[r] * row, sizeof(float) * (size_t)row);
    }
}

/* Forward and backward of m examples; their (mean) gradient is clipped and
 * added to the accumulator. Loss and metric statistics are summed as in the
 * ordinary loop, so the epoch logs mean the same thing. */
static int clipped_unit(pn_loop *L, pn_dp *d, const int64_t *rows, int64_t m)
{
    int rc = pn_program_set_batch(L->prog, m);
    if (rc) return rc;
    gather_rows(L, rows, m);
    rc = pn_program_forward(L->prog);
    if (rc) return rc;
    double loss = L->loss->data[0];
    if (L->stop_on_nan && !isfinite(loss))
        return pn_error(PN_EVALUE, "the loss became %g at sample %lld", loss, (long long)rows[0]);
    L->loss_sum += loss * (double)m;
    L->loss_count += (double)m;
    rc = pn_program_backward(L->prog, L->loss);
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

    double *sacc = L->acc;
    for (int k = 0; k < L->n_stats; k++) {
        pn_node *s = L->stats[k];
        for (int64_t j = 0; j < s->size; j++) sacc[j] += s->data[j];
        sacc += s->size;
    }
    d->examples += m;
    return PN_OK;
}

/* ------------------------------------------------------------------ one step */

int pn_dp_step(pn_loop *L, int64_t k)
{
    pn_dp *d = L->dp;
    int rc = pn_dp_validate(d);
    if (rc) return rc;
    if (!L->train || !L->loss || !L->step || !L->grads || !L->params)
        return pn_error(PN_EVALUE, "DP-SGD runs only in a training loop with a loss and an optimizer");

    /* 1. the batch */
    const int64_t *rows;
    int64_t b = 0;
    if (d->fixed_idx) {
        if (k < 0 || k >= d->n_fixed)
            return pn_error(PN_EINDEX, "DP-SGD: batch %lld requested, %lld fixed batches given",
                            (long long)k, (long long)d->n_fixed);
        rows = d->fixed_idx + d->fixed_ptr[k];
        b = d->fixed_ptr[k + 1] - d->fixed_ptr[k];
    } else {
        uint64_t key = sample_key(d);
        for (int64_t i = 0; i < d->n_samples; i++) {
            double u;
            if (d->secure) {
                rc = secure_uniform(d, &u);
                if (rc) return rc;
            } else {
                u = pn_rng_uniform01(key, (uint64_t)i);
            }
            if (u < d->sample_rate) d->idx[b++] = i;
        }
        rows = d->idx;
    }
    d->last_batch = b;

    /* 2. clipped per-example (per-microbatch) gradients, summed */
    memset(d->acc, 0, sizeof(float) * (size_t)d->n_params);
    if (d->microbatches == 0) {
        for (int64_t r = 0; r < b; r++) {
            rc = clipped_unit(L, d, rows + r, 1);
            if (rc) return rc;
        }
    } else {
        int64_t mb = d->microbatches;
        for (int64_t j = 0; j < mb; j++) {
            int64_t lo = j * b / mb, hi = (j + 1) * b / mb;
            if (hi > lo) {
                rc = clipped_unit(L, d, rows + lo, hi - lo);
                if (rc) return rc;
            }
        }
    }

    /* 3. noise N(0, (sigma C)^2) per coordinate, then the mean */
    double std = d->sigma * d->clip;
    double inv = 1.0 / d->divisor;
    float *acc = d->acc;
    if (std > 0.0) {
        if (d->secure) {
            for (int64_t j = 0; j < d->n_params; j++) {
                double z = 0.0;
                for (int t = 0; t < 4; t++) {
                    double e;
                    rc = secure_normal(d, &e);
                    if (rc) return rc;
                    z += e;
                }
                acc[j] += (float)(0.5 * std * z); /* four normals of std/2 */
            }
        } else {
            uint64_t key = noise_key(d->key, d->step);
            for (int64_t j = 0; j < d->n_params; j++)
                acc[j] += (float)(std * pn_rng_normal(key, (uint64_t)j));
        }
    }
    float invf = (float)inv;
    for (int64_t j = 0; j < d->n_params; j++) acc[j] *= invf;

    /* 4. the ordinary optimizer step on the privatised gradient */
    rc = L->step(L->opt, L->params, d->acc);
    if (rc) return rc;
    d->step++;
    return PN_OK;
}
