"""torch's reading of an index key, for its errors and their order.

torch runs ``x[key]`` and ``x[key] = value`` in two stages.  First (its
``applySlicing``) the key's ints, slices, ``None``, ``...`` and bools are applied
in order, as views of ``x``: the *sliced* tensor.  Then (ATen's ``index`` /
``index_put_``) the index tensors are checked and used together: a mask becomes
its nonzero columns, all are broadcast, and the kernel checks each index as it
reads it.  Each stage raises its own errors, in an order NumPy does not follow,
and the kernel checks nothing when there is nothing to read.  ``read_key`` and
``check_indices`` raise torch's errors in torch's order; what they accept, NumPy
then runs.
"""
from __future__ import annotations

import numbers

import numpy

from ..core.tensor import Tensor


class KeyReading:
    """What torch's first stage leaves: the sliced tensor's ``shape``, for each of its dims the
    input's dim it is (``origin``; None for a dim a None or a bool added), the index arrays
    at the sliced dim where each starts (``indices``: ``(dim, array, item position)``), and
    whether the first stage made a view (any int, None, bool or narrowing slice)."""

    __slots__ = ("shape", "origin", "indices", "view")

    def __init__(self, shape, origin, indices, view):
        self.shape, self.origin, self.indices, self.view = shape, origin, indices, view


def specified_dims(items):
    """torch's count of the dims a key names: a bool or uint8 tensor its own number, None,
    ``...`` and Python bools none, anything else (an int, a slice, a list, an array) one."""
    count = 0
    for item in items:
        if isinstance(item, Tensor):
            count += item.array.ndim if item.array.dtype.char in "?B" else 1     # bool, uint8
        elif item is not None and item is not Ellipsis and type(item) is not bool:
            count += 1
    return count


def read_key(shape, items, converted, single_int=False):
    """torch's first stage over ``shape``; ``converted`` is ``items`` with index arrays and
    0-d integer tensors read (as ints).  ``single_int``: the key is a lone int, which torch
    selects without counting dims first (so a 0-d tensor's ``x[0]`` gets its own message)."""
    ndim = len(shape)
    specified = specified_dims(items)
    if specified > ndim and not single_int:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    sliced, origin = list(shape), list(range(ndim))
    indices, view, dim = [], False, 0
    for position, item in enumerate(converted):
        kind = type(item)
        if kind is int:
            if item == 0 and not sliced:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            size = sliced[dim] if dim < len(sliced) else 0
            if not -size <= item < size:     # torch names the item's place in the key
                raise IndexError(f"index {item} is out of bounds for dimension {position} with size {size}")
            del sliced[dim], origin[dim]
            view = True
        elif kind is slice:
            if item.step is not None:
                check_step(item.step)
            size = sliced[dim]
            sliced[dim] = len(range(*item.indices(size)))
            # torch skips a slice from 0 in steps of 1 up to the end or past it (not ``-size:``)
            view |= not (item.start in (None, 0) and item.step in (None, 1)
                         and (item.stop is None or item.stop >= size))
            dim += 1
        elif item is Ellipsis:
            dim += ndim - specified
        elif item is None:
            sliced.insert(dim, 1)
            origin.insert(dim, None)
            view = True
            dim += 1
        elif kind is bool or item.ndim == 0:    # True / False: a new dim of size 1, all or none of it
            sliced.insert(dim, 1)
            origin.insert(dim, None)
            view = True
            indices.append((dim, numpy.zeros(1 if item else 0, numpy.int64), position))
            dim += 1
        else:                                   # an index array (int, or a bool mask)
            indices.append((dim, item, position))
            dim += item.ndim if item.dtype.kind == "b" else 1
    return KeyReading(sliced, origin, indices, view)


def without_extra_ellipses(shape, items, converted):
    """A key holding more than one ``...`` as torch reads it, rewritten without any: torch moves
    on ``ndim - specified`` dims at each ``...`` (``specified_dims``), so a second one moves past
    the last dim.  Past it a full slice and a ``...`` do nothing; an int, a narrowing slice,
    None or a bool raises the error torch's first stage raises there; an index array raises the
    second stage's count of indices, if nothing after it raises first.  (Past the last dim torch
    reads a size from beyond the sizes it holds: 0 in the slots after them, which is what this
    takes; further on, where it reads the strides, this differs.)  ``converted`` is ``items``
    read (``read_key``'s).  Returns the items, each ``...`` replaced by the full slices it
    stands for, for NumPy (which takes one ``...``)."""
    ndim = len(shape)
    specified = specified_dims(items)
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    sliced, dim, rewritten, indices = list(shape), 0, [], None
    for position, (item, read) in enumerate(zip(items, converted)):
        kind = type(read)
        if read is Ellipsis:
            rewritten.extend([slice(None)] * max(0, min(ndim - specified, len(sliced) - dim)))
            dim += ndim - specified
            continue
        past = dim >= len(sliced)
        if kind is int:
            size = 0 if past else sliced[dim]
            if not -size <= read < size:
                raise IndexError(f"index {read} is out of bounds for dimension {position} with size {size}")
            del sliced[dim]
        elif kind is slice:
            if read.step is not None:
                check_step(read.step)
            dim += 1
            if past:
                if not (read.start in (None, 0) and read.step in (None, 1)
                        and (read.stop is None or read.stop >= 0)):
                    raise IndexError(f"Dimension out of range (expected to be in range of "
                                     f"[{-len(sliced)}, {len(sliced) - 1}], but got {dim - 1})")
                continue
        elif read is None or kind is bool or read.ndim == 0:      # a new dim: unsqueeze(dim)
            if dim > len(sliced):
                raise IndexError(f"Dimension out of range (expected to be in range of "
                                 f"[{-len(sliced) - 1}, {len(sliced)}], but got {dim})")
            sliced.insert(dim, 1)
            dim += 1
        else:                                                      # an index array
            if past:
                indices = dim + 1
            dim += read.ndim if read.dtype.kind == "b" else 1
            if past:
                continue
        rewritten.append(item)
    if indices is not None:
        raise IndexError(f"too many indices for tensor of dimension {len(sliced)} (got {indices})")
    return tuple(rewritten)


def check_step(step):
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")


def check_mask(reading, dim, mask):
    """torch's check that a mask's shape is that of the sliced dims it covers."""
    for j, size in enumerate(mask.shape):
        if dim + j >= len(reading.shape) or size != reading.shape[dim + j]:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not match the "
                             f"shape of the indexed tensor {list(reading.shape)} at index {dim + j}")


def check_indices(reading):
    """torch's second stage before any element is read (ATen's ``make_info``): each mask's shape,
    then the index shapes broadcast together, then no index into a dim of size 0.  Returns
    ``(columns, shape)``: the index arrays as torch holds them (a mask as one column per dim,
    None standing for its nonzero positions), each ``(sliced dim, array or None)``, and their
    broadcast shape."""
    columns, shapes = [], []
    for dim, array, _ in reading.indices:
        if array.dtype.kind == "b":
            check_mask(reading, dim, array)
            count = int(array.sum())
            columns.extend((dim + j, None) for j in range(array.ndim))
            shapes.extend((count,) for _ in range(array.ndim))
        else:
            columns.append((dim, array))
            shapes.append(tuple(array.shape))
    try:
        shape = shapes[0] if len(shapes) == 1 or all(each == shapes[0] for each in shapes) \
            else numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(each)) for each in shapes)) from None
    if 0 not in shape and any(reading.shape[dim] == 0 for dim, _ in columns):
        raise IndexError("index is out of bounds for dimension with size 0")
    return columns, shape


def result_shape(reading, columns, shape):
    """The shape of ``sliced[indices]`` as torch lays it out: the index shape in place of the
    indexed dims when they are adjacent, else first."""
    first, last = columns[0][0], columns[-1][0]       # the indexed dims, in increasing order
    if last - first + 1 == len(columns):
        return tuple(reading.shape[:first]) + tuple(shape) + tuple(reading.shape[last + 1:])
    indexed = {dim for dim, _ in columns}
    return tuple(shape) + tuple(size for dim, size in enumerate(reading.shape) if dim not in indexed)


def check_bounds(reading, columns, shape, xp):
    """torch's index kernel: each element's indices in order, the first out of range raising.
    Nothing is read, so nothing is checked, when the result is empty: then it returns True.
    The message names the input's dim that the index reads (torch names the index's place
    among the index tensors, pytorch/pytorch#38202)."""
    if 0 in shape or 0 in reading.shape:     # (an indexed dim of size 0 with indices has raised)
        return True
    bad = []
    for dim, array in columns:
        if array is not None:
            size = reading.shape[dim]
            low, high = _extremes(array)
            if low < -size or high >= size:
                outside = (array < -size) | (array >= size)
                bad.append((dim, xp.broadcast_to(array, shape), xp.broadcast_to(outside, shape)))
    if not bad:
        return False
    anywhere = bad[0][2].copy()
    for _, _, outside in bad[1:]:
        anywhere |= outside
    first = int(anywhere.reshape(-1).argmax())
    for dim, array, outside in bad:
        if outside.reshape(-1)[first]:
            raise IndexError(f"index {int(array.reshape(-1)[first])} is out of bounds for dimension "
                             f"{reading.origin[dim]} with size {reading.shape[dim]}")


def _extremes(array):
    """``(min, max)`` of a non-empty int array: through a Python list when it is short (two NumPy
    reductions cost more than the list there)."""
    if array.size <= 256:
        values = array.ravel().tolist()
        return min(values), max(values)
    return int(array.min()), int(array.max())


def in_range(reading, converted, xp):
    """``converted`` with its index arrays clipped into range: for a key torch accepts because
    its result is empty (and so reads nothing), where NumPy would still check every index."""
    converted = list(converted)
    for dim, array, position in reading.indices:
        size = reading.shape[dim]
        if array.dtype.kind != "b" and size and converted[position] is array:
            converted[position] = xp.clip(array, -size, size - 1)
    return tuple(converted)


def is_integer_key(key):
    """A lone Python or NumPy int (not a bool): torch's fast path for ``x[3]``."""
    return isinstance(key, numbers.Integral) and not isinstance(key, (bool, numpy.bool_))
