"""An op's operands in its computation dtype, as torch's kernels read them: inside the kernel.

torch promotes ``x32 * y64``'s float32 operand, ``cat``'s inputs or ``x.mean(dtype=...)``'s input
inside the kernel; no node of the graph casts them.  ``promoted_to`` gives the values in the wider
dtype and leaves the graph as torch's: the engine casts a gradient back to its input's dtype.
"""
from __future__ import annotations

import numpy

from ..core import dtypes
from ..core.layout import dense_strides, relayout
from ..core.tensor import Tensor


def cast_array(x, dtype):
    """The array ``x`` as ``dtype`` (a NumPy dtype), converted as torch converts, in torch's layout."""
    if dtype == numpy.uint8 and x.dtype.kind == "f":
        # torch converts a float to uint8 through int64 (c10's convert), wrapping modulo 256 what
        # fits int64; NumPy's cast goes through int32 (0 from 2 ** 31 up)
        result = x.astype(numpy.int64).astype(dtype)
    else:
        result = dtypes.converted(x, dtype)     # a double into half through float, as torch
    return relayout(result, dense_strides(x))


def promoted_to(tensor, dtype):
    """``tensor``'s values in ``dtype`` (a NumPy dtype) as an op reads an operand of another dtype
    (``x32 * y64``, ``cat([x32, y64])``, ``x32.mean(dtype=float64)``).  torch casts inside the
    kernel, so the cast is no node of its own: the op links straight to ``tensor``'s node (or its
    accumulator, ``AccumulateGrad.of``), and the engine casts the gradient back to ``tensor``'s dtype,
    as torch's ``validate_outputs`` does.  The graph and the order its nodes run in are then torch's
    (``fmin(x32 // x32, y64 // 1)`` raises floor_divide_'s error first: fuzz seed 7711038)."""
    if tensor.array.dtype == dtype:
        return tensor
    cast = Tensor._wrap(cast_array(tensor.array, dtype))
    cast.promoted_from = tensor      # what the op saves, for its in-place check (Function)
    if tensor._requires_grad and dtype.kind in "fc":
        cast._requires_grad = True
        cast.grad_fn, cast._output_nr = tensor.grad_fn, tensor._output_nr
    return cast
