"""The memory layout torch gives a new tensor that keeps its inputs' layout, where NumPy's differs.

NumPy lays out the result of a ufunc or of ``astype`` in the order its operands' strides suggest
(C order where they disagree, a broadcast dim innermost when copied alone); torch follows two
rules of its own, both in element strides:

* ``dense_strides``: a copy that preserves the format (``clone``, ``to(dtype)``) of a tensor with
  gaps or repeats (``infer_dense_strides`` in ATen's ExpandUtils.cpp): dims sorted by stride, a
  broadcast (stride-0) dim left where row-major order puts it;
* ``elementwise_strides``: the output of an element-wise op of several tensors (TensorIterator's
  ``fast_set_up``, ``reorder_dimensions`` and ``allocate_or_resize_outputs``): the layout all
  operands share, else the dims sorted by stride with the first operand that orders two dims
  deciding, broadcast dims not counting.

``relayout(array, strides)`` copies an array into such strides (None: row-major);
``elementwise_result`` and ``cast`` apply the two rules.  ``iterator_rows`` gives the order
TensorIterator loops over its operands in (a kernel that checks as it goes names the first
bad element in that order).

A dim of size 1 takes any stride without moving an element, and torch gives it one that later
layouts read (TensorIterator orders dims by every stride, a size-1 dim's too), where NumPy gives 0:
``unsqueezed`` gives a view torch's strides there (``x[None]``, ``expand`` to a new dim of size 1).
"""
from __future__ import annotations

from .device import array_module
from .dtypes import converted


def element_strides(array):
    """``array``'s strides in elements, as torch counts them."""
    return tuple([step // array.itemsize for step in array.strides])


def row_major(shape):
    """torch's contiguous strides for ``shape`` (a dim of size 0 counts as 1)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def is_row_major(array):
    """Are ``array``'s strides torch's contiguous strides, a size-1 dim's too (which NumPy's
    C-contiguity ignores)?"""
    if not array.flags.c_contiguous:
        return False
    # (C order says the rest)
    return 1 not in array.shape or element_strides(array) == row_major(array.shape)


def contiguous_in_order(shape, strides, order):
    """No gaps, no repeats, dims in ``order`` (outermost first); dims of size 1 take any stride."""
    expected = 1
    for dim in reversed(order):
        if shape[dim] != 1:
            if strides[dim] != expected:
                return False
            expected *= shape[dim]
    return True


def view_strides(shape, strides, new_shape):
    """The element strides torch's ``view`` gives a tensor of ``shape`` and ``strides`` reshaped to
    ``new_shape`` (ATen's ``computeStride``), None where no view can (``reshape`` copies then).  It
    works chunk by chunk of dims that step on from each other without a gap, a dim of size 1 joining
    any chunk, and gives each new dim of a chunk the strides of a row-major block in it, a new dim of
    size 1 too (where NumPy keeps the old stride or gives another)."""
    if not shape:
        return (1,) * len(new_shape)
    if 0 in shape:    # (no element to place: the old strides for the same shape, else row-major)
        return tuple(strides) if tuple(shape) == tuple(new_shape) else row_major(new_shape)
    new_strides = [0] * len(new_shape)
    view_dim, base, count, view_count = len(new_shape) - 1, strides[-1], 1, 1
    for dim in reversed(range(len(shape))):
        count *= shape[dim]
        if dim == 0 or (shape[dim - 1] != 1 and strides[dim - 1] != count * base):   # a chunk's end
            while view_dim >= 0 and (view_count < count or new_shape[view_dim] == 1):
                new_strides[view_dim] = view_count * base
                view_count *= new_shape[view_dim]
                view_dim -= 1
            if view_count != count:
                return None
            if dim > 0:
                base, count, view_count = strides[dim - 1], 1, 1
    return tuple(new_strides) if view_dim == -1 else None


def _is_non_overlapping_and_dense(shape, strides):
    order = sorted(range(len(shape)), key=lambda dim: strides[dim], reverse=True)
    return contiguous_in_order(shape, strides, order)


def _strides_for_order(shape, fastest_first, multiply_empty):
    """Dense strides with the dims in ``fastest_first`` order (innermost first)."""
    strides, step = [0] * len(shape), 1
    for dim in fastest_first:
        strides[dim] = step
        step *= shape[dim] if multiply_empty or shape[dim] > 1 else 1
    return tuple(strides)


def _sorted_by_stride(shape, operand_strides):
    """torch's insertion sort of the dims, innermost first, starting from row-major order: two dims
    swap where the first operand with non-zero, unequal strides there says so (or, at equal
    strides, where the outer dim is the longer); no such operand leaves them as they are."""
    def should_swap(dim0, dim1):
        for strides in operand_strides:
            stride0, stride1 = strides[dim0], strides[dim1]
            if stride0 == 0 or stride1 == 0:
                continue
            if stride0 != stride1:
                return 1 if stride0 > stride1 else -1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0

    order = list(reversed(range(len(shape))))
    for i in range(1, len(order)):
        moving = i
        for j in reversed(range(i)):
            comparison = should_swap(order[j], order[moving])
            if comparison > 0:
                order[j], order[moving] = order[moving], order[j]
                moving = j
            elif comparison < 0:
                break
    return order


def iterator_rows(shape, operand_strides):
    """TensorIterator's loop over ``shape`` (``operand_strides``: each operand's element strides
    over it, its output's first): the dims, innermost first, in the order it sorts them
    (``reorder_dimensions``), and how many of the innermost it merges into the one dim its inner
    loop runs along (``coalesce_dimensions``: a dim of size 1 always, else one that each operand
    steps on from the merged ones without a gap)."""
    order = _sorted_by_stride(shape, operand_strides)
    if not order:
        return order, 0
    size, strides = shape[order[0]], [each[order[0]] for each in operand_strides]
    merged = 1
    for dim in order[1:]:
        if size != 1 and shape[dim] != 1 and any(
                size * stride != each[dim] for stride, each in zip(strides, operand_strides)):
            break
        if size == 1:
            strides = [each[dim] for each in operand_strides]
        size *= shape[dim]
        merged += 1
    return order, merged


def dense_strides(array):
    """The strides of torch's format-preserving copy of ``array`` (``clone``, ``to(dtype)``): its own
    where it has no gaps and no repeats (a size-1 dim's stride too), else its dims sorted by stride."""
    strides, shape = element_strides(array), array.shape
    if array.flags.c_contiguous or _is_non_overlapping_and_dense(shape, strides):
        return strides
    order = _sorted_by_stride(shape, [strides])
    return _strides_for_order(shape, order, multiply_empty=False)


def elementwise_strides(shape, operands):
    """The strides of torch's output of an element-wise op of ``operands`` (arrays, cast to the
    op's dtype as torch casts them), broadcast to ``shape``; None for row-major."""
    ndim = len(shape)
    all_strides = [element_strides(operand) for operand in operands]
    if all([operand.shape == shape for operand in operands]):     # TensorIterator's fast set-up
        row_major_order = tuple(range(ndim))
        if all([contiguous_in_order(shape, strides, row_major_order) for strides in all_strides]):
            return None
        if ndim == 4 and all([contiguous_in_order(shape, strides, (0, 2, 3, 1)) for strides in all_strides]):
            return _strides_for_order(shape, (1, 3, 2, 0), multiply_empty=False)   # channels last
        first = all_strides[0]
        if (all([strides == first for strides in all_strides])
                and _is_non_overlapping_and_dense(shape, first)):
            return first
    broadcast = []
    for operand, strides in zip(operands, all_strides):
        offset = ndim - operand.ndim
        broadcast.append([0] * offset + [0 if size == 1 and shape[offset + dim] != 1 else stride
                                         for dim, (size, stride) in enumerate(zip(operand.shape, strides))])
    order = _sorted_by_stride(shape, broadcast)
    if order == list(reversed(range(ndim))):
        return None
    return _strides_for_order(shape, order, multiply_empty=True)


def index_strides(view, indexed):
    """The strides of torch's ``view[indices]`` (``at::index``: TensorIterator over the view restrided
    to the result's shape and the index tensors), None for row-major.  ``indexed``: the position in
    ``view`` of each index array and the array (a bool mask: the 1-d columns of its nonzero, one per
    dim it covers).  torch broadcasts the indices, moves the dims they index to the front where they
    are not adjacent, and orders the result's dims as ``elementwise_strides`` orders an element-wise
    op's: by the view's strides outside the indexed dims, by the indices' within them."""
    xp = array_module(view)
    dims, indices = [], []
    for dim, index in indexed:
        if index.dtype.kind == "b":
            dims.extend(range(dim, dim + index.ndim))
            indices.extend(xp.nonzero(index))
        else:
            dims.append(dim)
            indices.append(index)
    indices = xp.broadcast_arrays(*indices)
    index_shape, source_strides = indices[0].shape, element_strides(view)
    if dims != list(range(dims[0], dims[0] + len(dims))):   # not adjacent: the indexed dims go first
        before, after = [], [dim for dim in range(view.ndim) if dim not in dims]
    else:
        before, after = list(range(dims[0])), list(range(dims[-1] + 1, view.ndim))
    shape = tuple([view.shape[dim] for dim in before] + list(index_shape) + [view.shape[dim] for dim in after])
    restrided_view = ([source_strides[dim] for dim in before] + [0] * len(index_shape)
                      + [source_strides[dim] for dim in after])
    # each index reshaped to the result's dims (``reshape_indexer``): torch's view, whose new dims of
    # size 1 have strides that order the result's dims too where the result's dim has size 1 (fuzz seed
    # 3422963: x.permute(2, 0, 1)[None, i, j] is row-major in torch), 0 where it is broadcast
    reshaped_indices = []
    for index in indices:
        padded = (1,) * len(before) + index.shape + (1,) * len(after)
        strides = view_strides(index.shape, element_strides(index), padded)
        reshaped_indices.append([0 if size == 1 and shape[dim] != 1 else stride
                                 for dim, (size, stride) in enumerate(zip(padded, strides))])
    order = _sorted_by_stride(shape, [restrided_view] + reshaped_indices)
    if order == list(reversed(range(len(shape)))):
        return None
    return _strides_for_order(shape, order, multiply_empty=True)


def unsqueezed(array, strides):
    """``array`` viewed with the element ``strides``, which differ from its own at size-1 dims
    only: the same elements, torch's strides."""
    if element_strides(array) == tuple(strides):
        return array
    steps = [stride * array.itemsize for stride in strides]
    return array_module(array).lib.stride_tricks.as_strided(array, array.shape, steps)


def basic_index_strides(shape, strides, key, result_strides):
    """The element strides of torch's ``x[key]`` (``key``: ints, slices, None, ``...``) for ``x`` of
    ``shape`` and ``strides``, NumPy's ``result_strides`` but at a None: torch unsqueezes there, the
    new dim's stride the size times the stride of the dim of ``x`` the key reads next (1 past the last)."""
    result_strides = list(result_strides)
    consumed = sum([1 for item in key if item is not None and item is not Ellipsis])
    dim = position = 0
    for item in key:
        if item is Ellipsis:
            dim += len(shape) - consumed
            position += len(shape) - consumed
        elif item is None:
            result_strides[position] = shape[dim] * strides[dim] if dim < len(shape) else 1
            position += 1
        else:
            dim += 1
            position += type(item) is slice
    return result_strides


def channels_last(array):
    """Whether torch's ``suggest_memory_format`` of a 4-d or 5-d ``array`` is channels-last: its
    channels innermost, the rest in C order, and not C-contiguous too."""
    return (array.ndim in (4, 5) and not array.flags.c_contiguous
            and array_module(array).moveaxis(array, 1, -1).flags.c_contiguous)


def preserved_copy(array):
    """torch's ``clone()`` (``memory_format=torch.preserve_format``): a copy in ``array``'s own layout
    where it has no gaps and no repeats, else its dims in their stride order, made dense."""
    return relayout(array.copy(order="K"), dense_strides(array))


def relayout(array, strides):
    """``array`` with the element ``strides`` given (None: row-major), copied only if a dim longer
    than 1 has another stride (a size-1 dim takes its stride by a view)."""
    if strides is None and is_row_major(array):      # the common case
        return array
    strides = row_major(array.shape) if strides is None else tuple(strides)
    current = element_strides(array)
    if current == strides:       # the common case
        return array
    if array.size and any([size > 1 and mine != wanted
                           for size, mine, wanted in zip(array.shape, current, strides)]):
        outermost_first = sorted(range(array.ndim), key=lambda dim: strides[dim], reverse=True)
        buffer = array_module(array).empty([array.shape[dim] for dim in outermost_first], array.dtype)
        copy = buffer.transpose([outermost_first.index(dim) for dim in range(array.ndim)])
        copy[...] = array
        array = copy
    return unsqueezed(array, strides)


def elementwise_result(result, operands):
    """``result`` of an element-wise op of the arrays ``operands`` in torch's layout: ``result`` itself
    where every operand is row-major (the common case, checked first) or NumPy agrees, else a copy."""
    for operand in operands:
        if not operand.flags.c_contiguous:
            if len(operands) == 1 and result.shape == operand.shape and \
                    element_strides(result) == element_strides(operand):
                return result   # (a fresh result laid out as its one input: that input is dense, torch's layout)
            return relayout(result, elementwise_strides(result.shape, operands))
    return result


def cast(array, dtype):
    """``array`` as ``dtype`` (itself if it is of it) in the layout of torch's ``to(dtype)``."""
    if array.dtype == dtype:      # (the common case, without a call: a backward's casts are per op)
        return array
    result = converted(array, dtype, copy=False)
    return relayout(result, dense_strides(array)) if result is not array else result
