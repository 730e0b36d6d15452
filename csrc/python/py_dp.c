/* py_dp.c - binding of DP-SGD's C state (csrc/core/privacy/dp.h): pynn._C.DPState holds
 * the configuration, the step counter and the work buffers (accumulator arena,
 * batch indices) that the compiled loop uses with the GIL released. The Python
 * side (pynn/privacy/dpsgd.py) builds one per fit and passes it to its _C.Loop,
 * which runs its strategy (pn_dp_strategy) instead of the plain step. */
#include "pyapi.h"

#include <math.h>
#include <string.h>

#include "privacy/dp.h"

typedef struct {
    PyObject_HEAD
    pn_dp d;
    PyObject *acc;        /* float32 (n_params,) */
    PyObject *idx;        /* int64 (n_samples,) */
    PyObject *rec;        /* float64 (cap, 2) or NULL */
    PyObject *planned;    /* (program, grads) the plan points into, or NULL */
    int busy;             /* a loop is running on it with the GIL released */
} PnDP;

static PyTypeObject PnDP_Type;

/* GC: `planned` holds the program (and through it the model's tensors), and a
 * model may hold this state: a cycle the collector must see. */
static int DP_traverse(PnDP *self, visitproc visit, void *arg)
{
    Py_VISIT(self->planned);
    return 0;
}

static int DP_clear(PnDP *self)
{
    pn_dp_plan_free(&self->d); /* the plan points into the program held by `planned` */
    Py_CLEAR(self->planned);
    return 0;
}

static void DP_dealloc(PnDP *self)
{
    PyObject_GC_UnTrack(self);
    Py_XDECREF(self->acc);
    Py_XDECREF(self->idx);
    Py_XDECREF(self->rec);
    pn_dp_plan_free(&self->d);
    Py_XDECREF(self->planned);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *DP_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"n_params", "n_samples", "l2_norm_clip", "noise_multiplier",
                             "sample_rate", "divisor", "poisson", "secure", "key", "step", "stream",
                             NULL};
    long long n_params, n_samples, step = 0;
    unsigned long long key = 0;
    double clip, sigma, q, divisor;
    int poisson = 1, secure = 0, stream = PN_DP_STREAM_DEFAULT;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "LLdddd|ppKLi:DPState", kwlist, &n_params,
                                     &n_samples, &clip, &sigma, &q, &divisor, &poisson, &secure,
                                     &key, &step, &stream))
        return NULL;
    if (n_params < 1 || n_samples < 0)
        return PyErr_Format(PyExc_ValueError, "DPState: n_params must be >= 1 and n_samples >= 0");
    if (step < 0) return PyErr_Format(PyExc_ValueError, "DPState: step must be >= 0");
    PnDP *self = (PnDP *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    npy_intp na = (npy_intp)n_params, ni = (npy_intp)(n_samples ? n_samples : 1);
    self->acc = PyArray_ZEROS(1, &na, NPY_FLOAT32, 0);
    self->idx = PyArray_ZEROS(1, &ni, NPY_INT64, 0);
    if (!self->acc || !self->idx) {
        Py_DECREF(self);
        return NULL;
    }
    pn_dp *d = &self->d;
    d->clip = clip;
    d->sigma = sigma;
    d->sample_rate = q;
    d->divisor = divisor;
    d->poisson = poisson;
    d->secure = secure;
    d->key = (uint64_t)key;
    d->stream = stream;
    d->step = step;
    d->n_params = n_params;
    d->n_samples = n_samples;
    d->acc = PyArray_DATA((PyArrayObject *)self->acc);
    d->idx = PyArray_DATA((PyArrayObject *)self->idx);
    if (pn_dp_validate(d)) { /* names a bad stream version too */
        Py_DECREF(self);
        return pn_py_raise(PN_EVALUE);
    }
    return (PyObject *)self;
}

static int check_idle(PnDP *self)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "DPState is in use by a running training loop");
        return -1;
    }
    return 0;
}

/* set_record(array float64 (cap, 2) or None): every clipped example writes
 * (norm before clipping, clip factor) into the next row until cap rows. */
static PyObject *DP_set_record(PnDP *self, PyObject *arr)
{
    if (check_idle(self) < 0) return NULL;
    if (arr == Py_None) {
        Py_CLEAR(self->rec);
        self->d.rec = NULL;
        self->d.rec_cap = self->d.rec_n = 0;
        Py_RETURN_NONE;
    }
    if (!PyArray_Check(arr) || PyArray_TYPE((PyArrayObject *)arr) != NPY_FLOAT64 ||
        !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)arr) || PyArray_NDIM((PyArrayObject *)arr) != 2 ||
        PyArray_DIM((PyArrayObject *)arr, 1) != 2)
        return PyErr_Format(PyExc_TypeError, "set_record: a C-contiguous float64 array of shape (cap, 2) expected");
    Py_INCREF(arr);
    Py_XSETREF(self->rec, arr);
    self->d.rec = PyArray_DATA((PyArrayObject *)arr);
    self->d.rec_cap = PyArray_DIM((PyArrayObject *)arr, 0);
    self->d.rec_n = 0;
    Py_RETURN_NONE;
}

/* plan(program, loss, grads, allow_ghost=True, chunk=64) -> (path, reason):
 * fixes how the loop's DP steps get their per-example gradients (dp.h):
 * "ghost" or "replay", with what ruled ghost clipping out ("" for ghost).
 * grads is the gradient arena the loop will step from (the trainable weights'
 * gradients bound to it give their offsets); ghost clipping runs at
 * most `chunk` examples per pass. Required before a loop runs it. */
static PyObject *DP_plan(PnDP *self, PyObject *args)
{
    PyObject *prog_obj, *loss_obj, *grads_obj;
    int allow_ghost = 1;
    long long chunk = 64;
    if (!PyArg_ParseTuple(args, "OO!O|pL:plan", &prog_obj, &PnTensor_Type, &loss_obj, &grads_obj,
                          &allow_ghost, &chunk))
        return NULL;
    if (check_idle(self) < 0) return NULL;
    struct pn_program *prog = pn_py_program_get(prog_obj);
    if (!prog) return NULL;
    if (!PyArray_Check(grads_obj) || PyArray_TYPE((PyArrayObject *)grads_obj) != NPY_FLOAT32 ||
        !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)grads_obj) ||
        PyArray_SIZE((PyArrayObject *)grads_obj) != self->d.n_params)
        return PyErr_Format(PyExc_TypeError, "plan: grads must be the gradient arena, a float32 C-contiguous array of n_params = %lld values",
                            (long long)self->d.n_params);
    int rc = pn_dp_plan(&self->d, prog, ((PnTensor *)loss_obj)->node,
                        PyArray_DATA((PyArrayObject *)grads_obj), allow_ghost, chunk);
    if (rc) return pn_py_raise(rc);
    Py_XSETREF(self->planned, Py_BuildValue("(OO)", prog_obj, grads_obj));
    if (!self->planned) return NULL;
    return Py_BuildValue("(ss)", self->d.path == PN_DP_GHOST ? "ghost" : "replay", self->d.why);
}

static PyObject *DP_get_step(PnDP *self, void *c) { return PyLong_FromLongLong(self->d.step); }
static int DP_set_step(PnDP *self, PyObject *v, void *c)
{
    long long s = v ? PyLong_AsLongLong(v) : -1;
    if (s == -1 && PyErr_Occurred()) return -1;
    if (s < 0) {
        PyErr_SetString(PyExc_ValueError, "step must be an integer >= 0");
        return -1;
    }
    if (check_idle(self) < 0) return -1;
    self->d.step = s;
    return 0;
}
static PyObject *DP_get_last_batch(PnDP *self, void *c) { return PyLong_FromLongLong(self->d.last_batch); }
static PyObject *DP_get_rec_n(PnDP *self, void *c) { return PyLong_FromLongLong(self->d.rec_n); }
static PyObject *DP_get_key(PnDP *self, void *c) { return PyLong_FromUnsignedLongLong(self->d.key); }
static PyObject *DP_get_stream(PnDP *self, void *c) { return PyLong_FromLong(self->d.stream); }
static PyObject *DP_get_gradient(PnDP *self, void *c)
{
    /* a copy: the buffer is reused by the next step */
    return PyArray_NewCopy((PyArrayObject *)self->acc, NPY_CORDER);
}

static PyGetSetDef dp_getset[] = {
    {"step", (getter)DP_get_step, (setter)DP_set_step, "DP steps taken (stream counter)", NULL},
    {"last_batch_size", (getter)DP_get_last_batch, NULL, "size of the last batch drawn", NULL},
    {"record_count", (getter)DP_get_rec_n, NULL, "rows written by set_record", NULL},
    {"key", (getter)DP_get_key, NULL, "seeded-mode base key", NULL},
    {"stream", (getter)DP_get_stream, NULL, "seeded-mode normal stream version of the noise", NULL},
    {"gradient", (getter)DP_get_gradient, NULL, "the privatised gradient of the last step (copy)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef dp_methods[] = {
    {"set_record", (PyCFunction)DP_set_record, METH_O, NULL},
    {"plan", (PyCFunction)DP_plan, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PnDP_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynn._C.DPState",
    .tp_basicsize = sizeof(PnDP),
    .tp_dealloc = (destructor)DP_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)DP_traverse,
    .tp_clear = (inquiry)DP_clear,
    .tp_doc = "DP-SGD state for the compiled training loop (see csrc/core/privacy/dp.h).",
    .tp_methods = dp_methods,
    .tp_getset = dp_getset,
    .tp_new = DP_new,
};

static int stream_arg(int stream)
{
    if (pn_rng_normal_version_ok(stream)) return 0;
    PyErr_Format(PyExc_ValueError, "DP-SGD noise: stream version must be 1 or 2, got %d", stream);
    return -1;
}

/* dp_seeded_normal(key, step, j, stream=2): the N(0,1) draw the seeded mode
 * adds (times sigma*C) to coordinate j at step `step`; lets tests regenerate
 * the noise. */
static PyObject *py_dp_seeded_normal(PyObject *mod, PyObject *args)
{
    unsigned long long key;
    long long step, j;
    int stream = PN_DP_STREAM_DEFAULT;
    if (!PyArg_ParseTuple(args, "KLL|i:dp_seeded_normal", &key, &step, &j, &stream)) return NULL;
    if (stream_arg(stream) < 0) return NULL;
    return PyFloat_FromDouble(pn_dp_seeded_normal(stream, (uint64_t)key, step, j));
}

/* dp_seeded_noise(key, step, n, stream=2, path=None) -> float64 (n,): the
 * draws of coordinates 0..n-1 at once (DataParallel's process 0 adds them);
 * `path` ("portable", "avx2", "avx512") forces one code path of stream 2, for
 * the tests that compare them. */
static PyObject *py_dp_seeded_noise(PyObject *mod, PyObject *args)
{
    unsigned long long key;
    long long step, n;
    int stream = PN_DP_STREAM_DEFAULT;
    const char *path = NULL;
    if (!PyArg_ParseTuple(args, "KLL|iz:dp_seeded_noise", &key, &step, &n, &stream, &path)) return NULL;
    if (stream_arg(stream) < 0) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "dp_seeded_noise: n must be >= 0, got %lld", n);
    npy_intp dim = (npy_intp)n;
    PyObject *out = PyArray_EMPTY(1, &dim, NPY_FLOAT64, 0);
    if (!out) return NULL;
    double *z = PyArray_DATA((PyArrayObject *)out);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pn_dp_seeded_normals(stream, path, (uint64_t)key, step, n, z);
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_DECREF(out);
        return PyErr_Format(PyExc_ValueError, "dp_seeded_noise: path must be 'portable', 'avx2' or "
                            "'avx512' and one this CPU has, got '%s'", path);
    }
    return out;
}

PyMethodDef pn_py_dp_methods[] = {
    {"dp_seeded_normal", py_dp_seeded_normal, METH_VARARGS, "DP-SGD seeded noise draw (for tests)."},
    {"dp_seeded_noise", py_dp_seeded_noise, METH_VARARGS, "DP-SGD seeded noise of a whole arena."},
    {NULL, NULL, 0, NULL}};

int pn_py_init_dp(PyObject *m)
{
    if (PyType_Ready(&PnDP_Type) < 0) return -1;
    Py_INCREF(&PnDP_Type);
    return PyModule_AddObject(m, "DPState", (PyObject *)&PnDP_Type);
}

const pn_loop_strategy *pn_py_strategy_acquire(PyObject *o, int64_t n_params, void **state)
{
    if (!PyObject_TypeCheck(o, &PnDP_Type)) {
        PyErr_Format(PyExc_TypeError, "dp must be a pynn._C.DPState, got %.100s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    PnDP *self = (PnDP *)o;
    if (check_idle(self) < 0) return NULL;
    if (self->d.n_params != n_params) { /* the samples are checked per run (dp_check) */
        PyErr_Format(PyExc_ValueError, "DPState was made for %lld parameters; the loop has %lld",
                     (long long)self->d.n_params, (long long)n_params);
        return NULL;
    }
    self->busy = 1;
    *state = &self->d;
    return &pn_dp_strategy;
}

void pn_py_strategy_release(PyObject *o)
{
    if (PyObject_TypeCheck(o, &PnDP_Type)) ((PnDP *)o)->busy = 0;
}
