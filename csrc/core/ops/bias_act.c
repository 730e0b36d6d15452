/* bias_act.c - the fused layers' epilogue (see bias_act.h). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math") /* as in unary.c: lets the selects vectorise */
#endif
#include "bias_act.h"

/* Output elements per task (as UNARY_GRAIN). */
#define EPI_GRAIN 16384

#define PN_ACT_NAME(NAME, F, D) #NAME,
const char *const pn_fused_activations[PN_N_ACTS + 1] = {"linear", ACTIVATION_OPS(PN_ACT_NAME) NULL};

float pn_act_param(int act, double alpha)
{
    if (alpha == alpha) return (float)alpha;
    return act == PN_ACT_leaky_relu ? 0.2f : act == PN_ACT_elu ? 1.0f : 0.0f;
}

typedef struct {
    float *pre, *y, *dpre;
    const float *bias, *g;
    int64_t N;
    float a;
    int flag;
} epi_ctx;

/* Per activation: the forward pass over rows [lo, hi) (pre kept apart, or y
 * computed in place over the GEMM result) and the backward pass forming dpre.
 * x is the bias-added pre-activation, exactly what an unfused add produces,
 * so F and D see the same bits as the unfused ops. */
#define DEFINE_EPILOGUE(NAME, F, D)                                                             \
    ALWAYS_INLINE void NAME##_rows(float *restrict pre, float *restrict ys,            \
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
    ALWAYS_INLINE void NAME##_rows_inplace(float *restrict ys,                         \
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
    ALWAYS_INLINE void NAME##_dpre(const float *restrict xs, const float *restrict yv,  \
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
    RANGE_FN NAME##_epi_fwd(void *ctx, int64_t lo, int64_t hi)                             \
    {                                                                                        \
        const epi_ctx *c = ctx;                                                            \
        if (c->pre != c->y) {                                                                \
            if (c->flag) NAME##_rows(c->pre, c->y, c->bias, lo, hi, c->N, c->a, 1);    \
            else NAME##_rows(c->pre, c->y, c->bias, lo, hi, c->N, c->a, 0);            \
        } else {                                                                             \
            if (c->flag) NAME##_rows_inplace(c->y, c->bias, lo, hi, c->N, c->a, 1);    \
            else NAME##_rows_inplace(c->y, c->bias, lo, hi, c->N, c->a, 0);            \
        }                                                                                    \
    }                                                                                        \
    RANGE_FN NAME##_epi_bwd(void *ctx, int64_t lo, int64_t hi)                             \
    {                                                                                        \
        const epi_ctx *c = ctx;                                                            \
        if (c->flag) NAME##_dpre(c->pre, c->y, c->g, c->dpre, lo, hi, c->a, 1);        \
        else NAME##_dpre(c->pre, c->y, c->g, c->dpre, lo, hi, c->a, 0);                \
    }

DEFINE_EPILOGUE(linear, x, 1.0f)
ACTIVATION_OPS(DEFINE_EPILOGUE)

#define EPI_FNS(NAME, F, D) {NAME##_epi_fwd, NAME##_epi_bwd},
static const struct {
    pn_range_fn fwd, bwd;
} act_fns[PN_N_ACTS] = {{linear_epi_fwd, linear_epi_bwd}, ACTIVATION_OPS(EPI_FNS)};

void pn_bias_act_forward(int act, float a, int flag, float *pre, float *y, const float *bias,
                         int64_t M, int64_t N)
{
    if (act == PN_ACT_linear && !bias && pre == y) return;
    epi_ctx c = {pre, y, NULL, bias, NULL, N, a, flag};
    int64_t grain = N ? EPI_GRAIN / N : 1;
    pn_parallel_for(M, grain > 1 ? grain : 1, act_fns[act].fwd, &c);
}

void pn_bias_act_rows(int act, float a, int flag, float *pre, float *y, const float *bias,
                      int64_t lo, int64_t hi, int64_t N)
{
    if (act == PN_ACT_linear && !bias && pre == y) return;
    epi_ctx c = {pre, y, NULL, bias, NULL, N, a, flag};
    act_fns[act].fwd(&c, lo, hi);
}

void pn_act_backward(int act, float a, int flag, const float *pre, const float *y,
                     const float *dy, float *dpre, int64_t size)
{
    epi_ctx c = {(float *)pre, (float *)y, dpre, NULL, dy, 0, a, flag};
    pn_parallel_for(size, EPI_GRAIN, act_fns[act].bwd, &c);
}

void pn_act_backward_range(int act, float a, int flag, const float *pre, const float *y,
                           const float *dy, float *dpre, int64_t lo, int64_t hi)
{
    epi_ctx c = {(float *)pre, (float *)y, dpre, NULL, dy, 0, a, flag};
    act_fns[act].bwd(&c, lo, hi);
}
