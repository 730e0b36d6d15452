/* dense.c - the fused Dense op: y = act(x · W + b) as one node.
 *
 * Inputs x (..., K), kernel W (K, N) (Keras' layout), optional bias b (N).
 * iattr[0]: activation id (pn_dense_activation_name), iattr[1]: its flag (gelu's
 * tanh approximation), fattr[0]: its parameter (leaky_relu's slope, elu's alpha).
 * The leading axes of x are one batch of M rows: one GEMM, whatever the rank.
 *
 * Forward: one GEMM into the pre-activation buffer, then one pass over the
 * output rows that adds the bias and applies the activation while the rows are
 * hot. Backward: one pass forms dpre = dy * act'(pre), then db = Σ_rows dpre,
 * dW += xᵀ·dpre and dx += dpre·Wᵀ, the transposes absorbed by GEMM's packing.
 *
 * Numerics are the unfused graph's, bit for bit (2-D x): the same GEMM calls,
 * the activation from the one table both use (activation.h), the bias added
 * after the product and its gradient summed row by row in the same order as
 * the broadcast add's backward. What fusion saves is two nodes' buffers and
 * gradients, two passes over memory and two op dispatches per layer.
 *
 * Memory: relu, relu6 and linear get their derivative from the output (y > 0
 * exactly when pre > 0), so they keep no pre-activation; the others keep it in
 * the node's scratch. The scratch also holds dpre when a gradient will flow,
 * so backward never allocates. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math") /* as in unary.c: lets the selects vectorise */
#endif
#include <string.h>

#include "pn.h"
#include "activation.h"

/* Output elements per epilogue task (as UNARY_GRAIN). */
#define DENSE_GRAIN 16384

#define DENSE_ID(NAME, F, D) DENSE_##NAME,
enum { DENSE_linear, ACTIVATION_OPS(DENSE_ID) DENSE_N_ACTS };

#define DENSE_NAME(NAME, F, D) #NAME,
static const char *const act_names[DENSE_N_ACTS] = {"linear", ACTIVATION_OPS(DENSE_NAME)};

const char *pn_dense_activation_name(int id)
{
    return id >= 0 && id < DENSE_N_ACTS ? act_names[id] : NULL;
}

/* Activations whose derivative reads only the comparison of pre with
 * constants that the output preserves, so D(y, y) == D(pre, y) bit for bit. */
static int derivative_from_output(int act)
{
    return act == DENSE_linear || act == DENSE_relu || act == DENSE_relu6;
}

typedef struct {
    int64_t M, K, N;
    int act, flag;
    float a;
    int keep_pre; /* pre-activation stored apart from y */
    int grad;     /* a gradient will flow: room for dpre */
} dense_plan;

static int dense_plan_make(const pn_node *n, dense_plan *p)
{
    const pn_node *x = n->in[0], *w = n->in[1];
    char sx[128], sw[128];
    if (n->n_in != 2 && n->n_in != 3)
        return pn_error(PN_EVALUE, "dense takes x, kernel and an optional bias, got %d inputs",
                        n->n_in);
    if (x->ndim < 2)
        return pn_error(PN_EVALUE, "dense: x must have at least 2 dimensions (batch, features), got %s",
                        pn_shape_str(sx, x->ndim, x->shape));
    if (w->ndim != 2 || w->shape[0] != x->shape[x->ndim - 1])
        return pn_error(PN_EVALUE, "dense: kernel must have shape (%lld, units) for x of shape %s, got %s",
                        (long long)x->shape[x->ndim - 1], pn_shape_str(sx, x->ndim, x->shape),
                        pn_shape_str(sw, w->ndim, w->shape));
    if (n->n_in == 3 && (n->in[2]->ndim != 1 || n->in[2]->shape[0] != w->shape[1]))
        return pn_error(PN_EVALUE, "dense: bias must have shape (%lld,), got %s", (long long)w->shape[1],
                        pn_shape_str(sx, n->in[2]->ndim, n->in[2]->shape));
    if (n->iattr[0] < 0 || n->iattr[0] >= DENSE_N_ACTS)
        return pn_error(PN_EVALUE, "dense: unknown activation id %lld", (long long)n->iattr[0]);
    p->K = w->shape[0];
    p->N = w->shape[1];
    p->M = 1;
    for (int d = 0; d < x->ndim - 1; d++) p->M *= x->shape[d];
    p->act = (int)n->iattr[0];
    p->flag = (int)n->iattr[1];
    p->a = (float)n->fattr[0];
    p->keep_pre = !derivative_from_output(p->act);
    p->grad = n->requires_grad && p->act != DENSE_linear; /* linear: dpre is dy itself */
    return PN_OK;
}

static int dense_infer(pn_node *n)
{
    dense_plan p = {0};
    int rc = dense_plan_make(n, &p);
    if (rc) return rc;
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, n->in[0]->shape, sizeof shape);
    shape[n->in[0]->ndim - 1] = p.N;
    return pn_node_set_shape(n, n->in[0]->ndim, shape);
}

/* Scratch: [pre (M*N) if keep_pre][dpre (M*N) if grad]. One layout for both
 * passes, sized in forward. */
static size_t scratch_floats(const dense_plan *p)
{
    return (size_t)(p->M * p->N) * (size_t)(p->keep_pre + p->grad);
}

typedef struct {
    float *pre, *y, *dpre;
    const float *bias, *g;
    int64_t N;
    float a;
    int flag;
} dense_ctx;

/* Per activation: the forward epilogue over rows [lo, hi) (pre kept apart, or
 * y computed in place over the GEMM result) and the backward pass forming
 * dpre. x is the bias-added pre-activation, exactly what the unfused add
 * produced, so F and D see the same bits. */
#define DEFINE_DENSE(NAME, F, D)                                                             \
    ALWAYS_INLINE void NAME##_dense_rows(float *restrict pre, float *restrict ys,            \
                                         const float *restrict bias, int64_t lo, int64_t hi, \
                                         int64_t N, const float a, const int flag)           \
    {                                                                                        \
        (void)a, (void)flag;                                                        \
        for (int64_t r = lo; r < hi; r++) {                                                  \
            float *restrict p = pre + r * N;                                                 \
            float *restrict yr = ys + r * N;                                                 \
            if (bias)                                                                        \
                for (int64_t j = 0; j < N; j++) {                                            \
                    const float x = p[j] + bias[j];                                          \
                    p[j] = x;                                                                \
                    yr[j] = (F);                                                             \
                }                                                                            \
            else                                                                             \
                for (int64_t j = 0; j < N; j++) {                                            \
                    const float x = p[j];                                                    \
                    yr[j] = (F);                                                             \
                }                                                                            \
        }                                                                                    \
    }                                                                                        \
    ALWAYS_INLINE void NAME##_dense_rows_inplace(float *restrict ys,                         \
                                                 const float *restrict bias, int64_t lo,     \
                                                 int64_t hi, int64_t N, const float a,       \
                                                 const int flag)                             \
    {                                                                                        \
        (void)a, (void)flag;                                                        \
        for (int64_t r = lo; r < hi; r++) {                                                  \
            float *restrict yr = ys + r * N;                                                 \
            if (bias)                                                                        \
                for (int64_t j = 0; j < N; j++) {                                            \
                    const float x = yr[j] + bias[j];                                         \
                    yr[j] = (F);                                                             \
                }                                                                            \
            else                                                                             \
                for (int64_t j = 0; j < N; j++) {                                            \
                    const float x = yr[j];                                                   \
                    yr[j] = (F);                                                             \
                }                                                                            \
        }                                                                                    \
    }                                                                                        \
    ALWAYS_INLINE void NAME##_dense_dpre(const float *restrict xs, const float *restrict yv,  \
                                         const float *restrict gs, float *restrict dp,       \
                                         int64_t lo, int64_t hi, const float a,              \
                                         const int flag)                                     \
    {                                                                                        \
        (void)a, (void)flag, (void)xs, (void)yv;                                    \
        for (int64_t i = lo; i < hi; i++) {                                                  \
            const float x = xs[i], y = yv[i];                                                \
            (void)x, (void)y;                                                                \
            dp[i] = gs[i] * (D);                                                             \
        }                                                                                    \
    }                                                                                        \
    RANGE_FN NAME##_dense_fwd(void *ctx, int64_t lo, int64_t hi)                             \
    {                                                                                        \
        const dense_ctx *c = ctx;                                                            \
        if (c->pre != c->y) {                                                                \
            if (c->flag) NAME##_dense_rows(c->pre, c->y, c->bias, lo, hi, c->N, c->a, 1);    \
            else NAME##_dense_rows(c->pre, c->y, c->bias, lo, hi, c->N, c->a, 0);            \
        } else {                                                                             \
            if (c->flag) NAME##_dense_rows_inplace(c->y, c->bias, lo, hi, c->N, c->a, 1);    \
            else NAME##_dense_rows_inplace(c->y, c->bias, lo, hi, c->N, c->a, 0);            \
        }                                                                                    \
    }                                                                                        \
    RANGE_FN NAME##_dense_bwd(void *ctx, int64_t lo, int64_t hi)                             \
    {                                                                                        \
        const dense_ctx *c = ctx;                                                            \
        if (c->flag) NAME##_dense_dpre(c->pre, c->y, c->g, c->dpre, lo, hi, c->a, 1);        \
        else NAME##_dense_dpre(c->pre, c->y, c->g, c->dpre, lo, hi, c->a, 0);                \
    }

DEFINE_DENSE(linear, x, 1.0f)
ACTIVATION_OPS(DEFINE_DENSE)

#define DENSE_FNS(NAME, F, D) {NAME##_dense_fwd, NAME##_dense_bwd},
static const struct {
    pn_range_fn fwd, bwd;
} act_fns[DENSE_N_ACTS] = {{linear_dense_fwd, linear_dense_bwd}, ACTIVATION_OPS(DENSE_FNS)};

static int dense_forward(pn_node *n)
{
    dense_plan p = {0};
    int rc = dense_plan_make(n, &p);
    if (rc) return rc;
    float *scratch = NULL;
    if (scratch_floats(&p)) {
        scratch = pn_node_scratch(n, sizeof(float) * scratch_floats(&p));
        if (!scratch) return PN_ENOMEM;
    }
    dense_ctx c = {p.keep_pre ? scratch : n->data, n->data, NULL,
                   n->n_in == 3 ? n->in[2]->data : NULL, NULL, p.N, p.a, p.flag};
    pn_sgemm(0, 0, p.M, p.N, p.K, 1.0f, n->in[0]->data, p.K, n->in[1]->data, p.N, 0.0f, c.pre, p.N);
    if (p.act == DENSE_linear && !c.bias) return PN_OK;
    int64_t grain = p.N ? DENSE_GRAIN / p.N : 1;
    pn_parallel_for(p.M, grain > 1 ? grain : 1, act_fns[p.act].fwd, &c);
    return PN_OK;
}

typedef struct {
    const float *dpre;
    float *db;
    int64_t M, N;
} bias_ctx;

/* db[j] += Σ_r dpre[r, j], rows in order (as pn_reduce_to sums a broadcast
 * add's gradient), so splitting the columns over threads changes no bit. */
static void bias_grad_range(void *ctx, int64_t lo, int64_t hi)
{
    const bias_ctx *c = ctx;
    for (int64_t r = 0; r < c->M; r++) {
        const float *d = c->dpre + r * c->N;
        for (int64_t j = lo; j < hi; j++) c->db[j] += d[j];
    }
}

static int dense_backward(pn_node *n)
{
    dense_plan p = {0};
    int rc = dense_plan_make(n, &p);
    if (rc) return rc;
    pn_node *X = n->in[0], *W = n->in[1], *B = n->n_in == 3 ? n->in[2] : NULL;
    const float *dpre = n->grad;
    if (p.act != DENSE_linear) {
        if (!n->saved || n->saved_bytes < sizeof(float) * scratch_floats(&p))
            return pn_error(PN_EINTERNAL, "dense: backward without its forward");
        float *scratch = n->saved;
        dense_ctx c = {p.keep_pre ? scratch : n->data, n->data,
                       scratch + (p.keep_pre ? p.M * p.N : 0), NULL, n->grad, p.N, p.a, p.flag};
        pn_parallel_for(p.M * p.N, DENSE_GRAIN, act_fns[p.act].bwd, &c);
        dpre = c.dpre;
    }
    if (B && B->requires_grad) {
        bias_ctx bc = {dpre, B->grad, p.M, p.N};
        int64_t grain = p.M ? DENSE_GRAIN / p.M : 1;
        pn_parallel_for(p.N, grain > 1 ? grain : 1, bias_grad_range, &bc);
    }
    if (W->requires_grad) /* dW = xᵀ · dpre */
        pn_sgemm(1, 0, p.K, p.N, p.M, 1.0f, X->data, p.K, dpre, p.N, 1.0f, W->grad, p.N);
    if (X->requires_grad) /* dx = dpre · Wᵀ */
        pn_sgemm(0, 1, p.M, p.K, p.N, 1.0f, dpre, p.N, W->data, p.N, 1.0f, X->grad, p.K);
    return PN_OK;
}

static const pn_op op_dense = {"dense", -1, dense_infer, dense_forward, dense_backward, NULL};

const pn_op *const pn_ops_dense[] = {&op_dense, NULL};
