/* conv.h - what the convolution families share (conv.c, conv_transpose.c,
 * depthwise.c): one geometry struct, the operand checks and the output sizes,
 * all in conv_geom.c. Engine-internal. */
#ifndef PN_OPS_CONV_H
#define PN_OPS_CONV_H
#include "pn.h"

/* padding attribute: 0 'valid', 1 'same' (TF/Keras split: the smaller half
 * before), 2 'causal' (everything before; conv1d only) */
enum { PAD_VALID = 0, PAD_SAME = 1, PAD_CAUSAL = 2 };

/* One channels-last convolution, 2-D; a 1-D op runs as 2-D with H = KH = 1
 * (OH = 1, pt = 0). Input position iy of output oy through tap ky is
 * oy*sh - pt + ky*dh for a convolution; a transposed one maps input iy through
 * ky to output iy*sh - pt + ky*dh (pt, pl then crop the output). */
typedef struct {
    int64_t N, H, W, C;     /* input: batch, height, width, channels */
    int64_t KH, KW;         /* taps */
    int64_t F;              /* output channels (depthwise: C * depth_multiplier) */
    int64_t sh, sw, dh, dw; /* strides, dilation */
    int64_t OH, OW;         /* output height, width */
    int64_t pt, pl;         /* leading padding (or crop) of height, width */
    int64_t pad;            /* the padding attribute, PAD_* */
    int has_bias;
} pn_conv_geom;

/* Reads what every convolution shares: the operands (x, kernel[, bias]), x and
 * the kernel of rank 3 (one_d) or 4, kernel axis `in_axis` holding x's
 * channels, the kernel's spatial axes not empty (`layout` names the kernel's
 * axes in the messages, e.g. "(kernel_h, kernel_w, in_channels, filters)");
 * N, H, W, C, KH, KW, has_bias; the attributes "strides", "dilation_rate"
 * (each >= 1 and at most PN_SIZE_MAX) and "padding" (at most max_pad). F and
 * the output sizes are the op's: see pn_conv_out / pn_conv_transpose_out. */
int pn_conv_geom_read(const pn_node *n, int one_d, int in_axis, const char *layout, int64_t max_pad,
                      pn_conv_geom *g);

/* A bias, when given (input 2), must be `len` values; `what` says why. */
int pn_conv_bias(const pn_node *n, int64_t len, const char *what);

/* Floats of im2col-style buffer (cols) kept per node by conv.c and
 * conv_transpose.c: about L2-to-L3 sized, and large enough that the GEMM's M
 * dimension covers several hundred rows for typical kernels. */
#define PN_CONV_COL_BUDGET ((int64_t)1 << 20)
/* Rows of cols per chunk for `lines` lines of `line` rows of K floats each:
 * whole lines, at least one, at most PN_CONV_COL_BUDGET floats when a line
 * fits, so small images batch together and large ones split. */
int64_t pn_conv_chunk_rows(int64_t lines, int64_t line, int64_t K);

/* Output size and leading padding of a convolution (Keras' rules): valid
 * floor((n - d(k-1) - 1)/s) + 1, same and causal ceil(n/s); the error names
 * the op and the axis when a 'valid' window does not fit. 1-D ops get OH = 1. */
int pn_conv_out(const char *op, int one_d, pn_conv_geom *g);

/* Output size and leading crop of a transposed convolution with
 * output_padding oph, opw (-1: Keras' None); see conv_geom.c. */
int pn_conv_transpose_out(const char *op, int one_d, int64_t oph, int64_t opw, pn_conv_geom *g);
#endif
