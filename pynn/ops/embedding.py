"""pynn.ops.embedding: row lookup in a (input_dim, output_dim) table."""
from .. import _C

__all__ = ["embedding", "embedding_mask"]


def embedding(ids, table):
    """table[ids]: ids of any shape holding integer token indices in
    [0, input_dim) -> ids.shape + (output_dim,). The table's gradient is the
    scatter-add of the output gradient; bad ids raise ValueError naming them."""
    return _C.apply("embedding", [ids, table])


def embedding_mask(ids):
    """1.0 where ids != 0, else 0.0 (Keras' mask_zero); carries no gradient."""
    return _C.apply("embedding_mask", [ids])
