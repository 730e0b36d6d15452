/* py_optim.c - binding of the C optimizers: the _C.Optim type.
 *
 * An Optim owns one pn_optim, its segment table, the piecewise-schedule tables
 * and the NumPy state arrays (n float32 each, arena layout). pynn.optimizers
 * creates one per optimizer in build() and keeps it in the attribute `_c`; the
 * compiled training loop reaches the pn_optim through pn_py_optim_get().
 */
#include "pyapi.h"

#include <math.h>
#include <string.h>

#include "optim.h"

typedef struct {
    PyObject_HEAD
    pn_optim o;
    int64_t *seg;                          /* n_seg + 1 offsets */
    double *sched_tab;                     /* piecewise boundaries then values */
    PyObject *state[PN_OPTIM_MAX_STATE];   /* float32 ndarrays of o.n */
    int busy;                              /* a step is running with the GIL released */
} PnOptim;

static PyTypeObject PnOptim_Type;
#define PnOptim_Check(o) PyObject_TypeCheck((o), &PnOptim_Type)

/* ---------------------------------------------------------------- argument parsing */

static int as_double(PyObject *v, const char *name, double *out)
{
    if (PyBool_Check(v) || !(PyFloat_Check(v) || PyLong_Check(v) || PyNumber_Check(v))) {
        PyErr_Format(PyExc_TypeError, "`%s` must be a number, got %.100s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    double d = PyFloat_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred()) return -1;
    *out = d;
    return 0;
}

static int as_bool(PyObject *v, int *out)
{
    int b = PyObject_IsTrue(v);
    if (b < 0) return -1;
    *out = b;
    return 0;
}

static const char *const sched_names[PN_SCHED_N_KINDS] = {
    "constant", "exponential", "piecewise", "polynomial", "inverse_time", "cosine"};

/* Reads a list of finite numbers into a fresh PyMem table (caller frees). */
static int read_numbers(PyObject *seq, const char *name, double **out, Py_ssize_t *n_out)
{
    PyObject *fast = PySequence_Fast(seq, "PiecewiseConstantDecay: boundaries/values must be sequences");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    double *tab = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(double));
    if (!tab) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (as_double(PySequence_Fast_GET_ITEM(fast, i), name, &tab[i]) < 0) {
            PyMem_Free(tab);
            Py_DECREF(fast);
            return -1;
        }
    Py_DECREF(fast);
    *out = tab;
    *n_out = n;
    return 0;
}

/* spec = None | (kind_name, {param: value}). On success *tab holds the piecewise
 * tables (or NULL) and is owned by the caller. */
static int parse_schedule(PyObject *spec, pn_schedule *s, double **tab)
{
    memset(s, 0, sizeof *s);
    *tab = NULL;
    s->kind = PN_SCHED_CONSTANT;
    s->power = 1.0;
    if (spec == Py_None) return 0;
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(spec, 0)) ||
        !PyDict_Check(PyTuple_GET_ITEM(spec, 1))) {
        PyErr_SetString(PyExc_TypeError, "schedule spec must be a tuple (kind: str, params: dict)");
        return -1;
    }
    const char *kname = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0));
    if (!kname) return -1;
    int kind = -1;
    for (int i = 1; i < PN_SCHED_N_KINDS; i++)
        if (!strcmp(kname, sched_names[i])) kind = i;
    if (kind < 0) {
        PyErr_Format(PyExc_ValueError, "unknown schedule kind '%s'", kname);
        return -1;
    }
    s->kind = kind;
    PyObject *params = PyTuple_GET_ITEM(spec, 1), *key, *val;
    PyObject *bounds = NULL, *values = NULL;
    Py_ssize_t pos = 0;
    while (PyDict_Next(params, &pos, &key, &val)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (!k) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "schedule parameter names must be str");
            return -1;
        }
        double *dst = NULL;
        int *flag = NULL;
        if (!strcmp(k, "initial_learning_rate")) dst = &s->initial_lr;
        else if (!strcmp(k, "decay_steps")) dst = &s->decay_steps;
        else if (!strcmp(k, "decay_rate")) dst = &s->decay_rate;
        else if (!strcmp(k, "end_learning_rate")) dst = &s->end_lr;
        else if (!strcmp(k, "power")) dst = &s->power;
        else if (!strcmp(k, "alpha")) dst = &s->alpha;
        else if (!strcmp(k, "warmup_steps")) dst = &s->warmup_steps;
        else if (!strcmp(k, "staircase")) flag = &s->staircase;
        else if (!strcmp(k, "cycle")) flag = &s->cycle;
        else if (!strcmp(k, "warmup_target")) {
            if (val == Py_None) continue;
            s->has_warmup = 1;
            dst = &s->warmup_target;
        } else if (!strcmp(k, "boundaries")) { bounds = val; continue; }
        else if (!strcmp(k, "values")) { values = val; continue; }
        else if (!strcmp(k, "name")) continue;
        else {
            PyErr_Format(PyExc_TypeError, "schedule '%s': unexpected parameter '%s'", kname, k);
            return -1;
        }
        if (dst && as_double(val, k, dst) < 0) return -1;
        if (flag && as_bool(val, flag) < 0) return -1;
    }
    if (kind == PN_SCHED_PIECEWISE) {
        if (!bounds || !values) {
            PyErr_SetString(PyExc_ValueError, "PiecewiseConstantDecay needs `boundaries` and `values`");
            return -1;
        }
        double *b, *v;
        Py_ssize_t nb, nv;
        if (read_numbers(bounds, "boundaries", &b, &nb) < 0) return -1;
        if (read_numbers(values, "values", &v, &nv) < 0) {
            PyMem_Free(b);
            return -1;
        }
        if (nv != nb + 1 || nb > INT32_MAX - 1) {
            PyErr_Format(PyExc_ValueError,
                         "PiecewiseConstantDecay: the length of boundaries should be 1 less than the "
                         "length of values. Received %zd boundaries and %zd values", nb, nv);
            PyMem_Free(b);
            PyMem_Free(v);
            return -1;
        }
        double *t = PyMem_Malloc((size_t)(nb + nv) * sizeof(double));
        if (!t) {
            PyMem_Free(b);
            PyMem_Free(v);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(t, b, (size_t)nb * sizeof(double));
        memcpy(t + nb, v, (size_t)nv * sizeof(double));
        PyMem_Free(b);
        PyMem_Free(v);
        s->n_bounds = (int)nb;
        s->boundaries = t;
        s->values = t + nb;
        *tab = t;
    }
    if (pn_schedule_validate(s)) {
        PyMem_Free(*tab);
        *tab = NULL;
        pn_py_raise(PN_EVALUE);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the type */

static void Optim_dealloc(PnOptim *self)
{
    for (int i = 0; i < PN_OPTIM_MAX_STATE; i++) Py_CLEAR(self->state[i]);
    PyMem_Free(self->seg);
    PyMem_Free(self->sched_tab);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The state arrays are handed out to Python, where ndarray.resize(refcheck=False)
 * could move their memory: re-read the data pointers (under the GIL) before every
 * use instead of trusting pointers cached at construction. */
static int refresh_state(PnOptim *self)
{
    int ns = pn_optim_n_state(&self->o);
    for (int i = 0; i < PN_OPTIM_MAX_STATE; i++) {
        PyArrayObject *a = (PyArrayObject *)self->state[i];
        if (i >= ns || !a) {
            self->o.state[i] = NULL;
            continue;
        }
        if (PyArray_SIZE(a) != self->o.n || PyArray_TYPE(a) != NPY_FLOAT32 ||
            !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISWRITEABLE(a)) {
            PyErr_Format(PyExc_RuntimeError, "optimizer state array %d was resized or altered", i);
            return -1;
        }
        self->o.state[i] = (float *)PyArray_DATA(a);
    }
    return 0;
}

static PyObject *Optim_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    const char *kname;
    PyObject *sizes;
    if (!PyArg_ParseTuple(args, "sO:Optim", &kname, &sizes)) return NULL;
    int kind = -1;
    for (int i = 0; i < PN_OPT_N_KINDS; i++)
        if (!strcmp(kname, pn_optim_kind_name(i))) kind = i;
    if (kind < 0) {
        PyErr_Format(PyExc_ValueError, "unknown optimizer kind '%s'", kname);
        return NULL;
    }
    PnOptim *self = (PnOptim *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    pn_optim *o = &self->o;
    pn_optim_init(o, kind);

    if (kw) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kw, &pos, &key, &val)) {
            const char *k = PyUnicode_AsUTF8(key);
            if (!k) goto fail;
            double *dst = NULL;
            int *flag = NULL;
            if (!strcmp(k, "learning_rate")) dst = &o->lr;
            else if (!strcmp(k, "momentum")) dst = &o->momentum;
            else if (!strcmp(k, "rho")) dst = &o->rho;
            else if (!strcmp(k, "beta_1")) dst = &o->beta_1;
            else if (!strcmp(k, "beta_2")) dst = &o->beta_2;
            else if (!strcmp(k, "epsilon")) dst = &o->epsilon;
            else if (!strcmp(k, "initial_accumulator_value")) dst = &o->initial_accumulator_value;
            else if (!strcmp(k, "beta")) dst = &o->beta;
            else if (!strcmp(k, "weight_decay")) dst = &o->weight_decay;
            else if (!strcmp(k, "clipnorm")) dst = &o->clipnorm;
            else if (!strcmp(k, "clipvalue")) dst = &o->clipvalue;
            else if (!strcmp(k, "global_clipnorm")) dst = &o->global_clipnorm;
            else if (!strcmp(k, "nesterov")) flag = &o->nesterov;
            else if (!strcmp(k, "centered")) flag = &o->centered;
            else if (!strcmp(k, "amsgrad")) flag = &o->amsgrad;
            else if (!strcmp(k, "schedule")) {
                if (parse_schedule(val, &o->sched, &self->sched_tab) < 0) goto fail;
                continue;
            } else {
                PyErr_Format(PyExc_TypeError, "Optim: unexpected keyword argument '%s'", k);
                goto fail;
            }
            /* None means "off" for the optional options, as in Keras. */
            if (val == Py_None && dst && (dst == &o->weight_decay || dst == &o->clipnorm ||
                                          dst == &o->clipvalue || dst == &o->global_clipnorm)) {
                *dst = 0.0;
                continue;
            }
            if (dst && as_double(val, k, dst) < 0) goto fail;
            if (flag && as_bool(val, flag) < 0) goto fail;
        }
    }

    /* segments */
    PyObject *fast = PySequence_Fast(sizes, "Optim: segment sizes must be a sequence of ints");
    if (!fast) goto fail;
    Py_ssize_t ns = PySequence_Fast_GET_SIZE(fast);
    if (ns > INT32_MAX - 1) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "Optim: too many segments");
        goto fail;
    }
    self->seg = PyMem_Malloc((size_t)(ns + 1) * sizeof(int64_t));
    if (!self->seg) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        goto fail;
    }
    self->seg[0] = 0;
    for (Py_ssize_t i = 0; i < ns; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(fast, i);
        long long v = PyLong_AsLongLong(it);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            goto fail;
        }
        if (v < 0 || self->seg[i] > INT64_MAX / 2 - v) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_ValueError, "Optim: segment size %zd must be >= 0, got %lld", i, v);
            goto fail;
        }
        self->seg[i + 1] = self->seg[i] + v;
    }
    Py_DECREF(fast);
    o->n_seg = (int)ns;
    o->seg = self->seg;
    o->n = self->seg[ns];

    /* Validate the hyper-parameters before allocating state of a size they decide. */
    {
        pn_optim probe = *o;
        probe.n = 0;
        probe.n_seg = 0;
        if (pn_optim_validate(&probe)) {
            pn_py_raise(PN_EVALUE);
            goto fail;
        }
    }
    npy_intp dim = (npy_intp)o->n;
    for (int i = 0; i < pn_optim_n_state(o); i++) {
        PyObject *a = PyArray_SimpleNew(1, &dim, NPY_FLOAT32);
        if (!a) goto fail;
        float *p = (float *)PyArray_DATA((PyArrayObject *)a);
        float init = (float)pn_optim_state_init(o, i);
        for (npy_intp j = 0; j < dim; j++) p[j] = init;
        self->state[i] = a;
    }
    if (refresh_state(self) < 0) goto fail;
    if (pn_optim_validate(o)) {
        pn_py_raise(PN_EVALUE);
        goto fail;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static int claim(PnOptim *self)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "optimizer step already running in another thread");
        return -1;
    }
    if (refresh_state(self) < 0) return -1;
    self->busy = 1;
    return 0;
}

/* w must be updated in place: only an exact float32, C-contiguous, writable array
 * qualifies (a silent copy would drop the update). */
static PyArrayObject *param_array(PyObject *w, int64_t n, const char *what)
{
    if (!PyArray_Check(w)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %.100s", what, Py_TYPE(w)->tp_name);
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)w;
    if (!PyArray_ISWRITEABLE(a)) {
        PyErr_Format(PyExc_ValueError, "%s is read-only and cannot be updated in place", what);
        return NULL;
    }
    if (PyArray_TYPE(a) != NPY_FLOAT32 || !PyArray_IS_C_CONTIGUOUS(a)) {
        PyErr_Format(PyExc_TypeError, "%s must be a writable C-contiguous float32 array (updated in place)",
                     what);
        return NULL;
    }
    if (PyArray_SIZE(a) != n) {
        PyErr_Format(PyExc_ValueError, "%s has %lld elements, the optimizer expects %lld", what,
                     (long long)PyArray_SIZE(a), (long long)n);
        return NULL;
    }
    Py_INCREF(a);
    return a;
}

static PyArrayObject *grad_array(PyObject *g, int64_t n, const char *what)
{
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(g, NPY_FLOAT32, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (!a) return NULL;
    if (PyArray_SIZE(a) != n) {
        PyErr_Format(PyExc_ValueError, "%s has %lld elements, the optimizer expects %lld", what,
                     (long long)PyArray_SIZE(a), (long long)n);
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

static PyObject *Optim_step(PnOptim *self, PyObject *args)
{
    PyObject *wo, *go;
    if (!PyArg_ParseTuple(args, "OO:step", &wo, &go)) return NULL;
    PyArrayObject *w = param_array(wo, self->o.n, "parameters");
    if (!w) return NULL;
    PyArrayObject *g = grad_array(go, self->o.n, "gradients");
    if (!g) {
        Py_DECREF(w);
        return NULL;
    }
    if (claim(self) < 0) {
        Py_DECREF(w);
        Py_DECREF(g);
        return NULL;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pn_optim_step(&self->o, (float *)PyArray_DATA(w), (const float *)PyArray_DATA(g));
    Py_END_ALLOW_THREADS
    self->busy = 0;
    Py_DECREF(w);
    Py_DECREF(g);
    if (rc) return pn_py_raise(rc);
    Py_RETURN_NONE;
}

/* step_list(ws, gs): one entry per segment; None in either list skips it. */
static PyObject *Optim_step_list(PnOptim *self, PyObject *args)
{
    PyObject *wl, *gl;
    if (!PyArg_ParseTuple(args, "OO:step_list", &wl, &gl)) return NULL;
    PyObject *wf = PySequence_Fast(wl, "step_list: parameters must be a sequence");
    if (!wf) return NULL;
    PyObject *gf = PySequence_Fast(gl, "step_list: gradients must be a sequence");
    if (!gf) {
        Py_DECREF(wf);
        return NULL;
    }
    const int ns = self->o.n_seg;
    PyObject *ret = NULL;
    PyObject **keep = NULL;
    float **wp = NULL;
    const float **gp = NULL;
    if (PySequence_Fast_GET_SIZE(wf) != ns || PySequence_Fast_GET_SIZE(gf) != ns) {
        PyErr_Format(PyExc_ValueError, "step_list: expected %d parameters and gradients, got %zd and %zd", ns,
                     PySequence_Fast_GET_SIZE(wf), PySequence_Fast_GET_SIZE(gf));
        goto done;
    }
    keep = PyMem_Calloc((size_t)(2 * ns + 1), sizeof(PyObject *));
    wp = PyMem_Calloc((size_t)(ns + 1), sizeof(float *));
    gp = PyMem_Calloc((size_t)(ns + 1), sizeof(float *));
    if (!keep || !wp || !gp) {
        PyErr_NoMemory();
        goto done;
    }
    for (int s = 0; s < ns; s++) {
        PyObject *wi = PySequence_Fast_GET_ITEM(wf, s), *gi = PySequence_Fast_GET_ITEM(gf, s);
        if (wi == Py_None || gi == Py_None) continue;
        int64_t len = self->o.seg[s + 1] - self->o.seg[s];
        char what[64];
        snprintf(what, sizeof what, "parameter %d", s);
        PyArrayObject *w = param_array(wi, len, what);
        if (!w) goto done;
        keep[2 * s] = (PyObject *)w;
        snprintf(what, sizeof what, "gradient %d", s);
        PyArrayObject *g = grad_array(gi, len, what);
        if (!g) goto done;
        keep[2 * s + 1] = (PyObject *)g;
        wp[s] = (float *)PyArray_DATA(w);
        gp[s] = (const float *)PyArray_DATA(g);
    }
    if (claim(self) < 0) goto done;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pn_optim_step_list(&self->o, wp, gp);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (rc) {
        pn_py_raise(rc);
        goto done;
    }
    ret = Py_None;
    Py_INCREF(ret);
done:
    if (keep)
        for (int i = 0; i < 2 * ns; i++) Py_XDECREF(keep[i]);
    PyMem_Free(keep);
    PyMem_Free(wp);
    PyMem_Free(gp);
    Py_DECREF(wf);
    Py_DECREF(gf);
    return ret;
}

static PyObject *Optim_get_lr(PnOptim *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble(pn_optim_lr(&self->o));
}

static int Optim_set_lr(PnOptim *self, PyObject *v, void *c)
{
    (void)c;
    double d;
    if (!v) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete learning_rate");
        return -1;
    }
    if (self->o.sched.kind != PN_SCHED_CONSTANT) {
        PyErr_SetString(PyExc_TypeError,
                        "This optimizer was created with a learning-rate schedule, hence its learning "
                        "rate is not settable.");
        return -1;
    }
    if (as_double(v, "learning_rate", &d) < 0) return -1;
    if (!isfinite(d) || d < 0) {
        PyErr_Format(PyExc_ValueError, "`learning_rate` must be a finite number >= 0, got %g", d);
        return -1;
    }
    self->o.lr = d;
    return 0;
}

static PyObject *Optim_get_iterations(PnOptim *self, void *c)
{
    (void)c;
    return PyLong_FromLongLong((long long)self->o.iterations);
}

static int Optim_set_iterations(PnOptim *self, PyObject *v, void *c)
{
    (void)c;
    if (!v) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete iterations");
        return -1;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "cannot set iterations while a step is running");
        return -1;
    }
    long long it = PyLong_AsLongLong(v);
    if (it == -1 && PyErr_Occurred()) return -1;
    if (pn_optim_set_iterations(&self->o, (int64_t)it)) {
        pn_py_raise(PN_EVALUE);
        return -1;
    }
    return 0;
}

static PyObject *Optim_get_state(PnOptim *self, void *c)
{
    (void)c;
    int ns = pn_optim_n_state(&self->o);
    PyObject *t = PyTuple_New(ns);
    if (!t) return NULL;
    for (int i = 0; i < ns; i++) {
        Py_INCREF(self->state[i]);
        PyTuple_SET_ITEM(t, i, self->state[i]);
    }
    return t;
}

static PyObject *Optim_get_state_names(PnOptim *self, void *c)
{
    (void)c;
    int ns = pn_optim_n_state(&self->o);
    PyObject *t = PyTuple_New(ns);
    if (!t) return NULL;
    for (int i = 0; i < ns; i++) {
        PyObject *s = PyUnicode_FromString(pn_optim_state_name(&self->o, i));
        if (!s) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyObject *Optim_get_segment_sizes(PnOptim *self, void *c)
{
    (void)c;
    PyObject *t = PyTuple_New(self->o.n_seg);
    if (!t) return NULL;
    for (int s = 0; s < self->o.n_seg; s++) {
        PyObject *v = PyLong_FromLongLong((long long)(self->o.seg[s + 1] - self->o.seg[s]));
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, s, v);
    }
    return t;
}

static PyObject *Optim_get_n(PnOptim *self, void *c)
{
    (void)c;
    return PyLong_FromLongLong((long long)self->o.n);
}

static PyObject *Optim_get_kind(PnOptim *self, void *c)
{
    (void)c;
    return PyUnicode_FromString(pn_optim_kind_name(self->o.kind));
}

static PyObject *Optim_get_last_lr(PnOptim *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble(self->o.last_lr);
}

static PyObject *Optim_get_u_product(PnOptim *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble(self->o.u_product);
}

/* set_schedule(spec): swaps the schedule in place (None: back to the constant
 * learning rate), so pointers held by a compiled loop stay valid. */
static PyObject *Optim_set_schedule(PnOptim *self, PyObject *spec)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "cannot change the schedule while a step is running");
        return NULL;
    }
    pn_schedule s;
    double *tab;
    if (parse_schedule(spec, &s, &tab) < 0) return NULL;
    if (spec == Py_None) self->o.lr = pn_optim_lr(&self->o);
    PyMem_Free(self->sched_tab);
    self->sched_tab = tab;
    self->o.sched = s;
    Py_RETURN_NONE;
}

static PyMethodDef Optim_methods[] = {
    {"set_schedule", (PyCFunction)Optim_set_schedule, METH_O,
     "set_schedule(spec): (kind, params) or None for a constant learning rate."},
    {"step", (PyCFunction)Optim_step, METH_VARARGS,
     "step(w, g): one optimizer step over the arena w (float32, C-contiguous, updated in place)\n"
     "with gradient g (converted to float32); the GIL is released."},
    {"step_list", (PyCFunction)Optim_step_list, METH_VARARGS,
     "step_list(ws, gs): one step where segment s lives in ws[s] / gs[s] (None skips it)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Optim_getset[] = {
    {"learning_rate", (getter)Optim_get_lr, (setter)Optim_set_lr,
     "learning rate the next step will use (settable unless a schedule drives it)", NULL},
    {"iterations", (getter)Optim_get_iterations, (setter)Optim_set_iterations, "steps taken", NULL},
    {"state", (getter)Optim_get_state, NULL, "tuple of the live float32 state arrays (arena layout)", NULL},
    {"state_names", (getter)Optim_get_state_names, NULL, "Keras names of the state arrays", NULL},
    {"segment_sizes", (getter)Optim_get_segment_sizes, NULL, "floats per segment", NULL},
    {"n", (getter)Optim_get_n, NULL, "floats in the arena", NULL},
    {"kind", (getter)Optim_get_kind, NULL, "optimizer kind", NULL},
    {"last_lr", (getter)Optim_get_last_lr, NULL, "learning rate used by the last step", NULL},
    {"u_product", (getter)Optim_get_u_product, NULL, "Nadam's momentum-schedule product", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PnOptim_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynn._C.Optim",
    .tp_basicsize = sizeof(PnOptim),
    .tp_dealloc = (destructor)Optim_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Optim(kind, segment_sizes, **hyper): a C optimizer over a parameter arena.\n"
              "kind: sgd, rmsprop, adam, adagrad, adamax, nadam, nsgd. hyper: learning_rate,\n"
              "schedule=(kind, params), momentum, nesterov, rho, centered, beta_1, beta_2,\n"
              "epsilon, amsgrad, initial_accumulator_value, beta, weight_decay, clipnorm,\n"
              "clipvalue, global_clipnorm.",
    .tp_methods = Optim_methods,
    .tp_getset = Optim_getset,
    .tp_new = Optim_new,
};

/* ---------------------------------------------------------------- module level */

static PyObject *py_schedule_value(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *spec;
    double step;
    if (!PyArg_ParseTuple(args, "Od:schedule_value", &spec, &step)) return NULL;
    pn_schedule s;
    double *tab;
    if (parse_schedule(spec, &s, &tab) < 0) return NULL;
    double v = pn_schedule_eval(&s, step);
    PyMem_Free(tab);
    return PyFloat_FromDouble(v);
}

PyMethodDef pn_py_optim_methods[] = {
    {"schedule_value", py_schedule_value, METH_VARARGS,
     "schedule_value((kind, params), step): a learning-rate schedule's value at step."},
    {NULL, NULL, 0, NULL}};

struct pn_optim *pn_py_optim_get(PyObject *opt)
{
    PyObject *c;
    if (!opt) {
        PyErr_SetString(PyExc_ValueError, "no optimizer given");
        return NULL;
    }
    if (PnOptim_Check(opt)) {
        c = opt;
        Py_INCREF(c);
    } else {
        c = PyObject_GetAttrString(opt, "_c");
        if (!c) return NULL;
        if (c == Py_None) {
            Py_DECREF(c);
            PyErr_Format(PyExc_ValueError,
                         "optimizer %.100s is not built: call optimizer.build(n_params, segment_sizes) "
                         "first", Py_TYPE(opt)->tp_name);
            return NULL;
        }
        if (!PnOptim_Check(c)) {
            PyErr_Format(PyExc_TypeError, "%.100s._c is a %.100s, not a pynn._C.Optim",
                         Py_TYPE(opt)->tp_name, Py_TYPE(c)->tp_name);
            Py_DECREF(c);
            return NULL;
        }
    }
    PnOptim *po = (PnOptim *)c;
    int bad = refresh_state(po) < 0;
    /* The caller holds opt, which holds _c: the handle outlives this reference. */
    Py_DECREF(c);
    return bad ? NULL : &po->o;
}

int pn_py_init_optim(PyObject *m)
{
    if (PyType_Ready(&PnOptim_Type) < 0) return -1;
    Py_INCREF(&PnOptim_Type);
    if (PyModule_AddObject(m, "Optim", (PyObject *)&PnOptim_Type) < 0) {
        Py_DECREF(&PnOptim_Type);
        return -1;
    }
    return 0;
}
