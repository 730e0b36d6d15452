"""Input × gradient (Shrikumar et al. 2016), as Captum's InputXGradient."""
import numpy as np

from ._model import gradients, prepare


class InputXGradient:
    """Input times gradient attributions: ``x * dF/dx`` (Captum's InputXGradient).

    Parameters
    ----------
    model : Model or callable
        A pynn model, or a function of a `pynn.Tensor` returning a Tensor.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
    >>> model.set_weights([np.array([[1.0], [2.0], [-3.0]]), np.zeros(1)])
    >>> x = np.ones((1, 3), np.float32)
    >>> pynn.explain.InputXGradient(model).attribute(2 * x)
    array([[ 2.,  4., -6.]])
    """

    def __init__(self, model):
        self.model = model

    def attribute(self, inputs, target=None):
        """Returns ``inputs * dF/dinputs`` for the target output.

        Parameters
        ----------
        inputs : array_like
            The examples, batch axis first.
        target : int, tuple or sequence, optional
            Which output to explain (Captum's target): None for a model with one output
            per example, an index for all examples, or one index per example.

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
        >>> pynn.explain.InputXGradient(model).attribute(x)
        array([[ 1.,  2., -3.]])
        """
        forward, x, flat_targets = prepare(self.model, inputs, target, "InputXGradient.attribute")
        grads = gradients(self.model, forward, x, flat_targets, max(len(x), 1))
        return x.astype(np.float64) * grads
