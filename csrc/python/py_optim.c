/* py_optim.c - binding of the C optimizers (placeholder until optim lands). */
#include "pyapi.h"
PyMethodDef pn_py_optim_methods[] = {{NULL, NULL, 0, NULL}};
int pn_py_init_optim(PyObject *m) { (void)m; return 0; }
