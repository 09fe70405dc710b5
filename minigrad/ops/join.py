"""Joining and splitting: ``cat stack split chunk unbind``.

``cat`` and ``stack`` are one node with many inputs whose backward hands each
input its slice of the gradient; ``split``, ``chunk`` and ``unbind`` are one
node with many outputs, each a view of the input, whose backward puts the
outputs' gradients back together (the engine gives zeros to unused outputs).
"""
from __future__ import annotations

from ..core import dtypes
from ..core.function import Function
from ..core.device import array_module
from ..core.tensor import Tensor, _check_dim
from .promotion import promoted_to
from .views import register_view

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind"]


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


def stack(tensors, dim=0, *, out=None):
    """Join equal-shaped tensors along a new dim: three (2, 3) -> (3, 2, 3) for dim=0."""
    tensors = tensor_sequence(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
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
    tensors = tensor_sequence(tensors, "vstack")
    return cat([t.reshape(1, -1) if t.array.ndim < 2 else t for t in tensors], 0)


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
