/* group_norm.c - group normalisation over the channels-last layout.
 *
 * group_norm(x, gamma, beta): x (N, ..., C) seen as (N, S, C), the C channels
 * split into `groups` groups of Cg = C / groups neighbours; every sample's
 * group is normalised with its mean and biased variance over its S * Cg
 * values, y = (x - mean) / sqrt(var + epsilon) * gamma[c] + beta[c] (Keras 3's
 * GroupNormalization; gamma, beta (C,)). Attributes groups, epsilon.
 *
 * One pass per statistic over each sample's contiguous S x C block, the
 * groups' sums side by side, instead of the reshape / mean / subtract / square
 * / mean / rsqrt / scale / shift chain of separate whole-tensor ops that the
 * layer composed before (each a full read and write, forward and backward).
 * Sums are in double, in a fixed order per sample (samples in parallel, each
 * by one thread), and the gamma / beta gradients are summed over samples in
 * order afterwards, so results do not depend on the thread count. */
#include <math.h>
#include <string.h>

#include "pn.h"

typedef struct {
    const float *x, *gamma, *beta, *gy;
    float *y, *dx;
    double *stats; /* per sample and group: mean, inv */
    double *sums;  /* per sample and group: two running sums */
    double *part;  /* backward, per sample: sum g*xhat, sum g per channel (2C) */
    double eps;
    int64_t S, C, G;
} gn_ctx;

static int gn_check(const pn_node *n, int64_t *N, int64_t *S, int64_t *C, int64_t *G)
{
    const pn_node *X = n->in[0];
    char s1[128], s2[128];
    if (X->ndim < 2)
        return pn_error(PN_EVALUE, "group_norm: the input must be (batch, ..., channels), got %s",
                        pn_shape_str(s1, X->ndim, X->shape));
    *N = X->shape[0];
    *C = X->shape[X->ndim - 1];
    *S = 1;
    for (int i = 1; i < X->ndim - 1; i++) *S *= X->shape[i];
    *G = n->iattr[0];
    if (*G < 1 || *C % *G != 0)
        return pn_error(PN_EVALUE,
                        "group_norm: groups must be a positive divisor of the channels (%lld), "
                        "got groups=%lld for an input of shape %s",
                        (long long)*C, (long long)*G, pn_shape_str(s1, X->ndim, X->shape));
    static const char *const names[] = {"gamma", "beta"};
    for (int i = 1; i <= 2; i++) {
        const pn_node *P = n->in[i];
        if (P->ndim != 1 || P->shape[0] != *C)
            return pn_error(PN_EVALUE, "group_norm: %s must have shape (%lld,) to match the last "
                            "axis of the input %s, got %s", names[i - 1], (long long)*C,
                            pn_shape_str(s1, X->ndim, X->shape), pn_shape_str(s2, P->ndim, P->shape));
    }
    return PN_OK;
}

static int group_norm_infer(pn_node *n)
{
    int64_t N = 0, S = 0, C = 0, G = 0;
    int rc = gn_check(n, &N, &S, &C, &G);
    return rc ? rc : pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

/* Sums of each group of one sample's (S, C) block into acc[G] (zeroed here):
 * of x (st NULL) or of (x - mean)^2 with the group's mean at st[2 * group]. */
static void group_sums(const float *x, int64_t S, int64_t C, int64_t G, const double *st,
                       double *acc)
{
    int64_t Cg = C / G;
    for (int64_t k = 0; k < G; k++) acc[k] = 0;
    for (int64_t s = 0; s < S; s++)
        for (int64_t k = 0; k < G; k++) {
            const float *xr = x + s * C + k * Cg;
            double a = 0;
            if (st)
                for (int64_t j = 0; j < Cg; j++) a += (xr[j] - st[2 * k]) * (xr[j] - st[2 * k]);
            else
                for (int64_t j = 0; j < Cg; j++) a += xr[j];
            acc[k] += a;
        }
}

static void gn_forward_samples(void *vctx, int64_t b, int64_t e)
{
    const gn_ctx *c = vctx;
    int64_t S = c->S, C = c->C, G = c->G, Cg = C / G;
    double count = (double)(S * Cg);
    for (int64_t nn = b; nn < e; nn++) {
        const float *x = c->x + nn * S * C;
        float *y = c->y + nn * S * C;
        double *st = c->stats + nn * 2 * G, *acc = c->sums + nn * 2 * G;
        group_sums(x, S, C, G, NULL, acc);
        for (int64_t k = 0; k < G; k++) st[2 * k] = acc[k] / count;
        group_sums(x, S, C, G, st, acc);
        for (int64_t k = 0; k < G; k++) st[2 * k + 1] = 1.0 / sqrt(acc[k] / count + c->eps);
        for (int64_t s = 0; s < S; s++)
            for (int64_t k = 0; k < G; k++) { /* channels k*Cg .. of group k */
                const double mean = st[2 * k], inv = st[2 * k + 1];
                const float *xr = x + s * C + k * Cg, *ga = c->gamma + k * Cg, *be = c->beta + k * Cg;
                float *yr = y + s * C + k * Cg;
                for (int64_t j = 0; j < Cg; j++) yr[j] = (float)((xr[j] - mean) * inv) * ga[j] + be[j];
            }
    }
}

/* dx = inv (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) over each group,
 * dxhat = g gamma; and the sample's per-channel sums for the gamma / beta
 * gradients (part, summed over samples in order by the caller). */
static void gn_backward_samples(void *vctx, int64_t b, int64_t e)
{
    const gn_ctx *c = vctx;
    int64_t S = c->S, C = c->C, G = c->G, Cg = C / G;
    double count = (double)(S * Cg);
    for (int64_t nn = b; nn < e; nn++) {
        const float *x = c->x + nn * S * C, *g = c->gy + nn * S * C;
        const double *st = c->stats + nn * 2 * G;
        double *s1 = c->sums + nn * 2 * G, *s2 = s1 + G;
        for (int64_t k = 0; k < G; k++) s1[k] = s2[k] = 0;
        double *pgx = c->part ? c->part + nn * 2 * C : NULL;
        if (pgx)
            for (int64_t ch = 0; ch < 2 * C; ch++) pgx[ch] = 0;
        for (int64_t s = 0; s < S; s++)
            for (int64_t k = 0; k < G; k++) {
                const double mean = st[2 * k], inv = st[2 * k + 1];
                int64_t o = s * C + k * Cg;
                double a1 = 0, a2 = 0;
                for (int64_t j = 0; j < Cg; j++) {
                    double xhat = (x[o + j] - mean) * inv, gv = g[o + j];
                    double dh = gv * c->gamma[k * Cg + j];
                    a1 += dh;
                    a2 += dh * xhat;
                    if (pgx) {
                        pgx[k * Cg + j] += gv * xhat;
                        pgx[C + k * Cg + j] += gv;
                    }
                }
                s1[k] += a1;
                s2[k] += a2;
            }
        if (!c->dx) continue;
        float *dx = c->dx + nn * S * C;
        for (int64_t k = 0; k < G; k++) s1[k] /= count, s2[k] /= count;
        for (int64_t s = 0; s < S; s++)
            for (int64_t k = 0; k < G; k++) {
                const double mean = st[2 * k], inv = st[2 * k + 1];
                int64_t o = s * C + k * Cg;
                for (int64_t j = 0; j < Cg; j++) {
                    double xhat = (x[o + j] - mean) * inv;
                    double dh = (double)g[o + j] * c->gamma[k * Cg + j];
                    dx[o + j] += (float)(inv * (dh - s1[k] - xhat * s2[k]));
                }
            }
    }
}

/* Doubles: [mean, inv per sample and group][two sums per sample and group]
 * [per sample: sum g*xhat, sum g per channel]; one layout for forward and
 * backward, so backward finds forward's statistics where it left them. */
static size_t gn_scratch_bytes(int64_t N, int64_t C, int64_t G)
{
    return sizeof(double) * (size_t)(4 * N * G + 2 * N * C);
}

static int group_norm_forward(pn_node *n)
{
    int64_t N = 0, S = 0, C = 0, G = 0;
    int rc = gn_check(n, &N, &S, &C, &G);
    if (rc) return rc;
    if (n->size == 0) return PN_OK;
    double *stats = pn_node_scratch(n, gn_scratch_bytes(N, C, G));
    if (!stats) return PN_ENOMEM;
    gn_ctx c = {n->in[0]->data, n->in[1]->data, n->in[2]->data, NULL, n->data, NULL, stats,
                stats + 2 * N * G, NULL, n->fattr[0], S, C, G};
    pn_parallel_for(N, 1, gn_forward_samples, &c);
    return PN_OK;
}

static int group_norm_backward(pn_node *n)
{
    int64_t N = 0, S = 0, C = 0, G = 0;
    int rc = gn_check(n, &N, &S, &C, &G);
    if (rc) return rc;
    if (n->size == 0) return PN_OK;
    if (!n->saved || n->saved_bytes < gn_scratch_bytes(N, C, G))
        return pn_error(PN_EINTERNAL, "group_norm: backward without a matching forward");
    pn_node *X = n->in[0], *Ga = n->in[1], *Be = n->in[2];
    int params = Ga->requires_grad || Be->requires_grad;
    double *stats = n->saved, *part = stats + 4 * N * G;
    gn_ctx c = {X->data, Ga->data, NULL, n->grad, NULL, X->requires_grad ? X->grad : NULL, stats,
                stats + 2 * N * G, params ? part : NULL, n->fattr[0], S, C, G};
    if (!X->requires_grad && !params) return PN_OK;
    pn_parallel_for(N, 1, gn_backward_samples, &c);
    if (!params) return PN_OK;
    /* the samples' partial sums in sample order, into sample 0's */
    for (int64_t nn = 1; nn < N; nn++)
        for (int64_t ch = 0; ch < 2 * C; ch++) part[ch] += part[nn * 2 * C + ch];
    if (Ga->requires_grad)
        for (int64_t ch = 0; ch < C; ch++) Ga->grad[ch] += (float)part[ch];
    if (Be->requires_grad)
        for (int64_t ch = 0; ch < C; ch++) Be->grad[ch] += (float)part[C + ch];
    return PN_OK;
}

static const char *const gn_inputs[] = {"x", "gamma", "beta", NULL};
static const pn_attr gn_attrs[] = {{"groups", PN_ATTR_INT, 0, 1},
                                   {"epsilon", PN_ATTR_FLOAT, 0, 1e-3}, {NULL}};
static const pn_op op_group_norm = {"group_norm", 3, group_norm_infer, group_norm_forward,
                                    group_norm_backward, NULL, gn_inputs, gn_attrs,
                                    PN_TRAIT_HAS_PARAMS | PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_group_norm[] = {&op_group_norm, NULL};
