/* pool.h - the max-pooling rule shared by pool.c and the pooled convolution
 * of conv.c (which must give the pooling op's bits). Engine-internal. */
#ifndef PN_OPS_POOL_H
#define PN_OPS_POOL_H

/* The running maximum cur meets v: v when larger, or when v is a NaN and cur
 * is not (a NaN wins and stays, as in TF); the first maximum wins ties. A
 * select, not a branch, so channel loops vectorise. */
static inline int pn_max_takes(float cur, float v) { return v > cur || (v != v && cur == cur); }
static inline float pn_max_step(float cur, float v) { return pn_max_takes(cur, v) ? v : cur; }

/* A max pooling that a gradient flows through keeps, in its node's scratch,
 * one int32 per output element: its winner's offset from the window's
 * top-left corner in input positions, ky * W + kx (W the input's width), the
 * window's first position (0) when nothing beat it. Backward routes the
 * output's gradient there (pool.c; conv.c's fused pooled backward). */
#include <stdint.h>
static inline int32_t pn_max_pool_pos(int64_t ky, int64_t kx, int64_t W) { return (int32_t)(ky * W + kx); }
#endif
