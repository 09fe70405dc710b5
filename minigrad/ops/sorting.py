"""Sorting and order statistics: ``sort argsort topk kthvalue median msort``, and the searches
in sorted tensors ``searchsorted bucketize`` (integer positions, no gradient).

Each differentiable op returns ``(values, indices)`` as torch's named tuples
(``minigrad.return_types.sort`` ...), ``indices`` being int64 positions along
``dim``.  The gradient of ``values`` goes back to those positions and nowhere
else, so it is a scatter of ``grad_output`` along ``dim``.
NaN sorts as the largest value (as torch).  ``sort(stable=True)`` keeps equal
values in their input order, also for ``descending=True``; otherwise ties (and
``topk``'s and ``kthvalue``'s) are where torch's algorithms leave them
(``tie_order``).  ``median`` is the lower median
(the ``(n - 1) // 2``-th smallest), and the full ``median()`` splits its
gradient evenly among the elements equal to it (torch's ``MedianBackward0``).
"""
from __future__ import annotations

import numbers

from ..core import dtypes
from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..core.layout import dense_strides, relayout
from ..core.device import array_module, quiet_float_errors
from ..core.tensor import Tensor, _check_dim
from .indexing import _along_dim_key
from .placement import _placed
from .reduction import _return_type, return_types
from .tensor_namespace import astype
from .tie_order import INSERTION_SORT_SIZE, REPLAY_LIMIT, kth_smallest, sort_order, topk_order

_INT64 = dtypes.int64.numpy

# torch.return_types.sort etc.: the same named-tuple mechanism as max/min
for _name in ("sort", "topk", "kthvalue", "median"):
    setattr(return_types, _name, _return_type(_name))


# ---- array helpers ------------------------------------------------------------------------
def _argsort(x, axis, descending):
    """Stable positions that sort ``x`` along ``axis``; ties keep their input order either way."""
    xp = array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # a stable ascending sort of the reversed slice, read backwards, is a stable descending sort
    n = x.shape[axis]
    reversed_order = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - xp.flip(reversed_order, axis)


def _with_torch_ties(x, axis, order, chosen, replay):
    """``chosen`` (positions along ``axis``, taken from ``order``, the stable sort of ``x``) with
    each slice of ``x`` that holds equal values given ``replay(its values)`` instead: the
    positions torch's algorithm leaves there (``tie_order``)."""
    xp = array_module(x)
    if not 2 <= x.shape[axis] <= REPLAY_LIMIT or x.size == 0:
        return chosen
    ordered = xp.moveaxis(xp.take_along_axis(x, order, axis), axis, -1)
    before, after = ordered[..., :-1], ordered[..., 1:]
    tied = ((before == after) | ((before != before) & (after != after))).any(axis=-1)   # NaNs tie too
    if not tied.any():
        return chosen
    chosen = chosen.astype(_INT64)           # a copy, written through the view below
    slices = xp.moveaxis(chosen, axis, -1)
    slices[tied] = [replay(values) for values in xp.moveaxis(x, axis, -1)[tied].tolist()]
    return chosen


def _scatter_along(grad_output, indices, axis, shape):
    """Zeros of ``shape`` plus ``grad_output`` added at ``indices`` along ``axis`` (an op on
    Tensors, create_graph=True: its own gradient gathers at the same, constant, indices)."""
    key = _along_dim_key(indices, axis)
    return _placed(grad_output, shape, None, key, True, shape)


# ---- Functions ----------------------------------------------------------------------------
class _SelectAlong(Function):
    """Values picked along ``axis`` by int64 ``indices``; the gradient goes back to them.

    Backward: ``grad_output`` scattered (added) at the indices, which stay constant.  A 0-d
    input is one element along its dim 0, and the op's results are 0-d (one node, as torch's).
    """

    differentiable_backward = True
    zero_dim = False

    def forward(self, x, axis, **options):
        if x.ndim:
            return self.select(x, axis, **options)
        self.zero_dim = True
        values, indices = self.select(x.reshape(1), 0, **options)
        values, indices = values.reshape(()), indices.reshape(())
        self.save_for_backward(indices)       # the output itself, for the version check
        return values, indices

    def finish(self, x, indices, keepdim=True):
        indices = indices.astype(_INT64, copy=False)
        values = array_module(x).take_along_axis(x, indices, axis=self.axis)
        self.shape, self.keepdim = x.shape, keepdim
        if not keepdim:
            values, indices = values.squeeze(self.axis), indices.squeeze(self.axis)
        self.save_for_backward(indices)
        return values, indices

    def backward(self, grad_output, grad_indices):
        if self.zero_dim:                   # its one element is its only value
            return grad_output
        (indices,) = self.saved_tensors
        indices = indices.array if isinstance(indices, Tensor) else indices   # constant positions
        if not self.keepdim:
            grad_output = array_module(grad_output).expand_dims(grad_output, self.axis)
            indices = array_module(indices).expand_dims(indices, self.axis)
        return _scatter_along(grad_output, indices, self.axis, self.shape)


def _sort_positions(x, axis, descending, stable):
    order = _argsort(x, axis, descending)
    if stable or x.ndim and x.shape[axis] <= INSERTION_SORT_SIZE:   # torch's sort is stable there too
        return order
    return _with_torch_ties(x, axis, order, order, lambda values: sort_order(values, descending))


class Sort(_SelectAlong):
    def select(self, x, axis, descending, stable):
        self.axis = axis
        values, indices = self.finish(x, _sort_positions(x, axis, descending, stable))
        # laid out as torch's ``empty_like(self)``: a transposed input's sort is transposed too, so
        # ``view(-1)`` of it fails as torch's (fuzz seed 2979680)
        strides = dense_strides(x)
        return relayout(values, strides), relayout(indices, strides)


class Topk(_SelectAlong):
    def select(self, x, axis, k, largest):
        self.axis = axis
        order = _argsort(x, axis, descending=largest)
        chosen = array_module(x).take(order, range(k), axis=axis)
        return self.finish(x, _with_torch_ties(x, axis, order, chosen, lambda values: topk_order(values, k, largest)))


class Kthvalue(_SelectAlong):
    """The ``position``-th smallest value along ``axis`` (0-based); ``median(dim)`` is one."""

    def name(self):
        return self.torch_name

    def select(self, x, axis, position, keepdim, torch_name, nan_propagates=False):
        self.axis, self.torch_name = axis, torch_name
        xp = array_module(x)
        order = _argsort(x, axis, descending=False)
        chosen = xp.take(order, [position], axis=axis)
        if not nan_propagates:     # kthvalue's quickselect; median breaks ties by position (stable)
            chosen = _with_torch_ties(x, axis, order, chosen, lambda values: [kth_smallest(values, position)])
        if nan_propagates and x.dtype.kind == "f":
            # torch's median: a slice holding NaN has median NaN, at its first NaN
            nan = xp.isnan(x)
            first_nan = xp.argmax(nan, axis=axis, keepdims=True)
            chosen = xp.where(nan.any(axis=axis, keepdims=True), first_nan, chosen)
        return self.finish(x, chosen, keepdim)


class Median(Function):
    """The lower median of all elements, NaN if any is (as torch); the gradient is shared by the
    elements equal to it, or by the NaNs (torch's evenly_distribute_backward)."""

    differentiable_backward = True

    def forward(self, x):
        xp = array_module(x)
        # NaN sorts last: the median is NaN when the last one is.  (A stable sort: NumPy's default
        # float16 sort on AVX-512 gives a NaN back as 0x7C01, signalling, whose ** 0 is NaN, not 1;
        # fuzz seed 2702185)
        flat = xp.sort(x.reshape(-1), kind="stable")
        if flat.size == 0:                # torch: NaN, cast to the dtype (silently)
            with quiet_float_errors():
                result = xp.full((), float("nan"), dtype=x.dtype)
        elif x.dtype.kind == "f" and xp.isnan(flat[-1]):
            result = xp.asarray(flat[-1])
        else:
            result = xp.asarray(flat[(flat.size - 1) // 2])
        self.save_for_backward(x, result)
        return result

    def backward(self, grad_output):
        """``grad_output`` shared evenly by the tied elements (a constant mask)."""
        x, result = self.saved_tensors
        if isinstance(x, Tensor):        # create_graph=True: which elements tie is a constant
            x, result = x.array, result.array
        xp = array_module(x)
        ties = xp.isnan(x) if x.dtype.kind == "f" and xp.isnan(result) else (x == result)
        # torch's masked_fill: the other elements get exactly 0, even when grad_output is NaN
        mask = Tensor._wrap(ties) if isinstance(grad_output, Tensor) else ties
        shared = grad_output / max(int(ties.sum()), 1)
        return astype(array_module(grad_output).where(mask, shared, 0), x.dtype)


# ---- checks -------------------------------------------------------------------------------
def _tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def _int_arg(value, name, argument):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}(): argument '{argument}' must be int, not {type(value).__name__}")
    return int(value)


def _along(function, input, dim, **options):
    """Run ``function`` along ``dim`` (of a 0-d tensor: along its one element)."""
    axis = _check_dim(_int_arg(dim, function.__name__.lower(), "dim"), input.array.ndim)
    return function.apply(input, axis=axis, **options)


# ---- public functions ---------------------------------------------------------------------
def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim``; ``values == input.gather(dim, indices)``."""
    _tensor(input, "sort")
    return return_types.sort(*_along(Sort, input, dim, descending=bool(descending), stable=bool(stable)))


def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 ``indices`` of ``sort(input, dim, descending)`` (no gradient)."""
    _tensor(input, "argsort")
    axis = _check_dim(_int_arg(dim, "argsort", "dim"), input.array.ndim)
    if input.requires_grad and is_grad_enabled():
        # torch's argsort is sort's indices: its Sort node asks for the input's history, which
        # makes a view's anew after its base was written (no leaf to a later in-place check;
        # fuzz seed 2201336)
        input.grad_fn
    if input.array.ndim == 0:
        return Tensor._wrap(array_module(input.array).zeros((), dtype=_INT64))
    positions = _sort_positions(input.array, axis, bool(descending), bool(stable)).astype(_INT64, copy=False)
    return Tensor._wrap(relayout(positions, dense_strides(input.array)))     # (laid out as sort's)


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) values along ``dim``, largest first, and their indices."""
    _tensor(input, "topk")
    k = _int_arg(k, "topk", "k")
    axis = _check_dim(_int_arg(dim, "topk", "dim"), input.array.ndim)
    size = input.array.shape[axis] if input.array.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.dtype == dtypes.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if input.array.ndim == 0:
        k = 1          # torch: a 0-d input is its own top-k, for k 0 or 1
    return return_types.topk(*_along(Topk, input, dim, k=k, largest=bool(largest)))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value (``k`` from 1) along ``dim`` and its index."""
    _tensor(input, "kthvalue")
    k = _int_arg(k, "kthvalue", "k")
    axis = _check_dim(_int_arg(dim, "kthvalue", "dim"), input.array.ndim)
    size = input.array.shape[axis] if input.array.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {axis} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if input.dtype == dtypes.bool and input.array.ndim:    # a 0-d input runs no kernel in torch
        raise NotImplementedError('"kthvalue_cpu" not implemented for \'Bool\'')
    return return_types.kthvalue(*_along(Kthvalue, input, dim, position=k - 1, keepdim=bool(keepdim),
                                         torch_name="KthvalueBackward0"))


def median(input, dim=None, keepdim=False):
    """``median(x)``: the lower median of all elements; ``median(x, dim)``: ``(values, indices)``."""
    _tensor(input, "median")
    if dim is None:
        if input.array.size and input.dtype == dtypes.bool:
            raise NotImplementedError('"median_cpu" not implemented for \'Bool\'')
        return Median.apply(input)
    axis = _check_dim(_int_arg(dim, "median", "dim"), input.array.ndim)
    size = input.array.shape[axis] if input.array.ndim else 1
    if size == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    if input.dtype == dtypes.bool:
        raise NotImplementedError('"median_out" not implemented for \'Bool\'')
    return return_types.median(*_along(Kthvalue, input, dim, position=(size - 1) // 2,
                                       keepdim=bool(keepdim), torch_name="MedianBackward1",
                                       nan_propagates=True))


# ---- searches in sorted tensors ------------------------------------------------------------
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of ``input`` would go in ``sorted_sequence`` (sorted along its last dim) to keep
    it sorted: before equal values (``side='left'``, the default) or after them (``right=True``,
    ``side='right'``).  A sequence of several dims searches row by row, its leading dims those of
    ``input``; ``sorter`` gives the order of an unsorted sequence.  int64 positions (int32 with
    ``out_int32``), as torch's; NaN goes after every number."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               "left while right was True")
        right = side == "right"
    if not isinstance(sorted_sequence, Tensor):
        raise TypeError("searchsorted(): argument 'sorted_sequence' (position 1) must be Tensor, not "
                        f"{type(sorted_sequence).__name__}")
    boundaries = sorted_sequence.array
    values = input.array if isinstance(input, Tensor) else None
    xp = array_module(boundaries)
    if boundaries.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if values is None:
        values = xp.asarray(input)
    if values.ndim == 0 and boundaries.ndim != 1:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({boundaries.ndim}) and input "
                           "value's dim(0) numel(1)")
    if boundaries.ndim > 1 and boundaries.shape[:-1] != values.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(boundaries.shape)} and input value tensor {list(values.shape)}")
    if boundaries.dtype == bool:
        raise NotImplementedError('"searchsorted_out_cpu" not implemented for \'Bool\'')
    if sorter is not None:
        order = sorter.array
        if order.dtype != _INT64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{dtypes.scalar_type_name(order.dtype)}")
        if order.shape != boundaries.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(boundaries.shape)}and got sorter tensor {list(order.shape)}")
        if order.size and (int(order.min()) < 0 or int(order.max()) >= boundaries.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        boundaries = xp.take_along_axis(boundaries, order, axis=-1)
    common = xp.result_type(boundaries, values)      # (compared in their common dtype, as torch promotes)
    boundaries, values = boundaries.astype(common, copy=False), values.astype(common, copy=False)
    where = "right" if right else "left"
    if boundaries.ndim == 1:
        positions = xp.searchsorted(boundaries, values, side=where)
    else:                                            # row by row
        rows = boundaries.reshape(-1, boundaries.shape[-1])
        wanted = values.reshape(rows.shape[0], -1)
        positions = xp.stack([xp.searchsorted(row, want, side=where) for row, want in zip(rows, wanted)]
                             ).reshape(values.shape)
    return Tensor._wrap(xp.asarray(positions).astype(xp.int32 if out_int32 else _INT64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the sorted 1-D ``boundaries``: ``i`` with
    ``boundaries[i - 1] < x <= boundaries[i]`` (``<= x <`` with ``right=True``): ``searchsorted``'s
    positions, with the arguments the other way round."""
    if not isinstance(boundaries, Tensor):
        raise TypeError(f"bucketize(): argument 'boundaries' (position 2) must be Tensor, not {type(boundaries).__name__}")
    if boundaries.array.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.array.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "searchsorted", "bucketize"]
