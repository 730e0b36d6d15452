"""Op descriptors (issue 11): every engine op declares its inputs, its attributes
by name, type and default, and its traits; Python passes attributes by name and
the engine refuses wrong ones; every differentiable op has a gradient test."""
import ast
import math
import pathlib

import numpy as np
import pytest

import pynn
from pynn import _C, ops

TESTS = pathlib.Path(__file__).resolve().parent
TYPES = {"int", "float", "bool", "enum", "ints"}
TRAITS = {"rowwise", "stochastic", "has_params", "broadcast", "loss", "linear", "affine"}
NAMES = ops.describe()


# ------------------------------------------------------------ every op is described
def test_every_registered_op_is_described():
    assert len(NAMES) == len(set(NAMES)) > 70
    assert {"dense", "conv2d", "lstm", "dropout", "batch_norm", "softmax", "huber"} <= set(NAMES)
    for name in NAMES:
        d = ops.describe(name)
        assert set(d) == {"name", "inputs", "attrs", "traits", "differentiable"}, name
        assert d["name"] == name
        assert d["inputs"] and all(isinstance(i, str) and i for i in d["inputs"]), name
        assert set(d["traits"]) <= TRAITS, name
        for attr, spec in d["attrs"].items():
            assert spec["type"] in TYPES, (name, attr)
            if spec["type"] == "enum":
                assert spec["default"] in spec["choices"], (name, attr)


def test_slot_layout_is_sound():
    # no attribute outside the node's arrays, no two sharing a slot, enum defaults in range
    assert _C._check_descriptors() == []


@pytest.mark.parametrize("name", NAMES)
def test_every_default_round_trips(name):
    d = ops.describe(name)
    for attr, spec in d["attrs"].items():
        default = spec["default"]
        # the default, given back by name, is accepted as what it is ...
        again = ops.describe(name, **{attr: default})
        assert again["traits"] == d["traits"], (name, attr)
        # ... and comes back unchanged
        got = again["attrs"][attr]["default"]
        assert got == default or (isinstance(got, float) and math.isnan(got) and math.isnan(default))


X = np.array([[-3.0, -0.5, 0.0, 0.5, 4.0], [1.0, 2.0, -2.0, 0.25, -1.0]], np.float32)


@pytest.mark.parametrize("name, attrs, expect", [
    # the defaults are Keras': an op applied with no attributes computes what
    # the Keras function does with its defaults
    ("softmax", {}, np.exp(X) / np.exp(X).sum(-1, keepdims=True)),
    ("leaky_relu", {}, np.where(X > 0, X, 0.2 * X)),
    ("elu", {}, np.where(X > 0, X, np.expm1(X))),
    ("gelu", {}, 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))),
    ("clip", {}, X),
    ("pow", {}, X),
    ("sum", {}, np.array(X.sum())),
    ("var", {}, np.array(X.var())),
    ("dropout", {"training": False}, X),
    ("transpose", {}, X.T),
])
def test_defaults_are_the_computed_ones(name, attrs, expect):
    out = _C.apply(name, [X], **attrs).numpy()
    np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-6)
    explicit = {k: v["default"] for k, v in ops.describe(name)["attrs"].items()}
    explicit.update(attrs)
    np.testing.assert_array_equal(_C.apply(name, [X], **explicit).numpy(), out)


def test_fused_defaults_match_the_separate_ops():
    w = np.eye(5, dtype=np.float32)
    for act in ("leaky_relu", "elu"):  # alpha left out: the activation's own default
        np.testing.assert_allclose(_C.apply("dense", [X, w], activation=act).numpy(),
                                   _C.apply(act, [X]).numpy(), rtol=1e-6)
    y = np.array([[0.0], [1.0]], np.float32)
    p = np.array([[2.5], [1.25]], np.float32)
    huber = _C.apply("huber", [p, y]).numpy()  # delta 1, mean over the batch
    np.testing.assert_allclose(huber, np.mean([2.5 - 0.5, 0.5 * 0.25 ** 2]), rtol=1e-6)


# ------------------------------------------------------------ wrong names and types
@pytest.mark.parametrize("call, exc, match", [
    (lambda: _C.apply("dense", [X, np.eye(5, dtype=np.float32)], activaton="relu"), TypeError,
     r"dense got an unexpected attribute 'activaton' \(its attributes: activation, approximate, alpha\)"),
    (lambda: _C.apply("relu", [X], axis=1), TypeError, r"relu got an unexpected attribute 'axis' \(it has none\)"),
    (lambda: _C.apply("leaky_relu", [X], negative_slope="0.1"), TypeError,
     r"leaky_relu: negative_slope must be a float, got str '0.1'"),
    (lambda: _C.apply("leaky_relu", [X], negative_slope=None), TypeError,
     r"leaky_relu: negative_slope must be a float, got NoneType"),
    (lambda: _C.apply("leaky_relu", [X], negative_slope=np.ones(2)), TypeError,
     r"leaky_relu: negative_slope must be a float, got numpy.ndarray"),
    (lambda: _C.apply("softmax", [X], axis=1.0), TypeError, r"softmax: axis must be an integer, got float"),
    (lambda: _C.apply("softmax", [X], axis="-1"), TypeError, r"softmax: axis must be an integer, got str"),
    (lambda: _C.apply("matmul", [X, X.T], transpose_a=2), TypeError, r"matmul: transpose_a must be a bool, got int 2"),
    (lambda: _C.apply("matmul", [X, X.T], transpose_a="yes"), TypeError, r"matmul: transpose_a must be a bool"),
    (lambda: _C.apply("dense", [X, np.eye(5, dtype=np.float32)], activation="softmax"), ValueError,
     r"dense: activation must be one of 'linear', 'relu', .* or 'hard_silu', got 'softmax'"),
    (lambda: _C.apply("dense", [X, np.eye(5, dtype=np.float32)], activation=1), TypeError,
     r"dense: activation must be one of 'linear'"),
    (lambda: _C.apply("max_pool2d", [X[None, :, :, None]], pool_size=2), TypeError,
     r"max_pool2d: pool_size must be a sequence of integers, got int 2"),
    (lambda: _C.apply("max_pool2d", [X[None, :, :, None]], pool_size=(1, 1, 1)), ValueError,
     r"max_pool2d: pool_size must have 2 integers, got 3"),
    (lambda: _C.apply("reshape", [X], shape=[5, 2.0]), TypeError, r"reshape: shape\[1\] must be an integer, got float"),
    (lambda: _C.apply("reshape", [X], shape=[2 ** 64]), ValueError, r"reshape: shape\[0\] must be an integer in"),
    (lambda: _C.apply("no_such_op", [X]), ValueError, r"unknown op 'no_such_op'"),
    (lambda: _C.apply("relu", [X], [1]), TypeError, r"apply\(op, inputs, \*\*attrs\)"),
    (lambda: ops.describe("lstm", activation="softmax"), ValueError, r"lstm: activation must be one of"),
    (lambda: ops.describe("no_such_op"), ValueError, r"unknown op 'no_such_op'"),
    (lambda: ops.describe(rate=0.5), TypeError, r"attributes need an op name"),
])
def test_wrong_attributes_are_refused_naming_op_and_attribute(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_numpy_scalars_are_accepted():
    a = _C.apply("leaky_relu", [X], negative_slope=np.float32(0.5)).numpy()
    np.testing.assert_allclose(a, np.where(X > 0, X, 0.5 * X), rtol=1e-6)
    b = _C.apply("softmax", [X], axis=np.int64(0)).numpy()
    np.testing.assert_allclose(b.sum(0), np.ones(5), rtol=1e-6)
    c = _C.apply("matmul", [X, X], transpose_b=np.bool_(True)).numpy()
    np.testing.assert_allclose(c, X @ X.T, rtol=1e-6)


# ------------------------------------------------------------ traits
@pytest.mark.parametrize("name, attrs, has, lacks", [
    ("dropout", {}, {"stochastic", "rowwise"}, set()),
    ("dropout", {"training": False}, {"rowwise"}, {"stochastic"}),
    ("dropout", {"rate": 0.0}, set(), {"stochastic"}),
    ("dropout_mask", {}, {"stochastic"}, set()),
    ("dense", {}, {"has_params", "rowwise", "affine"}, {"stochastic"}),
    ("conv2d", {}, {"has_params", "rowwise"}, {"affine"}),
    ("batch_norm", {"training": True}, {"has_params"}, {"rowwise"}),
    ("batch_norm", {"training": False}, {"has_params", "rowwise"}, set()),
    ("layer_norm", {}, {"has_params", "rowwise"}, set()),
    ("group_norm", {}, {"has_params", "rowwise"}, set()),
    ("lstm", {}, {"has_params", "rowwise"}, set()),
    ("embedding", {}, {"has_params", "rowwise"}, set()),
    ("relu", {}, {"rowwise"}, {"has_params", "linear"}),
    ("neg", {}, {"rowwise", "linear"}, set()),
    ("add", {}, {"broadcast", "linear"}, {"rowwise"}),
    ("mul", {}, {"broadcast"}, {"linear"}),
    ("softmax", {}, {"rowwise"}, set()),
    ("softmax", {"axis": 0}, set(), {"rowwise"}),
    ("sum", {}, {"linear"}, {"rowwise"}),
    ("sum", {"reduce_all": False, "axis": [1, 2]}, {"rowwise", "linear"}, set()),
    ("max", {"reduce_all": False, "axis": [0]}, set(), {"rowwise", "linear"}),
    ("reshape", {"shape": [-1, 4]}, {"rowwise"}, set()),
    ("reshape", {"shape": [4, -1]}, set(), {"rowwise"}),
    ("concatenate", {"axis": 1}, {"rowwise"}, set()),
    ("concatenate", {"axis": 0}, set(), {"rowwise"}),
    ("matmul", {}, {"linear"}, {"rowwise", "has_params"}),
    ("mean_squared_error", {}, {"loss"}, {"rowwise"}),
    ("sparse_categorical_crossentropy", {}, {"loss"}, set()),
    ("attention", {}, {"rowwise"}, {"has_params"}),
])
def test_traits_of_representative_ops(name, attrs, has, lacks):
    traits = set(ops.describe(name, **attrs)["traits"])
    assert has <= traits and not lacks & traits, (name, attrs, traits)


# ------------------------------------------------------------ every op has a gradient test
# op -> (test file, test function, what in it (or in a table it uses) names the op).
# A new differentiable op fails the test below until it has an entry here.
_UNARY = ("test_ops_elementwise.py", "test_gradients_match_central_differences")
_BINARY = ("test_tensor.py", "test_binary_ops_gradients_with_broadcasting")
_REDUCE = ("test_ops_reduce.py", "test_reductions_over_axis_sets")
_LOSS = ("test_ops_losses.py", "test_loss_values_and_gradients")
_RNN = ("test_ops_rnn.py", "test_gradients_plain")
GRADIENT_TESTS = {
    **{op: _BINARY + (f'"{op}"',) for op in ("add", "sub", "mul", "div", "maximum", "minimum")},
    **{op: _UNARY + (f"ops.{op}",) for op in (
        "neg", "exp", "log", "sqrt", "abs", "clip", "square", "relu", "relu6", "leaky_relu", "elu",
        "selu", "gelu", "silu", "sigmoid", "tanh", "softplus", "softsign", "hard_sigmoid",
        "hard_silu")},
    "pow": ("test_ops_elementwise.py", "test_pow_scalar_exponents", "ops.pow"),
    **{op: ("test_keras_ops.py", "test_gradients_against_central_differences", f"ops.{op}")
       for op in ("where", "sin", "cos", "floor", "ceil", "round", "trunc", "sign")},
    "erf": ("test_keras_ops_arrays.py", "test_gradients_against_central_differences", "ops.erf"),
    **{op: ("test_keras_ops_arctrig.py", "test_gradients_against_central_differences", f"ops.{op}")
       for op in ("arctan", "arcsin", "arccos", "arctan2", "erfc", "erfinv")},
    "softmax": ("test_ops_reduce.py", "test_softmax_gradients", '"softmax"'),
    "log_softmax": ("test_ops_reduce.py", "test_softmax_gradients", '"log_softmax"'),
    **{op: _REDUCE + (f"ops.{op}",) for op in ("sum", "mean", "max", "min", "var", "std")},
    "reshape": ("test_ops_shape.py", "test_reshape_values_and_gradient", "ops.reshape"),
    "transpose": ("test_ops_shape.py", "test_transpose_values_and_gradient", "ops.transpose"),
    "slice": ("test_ops_shape.py", "test_basic_indexing_matches_numpy", "x[key]"),
    "broadcast_to": ("test_ops_shape.py", "test_broadcast_to", "ops.broadcast_to"),
    "take": ("test_ops_shape.py", "test_take_matches_numpy", "ops.take"),
    "concatenate": ("test_ops_shape.py", "test_concatenate", "ops.concatenate"),
    "stack": ("test_ops_shape.py", "test_stack", "ops.stack"),
    "matmul": ("test_tensor.py", "test_matmul_transposed_operands", '"matmul"'),
    "dense": ("test_ops_dense.py", "test_gradients_match_central_differences", "ops.dense"),
    **{op: _LOSS + (f'"{op}"',) for op in (
        "mean_squared_error", "mean_absolute_error", "huber", "hinge", "binary_crossentropy",
        "categorical_crossentropy", "sparse_categorical_crossentropy")},
    "dropout": ("test_ops_dropout.py", "test_dropout_gradient_is_the_mask", "_dropout(t)"),
    "conv2d": ("test_ops_conv.py", "test_conv2d_gradients", "ops.conv2d"),
    "conv1d": ("test_ops_conv.py", "test_conv1d_gradients", "ops.conv1d"),
    "conv2d_transpose": ("test_ops_conv_transpose.py",
                         "test_conv2d_transpose_matches_reference_and_gradients",
                         "ops.conv2d_transpose"),
    "conv1d_transpose": ("test_ops_conv_transpose.py",
                         "test_conv1d_transpose_is_the_2d_op_on_one_row", "ops.conv1d_transpose"),
    "depthwise_conv2d": ("test_ops_conv_transpose.py",
                         "test_depthwise_conv2d_matches_reference_and_gradients",
                         "ops.depthwise_conv2d"),
    "resize": ("test_layers_image_preprocessing.py", "test_resize_gradients", "ops.resize"),
    "random_affine": ("test_layers_image_preprocessing.py", "test_random_affine_gradients",
                      "ops.random_affine"),
    "random_contrast": ("test_layers_image_preprocessing.py", "test_random_contrast_gradients",
                        "ops.random_contrast"),
    "store_states": ("test_ops_conv_transpose.py", "test_store_states_passes_the_gradient",
                     "ops.store_states"),
    "max_pool2d": ("test_ops_pool.py", "test_pool2d_gradients", "ops.max_pool2d"),
    "avg_pool2d": ("test_ops_pool.py", "test_pool2d_gradients", "ops.avg_pool2d"),
    "max_pool1d": ("test_ops_pool.py", "test_pool1d_gradients", "ops.max_pool1d"),
    "avg_pool1d": ("test_ops_pool.py", "test_pool1d_gradients", "ops.avg_pool1d"),
    "global_avg_pool": ("test_ops_pool.py", "test_global_pooling", '"avg"'),
    "global_max_pool": ("test_ops_pool.py", "test_global_pooling", '"max"'),
    "zero_padding": ("test_ops_pool.py", "test_zero_padding2d", "ops.zero_padding2d"),
    "cropping": ("test_ops_pool.py", "test_cropping2d", "ops.cropping2d"),
    "upsampling": ("test_ops_pool.py", "test_upsampling2d_nearest", "ops.upsampling2d"),
    "batch_norm": ("test_ops_norm.py", "test_batch_norm_training_gradients_through_batch_statistics",
                   "ops.batch_norm"),
    "layer_norm": ("test_ops_norm.py", "test_layer_norm_gradients", "ops.layer_norm"),
    "group_norm": ("test_ops_norm.py", "test_group_norm_gradients", "ops.group_norm"),
    **{op: _RNN + (f'"{op}"',) for op in ("simple_rnn", "lstm", "gru")},
    "rnn_slice": ("test_ops_rnn.py", "test_return_state_pieces", "return_state=True"),
    "embedding": ("test_ops_embedding.py", "test_lookup_and_table_gradient", "ops.embedding"),
    "i0": ("test_keras_ops_realvalued.py", "test_gradients_against_central_differences", "ops.i0"),
    "ctc_loss": ("test_keras_ops_ctc.py", "test_gradients_against_central_differences",
                 "ops.ctc_loss"),
    "attention": ("test_ops_attention.py", "test_gradients_rank4", "scaled_dot_product_attention"),
    "cumsum": ("test_ops_cumulative.py", "test_cumsum_gradient", "ops.cumsum"),
    "cumprod": ("test_ops_cumulative.py", "test_cumprod_gradient_with_zeros", "ops.cumprod"),
}


def _test_function(file, func):
    """The test's source with its decorators, whether it reaches check_grad (itself or
    through a helper of its module), and the module-level tables it names."""
    src = (TESTS / file).read_text()
    tree = ast.parse(src)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert func in defs, f"{file} has no {func}"
    node = defs[func]
    text = "\n".join([ast.get_source_segment(src, d) for d in node.decorator_list]
                     + [ast.get_source_segment(src, node)])
    helpers = {name for name, d in defs.items() if "check_grad(" in ast.get_source_segment(src, d)}
    checks = any(f"{h}(" in ast.get_source_segment(src, node) for h in helpers)
    tables = [ast.get_source_segment(src, n) for n in tree.body if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id in text for t in n.targets)]
    return text, checks, tables


def test_every_differentiable_op_has_a_gradient_test():
    differentiable = {n for n in NAMES if ops.describe(n)["differentiable"]}
    assert set(GRADIENT_TESTS) == differentiable
    for op, (file, func, token) in GRADIENT_TESTS.items():
        text, checks, tables = _test_function(file, func)
        assert checks, f"{op}: {file}::{func} does not run check_grad"
        assert token in text or any(token in t for t in tables), f"{op}: {token} not in {file}::{func}"


def test_ops_without_backward_are_the_ones_that_need_none():
    assert {n for n in NAMES if not ops.describe(n)["differentiable"]} == {
        "dropout_mask", "embedding_mask", "read_states", "binary_accuracy_stats", "categorical_accuracy_stats",
        "sparse_categorical_accuracy_stats", "top_k_accuracy_stats", "mse_stats", "mae_stats",
        "confusion_stats", "perclass_stats",
        # keras.ops: comparisons and arg-reductions are steps (no gradient, as in Keras);
        # random draws shaped by a reference tensor's batch
        "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "argmax",
        "argmin", "random_normal", "random_uniform",
        # keras.ops.stop_gradient: an op whose point is to have no backward
        "stop_gradient",
        # the positions along a reference tensor's batch (ops.eye / arange of a batch size)
        "arange_like",
        # Equalization: a lookup table built from pixel counts (piecewise constant)
        "equalize"}
