"""The orders torch's CPU ``prod`` multiplies in and its ``sum`` adds in, each step rounded to the dtype.

torch's ``prod_kernel_impl`` runs ``binary_kernel_reduce_vec`` in the input's dtype: every
product is rounded to it (float16 too, where NumPy's ``prod`` keeps a float16 running
product in float32: ``60000 * -60000 * 0`` is NaN in torch, -0 in NumPy, fuzz seed 47978),
in this order:

* TensorIterator puts the reduced dims innermost (``reorder_dimensions``: a reduction's
  output has stride 0 there), of a full reduction sorted by the input's strides, and
  coalesces them into rows;
* a row whose elements are adjacent (stride one item) is reduced by ``vectorized_reduction``:
  four vectors take its blocks of ``4 * lanes`` elements, each lane multiplying its own
  elements in turn; the vectors are then combined ``(v0 * v1) * (v2 * v3)``, its lanes one
  after another into the output, and the rest of the row (``row % (4 * lanes)`` elements)
  is multiplied into the output one at a time;
* any other row is multiplied into the output one element at a time (``basic_loop``).

The vectors are 32 bytes under every x86 capability: ``prod_stub`` is registered with
``REGISTER_DISPATCH``, which gives AVX-512 builds no kernel (they run the AVX2 one), and
the default build's ``Vectorized`` is 32 bytes as well.

Ranges TensorIterator splits among threads (32768 elements and more, with more than one
thread) multiply their own partial products; that is not followed here.

``cascade_sum`` is ``sum_kernel_impl``'s order (``SumKernel.cpp``) for a float32/float64 sum of
every element, needed only where the order decides between a finite result and inf (the mean
``std_var_all_cpu`` subtracts, below).  Each row's elements are added into four accumulators
in turn (``row_sum``: the row read as ``(-1, 4)``, the rest into the first, then
``acc0 + acc1 + acc2 + acc3``), each accumulator a cascade of four levels of 16 additions
(``multi_row_sum``); an adjacent row of at least one vector runs this on vectors
(``vectorized_inner_sum``: its tail first, one element after another, then the lanes), any
other row on elements.  The rows' sums are added into the output one after another.  Like
``prod``, the sum is dispatched at AVX2 width (32-byte vectors) on AVX-512 builds.
"""
from __future__ import annotations

import math

import numpy

from ..core import layout

__all__ = ["product", "cascade_sum", "row_sum", "multi_row_sum"]

VECTOR_BYTES = 32
VECTORS_PER_STEP = 4


def product(array, axis, keepdim):
    """``array``'s product along ``axis`` (None: of all its elements) as torch's CPU kernel
    computes it: a float NumPy array of at least one element and one dim (the caller takes
    NumPy's product for the rest, where the order changes nothing)."""
    if any([step < 0 for step in array.strides]):    # torch has no such strides: its copy is contiguous
        array = numpy.ascontiguousarray(array)
    rows, adjacent = _rows(array, axis)
    lanes = VECTOR_BYTES // array.itemsize
    result = numpy.ones(rows.shape[0], array.dtype)
    with numpy.errstate(all="ignore"):     # (an overflowing product is inf, without a warning, as torch's)
        if not adjacent or rows.shape[-1] < VECTORS_PER_STEP * lanes:
            result = _chained(result, rows.reshape(rows.shape[0], -1))
        else:
            for row in range(rows.shape[1]):
                result = _vectorized(result, rows[:, row], lanes)
    if axis is None:
        return result.reshape((1,) * array.ndim if keepdim else ())
    return result.reshape(array.shape[:axis] + ((1,) if keepdim else ()) + array.shape[axis + 1:])


def _rows(array, axis):
    """The rows torch's loop reduces, as ``(outputs, rows of each output, row length)`` in
    its order, and whether their elements are adjacent in memory."""
    if axis is not None:
        rows = numpy.moveaxis(array, axis, -1).reshape(-1, 1, array.shape[axis])
        return rows, array.strides[axis] == array.itemsize
    strides = layout.element_strides(array)
    order, merged = layout.iterator_rows(array.shape, [(0,) * array.ndim, strides])
    row_dims = [dim for dim in order[:merged] if array.shape[dim] != 1]
    length = math.prod([array.shape[dim] for dim in order[:merged]])
    rows = array.transpose(order[::-1]).reshape(1, -1, length)
    return rows, not row_dims or strides[row_dims[0]] == 1


def _chained(result, values):
    """``result * values[:, 0] * values[:, 1] * ...``, each product rounded to the dtype
    (NumPy's ``multiply.accumulate`` rounds each step, as its ``prod`` does not in float16)."""
    return numpy.multiply.accumulate(numpy.concatenate([result[:, None], values], axis=1), axis=1)[:, -1]


def _vectorized(result, rows, lanes):
    """``result`` times each of ``rows`` as ``vectorized_reduction`` multiplies a row in."""
    step = VECTORS_PER_STEP * lanes
    blocks = rows.shape[1] // step
    vectors = rows[:, :blocks * step].reshape(rows.shape[0], blocks, VECTORS_PER_STEP, lanes)
    running = numpy.multiply.accumulate(vectors, axis=1)[:, -1]
    combined = (running[:, 0] * running[:, 1]) * (running[:, 2] * running[:, 3])
    result = result * numpy.multiply.accumulate(combined, axis=1)[:, -1]
    return _chained(result, rows[:, blocks * step:])


# ---- sum ------------------------------------------------------------------------------
CASCADE_LEVELS = 4
ILP_ROWS = 4


def cascade_sum(array):
    """The sum of every element of the float32/float64 NumPy ``array`` in torch's CPU order (above), in
    its dtype; None for 32768 elements and more, which torch splits among its threads."""
    if array.size >= 32768:
        return None
    if any([step < 0 for step in array.strides]):
        array = numpy.ascontiguousarray(array)
    rows, adjacent = _rows(array, None)
    lanes = VECTOR_BYTES // array.itemsize
    total = array.dtype.type(0)
    with numpy.errstate(all="ignore"):
        for row in rows[0]:
            if adjacent and row.shape[0] >= lanes:
                total = total + _vectorized_inner_sum(row, lanes)
            else:
                total = total + row_sum(row)
    return total


def _vectorized_inner_sum(row, lanes):
    """``vectorized_inner_sum``: the row's full vectors summed lane by lane, its tail one element after
    another, then the lanes added to the tail's sum in turn."""
    vectors = row.shape[0] // lanes
    lane_sums = row_sum(row[:vectors * lanes].reshape(vectors, lanes))
    return _chained_sum(row.dtype.type(0), numpy.concatenate([row[vectors * lanes:], lane_sums]))


def last_dim_sums(array):
    """The sums along the last dim of the float32/float64 NumPy ``array`` in torch's CPU order for a
    contiguous row (``_vectorized_inner_sum``, every row at once): ``array.shape[:-1]``, in its dtype."""
    rows = numpy.ascontiguousarray(array).reshape(-1, array.shape[-1])
    count, length = rows.shape
    lanes = VECTOR_BYTES // array.itemsize
    with numpy.errstate(all="ignore"):
        if length < lanes:
            sums = row_sum(rows.T)
        else:
            vectors = length // lanes
            lane_sums = row_sum(rows[:, :vectors * lanes].reshape(count, vectors, lanes).transpose(1, 2, 0))
            sums = _chained_sum(numpy.zeros(count, array.dtype),
                                numpy.concatenate([rows[:, vectors * lanes:].T, lane_sums]))
    return sums.reshape(array.shape[:-1])


def row_sum(values):
    """``row_sum`` along the first axis of ``values`` (elements, or vectors of lanes)."""
    whole = values.shape[0] // ILP_ROWS * ILP_ROWS
    partial = multi_row_sum(values[:whole].reshape(-1, ILP_ROWS, *values.shape[1:]))
    first = _chained_sum(partial[0], values[whole:])
    return _chained_sum(first, partial[1:])


def multi_row_sum(rows):
    """``multi_row_sum``: each column of ``rows`` (along its first axis) summed in a cascade: blocks of
    ``2**power`` rows into level 0, level 0 carried into level 1 after each block, level 1 into
    level 2 after each ``2**(2 power)`` rows, and so on; the levels added at the end."""
    size = rows.shape[0]
    power = max(4, (size - 1).bit_length() // CASCADE_LEVELS if size > 2 else 0)
    step, mask = 1 << power, (1 << power) - 1
    zero = numpy.zeros(rows.shape[1:], rows.dtype)
    levels = [zero] * CASCADE_LEVELS
    done = 0
    while done + step <= size:
        levels[0] = _chained_sum(levels[0], rows[done:done + step])
        done += step
        for level in range(1, CASCADE_LEVELS):
            levels[level], levels[level - 1] = levels[level] + levels[level - 1], zero
            if done & (mask << (level * power)):
                break
    levels[0] = _chained_sum(levels[0], rows[done:])
    return _chained_sum(levels[0], numpy.stack(levels[1:]))


def _chained_sum(start, values):
    """``start + values[0] + values[1] + ...`` along the first axis, one addition after another."""
    if values.shape[0] == 0:
        return start
    return numpy.add.accumulate(numpy.concatenate([numpy.asarray(start)[None], values]), axis=0)[-1]
