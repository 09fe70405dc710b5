"""viz (being written)."""
__all__ = []
