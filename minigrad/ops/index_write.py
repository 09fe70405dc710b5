"""Writes of a source tensor into chosen places: index_add, index_copy, index_put, masked_scatter, put.

Each op is out of place here (a copy of ``input`` with the source written in), and
its in-place form (``index_add_``) is that op followed by ``inplace.assign``, as
``index_fill_`` and ``scatter_`` are: torch's checks raise before anything is
written, the written tensor's views see the write, and its history becomes the op's
node.  The backward formulas are torch's (tools/autograd/derivatives.yaml), written
with indexing that also runs on Tensors, so create_graph=True differentiates them:

    index_add:      self: grad                      source: alpha * grad.index_select(dim, index)
    index_copy:     self: grad.index_fill(dim, index, 0)   source: grad.index_select(dim, index)
    index_put:      self: accumulate ? grad : grad.index_put(indices, 0)   values: grad[indices]
    masked_scatter: self: grad.masked_fill(mask, 0)   source: grad[mask], zero-padded to source
    put:            self: accumulate ? grad : grad.put(index, 0)   source: grad.take(index)
"""
from __future__ import annotations

import warnings

import numpy

from ..core import device as backend
from ..core.device import array_module
from ..core.dtypes import scalar_type_name
from ..core.function import Function
from ..core.layout import dense_strides, element_strides, preserved_copy, relayout, row_major
from ..core.tensor import Tensor, _check_dim
from .broadcast import broadcast_shapes, sum_to
from .fused import fmadd
from .index_key import KeyReading, check_bounds, check_indices, in_range, result_shape
from .indexing import _check_along_dim, _saving, index_select
from .inplace import assign, assign_written_memory, check_in_place, has_internal_overlap
from .join import tensor_sequence
from .tensor_namespace import zeros
from .vector_loop import scalar_tail

__all__ = ["index_add", "index_copy", "index_put", "index_put_", "masked_scatter", "put"]


def _add_at(target, key, values):
    """``target[key] += values``, a repeated index adding each of its values in turn, in the
    index's order, as torch's CPU kernels do (so float sums round as torch's)."""
    if array_module(target) is numpy:
        numpy.add.at(target, key, values)
    else:
        backend.scatter_add(target, key, values)


def _in_place(op, target, source, *args, **kwargs):
    """``target.op_(*args)``: torch's checks first (autograd's; no element of ``target`` stored
    twice; no ``source`` sharing part of its memory), then ``op`` computes out of place (its own
    checks raise before anything is written) and ``target`` takes the result."""
    check_in_place(target, source)
    return assign(target, op(target, *args, **kwargs))


def _along(dim, index):
    """The key that picks the slices ``index`` of dim ``dim``."""
    return (slice(None),) * dim + (index,)


def _type_name(tensor):
    return scalar_type_name(tensor.array.dtype)


def _require_tensor(value, what, name, position):
    """torch's argument parser's refusal of a number for a tensor argument (``position``: the
    method's count, from 0 after ``self``; torch's function form counts ``self`` too)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{what}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def _index_select(grad, dim, index):
    """torch's ``grad.index_select(dim, index)`` (its errors too: an index its kernel never read,
    into an empty input), on arrays or, under create_graph=True, on Tensors."""
    if isinstance(grad, Tensor):
        return index_select(grad, dim, index if isinstance(index, Tensor) else Tensor._wrap(index))
    return index_select(Tensor._wrap(grad), dim, Tensor._wrap(index)).array


# ---- index_add, index_copy ---------------------------------------------------------------
def _save_source_as_torch(node, source):
    """torch's index_add, index_copy and put save their source for its gradient (``expand_as(source)``,
    ``reshape_as(source)``: its shape is all they read), so an in-place write to the source (or to an
    alias of it, ``source.detach()``) after the op stops backward there, as torch's version check does
    (fuzz seed 30200000's class, index-write template: an empty source written through its detach)."""
    if node.needs_input_grad[1]:
        node.save_for_backward(source)


class IndexAdd(Function):
    """``out = x.clone(); out.select(dim, index[k]) += alpha * source.select(dim, k)``, rounded as
    torch's kernels: a repeated index adds in the index's order, ``alpha * source + out`` is one
    fused multiply-add where more than one dim meets an alpha other than 1, half precision sums
    in float32 where torch runs scatter_add_ (``via_scatter``).  A 0-d ``x`` or ``source`` is
    taken as 1-d of size 1."""

    differentiable_backward = True

    def forward(self, x, source, index, dim, alpha, via_scatter):
        self.index, self.dim, self.alpha, self.source_shape = index, dim, alpha, source.shape
        _save_source_as_torch(self, source)
        out = x.copy()
        written = out.reshape(1) if out.ndim == 0 else out
        if index.size and out.size:
            source = source.reshape(written.shape[:dim] + (index.size,) + written.shape[dim + 1:])
            if via_scatter and written.dtype == numpy.float16:
                # torch's scatter_add_ sums half precision into a float32 buffer, rounded once
                summed = written.astype(numpy.float32)
                _add_at(summed, _along(dim, index), source.astype(numpy.float32))
                written[...] = summed
                return out
            if alpha != 1 and written.ndim > 1 and written.dtype.kind == "f":
                _fused_add_at(written, dim, index, source, alpha)
                return out
            if alpha != 1:
                source = source * numpy.asarray(alpha, source.dtype)
            _add_at(written, _along(dim, index), source)
        return out

    def backward(self, grad_output):
        grad_source = None
        if self.needs_input_grad[1]:
            grad_source = _index_select(grad_output, self.dim, self.index).reshape(self.source_shape)
            if self.alpha != 1:
                grad_source = grad_source * self.alpha
        return grad_output, grad_source


def _fused_add_at(target, dim, index, source, alpha):
    """torch's loop ``target.select(dim, index[k]).add_(source.select(dim, k), alpha)`` (its kernel
    for more than one dim, where alpha is not 1): each ``alpha * source + target`` a fused
    multiply-add in the opmath type (float32 for float16), a repeated index in its turn, so a
    round at a time writes each index's k-th occurrence."""
    xp = array_module(target)
    order = xp.argsort(index, kind="stable")
    ordered = index[order]
    starts = xp.flatnonzero(xp.concatenate((xp.ones(1, bool), ordered[1:] != ordered[:-1])))
    first = xp.repeat(starts, xp.diff(xp.concatenate((starts, xp.asarray([index.size])))))
    occurrence = xp.empty_like(index)
    occurrence[order] = xp.arange(index.size) - first
    opmath = numpy.float64 if target.dtype == numpy.float64 else numpy.float32
    tail = _half_scalar_tail(target, source, dim)
    if target.dtype == numpy.float16:
        alpha = float(numpy.float16(alpha))     # (ufunc add's alpha is the tensor's dtype)
    for turn in range(int(occurrence.max()) + 1):
        picked = occurrence == turn
        key = _along(dim, index[picked])
        added = _along(dim, xp.flatnonzero(picked))
        result = fmadd(source[added].astype(opmath), opmath(alpha), target[key].astype(opmath), opmath)
        if tail is not None:   # half precision's scalar tail: the product rounded, then the sum
            unfused = target[key] + source[added] * numpy.float16(alpha)
            result = numpy.where(numpy.expand_dims(tail, dim), unfused, result)
        target[key] = result


def _half_scalar_tail(target, source, dim):
    """Where, in each slice ``target.select(dim, i)``, torch's float16 add runs its scalar loop (``self +
    alpha * other`` in ``c10::Half``: the product rounded to float16, so ``2 * 60000`` is inf, and
    ``-inf + inf`` NaN, fuzz seed 30587128) rather than its vectors (a fused multiply-add in float32,
    32-byte vectors on AVX-512 too, seen on torch 2.13); None for other dtypes or no tail."""
    if target.dtype != numpy.float16 or type(target) is not numpy.ndarray:
        return None
    written, added = (array[(slice(None),) * dim + (0,)] for array in (target, source))
    return scalar_tail(written, operand_strides=[element_strides(written), element_strides(written),
                                                 element_strides(added)], width=32)


def _check_index_add(input, dim, index, source, alpha):
    """torch's ``index_add`` meta function and kernel checks, in their order: ``(dim, index,
    via_scatter)``, ``via_scatter`` where torch's kernel runs ``scatter_add_``."""
    what = "index_add_"
    shape, source_shape = input.array.shape, source.array.shape
    dim = _check_dim(dim, len(shape))
    if index.array.ndim > 1:
        raise IndexError(f"{what}(): Index is supposed to be a vector, but got dim: {index.array.ndim} with "
                         f"type: {_type_name(index)} and size: {list(index.array.shape)}")
    if index.array.dtype not in (numpy.int64, numpy.int32):
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index but got: {_type_name(index)}")
    if input.array.dtype != source.array.dtype:
        raise RuntimeError(f"{what}(): self ({_type_name(input)}) and source ({_type_name(source)}) must "
                           "have the same scalar type")
    if not (dim == 0 or dim < len(source_shape)):
        raise RuntimeError(f"{what}(): Indexing dim {dim} is out of bounds of the source tensor with dim "
                           f"{len(source_shape)}")
    count = index.array.size
    if count != (source_shape[dim] if source_shape else 1):
        if not source_shape:     # torch's message reads source.size(dim), which fails for a 0-d source
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"{what}(): Number of indices ({count}) should be equal to source.size(dim): "
                           f"({source_shape[dim]}), for dim: {dim}")
    if shape and source_shape:
        kept, source_kept = shape[:dim] + shape[dim + 1:], source_shape[:dim] + source_shape[dim + 1:]
    else:
        kept, source_kept = shape, source_shape
    if kept != source_kept:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(shape)} source.shape = {list(source_shape)}")
    size = shape[dim] if shape else 1
    flat = index.array.reshape(-1)
    if len(shape) > 1 and not (count and input.array.size):
        return dim, flat, False  # torch's kernel returns before it reads an index (nothing to write)
    via_scatter = len(shape) > 1 and dim in (0, len(shape) - 1) and alpha == 1 and flat.dtype == numpy.int64
    if via_scatter:
        # torch's kernel runs scatter_add_ here, with the index expanded to source's shape: its
        # check, in its order, and its words
        along = [1] * len(shape)
        along[dim] = count
        expanded = array_module(flat).broadcast_to(flat.reshape(along), source_shape)
        operands = (row_major(shape), element_strides(source.array), element_strides(expanded))
        _check_along_dim(expanded, size, dim, operands)
    elif ((flat < 0) | (flat >= size)).any():
        raise IndexError("index out of range in self")     # its loop over the index, as index_select's
    return dim, flat, via_scatter


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source``'s slices added into the slices ``index`` of dim
    ``dim`` (a repeated index adds each of its slices).  ``index``: a 1-D (or 0-d) int64 or int32
    tensor of ``source.size(dim)`` indices in ``[0, input.size(dim))``."""
    _require_tensor(source, "index_add", "source", 3)
    dim, flat, via_scatter = _check_index_add(input, dim, index, source, alpha)
    return _saving(IndexAdd.apply(input, source, index=flat, dim=dim, alpha=alpha, via_scatter=via_scatter), (index,))


def index_add_(input, dim, index, source, *, alpha=1):
    _require_tensor(source, "index_add_", "source", 3)
    return _in_place(index_add, input, source, dim, index, source, alpha=alpha)


class IndexCopy(Function):
    """``out = x.clone(); out.select(dim, index[k]) = source.select(dim, k)``.  A 0-d ``x`` or
    ``source`` is taken as 1-d of size 1; overwritten slices get no gradient from ``x``."""

    differentiable_backward = True

    def forward(self, x, source, index, dim):
        self.index, self.dim, self.source_shape = index, dim, source.shape
        _save_source_as_torch(self, source)
        out = x.copy()
        written = out.reshape(1) if out.ndim == 0 else out
        key = _along(dim, index)
        if not out.size:     # (its index is unchecked: nothing is written)
            self.kept = array_module(x).ones(x.shape, bool)
            return out
        if self.needs_input_grad[0]:
            kept = array_module(x).ones(written.shape, bool)
            kept[key] = False
            self.kept = kept.reshape(x.shape)
        if index.size:
            written[key] = source.reshape(written.shape[:dim] + (index.size,) + written.shape[dim + 1:])
        return out

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad_input = grad_source = None
        if self.needs_input_grad[0]:
            grad_input = xp.where(self.kept, grad_output, 0)
        if self.needs_input_grad[1]:
            grad_source = _index_select(grad_output, self.dim, self.index).reshape(self.source_shape)
        return grad_input, grad_source


def _check_index_copy(input, dim, index, source):
    """torch's ``index_copy`` meta function and kernel checks, in their order."""
    what = "index_copy_"
    shape, source_shape = input.array.shape, source.array.shape
    dim = _check_dim(dim, len(shape))
    if index.array.ndim >= 2:
        raise IndexError(f"{what}(): Index should have dimension 1 or 0 (got {index.array.ndim})")
    count = index.array.size
    if not source_shape and count != 1:
        raise IndexError(f"{what}(): When source is scalar, index should have one element (got {count})")
    if len(source_shape) != len(shape) and source_shape and shape:
        raise IndexError(f"{what}(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({len(source_shape)}), destination dimensionality "
                         f"({len(shape)})")
    if index.array.dtype != numpy.int64:
        raise RuntimeError(f"{what}(): Expected a long tensor for index, but got {_type_name(index)}")
    if input.array.dtype != source.array.dtype:
        raise RuntimeError(f"{what}(): self and source expected to have the same dtype, but got (self) "
                           f"{_type_name(input)} and (source) {_type_name(source)}")
    kept = shape[:dim] + shape[dim + 1:]
    source_kept = source_shape[:dim] + source_shape[dim + 1:]
    if kept != source_kept:
        raise RuntimeError(f"{what}(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {' '.join(map(str, kept))} at dimension {dim} and source slice shape: "
                           f"{' '.join(map(str, source_kept))} at dimension 0.")
    if source_shape and count != source_shape[dim]:
        raise IndexError(f"{what}(): Number of indices ({count}) should be equal to source.size(dim) "
                         f"({source_shape[dim]})")
    size = shape[dim] if shape else 1
    flat = index.array.reshape(-1)
    if not input.array.size:
        return dim, flat         # nothing to write: torch's kernel reads no index
    outside = (flat < 0) | (flat >= size)
    if outside.any():
        raise IndexError(f"{what}(): index {int(flat[int(outside.argmax())])} is out of bounds for dimension "
                         f"{dim} with size {size}")
    return dim, flat


def index_copy(input, dim, index, source):
    """A copy of ``input`` with ``source``'s slices written into the slices ``index`` of dim
    ``dim``.  ``index``: a 1-D (or 0-d) int64 tensor of ``source.size(dim)`` indices in
    ``[0, input.size(dim))`` (a repeated one writes one of its slices: which is not defined)."""
    _require_tensor(source, "index_copy", "source", 3)
    dim, flat = _check_index_copy(input, dim, index, source)
    return _saving(IndexCopy.apply(input, source, index=flat, dim=dim), (index,))


def index_copy_(input, dim, index, source):
    _require_tensor(source, "index_copy_", "source", 3)
    return _in_place(index_copy, input, source, dim, index, source)


# ---- index_put -----------------------------------------------------------------------------
class IndexPut(Function):
    """``out = x.clone(); out[indices] = values`` (``+=`` when ``accumulate``: a repeated index
    adds each of its values), ``values`` broadcast to the indexed shape."""

    differentiable_backward = True

    def forward(self, x, values, key, accumulate):
        self.key, self.accumulate, self.values_shape = key, accumulate, values.shape
        out = preserved_copy(x)      # (torch's index_put: self.clone(preserve_format).index_put_)
        if accumulate:
            _add_at(out, key, values)
            return out
        if self.needs_input_grad[0]:
            kept = array_module(x).ones(x.shape, bool)
            kept[key] = False
            self.kept = kept
        out[key] = values
        return out

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad_input = grad_values = None
        if self.needs_input_grad[0]:
            grad_input = grad_output if self.accumulate else xp.where(self.kept, grad_output, 0)
        if self.needs_input_grad[1]:
            grad_values = sum_to(grad_output[self.key], self.values_shape)
        return grad_input, grad_values


def _check_index_types(indices, what):
    """torch's argument parser: ``indices`` a tuple (or list) of Tensors, none None."""
    tensor_sequence(indices, what, "indices", 1)


def _read_indices(input, indices, what):
    """torch's reading of ``index_put``'s index tensors (none None, each an int or bool tensor),
    with its checks in its order: ``(key, reading, columns, shape)``."""
    _check_index_types(indices, what)
    shape = input.array.shape
    arrays, found, dim = [], [], 0
    for position, index in enumerate(indices):
        array = index.array
        if array.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if array.dtype == numpy.uint8:        # torch reads a byte tensor as a mask
            array = array.astype(bool)
        arrays.append(array)
        found.append((dim, array.reshape(1) if array.ndim == 0 else array, position))
        dim += array.ndim if array.dtype == bool else 1
    if len(indices) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {len(indices)})")
    reading = KeyReading(list(shape), list(range(len(shape))), found, False)
    columns, index_shape = check_indices(reading)
    return tuple(arrays), reading, columns, index_shape


def _lone_mask_fill(input, key, values, accumulate):
    """torch's ``index_put_`` fills a lone mask's places with a one-element ``values`` as a number
    (``masked_fill_``), where the mask's shape is that of ``input``'s first dims: no dtype check."""
    if accumulate or len(key) != 1 or key[0].dtype != bool or values.array.size != 1:
        return False
    mask = key[0]
    return 0 < mask.ndim <= input.array.ndim and mask.shape == input.array.shape[:mask.ndim]


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (``indices``: a tuple of
    int or bool tensors, as an advanced key); ``accumulate=True`` adds them, a repeated index
    adding each of its values.  ``values`` broadcasts to the indexed shape."""
    _require_tensor(values, "index_put", "values", 2)
    key, values = _checked_index_put(input, indices, values, accumulate, "index_put")
    return _saving(IndexPut.apply(input, values, key=key, accumulate=bool(accumulate)), tuple(indices))


def _checked_index_put(input, indices, values, accumulate, what):
    """torch's checks of ``index_put``'s arguments, in its order: the NumPy key and the values to write."""
    key, reading, columns, index_shape = _read_indices(input, indices, what)
    fill = _lone_mask_fill(input, key, values, accumulate)
    written_shape = result_shape(reading, columns, index_shape) if columns else input.array.shape
    values_shape = values.array.shape
    if not fill and not _expandable(values_shape, written_shape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values_shape)} cannot be broadcast to "
                           f"indexing result of shape {list(written_shape)}")
    if not fill and values.array.dtype != input.array.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{_type_name(input)} for the destination and {_type_name(values)} for the source.")
    if columns and check_bounds(reading, columns, index_shape, array_module(input.array)):
        # nothing is written, so torch checks no index: clip them for NumPy
        clipped = in_range(reading, [array for _, array, _ in reading.indices], array_module(input.array))
        key = tuple(array.reshape(()) if original.ndim == 0 else array for array, original in zip(clipped, key))
    if fill and values.array.dtype != input.array.dtype:
        values = values.to(input.dtype)       # the number masked_fill_ writes
    return key, values


def index_put_(input, indices, values, accumulate=False):
    _require_tensor(values, "index_put_", "values", 2)
    _check_index_types(indices, "index_put_")     # (the argument parser's errors come before autograd's)
    if not has_internal_overlap(input.array):
        return _in_place(index_put, input, values, indices, values, accumulate)
    # an expanded tensor: torch warns, and its kernel writes (or adds into) each place of memory as
    # often as the index reaches one of the positions that share it
    warnings.warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before "
                  "performing this operation. This also applies to advanced indexing e.g. tensor[indices] = "
                  "tensor", UserWarning, stacklevel=2)
    check_in_place(input, values, overlap_ok=True)
    result = index_put(input, indices, values, accumulate)
    key, values = _checked_index_put(input, indices, values, accumulate, "index_put_")
    if accumulate:
        _add_at(input.array, key, values.array)
    else:
        input.array[key] = values.array
    return assign_written_memory(input, result)


def _expandable(shape, target):
    """torch's ``is_expandable_to``: each trailing dim equal, or 1."""
    return len(shape) <= len(target) and all(
        size == 1 or size == wanted for size, wanted in zip(reversed(shape), reversed(target)))


# ---- masked_scatter ------------------------------------------------------------------------
class MaskedScatter(Function):
    """``out = x.clone(); out[mask] = source.flatten()[:mask.sum()]``: the masked places take
    ``source``'s elements in row-major order (``x`` and ``mask`` of one shape here)."""

    differentiable_backward = True

    def forward(self, x, source, mask):
        self.mask, self.source_shape = mask, source.shape
        out = x.copy()
        out[mask] = source.reshape(-1)[:int(mask.sum())]
        return out

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad_input = grad_source = None
        if self.needs_input_grad[0]:
            grad_input = xp.where(self.mask, 0, grad_output)
        if self.needs_input_grad[1]:
            # torch's masked_scatter_backward: the masked gradient, zero-padded to source's size
            selected = grad_output[self.mask]
            size = int(numpy.prod(self.source_shape, dtype=numpy.int64))
            padding = zeros(selected, (size - selected.shape[0],))
            grad_source = xp.concatenate((selected, padding), 0).reshape(self.source_shape)
        return grad_input, grad_source


def _check_masked_scatter(input, mask, source):
    """``masked_scatter_``'s checks, in torch's order (after the out-of-place form's broadcast)."""
    if input.array.dtype != source.array.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_type_name(input)} and {_type_name(source)}")
    if mask.array.dtype == numpy.uint8:     # torch warns, then refuses it
        warnings.warn("masked_scatter_ received a mask with dtype torch.uint8, this behavior is now deprecated,"
                      "please use a mask with dtype torch.bool instead.", UserWarning, stacklevel=3)
    if mask.array.dtype != bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {_type_name(mask)}")


def _scatter_masked(input, mask, source):
    """``masked_scatter`` of an ``input`` and a bool ``mask`` array of one shape."""
    if int(mask.sum()) > source.array.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input, source, mask=mask)


def masked_scatter(input, mask, source):
    """A copy of ``input`` (broadcast with ``mask``) whose places where the bool ``mask`` is True
    take ``source``'s elements, one after another in row-major order."""
    _require_tensor(source, "masked_scatter", "source", 2)
    shape = broadcast_shapes(mask.array.shape, input.array.shape)     # torch names the mask "a"
    _check_masked_scatter(input, mask, source)
    expanded = input if input.array.shape == shape else input.expand(shape)
    mask_array = array_module(mask.array).broadcast_to(mask.array, shape)
    return _saving(_scatter_masked(expanded, mask_array, source), (mask,))


def _masked_scatter_in_place(input, mask, source):
    _check_masked_scatter(input, mask, source)
    mask_array = mask.array
    if mask_array.shape != input.array.shape:
        # torch expands the mask to input's shape (its expand error where it cannot)
        mask_array = (mask.reshape(1) if mask_array.ndim == 0 else mask).expand(
            input.array.shape or (1,)).array.reshape(input.array.shape)
    return _saving(_scatter_masked(input, mask_array, source), (mask,))


def masked_scatter_(input, mask, source):
    _require_tensor(source, "masked_scatter_", "source", 2)
    return _in_place(_masked_scatter_in_place, input, source, mask, source)


# ---- put -------------------------------------------------------------------------------------
class Put(Function):
    """``out = x.clone(); out.flatten()[index] = source.flatten()`` (``+=`` when ``accumulate``),
    ``index`` counting ``x``'s elements in row-major order."""

    differentiable_backward = True

    def forward(self, x, source, index, accumulate):
        self.index, self.accumulate, self.source_shape = index, accumulate, source.shape
        _save_source_as_torch(self, source)
        out = x.copy()          # row-major: its flat view counts as torch's index does
        flat = out.reshape(-1)
        if accumulate:
            _add_at(flat, index, source.reshape(-1))
        else:
            if self.needs_input_grad[0]:
                kept = array_module(x).ones(flat.shape, bool)
                kept[index] = False
                self.kept = kept.reshape(x.shape)
            flat[index] = source.reshape(-1)
        return relayout(out, dense_strides(x))    # (torch's put: self.clone(preserve_format).put_)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad_input = grad_source = None
        if self.needs_input_grad[0]:
            grad_input = grad_output if self.accumulate else xp.where(self.kept, grad_output, 0)
        if self.needs_input_grad[1]:
            grad_source = grad_output.reshape(-1)[self.index].reshape(self.source_shape)
        return grad_input, grad_source


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source``'s elements written at the flat (row-major) positions
    ``index`` (int64, negative counting from the end); ``accumulate=True`` adds them."""
    _require_tensor(source, "put", "source", 2)
    what = "put_"
    if index.array.dtype != numpy.int64:
        raise RuntimeError(f"{what}(): Expected a long tensor for index, but got {_type_name(index)}")
    if input.array.dtype != source.array.dtype:
        raise RuntimeError(f"{what}(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_type_name(input)} and source.dtype = {_type_name(source)}")
    count, size = index.array.size, input.array.size
    if source.array.size != count:
        raise IndexError(f"{what}(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.array.size}, index.numel() = {count}")
    if size == 0 and count:
        raise IndexError(f"{what}(): Tried to put elements into an empty tensor")
    flat = index.array.reshape(-1)
    outside = (flat < -size) | (flat >= size)
    if outside.any():
        raise IndexError(f"out of range: tried to access index {int(flat[int(outside.argmax())])} on a tensor "
                         f"of {size} elements.")
    return _saving(Put.apply(input, source, index=flat, accumulate=bool(accumulate)), (index,))


def put_(input, index, source, accumulate=False):
    _require_tensor(source, "put_", "source", 2)
    return _in_place(put, input, source, index, source, accumulate)
