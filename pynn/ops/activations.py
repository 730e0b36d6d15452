"""pynn.ops.activations (not written yet)."""
__all__ = []
