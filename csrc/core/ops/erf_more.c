/* erf_more.c - erfc and erfinv, the complementary and inverse error functions
 * (keras.ops.erfc, keras.ops.erfinv); erf itself is a unary op in unary.c.
 *
 * erfc(x) = 1 - erf(x) is libm's erfcf, which keeps relative precision in the
 * right tail where 1 - erf(x) cancels to 0 (erfc(5) = 1.5e-12).
 *   erfc'(x) = -2 / sqrt(pi) exp(-x^2)
 * erfinv(x) for x in [-1, 1]: Giles' single-precision polynomial ("Approximating
 * the erfinv function", GPU Computing Gems, 2011) as the start, then two Newton
 * steps on erf(y) = x in double, so the float result is the correctly rounded
 * one to within an ulp even where the polynomial alone loses digits (|x| near 1).
 * erfinv(+-1) = +-inf, NaN outside [-1, 1], as NumPy/SciPy and torch.
 *   erfinv'(x) = sqrt(pi) / 2 exp(y^2), y = erfinv(x) (read from the output). */
#include <math.h>

#include "pn.h"

#define TWO_OVER_SQRT_PI 1.12837916709551257390
#define SQRT_PI_OVER_TWO 0.88622692545275801365

static int erf_more_infer(pn_node *n)
{
    return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

/* ---------------------------------------------------------------- erfc */
static int erfc_forward(pn_node *n)
{
    const float *x = n->in[0]->data;
    for (int64_t i = 0; i < n->size; i++) n->data[i] = erfcf(x[i]);
    return PN_OK;
}

static int erfc_backward(pn_node *n)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    const float *x = n->in[0]->data, *g = n->grad;
    float *gx = n->in[0]->grad;
    for (int64_t i = 0; i < n->size; i++) {
        double xd = x[i];
        gx[i] += (float)(g[i] * -TWO_OVER_SQRT_PI * exp(-xd * xd));
    }
    return PN_OK;
}

/* ---------------------------------------------------------------- erfinv */
static double erfinv_start(double x)
{
    double w = -log((1.0 - x) * (1.0 + x)), p;
    if (w < 5.0) { /* |x| < 0.9966: polynomial in w - 2.5 */
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else { /* the tail: polynomial in sqrt(w) - 3 */
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    return p * x;
}

static float erfinv_value(float xf)
{
    double x = xf;
    if (!(fabs(x) < 1.0)) /* +-1, beyond, NaN */
        return fabs(x) == 1.0 ? (float)copysign(INFINITY, x) : NAN;
    double y = erfinv_start(x);
    for (int step = 0; step < 2; step++) /* Newton on erf(y) - x, in double */
        y -= (erf(y) - x) / (TWO_OVER_SQRT_PI * exp(-y * y));
    return (float)y;
}

static int erfinv_forward(pn_node *n)
{
    const float *x = n->in[0]->data;
    for (int64_t i = 0; i < n->size; i++) n->data[i] = erfinv_value(x[i]);
    return PN_OK;
}

static int erfinv_backward(pn_node *n)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    const float *y = n->data, *g = n->grad;
    float *gx = n->in[0]->grad;
    for (int64_t i = 0; i < n->size; i++) {
        double yd = y[i];
        gx[i] += (float)(g[i] * SQRT_PI_OVER_TWO * exp(yd * yd));
    }
    return PN_OK;
}

static const char *const one_input[] = {"x", NULL};
static const pn_op op_erfc = {"erfc", 1, erf_more_infer, erfc_forward, erfc_backward, NULL,
                              one_input, NULL, PN_TRAIT_ROWWISE, NULL};
static const pn_op op_erfinv = {"erfinv", 1, erf_more_infer, erfinv_forward, erfinv_backward,
                                NULL, one_input, NULL, PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_erf_more[] = {&op_erfc, &op_erfinv, NULL};
