"""pynn.ops.shape (not written yet)."""
__all__ = []
