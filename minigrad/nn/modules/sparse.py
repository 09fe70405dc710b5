"""sparse (being written)."""
__all__ = []
