"""rnn_fused (being written)."""
__all__ = []
