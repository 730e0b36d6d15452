"""pynn.ops.embedding: row lookup in a (input_dim, output_dim) table."""
from .. import _C

__all__ = ["embedding"]


def embedding(ids, table):
    """table[ids]: ids of any shape holding integer token indices in
    [0, input_dim) -> ids.shape + (output_dim,). The table's gradient is the
    scatter-add of the output gradient; bad ids raise ValueError naming them."""
    return _C.apply("embedding", [ids, table])
