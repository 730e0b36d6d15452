"""pynn.ops.rnn (not written yet)."""
__all__ = []
