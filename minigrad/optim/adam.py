"""adam (being written)."""
__all__ = []
