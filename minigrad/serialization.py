"""serialization (being written)."""
__all__ = []
