"""pynn.ops.attention (not written yet)."""
__all__ = []
