"""loss (being written)."""
__all__ = []
