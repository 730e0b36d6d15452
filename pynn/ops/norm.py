"""pynn.ops.norm (not written yet)."""
__all__ = []
