/* py_gemm.c - binding of the GEMM and thread pool (placeholder until gemm lands). */
#include "pyapi.h"
PyMethodDef pn_py_gemm_methods[] = {{NULL, NULL, 0, NULL}};
