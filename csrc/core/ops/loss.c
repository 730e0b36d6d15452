/* loss.c - (loss ops: not written yet) */
#include "pn.h"

const pn_op *const pn_ops_loss[] = {NULL};
