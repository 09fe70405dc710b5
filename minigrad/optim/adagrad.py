"""adagrad (being written)."""
__all__ = []
