"""callbacks.TensorBoard: Keras' TensorBoard logs, written with the ``tensorboard``
package's event-file writer (an optional extra; no TensorFlow needed) so that
TensorBoard itself reads them.

Keras 3's layout and names: ``log_dir/train`` and ``log_dir/validation`` hold one
event file each; per epoch the scalars ``epoch_<metric>`` (training metrics and
``epoch_learning_rate`` in train, the ``val_`` metrics without their prefix in
validation), per ``update_freq`` batches ``batch_<metric>`` at the global batch
number, after each validation pass ``evaluation_<metric>_vs_iterations`` at the
optimizer's step count, and every ``histogram_freq`` epochs a histogram of each
weight under ``<weight path>/histogram``."""
import os
import time

import numpy as np

from .callbacks import Callback

__all__ = ["TensorBoard"]


def _tensorboard():
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as e:
        raise ImportError("callbacks.TensorBoard writes with the tensorboard package, which is "
                          "not installed: pip install tensorboard (pynn's [tensorboard] extra)"
                          ) from e
    return Event, HistogramProto, Summary, EventFileWriter


class _Writer:
    """One event file: scalars and histograms at integer steps."""

    def __init__(self, logdir):
        self.Event, self.HistogramProto, self.Summary, writer_cls = _tensorboard()
        self.writer = writer_cls(logdir)

    def _write(self, value, step):
        self.writer.add_event(self.Event(wall_time=time.time(), step=int(step),
                                         summary=self.Summary(value=[value])))

    def scalar(self, tag, value, step):
        self._write(self.Summary.Value(tag=tag, simple_value=float(value)), step)

    def histogram(self, tag, values, step, bins=30):
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            return
        counts, edges = np.histogram(v, bins=bins)
        proto = self.HistogramProto(min=float(v.min()), max=float(v.max()), num=int(v.size),
                                    sum=float(v.sum()), sum_squares=float(np.dot(v, v)),
                                    bucket_limit=[float(e) for e in edges[1:]],
                                    bucket=[float(c) for c in counts])
        self._write(self.Summary.Value(tag=tag, histo=proto), step)

    def flush(self):
        self.writer.flush()

    def close(self):
        self.writer.close()


class TensorBoard(Callback):
    """Writes TensorBoard logs: epoch and batch scalars, weight histograms (Keras' callback).

    Needs the ``tensorboard`` package (``pip install tensorboard``); view the logs
    with ``tensorboard --logdir <log_dir>``.

    Parameters
    ----------
    log_dir : str or path, default "logs"
        The directory; ``train`` and ``validation`` subdirectories are made in it.
    histogram_freq : int, default 0
        Every how many epochs to write weight histograms (0: never).
    write_graph : bool, default True
        Accepted; the graph is not written (see ``utils.plot_model``).
    write_images : bool, default False
        Only False.
    write_steps_per_second : bool, default False
        Also write ``epoch_steps_per_second`` / ``batch_steps_per_second``.
    update_freq : "epoch", "batch" or int, default "epoch"
        Write ``batch_<metric>`` scalars every batch or every that many batches
        (fit then returns to Python at those batches).
    profile_batch : int, default 0
        Only 0 (no profiling).
    embeddings_freq : int, default 0
        Only 0.
    embeddings_metadata : None
        Only None.

    Raises
    ------
    ValueError
        A bad ``update_freq`` or ``histogram_freq``, or an unsupported option.
    ImportError
        At training start when tensorboard is not installed.

    Examples
    --------
    >>> import os, tempfile
    >>> logdir = tempfile.mkdtemp()
    >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0,
    ...               callbacks=[pynn.callbacks.TensorBoard(logdir, histogram_freq=1)])
    >>> sorted(os.listdir(logdir))
    ['train']
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) \
                or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be a non-negative int, got "
                             f"{histogram_freq!r}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool)
                                       or not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"int, got {update_freq!r}")
        if write_images or profile_batch or embeddings_freq or embeddings_metadata is not None:
            raise ValueError("TensorBoard: write_images, profile_batch, embeddings_freq and "
                             "embeddings_metadata are not supported")
        self.histogram_freq, self.update_freq = histogram_freq, update_freq
        self.write_graph, self.write_steps_per_second = write_graph, write_steps_per_second
        self._writers = {}
        self._global_train_batch = 0

    def _writer(self, which):
        if which not in self._writers:
            self._writers[which] = _Writer(os.path.join(self.log_dir, which))
        return self._writers[which]

    def _needs_every_batch(self):
        return self.update_freq != "epoch"

    def on_train_begin(self, logs=None):
        _tensorboard()  # fail before training when the package is missing
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_start_step = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        w = self._writer("train")
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                w.scalar(f"batch_{name}", value, self._global_train_batch)
        if self.write_steps_per_second:
            w.scalar("batch_steps_per_second", 1.0 / max(time.time() - self._batch_start, 1e-9),
                     self._global_train_batch)

    def _iterations(self):
        opt = getattr(self.model, "optimizer", None)
        return int(getattr(opt, "iterations", 0) or 0)

    def on_test_end(self, logs=None):
        if getattr(self.model, "optimizer", None) is None or not logs:
            return
        w = self._writer("validation")
        for name, value in logs.items():
            if np.ndim(value) == 0:
                w.scalar(f"evaluation_{name}_vs_iterations", value, self._iterations())

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_") and np.ndim(v) == 0}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_") and np.ndim(v) == 0}
        opt = getattr(self.model, "optimizer", None)
        if opt is not None:
            train["learning_rate"] = float(np.asarray(opt.learning_rate))
        if self.write_steps_per_second:
            seconds = max(time.time() - self._epoch_start, 1e-9)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_step) / seconds
        for which, values in (("train", train), ("validation", val)):
            if values:
                w = self._writer(which)
                for name, value in values.items():
                    w.scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            w = self._writer("train")
            for layer in self.model.layers:
                for weight in layer.weights:
                    w.histogram(f"{weight.name.replace(':', '_')}/histogram", weight, epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}
