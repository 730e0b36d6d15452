/* bias_act.h - the epilogue of the fused layer ops (dense.c, conv.c): bias and
 * activation applied in one pass over the rows of a GEMM result, and the
 * activation's derivative applied to the incoming gradient. The activations
 * are activation.h's ACTIVATION_OPS (plus linear), computed from the same
 * written formulas as the standalone ops in unary.c, so a fused layer is bit
 * for bit the unfused graph. Engine-internal. */
#ifndef PN_OPS_BIAS_ACT_H
#define PN_OPS_BIAS_ACT_H
#include "pn.h"
#include "activation.h"

/* Activation ids: the index of the name in pn_fused_activations, the choices
 * of the fused ops' "activation" attribute (NULL-terminated). */
#define PN_ACT_ID(NAME, F, D) PN_ACT_##NAME,
enum { PN_ACT_linear, ACTIVATION_OPS(PN_ACT_ID) PN_N_ACTS };
extern const char *const pn_fused_activations[PN_N_ACTS + 1];
/* The fused ops' activation parameter ("alpha"): NaN in the attribute means
 * the Keras default of the activation (leaky_relu 0.2, elu 1.0). */
float pn_act_param(int act, double alpha);

/* Activations whose derivative reads only comparisons of the pre-activation
 * with constants that the output preserves (y > 0 exactly when pre > 0), so
 * D(y, y) == D(pre, y) bit for bit: they need not keep the pre-activation. */
static inline int pn_act_from_output(int act)
{
    return act == PN_ACT_linear || act == PN_ACT_relu || act == PN_ACT_relu6;
}

/* y[r, j] = act(pre[r, j] + bias[j]) for M rows of N (bias may be NULL; pre
 * receives the bias-added values; pre == y computes in place). a, flag: the
 * activation's parameter and flag (leaky_relu/elu alpha, gelu approximate). */
void pn_bias_act_forward(int act, float a, int flag, float *pre, float *y, const float *bias,
                         int64_t M, int64_t N);
/* The same pass over rows [lo, hi) only, on the calling thread: for kernels
 * that apply it tile by tile while the tile is in cache. */
void pn_bias_act_rows(int act, float a, int flag, float *pre, float *y, const float *bias,
                      int64_t lo, int64_t hi, int64_t N);
/* dpre = dy * act'(pre) over size elements; pre may be y for
 * pn_act_from_output activations. */
void pn_act_backward(int act, float a, int flag, const float *pre, const float *y,
                     const float *dy, float *dpre, int64_t size);
/* The same over elements [lo, hi) only, on the calling thread (conv.c forms
 * dY block by block inside its weight-gradient tasks). */
void pn_act_backward_range(int act, float a, int flag, const float *pre, const float *y,
                           const float *dy, float *dpre, int64_t lo, int64_t hi);
#endif
