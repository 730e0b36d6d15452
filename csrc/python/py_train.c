/* py_train.c - binding of the compiled driver: placeholders, programs (a traced
 * graph sorted once) and the epoch loop (a Loop built once per fit, run per
 * epoch with the GIL released). */
#include <time.h>

#include "pyapi.h"
#include "optim.h"
#include "graph.h"
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

/* Floats per sample of a batch-major node: the product of its non-batch axes
 * (bounded by pn_node_set_shape); -1 for a node without a batch axis. */
static int64_t per_sample(const pn_node *x)
{
    if (x->ndim < 1) return -1;
    int64_t per = 1;
    for (int d = 1; d < x->ndim; d++) per *= x->shape[d];
    return per;
}

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

/* The program this thread holds (Program_run / forward keep it while they
 * create the result array, which could run Python code calling back in). */
static _Thread_local pn_program *held_here;

/* Takes the program's lock without ever blocking while holding the GIL: the
 * holder may be a run_loop that needs the GIL back to finish its chunk. A
 * call back into a program this thread already holds is refused (-1, Python
 * error set) instead of deadlocking. */
static int program_acquire(pn_program *p)
{
    if (held_here == p) {
        PyErr_SetString(PyExc_RuntimeError, "this program is already running on this thread "
                        "(a model used from inside its own predict)");
        return -1;
    }
    if (pn_program_trylock(p) != 0) { /* contended: wait with the GIL released */
        Py_BEGIN_ALLOW_THREADS
        pn_program_lock(p);
        Py_END_ALLOW_THREADS
    }
    held_here = p;
    return 0;
}

static void program_release(pn_program *p)
{
    held_here = NULL;
    pn_program_unlock(p);
}

/* Replays the graph on whatever the placeholders hold (batch size b). */
static PyObject *Program_forward(PnProgram *self, PyObject *arg)
{
    long long b = PyLong_AsLongLong(arg);
    if (b == -1 && PyErr_Occurred()) return NULL;
    if (b < 0) return PyErr_Format(PyExc_ValueError, "forward: batch size must be >= 0, got %lld", b);
    if (program_acquire(self->prog) < 0) return NULL;
    int rc = pn_program_set_batch(self->prog, b);
    if (!rc) rc = pn_program_forward(self->prog);
    program_release(self->prog);
    if (rc) return pn_py_raise(rc);
    Py_RETURN_NONE;
}

/* OR of the bits of x - x over n floats read as bytes (NumPy arrays may be
 * unaligned: read through memcpy, the compiler still emits plain loads). x - x
 * is 0 for a finite x and NaN for NaN or infinity, so the result is 0 exactly
 * when every value is finite (no branch per value). */
static uint32_t nonfinite_bits(const char *x, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, x + i * sizeof v, sizeof v);
        float d = v - v;
        uint32_t u;
        memcpy(&u, &d, sizeof u);
        bad |= u;
    }
    return bad;
}

/* Copies n floats from src to dst and returns nonfinite_bits of them, reading
 * src once: chunks small enough that the check reads them back from L1 (a
 * batch of 1024 MNIST rows is 3.2 MB: a check pass and then a copy pass read
 * it twice from L3). */
static uint32_t copy_checking(float *dst, const char *src, size_t n)
{
    enum { CHUNK = 2048 };
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        memcpy(dst + i, src + i * sizeof(float), m * sizeof(float));
        bad |= nonfinite_bits((const char *)(dst + i), m);
    }
    return bad;
}

/* run(inputs, output, check_finite=False): the cheap inference path. Copies each
 * float32 array into its placeholder, replays the graph and returns a new array
 * holding a copy of `output` (a Tensor of the program). One C call, no per-op
 * Python. With check_finite, an input holding NaN or infinity (found while
 * copying it) stops the call before the replay and it returns None: the caller
 * then names the first bad value (pynn.data_adapter.check_finite). */
static PyObject *Program_run(PnProgram *self, PyObject *args)
{
    PyObject *inputs, *out_t;
    int check = 0;
    if (!PyArg_ParseTuple(args, "O!O!|p:run", &PyList_Type, &inputs, &PnTensor_Type, &out_t, &check))
        return NULL;
    pn_program *p = self->prog;
    if (PyList_GET_SIZE(inputs) != p->n_in)
        return PyErr_Format(PyExc_ValueError, "run: %d inputs expected, got %zd", p->n_in,
                            PyList_GET_SIZE(inputs));
    pn_node *o = ((PnTensor *)out_t)->node;
    /* only a node the program computes has a buffer planned for this batch */
    if (!o || !pn_program_has(p, o))
        return PyErr_Format(PyExc_ValueError, "run: the output Tensor is not a node of this program, "
                            "or one it fuses away (a convolution's output only its max pooling "
                            "reads): make it a program output to keep it");
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
    /* Planning, filling the placeholders, replaying and copying the output out
     * form one critical section: a concurrent caller of this program (another
     * thread's predict) cannot resize the buffers in between. */
    if (program_acquire(p) < 0) return NULL;
    int rc = pn_program_set_batch(p, b < 0 ? 0 : b);
    uint32_t bad = 0;
    for (int i = 0; !rc && i < p->n_in; i++) {
        PyArrayObject *arr = (PyArrayObject *)PyList_GET_ITEM(inputs, i);
        size_t n = (size_t)p->inputs[i]->size;
        if (PyArray_SIZE(arr) != p->inputs[i]->size) /* cannot happen after the checks above */
            rc = pn_error(PN_EINTERNAL, "run: input %d holds %lld values, its placeholder %lld", i,
                          (long long)PyArray_SIZE(arr), (long long)p->inputs[i]->size);
        else if (check)
            bad |= copy_checking(p->inputs[i]->data, PyArray_DATA(arr), n);
        else if (n)
            memcpy(p->inputs[i]->data, PyArray_DATA(arr), sizeof(float) * n);
    }
    if (bad) {
        program_release(p);
        Py_RETURN_NONE;
    }
    if (!rc) rc = pn_program_forward(p);
    PyObject *res = NULL;
    if (!rc) {
        npy_intp dims[PN_MAX_DIMS];
        for (int d = 0; d < o->ndim; d++) dims[d] = (npy_intp)o->shape[d];
        res = PyArray_SimpleNew(o->ndim, dims, NPY_FLOAT32);
        if (res && o->size)
            memcpy(PyArray_DATA((PyArrayObject *)res), o->data, sizeof(float) * (size_t)o->size);
    }
    program_release(p);
    if (rc) return pn_py_raise(rc);
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
    /* built here rather than by pn_leaf_new to keep the status: a shape that is
     * too large is a ValueError, one that cannot be allocated a MemoryError */
    pn_node *n = pn_node_new();
    if (!n) return PyErr_NoMemory();
    int rc = pn_node_set_shape(n, (int)nd, shape);
    if (!rc) rc = pn_node_alloc_data(n);
    if (rc) {
        pn_node_decref(n);
        return pn_py_raise(rc);
    }
    memset(n->data, 0, sizeof(float) * (size_t)n->size);
    n->is_placeholder = 1;
    return pn_py_tensor_wrap(n);
}

/* Whether t is computed from a placeholder, i.e. carries the batch axis, whose
 * length changes when a traced program is replayed. A tensor made of weights and
 * constants alone does not: ops may index every axis of it inside a model. */
static PyObject *py_is_batched(PyObject *mod, PyObject *arg)
{
    if (!PnTensor_Check(arg))
        return PyErr_Format(PyExc_TypeError, "is_batched: expected a Tensor, got %s",
                            Py_TYPE(arg)->tp_name);
    pn_node *root = pn_py_tensor_node(arg);
    if (!root) return NULL;
    pn_node **order;
    int n, batched = 0;
    int rc = pn_topo_sort(&root, 1, 0, &order, &n);
    if (rc) return pn_py_raise(rc);
    for (int i = 0; i < n && !batched; i++) batched = order[i]->is_placeholder;
    free(order);
    return PyBool_FromLong(batched);
}

static PyObject *py_set_tracing(PyObject *mod, PyObject *arg)
{
    int v = PyObject_IsTrue(arg);
    if (v < 0) return NULL;
    int old = pn_tracing;
    pn_tracing = v;
    return PyBool_FromLong(old);
}

static PyObject *py_is_tracing(PyObject *mod, PyObject *unused)
{
    return PyBool_FromLong(pn_tracing);
}

static int optim_step_adapter(void *opt, const float *g);

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* ------------------------------------------------------------------ gradient hook */

/* The Python gradient hook (Model._gradient_hook) as the loop's C hook: called
 * with the GIL re-taken, on a NumPy view of the gradient the step will apply
 * (no copy: what the hook writes is applied). An exception is kept here and
 * re-raised unchanged by run_loop. */
typedef struct {
    PyObject *fn;
    pn_program *prog;
    float *grads;          /* the gradient arena, owned by grads_owner */
    PyObject *grads_owner;
    PyObject *other_owner; /* owner of any other gradient buffer (the DP accumulator) */
    PyObject *exc_type, *exc_value, *exc_tb;
} py_hook;

static int py_hook_call(void *ctx, float *g, int64_t n, int64_t rows)
{
    py_hook *h = ctx;
    PyGILState_STATE gil = PyGILState_Ensure();
    npy_intp dim = (npy_intp)n;
    PyObject *res = NULL, *arr = PyArray_SimpleNewFromData(1, &dim, NPY_FLOAT32, g);
    if (arr) {
        PyObject *owner = g == h->grads ? h->grads_owner : h->other_owner;
        Py_INCREF(owner); /* the view keeps the buffer's owner alive */
        if (PyArray_SetBaseObject((PyArrayObject *)arr, owner) < 0) {
            Py_DECREF(arr);
            arr = NULL;
        }
    }
    if (arr) {
        pn_program *was = held_here;
        held_here = h->prog; /* a call back into this program is refused, not deadlocked */
        res = PyObject_CallFunction(h->fn, "OL", arr, (long long)rows);
        held_here = was;
        Py_DECREF(arr);
    }
    int rc = PN_OK;
    if (!res) {
        PyErr_Fetch(&h->exc_type, &h->exc_value, &h->exc_tb);
        rc = pn_error(PN_EINTERRUPT, "the gradient hook raised an exception");
    }
    Py_XDECREF(res);
    PyGILState_Release(gil);
    return rc;
}

/* ------------------------------------------------------------------ Loop */

/* A compiled training (or evaluation, prediction) loop, built once and run
 * epoch after epoch: fit builds one when it starts and closes it when it ends.
 * Building fixes and checks what stays for every epoch -- the program and its
 * loss, slots, statistics and outputs, the optimizer and the arenas, the
 * gradient hook and the per-batch strategy -- so a run only checks its data.
 * The strategy's state (DP-SGD's DPState) is marked busy while a run runs
 * only: between epochs the host may read and set it. */
typedef struct {
    PyObject_HEAD
    pn_loop L;
    PyObject *keep;     /* (program, loss, slots, stats, outputs, optimizer, grads) */
    PyObject *strategy; /* the strategy's state object (a DPState) or NULL */
    py_hook hook;       /* hook.fn: the Python gradient hook or NULL */
    pn_node *slots[MAX_ENDS], *stats[MAX_ENDS], *outs[MAX_ENDS];
    const float *data[MAX_ENDS];
    float *out_data[MAX_ENDS];
    int64_t out_per[MAX_ENDS];
    PyObject *opt;      /* the optimizer (borrowed from keep), re-resolved per run */
    int open;           /* built and not closed */
    int running;        /* a run is in progress (another run or close is refused) */
} PnLoop;

/* Drops every reference (the loop is closed). */
static void loop_release(PnLoop *self)
{
    self->open = 0;
    Py_CLEAR(self->strategy);
    Py_CLEAR(self->hook.fn);
    Py_CLEAR(self->keep);
    self->opt = NULL;
}

/* GC: the program's Tensors, the optimizer and the hook can all lead back to
 * the model that fit built this loop for. */
static int Loop_traverse(PnLoop *self, visitproc visit, void *arg)
{
    Py_VISIT(self->keep);
    Py_VISIT(self->strategy);
    Py_VISIT(self->hook.fn);
    return 0;
}

static int Loop_clear(PnLoop *self)
{
    loop_release(self);
    return 0;
}

static void Loop_dealloc(PnLoop *self)
{
    PyObject_GC_UnTrack(self);
    loop_release(self);
    Py_XDECREF(self->hook.exc_type);
    Py_XDECREF(self->hook.exc_value);
    Py_XDECREF(self->hook.exc_tb);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The pn_optim of the optimizer, its state pointers refreshed (state arrays may
 * have been replaced since the last run, e.g. by set_weights on the optimizer),
 * checked against the arena. NULL with a Python error. */
static pn_optim *loop_optim(PnLoop *self)
{
    pn_optim *o = pn_py_optim_get(self->opt);
    if (o && o->n != self->L.n_params) {
        /* the step walks the optimizer's own arena length: it must match */
        PyErr_Format(PyExc_ValueError, "run_loop: the optimizer was built for %lld parameters, the "
                     "gradient arena holds %lld", (long long)o->n, (long long)self->L.n_params);
        return NULL;
    }
    if (o && !o->w_table && o->n_seg > 0) {
        PyErr_Format(PyExc_ValueError, "run_loop: the optimizer has no weights bound (Optim.bind)");
        return NULL;
    }
    return o;
}

static int loop_setup(PnLoop *self, PyObject *prog_obj, PyObject *loss_obj, PyObject *slots_obj,
                      PyObject *stats_obj, PyObject *outs_obj, int train, PyObject *opt_obj,
                      PyObject *grads_obj, int stop_on_nan,
                      PyObject *strategy_obj, PyObject *hook_obj)
{
    pn_loop *L = &self->L;
    memset(L, 0, sizeof *L);
    L->prog = ((PnProgram *)prog_obj)->prog;
    L->train = train;
    L->stop_on_nan = stop_on_nan;
    if (loss_obj != Py_None) {
        if (!PnTensor_Check(loss_obj)) {
            PyErr_Format(PyExc_TypeError, "loss must be a Tensor");
            return -1;
        }
        L->loss = ((PnTensor *)loss_obj)->node;
    }
    if ((L->n_data = nodes_of(slots_obj, self->slots, MAX_ENDS, "slots")) < 0) return -1;
    if ((L->n_stats = nodes_of(stats_obj, self->stats, MAX_ENDS, "stats")) < 0) return -1;
    if ((L->n_out = nodes_of(outs_obj, self->outs, MAX_ENDS, "outputs")) < 0) return -1;
    /* Every node the loop writes or reads per batch must belong to the program
     * (so set_batch plans it) and the slots must be its placeholders (so they
     * grow to the batch): anything else is written past its buffer. */
    for (int s = 0; s < L->n_data; s++) {
        int found = 0;
        for (int i = 0; i < L->prog->n_in && !found; i++) found = L->prog->inputs[i] == self->slots[s];
        if (!found) {
            PyErr_Format(PyExc_ValueError, "run_loop: slot %d is not an input of the program", s);
            return -1;
        }
    }
    for (int k = 0; k < L->n_stats; k++)
        if (!pn_program_has(L->prog, self->stats[k])) {
            PyErr_Format(PyExc_ValueError, "run_loop: statistic %d is not a node of the program", k);
            return -1;
        }
    for (int k = 0; k < L->n_out; k++)
        if (!pn_program_has(L->prog, self->outs[k])) {
            PyErr_Format(PyExc_ValueError, "run_loop: output %d is not a node of the program", k);
            return -1;
        }
    if (L->loss && !pn_program_has(L->prog, L->loss)) {
        PyErr_Format(PyExc_ValueError, "run_loop: the loss is not a node of the program");
        return -1;
    }
    if (train && !L->loss) {
        PyErr_Format(PyExc_ValueError, "run_loop: training needs a loss");
        return -1;
    }
    L->slots = self->slots;
    L->stats = self->stats;
    L->outs = self->outs;
    L->data = self->data;
    L->out_data = self->out_data;
    L->out_per = self->out_per;
    if (train) {
        if (check_f32(grads_obj, "grads") < 0) return -1;
        L->grads = PyArray_DATA((PyArrayObject *)grads_obj);
        L->n_params = PyArray_SIZE((PyArrayObject *)grads_obj);
        if (opt_obj != Py_None) {
            self->opt = opt_obj;
            if (!(L->opt = loop_optim(self))) return -1;
            L->step = optim_step_adapter;
        }
    }
    /* held from here: what the loop points into lives as long as the loop */
    self->keep = Py_BuildValue("(OOOOOOO)", prog_obj, loss_obj, slots_obj, stats_obj, outs_obj,
                               opt_obj, grads_obj);
    if (!self->keep) return -1;
    if (hook_obj != Py_None) {
        if (!PyCallable_Check(hook_obj)) {
            PyErr_Format(PyExc_TypeError, "run_loop: gradient_hook must be callable, got %.100s",
                         Py_TYPE(hook_obj)->tp_name);
            return -1;
        }
        if (!train) {
            PyErr_Format(PyExc_ValueError, "run_loop: gradient_hook needs train=True");
            return -1;
        }
        Py_INCREF(hook_obj);
        self->hook.fn = hook_obj;
        self->hook.prog = L->prog;
        self->hook.grads = L->grads;
        self->hook.grads_owner = grads_obj;
        self->hook.other_owner = strategy_obj;
        L->hook = py_hook_call;
        L->hook_ctx = &self->hook;
    }
    /* the per-batch strategy: plain, or the one of a strategy object (the
     * DPState of DP-SGD, py_dp.c: every batch becomes a DP step); acquired
     * here to check it, and again by every run */
    const pn_loop_strategy *strategy = NULL;
    void *strategy_state = NULL;
    if (strategy_obj != Py_None) {
        if (!train || !L->step || !L->loss) {
            PyErr_Format(PyExc_ValueError, "run_loop: DP-SGD needs train=True, a loss and an optimizer");
            return -1;
        }
        strategy = pn_py_strategy_acquire(strategy_obj, L->n_params, &strategy_state);
        if (!strategy) return -1;
        pn_py_strategy_release(strategy_obj);
        Py_INCREF(strategy_obj);
        self->strategy = strategy_obj;
    }
    int rc = pn_loop_build(L, strategy, strategy_state);
    if (rc) {
        pn_py_raise(rc);
        return -1;
    }
    self->open = 1;
    return 0;
}

/* Fills the run's part of the loop: data arrays (one per slot, same number of
 * rows, a row the slot's per-sample size), order, accumulators, output arrays. */
static int loop_set_data(PnLoop *self, PyObject *data_obj, PyObject *perm_obj, long long batch_size,
                         PyObject *acc_obj, PyObject *outarr_obj)
{
    pn_loop *L = &self->L;
    if (batch_size < 1) {
        PyErr_Format(PyExc_ValueError, "run_loop: batch_size must be >= 1, got %lld", batch_size);
        return -1;
    }
    L->batch_size = batch_size;
    if (!PyList_Check(data_obj) || PyList_GET_SIZE(data_obj) != L->n_data) {
        PyErr_Format(PyExc_ValueError, "run_loop: one data array per slot expected");
        return -1;
    }
    L->n_samples = -1;
    for (int s = 0; s < L->n_data; s++) {
        PyObject *a = PyList_GET_ITEM(data_obj, s);
        if (check_f32(a, "training data") < 0) return -1;
        PyArrayObject *arr = (PyArrayObject *)a;
        int64_t rows = PyArray_NDIM(arr) ? PyArray_DIM(arr, 0) : 0;
        int64_t per = per_sample(self->slots[s]);
        if (rows && PyArray_SIZE(arr) / rows != per) {
            PyErr_Format(PyExc_ValueError,
                         "run_loop: data array %d has %lld values per sample, the graph expects %lld",
                         s, (long long)(PyArray_SIZE(arr) / rows), (long long)per);
            return -1;
        }
        if (L->n_samples >= 0 && rows != L->n_samples) {
            PyErr_Format(PyExc_ValueError, "run_loop: data arrays differ in length");
            return -1;
        }
        L->n_samples = rows;
        self->data[s] = PyArray_DATA(arr);
    }
    if (L->n_samples < 0) L->n_samples = 0;
    L->perm = NULL;
    if (perm_obj != Py_None) {
        if (!PyArray_Check(perm_obj) || PyArray_TYPE((PyArrayObject *)perm_obj) != NPY_INT64 ||
            !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)perm_obj) ||
            PyArray_SIZE((PyArrayObject *)perm_obj) != L->n_samples) {
            PyErr_Format(PyExc_ValueError, "run_loop: perm must be int64 of length n_samples");
            return -1;
        }
        const int64_t *p = PyArray_DATA((PyArrayObject *)perm_obj);
        for (int64_t i = 0; i < L->n_samples; i++)
            if (p[i] < 0 || p[i] >= L->n_samples) {
                PyErr_Format(PyExc_ValueError, "run_loop: perm holds an out-of-range index");
                return -1;
            }
        L->perm = p;
    }
    int64_t acc_need = 0;
    for (int k = 0; k < L->n_stats; k++) acc_need += self->stats[k]->size;
    L->acc = NULL;
    L->n_acc = 0;
    if (L->n_stats) {
        if (!PyArray_Check(acc_obj) || PyArray_TYPE((PyArrayObject *)acc_obj) != NPY_FLOAT64 ||
            !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)acc_obj) ||
            !PyArray_ISWRITEABLE((PyArrayObject *)acc_obj) ||
            PyArray_SIZE((PyArrayObject *)acc_obj) < acc_need) {
            PyErr_Format(PyExc_ValueError, "run_loop: acc must be float64 with %lld values",
                         (long long)acc_need);
            return -1;
        }
        L->acc = PyArray_DATA((PyArrayObject *)acc_obj);
        L->n_acc = PyArray_SIZE((PyArrayObject *)acc_obj);
    }
    if (!PyList_Check(outarr_obj) || PyList_GET_SIZE(outarr_obj) != L->n_out) {
        PyErr_Format(PyExc_ValueError, "run_loop: one output array per output expected");
        return -1;
    }
    for (int k = 0; k < L->n_out; k++) {
        PyObject *a = PyList_GET_ITEM(outarr_obj, k);
        if (check_f32(a, "output array") < 0) return -1;
        int64_t per = per_sample(self->outs[k]);
        if (per < 0 || (per && L->n_samples > PN_SIZE_MAX / per) ||
            PyArray_SIZE((PyArrayObject *)a) != per * L->n_samples) {
            PyErr_Format(PyExc_ValueError, "run_loop: output array %d has the wrong size", k);
            return -1;
        }
        self->out_data[k] = PyArray_DATA((PyArrayObject *)a);
        self->out_per[k] = per;
    }
    return 0;
}

/* Runs batches [first, first + count) on the run's data. The GIL is released
 * while batches run and re-taken every ~50 ms to honour Ctrl-C at a batch
 * boundary. -> (loss_sum, loss_count, batches_done, interrupted) */
static PyObject *loop_run(PnLoop *self, long long first, long long count)
{
    pn_loop *L = &self->L;
    if (first < 0 || count < 0)
        return PyErr_Format(PyExc_ValueError, "run_loop: first and count must be >= 0");
    if (L->step && !(L->opt = loop_optim(self))) return NULL;
    int rc = pn_loop_begin(L);
    if (rc) return pn_py_raise(rc);
    int64_t total = 0;
    int past_end = 0;
    while (total < count && !past_end) {
        int64_t done = 0;
        double t0 = now_seconds();
        Py_BEGIN_ALLOW_THREADS
        /* One batch at a time holds the program (see Program_run): each batch
         * plans, gathers, replays and copies out under the lock, so threads
         * sharing the program interleave whole batches. At least one batch runs
         * per slice: a thread descheduled for 50 ms before its first batch must
         * not take "no batch done" for the end of the data (that returned
         * unwritten outputs under load). */
        do {
            int64_t one = 0;
            pn_program_lock(L->prog);
            rc = pn_loop_run(L, first + total + done, 1, &one);
            pn_program_unlock(L->prog);
            done += one;
            if (!rc && one == 0) past_end = 1;
            if (rc || one == 0) break;
        } while (total + done < count && now_seconds() - t0 < 0.05);
        Py_END_ALLOW_THREADS
        total += done;
        if (rc) {
            py_hook *h = &self->hook;
            if (h->exc_type) { /* the hook's own exception, unchanged */
                PyErr_Restore(h->exc_type, h->exc_value, h->exc_tb);
                h->exc_type = h->exc_value = h->exc_tb = NULL;
                return NULL;
            }
            return pn_py_raise(rc);
        }
        if (past_end) break;
        if (PyErr_CheckSignals() < 0) {
            /* Ctrl-C: stop at this batch boundary (weights and sums are
             * consistent) and let Python finish its bookkeeping, then re-raise. */
            if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) return NULL;
            PyErr_Clear();
            return Py_BuildValue("(ddLO)", L->loss_sum, L->loss_count, (long long)total, Py_True);
        }
    }
    return Py_BuildValue("(ddLO)", L->loss_sum, L->loss_count, (long long)total, Py_False);
}

/* One run with the data pointers set for it only (they are not kept: the next
 * run gives its own). */
static PyObject *loop_run_on(PnLoop *self, PyObject *data, PyObject *perm, long long batch_size,
                             long long first, long long count, PyObject *acc, PyObject *outs)
{
    if (!self->open)
        return PyErr_Format(PyExc_ValueError, "Loop.run: the loop is closed");
    if (self->running || held_here == self->L.prog) /* see program_acquire: waiting would deadlock */
        return PyErr_Format(PyExc_RuntimeError, "run_loop: this program is already running on this thread");
    if (loop_set_data(self, data, perm, batch_size, acc, outs) < 0) return NULL;
    void *state;
    if (self->strategy && !pn_py_strategy_acquire(self->strategy, self->L.n_params, &state))
        return NULL;
    self->running = 1;
    PyObject *res = loop_run(self, first, count);
    self->running = 0;
    if (self->strategy) pn_py_strategy_release(self->strategy);
    return res;
}

static PyObject *Loop_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"program", "loss", "slots", "stats", "outputs", "train", "optimizer",
                             "grads", "stop_on_nan", "strategy", "gradient_hook", NULL};
    PyObject *prog_obj, *loss_obj = Py_None, *slots_obj, *stats_obj = NULL, *outs_obj = NULL,
                        *opt_obj = Py_None, *grads_obj = Py_None,
                        *strategy_obj = Py_None, *hook_obj = Py_None;
    int train = 0, stop_on_nan = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OO|$OOpOOpOO:Loop", kwlist, &PnProgram_Type,
                                     &prog_obj, &loss_obj, &slots_obj, &stats_obj, &outs_obj, &train,
                                     &opt_obj, &grads_obj, &stop_on_nan, &strategy_obj,
                                     &hook_obj))
        return NULL;
    PyObject *empty = PyTuple_New(0);
    if (!empty) return NULL;
    PnLoop *self = (PnLoop *)type->tp_alloc(type, 0);
    if (self && loop_setup(self, prog_obj, loss_obj, slots_obj, stats_obj ? stats_obj : empty,
                           outs_obj ? outs_obj : empty, train, opt_obj, grads_obj,
                           stop_on_nan, strategy_obj, hook_obj) < 0)
        Py_CLEAR(self);
    Py_DECREF(empty);
    return (PyObject *)self;
}

static PyObject *Loop_run(PnLoop *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"data", "batch_size", "first", "count", "perm", "acc", "out_arrays", NULL};
    PyObject *data, *perm = Py_None, *acc = Py_None, *outs = NULL;
    long long batch_size, first, count;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OLLL|$OOO!:run", kwlist, &data, &batch_size, &first,
                                     &count, &perm, &acc, &PyList_Type, &outs))
        return NULL;
    PyObject *none = NULL;
    if (!outs && !(outs = none = PyList_New(0))) return NULL;
    PyObject *res = loop_run_on(self, data, perm, batch_size, first, count, acc, outs);
    Py_XDECREF(none);
    return res;
}

static PyObject *Loop_close(PnLoop *self, PyObject *unused)
{
    if (self->running)
        return PyErr_Format(PyExc_RuntimeError, "Loop.close: the loop is running (close it after run returns)");
    loop_release(self);
    Py_RETURN_NONE;
}

static PyObject *Loop_enter(PyObject *self, PyObject *unused)
{
    Py_INCREF(self);
    return self;
}

static PyObject *Loop_exit(PnLoop *self, PyObject *args)
{
    PyObject *res = Loop_close(self, NULL);
    if (!res) return NULL;
    Py_DECREF(res);
    Py_RETURN_FALSE; /* an exception leaving the with block goes on */
}

static PyObject *Loop_closed(PnLoop *self, void *unused)
{
    return PyBool_FromLong(!self->open);
}

static PyMethodDef loop_methods[] = {
    {"run", (PyCFunction)(void (*)(void))Loop_run, METH_VARARGS | METH_KEYWORDS,
     "run(data, batch_size, first, count, *, perm=None, acc=None, out_arrays=None) -> "
     "(loss_sum, loss_count, batches_done, interrupted): batches [first, first + count) of an "
     "epoch over `data` (one float32 array per slot), in C with the GIL released."},
    {"close", (PyCFunction)Loop_close, METH_NOARGS,
     "Releases the loop and what it holds (program, optimizer, arenas, hook, strategy state); idempotent."},
    {"__enter__", Loop_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Loop_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef loop_getset[] = {
    {"closed", (getter)Loop_closed, NULL, "Whether close() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PnLoop_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynn._C.Loop",
    .tp_basicsize = sizeof(PnLoop),
    .tp_dealloc = (destructor)Loop_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Loop_traverse,
    .tp_clear = (inquiry)Loop_clear,
    .tp_doc = "Loop(program, loss, slots, *, stats=(), outputs=(), train=False, optimizer=None, "
              "grads=None, stop_on_nan=False, strategy=None, gradient_hook=None): "
              "the compiled epoch loop, built once (fit: once per fit) and run per epoch.",
    .tp_methods = loop_methods,
    .tp_getset = loop_getset,
    .tp_new = Loop_new,
};

/* run_loop(program, loss, slots, data, perm, batch_size, first, count, train,
 *          optimizer, grads, stats, acc, outs, out_arrays, stop_on_nan[, dp],
 *          *, gradient_hook=None)
 * -> (loss_sum, loss_count, batches_done, interrupted): a Loop built, run once
 * and closed (the engine's one-shot form, for tests and tools). */
static PyObject *py_run_loop(PyObject *mod, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                             "", "gradient_hook", NULL};
    PyObject *prog_obj, *loss_obj, *slots_obj, *data_obj, *perm_obj, *opt_obj,
        *grads_obj, *stats_obj, *acc_obj, *outs_obj, *outarr_obj, *dp_obj = Py_None,
        *hook_obj = Py_None;
    long long batch_size, first, count;
    int train, stop_on_nan;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OOOOLLLpOOOOOOp|O$O:run_loop", kwlist,
                                     &PnProgram_Type, &prog_obj, &loss_obj, &slots_obj, &data_obj,
                                     &perm_obj, &batch_size, &first, &count, &train, &opt_obj,
                                     &grads_obj, &stats_obj, &acc_obj, &outs_obj,
                                     &outarr_obj, &stop_on_nan, &dp_obj, &hook_obj))
        return NULL;
    if (held_here == ((PnProgram *)prog_obj)->prog) /* see program_acquire: waiting would deadlock */
        return PyErr_Format(PyExc_RuntimeError, "run_loop: this program is already running on this thread");
    PnLoop *loop = (PnLoop *)PnLoop_Type.tp_alloc(&PnLoop_Type, 0);
    if (!loop) return NULL;
    PyObject *res = NULL;
    if (loop_setup(loop, prog_obj, loss_obj, slots_obj, stats_obj, outs_obj, train, opt_obj,
                   grads_obj, stop_on_nan, dp_obj, hook_obj) == 0)
        res = loop_run_on(loop, data_obj, perm_obj, batch_size, first, count, acc_obj, outarr_obj);
    loop_release(loop);
    Py_DECREF(loop);
    return res;
}

/* all_finite(a): whether a float32 C-contiguous array holds no NaN or infinity.
 * The data checks of predict / fit ran np.isfinite(a).all(): two ufunc calls
 * and a temporary bool array, ~1.5 us for one sample (a third of a small
 * model's predict) and a pass of memory for a large one. One pass here. */
static PyObject *py_all_finite(PyObject *self, PyObject *a)
{
    (void)self;
    if (check_f32(a, "all_finite: the array") < 0) return NULL;
    /* bytes, read through memcpy: NumPy arrays may be unaligned (a float read
     * there is undefined behaviour); the compiler still emits plain loads */
    return PyBool_FromLong(nonfinite_bits(PyArray_DATA((PyArrayObject *)a),
                                          (size_t)PyArray_SIZE((PyArrayObject *)a)) == 0);
}

PyMethodDef pn_py_train_methods[] = {
    {"all_finite", py_all_finite, METH_O,
     "Whether a float32 C-contiguous array holds no NaN or infinity."},
    {"placeholder", py_placeholder, METH_O, "A graph input owning its buffer (first axis: batch)."},
    {"is_batched", py_is_batched, METH_O, "Whether a Tensor is computed from a placeholder."},
    {"set_tracing", py_set_tracing, METH_O, "Keep every edge while tracing; returns the previous mode."},
    {"is_tracing", py_is_tracing, METH_NOARGS, "Whether a model is being traced into a program."},
    {"run_loop", (PyCFunction)(void (*)(void))py_run_loop, METH_VARARGS | METH_KEYWORDS,
     "Runs batches of an epoch in C."},
    {NULL, NULL, 0, NULL}};

int pn_py_init_train(PyObject *m)
{
    if (PyType_Ready(&PnProgram_Type) < 0 || PyType_Ready(&PnLoop_Type) < 0) return -1;
    Py_INCREF(&PnProgram_Type);
    if (PyModule_AddObject(m, "Program", (PyObject *)&PnProgram_Type) < 0) return -1;
    Py_INCREF(&PnLoop_Type);
    return PyModule_AddObject(m, "Loop", (PyObject *)&PnLoop_Type);
}

/* ------------------------------------------------------------------ optimizer glue */
static int optim_step_adapter(void *opt, const float *g)
{
    return pn_optim_step_table((pn_optim *)opt, g);
}
