"""Keras 3's CTC loss (``keras.losses.CTC`` / ``keras.losses.ctc``) over the engine's
ctc_loss op (pynn.ops.ctc): the function form as Keras writes it, the class a
`Loss` that weights and reduces it."""
from . import ops
from .loss_functions import _doc, _loss_class

__all__ = ["CTC", "ctc"]


def ctc(y_true, y_pred):
    """Per-sample CTC loss (``keras.losses.ctc``), with blank class 0.

    As Keras: every time step of ``y_pred`` is used, and the label length of a
    row is its number of nonzero labels; the first that many labels of the row
    are the target (pad with 0 at the end; a 0 inside a row is read as a blank
    label, as Keras does).

    Parameters
    ----------
    y_true : array_like or Tensor
        ``(batch, max_length)`` integer labels, 0 the blank/padding.
    y_pred : array_like or Tensor
        ``(batch, max_time, num_classes)`` logits (not softmax-normalised).

    Returns
    -------
    Tensor
        ``(batch,)`` losses.

    Raises
    ------
    ValueError
        ``y_true`` not of rank 2 or ``y_pred`` not of rank 3, or labels outside the
        classes (see `pynn.ops.ctc_loss`).

    Examples
    --------
    >>> logits = (np.arange(24).reshape((2, 4, 3)).astype("float32") - 12) / 100
    >>> pynn.losses.ctc(np.array([[1, 2, 1, 0], [1, 2, 0, 2]]), logits).numpy().round(4)
    array([2.4429, 2.4544], dtype=float32)
    """
    y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
    if y_true.ndim != 2:
        raise ValueError(f"ctc: targets y_true are expected to be a tensor of shape (batch_size, "
                         f"max_length) in integer format. Received: y_true.shape="
                         f"{tuple(y_true.shape)}")
    if y_pred.ndim != 3:
        raise ValueError(f"ctc: logits y_pred are expected to be a tensor of shape (batch_size, "
                         f"max_length, num_classes). Received: y_pred.shape={tuple(y_pred.shape)}")
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, 0.0), "float32"), axis=-1)
    input_length = ops.full_like(label_length, float(y_pred.shape[1]))
    return ops.ctc_loss(y_true, y_pred, label_length, input_length, mask_index=0)


CTC = _loss_class("CTC", ctc, {}, _doc(
    "CTC (connectionist temporal classification) loss (see `ctc`); Keras' ``losses.CTC``, "
    "for OCR and speech models whose outputs are not aligned with their labels.", "",
    ">>> logits = (np.arange(24).reshape((2, 4, 3)).astype('float32') - 12) / 100\n"
    ">>> loss = pynn.losses.CTC()\n"
    ">>> print(loss(np.array([[1, 2, 1, 0], [1, 2, 0, 2]]), logits).numpy().round(4))\n"
    "2.4486"))
CTC.targets_unlike_output = True  # (batch, labels) against (batch, time, classes)
