/* ctc.c - the CTC (connectionist temporal classification) loss of keras.ops.ctc_loss,
 * per sample, from logits (Graves et al., ICML 2006, section 4.1).
 *
 * Inputs (Keras' order): target (B, L) integer labels, output (B, T, C) logits,
 * target_length (B,), output_length (B,); attribute mask_index, the blank class.
 * Output (B,): -log p(target[b, :target_length[b]] | output[b, :output_length[b]]),
 * the probabilities being softmax(output) over the last axis, as Keras' torch
 * backend (log_softmax, then torch's ctc_loss with reduction "none").
 *
 * The label sequence l is extended with blanks, l' = (blank, l1, blank, l2, ...,
 * blank) of S = 2 L + 1 symbols. In log space, with lp(t, s) = log softmax of
 * output[t] at l'_s:
 *   alpha(0, 0) = lp(0, 0), alpha(0, 1) = lp(0, 1)
 *   alpha(t, s) = logsumexp(alpha(t-1, s), alpha(t-1, s-1), alpha(t-1, s-2) if l'_s is a
 *                 label different from l'_{s-2}) + lp(t, s)
 *   log p = logsumexp(alpha(T-1, S-1), alpha(T-1, S-2))
 * beta is the same recursion run backwards from the end; alpha(t, s) + beta(t, s)
 * counts lp(t, s) twice, so the posterior of class k at t is
 *   gamma(t, k) = sum over s with l'_s = k of exp(alpha + beta - lp(t, k) - log p)
 * and d(-log p)/d output[t, k] = softmax(output[t])_k - gamma(t, k) for t below the
 * sample's length, 0 from there on. A label equal to the blank (Keras' losses.ctc
 * counts the nonzero labels and passes the first that many, zeros included) is one
 * more symbol of l', as in torch and TensorFlow.
 *
 * A target that no alignment reaches (too long for its output length) has p = 0:
 * its loss is +inf, and its gradient NaN (as torch's with zero_infinity=False,
 * which is what Keras' torch backend runs). Sums run in double; each sample keeps
 * alpha (output_length x S doubles) for its backward and beta two rows at a time.
 * Lengths and labels are checked (whole numbers, in range) before anything is
 * computed: they index memory. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "pn.h"

enum { IN_TARGET, IN_OUTPUT, IN_TARGET_LEN, IN_OUTPUT_LEN };

/* A sample's alpha table may not exceed this many doubles: an allocation that the
 * OS grants lazily (overcommit) and then cannot back would kill the process. */
#define CTC_MAX_CELLS ((int64_t)1 << 31)

static int ctc_infer(pn_node *n)
{
    char a[128], b[128], c[128], d[128];
    const pn_node *tg = n->in[IN_TARGET], *out = n->in[IN_OUTPUT];
    const pn_node *tl = n->in[IN_TARGET_LEN], *ol = n->in[IN_OUTPUT_LEN];
    if (out->ndim != 3 || tg->ndim != 2 || tl->ndim != 1 || ol->ndim != 1)
        return pn_error(PN_EVALUE, "ctc_loss: expected target (batch, max_label_length), output "
                        "(batch, max_time, num_classes), target_length (batch,) and output_length "
                        "(batch,); received shapes %s, %s, %s and %s",
                        pn_shape_str(a, tg->ndim, tg->shape), pn_shape_str(b, out->ndim, out->shape),
                        pn_shape_str(c, tl->ndim, tl->shape), pn_shape_str(d, ol->ndim, ol->shape));
    int64_t B = out->shape[0];
    if (tg->shape[0] != B || tl->shape[0] != B || ol->shape[0] != B)
        return pn_error(PN_EVALUE, "ctc_loss: target, output, target_length and output_length must "
                        "have the same batch size; received shapes %s, %s, %s and %s",
                        pn_shape_str(a, tg->ndim, tg->shape), pn_shape_str(b, out->ndim, out->shape),
                        pn_shape_str(c, tl->ndim, tl->shape), pn_shape_str(d, ol->ndim, ol->shape));
    int64_t C = out->shape[2];
    if (C < 1)
        return pn_error(PN_EVALUE, "ctc_loss: output must have at least one class, got shape %s",
                        pn_shape_str(b, out->ndim, out->shape));
    int rc = pn_check_attr("ctc_loss", "mask_index", n->iattr[0], 0, C - 1);
    if (rc) return rc;
    /* alpha of one sample: max_time x (2 L + 1) doubles, kept for the backward */
    int64_t S, TS;
    if ((rc = pn_mul_size("ctc_loss", "the extended label length", tg->shape[1], 2, &S)) ||
        (rc = pn_add_size("ctc_loss", "the extended label length", S, 1, &S)) ||
        (rc = pn_mul_size("ctc_loss", "max_time x extended label length", out->shape[1], S, &TS)))
        return rc;
    if (TS > CTC_MAX_CELLS)
        return pn_error(PN_EVALUE, "ctc_loss: the alignment table of one sample, max_time x (2 "
                        "max_label_length + 1) = %lld x %lld doubles, is above the limit of 2^31 "
                        "(16 GiB); received target %s and output %s", (long long)out->shape[1],
                        (long long)S, pn_shape_str(a, tg->ndim, tg->shape),
                        pn_shape_str(b, out->ndim, out->shape));
    return pn_node_set_shape(n, 1, &B);
}

/* A length or a label: a whole number in [0, hi]. */
static int whole_in(float v, int64_t hi)
{
    return v == floorf(v) && v >= 0 && v <= (float)hi;
}

/* Checks every sample's lengths and its labels (they index memory). */
static int ctc_check(const pn_node *n)
{
    const pn_node *tg = n->in[IN_TARGET], *out = n->in[IN_OUTPUT];
    const float *tl = n->in[IN_TARGET_LEN]->data, *ol = n->in[IN_OUTPUT_LEN]->data;
    int64_t B = out->shape[0], T = out->shape[1], C = out->shape[2], L = tg->shape[1];
    for (int64_t b = 0; b < B; b++) {
        if (!whole_in(ol[b], T))
            return pn_error(PN_EVALUE, "ctc_loss: output_length[%lld] = %g is not a whole number in "
                            "[0, %lld] (output has %lld time steps)", (long long)b, (double)ol[b],
                            (long long)T, (long long)T);
        if (!whole_in(tl[b], L))
            return pn_error(PN_EVALUE, "ctc_loss: target_length[%lld] = %g is not a whole number in "
                            "[0, %lld] (target has %lld label positions)", (long long)b, (double)tl[b],
                            (long long)L, (long long)L);
        const float *lab = tg->data + b * L;
        for (int64_t j = 0; j < (int64_t)tl[b]; j++)
            if (!whole_in(lab[j], C - 1))
                return pn_error(PN_EVALUE, "ctc_loss: target[%lld, %lld] = %g is not a class index in "
                                "[0, %lld) (output has %lld classes)", (long long)b, (long long)j,
                                (double)lab[j], (long long)C, (long long)C);
    }
    return PN_OK;
}

static inline double log_add(double a, double b)
{
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

/* One sample: its logits, labels, lengths, and log-softmax normalisers. */
typedef struct {
    const float *x;      /* T x C logits */
    const float *lab;    /* labels */
    int64_t T, C, L, S;  /* its lengths; S = 2 L + 1 */
    int64_t blank;
    double *lse;         /* T log-sum-exps of the logit rows */
} sample;

static inline int64_t sym(const sample *s, int64_t i)
{
    return i & 1 ? (int64_t)s->lab[i >> 1] : s->blank;
}

static inline double lp(const sample *s, int64_t t, int64_t i)
{
    return s->x[t * s->C + sym(s, i)] - s->lse[t];
}

/* may the path jump from l'_{i-2} to l'_i (a label different from the one before)? */
static inline int skips(const sample *s, int64_t i)
{
    return (i & 1) && i >= 3 && sym(s, i) != sym(s, i - 2);
}

static void row_lse(sample *s)
{
    for (int64_t t = 0; t < s->T; t++) {
        const float *r = s->x + t * s->C;
        double m = -INFINITY, z = 0;
        for (int64_t k = 0; k < s->C; k++) m = r[k] > m ? r[k] : m;
        if (!isfinite(m)) { /* all -inf (or +inf / NaN among them): no max to shift by */
            s->lse[t] = m == -INFINITY ? -INFINITY : (m == INFINITY ? INFINITY : NAN);
            for (int64_t k = 0; k < s->C; k++)
                if (isnan(r[k])) s->lse[t] = NAN;
            continue;
        }
        for (int64_t k = 0; k < s->C; k++) z += exp(r[k] - m);
        s->lse[t] = m + log(z);
    }
}

/* alpha rows 0..T-1 into A (T x S), or only the last one when A holds 2 rows; returns
 * log p. */
static double forward_alpha(const sample *s, double *A, int keep_all)
{
    const int64_t S = s->S;
    if (s->T == 0) return s->L == 0 ? 0.0 : -INFINITY;
    double *prev = A, *cur;
    for (int64_t i = 0; i < S; i++) prev[i] = i < 2 ? lp(s, 0, i) : -INFINITY;
    for (int64_t t = 1; t < s->T; t++) {
        cur = keep_all ? A + t * S : A + (t & 1) * S;
        for (int64_t i = 0; i < S; i++) {
            double a = prev[i];
            if (i >= 1) a = log_add(a, prev[i - 1]);
            if (skips(s, i)) a = log_add(a, prev[i - 2]);
            cur[i] = a == -INFINITY ? -INFINITY : a + lp(s, t, i);
        }
        prev = cur;
    }
    return S > 1 ? log_add(prev[S - 1], prev[S - 2]) : prev[S - 1];
}

typedef struct {
    const pn_node *n;
    int grad;       /* 0: forward (loss into n->data), 1: backward */
    atomic_int failed;
} ctc_ctx;

static void ctc_rows(void *vc, int64_t begin, int64_t end)
{
    ctc_ctx *c = vc;
    const pn_node *n = c->n, *tg = n->in[IN_TARGET], *out = n->in[IN_OUTPUT];
    const int64_t T = out->shape[1], C = out->shape[2], L = tg->shape[1];
    for (int64_t b = begin; b < end; b++) {
        double g = c->grad ? n->grad[b] : 0;
        if (c->grad && g == 0) continue;
        sample s = {out->data + b * T * C, tg->data + b * L, (int64_t)n->in[IN_OUTPUT_LEN]->data[b],
                    C, (int64_t)n->in[IN_TARGET_LEN]->data[b], 0, n->iattr[0], NULL};
        s.S = 2 * s.L + 1;
        /* forward: lse + two alpha rows; backward: lse + all alpha rows + two beta
         * rows + one per-class accumulator (sizes bounded in ctc_infer) */
        size_t rows = c->grad ? (size_t)(s.T > 0 ? s.T : 1) + 2 : 2;
        size_t count = (size_t)s.T + rows * (size_t)s.S + (c->grad ? (size_t)C : 0);
        double *buf = malloc((count ? count : 1) * sizeof *buf);
        if (!buf) {
            atomic_store(&c->failed, 1);
            return;
        }
        s.lse = buf;
        double *A = buf + s.T;
        row_lse(&s);
        double logp = forward_alpha(&s, A, c->grad);
        if (!c->grad) {
            n->data[b] = (float)-logp;
            free(buf);
            continue;
        }
        /* beta, backwards in time, two rows; each step gives row t of the gradient */
        double *Bt = A + (size_t)(s.T > 0 ? s.T : 1) * s.S, *Bn = Bt + s.S, *acc = Bn + s.S;
        float *gx = out->grad + b * T * C;
        double nll = -logp;
        for (int64_t t = s.T - 1; t >= 0; t--) {
            for (int64_t i = 0; i < s.S; i++) {
                double v;
                if (t == s.T - 1) v = i >= s.S - 2 ? lp(&s, t, i) : -INFINITY;
                else {
                    v = Bn[i];
                    if (i + 1 < s.S) v = log_add(v, Bn[i + 1]);
                    if (i + 2 < s.S && skips(&s, i + 2)) v = log_add(v, Bn[i + 2]);
                    v = v == -INFINITY ? -INFINITY : v + lp(&s, t, i);
                }
                Bt[i] = v;
            }
            for (int64_t k = 0; k < C; k++) acc[k] = -INFINITY;
            const double *At = A + t * s.S;
            for (int64_t i = 0; i < s.S; i++) {
                int64_t k = sym(&s, i);
                acc[k] = log_add(acc[k], At[i] + Bt[i]);
            }
            const float *r = s.x + t * C;
            for (int64_t k = 0; k < C; k++) {
                double lpk = r[k] - s.lse[t];
                double gamma = acc[k] == -INFINITY && isfinite(nll) ? 0 : exp(acc[k] + nll - lpk);
                gx[t * C + k] += (float)(g * (exp(lpk) - gamma));
            }
            double *tmp = Bt;
            Bt = Bn;
            Bn = tmp;
        }
        free(buf);
    }
}

static int ctc_run(pn_node *n, int grad)
{
    int rc = ctc_check(n);
    if (rc) return rc;
    ctc_ctx c = {n, grad, 0};
    pn_parallel_for(n->in[IN_OUTPUT]->shape[0], 1, ctc_rows, &c);
    if (atomic_load(&c.failed))
        return pn_error(PN_ENOMEM, "ctc_loss: out of memory for the alignment table of one sample "
                        "(output_length x (2 target_length + 1) doubles)");
    return PN_OK;
}

static int ctc_forward(pn_node *n) { return ctc_run(n, 0); }

static int ctc_backward(pn_node *n)
{
    return n->in[IN_OUTPUT]->requires_grad ? ctc_run(n, 1) : PN_OK;
}

static const char *const ctc_inputs[] = {"target", "output", "target_length", "output_length", NULL};
static const pn_attr ctc_attrs[] = {{"mask_index", PN_ATTR_INT, 0, 0}, {NULL}};
/* row b of the loss reads row b of every input only */
static const pn_op op_ctc_loss = {"ctc_loss", 4, ctc_infer, ctc_forward, ctc_backward, NULL,
                                  ctc_inputs, ctc_attrs, PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_ctc[] = {&op_ctc_loss, NULL};
