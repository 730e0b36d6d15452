/* dense.h - what drivers outside dense.c may read from the fused Dense op
 * (per-example gradient norms need its pre-activation gradient). Engine-internal. */
#ifndef PN_OPS_DENSE_H
#define PN_OPS_DENSE_H
#include "pn.h"

/* After dense's backward: the gradient of its pre-activation, M rows of N (dy
 * itself for the linear activation), from which dense formed its weights'
 * gradients; NULL if the dense node did not run backward. Any other node
 * (an affine op without a fused activation) gives its output gradient. The
 * caller may overwrite it until the next forward. */
float *pn_dense_grad_pre(pn_node *n);
#endif
