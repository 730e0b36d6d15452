/* rnn.c - whole-sequence recurrent layers: simple_rnn, lstm, gru; and rnn_slice.
 *
 * One op runs a layer over the whole sequence, with Keras 3 weight layouts so
 * that weights transfer unchanged:
 *   simple_rnn  kernel (F, u),  recurrent_kernel (u, u),  bias (u)
 *   lstm        kernel (F, 4u), recurrent_kernel (u, 4u), bias (4u); gates i, f, c, o
 *               c = f*c_prev + i*act(xc + h U_c); h = o*act(c)
 *   gru         kernel (F, 3u), recurrent_kernel (u, 3u), bias (2, 3u) (row 0 input,
 *               row 1 recurrent: Keras' reset_after=True); gates z, r, h
 *               hh = act(x_h + r*(h U_h + b_rh)); h = z*h_prev + (1-z)*hh
 *
 * Inputs, in this order: x (N, T, F), kernel, recurrent_kernel, [bias],
 * [h0 (N, u) [, c0 (N, u) for lstm]], [mask (N, T)], [dropout mask (N, Mi, F)],
 * [recurrent dropout mask (N, Mr, u)]; presence is given by the flags use_bias,
 * has_initial_state, has_mask, has_dropout_mask, has_recurrent_dropout_mask.
 * Other attributes: return_sequences, go_backwards, return_state, activation,
 * recurrent_activation (lstm, gru), zero_output_for_mask (the descriptors at
 * the end give their slots).
 *
 * Output. Without return_state: (N, T, u) with return_sequences, else (N, u).
 * With return_state the output is packed along axis 1 as (N, S + k, u): the S
 * outputs (S = T or 1) followed by the k final states (h; h, c for lstm). Python
 * takes the pieces apart with rnn_slice, whose backward routes each piece's
 * gradient back into the one BPTT sweep. (One op instead of an op per state:
 * a separate state op could not inject its gradient into this op's sweep.)
 *
 * Masks follow Keras 3 (JAX / NumPy / torch backends): at a masked step every
 * state is carried through unchanged and the step outputs the carried h (or
 * zeros with zero_output_for_mask, what Bidirectional asks of its layers).
 * go_backwards processes t = T-1 .. 0 and, as in Keras, returns the sequence in
 * processing order.
 *
 * Dropout masks (Keras 3's DropoutRNNCell: one mask per sequence, used at every
 * step; the values are the multipliers, 0 or 1/(1-rate), drawn by the
 * dropout_mask op). The dropout mask multiplies x before the kernel, the
 * recurrent one h_{t-1} before the recurrent kernel only (GRU's z*h_{t-1} and
 * the carried states use the undropped h). With M = 1 mask every gate sees the
 * same masked vector; with M = G masks, mask k feeds gate k's columns of the
 * kernel (Keras' implementation=1, which recurrent_dropout selects for LSTM and
 * GRU). Masks are constants: no gradient flows into them.
 *
 * Speed: with dropout masks (or one sample) the input projection of all N*T
 * steps is one GEMM (one per mask, over that mask's gate columns); each step is
 * one GEMM (N x u) . (u x Gu) (again one per recurrent mask) plus one fused
 * pointwise pass over the gates. The backward sweep runs one GEMM per step for
 * dh and stores the pre-activation gate gradients, so dX, dW and dU are three
 * big GEMMs at the end.
 * Without dropout masks (and with more than one sample) a step is fused: W and
 * U (backward: U^T) are packed once per sweep (gemm/prepacked.c) and one pool
 * task per block of batch rows runs that block's x . W and h . U straight into
 * its gates rows and then its gate pass (forward_rows / backward_rows), so the
 * gates are still in cache when the gate pass reads them (step_proj, acc_rec);
 * training keeps the history time-major and, when the two gradients are
 * adjacent, forms dW and dU in one GEMM (ldh). Every path gives the same bits
 * (tests/test_ops_rnn_paths.py). The stored gate gradients, x and the stored
 * previous states are indexed by time t (not by processing step) in (sample,
 * time) order, so they line up row by row for the final GEMMs whatever the
 * direction, and those GEMMs sum in the order they always did. */
/* as in unary.c: under -ftrapping-math the selects in fast_tanhf /
 * stable_sigmoid keep the gate loops scalar */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <math.h>
#include <string.h>

#include "pn.h"
#include "activation.h"

enum { ACT_TANH, ACT_SIGMOID, ACT_RELU, ACT_LINEAR, ACT_HARD_SIGMOID, ACT_COUNT };
enum { RNN_SIMPLE, RNN_LSTM, RNN_GRU };

/* The activations run over whole gate rows with the switch outside the
 * element loop, so each loop is a plain arithmetic loop the compiler
 * vectorises (fast_tanhf / stable_sigmoid from activation.h instead of the
 * scalar libm calls). */
ALWAYS_INLINE void act_rows(int a, float *x, int64_t n)
{
    switch (a) {
    case ACT_TANH:
        for (int64_t j = 0; j < n; j++) x[j] = fast_tanhf(x[j]);
        break;
    case ACT_SIGMOID:
        for (int64_t j = 0; j < n; j++) x[j] = stable_sigmoid(x[j]);
        break;
    case ACT_RELU:
        for (int64_t j = 0; j < n; j++) x[j] = x[j] > 0 ? x[j] : 0.0f;
        break;
    case ACT_LINEAR:
        break;
    default: /* Keras 3 hard_sigmoid: relu6(x + 3) / 6 */
        for (int64_t j = 0; j < n; j++) {
            float y = (x[j] + 3.0f) / 6.0f;
            x[j] = y < 0 ? 0.0f : (y > 1 ? 1.0f : y);
        }
    }
}

/* v[j] *= act'(x_j), the derivative written in terms of the activation's
 * output y, so backward needs only the stored post-activation gates. */
ALWAYS_INLINE void act_d_mul(int a, const float *y, float *v, int64_t n)
{
    switch (a) {
    case ACT_TANH:
        for (int64_t j = 0; j < n; j++) v[j] *= 1.0f - y[j] * y[j];
        break;
    case ACT_SIGMOID:
        for (int64_t j = 0; j < n; j++) v[j] *= y[j] * (1.0f - y[j]);
        break;
    case ACT_RELU:
        for (int64_t j = 0; j < n; j++) v[j] *= y[j] > 0 ? 1.0f : 0.0f;
        break;
    case ACT_LINEAR:
        break;
    default:
        for (int64_t j = 0; j < n; j++) v[j] *= y[j] > 0 && y[j] < 1 ? 1.0f / 6.0f : 0.0f;
    }
}

/* dst[j] += a[j] (+ b[j]) for the optional bias rows. */
ALWAYS_INLINE void add_rows(float *dst, const float *a, const float *b, int64_t n)
{
    if (a)
        for (int64_t j = 0; j < n; j++) dst[j] += a[j];
    if (b)
        for (int64_t j = 0; j < n; j++) dst[j] += b[j];
}

typedef struct {
    int kind, G, K;                    /* gates per unit, number of states */
    int64_t N, T, F, u, S, Stot;       /* S output steps, Stot with packed states */
    int seq, back, rstate, act, ract, zero_out;
    pn_node *X, *W, *U, *B, *H0, *C0, *M, *DI, *DR; /* DI, DR: dropout masks */
    /* scratch (floats); xd, hd, hpd, dhk hold masked copies of x, h, h_prev, dh */
    float *gates, *hp, *cp, *tc, *inner, *hcur, *ccur, *rec, *dpre, *dinner, *dh, *dc;
    float *xd, *hd, *hpd, *dhk;
    /* Without a recurrent dropout mask each step is fused (step_rows): up holds
     * the recurrent kernel packed once per sweep for pn_sgemm_prepacked (U
     * forward, U^T backward), dstep a step's gate gradients in contiguous rows. */
    float *up, *dstep;
    /* keep: the per-step history backward needs (hp, cp and the gates' tc,
     * inner for every t) is stored; without a gradient only the current step's
     * rows are (history_row), which spares an inference batch the traffic. */
    int keep;
    /* step_proj (the fused step, no dropout masks): x . W is computed inside
     * each step (W packed once into wp, the step's inputs copied to xs) into
     * that step's gates rows, instead of one GEMM over all steps whose N*T*Gu
     * output every step then re-reads from L3 or DRAM, 32 or more rows 2 KB
     * long and T*Gu floats apart (1024 x 64 x 2 KB = 128 MB for e8). Same sums,
     * so the same bits. Inference keeps the current step's rows only; training
     * keeps every step's, time-major (gates_row), so that a step's rows are one
     * contiguous block for the backward sweep too.
     * acc_rec (step_proj, LSTM or SimpleRNN, U summed in one depth block): the
     * step's h . U is accumulated straight into those gates rows by the GEMM
     * (beta 1: round(x.W + h.U), the same one addition the separate rec rows
     * took), sparing the rec buffer and its pass; GRU needs h . U apart (its
     * candidate multiplies the recurrent part by r). */
    int step_proj, acc_rec;
    float *wp, *xs;
    /* step_dx (backward of step_proj, LSTM or SimpleRNN, x needs a gradient):
     * each step's dx = dG . W^T is formed in the backward task from the gate
     * gradients it has just written (W^T packed into wp), instead of one GEMM
     * re-reading all N*T*Gu of them at the end; a row of dx is the same sum
     * in either (gemm/prepacked.c), so the same bits. */
    int step_dx;
    /* hp's row stride. With step_proj in training, hp is the right part of
     * rows [x_t, h_{t-1}] (xh, F + u wide, in (sample, time) order like x and
     * the gate gradients), so that dW and dU are one GEMM xh^T . dG when the
     * two gradients lie one after the other (the parameter arena), which
     * packs the N*T x Gu gate gradients once instead of twice. */
    int64_t ldh;
    float *xh;
} rnn_plan;

/* The row of gates holding sample nn's gates at time t (see step_proj). */
static inline int64_t gates_row(const rnn_plan *p, int64_t nn, int64_t t)
{
    if (!p->step_proj) return nn * p->T + t;
    return p->keep ? t * p->N + nn : nn;
}

/* The row of the per-step history arrays cp, tc, inner for sample nn at time
 * t: laid out as the gates in training, the current step only in inference. */
static inline int64_t history_row(const rnn_plan *p, int64_t nn, int64_t t)
{
    return p->keep ? gates_row(p, nn, t) : nn;
}

/* The row of hp (stride ldh) for sample nn at time t: (sample, time) order in
 * training, as the final dU GEMM sums over rows in the order of the gate
 * gradients. */
static inline int64_t hp_row(const rnn_plan *p, int64_t nn, int64_t t)
{
    return p->keep ? nn * p->T + t : nn;
}

static const char *kind_name(int kind)
{
    return kind == RNN_LSTM ? "lstm" : kind == RNN_GRU ? "gru" : "simple_rnn";
}

static int rnn_plan_make(const pn_node *n, int kind, rnn_plan *p)
{
    const char *name = kind_name(kind);
    char s1[128], s2[128];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->G = kind == RNN_LSTM ? 4 : kind == RNN_GRU ? 3 : 1;
    p->K = kind == RNN_LSTM ? 2 : 1;
    p->seq = n->iattr[0] != 0;
    p->back = n->iattr[1] != 0;
    p->rstate = n->iattr[2] != 0;
    p->act = (int)n->iattr[3];
    p->ract = (int)n->iattr[4];
    int has_bias = n->iattr[5] != 0, has_init = n->iattr[6] != 0, has_mask = n->iattr[7] != 0;
    int has_drop = n->iattr[9] != 0, has_rdrop = n->iattr[10] != 0;
    p->zero_out = n->iattr[8] != 0;
    if (n->iattr[3] < 0 || n->iattr[3] >= ACT_COUNT || n->iattr[4] < 0 || n->iattr[4] >= ACT_COUNT)
        return pn_error(PN_EVALUE, "%s: unknown activation id %lld / %lld", name,
                        (long long)n->iattr[3], (long long)n->iattr[4]);
    int want = 3 + has_bias + (has_init ? p->K : 0) + has_mask + has_drop + has_rdrop;
    if (n->n_in != want)
        return pn_error(PN_EVALUE, "%s: expected %d inputs for these flags, got %d", name, want,
                        n->n_in);
    int i = 0;
    p->X = n->in[i++];
    p->W = n->in[i++];
    p->U = n->in[i++];
    if (has_bias) p->B = n->in[i++];
    if (has_init) {
        p->H0 = n->in[i++];
        if (kind == RNN_LSTM) p->C0 = n->in[i++];
    }
    if (has_mask) p->M = n->in[i++];
    if (has_drop) p->DI = n->in[i++];
    if (has_rdrop) p->DR = n->in[i++];

    const pn_node *X = p->X, *W = p->W, *U = p->U;
    if (X->ndim != 3)
        return pn_error(PN_EVALUE,
                        "%s: inputs must be 3-D (batch, timesteps, features), got shape %s; a "
                        "sequence of scalars needs a trailing feature axis of 1, and one sample "
                        "of shape (timesteps, features) needs a leading batch axis",
                        name, pn_shape_str(s1, X->ndim, X->shape));
    p->N = X->shape[0];
    p->T = X->shape[1];
    p->F = X->shape[2];
    if (p->T < 1)
        return pn_error(PN_EVALUE, "%s: the sequence must have at least one time step, got %s",
                        name, pn_shape_str(s1, X->ndim, X->shape));
    if (U->ndim != 2 || U->shape[0] < 1 || U->shape[0] > PN_SIZE_MAX / 4 ||
        U->shape[1] != p->G * U->shape[0])
        return pn_error(PN_EVALUE, "%s: recurrent_kernel must be (units, %d*units), got %s", name,
                        p->G, pn_shape_str(s1, U->ndim, U->shape));
    p->u = U->shape[0];
    int64_t Gu = p->G * p->u;
    if (W->ndim != 2 || W->shape[0] != p->F || W->shape[1] != Gu)
        return pn_error(PN_EVALUE, "%s: kernel must be (features=%lld, %lld) for inputs %s, got %s",
                        name, (long long)p->F, (long long)Gu,
                        pn_shape_str(s1, X->ndim, X->shape), pn_shape_str(s2, W->ndim, W->shape));
    if (p->B) {
        int ok = kind == RNN_GRU
                     ? p->B->ndim == 2 && p->B->shape[0] == 2 && p->B->shape[1] == Gu
                     : p->B->ndim == 1 && p->B->shape[0] == Gu;
        if (!ok)
            return pn_error(PN_EVALUE, kind == RNN_GRU ? "%s: bias must be (2, %lld), got %s"
                                                       : "%s: bias must be (%lld,), got %s",
                            name, (long long)Gu, pn_shape_str(s1, p->B->ndim, p->B->shape));
    }
    const pn_node *st[2] = {p->H0, p->C0};
    for (int k = 0; k < 2; k++)
        if (st[k] && (st[k]->ndim != 2 || st[k]->shape[0] != p->N || st[k]->shape[1] != p->u))
            return pn_error(PN_EVALUE, "%s: initial state %d must be (batch=%lld, units=%lld), got %s",
                            name, k, (long long)p->N, (long long)p->u,
                            pn_shape_str(s1, st[k]->ndim, st[k]->shape));
    if (p->M && (p->M->ndim != 2 || p->M->shape[0] != p->N || p->M->shape[1] != p->T))
        return pn_error(PN_EVALUE, "%s: mask must be (batch=%lld, timesteps=%lld), got %s", name,
                        (long long)p->N, (long long)p->T, pn_shape_str(s1, p->M->ndim, p->M->shape));
    const pn_node *dm[2] = {p->DI, p->DR};
    const int64_t width[2] = {p->F, p->u};
    for (int k = 0; k < 2; k++)
        if (dm[k] && (dm[k]->ndim != 3 || dm[k]->shape[0] != p->N || dm[k]->shape[2] != width[k] ||
                      (dm[k]->shape[1] != 1 && dm[k]->shape[1] != p->G)))
            return pn_error(PN_EVALUE,
                            "%s: %s dropout mask must be (batch=%lld, 1 or %d, %lld), got %s", name,
                            k ? "recurrent" : "input", (long long)p->N, p->G, (long long)width[k],
                            pn_shape_str(s1, dm[k]->ndim, dm[k]->shape));
    /* The scratch (rnn_layout) holds about a dozen arrays of at most N*T*G*u or
     * N*T*F floats: bounding those by PN_SIZE_MAX / 16 keeps every offset and the
     * byte count in range, whatever sizes a zero-size input carries. */
    int64_t NT, t;
    int rc = pn_mul_size(name, "batch x timesteps", p->N, p->T, &NT);
    if (!rc) rc = pn_mul_size(name, "the gate buffer (batch x timesteps x gates x units)", NT, Gu, &t);
    if (!rc) rc = pn_mul_size(name, "the gate buffer (batch x timesteps x gates x units)", t, 16, &t);
    if (!rc) rc = pn_mul_size(name, "the input buffer (batch x timesteps x features)", NT, p->F, &t);
    if (!rc) rc = pn_mul_size(name, "the input buffer (batch x timesteps x features)", t, 16, &t);
    if (rc) return rc;
    p->S = p->seq ? p->T : 1;
    p->Stot = p->S + (p->rstate ? p->K : 0);
    return PN_OK;
}

/* Lays the scratch out (or just measures it when base is NULL); returns floats. */
static int64_t rnn_layout(rnn_plan *p, float *base, int with_grad)
{
    int64_t NT = p->N * p->T, Gu = p->G * p->u, off = 0;
#define TAKE(field, count)                                    \
    do {                                                      \
        p->field = base ? base + off : NULL;                  \
        off += ((int64_t)(count) + 15) / 16 * 16;             \
    } while (0)
    int64_t hist = with_grad ? NT : p->N; /* rows of the history arrays */
    p->keep = with_grad;
    p->step_proj = !p->DI && !p->DR && p->N > 1;
    p->acc_rec = p->step_proj && p->kind != RNN_GRU && pn_sgemm_k_block(p->u) >= p->u;
    TAKE(gates, (p->step_proj && !with_grad ? p->N : NT) * Gu);
    p->ldh = p->u;
    if (p->step_proj && with_grad) {
        p->ldh = p->F + p->u;
        TAKE(xh, NT * p->ldh);
        p->hp = p->xh ? p->xh + p->F : NULL;
    } else {
        TAKE(hp, hist * p->u);
    }
    TAKE(hcur, p->N * p->u);
    if (!p->acc_rec) TAKE(rec, p->N * Gu);
    if (p->kind == RNN_LSTM) {
        TAKE(cp, hist * p->u);
        TAKE(tc, hist * p->u);
        TAKE(ccur, p->N * p->u);
    }
    if (p->kind == RNN_GRU) TAKE(inner, hist * p->u);
    if (p->DI) TAKE(xd, NT * p->F);
    if (p->DR) TAKE(hd, p->N * p->u);
    if (with_grad) {
        TAKE(dpre, NT * Gu);
        if (p->kind == RNN_GRU) TAKE(dinner, NT * Gu);
        TAKE(dh, p->N * p->u);
        if (p->kind == RNN_LSTM) TAKE(dc, p->N * p->u);
        if (p->DR) {
            TAKE(hpd, NT * p->u);
            TAKE(dhk, p->N * p->u);
        }
    }
    if (!p->DR && p->N > 1) { /* one sample: pn_sgemm's GEMV reads U in place faster */
        int64_t fw = pn_sgemm_packed_b_floats(p->u, Gu), bw = pn_sgemm_packed_b_floats(Gu, p->u);
        TAKE(up, with_grad && bw > fw ? bw : fw);
        if (with_grad) TAKE(dstep, p->N * Gu);
    }
    if (p->step_proj) { /* backward packs W^T there (step_dx) */
        int64_t fw = pn_sgemm_packed_b_floats(p->F, Gu), bw = pn_sgemm_packed_b_floats(Gu, p->F);
        TAKE(wp, with_grad && bw > fw ? bw : fw);
        TAKE(xs, p->N * p->F);
    }
#undef TAKE
    if (p->kind != RNN_GRU) p->dinner = p->dpre; /* same pre-activation gradient */
    return off;
}

/* ------------------------------------------------------------------ dropout masks
 * The products below, x . W and h . U and their gradients, with a dropout mask
 * D (N, M, w): mask k multiplies the w-wide rows a (N*T rows, T per sample)
 * feeding the k-th block of Gu/M columns of B. Without D each is one GEMM. */

/* dst[n, t, :] = (or +=) src[n, t, :] * D[n, k, :] for t < T. */
static void mask_rows(float *dst, const float *src, const pn_node *D, int64_t k, int64_t T,
                      int64_t w, int accumulate)
{
    int64_t N = D->shape[0], M = D->shape[1];
    for (int64_t nn = 0; nn < N; nn++) {
        const float *m = D->data + (nn * M + k) * w;
        for (int64_t t = 0; t < T; t++) {
            int64_t off = (nn * T + t) * w;
            if (accumulate)
                for (int64_t j = 0; j < w; j++) dst[off + j] += src[off + j] * m[j];
            else
                for (int64_t j = 0; j < w; j++) dst[off + j] = src[off + j] * m[j];
        }
    }
}

/* out (rows, Gu) = [(a * D_k) . B_k]_k; tmp holds rows * w floats. */
static void masked_project(const float *a, int64_t rows, int64_t T, int64_t w, const pn_node *D,
                           float *tmp, const float *B, int64_t Gu, float *out)
{
    if (!D) {
        pn_sgemm(0, 0, rows, Gu, w, 1.0f, a, w, B, Gu, 0.0f, out, Gu);
        return;
    }
    int64_t bw = Gu / D->shape[1];
    for (int64_t k = 0; k < D->shape[1]; k++) {
        mask_rows(tmp, a, D, k, T, w, 0);
        pn_sgemm(0, 0, rows, bw, w, 1.0f, tmp, w, B + k * bw, Gu, 0.0f, out + k * bw, Gu);
    }
}

/* da (rows, w) += sum_k (g_k . B_k^T) * D_k, g with row stride ldg. */
static void masked_project_back(const float *g, int64_t ldg, int64_t rows, int64_t T, int64_t w,
                                const pn_node *D, float *tmp, const float *B, int64_t Gu, float *da)
{
    if (!D) {
        pn_sgemm(0, 1, rows, w, Gu, 1.0f, g, ldg, B, Gu, 1.0f, da, w);
        return;
    }
    int64_t bw = Gu / D->shape[1];
    for (int64_t k = 0; k < D->shape[1]; k++) {
        pn_sgemm(0, 1, rows, w, bw, 1.0f, g + k * bw, ldg, B + k * bw, Gu, 0.0f, tmp, w);
        mask_rows(da, tmp, D, k, T, w, 1);
    }
}

/* dB_k += (a * D_k)^T . g_k, g (rows, Gu); a has row stride lda (w with D). */
static void masked_weight_grad(const float *a, int64_t lda, int64_t rows, int64_t T, int64_t w,
                               const pn_node *D, float *tmp, const float *g, int64_t Gu, float *dB)
{
    if (!D) {
        pn_sgemm(1, 0, w, Gu, rows, 1.0f, a, lda, g, Gu, 1.0f, dB, Gu);
        return;
    }
    int64_t bw = Gu / D->shape[1];
    for (int64_t k = 0; k < D->shape[1]; k++) {
        mask_rows(tmp, a, D, k, T, w, 0);
        pn_sgemm(1, 0, w, bw, rows, 1.0f, tmp, w, g + k * bw, Gu, 1.0f, dB + k * bw, Gu);
    }
}

#define DEFINE_INFER(NAME, KIND)                                                    \
    static int NAME##_infer(pn_node *n)                                           \
    {                                                                             \
        rnn_plan p;                                                               \
        int rc = rnn_plan_make(n, KIND, &p);                                      \
        if (rc) return rc;                                                        \
        int64_t shape[3] = {p.N, p.Stot, p.u};                                    \
        if (!p.rstate && !p.seq) return pn_node_set_shape(n, 2, (int64_t[]){p.N, p.u}); \
        return pn_node_set_shape(n, 3, shape);                                    \
    }

/* ------------------------------------------------------------------ forward */

typedef struct {
    rnn_plan *p;
    pn_node *n;
    int64_t s, t;
} step_ctx;

static inline int step_on(const rnn_plan *p, int64_t nn, int64_t t)
{
    return !p->M || p->M->data[nn * p->T + t] != 0.0f;
}

/* Gates of step t for samples [b, e): rec holds h_prev . U, gates holds x . W
 * (with acc_rec, x . W + h_prev . U and there is no rec). Each sample is a few
 * passes over its contiguous gate rows (sum, activate, combine) rather than
 * one loop with activation calls in it, so every pass vectorises. */
RANGE_FN forward_step(void *vctx, int64_t b, int64_t e)
{
    step_ctx *c = vctx;
    rnn_plan *p = c->p;
    int64_t u = p->u, Gu = p->G * u, t = c->t, s = c->s;
    const float *bin = p->B ? p->B->data : NULL;
    const float *brec = p->B && p->kind == RNN_GRU ? p->B->data + Gu : NULL;
    float *Y = c->n->data;
    for (int64_t nn = b; nn < e; nn++) {
        float *g = p->gates + gates_row(p, nn, t) * Gu;
        const float *r = p->acc_rec ? NULL : p->rec + nn * Gu;
        float *h = p->hcur + nn * u;
        int on = step_on(p, nn, t);
        int64_t hr = history_row(p, nn, t);
        if (p->keep) memcpy(p->hp + hp_row(p, nn, t) * p->ldh, h, sizeof(float) * (size_t)u);
        if (p->kind == RNN_SIMPLE) {
            add_rows(g, r, bin, u);
            act_rows(p->act, g, u);
            if (on) memcpy(h, g, sizeof(float) * (size_t)u);
        } else if (p->kind == RNN_LSTM) {
            float *cc = p->ccur + nn * u, *tcv = p->tc + hr * u;
            const float *gi = g, *gf = g + u, *gc = g + 2 * u, *go = g + 3 * u;
            if (p->keep) memcpy(p->cp + hr * u, cc, sizeof(float) * (size_t)u);
            add_rows(g, r, bin, Gu);
            act_rows(p->ract, g, 2 * u);
            act_rows(p->act, g + 2 * u, u);
            act_rows(p->ract, g + 3 * u, u);
            for (int64_t j = 0; j < u; j++) tcv[j] = gf[j] * cc[j] + gi[j] * gc[j];
            if (on) memcpy(cc, tcv, sizeof(float) * (size_t)u);
            act_rows(p->act, tcv, u);
            if (on)
                for (int64_t j = 0; j < u; j++) h[j] = go[j] * tcv[j];
        } else {
            float *in = p->inner + hr * u;
            const float *z = g, *rr = g + u;
            float *hh = g + 2 * u;
            add_rows(g, r, bin, 2 * u);
            add_rows(g, brec, NULL, 2 * u);
            act_rows(p->ract, g, 2 * u);
            memcpy(in, r + 2 * u, sizeof(float) * (size_t)u);
            add_rows(in, brec ? brec + 2 * u : NULL, NULL, u);
            add_rows(hh, bin ? bin + 2 * u : NULL, NULL, u);
            for (int64_t j = 0; j < u; j++) hh[j] += rr[j] * in[j];
            act_rows(p->act, hh, u);
            if (on)
                for (int64_t j = 0; j < u; j++) h[j] = z[j] * h[j] + (1.0f - z[j]) * hh[j];
        }
        if (p->seq || s == p->T - 1) {
            float *y = Y + nn * p->Stot * u + (p->seq ? s : 0) * u;
            if (on || !p->zero_out)
                memcpy(y, h, sizeof(float) * (size_t)u);
            else
                memset(y, 0, sizeof(float) * (size_t)u);
        }
    }
}

/* The rows a worker owns in a fused step: their recurrent product h_prev . U
 * (U packed once per sweep) and then their gates, in one task, so a step costs
 * one hand-out to the pool instead of one per GEMM and one per gate pass. Row
 * n of the product needs row n of h only, so tasks never wait on each other. */
RANGE_FN forward_rows(void *vctx, int64_t b, int64_t e)
{
    step_ctx *c = vctx;
    rnn_plan *p = c->p;
    int64_t u = p->u, Gu = p->G * u, t = c->t;
    /* rows [b, e) of this step's gates are contiguous (gates_row) */
    float *g = p->gates + gates_row(p, b, t) * Gu;
    if (p->step_proj) { /* this step's x . W for these rows (see rnn_plan) */
        int64_t F = p->F;
        for (int64_t nn = b; nn < e; nn++) {
            const float *x = p->X->data + (nn * p->T + t) * F;
            memcpy(p->xs + nn * F, x, sizeof(float) * (size_t)F);
            if (p->xh) memcpy(p->xh + hp_row(p, nn, t) * p->ldh, x, sizeof(float) * (size_t)F);
        }
        pn_sgemm_prepacked(e - b, Gu, F, p->xs + b * F, F, p->wp, 0.0f, g, Gu);
    }
    if (p->acc_rec)
        pn_sgemm_prepacked(e - b, Gu, u, p->hcur + b * u, u, p->up, 1.0f, g, Gu);
    else
        pn_sgemm_prepacked(e - b, Gu, u, p->hcur + b * u, u, p->up, 0.0f, p->rec + b * Gu, Gu);
    forward_step(vctx, b, e);
}

/* Rows per fused-step task: about 64K multiply-adds at least (below that the
 * hand-out costs more than a second thread saves), at most 8 kernel tiles of
 * rows (so a thread slowed by other work takes fewer tasks), and few enough
 * that every thread gets one. Any split gives the same bits: a row's product
 * and gates do not depend on the rows beside it. */
static int64_t step_grain(const rnn_plan *p)
{
    int64_t per_row = p->G * p->u * p->u, threads = pn_get_num_threads();
    int64_t lo = 1 + (65536 - 1) / (per_row ? per_row : 1);
    int64_t rows = (p->N + threads - 1) / threads;
    if (rows > 96) rows = 96;
    return rows > lo ? rows : lo;
}

static int rnn_forward_kind(pn_node *n, int kind)
{
    rnn_plan p;
    int rc = rnn_plan_make(n, kind, &p);
    if (rc) return rc;
    int64_t floats = rnn_layout(&p, NULL, n->requires_grad);
    float *base = pn_node_scratch(n, sizeof(float) * (size_t)floats);
    if (!base) return PN_ENOMEM;
    rnn_layout(&p, base, n->requires_grad);
    int64_t N = p.N, T = p.T, u = p.u, Gu = p.G * u;
    if (p.step_proj) pn_sgemm_pack_b(0, p.F, Gu, p.W->data, Gu, p.wp);
    else masked_project(p.X->data, N * T, T, p.F, p.DI, p.xd, p.W->data, Gu, p.gates);
    if (p.H0) memcpy(p.hcur, p.H0->data, sizeof(float) * (size_t)(N * u));
    else memset(p.hcur, 0, sizeof(float) * (size_t)(N * u));
    if (kind == RNN_LSTM) {
        if (p.C0) memcpy(p.ccur, p.C0->data, sizeof(float) * (size_t)(N * u));
        else memset(p.ccur, 0, sizeof(float) * (size_t)(N * u));
    }
    step_ctx c = {&p, n, 0, 0};
    if (p.up) pn_sgemm_pack_b(0, u, Gu, p.U->data, Gu, p.up);
    int64_t grain = p.up ? step_grain(&p) : 1 + 8192 / (Gu ? Gu : 1);
    for (int64_t s = 0; s < T; s++) {
        c.s = s;
        c.t = p.back ? T - 1 - s : s;
        if (p.up) {
            pn_parallel_for(N, grain, forward_rows, &c);
            continue;
        }
        masked_project(p.hcur, N, 1, u, p.DR, p.hd, p.U->data, Gu, p.rec);
        pn_parallel_for(N, grain, forward_step, &c);
    }
    if (p.rstate)
        for (int64_t nn = 0; nn < N; nn++) {
            float *y = n->data + nn * p.Stot * u + p.S * u;
            memcpy(y, p.hcur + nn * u, sizeof(float) * (size_t)u);
            if (kind == RNN_LSTM) memcpy(y + u, p.ccur + nn * u, sizeof(float) * (size_t)u);
        }
    return PN_OK;
}

/* ------------------------------------------------------------------ backward */

/* The LSTM cell-state pass of backward_step: dct = dc + dh (dh holds the
 * part through h), the products feeding the i, f, c gate gradients, dc for
 * the previous step, and dh cleared for the recurrent GEMM. restrict (the
 * arrays are distinct) spares the compiler alias checks it would otherwise
 * give up on, leaving the loop scalar. */
ALWAYS_INLINE void lstm_cell_back(float *restrict dc, float *restrict dh, float *restrict di,
                                  float *restrict df, float *restrict dcg,
                                  const float *restrict gi, const float *restrict gf,
                                  const float *restrict gc, const float *restrict cprev, int64_t u)
{
    for (int64_t j = 0; j < u; j++) {
        float dct = dc[j] + dh[j];
        di[j] = dct * gc[j];
        df[j] = dct * cprev[j];
        dcg[j] = dct * gi[j];
        dc[j] = dct * gf[j];
        dh[j] = 0.0f;
    }
}

/* The GRU pass of backward_step after dah = dh (1 - z) act'(hh): the
 * products feeding the z and r gate gradients, the candidate's recurrent
 * part, and dh for the previous step. restrict as in lstm_cell_back. */
ALWAYS_INLINE void gru_cell_back(float *restrict dh, float *restrict dz, float *restrict dr,
                                 float *restrict dinh, const float *restrict dah,
                                 const float *restrict z, const float *restrict rr,
                                 const float *restrict hh, const float *restrict hprev,
                                 const float *restrict in, int64_t u)
{
    for (int64_t j = 0; j < u; j++) {
        dz[j] = dh[j] * (hprev[j] - hh[j]);
        dr[j] = dah[j] * in[j];
        dinh[j] = dah[j] * rr[j];
        dh[j] = dh[j] * z[j];
    }
}

/* On entry dh[n] is the gradient of the state after step s; on exit the part of
 * the gradient of the state before it that does not go through U (the GEMM
 * adds the rest). Masked samples pass their gradients through untouched.
 * As in forward, each sample is a few vectorisable passes: the products are
 * formed first and then multiplied by the activation derivatives. */
RANGE_FN backward_step(void *vctx, int64_t b, int64_t e)
{
    step_ctx *c = vctx;
    rnn_plan *p = c->p;
    int64_t u = p->u, Gu = p->G * u, t = c->t, s = c->s;
    const float *G = c->n->grad;
    for (int64_t nn = b; nn < e; nn++) {
        int64_t row = nn * p->T + t;
        float *dp = p->dpre + row * Gu, *di = p->dinner + row * Gu;
        float *dh = p->dh + nn * u;
        const float *gy = p->seq || s == p->T - 1
                              ? G + nn * p->Stot * u + (p->seq ? s : 0) * u
                              : NULL;
        int on = step_on(p, nn, t);
        if (!on) {
            memset(dp, 0, sizeof(float) * (size_t)Gu);
            if (p->kind == RNN_GRU) memset(di, 0, sizeof(float) * (size_t)Gu);
            if (gy && !p->zero_out) add_rows(dh, gy, NULL, u);
            continue;
        }
        int64_t hr = history_row(p, nn, t);
        const float *g = p->gates + gates_row(p, nn, t) * Gu;
        add_rows(dh, gy, NULL, u); /* dh is now the full gradient gh of h */
        if (p->kind == RNN_SIMPLE) {
            memcpy(dp, dh, sizeof(float) * (size_t)u);
            act_d_mul(p->act, g, dp, u);
            memset(dh, 0, sizeof(float) * (size_t)u);
        } else if (p->kind == RNN_LSTM) {
            const float *gi = g, *gf = g + u, *gc = g + 2 * u, *go = g + 3 * u;
            const float *tcv = p->tc + hr * u, *cprev = p->cp + hr * u;
            float *dc = p->dc + nn * u;
            for (int64_t j = 0; j < u; j++) {
                dp[3 * u + j] = dh[j] * tcv[j];
                dh[j] = dh[j] * go[j];
            }
            act_d_mul(p->act, tcv, dh, u); /* dh: gradient of c through h */
            lstm_cell_back(dc, dh, dp, dp + u, dp + 2 * u, gi, gf, gc, cprev, u);
            act_d_mul(p->ract, g, dp, 2 * u);
            act_d_mul(p->act, gc, dp + 2 * u, u);
            act_d_mul(p->ract, go, dp + 3 * u, u);
        } else {
            const float *z = g, *rr = g + u, *hh = g + 2 * u;
            const float *hprev = p->hp + hp_row(p, nn, t) * p->ldh, *in = p->inner + hr * u;
            float *dah = dp + 2 * u;
            for (int64_t j = 0; j < u; j++) dah[j] = dh[j] * (1.0f - z[j]);
            act_d_mul(p->act, hh, dah, u);
            gru_cell_back(dh, dp, dp + u, di + 2 * u, dah, z, rr, hh, hprev, in, u);
            act_d_mul(p->ract, g, dp, 2 * u);
            memcpy(di, dp, sizeof(float) * (size_t)(2 * u));
        }
    }
}

/* backward_step for rows [b, e) and then their part of dh += dG . U^T (U^T
 * packed once per sweep), in one task as forward_rows. The gate gradients of
 * step t sit T * Gu floats apart in dinner (indexed by time for the final
 * GEMMs); the product reads a contiguous copy instead, since rows a power of
 * two of KB apart all fall in the same L1 sets. */
RANGE_FN backward_rows(void *vctx, int64_t b, int64_t e)
{
    step_ctx *c = vctx;
    rnn_plan *p = c->p;
    int64_t u = p->u, Gu = p->G * u, T = p->T, t = c->t;
    backward_step(vctx, b, e);
    for (int64_t nn = b; nn < e; nn++)
        memcpy(p->dstep + nn * Gu, p->dinner + (nn * T + t) * Gu, sizeof(float) * (size_t)Gu);
    pn_sgemm_prepacked(e - b, u, Gu, p->dstep + b * Gu, Gu, p->up, 1.0f, p->dh + b * u, u);
    if (p->step_dx)
        pn_sgemm_prepacked(e - b, p->F, Gu, p->dstep + b * Gu, Gu, p->wp, 1.0f,
                           p->X->grad + (b * T + t) * p->F, T * p->F);
}

static void colsum_add(const float *a, int64_t rows, int64_t cols, float *dst)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) dst[j] += a[r * cols + j];
}

static int rnn_backward_kind(pn_node *n, int kind)
{
    rnn_plan p;
    int rc = rnn_plan_make(n, kind, &p);
    if (rc) return rc;
    int64_t floats = rnn_layout(&p, NULL, 1);
    if (!n->saved || n->saved_bytes < sizeof(float) * (size_t)floats)
        return pn_error(PN_EINTERNAL, "%s: backward without a recorded forward", kind_name(kind));
    rnn_layout(&p, n->saved, 1);
    int64_t N = p.N, T = p.T, u = p.u, Gu = p.G * u, F = p.F;
    memset(p.dh, 0, sizeof(float) * (size_t)(N * u));
    if (kind == RNN_LSTM) memset(p.dc, 0, sizeof(float) * (size_t)(N * u));
    if (p.rstate)
        for (int64_t nn = 0; nn < N; nn++) {
            const float *g = n->grad + nn * p.Stot * u + p.S * u;
            for (int64_t j = 0; j < u; j++) p.dh[nn * u + j] += g[j];
            if (kind == RNN_LSTM)
                for (int64_t j = 0; j < u; j++) p.dc[nn * u + j] += g[u + j];
        }
    step_ctx c = {&p, n, 0, 0};
    if (p.up) pn_sgemm_pack_b(1, Gu, u, p.U->data, Gu, p.up);
    p.step_dx = p.step_proj && kind != RNN_GRU && p.X->requires_grad;
    if (p.step_dx) pn_sgemm_pack_b(1, Gu, F, p.W->data, Gu, p.wp);
    int64_t grain = p.up ? step_grain(&p) : 1 + 8192 / (Gu ? Gu : 1);
    for (int64_t s = T - 1; s >= 0; s--) {
        c.s = s;
        c.t = p.back ? T - 1 - s : s;
        if (p.up) {
            pn_parallel_for(N, grain, backward_rows, &c);
            continue;
        }
        pn_parallel_for(N, grain, backward_step, &c);
        masked_project_back(p.dinner + c.t * Gu, T * Gu, N, 1, u, p.DR, p.dhk, p.U->data, Gu,
                            p.dh);
    }
    if (p.H0 && p.H0->requires_grad)
        for (int64_t i = 0; i < N * u; i++) p.H0->grad[i] += p.dh[i];
    if (p.C0 && p.C0->requires_grad)
        for (int64_t i = 0; i < N * u; i++) p.C0->grad[i] += p.dc[i];
    if (p.X->requires_grad && !p.step_dx)
        masked_project_back(p.dpre, Gu, N * T, T, F, p.DI, p.xd, p.W->data, Gu, p.X->grad);
    int wg = p.W->requires_grad, ug = p.U->requires_grad;
    if (wg && ug && p.xh && p.dinner == p.dpre && p.U->grad == p.W->grad + F * Gu) {
        /* [dW; dU] += [x, h_prev]^T . dG as one GEMM (see ldh): each row of
         * the result is the sum the two GEMMs below would form */
        pn_sgemm(1, 0, F + u, Gu, N * T, 1.0f, p.xh, p.ldh, p.dpre, Gu, 1.0f, p.W->grad, Gu);
    } else {
        if (wg)
            masked_weight_grad(p.xh ? p.xh : p.X->data, p.xh ? p.ldh : F, N * T, T, F, p.DI, p.xd,
                               p.dpre, Gu, p.W->grad);
        if (ug) masked_weight_grad(p.hp, p.ldh, N * T, T, u, p.DR, p.hpd, p.dinner, Gu, p.U->grad);
    }
    if (p.B && p.B->requires_grad) {
        colsum_add(p.dpre, N * T, Gu, p.B->grad);
        if (kind == RNN_GRU) colsum_add(p.dinner, N * T, Gu, p.B->grad + Gu);
    }
    return PN_OK;
}

DEFINE_INFER(simple_rnn, RNN_SIMPLE)
DEFINE_INFER(lstm, RNN_LSTM)
DEFINE_INFER(gru, RNN_GRU)

static int simple_rnn_forward(pn_node *n) { return rnn_forward_kind(n, RNN_SIMPLE); }
static int simple_rnn_backward(pn_node *n) { return rnn_backward_kind(n, RNN_SIMPLE); }
static int lstm_forward(pn_node *n) { return rnn_forward_kind(n, RNN_LSTM); }
static int lstm_backward(pn_node *n) { return rnn_backward_kind(n, RNN_LSTM); }
static int gru_forward(pn_node *n) { return rnn_forward_kind(n, RNN_GRU); }
static int gru_backward(pn_node *n) { return rnn_backward_kind(n, RNN_GRU); }

/* ------------------------------------------------------------------ rnn_slice */

/* rnn_slice(x (N, S, u)): steps [start, start + length) along axis 1 (iattr[0],
 * iattr[1]); squeeze (iattr[2]) drops the axis of length 1 -> (N, u). Unpacks the outputs and
 * states of a return_state recurrent op. */
static int rnn_slice_infer(pn_node *n)
{
    const pn_node *x = n->in[0];
    char s[128];
    int64_t a = n->iattr[0], len = n->iattr[1];
    /* written as len > S - a: a + len could wrap for attributes near 2^63 */
    if (x->ndim != 3 || a < 0 || len < 1 || a > x->shape[1] || len > x->shape[1] - a ||
        (n->iattr[2] && len != 1))
        return pn_error(PN_EVALUE, "rnn_slice: steps [%lld, %lld) of %s are out of range",
                        (long long)a, (long long)(a + len), pn_shape_str(s, x->ndim, x->shape));
    if (n->iattr[2]) return pn_node_set_shape(n, 2, (int64_t[]){x->shape[0], x->shape[2]});
    return pn_node_set_shape(n, 3, (int64_t[]){x->shape[0], len, x->shape[2]});
}

static int rnn_slice_forward(pn_node *n)
{
    const pn_node *x = n->in[0];
    int64_t S = x->shape[1], u = x->shape[2], a = n->iattr[0], len = n->iattr[1];
    for (int64_t i = 0; i < x->shape[0]; i++)
        memcpy(n->data + i * len * u, x->data + (i * S + a) * u, sizeof(float) * (size_t)(len * u));
    return PN_OK;
}

static int rnn_slice_backward(pn_node *n)
{
    pn_node *x = n->in[0];
    if (!x->requires_grad) return PN_OK;
    int64_t S = x->shape[1], u = x->shape[2], a = n->iattr[0], len = n->iattr[1];
    for (int64_t i = 0; i < x->shape[0]; i++) {
        float *dst = x->grad + (i * S + a) * u;
        const float *g = n->grad + i * len * u;
        for (int64_t j = 0; j < len * u; j++) dst[j] += g[j];
    }
    return PN_OK;
}

/* ------------------------------------------------------------------ descriptors
 * The slots rnn_plan_make reads (iattr[0..10]), by name; activations by name in
 * ACT_* order. The has_* flags say which optional inputs are present. */
static const char *const rnn_acts[] = {"tanh", "sigmoid", "relu", "linear", "hard_sigmoid", NULL};
static const char *const rnn_inputs[] = {"x", "kernel", "recurrent_kernel", "bias?",
                                         "initial_state?...", "mask?", "dropout_mask?",
                                         "recurrent_dropout_mask?", NULL};
#define RNN_FLAGS                                                                           \
    {"return_sequences", PN_ATTR_BOOL, 0, 0}, {"go_backwards", PN_ATTR_BOOL, 1, 0},         \
    {"return_state", PN_ATTR_BOOL, 2, 0},                                                   \
    {"activation", PN_ATTR_ENUM, 3, ACT_TANH, 0, rnn_acts},                                 \
    {"use_bias", PN_ATTR_BOOL, 5, 0}, {"has_initial_state", PN_ATTR_BOOL, 6, 0},            \
    {"has_mask", PN_ATTR_BOOL, 7, 0}, {"zero_output_for_mask", PN_ATTR_BOOL, 8, 0},         \
    {"has_dropout_mask", PN_ATTR_BOOL, 9, 0}, {"has_recurrent_dropout_mask", PN_ATTR_BOOL, 10, 0}
static const pn_attr simple_attrs[] = {RNN_FLAGS, {NULL}};
static const pn_attr gated_attrs[] = {
    RNN_FLAGS, {"recurrent_activation", PN_ATTR_ENUM, 4, ACT_SIGMOID, 0, rnn_acts}, {NULL}};
static const pn_attr slice_attrs[] = {{"start", PN_ATTR_INT, 0, 0}, {"length", PN_ATTR_INT, 1, 1},
                                      {"squeeze", PN_ATTR_BOOL, 2, 0}, {NULL}};
static const char *const one_input[] = {"x", NULL};
#define RNN_TRAITS (PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS)

static const pn_op op_simple_rnn = {"simple_rnn", -1, simple_rnn_infer, simple_rnn_forward,
                                    simple_rnn_backward, NULL, rnn_inputs, simple_attrs,
                                    RNN_TRAITS, NULL};
static const pn_op op_lstm = {"lstm", -1, lstm_infer, lstm_forward, lstm_backward, NULL,
                              rnn_inputs, gated_attrs, RNN_TRAITS, NULL};
static const pn_op op_gru = {"gru", -1, gru_infer, gru_forward, gru_backward, NULL,
                             rnn_inputs, gated_attrs, RNN_TRAITS, NULL};
static const pn_op op_rnn_slice = {"rnn_slice", 1, rnn_slice_infer, rnn_slice_forward,
                                   rnn_slice_backward, NULL, one_input, slice_attrs,
                                   PN_TRAIT_ROWWISE | PN_TRAIT_LINEAR, NULL};

const pn_op *const pn_ops_rnn[] = {&op_simple_rnn, &op_lstm, &op_gru, &op_rnn_slice, NULL};
