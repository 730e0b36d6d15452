"""pynn.ops.pool (not written yet)."""
__all__ = []
