"""pynn.ops.conv (not written yet)."""
__all__ = []
