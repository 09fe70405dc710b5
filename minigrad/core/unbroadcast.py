"""``sum_to``: the one place that undoes broadcasting in a gradient (ops' backwards, and the
engine where a backward hands it a gradient its input broadcasts to, as torch's validate_outputs)."""
from __future__ import annotations

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
