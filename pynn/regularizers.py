"""Weight regularizers with Keras' definitions: L1 = l1·Σ|w|, L2 = l2·Σw²."""
from . import ops
from ._names import unknown_name

__all__ = ["Regularizer", "L1L2", "L1", "L2", "OrthogonalRegularizer", "l1_l2", "l1", "l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]


class Regularizer:
    """The base class of weight regularizers: ``regularizer(w) -> scalar Tensor penalty``.

    Pass one as a layer's ``kernel_regularizer`` / ``bias_regularizer``; during
    ``fit`` its penalty is added to the training loss (and differentiated in
    C), as in Keras. A custom regularizer implements ``__call__(w)`` with
    `pynn.ops`.

    Examples
    --------
    >>> class SumOfSquares(pynn.regularizers.Regularizer):
    ...     def __call__(self, w):
    ...         return pynn.ops.sum(pynn.ops.square(w)) * 0.5
    >>> SumOfSquares()(pynn.Tensor(np.array([1.0, 2.0], np.float32))).numpy()
    array(2.5, dtype=float32)
    """
    def __call__(self, w):
        raise NotImplementedError

    def get_config(self):
        """Returns the regularizer's constructor arguments as a dict.

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.regularizers.L1L2(l1=0.1, l2=0.2).get_config()
        {'l1': 0.1, 'l2': 0.2}
        """
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates a regularizer from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            The constructor arguments.

        Returns
        -------
        Regularizer

        Examples
        --------
        >>> pynn.regularizers.L2.from_config({"l2": 0.5}).l2
        0.5
        """
        return cls(**config)


class L1L2(Regularizer):
    """Penalises weights by ``l1 * sum(|w|) + l2 * sum(w**2)``.

    Parameters
    ----------
    l1 : float, default 0.0
        The L1 factor (drives weights to exactly zero: sparsity).
    l2 : float, default 0.0
        The L2 factor (weight decay on the loss).

    Raises
    ------
    ValueError
        A negative factor.

    Examples
    --------
    >>> reg = pynn.regularizers.L1L2(l1=0.1, l2=0.1)
    >>> reg(pynn.Tensor(np.array([1.0, -2.0], np.float32))).numpy()  # 0.1 * 3 + 0.1 * 5
    array(0.8, dtype=float32)
    """
    def __init__(self, l1=0.0, l2=0.0):
        if l1 < 0 or l2 < 0:
            raise ValueError(f"regularization factors must be non-negative, got l1={l1}, l2={l2}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        """Returns the penalty of a weight as a scalar Tensor (a differentiable graph op).

        Parameters
        ----------
        w : Tensor
            The weight.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> pynn.regularizers.L1L2(l2=1.0)(pynn.Tensor(np.array([3.0], np.float32))).numpy()
        array(9., dtype=float32)
        """
        terms = []
        if self.l1:
            terms.append(ops.sum(ops.abs(w)) * self.l1)
        if self.l2:
            terms.append(ops.sum(ops.square(w)) * self.l2)
        if not terms:  # L1L2() with both factors 0 (Keras' defaults): a zero penalty
            return ops.sum(w) * 0.0
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """Penalises weights by ``l1 * sum(|w|)`` (pushes weights to exactly zero).

    Parameters
    ----------
    l1 : float, default 0.01
        The factor.

    Examples
    --------
    >>> layer = pynn.layers.Dense(4, kernel_regularizer=pynn.regularizers.L1(0.01))
    >>> pynn.regularizers.L1(0.5)(pynn.Tensor(np.array([1.0, -2.0], np.float32))).numpy()
    array(1.5, dtype=float32)
    """
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """Penalises weights by ``l2 * sum(w**2)`` (weight decay through the loss).

    Parameters
    ----------
    l2 : float, default 0.01
        The factor.

    Examples
    --------
    >>> layer = pynn.layers.Dense(4, kernel_regularizer="l2")  # by name: L2(0.01)
    >>> pynn.regularizers.L2(0.1)(pynn.Tensor(np.array([1.0, 2.0], np.float32))).numpy()
    array(0.5, dtype=float32)
    """
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


# Keras 3's lowercase names are the classes themselves (keras.regularizers.l2(1e-4)), so
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D weight towards orthogonality (Keras'
    ``OrthogonalRegularizer``): ``factor * 0.5 * sum|P - diag(P)| / (n (n - 1) / 2)``,
    P the matrix of cosine similarities between the L2-normalised rows (``mode="rows"``)
    or columns (``"columns"``), n their number.

    Parameters
    ----------
    factor : float, default 0.01
        The penalty's factor (non-negative).
    mode : {"rows", "columns"}, default "rows"
        Which vectors should be orthogonal: a Dense kernel's columns are its units.

    Raises
    ------
    ValueError
        A negative factor, an unknown mode, or a weight that is not 2D.

    Examples
    --------
    >>> reg = pynn.regularizers.OrthogonalRegularizer(factor=1.0)
    >>> round(float(reg(pynn.Tensor(np.array([[1.0, 0.0], [1.0, 1.0]], np.float32))).numpy()), 4)
    0.7071
    """

    def __init__(self, factor=0.01, mode="rows"):
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor < 0:
            raise ValueError(f"OrthogonalRegularizer: factor must be a float >= 0, got {factor!r}")
        if mode not in ("rows", "columns"):
            raise ValueError("OrthogonalRegularizer: mode must be 'rows' or 'columns', got "
                             f"{mode!r}")
        self.factor, self.mode = float(factor), mode

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        if w.ndim != 2:
            raise ValueError("OrthogonalRegularizer expects a 2D weight (a Dense kernel); got "
                             f"shape {tuple(w.shape)}")
        if self.mode == "columns":
            w = ops.transpose(w)
        # rows scaled to unit length (Keras' normalize: x / max(||x||, 1e-12))
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(w), axis=1, keepdims=True), 1e-24))
        unit = w / norms
        product = ops.matmul(unit, ops.transpose(unit))
        n = w.shape[0]
        off_diagonal = product * (1.0 - ops.eye(n))
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / (n * (n - 1.0) / 2.0))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


orthogonal_regularizer = OrthogonalRegularizer


# l1_l2() has L1L2's defaults (0, 0) as in Keras 3 -- tf.keras 2's function defaulted to 0.01.
l1, l2, l1_l2 = L1, L2, L1L2


def _l1_l2_by_name():
    # The string "l1_l2" (refused by Keras 3) keeps tf.keras 2's meaning, both factors 0.01,
    # rather than a regularizer that silently penalises nothing.
    return L1L2(0.01, 0.01)


_ALIASES = {"l1": L1, "l2": L2, "l1_l2": _l1_l2_by_name, "l1l2": _l1_l2_by_name,
            "orthogonal_regularizer": OrthogonalRegularizer}
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}


def get(identifier):
    """Returns a regularizer from a name, a dict, a callable or an instance.

    Parameters
    ----------
    identifier : str, dict, Regularizer, callable or None
        ``"l1"``, ``"l2"``, ``"l1_l2"`` (factors 0.01), a ``serialize`` dict, a
        regularizer (returned as is) or a function of the weight.

    Returns
    -------
    Regularizer, callable or None

    Raises
    ------
    ValueError
        An unknown name.
    TypeError
        Anything else.

    Examples
    --------
    >>> pynn.regularizers.get("l2").get_config()
    {'l2': 0.01}
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in _ALIASES:
            return _ALIASES[identifier.lower()]()
        raise unknown_name("regularizer", identifier, _ALIASES)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer {identifier!r}")


def serialize(reg):
    """Returns ``{"class_name": ..., "config": {...}}`` for a regularizer.

    Parameters
    ----------
    reg : Regularizer or None
        The regularizer.

    Returns
    -------
    dict or None

    Raises
    ------
    ValueError
        A plain function (not serialisable; use a class).

    Examples
    --------
    >>> pynn.regularizers.serialize(pynn.regularizers.L1(0.5))
    {'class_name': 'L1', 'config': {'l1': 0.5}}
    """
    if reg is None:
        return None
    if isinstance(reg, Regularizer):
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    raise ValueError(f"Cannot serialize regularizer {reg!r} (a plain function); use a class")


def deserialize(config):
    """Creates a regularizer from ``serialize``'s dict.

    Parameters
    ----------
    config : dict
        ``{"class_name": "L1" | "L2" | "L1L2", "config": {...}}``.

    Returns
    -------
    Regularizer

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> pynn.regularizers.deserialize({"class_name": "L2", "config": {"l2": 0.5}}).l2
    0.5
    """
    name = config.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"Unknown regularizer class {name!r}")
    return _CLASSES[name].from_config(config.get("config", {}))
