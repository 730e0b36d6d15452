/* nn.h - what drivers outside nn.c may set on the dropout op (per-example
 * streams). Engine-internal. */
#ifndef PN_OPS_NN_H
#define PN_OPS_NN_H
#include "pn.h"

/* Per-example streams for dropout node n: with on, row r of the batch draws
 * from pn_rng_hash(key, first + r), so an example gets the same mask alone
 * (first = its position) or inside its batch (first = 0); off, the node draws
 * from a fresh key per call as usual. */
int pn_dropout_streams(pn_node *n, int on, uint64_t key, int64_t first);
#endif
