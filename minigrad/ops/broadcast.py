"""The one place that undoes broadcasting in backward, and the broadcast shape check."""
from __future__ import annotations

import functools

import numpy


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape``: the gradient of broadcasting ``shape`` up to ``grad.shape``.

    Broadcasting prepends dimensions and stretches size-1 ones, so the gradient
    sums over the prepended dimensions and over every stretched one.  A float16 gradient
    is summed in float32 and rounded once, as torch's sum (NumPy would round every partial sum).
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    axes = tuple(range(leading)) + tuple(leading + i for i, size in enumerate(shape)
                                         if size == 1 and grad.shape[leading + i] != 1)
    if grad.dtype is _FLOAT16:     # an array (a Tensor, under create_graph=True, has a minigrad dtype)
        return grad.sum(axis=axes, dtype=numpy.float32).astype(_FLOAT16).reshape(shape)
    return grad.sum(axis=axes).reshape(shape)


_FLOAT16 = numpy.dtype(numpy.float16)


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
