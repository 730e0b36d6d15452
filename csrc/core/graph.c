/* graph.c - topological sorting of the node graph (iterative: deep graphs such
 * as long unrolled RNNs must not overflow the C stack). */
#include <stdlib.h>

#include "graph.h"

static uint64_t visit_epoch = 0;

int pn_topo_sort(pn_node **roots, int n_roots, int only_grad, pn_node ***order_out, int *count)
{
    uint64_t mark = ++visit_epoch;
    int cap = 64, n = 0, scap = 64, top = 0;
    pn_node **order = malloc(sizeof *order * cap);
    struct frame { pn_node *node; int next; } *stack = malloc(sizeof *stack * scap);
    if (!order || !stack) goto oom;
    for (int r = 0; r < n_roots; r++) {
        pn_node *root = roots[r];
        if (!root || root->visit == mark || (only_grad && !root->requires_grad)) continue;
        root->visit = mark;
        stack[top++] = (struct frame){root, 0};
        while (top) {
            struct frame *f = &stack[top - 1];
            if (f->next < f->node->n_in) {
                pn_node *c = f->node->in[f->next++];
                if (!c || c->visit == mark || (only_grad && !c->requires_grad)) continue;
                c->visit = mark;
                if (top == scap) {
                    void *p = realloc(stack, sizeof *stack * scap * 2);
                    if (!p) goto oom;
                    stack = p;
                    scap *= 2;
                }
                stack[top++] = (struct frame){c, 0};
            } else {
                if (n == cap) {
                    void *p = realloc(order, sizeof *order * cap * 2);
                    if (!p) goto oom;
                    order = p;
                    cap *= 2;
                }
                order[n++] = f->node;
                top--;
            }
        }
    }
    free(stack);
    *order_out = order;
    *count = n;
    return PN_OK;
oom:
    free(order);
    free(stack);
    return pn_error(PN_ENOMEM, "out of memory sorting the graph");
}
