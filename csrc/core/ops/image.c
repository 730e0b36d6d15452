/* image.c - image ops of Keras' preprocessing layers, channels-last (N, H, W, C):
 * resize (Resizing), random_affine (RandomFlip, RandomRotation, RandomZoom,
 * RandomTranslation) and random_contrast (RandomContrast).
 *
 * resize(x): size (OH, OW); interpolation 'bilinear' (half-pixel centres,
 * source clamped at 0: torch's interpolate with align_corners=False, what Keras
 * 3 runs) or 'nearest' (torch's 'nearest-exact': floor((d + 0.5) * in / out)).
 * Backward scatters dy with the same weights.
 *
 * random_affine(x): per sample, draws the layer's parameters from the engine's
 * generator (a fresh key per call: pynn.set_seed makes runs repeat), makes
 * Keras' 8-number projective transform [a0 a1 a2 b0 b1 b2 c0 c1] (output pixel
 * (x, y) reads input (a0 x + a1 y + a2, b0 x + b1 y + b2) / (c0 x + c1 y + 1))
 * exactly as Keras 3's layers build it, and samples like Keras'
 * affine_transform / map_coordinates: bilinear (floor and floor + 1) or nearest
 * (round half to even) taps, each tap's index fixed by fill_mode (reflect,
 * wrap, constant, nearest, mirror); with 'constant' a tap outside the image
 * reads fill_value. The transforms are kept for backward, which scatters dy
 * into dx through the same taps.
 *   kind flip_horizontal / flip_vertical / flip_both: flip with probability 1/2
 *     (one draw per sample for both axes, as Keras);
 *   rotation: angle uniform in [lower, upper] turns (x 360 degrees) about the
 *     centre ((W-1)/2, (H-1)/2);
 *   zoom: zoom 1 + uniform[lower, upper) on the height, 1 + uniform[width_lower,
 *     width_upper) on the width (the height's when has_width is false), about
 *     the centre;
 *   translation: shifts uniform[lower, upper) x H and [width_lower,
 *     width_upper) x W;
 *   shear: Keras' RandomShear, about the origin: x shear uniform[lower, upper),
 *     y shear uniform[width_lower, width_upper), both negated when a third draw
 *     exceeds 1/2 (Keras' invert);
 *   perspective: Keras' RandomPerspective: applied when uniform[0, 1) <
 *     uniform[lower, upper); each corner (0, 0), (W-1, 0), (0, H-1), (W-1, H-1)
 *     moves by itself times uniform[width_lower, width_upper) per coordinate; the
 *     transform is the homography taking the moved corners (output) to the corners
 *     (input), solved as Keras' compute_homography_matrix (an 8 x 8 system, here by
 *     Gaussian elimination in double).
 *
 * random_contrast(x): per sample a factor uniform in [lower, upper]; per image
 * and channel y = clip((x - mean) * factor + mean, value_min, value_max), the
 * mean over height and width, as Keras' RandomContrast. */
#include <math.h>
#include <string.h>

#include "pn.h"

#define PN_PI 3.14159265358979323846 /* M_PI is POSIX, not C11 */

enum { INTERP_BILINEAR, INTERP_NEAREST };
enum { FILL_REFLECT, FILL_WRAP, FILL_CONSTANT, FILL_NEAREST, FILL_MIRROR };
enum { K_FLIP_H, K_FLIP_V, K_FLIP_HV, K_ROTATION, K_ZOOM, K_TRANSLATION, K_SHEAR, K_PERSPECTIVE };

static int check_image(const pn_node *n, const char *op)
{
    char s[128];
    const pn_node *x = n->in[0];
    if (x->ndim != 4)
        return pn_error(PN_EVALUE, "%s: expected images of shape (batch, height, width, channels), "
                        "got shape %s", op, pn_shape_str(s, x->ndim, x->shape));
    return PN_OK;
}

/* ------------------------------------------------------------------ resize */

/* One axis: for output index d, the taps i0, i1 and the weight of i1. */
static void resize_taps(int64_t d, int64_t in, int64_t out, int mode, int64_t *i0, int64_t *i1,
                        float *w1)
{
    double scale = (double)in / (double)out;
    if (mode == INTERP_NEAREST) {
        int64_t s = (int64_t)floor((d + 0.5) * scale);
        *i0 = *i1 = s < in - 1 ? s : in - 1;
        *w1 = 0.0f;
        return;
    }
    double src = (d + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    int64_t a = (int64_t)src;
    if (a > in - 1) a = in - 1;
    *i0 = a;
    *i1 = a < in - 1 ? a + 1 : a;
    *w1 = (float)(src - (double)a);
}

static int resize_infer(pn_node *n)
{
    int rc = check_image(n, "resize");
    if (rc) return rc;
    int64_t oh = n->iattr[0], ow = n->iattr[1];
    rc = pn_check_attr("resize", "size (height)", oh, 1, PN_SIZE_MAX);
    if (!rc) rc = pn_check_attr("resize", "size (width)", ow, 1, PN_SIZE_MAX);
    if (rc) return rc;
    const pn_node *x = n->in[0];
    if (x->shape[1] < 1 || x->shape[2] < 1)
        return pn_error(PN_EVALUE, "resize: the images are empty (height %lld, width %lld)",
                        (long long)x->shape[1], (long long)x->shape[2]);
    int64_t shape[4] = {x->shape[0], oh, ow, x->shape[3]}, t;
    rc = pn_mul_size("resize", "the output size", x->shape[0] * x->shape[3], oh, &t);
    if (!rc) rc = pn_mul_size("resize", "the output size", t, ow, &t);
    return rc ? rc : pn_node_set_shape(n, 4, shape);
}

typedef struct {
    const pn_node *n;
    const float *x, *gy;
    float *y, *gx;
} resize_ctx;

/* Output lines [b, e) of N*OH (forward), or images [b, e) (backward: each image
 * scatters into its own part of dx). */
static void resize_lines(void *vctx, int64_t b, int64_t e)
{
    const resize_ctx *c = vctx;
    const pn_node *X = c->n->in[0];
    int64_t H = X->shape[1], W = X->shape[2], C = X->shape[3];
    int64_t OH = c->n->iattr[0], OW = c->n->iattr[1];
    int mode = (int)c->n->iattr[2];
    for (int64_t line = b; line < e; line++) {
        int64_t img = line / OH, oy = line % OH, y0, y1;
        float wy;
        resize_taps(oy, H, OH, mode, &y0, &y1, &wy);
        for (int64_t ox = 0; ox < OW; ox++) {
            int64_t x0, x1;
            float wx;
            resize_taps(ox, W, OW, mode, &x0, &x1, &wx);
            const float *p00 = c->x + ((img * H + y0) * W + x0) * C, *p01 = c->x + ((img * H + y0) * W + x1) * C;
            const float *p10 = c->x + ((img * H + y1) * W + x0) * C, *p11 = c->x + ((img * H + y1) * W + x1) * C;
            float *out = c->y + ((img * OH + oy) * OW + ox) * C;
            for (int64_t ch = 0; ch < C; ch++) {
                float top = p00[ch] * (1.0f - wx) + p01[ch] * wx;
                float bot = p10[ch] * (1.0f - wx) + p11[ch] * wx;
                out[ch] = top * (1.0f - wy) + bot * wy;
            }
        }
    }
}

static void resize_back_images(void *vctx, int64_t b, int64_t e)
{
    const resize_ctx *c = vctx;
    const pn_node *X = c->n->in[0];
    int64_t H = X->shape[1], W = X->shape[2], C = X->shape[3];
    int64_t OH = c->n->iattr[0], OW = c->n->iattr[1];
    int mode = (int)c->n->iattr[2];
    for (int64_t img = b; img < e; img++)
        for (int64_t oy = 0; oy < OH; oy++) {
            int64_t y0, y1;
            float wy;
            resize_taps(oy, H, OH, mode, &y0, &y1, &wy);
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t x0, x1;
                float wx;
                resize_taps(ox, W, OW, mode, &x0, &x1, &wx);
                const float *g = c->gy + ((img * OH + oy) * OW + ox) * C;
                float *d00 = c->gx + ((img * H + y0) * W + x0) * C, *d01 = c->gx + ((img * H + y0) * W + x1) * C;
                float *d10 = c->gx + ((img * H + y1) * W + x0) * C, *d11 = c->gx + ((img * H + y1) * W + x1) * C;
                for (int64_t ch = 0; ch < C; ch++) {
                    d00[ch] += g[ch] * (1.0f - wy) * (1.0f - wx);
                    d01[ch] += g[ch] * (1.0f - wy) * wx;
                    d10[ch] += g[ch] * wy * (1.0f - wx);
                    d11[ch] += g[ch] * wy * wx;
                }
            }
        }
}

static int resize_forward(pn_node *n)
{
    resize_ctx c = {n, n->in[0]->data, NULL, n->data, NULL};
    pn_parallel_for(n->shape[0] * n->shape[1], 1, resize_lines, &c);
    return PN_OK;
}

static int resize_backward(pn_node *n)
{
    if (!n->in[0]->requires_grad) return PN_OK;
    resize_ctx c = {n, NULL, n->grad, NULL, n->in[0]->grad};
    pn_parallel_for(n->shape[0], 1, resize_back_images, &c);
    return PN_OK;
}

/* ------------------------------------------------------------------ random_affine */

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

static int64_t floor_div(int64_t a, int64_t m)
{
    int64_t q = a / m;
    return (a % m != 0 && ((a < 0) != (m < 0))) ? q - 1 : q;
}

static int64_t mirror_index(int64_t i, int64_t size)
{
    int64_t s = size - 1;
    if (s == 0) return 0;
    int64_t r = floor_mod(i + s, 2 * s) - s;
    return r < 0 ? -r : r;
}

/* Keras' (jax's) index fixers; *valid is 0 for a 'constant' tap outside. */
static int64_t fix_index(int64_t i, int64_t size, int mode, int *valid)
{
    *valid = 1;
    switch (mode) {
    case FILL_CONSTANT:
        *valid = i >= 0 && i < size;
        return i;
    case FILL_NEAREST:
        return i < 0 ? 0 : i >= size ? size - 1 : i;
    case FILL_WRAP:
        return floor_mod(i, size);
    case FILL_MIRROR:
        return mirror_index(i, size);
    default: /* reflect */
        return floor_div(mirror_index(2 * i + 1, 2 * size + 1) - 1, 2);
    }
}

static int affine_infer(pn_node *n)
{
    int rc = check_image(n, "random_affine");
    if (rc) return rc;
    const pn_node *x = n->in[0];
    if (x->shape[1] < 1 || x->shape[2] < 1)
        return pn_error(PN_EVALUE, "random_affine: the images are empty (height %lld, width %lld)",
                        (long long)x->shape[1], (long long)x->shape[2]);
    if (!(n->fattr[0] <= n->fattr[1]) || !(n->fattr[2] <= n->fattr[3]))
        return pn_error(PN_EVALUE, "random_affine: ranges need lower <= upper, got [%g, %g] and "
                        "[%g, %g]", n->fattr[0], n->fattr[1], n->fattr[2], n->fattr[3]);
    return pn_node_set_shape(n, 4, x->shape);
}

/* Solves the 8 x 8 system m h = r (m row-major, overwritten) by Gaussian elimination with
 * partial pivoting; a singular system (corners that collapse) leaves h the identity. */
static void solve8(double m[8][8], double r[8], double h[8])
{
    for (int c = 0; c < 8; c++) {
        int p = c;
        for (int i = c + 1; i < 8; i++)
            if (fabs(m[i][c]) > fabs(m[p][c])) p = i;
        if (fabs(m[p][c]) < 1e-12) {
            static const double eye[8] = {1, 0, 0, 0, 1, 0, 0, 0};
            memcpy(h, eye, sizeof eye);
            return;
        }
        if (p != c) {
            double tmp[8], tr = r[p];
            memcpy(tmp, m[p], sizeof tmp);
            memcpy(m[p], m[c], sizeof tmp);
            memcpy(m[c], tmp, sizeof tmp);
            r[p] = r[c];
            r[c] = tr;
        }
        for (int i = c + 1; i < 8; i++) {
            double f = m[i][c] / m[c][c];
            for (int j = c; j < 8; j++) m[i][j] -= f * m[c][j];
            r[i] -= f * r[c];
        }
    }
    for (int c = 7; c >= 0; c--) {
        double acc = r[c];
        for (int j = c + 1; j < 8; j++) acc -= m[c][j] * h[j];
        h[c] = acc / m[c][c];
    }
}

/* Keras' RandomPerspective transform of sample i (draws at counters 3N + 10 i ..). */
static void perspective_transform(const pn_node *n, double H, double W, uint64_t key, int64_t i,
                                  int64_t N, float *t)
{
    uint64_t base = (uint64_t)(3 * N + 10 * i);
    double lo = n->fattr[0], hi = n->fattr[1], wlo = n->fattr[2], whi = n->fattr[3];
    double prob = lo + (hi - lo) * pn_rng_uniform01(key, base);
    double h[8] = {1, 0, 0, 0, 1, 0, 0, 0};
    if (pn_rng_uniform01(key, base + 1) < prob) {
        const double sx[4] = {0, W - 1, 0, W - 1}, sy[4] = {0, 0, H - 1, H - 1};
        double m[8][8], r[8];
        for (int k = 0; k < 4; k++) {
            double ex = sx[k] + sx[k] * (wlo + (whi - wlo) * pn_rng_uniform01(key, base + 2 + 2 * k));
            double ey = sy[k] + sy[k] * (wlo + (whi - wlo) * pn_rng_uniform01(key, base + 3 + 2 * k));
            double row0[8] = {ex, ey, 1, 0, 0, 0, -sx[k] * ex, -sx[k] * ey};
            double row1[8] = {0, 0, 0, ex, ey, 1, -sy[k] * ex, -sy[k] * ey};
            memcpy(m[2 * k], row0, sizeof row0);
            memcpy(m[2 * k + 1], row1, sizeof row1);
            r[2 * k] = sx[k];
            r[2 * k + 1] = sy[k];
        }
        solve8(m, r, h);
    }
    for (int k = 0; k < 8; k++) t[k] = (float)h[k];
}

/* The sample's transform from the draws u0, u1, u2 in [0, 1). */
static void make_transform(const pn_node *n, double H, double W, double u0, double u1, double u2,
                           float *t)
{
    int kind = (int)n->iattr[0];
    double lo = n->fattr[0], hi = n->fattr[1], wlo = n->fattr[2], whi = n->fattr[3];
    double a0 = 1, a1 = 0, a2 = 0, b0 = 0, b1 = 1, b2 = 0;
    if (kind <= K_FLIP_HV) {
        int flip = u0 <= 0.5; /* Keras: uniform <= 0.5 */
        if (flip && kind != K_FLIP_V) {
            a0 = -1;
            a2 = W - 1;
        }
        if (flip && kind != K_FLIP_H) {
            b1 = -1;
            b2 = H - 1;
        }
    } else if (kind == K_ROTATION) {
        double angle = (lo + (hi - lo) * u0) * 360.0 * PN_PI / 180.0;
        double cx = 0.5 * (W - 1), cy = 0.5 * (H - 1), c = cos(angle), s = sin(angle);
        a0 = c;
        a1 = -s;
        a2 = cx - cx * a0 - cy * a1;
        b0 = s;
        b1 = c;
        b2 = cy - cx * b0 - cy * b1;
    } else if (kind == K_ZOOM) {
        double zy = 1.0 + lo + (hi - lo) * u0;
        double zx = n->iattr[3] ? 1.0 + wlo + (whi - wlo) * u1 : zy;
        a0 = zx;
        a2 = (W - 1) / 2.0 * (1.0 - zx);
        b1 = zy;
        b2 = (H - 1) / 2.0 * (1.0 - zy);
    } else if (kind == K_TRANSLATION) {
        double dy = (lo + (hi - lo) * u0) * H, dx = (wlo + (whi - wlo) * u1) * W;
        a2 = -dx;
        b2 = -dy;
    } else { /* shear: output (x, y) reads (x + sx y, sy x + y) */
        double invert = u2 > 0.5 ? -1.0 : 1.0;
        a1 = (lo + (hi - lo) * u0) * invert;
        b0 = (wlo + (whi - wlo) * u1) * invert;
    }
    float m[8] = {(float)a0, (float)a1, (float)a2, (float)b0, (float)b1, (float)b2, 0.0f, 0.0f};
    memcpy(t, m, sizeof m);
}

typedef struct {
    const pn_node *n;
    const float *tr, *x, *gy;
    float *y, *gx;
} affine_ctx;

/* The taps of output pixel (ox, oy) under transform t: up to 4 (index, weight,
 * valid); returns their number. */
static int taps(const pn_node *n, const float *t, int64_t H, int64_t W, int64_t oy, int64_t ox,
                int64_t *idx, float *w, int *valid)
{
    float k = t[6] * (float)ox + t[7] * (float)oy + 1.0f;
    float cx = (t[0] * (float)ox + t[1] * (float)oy + t[2]) / k;
    float cy = (t[3] * (float)ox + t[4] * (float)oy + t[5]) / k;
    /* a perspective's k can reach 0: keep the coordinates (and their int64 casts) finite;
     * NaN goes far outside too */
    cx = cx > -1e9f ? (cx < 1e9f ? cx : 1e9f) : -1e9f;
    cy = cy > -1e9f ? (cy < 1e9f ? cy : 1e9f) : -1e9f;
    int interp = (int)n->iattr[1], fill = (int)n->iattr[2];
    int64_t ys[2], xs[2];
    float wy[2], wx[2];
    int ny, nx;
    if (interp == INTERP_NEAREST) {
        ys[0] = (int64_t)nearbyintf(cy);
        xs[0] = (int64_t)nearbyintf(cx);
        wy[0] = wx[0] = 1.0f;
        ny = nx = 1;
    } else {
        float fy = floorf(cy), fx = floorf(cx);
        ys[0] = (int64_t)fy;
        ys[1] = ys[0] + 1;
        wy[1] = cy - fy;
        wy[0] = 1.0f - wy[1];
        xs[0] = (int64_t)fx;
        xs[1] = xs[0] + 1;
        wx[1] = cx - fx;
        wx[0] = 1.0f - wx[1];
        ny = nx = 2;
    }
    int m = 0;
    for (int a = 0; a < ny; a++)
        for (int b = 0; b < nx; b++) {
            int vy, vx;
            int64_t iy = fix_index(ys[a], H, fill, &vy), ix = fix_index(xs[b], W, fill, &vx);
            valid[m] = vy && vx;
            idx[m] = valid[m] ? iy * W + ix : 0;
            w[m] = wy[a] * wx[b];
            m++;
        }
    return m;
}

static void affine_lines(void *vctx, int64_t b, int64_t e)
{
    const affine_ctx *c = vctx;
    const pn_node *X = c->n->in[0];
    int64_t H = X->shape[1], W = X->shape[2], C = X->shape[3];
    float fill = (float)c->n->fattr[4];
    for (int64_t line = b; line < e; line++) {
        int64_t img = line / H, oy = line % H;
        const float *t = c->tr + img * 8, *xi = c->x + img * H * W * C;
        for (int64_t ox = 0; ox < W; ox++) {
            int64_t idx[4];
            float w[4];
            int valid[4];
            int m = taps(c->n, t, H, W, oy, ox, idx, w, valid);
            float *out = c->y + ((img * H + oy) * W + ox) * C;
            for (int64_t ch = 0; ch < C; ch++) out[ch] = 0.0f;
            for (int k = 0; k < m; k++)
                for (int64_t ch = 0; ch < C; ch++)
                    out[ch] += w[k] * (valid[k] ? xi[idx[k] * C + ch] : fill);
        }
    }
}

static void affine_back_images(void *vctx, int64_t b, int64_t e)
{
    const affine_ctx *c = vctx;
    const pn_node *X = c->n->in[0];
    int64_t H = X->shape[1], W = X->shape[2], C = X->shape[3];
    for (int64_t img = b; img < e; img++) {
        const float *t = c->tr + img * 8;
        float *gx = c->gx + img * H * W * C;
        for (int64_t oy = 0; oy < H; oy++)
            for (int64_t ox = 0; ox < W; ox++) {
                int64_t idx[4];
                float w[4];
                int valid[4];
                int m = taps(c->n, t, H, W, oy, ox, idx, w, valid);
                const float *g = c->gy + ((img * H + oy) * W + ox) * C;
                for (int k = 0; k < m; k++)
                    if (valid[k])
                        for (int64_t ch = 0; ch < C; ch++) gx[idx[k] * C + ch] += w[k] * g[ch];
            }
    }
}

static int affine_forward(pn_node *n)
{
    const pn_node *X = n->in[0];
    int64_t N = X->shape[0];
    float *tr = pn_node_scratch(n, sizeof(float) * (size_t)(8 * (N ? N : 1)));
    if (!tr) return PN_ENOMEM;
    uint64_t key = pn_rng_key();
    /* counters 0 .. 2N-1 as before the third draw was added (flips, rotations, zooms
     * and translations repeat their seeded runs); 2N .. 3N-1 for the third */
    for (int64_t i = 0; i < N; i++) {
        if (n->iattr[0] == K_PERSPECTIVE) {
            perspective_transform(n, (double)X->shape[1], (double)X->shape[2], key, i, N,
                                  tr + 8 * i);
            continue;
        }
        make_transform(n, (double)X->shape[1], (double)X->shape[2],
                       pn_rng_uniform01(key, (uint64_t)(2 * i)),
                       pn_rng_uniform01(key, (uint64_t)(2 * i + 1)),
                       pn_rng_uniform01(key, (uint64_t)(2 * N + i)), tr + 8 * i);
    }
    affine_ctx c = {n, tr, X->data, NULL, n->data, NULL};
    pn_parallel_for(N * X->shape[1], 1, affine_lines, &c);
    return PN_OK;
}

static int affine_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad) return PN_OK;
    if (!n->saved || n->saved_bytes < sizeof(float) * (size_t)(8 * X->shape[0]))
        return pn_error(PN_EINTERNAL, "random_affine: backward without its forward");
    affine_ctx c = {n, n->saved, NULL, n->grad, NULL, X->grad};
    pn_parallel_for(X->shape[0], 1, affine_back_images, &c);
    return PN_OK;
}

/* ------------------------------------------------------------------ random_contrast */

static int contrast_infer(pn_node *n)
{
    int rc = check_image(n, "random_contrast");
    if (rc) return rc;
    if (!(n->fattr[0] <= n->fattr[1]) || !(n->fattr[2] <= n->fattr[3]))
        return pn_error(PN_EVALUE, "random_contrast: needs lower <= upper and value_min <= "
                        "value_max, got [%g, %g] and [%g, %g]", n->fattr[0], n->fattr[1],
                        n->fattr[2], n->fattr[3]);
    return pn_node_set_shape(n, 4, n->in[0]->shape);
}

/* scratch: per sample its factor, then per (sample, channel) the mean */
static int contrast_forward(pn_node *n)
{
    const pn_node *X = n->in[0];
    int64_t N = X->shape[0], HW = X->shape[1] * X->shape[2], C = X->shape[3];
    float *s = pn_node_scratch(n, sizeof(float) * (size_t)(N + N * C + 1));
    if (!s) return PN_ENOMEM;
    float *mean = s + N;
    uint64_t key = pn_rng_key();
    double lo = n->fattr[0], hi = n->fattr[1];
    float vmin = (float)n->fattr[2], vmax = (float)n->fattr[3];
    for (int64_t i = 0; i < N; i++) {
        s[i] = (float)(lo + (hi - lo) * pn_rng_uniform01(key, (uint64_t)i));
        const float *x = X->data + i * HW * C;
        float *y = n->data + i * HW * C;
        for (int64_t ch = 0; ch < C; ch++) {
            double acc = 0;
            for (int64_t p = 0; p < HW; p++) acc += x[p * C + ch];
            mean[i * C + ch] = HW ? (float)(acc / (double)HW) : 0.0f;
        }
        for (int64_t p = 0; p < HW; p++)
            for (int64_t ch = 0; ch < C; ch++) {
                float m = mean[i * C + ch], v = (x[p * C + ch] - m) * s[i] + m;
                y[p * C + ch] = v < vmin ? vmin : v > vmax ? vmax : v;
            }
    }
    return PN_OK;
}

static int contrast_backward(pn_node *n)
{
    pn_node *X = n->in[0];
    if (!X->requires_grad) return PN_OK;
    int64_t N = X->shape[0], HW = X->shape[1] * X->shape[2], C = X->shape[3];
    if (!n->saved) return pn_error(PN_EINTERNAL, "random_contrast: backward without its forward");
    const float *s = n->saved;
    float vmin = (float)n->fattr[2], vmax = (float)n->fattr[3];
    for (int64_t i = 0; i < N; i++) {
        const float *y = n->data + i * HW * C, *g = n->grad + i * HW * C;
        float *gx = X->grad + i * HW * C;
        for (int64_t ch = 0; ch < C; ch++) {
            /* y = (x - m) f + m where not clipped: dx_p += f g_p + (1 - f) / HW * sum g */
            double acc = 0;
            for (int64_t p = 0; p < HW; p++) {
                float v = y[p * C + ch];
                if (v > vmin && v < vmax) acc += g[p * C + ch];
            }
            float share = (float)((1.0 - s[i]) * acc / (double)HW);
            for (int64_t p = 0; p < HW; p++) {
                float v = y[p * C + ch];
                gx[p * C + ch] += (v > vmin && v < vmax ? s[i] * g[p * C + ch] : 0.0f) + share;
            }
        }
    }
    return PN_OK;
}

/* ------------------------------------------------------------------ descriptors */
static const char *const image_inputs[] = {"images", NULL};
static const char *const interps[] = {"bilinear", "nearest", NULL};
static const char *const fills[] = {"reflect", "wrap", "constant", "nearest", "mirror", NULL};
static const char *const kinds[] = {"flip_horizontal", "flip_vertical", "flip_both", "rotation",
                                    "zoom", "translation", "shear", "perspective", NULL};
static const pn_attr resize_attrs[] = {
    {"size", PN_ATTR_INTS, 0, 1, 2},
    {"interpolation", PN_ATTR_ENUM, 2, INTERP_BILINEAR, 0, interps},
    {NULL}};
static const pn_attr affine_attrs[] = {
    {"kind", PN_ATTR_ENUM, 0, K_FLIP_H, 0, kinds},
    {"interpolation", PN_ATTR_ENUM, 1, INTERP_BILINEAR, 0, interps},
    {"fill_mode", PN_ATTR_ENUM, 2, FILL_REFLECT, 0, fills},
    {"has_width", PN_ATTR_BOOL, 3, 0},
    {"lower", PN_ATTR_FLOAT, 0, 0.0},
    {"upper", PN_ATTR_FLOAT, 1, 0.0},
    {"width_lower", PN_ATTR_FLOAT, 2, 0.0},
    {"width_upper", PN_ATTR_FLOAT, 3, 0.0},
    {"fill_value", PN_ATTR_FLOAT, 4, 0.0},
    {NULL}};
static const pn_attr contrast_attrs[] = {
    {"lower", PN_ATTR_FLOAT, 0, 1.0},
    {"upper", PN_ATTR_FLOAT, 1, 1.0},
    {"value_min", PN_ATTR_FLOAT, 2, 0.0},
    {"value_max", PN_ATTR_FLOAT, 3, 255.0},
    {NULL}};
static const pn_op op_resize = {"resize", 1, resize_infer, resize_forward, resize_backward, NULL,
                                image_inputs, resize_attrs, PN_TRAIT_ROWWISE | PN_TRAIT_LINEAR, NULL};
static const pn_op op_random_affine = {"random_affine", 1, affine_infer, affine_forward,
                                       affine_backward, NULL, image_inputs, affine_attrs,
                                       PN_TRAIT_ROWWISE | PN_TRAIT_STOCHASTIC, NULL};
static const pn_op op_random_contrast = {"random_contrast", 1, contrast_infer, contrast_forward,
                                         contrast_backward, NULL, image_inputs, contrast_attrs,
                                         PN_TRAIT_ROWWISE | PN_TRAIT_STOCHASTIC, NULL};

extern const pn_op pn_op_equalize; /* equalize.c */
const pn_op *const pn_ops_image[] = {&op_resize, &op_random_affine, &op_random_contrast,
                                     &pn_op_equalize, NULL};
