"""SwapEMAWeights (Keras 3's keras/src/callbacks/swap_ema_weights.py): evaluate and
predict with the optimizer's moving average of the weights (``use_ema=True``),
swapping it with the weights in place and back."""
import numpy as np

from .callbacks import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving average around evaluation.

    Before evaluation (fit's validation, ``evaluate``) and prediction the weights
    take the values of the optimizer's exponential moving average and the average
    holds the weights; afterwards they are swapped back. Use it with an optimizer
    created with ``use_ema=True``. (Keras 3's ``on_predict_end`` tests the wrong
    flag and leaves the averaged weights in the model after ``predict``; this one
    swaps them back, as its documentation says.)

    Parameters
    ----------
    swap_on_epoch : bool, default False
        Also swap at the end of each epoch (and back at the start of the next), so
        that later callbacks such as `ModelCheckpoint` see the averaged weights.

    Raises
    ------
    ValueError
        When it runs with an optimizer that has no moving average.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    >>> model.compile(pynn.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), "mse")
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[pynn.callbacks.SwapEMAWeights()])
    >>> average = model.optimizer._model_variables_moving_average[0].copy()
    >>> np.array_equal(model.layers[0].kernel, average)  # fit ends on the average, as Keras
    True
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._ema_weights_in_model = False

    def _optimizer(self):
        opt = getattr(self.model, "optimizer", None)
        if not getattr(opt, "use_ema", False) or not opt._model_variables_moving_average:
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(opt, 'use_ema', None)}")
        return opt

    def _swap_variables(self):
        opt = self._optimizer()
        for var, average in zip(opt._stepped_weights(), opt._model_variables_moving_average):
            held = var.copy()
            np.copyto(var, average)
            np.copyto(average, held)

    def _ema_weights_in(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _training_weights_back(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def _finalize_ema_values(self):
        # the average back from the weights that hold it, so that fit's final copy of
        # the average into the weights leaves the averaged values there (as Keras)
        opt = self._optimizer()
        for var, average in zip(opt._stepped_weights(), opt._model_variables_moving_average):
            np.copyto(average, var)

    def on_epoch_begin(self, epoch, logs=None):
        """Swaps the training weights back in (``swap_on_epoch`` only).

        Parameters
        ----------
        epoch : int
            The epoch about to run.
        logs : dict, optional
            Unused.

        Examples
        --------
        >>> pynn.callbacks.SwapEMAWeights().on_epoch_begin(0)  # nothing to undo
        """
        if self.swap_on_epoch:
            self._training_weights_back()

    def on_epoch_end(self, epoch, logs=None):
        """Puts the averaged weights in the model (``swap_on_epoch`` only).

        Parameters
        ----------
        epoch : int
            The epoch that ended.
        logs : dict, optional
            Unused.

        Examples
        --------
        >>> pynn.callbacks.SwapEMAWeights().on_epoch_end(0)  # swap_on_epoch=False: no-op
        """
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        """Puts the averaged weights in the model for evaluation.

        Parameters
        ----------
        logs : dict, optional
            Unused.

        Examples
        --------
        >>> cb = pynn.callbacks.SwapEMAWeights()
        >>> cb.set_model(pynn.Sequential([pynn.Input(shape=(1,)), pynn.layers.Dense(1)]))
        >>> cb.on_test_begin()
        Traceback (most recent call last):
        ...
        ValueError: SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. Received: use_ema=None
        """
        self._ema_weights_in()

    def on_test_end(self, logs=None):
        """Swaps the training weights back after evaluation.

        Parameters
        ----------
        logs : dict, optional
            Unused.

        Examples
        --------
        >>> pynn.callbacks.SwapEMAWeights().on_test_end()  # nothing swapped: no-op
        """
        self._training_weights_back()

    def on_predict_begin(self, logs=None):
        """Puts the averaged weights in the model for prediction.

        Parameters
        ----------
        logs : dict, optional
            Unused.

        Examples
        --------
        >>> cb = pynn.callbacks.SwapEMAWeights()
        >>> cb.set_model(pynn.Sequential([pynn.Input(shape=(1,)), pynn.layers.Dense(1)]))
        >>> cb.on_predict_begin()
        Traceback (most recent call last):
        ...
        ValueError: SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. Received: use_ema=None
        """
        self._ema_weights_in()

    def on_predict_end(self, logs=None):
        """Swaps the training weights back after prediction.

        Parameters
        ----------
        logs : dict, optional
            Unused.

        Examples
        --------
        >>> pynn.callbacks.SwapEMAWeights().on_predict_end()  # nothing swapped: no-op
        """
        self._training_weights_back()
