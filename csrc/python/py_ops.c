/* py_ops.c - op attributes by name: Python keyword arguments checked against
 * an op's descriptor (pn_op.attrs) and written into its node's slots, and
 * _C.describe(), the descriptors as Python dicts. */

#include <string.h>

#include "pyapi.h"

static const char *type_name(pn_attr_type t)
{
    switch (t) {
    case PN_ATTR_INT: return "int";
    case PN_ATTR_FLOAT: return "float";
    case PN_ATTR_BOOL: return "bool";
    case PN_ATTR_ENUM: return "enum";
    case PN_ATTR_INTS: return "ints";
    }
    return "?";
}

/* The names of op's attributes, for an error message ("a, b, c" or "none"). */
static const char *attr_names(const pn_op *op, char *buf, size_t size)
{
    size_t used = 0;
    snprintf(buf, size, "it has none");
    for (const pn_attr *a = op->attrs; a && a->name && used < size; a++) {
        int w = snprintf(buf + used, size - used, "%s%s", a == op->attrs ? "" : ", ", a->name);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

/* One int: a Python int or anything with __index__ (NumPy integers), never a
 * float. A value outside int64 is a bad argument (ValueError naming the op
 * and the attribute), not OverflowError. */
static int one_int(const pn_op *op, const char *what, PyObject *v, int64_t *out)
{
    if (PyFloat_Check(v) || !PyIndex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be an integer, got %.80s %R", op->name, what,
                     Py_TYPE(v)->tp_name, v);
        return -1;
    }
    PyObject *i = PyNumber_Index(v);
    if (!i) return -1;
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (overflow) {
        PyErr_Format(PyExc_ValueError,
                     "%s: %s must be an integer in [-9223372036854775808, "
                     "9223372036854775807], got %R", op->name, what, v);
        return -1;
    }
    if (x == -1 && PyErr_Occurred()) return -1;
    *out = (int64_t)x;
    return 0;
}

static int one_value(const pn_op *op, const pn_attr *a, PyObject *v, double *f, int64_t *ia,
                     int64_t **iv, int64_t *niv)
{
    switch (a->type) {
    case PN_ATTR_FLOAT:
        if (PyFloat_Check(v)) { /* the common case, no call */
            f[a->slot] = PyFloat_AS_DOUBLE(v);
            return 0;
        }
        if (PyUnicode_Check(v) || PyBytes_Check(v) || !PyNumber_Check(v)) {
            PyErr_Format(PyExc_TypeError, "%s: %s must be a float, got %.80s %R", op->name,
                         a->name, Py_TYPE(v)->tp_name, v);
            return -1;
        }
        f[a->slot] = PyFloat_AsDouble(v);
        if (PyErr_Occurred() && PyErr_ExceptionMatches(PyExc_TypeError)) { /* an array of many */
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s: %s must be a float, got %.80s %R", op->name,
                         a->name, Py_TYPE(v)->tp_name, v);
        }
        return PyErr_Occurred() ? -1 : 0;
    case PN_ATTR_INT:
        return one_int(op, a->name, v, &ia[a->slot]);
    case PN_ATTR_BOOL: {
        int64_t x;
        if (v == Py_True || v == Py_False) {
            ia[a->slot] = v == Py_True;
            return 0;
        }
        if (PyArray_IsScalar(v, Bool)) {
            ia[a->slot] = PyObject_IsTrue(v);
            return 0;
        }
        if (PyFloat_Check(v) || !PyIndex_Check(v) || one_int(op, a->name, v, &x) || (x != 0 && x != 1)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s: %s must be a bool, got %.80s %R", op->name,
                         a->name, Py_TYPE(v)->tp_name, v);
            return -1;
        }
        ia[a->slot] = x;
        return 0;
    }
    case PN_ATTR_ENUM: {
        const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
        for (int k = 0; s && a->choices[k]; k++)
            if (strcmp(a->choices[k], s) == 0) {
                ia[a->slot] = k;
                return 0;
            }
        if (PyErr_Occurred()) return -1;
        char c[512];
        PyErr_Format(PyUnicode_Check(v) ? PyExc_ValueError : PyExc_TypeError,
                     "%s: %s must be one of %s, got %R", op->name, a->name,
                     pn_attr_choices_str(a, c, sizeof c), v);
        return -1;
    }
    case PN_ATTR_INTS: {
        if (PyUnicode_Check(v) || PyBytes_Check(v) || !PySequence_Check(v)) {
            PyErr_Format(PyExc_TypeError, "%s: %s must be a sequence of integers, got %.80s %R",
                         op->name, a->name, Py_TYPE(v)->tp_name, v);
            return -1;
        }
        PyObject *s = PySequence_Fast(v, "a sequence");
        if (!s) return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(s);
        int64_t *dst = ia + a->slot;
        if (a->count && n != a->count) {
            Py_DECREF(s);
            PyErr_Format(PyExc_ValueError, "%s: %s must have %d integers, got %zd", op->name,
                         a->name, a->count, n);
            return -1;
        }
        if (!a->count) {
            PyMem_Free(*iv);
            *iv = dst = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
            *niv = n;
            if (!dst) {
                Py_DECREF(s);
                PyErr_NoMemory();
                return -1;
            }
        }
        int bad = 0;
        for (Py_ssize_t i = 0; !bad && i < n; i++) {
            char what[96];
            snprintf(what, sizeof what, "%s[%zd]", a->name, i);
            bad = one_int(op, what, PySequence_Fast_GET_ITEM(s, i), &dst[i]);
        }
        Py_DECREF(s);
        return bad ? -1 : 0;
    }
    }
    return 0;
}

int pn_py_attrs(const pn_op *op, PyObject *const *vals, PyObject *kwnames, double *f,
                int64_t *ia, int64_t **iv, int64_t *niv)
{
    pn_attr_defaults(op, f, ia);
    *iv = NULL;
    *niv = 0;
    Py_ssize_t n = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
        if (!name) return -1;
        const pn_attr *a = pn_attr_find(op, name);
        if (!a) {
            char names[512];
            PyErr_Format(PyExc_TypeError, "%s got an unexpected attribute '%s' (%s%s)", op->name,
                         name, op->attrs && op->attrs->name ? "its attributes: " : "",
                         attr_names(op, names, sizeof names));
            return -1;
        }
        if (one_value(op, a, vals[k], f, ia, iv, niv)) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ describe */

static PyObject *default_of(const pn_attr *a)
{
    switch (a->type) {
    case PN_ATTR_FLOAT: return PyFloat_FromDouble(a->def);
    case PN_ATTR_INT: return PyLong_FromLongLong((long long)a->def);
    case PN_ATTR_BOOL: return PyBool_FromLong(a->def != 0);
    case PN_ATTR_ENUM: return PyUnicode_FromString(a->choices[(int)a->def]);
    case PN_ATTR_INTS: {
        PyObject *t = PyTuple_New(a->count);
        for (int k = 0; t && k < a->count; k++) {
            PyObject *x = PyLong_FromLongLong((long long)a->def);
            if (!x) {
                Py_CLEAR(t);
                break;
            }
            PyTuple_SET_ITEM(t, k, x);
        }
        return t;
    }
    }
    Py_RETURN_NONE;
}

static PyObject *attr_dict(const pn_attr *a)
{
    PyObject *d = Py_BuildValue("{s:s,s:N}", "type", type_name(a->type), "default", default_of(a));
    if (d && a->type == PN_ATTR_ENUM) {
        PyObject *c = PyList_New(0);
        for (int k = 0; c && a->choices[k]; k++) {
            PyObject *s = PyUnicode_FromString(a->choices[k]);
            if (!s || PyList_Append(c, s) < 0) Py_CLEAR(c);
            Py_XDECREF(s);
        }
        if (!c || PyDict_SetItemString(d, "choices", c) < 0) Py_CLEAR(d);
        Py_XDECREF(c);
    }
    if (d && a->type == PN_ATTR_INTS && a->count == 0 && PyDict_SetItemString(d, "count", Py_None) < 0)
        Py_CLEAR(d);
    return d;
}

/* _C.describe(name, **attrs): the op's descriptor; traits for those attributes. */
static PyObject *py_describe(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs == 0) {
        PyObject *l = PyList_New(0);
        for (int i = 0; l && pn_op_at(i); i++) {
            PyObject *s = PyUnicode_FromString(pn_op_at(i)->name);
            if (!s || PyList_Append(l, s) < 0) Py_CLEAR(l);
            Py_XDECREF(s);
        }
        return l;
    }
    if (nargs != 1 || !PyUnicode_Check(args[0]))
        return PyErr_Format(PyExc_TypeError, "describe(name, **attrs): name must be one str");
    const char *name = PyUnicode_AsUTF8(args[0]);
    if (!name) return NULL;
    const pn_op *op = pn_op_find(name);
    if (!op) return PyErr_Format(PyExc_ValueError, "unknown op '%s' (pynn.ops.describe() lists them)", name);
    /* traits for the given attributes: a node holding them and nothing else */
    pn_node node = {0};
    node.op = op;
    int64_t *iv = NULL, niv = 0;
    if (pn_py_attrs(op, args + nargs, kwnames, node.fattr, node.iattr, &iv, &niv)) {
        PyMem_Free(iv);
        return NULL;
    }
    node.iv = iv;
    node.n_iv = niv;
    uint32_t traits = pn_node_traits(&node);
    PyMem_Free(iv);

    PyObject *inputs = PyList_New(0), *attrs = PyDict_New(), *tr = PyList_New(0), *d = NULL;
    if (!inputs || !attrs || !tr) goto done;
    for (const char *const *s = op->inputs; s && *s; s++) {
        PyObject *x = PyUnicode_FromString(*s);
        if (!x || PyList_Append(inputs, x) < 0) {
            Py_XDECREF(x);
            goto done;
        }
        Py_DECREF(x);
    }
    for (const pn_attr *a = op->attrs; a && a->name; a++) {
        PyObject *x = attr_dict(a);
        if (!x || PyDict_SetItemString(attrs, a->name, x) < 0) {
            Py_XDECREF(x);
            goto done;
        }
        Py_DECREF(x);
    }
    for (int i = 0; i < PN_N_TRAITS; i++)
        if (traits & (1u << i)) {
            PyObject *x = PyUnicode_FromString(pn_trait_name(i));
            if (!x || PyList_Append(tr, x) < 0) {
                Py_XDECREF(x);
                goto done;
            }
            Py_DECREF(x);
        }
    d = Py_BuildValue("{s:s,s:O,s:O,s:O,s:O}", "name", op->name, "inputs", inputs, "attrs", attrs,
                      "traits", tr, "differentiable", op->backward ? Py_True : Py_False);
done:
    Py_XDECREF(inputs);
    Py_XDECREF(attrs);
    Py_XDECREF(tr);
    return d;
}

/* Every descriptor's slots lie inside the node's arrays and no two attributes
 * of an op share one: the promise that lets the binding write them blind.
 * Returns the list of problems (empty when sound). */
static PyObject *py_check_descriptors(PyObject *mod, PyObject *unused)
{
    PyObject *l = PyList_New(0);
    for (int i = 0; l && pn_op_at(i); i++) {
        const pn_op *op = pn_op_at(i);
        char fused[PN_MAX_FATTR] = {0}, iused[PN_MAX_IATTR] = {0};
        int ivs = 0;
        for (const pn_attr *a = op->attrs; a && a->name; a++) {
            const char *bad = NULL;
            int lo = a->slot, hi = a->slot + (a->type == PN_ATTR_INTS ? a->count : 1);
            if (a->type == PN_ATTR_INTS && a->count == 0) {
                bad = ivs++ ? "a second variable-length attribute" : NULL;
            } else if (a->type == PN_ATTR_FLOAT) {
                bad = lo < 0 || hi > PN_MAX_FATTR ? "a float slot out of range" : NULL;
                for (int s = lo; !bad && s < hi; s++) bad = fused[s]++ ? "a shared float slot" : NULL;
            } else {
                bad = lo < 0 || hi > PN_MAX_IATTR ? "an int slot out of range" : NULL;
                for (int s = lo; !bad && s < hi; s++) bad = iused[s]++ ? "a shared int slot" : NULL;
            }
            if (!bad && a->type == PN_ATTR_ENUM) {
                int n = 0;
                while (a->choices && a->choices[n]) n++;
                bad = a->def < 0 || a->def >= n ? "an enum default outside its choices" : NULL;
            }
            if (bad) {
                PyObject *s = PyUnicode_FromFormat("%s.%s: %s", op->name, a->name, bad);
                if (!s || PyList_Append(l, s) < 0) Py_CLEAR(l);
                Py_XDECREF(s);
            }
        }
    }
    return l;
}

PyMethodDef pn_py_ops_methods[] = {
    {"describe", (PyCFunction)(void (*)(void))py_describe, METH_FASTCALL | METH_KEYWORDS,
     "describe() lists the op names; describe(name, **attrs) returns the op's descriptor "
     "(traits for those attribute values)."},
    {"_check_descriptors", py_check_descriptors, METH_NOARGS,
     "Problems in the op descriptors' slot layout (empty when sound)."},
    {NULL, NULL, 0, NULL}};
