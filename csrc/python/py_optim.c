/* py_optim.c - binding of the C optimizers (placeholder until optim lands). */
#include "pyapi.h"
PyMethodDef pn_py_optim_methods[] = {{NULL, NULL, 0, NULL}};
int pn_py_init_optim(PyObject *m) { (void)m; return 0; }
struct pn_optim *pn_py_optim_get(PyObject *opt)
{
    PyErr_SetString(PyExc_NotImplementedError, "C optimizers are not built yet");
    return NULL;
}
int pn_optim_step(struct pn_optim *o, float *w, const float *g) { return PN_EINTERNAL; }
