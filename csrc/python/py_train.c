/* py_train.c - binding of the compiled driver: placeholders, programs (a traced
 * graph sorted once) and the epoch loop run with the GIL released. */
#include <time.h>

#include "pyapi.h"
#include "optim.h"
#include "dp.h"
#include "program.h"
#include "train.h"

static int check_f32(PyObject *a, const char *what)
{
    if (!PyArray_Check(a) || PyArray_TYPE((PyArrayObject *)a) != NPY_FLOAT32 ||
        !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)a)) {
        PyErr_Format(PyExc_TypeError, "%s must be a float32 C-contiguous array", what);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ Program */

typedef struct {
    PyObject_HEAD
    pn_program *prog;
    PyObject *keep; /* the Tensors it was made from */
} PnProgram;

/* GC: the Tensors kept can lead back to the model that owns this program. */
static int Program_traverse(PnProgram *self, visitproc visit, void *arg)
{
    Py_VISIT(self->keep);
    return 0;
}

static int Program_clear(PnProgram *self)
{
    Py_CLEAR(self->keep);
    return 0;
}

static void Program_dealloc(PnProgram *self)
{
    PyObject_GC_UnTrack(self);
    pn_program_free(self->prog);
    Py_XDECREF(self->keep);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Collects the nodes of a sequence of Tensors into out (at most cap). */
static int nodes_of(PyObject *seq_obj, pn_node **out, int cap, const char *what)
{
    PyObject *seq = PySequence_Fast(seq_obj, what);
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > cap) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "too many %s (at most %d)", what, cap);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        if (!PnTensor_Check(t)) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_TypeError, "%s must be Tensors", what);
            return -1;
        }
        out[i] = pn_py_tensor_node(t);
        if (!out[i]) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return (int)n;
}

#define MAX_ENDS 64

static PyObject *Program_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"outputs", "inputs", NULL};
    PyObject *outs, *ins;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:Program", kwlist, &outs, &ins)) return NULL;
    pn_node *o[MAX_ENDS], *i[MAX_ENDS];
    int no = nodes_of(outs, o, MAX_ENDS, "program outputs");
    if (no < 0) return NULL;
    int ni = nodes_of(ins, i, MAX_ENDS, "program inputs");
    if (ni < 0) return NULL;
    PnProgram *self = (PnProgram *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    int rc = pn_program_create(o, no, i, ni, &self->prog);
    if (rc) {
        Py_DECREF(self);
        return pn_py_raise(rc);
    }
    self->keep = Py_BuildValue("(OO)", outs, ins);
    return (PyObject *)self;
}

static PyObject *Program_n_nodes(PnProgram *self, PyObject *unused)
{
    return PyLong_FromLong(pn_program_n_nodes(self->prog));
}

/* Replays the graph on whatever the placeholders hold (batch size b). */
static PyObject *Program_forward(PnProgram *self, PyObject *arg)
{
    long long b = PyLong_AsLongLong(arg);
    if (b == -1 && PyErr_Occurred()) return NULL;
    int rc = pn_program_set_batch(self->prog, b);
    if (!rc) rc = pn_program_forward(self->prog);
    if (rc) return pn_py_raise(rc);
    Py_RETURN_NONE;
}

/* run(inputs, output): the cheap inference path. Copies each float32 array into
 * its placeholder, replays the graph and returns a new array holding a copy of
 * `output` (a Tensor of the program). One C call, no per-op Python. */
static PyObject *Program_run(PnProgram *self, PyObject *args)
{
    PyObject *inputs, *out_t;
    if (!PyArg_ParseTuple(args, "O!O!:run", &PyList_Type, &inputs, &PnTensor_Type, &out_t))
        return NULL;
    pn_program *p = self->prog;
    if (PyList_GET_SIZE(inputs) != p->n_in)
        return PyErr_Format(PyExc_ValueError, "run: %d inputs expected", p->n_in);
    int64_t b = -1;
    for (int i = 0; i < p->n_in; i++) {
        PyObject *a = PyList_GET_ITEM(inputs, i);
        if (check_f32(a, "input") < 0) return NULL;
        PyArrayObject *arr = (PyArrayObject *)a;
        pn_node *slot = p->inputs[i];
        int ok = PyArray_NDIM(arr) == slot->ndim;
        for (int d = 1; ok && d < slot->ndim; d++) ok = PyArray_DIM(arr, d) == slot->shape[d];
        if (!ok || (b >= 0 && PyArray_DIM(arr, 0) != b)) {
            char s[128];
            return PyErr_Format(PyExc_ValueError, "run: input %d must have shape (batch%s", i,
                                pn_shape_str(s, slot->ndim - 1, slot->shape + 1) + 1);
        }
        b = PyArray_DIM(arr, 0);
    }
    int rc = pn_program_set_batch(p, b < 0 ? 0 : b);
    if (rc) return pn_py_raise(rc);
    for (int i = 0; i < p->n_in; i++) {
        PyArrayObject *arr = (PyArrayObject *)PyList_GET_ITEM(inputs, i);
        memcpy(p->inputs[i]->data, PyArray_DATA(arr), sizeof(float) * (size_t)p->inputs[i]->size);
    }
    rc = pn_program_forward(p);
    if (rc) return pn_py_raise(rc);
    pn_node *o = pn_py_tensor_node(out_t);
    if (!o) return NULL;
    npy_intp dims[PN_MAX_DIMS];
    for (int d = 0; d < o->ndim; d++) dims[d] = (npy_intp)o->shape[d];
    PyObject *res = PyArray_SimpleNew(o->ndim, dims, NPY_FLOAT32);
    if (res) memcpy(PyArray_DATA((PyArrayObject *)res), o->data, sizeof(float) * (size_t)o->size);
    return res;
}

static PyMethodDef program_methods[] = {
    {"n_nodes", (PyCFunction)Program_n_nodes, METH_NOARGS, NULL},
    {"forward", (PyCFunction)Program_forward, METH_O, NULL},
    {"run", (PyCFunction)Program_run, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PnProgram_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynn._C.Program",
    .tp_basicsize = sizeof(PnProgram),
    .tp_dealloc = (destructor)Program_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Program_traverse,
    .tp_clear = (inquiry)Program_clear,
    .tp_doc = "A traced graph, sorted once and replayed per batch.",
    .tp_methods = program_methods,
    .tp_new = Program_new,
};

struct pn_program *pn_py_program_get(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &PnProgram_Type)) {
        PyErr_Format(PyExc_TypeError, "a pynn._C.Program expected, got %.100s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    return ((PnProgram *)o)->prog;
}

/* ------------------------------------------------------------------ functions */

static PyObject *py_placeholder(PyObject *mod, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "shape must be a sequence");
    if (!seq) return NULL;
    Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq);
    int64_t shape[PN_MAX_DIMS];
    if (nd > PN_MAX_DIMS) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "at most %d dimensions", PN_MAX_DIMS);
    }
    for (Py_ssize_t i = 0; i < nd; i++) shape[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return NULL;
    pn_node *n = pn_leaf_new((int)nd, shape);
    if (!n) return pn_py_raise(PN_EVALUE);
    return pn_py_tensor_wrap(n);
}

static PyObject *py_set_tracing(PyObject *mod, PyObject *arg)
{
    int v = PyObject_IsTrue(arg);
    if (v < 0) return NULL;
    int old = pn_tracing;
    pn_tracing = v;
    return PyBool_FromLong(old);
}

static int optim_step_adapter(void *opt, float *w, const float *g);

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* run_loop(program, loss, slots, data, perm, batch_size, first, count, train,
 *          optimizer, params, grads, stats, acc, outs, out_arrays, stop_on_nan[, dp])
 * -> (loss_sum, loss_count, batches_done, interrupted). The GIL is released while batches run
 * and re-taken every ~50 ms to honour Ctrl-C at a batch boundary. */
static PyObject *py_run_loop(PyObject *mod, PyObject *args)
{
    PyObject *prog_obj, *loss_obj, *slots_obj, *data_obj, *perm_obj, *opt_obj, *params_obj,
        *grads_obj, *stats_obj, *acc_obj, *outs_obj, *outarr_obj, *dp_obj = Py_None;
    long long batch_size, first, count;
    int train, stop_on_nan;
    if (!PyArg_ParseTuple(args, "O!OOOOLLLpOOOOOOOp|O:run_loop", &PnProgram_Type, &prog_obj,
                          &loss_obj, &slots_obj, &data_obj, &perm_obj, &batch_size, &first,
                          &count, &train, &opt_obj, &params_obj, &grads_obj, &stats_obj,
                          &acc_obj, &outs_obj, &outarr_obj, &stop_on_nan, &dp_obj))
        return NULL;
    pn_loop L;
    memset(&L, 0, sizeof L);
    L.prog = ((PnProgram *)prog_obj)->prog;
    L.batch_size = batch_size;
    L.train = train;
    L.stop_on_nan = stop_on_nan;
    if (loss_obj != Py_None) {
        if (!PnTensor_Check(loss_obj)) return PyErr_Format(PyExc_TypeError, "loss must be a Tensor");
        L.loss = ((PnTensor *)loss_obj)->node;
    }
    pn_node *slots[MAX_ENDS], *stats[MAX_ENDS], *outs[MAX_ENDS];
    const float *data[MAX_ENDS];
    float *out_data[MAX_ENDS];
    L.n_data = nodes_of(slots_obj, slots, MAX_ENDS, "slots");
    if (L.n_data < 0) return NULL;
    L.n_stats = nodes_of(stats_obj, stats, MAX_ENDS, "stats");
    if (L.n_stats < 0) return NULL;
    L.n_out = nodes_of(outs_obj, outs, MAX_ENDS, "outputs");
    if (L.n_out < 0) return NULL;
    L.slots = slots;
    L.stats = stats;
    L.outs = outs;
    L.data = data;
    L.out_data = out_data;
    /* dataset arrays: one per slot, same number of rows, row size = slot's per-sample size */
    if (!PyList_Check(data_obj) || PyList_GET_SIZE(data_obj) != L.n_data)
        return PyErr_Format(PyExc_ValueError, "run_loop: one data array per slot expected");
    L.n_samples = -1;
    for (int s = 0; s < L.n_data; s++) {
        PyObject *a = PyList_GET_ITEM(data_obj, s);
        if (check_f32(a, "training data") < 0) return NULL;
        PyArrayObject *arr = (PyArrayObject *)a;
        int64_t rows = PyArray_NDIM(arr) ? PyArray_DIM(arr, 0) : 0;
        int64_t per = slots[s]->shape[0] ? slots[s]->size / slots[s]->shape[0] : 0;
        if (rows && PyArray_SIZE(arr) / rows != per)
            return PyErr_Format(PyExc_ValueError,
                                "run_loop: data array %d has %lld values per sample, the graph expects %lld",
                                s, (long long)(PyArray_SIZE(arr) / rows), (long long)per);
        if (L.n_samples >= 0 && rows != L.n_samples)
            return PyErr_Format(PyExc_ValueError, "run_loop: data arrays differ in length");
        L.n_samples = rows;
        data[s] = PyArray_DATA(arr);
    }
    if (L.n_samples < 0) L.n_samples = 0;
    if (perm_obj != Py_None) {
        if (!PyArray_Check(perm_obj) || PyArray_TYPE((PyArrayObject *)perm_obj) != NPY_INT64 ||
            !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)perm_obj) ||
            PyArray_SIZE((PyArrayObject *)perm_obj) != L.n_samples)
            return PyErr_Format(PyExc_ValueError, "run_loop: perm must be int64 of length n_samples");
        const int64_t *p = PyArray_DATA((PyArrayObject *)perm_obj);
        for (int64_t i = 0; i < L.n_samples; i++)
            if (p[i] < 0 || p[i] >= L.n_samples)
                return PyErr_Format(PyExc_ValueError, "run_loop: perm holds an out-of-range index");
        L.perm = p;
    }
    if (train) {
        if (check_f32(params_obj, "params") < 0 || check_f32(grads_obj, "grads") < 0) return NULL;
        if (PyArray_SIZE((PyArrayObject *)params_obj) != PyArray_SIZE((PyArrayObject *)grads_obj))
            return PyErr_Format(PyExc_ValueError, "run_loop: params and grads differ in size");
        L.params = PyArray_DATA((PyArrayObject *)params_obj);
        L.grads = PyArray_DATA((PyArrayObject *)grads_obj);
        if (opt_obj != Py_None) {
            L.opt = pn_py_optim_get(opt_obj);
            if (!L.opt) return NULL;
            /* the step walks the optimizer's own arena length: it must match */
            if (PyArray_SIZE((PyArrayObject *)params_obj) != ((pn_optim *)L.opt)->n)
                return PyErr_Format(PyExc_ValueError,
                                    "run_loop: the optimizer was built for %lld parameters, the "
                                    "arena holds %lld", (long long)((pn_optim *)L.opt)->n,
                                    (long long)PyArray_SIZE((PyArrayObject *)params_obj));
            L.step = optim_step_adapter;
        }
    }
    int64_t acc_need = 0;
    for (int k = 0; k < L.n_stats; k++) acc_need += stats[k]->size;
    if (L.n_stats) {
        if (!PyArray_Check(acc_obj) || PyArray_TYPE((PyArrayObject *)acc_obj) != NPY_FLOAT64 ||
            !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)acc_obj) ||
            PyArray_SIZE((PyArrayObject *)acc_obj) < acc_need)
            return PyErr_Format(PyExc_ValueError, "run_loop: acc must be float64 with %lld values",
                                (long long)acc_need);
        L.acc = PyArray_DATA((PyArrayObject *)acc_obj);
    }
    if (!PyList_Check(outarr_obj) || PyList_GET_SIZE(outarr_obj) != L.n_out)
        return PyErr_Format(PyExc_ValueError, "run_loop: one output array per output expected");
    for (int k = 0; k < L.n_out; k++) {
        PyObject *a = PyList_GET_ITEM(outarr_obj, k);
        if (check_f32(a, "output array") < 0) return NULL;
        int64_t per = outs[k]->shape[0] ? outs[k]->size / outs[k]->shape[0] : 0;
        if (PyArray_SIZE((PyArrayObject *)a) != per * L.n_samples)
            return PyErr_Format(PyExc_ValueError, "run_loop: output array %d has the wrong size", k);
        out_data[k] = PyArray_DATA((PyArrayObject *)a);
    }

    /* optional DP-SGD state (py_dp.c): every batch becomes a DP step */
    if (dp_obj != Py_None) {
        if (!train || !L.step || !L.loss)
            return PyErr_Format(PyExc_ValueError, "run_loop: DP-SGD needs train=True, a loss and an optimizer");
        L.dp = pn_py_dp_acquire(dp_obj, PyArray_SIZE((PyArrayObject *)params_obj), L.n_samples);
        if (!L.dp) return NULL;
    }

    int64_t total = 0;
    int rc = PN_OK;
    while (total < count) {
        int64_t done = 0;
        double t0 = now_seconds();
        Py_BEGIN_ALLOW_THREADS
        while (total + done < count && now_seconds() - t0 < 0.05) {
            int64_t one = 0;
            rc = pn_loop_run(&L, first + total + done, 1, &one);
            done += one;
            if (rc || one == 0) break;
        }
        Py_END_ALLOW_THREADS
        total += done;
        if (rc) {
            pn_py_dp_release(dp_obj);
            return pn_py_raise(rc);
        }
        if (done == 0) break; /* past the last batch */
        if (PyErr_CheckSignals() < 0) {
            /* Ctrl-C: stop at this batch boundary (weights and sums are
             * consistent) and let Python finish its bookkeeping, then re-raise. */
            pn_py_dp_release(dp_obj);
            if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) return NULL;
            PyErr_Clear();
            return Py_BuildValue("(ddLO)", L.loss_sum, L.loss_count, (long long)total, Py_True);
        }
    }
    pn_py_dp_release(dp_obj);
    return Py_BuildValue("(ddLO)", L.loss_sum, L.loss_count, (long long)total, Py_False);
}

PyMethodDef pn_py_train_methods[] = {
    {"placeholder", py_placeholder, METH_O, "A graph input owning its buffer (first axis: batch)."},
    {"set_tracing", py_set_tracing, METH_O, "Keep every edge while tracing; returns the previous mode."},
    {"run_loop", py_run_loop, METH_VARARGS, "Runs batches of an epoch in C."},
    {NULL, NULL, 0, NULL}};

int pn_py_init_train(PyObject *m)
{
    if (PyType_Ready(&PnProgram_Type) < 0) return -1;
    Py_INCREF(&PnProgram_Type);
    return PyModule_AddObject(m, "Program", (PyObject *)&PnProgram_Type);
}

/* ------------------------------------------------------------------ optimizer glue */
static int optim_step_adapter(void *opt, float *w, const float *g)
{
    return pn_optim_step((pn_optim *)opt, w, g);
}
