/* program.h - the compiled driver's state (engine-internal). */
#ifndef PN_PROGRAM_H
#define PN_PROGRAM_H
#include <pthread.h>

#include "pn.h"
struct pn_program {
    /* Held by whoever plans, replays or reads the buffers of this program: a
     * second host thread (a concurrent predict) waits instead of resizing the
     * activations under the first one's feet. Taken with the host's own lock
     * (the GIL) released, so no lock order can deadlock. */
    pthread_mutex_t lock;
    pn_node **order;   /* every node reachable from the outputs, inputs first */
    int n;
    pn_node **inputs;  /* placeholders: first dimension is the batch */
    int n_in;
    int64_t batch;     /* batch size the buffers are planned for (0: none yet) */
    /* Pooling fusion (pn_op.pools_input / forward_pooled): pooled_from[i] is
     * the index in order of the node that node i computes pooled (-1: none);
     * that node's own forward is skipped. */
    int *pooled_from, *skipped;
    int64_t (*win)[2];
    /* A training program fuses the pair too when the producer has
     * backward_pooled: fused_with[i] is the index of node i's partner when the
     * last forward ran the pair fused (-1 otherwise); backward then runs the
     * producer's backward_pooled in the producer's place and neither node's
     * own backward, and never zeroes the producer's gradient (nothing reads
     * it). */
    int *fused_with;
    /* every live program, for fork(): see program.c */
    struct pn_program *prev_live, *next_live;
};
void pn_program_lock(pn_program *p);
int pn_program_trylock(pn_program *p); /* 0 when taken */
void pn_program_unlock(pn_program *p);
int pn_program_has(const pn_program *p, const pn_node *x);
#endif
