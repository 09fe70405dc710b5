"""Joining and splitting: ``cat stack split chunk unbind``, ``tensor_split`` and its ``h/v/dsplit``,
``hstack vstack row_stack column_stack dstack`` and the ``atleast_1d/2d/3d`` they use.

``cat`` and ``stack`` are one node with many inputs whose backward hands each
input its slice of the gradient; ``split``, ``chunk`` and ``unbind`` are one
node with many outputs, each a view of the input, whose backward puts the
outputs' gradients back together (the engine gives zeros to unused outputs).
"""
from __future__ import annotations

import numbers

from ..core import dtypes
from ..core.function import Function
from ..core.device import array_module
from ..core.tensor import Tensor, _check_dim
from ..core.type_errors import describe_type
from .promotion import promoted_to
from .views import register_view

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "column_stack", "dstack",
           "split", "chunk", "unbind", "tensor_split", "hsplit", "vsplit", "dsplit",
           "atleast_1d", "atleast_2d", "atleast_3d"]


# ---- the differentiable ops -------------------------------------------------
class Cat(Function):
    """The arrays joined along ``dim``; those at ``skipped`` (torch's legacy 1-D empty tensors)
    add nothing, yet count for the dtype and the graph (their gradient is empty)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, *arrays, dim, skipped=()):
        self.dim, self.skipped, self.count = dim, skipped, len(arrays)
        if skipped:
            arrays = [array for position, array in enumerate(arrays) if position not in skipped]
        self.offsets = []
        offset = 0
        for array in arrays[:-1]:
            offset += array.shape[dim]
            self.offsets.append(offset)
        return array_module(arrays[0]).concatenate(arrays, axis=dim)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        pieces = xp.split(grad_output, self.offsets, axis=self.dim)
        if not self.skipped:
            return tuple(pieces)
        pieces = iter(pieces)
        return tuple(xp.zeros(0, grad_output.dtype) if position in self.skipped else next(pieces)
                     for position in range(self.count))


class Stack(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, *arrays, dim):
        self.dim = dim
        return array_module(arrays[0]).stack(arrays, axis=dim)

    def backward(self, grad_output):
        lead = (slice(None),) * self.dim
        return tuple(grad_output[lead + (index, ...)] for index in range(grad_output.shape[self.dim]))


class Split(Function):
    """Views of consecutive pieces of dim ``dim``, cut at ``offsets``."""

    differentiable_backward = True

    def name(self):
        return "SplitWithSizesBackward0" if self.with_sizes else "SplitBackward0"   # torch's two overloads

    def forward(self, x, offsets, dim, with_sizes=False):
        self.dim, self.with_sizes = dim, with_sizes
        return tuple(array_module(x).split(x, offsets, axis=dim))

    def backward(self, *grad_outputs):
        return array_module(grad_outputs[0]).concatenate(grad_outputs, axis=self.dim)


class Unbind(Function):
    differentiable_backward = True

    def forward(self, x, dim):
        self.dim = dim
        lead = (slice(None),) * dim
        return tuple(x[lead + (index, ...)] for index in range(x.shape[dim]))   # 0-d views, not scalars

    def backward(self, *grad_outputs):
        return array_module(grad_outputs[0]).stack(grad_outputs, axis=self.dim)


# ---- checks at the boundary ------------------------------------------------------------
def tensor_sequence(tensors, what, argument="tensors", position=None):
    """torch's argument parser for a ``tuple of Tensors`` argument (``cat``'s ``tensors``,
    ``index_put``'s ``indices (position 1)``): a list or tuple of Tensors, else its TypeError."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        where = f" (position {position})" if position else ""
        raise TypeError(f"{what}(): argument '{argument}'{where} must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"expected Tensor as element {position} in argument 0, but got "
                            f"{type(tensor).__name__}")
    return tensors



def _same_dtype(tensors):
    """torch promotes the inputs of cat/stack to one dtype (inside its kernel: ``promoted_to``)."""
    first = tensors[0].array.dtype
    if all(tensor.array.dtype == first for tensor in tensors):
        return tensors
    dtype = dtypes.result_type(*tensors)
    return [promoted_to(tensor, dtype) for tensor in tensors]


def _as_views(results, input, keys, maker):
    """Each result is the view ``input[key]`` (writes reach ``input``), one of several made by
    ``maker`` (torch forbids writing them in place while ``input`` is in a graph)."""
    for number, (result, key) in enumerate(zip(results, keys)):
        register_view(result, input, ("index", key), multi_output_of=(maker, number))
    return results


# ---- the public functions ------------------------------------------------------------------
def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim: (2, 3) and (4, 3) -> (6, 3) for dim=0."""
    tensors = tensor_sequence(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # torch's legacy rule: 1-D empty tensors are skipped whatever the other shapes (for the
    # shapes only: they still take part in the dtype promotion and in the graph)
    kept = [(number, tensor) for number, tensor in enumerate(tensors) if tensor.array.shape != (0,)]
    skipped = tuple(number for number, tensor in enumerate(tensors) if tensor.array.shape == (0,))
    if not kept:
        kept, skipped = list(enumerate(tensors)), ()
    first_shape = kept[0][1].array.shape
    if not first_shape:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dim = _check_dim(dim, len(first_shape))
    for number, tensor in kept[1:]:
        shape = tensor.array.shape
        if shape == first_shape:
            continue
        if len(shape) != len(first_shape):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first_shape)} "
                               f"and {len(shape)}")
        for axis, (expected, got) in enumerate(zip(first_shape, shape)):
            if axis != dim and expected != got:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected "
                                   f"size {expected} but got size {got} for tensor number {number} in "
                                   "the list.")
    return Cat.apply(*_same_dtype(tensors), dim=dim, skipped=skipped)


concat = concatenate = cat


def _nonempty_sequence(tensors, what):
    """``tensor_sequence``, refusing an empty one in torch's words."""
    tensors = tensor_sequence(tensors, what)
    if not tensors:
        raise RuntimeError(f"{what} expects a non-empty TensorList")
    return tensors


def stack(tensors, dim=0, *, out=None):
    """Join equal-shaped tensors along a new dim: three (2, 3) -> (3, 2, 3) for dim=0."""
    tensors = _nonempty_sequence(tensors, "stack")
    first_shape = tensors[0].array.shape
    for position, tensor in enumerate(tensors[1:], 1):
        if tensor.array.shape != first_shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first_shape)} at entry 0 and {list(tensor.array.shape)} at "
                               f"entry {position}")
    dim = _check_dim(dim, len(first_shape) + 1)
    return Stack.apply(*_same_dtype(tensors), dim=dim)


def hstack(tensors):
    """``cat`` along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [t.reshape(1) if t.array.ndim == 0 else t for t in tensor_sequence(tensors, "hstack")]  # atleast_1d
    return cat(tensors, 0 if tensors and tensors[0].array.ndim == 1 else 1)


def vstack(tensors):
    """``cat`` along dim 0, 1-D tensors first made rows."""
    tensors = _nonempty_sequence(tensors, "vstack")
    return cat([t.reshape(1, -1) if t.array.ndim < 2 else t for t in tensors], 0)


row_stack = vstack


def column_stack(tensors):
    """``hstack`` with 0-d and 1-d tensors first made columns: (n,) -> (n, 1)."""
    tensors = _nonempty_sequence(tensors, "column_stack")
    return cat([t.reshape(t.array.size, 1) if t.array.ndim <= 1 else t for t in tensors], 1)


def dstack(tensors):
    """``cat`` along dim 2 (depth), every tensor first made at least 3-d."""
    tensors = _nonempty_sequence(tensors, "dstack")
    return cat(atleast_3d(tensors), 2)


def _atleast(what, tensors, make):
    """torch's ``atleast_Nd``: one tensor in, one out (itself when it has the dims); several (as
    arguments or one list/tuple) in, a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return make(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if not all(isinstance(tensor, Tensor) for tensor in tensors):
        names = ", ".join(type(tensor).__name__ for tensor in tensors)
        raise TypeError(f"{what}() received an invalid combination of arguments - got ({names}), but "
                        "expected one of:\n * (Tensor input)\n * (tuple of Tensors tensors)\n")
    return tuple(make(tensor) for tensor in tensors)


def atleast_1d(*tensors):
    """A 0-d tensor as shape (1,) (a view); others as they are."""
    return _atleast("atleast_1d", tensors, lambda t: t.reshape(1) if t.array.ndim == 0 else t)


def atleast_2d(*tensors):
    """0-d as (1, 1), (n,) as (1, n) (views); others as they are."""
    def make(t):
        ndim = t.array.ndim
        return t.reshape(1, 1) if ndim == 0 else t.unsqueeze(0) if ndim == 1 else t
    return _atleast("atleast_2d", tensors, make)


def atleast_3d(*tensors):
    """0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1) (views); others as they are."""
    def make(t):
        ndim = t.array.ndim
        if ndim == 0:
            return t.reshape(1, 1, 1)
        if ndim == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        return t.unsqueeze(-1) if ndim == 2 else t
    return _atleast("atleast_3d", tensors, make)


def _split_at(input, sizes, dim, with_sizes=False):
    offsets, total = [], 0
    for size in sizes[:-1]:
        total += size
        offsets.append(total)
    lead = (slice(None),) * dim
    starts, stops = [0] + offsets, offsets + [total + sizes[-1]]
    keys = [lead + (slice(start, stop),) for start, stop in zip(starts, stops)]
    maker = "SplitWithSizes" if with_sizes else "Split"
    return _as_views(Split.apply(input, offsets=offsets, dim=dim, with_sizes=with_sizes), input, keys, maker)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    if tensor.array.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = _check_dim(dim, tensor.array.ndim)
    length = tensor.array.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(size) for size in split_size_or_sections]
        if sum(sizes) != length or any(size < 0 for size in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} (input "
                               f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
        return _split_at(tensor, sizes, dim, with_sizes=True)
    split_size = int(split_size_or_sections)
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
    if split_size == 0:
        if length:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                               f"size of {length}")
        return _split_at(tensor, [0], dim)
    sizes = [split_size] * (length // split_size)
    if length % split_size:
        sizes.append(length % split_size)          # the last piece is smaller
    return _split_at(tensor, sizes or [0], dim)


def chunk(input, chunks, dim=0):
    """``chunks`` near-equal pieces of ``ceil(size / chunks)`` (fewer when they run out, as torch)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.array.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    dim = _check_dim(dim, input.array.ndim)
    length = input.array.shape[dim]
    if length == 0:      # torch's split_with_sizes of zeros (SplitWithSizesBackward0)
        return _split_at(input, [0] * chunks, dim, with_sizes=True)
    return split(input, -(-length // chunks), dim)


def unbind(input, dim=0):
    """The slices along ``dim``, each without that dim: (T, B, H) -> T tensors of (B, H)."""
    dim = _check_dim(dim, input.array.ndim)       # a 0-d tensor's range is [-1, 0]: then 0
    if input.array.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    lead = (slice(None),) * dim
    keys = [lead + (index,) for index in range(input.array.shape[dim])]
    return _as_views(Unbind.apply(input, dim=dim), input, keys, "Unbind")


def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Views along ``dim`` (each a slice, as torch's: ``SliceBackward0``): ``n`` sections of
    near-equal size (the first ``size % n`` one longer), or the pieces between ``indices``
    (clamped to the size, as a slice; a Tensor of them works too)."""
    indices_or_sections = _spelled(indices_or_sections, sections, indices, tensor_indices_or_sections)
    _check_split_argument(indices_or_sections, method=False)
    if input.array.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    dim = _check_dim(dim, input.array.ndim)
    if isinstance(indices_or_sections, Tensor):
        split_points = indices_or_sections.array
        if split_points.dtype != "int64":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, "
                               f"but got {dtypes.scalar_type_name(split_points.dtype)}")
        if split_points.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                               f"or one-dimensional tensor, but got a tensor with {split_points.ndim} dims")
        indices_or_sections = int(split_points) if split_points.ndim == 0 else split_points.tolist()
    size = input.array.shape[dim]
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [0] + [int(index) for index in indices_or_sections] + [None]
        return tuple(_slice(input, dim, start, stop) for start, stop in zip(bounds, bounds[1:]))
    sections = int(indices_or_sections)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    base, longer = divmod(size, sections)
    pieces, start = [], 0
    for number in range(sections):
        length = base + (number < longer)
        pieces.append(input.narrow(dim, start, length))
        start += length
    return tuple(pieces)


def _spelled(indices_or_sections, *keywords):
    """``tensor_split``'s argument under any of torch's keyword spellings (``sections=``, ``indices=``,
    ``tensor_indices_or_sections=``), the last one given winning."""
    for given in keywords:
        if given is not None:
            indices_or_sections = given
    return indices_or_sections


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_split_argument(value, method):
    """torch's parser for ``tensor_split``: an int, a tuple (or list) of ints, or a Tensor."""
    if isinstance(value, Tensor) or _is_int(value) or \
            isinstance(value, (list, tuple)) and all(_is_int(item) for item in value):
        return
    lead, got = ("", "") if method else ("Tensor input, ", "Tensor, ")
    raise TypeError(f"tensor_split() received an invalid combination of arguments - got ({got}"
                    f"{describe_type(value)}), but expected one of:\n * ({lead}tuple of ints indices, int dim = 0)\n"
                    f" * ({lead}Tensor tensor_indices_or_sections, int dim = 0)\n * ({lead}int sections, int dim = 0)\n")


def tensor_split_method(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                        tensor_indices_or_sections=None):
    """``x.tensor_split(...)``: ``tensor_split``, with the method's wording of a wrong argument."""
    indices_or_sections = _spelled(indices_or_sections, sections, indices, tensor_indices_or_sections)
    _check_split_argument(indices_or_sections, method=True)
    return tensor_split(input, indices_or_sections, dim)


def _slice(input, dim, start, stop):
    """``input[..., start:stop]`` along ``dim``, Python's (and torch's slice's) clamping included."""
    size = input.array.shape[dim]
    start, stop, _ = slice(start, stop).indices(size)
    return input.narrow(dim, start, max(stop - start, 0))


def _split_along(what, input, indices_or_sections, dim, at_least):
    """``hsplit``/``vsplit``/``dsplit``: ``tensor_split`` along ``dim``, where sections must divide the size."""
    ndim = input.array.ndim
    if ndim < at_least:
        raise RuntimeError(f"torch.{what} requires a tensor with at least {at_least} dimension, but got a "
                           f"tensor with {ndim} dimensions!")
    if not (_is_int(indices_or_sections) or isinstance(indices_or_sections, (list, tuple))):
        argument = type(indices_or_sections).__name__
        raise TypeError(f"{what}() received an invalid combination of arguments - got (Tensor, {argument}), but "
                        f"expected one of:\n * (Tensor input, int sections)\n      didn't match because some of "
                        f"the arguments have invalid types: (Tensor, !{argument}!)\n * (Tensor input, tuple of "
                        f"ints indices)\n      didn't match because some of the arguments have invalid types: "
                        f"(Tensor, !{argument}!)\n")
    if _is_int(indices_or_sections):
        size = input.array.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{what} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 of a 1-d tensor): columns."""
    return _split_along("hsplit", input, indices_or_sections, 1 if input.array.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0: rows."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2: depth."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)
