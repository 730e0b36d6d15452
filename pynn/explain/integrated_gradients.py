"""Integrated gradients (Sundararajan et al. 2017), with Captum's interface and
numerics: attr_i = (x_i - x'_i) * Σ_k w_k ∂F/∂x_i(x' + α_k (x - x')).

All n_steps × batch points on the path go through the engine as batches of
`internal_batch_size` rows: one forward and one backward per batch."""
import numpy as np

from ._model import check_inputs, gradients, outputs_at, prepare

METHODS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def path_points(method, n_steps):
    """(alphas, step weights) of Captum's quadrature rules on [0, 1]."""
    if method not in METHODS:
        raise ValueError(f"IntegratedGradients: method must be one of {list(METHODS)}, got {method!r}")
    if not isinstance(n_steps, (int, np.integer)) or isinstance(n_steps, bool):
        raise TypeError(f"IntegratedGradients: n_steps must be an int, got {type(n_steps).__name__}")
    if method == "gausslegendre":
        if n_steps < 1:
            raise ValueError(f"IntegratedGradients: n_steps must be >= 1, got {n_steps}")
        nodes, weights = np.polynomial.legendre.leggauss(int(n_steps))
        return 0.5 * (1.0 + nodes), 0.5 * weights
    if n_steps < 2:
        raise ValueError(f"IntegratedGradients: the Riemann rules need n_steps >= 2, got {n_steps}")
    n = int(n_steps)
    weights = np.full(n, 1.0 / n)
    if method == "riemann_trapezoid":
        # Captum's trapezoid: n equal steps of 1/n with the two end points halved
        weights[0] /= 2
        weights[-1] /= 2
        return np.linspace(0.0, 1.0, n), weights
    if method == "riemann_left":
        return np.linspace(0.0, 1.0 - 1.0 / n, n), weights
    if method == "riemann_right":
        return np.linspace(1.0 / n, 1.0, n), weights
    return np.linspace(1.0 / (2 * n), 1.0 - 1.0 / (2 * n), n), weights


def broadcast_baselines(baselines, x, who):
    """Captum's baselines: None (zeros), a scalar, or an array broadcastable to the
    inputs (one per example, or one per-sample array for all)."""
    if baselines is None:
        return np.zeros_like(x)
    if np.isscalar(baselines):
        return np.full_like(x, float(baselines))
    b = check_inputs(baselines, who) if np.ndim(baselines) == x.ndim else \
        np.asarray(baselines, np.float32)
    try:
        return np.ascontiguousarray(np.broadcast_to(b, x.shape), np.float32)
    except ValueError:
        raise ValueError(f"{who}: baselines of shape {np.shape(baselines)} do not broadcast to the "
                         f"inputs of shape {x.shape}") from None


class IntegratedGradients:
    """Integrated gradients (Sundararajan et al., 2017), with Captum's interface and numbers.

    Attributions are ``(x - x') * integral of dF/dx along the straight path from
    the baseline x' to x``; they add up to ``F(x) - F(x')`` (completeness). The
    gradients of all path points are computed by the C engine in batches.

    Parameters
    ----------
    model : Model or callable
        A pynn model, or a function of a `pynn.Tensor` returning a Tensor.
    multiply_by_inputs : bool, default True
        Multiply by ``x - x'`` (False gives the path-integrated gradient only).

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
    >>> model.set_weights([np.array([[1.0], [2.0], [-3.0]]), np.zeros(1)])
    >>> x = np.ones((1, 3), np.float32)
    >>> ig = pynn.explain.IntegratedGradients(model)
    >>> attributions, delta = ig.attribute(x, return_convergence_delta=True)
    >>> attributions  # a linear model: weight * (x - 0)
    array([[ 1.,  2., -3.]])
    >>> bool(abs(delta[0]) < 1e-5)
    True
    """

    def __init__(self, model, multiply_by_inputs=True):
        self.model = model
        self.multiply_by_inputs = bool(multiply_by_inputs)

    def attribute(self, inputs, baselines=None, target=None, n_steps=50, method="gausslegendre",
                  internal_batch_size=None, return_convergence_delta=False):
        """Returns the integrated-gradients attributions of ``inputs``.

        Parameters
        ----------
        inputs : array_like
            The examples, batch axis first.
        baselines : float or array_like, optional
            The reference x' (default zeros), broadcast to the inputs.
        target : int, tuple or sequence, optional
            Which output to explain (Captum's target): None for a model with one output
            per example, an index for all examples, or one index per example.
        n_steps : int, default 50
            Number of points on the path.
        method : str, default "gausslegendre"
            Quadrature: "gausslegendre", "riemann_left", "riemann_right",
            "riemann_middle" or "riemann_trapezoid" (Captum's).
        internal_batch_size : int, optional
            Path points per engine batch (default: all at once).
        return_convergence_delta : bool, default False
            Also return each example's completeness error
            ``sum(attributions) - (F(x) - F(x'))``.

        Returns
        -------
        numpy.ndarray or tuple
            float64 attributions of the inputs' shape (and the deltas).

        Raises
        ------
        ValueError
            Inputs of the wrong shape, or a target that is missing or out of range.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
        >>> model.set_weights([np.array([[1.0], [2.0], [-3.0]]), np.zeros(1)])
        >>> x = np.ones((1, 3), np.float32)
        >>> pynn.explain.IntegratedGradients(model).attribute(x, baselines=0.5, n_steps=8)
        array([[ 0.5,  1. , -1.5]])
        """
        who = "IntegratedGradients.attribute"
        alphas, weights = path_points(method, n_steps)
        forward, x, flat_targets = prepare(self.model, inputs, target, who)
        base = broadcast_baselines(baselines, x, who)
        n = len(x)
        rows = n * len(alphas)
        # max(rows, 1): no inputs give no attributions (a step of 0 was range()'s ValueError)
        batch = max(rows, 1) if internal_batch_size is None else _positive_int(internal_batch_size,
                                                                                who)

        # step-major, as Captum: the whole batch at α_1, then at α_2, ...
        diff = x - base
        path = (base[None] + alphas.astype(np.float32).reshape((-1,) + (1,) * x.ndim) * diff[None])
        grads = gradients(self.model, forward, path.reshape((rows,) + x.shape[1:]),
                          np.tile(flat_targets, len(alphas)), batch)
        grads = grads.reshape((len(alphas),) + x.shape).astype(np.float64)
        total = np.tensordot(weights, grads, axes=1)
        attributions = total * diff.astype(np.float64) if self.multiply_by_inputs else total
        if not return_convergence_delta:
            return attributions
        fx = outputs_at(forward, x, flat_targets, batch)
        fb = outputs_at(forward, base, flat_targets, batch)
        delta = attributions.reshape(n, int(np.prod(x.shape[1:]))).sum(axis=1) - (fx - fb)
        return attributions, delta


def _positive_int(v, who):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{who}: internal_batch_size must be a positive int, got {v!r}")
    return int(v)
