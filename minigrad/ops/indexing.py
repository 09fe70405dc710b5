"""Indexing: ``x[key]``, ``x[key] = value``, gather/scatter, index_select, masked_fill, where, tril.

A key is read as torch reads it.  Ints, slices, ``None`` and ``...`` are basic
indexing: the result is a view, and backward writes the gradient into zeros of
the input's shape.  Integer tensors/lists/arrays and boolean masks are advanced
indexing: the result is a copy, and backward adds the gradient back with
``backend.scatter_add`` so that a repeated index receives the sum of its
gradients.  torch applies the ints of a mixed key first (``x[0, :, [1, 2]]``
selects row 0, then indexes), where NumPy would broadcast them with the index
arrays; such keys are run in those two steps.  Before NumPy runs a key,
``index_key`` reads it as torch does, for torch's errors in torch's order.
"""
from __future__ import annotations

import numbers
import re
import warnings

import numpy

from ..core import dtypes

from ..core import device as backend
from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..core.device import array_module, branchless_where
from ..core.layout import (basic_index_strides, dense_strides, element_strides, elementwise_result,
                           index_strides, is_row_major, iterator_rows, preserved_copy, relayout, row_major,
                           unsqueezed)
from ..core.tensor import Tensor, _check_dim
from ..core.type_errors import describe_type
from .arithmetic import _as_tensor
from .placement import _placed
from .broadcast import broadcast_shapes, sum_to
from .conversion import number_as, scalar_as
from .promotion import promoted_to
from .index_key import (check_bounds, check_indices, check_mask, in_range, is_integer_key, read_key,
                        result_shape, without_extra_ellipses)
from .inplace import OVERLAP_MESSAGE, assign, assign_written_memory, check_inplace_allowed, has_internal_overlap, in_place
from .shape import _as_view_of
from .views import (check_windows_apart, count_write, history_asked, history_of, laid_out_as_copy_slices,
                    leave_stale, refused_write, requires_grad_as_torch)

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_fill", "masked_fill",
           "masked_select", "where", "narrow", "select", "tril", "triu", "nonzero", "take", "take_along_dim"]

# ---- the differentiable ops -------------------------------------------------
class Slice(Function):
    """Basic indexing (ints, slices, None, ...): a view of the input."""

    differentiable_backward = True

    def name(self):
        """torch's name: the last step torch takes for the key (an int selects, None unsqueezes,
        a slice slices) or AliasBackward0 when no step is needed (``x[...]``, ``x[:, :]``); torch
        skips a full slice inside a tuple key but not a lone one (``x[:]``) or narrow's."""
        last = "Alias"
        dim = 0
        consumed = sum(1 for item in self.key if item is not None and item is not Ellipsis)
        for item in self.key:
            if item is Ellipsis:
                dim += len(self.input_shape) - consumed
            elif item is None:
                last = "Unsqueeze"
            elif type(item) is slice:
                if self.keep_slices or not _skipped_slice(item, self.input_shape[dim]):
                    last = "Slice"
                dim += 1
            else:
                last = "Select"
                dim += 1
        return f"{last}Backward0"

    def forward(self, x, key, keep_slices=False):
        self.key, self.keep_slices = key, keep_slices
        self.input_shape = x.shape
        return _basic_view(x, key)

    def backward(self, grad_output):
        return _placed(grad_output, self.input_shape, None, self.key, accumulate=False)


def _skipped_slice(item, size):
    """Does torch's indexing skip ``item`` (its ``applySlice`` returns the tensor itself)?  Where it
    starts at 0 as written (None or 0: ``-3:`` of 3 elements is sliced), steps by 1 and stops at
    the end or past it (fuzz seed 5000116: ``x[1, -3:3]`` is SliceBackward0)."""
    return item.start in (None, 0) and item.step in (None, 1) and (item.stop is None or item.stop >= size)


class Index(Function):
    """Advanced indexing, ``x[first][second]`` (``first`` holds the ints of a mixed key, or is None)."""

    differentiable_backward = True

    def forward(self, x, first, second, accumulate):
        self.first, self.second, self.accumulate = first, second, accumulate
        self.input_shape = x.shape
        selected = x if first is None else x[first]
        self.selected_shape = selected.shape
        result = array_module(x).asarray(selected[second])
        arrays = [item for item in second if hasattr(item, "dtype")]
        if all([_row_major_or_empty(array) for array in [x] + arrays]) and not any(
                [type(item) is slice and item.step not in (None, 1) for item in second]):
            # torch's result is row-major then (NumPy may give x[:, index] another order); a step
            # gives a size-1 dim of the view a stride that can order the result otherwise
            return relayout(result, None)
        if not arrays or any([type(item) is bool for item in second]):
            return result
        return relayout(result, index_strides(*_indexed_view(selected, second)))

    def backward(self, grad_output):
        return _placed(grad_output, self.input_shape, self.first, self.second, self.accumulate,
                       self.selected_shape)


def _row_major_or_empty(array):
    return array.flags.c_contiguous if not array.size else is_row_major(array)


_WHOLE = slice(None)


def _basic_view(x, key):
    """``x[key]`` for a basic ``key`` (a tuple), a view with torch's strides."""
    result = x[key]
    if isinstance(result, numpy.generic):   # NumPy gives a scalar for an all-int key: keep a view
        result = x[key + (Ellipsis,)]
    if any([item is None for item in key]):
        if all([item is None or item is Ellipsis or item == _WHOLE for item in key]) and is_row_major(x):
            return x.reshape(result.shape)      # row-major, as torch's (a quicker view than unsqueezed)
        strides = basic_index_strides(x.shape, element_strides(x), key, element_strides(result))
        result = unsqueezed(result, strides)
    return result


def _indexed_view(selected, key):
    """``(view, indexed)`` for ``layout.index_strides``: ``selected`` with the key's slices, Nones and
    ellipsis applied (torch's view before ``at::index``), and the position in it of each index array."""
    basic, spans = [], []
    for item in key:
        if hasattr(item, "dtype"):
            width = _mask_dims(item)
            basic.extend([slice(None)] * width)
            spans.append(width)
        else:
            basic.append(item)
            spans.append(None if item is Ellipsis else 1)
    view = _basic_view(selected, tuple(basic))
    ellipsis_width = view.ndim - sum([width for width in spans if width is not None])
    indexed, dim = [], 0
    for item, width in zip(key, spans):
        if hasattr(item, "dtype"):
            indexed.append((dim, item))
        dim += ellipsis_width if width is None else width
    return view, indexed


class CopySlices(Function):
    """``target[key] = value`` in place: the written region takes its gradient from ``value``.

    torch's node is ``CopySlices`` where it writes into a view of the target the key's slices,
    ints and Nones make, ``IndexPutBackward0`` where its ``index_put_`` writes the target itself
    (``torch_name``)."""

    differentiable_backward = True

    def forward(self, target, value=None, first=None, second=None, fill=None,
                torch_name="torch::autograd::CopySlices", overlapping=False):
        self.first, self.second, self.torch_name, self.overlapping = first, second, torch_name, overlapping
        self.value_shape = None if value is None else value.shape
        self.target_strides = dense_strides(target)
        if self.needs_input_grad[0]:     # the old values were overwritten: no gradient there
            kept = array_module(target).ones(target.shape, bool)
            _region(kept, first)[second] = False
            self.kept = kept
        _region(target, first)[second] = fill if value is None else _without_leading_ones(value)
        return target

    def backward(self, grad_output):
        if self.overlapping:     # torch's CopySlices copies the gradient into memory laid out as the target's
            raise RuntimeError(OVERLAP_MESSAGE)
        grad_target = grad_value = None
        if self.needs_input_grad[0]:
            grad_target = array_module(grad_output).where(self.kept, grad_output, 0)
            if self.torch_name == "torch::autograd::CopySlices":
                grad_target = laid_out_as_copy_slices(grad_target, self.target_strides)
        if self.value_shape is None:
            return grad_target
        if self.needs_input_grad[1]:
            written = _region(grad_output, self.first)[self.second]
            if not isinstance(written, Tensor):
                written = array_module(grad_output).asarray(written)
            grad_value = _sum_to_value(written, self.value_shape)
        return grad_target, grad_value

    def written_view(self, array):
        """The view of ``array`` (the target's values) that torch's ``index_put_`` writes into, where
        torch's node is CopySlices: the key's ints, slices and Nones applied, the dims its index
        tensors index kept whole (so it repeats elements where the target does, whatever is written)."""
        basic = []
        for item in self.second:
            if getattr(item, "ndim", 0):          # an index tensor
                basic.extend([slice(None)] * _mask_dims(item))
            else:                                 # (a 0-d mask adds a dim, as True/False does)
                basic.append(None if hasattr(item, "dtype") or type(item) is bool else item)
        return _region(array, self.first)[tuple(basic)]

    def name(self):
        return self.torch_name


def _at_least_1d(array):
    """torch's gather/scatter kernels take a 0-d tensor as one of shape ``(1,)``
    (``ensure_nonempty_dim``/``ensure_nonempty_size``)."""
    return array.reshape(1) if array.ndim == 0 else array


class Gather(Function):
    """``out[i][j][k] = x[i][index[i][j][k]][k]`` for dim 1; backward adds into those places.
    A 0-d ``x`` or ``index`` is taken as 1-d of size 1; ``out`` has ``index``'s shape."""

    differentiable_backward = True

    def forward(self, x, index, dim):
        self.index_shape = _at_least_1d(index).shape
        self.input_shape = x.shape
        self.save_for_backward(x)   # unread, but torch's GatherBackward0 saves self: a write to it stops backward
        if index.size == 0:         # (unchecked: any dtype, any number of dims)
            self.key = None
            return array_module(x).empty(index.shape, x.dtype)
        self.key = _along_dim_key(_at_least_1d(index), dim)
        return _at_least_1d(x)[self.key].reshape(index.shape)

    def backward(self, grad_output):
        if self.key is None:
            size = int(numpy.prod(self.input_shape))
            return _placed(grad_output.reshape(-1), (size,), None, slice(0, 0), False).reshape(self.input_shape)
        shape = self.input_shape or (1,)
        grad = _placed(grad_output.reshape(self.index_shape), shape, None, self.key, True, shape, wide=True)
        return grad.reshape(self.input_shape)


class Take(Function):
    """``x.flatten()[index]`` (negative indices count from the end), of ``index``'s shape; backward
    adds the gradient into those places (an index may repeat): torch's ``take_backward``."""

    differentiable_backward = True

    def forward(self, x, index):
        self.input_shape = x.shape
        self.key = (index.reshape(-1) % max(x.size, 1),)
        self.index_shape = index.shape
        self.save_for_backward(x)     # unread, but torch's TakeBackward0 saves self
        return x.reshape(-1)[self.key].reshape(index.shape)

    def backward(self, grad_output):
        size = int(numpy.prod(self.input_shape))
        grad = _placed(grad_output.reshape(-1), (size,), None, self.key, True, (size,), wide=True)
        return grad.reshape(self.input_shape)


class Scatter(Function):
    """``out = x.clone(); out[i][index[i][j]] = src[i][j]`` for dim 1 (or ``+=`` when ``add``).
    A 0-d ``x``, ``index`` or ``src`` is taken as 1-d of size 1.  ``src``'s gradient is
    ``grad.gather(dim, index)``, of ``index``'s shape, as torch's (whose engine then sums it to
    ``src``'s shape, or rejects it where ``src`` is larger than ``index``)."""

    differentiable_backward = True

    def name(self):
        if self.add:
            return "ScatterAddBackward0"
        return "ScatterBackward1" if self.has_src is False else "ScatterBackward0"   # value / src overloads

    def forward(self, x, src=None, index=None, dim=None, value=None, add=False):
        self.index_shape = index.shape
        self.has_src = src is not None
        self.add = add
        if index.size == 0:         # (unchecked: any dtype, any number of dims) writes nothing
            self.key = None
            self.kept = array_module(x).ones(x.shape, bool)
            return x.copy()
        self.key = _along_dim_key(_at_least_1d(index), dim)
        out = _at_least_1d(x).copy()
        values = value if src is None else _at_least_1d(src)[
            tuple(slice(0, size) for size in _at_least_1d(index).shape)]
        if add:
            backend.scatter_add(out, self.key, values, wide=True)
        else:
            out[self.key] = values
            self.kept = _kept(out, self.key).reshape(x.shape)    # overwritten entries get nothing from the input
        return out.reshape(x.shape)

    def backward(self, grad_output):
        grad_input = grad_src = None
        if self.needs_input_grad[0]:
            grad_input = grad_output if self.add else array_module(grad_output).where(self.kept, grad_output, 0)
        if not self.has_src:
            return grad_input
        if self.needs_input_grad[1] and self.key is None:
            grad_src = grad_output.reshape(-1)[:0].reshape(self.index_shape)      # empty, as the index
        elif self.needs_input_grad[1]:
            grad_src = _at_least_1d(grad_output)[self.key].reshape(self.index_shape)
        return grad_input, grad_src


class IndexSelect(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, index, dim):
        self.input_shape = x.shape
        if x.ndim == 0:            # a scalar's one element (index_select has checked the index)
            self.key = None
            return x.copy()
        self.key = (slice(None),) * dim + (index,)
        # torch's backward is index_add_, which runs scatter_add_ along the first or last dim of more
        # than one (an int64 index): half precision summed in float32, rounded once (fuzz seed 9882692:
        # 11376 + 15368 - 26736 is 8 there, 16 added in float16)
        self.wide = x.dtype == numpy.float16 and x.ndim > 1 and dim in (0, x.ndim - 1) and index.dtype == numpy.int64
        return x[self.key]

    def backward(self, grad_output):
        if self.key is None:
            return grad_output
        return _placed(grad_output, self.input_shape, None, self.key, True, self.input_shape, wide=self.wide)


class IndexFill(Function):
    differentiable_backward = True

    def forward(self, x, index, dim, value):
        key = (slice(None),) * dim + (index,)
        self.kept = _kept(x, key)             # the filled entries get no gradient
        out = preserved_copy(x)               # (torch's index_fill: self.clone(preserve_format).index_fill_)
        out[key] = value
        return out

    def backward(self, grad_output):
        return array_module(grad_output).where(self.kept, grad_output, 0)


def _kept(x, key):
    """A bool mask of ``x``'s shape, False at ``key``: the entries a write leaves alone."""
    kept = array_module(x).ones(x.shape, bool)
    kept[key] = False
    return kept


class MaskedFill(Function):
    """``where(mask, fill, x)``; a tensor ``value`` (0-d, the fill's source) gets the sum of the
    masked gradient."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "MaskedFillBackward1" if len(self.needs_input_grad) == 2 else "MaskedFillBackward0"

    def forward(self, x, value=None, mask=None, fill=None):
        xp = array_module(x)
        self.mask, self.input_shape = mask, x.shape
        return xp.where(mask, xp.asarray(fill, dtype=x.dtype), x)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad_input = grad_value = None
        if self.needs_input_grad[0]:
            grad_input = sum_to(xp.where(self.mask, 0, grad_output), self.input_shape)
        if len(self.needs_input_grad) == 1:
            return grad_input
        if self.needs_input_grad[1]:
            grad_value = xp.where(self.mask, grad_output, 0).sum()
            grad_value = grad_value if isinstance(grad_value, Tensor) else xp.asarray(grad_value)
        return grad_input, grad_value


class MaskedSelect(Function):
    differentiable_backward = True

    def forward(self, x, mask, shape):
        xp = array_module(x)
        self.mask, self.input_shape = xp.broadcast_to(mask, shape), x.shape
        self.save_for_backward(x)   # unread, but torch's MaskedSelectBackward0 saves self
        return xp.broadcast_to(x, shape)[self.mask]

    def backward(self, grad_output):
        return sum_to(_placed(grad_output, self.mask.shape, None, self.mask, False, self.mask.shape),
                      self.input_shape)


class Where(Function):
    """``condition ? input : other`` elementwise, with broadcasting."""

    differentiable_backward = True

    def forward(self, input, other, condition):
        self.condition = condition
        self.shapes = input.shape, other.shape
        # laid out as torch's, whose first operand is the condition (not one of this op's inputs)
        result = branchless_where(array_module(input), condition, input, other)
        return elementwise_result(result, (condition, input, other))

    def backward(self, grad_output):
        xp = array_module(grad_output)
        input_shape, other_shape = self.shapes
        grad_input = grad_other = None
        if self.needs_input_grad[0]:
            grad_input = sum_to(self._selected(branchless_where(xp, self.condition, grad_output, 0), grad_output), input_shape)
        if self.needs_input_grad[1]:
            grad_other = sum_to(self._selected(branchless_where(xp, self.condition, 0, grad_output), grad_output), other_shape)
        return grad_input, grad_other

    def _selected(self, result, grad_output):
        """torch's backward is ``where(condition, grad, 0)``: laid out by the condition first (fuzz
        seed 4563586: a gradient row-major under a transposed condition, which decides where a
        NaN's gradient passes relu6's backward)."""
        if self._graph_mode:     # (Tensors: their own where lays the result out)
            return result
        return elementwise_result(result, (self.condition, grad_output))


class Tril(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return self._triangle(x)

    def backward(self, grad_output):
        return self._triangle(grad_output)

    def _triangle(self, x):
        xp = array_module(x)
        return (xp.triu if self.upper else xp.tril)(x, self.diagonal)


class Triu(Tril):
    pass


# ---- reading a key as torch does --------------------------------------------------
def _is_basic(items):
    """True when every item is an int, a slice (stepping forward), None or ``...``: a key NumPy
    runs as torch does (a bad step goes through ``read_key``, which raises it in torch's order)."""
    for item in items:
        kind = type(item)
        if kind is slice:
            if item.step is not None and (type(item.step) is not int or item.step < 1):
                return False
        elif kind is not int and item is not None and item is not Ellipsis:
            return False
    return True


def _ellipses(items):
    """How many ``...`` a key holds (NumPy takes one; torch any number, ``without_extra_ellipses``)."""
    return sum(item is Ellipsis for item in items)


def _key_items(key):
    """The key as a tuple of items; a short list holding sequences, slices, None or ... counts as a
    tuple (torch's and old NumPy's rule: ``x[[[0, 1], [2, 2]]]`` is ``x[[0, 1], [2, 2]]``)."""
    if type(key) is list and len(key) < 32:
        for item in key:
            if item is None or item is Ellipsis or isinstance(item, (list, tuple, slice, Tensor)) \
                    or hasattr(item, "__array__"):
                return tuple(key)
    return (key,)


def _converted(items, xp):
    """The key's items with index arrays, NumPy ints and 0-d integer tensors read (``_index_array``)."""
    return tuple(item if type(item) in (int, slice, bool) or item is None or item is Ellipsis
                 else _index_array(item, xp) for item in items)


def _advanced_key(converted, ndim):
    """``(first, second, accumulate)``: indexing ``x[first][second]`` gives torch's ``x[key]``
    for a key (read by ``_converted``) that holds an index array or a bool.

    ``first`` is None unless the key mixes ints with index arrays; ``accumulate``
    says whether ``second`` holds integer arrays (whose indices may repeat).
    """
    has_int = accumulate = has_ellipsis = False
    for item in converted:
        if type(item) is int:
            has_int = True
        elif item is Ellipsis:
            has_ellipsis = True
        elif hasattr(item, "dtype") and item.dtype.kind != "b":
            accumulate = True
    if has_ellipsis and _indexed_dims(converted) == ndim:
        # an ellipsis that stands for no dimension does not separate the index arrays around
        # it in torch (their result dims stay in place), where NumPy would move them first
        converted = [item for item in converted if item is not Ellipsis]
    if not has_int:
        return None, tuple(converted), accumulate
    first, second = [], []
    for item in converted:
        kind = type(item)
        if kind is int:
            first.append(item)
        elif item is None or kind is slice:
            first.append(item)
            second.append(slice(None))
        elif item is Ellipsis:
            first.append(item)
            second.append(item)
        elif kind is bool:
            second.append(item)
        else:   # an index array: the first step keeps the dims it indexes
            first.extend([slice(None)] * (item.ndim if item.dtype.kind == "b" else 1))
            second.append(item)
    return tuple(first), tuple(second), accumulate


def _indexed_dims(items):
    """How many of the input's dimensions a converted key consumes (``...`` and None none)."""
    return sum(item.ndim if hasattr(item, "dtype") and item.dtype.kind == "b"
               else 0 if item is None or item is Ellipsis or type(item) is bool else 1 for item in items)


def _index_array(item, xp):
    """An index item (tensor, list, array, NumPy int) as an int or an int/bool array on ``xp``."""
    if isinstance(item, Tensor):
        array = item.array
    elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
        return int(item)
    elif isinstance(item, (list, tuple)) or hasattr(item, "__array__") \
            or hasattr(item, "__cuda_array_interface__"):
        array = numpy.asarray(item) if isinstance(item, (list, tuple)) else item
        if array.size == 0 and array.dtype.kind == "f":   # [] means an empty index, as torch
            array = array.astype(numpy.int64)
    else:
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got {type(item).__name__})")
    kind = array.dtype.kind
    if array.ndim == 0 and (kind == "b" or array.dtype.char == "B"):
        return bool(array)    # torch reads a 0-d bool (or uint8) tensor as it reads True/False
    if kind == "b" or array.dtype.char == "B":   # torch reads uint8 index tensors as masks
        return xp.asarray(array, dtype=bool)
    if kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if array.ndim == 0:   # torch treats a 0-d integer tensor as an int
        return int(array)
    return xp.asarray(array)


def _region(array, first):
    """``array[first]`` (its ints and slices): a view, also where the ints select one element (a
    NumPy scalar, a copy, which a write through ``x[0, True] = v`` would miss)."""
    if first is None:
        return array
    region = array[first]
    if isinstance(region, numpy.generic) and not any(item is Ellipsis for item in first):
        region = array[tuple(first) + (Ellipsis,)]     # the 0-d view
    return region


def _torch_index_error(error, key, shape):
    """NumPy's IndexError reworded as torch words it."""
    message = str(error)
    too_many = re.match(r"too many indices for array: array is (\d+)-dimensional", message)
    if too_many:
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        if not shape and isinstance(key, numbers.Integral) and not isinstance(key, bool):
            return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                              "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        return IndexError(f"too many indices for tensor of dimension {too_many.group(1)}")
    mask = re.match(r"boolean index did not match indexed array along (?:axis|dimension) (\d+); "
                    r"size of axis is \d+ but size of corresponding boolean axis is (\d+)", message)
    if mask:
        masks = [item for item in key if hasattr(item, "dtype") and item.dtype == bool]
        mask_shape = list(masks[0].shape) if masks else [int(mask.group(2))]
        mask_axis = mask_shape.index(int(mask.group(2))) if int(mask.group(2)) in mask_shape else 0
        return IndexError(f"The shape of the mask {mask_shape} at index {mask_axis} does not match the "
                          f"shape of the indexed tensor {list(shape)} at index {mask.group(1)}")
    if message.startswith("shape mismatch"):
        shapes = ", ".join(f"[{inside.rstrip(',')}]" for inside in re.findall(r"\(([^)]*)\)", message))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with "
                          f"shapes {shapes}")
    return IndexError(message.replace(" for axis ", " for dimension "))


def _sum_to_value(grad, value_shape):
    """The gradient of broadcasting ``value`` into the written region (it may have extra leading 1s)."""
    extra = len(value_shape) - grad.ndim
    if extra > 0:
        grad = grad.reshape((1,) * extra + grad.shape)
    return sum_to(grad, value_shape)


def _saving(result, tensors):
    """``result``, whose node (in a graph) also saves the index, mask or condition ``tensors``
    (those that are Tensors), as torch's does: writing one in place stops backward."""
    if result.grad_fn is not None:
        result.grad_fn.save_constants(*tensors)
    return result


# ---- x[key] and x[key] = value ---------------------------------------------------
def getitem(input, key):
    """``input[key]`` with torch's semantics (see the module docstring).

    NumPy runs an advanced key first: where it accepts one, torch does too.  Where it refuses
    one, torch's reading of the key (``index_key``) raises torch's error, or finds that the
    result is empty (torch then reads, and checks, no index) and runs the key clipped."""
    items = key if type(key) is tuple else _key_items(key)
    if _ellipses(items) > 1:
        items = without_extra_ellipses(input.array.shape, items, _converted(items, array_module(input.array)))
    if _is_basic(items):
        return _basic_index(input, items, type(key) is not tuple, is_integer_key(key))
    array = input.array
    xp = array_module(array)
    try:
        converted = _converted(items, xp)
    except IndexError as error:     # an index's dtype: checked by torch's index kernel, after its autograd
        if str(error).startswith("tensors used as indices"):
            history_asked(input)
        raise
    if not _runs_as_numpy(converted, array):
        reading = read_key(array.shape, items, converted, is_integer_key(key))
        if not reading.indices:   # 0-d integer tensors only: a basic key
            return _basic_index(input, converted, type(key) is not tuple, is_integer_key(key))
        # torch's Python indexing has read the key; its index kernel checks the indices after its
        # autograd asked the input for its history
        history_asked(input)
        columns, shape = check_indices(reading)
        if check_bounds(reading, columns, shape, xp):
            converted = in_range(reading, converted, xp)
    first, second, accumulate = _advanced_key(converted, array.ndim)
    try:
        return _saving(Index.apply(input, first=first, second=second, accumulate=accumulate), items)
    except IndexError as error:   # torch's reading words NumPy's refusal (or finds nothing read)
        reading = read_key(array.shape, items, converted, is_integer_key(key))
        history_asked(input)
        columns, shape = check_indices(reading)
        if not check_bounds(reading, columns, shape, xp):
            raise _torch_index_error(error, second, array.shape) from None
    first, second, accumulate = _advanced_key(in_range(reading, converted, xp), array.ndim)
    return _saving(Index.apply(input, first=first, second=second, accumulate=accumulate), items)


def _runs_as_numpy(converted, array):
    """Can NumPy run a read key on ``array`` first: does it refuse it wherever torch does?  Not
    for a slice that steps backward, an empty index array (NumPy takes any empty one, a mask of
    another shape too) or an empty ``array``; nor for a key with no index array at all."""
    if not array.size:
        return False
    found = False
    for item in converted:
        if type(item) is slice:
            if item.step is not None and (type(item.step) is not int or item.step < 1):
                return False
        elif type(item) is bool:
            found = True
        elif hasattr(item, "dtype"):
            if not item.size:
                return False
            found = True
    return found


def _basic_index(input, items, keep_slices, single_int=False):
    try:
        result = Slice.apply(input, key=items, keep_slices=keep_slices)
    except IndexError as error:
        raise _basic_error(error, items, single_int, input.array.shape) from None
    return _as_view_of(result, input, ("index", items))


def _basic_error(error, items, single_int, shape):
    """torch's error for a basic key NumPy refused (``read_key`` raises it)."""
    try:
        read_key(shape, items, items, single_int)
    except IndexError as torch_error:
        return torch_error
    return _torch_index_error(error, items, shape)


def setitem(input, key, value):
    """``input[key] = value`` in place; differentiable for both ``input`` and ``value``, as torch.

    torch's order: the value first (a number becomes one of ``input``'s dtype, or an overflow
    error), then the key's ints, slices and dims (``read_key``).  A basic key then writes as
    ``copy_`` does (the value's shape, then the in-place checks); an advanced one as
    ``index_put_`` (the in-place checks, then the index tensors, the value's shape and dtype,
    and each index as it is written)."""
    items = key if type(key) is tuple else _key_items(key)
    target = input.array
    xp = array_module(target)
    if not isinstance(value, (Tensor, int, float, complex, numpy.integer)):
        # torch's valueToTensor: a Tensor, a Python bool, int, float or complex (or a subclass, as
        # NumPy's float64), or a NumPy integer; nothing else, checked before the key
        raise TypeError(f"can't assign a {describe_type(value)} to a {input.type()}")
    if not isinstance(value, Tensor):
        if isinstance(value, numpy.integer):
            value = int(value)        # (read as a C long long, as a Python int)
        if type(value) is int and not -0x8000000000000000 <= value <= 0x7FFFFFFFFFFFFFFF:
            # torch's setitem reads a Python int as a C long long, whatever the tensor's dtype
            raise ValueError("Overflow when unpacking long long")
        value = number_as(value, target.dtype)
    if _ellipses(items) > 1:
        items = without_extra_ellipses(target.shape, items, _converted(items, xp))
    if _is_basic(items):
        _set_basic(input, items, value, key)
        return
    converted = _converted(items, xp)
    if _runs_as_numpy(converted, target) and not (isinstance(value, Tensor) and not value.array.size):
        _set_advanced(input, items, converted, value, key)
        return
    reading = read_key(target.shape, items, converted, is_integer_key(key))
    if reading.indices:
        _set_advanced(input, items, converted, value, key, reading)
    else:      # 0-d integer tensors only: a basic key
        _set_basic(input, converted, value, key)


def _set_basic(input, items, value, key):
    """``input[items] = value`` for a basic key: torch's ``copy_to`` into that view of ``input``."""
    target = input.array
    try:
        region = target[items]
    except IndexError as error:
        raise _basic_error(error, items, is_integer_key(key), target.shape) from None
    # torch's copy_to: copy_ into a region of the value's shape, fill_ with a 0-d value on the CPU,
    # else copy_ of the value expanded
    by_copy = not (isinstance(value, Tensor) and not value.array.ndim and region.shape != ()
                   and value.device.type == "cpu")
    if isinstance(value, Tensor) and value.array.ndim and value.array.shape != region.shape:
        value = _expand_to_region(value, region.shape)
    if _selects_all(items, target.shape):    # torch writes the tensor itself, not a view
        _copy_to(input, value)
        return
    recorded = is_grad_enabled() and (requires_grad_as_torch(input)
                                      or isinstance(value, Tensor) and value.requires_grad)
    if recorded:     # autograd's checks first (a view of an expanded leaf: fuzz seed 656806)
        _check_write(input, items, value, by_copy)
    if has_internal_overlap(target) and _overlapping_region(target, items):
        raise RuntimeError(OVERLAP_MESSAGE)   # torch writes an expanded tensor's rows, not its columns
    try:
        _write(input, None, items, value, recorded, items)
    except (IndexError, ValueError, TypeError) as error:
        raise _write_error(error, target, None, items, value) from None


def _set_advanced(input, items, converted, value, key, reading=None):
    """``input[key] = value`` for a key holding index arrays: torch's ``index_put_`` into the
    view of ``input`` that the key's other items make.  As in ``getitem``, NumPy writes first
    where the value's dtype is right; torch's reading of the key (``read_key``, whose errors
    come before autograd's) is needed before that only in a graph, for a mask's one value
    and for a value of another dtype.  Given a ``reading`` (a key NumPy may not refuse where
    torch does), all of torch's checks run before the write."""
    checked_first = reading is not None
    target = input.array
    value_is_tensor = isinstance(value, Tensor)
    recorded = is_grad_enabled() and (requires_grad_as_torch(input) or value_is_tensor and value.requires_grad)
    position = _lone_mask(converted)
    fill = position is not None and (not value_is_tensor or value.array.size == 1)
    # torch fills the one mask's places with the value as a number (index_put_ calls masked_fill_):
    # no dtype or shape check, but the mask's shape, its dtype, then the number's range
    fill_checks = fill and (value_is_tensor or _dtype_of(items[position]) == numpy.uint8)
    other_dtype = not fill and value_is_tensor and value.array.dtype != target.dtype
    if reading is None and (recorded or fill_checks or other_dtype):
        reading = read_key(target.shape, items, converted, is_integer_key(key))
    if recorded:
        _check_write(input, converted, value)        # autograd's checks (index_put_'s: not by copy_)
    if fill_checks:
        check_mask(reading, reading.indices[0][0], converted[position])
        if _dtype_of(items[position]) == numpy.uint8:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
        if value_is_tensor:
            scalar_as(value.array.item(), target.dtype)
    elif other_dtype:
        _check_index_put(reading, value, bounds=False)   # its index and shape errors come first
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{dtypes.scalar_type_name(target.dtype)} for the destination and "
                           f"{dtypes.scalar_type_name(value.array.dtype)} for the source.")
    elif checked_first and _check_index_put(reading, value):   # nothing is written
        converted = in_range(reading, converted, array_module(target))
    first, second, _ = _advanced_key(converted, target.ndim)
    if first is None and has_internal_overlap(target) and _overlapping_region(target, second):
        raise RuntimeError(OVERLAP_MESSAGE)
    try:
        _write(input, first, second, value, recorded, items)
    except (IndexError, ValueError, TypeError) as error:    # NumPy writes nothing before it refuses
        if reading is None:
            reading = read_key(target.shape, items, converted, is_integer_key(key))
        if not _check_index_put(reading, value):
            raise _write_error(error, target, first, second, value) from None
        first, second, _ = _advanced_key(in_range(reading, converted, array_module(target)), target.ndim)
        _write(input, first, second, value, recorded, items)


def _lone_mask(converted):
    """The place in the key of its one index when that is a bool mask (torch's ``index_put_``
    fills its places with a one-element value), else None."""
    found = None
    for position, item in enumerate(converted):
        if type(item) is bool:
            return None
        if hasattr(item, "dtype"):
            if found is not None or item.dtype.kind != "b" or not item.ndim:
                return None
            found = position
    return found


def _dtype_of(item):
    """The NumPy dtype of a key's item (a tensor or an array), else None."""
    return getattr(getattr(item, "array", item), "dtype", None)


def _check_index_put(reading, value, bounds=True):
    """torch's ``index_put_`` checks before it writes: the index tensors (``check_indices``), the
    value's shape, (its dtype,) each index as it is written (``check_bounds``).  Raises torch's
    error, or returns True when nothing is written (so no index is checked)."""
    columns, shape = check_indices(reading)
    if isinstance(value, Tensor):
        value_shape = _without_leading_ones(value.array.shape)
        written = result_shape(reading, columns, shape)
        if not _expandable(value_shape, written):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value_shape)} cannot be "
                               f"broadcast to indexing result of shape {list(written)}")
    return bounds and check_bounds(reading, columns, shape, array_module(reading.indices[0][1]))


def _check_write(input, items, value, by_copy=False):
    """autograd's checks before torch writes into (a view of) ``input`` in a graph, in torch's
    order (check_inplace): no piece of split/unbind or view made in no_grad mode, no view of a
    leaf that requires grad, no leaf that requires grad.

    ``by_copy``: torch writes by ``copy_`` (a value of the region's shape), whose hand-written
    autograd kernel records a write only into a float or complex tensor (``requires_grad &=
    isDifferentiableType(self)``): a value that requires grad written into an int or bool piece
    is fine.  Its generated ops (``fill_`` of a 0-d value into a larger region, ``index_put_``)
    ask ``compute_requires_grad(self, values)`` whatever self's dtype, and refuse it."""
    value_requires_grad = isinstance(value, Tensor) and value._requires_grad and (
        not by_copy or input.array.dtype.kind in "fc")
    made_by = _view_made_by(items, input.array.shape)      # torch writes into this view of input
    if made_by is not None:
        # (asked first: torch's view op asks a stale piece for its history, which raises)
        leaf_view = input.requires_grad and input.grad_fn is None
        restriction = input.__dict__.get("_restriction")
        requires_grad = requires_grad_as_torch(input)
        if restriction is not None and (requires_grad or value_requires_grad):
            # the view torch writes shares input's creation meta; it has a node (named in the
            # message) only where input requires grad
            node = (made_by, 0) if requires_grad else None
            raise RuntimeError(refused_write(restriction, written_itself=True, node=node))
        if leaf_view:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    check_inplace_allowed(input, overlap_ok=True, inputs_require_grad=value_requires_grad)


def _write(input, first, second, value, recorded, items):
    """The write ``input[first][second] = value`` itself (``recorded``: as an op of the graph,
    whose node saves the index tensors among the key's ``items``, as torch's)."""
    target = input.array
    # (one value, not several, may meet an element twice: a fill)
    check_windows_apart(input, lambda positions: _region(positions, first)[second], recorded=recorded,
                        fill=not (isinstance(value, Tensor) and value.array.ndim))
    if not recorded:
        if isinstance(value, Tensor):
            value = _without_leading_ones(value.array)
            if value.dtype != target.dtype:
                value = dtypes.converted(value, target.dtype)      # a double into half through float
        _region(target, first)[second] = value
        count_write(input)
        return
    through_view = _view_made_by(items, target.shape) is not None     # torch writes into a view of input
    torch_name = "torch::autograd::CopySlices" if through_view else "IndexPutBackward0"
    # input is that CopySlices' base unless input is a view itself (then views.rebase_view_base's)
    overlapping = through_view and "_view" not in input.__dict__ and has_internal_overlap(target)
    if not isinstance(value, Tensor):
        result = _saving(CopySlices.apply(input, first=first, second=second, fill=value, torch_name=torch_name,
                                          overlapping=overlapping), items)
    else:
        value = promoted_to(value, target.dtype)    # (torch's copy_ casts inside: no node)
        result = _saving(CopySlices.apply(input, value, first=first, second=second, torch_name=torch_name,
                                          overlapping=overlapping), items)
    if through_view and "_view" in input.__dict__ and result.grad_fn is not None:
        # a view written through a view of it, in the graph (not an integer one): see leave_stale
        history = history_of(input)
        input.__dict__["_left_stale"] = True     # (its old node is judged once it is read again)
        assign(input, result, overlap_ok=True)
        input.__dict__.pop("_left_stale", None)
        leave_stale(input, history)
        return
    assign(input, result, overlap_ok=True)


def _write_error(error, target, first, second, value):
    """NumPy's refusal of a write, in torch's words (where torch's own checks found nothing)."""
    if isinstance(error, IndexError):
        return _torch_index_error(error, second, target.shape)
    if "broadcast" not in str(error) and "boolean array indexing assignment" not in str(error):
        return error
    region_shape = list(array_module(target).asarray(_region(target, first)[second]).shape)
    return RuntimeError(f"shape mismatch: value tensor of shape {list(_without_leading_ones(value.array.shape))} "
                        f"cannot be broadcast to indexing result of shape {region_shape}")


def _without_leading_ones(shape_or_array):
    """A shape (or an array, reshaped) without its leading 1s: torch's ``slicePrefix1sSize``,
    applied to the value of ``x[key] = value`` before it is broadcast."""
    shape = getattr(shape_or_array, "shape", shape_or_array)
    start = 0
    while start < len(shape) and shape[start] == 1:
        start += 1
    if not hasattr(shape_or_array, "shape"):
        return tuple(shape[start:])
    return shape_or_array.reshape(shape[start:]) if start else shape_or_array


def _expandable(shape, target):
    """torch's ``is_expandable_to``: each trailing dim equal, or 1."""
    return len(shape) <= len(target) and all(
        size == 1 or size == wanted for size, wanted in zip(reversed(shape), reversed(target)))


def _expand_to_region(value, shape):
    """torch's ``copy_to``: ``value``, its leading 1s dropped, expanded to the written region's
    ``shape`` (its error: 'The expanded size of the tensor ... must match ...')."""
    kept = value.array.shape
    while kept and kept[0] == 1:
        kept = kept[1:]
    return value.reshape(kept).expand(shape)


def _selects_all(items, shape):
    """Does a basic key select all of a tensor, as torch tests it (only ``...`` and slices
    from 0 (or None) in steps of 1 up to the end or past it)?"""
    slices = [item for item in items if item is not Ellipsis]
    if any(type(item) is not slice for item in slices) or len(slices) > len(shape):
        return False
    before = next((i for i, item in enumerate(items) if item is Ellipsis), len(items))
    dims = list(range(before)) + list(range(len(shape) - (len(slices) - before), len(shape)))
    return all(item.start in (None, 0) and item.step in (None, 1)
               and (item.stop is None or item.stop >= shape[dim]) for item, dim in zip(slices, dims))


def _view_made_by(items, shape):
    """torch's ``x[items] = v`` applies the key's ints, Nones, True/False and slices first and
    writes into that view of ``x``: the name of the last view op it applies (``"Select"``,
    ``"Unsqueeze"``, ``"Slice"``), or None when it writes into ``x`` itself."""
    dims = [0 if item is None or item is Ellipsis or type(item) is bool or _zero_d_bool(item)
            else _mask_dims(item) for item in items]
    ellipsis = next((i for i, item in enumerate(items) if item is Ellipsis), len(items))
    dim, made_by = 0, None
    for position, (item, used) in enumerate(zip(items, dims)):
        if position == ellipsis:
            dim = len(shape) - sum(dims[position + 1:])
        if item is None or type(item) is bool or _zero_d_bool(item):
            made_by = "Unsqueeze"
        elif type(item) is int or _zero_d_integer(item):     # (torch reads a 0-d index tensor as an int)
            made_by = "Select"
        elif type(item) is slice and not _selects_all((item,), shape[dim:dim + 1]):
            made_by = "Slice"
        dim += used
    return made_by


def _zero_d_integer(item):
    array = item.array if isinstance(item, Tensor) else item
    return getattr(array, "ndim", None) == 0 and getattr(array, "dtype", numpy.dtype(bool)).kind in "iu" \
        and array.dtype.char != "B"


def _zero_d_bool(item):
    """A 0-d bool or uint8 tensor (or array), which torch reads as it reads True/False."""
    array = item.array if isinstance(item, Tensor) else item
    return getattr(array, "ndim", None) == 0 and (array.dtype.kind == "b" or array.dtype.char == "B")


def _mask_dims(item):
    """How many dims an index item consumes: a bool (or uint8) mask its own, anything else 1."""
    array = item.array if isinstance(item, Tensor) else item
    return array.ndim if getattr(array, "dtype", None) in (numpy.bool_, numpy.uint8) else 1


def _copy_to(target, value):
    """torch's write into the whole of ``target`` (``x[...] = v``, ``x[:] = v``): ``copy_`` for
    a value of its shape, ``fill_`` for a 0-d one, else ``copy_`` of the value expanded."""
    from .arithmetic import copy_, fill_
    if not isinstance(value, Tensor):        # a number: torch's 0-d tensor of target's dtype
        value = Tensor._wrap(array_module(target.array).asarray(value, dtype=target.array.dtype))
    if value.array.shape == target.array.shape:
        return copy_(target, value)
    if value.array.ndim == 0:
        return fill_(target, value)
    return copy_(target, _expand_to_region(value, target.array.shape))


def _overlapping_region(target, key):
    try:
        region = target[key]
    except IndexError:
        return False          # the write below raises torch's error
    return hasattr(region, "strides") and has_internal_overlap(region)


# ---- gather, scatter, index_select, index_fill ---------------------------------------
def _along_dim_key(index, dim):
    """The advanced key that reads ``x[i, index[i, j, k], k]`` (for dim 1) at every (i, j, k)."""
    xp = array_module(index)
    key = []
    for axis, size in enumerate(index.shape):
        if axis == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = size
            key.append(xp.arange(size).reshape(shape))
    return tuple(key)


def _check_index(index, what):
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")


def _check_along_dim(index, size, dim, operands):
    """torch's gather/scatter kernel (``cpu_scatter_gather_base_kernel``) rejects negative and
    too-large indices (NumPy would wrap negative ones), naming the first one it checks, in the
    order ``_kernel_order`` gives for its ``operands`` (fuzz seed 364932: not row-major order)."""
    if index.size == 0:
        return
    outside = (index < 0) | (index >= size)
    if outside.any():
        axes = _kernel_order(index.shape, dim, operands)
        first = int(outside.transpose(axes).reshape(-1).argmax())
        bad = int(index.transpose(axes).reshape(-1)[first])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _kernel_order(shape, dim, operands):
    """The axes of an index of ``shape``, outermost first, in the order torch's gather/scatter
    kernel checks its elements.  Its TensorIterator runs over the index's shape with ``dim``
    squashed to 1, its dims sorted and merged by the strides of ``operands`` (the output, the
    source where there is one, the index: ``iterator_rows``); for each row the inner loop runs
    along, it checks along ``dim`` last where ``dim`` is the last dim, else first (``dim``'s
    outer loop around the row's).  So a contiguous ``(2, 3, 1)`` index, dim 1, whose rows merge
    dims 0 and 2, is checked column by column."""
    if not shape:
        return ()
    iterated = list(shape)
    iterated[dim] = 1
    order, merged = iterator_rows(iterated, operands)
    row = [axis for axis in order[:merged] if axis != dim][::-1]
    outer = [axis for axis in order[merged:] if axis != dim][::-1]
    return tuple(outer + row + [dim] if dim == len(shape) - 1 else outer + [dim] + row)


def _scatter_output_strides(input, writes_input):
    """The strides of the tensor torch's scatter kernel writes: ``input`` itself for ``scatter_``,
    a contiguous copy of it for ``scatter``, and a contiguous float32 buffer for float16."""
    if writes_input and input.array.dtype != numpy.float16:
        return element_strides(input.array)
    return row_major(input.array.shape)


def _int64_strides(index):
    """The strides of the index torch's gather/scatter kernel reads: an int64 one's own, an int32
    one's copy as int64 (``to(torch.long)``, which keeps a layout without gaps or repeats)."""
    return element_strides(index) if index.dtype == numpy.int64 else dense_strides(index)


def _check_bounds(index, size, dim, message=None):
    """torch rejects negative and too-large indices here (NumPy would wrap negative ones)."""
    if index.size == 0:
        return
    outside = (index < 0) | (index >= size)
    if outside.any():
        bad = int(index.reshape(-1)[int(outside.reshape(-1).argmax())])    # the first, as torch
        message = message or "index {bad} is out of bounds for dimension {dim} with size {size}"
        raise RuntimeError(message.format(bad=bad, dim=dim, size=size))


def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` for dim 1; ``index`` has ``input``'s number of dims
    (a 0-d tensor counts as 1-d of size 1, as in torch's ``gather_shape_check``)."""
    shape = input.array.shape
    dim = _check_dim(dim, len(shape))
    if isinstance(index, Tensor) and index.array.size == 0:
        # torch's gather checks neither the dtype nor the shape of an empty index
        return _saving(Gather.apply(input, index=index.array, dim=dim), (index,))
    _check_index(index, "gather")
    index_shape = index.array.shape
    sizes, index_sizes = shape or (1,), index_shape or (1,)
    if len(index_sizes) != len(sizes):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for axis, size in enumerate(index_sizes):
        if axis != dim and size > sizes[axis]:
            raise RuntimeError(f"Size does not match at dimension {axis} expected index "
                               f"{list(index_shape)} to be no larger than self {list(shape)} apart "
                               f"from dimension {dim}")
    # torch's kernel writes a new contiguous output, reading input and index
    index_array = _at_least_1d(index.array)
    operands = (row_major(index_sizes), element_strides(_at_least_1d(input.array)), _int64_strides(index_array))
    _check_along_dim(index_array, sizes[dim], dim, operands)
    return _saving(Gather.apply(input, index=index.array, dim=dim), (index,))


def _scatter_shape_check(shape, dim, index_shape, src_shape):
    """torch's ``scatter_shape_check`` for a non-empty index, in its order: the sizes, then
    ``src``'s number of dims, then the message for the sizes.  A 0-d tensor counts as 1-d of
    size 1 (``ensure_nonempty_dim``/``_size``); the sizes of ``src`` are read along ``shape``'s
    dims, which fails (as ``src.size(d)``) where ``src`` has fewer."""
    sizes, index_sizes = shape or (1,), index_shape or (1,)
    if len(index_sizes) != len(sizes):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    wrong = any(axis != dim and size > sizes[axis] for axis, size in enumerate(index_sizes))
    if src_shape is None:
        if wrong:
            raise RuntimeError(f"Expected index {list(index_shape)} to be no larger than self "
                               f"{list(shape)} apart from dimension {dim}")
        return
    if not wrong:
        for axis, size in enumerate(index_sizes):
            if src_shape and axis >= len(src_shape):
                raise IndexError(f"Dimension out of range (expected to be in range of "
                                 f"[{-len(src_shape)}, {len(src_shape) - 1}], but got {axis})")
            if size > (src_shape[axis] if src_shape else 1):
                wrong = True
                break
    if len(src_shape or (1,)) != len(sizes):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if wrong:
        raise RuntimeError(f"Expected index {list(index_shape)} to be no larger than self "
                           f"{list(shape)} apart from dimension {dim} and to be no larger size "
                           f"than src {list(src_shape)}")


def _scatter(input, dim, index, src, add, what, writes_input=False):
    shape = input.array.shape
    dim = _check_dim(dim, len(shape))
    if not isinstance(index, Tensor) or index.array.size:
        _check_index(index, what)
    src_is_tensor = isinstance(src, Tensor)
    if src_is_tensor and src.array.dtype != input.array.dtype:
        raise RuntimeError(f"{what}(): Expected self.dtype to be equal to src.dtype")
    if index.array.size == 0:       # torch's scatter checks no shapes for an empty index, and writes nothing
        if src_is_tensor:
            return _saving(Scatter.apply(input, src, index=index.array, dim=dim, add=add), (index,))
        return _saving(Scatter.apply(input, index=index.array, dim=dim, value=None, add=add), (index,))
    _scatter_shape_check(shape, dim, index.array.shape, src.array.shape if src_is_tensor else None)
    sizes = shape or (1,)
    size = sizes[dim]
    number = numpy.zeros((), input.array.dtype)    # (an empty index writes, and converts, nothing)
    if not src_is_tensor and index.array.size and 0 <= int(index.array.reshape(-1)[0]) < size:
        # torch's kernel checks each element's index, then converts the number as it writes it:
        # a number out of range fails at the first element (the index's first in any order the
        # kernel takes), unless that element's index does
        number = scalar_as(src, input.array.dtype)
    index_array = _at_least_1d(index.array)
    sources = (element_strides(_at_least_1d(src.array)),) if src_is_tensor else ()
    operands = ((_scatter_output_strides(input, writes_input) if shape else (1,),) + sources
                + (_int64_strides(index_array),))
    _check_along_dim(index_array, size, dim, operands)
    if src_is_tensor:
        return _saving(Scatter.apply(input, src, index=index.array, dim=dim, add=add), (index,))
    return _saving(Scatter.apply(input, index=index.array, dim=dim, value=number, add=add), (index,))


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``out = input.clone(); out[i][index[i][j]] = src[i][j]`` for dim 1 (``src`` may be a number)."""
    return _scatter_any(input, dim, index, src, value, reduce, writes_input=False)


def _scatter_any(input, dim, index, src, value, reduce, writes_input):
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter(reduce={reduce!r}) is not supported; use reduce='add'")
        return _scatter_add(input, dim, index, src, writes_input)
    return _scatter(input, dim, index, value if src is None else src, add=False, what="scatter",
                    writes_input=writes_input)


def scatter_add(input, dim, index, src):
    """``out = input.clone(); out[i][index[i][j]] += src[i][j]``: repeated indices add up."""
    return _scatter_add(input, dim, index, src, writes_input=False)


def _scatter_add(input, dim, index, src, writes_input):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _scatter(input, dim, index, src, add=True, what="scatter_add", writes_input=writes_input)


def scatter_(input, dim, index, src=None, *, value=None, reduce=None):
    return in_place(_scatter_any, input, dim, index, src, value, reduce, writes_input=True)


def scatter_add_(input, dim, index, src):
    return in_place(_scatter_add, input, dim, index, src, writes_input=True)


def _vector_index(input, dim, index, what):
    dim = _check_dim(dim, input.array.ndim)
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int32 or int64 for index")
    if index.array.ndim > 1:
        if what == "index_select":
            raise IndexError("index_select(): Index is supposed to be a vector")
        raise RuntimeError("Index has to be a vector/scalar")
    return dim, index.array.reshape(-1)


def index_select(input, dim, index):
    """The slices ``input[..., index[k], ...]`` of dim ``dim``, in the order of the 1-D ``index``."""
    saved = (index,)
    dim, index = _vector_index(input, dim, index, "index_select")
    shape = input.array.shape
    if not shape:
        if index.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.size} value(s)")
        if index[0] != 0:
            raise IndexError("index out of range in self")
        return _saving(IndexSelect.apply(input, index=index, dim=0), saved)
    if len(shape) > 1 and index.size and shape[dim] == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    # torch's kernels word a bad index two ways: its dim-1 one (and that of an empty input), and the rest
    if len(shape) == 1 or dim != 1 and input.array.size:
        if index.size and (int(index.min()) < 0 or int(index.max()) >= shape[dim]):
            raise IndexError("index out of range in self")
    _check_bounds(index, shape[dim], dim, "INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    return _saving(IndexSelect.apply(input, index=index, dim=dim), saved)


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the slices ``index`` of dim ``dim`` set to ``value``."""
    saved = (index,)
    dim, index = _vector_index(input, dim, index, "index_fill")
    size = input.array.shape[dim] if input.array.ndim else 1
    if index.size and (int(index.min()) < -size or int(index.max()) >= size):
        bad = int(index.min()) if int(index.min()) < -size else int(index.max())
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if isinstance(value, Tensor):
        value = value.item()
    return _saving(IndexFill.apply(input, index=index, dim=dim, value=scalar_as(value, input.array.dtype)), saved)


def index_fill_(input, dim, index, value):
    return in_place(index_fill, input, dim, index, value)


# ---- masks and conditions -------------------------------------------------------------
def _check_mask(mask, what):
    if not isinstance(mask, Tensor) or mask.array.dtype != bool:
        got = dtypes.c_type_name(mask.array.dtype) if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"{what} only supports boolean masks, but got mask with dtype {got}")


def masked_fill(input, mask, value):
    """``input`` with ``value`` where the bool ``mask`` (broadcast) is True.

    ``scores.masked_fill(padding, float("-inf"))``; ``value`` is a number or a 0-d
    tensor (which then gets the gradient of the filled places).
    """
    _check_mask(mask, "masked_fill_")
    if input.array.shape != mask.array.shape:
        broadcast_shapes(mask.array.shape, input.array.shape)   # torch names the mask "a"
    if isinstance(value, Tensor):
        if value.array.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.array.ndim} dimension(s).")
        fill = scalar_as(value.item(), input.array.dtype)    # torch fills with value.item()
        # torch's node for a tensor value (MaskedFillBackward1) has it as an input, grad or not (a CPU
        # value for a GPU input is read as its number only: minigrad's engine keeps one device a graph)
        if value.device == input.device:
            return _saving(MaskedFill.apply(input, promoted_to(value, input.array.dtype), mask=mask.array,
                                            fill=fill), (mask,))
    else:
        fill = scalar_as(value, input.array.dtype)     # a number out of the dtype's range is an error
    return _saving(MaskedFill.apply(input, mask=mask.array, fill=fill), (mask,))


def masked_fill_(input, mask, value):
    # autograd's checks come before the mask's and the value's (a 0-d value tensor is an input:
    # compute_requires_grad asks it, whatever input's dtype)
    check_inplace_allowed(input, overlap_ok=True,
                          inputs_require_grad=isinstance(value, Tensor) and value._requires_grad)
    result = masked_fill(input, mask, value)
    expanded = has_internal_overlap(input.array)
    if expanded:
        # torch writes the masked places only, so a place of memory takes the value if any of
        # its positions is masked (NumPy would write every position, the last one winning)
        warnings.warn("Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor "
                      "before performing this operation. This also applies to advanced indexing e.g. "
                      "tensor[mask] = scalar", UserWarning, stacklevel=2)
        masked = array_module(input.array).broadcast_to(mask.array, input.array.shape)
        input.array[masked] = result.array[masked]
        return assign_written_memory(input, result)
    return assign(input, result)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    if not isinstance(mask, Tensor) or mask.array.dtype != bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(input.array.shape, mask.array.shape)
    return _saving(MaskedSelect.apply(input, mask=mask.array, shape=shape), (mask,))


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is True, else ``other`` (tensors or numbers, broadcast).

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.
    """
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = condition.array
    if cond.dtype != bool:
        if cond.dtype != numpy.uint8:
            raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {dtypes.scalar_type_name(cond.dtype)}")
        cond = cond.astype(bool)
    dtype = dtypes.result_type(input, other)
    input, other = (number_as(operand, dtype) if isinstance(operand, numbers.Number) else operand
                    for operand in (input, other))   # a number out of the result's range is an error
    input, other = _as_tensor(input, dtype, condition), _as_tensor(other, dtype, condition)
    shapes = cond.shape, input.array.shape, other.array.shape
    if not shapes[0] == shapes[1] == shapes[2]:
        broadcast_shapes(*shapes)
    return _saving(Where.apply(input, other, condition=cond), (condition,))


def where_method(input, condition, other):
    """``x.where(condition, y)``: ``where(condition, x, y)``."""
    return where(condition, input, other)


def nonzero(input, *, as_tuple=False):
    """The indices of the non-zero elements: an (N, ndim) int64 tensor, or one 1-D tensor per dim."""
    xp = array_module(input.array)
    indices = xp.nonzero(input.array) if input.array.ndim else xp.nonzero(input.array.reshape(1))
    if as_tuple:
        return tuple(Tensor._wrap(index.astype(numpy.int64, copy=False)) for index in indices)
    # torch's result is column-major (strides (1, N)): its .contiguous() is a copy
    return Tensor._wrap(xp.stack(indices).T.astype(numpy.int64, copy=False)
                        if input.array.ndim else xp.zeros((len(indices[0]), 0), numpy.int64))


# ---- slices and triangles ------------------------------------------------------------------
def narrow(input, dim, start, length):
    """The view ``input[..., start:start + length, ...]`` along ``dim``."""
    if input.array.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _check_dim(dim, input.array.ndim)
    size = input.array.shape[dim]
    start, length = int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _basic_index(input, (slice(None),) * dim + (slice(start, start + length),), keep_slices=True)


def select(input, dim, index):
    """The view ``input[..., index, ...]`` along ``dim``, without that dim."""
    shape = input.array.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _check_dim(dim, len(shape))
    index = int(index)
    if not -shape[dim] <= index < shape[dim]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at "
                         f"dimension {dim}")
    return getitem(input, (slice(None),) * dim + (index,))


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (``diagonal`` > 0 keeps diagonals above the main one)."""
    if input.array.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal=diagonal, upper=False)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (``diagonal`` < 0 keeps diagonals below the main one)."""
    if input.array.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal=diagonal, upper=True)


def tril_(input, diagonal=0):
    return in_place(tril, input, diagonal)


def triu_(input, diagonal=0):
    return in_place(triu, input, diagonal)


# ---- take, take_along_dim --------------------------------------------------------------------
def take(input, index):
    """The elements of ``input`` as if flattened, at ``index`` (int64): the result has ``index``'s shape."""
    dtype = index.array.dtype
    if dtype != numpy.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {dtypes.scalar_type_name(dtype)}")
    size = input.array.size
    if index.array.size:
        if size == 0:
            raise IndexError("take(): tried to take from an empty tensor")
        flat = index.array.reshape(-1)
        bad = (flat >= size) | (flat < -size)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {int(flat[bad.argmax()])} on a tensor of "
                             f"{size} elements.")
    return _saving(Take.apply(input, index=index.array), (index,))


def take_along_dim(input, indices, dim=None):
    """``gather`` along ``dim`` after broadcasting ``input`` and ``indices`` in the other dims
    (torch's composite: ``expand`` both, then ``gather``); without ``dim`` over the flattened input."""
    if dim is None:      # (torch's view: a non-contiguous input is its view error)
        return gather(input.view(-1), 0, indices.view(-1))
    ndim = input.array.ndim
    if ndim != indices.array.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {ndim} dimensions for input, and {indices.array.ndim} dimensions for indices")
    if indices.array.dtype != numpy.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{dtypes.scalar_type_name(indices.array.dtype)}")
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = _check_dim(dim, ndim)
    sizes = list(input.array.shape)
    sizes[dim] = indices.array.shape[dim]
    shape = list(broadcast_shapes(tuple(sizes), indices.array.shape))
    if input.array.shape[dim]:
        # torch 2.13 reads an index along ``dim`` modulo the size there (-1 is the last, 5 of 3 is 2),
        # where its flattened form (``dim=None``) refuses one out of range, as gather does
        indices = Tensor._wrap(indices.array % input.array.shape[dim])
    elif indices.array.size:     # that modulo by a size of 0: torch's integer-division check
        raise RuntimeError("ZeroDivisionError")
    indices = indices.expand(shape)
    shape[dim] = input.array.shape[dim]
    return gather(input.expand(shape), dim, indices)
