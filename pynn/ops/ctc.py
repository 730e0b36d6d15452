"""pynn.ops.ctc: ``keras.ops.ctc_loss`` and ``keras.ops.ctc_decode`` (also under
``pynn.ops.nn``), for sequence models trained without an alignment (OCR, speech).

ctc_loss is one engine op (csrc/core/ops/ctc.c: log-space alpha/beta, forward and
backward side by side): it differentiates, and traces into a compiled model.
ctc_decode is eager, on the values (its output is integer paths, with no
gradient in Keras either): the greedy decoder and the beam search of Keras 3's
torch backend, step for step, so ties are broken as Keras breaks them."""
import numbers

import numpy as np

from .. import _C
from .shape import _tensor

__all__ = ["ctc_loss", "ctc_decode"]

_F = np.float32
_PAD = -1
_KNUTH = 2654435769  # Keras' hash base for deduplicating beam paths
_BEAM_LIMIT = 2 ** 27  # labels in the beam search's table of paths (1 GiB of int64)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC (connectionist temporal classification) loss per sample (``keras.ops.ctc_loss``).

    ``-log p(target | output)``: the probability, summed over every alignment of
    the labels to the time steps (with blanks between and repeats merged), of the
    label sequence under ``softmax(output)``.

    Parameters
    ----------
    target : Tensor or array_like
        ``(batch, max_label_length)`` integer labels; only the first
        ``target_length[b]`` of row b are read (the rest may be any padding).
    output : Tensor or array_like
        ``(batch, max_time, num_classes)`` logits (not softmax-normalised).
    target_length : Tensor or array_like
        ``(batch,)`` label counts, whole numbers in ``[0, max_label_length]``.
    output_length : Tensor or array_like
        ``(batch,)`` time steps used, whole numbers in ``[0, max_time]``.
    mask_index : int, default 0
        The blank class, in ``[0, num_classes)``.

    Returns
    -------
    Tensor
        ``(batch,)`` losses. A target that cannot fit in its output length (it
        needs one step per label plus one between repeated labels) has loss
        ``inf`` and a NaN gradient, as Keras' torch backend; NaN logits give NaN.
        The gradient flows to ``output`` only.

    Raises
    ------
    ValueError
        Wrong ranks or batch sizes, a mask_index outside the classes, a length
        that is not a whole number in range, a label outside the classes (the
        sample and position named), or an alignment table of one sample,
        max_time x (2 max_label_length + 1) doubles, above 2**31.

    Examples
    --------
    >>> labels = np.array([[1, 2, 1], [1, 2, 2]])
    >>> logits = np.array([[[0.4, 0.8, 0.4], [0.2, 0.8, 0.3], [0.9, 0.4, 0.5]],
    ...                    [[0.4, 0.8, 0.4], [0.2, 0.3, 0.3], [0.4, 0.3, 0.2]]], np.float32)
    >>> pynn.ops.ctc_loss(labels, logits, np.array([3, 2]), np.array([3, 2])).numpy().round(4)
    array([3.4412, 1.9168], dtype=float32)
    """
    if not isinstance(mask_index, (numbers.Integral, np.integer)) or isinstance(mask_index, bool):
        raise ValueError(f"ctc_loss: mask_index must be an int, got {mask_index!r}")
    return _C.apply("ctc_loss", [_tensor(target), _tensor(output), _tensor(target_length),
                                 _tensor(output_length)], mask_index=int(mask_index))


def _values(x):
    if isinstance(x, _C.Tensor):
        if _C.is_tracing():
            raise ValueError("ctc_decode is eager only: decode the model's predictions "
                             "(model.predict(...)) outside the model")
        return x.numpy()
    return np.asarray(x)


def _decode_inputs(inputs, sequence_lengths, mask_index):
    x = np.asarray(_values(inputs), dtype=_F)
    if x.ndim != 3:
        raise ValueError(f"ctc_decode: inputs must be (batch, max_length, num_classes) logits; "
                         f"received shape {x.shape}")
    B, T, C = x.shape
    if C < 1:
        raise ValueError(f"ctc_decode: inputs must have at least one class; received shape {x.shape}")
    lengths = np.asarray(_values(sequence_lengths), dtype=np.float64)
    if lengths.shape != (B,) or not np.all((lengths == np.floor(lengths)) & (lengths >= 0)
                                           & (lengths <= T)):
        raise ValueError(f"ctc_decode: sequence_lengths must be {B} whole numbers in [0, {T}] "
                         f"(one per sequence); received {lengths.shape} values {lengths.ravel()[:8]}")
    if mask_index is None:
        mask_index = C - 1
    if (not isinstance(mask_index, (numbers.Integral, np.integer)) or isinstance(mask_index, bool)
            or not 0 <= mask_index < C):
        raise ValueError(f"ctc_decode: mask_index must be an int in [0, {C}) or None (the last "
                         f"class), got {mask_index!r}")
    return x, lengths.astype(np.int64), int(mask_index)


def _greedy(x, lengths, merge_repeated, mask_index):
    B, T, _ = x.shape
    idx = np.argmax(x, axis=-1)  # the first of equal maxima, as torch.argmax
    scores = np.max(x, axis=-1)
    beyond = np.arange(T)[None, :] >= lengths[:, None]
    idx = np.where(beyond, mask_index, idx)
    scores = np.where(beyond, _F(0), scores)
    if merge_repeated:
        repeat = np.zeros_like(beyond)
        repeat[:, 1:] = idx[:, 1:] == idx[:, :-1]
        idx = np.where(repeat, mask_index, idx)
    blank = idx == mask_index
    idx = np.where(blank, _PAD, idx)
    # the labels to the front, in order; the blanks (-1) after them
    order = np.argsort(np.where(blank, T, np.arange(T)[None, :]), axis=-1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=-1)
    return idx[None], -np.sum(scores, axis=1, dtype=_F)[:, None]


def _unique_padded(paths, size):
    """Keras' _unique_padded: the distinct rows (ordered by Keras' polynomial hash,
    a stable sort), padded with rows of -1 to `size`, and each row's position."""
    n, t = paths.shape
    with np.errstate(over="ignore"):  # int64 wrap-around is the hash, as in Keras
        powers = np.ones(t, np.int64)
        for j in range(1, t):
            powers[j] = powers[j - 1] * np.int64(_KNUTH)
        hashes = ((paths.astype(np.int64) + 1) * powers).sum(axis=1)
    order = np.argsort(hashes, kind="stable")
    sp, sh = paths[order], hashes[order]
    first = np.ones(n, bool)
    first[1:] = ~((sh[1:] == sh[:-1]) & np.all(sp[1:] == sp[:-1], axis=1))
    inverse = np.empty(n, np.int64)
    inverse[order] = np.cumsum(first) - 1
    unique = sp[first]
    if len(unique) < size:
        unique = np.concatenate([unique, np.full((size - len(unique), t), _PAD, paths.dtype)])
    return unique, inverse


def _merge_scores(inverse, scores, count):
    """log of the sums of exp(scores) falling in each of count buckets."""
    top = scores.max()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.zeros(count, _F)
        np.add.at(out, inverse, np.exp(scores - top))
        return np.log(out) + top


def _beam_extend(paths, scores, masked, x, C, mask_index):
    """Every beam extended by every class for one time step."""
    paths = np.repeat(paths, C, axis=0)
    scores = np.repeat(scores, C)
    prev_masked = np.repeat(masked, C)
    rows = np.arange(len(paths))
    tail = np.argmax(paths == _PAD, axis=1)
    tails = np.where(tail == 0, _PAD, paths[rows, tail - 1])
    classes = np.arange(C, dtype=paths.dtype)
    classes[mask_index] = _PAD
    classes = np.tile(classes, len(paths) // C)
    masked = classes == _PAD
    classes = np.where(~prev_masked & (tails == classes), _PAD, classes)
    paths[rows, tail] = classes
    return paths, scores + np.tile(x, len(paths) // C), masked


def _beam_prune(paths, scores, masked, C, width):
    """Equal paths merged (emit and blank tracks apart), the best `width` kept."""
    unique, inverse = _unique_padded(paths, 2 * C * width)
    emit = _merge_scores(inverse, np.where(masked, -np.inf, scores).astype(_F), len(unique))
    blank = _merge_scores(inverse, np.where(masked, scores, -np.inf).astype(_F), len(unique))
    top = np.argsort(np.logaddexp(emit, blank), kind="stable")[-width:]
    return (np.tile(unique[top], (2, 1)), np.concatenate([emit[top], blank[top]]),
            np.repeat([False, True], width))


def _beam_search(x, lengths, width, top_paths, mask_index):
    B, T, C = x.shape
    z = x - x.max(axis=-1, keepdims=True)
    logp = (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))).astype(_F)
    # Keras flips the classes so that its ascending sorts break ties its way
    logp = logp[:, :, ::-1]
    mask_index = C - mask_index - 1
    n_init = min(C, width)
    all_paths, all_scores = [], []
    for b in range(B):
        xb = logp[b]
        paths = np.full((2 * width, T), _PAD, np.int64)
        best = np.argsort(xb[0], kind="stable")[-n_init:]
        paths[:n_init, 0] = np.where(best == mask_index, _PAD, best)
        scores = np.full(2 * width, -np.inf, _F)
        scores[:n_init] = xb[0, best]
        masked = paths[:, 0] == _PAD
        for t in range(1, int(lengths[b])):
            paths, scores, masked = _beam_extend(paths, scores, masked, xb[t], C, mask_index)
            paths, scores, masked = _beam_prune(paths, scores, masked, C, width)
        unique, inverse = _unique_padded(paths, 2 * C * width)
        scores = _merge_scores(inverse, scores, len(unique))
        top = np.argsort(scores, kind="stable")[-top_paths:][::-1]
        all_paths.append(unique[top])
        all_scores.append(scores[top])
    paths = np.stack(all_paths)
    paths = np.where(paths == _PAD, _PAD, C - paths - 1)
    return paths.transpose(1, 0, 2), np.stack(all_scores)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes the output of a CTC model (``keras.ops.ctc_decode``), as Keras 3 does.

    Eager: it reads the values (run it on ``model.predict``'s output).

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(batch, max_length, num_classes)`` logits (or probabilities: greedy
        decoding takes the argmax either way; beam search applies log-softmax,
        as Keras).
    sequence_lengths : Tensor or array_like
        ``(batch,)`` whole numbers in ``[0, max_length]``.
    strategy : {"greedy", "beam_search"}, default "greedy"
    beam_width : int, default 100
        Beams kept per step (beam search).
    top_paths : int, default 1
        Paths returned (beam search); beyond the paths found, -1 rows with
        score -inf (as Keras).
    merge_repeated : bool, default True
        Greedy: merge repeated labels not separated by a blank.
    mask_index : int or None, default 0
        The blank class; None is the last class.

    Returns
    -------
    tuple of Tensor
        ``decoded``: ``(1, batch, max_length)`` for greedy, ``(top_paths, batch,
        max_length)`` for beam search, the labels of each path followed by -1s
        (float32 whole numbers). ``scores``: greedy ``(batch, 1)``, the negated
        sum of each step's largest logit; beam search ``(batch, top_paths)``, the
        paths' log probabilities.

    Raises
    ------
    ValueError
        A strategy Keras does not know, inputs not of rank 3, sequence lengths
        not one whole number in range per sequence, a mask_index outside the
        classes, a beam_width or top_paths that is not a positive int, or a
        beam search table above 2**27 labels (2 beam_width num_classes max_length).

    Examples
    --------
    >>> logits = np.array([[[0.1, 0.4, 0.2, 0.4], [0.3, -0.3, 0.4, 0.2], [0.3, 0.2, 0.4, 0.3]]],
    ...                   np.float32)
    >>> decoded, scores = pynn.ops.ctc_decode(logits, [3])
    >>> decoded.numpy(), scores.numpy().round(4)
    (array([[[ 1.,  2., -1.]]], dtype=float32), array([[-1.2]], dtype=float32))
    """
    from .creation import _made
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and "
                         f"'beam_search'.")
    x, lengths, mask_index = _decode_inputs(inputs, sequence_lengths, mask_index)
    if strategy == "greedy":
        decoded, scores = _greedy(x, lengths, bool(merge_repeated), mask_index)
    else:
        for name, v in (("beam_width", beam_width), ("top_paths", top_paths)):
            if not isinstance(v, (numbers.Integral, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"ctc_decode: {name} must be an int >= 1, got {v!r}")
        B, T, C = x.shape
        if top_paths > 2 * C * beam_width:
            raise ValueError(f"ctc_decode: top_paths={top_paths} is more than the {2 * C * beam_width} "
                             f"paths a beam search of beam_width={beam_width} over {C} classes "
                             f"holds")
        if 2 * C * beam_width * max(T, 1) > _BEAM_LIMIT:
            raise ValueError(f"ctc_decode: beam_width={beam_width} x {C} classes x {T} steps is too "
                             f"large for the beam search (it holds 2 x beam_width x classes paths "
                             f"of max_length labels; at most {_BEAM_LIMIT} labels)")
        if T == 0:
            raise ValueError("ctc_decode: beam search needs at least one time step; received "
                             f"inputs of shape {x.shape}")
        decoded, scores = _beam_search(x, lengths, int(beam_width), int(top_paths), mask_index)
    return _made(decoded), _made(scores)
