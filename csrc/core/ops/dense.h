/* dense.h - what the DP-SGD driver (dp_ghost.c) reads from the fused Dense op
 * (dense.c). Engine-internal. */
#ifndef PN_OPS_DENSE_H
#define PN_OPS_DENSE_H
#include "pn.h"

/* After dense's backward: the gradient of its pre-activation, M rows of N (dy
 * itself for the linear activation), from which dense formed its weights'
 * gradients; NULL if n is not a dense node that ran backward. The caller may
 * overwrite it until the next forward. */
float *pn_dense_grad_pre(pn_node *n);
#endif
