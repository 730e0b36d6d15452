"""Adaptive pooling (Keras 3: AdaptiveAverage/MaxPooling1D/2D/3D): a fixed output
size whatever the input's, as PyTorch's adaptive pools; the layers of
``ops.adaptive_average_pool`` / ``ops.adaptive_max_pool`` (pynn/ops/nn_conv.py), which
hold the windows."""
import numpy as np

from .. import ops
from ..ops.conv import _check_input_rank
from .base import Layer


_MAX_CELLS = 1 << 16


class _AdaptivePool(Layer):
    _one_input = True
    rank = None
    pool = None  # the ops function

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        size = (output_size,) * self.rank if isinstance(output_size, (int, np.integer)) \
            and not isinstance(output_size, bool) else output_size
        if not isinstance(size, (list, tuple)) or len(size) != self.rank or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
                for s in size):
            raise TypeError(f"{cls}: `output_size` must be a positive int or a tuple of "
                            f"{self.rank} positive ints, received output_size={output_size!r}")
        if max(size) > _MAX_CELLS:  # one slice per output cell: refuse sizes that never end
            raise ValueError(f"{cls}: `output_size` may be at most {_MAX_CELLS} per axis, "
                             f"received output_size={output_size!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported, received "
                             f"data_format={data_format!r}")
        self.output_size = tuple(int(s) for s in size)
        self.data_format = "channels_last"

    def _check_input(self, shape):
        _check_input_rank(f"{type(self).__name__} '{self.name}'", tuple(shape), self.rank)

    def call(self, inputs, training=False):
        return type(self).pool(inputs, self.output_size)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.output_size + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size),
                "data_format": self.data_format}


_DOC = """Adaptive {kind} pooling to a fixed output size over {what}
    (Keras' Adaptive{Kind}Pooling{r}D).

    Output cell ``i`` of an axis of length ``n`` is the {kind} of input cells
    ``floor(i*n/o)`` to ``ceil((i+1)*n/o) - 1`` (PyTorch's windows, which Keras 3
    uses), per channel.

    Parameters
    ----------
    output_size : int or tuple of {r} int
        The output's spatial size.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    TypeError
        A bad output_size.
    ValueError
        An output_size above 65536, channels-first, or inputs of the wrong rank.

    Examples
    --------
    >>> x = np.arange({n}, dtype=np.float32).reshape({shape})
    >>> pynn.layers.Adaptive{Kind}Pooling{r}D({out})(x).numpy().ravel()
    {result}
    """


def _make(kind, r, pool, example):
    what = {1: "steps (batch, steps, channels)", 2: "images (batch, height, width, channels)",
            3: "volumes (batch, d1, d2, d3, channels)"}[r]
    name = f"Adaptive{kind.capitalize()}Pooling{r}D"
    doc = _DOC.format(kind=kind, Kind=kind.capitalize(), what=what, r=r, **example)
    return type(name, (_AdaptivePool,), {"__doc__": doc, "rank": r,
                                         "pool": staticmethod(pool),
                                         "__module__": __name__})


AdaptiveAveragePooling1D = _make("average", 1, ops.adaptive_average_pool, dict(
    n=5, shape="(1, 5, 1)", out=2, result="array([1., 3.], dtype=float32)"))
AdaptiveAveragePooling2D = _make("average", 2, ops.adaptive_average_pool, dict(
    n=16, shape="(1, 4, 4, 1)", out=2, result="array([ 2.5,  4.5, 10.5, 12.5], dtype=float32)"))
AdaptiveAveragePooling3D = _make("average", 3, ops.adaptive_average_pool, dict(
    n=8, shape="(1, 2, 2, 2, 1)", out=1, result="array([3.5], dtype=float32)"))
AdaptiveMaxPooling1D = _make("max", 1, ops.adaptive_max_pool, dict(
    n=5, shape="(1, 5, 1)", out=2, result="array([2., 4.], dtype=float32)"))
AdaptiveMaxPooling2D = _make("max", 2, ops.adaptive_max_pool, dict(
    n=16, shape="(1, 4, 4, 1)", out=2, result="array([ 5.,  7., 13., 15.], dtype=float32)"))
AdaptiveMaxPooling3D = _make("max", 3, ops.adaptive_max_pool, dict(
    n=8, shape="(1, 2, 2, 2, 1)", out=1, result="array([7.], dtype=float32)"))
