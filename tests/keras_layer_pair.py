"""One Keras 3 layer and its pynn twin side by side: the same weights set into
both, then the outputs, the input gradients and the weight gradients of
sum(output * seed) compared at float32 tolerance; and their get_config keys.
Keras runs on its torch backend (keras_ref skips the test where it is missing)."""
import numpy as np

import pynn

# Keras config keys pynn does not write: the dtype policy (pynn is float32 throughout)
OMITTED = {"dtype"}


def _torch(keras, a, grad):
    import torch
    return torch.tensor(a, requires_grad=grad)


def compare(keras, theirs, ours, inputs, call_kwargs=None, rtol=1e-4, atol=1e-5,
            training=False, input_grads=True):
    """Builds both layers on `inputs` (an array or a list of arrays), copies Keras'
    weights into pynn's, and checks outputs and gradients. Returns pynn's output."""
    call_kwargs = call_kwargs or {}
    many = isinstance(inputs, list)
    arrays = inputs if many else [inputs]
    t_in = [_torch(keras, a, input_grads) for a in arrays]
    p_in = [pynn.Tensor(a, requires_grad=input_grads) for a in arrays]
    t_out = theirs(t_in if many else t_in[0], training=training, **call_kwargs)
    ours(p_in if many else p_in[0], training=training, **call_kwargs)  # builds
    assert len(ours.weights) == len(theirs.weights), \
        f"{[w.shape for w in ours.weights]} vs {[tuple(w.shape) for w in theirs.weights]}"
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    p_out = ours(p_in if many else p_in[0], training=training, **call_kwargs)
    t_arr = t_out.detach().numpy()
    np.testing.assert_allclose(p_out.numpy(), t_arr, rtol=rtol, atol=atol)
    seed = np.random.default_rng(7).normal(size=t_arr.shape).astype(np.float32)
    import torch
    (t_out * torch.tensor(seed)).sum().backward()
    (p_out * seed).sum().backward()
    if input_grads:
        for t, p in zip(t_in, p_in):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=rtol, atol=atol)
    for tw, pw in zip(theirs.weights, ours.weights):
        if pw.trainable:
            np.testing.assert_allclose(ours.tensor(pw).grad, tw.value.grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=pw.name)
    return p_out


def config_keys_match(theirs, ours, omitted=OMITTED):
    kc, pc = theirs.get_config(), ours.get_config()
    assert set(pc) - set(kc) == set(), f"keys Keras lacks: {set(pc) - set(kc)}"
    assert set(kc) - set(pc) <= omitted, f"keys pynn lacks: {set(kc) - set(pc) - omitted}"
    return kc, pc


def round_trip(layer, x):
    """from_config(get_config()) gives a layer of the same output on the same weights;
    so does a saved and loaded model."""
    import os
    import tempfile
    # (inference: called on their own, Keras' image augmentations would augment)
    out = layer(x, training=False).numpy()
    twin = type(layer).from_config(layer.get_config())
    twin(x, training=False)
    twin.set_weights(layer.get_weights())
    np.testing.assert_allclose(twin(x, training=False).numpy(), out, rtol=1e-6, atol=1e-7)
    model = pynn.Sequential([pynn.Input(shape=x.shape[1:]), type(layer).from_config(
        layer.get_config())])
    model.layers[-1].set_weights(layer.get_weights())
    path = os.path.join(tempfile.mkdtemp(), "m.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), out, rtol=1e-6, atol=1e-7)
    return loaded
