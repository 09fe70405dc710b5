"""adamw (being written)."""
__all__ = []
