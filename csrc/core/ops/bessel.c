/* bessel.c - i0, the modified Bessel function of the first kind of order 0
 * (keras.ops.i0, numpy.i0, torch.i0).
 *
 *   i0(x) = sum_k (x^2 / 4)^k / (k!)^2        i0'(x) = i1(x) = (x / 2) sum_k (x^2 / 4)^k / (k! (k+1)!)
 *
 * Both series have positive terms only (no cancellation), so summing them in
 * double until a term no longer moves the sum gives the float result to within
 * rounding; about x / 2 + 5 sqrt(x) terms are needed. i0 and i1 pass FLT_MAX near
 * |x| = 91.9 (i0(x) ~ e^x / sqrt(2 pi x)): from 92 on the float result is inf, as
 * torch's, without running the series. i0 is even and i1 odd. NaN gives NaN. */
#include <math.h>

#include "pn.h"

#define OVERFLOW_X 92.0 /* i0(x), i1(x) > FLT_MAX from here on */

/* i0 (order 0) or i1 (order 1) of |x| >= 0, in double */
static double bessel_i(int order, double ax)
{
    double q = ax * ax / 4, term = order ? ax / 2 : 1, sum = term;
    for (int k = 1; k < 1000; k++) {
        term *= q / ((double)k * (double)(k + order));
        double next = sum + term;
        if (next == sum) break;
        sum = next;
    }
    return sum;
}

static float bessel_value(int order, float xf)
{
    double x = xf, ax = fabs(x);
    if (isnan(x)) return NAN;
    if (ax >= OVERFLOW_X) return (float)(order && x < 0 ? -INFINITY : INFINITY);
    double v = bessel_i(order, ax);
    return (float)(order && x < 0 ? -v : v);
}

static int i0_infer(pn_node *n)
{
    return pn_node_set_shape(n, n->in[0]->ndim, n->in[0]->shape);
}

static int i0_forward(pn_node *n)
{
    const float *x = n->in[0]->data;
    for (int64_t i = 0; i < n->size; i++) n->data[i] = bessel_value(0, x[i]);
    return PN_OK;
}

static int i0_backward(pn_node *n)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    const float *x = n->in[0]->data, *g = n->grad;
    float *gx = n->in[0]->grad;
    for (int64_t i = 0; i < n->size; i++) gx[i] += g[i] * bessel_value(1, x[i]);
    return PN_OK;
}

static const char *const one_input[] = {"x", NULL};
static const pn_op op_i0 = {"i0", 1, i0_infer, i0_forward, i0_backward, NULL, one_input, NULL,
                            PN_TRAIT_ROWWISE, NULL};

const pn_op *const pn_ops_bessel[] = {&op_i0, NULL};
