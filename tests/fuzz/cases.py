"""The fuzz targets: one Hypothesis strategy per part of the public API, each
drawing a Case (kind, name, params) that `run` executes. Parameters are drawn
from the signatures (inspect), so a new op, layer or optimizer is fuzzed
without touching this file."""
import inspect

import numpy as np
from hypothesis import strategies as st

from .values import (ArraySpec, any_float, any_int, arrays, attr, like_default, make, rare,
                     small_int)

KINDS = ("op", "tensor", "layer", "model", "optimizer", "file")
# "selftest" cases crash, hang or leak an internal error on purpose: the tests
# of the harness use them to show that it counts what it must count
SELFTEST = ("segfault", "hang", "struct_error", "clear")


class Case:
    def __init__(self, kind, name, params):
        self.kind, self.name, self.params = kind, name, params

    def __repr__(self):
        return f"{self.kind}:{self.name} {self.params!r}"


def _public(module, pred):
    return sorted(n for n in dir(module) if not n.startswith("_") and pred(getattr(module, n)))


def op_names():
    import pynn.ops as ops
    skip = {"convert", "activations", "elementwise", "reduce", "shape", "losses", "conv", "pool",
            "norm", "rnn", "embedding", "attention", "dense", "fused_activations"}
    return [n for n in _public(ops, lambda f: callable(f) and not inspect.ismodule(f))
            if n not in skip and not n.isupper()]


def layer_names():
    import pynn.layers as L
    from pynn.layers.base import Layer
    return [n for n in _public(L, lambda c: isinstance(c, type) and issubclass(c, Layer))
            if n not in ("Layer", "InputLayer")]


def optimizer_names():
    import pynn.optimizers as O
    return [n for n in _public(O, lambda c: isinstance(c, type) and issubclass(c, O.Optimizer))
            if n != "Optimizer"]


# parameters that take tensors (by name), lists of tensors, and shapes
TENSOR_PARAMS = {"x", "a", "b", "y_true", "y_pred", "kernel", "recurrent_kernel", "bias", "gamma",
                 "beta", "moving_mean", "moving_variance", "query", "key", "value", "ids",
                 "table", "indices", "mask", "initial_state", "sample_weight", "dropout_mask",
                 "recurrent_dropout_mask", "x_min", "x_max", "exponent"}
LIST_PARAMS = {"tensors"}
SHAPE_PARAMS = {"shape", "target_shape", "axes", "dims"}


_HOW = st.sampled_from(["same", "ones", "suffix", "other"])
_BITS = st.integers(0, 2 ** 6 - 1)
_OTHER = st.lists(st.integers(0, 5), max_size=4)
_I4, _I3, _I2 = st.integers(0, 3), st.integers(0, 2), st.integers(0, 1)


@st.composite
def _related(draw, base):
    """A shape related to `base`: equal, broadcastable, a suffix, or unrelated."""
    how = draw(_HOW)
    if how == "same":
        return list(base)
    if how == "ones":
        bits = draw(_BITS)
        return [d if bits >> i & 1 else 1 for i, d in enumerate(base)]
    if how == "suffix":
        return list(base[draw(_BITS) % (len(base) + 1):])
    return draw(_OTHER)


_ANY_ARRAY = arrays()


@st.composite
def _tensor_arg(draw, base):
    spec = draw(arrays(shape=draw(_related(base)))) if draw(_I4) else draw(_ANY_ARRAY)
    if isinstance(spec, ArraySpec) and draw(_I3) == 0:
        return ("Tensor", spec, draw(st.booleans()))  # wrapped as pynn.Tensor
    return spec


_SIGNATURES = {}


def _signature(fn):
    if fn not in _SIGNATURES:
        try:
            _SIGNATURES[fn] = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            _SIGNATURES[fn] = []
    return _SIGNATURES[fn]


_SHAPE_ARG = rare(st.lists(small_int, max_size=4).map(tuple), attr, 4)
_DEFAULT_STRATEGIES = {}


def _like_default(default):
    key = (type(default), repr(default))
    if key not in _DEFAULT_STRATEGIES:
        _DEFAULT_STRATEGIES[key] = like_default(default)
    return _DEFAULT_STRATEGIES[key]


@st.composite
def _signature_args(draw, fn, base, skip=()):
    args, kwargs = [], {}
    for p in _signature(fn):
        if p.name in ("self", *skip) or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is p.empty
        if not required and draw(_I3) == 0:
            continue  # leave the default
        if p.name in TENSOR_PARAMS:
            v = draw(_tensor_arg(base)) if required or draw(st.booleans()) else None
        elif p.name in LIST_PARAMS:
            v = [draw(_tensor_arg(base)) for _ in range(draw(_I4))]
        elif p.name in SHAPE_PARAMS:
            v = draw(_SHAPE_ARG)
        elif required:
            v = draw(attr)
        else:
            v = draw(_like_default(p.default))
        if required and p.kind != p.KEYWORD_ONLY:
            args.append(v)
        else:
            kwargs[p.name] = v
    return args, kwargs


_BASE_SHAPE = st.lists(st.integers(1, 5), min_size=0, max_size=4)


def _cached(make_names):
    box = []

    def get():
        if not box:
            box.append(st.sampled_from(make_names()))
        return box[0]
    return get


_OP_NAMES = _cached(lambda: op_names())
_LAYER_NAMES = _cached(lambda: layer_names())


@st.composite
def op_cases(draw):
    import pynn.ops as ops
    name = draw(_OP_NAMES())
    args, kwargs = draw(_signature_args(getattr(ops, name), draw(_BASE_SHAPE)))
    return Case("op", name, {"args": args, "kwargs": kwargs, "backward": draw(st.booleans())})


TENSOR_METHODS = ["numpy", "sum", "mean", "max", "min", "std", "var", "reshape", "transpose",
                  "T", "getitem", "add", "sub", "mul", "truediv", "matmul", "pow", "neg_op",
                  "backward", "item", "clip", "softmax", "exp", "log", "sqrt", "relu", "tanh",
                  "sigmoid", "abs", "flatten", "detach", "setitem_numpy", "bool", "len", "iter",
                  "float", "repr", "eq", "lt"]


@st.composite
def tensor_cases(draw):
    spec = draw(arrays(max_rank=4))
    method = draw(st.sampled_from(TENSOR_METHODS))
    pick = draw(_I4)
    other = draw(arrays(shape=draw(_related(getattr(spec, "shape", ()))))) if pick == 0 else \
        draw((any_float, any_int, attr)[pick - 1])
    return Case("tensor", method, {"x": spec, "requires_grad": draw(st.booleans()),
                                   "other": other, "axis": draw(attr),
                                   "key": draw(rare(small_int, attr | any_int, 3))})


# per-sample input ranks the layers expect, to reach past the rank check most times
LAYER_RANK = {"Conv1D": 2, "Conv2D": 3, "LSTM": 2, "GRU": 2, "SimpleRNN": 2, "Bidirectional": 2,
              "MaxPooling1D": 2, "MaxPooling2D": 3, "AveragePooling1D": 2, "AveragePooling2D": 3,
              "MaxPool1D": 2, "MaxPool2D": 3, "AvgPool1D": 2, "AvgPool2D": 3,
              "GlobalAveragePooling1D": 2, "GlobalAveragePooling2D": 3, "GlobalMaxPooling1D": 2,
              "GlobalMaxPooling2D": 3, "GlobalAvgPool1D": 2, "GlobalAvgPool2D": 3,
              "GlobalMaxPool1D": 2, "GlobalMaxPool2D": 3, "UpSampling1D": 2, "UpSampling2D": 3,
              "ZeroPadding1D": 2, "ZeroPadding2D": 3, "Cropping1D": 2, "Cropping2D": 3,
              "MultiHeadAttention": 2}
MULTI_INPUT = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
               "Dot", "MultiHeadAttention"}
REQUIRED_INT = {"units", "filters", "num_heads", "key_dim", "input_dim", "output_dim", "size",
                "kernel_size", "pool_size", "n"}


@st.composite
def layer_cases(draw):
    import pynn.layers as L
    name = draw(_LAYER_NAMES())
    cls = getattr(L, name)
    kwargs = {}
    for p in _signature(cls.__init__):
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is p.empty
        if not required and draw(_I4):
            continue
        if p.name == "layer":
            v = draw(_INNER_LAYER)
        elif p.name in REQUIRED_INT:
            v = draw(_UNITS)
        elif p.name in SHAPE_PARAMS or p.name in ("shape", "axis", "padding", "cropping",
                                                   "strides"):
            v = draw(_LAYER_SHAPE)
        elif required:
            v = draw(attr)
        else:
            v = draw(_like_default(p.default))
        kwargs[p.name] = v
    rank = LAYER_RANK.get(name, 1 + draw(_I3))
    if draw(_I4) == 0:
        rank = draw(_I4) + draw(_I2)  # wrong rank on purpose
    batch = draw(_BATCH)
    shape = [batch] + [1 + draw(_I4) for _ in range(rank)]
    n_inputs = 1 + draw(_I3) if name in MULTI_INPUT else 1
    inputs = [draw(arrays(shape=shape if draw(_I3) else draw(_related(shape))))
              for _ in range(n_inputs)]
    return Case("layer", name, {"kwargs": kwargs, "inputs": inputs, "then": draw(_THEN)})


_INNER_LAYER = st.sampled_from(["LSTM(2)", "GRU(3, return_sequences=True)", "Dense(2)",
                                "not a layer"])
_UNITS = rare(st.integers(1, 4), any_int | attr, 4)
_LAYER_SHAPE = rare(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), attr, 3)
_BATCH = rare(st.integers(1, 3), st.sampled_from([0, 1]), 6)
_THEN = st.sampled_from(["none", "config", "weights", "symbolic", "training"])


LOSSES = ["mse", "mae", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy", "huber", "hinge", None, "nope", 3]
METRICS = [None, [], ["accuracy"], ["mae"], ["auc"], ["f1_score"], "accuracy", ["nope"], [3],
           ["precision", "recall"]]


@st.composite
def model_cases(draw):
    n = draw(rare(st.integers(1, 12), st.sampled_from([0, 1]), 8))
    out = draw(st.sampled_from([1, 3]))
    x = ArraySpec([n, 4]) if draw(_I3) else draw(arrays(shape=draw(_related([n, 4]))))
    y = ArraySpec([n, out], fill="ints" if out == 3 else "randn") if draw(_I3) else \
        draw(arrays(shape=draw(_related([n, out]))))
    method = draw(st.sampled_from(["fit", "fit", "predict", "evaluate", "train_on_batch",
                                   "predict_on_batch", "call"]))
    odd = st.sampled_from([None, 0, -1, 1, 2, 2 ** 63, 1.5, float("nan"), "8", True, [], 10 ** 20])
    kw = {}
    for key, strat in [("batch_size", rare(st.integers(1, 8), odd, 3)),
                       ("epochs", rare(st.integers(1, 2), st.sampled_from([0, -1, 1.5, None, "2"]),
                                       4)),
                       ("verbose", st.sampled_from([0, 0, 0, 2, "auto", -1, "loud", None])),
                       ("validation_split", st.sampled_from([0.0, 0.25, 0.5, 1.0, -1.0,
                                                             float("nan"), "x"])),
                       ("shuffle", st.sampled_from([True, False, "batch", None, 2])),
                       ("class_weight", st.sampled_from([None, {0: 1.0, 1: 2.0}, {0: float("nan")},
                                                        {"a": 1}, [1, 2], {0: "x"}, {2 ** 70: 1}])),
                       ("sample_weight", st.one_of(st.none(), arrays(shape=[n]))),
                       ("initial_epoch", st.sampled_from([0, 1, -1, 5, 1.5])),
                       ("steps_per_epoch", st.sampled_from([None, 1, 0, -1, 2 ** 40])),
                       ("validation_data", st.one_of(st.none(), st.tuples(arrays(), arrays()),
                                                     st.just("bad"))),
                       ("callbacks", st.sampled_from([None, [], "x", [3], [None]])),
                       ("steps", st.sampled_from([None, 1, 0, -1]))]:
        if draw(st.integers(0, 3)) == 0:
            kw[key] = draw(strat)
    return Case("model", method, {
        "n_out": out, "loss": draw(st.sampled_from(LOSSES)),
        "metrics": draw(st.sampled_from(METRICS)),
        "optimizer": draw(st.sampled_from(["sgd", "adam", "rmsprop", "nope", None, 3])),
        "x": x, "y": y, "kwargs": kw, "functional": draw(st.booleans())})


@st.composite
def optimizer_cases(draw):
    import pynn.optimizers as O
    name = draw(st.sampled_from(optimizer_names()))
    args, kwargs = draw(_signature_args(getattr(O, name).__init__, [2], skip=("name",)))
    return Case("optimizer", name, {"args": args, "kwargs": kwargs,
                                    "use": draw(st.sampled_from(["fit", "apply", "config"]))})


def file_cases(corpus):
    """Loads of the hostile-file corpus (a list of paths), and configs mutated by Hypothesis."""
    from .corpus import mutated_configs
    fixed = st.builds(lambda p, how: Case("file", how, {"path": p}), st.sampled_from(corpus),
                      st.sampled_from(["load_model", "load_weights", "word_vectors", "idx"]))
    return st.one_of(fixed, mutated_configs())


def strategy(kinds, corpus):
    if kinds and all(k.startswith("selftest-") for k in kinds):  # e.g. "selftest-hang"
        names = [k.split("-", 1)[1] for k in kinds]
        return st.sampled_from(names).map(lambda n: Case("selftest", n, {}))
    table = {"op": op_cases(), "tensor": tensor_cases(), "layer": layer_cases(),
             "model": model_cases(), "optimizer": optimizer_cases(),
             "file": file_cases(corpus) if corpus else None}
    return st.one_of([table[k] for k in kinds if table[k] is not None])


# ---------------------------------------------------------------- execution
def _tensorize(value, ctx):
    import pynn
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "Tensor":
        arr = make(value[1], ctx)
        return ctx.call(pynn.Tensor, arr, requires_grad=value[2])
    if isinstance(value, list):
        return [_tensorize(v, ctx) for v in value]
    return make(value, ctx)


def run(case, ctx):
    """Executes a case; every public call goes through ctx.call (counted)."""
    return RUNNERS[case.kind](case, ctx)


def _run_op(case, ctx):
    import pynn
    fn = getattr(pynn.ops, case.name)
    args = [_tensorize(a, ctx) for a in case.params["args"]]
    kwargs = {k: _tensorize(v, ctx) for k, v in case.params["kwargs"].items()}
    out = ctx.call(fn, *args, **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    for o in outs:
        if isinstance(o, pynn.Tensor):
            ctx.call(o.numpy)
            if case.params["backward"] and o.requires_grad:
                ctx.call(pynn.ops.sum(o).backward)


def _run_tensor(case, ctx):
    import operator
    import pynn
    p = case.params
    t = ctx.call(pynn.Tensor, make(p["x"], ctx), requires_grad=p["requires_grad"])
    other = make(p["other"], ctx)
    m = case.name
    binary = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
              "truediv": operator.truediv, "matmul": operator.matmul, "pow": operator.pow,
              "eq": operator.eq, "lt": operator.lt}
    if m in binary:
        r = ctx.call(binary[m], t, other)
        if isinstance(r, pynn.Tensor) and r.requires_grad:
            ctx.call(r.sum().backward)
    elif m in ("sum", "mean", "max", "min", "std", "var", "softmax"):
        ctx.call(getattr(t, m), p["axis"])
    elif m == "reshape":
        ctx.call(t.reshape, p["axis"])
    elif m == "transpose":
        ctx.call(t.transpose, p["axis"])
    elif m == "T":
        ctx.call(lambda: t.T)
    elif m == "neg_op":
        ctx.call(operator.neg, t)
    elif m == "getitem":
        ctx.call(operator.getitem, t, p["key"])
    elif m == "setitem_numpy":
        arr = ctx.call(t.numpy)
        if arr.size:
            arr.reshape(-1)[0] = 1  # the rule in help(pynn.Tensor) must hold: no crash
    elif m == "clip":
        ctx.call(t.clip, other, p["axis"])
    elif m == "backward":
        ctx.call(t.backward)
    elif m == "iter" and t.ndim and t.shape[0] > 1000:
        ctx.call(len, t)  # (iterating 2**31 rows is slow by nature, not a bug)
    elif m in ("bool", "len", "iter", "float", "repr"):
        ctx.call({"bool": bool, "len": len, "iter": lambda v: list(iter(v)), "float": float,
                  "repr": repr}[m], t)
    else:
        ctx.call(getattr(t, m))


def _make_layer(name, kwargs, ctx):
    import pynn.layers as L
    kwargs = dict(kwargs)
    inner = {"LSTM(2)": lambda: L.LSTM(2),
             "GRU(3, return_sequences=True)": lambda: L.GRU(3, return_sequences=True),
             "Dense(2)": lambda: L.Dense(2)}
    if kwargs.get("layer") in inner:
        kwargs["layer"] = inner[kwargs["layer"]]()
    return ctx.call(getattr(L, name), **kwargs)


def _run_layer(case, ctx):
    import pynn
    p = case.params
    layer = _make_layer(case.name, p["kwargs"], ctx)
    inputs = [make(a, ctx) for a in p["inputs"]]
    x = inputs if len(inputs) > 1 else inputs[0]
    then = p["then"]
    if then == "symbolic":
        shapes = [np.shape(a)[1:] for a in inputs]
        sym = [ctx.call(pynn.Input, shape=s) for s in shapes]
        out = ctx.call(layer, sym if len(sym) > 1 else sym[0])
        ctx.call(pynn.Model, sym if len(sym) > 1 else sym[0], out)
        return
    out = ctx.call(layer, x, training=(then == "training"))
    if then == "config":
        ctx.call(type(layer).from_config, ctx.call(layer.get_config))
    elif then == "weights":
        ctx.call(layer.set_weights, ctx.call(layer.get_weights))
    if isinstance(out, pynn.Tensor):
        ctx.call(out.numpy)


def _small_model(n_out, functional):
    import pynn
    if functional:
        x = pynn.Input(shape=(4,))
        return pynn.Model(x, pynn.layers.Dense(n_out)(pynn.layers.Dense(5, activation="relu")(x)))
    return pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(5, activation="relu"),
                            pynn.layers.Dense(n_out)])


def _run_model(case, ctx):
    p = case.params
    model = _small_model(p["n_out"], p["functional"])
    x, y = make(p["x"], ctx), make(p["y"], ctx)
    kw = make(p["kwargs"], ctx)
    m = case.name
    if m in ("predict", "call", "predict_on_batch"):
        kw = {k: v for k, v in kw.items() if k in ("batch_size", "verbose", "steps", "callbacks")}
        if m == "call":
            ctx.call(model, x)
        elif m == "predict":
            ctx.call(model.predict, x, **kw)
        else:
            ctx.call(model.predict_on_batch, x)
        return
    ctx.call(model.compile, optimizer=p["optimizer"], loss=p["loss"], metrics=p["metrics"])
    if m == "fit":
        kw.pop("steps", None)
        ctx.call(model.fit, x, y, **kw)
    elif m == "evaluate":
        kw = {k: v for k, v in kw.items()
              if k in ("batch_size", "verbose", "sample_weight", "steps", "callbacks")}
        ctx.call(model.evaluate, x, y, **kw)
    else:
        ctx.call(getattr(model, m), x, y)


def _run_optimizer(case, ctx):
    import pynn
    import pynn.optimizers as O
    p = case.params
    args = [_tensorize(a, ctx) for a in p["args"]]
    kwargs = {k: _tensorize(v, ctx) for k, v in p["kwargs"].items()}
    opt = ctx.call(getattr(O, case.name), *args, **kwargs)
    if p["use"] == "config":
        ctx.call(type(opt).from_config, ctx.call(opt.get_config))
    elif p["use"] == "apply":
        t = pynn.Tensor(np.ones((3,), np.float32), requires_grad=True)
        (t * t).sum().backward()
        ctx.call(opt.apply, [t.grad], [t])
    else:
        model = _small_model(1, False)
        ctx.call(model.compile, optimizer=opt, loss="mse")
        ctx.call(model.fit, np.ones((8, 4), np.float32), np.ones((8, 1), np.float32),
                 batch_size=4, epochs=1, verbose=0)


def _run_file(case, ctx):
    import pynn
    path = case.params["path"]
    if case.name == "mutated":
        path = ctx.write_mutated(case.params)
    if case.name in ("load_model", "mutated"):
        ctx.call(pynn.load_model, path)
    elif case.name == "load_weights":
        ctx.call(ctx.weights_model().load_weights, path)
    elif case.name == "word_vectors":
        from pynn.text import load_word_vectors
        ctx.call(load_word_vectors, path, ["a", "the", "b"])
    else:
        from pynn.datasets import fashion_mnist
        ctx.call(fashion_mnist._read_idx, path, 3)


def _run_selftest(case, ctx):
    import ctypes
    import struct
    import time
    if case.name == "segfault":
        ctx.call(ctypes.string_at, 0)
    elif case.name == "hang":
        ctx.call(time.sleep, 3600)
    elif case.name == "struct_error":
        ctx.call(struct.unpack, ">I", b"")
    else:
        ctx.call(int, "not a number")


RUNNERS = {"selftest": _run_selftest, "op": _run_op, "tensor": _run_tensor, "layer": _run_layer, "model": _run_model,
           "optimizer": _run_optimizer, "file": _run_file}
