/* program.h - the compiled driver's state (engine-internal). */
#ifndef PN_PROGRAM_H
#define PN_PROGRAM_H
#include "pn.h"
struct pn_program {
    pn_node **order;   /* every node reachable from the outputs, inputs first */
    int n;
    pn_node **inputs;  /* placeholders: first dimension is the batch */
    int n_in;
    int64_t batch;     /* batch size the buffers are planned for (0: none yet) */
};
#endif
