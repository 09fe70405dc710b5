"""Variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``.

A batch of sequences of different lengths is either *padded*, ``(T, B, *)``
with zeros after each sequence's end, or *packed*: a ``PackedSequence`` whose
``data`` holds only the real steps, time-major, ``N = sum(lengths)`` rows::

    lengths 3, 2, 1       padded (T=3, B=3)        packed data (N=6)    batch_sizes
    a1 a2 a3              t=0: a1 b1 c1            a1 b1 c1             3
    b1 b2                 t=1: a2 b2  0            a2 b2                2
    c1                    t=2: a3  0  0            a3                   1

The rows of step ``t`` are the first ``batch_sizes[t]`` sequences, so the
sequences are sorted longest first; ``sorted_indices`` records that order
(``None`` when the input was already sorted) and ``unsorted_indices`` undoes it.
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` accept a ``PackedSequence`` and return
one, and each sequence's ``h_n`` is its state at its own last step.

Packing and padding are single gathers (``index_select``) of rows, so the
gradient flows back to exactly the rows that were read.  Ties in the lengths
are ordered stably (torch's sort may order equal lengths differently for large
batches; the padded results and ``h_n`` are the same either way).
"""
from __future__ import annotations

from collections import namedtuple

import numpy

from ...core import dtypes
from ...core.device import to_device
from ...ops.indexing import index_select
from ...ops.join import cat
from ...core.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices",
                                                   "unsorted_indices"])):
    """Packed variable-length sequences: ``data (N, *)`` and the per-step ``batch_sizes (T,)``.

    Build one with ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:          # PackedSequence((data, batch_sizes)), as torch allows
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence "
                             "should never be created manually. They should be instantiated by "
                             "functions like pack_sequence and pack_padded_sequences in "
                             "nn.utils.rnn. https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        """The same packing around new ``data``, its indices moved to ``data``'s device."""
        move = lambda index: None if index is None else index.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self):
        return self._with_data(self.data.cpu())

    def double(self):
        return self.to(dtypes.float64)

    def float(self):
        return self.to(dtypes.float32)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    inverse = numpy.empty(len(permutation), dtype=numpy.int64)
    inverse[_numpy(permutation)] = numpy.arange(len(permutation))
    return _index_tensor(inverse, permutation.device)


# ---- packing ---------------------------------------------------------------------
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of ``lengths``.

    With ``enforce_sorted=False`` the sequences may come in any order; they are
    sorted longest first and ``sorted_indices`` remembers how.
    """
    lengths = _lengths_array(lengths)
    batch_size = input.shape[0 if batch_first else 1]
    if len(lengths) != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch_size})")
    sorted_indices = None
    if enforce_sorted:
        if numpy.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                "to sidestep this requirement if you do not need ONNX exportability.")
        order = numpy.arange(batch_size)
    else:
        order = numpy.argsort(-lengths, kind="stable")
        sorted_indices = _index_tensor(order, input.device)
    if numpy.any(lengths <= 0):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    steps = input.shape[1 if batch_first else 0]
    if lengths.max() > steps:
        raise RuntimeError(f"a length ({int(lengths.max())}) exceeds the padded sequence length ({steps})")
    batch_sizes = _batch_sizes(lengths[order])
    # row (t, b) of the packed data is padded[t, order[b]] for the b < batch_sizes[t]
    t, b = _packed_positions(batch_sizes)
    column = order[b]
    flat_rows = column * steps + t if batch_first else t * batch_size + column
    flat = input.reshape((steps * batch_size,) + tuple(input.shape[2:]))
    data = index_select(flat, 0, _index_tensor(flat_rows, input.device))
    return PackedSequence(data, _index_tensor(batch_sizes, "cpu"), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: ``(padded, lengths)``, in the original batch order.

    ``padded`` is ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``), ``T`` the
    longest length or ``total_length``; ``lengths`` an int64 CPU tensor.
    """
    data, batch_sizes = sequence.data, _numpy(sequence.batch_sizes)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    unsorted = (numpy.arange(batch) if sequence.unsorted_indices is None
                else _numpy(sequence.unsorted_indices))
    offsets = numpy.concatenate([[0], numpy.cumsum(batch_sizes)])
    lengths = (batch_sizes[None, :] > numpy.arange(batch)[:, None]).sum(axis=1)   # sorted order
    # padded[t, j] is packed row offsets[t] + unsorted[j] while that sequence runs, else padding
    t = numpy.arange(steps)[:, None]
    position = unsorted[None, :]
    running = t < lengths[position]
    rows = numpy.where(running, offsets[numpy.minimum(t, len(batch_sizes) - 1)] + position,
                       data.shape[0])
    if batch_first:
        rows = rows.T
    padding = data.new_full((1,) + tuple(data.shape[1:]), padding_value)
    padded = index_select(cat([data, padding], 0), 0, _index_tensor(rows.reshape(-1), data.device))
    padded = padded.reshape(rows.shape + tuple(data.shape[1:]))
    return padded, _index_tensor(lengths[unsorted], "cpu")


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``).

    ``T`` is the longest ``L_i``; the rest is ``padding_value``, after each sequence
    (``padding_side='right'``) or before it (``'left'``).
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    trailing = tuple(sequences[0].shape[1:])
    for sequence in sequences[1:]:
        _check_trailing(trailing, tuple(sequence.shape[1:]))
    lengths = numpy.array([sequence.shape[0] for sequence in sequences], dtype=numpy.int64)
    steps = int(lengths.max(initial=0))
    starts = numpy.concatenate([[0], numpy.cumsum(lengths)])
    t = numpy.arange(steps)[:, None]
    shift = (steps - lengths)[None, :] if padding_side == "left" else 0
    step_in_sequence = t - shift
    running = (step_in_sequence >= 0) & (step_in_sequence < lengths[None, :])
    rows = numpy.where(running, starts[:-1][None, :] + step_in_sequence, starts[-1])
    if batch_first:
        rows = rows.T
    first = sequences[0]
    padding = first.new_full((1,) + trailing, padding_value)
    padded = index_select(cat(sequences + [padding], 0), 0, _index_tensor(rows.reshape(-1), first.device))
    return padded.reshape(rows.shape + trailing)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into its sequences: a list of ``(L_i, *)`` tensors."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[index, :int(length)] for index, length in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences ``(L_i, *)``: ``pack_padded_sequence(pad_sequence(...))``."""
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The sequences of a ``PackedSequence`` as a list of ``(L_i, *)`` tensors, original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


# ---- helpers -----------------------------------------------------------------------
def _numpy(values):
    """A CPU NumPy copy of a tensor's values (or of a list)."""
    if isinstance(values, Tensor):
        return numpy.asarray(values.numpy(force=True))
    return numpy.asarray(values)


def _index_tensor(array, device):
    """An int64 tensor of ``array`` on ``device`` (no graph)."""
    from ...core.device import Device
    return Tensor._wrap(to_device(numpy.ascontiguousarray(array, dtype=numpy.int64), Device(device)))


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy(force=True)
    array = numpy.asarray(lengths)
    if array.ndim != 1 or (array.size and not all(float(x) == int(x) for x in array.tolist())):
        raise TypeError("lengths must be a 1-D sequence of ints")
    return array.astype(numpy.int64)


def _batch_sizes(sorted_lengths):
    """How many sequences run at each step, from lengths sorted longest first."""
    steps = numpy.arange(int(sorted_lengths[0]))
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1).astype(numpy.int64)


def _packed_positions(batch_sizes):
    """``(t, b)`` of every packed row, in packed order."""
    t = numpy.repeat(numpy.arange(len(batch_sizes)), batch_sizes)
    offsets = numpy.concatenate([[0], numpy.cumsum(batch_sizes)[:-1]])
    b = numpy.arange(int(numpy.sum(batch_sizes))) - offsets[t]
    return t, b


def _check_trailing(expected, actual):
    """torch's message when sequences' trailing dimensions differ."""
    if expected != actual:
        for axis, (mine, other) in enumerate(zip(expected, actual)):
            if mine != other:
                raise RuntimeError(f"The size of tensor a ({mine}) must match the size of tensor "
                                   f"b ({other}) at non-singleton dimension {axis + 1}")
        raise RuntimeError(f"The sequences have different numbers of dimensions: "
                           f"{len(expected) + 1} and {len(actual) + 1}")
