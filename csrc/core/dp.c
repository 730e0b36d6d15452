/* dp.c - DP-SGD steps inside the compiled training loop (see dp.h).
 *
 * The simple, obviously-correct design: every example of a batch is replayed
 * on its own through the compiled program at batch size 1, so a per-example
 * gradient is exactly the gradient the engine computes for that example,
 * whatever the layers. The clipped gradients are summed into an accumulator
 * laid out like the parameter arena; noise and the division by the expected
 * batch size follow, then the ordinary optimizer step. */
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
        return pn_error(PN_EVALUE, "DP-SGD: sample_rate must be in (0, 1], got %g", d->sample_rate);
    if (!(d->divisor > 0) || !isfinite(d->divisor))
        return pn_error(PN_EVALUE, "DP-SGD: divisor (the expected batch size) must be positive, got %g", d->divisor);
    if (!d->acc || !d->idx)
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

/* ------------------------------------------------------------------ one example */

static void gather_row(pn_loop *L, int64_t row)
{
    for (int s = 0; s < L->n_data; s++) {
        pn_node *slot = L->slots[s]; /* planned for batch size 1: one row */
        memcpy(slot->data, L->data[s] + row * slot->size, sizeof(float) * (size_t)slot->size);
    }
}

/* Forward and backward of one example; its gradient is clipped and added to
 * the accumulator. Loss and metric statistics are summed as in the ordinary
 * loop, so the epoch logs mean the same thing. */
static int clipped_example(pn_loop *L, pn_dp *d, int64_t row)
{
    gather_row(L, row);
    int rc = pn_program_forward(L->prog);
    if (rc) return rc;
    double loss = L->loss->data[0];
    if (L->stop_on_nan && !isfinite(loss))
        return pn_error(PN_EVALUE, "the loss became %g at sample %lld", loss, (long long)row);
    L->loss_sum += loss;
    L->loss_count += 1.0;
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
    return PN_OK;
}

/* ------------------------------------------------------------------ one step */

/* The rows of step k into d->idx; returns their number in *b. */
static int draw_batch(pn_loop *L, pn_dp *d, int64_t k, int64_t *b)
{
    int64_t m = 0;
    if (!d->poisson) {
        int64_t start = k * L->batch_size;
        m = L->n_samples - start < L->batch_size ? L->n_samples - start : L->batch_size;
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
        uint64_t key = noise_key(d->key, d->step);
        for (int64_t j = 0; j < d->n_params; j++)
            acc[j] += (float)(std * pn_rng_normal(key, (uint64_t)j));
    }
    return PN_OK;
}

int pn_dp_step(pn_loop *L, int64_t k)
{
    pn_dp *d = L->dp;
    int rc = pn_dp_validate(d);
    if (rc) return rc;
    if (!L->train || !L->loss || !L->step || !L->grads || !L->params)
        return pn_error(PN_EVALUE, "DP-SGD runs only in a training loop with a loss and an optimizer");
    if (d->n_samples != L->n_samples)
        return pn_error(PN_EVALUE, "DP-SGD: state made for %lld samples, the loop has %lld",
                        (long long)d->n_samples, (long long)L->n_samples);

    int64_t b;
    rc = draw_batch(L, d, k, &b);
    if (rc) return rc;
    d->last_batch = b;

    rc = pn_program_set_batch(L->prog, 1);
    if (rc) return rc;
    memset(d->acc, 0, sizeof(float) * (size_t)d->n_params);
    for (int64_t r = 0; r < b; r++) {
        rc = clipped_example(L, d, d->idx[r]);
        if (rc) return rc;
    }

    double std = d->sigma * d->clip;
    if (std > 0.0) {
        rc = add_noise(d, std);
        if (rc) return rc;
    }
    /* Poisson: divide by the expected size (the drawn size is private);
     * fixed batches: their size is public, so the plain mean */
    float inv = (float)(1.0 / (d->poisson ? d->divisor : (double)b));
    for (int64_t j = 0; j < d->n_params; j++) d->acc[j] *= inv;

    rc = L->step(L->opt, L->params, d->acc);
    if (rc) return rc;
    d->step++;
    return PN_OK;
}
