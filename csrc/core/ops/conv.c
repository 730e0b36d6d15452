/* conv.c - channels-last convolutions on pn_sgemm: conv2d (NHWC) and conv1d (NWC).
 *
 * conv2d(x, kernel[, bias]): x (N, H, W, C), kernel (KH, KW, C, F) in Keras'
 * layout, bias (F,). Attributes: strides, dilation_rate, padding, activation,
 * approximate, alpha (the descriptors at the end give their slots).
 * conv1d(x, kernel[, bias]): x (N, W, C), kernel (KW, C, F).
 * The same attributes with one stride and one dilation. conv1d runs as conv2d
 * with H = KH = 1.
 * padding: 0 'valid', 1 'same' (TF/Keras split: the smaller half before),
 * 2 'causal' (conv1d only: everything before).
 *
 * The kernel (KH, KW, C, F) is already a row-major (KH*KW*C, F) matrix, so with
 * im2col rows ordered (image, oy, ox) and columns (ky, kx, c) one GEMM gives the
 * output rows in NHWC order directly: Y (rows, F) = cols (rows, K) · W (K, F).
 *
 * Forward by tiles: the im2col matrix is never built. A tile of MR output
 * pixels (the GEMM micro-kernel's height) is im2col'd into a buffer that stays
 * in L1, the micro-kernel multiplies it by the packed kernel (packed once per
 * call, kept in L2), and bias and activation are applied to the tile's rows
 * while they are still in cache. Against im2col + pn_sgemm this saves writing
 * and re-reading the whole im2col matrix (KH*KW times the input), the GEMM's
 * copy of it into panels, and one pass over the output: at batch 1024 the
 * CNN of the benchmarks spent most of its conv time there. The micro-kernel
 * sums each output over K in pn_sgemm's blocks and order (pn_gemm_k_block), so
 * the output has pn_sgemm's bits, tile or not. Tasks are runs of tiles; which
 * thread runs a tile never changes the arithmetic. Where a tile's windows
 * avoid the padding, the kernel's wkernel reads them where they lie in x
 * (no im2col copy at all; same FMA chain, so the same bits). A kernel too
 * large to stay in L2 beside the tiles (K*F past TILE_MAX_B) goes through
 * im2col chunks and pn_sgemm, whose cache blocking suits it.
 * In an inference program a conv2d read only by a non-overlapping max
 * pooling runs pooled (conv2d_forward_pooled): its output is never written.
 *
 * Backward: dW += colsᵀ·dY, dcols = dY·Wᵀ scattered back (col2im), db += Σ dY.
 * Chunks hold whole output lines up to PN_CONV_COL_BUDGET floats; the chunk
 * sizes decide the summation blocks of dW, so they are part of the bits.
 * When the forward runs by tiles, so does backward (dw_tiles, dx_tiles): dW
 * by depth blocks of the chunks, each block im2col'd into a buffer of its own
 * and its partial sum added in pn_sgemm's order (dY and db formed in the same
 * tasks: one pass over dY); dX by MR-row tiles of dcols in L1, scattered at
 * once. Neither builds the chunk's im2col or dcols matrix; both keep the
 * chunked path's bits. Larger kernels keep the chunked path (cols rebuilt
 * chunk by chunk rather than kept: memory over flops).
 * The layer's activation (pn_fused_activations; 0 linear) is fused as in
 * dense.c: bias and activation in one pass over the GEMM output, dY formed
 * as dy * act'(pre) once in backward, bit for bit the unfused graph. Like
 * dense, relu/relu6 keep no pre-activation; the others keep it (and dY) in
 * the node's scratch, one output's worth each.
 * A 1x1 kernel with stride 1 and no padding needs no im2col at all: x is cols. */
#if defined(__GNUC__) && !defined(__clang__)
/* keeps copy_run's short loops loops: GCC would turn them back into memcpy calls;
 * no-trapping-math (as in pool.c) lets pooled_dy_rows' selects vectorise */
#pragma GCC optimize("no-tree-loop-distribute-patterns", "no-trapping-math")
#endif
#include <math.h>
#include <string.h>

#include "activation.h" /* RANGE_FN, ALWAYS_INLINE */
#include "bias_act.h"
#include "conv.h"
#include "gemm/gemm_internal.h"
#include "pool.h"

/* The fused activation of a conv node (bias_act.h). */
typedef struct {
    int act, flag;
    float a;
    int keep_pre; /* pre-activation kept apart from the output */
    int grad;     /* a gradient will flow through the activation: room for dY */
} conv_act;

static int conv_geom_make(const pn_node *n, int one_d, pn_conv_geom *g, conv_act *e)
{
    const char *op = n->op->name;
    int rc = pn_conv_geom_read(n, one_d, one_d ? 1 : 2,
                               one_d ? "(kernel_size, in_channels, filters)"
                                     : "(kernel_h, kernel_w, in_channels, filters)",
                               one_d ? PAD_CAUSAL : PAD_SAME, g);
    if (rc) return rc;
    g->F = n->in[1]->shape[one_d ? 2 : 3];
    rc = pn_conv_bias(n, g->F, "one per filter");
    if (rc) return rc;
    int64_t act = pn_attr_i(n, "activation");
    if (act < 0 || act >= PN_N_ACTS)
        return pn_error(PN_EVALUE, "%s: unknown activation id %lld", op, (long long)act);
    e->act = (int)act;
    e->flag = (int)pn_attr_i(n, "approximate");
    e->a = pn_act_param(e->act, pn_attr_f(n, "alpha"));
    e->keep_pre = !pn_act_from_output(e->act);
    e->grad = n->requires_grad && e->act != PN_ACT_linear;
    return pn_conv_out(op, one_d, g);
}

static int conv_infer_kind(pn_node *n, int one_d)
{
    pn_conv_geom g;
    conv_act e;
    int rc = conv_geom_make(n, one_d, &g, &e);
    if (rc) return rc;
    int64_t s2[4] = {g.N, g.OH, g.OW, g.F}, s1[3] = {g.N, g.OW, g.F};
    return one_d ? pn_node_set_shape(n, 3, s1) : pn_node_set_shape(n, 4, s2);
}

static int is_pointwise(const pn_conv_geom *g)
{
    return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0;
}

/* Output rows per im2col chunk of backward (and of the forward of large
 * kernels): whole output lines. */
static int64_t chunk_rows(const pn_conv_geom *g)
{
    return pn_conv_chunk_rows(g->N * g->OH, g->OW, g->KH * g->KW * g->C);
}

/* Tiled forward: up to TILE_TASKS tasks, each with its own tile buffer in the
 * node's scratch; the packed kernel at most TILE_MAX_B floats (with the
 * buffers, well inside a 1 MB L2); serial below TILE_PARALLEL_MIN
 * multiply-adds, where waking a thread costs more than it saves. */
#define TILE_TASKS 32
#define TILE_MAX_B (64 * 1024)
#define TILE_PARALLEL_MIN (1 << 20)

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

static int use_tiles(const pn_conv_geom *g, const pn_gemm_impl *im)
{
    int64_t K = g->KH * g->KW * g->C;
    return !is_pointwise(g) && K * round_up(g->F, im->nr) <= TILE_MAX_B;
}

/* Floats of the tiled forward's buffers: the packed kernel, then one tile of
 * MR rows of K per task. */
static int64_t tiles_floats(const pn_conv_geom *g, const pn_gemm_impl *im, int64_t *tasks)
{
    int64_t K = g->KH * g->KW * g->C, tiles = (g->N * g->OH * g->OW + im->mr - 1) / im->mr;
    *tasks = tiles < TILE_TASKS ? tiles : TILE_TASKS;
    return round_up(K * round_up(g->F, im->nr), 16) + *tasks * im->mr * K;
}

/* Backward by tiles (see backward_tiles): dW runs BW_GROUP depth blocks at
 * a time, each block's im2col rows, its packed dY rows and its own partial
 * sum S in a buffer of its own; dX runs BW_TASKS tasks of whole images, each
 * with one MR x K tile, beside the packed kernel. */
#define BW_GROUP 8
#define BW_TASKS 32

/* The largest depth block of dW: the chunks' k_block (backward keeps the
 * chunked path's chunks, whose blocks decide dW's bits). */
static int64_t bwd_kb_max(const pn_conv_geom *g, const pn_gemm_impl *im)
{
    int64_t rows = g->N * g->OH * g->OW, step = chunk_rows(g);
    int64_t kb = pn_gemm_k_block(im, rows < step ? rows : step);
    if (rows > step && rows % step) {
        int64_t last = pn_gemm_k_block(im, rows % step);
        if (last > kb) kb = last;
    }
    return kb;
}

static int64_t bwd_block_floats(const pn_conv_geom *g, const pn_gemm_impl *im, int64_t kb)
{
    int64_t K = g->KH * g->KW * g->C;
    return round_up(kb * K, 16) + round_up(kb * round_up(g->F, im->nr), 16) + round_up(K * g->F, 16) +
           round_up(kb * g->F, 16);
}

static int64_t bwd_tiles_floats(const pn_conv_geom *g, const pn_gemm_impl *im)
{
    int64_t K = g->KH * g->KW * g->C, Kp = round_up(K, im->nr);
    int64_t dw = BW_GROUP * bwd_block_floats(g, im, bwd_kb_max(g, im));
    int64_t dx = round_up(g->F * Kp, 16) + BW_TASKS * round_up(im->mr * K, 16);
    return dw > dx ? dw : dx;
}

/* One scratch layout for forward and backward so that backward never grows
 * (and so never loses) what forward left: [cols: an im2col chunk, or the
 * tiled forward's buffers][F doubles][pre-activation if keep_pre][dY if grad],
 * the last two rows x F floats. */
typedef struct {
    char *base;
    float *cols, *pre, *dpre;
    double *acc;
} conv_scratch;

static size_t scratch_bytes(const pn_conv_geom *g, const conv_act *e, size_t *cols_bytes)
{
    int64_t K = g->KH * g->KW * g->C, out = g->N * g->OH * g->OW * g->F, tasks;
    const pn_gemm_impl *im = pn_gemm_active();
    size_t c = is_pointwise(g) ? 0 : (size_t)(chunk_rows(g) * K) * sizeof(float);
    if (use_tiles(g, im)) {
        size_t t = (size_t)tiles_floats(g, im, &tasks) * sizeof(float);
        size_t bt = (size_t)bwd_tiles_floats(g, im) * sizeof(float);
        if (t > c) c = t;
        if (bt > c) c = bt;
    }
    c = (c + 63) & ~(size_t)63;
    *cols_bytes = c;
    size_t acc = ((size_t)g->F * sizeof(double) + 63) & ~(size_t)63;
    return c + acc + (size_t)out * sizeof(float) * (size_t)(e->keep_pre + e->grad);
}

/* Forward sizes the scratch; backward finds it (NULL base: out of memory, or a
 * backward without its forward). */
static conv_scratch scratch_of(pn_node *n, const pn_conv_geom *g, const conv_act *e, int grow)
{
    size_t cols_bytes, bytes = scratch_bytes(g, e, &cols_bytes);
    conv_scratch s = {NULL, NULL, NULL, NULL, NULL};
    if (grow) s.base = pn_node_scratch(n, bytes);
    else if (n->saved && n->saved_bytes >= bytes) s.base = n->saved;
    if (!s.base) return s;
    s.cols = (float *)s.base;
    s.acc = (double *)(s.base + cols_bytes);
    float *p = (float *)(s.base + cols_bytes + (((size_t)g->F * sizeof(double) + 63) & ~(size_t)63));
    int64_t out = g->N * g->OH * g->OW * g->F;
    s.pre = e->keep_pre ? p : NULL;
    s.dpre = e->grad ? p + (e->keep_pre ? out : 0) : NULL;
    return s;
}

/* The activation as the fused pooled backward sees it: its scratch holds dY
 * in full (the grad slot) whatever the activation. */
static conv_act pooled_bwd_act(const conv_act *e)
{
    conv_act b = *e;
    b.grad = 1;
    return b;
}

typedef struct {
    const pn_conv_geom *g;
    const float *x;
    float *cols;
    int64_t r0;
} im2col_ctx;

/* im2col copies runs of KW*C (or C) floats: short ones (a first layer on grey
 * images copies 3 floats at a time, a 3x3 kernel on 32 channels 96) cost less
 * as a loop the compiler vectorises than as a memcpy call. */
ALWAYS_INLINE void copy_run(float *restrict d, const float *restrict s, int64_t n)
{
    if (n > 256) {
        memcpy(d, s, sizeof(float) * (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++) d[i] = s[i];
}

ALWAYS_INLINE void zero_run(float *d, int64_t n)
{
    if (n > 256) {
        memset(d, 0, sizeof(float) * (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++) d[i] = 0.0f;
}

/* Rows [r0 + b, r0 + e) of the im2col matrix into cols + b*K: the output
 * position is stepped along the rows (two divisions per row cost as much as
 * copying a first layer's 9 floats). */
ALWAYS_INLINE void im2col_rows(const im2col_ctx *c, int64_t b, int64_t e)
{
    const pn_conv_geom *g = c->g;
    int64_t C = g->C, K = g->KH * g->KW * C, ohw = g->OH * g->OW, r = c->r0 + b;
    int64_t img = r / ohw, oy = r % ohw / g->OW, ox = r % g->OW;
    for (int64_t i = b; i < e; i++) {
        float *dst = c->cols + i * K;
        int64_t ix0 = ox * g->sw - g->pl;
        for (int64_t ky = 0; ky < g->KH; ky++) {
            int64_t iy = oy * g->sh - g->pt + ky * g->dh;
            float *d = dst + ky * g->KW * C;
            if (iy < 0 || iy >= g->H) {
                zero_run(d, g->KW * C);
                continue;
            }
            const float *xrow = c->x + (img * g->H + iy) * g->W * C;
            if (g->dw == 1 && ix0 >= 0 && ix0 + g->KW <= g->W) { /* whole window row is contiguous */
                copy_run(d, xrow + ix0 * C, g->KW * C);
                continue;
            }
            for (int64_t kx = 0; kx < g->KW; kx++) {
                int64_t ix = ix0 + kx * g->dw;
                if (ix < 0 || ix >= g->W) zero_run(d + kx * C, C);
                else copy_run(d + kx * C, xrow + ix * C, C);
            }
        }
        if (++ox == g->OW) {
            ox = 0;
            if (++oy == g->OH) oy = 0, img++;
        }
    }
}

RANGE_FN im2col_range(void *vctx, int64_t b, int64_t e) { im2col_rows(vctx, b, e); }

typedef struct {
    const pn_conv_geom *g;
    const float *dcols;
    float *dx;
    int64_t r0, r1; /* chunk rows */
} col2im_ctx;

/* Adds one im2col row's gradient src (taps (ky, kx, c)) of output (oy, ox)
 * of image img back onto dx, taps in order: col2im's one step. */
ALWAYS_INLINE void col2im_row(const pn_conv_geom *g, const float *src, float *dx, int64_t img,
                              int64_t oy, int64_t ox)
{
    const int64_t C = g->C;
    for (int64_t ky = 0; ky < g->KH; ky++) {
        int64_t iy = oy * g->sh - g->pt + ky * g->dh;
        if (iy < 0 || iy >= g->H) continue;
        float *drow = dx + (img * g->H + iy) * g->W * C;
        for (int64_t kx = 0; kx < g->KW; kx++) {
            int64_t ix = ox * g->sw - g->pl + kx * g->dw;
            if (ix < 0 || ix >= g->W) continue;
            float *d = drow + ix * C;
            const float *s = src + (ky * g->KW + kx) * C;
            for (int64_t ch = 0; ch < C; ch++) d[ch] += s[ch];
        }
    }
}

/* Scatters the chunk's rows image by image: different images write disjoint
 * parts of dx, so images can run in parallel without races. */
static void col2im_images(void *vctx, int64_t b, int64_t e)
{
    const col2im_ctx *c = vctx;
    const pn_conv_geom *g = c->g;
    int64_t K = g->KH * g->KW * g->C, ohw = g->OH * g->OW;
    int64_t img_first = c->r0 / ohw;
    for (int64_t t = b; t < e; t++) {
        int64_t img = img_first + t;
        int64_t lo = img * ohw > c->r0 ? img * ohw : c->r0;
        int64_t hi = (img + 1) * ohw < c->r1 ? (img + 1) * ohw : c->r1;
        for (int64_t r = lo; r < hi; r++) {
            int64_t rem = r % ohw;
            col2im_row(g, c->dcols + (r - c->r0) * K, c->dx, img, rem / g->OW, rem % g->OW);
        }
    }
}

typedef struct {
    const pn_conv_geom *g;
    const conv_act *e;
    const pn_gemm_impl *im;
    const float *x, *bp, *bias; /* bp: the kernel packed in pn_gemm_k_block blocks */
    float *y, *out, *tiles;     /* y: the micro-kernel's result (out, or pre) */
    int64_t K, kb, tiles_per_task;
} tile_ctx;

/* The largest MR of the kernels with a wkernel (AVX-512's 12). */
#define WINDOW_MR_MAX 12

/* Where output rows [r0, r0 + m) find their windows in x, for im->wkernel:
 * 1 when every window lies inside x (no padding tap) with unit width
 * dilation, so that each of its KH rows is KW*C contiguous floats; 0 when
 * the tile must be im2col'd (the kernel has no wkernel, or a window touches
 * the padding). */
static int window_rows(const pn_conv_geom *g, const pn_gemm_impl *im, const float *x, int64_t r0,
                       int m, const float **rows)
{
    if (!im->wkernel || g->dw != 1 || m > WINDOW_MR_MAX) return 0;
    int64_t ohw = g->OH * g->OW, img = r0 / ohw, oy = r0 % ohw / g->OW, ox = r0 % g->OW;
    for (int i = 0; i < m; i++) {
        int64_t iy = oy * g->sh - g->pt, ix = ox * g->sw - g->pl;
        if (iy < 0 || iy + (g->KH - 1) * g->dh >= g->H || ix < 0 || ix + g->KW > g->W) return 0;
        rows[i] = x + ((img * g->H + iy) * g->W + ix) * g->C;
        if (++ox == g->OW) {
            ox = 0;
            if (++oy == g->OH) oy = 0, img++;
        }
    }
    return 1;
}

/* One tile: output rows [r0, r0 + m), m <= MR, into y (row r0 first), then
 * bias and activation into out (y itself, or the output beside the kept
 * pre-activation). A is read where it lies in x when the windows allow it
 * (window_rows: most tiles of a 'valid' convolution; the im2col copy costs
 * as much as the multiply for a first layer's K of 9), else im2col'd into
 * the task's buffer a. */
ALWAYS_INLINE void conv_tile(const tile_ctx *c, float *a, int64_t r0, int m, float *y, float *out)
{
    const pn_conv_geom *g = c->g;
    const pn_gemm_impl *im = c->im;
    const int64_t F = g->F, K = c->K, nr = im->nr, Fp = round_up(F, nr);
    const float *wrows[WINDOW_MR_MAX];
    int in_place = window_rows(g, im, c->x, r0, m, wrows);
    if (!in_place) {
        im2col_ctx ic = {g, c->x, a, r0};
        im2col_rows(&ic, 0, m);
    }
    for (int64_t p0 = 0; p0 < K; p0 += c->kb) {
        int64_t k = K - p0 < c->kb ? K - p0 : c->kb;
        const float *bk = c->bp + p0 * Fp;
        for (int64_t j0 = 0; j0 < F; j0 += nr) {
            int n = F - j0 < nr ? (int)(F - j0) : (int)nr;
            float beta = p0 ? 1.0f : 0.0f;
            if (in_place)
                im->wkernel(p0, k, wrows, g->KW * g->C, g->dh * g->W * g->C, bk + j0 * k, nr,
                            y + j0, F, beta, m, n);
            else im->skernel(k, a + p0, K, 1, bk + j0 * k, nr, y + j0, F, 1.0f, beta, m, n);
        }
    }
    pn_bias_act_rows(c->e->act, c->e->a, c->e->flag, y, out, c->bias, 0, m, F);
}

/* Tasks [b, e): each runs its run of tiles through its own buffer. */
RANGE_FN tile_tasks(void *vctx, int64_t b, int64_t e)
{
    const tile_ctx *c = vctx;
    const int64_t rows = c->g->N * c->g->OH * c->g->OW, F = c->g->F, mr = c->im->mr;
    for (int64_t t = b; t < e; t++) {
        float *a = c->tiles + t * mr * c->K;
        int64_t r_end = (t + 1) * c->tiles_per_task * mr;
        if (r_end > rows) r_end = rows;
        for (int64_t r0 = t * c->tiles_per_task * mr; r0 < r_end; r0 += mr)
            conv_tile(c, a, r0, rows - r0 < mr ? (int)(rows - r0) : (int)mr, c->y + r0 * F,
                      c->out + r0 * F);
    }
}

/* The kernel packed for the tiles, in the depth blocks they sum in. */
static void pack_kernel(const pn_conv_geom *g, const pn_gemm_impl *im, const float *w, int64_t kb,
                        float *bp)
{
    int64_t K = g->KH * g->KW * g->C, F = g->F, Fp = round_up(F, im->nr);
    for (int64_t p0 = 0; p0 < K; p0 += kb) {
        int64_t k = K - p0 < kb ? K - p0 : kb;
        im->pack_b(im->nr, k, F, w + p0 * F, F, 1, bp + p0 * Fp);
    }
}

static void forward_tiles(const pn_conv_geom *g, const conv_act *e, const pn_gemm_impl *im,
                          const float *x, const float *w, const float *bias, float *y, float *out,
                          float *buf)
{
    int64_t K = g->KH * g->KW * g->C, F = g->F, Fp = round_up(F, im->nr), tasks;
    int64_t rows = g->N * g->OH * g->OW;
    tile_ctx c = {g, e, im, x, buf, bias, y, out, buf + round_up(K * Fp, 16), K,
                  pn_gemm_k_block(im, K), 0};
    tiles_floats(g, im, &tasks);
    c.tiles_per_task = ((rows + im->mr - 1) / im->mr + tasks - 1) / tasks;
    pack_kernel(g, im, w, c.kb, buf);
    if ((double)rows * F * K >= TILE_PARALLEL_MIN) pn_parallel_for(tasks, 1, tile_tasks, &c);
    else tile_tasks(&c, 0, tasks);
}

/* The pooled forward (pn_op.forward_pooled, program.c): for each line of
 * the pooled output, the PH output lines under it by tiles into a buffer of
 * the task's (L1/L2-sized), bias and activation there, then the maximum of
 * each PH x PW window straight into the pooled output. The convolution's
 * output, the largest activation of a CNN, is never written to memory nor
 * read back, and lines no window reads (OH % PH) are never computed. Every
 * output gets the unfused forward's bits (a tile's arithmetic does not
 * depend on which rows share it; the activation in place computes what it
 * computes beside a kept pre-activation) and every window is scanned in
 * pool.c's order with its rule (pool.h). In training the winners are kept
 * too, in the pooling's own encoding, for backward_pooled. */
#define POOLED_BAND_MAX (256 * 1024) /* floats of a task's band of lines: 1 MB, about L2 */

typedef struct {
    tile_ctx t;
    float *lines, *pooled;
    int32_t *arg; /* training: each pooled output's winner (pool.h), else NULL */
    int64_t ph, pw, poh, pow, lines_per_task, task_floats;
} pooled_ctx;

RANGE_FN pooled_tasks(void *vctx, int64_t b, int64_t e)
{
    const pooled_ctx *c = vctx;
    const pn_conv_geom *g = c->t.g;
    const int64_t F = g->F, mr = c->t.im->mr, band = c->ph * g->OW, n_lines = g->N * c->poh;
    for (int64_t t = b; t < e; t++) {
        float *buf = c->lines + t * c->task_floats, *a = buf + round_up(band * F, 16);
        int64_t l1 = (t + 1) * c->lines_per_task < n_lines ? (t + 1) * c->lines_per_task : n_lines;
        for (int64_t l = t * c->lines_per_task; l < l1; l++) {
            int64_t img = l / c->poh, r0 = (img * g->OH + l % c->poh * c->ph) * g->OW;
            for (int64_t i = 0; i < band; i += mr)
                conv_tile(&c->t, a, r0 + i, band - i < mr ? (int)(band - i) : (int)mr, buf + i * F,
                          buf + i * F);
            float *y = c->pooled + l * c->pow * F;
            int32_t *arg = c->arg ? c->arg + l * c->pow * F : NULL;
            for (int64_t px = 0; px < c->pow; px++, y += F) {
                const float *first = buf + px * c->pw * F;
                for (int64_t f = 0; f < F; f++) y[f] = first[f];
                if (arg) { /* pool.c's scan with winners: the same selects */
                    for (int64_t f = 0; f < F; f++) arg[f] = 0;
                    for (int64_t ky = 0; ky < c->ph; ky++)
                        for (int64_t kx = 0; kx < c->pw; kx++) {
                            if (!ky && !kx) continue;
                            const float *v = first + (ky * g->OW + kx) * F;
                            int32_t pos = pn_max_pool_pos(ky, kx, g->OW);
                            for (int64_t f = 0; f < F; f++) {
                                int take = pn_max_takes(y[f], v[f]);
                                y[f] = take ? v[f] : y[f];
                                arg[f] = take ? pos : arg[f];
                            }
                        }
                    arg += F;
                    continue;
                }
                for (int64_t ky = 0; ky < c->ph; ky++)
                    for (int64_t kx = 0; kx < c->pw; kx++) {
                        if (!ky && !kx) continue;
                        const float *v = first + (ky * g->OW + kx) * F;
                        for (int64_t f = 0; f < F; f++) y[f] = pn_max_step(y[f], v[f]);
                    }
            }
        }
    }
}

static int conv2d_forward_pooled(pn_node *n, const int64_t win[2], pn_node *pooled)
{
    pn_conv_geom g;
    conv_act e;
    int rc = conv_geom_make(n, 0, &g, &e);
    if (rc) return rc;
    const pn_gemm_impl *im = pn_gemm_active();
    int64_t K = g.KH * g.KW * g.C, F = g.F, ph = win[0], pw = win[1];
    if (K == 0 || F == 0 || !use_tiles(&g, im) || ph < 1 || pw < 1 || pooled->ndim != 4 ||
        pooled->shape[0] != g.N || pooled->shape[1] != g.OH / ph || pooled->shape[2] != g.OW / pw ||
        pooled->shape[3] != F || ph * g.OW * F > POOLED_BAND_MAX)
        return PN_UNFUSED; /* the unfused forwards instead */
    int64_t n_lines = g.N * (g.OH / ph), Fp = round_up(F, im->nr);
    int train = n->requires_grad;
    if (train && (!pn_act_from_output(e.act) || n_lines == 0 || g.OW / pw == 0 ||
                  ph * g.OW > INT32_MAX))
        return PN_UNFUSED; /* backward_pooled needs act' from the pooled output */
    if (n_lines == 0 || g.OW / pw == 0) return PN_OK;
    int64_t tasks = n_lines < TILE_TASKS ? n_lines : TILE_TASKS;
    int64_t task_floats = round_up(ph * g.OW * F, 16) + round_up(im->mr * K, 16);
    int64_t packed = round_up(K * Fp, 16);
    size_t bytes = sizeof(float) * (size_t)(packed + tasks * task_floats);
    int32_t *arg = NULL;
    if (train) { /* room for backward too (it finds its buffers by scratch_of) */
        conv_act eb = pooled_bwd_act(&e);
        size_t cols_bytes, bb = scratch_bytes(&g, &eb, &cols_bytes);
        if (bb > bytes) bytes = bb;
        arg = pn_node_scratch(pooled, sizeof(int32_t) * (size_t)pooled->size);
        if (!arg) return PN_ENOMEM;
    }
    float *buf = pn_node_scratch(n, bytes);
    if (!buf) return PN_ENOMEM;
    pooled_ctx c = {{&g, &e, im, n->in[0]->data, buf, g.has_bias ? n->in[2]->data : NULL, NULL, NULL,
                     NULL, K, pn_gemm_k_block(im, K), 0},
                    buf + packed, pooled->data, arg, ph, pw, g.OH / ph, g.OW / pw,
                    (n_lines + tasks - 1) / tasks, task_floats};
    tasks = (n_lines + c.lines_per_task - 1) / c.lines_per_task;
    pack_kernel(&g, im, n->in[1]->data, c.t.kb, buf);
    if ((double)n_lines * ph * g.OW * F * K >= TILE_PARALLEL_MIN)
        pn_parallel_for(tasks, 1, pooled_tasks, &c);
    else
        pooled_tasks(&c, 0, tasks);
    return PN_OK;
}

static int conv_forward_kind(pn_node *n, int one_d)
{
    pn_conv_geom g;
    conv_act e;
    int rc = conv_geom_make(n, one_d, &g, &e);
    if (rc) return rc;
    const float *x = n->in[0]->data, *w = n->in[1]->data;
    const float *bias = g.has_bias ? n->in[2]->data : NULL;
    int64_t rows = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, F = g.F;
    if (rows == 0 || F == 0) return PN_OK;
    conv_scratch s = scratch_of(n, &g, &e, 1);
    if (!s.base) return PN_ENOMEM;
    float *y = e.keep_pre ? s.pre : n->data; /* the GEMM result, before bias and activation */
    const pn_gemm_impl *im = pn_gemm_active();
    if (K > 0 && use_tiles(&g, im)) {
        forward_tiles(&g, &e, im, x, w, bias, y, n->data, s.cols);
        return PN_OK;
    }
    if (K == 0) {
        memset(y, 0, sizeof(float) * (size_t)(rows * F));
    } else if (is_pointwise(&g)) {
        pn_sgemm(0, 0, rows, F, K, 1.0f, x, K, w, F, 0.0f, y, F);
    } else {
        int64_t step = chunk_rows(&g);
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
            int64_t m = rows - r0 < step ? rows - r0 : step;
            im2col_ctx ic = {&g, x, s.cols, r0};
            pn_parallel_for(m, 64, im2col_range, &ic);
            pn_sgemm(0, 0, m, F, K, 1.0f, s.cols, K, w, F, 0.0f, y + r0 * F, F);
        }
    }
    pn_bias_act_forward(e.act, e.a, e.flag, y, n->data, bias, rows, F);
    return PN_OK;
}

/* dY of a convolution fused with the max pooling of its output
 * (backward_pooled): what the pooling's backward followed by the
 * activation's would form, bit for bit, without the convolution's output or
 * gradient. Output (oy, ox) under pooled cell o gets, per filter, 0 + gp[o]
 * where it won the window (the pooling's backward adds onto a zeroed
 * gradient), 0 elsewhere and where no window reaches; times act'(y), y being
 * the pooled value at the winner (the winner's own output) -- any finite
 * value elsewhere, where the gradient is 0: act' of the activations fused
 * this way (pn_act_from_output) is 0 or 1, never NaN, so 0 * act' is 0 as in
 * the unfused graph. */
typedef struct {
    const pn_conv_geom *g;
    const conv_act *e;
    const float *gp, *pv; /* the pooled output's gradient and value */
    const int32_t *arg;   /* its winners (pool.h) */
    int64_t ph, pw, poh, pow;
    float *dy;            /* pooled_dy_range: dY in full */
} pool_src;

#define POOL_DY_CHUNK 256

/* Rows [r0, r0 + m) of dY into dy (row r0 first); the output position and
 * its place under the windows are stepped along the rows (divisions per row
 * cost as much as a first layer's row of dY). */
ALWAYS_INLINE void pooled_dy_rows(const pool_src *s, int64_t r0, int64_t m, float *dy)
{
    const pn_conv_geom *g = s->g;
    const int64_t F = g->F, ohw = g->OH * g->OW;
    int64_t img = r0 / ohw, oy = r0 % ohw / g->OW, ox = r0 % g->OW;
    int64_t py = oy / s->ph, ky = oy % s->ph, px = ox / s->pw, kx = ox % s->pw;
    float gw[POOL_DY_CHUNK];
    for (int64_t i = 0; i < m; i++, dy += F) {
        if (py < s->poh && px < s->pow) {
            int64_t o = ((img * s->poh + py) * s->pow + px) * F;
            int32_t pos = pn_max_pool_pos(ky, kx, g->OW);
            for (int64_t f0 = 0; f0 < F; f0 += POOL_DY_CHUNK) {
                int64_t n = F - f0 < POOL_DY_CHUNK ? F - f0 : POOL_DY_CHUNK;
                const float *gp = s->gp + o + f0;
                const int32_t *arg = s->arg + o + f0;
                float *d = s->e->act == PN_ACT_linear ? dy + f0 : gw;
                for (int64_t f = 0; f < n; f++) { /* a select, then the add: vectorises */
                    const float v = gp[f];
                    d[f] = 0.0f + (arg[f] == pos ? v : 0.0f);
                }
                if (s->e->act != PN_ACT_linear) {
                    const float *y = s->pv + o + f0;
                    pn_act_backward_range(s->e->act, s->e->a, s->e->flag, y, y, gw, dy + f0, 0, n);
                }
            }
        } else { /* under no window */
            for (int64_t f = 0; f < F; f++) dy[f] = 0.0f;
        }
        if (++kx == s->pw) kx = 0, px++;
        if (++ox == g->OW) {
            ox = px = kx = 0;
            if (++ky == s->ph) ky = 0, py++;
            if (++oy == g->OH) oy = py = ky = 0, img++;
        }
    }
}

RANGE_FN pooled_dy_range(void *vctx, int64_t b, int64_t e)
{
    const pool_src *s = vctx;
    pooled_dy_rows(s, b, e - b, s->dy + b * s->g->F);
}

/* dW by tiles. pn_sgemm summed dW += colsᵀ·dY chunk by chunk, each chunk's
 * rows in depth blocks of pn_gemm_k_block(chunk): dW = ((dW + S0) + S1) + ...
 * with S_b block b's sum by the micro-kernel. Here each block is im2col'd
 * into a buffer of its own (L2-sized, never the whole chunk), the
 * micro-kernel writes S_b (beta 0: S_b exactly), and the S_b are added to dW
 * in block order: the same additions in the same order, so pn_sgemm's bits,
 * while the blocks of a group run on different threads. */
typedef struct {
    const pn_conv_geom *g;
    const pn_gemm_impl *im;
    const conv_act *e;
    const float *x, *gy;      /* gy: the incoming gradient (dY itself when linear) */
    const float *pre, *y;     /* for dY = gy * act'(pre) */
    float *dpre;              /* where dY is formed, block by block (NULL: linear) */
    int local_dy;             /* dY only for dW and db: formed in the block's buffer */
    const pool_src *src;      /* dY from a fused pooling's gradient (local_dy set) */
    float *buf;               /* BW_GROUP block buffers of `stride` floats */
    int64_t K, stride, kb_max;
    const int64_t *b0, *blen; /* the group's blocks: first row, rows */
} dw_ctx;

RANGE_FN dw_blocks(void *vctx, int64_t b, int64_t e)
{
    const dw_ctx *c = vctx;
    const pn_conv_geom *g = c->g;
    const pn_gemm_impl *im = c->im;
    const int64_t K = c->K, F = g->F, mr = im->mr, nr = im->nr, Fp = round_up(F, nr);
    for (int64_t t = b; t < e; t++) {
        float *cols = c->buf + t * c->stride;
        float *yp = cols + round_up(c->kb_max * K, 16);
        float *S = yp + round_up(c->kb_max * Fp, 16);
        float *yd = S + round_up(K * F, 16);
        int64_t kb = c->blen[t], lo = c->b0[t] * F;
        const float *dy = c->gy + lo; /* the block's dY rows */
        if (c->src) {
            pooled_dy_rows(c->src, c->b0[t], kb, yd);
            dy = yd;
        } else if (c->dpre) { /* formed here while the block is in cache */
            float *d = c->local_dy ? yd : c->dpre + lo;
            pn_act_backward_range(c->e->act, c->e->a, c->e->flag, c->pre + lo, c->y + lo,
                                  c->gy + lo, d, 0, kb * F);
            dy = d;
        }
        im2col_ctx ic = {g, c->x, cols, c->b0[t]};
        im2col_rows(&ic, 0, kb);
        /* whole panels are read where they lie; a ragged last panel is packed */
        const float *bp = dy;
        int64_t ldb = F;
        if (F % nr) {
            im->pack_b((int)nr, kb, F, dy, F, 1, yp);
            bp = yp, ldb = nr;
        }
        for (int64_t j0 = 0; j0 < F; j0 += nr)
            for (int64_t i0 = 0; i0 < K; i0 += mr) /* a(i,p) = cols[p*K + i] */
                im->skernel(kb, cols + i0, 1, K, bp + (ldb == nr ? j0 * kb : j0), ldb,
                            S + i0 * F + j0, F, 1.0f, 0.0f, K - i0 < mr ? (int)(K - i0) : (int)mr,
                            F - j0 < nr ? (int)(F - j0) : (int)nr);
    }
}

/* dw[i] += S[i] (i < KF), and, with acc, the block's dY rows summed into
 * acc[F] in row order (the bias, as the unblocked sum): a range function of
 * its own for the AVX2 clone, as the loop over a first layer's 43k rows of
 * dY took 3 % of a training step in SSE2. */
RANGE_FN add_block(float *restrict dw, const float *restrict S, int64_t KF, double *restrict acc,
                   const float *restrict d, int64_t rows, int64_t F)
{
    for (int64_t i = 0; i < KF; i++) dw[i] += S[i];
    if (acc)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t f = 0; f < F; f++) acc[f] += d[r * F + f];
}

/* Also forms dY (unless the activation is linear: into dpre, or with
 * local_dy, when dX will not need it, into each block's own buffer; or from
 * src, a fused pooling's gradient, into the blocks' buffers) inside the
 * blocks' tasks and, when db is given, sums it into acc[F] (double) in row
 * order as each group finishes: backward's one pass over dY. */
static void dw_tiles(const pn_conv_geom *g, const pn_gemm_impl *im, const conv_act *e,
                     const float *x, const float *gy, const float *pre, const float *y,
                     float *dpre, int local_dy, const pool_src *src, float *dw, double *acc,
                     float *buf)
{
    int64_t rows = g->N * g->OH * g->OW, F = g->F, K = g->KH * g->KW * g->C, KF = K * F;
    int64_t step = chunk_rows(g), b0[BW_GROUP], blen[BW_GROUP];
    local_dy = (local_dy && dpre) || src;
    dw_ctx c = {g, im, e, x, gy, pre, y, dpre, local_dy, src, buf, K, 0, bwd_kb_max(g, im), b0, blen};
    c.stride = bwd_block_floats(g, im, c.kb_max);
    const float *dy = dpre ? dpre : gy;
    int64_t nb = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        int64_t m = rows - r0 < step ? rows - r0 : step, kb = pn_gemm_k_block(im, m);
        for (int64_t p0 = 0; p0 < m; p0 += kb) {
            b0[nb] = r0 + p0;
            blen[nb] = m - p0 < kb ? m - p0 : kb;
            int last = r0 + p0 + blen[nb] == rows;
            if (++nb < BW_GROUP && !last) continue;
            if ((double)nb * c.kb_max * KF >= TILE_PARALLEL_MIN) pn_parallel_for(nb, 1, dw_blocks, &c);
            else dw_blocks(&c, 0, nb);
            for (int64_t t = 0; t < nb; t++) { /* in block order: pn_sgemm's additions */
                const float *S = buf + t * c.stride + round_up(c.kb_max * K, 16) +
                                 round_up(c.kb_max * round_up(F, im->nr), 16);
                const float *d = local_dy ? S + round_up(KF, 16) : dy + b0[t] * F;
                add_block(dw, S, KF, acc, d, blen[t], F);
            }
            nb = 0;
        }
    }
}

/* dX by tiles: for MR output rows at a time, dcols = dY·Wᵀ (the micro-kernel
 * on the packed Wᵀ, summed over F in pn_gemm_k_block blocks as pn_sgemm
 * would) into an L1 tile, scattered into dx at once. Tasks are runs of whole
 * images (disjoint parts of dx); inside an image rows and taps go in col2im's
 * order, so dx gets the chunked path's bits. */
typedef struct {
    const pn_conv_geom *g;
    const pn_gemm_impl *im;
    const float *gy, *wp; /* wp: Wᵀ packed in depth blocks of kb */
    float *dx, *tiles;
    int64_t K, kb, imgs_per_task;
} dx_ctx;

RANGE_FN dx_tasks(void *vctx, int64_t b, int64_t e)
{
    const dx_ctx *c = vctx;
    const pn_conv_geom *g = c->g;
    const pn_gemm_impl *im = c->im;
    const int64_t K = c->K, F = g->F, mr = im->mr, nr = im->nr, Kp = round_up(K, nr);
    const int64_t ohw = g->OH * g->OW;
    for (int64_t t = b; t < e; t++) {
        float *tile = c->tiles + t * round_up(mr * K, 16);
        int64_t i1 = (t + 1) * c->imgs_per_task < g->N ? (t + 1) * c->imgs_per_task : g->N;
        for (int64_t img = t * c->imgs_per_task; img < i1; img++)
            for (int64_t q0 = 0; q0 < ohw; q0 += mr) {
                int m = ohw - q0 < mr ? (int)(ohw - q0) : (int)mr;
                const float *a = c->gy + (img * ohw + q0) * F;
                for (int64_t p0 = 0; p0 < F; p0 += c->kb) {
                    int64_t k = F - p0 < c->kb ? F - p0 : c->kb;
                    for (int64_t j0 = 0; j0 < K; j0 += nr)
                        im->skernel(k, a + p0, F, 1, c->wp + p0 * Kp + j0 * k, nr, tile + j0, K,
                                    1.0f, p0 ? 1.0f : 0.0f, m, K - j0 < nr ? (int)(K - j0) : (int)nr);
                }
                for (int i = 0; i < m; i++)
                    col2im_row(g, tile + i * K, c->dx, img, (q0 + i) / g->OW, (q0 + i) % g->OW);
            }
    }
}

static void dx_tiles(const pn_conv_geom *g, const pn_gemm_impl *im, const float *gy,
                     const float *w, float *dx, float *buf)
{
    int64_t K = g->KH * g->KW * g->C, F = g->F, Kp = round_up(K, im->nr);
    int64_t tasks = g->N < BW_TASKS ? g->N : BW_TASKS;
    dx_ctx c = {g, im, gy, buf, dx, buf + round_up(F * Kp, 16), K, pn_gemm_k_block(im, F),
                (g->N + tasks - 1) / tasks};
    tasks = (g->N + c.imgs_per_task - 1) / c.imgs_per_task;
    for (int64_t p0 = 0; p0 < F; p0 += c.kb) { /* b(p,j) = W[j*F + p] */
        int64_t k = F - p0 < c.kb ? F - p0 : c.kb;
        im->pack_b(im->nr, k, K, w + p0, 1, F, buf + p0 * Kp);
    }
    if ((double)g->N * g->OH * g->OW * F * K >= TILE_PARALLEL_MIN)
        pn_parallel_for(tasks, 1, dx_tasks, &c);
    else
        dx_tasks(&c, 0, tasks);
}

/* Backward of the pair conv2d -> max pooling fused by the compiled driver
 * (pn_op.backward_pooled after conv2d_forward_pooled in training): dY
 * straight from the pooling's gradient (pool_src), block by block inside
 * dW's tasks when dX will not need it (a first layer), else once in full;
 * then dW, db and dX exactly as conv_backward_kind's tiles. */
static int conv2d_backward_pooled(pn_node *n, const int64_t win[2], pn_node *pooled)
{
    pn_conv_geom g;
    conv_act e;
    int rc = conv_geom_make(n, 0, &g, &e);
    if (rc) return rc;
    pn_node *X = n->in[0], *Wn = n->in[1];
    int64_t rows = g.N * g.OH * g.OW, F = g.F;
    conv_act eb = pooled_bwd_act(&e);
    conv_scratch s = scratch_of(n, &g, &eb, 0);
    if (!s.base || !pooled->grad || !pooled->saved ||
        pooled->saved_bytes < sizeof(int32_t) * (size_t)pooled->size)
        return pn_error(PN_EINTERNAL, "%s: fused backward without its forward", n->op->name);
    const pn_gemm_impl *im = pn_gemm_active();
    pool_src src = {&g, &e, pooled->grad, pooled->data, pooled->saved, win[0], win[1],
                    pooled->shape[1], pooled->shape[2], s.dpre};
    int local = Wn->requires_grad && !X->requires_grad; /* dY never needed in full */
    if (!local) {
        if ((double)rows * F >= TILE_PARALLEL_MIN / 16) pn_parallel_for(rows, 256, pooled_dy_range, &src);
        else pooled_dy_range(&src, 0, rows);
    }
    double *acc = g.has_bias && n->in[2]->requires_grad ? s.acc : NULL;
    if (acc)
        for (int64_t f = 0; f < F; f++) acc[f] = 0;
    conv_act lin = e; /* dY is formed: nothing left to apply */
    lin.act = PN_ACT_linear;
    if (Wn->requires_grad)
        dw_tiles(&g, im, &lin, X->data, s.dpre, NULL, NULL, NULL, 0, local ? &src : NULL, Wn->grad,
                 acc, s.cols);
    else if (acc) /* the bias alone, in row order */
        for (int64_t r = 0; r < rows; r++)
            for (int64_t f = 0; f < F; f++) acc[f] += s.dpre[r * F + f];
    if (acc) {
        float *gb = n->in[2]->grad;
        for (int64_t f = 0; f < F; f++) gb[f] += (float)acc[f];
    }
    if (X->requires_grad) dx_tiles(&g, im, s.dpre, Wn->data, X->grad, s.cols);
    return PN_OK;
}

static int conv_backward_kind(pn_node *n, int one_d)
{
    pn_conv_geom g;
    conv_act e;
    int rc = conv_geom_make(n, one_d, &g, &e);
    if (rc) return rc;
    pn_node *X = n->in[0], *Wn = n->in[1];
    const float *gy = n->grad;
    int64_t rows = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, F = g.F;
    if (rows == 0 || F == 0) return PN_OK;
    conv_scratch s = scratch_of(n, &g, &e, 0);
    if (!s.base) return pn_error(PN_EINTERNAL, "%s: backward without its forward", n->op->name);
    const pn_gemm_impl *im = pn_gemm_active();
    int has_db = g.has_bias && n->in[2]->requires_grad;
    if (K > 0 && Wn->requires_grad && use_tiles(&g, im)) {
        /* dY, db and dW in one pass over dY, then dX */
        double *acc = has_db ? s.acc : NULL;
        if (acc)
            for (int64_t f = 0; f < F; f++) acc[f] = 0;
        float *dpre = e.act != PN_ACT_linear ? s.dpre : NULL;
        dw_tiles(&g, im, &e, X->data, gy, e.keep_pre ? s.pre : n->data, n->data, dpre,
                 !X->requires_grad, NULL, Wn->grad, acc, s.cols);
        if (acc) {
            float *gb = n->in[2]->grad;
            for (int64_t f = 0; f < F; f++) gb[f] += (float)acc[f];
        }
        if (X->requires_grad) dx_tiles(&g, im, dpre ? dpre : gy, Wn->data, X->grad, s.cols);
        return PN_OK;
    }
    if (e.act != PN_ACT_linear) { /* dY = dy * act'(pre), once */
        pn_act_backward(e.act, e.a, e.flag, e.keep_pre ? s.pre : n->data, n->data, n->grad, s.dpre,
                        rows * F);
        gy = s.dpre;
    }
    if (has_db) {
        /* Summed in double: rows can be N*OH*OW ~ 10^5 terms per filter. */
        double *acc = s.acc;
        for (int64_t f = 0; f < F; f++) acc[f] = 0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t f = 0; f < F; f++) acc[f] += gy[r * F + f];
        float *gb = n->in[2]->grad;
        for (int64_t f = 0; f < F; f++) gb[f] += (float)acc[f];
    }
    if (K == 0 || (!X->requires_grad && !Wn->requires_grad)) return PN_OK;
    const float *x = X->data, *w = Wn->data;
    if (is_pointwise(&g)) {
        if (Wn->requires_grad) pn_sgemm(1, 0, K, F, rows, 1.0f, x, K, gy, F, 1.0f, Wn->grad, F);
        if (X->requires_grad) pn_sgemm(0, 1, rows, K, F, 1.0f, gy, F, w, F, 1.0f, X->grad, K);
        return PN_OK;
    }
    if (use_tiles(&g, im)) { /* a frozen kernel: dX alone */
        if (X->requires_grad) dx_tiles(&g, im, gy, w, X->grad, s.cols);
        return PN_OK;
    }
    float *cols = s.cols;
    int64_t step = chunk_rows(&g), ohw = g.OH * g.OW;
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
        int64_t m = rows - r0 < step ? rows - r0 : step;
        const float *gyc = gy + r0 * F;
        if (Wn->requires_grad) {
            im2col_ctx ic = {&g, x, cols, r0};
            pn_parallel_for(m, 64, im2col_range, &ic);
            pn_sgemm(1, 0, K, F, m, 1.0f, cols, K, gyc, F, 1.0f, Wn->grad, F);
        }
        if (X->requires_grad) {
            pn_sgemm(0, 1, m, K, F, 1.0f, gyc, F, w, F, 0.0f, cols, K);
            col2im_ctx cc = {&g, cols, X->grad, r0, r0 + m};
            int64_t n_img = (r0 + m - 1) / ohw - r0 / ohw + 1;
            pn_parallel_for(n_img, 1, col2im_images, &cc);
        }
    }
    return PN_OK;
}

static int conv2d_infer(pn_node *n) { return conv_infer_kind(n, 0); }
static int conv2d_forward(pn_node *n) { return conv_forward_kind(n, 0); }
static int conv2d_backward(pn_node *n) { return conv_backward_kind(n, 0); }
static int conv1d_infer(pn_node *n) { return conv_infer_kind(n, 1); }
static int conv1d_forward(pn_node *n) { return conv_forward_kind(n, 1); }
static int conv1d_backward(pn_node *n) { return conv_backward_kind(n, 1); }

/* The attributes conv_geom_make reads by name. */
static const char *const conv_inputs[] = {"x", "kernel", "bias?", NULL};
static const char *const pad2d[] = {"valid", "same", NULL};   /* PAD_* order */
static const char *const pad1d[] = {"valid", "same", "causal", NULL};
static const pn_attr conv2d_attrs[] = {
    {"strides", PN_ATTR_INTS, 0, 1, 2},
    {"dilation_rate", PN_ATTR_INTS, 2, 1, 2},
    {"padding", PN_ATTR_ENUM, 4, PAD_VALID, 0, pad2d},
    {"activation", PN_ATTR_ENUM, 5, PN_ACT_linear, 0, pn_fused_activations},
    {"approximate", PN_ATTR_BOOL, 6, 0},
    {"alpha", PN_ATTR_FLOAT, 0, NAN},
    {NULL}};
static const pn_attr conv1d_attrs[] = {
    {"strides", PN_ATTR_INT, 0, 1},
    {"dilation_rate", PN_ATTR_INT, 1, 1},
    {"padding", PN_ATTR_ENUM, 2, PAD_VALID, 0, pad1d},
    {"activation", PN_ATTR_ENUM, 3, PN_ACT_linear, 0, pn_fused_activations},
    {"approximate", PN_ATTR_BOOL, 4, 0},
    {"alpha", PN_ATTR_FLOAT, 0, NAN},
    {NULL}};
#define CONV_TRAITS (PN_TRAIT_ROWWISE | PN_TRAIT_HAS_PARAMS)
static const pn_op op_conv2d = {"conv2d", -1, conv2d_infer, conv2d_forward, conv2d_backward, NULL,
                                conv_inputs, conv2d_attrs, CONV_TRAITS, NULL, NULL,
                                conv2d_forward_pooled, conv2d_backward_pooled};
static const pn_op op_conv1d = {"conv1d", -1, conv1d_infer, conv1d_forward, conv1d_backward, NULL,
                                conv_inputs, conv1d_attrs, CONV_TRAITS, NULL};

const pn_op *const pn_ops_conv[] = {&op_conv2d, &op_conv1d, NULL};
