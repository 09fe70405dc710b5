"""clip_grad (being written)."""
__all__ = []
