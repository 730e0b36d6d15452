/* py_gemm.c - binding of the SGEMM and the worker pool:
 *     _C.sgemm(a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, out=None)
 *     _C.sgemm_prepacked(a, b, trans_b=False, beta=0.0, out=None, rows=0)
 *     _C.gemm_isa(), _C.fma_peak(isa, threads, seconds),
 *     _C.set_num_threads(n), _C.get_num_threads()
 * sgemm takes float32, 2-D, C-contiguous arrays as they are (no conversion: a
 * silent copy would hide a slow path from the benchmarks and the layers). */
#include "pyapi.h"

#include <stdlib.h>

static PyArrayObject *check_matrix(PyObject *o, const char *name)
{
    if (!PyArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "sgemm: %s must be a numpy.ndarray, got %s", name,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != NPY_FLOAT32) {
        PyErr_Format(PyExc_TypeError, "sgemm: %s must be float32, got %s", name,
                     PyArray_DESCR(a)->typeobj->tp_name);
        return NULL;
    }
    if (PyArray_NDIM(a) != 2) {
        PyErr_Format(PyExc_ValueError, "sgemm: %s must be 2-D, got %d-D", name, PyArray_NDIM(a));
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(a)) {
        PyErr_Format(PyExc_ValueError, "sgemm: %s must be C-contiguous", name);
        return NULL;
    }
    return a;
}

static int overlaps(PyArrayObject *x, PyArrayObject *y)
{
    const char *x0 = PyArray_BYTES(x), *y0 = PyArray_BYTES(y);
    return x0 < y0 + PyArray_NBYTES(y) && y0 < x0 + PyArray_NBYTES(x);
}

static PyObject *py_sgemm(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"a", "b", "trans_a", "trans_b", "alpha", "beta", "out", NULL};
    PyObject *ao, *bo, *outo = Py_None;
    int ta = 0, tb = 0;
    float alpha = 1.0f, beta = 0.0f;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|ppffO:sgemm", kwlist, &ao, &bo, &ta, &tb,
                                     &alpha, &beta, &outo))
        return NULL;
    PyArrayObject *a = check_matrix(ao, "a"), *b = a ? check_matrix(bo, "b") : NULL;
    if (!b) return NULL;
    npy_intp ar = PyArray_DIM(a, 0), ac = PyArray_DIM(a, 1);
    npy_intp br = PyArray_DIM(b, 0), bc = PyArray_DIM(b, 1);
    npy_intp M = ta ? ac : ar, K = ta ? ar : ac, Kb = tb ? bc : br, N = tb ? br : bc;
    if (K != Kb) {
        PyErr_Format(PyExc_ValueError,
                     "sgemm: shapes a (%zd, %zd)%s and b (%zd, %zd)%s are not aligned: "
                     "inner dimensions %zd != %zd",
                     (Py_ssize_t)ar, (Py_ssize_t)ac, ta ? " transposed" : "", (Py_ssize_t)br,
                     (Py_ssize_t)bc, tb ? " transposed" : "", (Py_ssize_t)K, (Py_ssize_t)Kb);
        return NULL;
    }
    PyArrayObject *c;
    if (outo == Py_None) {
        npy_intp dims[2] = {M, N};
        c = (PyArrayObject *)PyArray_EMPTY(2, dims, NPY_FLOAT32, 0);
        if (!c) return NULL;
        beta = 0.0f; /* a fresh array holds garbage: nothing to accumulate onto */
    } else {
        c = check_matrix(outo, "out");
        if (!c) return NULL;
        if (PyArray_DIM(c, 0) != M || PyArray_DIM(c, 1) != N) {
            PyErr_Format(PyExc_ValueError, "sgemm: out has shape (%zd, %zd), expected (%zd, %zd)",
                         (Py_ssize_t)PyArray_DIM(c, 0), (Py_ssize_t)PyArray_DIM(c, 1),
                         (Py_ssize_t)M, (Py_ssize_t)N);
            return NULL;
        }
        if (!PyArray_ISWRITEABLE(c)) {
            PyErr_SetString(PyExc_ValueError, "sgemm: out is read-only");
            return NULL;
        }
        if (overlaps(c, a) || overlaps(c, b)) {
            PyErr_SetString(PyExc_ValueError, "sgemm: out must not overlap a or b");
            return NULL;
        }
        Py_INCREF(c);
    }
    const float *A = PyArray_DATA(a), *B = PyArray_DATA(b);
    float *C = PyArray_DATA(c);
    Py_BEGIN_ALLOW_THREADS
    pn_sgemm(ta, tb, M, N, K, alpha, A, ac, B, bc, beta, C, N);
    Py_END_ALLOW_THREADS
    return (PyObject *)c;
}

/* _C.sgemm_prepacked(a, b, trans_b=False, beta=0.0, out=None, rows=0): the
 * same product through pn_sgemm_pack_b / pn_sgemm_prepacked, B packed once and
 * reused for every block of `rows` rows of a (0: all at once), as a recurrent
 * layer reuses it at every step. For the tests (bits equal to sgemm). */
static PyObject *py_sgemm_prepacked(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"a", "b", "trans_b", "beta", "out", "rows", NULL};
    PyObject *ao, *bo, *outo = Py_None;
    int tb = 0;
    float beta = 0.0f;
    Py_ssize_t rows = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|pfOn:sgemm_prepacked", kwlist, &ao, &bo, &tb,
                                     &beta, &outo, &rows))
        return NULL;
    PyArrayObject *a = check_matrix(ao, "a"), *b = a ? check_matrix(bo, "b") : NULL;
    if (!b) return NULL;
    npy_intp M = PyArray_DIM(a, 0), K = PyArray_DIM(a, 1);
    npy_intp Kb = tb ? PyArray_DIM(b, 1) : PyArray_DIM(b, 0), N = tb ? PyArray_DIM(b, 0) : PyArray_DIM(b, 1);
    if (K != Kb) {
        PyErr_Format(PyExc_ValueError, "sgemm_prepacked: inner dimensions %zd != %zd", (Py_ssize_t)K,
                     (Py_ssize_t)Kb);
        return NULL;
    }
    if (rows < 0) {
        PyErr_Format(PyExc_ValueError, "sgemm_prepacked: rows must be >= 0, got %zd", rows);
        return NULL;
    }
    PyArrayObject *c;
    if (outo == Py_None) {
        npy_intp dims[2] = {M, N};
        c = (PyArrayObject *)PyArray_EMPTY(2, dims, NPY_FLOAT32, 0);
        if (!c) return NULL;
        beta = 0.0f;
    } else {
        c = check_matrix(outo, "out");
        if (!c) return NULL;
        if (PyArray_DIM(c, 0) != M || PyArray_DIM(c, 1) != N || !PyArray_ISWRITEABLE(c) ||
            overlaps(c, a) || overlaps(c, b)) {
            PyErr_SetString(PyExc_ValueError,
                            "sgemm_prepacked: out must be a writable (M, N) array apart from a and b");
            return NULL;
        }
        Py_INCREF(c);
    }
    float *packed = NULL;
    int64_t floats = pn_sgemm_packed_b_floats(K, N);
    if (floats && posix_memalign((void **)&packed, 64, sizeof(float) * (size_t)floats)) {
        Py_DECREF(c);
        return PyErr_NoMemory();
    }
    const float *A = PyArray_DATA(a), *B = PyArray_DATA(b);
    float *C = PyArray_DATA(c);
    npy_intp step = rows ? rows : (M ? M : 1);
    Py_BEGIN_ALLOW_THREADS
    pn_sgemm_pack_b(tb, K, N, B, PyArray_DIM(b, 1), packed);
    for (npy_intp i = 0; i < M; i += step)
        pn_sgemm_prepacked(M - i < step ? M - i : step, N, K, A + i * K, K, packed, beta, C + i * N, N);
    Py_END_ALLOW_THREADS
    free(packed);
    return (PyObject *)c;
}

static PyObject *py_gemm_isa(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyUnicode_FromString(pn_gemm_isa());
}

static PyObject *py_fma_peak(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"isa", "threads", "seconds", NULL};
    const char *isa;
    int threads = 1;
    double seconds = 0.3;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|id:fma_peak", kwlist, &isa, &threads, &seconds))
        return NULL;
    if (strcmp(isa, "avx512") && strcmp(isa, "avx2") && strcmp(isa, "generic")) {
        PyErr_Format(PyExc_ValueError,
                     "fma_peak: isa must be 'avx512', 'avx2' or 'generic', got '%s'", isa);
        return NULL;
    }
    if (threads < 1 || threads > 64) {
        PyErr_Format(PyExc_ValueError, "fma_peak: threads must be in 1..64, got %d", threads);
        return NULL;
    }
    if (!(seconds > 0.0 && seconds <= 60.0)) {
        char got[32]; /* PyErr_Format has no %g */
        snprintf(got, sizeof got, "%g", seconds);
        PyErr_Format(PyExc_ValueError, "fma_peak: seconds must be in (0, 60], got %s", got);
        return NULL;
    }
    double g;
    Py_BEGIN_ALLOW_THREADS
    g = pn_fma_peak_gflops(isa, threads, seconds);
    Py_END_ALLOW_THREADS
    if (g < 0.0) Py_RETURN_NONE;
    return PyFloat_FromDouble(g);
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg)
{
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: n must be >= 1, got %ld", n);
        return NULL;
    }
    pn_set_num_threads(n > 1 << 20 ? 1 << 20 : (int)n);
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyLong_FromLong(pn_get_num_threads());
}

PyMethodDef pn_py_gemm_methods[] = {
    {"sgemm", (PyCFunction)(void (*)(void))py_sgemm, METH_VARARGS | METH_KEYWORDS,
     "sgemm(a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, out=None)\n"
     "alpha * op(a) @ op(b) (+ beta * out when out is given) for float32, 2-D,\n"
     "C-contiguous arrays; returns out or a new array."},
    {"sgemm_prepacked", (PyCFunction)(void (*)(void))py_sgemm_prepacked, METH_VARARGS | METH_KEYWORDS,
     "sgemm_prepacked(a, b, trans_b=False, beta=0.0, out=None, rows=0)\n"
     "a @ op(b) (+ beta * out) with b packed once and reused for every block of\n"
     "`rows` rows of a (0: one block); the bits of sgemm. For tests."},
    {"gemm_isa", py_gemm_isa, METH_NOARGS, "The active GEMM kernel: 'avx512', 'avx2' or 'generic'."},
    {"fma_peak", (PyCFunction)(void (*)(void))py_fma_peak, METH_VARARGS | METH_KEYWORDS,
     "fma_peak(isa, threads=1, seconds=0.3)\n"
     "Measured FMA rate (GFLOP/s) of `threads` threads on a register-only loop with\n"
     "isa's vectors ('avx512', 'avx2', 'generic'); None when the CPU lacks the ISA.\n"
     "A benchmark helper: GEMM figures are reported as a fraction of it."},
    {"set_num_threads", py_set_num_threads, METH_O, "Sets the worker pool size (n >= 1)."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, "The worker pool size."},
    {NULL, NULL, 0, NULL}};
