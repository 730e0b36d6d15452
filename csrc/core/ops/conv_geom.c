/* conv_geom.c - the geometry every convolution shares (conv.h): operand
 * checks, strides / dilation / padding, output sizes of convolutions and of
 * transposed convolutions. conv.c, conv_transpose.c and depthwise.c read
 * their shapes here and nowhere else.
 *
 * Transposed output length (Keras' deconv_output_length, k' = d(k-1)+1):
 *   output_padding None: valid n*s + max(k' - s, 0), same n*s;
 *   else (n-1)*s + k' - 2*pad + output_padding, pad = k'//2 for same, 0 valid.
 * Its leading crop: 0 for valid; for same TF's split of the forward conv that
 * maps the output back onto the input, max((n-1)*s + k' - out, 0) // 2 (which
 * is what Keras 3's torch and jax backends compute too). */
#include <string.h>

#include "conv.h"

static int operands(const pn_node *n, int rank, int in_axis, const char *layout)
{
    const char *op = n->op->name;
    char s1[128], s2[128];
    if (n->n_in != 2 && n->n_in != 3)
        return pn_error(PN_EVALUE, "%s takes (input, kernel) or (input, kernel, bias), got %d inputs",
                        op, n->n_in);
    const pn_node *X = n->in[0], *K = n->in[1];
    if (X->ndim != rank)
        return pn_error(PN_EVALUE,
                        rank == 3 ? "%s: expected a 3-D input (batch, steps, channels), got shape %s"
                                  : "%s: expected a 4-D input (batch, height, width, channels), got shape %s",
                        op, pn_shape_str(s1, X->ndim, X->shape));
    if (K->ndim != rank)
        return pn_error(PN_EVALUE, "%s: expected a %d-D kernel %s, got shape %s", op, rank, layout,
                        pn_shape_str(s1, K->ndim, K->shape));
    if (K->shape[in_axis] != X->shape[rank - 1])
        return pn_error(PN_EVALUE,
                        "%s: the kernel %s expects %lld input channels but the input %s has %lld "
                        "(channels are the last axis)",
                        op, pn_shape_str(s1, K->ndim, K->shape), (long long)K->shape[in_axis],
                        pn_shape_str(s2, X->ndim, X->shape), (long long)X->shape[rank - 1]);
    for (int a = 0; a < rank - 2; a++)
        if (K->shape[a] < 1)
            return pn_error(PN_EVALUE, "%s: kernel %s has an empty spatial axis", op,
                            pn_shape_str(s1, K->ndim, K->shape));
    return PN_OK;
}

int pn_conv_geom_read(const pn_node *n, int one_d, int in_axis, const char *layout, int64_t max_pad,
                      pn_conv_geom *g)
{
    const char *op = n->op->name;
    memset(g, 0, sizeof *g);
    int rank = one_d ? 3 : 4;
    int rc = operands(n, rank, in_axis, layout);
    if (rc) return rc;
    const pn_node *X = n->in[0], *K = n->in[1];
    g->N = X->shape[0];
    g->H = one_d ? 1 : X->shape[1];
    g->W = X->shape[rank - 2];
    g->C = X->shape[rank - 1];
    g->KH = one_d ? 1 : K->shape[0];
    g->KW = K->shape[rank - 3];
    g->has_bias = n->n_in == 3;
    if (one_d) { /* conv1d's attributes are single integers */
        g->sh = g->dh = 1;
        g->sw = pn_attr_i(n, "strides");
        g->dw = pn_attr_i(n, "dilation_rate");
    } else {
        int64_t ls, ld;
        const int64_t *s = pn_attr_ints(n, "strides", &ls), *d = pn_attr_ints(n, "dilation_rate", &ld);
        if (!s || !d || ls != 2 || ld != 2)
            return pn_error(PN_EINTERNAL, "%s: strides and dilation_rate must be pairs", op);
        g->sh = s[0], g->sw = s[1], g->dh = d[0], g->dw = d[1];
    }
    /* at most PN_SIZE_MAX: positions (o*s + k*d) then stay far from wrapping */
    int64_t v[4] = {g->sh, g->sw, g->dh, g->dw};
    for (int i = 0; i < 4; i++)
        if (v[i] < 1 || v[i] > PN_SIZE_MAX)
            return pn_error(PN_EVALUE, "%s: strides and dilation rates must be >= 1 and at most %lld, "
                            "got strides (%lld, %lld), dilation (%lld, %lld)", op,
                            (long long)PN_SIZE_MAX, (long long)g->sh, (long long)g->sw,
                            (long long)g->dh, (long long)g->dw);
    g->pad = pn_attr_i(n, "padding");
    return pn_check_attr(op, "padding (0 valid, 1 same, 2 causal)", g->pad, PAD_VALID, max_pad);
}

int pn_conv_bias(const pn_node *n, int64_t len, const char *what)
{
    char s1[128];
    const pn_node *B = n->n_in == 3 ? n->in[2] : NULL;
    if (B && (B->ndim != 1 || B->shape[0] != len))
        return pn_error(PN_EVALUE, "%s: bias must have shape (%lld,) (%s), got %s", n->op->name,
                        (long long)len, what, pn_shape_str(s1, B->ndim, B->shape));
    return PN_OK;
}

int64_t pn_conv_chunk_rows(int64_t lines, int64_t line, int64_t K)
{
    int64_t floats = line * (K ? K : 1);
    int64_t n = floats ? PN_CONV_COL_BUDGET / floats : 1;
    if (n < 1) n = 1;
    if (n > lines) n = lines;
    return n * line;
}

/* k' = d(k-1) + 1, checked: a dilation near 2^61 must not wrap. */
static int extent(const char *op, int64_t k, int64_t d, int64_t *ext)
{
    int rc = pn_mul_size(op, "the dilated kernel extent", d, k - 1, ext);
    if (!rc) *ext += 1;
    return rc;
}

/* One axis of a convolution: length n, k taps, stride s, dilation d. */
static int conv_axis(const char *op, const char *axis, int64_t n, int64_t k, int64_t s, int64_t d,
                     int64_t mode, int64_t *out, int64_t *before)
{
    int64_t ext;
    int rc = extent(op, k, d, &ext);
    if (rc) return rc;
    if (mode == PAD_VALID) {
        if (n < ext)
            return pn_error(PN_EVALUE,
                            "%s: the kernel spans %lld positions along the %s (kernel size %lld, "
                            "dilation %lld) but the input %s is only %lld with padding='valid'; "
                            "use a smaller kernel or dilation, padding='same', or a larger input",
                            op, (long long)ext, axis, (long long)k, (long long)d, axis,
                            (long long)n);
        *out = (n - ext) / s + 1;
        *before = 0;
        return PN_OK;
    }
    *out = n == 0 ? 0 : (n - 1) / s + 1;
    if (mode == PAD_CAUSAL) {
        *before = ext - 1;
    } else {
        int64_t total = (*out - 1) * s - n + ext; /* (out - 1) * s <= n - 1: no wrap */
        *before = total > 0 ? total / 2 : 0;
    }
    return PN_OK;
}

int pn_conv_out(const char *op, int one_d, pn_conv_geom *g)
{
    g->OH = 1;
    g->pt = 0;
    int rc = one_d ? PN_OK : conv_axis(op, "height", g->H, g->KH, g->sh, g->dh, g->pad, &g->OH, &g->pt);
    if (!rc) rc = conv_axis(op, one_d ? "steps" : "width", g->W, g->KW, g->sw, g->dw, g->pad, &g->OW, &g->pl);
    return rc;
}

/* One axis of a transposed convolution (formulas at the top). */
static int transpose_axis(const char *op, const char *axis, int64_t n, int64_t k, int64_t s,
                          int64_t d, int64_t mode, int64_t opad, int64_t *out, int64_t *before)
{
    int64_t ext, len;
    int rc = extent(op, k, d, &ext);
    if (rc) return rc;
    rc = pn_check_attr(op, "output_padding (-1 for None)", opad, -1, PN_SIZE_MAX);
    if (rc) return rc;
    if (opad >= s)
        return pn_error(PN_EVALUE, "%s: output_padding along the %s must be smaller than the stride "
                        "(%lld), got %lld", op, axis, (long long)s, (long long)opad);
    if (opad < 0) {
        rc = pn_mul_size(op, "the output length", n, s, &len);
        if (!rc && mode == PAD_VALID && ext > s) rc = pn_add_size(op, "the output length", len, ext - s, &len);
    } else {
        int64_t pad = mode == PAD_SAME ? ext / 2 : 0;
        rc = pn_mul_size(op, "the output length", n > 0 ? n - 1 : 0, s, &len);
        if (!rc) rc = pn_add_size(op, "the output length", len, ext - 2 * pad + opad, &len);
        if (n == 0) len = 0;
    }
    if (rc) return rc;
    *out = len;
    int64_t total = (n > 0 ? (n - 1) * s : 0) + ext - len;
    *before = mode == PAD_VALID || total < 0 ? 0 : total / 2;
    return PN_OK;
}

int pn_conv_transpose_out(const char *op, int one_d, int64_t oph, int64_t opw, pn_conv_geom *g)
{
    g->OH = 1;
    g->pt = 0;
    int rc = one_d ? PN_OK
                   : transpose_axis(op, "height", g->H, g->KH, g->sh, g->dh, g->pad, oph, &g->OH, &g->pt);
    if (!rc)
        rc = transpose_axis(op, one_d ? "steps" : "width", g->W, g->KW, g->sw, g->dw, g->pad, opw,
                            &g->OW, &g->pl);
    return rc;
}
