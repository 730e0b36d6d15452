"""MixUp and CutMix (keras/src/layers/preprocessing/image_preprocessing/mix_up.py,
cut_mix.py, and their _test.py files) against Keras 3: the draws of a seeded
layer are replayed from a NumPy generator of the same seed and handed to Keras'
own transform_images / transform_labels (and CutMix's _generate_batch_mask), so
images and labels are compared number for number; the Beta weights' moments; the
labels and images mixed consistently; seed -> the same mixes; gradient to the
images; identity at inference and in predict; a compiled fit refused by name;
configs and bad arguments."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(61)
X = RNG.uniform(0, 255, (6, 8, 10, 3)).astype(np.float32)
Y = np.eye(6, dtype=np.float32)


def _np(keras, t):
    return keras.ops.convert_to_numpy(t)


def test_mixup_matches_keras_with_the_same_draws():
    keras = keras_or_skip()
    import torch
    out = layers.MixUp(alpha=0.4, seed=7)({"images": X, "labels": Y})
    rng = np.random.default_rng(7)  # the layer's draws, in its order
    perm = rng.permutation(6)
    w = rng.beta(0.4, 0.4, 6).astype(np.float32)
    theirs = keras.layers.MixUp(alpha=0.4)
    tr = {"mix_weight": torch.tensor(w), "permutation_order": torch.tensor(perm)}
    np.testing.assert_allclose(out["images"].numpy(),
                               _np(keras, theirs.transform_images(torch.tensor(X), tr)),
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out["labels"].numpy(),
                               _np(keras, theirs.transform_labels(torch.tensor(Y), tr)),
                               rtol=1e-5, atol=1e-6)


def test_cutmix_matches_keras_with_the_same_draws():
    keras = keras_or_skip()
    import torch
    out = layers.CutMix(factor=(0.3, 0.9), seed=5)({"images": X, "labels": Y})
    rng = np.random.default_rng(5)
    alpha = np.float32(rng.uniform(0.3, 0.9)) + np.float32(1e-6)
    mix = rng.beta(alpha, alpha, 6).astype(np.float32)
    ratio = np.sqrt(np.float32(1.0) - mix)
    x_start = rng.uniform(0.0, 1.0, 6).astype(np.float32) * (np.float32(10) - ratio * 10)
    y_start = rng.uniform(0.0, 1.0, 6).astype(np.float32) * (np.float32(8) - ratio * 8)
    perm = rng.permutation(6)
    theirs = keras.layers.CutMix(factor=(0.3, 0.9))
    box = tuple(torch.tensor(v) for v in (x_start, x_start + ratio * 10,
                                          y_start, y_start + ratio * 8))
    masks, weight = theirs._generate_batch_mask(X.shape, box)
    tr = {"permutation_order": torch.tensor(perm), "batch_masks": masks, "mix_weight": weight}
    np.testing.assert_array_equal(out["images"].numpy(),
                                  _np(keras, theirs.transform_images(torch.tensor(X), tr)))
    np.testing.assert_allclose(out["labels"].numpy(),
                               _np(keras, theirs.transform_labels(torch.tensor(Y), tr)),
                               rtol=1e-5, atol=1e-6)
    assert not np.array_equal(out["images"].numpy(), X)  # boxes were pasted


def test_mixup_weights_are_beta_and_images_follow_labels():
    n, alpha = 3000, 0.3
    x = RNG.normal(size=(n, 2, 2, 1)).astype(np.float32)
    pynn.set_seed(8)  # unseeded layer: pynn's generator
    out = layers.MixUp(alpha=alpha)({"images": x, "labels": np.eye(n, dtype=np.float32)})
    mix = out["labels"].numpy()
    # each image is the labels' mix of the inputs
    np.testing.assert_allclose(out["images"].numpy().reshape(n, -1), mix @ x.reshape(n, -1),
                               rtol=1e-4, atol=1e-4)
    w = np.diag(mix)
    moved = w < 1 - 1e-6  # (a permutation's fixed points mix with themselves)
    w = w[moved]
    assert len(w) > 0.99 * n - 10
    assert abs(w.mean() - 0.5) < 0.02
    assert abs(w.var() - 1 / (4 * (2 * alpha + 1))) < 0.01  # Beta(a, a): 1 / (4 (2a + 1))


def test_cutmix_boxes_and_label_weights():
    x = np.stack([np.full((16, 16, 1), i, np.float32) for i in range(64)])
    out = layers.CutMix(seed=3)({"images": x, "labels": np.eye(64, dtype=np.float32)})
    imgs, labs = out["images"].numpy(), out["labels"].numpy()
    for i in range(64):
        values = set(np.unique(imgs[i]).tolist())
        other = int(np.argmax(np.where(np.arange(64) == i, -1, labs[i])))
        assert values <= {float(i), float(other)}
        pasted = np.mean(imgs[i] != i) if other != i else 0.0
        if other != i:  # the box's pixels against its continuous area: within its edge
            assert abs(pasted - labs[i, other]) <= 33 / 256 + 1e-6
            ys, xs = np.nonzero(imgs[i, :, :, 0] != i)
            if len(ys):  # one rectangle
                assert len(ys) == (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    np.testing.assert_allclose(labs.sum(1), 1.0, rtol=1e-5)


def test_seed_inference_gradient_and_model():
    a = layers.MixUp(seed=4)(X).numpy()
    np.testing.assert_array_equal(layers.MixUp(seed=4)(X).numpy(), a)  # same seed, same mix
    layer = layers.CutMix(seed=4)
    first, second = layer(X).numpy(), layer(X).numpy()
    assert not np.array_equal(first, second)  # the generator moves on between batches
    np.testing.assert_array_equal(layers.CutMix(seed=4)(X).numpy(), first)
    np.testing.assert_array_equal(layers.MixUp()(X, training=False).numpy(), X)
    np.testing.assert_array_equal(layers.CutMix()(X[0]).numpy(), X[0])  # one image: as is
    xt = pynn.Tensor(X, requires_grad=True)
    layers.MixUp(alpha=1.0, seed=2)(xt).sum().backward()
    np.testing.assert_allclose(xt.grad.sum(), X.size, rtol=1e-5)  # weights sum to 1 per pixel
    model = pynn.Sequential([pynn.Input(shape=X.shape[1:]), layers.MixUp(), layers.Flatten(),
                             layers.Dense(2)])
    model.predict(X, verbose=0)  # inference: the identity
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"MixUp 'mix_up.*' mixes the images of a batch.*"
                                         r"apply it to the data"):
        model.fit(X, np.zeros((6, 2), np.float32), epochs=1, verbose=0)


def test_configs_and_errors():
    keras = keras_or_skip()
    for cls, kw in (("MixUp", {"alpha": 0.3, "seed": 9}), ("CutMix", {"factor": 0.5, "seed": 9})):
        theirs, ours = getattr(keras.layers, cls)(**kw), getattr(layers, cls)(**kw)
        kc, pc = theirs.get_config(), ours.get_config()
        assert set(kc) - set(pc) <= {"dtype"} and set(pc) - set(kc) == set()
        for k in kw:
            want = list(getattr(theirs, k)) if k == "factor" else kc[k]
            assert pc[k] == want, (cls, k, pc[k], kc[k])
        twin = type(ours).from_config(pc)
        np.testing.assert_array_equal(twin(X).numpy(), ours(X).numpy())  # seed saved too
    for make, msg in ((lambda: layers.MixUp(alpha=0.0), "alpha"),
                      (lambda: layers.CutMix(factor=1.5), "factor"),
                      (lambda: layers.CutMix(data_format="channels_first"), "channels_last")):
        with pytest.raises(ValueError, match=msg):
            make()
    with pytest.raises(ValueError, match="labels must have one row per image"):
        layers.MixUp()({"images": X, "labels": Y[:3]})
    with pytest.raises(ValueError, match="'images' entry"):
        layers.MixUp()({"pixels": X})
