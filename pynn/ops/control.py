"""pynn.ops.control: ``keras.ops``' control flow — cond, switch, while_loop,
fori_loop, scan, map, associative_scan, vectorized_map, vectorize — with the
eager semantics of Keras' torch backend: Python runs the loop or picks the
branch, and every step is engine ops, so gradients flow through what ran.

Inside a model being traced (one program replayed for every batch) a branch
cannot be picked by a value: cond and switch then compute every branch and
select with `where` (the same result, as JAX does under vmap; note that a NaN
in an unselected branch's gradient still propagates); while_loop runs
``maximum_iterations`` masked steps; loops over the leading axis (scan, map,
vectorized_map, vectorize, associative_scan along axis 0) would loop over the
batch, whose length changes, and refuse.

Structures (the carry of a loop, the values of a branch) are nested lists,
tuples and dicts of tensors, as Keras' ``tree``."""
import numbers

import numpy as np

from .. import _C
from .compare import where
from .shape import _tensor, getitem, slice_axis, stack, concatenate
from .layout import flip

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map", "associative_scan",
           "vectorized_map", "vectorize"]


# ------------------------------------------------------------------ structures
def _flatten(s):
    if isinstance(s, (list, tuple)):
        return [leaf for item in s for leaf in _flatten(item)]
    if isinstance(s, dict):
        return [leaf for k in sorted(s) for leaf in _flatten(s[k])]
    return [s]


def _pack(like, leaves):
    """leaves (an iterator or list) in the structure of ``like``."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, (list, tuple)):
            items = [build(i) for i in s]
            return type(s)(items) if not hasattr(s, "_fields") else type(s)(*items)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return next(it)
    return build(like)


def _same_structure(op, a, b):
    fa, fb = _flatten(a), _flatten(b)
    if len(fa) != len(fb) or _pack(a, range(len(fa))) != _pack(b, range(len(fb))):
        raise ValueError(f"{op}: the branches must return the same structure, got {_describe(a)} "
                         f"and {_describe(b)}")
    return fa, fb


def _describe(s):
    return repr(_pack(s, ("tensor" for _ in _flatten(s))))


def _is_tensor(v):
    return isinstance(v, (_C.Tensor, np.ndarray))


def _select(op, pred, values):
    """where(pred, values[0], where(...)) leaf by leaf: pred a list of conditions, one
    per value but the last (the default)."""
    flat = [_flatten(v) for v in values]
    for f, v in zip(flat[1:], values[1:]):
        _same_structure(op, values[0], v)
    out = []
    for leaves in zip(*flat):
        ts = [_tensor(v) for v in leaves]
        if any(t.shape != ts[0].shape for t in ts):
            raise ValueError(f"{op}: inside a model every branch is computed, so their results "
                             f"must have one shape; got {[t.shape for t in ts]}")
        acc = ts[-1]
        for p, t in zip(reversed(pred), reversed(ts[:-1])):
            acc = where(p, t, acc)
        out.append(acc)
    return _pack(values[0], out)


def _scalar(op, pred, what="pred"):
    """A traced condition as a one-element Tensor."""
    t = _tensor(pred)
    if t.size != 1:
        raise ValueError(f"{op}: {what} must be a scalar, got shape {t.shape}")
    return t


# ------------------------------------------------------------------ branches
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``keras.ops.cond``).

    Parameters
    ----------
    pred : bool or scalar Tensor
        The condition.
    true_fn : callable
        Called with no arguments when ``pred`` holds.
    false_fn : callable
        Called otherwise.

    Returns
    -------
    The chosen function's result. Inside a model being traced both run and
    each tensor of the results is selected (they must match in structure and
    shapes).

    Raises
    ------
    ValueError
        A ``pred`` of more than one element; inside a model, branches whose
        results differ in structure or shape.
    TypeError
        A function that is not callable.

    Examples
    --------
    >>> x = pynn.Tensor([1.0, -2.0])
    >>> pynn.ops.cond(pynn.ops.sum(x) > 0, lambda: x * 2, lambda: -x).numpy()
    array([-1.,  2.], dtype=float32)
    """
    for name, fn in (("true_fn", true_fn), ("false_fn", false_fn)):
        if not callable(fn):
            raise TypeError(f"cond: {name} must be callable, got {fn!r}")
    if isinstance(pred, _C.Tensor) and _C.is_tracing():
        p = _scalar("cond", pred)
        return _select("cond", [p], [true_fn(), false_fn()])
    if _is_tensor(pred) and np.size(_tensor(pred).numpy()) != 1:
        raise ValueError(f"cond: pred must be a scalar, got shape {np.shape(pred)}")
    return true_fn() if bool(_tensor(pred).numpy().reshape(()) if _is_tensor(pred) else pred) \
        else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clipped into range (``keras.ops.switch``).

    Parameters
    ----------
    index : int or scalar Tensor
        Which branch; below 0 picks the first, past the end the last.
    branches : sequence of callable
        The branches.
    *operands
        Passed to the chosen branch.

    Returns
    -------
    The branch's result (inside a model being traced: every branch runs and
    the results are selected, as in `cond`).

    Raises
    ------
    ValueError
        No branches, a non-scalar index; inside a model, results that differ
        in structure or shape.
    TypeError
        A branch that is not callable.

    Examples
    --------
    >>> fns = [lambda v: v + 1, lambda v: v * 10]
    >>> pynn.ops.switch(5, fns, pynn.Tensor([2.0])).numpy()
    array([20.], dtype=float32)
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must hold at least one function")
    for i, fn in enumerate(branches):
        if not callable(fn):
            raise TypeError(f"switch: branches[{i}] must be callable, got {fn!r}")
    n = len(branches)
    if isinstance(index, _C.Tensor) and _C.is_tracing():
        k = _C.apply("clip", [_C.apply("round", [_scalar("switch", index, "index")])],
                     x_min=0.0, x_max=float(n - 1))
        preds = [_C.apply("equal", [k, np.float32(i)]) for i in range(n - 1)]
        return _select("switch", preds, [fn(*operands) for fn in branches])
    if _is_tensor(index):
        v = _tensor(index).numpy()
        if v.size != 1:
            raise ValueError(f"switch: index must be a scalar, got shape {v.shape}")
        index = v.reshape(())
    return branches[int(np.clip(int(index), 0, n - 1))](*operands)


# ------------------------------------------------------------------ loops
def _as_tuple(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (``keras.ops.while_loop``).

    Parameters
    ----------
    cond : callable
        Returns a scalar boolean for the current values.
    body : callable
        Returns the next values (the same structure).
    loop_vars : Tensor or tuple or list
        The initial values.
    maximum_iterations : int, optional
        At most this many steps.

    Returns
    -------
    The final values: a tuple when ``loop_vars`` is a tuple or list, else one.
    Inside a model being traced the number of steps cannot depend on the
    data: a condition that does then needs ``maximum_iterations``, and runs
    that many steps, each applied only while the condition still holds.

    Raises
    ------
    ValueError
        A negative ``maximum_iterations``; inside a model, a data-dependent
        condition without ``maximum_iterations``.
    TypeError
        ``cond`` or ``body`` not callable.

    Examples
    --------
    >>> i, s = pynn.ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2), (0, 1.0))
    >>> float(i), float(s)
    (4.0, 16.0)
    """
    for name, fn in (("cond", cond), ("body", body)):
        if not callable(fn):
            raise TypeError(f"while_loop: {name} must be callable, got {fn!r}")
    if maximum_iterations is not None and (not isinstance(maximum_iterations, numbers.Integral)
                                           or maximum_iterations < 0):
        raise ValueError(f"while_loop: maximum_iterations must be an int >= 0, got "
                         f"{maximum_iterations!r}")
    is_seq = isinstance(loop_vars, (list, tuple))
    vars_ = _as_tuple(loop_vars)
    vars_ = _pack(vars_, [_tensor(v) for v in _flatten(vars_)])  # as Keras: tensors
    step = 0
    while maximum_iterations is None or step < maximum_iterations:
        c = cond(*vars_)
        if isinstance(c, _C.Tensor) and _C.is_tracing():
            return _masked_while(cond, body, vars_, c, maximum_iterations, step, is_seq)
        if not bool(_tensor(c).numpy().reshape(()) if _is_tensor(c) else c):
            break
        vars_ = _as_tuple(body(*vars_))
        step += 1
    return vars_ if is_seq else vars_[0]


def _masked_while(cond, body, vars_, c, maximum_iterations, step, is_seq):
    if maximum_iterations is None:
        raise ValueError("while_loop inside a model: the condition depends on the data, so the "
                         "number of steps would change from batch to batch; pass "
                         "maximum_iterations (the loop then runs that many masked steps)")
    active = _scalar("while_loop", c, "the condition")
    for _ in range(step, maximum_iterations):
        new = _as_tuple(body(*vars_))
        vars_ = _select("while_loop", [active], [new, vars_])
        c = cond(*vars_)
        active = _C.apply("mul", [active, _tensor(c) if _is_tensor(c) else np.float32(bool(c))])
    return vars_ if is_seq else vars_[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)`` (``keras.ops.fori_loop``).

    Parameters
    ----------
    lower : int
        First ``i``.
    upper : int
        One past the last ``i``.
    body_fun : callable
        ``body_fun(i, val)`` returns the next value; ``i`` is a Python int.
    init_val : any
        The first value.

    Returns
    -------
    The last value.

    Raises
    ------
    TypeError
        Bounds that are not integers (a Tensor inside a model being traced:
        the count would depend on the data), a ``body_fun`` that is not callable.

    Examples
    --------
    >>> pynn.ops.fori_loop(0, 4, lambda i, v: v + i, np.float32(0)).numpy()
    array(6., dtype=float32)
    """
    if not callable(body_fun):
        raise TypeError(f"fori_loop: body_fun must be callable, got {body_fun!r}")
    bounds = []
    for name, b in (("lower", lower), ("upper", upper)):
        if isinstance(b, _C.Tensor):
            if _C.is_tracing():
                raise TypeError(f"fori_loop inside a model: {name} is a tensor, so the number of "
                                "steps would depend on the data; pass ints")
            b = b.numpy().reshape(())
        if not isinstance(b, (numbers.Integral, np.integer, np.ndarray)) or isinstance(b, bool) \
                or float(b) != int(b):
            raise TypeError(f"fori_loop: {name} must be an int, got {b!r}")
        bounds.append(int(b))
    val = _tensor(init_val) if isinstance(init_val, (numbers.Number, np.ndarray)) else init_val
    for i in range(*bounds):
        val = body_fun(i, val)
    return val


def _no_batch_loop(op):
    if _C.is_tracing():
        raise ValueError(f"{op} inside a model: it loops over axis 0, the batch axis, whose "
                         "length changes from batch to batch; use it eagerly")


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loops ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (``keras.ops.scan``).

    Parameters
    ----------
    f : callable
        ``f(carry, x)`` returns ``(carry, y)``; ``y`` may be None.
    init : Tensor or structure
        The first carry.
    xs : Tensor or structure, optional
        Scanned over axis 0 (each leaf); None: ``x`` is None, ``length`` steps.
    length : int, optional
        The number of steps (default: the leading axis of ``xs``).
    reverse : bool, default False
        Scan from the end (the ``y``s still line up with ``xs``).
    unroll : int or bool, default 1
        Accepted for Keras' signature (the loop runs in Python).

    Returns
    -------
    tuple
        ``(carry, ys)``: the last carry and the ``y``s stacked on a new axis 0
        (zeros shaped like the carry where ``f`` returned None).

    Raises
    ------
    ValueError
        Neither ``xs`` nor ``length``, leaves of ``xs`` of different lengths, a
        bad ``unroll``, a call inside a model being traced.
    TypeError
        ``f`` not callable.

    Examples
    --------
    >>> carry, ys = pynn.ops.scan(lambda c, x: (c + x, c * x), np.float32(0),
    ...                           np.array([1.0, 2.0, 3.0], np.float32))
    >>> float(carry), ys.numpy()
    (6.0, array([0., 2., 9.], dtype=float32))
    """
    if not callable(f):
        raise TypeError(f"scan: f must be callable, got {f!r}")
    if isinstance(unroll, bool) or not isinstance(unroll, numbers.Integral) or unroll < 1:
        if not isinstance(unroll, bool):
            raise ValueError(f"scan: unroll must be a positive int or a bool, got {unroll!r}")
    if xs is None and length is None:
        raise ValueError("scan: pass xs to scan over, or length")
    _no_batch_loop("scan")
    xs_flat = [_tensor(x) for x in _flatten(xs)] if xs is not None else []
    for x in xs_flat:
        if x.ndim == 0:
            raise ValueError("scan: every leaf of xs needs a leading axis to scan over, got a scalar")
    n = int(length) if length is not None else xs_flat[0].shape[0]
    if any(x.shape[0] != n for x in xs_flat):
        raise ValueError(f"scan: the leaves of xs must have length {n} along axis 0, got "
                         f"{[x.shape[0] for x in xs_flat]}")
    init_flat = [_tensor(v) for v in _flatten(init)]
    carry = _pack(init, init_flat)
    ys, order = [], range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = _pack(xs, [getitem(t, i) for t in xs_flat]) if xs is not None else None
        carry, y = f(carry, x)
        ys.append(y if y is not None else [_C.apply("mul", [t, np.float32(0)]) for t in init_flat])
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    leaves = [_flatten(y) for y in ys]
    stacked = [stack([_tensor(step[k]) for step in leaves]) for k in range(len(leaves[0]))]
    return carry, _pack(ys[0], stacked)


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along axis 0, results stacked (``keras.ops.map``).

    Parameters
    ----------
    f : callable
        Takes one slice (a structure like ``xs``).
    xs : Tensor or structure
        Mapped over axis 0 of every leaf.

    Returns
    -------
    Tensor or structure
        ``f``'s results stacked on a new axis 0.

    Raises
    ------
    ValueError
        As `scan`.
    TypeError
        ``f`` not callable.

    Examples
    --------
    >>> pynn.ops.map(lambda r: pynn.ops.sum(r), np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)).numpy()
    array([3., 7.], dtype=float32)
    """
    if not callable(f):
        raise TypeError(f"map: f must be callable, got {f!r}")
    _no_batch_loop("map")
    return scan(lambda _, x: ((), f(x)), (), xs)[1]


def vectorized_map(function, elements):
    """``function`` over the slices of ``elements`` along axis 0, stacked (``keras.ops.vectorized_map``).

    Keras vectorizes (``torch.vmap``); the values are those of `map`, which
    pynn computes slice by slice.

    Parameters
    ----------
    function : callable
        Takes one slice (a structure like ``elements``).
    elements : Tensor or structure
        Mapped over axis 0.

    Returns
    -------
    Tensor or structure

    Raises
    ------
    ValueError
        As `scan`.
    TypeError
        ``function`` not callable.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    >>> pynn.ops.vectorized_map(lambda r: r * r[0], x).numpy()
    array([[ 1.,  2.],
           [ 9., 12.]], dtype=float32)
    """
    if not callable(function):
        raise TypeError(f"vectorized_map: function must be callable, got {function!r}")
    _no_batch_loop("vectorized_map")
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive prefix combination with an associative ``f`` (``keras.ops.associative_scan``).

    ``out[0] = elems[0]``, ``out[i] = f(out[i - 1], elems[i])`` along ``axis``
    (``f`` receives slices of length 1 that keep the axis, and may be called
    on any grouping, as in Keras: it must be associative).

    Parameters
    ----------
    f : callable
        ``f(a, b)`` on structures like ``elems``.
    elems : Tensor or structure
        Leaves of one length along ``axis``.
    reverse : bool, default False
        Combine from the end.
    axis : int, default 0
        The scanned axis.

    Returns
    -------
    Tensor or structure
        Like ``elems``.

    Raises
    ------
    ValueError
        Leaves of different lengths; axis 0 inside a model being traced.
    TypeError
        ``f`` not callable.

    Examples
    --------
    >>> pynn.ops.associative_scan(lambda a, b: a + b, np.array([1.0, 2.0, 3.0], np.float32)).numpy()
    array([1., 3., 6.], dtype=float32)
    """
    if not callable(f):
        raise TypeError(f"associative_scan: f must be callable, got {f!r}")
    flat = [_tensor(e) for e in _flatten(elems)]
    if any(not -e.ndim <= axis < e.ndim for e in flat):
        raise ValueError(f"associative_scan: axis {axis} is out of range for shapes "
                         f"{[e.shape for e in flat]}")
    ax = [axis % e.ndim for e in flat]
    if 0 in ax:
        _no_batch_loop("associative_scan along axis 0")
    n = flat[0].shape[ax[0]]
    if any(e.shape[a] != n for e, a in zip(flat, ax)):
        raise ValueError(f"associative_scan: the leaves must have one length along axis {axis}, "
                         f"got shapes {[e.shape for e in flat]}")
    if reverse:
        flat = [flip(e, a) for e, a in zip(flat, ax)]
    acc = [slice_axis(e, a, 0, 1) for e, a in zip(flat, ax)]
    parts = [[t] for t in acc]
    for i in range(1, n):
        nxt = [slice_axis(e, a, i, i + 1) for e, a in zip(flat, ax)]
        acc = [_tensor(v) for v in _flatten(f(_pack(elems, acc), _pack(elems, nxt)))]
        for p, t in zip(parts, acc):
            p.append(t)
    out = [concatenate(p, axis=a) if n else e for p, a, e in zip(parts, ax, flat)]
    if reverse:
        out = [flip(o, a) for o, a in zip(out, ax)]
    return _pack(elems, out)


# ------------------------------------------------------------------ vectorize
def _parse_signature(signature):
    """'(m,n),(n)->(m)' -> ([('m', 'n'), ('n',)], [('m',)])."""
    import re
    if not isinstance(signature, str) or "->" not in signature:
        raise ValueError(f"vectorize: signature must look like '(m,n),(n)->(m)', got {signature!r}")
    group = r"\(([\w,\s]*)\)"

    def parse(side):
        parts = re.findall(group, side)
        if re.sub(group, "", side).replace(",", "").strip():
            raise ValueError(f"vectorize: signature must look like '(m,n),(n)->(m)', got "
                             f"{signature!r}")
        return [tuple(d.strip() for d in p.split(",") if d.strip()) for p in parts]
    ins, outs = signature.split("->")
    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` made to loop over leading axes, as ``np.vectorize`` (``keras.ops.vectorize``).

    Parameters
    ----------
    pyfunc : callable
        Works on one element (or, with ``signature``, on the core dimensions).
    excluded : set of int or str, optional
        Positions or names of arguments passed through unchanged.
    signature : str, optional
        Core dimensions, NumPy's syntax, e.g. ``"(n),(n)->()"``; default:
        every input is a scalar per call.

    Returns
    -------
    callable
        Broadcasts the loop (non-core) axes of its tensor arguments, calls
        ``pyfunc`` per position and stacks the results (a tuple of outputs
        gives a tuple); eager only (the loop would include the batch axis of
        a model being traced).

    Raises
    ------
    ValueError
        A malformed signature; when called: arguments whose count, core
        dimensions or loop axes do not fit it.
    TypeError
        ``pyfunc`` not callable.

    Examples
    --------
    >>> dot = pynn.ops.vectorize(lambda a, b: pynn.ops.sum(a * b), signature="(n),(n)->()")
    >>> dot(np.ones((2, 3), np.float32), np.array([1.0, 2.0, 3.0], np.float32)).numpy()
    array([6., 6.], dtype=float32)
    """
    if not callable(pyfunc):
        raise TypeError(f"vectorize: pyfunc must be callable, got {pyfunc!r}")
    excluded = set(excluded or ())
    core_in, core_out = _parse_signature(signature) if signature is not None else (None, None)

    def wrapper(*args, **kwargs):
        _no_batch_loop("vectorize")
        pos = [i for i in range(len(args)) if i not in excluded]
        names = [k for k in kwargs if k not in excluded]
        ts = [_tensor(args[i]) for i in pos] + [_tensor(kwargs[k]) for k in names]
        cores = core_in if core_in is not None else [()] * len(ts)
        if len(cores) != len(ts):
            raise ValueError(f"vectorize: the signature names {len(cores)} inputs, got {len(ts)}")
        sizes = {}
        loops = []
        for t, core in zip(ts, cores):
            if t.ndim < len(core):
                raise ValueError(f"vectorize: an input of shape {t.shape} has fewer axes than its "
                                 f"core dimensions {core}")
            for d, n in zip(core, t.shape[t.ndim - len(core):]):
                if sizes.setdefault(d, n) != n:
                    raise ValueError(f"vectorize: core dimension {d!r} is {sizes[d]} and {n}")
            loops.append(t.shape[:t.ndim - len(core)])
        try:
            loop = np.broadcast_shapes(*loops)
        except ValueError:
            raise ValueError(f"vectorize: the loop axes {loops} do not broadcast") from None
        results = []
        for idx in np.ndindex(*loop):
            vals = []
            for t, shape in zip(ts, loops):
                key = tuple(0 if n == 1 else i for i, n in zip(idx[len(idx) - len(shape):], shape))
                vals.append(getitem(t, key) if key else t)
            call_args, call_kwargs = list(args), dict(kwargs)
            for i, v in zip(pos, vals):
                call_args[i] = v
            for k, v in zip(names, vals[len(pos):]):
                call_kwargs[k] = v
            results.append(pyfunc(*call_args, **call_kwargs))
        if not results:
            raise ValueError("vectorize: the loop axes are empty, so there is no call to take "
                             "the output's shape from")
        multi = isinstance(results[0], tuple)
        outs = list(zip(*results)) if multi else [results]
        if core_out is not None and len(core_out) != len(outs):
            raise ValueError(f"vectorize: the signature names {len(core_out)} outputs, pyfunc "
                             f"returned {len(outs)}")
        stacked = []
        for col in outs:
            s = stack([_tensor(v) for v in col])
            stacked.append(_C.apply("reshape", [s], shape=tuple(loop) + tuple(s.shape[1:])))
        return tuple(stacked) if multi else stacked[0]
    return wrapper
