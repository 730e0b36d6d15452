/* equalize.c - histogram equalization of Keras 3's Equalization layer
 * (keras/src/layers/preprocessing/image_preprocessing/equalization.py), channels-last
 * images (N, H, W, C).
 *
 * As Keras, per channel over the WHOLE batch (Keras equalizes images[..., c], all
 * images at once): values are mapped from [value_min, value_max] to [0, 255];
 * a histogram of `bins` bins counts trunc(v * (bins - 1) / 255) clipped to the
 * bins; with at most one non-empty bin the channel is kept, otherwise each value
 * becomes lut[trunc(clip(v / 255 * (bins - 1), 0, bins - 1))] with
 * lut = clip(round((cdf - cdf_min) * 255 / (cdf_last - cdf_min)), 0, 255) (cdf_min
 * the first non-zero cdf; a zero denominator counts as 1); then mapped back to
 * [value_min, value_max]. Every step is float32 in Keras' order, so the integer
 * bins (truncations) fall where Keras' do.
 *
 * No backward: the output is a table lookup of truncated values, which carries no
 * gradient (nor does Keras'). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "pn.h"

static int equalize_infer(pn_node *n)
{
    char s[128];
    const pn_node *x = n->in[0];
    if (x->ndim != 4)
        return pn_error(PN_EVALUE, "equalize: expected images of shape (batch, height, width, "
                        "channels), got shape %s", pn_shape_str(s, x->ndim, x->shape));
    if (n->iattr[0] < 1 || n->iattr[0] > 65536)
        return pn_error(PN_EVALUE, "equalize: bins must be in [1, 65536], got %lld",
                        (long long)n->iattr[0]);
    if (!(n->fattr[0] < n->fattr[1]))
        return pn_error(PN_EVALUE, "equalize: needs value_min < value_max, got [%g, %g]",
                        n->fattr[0], n->fattr[1]);
    return pn_node_set_shape(n, 4, x->shape);
}

static int64_t clamp_bin(float v, int64_t bins)
{
    if (!(v > 0.0f)) return 0; /* negative (and NaN) values: the first bin, as the clip */
    if (v >= (float)(bins - 1)) return bins - 1;
    return (int64_t)v; /* truncation toward zero, as Keras' cast to int32 */
}

/* scratch: the histogram / cdf (int64) then the lookup table (float) */
static int equalize_forward(pn_node *n)
{
    const pn_node *X = n->in[0];
    int64_t bins = n->iattr[0], C = X->shape[3];
    int64_t P = X->shape[0] * X->shape[1] * X->shape[2]; /* pixels per channel, batch included */
    double lo = n->fattr[0], hi = n->fattr[1];
    float to255 = (float)(255.0 / (hi - lo)), off255 = (float)(0.0 - lo * (255.0 / (hi - lo)));
    float back = (float)((hi - lo) / 255.0), off_back = (float)lo;
    int64_t *cdf = pn_node_scratch(n, (sizeof(int64_t) + sizeof(float)) * (size_t)bins);
    if (!cdf) return PN_ENOMEM;
    float *lut = (float *)(cdf + bins);
    const float fb = (float)(bins - 1);
    for (int64_t ch = 0; ch < C; ch++) {
        memset(cdf, 0, sizeof(int64_t) * (size_t)bins);
        for (int64_t p = 0; p < P; p++) {
            float v = X->data[p * C + ch] * to255 + off255;
            cdf[clamp_bin(v * fb / 255.0f, bins)]++;
        }
        int64_t nonzero = 0, cdf_min = -1;
        for (int64_t b = 0; b < bins; b++) {
            nonzero += cdf[b] != 0;
            if (b) cdf[b] += cdf[b - 1];
            if (cdf_min < 0 && cdf[b] != 0) cdf_min = cdf[b];
        }
        int64_t denom = cdf[bins - 1] - cdf_min;
        if (denom == 0) denom = 1;
        for (int64_t b = 0; b < bins; b++) {
            float q = (float)((cdf[b] - cdf_min) * 255) / (float)denom;
            q = nearbyintf(q); /* round half to even, as Keras' round */
            lut[b] = q < 0.0f ? 0.0f : q > 255.0f ? 255.0f : q;
        }
        for (int64_t p = 0; p < P; p++) {
            float v = X->data[p * C + ch] * to255 + off255;
            if (nonzero > 1) v = lut[clamp_bin(v / 255.0f * fb, bins)];
            n->data[p * C + ch] = v * back + off_back;
        }
    }
    return PN_OK;
}

static const char *const equalize_inputs[] = {"images", NULL};
static const pn_attr equalize_attrs[] = {
    {"bins", PN_ATTR_INT, 0, 256},
    {"value_min", PN_ATTR_FLOAT, 0, 0.0},
    {"value_max", PN_ATTR_FLOAT, 1, 255.0},
    {NULL}};
/* not ROWWISE: every output depends on the whole batch's histogram */
const pn_op pn_op_equalize = {"equalize", 1, equalize_infer, equalize_forward, NULL, NULL,
                              equalize_inputs, equalize_attrs, 0, NULL};
