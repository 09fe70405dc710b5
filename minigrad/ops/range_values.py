"""The values of ``arange`` and ``linspace`` on floating dtypes as torch's CPU kernels compute them.

NumPy's ``arange`` adds ``i * (start + step - start)`` (the step rounded once more) and its
``linspace`` works in float64 whatever the dtype, so their results sat ulps away from torch's at
most places (``arange(1.5, 1000.3, 0.7)``: 1,399 of 1,428 float64 values).  torch's kernels
(``RangeFactoriesKernel.cpp``, compiled with fused multiply-adds, 32-byte vectors on AVX-512 too):

* ``arange``: ``start + step * i`` in the accumulation type (double for float32 and float64, float
  for float16), fused, at the first index of each vector, rounded to the dtype; lane ``k`` of the
  vector is ``base + k * step``, fused, in the accumulation type.  Two vectors a step; the rest (the
  scalar tail, ``vector_loop``) takes the formula at each index.
* ``linspace``: element by element in the dtype, ``step = (end - start) / (steps - 1)``; below
  ``steps // 2`` ``start + step * i``, from there ``end - step * (steps - i - 1)``, both fused
  (float16 rounds each operation, as c10::Half, and fuses nothing).

Seen to the bit on torch 2.13 for 1 to 100,000 elements.  On CUDA torch computes each element by
the formula; there this runs without vectors.
"""
from __future__ import annotations

import os

import numpy

from .. import threads
from .conversion import scalar_as
from .fused import fmadd

_GRAIN = 32768        # at::internal::GRAIN_SIZE


def _torch_threads():
    """The threads torch's ``parallel_for`` splits a range among by default: ``OMP_NUM_THREADS``, else
    the CPUs this process may run on (torch counts physical cores: the same without hyperthreads)."""
    chosen = os.environ.get("OMP_NUM_THREADS", "")
    return int(chosen) if chosen.isdigit() and int(chosen) > 0 else threads.available_cpus()


def _bases_and_lanes(count, itemsize, vectors):
    """For each of ``count`` elements: the index its vector starts at and its lane there (the
    scalar tail, and every element without ``vectors``, is its own base at lane 0).  torch's
    ``parallel_for`` hands a range past its grain (32,768) to up to one thread per 32,768 elements,
    in equal chunks, and each chunk runs its own vector loop."""
    index = numpy.arange(count)
    if not vectors:
        return index, numpy.zeros(count, numpy.int64)
    lanes = 32 // itemsize            # (these kernels run 32-byte vectors on AVX-512 too)
    chunks = min(_torch_threads(), -(-count // _GRAIN)) if count > _GRAIN else 1
    chunk = -(-count // chunks) if count else 1
    first = index - index % chunk
    local = index - first
    length = numpy.minimum(chunk, count - first)
    vectorized = length - length % (2 * lanes)
    bases = numpy.where(local < vectorized, index - local % lanes, index)
    return bases, index - bases


def arange_values(start, step, count, dtype, vectors=True):
    """torch's ``arange`` of ``count`` elements of the floating NumPy ``dtype``."""
    accumulate = numpy.dtype(numpy.float32 if dtype.itemsize == 2 else numpy.float64)
    start, step = (scalar_as(x, accumulate)[()] for x in (start, step))
    bases, lanes = _bases_and_lanes(count, dtype.itemsize, vectors)
    with numpy.errstate(over="ignore"):          # (past float16's range: inf, as torch's)
        base_values = fmadd(step, bases.astype(accumulate), start, accumulate.type).astype(dtype)
        in_lanes = fmadd(lanes.astype(accumulate), step, base_values.astype(accumulate), accumulate.type)
        return numpy.where(lanes == 0, base_values, in_lanes.astype(dtype))


def linspace_values(start, end, steps, dtype):
    """torch's ``linspace`` of ``steps`` elements of the NumPy ``dtype`` (an integer dtype: start and
    end truncated to it, the step and the values in double, each value truncated)."""
    start, end = (scalar_as(x, dtype)[()] for x in (start, end))      # (torch's checked Scalar.to<T>())
    if steps == 1:
        return numpy.full(1, start, dtype)
    working = dtype if dtype.kind == "f" else numpy.dtype(numpy.float64)
    kind = working.type
    start, end = kind(start), kind(end)
    half = steps // 2
    counted_up = numpy.arange(half).astype(working)                   # i, below steps // 2
    counted_down = numpy.arange(steps - half)[::-1].astype(working)   # steps - i - 1, from there
    with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
        step = (end - start) / kind(steps - 1)
        if working.itemsize == 2:        # (c10::Half rounds each operation and fuses nothing)
            up, down = start + step * counted_up, end - step * counted_down
        else:
            up, down = fmadd(step, counted_up, start, kind), fmadd(-step, counted_down, end, kind)
        values = numpy.concatenate([up, down])
    return (values if dtype.kind == "f" else numpy.trunc(values)).astype(dtype, copy=False)
