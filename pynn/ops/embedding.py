"""pynn.ops.embedding (not written yet)."""
__all__ = []
