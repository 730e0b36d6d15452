"""Saliency (Simonyan et al. 2014), as Captum's: the gradient of the target
output with respect to the inputs, its absolute value by default."""
import numpy as np

from ._model import gradients, prepare


class Saliency:
    """Saliency maps: the gradient of the output with respect to the inputs (Simonyan et al., 2013;
    Captum's Saliency).

    The whole batch is one forward and one backward pass in the C engine.

    Parameters
    ----------
    model : Model or callable
        A pynn model, or a function of a `pynn.Tensor` returning a Tensor.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
    >>> model.set_weights([np.array([[1.0], [2.0], [-3.0]]), np.zeros(1)])
    >>> x = np.ones((1, 3), np.float32)
    >>> pynn.explain.Saliency(model).attribute(x)
    array([[1., 2., 3.]])
    """

    def __init__(self, model):
        self.model = model

    def attribute(self, inputs, target=None, abs=True):
        """Returns the gradient of the target output with respect to each input.

        Parameters
        ----------
        inputs : array_like
            The examples, batch axis first.
        target : int, tuple or sequence, optional
            Which output to explain (Captum's target): None for a model with one output
            per example, an index for all examples, or one index per example.
        abs : bool, default True
            Return absolute values (Captum's default).

        Returns
        -------
        numpy.ndarray
            float64, the inputs' shape.

        Raises
        ------
        ValueError
            Inputs of the wrong shape, or a target that is missing or out of range.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
        >>> model.set_weights([np.array([[1.0], [2.0], [-3.0]]), np.zeros(1)])
        >>> x = np.ones((1, 3), np.float32)
        >>> pynn.explain.Saliency(model).attribute(x, abs=False)
        array([[ 1.,  2., -3.]])
        """
        forward, x, flat_targets = prepare(self.model, inputs, target, "Saliency.attribute")
        grads = gradients(self.model, forward, x, flat_targets, max(len(x), 1)).astype(np.float64)
        return np.abs(grads) if abs else grads
