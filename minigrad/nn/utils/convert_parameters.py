"""convert_parameters (being written)."""
__all__ = []
