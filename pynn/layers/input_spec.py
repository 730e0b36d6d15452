"""InputSpec (keras/src/layers/input_spec.py): what a layer declares about its
inputs (rank, shape, dtype, fixed axes) in ``self.input_spec``; ``Layer.__call__``
checks every call against it, eager or symbolic, with Keras' messages."""


def _standardize_dtype(dtype):
    # imported here: pynn.utils imports pynn.text, which imports the layers (a cycle when
    # pynn.text is the first module loaded)
    from ..utils import standardize_dtype
    return standardize_dtype(dtype)


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _flatten(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _flatten(x[k])]
    return [x]


class InputSpec:
    """The rank, dtype and shape a layer accepts (Keras' ``keras.layers.InputSpec``).

    Set ``self.input_spec`` (one spec, or a list: one per input) in a layer's
    ``__init__`` or ``build``; every call is then checked against it and a bad
    input raises ``ValueError`` naming the layer, the input and what was expected.

    Parameters
    ----------
    dtype : str, optional
        The expected dtype (any name `pynn.utils.standardize_dtype` takes).
    shape : tuple, optional
        The expected shape, batch axis included; None matches any size.
    ndim : int, optional
        The expected rank (implied by ``shape``).
    max_ndim, min_ndim : int, optional
        Bounds on the rank.
    axes : dict of int to int, optional
        Sizes required at given axes (``{-1: 3}``: three channels).
    allow_last_axis_squeeze : bool, default False
        Accept a rank one off when the extra last axis has size 1.
    name : str, optional
        The key of this input when a dict of inputs is passed.
    optional : bool, default False
        Whether the input may be None.

    Raises
    ------
    TypeError
        ``axes`` that is not a dict with integer keys.
    ValueError
        An axis beyond the declared rank.

    Examples
    --------
    >>> class Gray(pynn.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.input_spec = pynn.layers.InputSpec(ndim=4, axes={-1: 1})
    ...     def call(self, x):
    ...         return x * 2.0
    >>> Gray(name="gray")(np.ones((2, 3, 3, 1), np.float32)).shape
    (2, 3, 3, 1)
    >>> Gray(name="gray")(np.ones((2, 3, 3, 3), np.float32))
    Traceback (most recent call last):
    ...
    ValueError: Input 0 with name 'None' of layer 'gray' is incompatible with the layer: expected axis -1 of input shape to have value 1, but received input with shape (2, 3, 3, 3)
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = _standardize_dtype(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.ndim = ndim
            self.shape = None
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: "
                            f"axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed "
                                 f"value: {max_dim}")

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "",
                f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "",
                f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "",
                f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        """The constructor arguments (Keras' keys).

        Examples
        --------
        >>> pynn.layers.InputSpec(ndim=2).get_config()["ndim"]
        2
        """
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        """A spec from `get_config`'s dict.

        Parameters
        ----------
        config : dict
            As `get_config` returns.

        Examples
        --------
        >>> pynn.layers.InputSpec.from_config({"min_ndim": 3})
        InputSpec(min_ndim=3)
        """
        return cls(**config)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises ValueError (Keras' messages) when ``inputs`` do not satisfy ``input_spec``."""
    if not input_spec:
        return
    specs = _flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs]
        if all(names):
            for name in names:
                if name not in inputs:
                    raise ValueError(f'Missing data for input "{name}". You passed a data '
                                     f"dictionary with keys {list(inputs)}. Expected the "
                                     f"following keys: {names}")
            inputs = [inputs[name] for name in names]
    inputs = _flatten(inputs)
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(inputs)} input tensors. Inputs received: {inputs}")
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type "
                             f"{type(x)}) as input for layer '{layer_name}'.")
        shape = tuple(None if d is None else int(d) for d in x.shape)
        ndim = len(shape)
        where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible " \
                f"with the layer:"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={ndim}. Full shape "
                             f"received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where} expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.dtype is not None:
            dtype = _standardize_dtype(getattr(x, "dtype", None))
            if dtype != spec.dtype:
                raise ValueError(f"{where} expected dtype={spec.dtype}, found dtype={dtype}")
        for axis, value in spec.axes.items():
            if value is not None and shape[axis] not in {value, None}:
                raise ValueError(f"{where} expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape {shape}")
        if spec.shape is not None:
            spec_shape = spec.shape
            if spec.allow_last_axis_squeeze:
                if shape and shape[-1] == 1:
                    shape = shape[:-1]
                if spec_shape and spec_shape[-1] == 1:
                    spec_shape = spec_shape[:-1]
            for spec_dim, dim in zip(spec_shape, shape):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"{where} expected shape={spec.shape}, found "
                                     f"shape={shape}")
