"""Shape ops: ``view reshape flatten squeeze unsqueeze transpose permute expand repeat flip``.

Most of them are views: the result shares the input's memory (a NumPy/CuPy
view) and its version counter, so an in-place change through either is seen
by the version check of every node that saved the other.  Their backward only
moves the gradient back into the input's shape: a reshape for reshapes, the
inverse permutation for permutes, ``sum_to`` for expand.
"""
from __future__ import annotations

import math
import numbers
import operator

from ..core import dtypes
from ..core.function import Function
from ..core.layout import dense_strides, element_strides, is_row_major, relayout, unsqueezed, view_strides
from ..core.device import array_module, scatter_add
from ..core.tensor import Tensor, _check_dim
from .broadcast import broadcast_shapes, sum_to
from .conversion import Clone
from .inplace import check_autograd_allows_write
from .placement import _placed, module_under
from .tensor_namespace import zeros
from .views import diagonal_view, register_view, unfold_view

__all__ = ["diagonal", "unfold", "fliplr", "flipud", "reshape", "view_as", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
           "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "t", "broadcast_to",
           "flip", "roll", "rot90", "ravel", "tile", "repeat_interleave", "meshgrid", "broadcast_tensors"]


# ---- the differentiable ops -------------------------------------------------
class View(Function):
    """Any change of shape that keeps the element order (view, reshape, flatten, squeeze)."""

    differentiable_backward = True

    def forward(self, x, shape, strides=None):
        """``strides``: the result's, where the op has a rule of its own (squeeze, unsqueeze); else
        a view's (``_viewed``)."""
        self.input_shape = x.shape
        return _viewed(x, shape) if strides is None else unsqueezed(x.reshape(shape), strides)

    def backward(self, grad_output):
        return grad_output.reshape(self.input_shape)


def _viewed(x, shape):
    """``x.reshape(shape)``, with torch's strides where it is a view (``layout.view_strides``): NumPy's
    may differ at dims of size 1, whose strides order later results (fuzz seed 3422963)."""
    result = x.reshape(shape)
    if 1 in shape and x.size and not is_row_major(x):
        strides = view_strides(x.shape, element_strides(x), shape)
        if strides is not None:
            result = unsqueezed(result, strides)
    return result


class Reshape(View):
    def name(self):
        # torch's reshape: view of a contiguous tensor, _reshape_alias of another whose layout allows
        # a view (x.t() reshaped to its own shape), else a copy through _unsafe_view
        return self.torch_name

    def forward(self, x, shape, torch_name="ViewBackward0"):
        self.torch_name = torch_name
        return super().forward(x, shape)


class Squeeze(View):
    def name(self):
        return self.torch_name

    def forward(self, x, shape, strides, torch_name="SqueezeBackward0"):
        self.torch_name = torch_name   # torch's overloads: squeeze() 0, squeeze(int) 1, squeeze(tuple) 2
        return super().forward(x, shape, strides)


class Unsqueeze(View):
    pass


class Permute(Function):
    """``x.transpose(axes)``: the gradient goes back through the inverse permutation."""

    differentiable_backward = True

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, grad_output):
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return array_module(grad_output).transpose(grad_output, inverse)


class Transpose(Permute):
    pass


class Alias(Permute):
    """torch's ``self.alias()``: the same tensor as a view (``movedim`` of a 0-d tensor)."""


class TransposeMatrix(Permute):
    def name(self):
        return "TBackward0"


class Expand(Function):
    """A broadcast view; the gradient sums over the stretched dimensions."""

    differentiable_backward = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        xp = array_module(x)
        # NumPy's broadcast_to is read-only; torch lets fill_/zero_/x[i] = v write through an
        # expanded tensor (and refuses element-wise in-place ops with its own error, ops/inplace.py)
        # torch's strides (inferExpandGeometry), where NumPy's broadcast gives every size-1 dim 0:
        # a dim kept keeps its stride, a stretched one takes 0, a new one of size 1 the size times
        # the stride of the dim after it (0 after a 0-d input's last); later layouts read them
        offset = len(shape) - x.ndim
        steps = [0] * len(shape)
        for dim in reversed(range(len(shape))):
            if dim >= offset:
                steps[dim] = x.strides[dim - offset] if x.shape[dim - offset] == shape[dim] else 0
            elif shape[dim] == 1:
                steps[dim] = shape[dim + 1] * steps[dim + 1] if dim + 1 < len(shape) else 0
        return xp.lib.stride_tricks.as_strided(x, shape, steps)

    def backward(self, grad_output):
        return sum_to(grad_output, self.input_shape)


class Repeat(Function):
    """``numpy.tile``: output dim d is ``repeats[d]`` copies of input dim d side by side."""

    differentiable_backward = True

    def forward(self, x, repeats):
        self.repeats = repeats
        self.input_shape = x.shape
        return array_module(x).tile(x, repeats)

    def backward(self, grad_output):
        # split each output dim into (copy, original size) and sum over the copies
        padded = (1,) * (len(self.repeats) - len(self.input_shape)) + tuple(self.input_shape)
        split_shape = [size for pair in zip(self.repeats, padded) for size in pair]
        summed = grad_output.reshape(split_shape).sum(axis=tuple(range(0, len(split_shape), 2)))
        return summed.reshape(self.input_shape)


class RepeatInterleave(Function):
    """Element ``i`` along ``axis`` repeated ``repeats[i]`` times; the gradient sums each run back."""

    differentiable_backward = True

    def name(self):
        # torch: an int count expands and views, a tensor of counts runs index_select
        return "ViewBackward0" if isinstance(self.repeats, int) else "IndexSelectBackward0"

    def forward(self, x, repeats, axis):
        xp = array_module(x)
        self.axis, self.input_shape, self.repeats = axis, x.shape, repeats
        # the source position of every output position along axis, for the backward's scatter-add
        self.key = (slice(None),) * axis + (xp.repeat(xp.arange(x.shape[axis]), repeats),)
        return xp.repeat(x, repeats, axis=axis)

    def backward(self, grad_output):
        """Each run summed back: ``grad_output`` added at its source positions (on Tensors,
        create_graph=True, the Place op, whose own gradient reads those positions again)."""
        if isinstance(grad_output, Tensor):
            return _placed(grad_output, self.input_shape, None, self.key, True, self.input_shape)
        xp = array_module(grad_output)
        grad = xp.zeros(self.input_shape, grad_output.dtype)
        moved = xp.moveaxis(grad, self.axis, 0)      # a view: the scatter writes into grad
        scatter_add(moved, self.key[-1], xp.moveaxis(grad_output, self.axis, 0), wide=True)   # (torch: a sum)
        return grad


class Flip(Function):
    """A copy with ``axes`` reversed, laid out as torch's ``empty_like(self, Preserve)``: the
    input's strides where it is dense, else its dims in the input's stride order.  So the flip
    of a transposed tensor is not contiguous, and its ``contiguous()`` is a new tensor, not
    the flip itself (fuzz seed 79905: a gradient retained on that copy stays None)."""

    differentiable_backward = True

    def forward(self, x, axes):
        self.axes = axes
        return self._flipped(x, axes)

    def backward(self, grad_output):
        # torch's backward is grad.flip(dims), a copy likewise (NumPy's view, of negative strides, would
        # send an activation's backward down torch's scalar loop: fuzz seed 1371209, selu at NaN)
        if isinstance(grad_output, Tensor):     # recorded (create_graph): flip itself, a new node
            return array_module(grad_output).flip(grad_output, self.axes)
        return self._flipped(grad_output, self.axes)

    @staticmethod
    def _flipped(x, axes):
        xp = array_module(x)
        copy = xp.empty_like(x, order="K")     # torch's flip copies, into x's order of dims
        copy[...] = xp.flip(x, axes)
        return relayout(copy, dense_strides(x))       # (a size-1 dim's stride, by a view)


class Rot90(Function):
    """``k`` quarter turns in the plane of ``dims``, from dims[0] towards dims[1]: torch's
    composite (a flip, then a transpose for odd ``k``: a transposed, not contiguous, result) as one
    node, ``Rot90Backward0``, whose gradient is the gradient turned back (``rot90(grad, -k)``)."""

    differentiable_backward = True

    def forward(self, x, k, dims):
        self.k, self.dims = k, dims
        return _rotated(x, k, dims)

    def backward(self, grad_output):
        if isinstance(grad_output, Tensor):     # recorded (create_graph): rot90 itself, a new node
            return rot90(grad_output, -self.k, list(self.dims))
        return _rotated(grad_output, -self.k, self.dims)


def _rotated(x, k, dims):
    """torch's rot90 forward: ``k % 4`` of 1 flips dims[1] and swaps, 2 flips both, 3 flips dims[0]
    and swaps (each flip a copy in the input's layout), 0 a contiguous copy."""
    first, second = dims
    turns = k % 4
    if turns == 0:
        return array_module(x).array(x, order="C", copy=True)
    flipped = Flip._flipped(x, {1: (second,), 2: (first, second), 3: (first,)}[turns])
    return flipped if turns == 2 else flipped.swapaxes(first, second)


class Roll(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return array_module(x).roll(x, shifts, axes)

    def backward(self, grad_output):
        back = -self.shifts if isinstance(self.shifts, int) else tuple(-shift for shift in self.shifts)
        return array_module(grad_output).roll(grad_output, back, self.axes)


# ---- helpers: size arguments and views ------------------------------------------
def _sizes(sizes):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(minigrad.Size)`` all mean (2, 3)."""
    if len(sizes) == 1 and not isinstance(sizes[0], numbers.Integral) and hasattr(sizes[0], "__len__"):
        sizes = sizes[0]
    if all(type(size) is int for size in sizes):
        return tuple(sizes)
    try:
        return tuple(int(size.__index__()) for size in sizes)
    except (AttributeError, TypeError):
        bad = next(size for size in sizes if not hasattr(size, "__index__"))
        raise TypeError(f"shape must be a sequence of ints, but got an element of type "
                        f"{type(bad).__name__}") from None


def _infer_shape(shape, numel):
    """``shape`` with its ``-1`` replaced by the size that keeps ``numel`` elements."""
    inferred = None
    known = 1
    for index, size in enumerate(shape):
        if size == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = index
        elif size < 0:
            raise RuntimeError(f"invalid shape dimension {size} at index {index} of shape {list(shape)}")
        else:
            known *= size
    if inferred is None:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape
    if known == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because "
                           "the unspecified dimension size -1 can be any value and is ambiguous")
    if numel % known:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape[:inferred] + (numel // known,) + shape[inferred + 1:]


def _is_view_possible(array, shape):
    """Can ``array`` take ``shape`` without copying (torch's ``view`` condition)?"""
    if array.flags.c_contiguous or array.size == 0:
        return True
    reshaped = array.reshape(shape)
    return array_module(array).may_share_memory(reshaped, array)


def _as_view_of(result, input, spec):
    """Mark ``result`` as the view ``spec`` of ``input`` (see ``ops/views.py``): they share
    memory, version counter and, after an in-place write to either, history."""
    return register_view(result, input, spec)


# ---- view and reshape ------------------------------------------------------------------
def view(input, *shape):
    """The same elements in ``shape`` (one size may be -1), sharing memory.

    Raises as torch when the memory layout does not allow it (a transposed
    tensor flattened, say): ``reshape`` copies instead.  ``view(dtype)``
    reinterprets the bytes, without gradient.
    """
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        from ..core.tensor import Tensor
        return Tensor._wrap(input.array.view(shape[0].numpy))
    shape = _infer_shape(_sizes(shape), input.array.size)
    if not _is_view_possible(input.array, shape):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return _as_view_of(View.apply(input, shape=shape), input, ("reshape", shape))


def view_as(input, other):
    return view(input, other.array.shape)


def reshape(input, *shape):
    """The same elements in ``shape``: a view when the layout allows, else a copy."""
    shape = _infer_shape(_sizes(shape), input.array.size)
    is_view = _is_view_possible(input.array, shape)
    torch_name = ("ViewBackward0" if input.is_contiguous() else "ReshapeAliasBackward0") if is_view \
        else "UnsafeViewBackward0"
    result = Reshape.apply(input, shape=shape, torch_name=torch_name)
    return _as_view_of(result, input, ("reshape", shape)) if is_view else result


def reshape_as(input, other):
    return reshape(input, other.array.shape)


def ravel(input):
    """torch's ``contiguous().view(-1)``: a copy where the tensor is not contiguous (``x[:, 1]``)."""
    return view(contiguous(input), -1)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one: (B, C, H, W) -> (B, C*H*W) for start_dim=1."""
    shape = input.array.shape
    if not shape:
        return reshape(input, 1)
    start, end = _check_dim(start_dim, len(shape)), _check_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = 1
    for size in shape[start:end + 1]:
        merged *= size
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1): (B, 12) -> (B, 3, 4)."""
    shape = input.array.shape
    dim = _check_dim(dim, len(shape))
    sizes = _sizes((sizes,))
    try:
        sizes = _infer_shape(sizes, shape[dim])
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {dim} ({shape[dim]}) in the input tensor") from None
    return reshape(input, shape[:dim] + sizes + shape[dim + 1:])


def squeeze(input, dim=None):
    """Drop size-1 dims: all of them, or those among ``dim`` (an int or a tuple) that are size 1."""
    shape = input.array.shape
    if dim is None:
        dims, torch_name = range(len(shape)), "SqueezeBackward0"
    elif isinstance(dim, (tuple, list)):
        dims, torch_name = [_check_dim(d, len(shape)) for d in dim], "SqueezeBackward2"
    else:
        dims, torch_name = (_check_dim(dim, len(shape)),), "SqueezeBackward1"
    kept = [axis for axis, size in enumerate(shape) if size != 1 or axis not in dims]
    new_shape = tuple([shape[axis] for axis in kept])
    strides = element_strides(input.array)      # torch drops the dims: the dims kept keep their strides
    return _as_view_of(Squeeze.apply(input, shape=new_shape, strides=[strides[axis] for axis in kept],
                                     torch_name=torch_name), input, ("reshape", new_shape))


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (in [-ndim-1, ndim]): (3,) -> (1, 3) for dim=0."""
    shape = input.array.shape
    dim = _check_dim(dim, len(shape) + 1)
    new_shape = shape[:dim] + (1,) + shape[dim:]
    # torch's new dim: the size times the stride of the dim it goes before (1 at the end)
    strides = list(element_strides(input.array))
    strides.insert(dim, shape[dim] * strides[dim] if dim < len(shape) else 1)
    return _as_view_of(Unsqueeze.apply(input, shape=new_shape, strides=strides), input, ("reshape", new_shape))


# ---- permutations ------------------------------------------------------------------------
def transpose(input, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1`` (a view)."""
    ndim = input.array.ndim
    dim0, dim1 = _check_dim(dim0, ndim), _check_dim(dim1, ndim)
    if ndim == 0:   # dims 0 and -1 of a 0-d tensor name its one element: nothing to swap
        return _as_view_of(Transpose.apply(input, axes=()), input, ("transpose", ()))
    axes = list(range(ndim))
    axes[dim0], axes[dim1] = dim1, dim0
    axes = tuple(axes)
    return _as_view_of(Transpose.apply(input, axes=axes), input, ("transpose", axes))


swapaxes = swapdims = transpose


def permute(input, *dims):
    """Reorder the dims: ``x.permute(2, 0, 1)`` turns (H, W, C) into (C, H, W)."""
    dims = _sizes(dims)
    ndim = input.array.ndim
    if len(dims) != ndim:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does not "
                           "match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {ndim} is not equal to len(dims) = {len(dims)}")
    axes = tuple(_check_dim(d, ndim) for d in dims)
    if len(set(axes)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _as_view_of(Permute.apply(input, axes=axes), input, ("transpose", axes))


def movedim(input, source, destination):
    """Move dim(s) ``source`` to position(s) ``destination``, the others keeping their order."""
    ndim = input.array.ndim
    source = [_check_dim(d, ndim) for d in (source if isinstance(source, (tuple, list)) else (source,))]
    destination = [_check_dim(d, ndim)
                   for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({source} dims) "
                           f"should contain the same number of dims as destination ({destination} dims)")
    if ndim == 0:     # torch's movedim returns self.alias() there: AliasBackward0, not Permute
        return _as_view_of(Alias.apply(input, axes=()), input, ("transpose", ()))
    rest = iter(d for d in range(ndim) if d not in source)
    placed = dict(zip(destination, source))
    return permute(input, tuple(placed[d] if d in placed else next(rest) for d in range(ndim)))


moveaxis = movedim


def t(input):
    """Transpose a matrix; 0-D and 1-D tensors come back as they are (torch's rule)."""
    ndim = input.array.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    axes = tuple(range(ndim - 1, -1, -1))
    return _as_view_of(TransposeMatrix.apply(input, axes=axes), input, ("transpose", axes))


def T(input):
    """The property ``x.T``: all dims reversed."""
    axes = tuple(range(input.array.ndim - 1, -1, -1))
    return _as_view_of(Permute.apply(input, axes=axes), input, ("transpose", axes))


def mT(input):
    """The property ``x.mT``: the last two dims swapped, (..., M, N) -> (..., N, M)."""
    ndim = input.array.ndim
    if ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {ndim}-D tensor.")
    return transpose(input, -2, -1)


# ---- expand and repeat --------------------------------------------------------------------
def expand(input, *sizes):
    """A broadcast view: size-1 dims stretched to ``sizes`` (-1 keeps a dim), new dims in front."""
    sizes = _sizes(sizes)
    shape = input.array.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({input._type_description().split(' ')[0]}{{{list(shape)}}}, "
                           f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor ({len(shape)})")
    leading = len(sizes) - len(shape)
    target = list(sizes)
    for axis in range(len(sizes) - 1, -1, -1):   # torch checks from the last dim back
        size = sizes[axis]
        if axis < leading:
            if size < 0:
                raise RuntimeError(f"The expanded size of the tensor ({size}) isn't allowed in a "
                                   f"leading, non-existing dimension {axis}")
            continue
        existing = shape[axis - leading]
        if size == -1:
            target[axis] = existing
        elif existing != 1 and size != existing:
            raise RuntimeError(f"The expanded size of the tensor ({size}) must match the existing "
                               f"size ({existing}) at non-singleton dimension {axis}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(shape)}")
    return _as_view_of(Expand.apply(input, shape=tuple(target)), input, ("expand", tuple(target)))


def expand_as(input, other):
    return expand(input, other.array.shape)


def broadcast_to(input, size):
    return expand(input, size)


def repeat(input, *sizes):
    """Tile: ``x.repeat(2, 1)`` stacks two copies of a matrix vertically."""
    sizes = _sizes(sizes)
    if len(sizes) < input.array.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return Repeat.apply(input, repeats=sizes)


def tile(input, dims):
    """``repeat`` that also accepts fewer repeats than dims (missing ones count as 1)."""
    dims = _sizes((dims,))
    return repeat(input, (1,) * (input.array.ndim - len(dims)) + dims)


# ---- memory layout and order ---------------------------------------------------------------
def contiguous(input, memory_format=None):
    """``input`` itself when its memory is C-ordered, else a C-ordered copy (differentiable)."""
    if input.array.flags.c_contiguous:
        return input
    return Clone.apply(input, order="C")


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy, as torch)."""
    dims = _sizes(dims)
    ndim = input.array.ndim
    axes = tuple(_check_dim(d, ndim) for d in dims)
    for position, axis in enumerate(axes):
        if axis in axes[:position]:
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
    if ndim == 0:   # dim 0 / -1 of a 0-d tensor is its one element: nothing to reverse
        axes = ()
    return Flip.apply(input, axes=axes)


class Diagonal(Function):
    """The diagonal as a view (``views.diagonal_view``); the gradient is written onto the diagonal of
    zeros, as torch's ``diagonal_backward`` (for Tensors under create_graph: through the view)."""

    differentiable_backward = True

    def forward(self, x, offset, dim1, dim2):
        self.input_shape, self.arguments = x.shape, (offset, dim1, dim2)
        return diagonal_view(x, offset, dim1, dim2)

    def backward(self, grad_output):
        grad = zeros(grad_output, self.input_shape)
        if isinstance(grad, Tensor):
            grad.diagonal(*self.arguments).copy_(grad_output)
        else:
            diagonal_view(grad, *self.arguments)[...] = grad_output
        return grad


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The elements ``input[..., i, ..., i + offset, ...]`` along ``dim1`` and ``dim2``, a view: the
    other dims first, then the diagonal (empty where ``offset`` passes the matrix)."""
    ndim = input.array.ndim
    first, second = _check_dim(dim1, ndim), _check_dim(dim2, ndim)
    if first == second:     # (torch names the dims as given)
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    return _as_view_of(Diagonal.apply(input, offset=offset, dim1=first, dim2=second), input,
                       ("diagonal", (offset, first, second)))


class Unfold(Function):
    """The windows as a view (``views.unfold_view``); the gradient adds each window's gradient back
    where the window was taken from (an element in several windows gets their sum), as torch's
    ``unfold_backward`` (for Tensors under create_graph: through the view, ``Place``)."""

    differentiable_backward = True

    def forward(self, x, dim, size, step):
        self.input_shape, self.arguments = x.shape, (dim, size, step)
        return unfold_view(x, dim, size, step)

    def backward(self, grad_output):
        size = math.prod(self.input_shape)
        xp = module_under(grad_output)
        positions = unfold_view(xp.arange(size).reshape(self.input_shape), *self.arguments)
        grad = _placed(grad_output, (size,), None, (positions,), True, (size,))
        return grad.reshape(self.input_shape)


def unfold(input, dimension, size, step):
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step`` apart, as a
    view: ``dimension`` then counts the windows, and a last dim of ``size`` runs along each
    (``x.unfold(0, 3, 1)`` of 6 elements is 4 windows of 3, sharing elements)."""
    ndim = input.array.ndim
    dim = _check_dim(dimension, ndim)
    size, step = operator.index(size), operator.index(step)
    longest = input.array.shape[dim] if ndim else 1
    if size > longest:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {longest} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _as_view_of(Unfold.apply(input, dim=dim, size=size, step=step), input,
                       ("unfold", (dim, size, step)))


def fliplr(input):
    """``flip(input, 1)``: left and right swapped, for tensors of at least 2 dims (torch's error else)."""
    if input.array.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    """``flip(input, 0)``: up and down swapped, for tensors of at least 1 dim (torch's error else)."""
    if input.array.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by ``k`` quarter turns in the plane of ``dims`` (a copy): (3, 4) -> (4, 3) for odd ``k``."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = input.array.ndim
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    first, second = (_check_dim(dim, ndim) for dim in dims)
    if first == second:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    return Rot90.apply(input, k=int(k), dims=(first, second))


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims) and not (len(shifts) == 1 and not dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    if not dims:
        return Roll.apply(input, shifts=int(shifts[0]), axes=None)
    if input.array.ndim == 0:     # torch names the dim as given
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    axes = tuple(_check_dim(d, input.array.ndim) for d in dims)
    return Roll.apply(input, shifts=tuple(int(shift) for shift in shifts), axes=axes)


# ---- in-place shape changes: the tensor takes the view's shape and history -----------------------
def _become(input, result, torch_name):
    """Make ``input`` the view ``result`` (same memory, new shape, new history), as torch's ``t_``:
    autograd's checks, but no kernel's (an expanded tensor may change its shape: nothing is written).
    The node is the in-place overload's (``torch_name``: ``t_`` is TBackward1, not t's TBackward0)."""
    check_autograd_allows_write(input)
    if getattr(input, "_view", None) is not None:
        # a view stays a view of its base: a stand-in for its old self keeps the chain of specs
        from ..core.tensor import Tensor
        old_self = Tensor._wrap(input.array)
        old_self._view = input._view
        input._view = (old_self, result._view[1])
    input.array = result.array
    input._version_counter.value += 1
    if result.grad_fn is not None:
        result.grad_fn.name = lambda: torch_name
        input._set_history(result.grad_fn, result._output_nr)
    return input


def unsqueeze_(input, dim):
    return _become(input, unsqueeze(input, dim), "UnsqueezeBackward1")


def squeeze_(input, dim=None):
    # torch's overloads: squeeze_() 3, squeeze_(int) 4, squeeze_(tuple) 5
    overload = 3 if dim is None else 5 if isinstance(dim, (tuple, list)) else 4
    return _become(input, squeeze(input, dim), f"SqueezeBackward{overload}")


def t_(input):
    return _become(input, t(input), "TBackward1")


def transpose_(input, dim0, dim1):
    return _become(input, transpose(input, dim0, dim1), "TransposeBackward1")


# ---- repeat_interleave, meshgrid ---------------------------------------------------
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (along ``dim``; of the flattened input when ``None``) ``repeats`` times.

    ``repeats`` is an int or a 1-D int64 tensor of one count per element (or a
    single count).  ``repeat_interleave(counts)`` alone repeats ``arange(len(counts))``.
    """
    if repeats is None:                # torch.repeat_interleave(repeats): indices repeated
        counts = input.array
        if counts.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        xp = array_module(counts)
        return Tensor._wrap(xp.repeat(xp.arange(counts.shape[0], dtype=counts.dtype), counts))
    if dim is None:
        input, axis = input.reshape(-1), 0
    else:
        axis = _check_dim(dim, input.array.ndim)
        if input.array.ndim == 0:
            input = input.reshape(1)
    length = input.array.shape[axis]
    if isinstance(repeats, Tensor):
        counts = repeats.array
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype.kind not in "iu":
            raise RuntimeError("repeats has to be Long or Int tensor")
        counts = counts.reshape(-1)
        if counts.shape[0] == 1:
            counts = array_module(counts).broadcast_to(counts, (length,))
        elif counts.shape[0] != length:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.shape[0]} and input.size({dim}) = {length}")
    else:
        counts = int(repeats)
    if (counts < 0).any() if not isinstance(counts, int) else counts < 0:
        raise RuntimeError("repeats can not be negative")
    result = RepeatInterleave.apply(input, repeats=counts, axis=axis)
    if output_size is not None and result.array.shape[axis] != output_size:
        raise RuntimeError("allocated size does not match required size")
    return result


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: each is viewed along its own dim and expanded.

    ``indexing='ij'`` (torch's default) gives shape ``(len0, len1, ...)``;
    ``'xy'`` gives ``(len1, len0, ...)`` (the Cartesian convention of NumPy).
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("torch.meshgrid: Expected at least one tensor in input")
    for tensor in tensors:
        if tensor.array.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                               f"{tensor!r}")
    first = tensors[0].array
    for tensor in tensors[1:]:
        if tensor.array.dtype != first.dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have the same "
                               "dtype.")
    swap = indexing == "xy" and len(tensors) >= 2
    ordered = list(tensors)
    if swap:
        ordered[0], ordered[1] = ordered[1], ordered[0]
    shape = tuple(t.array.size for t in ordered)
    grids = []
    for axis, tensor in enumerate(ordered):
        along = [1] * len(ordered)
        along[axis] = -1
        grids.append(expand(reshape(tensor, along), shape))
    if swap:       # torch: 'xy' is 'ij' on the first two inputs swapped, outputs swapped back
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views); one whose shape is that already is
    returned itself, as torch's ``expand_outplace``."""
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"expected Tensor as element {position} in argument 0, but got {type(tensor).__name__}")
    shape = broadcast_shapes(*(tensor.array.shape for tensor in tensors)) if tensors else ()
    return tuple(tensor if tensor.array.shape == shape else expand(tensor, shape) for tensor in tensors)
