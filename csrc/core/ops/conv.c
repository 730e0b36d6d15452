/* conv.c - (conv ops: not written yet) */
#include "pn.h"

const pn_op *const pn_ops_conv[] = {NULL};
