"""pynn.ops.embedding: row lookup in a (input_dim, output_dim) table."""
from .. import _C

__all__ = ["embedding", "embedding_mask"]


def embedding(ids, table):
    """Row lookup ``table[ids]``: ids of any shape to ``ids.shape + (output_dim,)``.

    The table's gradient is the scatter-add of the output gradient.

    Parameters
    ----------
    ids : Tensor or array_like
        Integer token ids in ``[0, input_dim)``.
    table : Tensor or array_like
        ``(input_dim, output_dim)``.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Ids out of range or not integers (named).

    Examples
    --------
    >>> table = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> pynn.ops.embedding(np.array([[2, 0]]), table).numpy()
    array([[[4., 5.],
            [0., 1.]]], dtype=float32)
    """
    return _C.apply("embedding", [ids, table])


def embedding_mask(ids):
    """The padding mask of ids: 1.0 where ``ids != 0``, else 0.0 (Keras' ``mask_zero``); no
    gradient.

    Parameters
    ----------
    ids : Tensor or array_like
        Token ids.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.embedding_mask(np.array([[5, 3, 0]])).numpy()
    array([[1., 1., 0.]], dtype=float32)
    """
    return _C.apply("embedding_mask", [ids])
