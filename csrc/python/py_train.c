/* py_train.c - binding of the compiled driver (placeholder). */
#include "pyapi.h"
PyMethodDef pn_py_train_methods[] = {{NULL, NULL, 0, NULL}};
int pn_py_init_train(PyObject *m) { (void)m; return 0; }
