"""dataloader (being written)."""
__all__ = []
