/* activation.h - the elementwise activation math shared by unary.c (one op
 * per activation) and dense.c (the fused Dense op), so that both compute
 * bit-identical values and derivatives from one written expression.
 *
 * UNARY_OPS is the table: NAME, F(x) with parameters a, b, flag, and the
 * derivative D(x, y) where y = F(x). Helpers are branch-free so loops over
 * them vectorise (see unary.c for the accuracy notes). Engine-internal. */
#ifndef PN_OPS_ACTIVATION_H
#define PN_OPS_ACTIVATION_H
#include <math.h>
#include <stdint.h>

/* Range functions (the bodies handed to pn_parallel_for): on x86-64 with GCC each range
 * function is also cloned for x86-64-v4 (AVX-512) and x86-64-v3 (AVX2 + FMA), picked at
 * load time (ifunc); the portable SSE2 clone stays the default, as DESIGN.md asks (no
 * -march=native). -std=c11 keeps fp-contract off, so every clone does the same IEEE
 * operations per element and gives the same bits (the fixtures of
 * tests/test_training_bitwise.py, recorded on an AVX2 clone, replay on the AVX-512 one);
 * the v4 clone makes the LSTM gate passes ~2x cheaper where zmm runs at full width. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RANGE_FN __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) static void
#else
#define RANGE_FN static void
#endif
#if defined(__GNUC__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

/* SELU constants (Klambauer et al. 2017), the same values as Keras and torch. */
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define SELU_SCALE 1.0507009873554804934193349852946f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f
#define SQRT_2_OVER_PI 0.79788456080286535588f
#define GELU_C 0.044715f

/* ---------------------------------------------------------------- fast exp, tanh
 * glibc's expf / tanhf are scalar calls, so a loop that uses them is never
 * vectorised; these branch-free versions are (4 floats per SSE2 op in the
 * portable build) and keep ~1 ulp (exp) / ~2 ulp (tanh) accuracy, with inf,
 * NaN and gradual underflow handled like expf. Cephes' polynomials. */
static inline float fast_expf(float x)
{
    /* clamping maps NaN to the low bound (no UB in the int conversion);
     * the selects at the end restore NaN, inf and 0 */
    float xc = x > -104.0f ? x : -104.0f;
    xc = xc < 88.7228394f ? xc : 88.7228394f;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick (floorf is a call without SSE4.1) */
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xc - n * 0.693359375f - n * -2.12194440e-4f;
    float z = r * r;
    float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    /* 2^n as two factors so n in [-150, 128] never leaves the normal range
     * of either (the product underflows gradually, as expf does) */
    int32_t ni = (int32_t)n, h = ni >> 1;
    union { int32_t i; float f; } s1 = {(h + 127) << 23}, s2 = {(ni - h + 127) << 23};
    float y = p * s1.f * s2.f;
    y = x > 88.7228394f ? INFINITY : y;
    y = x < -103.972084f ? 0.0f : y;
    return x != x ? x : y;
}

static inline float fast_tanhf(float x)
{
    float ax = fabsf(x);
    float z = x * x;
    /* small |x|: odd polynomial (1 - 2/(e+1) would cancel) */
    float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                    1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
    float big = 1.0f - 2.0f / (fast_expf(2.0f * ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? small : big;
}

/* log1p(e) for e in [0, 1] (all softplus needs), branch-free: log(u) of
 * u = 1 + e by Cephes' logf polynomial on [sqrt(1/2), sqrt(2)), then the
 * classic correction log(u) * e / (u - 1), which restores the digits lost
 * when 1 + e rounds (so softplus(-100) is still 3.7e-44, not 0). */
static inline float fast_log1p_unit(float e)
{
    float u = 1.0f + e;
    float k = u > 1.41421356f ? 1.0f : 0.0f;
    float m = u > 1.41421356f ? 0.5f * u : u;
    float x = m - 1.0f, z = x * x;
    float y = ((((((((7.0376836292e-2f * x - 1.1514610310e-1f) * x + 1.1676998740e-1f) * x -
                    1.2420140846e-1f) * x + 1.4249322787e-1f) * x - 1.6668057665e-1f) * x +
                 2.0000714765e-1f) * x - 2.4999993993e-1f) * x + 3.3333331174e-1f) * x * z;
    y += -2.12194440e-4f * k;
    y += -0.5f * z;
    float lg = x + y + 0.693359375f * k;
    float d = u - 1.0f;
    return d == 0.0f ? e : lg * (e / d);
}

/* Standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2, branch-free so the
 * exact GELU vectorises (erff is a scalar call). Cephes' erf / erfc
 * polynomials: erf on |z| < 1, erfc = exp(-z^2)/z * poly(1/z^2) beyond, used
 * on the side where it keeps relative accuracy in the left tail. Relative
 * error of x * Phi(x): ~1e-6 for |x| < 4, growing to ~1.5e-5 near x = -12
 * (where gelu is ~1e-31) because exp(-z^2) inherits the rounding of z^2. */
static inline float fast_phi(float x)
{
    float z = x * INV_SQRT2, a = fabsf(z), zz = z * z;
    float e = ((((((7.853861353153693e-5f * zz - 8.010193625184903e-4f) * zz +
                   5.188327685732524e-3f) * zz - 2.685381193529856e-2f) * zz +
                 1.128358514861418e-1f) * zz - 3.761262582423300e-1f) * zz +
               1.128379165726710f) * z;
    float y = 1.0f / (a * a);
    float p = ((((((((2.326819970068386e-2f * y - 1.387039388740657e-1f) * y +
                     3.687424674597105e-1f) * y - 5.824733027278666e-1f) * y +
                   6.210004621745983e-1f) * y - 4.944515323274145e-1f) * y +
                 3.404879937665872e-1f) * y - 2.741127028184656e-1f) * y +
               5.638259427386472e-1f);
    float q = (((((((-1.047766399936249e+1f * y + 1.297719955372516e+1f) * y -
                    7.495518717768503e+0f) * y + 2.921019019210786e+0f) * y -
                  1.015265279202700e+0f) * y + 4.218463358204948e-1f) * y -
                2.820767439740514e-1f) * y + 5.641895067754075e-1f);
    float c = fast_expf(-a * a) / a * (a < 2.0f ? p : q); /* erfc(a) */
    float tail = z < 0 ? 0.5f * c : 1.0f - 0.5f * c;
    return a < 1.0f ? 0.5f + 0.5f * e : tail;
}

/* 1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|, so for
 * x = -100 we get e/(1+e) with e = exp(-100), not 1/inf. */
static inline float stable_sigmoid(float x)
{
    float e = fast_expf(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return x >= 0 ? s : e * s;
}

/* sigmoid' and tanh' from x, not from y: y (1 - y) and 1 - y^2 round to 0 once
 * y rounds to +-1 (|x| > ~17 for sigmoid, ~9 for tanh), while the true values
 * e^-|x| and 4 e^-2|x| are still representable. One exp per element buys a
 * gradient that is right to a few ulps everywhere. */
static inline float sigmoid_deriv(float x)
{
    float e = fast_expf(-fabsf(x));
    return e / ((1.0f + e) * (1.0f + e));
}

static inline float tanh_deriv(float x)
{
    float e = fast_expf(-2.0f * fabsf(x));
    return 4.0f * e / ((1.0f + e) * (1.0f + e));
}

static inline float pow_deriv(float x, float p)
{
    /* torch's convention: d/dx x^0 = 0 everywhere (even at x = 0). */
    if (p == 0.0f) return 0.0f;
    if (p == 1.0f) return 1.0f;
    if (p == 2.0f) return 2.0f * x;
    return p * powf(x, p - 1.0f);
}

static inline float pow_value(float x, float p)
{
    if (p == 2.0f) return x * x;
    if (p == 1.0f) return x;
    if (p == 0.5f) return sqrtf(x);
    return powf(x, p);
}

static inline float gelu_value(float x, int approx)
{
    if (approx) {
        float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        return 0.5f * x * (1.0f + fast_tanhf(u));
    }
    return x * fast_phi(x);
}

static inline float gelu_deriv(float x, int approx)
{
    if (approx) {
        float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
        float t = fast_tanhf(u);
        return 0.5f * (1.0f + t) +
               0.5f * x * (1.0f - t * t) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x * x);
    }
    return fast_phi(x) + x * INV_SQRT_2PI * fast_expf(-0.5f * x * x);
}

/* One table row per op: NAME, F(x) with parameters a, b, flag, and D(x, y).
 * The derivative must not produce NaN where the true one is 0 (e.g. relu at
 * -inf), since backward multiplies it by g. MATH_OPS are plain functions,
 * ACTIVATION_OPS the activations a Dense layer can fuse (dense.c). */
#define UNARY_OPS(X) MATH_OPS(X) ACTIVATION_OPS(X)

#define MATH_OPS(X)                                                                          \
    X(neg, -x, -1.0f)                                                                        \
    X(pow, pow_value(x, a), pow_deriv(x, a))                                                 \
    X(exp, fast_expf(x), y)                                                                       \
    X(log, logf(x), 1.0f / x)                                                                \
    X(sqrt, sqrtf(x), 0.5f / y)                                                              \
    X(abs, fabsf(x), (x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f)))                                \
    X(clip, (x < a ? a : (x > b ? b : x)), (x >= a && x <= b ? 1.0f : 0.0f))                \
    X(square, x * x, 2.0f * x)                                                               \
    X(sin, sinf(x), cosf(x))                                                                 \
    X(cos, cosf(x), -sinf(x))                                                                \
    X(erf, erff(x), 1.12837916709551257390f * fast_expf(-x * x)) /* 2/sqrt(pi) e^-x^2 */    \
    ROUNDING_OPS(X)

/* Piecewise-constant functions: derivative 0 everywhere (torch's and TF's choice at
 * the jumps too). round is half to even (rintf in the default rounding mode), as
 * NumPy and Keras round. sign keeps NaN and the sign of zero. */
#define ROUNDING_OPS(X)                                                                      \
    X(floor, floorf(x), 0.0f)                                                                \
    X(ceil, ceilf(x), 0.0f)                                                                  \
    X(round, rintf(x), 0.0f)                                                                 \
    X(trunc, truncf(x), 0.0f)                                                                \
    X(sign, (x > 0 ? 1.0f : (x < 0 ? -1.0f : x)), 0.0f)

#define ACTIVATION_OPS(X)                                                                    \
    X(relu, (x > 0 || x != x ? x : 0.0f), (x > 0 ? 1.0f : 0.0f))                             \
    X(relu6, (x < 0 ? 0.0f : (x > 6 ? 6.0f : x)), (x > 0 && x < 6 ? 1.0f : 0.0f))          \
    X(leaky_relu, (x > 0 ? x : a * x), (x > 0 ? 1.0f : a))                                   \
    X(elu, (x > 0 ? x : a * expm1f(x)), (x > 0 ? 1.0f : a * fast_expf(x)))                        \
    X(selu, SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1f(x)),                               \
      SELU_SCALE * (x > 0 ? 1.0f : SELU_ALPHA * fast_expf(x)))                                    \
    X(gelu, gelu_value(x, flag), gelu_deriv(x, flag))                                        \
    X(silu, x * stable_sigmoid(x),                                                           \
      stable_sigmoid(x) * (1.0f + x * (1.0f - stable_sigmoid(x))))                           \
    X(sigmoid, stable_sigmoid(x), sigmoid_deriv(x))                                          \
    X(tanh, fast_tanhf(x), tanh_deriv(x))                                                         \
    X(softplus, fast_log1p_unit(fast_expf(-fabsf(x))) + (x > 0 ? x : 0.0f), stable_sigmoid(x))             \
    X(softsign, x / (1.0f + fabsf(x)), 1.0f / ((1.0f + fabsf(x)) * (1.0f + fabsf(x))))     \
    X(hard_sigmoid, (x <= -3 ? 0.0f : (x >= 3 ? 1.0f : x / 6.0f + 0.5f)),                    \
      (x > -3 && x < 3 ? 1.0f / 6.0f : 0.0f))                                                \
    X(hard_silu, (x <= -3 ? 0.0f : (x >= 3 ? x : x * (x + 3.0f) / 6.0f)),                    \
      (x <= -3 ? 0.0f : (x >= 3 ? 1.0f : x / 3.0f + 0.5f)))

#endif
