/* pyapi.h - shared declarations of the CPython binding (csrc/python only). */
#ifndef PN_PYAPI_H
#define PN_PYAPI_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define PY_ARRAY_UNIQUE_SYMBOL pynn_ARRAY_API
#ifndef PN_PY_MAIN
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>
#include "pn.h"

/* Each binding file contributes a method table and an init hook. */
extern PyMethodDef pn_py_tensor_methods[];
extern PyMethodDef pn_py_optim_methods[];
extern PyMethodDef pn_py_gemm_methods[];
extern PyMethodDef pn_py_train_methods[];
extern PyMethodDef pn_py_dp_methods[];
extern PyMethodDef pn_py_ops_methods[];
int pn_py_init_tensor(PyObject *m);
int pn_py_init_optim(PyObject *m);
int pn_py_init_train(PyObject *m);
int pn_py_init_dp(PyObject *m);

/* Fills an op's attribute slots (f, ia; *iv / *niv for a variable-length one,
 * PyMem-allocated) from its defaults and the keyword arguments kwnames / vals
 * (vectorcall layout), by the op's descriptor. -1 with TypeError / ValueError
 * naming the op and the attribute (py_ops.c). */
int pn_py_attrs(const pn_op *op, PyObject *const *vals, PyObject *kwnames, double *f,
                int64_t *ia, int64_t **iv, int64_t *niv);

/* Raises the Python exception matching an engine status; returns NULL. */
PyObject *pn_py_raise(int status);

/* The Tensor type: a Python handle on one pn_node. */
typedef struct {
    PyObject_HEAD
    pn_node *node;
    PyObject *weakreflist;
} PnTensor;
extern PyTypeObject PnTensor_Type;
#define PnTensor_Check(o) PyObject_TypeCheck((o), &PnTensor_Type)
/* The node of a Tensor, or NULL with ValueError for one never initialised
 * (Tensor.__new__ without __init__). t must pass PnTensor_Check. */
pn_node *pn_py_tensor_node(PyObject *t);
/* New Tensor owning one reference to node (steals it). */
PyObject *pn_py_tensor_wrap(pn_node *node);
/* NumPy view of count floats at ptr with the given shape, keeping node alive. */
PyObject *pn_py_view(pn_node *node, float *ptr, int ndim, const int64_t *shape);
/* Converts any array-like to a float32 C-contiguous ndarray (new ref) by the rule
 * documented on pynn.Tensor; raises TypeError for strings/objects. */
PyArrayObject *pn_py_as_f32(PyObject *obj, const char *what);
/* MemoryError (naming what and its shape) when a float32 copy of arr would not fit in
 * the machine's physical memory; 0 when it would. */
int pn_py_check_copy_fits(PyArrayObject *arr, const char *what);
/* The optimizer behind a pynn optimizer object (its C handle), or NULL with a
 * Python error set. Used by the compiled training loop (py_train.c). */
struct pn_optim;
struct pn_optim *pn_py_optim_get(PyObject *opt);
/* The engine program behind a pynn._C.Program (py_train.c), or NULL with a
 * Python error set. */
struct pn_program;
struct pn_program *pn_py_program_get(PyObject *o);
/* A strategy object of the training loop (today pynn._C.DPState, py_dp.c):
 * checks o is one sized for the loop's arena, marks it busy (for the life of
 * the Loop) and returns its per-batch strategy with its state in *state (NULL
 * with a Python error otherwise); release clears the mark (any object: a no-op
 * for others). */
struct pn_loop_strategy;
const struct pn_loop_strategy *pn_py_strategy_acquire(PyObject *o, int64_t n_params, void **state);
void pn_py_strategy_release(PyObject *o);
#endif
