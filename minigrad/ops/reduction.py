"""Reductions: ``sum mean var std prod max min amax amin argmax argmin norm cumsum cumprod``,
and ``var_mean std_mean count_nonzero diff``.

Every reduction takes torch's ``dim`` (an int, a tuple of ints, or ``None``
for all dimensions) and ``keepdim``.  The backward of a reduction broadcasts
the output gradient back over the reduced dimensions (``_unreduce``) and
scales it by the local derivative.
"""
from __future__ import annotations

import builtins
import collections
import math
import numbers
import warnings

import numpy

from ..core import dtypes
from ..core.function import Function
from ..core.device import array_module, expanded, quiet_float_errors, scatter_add
from ..core.tensor import Tensor, _check_dim   # ops are first imported by minigrad.tensor, after the class exists
from .promotion import promoted_to
from .join import stack
from . import reduce_loop
from .pointwise import maximum, minimum
from .inplace import in_place
from .unary import _tensor
from .tensor_namespace import astype

_INT64 = dtypes.int64.numpy


# ---- dims ----------------------------------------------------------------------------
def _reduced_axes(dim, ndim):
    """torch's ``dim`` as a tuple of non-negative axes, or ``None`` for every axis.

    An empty tuple or list means every axis (torch's convention); a 0-d tensor
    accepts dim 0 and -1 and reduces nothing.
    """
    if dim is None:
        return None
    if type(dim) is int:                 # the common case, checked inline
        if 0 <= dim < ndim:
            return (dim,)
        if -ndim <= dim < 0:
            return (dim + ndim,)
    if isinstance(dim, numbers.Integral):
        axis = _check_dim(dim, ndim)
        return (axis,) if ndim else ()
    if not dim:
        return None
    axes = tuple(_check_dim(d, ndim) for d in dim)
    if len(set(axes)) != len(axes):
        repeated = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return axes if ndim else ()


def _reduced_count(shape, axes):
    """How many input elements each output element reduces over."""
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[axis] for axis in axes)


def _unreduce(grad, shape, axes, keepdim):
    """``grad`` (the reduction's output gradient) broadcast back to the input ``shape``."""
    if not keepdim and axes:    # the reduced dims back as size 1 (a reshape: NumPy's expand_dims costs 10x)
        grad = grad.reshape(tuple(1 if axis in axes else size for axis, size in enumerate(shape)))
    return expanded(grad, shape)


def _numpy_spelling(dim, keepdim, axis, keepdims):
    """torch also accepts NumPy's names: ``axis=`` for ``dim`` and ``keepdims=`` for ``keepdim``
    (``dim`` and ``keepdim`` unchanged when those are None)."""
    return (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)


# ---- sum, mean, cumsum -------------------------------------------------------------------
class Sum(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "SumBackward0" if self.axes is None else "SumBackward1"

    def forward(self, x, axes, keepdim, dtype):
        self.shape, self.input_dtype, self.axes, self.keepdim = x.shape, x.dtype, axes, keepdim
        with quiet_float_errors():     # ([inf, -inf] sums to NaN silently, as torch's)
            if dtype is None and x.dtype.kind == "f" and x.dtype.itemsize < 4:   # torch sums half in float32
                return array_module(x).asarray(x.sum(axis=axes, keepdims=keepdim, dtype=array_module(x).float32)
                                               ).astype(x.dtype)
            return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, grad_output):
        grad = _unreduce(grad_output, self.shape, self.axes, self.keepdim)
        return astype(grad, self.input_dtype)


class Mean(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "MeanBackward0" if self.axes is None else "MeanBackward1"

    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.count = _reduced_count(x.shape, axes)
        if self.count == 0:    # torch: 0 / 0, x86's default NaN (-NaN), without NumPy's "mean of empty slice" warning
            with quiet_float_errors():
                return x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(0)
        with quiet_float_errors():
            if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
                # NumPy's mean is this sum and one division, behind 5 us of Python (half precision: it sums in float32)
                return x.sum(axis=axes, keepdims=keepdim) / self.count
            return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, grad_output):
        if self.count == 0:    # an empty input: its gradient is empty too
            return _unreduce(grad_output * 0, self.shape, self.axes, self.keepdim)
        # torch's mean_backward divides the expanded gradient, which makes it a dense tensor (sum's stays
        # expanded): the next backward kernel's loop, vectors or scalar tail, follows that layout
        # (fuzz seed 6910999: hardtanh's backward zeroes a NaN's gradient in its vectors only)
        return _unreduce(grad_output, self.shape, self.axes, self.keepdim) / self.count


def _running(accumulate, x, axis, dtype):
    """A cumulative sum or product as torch's CPU kernels: float32 accumulated in float64 and
    half precision in float32, each running value rounded to the result dtype (no overflow of the
    running total where the result itself fits).  A 0-d ``x`` is its own running value."""
    if x.ndim == 0:
        return _running(accumulate, x.reshape(1), 0, dtype).reshape(())
    xp = array_module(x)
    result_dtype = xp.dtype(dtype) if dtype is not None else x.dtype
    if result_dtype.kind == "f" and result_dtype.itemsize < 8:
        with quiet_float_errors():
            wide = accumulate(x, axis=axis, dtype=xp.float64 if result_dtype.itemsize == 4 else xp.float32)
            return wide.astype(result_dtype)
    with quiet_float_errors():
        return accumulate(x, axis=axis, dtype=dtype)


class Cumsum(Function):
    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axis, dtype):
        self.axis, self.input_dtype = axis, x.dtype
        running = _running(array_module(x).cumsum, x, axis, dtype)
        if x.ndim and running.dtype.kind == "f":     # (torch copies a 0-d input as it is)
            running += 0    # torch's running sum starts from +0: a leading -0 comes out +0, as NumPy's does not
        return running

    def backward(self, grad_output):
        # each input element feeds every later output: the gradient is a reversed cumsum (torch's
        # trivial case, one element along the axis, is the gradient itself: a -0 stays -0)
        if math.prod(grad_output.shape) <= 1 or grad_output.shape[self.axis] == 1:
            return astype(grad_output, self.input_dtype)
        xp = array_module(grad_output)
        flipped = xp.flip(grad_output, self.axis)
        # a Tensor (a backward recorded as a graph) takes this op itself, which starts from +0 too
        if isinstance(flipped, Tensor):
            running = flipped.cumsum(self.axis)
        else:
            # ``+ 0`` (no -0.0) makes the flipped-back sums a new array of positive strides, as torch's
            # flip copies (a view of negative strides would send an activation's backward at NaN down
            # torch's scalar loop, as seed 1371209's flip did)
            return astype(xp.flip(xp.cumsum(flipped, axis=self.axis), self.axis) + 0, self.input_dtype)
        return astype(xp.flip(running, self.axis), self.input_dtype)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` (all dims when ``None``); integer and bool tensors sum to int64."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    axes = None if dim is None else _reduced_axes(dim, input.array.ndim)
    return Sum.apply(input, axes=axes, keepdim=keepdim, dtype=_sum_dtype(input, dtype))


def _sum_dtype(input, dtype):
    """A sum's accumulation dtype: ``dtype=`` if given, int64 for integer and bool tensors, else None
    (the input's)."""
    if dtype is not None:
        return dtypes.to_numpy_dtype(dtype)
    return _INT64 if input.array.dtype.kind in "biu" else None


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim``; integer tensors need ``dtype=`` (as torch)."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = promoted_to(input, dtypes.to_numpy_dtype(dtype))    # (no node of its own, as torch's)
    elif input.array.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {dtypes.scalar_type_name(input.array.dtype)}")
    axes = None if dim is None else _reduced_axes(dim, input.array.ndim)
    return Mean.apply(input, axes=axes, keepdim=keepdim)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Running sum along ``dim``: ``out[i] = input[0] + ... + input[i]``."""
    if dim is None:
        if axis is None:
            raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
        dim = axis
    axis = _check_dim(dim, input.array.ndim)
    if dtype is not None:
        dtype = dtypes.to_numpy_dtype(dtype)
    elif input.array.dtype.kind in "biu":
        dtype = _INT64
    return Cumsum.apply(input, axis=axis, dtype=dtype)


# ---- nansum, nanmean ---------------------------------------------------------------------------
class Nansum(Function):
    """``sum`` with NaNs counted as 0; torch's ``nansum_backward``: the gradient broadcast back,
    times ``~isnan(x)`` (so an infinite gradient at a NaN is NaN, as there)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axes, keepdim, dtype):
        self.save_for_backward(x)
        self.axes, self.keepdim = axes, keepdim
        xp = array_module(x)
        if x.dtype.kind != "f":
            return xp.asarray(x.sum(axis=axes, keepdims=keepdim, dtype=dtype))
        zeroed = xp.where(xp.isnan(x), x.dtype.type(0), x)
        with quiet_float_errors():
            if dtype is None and x.dtype.itemsize < 4:       # torch sums half precision in float32
                return xp.asarray(zeroed.sum(axis=axes, keepdims=keepdim, dtype=xp.float32)).astype(x.dtype)
            return xp.asarray(zeroed.sum(axis=axes, keepdims=keepdim, dtype=dtype))

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        xp = array_module(x)
        grad = _unreduce(astype(grad_output, x.dtype), x.shape, self.axes, self.keepdim)
        return grad * ~xp.isnan(x)


def _check_int_dims(name, dim):
    """torch's parser for ``int[1]? dim``: an int or a sequence of ints."""
    if dim is None or isinstance(dim, numbers.Integral) or (
            isinstance(dim, (tuple, list)) and all(isinstance(d, numbers.Integral) for d in dim)):
        return
    raise TypeError(f"{name}(): argument 'dim' (position 2) must be tuple of ints, not {type(dim).__name__}")


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The sum over ``dim`` (all dims when ``None``) with NaNs taken as 0; integers sum to int64."""
    _tensor(input, "nansum")
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    _check_int_dims("nansum", dim)
    axes = None if dim is None else _reduced_axes(dim, input.array.ndim)
    return Nansum.apply(input, axes=axes, keepdim=keepdim, dtype=_sum_dtype(input, dtype))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The mean over ``dim`` of the elements that are not NaN: as torch composes it, ``nansum``
    divided by their count (its node is DivBackward0); NaN where all are NaN."""
    _tensor(input, "nanmean")
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    _check_int_dims("nanmean", dim)
    if input.array.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{dtypes.scalar_type_name(input.array.dtype)}")
    count = input.isnan().logical_not().sum(dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def _reversed_cumsum(xp, a):
    """``out[i] = a[i] + a[i+1] + ...`` along the last axis, as torch's ``flip().cumsum().flip()``
    (its cumsum kernel's accumulation: ``_running``)."""
    return xp.flip(_running(xp.cumsum, xp.flip(a, -1), -1, None), -1)


class Cumprod(Function):
    """Running product along ``axis``; the gradient as torch's ``cumprod_backward``.

    Where a slice has no zero, the gradient of ``x_i`` is ``sum_{j >= i} g_j out_j / x_i``: a
    reversed running sum of ``g * out``, divided by ``x``.  With zeros that division is 0 / 0,
    so it is used only before the first zero ``z``; the gradient at ``z`` is
    ``out_{z-1} * sum_{z <= k < z2} g_k prod(x_{z+1}..x_k)`` (``z2`` the next zero), and after it 0.
    """

    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axis, dtype):
        self.axis, self.dtype = axis, dtype
        output = _running(array_module(x).cumprod, x, axis, dtype)
        self.save_for_backward(x, output)    # the result as torch's: for its formula and the version check
        return output

    def composite(self, x):
        """The running product as a chain of multiplications, for a backward recorded as a graph
        (create_graph=True): every derivative of it is exact where ``x`` has zeros."""
        if self.dtype is not None:
            x = x.to(dtypes.from_numpy_dtype(self.dtype))
        rows = x.movedim(self.axis, 0).unbind(0) if x.dim() else ()
        if not rows:
            return x * 1
        products = [rows[0]]
        for row in rows[1:]:
            products.append(products[-1] * row)
        return stack(products, self.axis)

    def backward(self, grad_output):
        x, output = self.saved_tensors
        if x.ndim == 0:
            return grad_output.astype(x.dtype, copy=False)
        xp = array_module(x)
        values, grad, output = (xp.moveaxis(a, self.axis, -1) for a in (x, grad_output, output))  # along the last axis
        values = values.astype(grad.dtype, copy=False)
        if values.shape[-1] <= 1:
            return grad_output.astype(x.dtype, copy=False)
        weighted = output * grad
        zeros = values == 0
        if not zeros.any():
            result = _reversed_cumsum(xp, weighted) / values
        else:
            zeros_so_far = xp.cumsum(zeros, axis=-1)
            before = zeros_so_far == 0
            result = xp.where(before, _reversed_cumsum(xp, xp.where(before, weighted, 0)) / values, 0)
            first_zero = zeros & (zeros_so_far == 1)
            between = (zeros_so_far == 1) & ~first_zero
            # (torch's cumprod and sum of a half tensor accumulate in float32, each result rounded to half:
            # a running product past float16's range comes back within it, fuzz seed 8345236)
            products = _running(xp.cumprod, xp.where(between, values, 1), -1, None) * xp.where(zeros_so_far == 1,
                                                                                              grad, 0)
            previous = xp.concatenate([xp.ones_like(output[..., :1]), output[..., :-1]], axis=-1)
            wide = xp.float32 if products.dtype == xp.float16 else None
            at_zero = products.sum(axis=-1, keepdims=True, dtype=wide).astype(products.dtype) * \
                xp.where(first_zero, previous, 0).sum(axis=-1, keepdims=True)
            result = xp.where(first_zero, at_zero, result)
        return xp.moveaxis(result, -1, self.axis).astype(x.dtype, copy=False)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``: ``out[i] = input[0] * ... * input[i]``; integers give int64."""
    axis = _check_dim(dim, input.array.ndim)
    if dtype is not None:
        dtype = dtypes.to_numpy_dtype(dtype)
    elif input.array.dtype.kind in "biu":
        dtype = _INT64
    return Cumprod.apply(input, axis=axis, dtype=dtype)


def cumsum_(input, dim, *, dtype=None):
    return in_place(cumsum, input, dim, dtype=dtype)


def cumprod_(input, dim, *, dtype=None):
    return in_place(cumprod, input, dim, dtype=dtype)


def count_nonzero(input, dim=None):
    """How many elements are not zero, over ``dim`` (an int, a tuple, or all); int64, no gradient."""
    axes = None if dim is None else _reduced_axes(dim, input.array.ndim)
    counts = (input.array != 0).sum(axis=axes)
    return Tensor._wrap(array_module(input.array).asarray(counts, dtype=_INT64))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (after concatenating ``prepend``/``append``)."""
    from .indexing import narrow
    from .join import cat
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if input.array.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = _check_dim(dim, input.array.ndim)
    parts = [part for part in (prepend, input, append) if part is not None]
    if len(parts) > 1:
        input = cat(parts, axis)
    for _ in range(n):
        length = input.array.shape[axis]
        if length == 0:
            break
        later, earlier = narrow(input, axis, 1, length - 1), narrow(input, axis, 0, length - 1)
        # bool tensors differ by xor (torch: "-" is not defined for bool)
        input = later ^ earlier if input.array.dtype.kind == "b" else later - earlier
    return input


# ---- cummax, cummin, logcumsumexp ----------------------------------------------------------------
def _check_scan_dim(name, dim, ndim):
    """``dim`` as an axis; torch's parser and range errors (a 0-d tensor takes -1 or 0: cummax and
    cummin say so in their own words)."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    if ndim == 0 and name in ("cummax", "cummin") and dim not in (-1, 0):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    return _check_dim(dim, ndim)


class CumulativeExtreme(Function):
    """``cummax``/``cummin`` along ``axis``: values and int64 indices, as torch's kernel runs them
    (``cummax_cummin_helper``): the running extreme moves to ``x[i]`` where ``x[i]`` is NaN or, while
    the extreme is not NaN, where ``x[i] >= extreme`` (``<=`` for cummin), so ties take the later
    index and a NaN holds until the next NaN.  The gradient (``cummaxmin_backward``) adds each
    output's gradient into the input its index names."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "CummaxBackward0" if self.largest else "CumminBackward0"

    def forward(self, x, axis, largest):
        self.largest, self.axis, self.shape = largest, axis, x.shape
        xp = array_module(x)
        if x.ndim == 0 or x.size == 0:
            indices = xp.zeros(x.shape, _INT64)
            self.save_for_backward(x, indices)
            return x.copy(), indices
        along = xp.moveaxis(x, axis, 0)
        values = xp.empty(along.shape, x.dtype)
        indices = xp.empty(along.shape, _INT64)
        running, position = along[0], xp.zeros(along.shape[1:], _INT64)
        floating = x.dtype.kind == "f"
        for i in range(along.shape[0]):
            item = along[i]
            better = item >= running if largest else item <= running
            if floating:
                better = xp.isnan(item) | (~xp.isnan(running) & better)
            running = xp.where(better, item, running)
            position = xp.where(better, i, position)
            values[i], indices[i] = running, position
        indices = xp.ascontiguousarray(xp.moveaxis(indices, 0, axis))
        # as torch's node (cummaxmin_backward reads self and indices): writing either stops backward
        # (fuzz seed 50175671: the input written by %= after its cummin)
        self.save_for_backward(x, indices)
        return xp.ascontiguousarray(xp.moveaxis(values, 0, axis)), indices

    def backward(self, grad_output, grad_indices):
        _, indices = self.saved_tensors
        if isinstance(grad_output, Tensor):       # a backward recorded as a graph: scatter_add itself
            zeros = grad_output.new_zeros(self.shape)
            if not zeros.dim():
                return grad_output
            return zeros.scatter_add(self.axis, Tensor._wrap(indices.array if isinstance(indices, Tensor)
                                                             else indices), grad_output)
        from .indexing import _along_dim_key     # (indexing's floor mate: imported where used, as narrow)
        xp = array_module(grad_output)
        grad = xp.zeros(self.shape, grad_output.dtype)
        if grad.ndim == 0 or grad.size == 0:
            return grad_output.copy() if grad.ndim == 0 else grad
        scatter_add(grad, _along_dim_key(indices, self.axis), grad_output, wide=True)
        return grad


def _cumulative_extreme(name, largest, input, dim, axis):
    _tensor(input, name)
    if dim is None:
        if axis is None:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        dim = axis
    axis = _check_scan_dim(name, dim, input.array.ndim)
    result_type = return_types.cummax if largest else return_types.cummin
    return result_type(*CumulativeExtreme.apply(input, axis=axis, largest=largest))


def cummax(input, dim=None, *, axis=None):
    """The running maximum along ``dim`` and where it was taken: ``(values, indices)``."""
    return _cumulative_extreme("cummax", True, input, dim, axis)


def cummin(input, dim=None, *, axis=None):
    """The running minimum along ``dim`` and where it was taken: ``(values, indices)``."""
    return _cumulative_extreme("cummin", False, input, dim, axis)


def _log_add_exp(x, y):
    """torch's ``_log_add_exp_helper(x, y)``: ``log(exp(x) + exp(y))`` as ``max + log1p(exp(min - max))``,
    NaN where either is, and ``x`` where both are the same infinity."""
    xp = array_module(x)
    low, high = xp.minimum(x, y), xp.maximum(x, y)
    with quiet_float_errors():
        regular = xp.log1p(xp.exp(low - high)) + high
    return xp.where((low != high) | xp.isfinite(low), regular, x)


def _logcumsumexp(x, axis):
    """The running ``log(sum(exp))`` along ``axis`` as torch's CPU kernel: from -inf, one
    ``_log_add_exp`` a step in the accumulation type (float32 in float64, half precision in
    float32), each running value rounded to the dtype.  A Tensor takes the op itself."""
    if isinstance(x, Tensor):
        return x.logcumsumexp(axis)
    xp = array_module(x)
    wide = xp.float64 if x.dtype.itemsize >= 4 else xp.float32
    along = xp.moveaxis(x, axis, 0).astype(wide)
    result = xp.empty(along.shape, x.dtype)
    running = xp.full(along.shape[1:], -xp.inf, wide)
    for i in range(along.shape[0]):
        running = _log_add_exp(along[i], running)
        result[i] = running
    return xp.ascontiguousarray(xp.moveaxis(result, 0, axis))


class Logcumsumexp(Function):
    """``log(cumsum(exp(x)))`` along ``axis``, without overflow.  The gradient as torch's
    ``logcumsumexp_backward``: the positive and the negative parts of the gradient, each in log
    space (the dtype's lowest number standing for log 0), through a reversed logcumsumexp:
    ``exp(rev_lcse(log(g+) - result) + x) - exp(rev_lcse(log(g-) - result) + x)``."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axis):
        self.axis = axis
        result = x.copy() if x.ndim == 0 or x.size == 0 else _logcumsumexp(x, axis)
        self.save_for_backward(x, result)
        return result

    def backward(self, grad_output):
        if grad_output.ndim == 0 or grad_output.size == 0:
            return grad_output
        x, result = self.saved_tensors
        xp = array_module(grad_output)
        lowest = float(numpy.finfo(grad_output.dtype if isinstance(grad_output.dtype, numpy.dtype)
                                   else dtypes.to_numpy_dtype(grad_output.dtype)).min)
        axis = self.axis

        def reversed_logcumsumexp(t):
            return xp.flip(_logcumsumexp(xp.flip(t, axis), axis), axis)

        with quiet_float_errors():
            log_abs_grad = xp.log(xp.abs(grad_output))
            log_positive = xp.where(grad_output > 0, log_abs_grad, lowest)
            log_negative = xp.where(grad_output < 0, log_abs_grad, lowest)
            positive = xp.exp(reversed_logcumsumexp(log_positive - result) + x)
            negative = xp.exp(reversed_logcumsumexp(log_negative - result) + x)
        return positive - negative


def logcumsumexp(input, dim=None, *, axis=None):
    """``log(cumsum(exp(input)))`` along ``dim``, computed without overflow (floating tensors)."""
    _tensor(input, "logcumsumexp")
    if dim is None:
        if axis is None:
            raise TypeError('logcumsumexp() missing 1 required positional arguments: "dim"')
        dim = axis
    axis = _check_scan_dim("logcumsumexp", dim, input.array.ndim)
    if input.array.dtype.kind != "f":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{dtypes.scalar_type_name(input.array.dtype)}'")
    return Logcumsumexp.apply(input, axis=axis)


# ---- var, std ----------------------------------------------------------------------------
def _degrees_of_freedom(x, axes, correction, name):
    """``N - correction``, clamped at 0 with torch's warning."""
    freedom = _reduced_count(x.shape, axes) - correction
    if freedom <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      stacklevel=4)
    return builtins.max(freedom, 0)


def _accumulation_type(x):
    """``x`` in the type torch's CPU kernels accumulate it in: float64 for float32, float32 for half
    precision (so the sums of large values do not overflow)."""
    xp = array_module(x)
    if x.dtype.kind != "f" or x.dtype.itemsize == 8:
        return x
    return x.astype(xp.float64 if x.dtype.itemsize == 4 else xp.float32)


# The variance helpers below compute inf and NaN silently under their callers' switch: the var, std
# and var_mean forwards run in ``quiet_float_errors``, every backward in the engine's.
def _deviation(x, axes, one_output=False):
    """``x - mean`` as torch's CPU var/std compute it: over given dims all in the accumulation
    type; for one output (``std_var_all_cpu``) the mean of ``x`` in its own dtype, the deviations
    in float64 (``var_mean`` of every float32 element is Welford's in float64: the float32 mean of
    thirteen equal 0.1s is off by an ulp, a variance of 7.8e-09 where torch's is 0)."""
    wide = _accumulation_type(x)
    if one_output and x.dtype.kind == "f" and x.dtype.itemsize == 4:
        # the float32 mean may overflow to inf, as torch's
        return wide - x.mean(keepdims=True).astype(wide.dtype)
    if axes is None or x.size == math.prod([x.shape[axis] for axis in axes]):
        return wide - wide.mean(axis=axes, keepdims=True)    # one result: torch's two passes
    # torch's Welford mean of equal values is that value exactly (the sum's mean may not be: three
    # -0.4s sum to -1.2000000000000002, a variance of 1e-32 and a std gradient where torch's is 0),
    # so the mean is taken of the deviations from the first element along ``axes``
    first = wide[tuple([slice(0, 1) if axis in axes else slice(None) for axis in range(x.ndim)])]
    shifted = wide - first
    return shifted - shifted.mean(axis=axes, keepdims=True)


def _sum_of_squares_over(deviation, axes, keepdim, freedom):
    """``sum(deviation^2) / freedom``; a freedom of 0 gives inf (or nan for 0 / 0), as torch."""
    squares = (deviation * deviation).sum(axis=axes, keepdims=keepdim)
    if freedom:
        return squares / freedom
    return squares / squares.dtype.type(0)


def _variance(x, axes, keepdim, freedom, welford=False):
    """``var`` as torch's CPU kernels compute it: where it has one float32/float64 output (over
    every element, or over dims that hold them all) two passes (``std_var_all_cpu``: the mean, then
    the squared deviations), otherwise a Welford update per element in order; ``var_mean`` and
    ``std_mean`` always Welford's (``welford``).  Both agree up to rounding unless an intermediate
    overflows, which leaves the two-pass result inf or NaN: those Welford outputs whose values are
    all finite are recomputed in torch's order (``[-1e308, 1e308]`` gives torch's -inf: its
    running mean overflows to inf and ``delta * (x - mean)`` is -inf; var of
    ``[-1e308, 1e308, 0.5]`` is the two passes' inf, its var_mean Welford's NaN), or the variance
    is within the rounding of the mean.

    Returns the variance and, where those two cases reduce every element of a float32/float64 ``x``,
    ``x.mean()`` in torch's order (else None): the backward subtracts the same mean."""
    xp = array_module(x)
    wide_float = x.dtype.kind == "f" and x.dtype.itemsize >= 4
    over_all = axes is None or x.ndim == 0 or x.size == math.prod([x.shape[a] for a in axes])
    two_pass = not welford and wide_float and over_all
    variance = _sum_of_squares_over(_deviation(x, axes, two_pass), axes, keepdim, freedom)
    if x.dtype.kind != "f" or x.ndim == 0:
        return variance, None
    # where the spread is within the rounding of the mean, only torch's order gives its digits
    # (fuzz seed 1970273: [1.5707963267948968, 1.5707963267948966 twice], torch's std 0 and so
    # its gradient 0, the two passes' 1.05e-16 and a gradient of -0.05).  The first element
    # along the dims stands for the mean: in such a row it is the mean to within the spread
    first = x[tuple([slice(0, 1) if axes is None or axis in axes else slice(None) for axis in range(x.ndim)])]
    first = first.astype(variance.dtype).reshape(variance.shape) if x.size else variance   # (empty: NaN)
    rounding = xp.finfo(x.dtype if two_pass else variance.dtype).eps    # (two passes: float32's mean)
    cancelling = variance <= first * first * (16 * rounding)
    if xp.isfinite(variance).all() and not cancelling.any():
        return variance, None
    torchs_mean = _torchs_mean_of_all(x) if wide_float and over_all else None
    if two_pass:
        return _two_passes_about(torchs_mean, x, axes, keepdim, freedom, variance), torchs_mean
    if axes is None:
        axes = tuple(range(x.ndim))
    kept = [axis for axis in range(x.ndim) if axis not in axes]
    rows = xp.transpose(_accumulation_type(x), kept + list(axes)).reshape(variance.size, -1)
    flat = variance.reshape(-1).copy()
    at_risk = (~xp.isfinite(flat) | cancelling.reshape(-1)) & xp.isfinite(rows).all(axis=1)
    if at_risk.any():
        flat[at_risk] = _welford_m2(xp, rows[at_risk]) / flat.dtype.type(freedom)
    return flat.reshape(variance.shape), torchs_mean


def _two_passes_about(mean, x, axes, keepdim, freedom, variance):
    """The two passes again about ``x.mean()`` summed in torch's order (``reduce_loop.cascade_sum``):
    where the spread is within the rounding of the mean or the squares overflowed, an ulp of the
    mean decides between 0, a rounding's square and inf (fuzz seed 3653014: twelve 3e300s, torch's
    mean exact and its std 0, NumPy's mean an ulp off and its squared deviations inf; nine of them:
    torch's mean an ulp off and its std inf).  A ``mean`` of None (no such order) keeps ``variance``."""
    if mean is None:
        return variance
    wide = _accumulation_type(x)
    return _sum_of_squares_over(wide - mean.astype(wide.dtype), axes, keepdim, freedom)


def _torchs_mean_of_all(x):
    """``x.mean()`` of a NumPy float32/float64 array as torch's CPU computes it, its sum in its order
    and divided in the dtype; None where that order is not followed (see ``cascade_sum``)."""
    total = reduce_loop.cascade_sum(x) if array_module(x) is numpy and x.size else None
    if total is None:
        return None
    return total / x.dtype.type(x.size)


def _welford_m2(xp, rows, running_mean=False):
    """Each row's sum of squared deviations by torch's ``WelfordOps.reduce``, one element after
    another (a Python loop: for the rare rows whose two-pass variance overflowed or cancelled); with
    ``running_mean`` its mean instead."""
    mean = xp.zeros(rows.shape[0], rows.dtype)
    m2 = xp.zeros(rows.shape[0], rows.dtype)
    for count in range(1, rows.shape[1] + 1):
        value = rows[:, count - 1]
        delta = value - mean
        mean = mean + delta / count
        m2 = m2 + delta * (value - mean)
    return mean if running_mean else m2


def _welford_mean(x, axes, keepdim):
    """var_mean's mean: torch's is Welford's running mean, accumulated as the variance (float32 in
    float64).  Here the sum's mean in that type, and where it or the two-pass variance of a finite
    row overflows, Welford's running mean ([-1e308, 1e308, 0.5]: NaN, where the sum gives
    0.166...; [-1e308, -1e308]: -1e308, not -inf)."""
    xp = array_module(x)
    if _reduced_count(x.shape, axes) == 0:      # torch: nan, without NumPy's "mean of empty slice"
        return x.sum(axis=axes, keepdims=keepdim) * math.nan
    wide = _accumulation_type(x)
    average = wide.mean(axis=axes, keepdims=keepdim).astype(x.dtype, copy=False)
    if x.dtype.kind != "f" or x.ndim == 0:
        return average
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = [axis for axis in range(x.ndim) if axis not in axes]
    count = math.prod([x.shape[axis] for axis in kept])
    rows = xp.transpose(wide, kept + list(axes)).reshape(count, -1)
    flat = xp.asarray(average).reshape(-1)     # (a new array: written before anyone sees it)
    spread = ((rows - rows.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    at_risk = xp.isfinite(rows).all(axis=1) & ~(xp.isfinite(spread) & xp.isfinite(flat))
    if at_risk.any():
        flat[at_risk] = _welford_m2(xp, rows[at_risk], running_mean=True).astype(flat.dtype)
    return flat.reshape(average.shape)


def _var_backward(grad, x, axes, count, correction, over_dims, torchs_mean=None):
    """d var / dx = 2 (x - mean) / (N - correction), with torch's two conventions when N <= correction.

    Over all elements torch gives inf, or nan where ``x == mean`` (compared, not subtracted: an
    infinite x is its own mean, and nan); over given dims it uses ``N - correction`` unclamped,
    even where that is 0 or negative.  ``torchs_mean``: the forward's, where its last ulp decides.
    """
    mean = x.mean(axis=axes, keepdims=True) if torchs_mean is None else torchs_mean
    freedom = count - correction
    if freedom > 0 or over_dims and freedom < 0:     # torch's order: grad first (2 (x - mean) may overflow)
        return (2.0 / freedom) * grad * (x - mean)
    xp = array_module(x)
    if over_dims:
        return math.inf * grad * (x - mean)
    return grad * xp.where(x == mean, math.nan, math.inf).astype(x.dtype)


class Var(Function):
    """``sum((x - mean)^2) / (N - correction)``; d/dx = 2 (x - mean) / (N - correction)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axes, keepdim, correction, over_dims):
        self.save_for_backward(x)
        self.axes, self.keepdim, self.correction, self.over_dims = axes, keepdim, correction, over_dims
        self.freedom = _degrees_of_freedom(x, axes, correction, "var")
        with quiet_float_errors():     # (a float32 variance past its maximum is inf, as torch's)
            variance, self.torchs_mean = _variance(x, axes, keepdim, self.freedom)
            return variance.astype(x.dtype, copy=False)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        grad = _unreduce(grad_output, x.shape, self.axes, self.keepdim)
        count = _reduced_count(x.shape, self.axes)
        return _var_backward(grad, x, self.axes, count, self.correction, self.over_dims, self.torchs_mean)


class Std(Function):
    """``sqrt(var)``; torch's gradient is 0 where std is 0 (not nan)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axes, keepdim, correction, over_dims):
        self.axes, self.keepdim, self.correction, self.over_dims = axes, keepdim, correction, over_dims
        self.freedom = _degrees_of_freedom(x, axes, correction, "std")
        with quiet_float_errors():
            variance, self.torchs_mean = _variance(x, axes, keepdim, self.freedom)
            std = array_module(x).sqrt(variance).astype(x.dtype, copy=False)
        self.save_for_backward(x, std)
        return std

    def backward(self, grad_output):
        x, std = self.saved_tensors
        grad_var = _unreduce(_var_gradient_of_std(grad_output, std), x.shape, self.axes, self.keepdim)
        count = _reduced_count(x.shape, self.axes)
        return _var_backward(grad_var, x, self.axes, count, self.correction, self.over_dims,
                             self.torchs_mean)


def _var_gradient_of_std(grad_output, std):
    """d sqrt(v) = dv / 2 sqrt(v), and 0 where the std is 0 (torch's, not nan)."""
    xp = array_module(std)
    zero = std == 0
    return xp.where(zero, 0, grad_output / (2 * xp.where(zero, 1, std)))


class VarMean(Function):
    """``var_mean`` and ``std_mean``: one node with two outputs, the spread and the mean, as torch's
    VarMeanBackward0 and StdMeanBackward0.  The spread always by Welford's updates (torch's
    ``std_var_mean_out`` has no two-pass case for one output)."""

    differentiable_backward = True
    dense_output = True
    materialize_grads = False       # an output that got no gradient adds none, as torch's

    def name(self):
        return "StdMeanBackward0" if self.root else "VarMeanBackward0"

    def forward(self, x, axes, keepdim, correction, over_dims, root):
        self.axes, self.keepdim, self.correction, self.over_dims = axes, keepdim, correction, over_dims
        self.root = root
        self.freedom = _degrees_of_freedom(x, axes, correction, "std_mean" if root else "var_mean")
        xp = array_module(x)
        with quiet_float_errors():     # (torch's Welford can give -inf, whose root is NaN)
            spread, self.torchs_mean = _variance(x, axes, keepdim, self.freedom, welford=True)
            spread = (xp.sqrt(spread) if root else spread).astype(x.dtype, copy=False)
            average = _welford_mean(x, axes, keepdim)
        self.save_for_backward(*((x, spread) if root else (x,)))    # torch's saved result0: the std
        return spread, average

    def backward(self, grad_spread, grad_mean):
        x, *std = self.saved_tensors
        count = _reduced_count(x.shape, self.axes)
        grad = None
        if grad_spread is not None:
            grad_var = _var_gradient_of_std(grad_spread, std[0]) if self.root else grad_spread
            grad_var = _unreduce(grad_var, x.shape, self.axes, self.keepdim)
            grad = _var_backward(grad_var, x, self.axes, count, self.correction, self.over_dims,
                                 self.torchs_mean)
        if grad_mean is not None:    # torch's mean_backward: the gradient spread, then divided
            from_mean = _unreduce(grad_mean, x.shape, self.axes, self.keepdim) / count
            grad = from_mean if grad is None else grad + from_mean
        return grad


def _correction(name, dim, unbiased, correction):
    """torch's three spellings: ``var(True)``, ``var(dim, unbiased)``, ``var(dim, correction=c)``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: use either "
                        "'unbiased' or 'correction', not both")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    return dim, correction


def _check_floating(input):
    if input.array.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")


def _spread(name, function, input, dim, unbiased, keepdim, correction, **options):
    """``Var``, ``Std`` or ``VarMean`` over ``dim``."""
    _check_floating(input)
    dim, correction = _correction(name, dim, unbiased, correction)
    axes = None if dim is None else _reduced_axes(dim, input.array.ndim)
    return function.apply(input, axes=axes, keepdim=keepdim, correction=correction,
                          over_dims=dim is not None and input.array.ndim > 0, **options)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim`` with Bessel's ``correction`` (default 1; ``unbiased=False`` means 0)."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _spread("var", Var, input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation over ``dim``; arguments as :func:`var`."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _spread("std", Std, input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var(input, ...), mean(input, dim, keepdim))``, as torch; its variance always by
    Welford's updates (torch's ``std_var_mean_out`` has no two-pass case for one output)."""
    return _spread("var_mean", VarMean, input, dim, unbiased, keepdim, correction, root=False)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std(input, ...), mean(input, dim, keepdim))``, as torch (its std by Welford's updates)."""
    return _spread("std_mean", VarMean, input, dim, unbiased, keepdim, correction, root=True)


# ---- prod ------------------------------------------------------------------------------
class Prod(Function):
    """Product along one axis (``None``: of all elements, flattened).

    d prod / d x_i is the product of all the other elements: ``prod / x_i`` when no element is
    zero (torch's formula, so an infinite product gives infinite gradients), else
    (product of those before i) * (product of those after i) with two cumulative products,
    exact where ``prod / x_i`` would divide by zero.
    """

    differentiable_backward = True    # on Tensors the cumulative products are cumprod ops
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "ProdBackward1" if self.over_dim else "ProdBackward0"

    def forward(self, x, axis, keepdim, dtype, over_dim):
        self.axis, self.keepdim, self.over_dim = axis, keepdim, over_dim
        result = _product(x, axis, keepdim, dtype)
        self.save_for_backward(x, result)
        return result

    def backward(self, grad_output):
        x, result = self.saved_tensors
        axes = None if self.axis is None else (self.axis,)
        grad = _unreduce(grad_output, x.shape, axes, self.keepdim)
        zeros = int((x == 0).sum())
        if x.ndim and zeros == 0:
            return grad * (_unreduce(result, x.shape, axes, self.keepdim) / x)
        if self.axis is None and zeros > 1 and not self._graph_mode:
            return array_module(x).zeros_like(grad)   # torch: two zeros make every product 0 (but
            # with create_graph=True it keeps the full formula, whose second derivative is not 0)
        if self.axis is None:
            others = _product_of_others(x.reshape(-1), 0).reshape(x.shape)
        else:
            others = _product_of_others(x, self.axis)
        return grad * others


def _product(x, axis, keepdim, dtype):
    """The product as torch's CPU kernel computes it (``reduce_loop``: in its order, each product
    rounded to the dtype, float16 too; fuzz seed 47978) for float NumPy arrays; NumPy's where
    the order changes nothing (integers wrap, one element or none) or torch's kernel is another
    (CuPy)."""
    xp = array_module(x)
    if xp is numpy and x.dtype.kind == "f" and x.ndim and x.size:
        return reduce_loop.product(x, axis, keepdim)
    with quiet_float_errors():   # (an overflowing product is inf, without a warning, as torch's)
        return x.prod(axis=axis, keepdims=keepdim, dtype=dtype)


def _product_of_others(values, axis):
    """For each element, the product of the other elements along ``axis`` (no division): the
    products of those before and of those after, two cumprods as torch's (float32 running values
    kept in float64, so -3e38 * -3e38 * 0 is 0, not NaN), multiplied in the dtype."""
    xp = array_module(values)
    length = values.shape[axis]
    if length == 0:
        return xp.ones_like(values)

    def part(start, stop):
        return (slice(None),) * axis + (slice(start, stop),)

    def running_product(a):    # on Tensors (create_graph=True) the cumprod op, which runs _running
        return xp.cumprod(a, axis=axis) if isinstance(a, Tensor) else _running(xp.cumprod, a, axis, None)
    ones = xp.ones_like(values[part(0, 1)])
    before = xp.concatenate([ones, running_product(values[part(0, length - 1)])], axis=axis)
    after = xp.flip(running_product(xp.flip(values[part(1, length)], axis)), axis)
    return before * xp.concatenate([after, ones], axis=axis)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements, or along the int ``dim``; integer tensors give int64."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = promoted_to(input, dtypes.to_numpy_dtype(dtype))    # (no node of its own, as torch's)
    if dim is not None and not isinstance(dim, numbers.Integral):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    axis = None if dim is None else _reduced_axes(dim, input.array.ndim)
    axis = axis[0] if axis else None
    out_dtype = _INT64 if input.array.dtype.kind in "biu" else None
    if axis is None and dim is not None:        # a 0-d tensor along dim 0: itself
        return Prod.apply(input, axis=None, keepdim=True, dtype=out_dtype, over_dim=True)
    return Prod.apply(input, axis=axis, keepdim=keepdim, dtype=out_dtype, over_dim=dim is not None)


# ---- max, min, amax, amin ------------------------------------------------------------------
def _return_type(name, fields=("values", "indices")):
    """A named tuple as ``torch.return_types.max`` (``(values, indices)``) or ``aminmax`` (``(min, max)``)."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        parts = ",\n".join(f"{field}={value!r}" for field, value in zip(fields, self))
        return f"minigrad.return_types.{name}(\n{parts})"
    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    cls.__module__ = "minigrad.return_types"
    return cls


class return_types:   # noqa: N801 - torch's spelling: minigrad.return_types.max
    max = _return_type("max")
    min = _return_type("min")
    cummax = _return_type("cummax")
    cummin = _return_type("cummin")
    aminmax = _return_type("aminmax", ("min", "max"))
    slogdet = _return_type("slogdet", ("sign", "logabsdet"))
    linalg_slogdet = _return_type("linalg_slogdet", ("sign", "logabsdet"))


class Extreme(Function):
    """``amax``/``amin`` over ``axes``: the gradient is split evenly among the tied extremes.

    ``nan_ties`` makes a NaN result count NaN inputs as its ties (torch's full
    ``max()``/``min()``; ``amax`` leaves them out, so its gradient there is nan).
    """

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        if self.nan_ties:   # torch's full max() / min()
            return "MaxBackward1" if self.largest else "MinBackward1"
        return "AmaxBackward0" if self.largest else "AminBackward0"

    def forward(self, x, axes, keepdim, largest, nan_ties=False):
        self.largest = largest
        result = x.max(axis=axes, keepdims=keepdim) if largest else x.min(axis=axes, keepdims=keepdim)
        result = array_module(x).asarray(result)
        self.save_for_backward(x, result)
        self.axes, self.keepdim, self.nan_ties = axes, keepdim, nan_ties
        return result

    def backward(self, grad_output):
        x, result = self.saved_tensors
        return _split_among_ties(x, result, grad_output, self.axes, self.keepdim, self.nan_ties)


def _split_among_ties(x, result, grad_output, axes, keepdim, nan_ties=False):
    """The gradient of an extreme (``result``, reduced over ``axes``) split evenly among the elements of
    ``x`` equal to it; ``nan_ties``: a NaN result's ties are the NaN inputs."""
    xp = array_module(x)
    result = _unreduce(result, x.shape, axes, keepdim)
    ties = x == result
    if nan_ties:
        ties |= xp.isnan(x) & xp.isnan(result)
    count = astype(ties.sum(axis=axes, keepdims=True), x.dtype)
    grad = _unreduce(grad_output, x.shape, axes, keepdim)
    if nan_ties:
        return xp.where(ties, grad / xp.maximum(count, 1), 0)
    # as torch's amax: (grad / 0) * 0 = nan where a NaN result has no tie
    return ties * (grad / count)


class ExtremeAlong(Function):
    """``max(dim)``/``min(dim)``: values and int64 indices; the gradient goes to the index.

    A 0-d input is its own max along dim 0, index 0: its results are 0-d, made by this one node
    (as torch's: no view of a reshaped input)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout
    zero_dim = False

    def name(self):
        return "MaxBackward0" if self.largest else "MinBackward0"

    def forward(self, x, axis, keepdim, largest):
        self.largest = largest
        if not x.ndim:
            self.zero_dim = True
            indices = array_module(x).zeros((), _INT64)
            self.save_for_backward(indices)      # the output itself, for the version check
            return x.copy(), indices
        # the first extreme, NaN included (the first NaN), as torch's kernel; the value is the element
        # at that index, as torch's: max of [0., -0.] along a dim is 0. (index 0), not NumPy's -0.
        xp = array_module(x)
        indices = x.argmax(axis=axis, keepdims=True) if largest else x.argmin(axis=axis, keepdims=True)
        values = xp.take_along_axis(x, indices, axis=axis)
        if not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        indices = indices.astype(_INT64, copy=False)
        # where the gradient goes: the chosen position along ``axis`` (a bool mask of x's shape)
        positions = xp.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
        # and the indices themselves, as torch's node saves them: writing them stops backward
        self.save_for_backward(positions == (indices if keepdim else xp.expand_dims(indices, axis)), indices)
        self.axis, self.keepdim = axis, keepdim
        return values, indices

    def backward(self, grad_output, grad_indices):
        if self.zero_dim:                   # its one element is its only value
            return grad_output
        chosen, _ = self.saved_tensors
        xp = array_module(grad_output)
        if not self.keepdim:
            grad_output = xp.expand_dims(grad_output, self.axis)
        return xp.where(chosen, grad_output, 0)


def _check_nonempty(input, name, axes, spelled=None):
    """torch's errors for reducing an empty dim; ``spelled``: the dims as the caller wrote them,
    which amax/amin print (max/min print the axis)."""
    if input.array.size == 0:
        if axes is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        for axis, shown in zip(axes, spelled or axes):
            if input.array.shape[axis] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {shown} to have non-zero size.")


def _extreme(name, largest, input, dim, keepdim):
    if dim is None:
        _check_nonempty(input, name, None)
        return Extreme.apply(input, axes=None, keepdim=False, largest=largest, nan_ties=True)
    if isinstance(dim, Tensor):
        return maximum(input, dim) if largest else minimum(input, dim)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    result_type = return_types.max if largest else return_types.min
    axis = _check_dim(dim, input.array.ndim)
    if input.array.ndim:
        _check_nonempty(input, name, (axis,))
    return result_type(*ExtremeAlong.apply(input, axis=axis, keepdim=keepdim, largest=largest))


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``max(x)``: the largest element; ``max(x, dim)``: (values, indices); ``max(x, other)``: maximum."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _extreme("max", True, input, dim, keepdim)


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``min(x)``: the smallest element; ``min(x, dim)``: (values, indices); ``min(x, other)``: minimum."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _extreme("min", False, input, dim, keepdim)


def _amax_amin(name, largest, input, dim, keepdim):
    axes = _reduced_axes(dim, input.array.ndim)
    _check_nonempty(input, name, axes, spelled=(dim,) if isinstance(dim, numbers.Integral) else dim)
    return Extreme.apply(input, axes=axes, keepdim=keepdim, largest=largest)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The largest values over ``dim`` (all dims by default); ties share the gradient evenly."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _amax_amin("amax", True, input, dim, keepdim)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The smallest values over ``dim`` (all dims by default); ties share the gradient evenly."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _amax_amin("amin", False, input, dim, keepdim)


class Aminmax(Function):
    """``amin`` and ``amax`` over ``axes`` in one node (torch's ``AminmaxBackward0``): each output's
    gradient is split evenly among the elements equal to it (torch's ``aminmax_backward``)."""

    differentiable_backward = True
    dense_output = True     # new tensors in torch's default layout

    def forward(self, x, axes, keepdim):
        xp = array_module(x)
        smallest = xp.asarray(x.min(axis=axes, keepdims=keepdim))
        largest = xp.asarray(x.max(axis=axes, keepdims=keepdim))
        self.save_for_backward(x, smallest, largest)
        self.axes, self.keepdim = axes, keepdim
        return smallest, largest

    def backward(self, grad_min, grad_max):
        x, smallest, largest = self.saved_tensors
        return (_split_among_ties(x, smallest, grad_min, self.axes, self.keepdim)
                + _split_among_ties(x, largest, grad_max, self.axes, self.keepdim))


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (all elements when None), one pass: ``return_types.aminmax``."""
    if dim is None:
        if input.array.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                               "has no identity.")
        axes = None
    else:
        axis = _check_dim(dim, input.array.ndim)
        if input.array.ndim and input.array.shape[axis] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {axis} to have non-zero size.")
        axes = (axis,) if input.array.ndim else None
    return return_types.aminmax(*Aminmax.apply(input, axes=axes, keepdim=keepdim))


# ---- argmax, argmin (no gradient) --------------------------------------------------------------
def _arg_extreme(name, largest, input, dim, keepdim):
    array = input.array
    if array.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if array.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        flat = array.reshape(-1)
        index = flat.argmax() if largest else flat.argmin()
        result = array_module(array).asarray(index, dtype=_INT64)
        return Tensor._wrap(result.reshape((1,) * array.ndim) if keepdim else result)
    axis = _check_dim(dim, array.ndim)
    if array.ndim == 0:
        return Tensor._wrap(array_module(array).zeros((), _INT64))
    _check_nonempty(input, name, (axis,))
    result = array.argmax(axis=axis, keepdims=keepdim) if largest else array.argmin(axis=axis, keepdims=keepdim)
    return Tensor._wrap(array_module(array).asarray(result, dtype=_INT64))    # an array, even when 0-d


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The index of the largest value (the first one among ties), over the flattened tensor by default."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _arg_extreme("argmax", True, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The index of the smallest value (the first one among ties), over the flattened tensor by default."""
    dim, keepdim = _numpy_spelling(dim, keepdim, axis, keepdims)
    return _arg_extreme("argmin", False, input, dim, keepdim)


# ---- norm ---------------------------------------------------------------------------------
class Norm(Function):
    """The vector p-norm ``(sum |x|^p)^(1/p)`` over ``axes``; backward as torch's
    ``linalg_vector_norm_backward`` (gradient 0 where the norm is 0)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "LinalgVectorNormBackward0"

    def forward(self, x, p, axes, keepdim):
        xp = array_module(x)
        self.p, self.axes, self.keepdim = p, axes, keepdim
        with quiet_float_errors():     # (a norm past the range is inf, silently: fuzz seed 8174865)
            result = xp.asarray(self._norm(xp, x.astype(xp.float32) if x.dtype.itemsize < 4 else x, p, axes, keepdim))
        result = result.astype(x.dtype, copy=False)   # half precision summed in float32, as torch
        self.save_for_backward(x, result)
        return result

    @staticmethod
    def _norm(xp, x, p, axes, keepdim):
        reduced = x.size if axes is None else math.prod(x.shape[axis] for axis in axes)
        if reduced == 1 and p != 0 and axes != ():
            # torch's norm of one element is its absolute value: no power that over/underflows
            # (but over a 0-d tensor's dim 0, axes (), torch takes the power: 1e308 gives inf)
            return xp.abs(x).reshape(()) if axes is None and not keepdim else xp.abs(x).max(axis=axes, keepdims=keepdim)
        if p == 2:
            result = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            result = xp.abs(x).sum(axis=axes, keepdims=keepdim)
        elif p == math.inf:
            result = xp.abs(x).max(axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            result = xp.abs(x).min(axis=axes, keepdims=keepdim)
        elif p == 0:
            result = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        else:
            # 0 ** negative p is inf, as torch
            result = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        return result

    def backward(self, grad_output):
        x, norm = self.saved_tensors
        xp = array_module(x)
        p = self.p
        if p == 0:
            return None
        grad = _unreduce(grad_output, x.shape, self.axes, self.keepdim)
        if p == 1:
            return xp.sign(x) * grad
        norm = _unreduce(norm, x.shape, self.axes, self.keepdim)
        if p in (math.inf, -math.inf):
            ties = xp.abs(x) == norm
            count = ties.sum(axis=self.axes, keepdims=True)
            return xp.where(ties, xp.sign(x) * grad / astype(xp.maximum(count, 1), x.dtype), 0)
        if p < 1:
            zero = x == 0
            scaled = xp.where(zero, 0, xp.sign(x) * xp.where(zero, 1, xp.abs(x)) ** (p - 1))
            return scaled * grad * norm ** (1 - p)
        zero_norm = norm == 0
        safe_norm = xp.where(zero_norm, 1, norm)
        if p == 2:      # torch: grad times the masked ratio, so a NaN grad stays NaN where the norm is 0
            return grad * xp.where(zero_norm, 0, x / safe_norm)
        scale = xp.where(zero_norm, 0, grad / safe_norm ** (p - 1))
        if p < 2:
            return xp.sign(x) * xp.abs(x) ** (p - 1) * scale
        return x * xp.abs(x) ** (p - 2) * scale


def _widening_norm_dtype(input, dtype):
    """``dtype`` (a minigrad dtype) as a NumPy dtype, refused as torch refuses a narrowing one."""
    numpy_dtype = dtypes.to_numpy_dtype(dtype)
    if numpy_dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, but got "
                           f"{dtypes.scalar_type_name(numpy_dtype)}")
    if dtypes.promote_types(input.array.dtype, numpy_dtype) != numpy_dtype:
        raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({dtypes.scalar_type_name(input.array.dtype)}) "
                           "should be convertible without narrowing to the specified dtype "
                           f"({dtypes.scalar_type_name(numpy_dtype)})")
    return numpy_dtype


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The p-norm over ``dim`` (all elements by default): ``p`` is ``'fro'`` (2), a number, or +-inf."""
    if input.array.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.scalar_type_name(input.array.dtype)}")
    if dtype is not None:
        input = promoted_to(input, _widening_norm_dtype(input, dtype))
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not supported by minigrad (use 'fro' or a number)")
    axes = None if dim is None else _reduced_axes(dim, input.array.ndim)
    if p in (math.inf, -math.inf):
        _check_nonempty(input, "linalg.vector_norm", axes)
    return Norm.apply(input, p=float(p), axes=axes, keepdim=keepdim)


__all__ = ["sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
           "norm", "cumsum", "return_types", "cumprod", "count_nonzero", "diff", "var_mean",
           "std_mean", "nansum", "nanmean", "cummax", "cummin", "logcumsumexp", "aminmax"]
