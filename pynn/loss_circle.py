"""Keras 3's Circle loss (``keras.losses.Circle`` / ``keras.losses.circle``; Sun et al.,
"Circle Loss", CVPR 2020, arXiv:2002.10857) for metric learning on L2-normalised
embeddings, composed of pynn.ops (differentiable, traceable)."""
import numpy as np

from . import ops
from .losses import Loss

__all__ = ["Circle", "circle"]


def _pos_neg_masks(query, key, remove_diagonal):
    """Keras' build_pos_neg_masks: 1.0 where the labels agree (positives; the
    diagonal removed when asked) and where they differ (negatives)."""
    query = ops.reshape(query, (-1, 1)) if query.ndim == 1 else query
    key = ops.reshape(key, (-1, 1)) if key.ndim == 1 else key
    positive = ops.equal(query, ops.transpose(key))
    negative = 1.0 - positive
    if remove_diagonal:
        positive = positive * (1.0 - ops.eye(ops.shape(query)[0], ops.shape(key)[0]))
    return positive, negative


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """Per-sample Circle loss (``keras.losses.circle``).

    With cosine distances ``d = max(1 - y_pred @ ref_embeddings.T, 0)``, for each
    sample the positives (same label) and negatives (other labels) give
    ``p = logsumexp(-gamma * max(margin + d, 0) * (margin - d))`` and
    ``n = logsumexp(gamma * max(1 + margin - d, 0) * (1 - margin - d))`` over them,
    and the loss is ``softplus(p + n)``: 0 for a sample with no positive or no
    negative.

    Parameters
    ----------
    y_true : array_like or Tensor
        ``(batch,)`` integer labels.
    y_pred : array_like or Tensor
        ``(batch, dim)`` L2-normalised embeddings.
    ref_labels : array_like or Tensor, optional
        Labels of the reference embeddings (default ``y_true``).
    ref_embeddings : array_like or Tensor, optional
        ``(refs, dim)`` L2-normalised reference embeddings (default ``y_pred``).
    remove_diagonal : bool, default True
        Leave out each sample's similarity to itself from its positives (meant
        for the default references, the batch itself).
    gamma : float, default 80
        Scale of the similarities.
    margin : float, default 0.4
        Relaxation: below this distance negatives are weighted up and positives down.

    Returns
    -------
    Tensor
        ``(batch,)`` losses.

    Raises
    ------
    ValueError
        Embeddings that are not 2-D with the same width, or labels that do not
        match the embeddings in number.

    Examples
    --------
    >>> e = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], np.float32)
    >>> pynn.losses.circle(np.array([0, 0, 1]), e, gamma=8.0).numpy().round(4)
    array([0.1012, 1.0635, 0.    ], dtype=float32)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    refs = y_pred if ref_embeddings is None else ops.convert_to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else ops.convert_to_tensor(ref_labels)
    if y_pred.ndim != 2 or refs.ndim != 2 or y_pred.shape[1] != refs.shape[1]:
        raise ValueError(f"circle: y_pred and ref_embeddings must be (batch, dim) and (refs, dim) "
                         f"embeddings; received shapes {tuple(y_pred.shape)} and "
                         f"{tuple(refs.shape)}")
    if int(np.prod(y_true.shape)) != y_pred.shape[0] or \
            int(np.prod(ref_labels.shape)) != refs.shape[0]:
        raise ValueError(f"circle: one label per embedding expected; received y_true "
                         f"{tuple(y_true.shape)} for y_pred {tuple(y_pred.shape)} and ref_labels "
                         f"{tuple(ref_labels.shape)} for ref_embeddings {tuple(refs.shape)}")
    y_true, ref_labels = ops.trunc(y_true), ops.trunc(ref_labels)  # Keras casts to int32
    d = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(refs)), 0.0)
    positive, negative = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    pos_w = ops.maximum((margin + d) * positive, 0.0)
    neg_w = ops.maximum((1.0 + margin - d) * negative, 0.0)
    pos = -gamma * pos_w * (margin - d)
    neg = gamma * neg_w * ((1.0 - margin) - d)
    p = ops.logsumexp(ops.where(positive, pos, -np.inf), axis=1)
    n = ops.logsumexp(ops.where(negative, neg, -np.inf), axis=1)
    return ops.softplus(p + n)


class Circle(Loss):
    """Circle loss between integer labels and L2-normalised embeddings
    (``keras.losses.Circle``; see `circle`), for metric learning: end the model with
    a Dense layer without activation and a UnitNormalization.

    As Keras, the losses equal to 0 (samples with no positive or no negative in the
    batch, or already separated) are masked out of the mean: "sum_over_batch_size"
    divides the weighted sum by the number of positive losses, and
    "mean_with_sample_weight" by the sum of their weights.

    Parameters
    ----------
    gamma : float, default 80.0
    margin : float, default 0.4
    remove_diagonal : bool, default True
    reduction : {"sum_over_batch_size", "sum", "mean_with_sample_weight", "none"}
    name : str, default "circle"
    dtype : None
        Accepted for Keras compatibility (pynn computes in float32).

    Raises
    ------
    ValueError
        An unknown reduction.

    Examples
    --------
    >>> e = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], np.float32)
    >>> print(pynn.losses.Circle(gamma=8.0)(np.array([0, 0, 1]), e).numpy().round(4))
    0.5823
    """

    targets_unlike_output = True  # class ids (batch,) against embeddings (batch, dim)

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(name=name, reduction=reduction, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)

    def call(self, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
        """The losses with an explicit reduction (``loss(y_true, y_pred)`` uses the
        loss's own), zeros masked out of the means as Keras does.

        Parameters
        ----------
        y_true : array_like or Tensor
            ``(batch,)`` labels.
        y_pred : array_like or Tensor
            ``(batch, dim)`` embeddings.
        sample_weight : array_like or Tensor, optional
            One weight per sample.
        reduction : {"sum_over_batch_size", "sum", "mean_with_sample_weight", "none"}

        Returns
        -------
        Tensor

        Examples
        --------
        >>> e = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], np.float32)
        >>> pynn.losses.Circle(gamma=8.0).call(np.array([0, 0, 1]), e, reduction="none").shape
        (3,)
        """
        per = circle(y_true, y_pred, **self.config)
        weighted = per if sample_weight is None else per * ops.reshape(
            ops.convert_to_tensor(sample_weight), (-1,))
        if reduction in (None, "none"):
            return weighted
        total = ops.sum(weighted)
        if reduction == "sum":
            return total
        valid = ops.greater(per, 0.0)
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            count = ops.sum(valid * ops.reshape(ops.convert_to_tensor(sample_weight), (-1,)))
        else:
            count = ops.sum(valid)
        return ops.divide_no_nan(total, count)
