"""dataset (being written)."""
__all__ = []
