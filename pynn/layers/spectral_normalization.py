"""SpectralNormalization (keras/src/layers/normalization/spectral_normalization.py):
wraps a layer with a ``kernel`` (or an Embedding's ``embeddings``) and, in each
training call, divides that kernel by its largest singular value, estimated by
power iteration with a kept vector ``vector_u``.

Keras assigns the normalized kernel to the kernel variable before the wrapped
layer runs, so the gradient is taken with respect to the normalized value and the
optimizer steps from it. The same here in engine ops: sigma comes from the power
iteration without gradient; the kernel the wrapped layer sees is ``W / sigma`` in
value with the identity as its gradient to ``W``; and the store_states op writes
it, and the new vector, back into the variables on every training call (eager,
or each batch of a compiled fit), never while a model is traced."""
import numpy as np

from .. import initializers, ops
from .input_spec import InputSpec
from .wrapper import Wrapper


def _normalize(x):
    """Keras' ops.nn.normalize(x, axis=None): x / max(||x||, 1e-7)."""
    return x * ops.rsqrt(ops.maximum(ops.sum(x * x), np.float32(1e-14)))


class SpectralNormalization(Wrapper):
    """Normalizes a wrapped layer's kernel by its spectral norm in training (Keras' layer).

    Stabilizes GAN training by keeping the layer's Lipschitz constant near 1
    (Miyato et al., 2018). At inference the wrapped layer runs on its kernel as
    it is.

    Parameters
    ----------
    layer : Layer
        A layer with a ``kernel`` (Dense, Conv2D, ...) or ``embeddings`` (Embedding).
    power_iterations : int, default 1
        Power-iteration steps per training call.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``power_iterations`` below 1, a wrapped layer without a kernel, or inputs
        whose last axis differs from the one it was built for.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> dense = pynn.layers.Dense(3, use_bias=False, name="inner")
    >>> sn = pynn.layers.SpectralNormalization(dense, power_iterations=20)
    >>> _ = sn(np.ones((1, 4), np.float32), training=True)
    >>> round(float(np.linalg.svd(dense.kernel, compute_uv=False)[0]), 4)  # now ~1
    1.0
    >>> [w.path.split("/")[0] for w in sn.weights]  # Keras' order: the kernel, then vector_u
    ['inner', 'spectral_normalization...']
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(
                power_iterations, (int, np.integer)) or power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor "
                             f"'embeddings'")
        # Keras tracks the wrapped kernel as this layer's first weight: its weight order
        # is kernel, vector_u, then the wrapped layer's others (set_weights takes Keras')
        if all(self.kernel is not w for w in self._weights):
            self._weights.insert(0, self.kernel)
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight("vector_u", (1, self.kernel_shape[-1]),
                                        initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False)

    def _normalized_kernel(self):
        """(W / sigma in value with W's gradient, W / sigma, the new u), as Keras'
        normalized_weights."""
        w = self.layer.tensor(self.kernel)
        u0 = self.tensor(self.vector_u)
        cols = self.kernel_shape[-1]
        with_grad = ops.reshape(w, (-1, cols))
        mat = ops.stop_gradient(with_grad)
        u = u0
        for _ in range(self.power_iterations):
            v = _normalize(ops.matmul(u, mat, transpose_b=True))
            u = _normalize(ops.matmul(v, mat))
        sigma = ops.matmul(ops.matmul(v, mat), u, transpose_b=True)   # (1, 1)
        # Keras keeps an all-zero kernel (and u) as they are
        zero = ops.equal(ops.max(ops.abs(mat)), np.float32(0.0))
        sigma = ops.where(zero, np.float32(1.0), sigma)
        u = ops.where(zero, u0, u)
        normalized = ops.reshape(mat / sigma, self.kernel_shape)
        used = ops.stop_gradient(normalized - w) + w   # the value W / sigma, gradient to W
        return used, normalized, u

    def call(self, inputs, training=False):
        if not training:
            return self.layer(inputs)
        used, normalized, u = self._normalized_kernel()
        # the kernel becomes its normalized value (and u the new vector) as this runs
        used = ops.store_states(used, [normalized, u],
                                [self.layer.tensor(self.kernel), self.tensor(self.vector_u)])
        held = self.kernel._tensor
        self.kernel._tensor = used   # what the wrapped layer's call reads as its kernel
        try:
            return self.layer(inputs, training=training)
        finally:
            self.kernel._tensor = held

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["power_iterations"] = self.power_iterations
        return cfg
