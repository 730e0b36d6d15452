"""pynn.ops.losses (not written yet)."""
__all__ = []
