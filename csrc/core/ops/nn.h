/* nn.h - what drivers outside nn.c may set on a dropout node. Engine-internal. */
#ifndef PN_OPS_NN_H
#define PN_OPS_NN_H
#include "pn.h"

/* Per-example streams of dropout node x: with on, row r of its batch draws its
 * mask from pn_rng_hash(key, first + r), so an example gets the same mask
 * whether it runs alone (first = its position in the batch) or inside the
 * whole batch (first = 0); on = 0 restores the fresh key per forward call.
 * Returns 1, or 0 (doing nothing) when x is not a dropout node. */
int pn_dropout_keyed_rows(pn_node *x, int on, uint64_t key, int64_t first);
#endif
