"""optimizer (being written)."""
__all__ = []
