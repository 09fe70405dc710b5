"""Where torch's CPU elementwise loop runs vectors and where it runs its scalar tail.

torch's ``cpu_kernel_vec`` takes each row TensorIterator hands it two vectors a step and
the rest of the row (``row % (2 * lanes)`` elements) one at a time.  Where a kernel's
vector and scalar lambdas compute differently (pow rounds its exponent to float32 in the
vectors only), which elements fall in the tail is part of torch's result.

The rows are TensorIterator's (``layout.iterator_rows``: the dims ordered by the operands'
strides, those whose strides chain coalesced), and a row is vectorized only where its
elements are adjacent (stride one item, or 0: a broadcast value).  A vector is 64 bytes
where torch runs its AVX-512 kernels, else 32 (AVX2 and the default build).

Ranges TensorIterator splits among threads (at 32768 elements and more) end their own
rows; that is not followed here.
"""
from __future__ import annotations

import math

import numpy

from ..backends import cpu
from ..core import layout

__all__ = ["scalar_tail"]


def vector_bytes():
    """The width of torch's CPU vectors here: 64 bytes with AVX-512, else 32."""
    return 64 if cpu.get_cpu_capability() == "AVX512" else 32


def scalar_tail(array, vectors_per_step=2, operand_strides=None, width=None):
    """A boolean mask of ``array``'s shape, True where torch's loop over ``array`` runs its scalar
    tail; None where it runs none.  ``vectors_per_step``: 2 for ``cpu_kernel_vec``, 1 for
    ``vec::map``.  ``operand_strides``: the element strides of the loop's operands, the output's
    first, where they are not ``array``'s alone (an op whose output is new, laid out as its input).
    ``width``: the vector's bytes where a kernel runs at a width of its own (fmod and remainder run
    32-byte vectors on AVX-512 too, seen on torch 2.13), else ``vector_bytes()``."""
    if array.size == 0:
        return None
    strides = layout.element_strides(array)
    operand_strides = [strides] if operand_strides is None else operand_strides
    order, merged = layout.iterator_rows(array.shape, operand_strides)
    inner = [dim for dim in order[:merged] if array.shape[dim] != 1]
    if inner and any(each[inner[0]] not in (0, 1) for each in operand_strides):
        return numpy.ones(array.shape, bool)    # an operand's elements not adjacent: the scalar loop throughout
    row = math.prod([array.shape[dim] for dim in order[:merged]])
    step = vectors_per_step * (width or vector_bytes()) // array.dtype.itemsize
    if row % step == 0:
        return None
    tail = numpy.zeros(array.size, bool)
    tail.reshape(-1, row)[:, row - row % step:] = True
    outermost_first = order[::-1]
    return tail.reshape([array.shape[dim] for dim in outermost_first]).transpose(numpy.argsort(outermost_first))
