"""rmsprop (being written)."""
__all__ = []
