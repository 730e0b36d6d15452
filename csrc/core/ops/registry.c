/* registry.c - the op table: every family file exports a NULL-terminated list. */
#include <string.h>

#include "pn.h"

extern const pn_op *const pn_ops_binary[];
extern const pn_op *const pn_ops_unary[];
extern const pn_op *const pn_ops_reduce[];
extern const pn_op *const pn_ops_shape[];
extern const pn_op *const pn_ops_matmul[];
extern const pn_op *const pn_ops_dense[];
extern const pn_op *const pn_ops_loss[];
extern const pn_op *const pn_ops_nn[];
extern const pn_op *const pn_ops_conv[];
extern const pn_op *const pn_ops_conv_transpose[];
extern const pn_op *const pn_ops_depthwise[];
extern const pn_op *const pn_ops_state[];
extern const pn_op *const pn_ops_image[];
extern const pn_op *const pn_ops_pool[];
extern const pn_op *const pn_ops_norm[];
extern const pn_op *const pn_ops_group_norm[];
extern const pn_op *const pn_ops_rnn[];
extern const pn_op *const pn_ops_embedding[];
extern const pn_op *const pn_ops_attention[];
extern const pn_op *const pn_ops_metric[];
extern const pn_op *const pn_ops_select[];
extern const pn_op *const pn_ops_arctrig[];
extern const pn_op *const pn_ops_erf_more[];
extern const pn_op *const pn_ops_cumulative[];
extern const pn_op *const pn_ops_ctc[];
extern const pn_op *const pn_ops_bessel[];

static const pn_op *const *const families[] = {
    pn_ops_binary,
    pn_ops_unary,
    pn_ops_reduce,
    pn_ops_shape,
    pn_ops_matmul,
    pn_ops_dense,
    pn_ops_loss,
    pn_ops_nn,
    pn_ops_conv,
    pn_ops_pool,
    pn_ops_norm,
    pn_ops_group_norm,
    pn_ops_rnn,
    pn_ops_embedding,
    pn_ops_attention,
    pn_ops_metric,
    pn_ops_conv_transpose,
    pn_ops_depthwise,
    pn_ops_state,
    pn_ops_image,
    pn_ops_select,
    pn_ops_arctrig,
    pn_ops_erf_more,
    pn_ops_cumulative,
    pn_ops_ctc,
    pn_ops_bessel,
};

const pn_op *pn_op_at(int i)
{
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const pn_op *const *op = families[f]; *op; op++)
            if (i-- == 0) return *op;
    return NULL;
}

const pn_op *pn_op_find(const char *name)
{
    for (int i = 0;; i++) {
        const pn_op *op = pn_op_at(i);
        if (!op || strcmp(op->name, name) == 0) return op;
    }
}
