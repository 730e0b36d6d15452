"""pynn.ops.einsum: Einstein summation (``keras.ops.einsum``), composed of engine ops.

Operands are contracted left to right, two at a time: each is transposed to the
pair's letters in one order, with a length-1 axis for each letter it lacks, the
two are multiplied with broadcasting and the letters no later operand or the
output needs are summed away. Only transposes, broadcasts and sums: nothing
depends on the batch size, so it traces into a model. The product of a pair
holds every letter of both (memory: the product of their lengths)."""
import string

import numpy as np

from .. import _C
from .shape import _tensor, expand_dims, reshape, transpose

__all__ = ["einsum"]


def _parse(subscripts, ts):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a str, got {subscripts!r}")
    eq = subscripts.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ts):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, got {len(ts)}")
    free = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in eq]
    ell = None  # letters standing for '...'
    for i, (term, t) in enumerate(zip(terms, ts)):
        if "..." in term:
            k = t.ndim - (len(term) - 3)
            if k < 0:
                raise ValueError(f"einsum: operand {i} of shape {t.shape} has fewer axes than "
                                 f"{term!r} names")
            if ell is None or len(ell) < k:
                ell = "".join(free[:k]) if ell is None or len(ell) < k else ell
            terms[i] = term.replace("...", ell[len(ell) - k:])
    for i, (term, t) in enumerate(zip(terms, ts)):
        if not term.isalpha() and term:
            raise ValueError(f"einsum: subscripts may hold letters, ',', '->' and '...', got "
                             f"{subscripts!r}")
        if len(term) != t.ndim:
            raise ValueError(f"einsum: operand {i} has shape {t.shape} but {term!r} names "
                             f"{len(term)} axes")
        if len(set(term)) != len(term):
            raise ValueError(f"einsum: a letter repeated within one operand ({term!r}: traces and "
                             "diagonals) is not supported")
    if arrow:
        out = out.replace("...", ell or "")
        if not set(out) <= set("".join(terms)) or len(set(out)) != len(out):
            raise ValueError(f"einsum: output {out!r} names a letter twice or one no operand has")
    else:  # implicit output: the letters seen once, in order (and '...' first)
        letters = "".join(terms)
        out = (ell or "") + "".join(sorted(c for c in set(letters)
                                           if letters.count(c) == 1 and c not in (ell or "")))
    return terms, out


def _align(t, term, letters):
    """t with its axes in the order of letters (length 1 where term lacks one)."""
    t = transpose(t, [term.index(c) for c in letters if c in term]) if term else t
    for i, c in enumerate(letters):
        if c not in term:
            t = expand_dims(t, i)
    return t


def _sum_out(t, letters, keep):
    drop = tuple(i for i, c in enumerate(letters) if c not in keep)
    if drop:
        t = _C.apply("sum", [t], axis=drop, reduce_all=False)
    return t, "".join(c for c in letters if c in keep)


def einsum(subscripts, *operands):
    """Einstein summation over the operands (``keras.ops.einsum``, NumPy's ``einsum``).

    Parameters
    ----------
    subscripts : str
        Letters per operand separated by ``,``, optionally ``->`` and the output's
        letters; ``...`` stands for leading axes. A letter repeated within one
        operand (traces, diagonals) is not supported.
    *operands : Tensor or array_like
        The operands.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Subscripts that do not fit the operands, or lengths of one letter that
        differ (and do not broadcast).

    Examples
    --------
    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.einsum("ij,kj->ik", a, a).numpy()
    array([[ 5., 14.],
           [14., 50.]], dtype=float32)
    >>> pynn.ops.einsum("ij->j", a).numpy()
    array([3., 5., 7.], dtype=float32)
    """
    ts = [_tensor(o) for o in operands]
    if not ts:
        raise ValueError("einsum needs at least one operand")
    terms, out = _parse(subscripts, ts)
    sizes = {}
    for term, t in zip(terms, ts):
        for c, n in zip(term, t.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(f"einsum: letter {c!r} has length {sizes[c]} in one operand and "
                                 f"{n} in another ({subscripts!r})")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    acc, acc_letters = _sum_out(ts[0], terms[0], set(out).union(*terms[1:]))
    for i in range(1, len(ts)):
        letters = "".join(dict.fromkeys(acc_letters + terms[i]))
        prod = _align(acc, acc_letters, letters) * _align(ts[i], terms[i], letters)
        acc, acc_letters = _sum_out(prod, letters, set(out).union(*terms[i + 1:]))
    if not out:
        return reshape(acc, ()) if acc.ndim else acc
    acc = transpose(acc, [acc_letters.index(c) for c in out])
    return acc if tuple(acc.shape) == tuple(sizes[c] for c in out) else \
        _C.apply("broadcast_to", [acc], shape=tuple(sizes[c] for c in out))
