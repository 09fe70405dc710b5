"""lr_scheduler (being written)."""
__all__ = []
