"""The broadcast shape check; ``sum_to``, which undoes broadcasting in backward, lives in
``core/unbroadcast.py`` (the engine needs it too) and is imported here under ops' name for it."""
from __future__ import annotations

import functools

from ..core.unbroadcast import sum_to

__all__ = ["broadcast_shapes", "sum_to"]     # (sum_to re-exported: the ops import it from here)


@functools.lru_cache(maxsize=4096)
def broadcast_shapes(*shapes):
    """The shape that ``shapes`` (tuples) broadcast to, or torch's error naming the sizes.

    Remembered: a training loop broadcasts the same shapes every step, and this loop in
    Python cost more than the NumPy addition it checks (an error is raised, never remembered).
    """
    ndim = max(len(shape) for shape in shapes)
    result = []
    for axis in range(-1, -ndim - 1, -1):   # from the last dim, as torch, so its errors name the same dim
        size = 1
        for shape in shapes:
            other = shape[axis] if len(shape) >= -axis else 1
            if other != 1 and size != 1 and other != size:
                raise RuntimeError(
                    f"The size of tensor a ({size}) must match the size of tensor b ({other}) "
                    f"at non-singleton dimension {axis + ndim}")
            size = other if other != 1 else size
        result.append(size)
    return tuple(reversed(result))
