/* attention.c - scaled dot-product attention with the softmax fused in.
 *
 * attention(q, k, v [, mask]) with heads kept inside the layout that a Dense
 * projection produces, so MultiHeadAttention needs no transposes around it:
 *   rank 4: q (N, Tq, H, dk), k (N, Tk, H, dk), v (N, Tk, H, dv) -> (N, Tq, H, dv)
 *   rank 3: q (N, Tq, H*dk),  k (N, Tk, H*dk),  v (N, Tk, H*dv)  -> (N, Tq, H*dv)
 *           with H = num_heads
 * Every (sample, head) pair is three strided GEMMs (lda = H*d) and a row softmax.
 * Attributes (slots: iattr[0..2], fattr[0]): num_heads (rank 3 only), causal,
 * has_mask, scale (0 -> 1/sqrt(dk)).
 * mask: (N, Tk) key padding or (N, Tq, Tk), or either with a batch of 1 that
 * holds for every sample (as Keras broadcasts it); nonzero = may attend. causal keeps
 * key j <= query i (top-left aligned, as Keras' use_causal_mask and torch's
 * is_causal).
 *
 * A query row with no key left to attend to: Keras adds -1e9 to masked logits,
 * which in float32 wipes out the logits and leaves uniform weights over all
 * keys; pynn gives the same uniform weights, and (since those weights then do
 * not depend on q or k) no gradient to q and k for that row.
 *
 * Backward: dV = Pᵀ dO, dP = dO Vᵀ, dS = P * (dP - rowsum(dP * P)),
 * dQ = scale dS K, dK = scale dSᵀ Q. P is kept in scratch from forward. */
#include <math.h>
#include <string.h>

#include "pn.h"

typedef struct {
    int64_t N, Tq, Tk, H, dk, dv;
    int causal;
    float scale;
    const pn_node *q, *k, *v, *m;
    int mask3;
    int mask_shared; /* a mask of batch 1, the same for every sample */
} att_plan;

static int att_plan_make(const pn_node *n, att_plan *p)
{
    const pn_node *q = n->in[0], *k = n->in[1], *v = n->in[2];
    char s1[128], s2[128], s3[128];
    int want = 3 + (n->iattr[2] != 0);
    if (n->n_in != want)
        return pn_error(PN_EVALUE, "attention: expected %d inputs, got %d", want, n->n_in);
    memset(p, 0, sizeof *p);
    p->q = q; p->k = k; p->v = v;
    p->m = n->iattr[2] ? n->in[3] : NULL;
    p->causal = n->iattr[1] != 0;
    int r = q->ndim;
    if ((r != 3 && r != 4) || k->ndim != r || v->ndim != r)
        return pn_error(PN_EVALUE,
                        "attention: q, k, v must all be (batch, T, heads, dim) or (batch, T, "
                        "heads*dim), got %s, %s, %s",
                        pn_shape_str(s1, q->ndim, q->shape), pn_shape_str(s2, k->ndim, k->shape),
                        pn_shape_str(s3, v->ndim, v->shape));
    p->N = q->shape[0]; p->Tq = q->shape[1]; p->Tk = k->shape[1];
    int64_t H = r == 4 ? q->shape[2] : n->iattr[0];
    if (H < 1) return pn_error(PN_EVALUE, "attention: num_heads must be >= 1, got %lld", (long long)H);
    int64_t qd = r == 4 ? q->shape[3] : q->shape[2], kd = r == 4 ? k->shape[3] : k->shape[2];
    int64_t vd = r == 4 ? v->shape[3] : v->shape[2];
    if (r == 3 && (qd % H || kd % H || vd % H))
        return pn_error(PN_EVALUE, "attention: last dims of %s, %s, %s must divide by num_heads=%lld",
                        pn_shape_str(s1, q->ndim, q->shape), pn_shape_str(s2, k->ndim, k->shape),
                        pn_shape_str(s3, v->ndim, v->shape), (long long)H);
    if (r == 3) { qd /= H; kd /= H; vd /= H; }
    int heads_ok = r == 3 || (k->shape[2] == H && v->shape[2] == H);
    if (!heads_ok || k->shape[0] != p->N || v->shape[0] != p->N || v->shape[1] != p->Tk || qd != kd)
        return pn_error(PN_EVALUE,
                        "attention: q %s, k %s, v %s do not fit together (same batch and heads, k "
                        "and v the same length, q and k the same depth)",
                        pn_shape_str(s1, q->ndim, q->shape), pn_shape_str(s2, k->ndim, k->shape),
                        pn_shape_str(s3, v->ndim, v->shape));
    p->H = H; p->dk = qd; p->dv = vd;
    /* the scratch holds two (N, H, Tq, Tk) score arrays: their size is checked
     * here, since it can exceed every input's (a zero-depth q of any length) */
    int64_t t;
    int rc = pn_mul_size("attention", "the score matrix (batch x heads x Tq x Tk)", p->N, H, &t);
    if (!rc) rc = pn_mul_size("attention", "the score matrix (batch x heads x Tq x Tk)", t, p->Tq, &t);
    if (!rc) rc = pn_mul_size("attention", "the score matrix (batch x heads x Tq x Tk)", t, p->Tk, &t);
    if (!rc) rc = pn_mul_size("attention", "the score matrix (batch x heads x Tq x Tk)", t, 2, &t);
    if (rc) return rc;
    p->scale = n->fattr[0] != 0.0 ? (float)n->fattr[0] : (float)(1.0 / sqrt((double)(qd ? qd : 1)));
    if (p->m) {
        const pn_node *m = p->m;
        int batch_ok = m->ndim >= 1 && (m->shape[0] == p->N || m->shape[0] == 1);
        int ok2 = batch_ok && m->ndim == 2 && m->shape[1] == p->Tk;
        int ok3 = batch_ok && m->ndim == 3 && m->shape[1] == p->Tq && m->shape[2] == p->Tk;
        if (!ok2 && !ok3)
            return pn_error(PN_EVALUE,
                            "attention: mask must be (batch=%lld, Tk=%lld) or (batch, Tq=%lld, "
                            "Tk), a batch of 1 holding for every sample; got %s",
                            (long long)p->N, (long long)p->Tk, (long long)p->Tq,
                            pn_shape_str(s1, m->ndim, m->shape));
        p->mask3 = ok3;
        p->mask_shared = m->shape[0] == 1;
    }
    return PN_OK;
}

static int attention_infer(pn_node *n)
{
    att_plan p;
    int rc = att_plan_make(n, &p);
    if (rc) return rc;
    if (p.q->ndim == 4) return pn_node_set_shape(n, 4, (int64_t[]){p.N, p.Tq, p.H, p.dv});
    return pn_node_set_shape(n, 3, (int64_t[]){p.N, p.Tq, p.H * p.dv});
}

static inline int allowed(const att_plan *p, int64_t nn, int64_t i, int64_t j)
{
    if (p->causal && j > i) return 0;
    if (!p->m) return 1;
    const float *m = p->m->data;
    if (p->mask_shared) nn = 0;
    return (p->mask3 ? m[(nn * p->Tq + i) * p->Tk + j] : m[nn * p->Tk + j]) != 0.0f;
}

typedef struct {
    att_plan *p;
    pn_node *n;
    float *P, *dP;
} att_ctx;

static void att_forward_range(void *vctx, int64_t b, int64_t e)
{
    att_ctx *c = vctx;
    att_plan *p = c->p;
    int64_t H = p->H, Tq = p->Tq, Tk = p->Tk, dk = p->dk, dv = p->dv;
    for (int64_t bh = b; bh < e; bh++) {
        int64_t nn = bh / H, h = bh % H;
        const float *q = p->q->data + nn * Tq * H * dk + h * dk;
        const float *k = p->k->data + nn * Tk * H * dk + h * dk;
        const float *v = p->v->data + nn * Tk * H * dv + h * dv;
        float *P = c->P + bh * Tq * Tk;
        pn_sgemm(0, 1, Tq, Tk, dk, p->scale, q, H * dk, k, H * dk, 0.0f, P, Tk);
        for (int64_t i = 0; i < Tq; i++) {
            float *row = P + i * Tk, mx = -INFINITY;
            for (int64_t j = 0; j < Tk; j++)
                if (allowed(p, nn, i, j) && row[j] > mx) mx = row[j];
            if (mx == -INFINITY) { /* nothing to attend to: Keras' uniform weights */
                for (int64_t j = 0; j < Tk; j++) row[j] = 1.0f / (float)Tk;
                continue;
            }
            double sum = 0;
            for (int64_t j = 0; j < Tk; j++) {
                row[j] = allowed(p, nn, i, j) ? expf(row[j] - mx) : 0.0f;
                sum += row[j];
            }
            float inv = (float)(1.0 / sum);
            for (int64_t j = 0; j < Tk; j++) row[j] *= inv;
        }
        pn_sgemm(0, 0, Tq, dv, Tk, 1.0f, P, Tk, v, H * dv, 0.0f,
                 c->n->data + nn * Tq * H * dv + h * dv, H * dv);
    }
}

static int attention_forward(pn_node *n)
{
    att_plan p;
    int rc = att_plan_make(n, &p);
    if (rc) return rc;
    int64_t per = p.Tq * p.Tk, pairs = p.N * p.H;
    /* P for backward, plus room for dP so backward never has to grow the scratch */
    float *P = pn_node_scratch(n, sizeof(float) * (size_t)(pairs * per * (n->requires_grad ? 2 : 1)));
    if (!P) return PN_ENOMEM;
    att_ctx c = {&p, n, P, NULL};
    pn_parallel_for(pairs, 1, att_forward_range, &c);
    return PN_OK;
}

static void att_backward_range(void *vctx, int64_t b, int64_t e)
{
    att_ctx *c = vctx;
    att_plan *p = c->p;
    int64_t H = p->H, Tq = p->Tq, Tk = p->Tk, dk = p->dk, dv = p->dv;
    pn_node *Q = (pn_node *)p->q, *K = (pn_node *)p->k, *V = (pn_node *)p->v;
    for (int64_t bh = b; bh < e; bh++) {
        int64_t nn = bh / H, h = bh % H;
        int64_t qo = nn * Tq * H * dk + h * dk, ko = nn * Tk * H * dk + h * dk;
        int64_t vo = nn * Tk * H * dv + h * dv, oo = nn * Tq * H * dv + h * dv;
        const float *P = c->P + bh * Tq * Tk, *g = c->n->grad + oo;
        float *dS = c->dP + bh * Tq * Tk;
        if (V->requires_grad)
            pn_sgemm(1, 0, Tk, dv, Tq, 1.0f, P, Tk, g, H * dv, 1.0f, V->grad + vo, H * dv);
        if (!Q->requires_grad && !K->requires_grad) continue;
        pn_sgemm(0, 1, Tq, Tk, dv, 1.0f, g, H * dv, V->data + vo, H * dv, 0.0f, dS, Tk);
        for (int64_t i = 0; i < Tq; i++) {
            float *row = dS + i * Tk;
            const float *pr = P + i * Tk;
            int any = 0;
            for (int64_t j = 0; j < Tk && !any; j++) any = allowed(p, nn, i, j);
            double dot = 0;
            for (int64_t j = 0; j < Tk; j++) dot += (double)row[j] * pr[j];
            for (int64_t j = 0; j < Tk; j++) row[j] = any ? pr[j] * (row[j] - (float)dot) : 0.0f;
        }
        if (Q->requires_grad)
            pn_sgemm(0, 0, Tq, dk, Tk, p->scale, dS, Tk, K->data + ko, H * dk, 1.0f, Q->grad + qo,
                     H * dk);
        if (K->requires_grad)
            pn_sgemm(1, 0, Tk, dk, Tq, p->scale, dS, Tk, Q->data + qo, H * dk, 1.0f, K->grad + ko,
                     H * dk);
    }
}

static int attention_backward(pn_node *n)
{
    att_plan p;
    int rc = att_plan_make(n, &p);
    if (rc) return rc;
    int64_t per = p.Tq * p.Tk, pairs = p.N * p.H;
    if (!n->saved || n->saved_bytes < sizeof(float) * (size_t)(2 * pairs * per))
        return pn_error(PN_EINTERNAL, "attention: backward without a recorded forward");
    float *P = n->saved;
    att_ctx c = {&p, n, P, P + pairs * per};
    /* Heads of one sample write disjoint columns of dQ/dK/dV, and samples disjoint
     * rows, so the (sample, head) pairs can run in parallel. */
    pn_parallel_for(pairs, 1, att_backward_range, &c);
    return PN_OK;
}

static const char *const att_inputs[] = {"query", "key", "value", "mask?", NULL};
static const pn_attr att_attrs[] = {{"num_heads", PN_ATTR_INT, 0, 0},
                                    {"causal", PN_ATTR_BOOL, 1, 0},
                                    {"has_mask", PN_ATTR_BOOL, 2, 0},
                                    {"scale", PN_ATTR_FLOAT, 0, 0.0}, {NULL}};
static const pn_op op_attention = {"attention", -1, attention_infer, attention_forward,
                                   attention_backward, NULL, att_inputs, att_attrs,
                                   PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_attention[] = {&op_attention, NULL};
