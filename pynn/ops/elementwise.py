"""pynn.ops.elementwise (not written yet)."""
__all__ = []
