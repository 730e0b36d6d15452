"""pynn.ops.reduce (not written yet)."""
__all__ = []
