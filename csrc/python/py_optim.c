/* py_optim.c - binding of the C optimizers: the _C.Optim type.
 *
 * Optimizers are looked up by name in the engine's table (core/optim/list.h) and
 * take their hyper-parameters by name (pn_optim_set): nothing here knows which
 * optimizers exist. An Optim owns one pn_optim, its segment table (and tensor
 * shapes when given), the piecewise-schedule tables, the NumPy state arrays (n
 * float32 each, arena layout), the gradient accumulator and the weight table a
 * model binds (bind(): one array per segment, where each weight was born). pynn.optimizers
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
    int64_t *dims;                         /* 2 per segment (last two axes) or NULL */
    PyObject *accum;                       /* float32 ndarray of o.n (gradient accumulation) or NULL */
    PyObject *ema;                         /* float32 ndarray of o.n (use_ema) or NULL */
    PyObject *state[PN_OPTIM_MAX_STATE];   /* float32 ndarrays of o.n */
    PyObject *bound;                       /* tuple of the n_seg weight arrays bound, or NULL */
    float **w_table;                       /* their data pointers (o.w_table): allocated once,
                                              so a loop running in another thread never sees
                                              it freed by a bind */
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
    Py_CLEAR(self->accum);
    Py_CLEAR(self->ema);
    Py_CLEAR(self->bound);
    PyMem_Free(self->w_table);
    PyMem_Free(self->dims);
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
    self->o.accum = NULL;
    if (self->accum) {
        PyArrayObject *a = (PyArrayObject *)self->accum;
        if (PyArray_SIZE(a) != self->o.n || PyArray_TYPE(a) != NPY_FLOAT32 ||
            !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISWRITEABLE(a)) {
            PyErr_SetString(PyExc_RuntimeError, "optimizer gradient accumulator was resized or altered");
            return -1;
        }
        self->o.accum = (float *)PyArray_DATA(a);
    }
    self->o.ema = NULL;
    if (self->ema) {
        PyArrayObject *a = (PyArrayObject *)self->ema;
        if (PyArray_SIZE(a) != self->o.n || PyArray_TYPE(a) != NPY_FLOAT32 ||
            !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISWRITEABLE(a)) {
            PyErr_SetString(PyExc_RuntimeError, "optimizer moving-average (use_ema) array was resized or altered");
            return -1;
        }
        self->o.ema = (float *)PyArray_DATA(a);
    }
    if (self->bound) {
        for (int s = 0; s < self->o.n_seg; s++) {
            PyArrayObject *a = (PyArrayObject *)PyTuple_GET_ITEM(self->bound, s);
            if (PyArray_SIZE(a) != self->o.seg[s + 1] - self->o.seg[s] ||
                PyArray_TYPE(a) != NPY_FLOAT32 || !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISWRITEABLE(a)) {
                PyErr_Format(PyExc_RuntimeError, "optimizer: bound weight %d was resized or made read-only", s);
                return -1;
            }
            self->w_table[s] = (float *)PyArray_DATA(a);
        }
    }
    self->o.w_table = self->bound ? self->w_table : NULL;
    return 0;
}

/* Reads shapes (a sequence of int sequences, one per segment) into 2 dims per
 * segment: the last two axes, (0, last) below rank 2. Sizes must agree. */
static int parse_dims(PnOptim *self, PyObject *shapes)
{
    PyObject *fast = PySequence_Fast(shapes, "Optim: `shapes` must be a sequence of shapes");
    if (!fast) return -1;
    Py_ssize_t ns = PySequence_Fast_GET_SIZE(fast);
    if (ns != self->o.n_seg) {
        PyErr_Format(PyExc_ValueError, "Optim: %zd shapes for %d segments", ns, self->o.n_seg);
        Py_DECREF(fast);
        return -1;
    }
    self->dims = PyMem_Calloc((size_t)(2 * ns + 2), sizeof(int64_t));
    if (!self->dims) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t s = 0; s < ns; s++) {
        PyObject *shp = PySequence_Fast(PySequence_Fast_GET_ITEM(fast, s), "Optim: a shape must be a sequence of ints");
        if (!shp) {
            Py_DECREF(fast);
            return -1;
        }
        Py_ssize_t nd = PySequence_Fast_GET_SIZE(shp);
        long long prod = 1, last = 1, before = 0;
        for (Py_ssize_t d = 0; d < nd; d++) {
            long long v = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(shp, d));
            if ((v == -1 && PyErr_Occurred()) || v < 0) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_ValueError, "Optim: shape %zd has a negative axis", s);
                Py_DECREF(shp);
                Py_DECREF(fast);
                return -1;
            }
            prod = (v && prod > INT64_MAX / v) ? -1 : prod * v;
            before = d == nd - 2 ? v : before;
            last = d == nd - 1 ? v : last;
        }
        Py_DECREF(shp);
        if (prod != self->seg[s + 1] - self->seg[s]) {
            PyErr_Format(PyExc_ValueError, "Optim: shape %zd holds %lld floats but its segment has %lld", s, prod,
                         (long long)(self->seg[s + 1] - self->seg[s]));
            Py_DECREF(fast);
            return -1;
        }
        self->dims[2 * s] = nd >= 2 ? before : 0;
        self->dims[2 * s + 1] = nd >= 1 ? last : prod;
    }
    Py_DECREF(fast);
    self->o.seg_dims = self->dims;
    return 0;
}

/* Optional options: None means "off", as in Keras. */
static int none_is_off(const char *k)
{
    return !strcmp(k, "weight_decay") || !strcmp(k, "clipnorm") || !strcmp(k, "clipvalue") ||
           !strcmp(k, "global_clipnorm") || !strcmp(k, "gradient_accumulation_steps") ||
           !strcmp(k, "ema_overwrite_frequency");
}

static PyObject *Optim_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    const char *kname;
    PyObject *sizes, *shapes = Py_None;
    if (!PyArg_ParseTuple(args, "sO:Optim", &kname, &sizes)) return NULL;
    if (!pn_optim_find(kname)) {
        pn_optim probe;
        pn_optim_init(&probe, kname); /* sets the message listing the known names */
        return pn_py_raise(PN_EVALUE);
    }
    PnOptim *self = (PnOptim *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    pn_optim *o = &self->o;
    pn_optim_init(o, kname);

    /* Hyper-parameters go by name: the optimizer's table entry knows its own,
     * the driver the common ones (pn_optim_set). */
    if (kw) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kw, &pos, &key, &val)) {
            const char *k = PyUnicode_AsUTF8(key);
            if (!k) goto fail;
            if (!strcmp(k, "schedule")) {
                if (parse_schedule(val, &o->sched, &self->sched_tab) < 0) goto fail;
                continue;
            }
            if (!strcmp(k, "shapes")) {
                shapes = val;
                continue;
            }
            int type_ = pn_optim_hyper_type(o, k);
            if (type_ < 0) {
                pn_optim_set(o, k, 0.0); /* the message lists what the optimizer takes */
                pn_py_raise(PN_ETYPE);
                goto fail;
            }
            double d;
            if (val == Py_None && none_is_off(k)) {
                d = 0.0;
            } else if (type_ == PN_HP_BOOL) {
                int b;
                if (as_bool(val, &b) < 0) goto fail;
                d = b;
            } else if (as_double(val, k, &d) < 0) {
                goto fail;
            }
            if (pn_optim_set(o, k, d)) {
                pn_py_raise(PN_EVALUE);
                goto fail;
            }
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
    self->w_table = PyMem_Calloc((size_t)ns + 1, sizeof(float *));
    if (!self->w_table) {
        PyErr_NoMemory();
        goto fail;
    }
    o->n = self->seg[ns];
    if (shapes != Py_None && parse_dims(self, shapes) < 0) goto fail;

    /* Validate the hyper-parameters before allocating state of a size they decide. */
    {
        pn_optim probe = *o;
        probe.n = 0;
        probe.n_seg = 0;
        probe.seg_dims = NULL;
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
    if (o->accum_steps >= 2) {
        self->accum = PyArray_ZEROS(1, &dim, NPY_FLOAT32, 0);
        if (!self->accum) goto fail;
    }
    if (o->use_ema) { /* Keras' "average" variables start at zero */
        self->ema = PyArray_ZEROS(1, &dim, NPY_FLOAT32, 0);
        if (!self->ema) goto fail;
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

/* bind(weights): the weight table the compiled loop steps (pn_optim_step_table):
 * one writable float32 C-contiguous array per segment, of its size, updated in
 * place where it lives. The arrays are kept (a reference each) until the next bind. */
static PyObject *Optim_bind(PnOptim *self, PyObject *weights)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "cannot bind weights while a step is running");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(weights, "bind: weights must be a sequence of arrays");
    if (!fast) return NULL;
    const int ns = self->o.n_seg;
    if (PySequence_Fast_GET_SIZE(fast) != ns) {
        PyErr_Format(PyExc_ValueError, "bind: the optimizer has %d segments, got %zd weights", ns,
                     PySequence_Fast_GET_SIZE(fast));
        Py_DECREF(fast);
        return NULL;
    }
    PyObject *bound = PyTuple_New(ns);
    if (!bound) {
        Py_DECREF(fast);
        return NULL;
    }
    for (int s = 0; s < ns; s++) {
        char what[64];
        snprintf(what, sizeof what, "weight %d", s);
        PyArrayObject *a = param_array(PySequence_Fast_GET_ITEM(fast, s), self->o.seg[s + 1] - self->o.seg[s],
                                       what);
        if (!a) {
            Py_DECREF(bound);
            Py_DECREF(fast);
            return NULL;
        }
        PyTuple_SET_ITEM(bound, s, (PyObject *)a);
    }
    Py_DECREF(fast);
    Py_XSETREF(self->bound, bound);
    if (refresh_state(self) < 0) return NULL;
    Py_RETURN_NONE;
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
    return PyUnicode_FromString(pn_optim_name(&self->o));
}

static PyObject *Optim_get_last_lr(PnOptim *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble(self->o.last_lr);
}

static PyObject *Optim_get_u_product(PnOptim *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble(self->o.scalar[0]);
}

static PyObject *Optim_get_updates(PnOptim *self, void *c)
{
    (void)c;
    return PyLong_FromLongLong((long long)pn_optim_updates(&self->o));
}

static PyObject *Optim_get_ema(PnOptim *self, void *c)
{
    (void)c;
    if (!self->ema) Py_RETURN_NONE;
    Py_INCREF(self->ema);
    return self->ema;
}

static PyObject *Optim_get_accumulator(PnOptim *self, void *c)
{
    (void)c;
    if (!self->accum) Py_RETURN_NONE;
    Py_INCREF(self->accum);
    return self->accum;
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
    {"bind", (PyCFunction)Optim_bind, METH_O,
     "bind(weights): the weight table the compiled loop steps, one array per segment\n"
     "(float32, C-contiguous, writable; updated in place where each lives)."},
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
    {"u_product", (getter)Optim_get_u_product, NULL,
     "the optimizer's scalar state 0 (Nadam's momentum-schedule product)", NULL},
    {"updates", (getter)Optim_get_updates, NULL,
     "updates applied: iterations // gradient_accumulation_steps (Keras' optimizer.iterations)", NULL},
    {"ema", (getter)Optim_get_ema, NULL,
     "the live float32 moving average of the weights (arena layout), None without use_ema", NULL},
    {"accumulator", (getter)Optim_get_accumulator, NULL,
     "the live float32 gradient accumulator (arena layout), None without accumulation", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PnOptim_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynn._C.Optim",
    .tp_basicsize = sizeof(PnOptim),
    .tp_dealloc = (destructor)Optim_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Optim(kind, segment_sizes, **hyper): a C optimizer over a parameter arena.\n"
              "kind: a name of pynn._C.optimizers(). hyper: the optimizer's own arguments by\n"
              "Keras name (see optimizers()), learning_rate, schedule=(kind, params),\n"
              "weight_decay, clipnorm, clipvalue, global_clipnorm, gradient_accumulation_steps,\n"
              "shapes (one shape per segment; needed by optimizers that factor a tensor).",
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

/* optimizers(): {name: {"default_learning_rate": lr, "hyper": {arg: (type, default)}}}
 * straight from the table, so Python can check its classes against it. */
static PyObject *py_optimizers(PyObject *mod, PyObject *noargs)
{
    (void)mod, (void)noargs;
    PyObject *out = PyDict_New();
    if (!out) return NULL;
    for (int i = 0; i < pn_optim_count(); i++) {
        const struct pn_optim_def *d = pn_optim_find(pn_optim_name_at(i));
        PyObject *hyper = PyDict_New();
        if (!hyper) goto fail;
        for (int h = 0; h < pn_optim_n_hyper(d); h++) {
            const pn_hyper_spec *sp = pn_optim_hyper_at(d, h);
            PyObject *v = sp->type == PN_HP_BOOL ? Py_BuildValue("(sO)", "bool", sp->def ? Py_True : Py_False)
                                                 : Py_BuildValue("(sd)", "float", sp->def);
            if (!v || PyDict_SetItemString(hyper, sp->name, v) < 0) {
                Py_XDECREF(v);
                Py_DECREF(hyper);
                goto fail;
            }
            Py_DECREF(v);
        }
        pn_optim probe;
        pn_optim_init(&probe, pn_optim_name_at(i));
        PyObject *entry = Py_BuildValue("{s:d,s:N}", "default_learning_rate", probe.lr, "hyper", hyper);
        if (!entry || PyDict_SetItemString(out, pn_optim_name_at(i), entry) < 0) {
            Py_XDECREF(entry);
            goto fail;
        }
        Py_DECREF(entry);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

PyMethodDef pn_py_optim_methods[] = {
    {"optimizers", py_optimizers, METH_NOARGS,
     "optimizers(): the engine's optimizer table: name -> default learning rate and arguments."},
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
