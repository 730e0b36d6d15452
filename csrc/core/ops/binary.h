/* binary.h - what drivers outside binary.c may ask of the elementwise binary
 * ops (add, sub, mul, div, maximum, minimum) beyond their traits: how the
 * output moves with one input. Engine-internal. */
#ifndef PN_OPS_BINARY_H
#define PN_OPS_BINARY_H
#include "pn.h"

/* 1 when binary node n is linear in its input k with the other held fixed
 * (add, sub, mul; div in its numerator), else 0 (also for any other node). */
int pn_binary_linear_in(const pn_node *n, int k);
/* 1 when binary node n adds its input k unchanged (add: either; sub: the
 * first), so the gradient of that input is the output's; else 0. */
int pn_binary_adds(const pn_node *n, int k);
#endif
