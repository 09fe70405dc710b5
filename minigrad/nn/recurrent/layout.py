"""Where each time step's rows live when a batch of sequences is stored as one matrix.

The fused layers (``fused.py``) store a batch time-major as ``N = sum(batch_sizes)``
rows, torch's packed layout; a padded ``(T, B, I)`` input is the case
``batch_sizes = [B] * T``.  ``TimeLayout`` says, for one layer and direction,
which rows each step reads and writes and in which order the steps run.
"""
from __future__ import annotations

import numpy

__all__ = []   # internal: fused.py uses TimeLayout


class TimeLayout:
    """The rows of each time step in the packed layout, and the order to visit them.

    ``hidden`` buffers hold ``N + B`` rows: the initial state ``h0`` and the
    ``N`` outputs, so that the previous state of every step is a contiguous
    slice of the same buffer.  Going forward in time ``h0`` sits first (rows
    ``[0, B)``, step ``t`` at ``B + offset_t``); a reverse direction over
    equal-length sequences walks the steps backwards with ``h0`` last (rows
    ``[N, N + B)``, step ``t`` at ``offset_t``).  A reverse direction over
    sequences of different lengths first reverses each sequence in place
    (``flip``, a row permutation) and then runs forward in time.
    """

    def __init__(self, batch_sizes, reverse, xp):
        sizes = [int(size) for size in batch_sizes]
        self.batch_sizes = sizes
        self.steps = len(sizes)
        self.batch = sizes[0]
        self.offsets = numpy.concatenate([[0], numpy.cumsum(sizes)]).tolist()
        self.rows = self.offsets[-1]
        uniform = all(size == self.batch for size in sizes)
        self.flip = None
        if reverse and not uniform:
            self.flip = xp.asarray(_reversal_permutation(sizes, self.offsets))
        self.backwards_in_time = reverse and uniform
        self._plan(uniform, xp)

    def _plan(self, uniform, xp):
        B, N, T, offsets = self.batch, self.rows, self.steps, self.offsets
        if self.backwards_in_time:
            self.shift, self.h0_start = 0, N
            self.order = [(offsets[t], offsets[t + 1] if t + 1 < T else N, B) for t in range(T - 1, -1, -1)]
            self.prev_rows = slice(B, N + B)
            self.last_rows = slice(0, B)
            return
        self.shift, self.h0_start = B, 0
        sizes = self.batch_sizes
        self.order = [(offsets[t], B + offsets[t - 1] if t else 0, sizes[t]) for t in range(T)]
        if uniform:
            self.prev_rows = slice(0, N)
            self.last_rows = slice(N - B, N)
        else:   # a gather: each row's previous state, and each sequence's last row
            prev = [numpy.arange(sizes[0])] + [B + offsets[t - 1] + numpy.arange(sizes[t])
                                               for t in range(1, T)]
            self.prev_rows = xp.asarray(numpy.concatenate(prev))
            lengths = _lengths(sizes)
            self.last_rows = xp.asarray(numpy.asarray(offsets)[lengths - 1] + numpy.arange(B))

    def part_order(self, first, last):
        """``order`` for the sequences ``[first, last)`` of the batch alone (``threads.in_two_parts``):
        ``(row, prev, size)`` of each step that has any of them, ``size`` counted from ``first``."""
        return [(row + first, prev + first, min(size, last) - first) for row, prev, size in self.order
                if size > first]

    def to_sequence_order(self, array):
        """Apply (or undo: it is its own inverse) ``flip``; identity when there is none."""
        return array if self.flip is None else array[self.flip]

    from_sequence_order = to_sequence_order


def _lengths(batch_sizes):
    """Each sequence's length from the per-step batch sizes (longest first)."""
    sizes = numpy.asarray(batch_sizes)
    return (sizes[None, :] > numpy.arange(sizes[0])[:, None]).sum(axis=1)


def _reversal_permutation(batch_sizes, offsets):
    """Row permutation that reverses every sequence in time: (t, b) <-> (len_b - 1 - t, b)."""
    lengths = _lengths(batch_sizes)
    rows = []
    for t, size in enumerate(batch_sizes):
        b = numpy.arange(size)
        rows.append(numpy.asarray(offsets)[lengths[b] - 1 - t] + b)
    return numpy.concatenate(rows)
