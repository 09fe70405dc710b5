"""Where torch's CPU elementwise loop runs vectors and where it runs its scalar tail.

torch's ``cpu_kernel_vec`` takes each row TensorIterator hands it two vectors a step and
the rest of the row (``row % (2 * lanes)`` elements) one at a time.  Where a kernel's
vector and scalar lambdas compute differently (pow rounds its exponent to float32 in the
vectors only), which elements fall in the tail is part of torch's result.

The rows are TensorIterator's: it orders the dims by the operand's strides (the innermost
first), coalesces the dims whose strides chain, and vectorizes a row only where its
elements are adjacent (stride one item, or 0: a broadcast value).  A vector is 64 bytes
where torch runs its AVX-512 kernels, else 32 (AVX2 and the default build).

Ranges TensorIterator splits among threads (at 32768 elements and more) end their own
rows; that is not followed here.
"""
from __future__ import annotations

import numpy

from ..backends import cpu

__all__ = ["scalar_tail"]


def vector_bytes():
    """The width of torch's CPU vectors here: 64 bytes with AVX-512, else 32."""
    return 64 if cpu.get_cpu_capability() == "AVX512" else 32


def scalar_tail(array, vectors_per_step=2):
    """A boolean mask of ``array``'s shape, True where torch's loop over ``array`` (the only
    input of an op whose output is new, or written in place) runs its scalar tail; None where
    it runs none."""
    if array.size == 0:
        return None
    squeezed = numpy.squeeze(array)        # a view: size-1 dims change no row
    order = _iteration_order(squeezed)      # outermost first
    row = _coalesced_row(squeezed, order)
    if row is None:
        return numpy.ones(array.shape, bool)
    step = vectors_per_step * vector_bytes() // array.dtype.itemsize
    if row % step == 0:
        return None
    tail = numpy.zeros(array.size, bool)
    tail.reshape(-1, row)[:, row - row % step:] = True
    in_order = tail.reshape([squeezed.shape[axis] for axis in order])
    return in_order.transpose(numpy.argsort(order)).reshape(array.shape)


def _iteration_order(array):
    """TensorIterator's ``reorder_dimensions`` for one operand: an insertion sort of the dims
    by stride, innermost last; a broadcast (stride 0) dim keeps its place, and of two equal
    strides the larger dim goes outside."""
    inner_first = list(reversed(range(array.ndim)))
    for i in range(1, array.ndim):
        moving = i
        for before in range(i - 1, -1, -1):
            swap = _should_swap(array, inner_first[before], inner_first[moving])
            if swap > 0:
                inner_first[before], inner_first[moving] = inner_first[moving], inner_first[before]
                moving = before
            elif swap < 0:
                break
    return inner_first[::-1]


def _should_swap(array, dim0, dim1):
    stride0, stride1 = array.strides[dim0], array.strides[dim1]
    if stride0 == 0 or stride1 == 0:
        return 0
    if stride0 != stride1:
        return 1 if stride0 > stride1 else -1
    return 1 if array.shape[dim0] > array.shape[dim1] else 0


def _coalesced_row(array, order):
    """The length of the rows the loop runs over (the inner dims in ``order`` whose strides
    chain), or None where the innermost stride is neither one item nor 0 (no vectors)."""
    if array.ndim == 0:
        return 1
    inner = order[-1]
    if array.strides[inner] not in (0, array.itemsize):
        return None
    row, next_stride = array.shape[inner], array.strides[inner] * array.shape[inner]
    for axis in reversed(order[:-1]):
        if array.strides[axis] != next_stride:
            break
        row, next_stride = row * array.shape[axis], array.strides[axis] * array.shape[axis]
    return row
