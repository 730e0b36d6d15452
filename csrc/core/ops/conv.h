/* conv.h - what the convolution families share (conv.c, conv_transpose.c,
 * depthwise.c): padding codes and one spatial axis' geometry. Engine-internal. */
#ifndef PN_OPS_CONV_H
#define PN_OPS_CONV_H
#include "pn.h"

/* padding attribute: 0 'valid', 1 'same' (TF/Keras split: the smaller half
 * before), 2 'causal' (everything before; conv1d only) */
enum { PAD_VALID = 0, PAD_SAME = 1, PAD_CAUSAL = 2 };

/* Output length *out and leading padding *before of one axis of length n for
 * a kernel of k taps, stride s, dilation d, padding mode; the error names op
 * and axis when a 'valid' window does not fit. */
int pn_conv_axis(const char *op, const char *axis, int64_t n, int64_t k, int64_t s, int64_t d,
                 int64_t mode, int64_t *out, int64_t *before);

/* The operands every convolution takes, (x, kernel[, bias]), channels-last: x
 * and the kernel of rank `rank`, kernel axis `in_axis` holding x's channels,
 * the kernel's spatial axes (its first rank - 2) not empty. `layout` names the
 * kernel's axes in the messages, e.g. "(kernel_h, kernel_w, in_channels, filters)". */
int pn_conv_operands(const pn_node *n, int rank, int in_axis, const char *layout);
/* A bias, when given (input 2), must be `len` values; `what` says why. */
int pn_conv_bias(const pn_node *n, int64_t len, const char *what);
#endif
