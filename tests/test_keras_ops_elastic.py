"""keras.ops.image.elastic_transform (pynn/ops/image_elastic.py): given the same noise
fields (torch's global generator, which Keras' torch backend draws from), the result
equals keras.ops.image.elastic_transform's (bilinear / nearest, fill modes, channels
first, unbatched); alpha = 0 gives the images back; an int seed repeats the field;
the gradient reaches the images (central differences); bad input named."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip
from pynn.ops.image_elastic import _displaced

RNG = np.random.default_rng(37)
IMG = RNG.random((2, 20, 18, 3)).astype(np.float32)


@pytest.mark.parametrize("kw", [dict(alpha=8.0, sigma=2.0),
                                dict(alpha=5.0, sigma=1.5, interpolation="nearest"),
                                dict(alpha=12.0, sigma=3.0, fill_mode="constant", fill_value=0.5),
                                dict(alpha=6.0, sigma=2.0, fill_mode="wrap")], ids=str)
def test_matches_keras_given_the_same_noise(kw):
    keras = keras_or_skip()
    import torch
    torch.manual_seed(5)
    want = keras.ops.convert_to_numpy(keras.ops.image.elastic_transform(IMG, **kw))
    torch.manual_seed(5)
    dx = torch.normal(0.0, 1.0, size=(2, 20, 18)).numpy()
    dy = torch.normal(0.0, 1.0, size=(2, 20, 18)).numpy()
    got = _displaced(pynn.Tensor(IMG), dx, dy, kw["alpha"], kw["sigma"],
                     kw.get("interpolation", "bilinear"), kw.get("fill_mode", "reflect"),
                     kw.get("fill_value", 0.0)).numpy()
    close = np.isclose(got, want, atol=1e-5)
    # nearest: a coordinate within float rounding of a half pixel may round either way
    assert close.mean() > (0.999 if kw.get("interpolation") == "nearest" else 1 - 1e-12)


def test_identity_seed_and_layouts():
    np.testing.assert_allclose(ops.image.elastic_transform(IMG, alpha=0.0, seed=1).numpy(), IMG,
                               atol=1e-6)
    a = ops.image.elastic_transform(IMG, alpha=10.0, sigma=2.0, seed=3).numpy()
    b = ops.image.elastic_transform(IMG, alpha=10.0, sigma=2.0, seed=3).numpy()
    c = ops.image.elastic_transform(IMG, alpha=10.0, sigma=2.0, seed=4).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, IMG)
    one = ops.image.elastic_transform(IMG[0], alpha=10.0, sigma=2.0, seed=3)
    assert one.shape == IMG.shape[1:]
    cf = ops.image.elastic_transform(IMG.transpose(0, 3, 1, 2), alpha=10.0, sigma=2.0, seed=3,
                                     data_format="channels_first").numpy()
    np.testing.assert_allclose(cf, a.transpose(0, 3, 1, 2), atol=1e-6)


def test_gradient_reaches_the_images():
    img = RNG.random((1, 6, 5, 1))
    dx, dy = RNG.normal(size=(2, 1, 6, 5))

    def ref(a):  # linear in the image: exact differences at any step
        return _displaced(pynn.Tensor(a.astype(np.float32)), dx, dy, 2.0, 1.0, "bilinear",
                          "reflect", 0.0).numpy().astype(float)

    check_grad(lambda t: _displaced(t, dx, dy, 2.0, 1.0, "bilinear", "reflect", 0.0), ref, [img],
               rtol=1e-4, atol=1e-5, eps=0.25)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.image.elastic_transform(IMG[0, 0]), "expected images of rank 3"),
    (lambda: ops.image.elastic_transform(IMG, interpolation="cubic"), "`interpolation`"),
    (lambda: ops.image.elastic_transform(IMG, fill_mode="edge"), "`fill_mode`"),
    (lambda: ops.image.elastic_transform(IMG, sigma=0.0), "`sigma` must be a finite number > 0"),
    (lambda: ops.image.elastic_transform(IMG, alpha=np.nan), "`alpha` must be a finite number"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
