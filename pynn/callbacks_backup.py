"""BackupAndRestore: resume an interrupted fit where it stopped (Keras 3's
keras/src/callbacks/backup_and_restore.py, https://keras.io/api/callbacks/backup_and_restore/).

The backup is pynn's safe weights file (a zip of .npz arrays and JSON, never a
pickle) holding the weights and the optimizer state, plus a small JSON file with
the epoch to resume from. Both are written under a temporary name and renamed, so
an interruption while saving leaves the previous backup whole."""
import json
import os
import shutil

from .callbacks import Callback


class BackupAndRestore(Callback):
    """Backs up the model and its optimizer at every epoch end (or every ``save_freq``
    batches), and restores them at the start of the next ``fit`` after an interruption,
    which then resumes at the epoch after the last backup.

    ``fit`` runs from that epoch to ``epochs`` (its ``initial_epoch`` is overridden);
    the History holds the epochs run by that call. The backup directory is deleted
    when a fit finishes (``delete_checkpoint=True``), so the next fit starts afresh.
    Shuffling draws new permutations after a restart (the random state is not saved):
    with ``shuffle=False`` a resumed fit ends with the same weights, to the bit, as
    an uninterrupted one.

    Parameters
    ----------
    backup_dir : str or path-like
        The directory of the backup (made when needed); one per training job.
    save_freq : "epoch" or int, default "epoch"
        Back up at each epoch end, or every this many batches (fit then steps batch by
        batch). As Keras, a resume starts at an epoch's first batch: a backup taken in
        the middle of epoch e resumes at epoch e, whose batches up to the backup then
        run a second time.
    double_checkpoint : bool, default False
        Keep the previous backup too (``*.bkp``), used when the latest cannot be read.
    delete_checkpoint : bool, default True
        Delete ``backup_dir`` when a fit ends normally.

    Raises
    ------
    ValueError
        An empty ``backup_dir``, a ``save_freq`` that is neither "epoch" nor an int, or
        (at fit start) a model that is not built.

    Examples
    --------
    >>> import tempfile
    >>> class Interrupt(pynn.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 4:
    ...             raise RuntimeError("Interrupting!")
    >>> backup = pynn.callbacks.BackupAndRestore(backup_dir=tempfile.mkdtemp())
    >>> model = pynn.Sequential([pynn.layers.Dense(10)])
    >>> model.compile(pynn.optimizers.SGD(), loss="mse")
    >>> model.build(input_shape=(None, 20))
    >>> x, y = np.arange(100).reshape(5, 20) / 100, np.zeros((5, 10))
    >>> try:
    ...     model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup, Interrupt()], verbose=0)
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup], verbose=0)
    >>> len(history.history["loss"])  # epochs 4 to 9
    6
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: empty backup_dir")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or
                                     isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive int, "
                             f"got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.npz")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_since_saving = 0

    def _needs_every_batch(self):
        return self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        """Restores the latest backup, if any, and sets the epoch fit resumes from.

        Parameters
        ----------
        logs : dict, optional

        Raises
        ------
        ValueError
            The model is not built.

        Examples
        --------
        >>> import tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> cb = pynn.callbacks.BackupAndRestore(tempfile.mkdtemp())
        >>> cb.set_model(model)
        >>> cb.on_train_begin()  # no backup yet: nothing to restore
        >>> model._initial_epoch is None
        True
        """
        if not getattr(self.model, "built", False):
            raise ValueError(f"BackupAndRestore: model '{self.model.name}' must be built before "
                             f"fit (build it, or give it an Input)")
        try:
            self._restore(self._weights_path, self._metadata_path)
        except (OSError, ValueError):
            prev = self._weights_path + ".bkp"
            if not (self.double_checkpoint and os.path.exists(prev)):
                raise
            self._restore(prev, self._metadata_path + ".bkp")

    def _restore(self, weights_path, metadata_path):
        self.model._initial_epoch = None
        if os.path.exists(weights_path):
            self.model.load_weights(weights_path)
        if os.path.exists(metadata_path):
            with open(metadata_path, encoding="utf-8") as f:
                epoch = json.load(f)["epoch"]
            if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
                raise ValueError(f"BackupAndRestore: {metadata_path} holds no valid epoch "
                                 f"(got {epoch!r})")
            self.model._initial_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        """Backs up after the epoch (with ``save_freq="epoch"``).

        Parameters
        ----------
        epoch : int
        logs : dict, optional

        Examples
        --------
        >>> import os, tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> cb = pynn.callbacks.BackupAndRestore(tempfile.mkdtemp())
        >>> cb.set_model(model)
        >>> cb.on_epoch_end(0)
        >>> sorted(os.listdir(cb.backup_dir))
        ['latest.weights.npz', 'training_metadata.json']
        """
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        """Backs up every ``save_freq`` batches (an int ``save_freq``).

        Parameters
        ----------
        batch : int
        logs : dict, optional

        Examples
        --------
        >>> import os, tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> cb = pynn.callbacks.BackupAndRestore(tempfile.mkdtemp(), save_freq=2)
        >>> cb.set_model(model)
        >>> cb.on_train_batch_end(0); os.listdir(cb.backup_dir)
        []
        >>> cb.on_train_batch_end(1); len(os.listdir(cb.backup_dir))
        2
        """
        if self.save_freq == "epoch":
            return
        # Keras' count: a batch index not above the last one seen starts a new epoch
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_since_saving += added
        self._last_batch_seen = batch
        if self._batches_since_saving >= self.save_freq:
            self._batches_since_saving = 0
            self._save()

    def _save(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if os.path.exists(path):
                    shutil.copyfile(path, path + ".bkp")
        # each file is written whole under a temporary name, then renamed over the old one
        tmp = self._weights_path + ".tmp"
        self.model.save_weights(tmp, overwrite=True)
        os.replace(tmp, self._weights_path)
        tmp = self._metadata_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, f)
        os.replace(tmp, self._metadata_path)

    def on_train_end(self, logs=None):
        """Deletes the backup directory (with ``delete_checkpoint=True``): the fit finished.

        Parameters
        ----------
        logs : dict, optional

        Examples
        --------
        >>> import os, tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> cb = pynn.callbacks.BackupAndRestore(os.path.join(tempfile.mkdtemp(), "b"))
        >>> cb.set_model(model)
        >>> cb.on_epoch_end(0); cb.on_train_end()
        >>> os.path.exists(cb.backup_dir)
        False
        """
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
