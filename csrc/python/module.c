/* module.c - the pynn._C extension module: gathers the method tables. */
#define PN_PY_MAIN
#include "pyapi.h"

static PyMethodDef *tables[] = {pn_py_tensor_methods, pn_py_optim_methods,
                                pn_py_gemm_methods, pn_py_train_methods,
                                pn_py_dp_methods, pn_py_ops_methods};
static PyMethodDef all_methods[256];

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "pynn._C",
                                    "pynn's pure-C engine (binding).", -1, all_methods};

PyObject *pn_py_raise(int status)
{
    PyObject *exc = PyExc_ValueError;
    switch (status) {
    case PN_ETYPE: exc = PyExc_TypeError; break;
    case PN_ENOMEM: exc = PyExc_MemoryError; break;
    case PN_EINDEX: exc = PyExc_ValueError; break;
    case PN_EINTERRUPT: exc = PyExc_KeyboardInterrupt; break;
    case PN_EINTERNAL: exc = PyExc_RuntimeError; break;
    default: break;
    }
    PyErr_SetString(exc, pn_last_error());
    return NULL;
}

PyMODINIT_FUNC PyInit__C(void)
{
    int k = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (PyMethodDef *d = tables[t]; d->ml_name; d++) {
            if (k >= 255) break;
            all_methods[k++] = *d;
        }
    import_array();
    PyObject *m = PyModule_Create(&moddef);
    if (!m) return NULL;
    if (pn_py_init_tensor(m) < 0 || pn_py_init_optim(m) < 0 || pn_py_init_train(m) < 0 ||
        pn_py_init_dp(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
