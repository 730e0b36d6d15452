/* pool.h - the max-pooling rule shared by pool.c and the pooled convolution
 * of conv.c (which must give the pooling op's bits). Engine-internal. */
#ifndef PN_OPS_POOL_H
#define PN_OPS_POOL_H

/* The running maximum cur meets v: v when larger, or when v is a NaN and cur
 * is not (a NaN wins and stays, as in TF); the first maximum wins ties. A
 * select, not a branch, so channel loops vectorise. */
static inline int pn_max_takes(float cur, float v) { return v > cur || (v != v && cur == cur); }
static inline float pn_max_step(float cur, float v) { return pn_max_takes(cur, v) ? v : cur; }
#endif
