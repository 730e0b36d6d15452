"""What a Keras user overrides to change what fit / evaluate / predict do with one
batch: train_step, test_step, predict_step, and the pieces they are written with
(zero_grad, compute_metrics, metrics, reset_metrics), as Keras 3's torch backend
has them (keras.io's guide "Customizing what happens in fit() with PyTorch").

The default steps here are the eager form of the compiled loop: a model that does
not override a step never runs them from fit (its batches run in C); they serve
``super().train_step(data)`` and hand-written loops."""
import warnings

import numpy as np

from ..tensor import no_grad
from .compile_utils import takes_training


def _unpack(data):
    """(x, y, sample_weight) from what a step receives."""
    from ..utils import unpack_x_y_sample_weight
    return unpack_x_y_sample_weight(data)


def _n_samples(x):
    first = x[0] if isinstance(x, (list, tuple)) else x
    return int(np.shape(first)[0])


class RetryInPython(Exception):
    """The model's first trace found a call() that assigns a variable: the compiled
    loop cannot replay it, so fit / evaluate / predict start again on the eager steps."""


class Steps:
    """The overridable steps of `pynn.Model` (mixed into its trainer)."""

    def _overrides(self, step):
        """Whether fit / evaluate / predict call the named step batch by batch instead
        of running the compiled loop: the model's class replaces it, or a layer's
        call() assigns a variable (``kernel.assign(kernel * mask)`` in keras.io's
        PixelCNN), which only an eager step redoes at every batch, as Keras does."""
        return (getattr(type(self), step) is not getattr(Steps, step)
                or self.__dict__.get("_steps_in_python", False))

    @property
    def metrics(self):
        """The metrics ``fit`` resets each epoch and a step reports (Keras 3): a
        `metrics.Mean` named ``"loss"`` tracking the loss, then compile()'s metrics as
        one object named ``"compile_metrics"`` whose ``result()`` is a dict.

        A subclass may override this property to list its own metric objects
        (Keras' guide does), which ``fit`` and ``evaluate`` then reset.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        >>> [m.name for m in model.metrics]
        ['loss', 'compile_metrics']
        """
        return [m for m in (self.__dict__.get("_loss_tracker"),
                            self.__dict__.get("_compile_metrics")) if m is not None]

    def _metrics_result(self):
        """{name: value} of every metric in model.metrics, dict results flattened."""
        logs = {}
        for m in self.metrics:
            value = m.result()
            logs.update(value if isinstance(value, dict) else {m.name: value})
        return logs

    def reset_metrics(self):
        """Resets every metric in ``model.metrics`` (fit does it at each epoch start).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.metrics[0].update_state(3.0)
        >>> model.reset_metrics()
        >>> model.metrics[0].result()
        0.0
        """
        for m in self.metrics:
            m.reset_state()

    def zero_grad(self):
        """Sets the gradient of every weight to zero, before a ``loss.backward()``.

        As ``torch.nn.Module.zero_grad`` in Keras' torch backend; the gradients are
        zeroed in place (they are views of the model's gradient arena, which the
        compiled loop also uses), never dropped.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> pynn.ops.sum(model(pynn.Tensor(np.ones((1, 2), np.float32)))).backward()
        >>> model.trainable_weights[1].value.grad
        array([1.], dtype=float32)
        >>> model.zero_grad()
        >>> model.trainable_weights[1].value.grad
        array([0.], dtype=float32)
        """
        for var in self.weights:
            grad = var.value.grad
            if grad is not None:
                grad[...] = 0.0

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with one batch and returns ``model.metrics``'
        results (Keras' ``compute_metrics``).

        Parameters
        ----------
        x : Tensor or list of Tensor
            The batch's inputs (unused, as in Keras' default).
        y : Tensor or list of Tensor
            Its targets (one per output).
        y_pred : Tensor or list of Tensor
            Its predictions (one per output).
        sample_weight : Tensor, optional
            Per-sample weights, given to ``weighted_metrics`` only.

        Returns
        -------
        dict
            ``{name: value}`` for every metric in ``model.metrics`` (the compiled
            metrics' dict flattened into it).

        Raises
        ------
        ValueError
            The model is not compiled.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(1,)), pynn.layers.Dense(1)])
        >>> model.compile(loss="mse", metrics=["mae"])
        >>> model.compute_metrics(None, np.zeros((2, 1)), np.array([[1.0], [3.0]]))
        {'loss': 0.0, 'mae': 2.0}
        """
        self._require_compiled("compute_metrics")
        compiled = self.__dict__.get("_compile_metrics")
        if compiled is not None and y is not None:  # fit(x) without targets: the loss only
            compiled.update_state(y, y_pred, sample_weight)
        return self._metrics_result()

    def _step_loss(self, x, y, y_pred, sample_weight, training):
        extra = {"training": training} if takes_training(self.compute_loss) else {}
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, **extra)
        if loss is None:
            raise ValueError(f"Model '{self.name}' has no loss: compile(loss=...) names none, no "
                             f"layer calls add_loss() and compute_loss() is not overridden")
        self._loss_tracker.update_state(loss, sample_weight=_n_samples(x))
        return loss

    def train_step(self, data):
        """Trains on one batch: forward, loss, backward, optimizer step, metrics.

        ``fit`` calls it once per batch when a subclass overrides it (the default
        training runs in the compiled loop instead, with the same arithmetic). The
        override follows Keras' torch guide: ``self.zero_grad()``, ``y_pred =
        self(x, training=True)``, ``loss = self.compute_loss(y=y, y_pred=y_pred)``,
        ``loss.backward()``, ``grads = [v.value.grad for v in
        self.trainable_weights]``, ``self.optimizer.apply(grads,
        self.trainable_weights)``, then update ``self.metrics`` and return their
        results.

        Parameters
        ----------
        data : tuple
            ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` of one batch, as
            Tensors (lists of Tensors for several inputs or outputs);
            ``sample_weight`` only when fit was given sample or class weights.

        Returns
        -------
        dict
            ``{metric name: value}``: the logs fit shows and hands to callbacks.

        Raises
        ------
        ValueError
            The model has no loss at all.

        Examples
        --------
        >>> class Custom(pynn.Model):
        ...     def train_step(self, data):
        ...         x, y = data
        ...         self.zero_grad()
        ...         loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        ...         loss.backward()
        ...         weights = self.trainable_weights
        ...         self.optimizer.apply([v.value.grad for v in weights], weights)
        ...         self.metrics[0].update_state(loss)
        ...         return {"loss": self.metrics[0].result()}
        >>> inputs = pynn.Input(shape=(1,))
        >>> model = Custom(inputs, pynn.layers.Dense(1, kernel_initializer="zeros")(inputs))
        >>> model.compile(optimizer=pynn.optimizers.SGD(0.25), loss="mse")
        >>> model.fit(np.ones((2, 1)), np.ones((2, 1)), epochs=2, verbose=0).history["loss"]
        [1.0, 0.0]
        """
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=True)
        self.zero_grad()
        loss = self._step_loss(x, y, y_pred, sample_weight, training=True)
        weights = self.trainable_weights
        if weights:
            loss.backward()
            with no_grad():
                self.optimizer.apply([v.value.grad for v in weights], weights)
        else:
            warnings.warn(f"Model '{self.name}' has no trainable weights: train_step computes "
                          f"the loss and changes nothing", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Evaluates one batch: forward in inference mode, loss, metrics.

        ``evaluate`` (and fit's validation) call it once per batch, without recording
        a graph, when a subclass overrides it; otherwise evaluation runs in the
        compiled loop.

        Parameters
        ----------
        data : tuple
            ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` of one batch.

        Returns
        -------
        dict
            ``{metric name: value}``.

        Raises
        ------
        ValueError
            The model has no loss at all.

        Examples
        --------
        >>> class Custom(pynn.Model):
        ...     def test_step(self, data):
        ...         x, y = data
        ...         return {"max_error": float(pynn.ops.max(pynn.ops.abs(self(x) - y)))}
        >>> inputs = pynn.Input(shape=(1,))
        >>> model = Custom(inputs, pynn.layers.Dense(1, kernel_initializer="ones")(inputs))
        >>> model.compile(loss="mse")
        >>> model.evaluate(np.array([[1.0], [2.0]]), np.zeros((2, 1)), verbose=0)
        2.0
        """
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        self._step_loss(x, y, y_pred, sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """Predicts one batch: ``self(x, training=False)``.

        ``predict`` calls it once per batch, without recording a graph, when a
        subclass overrides it, and concatenates what it returns.

        Parameters
        ----------
        data : Tensor or list of Tensor
            One batch of inputs.

        Returns
        -------
        Tensor or list of Tensor

        Examples
        --------
        >>> class Clipped(pynn.Model):
        ...     def predict_step(self, data):
        ...         return pynn.ops.clip(self(data, training=False), 0.0, 1.0)
        >>> inputs = pynn.Input(shape=(1,))
        >>> model = Clipped(inputs, pynn.layers.Dense(1, kernel_initializer="ones")(inputs))
        >>> model.predict(np.array([[0.5], [1.5]]), verbose=0)
        array([[0.5],
               [1. ]], dtype=float32)
        """
        x, _, _ = _unpack(data)
        return self(x, training=False)
