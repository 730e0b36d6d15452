/* graph.h - traversal shared by the eager and compiled drivers (engine-internal). */
#ifndef PN_GRAPH_H
#define PN_GRAPH_H
#include "pn.h"
/* Topological order (inputs before outputs) of everything reachable from roots.
 * only_grad: follow and keep only nodes with requires_grad. *order is malloc'ed. */
int pn_topo_sort(pn_node **roots, int n_roots, int only_grad, pn_node ***order, int *count);
#endif
