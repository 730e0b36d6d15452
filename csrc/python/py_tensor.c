/* py_tensor.c - pynn.Tensor: a Python handle on one engine node, wrapping NumPy
 * memory without copying; the eager op entry point; grad mode; seeding. */

#include "pyapi.h"

#include <unistd.h> /* sysconf: the physical memory bound of a copy */

/* The Python subclass (pynn.Tensor) that results are created as. */
static PyTypeObject *tensor_class = &PnTensor_Type;

/* ------------------------------------------------------------------ memory glue */

/* Host memory is released under the GIL whoever drops the last node reference. */
static void release_pyobject(void *ctx)
{
    PyGILState_STATE st = PyGILState_Ensure();
    Py_XDECREF((PyObject *)ctx);
    PyGILState_Release(st);
}

static void release_node(void *ctx) { pn_node_decref((pn_node *)ctx); }

static void capsule_release_node(PyObject *cap)
{
    pn_node_decref((pn_node *)PyCapsule_GetPointer(cap, "pynn.node"));
}

PyObject *pn_py_view(pn_node *node, float *ptr, int ndim, const int64_t *shape)
{
    npy_intp dims[PN_MAX_DIMS];
    for (int i = 0; i < ndim; i++) dims[i] = (npy_intp)shape[i];
    PyObject *arr = PyArray_SimpleNewFromData(ndim, dims, NPY_FLOAT32, ptr);
    if (!arr) return NULL;
    /* Values of a read-only tensor are handed out read-only: the memory belongs
     * to an owner that declared it immutable (see the rule on pynn.Tensor). */
    if (ptr == node->data && node->readonly)
        PyArray_CLEARFLAGS((PyArrayObject *)arr, NPY_ARRAY_WRITEABLE);
    PyObject *cap = PyCapsule_New(node, "pynn.node", capsule_release_node);
    if (!cap) {
        Py_DECREF(arr);
        return NULL;
    }
    pn_node_incref(node);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, cap) < 0) {
        Py_DECREF(cap);
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

pn_node *pn_py_tensor_node(PyObject *t)
{
    pn_node *n = ((PnTensor *)t)->node;
    if (!n)
        PyErr_SetString(PyExc_ValueError,
                        "this Tensor was never initialised (made by Tensor.__new__ without "
                        "__init__); create tensors with pynn.Tensor(data)");
    return n;
}

/* Refuses, before any allocation, a float32 copy of arr larger than the machine's
 * physical memory. Such arrays exist without their memory: np.broadcast_to and
 * as_strided views with zero strides have any logical size over a few bytes
 * (a (2**31, 4) view of one float is 32 GiB once copied). Under memory
 * overcommit the malloc could succeed and the copy then thrash or be killed. */
int pn_py_check_copy_fits(PyArrayObject *arr, const char *what)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0; /* unknown: let the allocator decide */
    double physical = (double)pages * (double)page;
    double need = (double)PyArray_SIZE(arr) * (double)sizeof(float);
    if (need <= physical) return 0;
    PyObject *shape = PyObject_GetAttrString((PyObject *)arr, "shape");
    if (!shape) return -1;
    char sizes[96];
    PyOS_snprintf(sizes, sizeof sizes, "%.1f GiB, more than this machine's %.1f GiB",
                  need / 1073741824.0, physical / 1073741824.0);
    PyErr_Format(PyExc_MemoryError,
                 "%s of shape %R would need a float32 copy of %s of memory (a broadcast_to or "
                 "as_strided view holds few values but is copied whole); pass a smaller array",
                 what, shape, sizes);
    Py_DECREF(shape);
    return -1;
}

PyArrayObject *pn_py_as_f32(PyObject *obj, const char *what)
{
    if (PnTensor_Check(obj)) {
        pn_node *n = pn_py_tensor_node(obj);
        return n ? (PyArrayObject *)pn_py_view(n, n->data, n->ndim, n->shape) : NULL;
    }
    if (PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be numeric (an array, a number or a Tensor), got %s",
                     what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyObject *arr = PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
    if (!arr) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s must be a numeric array; could not convert %s", what,
                         Py_TYPE(obj)->tp_name);
        }
        return NULL;
    }
    char kind = PyArray_DESCR((PyArrayObject *)arr)->kind;
    if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f') {
        PyErr_Format(PyExc_TypeError,
                     "%s must have a numeric dtype (bool, int or float); got dtype %R", what,
                     (PyObject *)PyArray_DESCR((PyArrayObject *)arr));
        Py_DECREF(arr);
        return NULL;
    }
    if (PyArray_NDIM((PyArrayObject *)arr) > PN_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "%s has %d dimensions; at most %d are supported", what,
                     PyArray_NDIM((PyArrayObject *)arr), PN_MAX_DIMS);
        Py_DECREF(arr);
        return NULL;
    }
    if (!(PyArray_ISCARRAY_RO((PyArrayObject *)arr) && PyArray_TYPE((PyArrayObject *)arr) == NPY_FLOAT32)
        && pn_py_check_copy_fits((PyArrayObject *)arr, what) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    PyObject *f32 = PyArray_FromArray((PyArrayObject *)arr, PyArray_DescrFromType(NPY_FLOAT32),
                                      NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);
    Py_DECREF(arr);
    return (PyArrayObject *)f32;
}

/* A leaf node over an array's memory, keeping the array alive. A read-only
 * array gives a read-only leaf: its memory is used in place, never written.
 * An ndarray subclass (a layer Variable, a memmap) is held through a plain
 * ndarray view: the node then keeps the memory alive without keeping the
 * subclass object, whose attributes may point back at this very tensor (a
 * Variable caches its Tensor) and would make a cycle that no collector sees. */
static pn_node *leaf_from_array(PyArrayObject *arr)
{
    int64_t shape[PN_MAX_DIMS];
    int nd = PyArray_NDIM(arr);
    for (int i = 0; i < nd; i++) shape[i] = PyArray_DIM(arr, i);
    PyArrayObject *hold = arr;
    if (PyArray_CheckExact(arr)) {
        Py_INCREF(arr);
    } else {
        hold = (PyArrayObject *)PyArray_View(arr, NULL, &PyArray_Type);
        if (!hold) return NULL;
    }
    pn_node *n = pn_leaf_external((float *)PyArray_DATA(hold), nd, shape, release_pyobject, hold);
    if (!n) {
        Py_DECREF(hold);
        pn_py_raise(PN_ENOMEM);
        return NULL;
    }
    n->readonly = !PyArray_ISWRITEABLE(arr);
    return n;
}

/* A new leaf over src's memory (Tensor(t), t.detach()): same values, same
 * read-only mark, no graph. Steals the caller's reference on src. */
static pn_node *leaf_sharing(pn_node *src)
{
    pn_node *leaf = pn_leaf_external(src->data, src->ndim, src->shape, release_node, src);
    if (!leaf) {
        pn_node_decref(src);
        pn_py_raise(PN_ENOMEM);
        return NULL;
    }
    leaf->readonly = src->readonly;
    return leaf;
}

PyObject *pn_py_tensor_wrap(pn_node *node)
{
    PnTensor *t = (PnTensor *)tensor_class->tp_alloc(tensor_class, 0);
    if (!t) {
        pn_node_decref(node);
        return NULL;
    }
    t->node = node;
    return (PyObject *)t;
}

/* A node for any operand: Tensors as they are, everything else converted once. */
static pn_node *node_of(PyObject *obj, const char *what)
{
    if (PnTensor_Check(obj)) {
        pn_node *n = pn_py_tensor_node(obj);
        pn_node_incref(n);
        return n;
    }
    PyArrayObject *arr = pn_py_as_f32(obj, what);
    if (!arr) return NULL;
    pn_node *n = leaf_from_array(arr);
    Py_DECREF(arr);
    return n;
}

/* An op's operand: as node_of, except that a layer weight (pynn.layers.Variable,
   an ndarray subclass) stands for its Tensor, so ops on a custom layer's self.w
   reach the weight's gradient. */
static pn_node *operand_node(PyObject *obj, const char *what)
{
    if (PyArray_Check(obj) && !PyArray_CheckExact(obj)) {
        PyObject *t = PyObject_GetAttrString(obj, "_tensor");
        if (t && PnTensor_Check(t)) {
            pn_node *n = pn_py_tensor_node(t);
            pn_node_incref(n);
            Py_DECREF(t);
            return n;
        }
        Py_XDECREF(t);
        PyErr_Clear();
    }
    if ((PyLong_Check(obj) && !PyLong_CheckExact(obj) && !PyBool_Check(obj)) ||
        (PyFloat_Check(obj) && !PyFloat_CheckExact(obj))) {
        /* a number computed from ops.shape(x)[0] of a traced model (pynn/ops/batch_dim.py):
         * its _tensor is the batch size at every replay, or it raises rather than let
         * `h / n` bake in the traced value; other subclasses (np.float64) have none */
        PyObject *t = PyObject_GetAttrString(obj, "_tensor");
        if (t && PnTensor_Check(t)) {
            pn_node *n = pn_py_tensor_node(t);
            pn_node_incref(n);
            Py_DECREF(t);
            return n;
        }
        Py_XDECREF(t);
        if (!t && !PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_Format(PyExc_ValueError, "%s: %S", what, value ? value : Py_None);
            Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
            return NULL;
        }
        PyErr_Clear();
    }
    return node_of(obj, what);
}

/* ------------------------------------------------------------------ type */

static int Tensor_init(PnTensor *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"data", "requires_grad", NULL};
    PyObject *data;
    int requires_grad = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:Tensor", kwlist, &data, &requires_grad))
        return -1;
    pn_node *n = node_of(data, "Tensor data");
    if (!n) return -1;
    if (PnTensor_Check(data)) { /* Tensor(t): a new leaf sharing t's memory */
        n = leaf_sharing(n);
        if (!n) return -1;
    }
    n->requires_grad = requires_grad;
    pn_node *old = self->node;
    self->node = n;
    pn_node_decref(old);
    return 0;
}

/* ---- garbage collection
 * A Tensor owns one reference on its node; the node may own Python objects
 * (the array whose memory it uses, a host-provided gradient buffer). Those are
 * the Tensor's own references only while it is the node's sole owner: a node
 * shared with other Tensors, graph nodes or NumPy views is reported by none
 * of them (reporting it from each would count one reference several times). */
/* Visits obj and, through plain ndarrays that only the node holds (they are
 * not tracked by the collector themselves), the base each of them holds: for a
 * view of a Variable that owns its memory, that base is the Variable. */
static int visit_held(PyObject *obj, visitproc visit, void *arg)
{
    while (obj) {
        Py_VISIT(obj);
        if (!PyArray_CheckExact(obj) || Py_REFCNT(obj) != 1) break;
        obj = PyArray_BASE((PyArrayObject *)obj);
    }
    return 0;
}

static int Tensor_traverse(PnTensor *self, visitproc visit, void *arg)
{
    pn_node *n = self->node;
    if (n && n->refcount == 1) {
        int rc = 0;
        if (n->release == release_pyobject) rc = visit_held((PyObject *)n->release_ctx, visit, arg);
        if (!rc && n->grad_release == release_pyobject)
            rc = visit_held((PyObject *)n->grad_ctx, visit, arg);
        return rc;
    }
    return 0;
}

static int Tensor_clear(PnTensor *self)
{
    pn_node *n = self->node;
    self->node = NULL;
    pn_node_decref(n);
    return 0;
}

static void Tensor_dealloc(PnTensor *self)
{
    /* (the heap subclass pynn.Tensor's subtype_dealloc drops its type reference) */
    PyObject_GC_UnTrack(self);
    if (self->weakreflist) PyObject_ClearWeakRefs((PyObject *)self);
    Tensor_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static pn_node *need_node(PnTensor *self) { return pn_py_tensor_node((PyObject *)self); }

static PyObject *Tensor_numpy(PnTensor *self, PyObject *unused)
{
    pn_node *n = need_node(self);
    return n ? pn_py_view(n, n->data, n->ndim, n->shape) : NULL;
}

static PyObject *Tensor_array(PnTensor *self, PyObject *args, PyObject *kw)
{
    PyObject *dtype = Py_None, *copy = Py_None;
    static char *kwlist[] = {"dtype", "copy", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwlist, &dtype, &copy)) return NULL;
    PyObject *v = Tensor_numpy(self, NULL);
    if (!v || dtype == Py_None) return v;
    PyObject *r = PyObject_CallMethod(v, "astype", "O", dtype);
    Py_DECREF(v);
    return r;
}

static PyObject *Tensor_backward(PnTensor *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"gradient", NULL};
    PyObject *gradient = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:backward", kwlist, &gradient)) return NULL;
    pn_node *n = need_node(self);
    if (!n) return NULL;
    PyArrayObject *seed = NULL;
    if (gradient != Py_None) {
        seed = pn_py_as_f32(gradient, "gradient");
        if (!seed) return NULL;
        int same = PyArray_NDIM(seed) == n->ndim;
        for (int i = 0; same && i < n->ndim; i++) same = PyArray_DIM(seed, i) == n->shape[i];
        if (!same) {
            char s[128];
            PyErr_Format(PyExc_ValueError, "backward: gradient must have the tensor's shape %s",
                         pn_shape_str(s, n->ndim, n->shape));
            Py_DECREF(seed);
            return NULL;
        }
    } else if (n->size != 1) {
        char s[128];
        PyErr_Format(PyExc_ValueError,
                     "backward() without a gradient needs a scalar (one-element) tensor; this one "
                     "has shape %s",
                     pn_shape_str(s, n->ndim, n->shape));
        return NULL;
    }
    int rc = pn_backward(n, seed ? (const float *)PyArray_DATA(seed) : NULL);
    Py_XDECREF(seed);
    if (rc) return pn_py_raise(rc);
    Py_RETURN_NONE;
}

static PyObject *Tensor_detach(PnTensor *self, PyObject *unused)
{
    pn_node *n = need_node(self);
    if (!n) return NULL;
    pn_node_incref(n);
    pn_node *leaf = leaf_sharing(n);
    return leaf ? pn_py_tensor_wrap(leaf) : NULL;
}

static PyObject *Tensor_get_grad(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    if (!n) return NULL;
    if (!n->grad) Py_RETURN_NONE;
    return pn_py_view(n, n->grad, n->ndim, n->shape);
}

/* Counts every change of where a tensor's gradient lives (bind_grad, t.grad =
 * None): a model whose weights' gradients were bound to its arena at version v
 * finds them still there while the version is v, and skips binding again. */
static unsigned long long grad_bindings;

static void drop_grad(pn_node *n)
{
    grad_bindings++;
    if (n->owns_grad) free(n->grad);
    if (n->grad_release) n->grad_release(n->grad_ctx);
    n->grad = NULL;
    n->grad_cap = 0;
    n->owns_grad = 0;
    n->grad_release = NULL;
    n->grad_ctx = NULL;
}

/* t.grad = None drops the gradient; t.grad = array copies values into it. */
static int Tensor_set_grad(PnTensor *self, PyObject *value, void *c)
{
    pn_node *n = need_node(self);
    if (!n) return -1;
    if (!value || value == Py_None) {
        drop_grad(n);
        return 0;
    }
    PyArrayObject *g = pn_py_as_f32(value, "grad");
    if (!g) return -1;
    if (PyArray_SIZE(g) != n->size) {
        char s[128];
        PyErr_Format(PyExc_ValueError, "grad must have the tensor's shape %s",
                     pn_shape_str(s, n->ndim, n->shape));
        Py_DECREF(g);
        return -1;
    }
    if (!n->grad && pn_node_zero_grad(n)) {
        Py_DECREF(g);
        pn_py_raise(PN_ENOMEM);
        return -1;
    }
    memcpy(n->grad, PyArray_DATA(g), sizeof(float) * (size_t)n->size);
    Py_DECREF(g);
    return 0;
}

static PyObject *Tensor_get_requires_grad(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    return n ? PyBool_FromLong(n->requires_grad) : NULL;
}

static int Tensor_set_requires_grad(PnTensor *self, PyObject *value, void *c)
{
    pn_node *n = need_node(self);
    if (!n) return -1;
    int v = PyObject_IsTrue(value);
    if (v < 0) return -1;
    if (n->op && !v) {
        PyErr_SetString(PyExc_ValueError,
                        "requires_grad can only be switched off on leaf tensors; use detach()");
        return -1;
    }
    n->requires_grad = v;
    return 0;
}

static PyObject *Tensor_get_shape(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    if (!n) return NULL;
    PyObject *t = PyTuple_New(n->ndim);
    for (int i = 0; t && i < n->ndim; i++)
        PyTuple_SET_ITEM(t, i, PyLong_FromLongLong(n->shape[i]));
    return t;
}

static PyObject *Tensor_get_ndim(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    return n ? PyLong_FromLong(n->ndim) : NULL;
}

static PyObject *Tensor_get_size(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    return n ? PyLong_FromLongLong(n->size) : NULL;
}

static PyObject *Tensor_get_is_leaf(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    return n ? PyBool_FromLong(n->op == NULL) : NULL;
}

static PyObject *Tensor_get_op(PnTensor *self, void *c)
{
    pn_node *n = need_node(self);
    if (!n) return NULL;
    if (!n->op) Py_RETURN_NONE;
    return PyUnicode_FromString(n->op->name);
}

/* The value of a one-element tensor for item(), float(), int() and bool();
 * what: the conversion, for the message. NULL with ValueError otherwise. */
static const float *one_value(PnTensor *self, const char *what)
{
    pn_node *n = need_node(self);
    if (!n) return NULL;
    if (n->size != 1) {
        char s[128];
        PyErr_Format(PyExc_ValueError,
                     "%s needs a one-element tensor; this one has shape %s (%lld elements). "
                     "Reduce it first (t.sum(), t.mean()) or use t.numpy()",
                     what, pn_shape_str(s, n->ndim, n->shape), (long long)n->size);
        return NULL;
    }
    return n->data;
}

static PyObject *Tensor_item(PnTensor *self, PyObject *unused)
{
    const float *v = one_value(self, "item()");
    return v ? PyFloat_FromDouble(*v) : NULL;
}

static PyObject *nb_float(PyObject *self)
{
    const float *v = one_value((PnTensor *)self, "float()");
    return v ? PyFloat_FromDouble(*v) : NULL;
}

/* int(t) truncates toward zero, as int(float) and PyTorch do. */
static PyObject *nb_int(PyObject *self)
{
    const float *v = one_value((PnTensor *)self, "int()");
    return v ? PyLong_FromDouble(*v) : NULL;
}

/* bool(t) is the truth of the one value; several values are ambiguous (as in
 * NumPy and PyTorch), so `if t:` never silently means "has rows". */
static int nb_bool(PyObject *self)
{
    const float *v = one_value((PnTensor *)self, "bool() (the truth value of a tensor)");
    return v ? *v != 0.0f : -1;
}

static Py_ssize_t Tensor_len(PnTensor *self)
{
    pn_node *n = need_node(self);
    if (!n) return -1;
    if (n->ndim == 0) {
        PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
        return -1;
    }
    return (Py_ssize_t)n->shape[0];
}

/* ------------------------------------------------------------------ ops */

/* Runs op on inputs with the attributes given by name (kwnames / vals, as
 * vectorcall passes them). */
static PyObject *apply_op(const pn_op *op, PyObject *inputs, PyObject *const *vals,
                          PyObject *kwnames)
{
    PyObject *seq = PySequence_Fast(inputs, "inputs must be a sequence");
    if (!seq) return NULL;
    Py_ssize_t n_in = PySequence_Fast_GET_SIZE(seq);
    if (n_in > PN_MAX_INPUTS) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "%s: at most %d inputs", op->name, PN_MAX_INPUTS);
    }
    pn_node *in[PN_MAX_INPUTS] = {0};
    double f[PN_MAX_FATTR];
    int64_t ia[PN_MAX_IATTR];
    int64_t *iv = NULL, niv = 0;
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < n_in; i++) {
        char what[96];
        snprintf(what, sizeof what, "input %zd of %s", i, op->name);
        in[i] = operand_node(PySequence_Fast_GET_ITEM(seq, i), what);
        if (!in[i]) goto done;
    }
    if (pn_py_attrs(op, vals, kwnames, f, ia, &iv, &niv)) goto done;
    pn_node *out;
    int rc = pn_apply(op, (int)n_in, in, f, PN_MAX_FATTR, ia, PN_MAX_IATTR, iv, niv, &out);
    if (rc) pn_py_raise(rc);
    else result = pn_py_tensor_wrap(out);
done:
    for (Py_ssize_t i = 0; i < n_in; i++) pn_node_decref(in[i]);
    PyMem_Free(iv);
    Py_DECREF(seq);
    return result;
}

/* The one eager entry point: _C.apply(name, inputs, **attrs). */
static PyObject *py_apply(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs != 2 || !PyUnicode_Check(args[0]))
        return PyErr_Format(PyExc_TypeError,
                            "apply(op, inputs, **attrs) takes the op's name (str) and a list of "
                            "inputs, then its attributes by name; got %zd positional arguments",
                            nargs);
    const char *name = PyUnicode_AsUTF8(args[0]);
    if (!name) return NULL;
    const pn_op *op = pn_op_find(name);
    if (!op) return PyErr_Format(PyExc_ValueError, "unknown op '%s'", name);
    return apply_op(op, args[1], args + nargs, kwnames);
}

static PyObject *binop(const char *name, PyObject *a, PyObject *b)
{
    if (!PnTensor_Check(a) && !PnTensor_Check(b)) Py_RETURN_NOTIMPLEMENTED;
    PyObject *inputs = PyTuple_Pack(2, a, b);
    if (!inputs) return NULL;
    PyObject *r = apply_op(pn_op_find(name), inputs, NULL, NULL);
    Py_DECREF(inputs);
    return r;
}

static PyObject *nb_add(PyObject *a, PyObject *b) { return binop("add", a, b); }
static PyObject *nb_sub(PyObject *a, PyObject *b) { return binop("sub", a, b); }
static PyObject *nb_mul(PyObject *a, PyObject *b) { return binop("mul", a, b); }
static PyObject *nb_div(PyObject *a, PyObject *b) { return binop("div", a, b); }
static PyObject *nb_matmul(PyObject *a, PyObject *b) { return binop("matmul", a, b); }

/* t op= x, as in PyTorch: t keeps its identity, its requires_grad and every
 * NumPy view of its memory. The result is computed out of place (without a
 * graph) and copied into t's memory; t's version moves on so that a recorded op
 * that read the old values refuses to run backward. Refused (nothing written):
 *  - t read-only (ValueError);
 *  - t a leaf that requires grad while grad mode is on (the eager SGD update
 *    `W -= lr * W.grad` belongs under pynn.no_grad());
 *  - t made by an op in a graph that requires grad: the graph would need t's
 *    old value and a new node, which an object updated in place cannot be;
 *  - x requires grad while grad mode is on: the result would need a graph node;
 *  - a result shape other than t's (broadcasting may not grow t).
 * While tracing, it is t = t op x instead (see below). */
static PyObject *inplace(const char *name, const char *sym, PyObject *a, PyObject *b)
{
    if (!PnTensor_Check(a)) Py_RETURN_NOTIMPLEMENTED;
    /* While a model is traced, a write into t's memory would be lost: the program
     * replays recorded ops only, so `inputs -= mean` in a layer's call() would vanish
     * from it (keras.io's antirectifier). As in Keras, where a backend tensor in a
     * traced call gets a new tensor from `-=`, the name is rebound to t - x. */
    if (pn_tracing) return binop(name, a, b);
    pn_node *t = pn_py_tensor_node(a);
    if (!t) return NULL;
    char s1[128], s2[128];
    if (t->readonly)
        return PyErr_Format(PyExc_ValueError,
                            "in-place t %s= x: the tensor is read-only (it wraps memory whose "
                            "owner declared it read-only, e.g. a mode='r' memmap or "
                            "np.frombuffer(bytes)); use t = t %s x, or wrap a writable copy",
                            sym, sym);
    if (t->requires_grad && t->op)
        return PyErr_Format(PyExc_RuntimeError,
                            "in-place t %s= x on a tensor made by '%s' in a graph that requires "
                            "grad is not supported (backward needs its old value); use the "
                            "out-of-place form t = t %s x",
                            sym, t->op->name, sym);
    if (t->requires_grad && pn_grad_enabled)
        return PyErr_Format(PyExc_RuntimeError,
                            "a leaf tensor that requires grad is being used in an in-place "
                            "operation (t %s= x); update parameters inside `with "
                            "pynn.no_grad():`, or use the out-of-place form t = t %s x",
                            sym, sym);
    pn_node *in[2] = {t, operand_node(b, "the right-hand side of an in-place op")};
    if (!in[1]) return NULL;
    PyObject *result = NULL;
    if (in[1]->requires_grad && pn_grad_enabled) {
        PyErr_Format(PyExc_RuntimeError,
                     "in-place t %s= x: x requires grad, so the result belongs in a graph, "
                     "which a tensor updated in place cannot join; use t = t %s x (or update "
                     "under pynn.no_grad())",
                     sym, sym);
        goto done;
    }
    pn_node *out = NULL;
    int was = pn_grad_enabled;
    pn_grad_enabled = 0;
    int rc = pn_apply(pn_op_find(name), 2, in, NULL, 0, NULL, 0, NULL, 0, &out);
    pn_grad_enabled = was;
    if (rc) {
        pn_py_raise(rc);
        goto done;
    }
    int same = out->ndim == t->ndim;
    for (int i = 0; same && i < t->ndim; i++) same = out->shape[i] == t->shape[i];
    if (!same) {
        PyErr_Format(PyExc_ValueError,
                     "in-place t %s= x: the result has shape %s but the tensor has shape %s "
                     "(broadcasting may not grow the tensor updated in place)",
                     sym, pn_shape_str(s1, out->ndim, out->shape), pn_shape_str(s2, t->ndim, t->shape));
        pn_node_decref(out);
        goto done;
    }
    memcpy(t->data, out->data, sizeof(float) * (size_t)t->size);
    pn_node_decref(out);
    /* the new values are also those of every leaf made from t (Tensor(t), detach) */
    for (pn_node *m = t; m; m = m->release == release_node ? (pn_node *)m->release_ctx : NULL)
        m->version++;
    Py_INCREF(a);
    result = a;
done:
    pn_node_decref(in[1]);
    return result;
}

static PyObject *nb_iadd(PyObject *a, PyObject *b) { return inplace("add", "+", a, b); }
static PyObject *nb_isub(PyObject *a, PyObject *b) { return inplace("sub", "-", a, b); }
static PyObject *nb_imul(PyObject *a, PyObject *b) { return inplace("mul", "*", a, b); }
static PyObject *nb_idiv(PyObject *a, PyObject *b) { return inplace("div", "/", a, b); }

/* The Python subclass supplies pow and neg through these hooks (they need
 * the unary op family); see pynn/tensor.py. */
static PyObject *call_hook(PyObject *self, const char *hook, PyObject *arg)
{
    return arg ? PyObject_CallMethod(self, hook, "O", arg) : PyObject_CallMethod(self, hook, NULL);
}
static PyObject *nb_neg(PyObject *a) { return call_hook(a, "_neg", NULL); }
static PyObject *nb_pow(PyObject *a, PyObject *b, PyObject *mod)
{
    if (!PnTensor_Check(a)) Py_RETURN_NOTIMPLEMENTED;
    return call_hook(a, "_pow", b);
}

static PyNumberMethods tensor_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_sub,
    .nb_multiply = nb_mul,
    .nb_true_divide = nb_div,
    .nb_matrix_multiply = nb_matmul,
    .nb_negative = nb_neg,
    .nb_power = nb_pow,
    .nb_inplace_add = nb_iadd,
    .nb_inplace_subtract = nb_isub,
    .nb_inplace_multiply = nb_imul,
    .nb_inplace_true_divide = nb_idiv,
    .nb_float = nb_float,
    .nb_int = nb_int,
    .nb_bool = nb_bool,
};

static PySequenceMethods tensor_as_sequence = {.sq_length = (lenfunc)Tensor_len};

static PyObject *py_check_copy_fits(PyObject *self, PyObject *args)
{
    PyArrayObject *arr;
    const char *what;
    if (!PyArg_ParseTuple(args, "O!s", &PyArray_Type, &arr, &what)) return NULL;
    if (pn_py_check_copy_fits(arr, what) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef tensor_methods[] = {
    {"numpy", (PyCFunction)Tensor_numpy, METH_NOARGS,
     "A NumPy view of the values (no copy); it stays valid after the tensor is gone."},
    {"__array__", (PyCFunction)(void (*)(void))Tensor_array, METH_VARARGS | METH_KEYWORDS, NULL},
    {"backward", (PyCFunction)(void (*)(void))Tensor_backward, METH_VARARGS | METH_KEYWORDS,
     "Accumulates d(self)/d(leaf) into the .grad of every leaf with requires_grad.\n"
     "gradient: the seed (same shape as self); optional for one-element tensors."},
    {"detach", (PyCFunction)Tensor_detach, METH_NOARGS,
     "A new leaf sharing this tensor's memory, outside the graph."},
    {"item", (PyCFunction)Tensor_item, METH_NOARGS, "The value of a one-element tensor."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef tensor_getset[] = {
    {"grad", (getter)Tensor_get_grad, (setter)Tensor_set_grad,
     "Gradient as a NumPy view (None before backward).", NULL},
    {"requires_grad", (getter)Tensor_get_requires_grad, (setter)Tensor_set_requires_grad, NULL,
     NULL},
    {"shape", (getter)Tensor_get_shape, NULL, NULL, NULL},
    {"ndim", (getter)Tensor_get_ndim, NULL, NULL, NULL},
    {"size", (getter)Tensor_get_size, NULL, NULL, NULL},
    {"is_leaf", (getter)Tensor_get_is_leaf, NULL, NULL, NULL},
    {"op", (getter)Tensor_get_op, NULL, "Name of the op that made this tensor (None for leaves).",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject PnTensor_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynn._C.Tensor",
    .tp_basicsize = sizeof(PnTensor),
    .tp_dealloc = (destructor)Tensor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Engine tensor (see pynn.Tensor for the conversion rule).",
    .tp_traverse = (traverseproc)Tensor_traverse,
    .tp_clear = (inquiry)Tensor_clear,
    .tp_methods = tensor_methods,
    .tp_getset = tensor_getset,
    .tp_as_number = &tensor_as_number,
    .tp_as_sequence = &tensor_as_sequence,
    .tp_init = (initproc)Tensor_init,
    .tp_new = PyType_GenericNew,
    .tp_weaklistoffset = offsetof(PnTensor, weakreflist),
};

/* ------------------------------------------------------------------ module functions */

static PyObject *py_set_tensor_class(PyObject *mod, PyObject *cls)
{
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PnTensor_Type))
        return PyErr_Format(PyExc_TypeError, "expected a subclass of _C.Tensor");
    Py_INCREF(cls);
    tensor_class = (PyTypeObject *)cls;
    Py_RETURN_NONE;
}

static PyObject *py_set_grad_enabled(PyObject *mod, PyObject *arg)
{
    int v = PyObject_IsTrue(arg);
    if (v < 0) return NULL;
    int old = pn_grad_enabled;
    pn_grad_enabled = v;
    return PyBool_FromLong(old);
}

static PyObject *py_is_grad_enabled(PyObject *mod, PyObject *unused)
{
    return PyBool_FromLong(pn_grad_enabled);
}

static PyObject *py_set_seed(PyObject *mod, PyObject *arg)
{
    unsigned long long s = PyLong_AsUnsignedLongLongMask(arg);
    if (PyErr_Occurred()) return NULL;
    pn_rng_seed(s);
    Py_RETURN_NONE;
}

static PyObject *py_random_u64(PyObject *mod, PyObject *unused)
{
    return PyLong_FromUnsignedLongLong(pn_rng_next_u64());
}

/* Points a tensor's gradient at host memory (the model's gradient arena). */
static PyObject *py_bind_grad(PyObject *mod, PyObject *args)
{
    PyObject *t, *a;
    if (!PyArg_ParseTuple(args, "O!O!:bind_grad", &PnTensor_Type, &t, &PyArray_Type, &a)) return NULL;
    pn_node *n = pn_py_tensor_node(t);
    if (!n) return NULL;
    PyArrayObject *arr = (PyArrayObject *)a;
    if (PyArray_TYPE(arr) != NPY_FLOAT32 || !PyArray_IS_C_CONTIGUOUS(arr) ||
        !PyArray_ISWRITEABLE(arr) || PyArray_SIZE(arr) != n->size)
        return PyErr_Format(PyExc_ValueError,
                            "bind_grad needs a writable float32 C-contiguous array of %lld elements",
                            (long long)n->size);
    drop_grad(n);
    Py_INCREF(a);
    n->grad = (float *)PyArray_DATA(arr);
    n->grad_release = release_pyobject;
    n->grad_ctx = a;
    Py_RETURN_NONE;
}

static PyObject *py_grad_binding_version(PyObject *mod, PyObject *unused)
{
    return PyLong_FromUnsignedLongLong(grad_bindings);
}

PyMethodDef pn_py_tensor_methods[] = {
    {"grad_binding_version", py_grad_binding_version, METH_NOARGS,
     "Changes whenever any tensor's gradient is bound elsewhere or dropped."},
    {"apply", (PyCFunction)(void (*)(void))py_apply, METH_FASTCALL | METH_KEYWORDS,
     "apply(op, inputs, **attrs) runs one engine op eagerly; attributes by name "
     "(pynn.ops.describe(op) lists them)."},
    {"_set_tensor_class", py_set_tensor_class, METH_O, NULL},
    {"check_copy_fits", py_check_copy_fits, METH_VARARGS,
     "check_copy_fits(array, what): MemoryError naming `what` when a float32 copy of the "
     "array would exceed physical memory (the boundary's rule for huge broadcast views)."},
    {"set_grad_enabled", py_set_grad_enabled, METH_O, "Returns the previous mode."},
    {"is_grad_enabled", py_is_grad_enabled, METH_NOARGS, NULL},
    {"set_seed", py_set_seed, METH_O, "Seeds the engine's generator."},
    {"random_u64", py_random_u64, METH_NOARGS, "Next 64 bits of the engine's global stream."},
    {"bind_grad", py_bind_grad, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

int pn_py_init_tensor(PyObject *m)
{
    if (PyType_Ready(&PnTensor_Type) < 0) return -1;
    Py_INCREF(&PnTensor_Type);
    if (PyModule_AddObject(m, "Tensor", (PyObject *)&PnTensor_Type) < 0) return -1;
    return 0;
}
