/* loss.c - fused, numerically stable losses with Keras 3 semantics:
 * mean_squared_error, mean_absolute_error, huber, hinge, binary_crossentropy,
 * categorical_crossentropy, sparse_categorical_crossentropy.
 *
 * Inputs: (y_pred, y_true) or (y_pred, y_true, sample_weight).
 *   reduction        "sum_over_batch_size" (Keras' "mean"), "none", "sum",
 *                    "mean_with_sample_weight"
 *   from_logits      (the cross-entropies)
 *   label_smoothing  (binary / categorical cross-entropy) or delta (huber)
 * (slots in the descriptors before the op table)
 *
 * Shapes follow Keras' squeeze_or_expand_to_same_rank(y_true, y_pred): when the
 * ranks differ by one and the longer one ends in 1, y_true (N,) against y_pred
 * (N, 1) is compared as (N, 1) (the rank-1 side is expanded), otherwise the
 * trailing 1 is squeezed. The per-sample loss l has the shape E[:-1] of that
 * common shape E: mse/mae/huber/hinge/bce average over the last axis, the
 * categorical losses sum over the class axis. sample_weight broadcasts over
 * the trailing axes of l (its own trailing 1s ignored), so (N,) and (N, 1)
 * weight whole samples.
 *
 * Output: reduction "none" gives w * l (shape of l), the others a scalar:
 * sum(w * l) divided by the number of loss values (0 for an empty batch, like
 * Keras' divide_no_nan), by nothing ("sum"), or by sum(w).
 *
 * Gradient flows to y_pred only. y_true and sample_weight are treated as data:
 * their gradients are left untouched (zero) even if they require one.
 *
 * Probability inputs are clipped to [1e-7, 1 - 1e-7] with the bounds rounded to
 * float32 as Keras does (the upper one is 1 - 2^-23); where the clip is active
 * the gradient is zero, like the gradient of clip. Sums run in double. */
#include <math.h>
#include <string.h>

#include "pn.h"

enum { R_SOBS = 0, R_NONE = 1, R_SUM = 2, R_MEAN_SW = 3 };
enum { L_MSE, L_MAE, L_HUBER, L_HINGE, L_BCE, L_CCE, L_SCCE };

#define EPS_LO ((double)1e-7f)
#define EPS_HI ((double)(1.0f - 1e-7f))

typedef struct {
    int kind;
    int64_t rows;                   /* number of per-sample loss values */
    int64_t D;                      /* elements (or classes) per loss value */
    int lnd;
    int64_t lshape[PN_MAX_DIMS];    /* shape of the per-sample loss */
    int has_w;
    int64_t w_inner;                /* loss values per sample weight */
} loss_plan;

static int same_shape(int na, const int64_t *a, int nb, const int64_t *b)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int loss_plan_make(const pn_node *n, int kind, loss_plan *p)
{
    const char *name = n->op->name;
    char sp[128], st[128], sw[128];
    if (n->n_in != 2 && n->n_in != 3)
        return pn_error(PN_EVALUE, "%s takes (y_pred, y_true) or (y_pred, y_true, sample_weight), "
                        "got %d inputs", name, n->n_in);
    if (n->iattr[0] < 0 || n->iattr[0] > 3)
        return pn_error(PN_EVALUE, "%s: unknown reduction code %lld", name, (long long)n->iattr[0]);
    const pn_node *P = n->in[0], *T = n->in[1];
    int rp = P->ndim, rt = T->ndim;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    if (rp == 0)
        return pn_error(PN_EVALUE, "%s: y_pred must have at least one dimension, got shape ()", name);
    if (kind == L_SCCE) {
        /* labels: y_pred.shape[:-1], or that plus a trailing 1 */
        int ok = (rt == rp - 1 && same_shape(rt, T->shape, rp - 1, P->shape)) ||
                 (rt == rp && T->shape[rt - 1] == 1 && same_shape(rt - 1, T->shape, rp - 1, P->shape));
        if (!ok)
            return pn_error(PN_EVALUE, "%s: y_true must hold one integer label per sample, with shape "
                            "y_pred.shape[:-1] (optionally followed by 1); got y_true shape %s and "
                            "y_pred shape %s", name, pn_shape_str(st, rt, T->shape),
                            pn_shape_str(sp, rp, P->shape));
    } else {
        int ok;
        if (rt == rp) ok = same_shape(rt, T->shape, rp, P->shape);
        else if (rt == rp + 1 && T->shape[rt - 1] == 1) ok = same_shape(rp, P->shape, rp, T->shape);
        else if (rp == rt + 1 && P->shape[rp - 1] == 1) ok = same_shape(rt, T->shape, rt, P->shape);
        else ok = 0;
        if (!ok)
            return pn_error(PN_EVALUE, "%s: y_pred shape %s and y_true shape %s are incompatible (they "
                            "must match, up to a trailing dimension of 1)", name,
                            pn_shape_str(sp, rp, P->shape), pn_shape_str(st, rt, T->shape));
    }
    /* Common shape E: the longer shape when the shorter one is rank 1 (Keras
     * expands it), else the shorter one. */
    int en;
    const int64_t *E;
    if (kind == L_SCCE || rp == rt) { en = rp; E = P->shape; }
    else if (rt == rp + 1) { if (rp == 1) { en = rt; E = T->shape; } else { en = rp; E = P->shape; } }
    else { if (rt == 1) { en = rp; E = P->shape; } else { en = rt; E = T->shape; } }
    if (en == 0)
        return pn_error(PN_EVALUE, "%s: y_pred and y_true must have at least one dimension", name);
    p->lnd = en - 1;
    p->rows = 1;
    for (int i = 0; i < p->lnd; i++) {
        p->lshape[i] = E[i];
        p->rows *= E[i];
    }
    p->D = E[en - 1];
    p->w_inner = 1;
    if (n->n_in == 3) {
        const pn_node *W = n->in[2];
        int sn = W->ndim;
        while (sn > 0 && W->shape[sn - 1] == 1) sn--;
        int ok = sn <= p->lnd && same_shape(sn, W->shape, sn, p->lshape);
        if (!ok)
            return pn_error(PN_EVALUE, "%s: sample_weight of shape %s does not match the per-sample "
                            "loss of shape %s (y_pred shape %s); pass one weight per sample, shape "
                            "(%lld,)", name, pn_shape_str(sw, W->ndim, W->shape),
                            pn_shape_str(st, p->lnd, p->lshape), pn_shape_str(sp, rp, P->shape),
                            (long long)(p->lnd ? p->lshape[0] : 1));
        p->has_w = 1;
        p->w_inner = W->size ? p->rows / W->size : 1;
        if (p->w_inner == 0) p->w_inner = 1;
    }
    return PN_OK;
}

static int loss_infer_kind(pn_node *n, int kind)
{
    loss_plan p;
    int rc = loss_plan_make(n, kind, &p);
    if (rc) return rc;
    if (n->iattr[0] == R_NONE) return pn_node_set_shape(n, p.lnd, p.lshape);
    return pn_node_set_shape(n, 0, NULL);
}

/* Keras' hinge maps labels to {-1, 1} only when every label is 0 or 1. */
static int hinge_binary_labels(const pn_node *T)
{
    for (int64_t i = 0; i < T->size; i++)
        if (T->data[i] != 0.0f && T->data[i] != 1.0f) return 0;
    return 1;
}

static inline double clip_p(double p) { return p < EPS_LO ? EPS_LO : (p > EPS_HI ? EPS_HI : p); }
static inline int in_clip(double p) { return p >= EPS_LO && p <= EPS_HI; }

/* Checks sparse labels, which index memory: finite integers in [0, C). */
static int scce_check_labels(const pn_node *n, const loss_plan *p)
{
    const float *t = n->in[1]->data;
    for (int64_t k = 0; k < p->rows; k++) {
        float f = t[k];
        if (!(f == floorf(f)) || f < 0 || f >= (float)p->D)
            return pn_error(PN_EVALUE, "%s: label %g (sample %lld) is not a class index in [0, %lld): "
                            "y_pred has %lld classes", n->op->name, (double)f, (long long)k,
                            (long long)p->D, (long long)p->D);
    }
    return PN_OK;
}

/* Per-sample loss of row k. */
static double row_loss(const pn_node *n, const loss_plan *p, int64_t k, int hinge_map)
{
    const int64_t D = p->D;
    const float *x = n->in[0]->data + k * D;
    const int from_logits = (int)n->iattr[1];
    const double a = n->fattr[0];
    double s = 0;
    switch (p->kind) {
    case L_MSE:
    case L_MAE:
    case L_HUBER:
    case L_HINGE:
    case L_BCE: {
        const float *t = n->in[1]->data + k * D;
        for (int64_t j = 0; j < D; j++) {
            double xp = x[j], y = t[j], e = xp - y, v;
            if (p->kind == L_MSE) v = e * e;
            else if (p->kind == L_MAE) v = fabs(e);
            else if (p->kind == L_HUBER) v = fabs(e) <= a ? 0.5 * e * e : a * fabs(e) - 0.5 * a * a;
            else if (p->kind == L_HINGE) {
                if (hinge_map) y = 2 * y - 1;
                v = 1 - y * xp > 0 ? 1 - y * xp : 0;
            } else {
                if (a != 0) y = y * (1 - a) + 0.5 * a;
                if (from_logits) /* log(1 + e^x) - x y, without overflow for large |x| */
                    v = (xp > 0 ? xp : 0) - xp * y + log1p(exp(-fabs(xp)));
                else {
                    double pc = clip_p(xp);
                    v = -(y * log(pc) + (1 - y) * log(1 - pc));
                }
            }
            s += v;
        }
        return s / (double)D;
    }
    case L_CCE:
    case L_SCCE: {
        const float *t = p->kind == L_CCE ? n->in[1]->data + k * D : NULL;
        int64_t label = p->kind == L_SCCE ? (int64_t)n->in[1]->data[k] : -1;
        if (from_logits) {
            double m = -INFINITY, z = 0;
            for (int64_t j = 0; j < D; j++) m = x[j] > m ? x[j] : m;
            for (int64_t j = 0; j < D; j++) z += exp(x[j] - m);
            double lse = m + log(z);
            if (!t) return lse - x[label];
            for (int64_t j = 0; j < D; j++) {
                double y = a != 0 ? t[j] * (1 - a) + a / (double)D : t[j];
                s += y * (lse - x[j]);
            }
            return s;
        }
        double sum = 0;
        for (int64_t j = 0; j < D; j++) sum += x[j];
        if (!t) return -log(clip_p(x[label] / sum));
        for (int64_t j = 0; j < D; j++) {
            double y = a != 0 ? t[j] * (1 - a) + a / (double)D : t[j];
            s -= y * log(clip_p(x[j] / sum));
        }
        return s;
    }
    }
    return 0;
}

/* dl_k / dy_pred for row k, scaled by c and accumulated into gx. */
static void row_grad(const pn_node *n, const loss_plan *p, int64_t k, int hinge_map, double c,
                     float *gx)
{
    const int64_t D = p->D;
    const float *x = n->in[0]->data + k * D;
    const int from_logits = (int)n->iattr[1];
    const double a = n->fattr[0];
    gx += k * D;
    switch (p->kind) {
    case L_MSE:
    case L_MAE:
    case L_HUBER:
    case L_HINGE:
    case L_BCE: {
        const float *t = n->in[1]->data + k * D;
        double cd = c / (double)D;
        for (int64_t j = 0; j < D; j++) {
            double xp = x[j], y = t[j], e = xp - y, d;
            if (p->kind == L_MSE) d = 2 * e;
            else if (p->kind == L_MAE) d = e > 0 ? 1 : (e < 0 ? -1 : 0);
            else if (p->kind == L_HUBER) d = fabs(e) <= a ? e : (e > 0 ? a : -a);
            else if (p->kind == L_HINGE) {
                if (hinge_map) y = 2 * y - 1;
                d = 1 - y * xp > 0 ? -y : 0;
            } else {
                if (a != 0) y = y * (1 - a) + 0.5 * a;
                if (from_logits) {
                    double sg = xp >= 0 ? 1 / (1 + exp(-xp)) : exp(xp) / (1 + exp(xp));
                    d = sg - y;
                } else {
                    d = in_clip(xp) ? -y / xp + (1 - y) / (1 - xp) : 0;
                }
            }
            gx[j] += (float)(cd * d);
        }
        return;
    }
    case L_CCE:
    case L_SCCE: {
        const float *t = p->kind == L_CCE ? n->in[1]->data + k * D : NULL;
        int64_t label = p->kind == L_SCCE ? (int64_t)n->in[1]->data[k] : -1;
        if (from_logits) {
            /* d/dx_j of sum_i y_i (lse - x_i) = (sum_i y_i) softmax_j - y_j */
            double m = -INFINITY, z = 0, ty = 0;
            for (int64_t j = 0; j < D; j++) m = x[j] > m ? x[j] : m;
            for (int64_t j = 0; j < D; j++) z += exp(x[j] - m);
            if (t)
                for (int64_t j = 0; j < D; j++) ty += a != 0 ? t[j] * (1 - a) + a / (double)D : t[j];
            else
                ty = 1;
            for (int64_t j = 0; j < D; j++) {
                double y = t ? (a != 0 ? t[j] * (1 - a) + a / (double)D : t[j]) : (j == label);
                gx[j] += (float)(c * (ty * exp(x[j] - m) / z - y));
            }
            return;
        }
        /* q = x / sum(x), l = -sum y log clip(q): with G_j = dl/dq_j,
         * dl/dx_j = (G_j - sum_i G_i q_i) / sum(x). */
        double sum = 0, gq = 0;
        for (int64_t j = 0; j < D; j++) sum += x[j];
        if (t) {
            for (int64_t j = 0; j < D; j++) {
                double y = a != 0 ? t[j] * (1 - a) + a / (double)D : t[j], q = x[j] / sum;
                if (in_clip(q)) gq += -y / q * q;
            }
            for (int64_t j = 0; j < D; j++) {
                double y = a != 0 ? t[j] * (1 - a) + a / (double)D : t[j], q = x[j] / sum;
                double G = in_clip(q) ? -y / q : 0;
                gx[j] += (float)(c * (G - gq) / sum);
            }
        } else {
            double q = x[label] / sum, G = in_clip(q) ? -1 / q : 0;
            for (int64_t j = 0; j < D; j++)
                gx[j] += (float)(c * ((j == label ? G : 0) - G * q) / sum);
        }
        return;
    }
    }
}

static inline double weight_of(const pn_node *n, const loss_plan *p, int64_t k)
{
    return p->has_w ? n->in[2]->data[k / p->w_inner] : 1.0;
}

/* The divisor of sum(w * l) for the scalar reductions; 0 means "give 0". */
static double reduction_divisor(const pn_node *n, const loss_plan *p)
{
    int64_t r = n->iattr[0];
    if (r == R_SUM) return 1;
    if (r == R_MEAN_SW && p->has_w) {
        double sw = 0;
        for (int64_t k = 0; k < p->rows; k++) sw += weight_of(n, p, k);
        return sw;
    }
    return (double)p->rows;
}

static int loss_forward_kind(pn_node *n, int kind)
{
    loss_plan p;
    int rc = loss_plan_make(n, kind, &p);
    if (rc) return rc;
    if (kind == L_SCCE && (rc = scce_check_labels(n, &p))) return rc;
    int hinge_map = kind == L_HINGE && hinge_binary_labels(n->in[1]);
    if (n->iattr[0] == R_NONE) {
        for (int64_t k = 0; k < p.rows; k++)
            n->data[k] = (float)(weight_of(n, &p, k) * row_loss(n, &p, k, hinge_map));
        return PN_OK;
    }
    double s = 0;
    for (int64_t k = 0; k < p.rows; k++) s += weight_of(n, &p, k) * row_loss(n, &p, k, hinge_map);
    double div = reduction_divisor(n, &p);
    n->data[0] = div != 0 ? (float)(s / div) : 0.0f;
    return PN_OK;
}

static int loss_backward_kind(pn_node *n, int kind)
{
    pn_node *P = n->in[0];
    if (!P->requires_grad) return PN_OK;
    loss_plan p;
    int rc = loss_plan_make(n, kind, &p);
    if (rc) return rc;
    if (kind == L_SCCE && (rc = scce_check_labels(n, &p))) return rc;
    int hinge_map = kind == L_HINGE && hinge_binary_labels(n->in[1]);
    double scale = 0;
    if (n->iattr[0] != R_NONE) {
        double div = reduction_divisor(n, &p);
        if (div == 0) return PN_OK;
        scale = n->grad[0] / div;
    }
    for (int64_t k = 0; k < p.rows; k++) {
        double c = weight_of(n, &p, k) * (n->iattr[0] == R_NONE ? n->grad[k] : scale);
        if (c != 0) row_grad(n, &p, k, hinge_map, c, P->grad);
    }
    return PN_OK;
}

/* Descriptors: reduction in iattr[0] (R_* order), from_logits in iattr[1], the
 * loss's parameter in fattr[0]. */
static const char *const loss_inputs[] = {"y_pred", "y_true", "sample_weight?", NULL};
static const char *const reductions[] = {"sum_over_batch_size", "none", "sum",
                                         "mean_with_sample_weight", NULL};
#define REDUCTION {"reduction", PN_ATTR_ENUM, 0, R_SOBS, 0, reductions}
static const pn_attr plain_attrs[] = {REDUCTION, {NULL}};
static const pn_attr huber_attrs[] = {REDUCTION, {"delta", PN_ATTR_FLOAT, 0, 1.0}, {NULL}};
static const pn_attr xent_attrs[] = {REDUCTION, {"from_logits", PN_ATTR_BOOL, 1, 0},
                                     {"label_smoothing", PN_ATTR_FLOAT, 0, 0.0}, {NULL}};
static const pn_attr sparse_attrs[] = {REDUCTION, {"from_logits", PN_ATTR_BOOL, 1, 0}, {NULL}};

#define DEFINE_LOSS(NAME, KIND, ATTRS)                                                       \
    static int NAME##_infer(pn_node *n) { return loss_infer_kind(n, KIND); }                \
    static int NAME##_forward(pn_node *n) { return loss_forward_kind(n, KIND); }            \
    static int NAME##_backward(pn_node *n) { return loss_backward_kind(n, KIND); }          \
    static const pn_op op_##NAME = {#NAME, -1, NAME##_infer, NAME##_forward, NAME##_backward, NULL, \
                                    loss_inputs, ATTRS, PN_TRAIT_LOSS, NULL};

DEFINE_LOSS(mean_squared_error, L_MSE, plain_attrs)
DEFINE_LOSS(mean_absolute_error, L_MAE, plain_attrs)
DEFINE_LOSS(huber, L_HUBER, huber_attrs)
DEFINE_LOSS(hinge, L_HINGE, plain_attrs)
DEFINE_LOSS(binary_crossentropy, L_BCE, xent_attrs)
DEFINE_LOSS(categorical_crossentropy, L_CCE, xent_attrs)
DEFINE_LOSS(sparse_categorical_crossentropy, L_SCCE, sparse_attrs)

const pn_op *const pn_ops_loss[] = {&op_mean_squared_error, &op_mean_absolute_error, &op_huber,
                                    &op_hinge, &op_binary_crossentropy,
                                    &op_categorical_crossentropy,
                                    &op_sparse_categorical_crossentropy, NULL};
