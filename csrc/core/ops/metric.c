/* metric.c - metric statistics: ops without gradient whose outputs the training
 * loop sums over an epoch (Keras' running aggregates). Python turns the sums
 * into the metric value (pynn/metrics.py).
 *
 * Inputs are (y_pred, y_true, sample_weight); sample_weight is (N,) (ones when the
 * user gave none). Every op reads its inputs as N samples of
 * `row = size / N` values. */
#include <math.h>
#include <string.h>

#include "pn.h"

static int check_pair(pn_node *n, int64_t *N, int64_t *rp, int64_t *rt)
{
    pn_node *P = n->in[0], *T = n->in[1], *W = n->in[2];
    char a[128], b[128];
    if (P->ndim < 1) return pn_error(PN_EVALUE, "%s: predictions need a batch axis", n->op->name);
    *N = P->shape[0];
    if (T->ndim < 1 || T->shape[0] != *N || W->size != *N)
        return pn_error(PN_EVALUE, "%s: y_true %s and sample_weight (%lld values) must match the "
                        "%lld samples of y_pred %s", n->op->name, pn_shape_str(a, T->ndim, T->shape),
                        (long long)W->size, (long long)*N, pn_shape_str(b, P->ndim, P->shape));
    *rp = *N ? P->size / *N : 0;
    *rt = *N ? T->size / *N : 0;
    return PN_OK;
}

static int stats_shape(pn_node *n, int64_t k)
{
    int64_t N, rp, rt;
    int rc = check_pair(n, &N, &rp, &rt);
    return rc ? rc : pn_node_set_shape(n, 1, &k);
}

/* ---- mean-of-per-sample-values metrics: outputs [Σ w·v, Σ w] ---- */
enum { M_BINACC, M_CATACC, M_SPARSEACC, M_MSE, M_MAE, M_TOPK };

static int64_t argmax(const float *x, int64_t n)
{
    int64_t k = 0;
    for (int64_t j = 1; j < n; j++)
        if (x[j] > x[k]) k = j;
    return k;
}

static int mean_metric_forward(pn_node *n, int kind)
{
    int64_t N, rp, rt;
    int rc = check_pair(n, &N, &rp, &rt);
    if (rc) return rc;
    const float *p = n->in[0]->data, *t = n->in[1]->data, *w = n->in[2]->data;
    double sum = 0, wsum = 0;
    for (int64_t i = 0; i < N; i++) {
        const float *pi = p + i * rp, *ti = t + i * rt;
        double v = 0;
        switch (kind) {
        case M_BINACC: {
            double thr = n->fattr[0];
            if (rp != rt) return pn_error(PN_EVALUE, "binary_accuracy: y_true and y_pred sizes differ");
            for (int64_t j = 0; j < rp; j++) v += ((pi[j] > thr) == (ti[j] > 0.5f));
            v = rp ? v / rp : 0;
            break;
        }
        case M_CATACC:
            if (rp != rt) return pn_error(PN_EVALUE, "categorical_accuracy: y_true and y_pred sizes differ");
            v = argmax(pi, rp) == argmax(ti, rt);
            break;
        case M_SPARSEACC: {
            if (rt != 1) return pn_error(PN_EVALUE, "sparse_categorical_accuracy: one integer label per sample expected");
            v = (double)argmax(pi, rp) == (double)ti[0];
            break;
        }
        case M_TOPK: {
            int64_t k = n->iattr[0], better = 0;
            if (rt != 1) return pn_error(PN_EVALUE, "top_k_accuracy: one integer label per sample expected");
            /* compared as float first: converting NaN or 1e30 to an integer is undefined */
            if (!(ti[0] >= 0.0f && ti[0] < (float)rp)) { v = 0; break; }
            int64_t label = (int64_t)ti[0];
            for (int64_t j = 0; j < rp; j++) better += pi[j] > pi[label];
            v = better < k;
            break;
        }
        default: { /* M_MSE, M_MAE: mean over the last axis */
            if (rp != rt) return pn_error(PN_EVALUE, "%s: y_true and y_pred sizes differ", n->op->name);
            for (int64_t j = 0; j < rp; j++) {
                double d = (double)pi[j] - ti[j];
                v += kind == M_MSE ? d * d : fabs(d);
            }
            v = rp ? v / rp : 0;
        }
        }
        sum += w[i] * v;
        wsum += w[i];
    }
    n->data[0] = (float)sum;
    n->data[1] = (float)wsum;
    return PN_OK;
}

static int mean_metric_infer(pn_node *n) { return stats_shape(n, 2); }

/* Slots: binary_accuracy's threshold fattr[0], top_k's k iattr[0]. */
static const char *const stats_inputs[] = {"y_pred", "y_true", "sample_weight", NULL};
static const pn_attr binacc_attrs[] = {{"threshold", PN_ATTR_FLOAT, 0, 0.5}, {NULL}};
static const pn_attr topk_attrs[] = {{"k", PN_ATTR_INT, 0, 5}, {NULL}};

#define MEAN_METRIC(NAME, KIND, ATTRS)                                                       \
    static int NAME##_forward(pn_node *n) { return mean_metric_forward(n, KIND); }          \
    static const pn_op op_##NAME = {#NAME, 3, mean_metric_infer, NAME##_forward, NULL, NULL, \
                                    stats_inputs, ATTRS, 0, NULL};

MEAN_METRIC(binary_accuracy_stats, M_BINACC, binacc_attrs)
MEAN_METRIC(categorical_accuracy_stats, M_CATACC, NULL)
MEAN_METRIC(sparse_categorical_accuracy_stats, M_SPARSEACC, NULL)
MEAN_METRIC(top_k_accuracy_stats, M_TOPK, topk_attrs)
MEAN_METRIC(mse_stats, M_MSE, NULL)
MEAN_METRIC(mae_stats, M_MAE, NULL)

/* ---- confusion counts at thresholds: outputs [tp[k], fp[k], tn[k], fn[k]] ----
 * Thresholds (thresholds_billionths, iv) as billionths (Python fixes them; AUC uses 200). A value counts
 * as positive when y_pred > threshold (Keras). Weighted by sample_weight. */
static int confusion_infer(pn_node *n)
{
    if (n->n_iv < 1) return pn_error(PN_EVALUE, "confusion_stats: no thresholds");
    int64_t k;
    int rc = pn_mul_size("confusion_stats", "the counts", n->n_iv, 4, &k);
    return rc ? rc : stats_shape(n, k);
}

static int confusion_forward(pn_node *n)
{
    int64_t N, rp, rt;
    int rc = check_pair(n, &N, &rp, &rt);
    if (rc) return rc;
    if (rp != rt) return pn_error(PN_EVALUE, "confusion_stats: y_true and y_pred sizes differ");
    int64_t K = n->n_iv;
    float *out = n->data;
    memset(out, 0, sizeof(float) * (size_t)(4 * K));
    const float *p = n->in[0]->data, *t = n->in[1]->data, *w = n->in[2]->data;
    for (int64_t k = 0; k < K; k++) {
        double thr = n->iv[k] / 1e9, tp = 0, fp = 0, tn = 0, fn = 0;
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < rp; j++) {
                int pos = p[i * rp + j] > thr, truth = t[i * rt + j] > 0.5f;
                double wi = w[i];
                if (pos && truth) tp += wi;
                else if (pos) fp += wi;
                else if (truth) fn += wi;
                else tn += wi;
            }
        out[k] = (float)tp;
        out[K + k] = (float)fp;
        out[2 * K + k] = (float)tn;
        out[3 * K + k] = (float)fn;
    }
    return PN_OK;
}

static const pn_attr confusion_attrs[] = {{"thresholds_billionths", PN_ATTR_INTS, 0, 0, 0}, {NULL}};
static const pn_op op_confusion = {"confusion_stats", 3, confusion_infer, confusion_forward, NULL, NULL,
                                   stats_inputs, confusion_attrs, 0, NULL};

/* ---- per-class counts for F1Score: outputs [tp[C], fp[C], fn[C], support[C]] ----
 * use_threshold (iattr[0]): 1 = threshold (fattr[0]) per class, 0 = argmax (one prediction per sample). */
static int perclass_infer(pn_node *n)
{
    /* Keras' F1Score takes (batch, classes) only. The output is sized from the
     * class axis and filled per sample row, so both must be that axis: a rank-3
     * (batch, T, classes) input is refused rather than overrunning the output. */
    const pn_node *P = n->in[0], *T = n->in[1];
    char a[128], b[128];
    if (P->ndim != 2 || T->ndim != 2 || T->shape[1] != P->shape[1])
        return pn_error(PN_EVALUE, "F1Score: y_pred and y_true must both be (batch, num_classes) "
                        "(rank 2, as in Keras), got y_pred %s and y_true %s",
                        pn_shape_str(a, P->ndim, P->shape), pn_shape_str(b, T->ndim, T->shape));
    int64_t k;
    int rc = pn_mul_size("F1Score", "the per-class counts", P->shape[1], 4, &k);
    return rc ? rc : stats_shape(n, k);
}

static int perclass_forward(pn_node *n)
{
    int64_t N, C, rt;
    int rc = check_pair(n, &N, &C, &rt);
    if (rc) return rc;
    if (C != rt) return pn_error(PN_EVALUE, "f1 stats: y_true and y_pred sizes differ");
    float *out = n->data;
    memset(out, 0, sizeof(float) * (size_t)(4 * C));
    const float *p = n->in[0]->data, *t = n->in[1]->data, *w = n->in[2]->data;
    for (int64_t i = 0; i < N; i++) {
        const float *pi = p + i * C, *ti = t + i * C;
        int64_t am = n->iattr[0] ? -1 : argmax(pi, C);
        for (int64_t c = 0; c < C; c++) {
            int pos = n->iattr[0] ? pi[c] > n->fattr[0] : c == am;
            int truth = ti[c] > 0.5f;
            if (pos && truth) out[c] += w[i];
            else if (pos) out[C + c] += w[i];
            else if (truth) out[2 * C + c] += w[i];
            if (truth) out[3 * C + c] += w[i];
        }
    }
    return PN_OK;
}

static const pn_attr perclass_attrs[] = {{"use_threshold", PN_ATTR_BOOL, 0, 0},
                                         {"threshold", PN_ATTR_FLOAT, 0, 0.5}, {NULL}};
static const pn_op op_perclass = {"perclass_stats", 3, perclass_infer, perclass_forward, NULL, NULL,
                                  stats_inputs, perclass_attrs, 0, NULL};

const pn_op *const pn_ops_metric[] = {&op_binary_accuracy_stats,
                                      &op_categorical_accuracy_stats,
                                      &op_sparse_categorical_accuracy_stats,
                                      &op_top_k_accuracy_stats,
                                      &op_mse_stats,
                                      &op_mae_stats,
                                      &op_confusion,
                                      &op_perclass,
                                      NULL};
