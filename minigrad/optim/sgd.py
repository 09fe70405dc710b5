"""sgd (being written)."""
__all__ = []
