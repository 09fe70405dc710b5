"""mnist (being written)."""
__all__ = []
