"""Shape ops: reshape, transpose, slicing/indexing, take, concatenate, stack,
broadcast_to — values against NumPy, gradients by central differences, edge
shapes (size 1, empty), bad input, and shape re-inference on a new batch."""
import glob
import os
import shutil
import subprocess

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------------ reshape

@pytest.mark.parametrize("shape,target", [
    ((2, 3, 4), (4, 6)), ((2, 3, 4), (-1, 4)), ((2, 3, 4), (6, -1)), ((2, 3, 4), (24,)),
    ((1,), ()), ((), (1, 1)), ((5, 1), (-1,)), ((1, 1, 1), (1,)),
    ((0, 3), (-1, 3)), ((0, 3), (3, -1, 1)), ((0, 3), (0, 3, 1)),
])
def test_reshape_values_and_gradient(shape, target):
    check_grad(lambda x: ops.reshape(x, target), lambda a: a.reshape(target), [rand(*shape)])


@pytest.mark.parametrize("target,msg", [
    ((-1, -1), "one unknown"), ((5, 5), r"shape \(2, 3\).*\(5, 5\)"), ((4, -1), r"\(4, -1\)"),
    ((-2, 3), "negative"), ((0, -1), "cannot reshape"), (tuple([1] * 9), "rank"),
])
def test_reshape_bad_target(target, msg):
    with pytest.raises(ValueError, match=msg):
        ops.reshape(np.ones((2, 3)), target)


def test_reshape_rejects_non_int_shape():
    with pytest.raises(TypeError):
        ops.reshape(np.ones(4), (2.0, 2))


# ------------------------------------------------------------------ transpose

@pytest.mark.parametrize("shape,axes", [
    ((3, 4), None), ((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (-1, 0, 1)),
    ((2, 1, 3, 1), (3, 2, 0, 1)), ((5,), None), ((), None), ((0, 4), None), ((2, 0, 3), (2, 0, 1)),
])
def test_transpose_values_and_gradient(shape, axes):
    check_grad(lambda x: ops.transpose(x, axes), lambda a: np.transpose(a, axes), [rand(*shape)])


@pytest.mark.parametrize("axes,msg", [((0, 0, 1), "repeated"), ((0, 1), "3 dimensions"),
                                      ((0, 1, 3), "out of range")])
def test_transpose_bad_axes(axes, msg):
    with pytest.raises(ValueError, match=msg):
        ops.transpose(np.ones((2, 3, 4)), axes)


# ------------------------------------------------------------------ slicing / getitem

BASIC_KEYS = [
    (0,), (-1,), (slice(1, None),), (slice(None, None, -1),), (slice(-1, -4, -1),),
    (slice(None, None, -2), slice(1, 3)), (Ellipsis, slice(4, None, -2)), (1, Ellipsis, None),
    (None,), (slice(5, 10),), (-1, slice(None, None, 3)), (0, 0, 0), (slice(None), -2, slice(1, -1)),
    (slice(10, -10, -1), None, slice(-100, 100)), (Ellipsis,), (slice(-2, None), Ellipsis, 3),
    (None, slice(None), None, 2, None), (slice(2, 0, -1), slice(3, 3), slice(None, None, 7)),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=[repr(k) for k in BASIC_KEYS])
def test_basic_indexing_matches_numpy(key):
    check_grad(lambda x: x[key], lambda a: a[key], [rand(3, 4, 5)])


ARRAY_KEYS = [
    ([2, 0, 2, -1],), (slice(None), [0, 3, 3, 1]), (Ellipsis, [[0, 1], [4, 4]]),
    (1, slice(None, None, -1), [0, 2]), (None, slice(1, None), [-4, 3]), ([],),
    (np.array([True, False, True]),), (slice(None), np.array([1, 1, 0, 0])),
]


@pytest.mark.parametrize("key", ARRAY_KEYS, ids=[repr(k) for k in ARRAY_KEYS])
def test_integer_array_indexing_matches_numpy(key):
    # repeated indices must accumulate their gradients
    check_grad(lambda x: x[key], lambda a: a[key], [rand(3, 4, 5)])


def test_tensor_index_uses_take_and_keeps_gradient():
    x = pynn.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3), requires_grad=True)
    y = x[pynn.Tensor(np.array([3, 3, 0], np.float32))]
    np.testing.assert_array_equal(y.numpy(), np.arange(12).reshape(4, 3)[[3, 3, 0]])
    y.backward(np.ones((3, 3), np.float32))
    np.testing.assert_array_equal(x.grad[:, 0], [1, 0, 0, 2])


@pytest.mark.parametrize("key,exc,msg", [
    ((5,), IndexError, "index 5 is out of bounds for axis 0 with size 3"),
    ((0, -5), IndexError, "index -5 is out of bounds for axis 1 with size 4"),
    ((0, 0, 0, 0), IndexError, "too many indices"),
    ((Ellipsis, Ellipsis), IndexError, "single ellipsis"),
    (([7],), IndexError, "index 7 is out of bounds for axis 0 with size 3"),
    ((slice(None), [0, -9]), IndexError, "index -9 is out of bounds for axis 1 with size 4"),
    (([0], [1]), IndexError, "only one"),
    ((1.5,), IndexError, "valid indices"),
    ((np.array([0.5]),), IndexError, "integer"),
    ((np.array([True, False]),), IndexError, "boolean index"),
    ((slice(None, None, 0),), ValueError, "step"),
    (("a",), IndexError, "valid indices"),
])
def test_bad_indices(key, exc, msg):
    x = pynn.Tensor(np.ones((3, 4, 5), np.float32))
    with pytest.raises(exc, match=msg):
        x[key]


def test_slice_op_checks_ranges_in_c_too():
    # direct op use (as the compiled driver replays it) must fail cleanly, not read out of bounds
    x = pynn.Tensor(np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match="index 3 is out of bounds for axis 0 with size 3"):
        pynn._C.apply("slice", [x], index=[1, 3, 0, 0])
    with pytest.raises(ValueError, match="too many indices"):
        pynn._C.apply("slice", [x], index=[1, 0, 0, 0] * 3)
    with pytest.raises(ValueError, match="step cannot be zero"):
        pynn._C.apply("slice", [x], index=[0, 0, 1, 0])
    with pytest.raises(ValueError, match="groups of 4"):
        pynn._C.apply("slice", [x], index=[0, 0, 1])


def test_slice_axis_and_helpers():
    a = rand(3, 4, 5)
    check_grad(lambda x: ops.slice_axis(x, 1, 3, None, -2), lambda v: v[:, 3::-2], [a])
    check_grad(lambda x: ops.slice_axis(x, -1, 1, 4), lambda v: v[..., 1:4], [a])
    check_grad(lambda x: ops.expand_dims(x, 1), lambda v: np.expand_dims(v, 1), [a])
    check_grad(lambda x: ops.expand_dims(x, -1), lambda v: np.expand_dims(v, -1), [a])
    check_grad(lambda x: ops.squeeze(x), np.squeeze, [rand(1, 3, 1)])
    check_grad(lambda x: ops.squeeze(x, 2), lambda v: np.squeeze(v, 2), [rand(1, 3, 1)])
    check_grad(lambda x: ops.flatten(x), np.ravel, [a])
    with pytest.raises(ValueError, match="not 1"):
        ops.squeeze(np.ones((2, 3)), 0)
    with pytest.raises(ValueError, match="out of range"):
        ops.slice_axis(np.ones((2, 3)), 2)


def test_tensor_shape_methods():
    a = rand(2, 3, 4)
    check_grad(lambda x: x.reshape(4, -1), lambda v: v.reshape(4, -1), [a])
    check_grad(lambda x: x.reshape((6, 4)), lambda v: v.reshape((6, 4)), [a])
    check_grad(lambda x: x.transpose(2, 0, 1), lambda v: v.transpose(2, 0, 1), [a])
    check_grad(lambda x: x.transpose((1, 0, 2)), lambda v: v.transpose((1, 0, 2)), [a])
    check_grad(lambda x: x.transpose(), lambda v: v.transpose(), [a])
    check_grad(lambda x: x.T, lambda v: v.T, [a])
    check_grad(lambda x: x.flatten(), lambda v: v.flatten(), [a])


# ------------------------------------------------------------------ take

@pytest.mark.parametrize("shape,idx,axis", [
    ((5, 3), [4, 0, 0, -1], 0), ((2, 5, 3), [[1, 2], [2, -5]], 1), ((2, 3, 5), [4], -1),
    ((5,), [1, 1, 1], 0), ((5, 3), [], 0), ((0, 3), [1, 2], 1), ((1, 1), [0, -1], 0),
    ((4, 2), 2, 0),
])
def test_take_matches_numpy(shape, idx, axis):
    idx = np.asarray(idx, np.int64)
    check_grad(lambda x: ops.take(x, idx.astype(np.float32), axis),
               lambda a: np.take(a, idx, axis), [rand(*shape)])


def test_take_embedding_lookup_accumulates():
    table = pynn.Tensor(np.arange(10, dtype=np.float32).reshape(5, 2), requires_grad=True)
    tokens = np.array([[1, 1], [4, 1]], np.float32)
    out = ops.take(table, tokens, axis=0)
    assert out.shape == (2, 2, 2)
    out.backward(np.ones((2, 2, 2), np.float32))
    np.testing.assert_array_equal(table.grad[:, 0], [0, 3, 0, 0, 1])


@pytest.mark.parametrize("idx,msg", [
    ([0, 5], "index 5 is out of bounds for axis 0 with size 5"),
    ([-6], "index -6 is out of bounds for axis 0 with size 5"),
    ([1.5], "not an integer"),
    ([np.nan], "not an integer"),
    ([np.inf], "out of bounds"),
])
def test_take_bad_indices_raise_value_error(idx, msg):
    with pytest.raises(ValueError, match=msg):
        ops.take(np.ones((5, 2)), np.array(idx, np.float32), 0)


def test_take_bad_axis():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        ops.take(np.ones((5, 2)), [0], 2)


def test_take_rechecks_indices_in_backward():
    x = pynn.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    idx_arr = np.array([0, 2], np.float32)
    y = ops.take(x, idx_arr, 0)  # the index array is wrapped without a copy
    idx_arr[1] = 7  # the host changes it before backward
    with pytest.raises(ValueError, match="index 7 is out of bounds"):
        y.backward(np.ones((2, 2), np.float32))


# ------------------------------------------------------------------ concatenate / stack

@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 5)], 1), ([(2, 3, 1), (2, 3, 2)], -1),
    ([(3,)], 0), ([(0, 3), (2, 3)], 0), ([(2, 0), (2, 2)], 1), ([(1, 1)] * 10, 0),
    ([(2, 1, 3), (2, 2, 3)], 1), ([(0, 2), (0, 3)], 1),
])
def test_concatenate(shapes, axis):
    arrays = [rand(*s) for s in shapes]
    check_grad(lambda *ts: ops.concatenate(ts, axis), lambda *a: np.concatenate(a, axis), arrays)


@pytest.mark.parametrize("shape,n,axis", [
    ((2, 3), 2, 0), ((2, 3), 3, 1), ((2, 3), 2, -1), ((2, 3), 2, 2), ((), 4, 0), ((0, 2), 2, 1),
    ((1,), 11, 0), ((2,), 9, 1),
])
def test_stack(shape, n, axis):
    arrays = [rand(*shape) for _ in range(n)]
    check_grad(lambda *ts: ops.stack(ts, axis), lambda *a: np.stack(a, axis), arrays)


def test_join_bad_inputs():
    with pytest.raises(ValueError, match=r"input 0 has shape \(2, 3\) and input 1 has shape \(3, 4\)"):
        ops.concatenate([np.ones((2, 3)), np.ones((3, 4))], axis=1)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3, 1\)"):
        ops.concatenate([np.ones((2, 3)), np.ones((2, 3, 1))], axis=0)
    with pytest.raises(ValueError, match="zero-dimensional"):
        ops.concatenate([np.float32(1), np.float32(2)])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        ops.concatenate([np.ones((2, 3))], axis=2)
    with pytest.raises(ValueError, match="same shape"):
        ops.stack([np.ones((2, 3)), np.ones((3, 2))])
    with pytest.raises(ValueError, match="at least one"):
        ops.stack([])
    with pytest.raises(TypeError):
        ops.concatenate(pynn.Tensor(np.ones((2, 3))))


# ------------------------------------------------------------------ broadcast_to

@pytest.mark.parametrize("shape,target,ref_target", [
    ((3, 1), (2, 3, 4), None), ((4,), (3, 4), None), ((2, 1), (-1, 5), (2, 5)), ((), (2, 2), None),
    ((1, 3), (0, 3), None), ((2, 3), (2, 3), None),
])
def test_broadcast_to(shape, target, ref_target):
    check_grad(lambda x: ops.broadcast_to(x, target),
               lambda a: np.broadcast_to(a, ref_target or target), [rand(*shape)])


def test_broadcast_to_bad_shape():
    with pytest.raises(ValueError, match=r"shape \(3,\) to shape \(4,\)"):
        ops.broadcast_to(np.ones(3), (4,))
    with pytest.raises(ValueError, match="cannot broadcast"):
        ops.broadcast_to(np.ones((2, 3)), (3,))


def test_ops_without_grad_record_nothing():
    x = pynn.Tensor(np.ones((2, 3), np.float32))
    assert not ops.reshape(x, (3, 2)).requires_grad
    with pynn.no_grad():
        y = pynn.Tensor(np.ones((2, 3), np.float32), requires_grad=True)[0]
    assert not y.requires_grad


# ------------------------------------------------------------------ re-inference on a new batch size
# The compiled driver calls infer_shape again when the batch changes; this C
# harness drives pn_program directly (the binding does not expose it yet).

REINFER_C = r"""
#include <stdio.h>
#include <string.h>
#include "pn.h"
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, pn_last_error()); return 1; } } while (0)
static pn_node *ap(const char *op, int n, pn_node **in, const int64_t *ia, int ni,
                   const int64_t *iv, int niv, const double *fa, int nf) {
    pn_node *o = NULL;
    if (pn_apply(pn_op_find(op), n, in, fa, nf, ia, ni, iv, niv, &o)) return NULL;
    return o;
}
int main(void) {
    int64_t s[2] = {2, 6};
    pn_node *x = pn_leaf_new(2, s);
    x->requires_grad = 1;
    const int64_t NONE = INT64_MIN;
    int64_t rs[3] = {-1, 3, 2};
    pn_node *r = ap("reshape", 1, &x, NULL, 0, rs, 3, NULL, 0);             /* (B, 3, 2) */
    CHECK(r && r->shape[0] == 2);
    int64_t sl[8] = {0, NONE, NONE, -1, 0, 1, NONE, NONE};                  /* [::-1, 1:] */
    pn_node *q = ap("slice", 1, &r, NULL, 0, sl, 8, NULL, 0);               /* (B, 2, 2) */
    CHECK(q && q->shape[0] == 2 && q->shape[1] == 2);
    int64_t perm[3] = {1, 0, 2};
    pn_node *t = ap("transpose", 1, &q, NULL, 0, perm, 3, NULL, 0);         /* (2, B, 2) */
    int64_t fl[2] = {2, -1};
    pn_node *f = ap("reshape", 1, &t, NULL, 0, fl, 2, NULL, 0);             /* (2, 2B) */
    int64_t ax = 1;
    pn_node *pair[2] = {f, f};
    pn_node *c = ap("concatenate", 2, pair, &ax, 1, NULL, 0, NULL, 0);      /* (2, 4B) */
    CHECK(c && c->shape[1] == 8);
    int64_t ts[1] = {2};
    pn_node *lab = pn_leaf_new(1, ts);
    int64_t red[2] = {1, 1};
    pn_node *lin[2] = {c, lab};
    pn_node *loss = ap("sparse_categorical_crossentropy", 2, lin, red, 2, NULL, 0, NULL, 0);
    CHECK(loss && loss->ndim == 1 && loss->shape[0] == 2);
    pn_program *p;
    pn_node *outs[1] = {loss};
    CHECK(pn_program_create(outs, 1, &x, 1, &p) == 0);
    CHECK(pn_program_set_batch(p, 5) == 0);
    CHECK(r->shape[0] == 5 && q->shape[0] == 5 && t->shape[1] == 5 && f->shape[1] == 10);
    CHECK(c->shape[1] == 20 && loss->shape[0] == 2);
    for (int i = 0; i < 30; i++) x->data[i] = (float)i / 30.0f;
    lab->data[0] = 19; lab->data[1] = 0;
    CHECK(pn_program_forward(p) == 0);
    /* row 0 of c holds sample b's reversed-row values: logits are finite */
    CHECK(loss->data[0] == loss->data[0] && loss->data[1] == loss->data[1]);
    CHECK(pn_program_set_batch(p, 1) == 0);
    CHECK(c->shape[1] == 4);
    CHECK(pn_program_forward(p) != 0);    /* label 19 is out of range for 4 classes now */
    CHECK(strstr(pn_last_error(), "label 19") != NULL);
    printf("OK\n");
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_shapes_follow_batch_size_in_compiled_driver(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    core = os.path.join(root, "csrc", "core")
    src = tmp_path / "reinfer.c"
    src.write_text(REINFER_C)
    exe = tmp_path / "reinfer"
    sources = sorted(glob.glob(os.path.join(core, "**", "*.c"), recursive=True))
    cmd = ["gcc", "-std=c11", "-O0", "-w", "-I", core, str(src), *sources, "-o", str(exe),
           "-lpthread", "-lm"]
    build = subprocess.run(cmd, capture_output=True, text=True)
    # pynn itself is built by gcc: an engine that does not build as plain C11 is a bug
    # (M_PI, which is not C11, hid behind a skip here for a session)
    assert build.returncode == 0, "engine does not build standalone: " + build.stderr[-1500:]
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip().endswith("OK"), run.stdout + run.stderr


@pytest.mark.parametrize("key", [(0, slice(None), [1, 2]), (slice(None), 0, None, [[1], [0]]),
                                 (1, [3, 0], slice(None)), ([0, 2], slice(1, 3), -1)])
def test_separated_advanced_indices_put_array_axes_first(key):
    check_grad(lambda x: x[key], lambda a: a[key], [rand(3, 4, 5)])


# ------------------------------------------------------------------ arange_like
# the positions along a reference's first axis (ops.eye / arange of ops.shape(x)[0] in a
# traced model read them from this op at every replay)

def test_arange_like_counts_the_first_axis():
    from pynn import _C
    ref = pynn.Tensor(np.ones((5, 3), np.float32), requires_grad=True)
    out = _C.apply("arange_like", [ref])
    np.testing.assert_array_equal(out.numpy(), np.arange(5, dtype=np.float32))
    assert out.numpy().dtype == np.float32
    empty = _C.apply("arange_like", [pynn.Tensor(np.ones((0, 2), np.float32))])
    assert empty.shape == (0,)
    assert not pynn.ops.describe("arange_like")["differentiable"]
    with pytest.raises(ValueError, match="arange_like: ref must have an axis"):
        _C.apply("arange_like", [pynn.Tensor(np.float32(1.0))])
