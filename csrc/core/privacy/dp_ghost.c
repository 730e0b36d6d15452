/* dp_ghost.c - ghost clipping (see dp.h): per-example gradient norms and the
 * clipped sum from one batched forward and backward.
 *
 * The batch loss is the mean of the examples' losses, so row i of the output
 * gradient Δ of a planned op is δ_i / b, δ_i being what example i alone would
 * give. A Dense kernel's per-example gradient x_i ⊗ δ_i has the norm
 * ||x_i|| ||δ_i|| (a rank-one matrix), a bias's gradient is δ_i itself, and
 * the norms of one example add up in squares over the weights. The clipped sum
 * Σ_i c_i x_i ⊗ δ_i is Xᵀ (diag(b c) Δ): the rows of Δ are scaled in place
 * (nothing reads them after the backward pass) and one GEMM adds to the
 * kernel's slice of the accumulator. */
#include <math.h>
#include <string.h>

#include "dp.h"
#include "ops/dense.h"
#include "program.h"

/* Σ x_j² in double with eight independent partial sums (one serial chain
 * would be latency-bound; this one vectorises), in an order fixed by n. */
static double sumsq(const float *restrict x, int64_t n)
{
    double acc[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++) acc[k] += (double)x[j + k] * x[j + k];
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < n; j++) s += (double)x[j] * x[j];
    return s;
}

/* The rows δ_i / b of entry e: the pre-activation gradient of its affine op
 * (the output gradient when no activation is fused in), or the output
 * gradient of the add of a bias. */
static float *rows_of(const pn_dp_ghost *e) { return pn_dense_grad_pre(e->node); }

int pn_dp_ghost_clip(pn_dp *d, int64_t b)
{
    for (int k = 0; k < d->n_ghost; k++)
        if (!rows_of(&d->ghost[k]))
            return pn_error(PN_EINTERNAL, "DP-SGD ghost clipping: op '%s' kept no gradient rows",
                            d->ghost[k].node->op->name);
    double *sq = d->sq;
    memset(sq, 0, sizeof(double) * (size_t)b);
    for (int k = 0; k < d->n_ghost; k++) {
        const pn_dp_ghost *e = &d->ghost[k];
        int64_t n = e->node->size / b;
        const float *dy = rows_of(e);
        if (e->kind == PN_GHOST_MATMUL) {
            const pn_node *X = e->node->in[0];
            int64_t kx = X->size / b;
            for (int64_t i = 0; i < b; i++) sq[i] += sumsq(X->data + i * kx, kx) * sumsq(dy + i * n, n);
        } else {
            for (int64_t i = 0; i < b; i++) sq[i] += sumsq(dy + i * n, n);
        }
    }

    float *scale = d->scale;
    for (int64_t i = 0; i < b; i++) {
        double norm = (double)b * sqrt(sq[i]);
        double c = d->clip / (norm + 1e-6);
        if (c > 1.0) c = 1.0;
        scale[i] = (float)((double)b * c);
        if (d->rec && d->rec_n < d->rec_cap) {
            d->rec[2 * d->rec_n] = norm;
            d->rec[2 * d->rec_n + 1] = c;
            d->rec_n++;
        }
    }

    for (int k = 0; k < d->n_ghost; k++) {
        const pn_dp_ghost *e = &d->ghost[k];
        int64_t n = e->node->size / b;
        float *dy = rows_of(e);
        if (!e->scale_rows) continue;
        for (int64_t i = 0; i < b; i++)
            for (int64_t j = 0; j < n; j++) dy[i * n + j] *= scale[i];
    }
    for (int k = 0; k < d->n_ghost; k++) {
        const pn_dp_ghost *e = &d->ghost[k];
        int64_t n = e->node->size / b;
        const float *dy = rows_of(e);
        float *acc = d->acc + e->offset;
        if (e->kind == PN_GHOST_MATMUL) {
            const pn_node *X = e->node->in[0];
            int64_t kx = X->size / b;
            pn_sgemm(1, 0, kx, n, b, 1.0f, X->data, kx, dy, n, 1.0f, acc, n);
        } else {
            for (int64_t i = 0; i < b; i++)
                for (int64_t j = 0; j < n; j++) acc[j] += dy[i * n + j];
        }
    }
    return PN_OK;
}

int pn_dp_ghost_backward(pn_dp *d, pn_node *loss)
{
    for (int k = 0; k < d->n_ghost; k++) d->ghost[k].param->requires_grad = 0;
    int rc = pn_program_backward(d->prog, loss);
    for (int k = 0; k < d->n_ghost; k++) d->ghost[k].param->requires_grad = 1;
    return rc;
}
