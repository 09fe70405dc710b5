"""rnn_readable (being written)."""
__all__ = []
