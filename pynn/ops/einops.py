"""pynn.ops.einops: ``keras.ops.rearrange``, einops' rearrange: axes reordered,
merged ``(h w)`` and split ``(h h1)`` by a pattern, as one reshape, one transpose
and one reshape (engine ops: differentiable, traceable; a size taken from the
batch axis follows the batch in a compiled model)."""
import math
import re

from . import shape as _shape  # callable: keras.ops.shape
from .batch_dim import follows
from .shape import _tensor, reshape, transpose

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\s*(?:\(([^()]*)\)|(\w+))")


def _groups(side, pattern):
    """'b (h w) c' -> [['b'], ['h', 'w'], ['c']]."""
    groups, pos, side = [], 0, side.strip()
    while pos < len(side):
        m = _TOKEN.match(side, pos)
        if not m or m.end() == pos:
            raise ValueError(f"rearrange: cannot read the pattern {pattern!r} at {side[pos:]!r} "
                             f"(axes are names, groups are names in parentheses; no '...')")
        inner = m.group(1)
        names = inner.split() if inner is not None else [m.group(2)]
        for name in names:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise ValueError(f"rearrange: {name!r} in {pattern!r} is not an axis name")
        groups.append(names)
        pos = m.end()
    return groups


def _prod(sizes):
    """The product of sizes, a batch-following one (at most one) kept first so that
    the product follows the batch too."""
    sizes = sorted(sizes, key=lambda v: not follows(v))
    out = sizes[0] if sizes else 1
    for v in sizes[1:]:
        out = out * v
    return out


def rearrange(tensor, pattern, **axes_lengths):
    """Reorders, merges and splits axes by an einops pattern (``keras.ops.rearrange``).

    Parameters
    ----------
    tensor : Tensor or array_like
    pattern : str
        ``"input axes -> output axes"``: one name per axis, a group ``(h w)`` for
        axes merged into one (on the left: one axis split into them); ``()`` is an
        axis of length 1.
    **axes_lengths : int
        Lengths of the names in split groups (all but at most one per group).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A pattern that does not parse, whose left side does not have one entry per
        axis, a name repeated on a side or missing from the other, a group whose
        length cannot be split as given, or a length given for no axis.

    Examples
    --------
    >>> images = np.zeros((32, 30, 40, 3), np.float32)
    >>> pynn.ops.rearrange(images, "b h w c -> b c h w").shape
    (32, 3, 30, 40)
    >>> pynn.ops.rearrange(images, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2).shape
    (32, 15, 20, 12)
    """
    x = _tensor(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern must be a string 'input -> output', got "
                         f"{pattern!r}")
    left_text, right_text = pattern.split("->")
    left, right = _groups(left_text, pattern), _groups(right_text, pattern)
    if len(left) != x.ndim:
        raise ValueError(f"rearrange: the pattern {pattern!r} has {len(left)} input axes but the "
                         f"tensor has shape {tuple(x.shape)}")
    lnames = [n for g in left for n in g]
    rnames = [n for g in right for n in g]
    for side, names in (("input", lnames), ("output", rnames)):
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rearrange: {repeated} repeated in the {side} of {pattern!r}")
    if set(lnames) != set(rnames):
        raise ValueError(f"rearrange: the axes {sorted(set(lnames) ^ set(rnames))} of {pattern!r} "
                         f"appear on one side only")
    unknown = sorted(set(axes_lengths) - set(lnames))
    if unknown:
        raise ValueError(f"rearrange: lengths given for {unknown}, which are not axes of "
                         f"{pattern!r}")
    dims = _shape(x)  # the batch axis as a size that follows the batch when traced
    size = {}
    for group, d in zip(left, dims):
        for n in group:
            v = axes_lengths.get(n)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise ValueError(f"rearrange: the length of {n!r} must be a positive int, got {v!r}")
        free = [n for n in group if n not in axes_lengths]
        known = math.prod(axes_lengths[n] for n in group if n in axes_lengths)
        if len(free) > 1:
            raise ValueError(f"rearrange: the group ({' '.join(group)}) of {pattern!r} needs the "
                             f"lengths of all but one of {free}")
        if free:
            if not follows(d) and int(d) % known:
                raise ValueError(f"rearrange: an axis of length {int(d)} cannot be split into "
                                 f"({' '.join(group)}) with {known} dividing it")
            size[free[0]] = d // known if known != 1 else d
        elif not follows(d) and int(d) != known:
            raise ValueError(f"rearrange: the group ({' '.join(group)}) of {pattern!r} has length "
                             f"{known}, but the axis has length {int(d)}")
        size.update({n: axes_lengths[n] for n in group if n in axes_lengths})
    if any(len(g) != 1 for g in left):
        x = reshape(x, tuple(size[n] for n in lnames))
    order = [lnames.index(n) for n in rnames]
    if order != list(range(len(order))):
        x = transpose(x, order)
    out = [_prod([size[n] for n in g]) for g in right]
    if any(len(g) != 1 for g in right):
        x = reshape(x, tuple(out))
    return x
