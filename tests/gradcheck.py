"""Shared gradient checking: pynn's analytic gradients (float32) against central
differences of a float64 NumPy reference of the same function."""
import numpy as np

import pynn


def numeric_grad(ref, arrays, seed, i, eps=1e-4):
    """d(sum(seed * ref(*arrays)))/d arrays[i] by central differences in float64."""
    x = arrays[i]
    g = np.zeros_like(x)
    if x.size == 0:
        return g
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + eps
        fp = np.sum(seed * ref(*arrays))
        x[idx] = old - eps
        fm = np.sum(seed * ref(*arrays))
        x[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def check_grad(fn, ref, arrays, wrt=None, rtol=1e-3, atol=1e-3, eps=1e-4, rng=None):
    """fn(*tensors) -> pynn Tensor; ref(*float64 arrays) -> ndarray.

    Checks the forward against ref and every input's gradient (those in wrt,
    default all) against central differences, for a random output seed."""
    rng = rng or np.random.default_rng(0)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    tensors = [pynn.Tensor(a.astype(np.float32), requires_grad=(i in wrt))
               for i, a in enumerate(arrays)]
    out = fn(*tensors)
    expected = ref(*arrays)
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=atol,
                               err_msg="forward differs from the float64 reference")
    seed = rng.standard_normal(np.shape(expected))
    if out.size == 0:
        return
    out.backward(seed.astype(np.float32).reshape(out.shape))
    for i in wrt:
        num = numeric_grad(ref, arrays, seed, i, eps)
        got = tensors[i].grad
        if got is None:
            got = np.zeros_like(num)
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from central differences")
