"""``softmax``, ``log_softmax`` and ``logsumexp``, numerically stable.

All three subtract the maximum along the reduced dimension before ``exp``, so
logits of any size give no overflow (``exp(x - max) <= 1``); the backward
passes use the closed forms below instead of differentiating that shift.
"""
from __future__ import annotations

import math
import numbers

import numpy

from ..backends import cpu
from ..core import dtypes
from ..core.function import Function
from ..core.device import array_module
from ..core.tensor import _check_dim
from . import reduce_loop
from .fused import fmadd
from .reduction import _reduced_axes, _unreduce
from .tensor_namespace import astype, half_in_float32
from .unary import exp_rounded_once, log_rounded_once
from .vector_loop import vector_bytes


def _peak(x, axes):
    """The maximum along ``axes`` (kept as size-1 dims): the shift that keeps ``exp`` finite.

    Over a size-0 dim there is nothing to shift (and NumPy's max refuses): 0, so softmax of
    an empty sequence is empty and its logsumexp ``log(0) = -inf``, as torch.  A NumPy float
    array's max starts from ``-inf`` (the same maximum, NaN included): without an initial value
    NumPy tracks each row's first element, 2-3x slower over short rows (attention's keys).
    """
    if x.size:
        if type(x) is numpy.ndarray and x.dtype.kind == "f":
            return x.max(axis=axes, keepdims=True, initial=-numpy.inf)
        return x.max(axis=axes, keepdims=True)
    shape = tuple(1 if axis in axes else size for axis, size in enumerate(x.shape))
    return array_module(x).zeros(shape, x.dtype)


def _rounded_as(values, x):
    """``values`` (float32) rounded to ``x``'s half precision and back: where torch's half kernels
    store an intermediate in the tensor's own dtype."""
    return values.astype(x.dtype).astype(values.dtype) if values.dtype != x.dtype else values


def _along_last_dim(x, axis):
    """Does the softmax run along the last dim (torch's ``lastdim`` kernels)?"""
    return not axis or axis[0] == x.ndim - 1


def _divided_along_a_leading_dim(exps, total, x, dim):
    """``exps / total`` (float32 exponentials, their float32 sum) as torch's softmax kernel along a
    dim not the last divides them, run on one thread: for float32 and float64 as they are.  A half
    tensor's kernel walks each row of the dims after ``dim`` (its inner row) with Vectorized<Half>
    over the leading multiple of its lanes (16 with AVX2 and the default build), dividing the
    exponentials and rounding once, and with a scalar loop over the rest, which stores each
    exponential in half first (in the output) and divides that.  With AVX-512 the scalar loop's
    rounding is taken throughout, as fitted there (on inner rows under its 32 lanes)."""
    rounded = _rounded_as(exps, x)
    if rounded is exps or type(exps) is not numpy.ndarray or cpu.get_cpu_capability() == "AVX512":
        return rounded / total
    inner = x.shape[dim + 1:]
    size = math.prod(inner)
    vectorized = size - size % (vector_bytes() // x.dtype.itemsize)
    if not vectorized:
        return rounded / total
    in_vectors = numpy.arange(size).reshape(inner) < vectorized
    return numpy.where(in_vectors, exps, rounded) / total


class Softmax(Function):
    """``y = exp(x) / sum(exp(x))`` along ``axis``; dx = y * (dy - sum(dy * y)).

    In torch's order: along the last dim the exponentials are multiplied by the reciprocal of
    their sum; along another dim divided by it, in half precision as ``_divided_along_a_leading_dim``.
    """

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axis):
        xp = array_module(x)
        wide = half_in_float32(x)
        result = xp.asarray(wide - _peak(wide, axis))   # asarray: 0-d gives a NumPy scalar
        xp.exp(result, out=result)           # in place: a fresh array, and softmax runs often
        total = result.sum(axis=axis, keepdims=True)
        if _along_last_dim(x, axis):
            result *= 1 / total
        else:
            result = _divided_along_a_leading_dim(result, total, x, axis[0])
        result = result.astype(x.dtype, copy=False)
        self.save_for_backward(result)
        self.axis = axis
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        grad, y = half_in_float32(grad_output), half_in_float32(result)
        products = grad * y
        difference = grad - products.sum(axis=self.axis, keepdims=True)
        if _cancels_in_a_leading_dim(difference, products, self.axis):
            difference = grad - _sum_in_torchs_order(grad, y, self.axis)
        return astype(difference * y, result.dtype)


def _cancels_in_a_leading_dim(difference, products, axis):
    """Along another dim than the last, torch's kernel sums ``grad * y`` in its own order (see
    ``_sum_in_torchs_order``), whose ulps differ from NumPy's pairwise sum's.  They decide the
    gradient only where ``grad - sum`` cancels more than half the bits of the sum's terms (a gradient
    constant along the dim, on outputs summing to 1 within an ulp: fuzz seed 1804030, whose whole
    result is then that cancellation; or one output near 1, whose gradient is that cancellation
    while its neighbours' are not: fuzz seed 30711922, a softmin of 38.9 against -23.1);
    elsewhere they are the result's last bits, as in any sum.  Three passes more, on this path only."""
    if type(products) is not numpy.ndarray or products.dtype.kind != "f" or _along_last_dim(products, axis) \
            or not products.size:
        return False
    with numpy.errstate(invalid="ignore", over="ignore"):
        scale = numpy.abs(products).sum(axis=axis, keepdims=True) * math.sqrt(numpy.finfo(products.dtype).eps)
        return bool((numpy.abs(difference) < scale).any())


def _sum_in_torchs_order(grad, y, axis):
    """``sum(grad * y)`` along ``axis`` (not the last) as torch's kernel takes it: walking the dim,
    ``sum = fma(grad[i], y[i], sum)`` (fuzz seed 1804030: 2.2e79 where NumPy's pairwise sum of the
    products of +-2.6e95 gave 1.1e79).  A Python loop along the dim: for the rare rows that need it."""
    dim = axis[0]
    total = numpy.zeros_like(numpy.take(grad, [0], axis=dim))
    for i in range(grad.shape[dim]):
        index = (slice(None),) * dim + (slice(i, i + 1),)
        total = fmadd(grad[index], y[index], total, grad.dtype.type)
    return total


def log_softmax_array(x, axis):
    """``x - logsumexp(x)`` along ``axis`` (a tuple of one dim), an array.  Half precision runs in
    float32, rounded once, except along the last dim, where torch's kernel rounds the sum of
    exponentials to half, and its log too, before subtracting."""
    xp = array_module(x)
    wide = half_in_float32(x)
    shifted = wide - _peak(wide, axis)
    total = xp.exp(shifted).sum(axis=axis, keepdims=True)
    # (total >= 1, its peak's exp(0) among its terms, or NaN: no warning to silence)
    if _along_last_dim(x, axis):
        log_total = _rounded_as(log_rounded_once(_rounded_as(total, x), may_be_below_zero=False), x)
    else:
        log_total = log_rounded_once(total, may_be_below_zero=False)
    return (shifted - log_total).astype(x.dtype, copy=False)


class LogSoftmax(Function):
    """``y = x - logsumexp(x)`` along ``axis`` (``log_softmax_array``); dx = dy - softmax(x) * sum(dy)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def forward(self, x, axis):
        result = log_softmax_array(x, axis)
        self.save_for_backward(result)
        self.axis = axis
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        grad, y = half_in_float32(grad_output), half_in_float32(result)
        total = grad.sum(axis=self.axis, keepdims=True)
        # (exp and log rounded once: where 1 - exp(y) cancels, an ulp of either is 1e-3 of the gradient)
        return astype(_less_exponential_times_sum(grad, exp_rounded_once(y, may_overflow=False), total),
                      result.dtype)


def _less_exponential_times_sum(grad, exponential, total):
    """``grad - exponential * total`` as torch's log_softmax backward kernels compute it, along
    the last dim or another: ``x - y.exp() * Vec(sum)`` compiled to a fused multiply-add, rounded
    once.  Where the sum cancels the product (a grad of -8e8 on an output of -7e-11) that rounding
    is the result's own: 0.0615515367 in float64, not 0.0615515709 (fuzz seed 351240).  A backward
    recorded as a graph (Tensors) keeps the plain formula."""
    if type(grad) is not numpy.ndarray or grad.dtype.kind != "f":
        return grad - exponential * total
    return fmadd(-exponential, total, grad, grad.dtype.type)


class LogSumExp(Function):
    """``log(sum(exp(x)))`` over ``axes``; dx = dy * exp(x - result) (the softmax)."""

    differentiable_backward = True
    dense_output = True     # a new tensor in torch's default layout

    def name(self):
        return "LogsumexpBackward0"

    def forward(self, x, axes, keepdim):
        xp = array_module(x)
        peak = _peak(x, axes)
        peak = xp.where(xp.isinf(peak), 0, peak)   # all -inf (or an inf) must not give inf - inf
        # exp and log rounded once, as torch's (float32 through float64); along the last dim each row
        # summed in torch's order (fuzz seed 50997501: a logsumexp of log-probabilities, 0.0 in torch,
        # -2.2e-16 in NumPy's order, whose log10 was -inf in torch and NaN here)
        exponentials = exp_rounded_once(x - peak, may_overflow=False)
        if _in_torchs_order(x, axes):
            summed = reduce_loop.last_dim_sums(exponentials)[..., None]
        else:
            summed = exponentials.sum(axis=axes, keepdims=True)
        result = log_rounded_once(summed) + peak
        if not keepdim:
            result = xp.squeeze(result, axis=axes)
        self.save_for_backward(x, result)
        self.axes, self.keepdim = axes, keepdim
        return result

    def backward(self, grad_output):
        x, result = self.saved_tensors
        result = _unreduce(result, x.shape, self.axes, self.keepdim)
        return _unreduce(grad_output, x.shape, self.axes, self.keepdim) * exp_rounded_once(x - result)


def _in_torchs_order(x, axes):
    """Does logsumexp over ``axes`` sum in torch's CPU order (``reduce_loop.last_dim_sums``)?  A
    float32/float64 NumPy array reduced along its last dim alone, rows shorter than torch's grain
    (longer ones torch splits among its threads)."""
    return (type(x) is numpy.ndarray and x.dtype in (numpy.float32, numpy.float64) and x.ndim >= 1
            and axes is not None and tuple(axes) == (x.ndim - 1,) and x.size and x.shape[-1] < 32768)


_REQUIRED = object()   # marks ``dim`` as not given (``None`` is a wrong value, with its own error)


def _required_dim(name, dim, axis):
    """``dim``, or NumPy's spelling ``axis=`` (torch takes both)."""
    if dim is _REQUIRED:
        if axis is None:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return axis
    return dim


def _softmax_input(input, dim, dtype, name):
    """(input cast to ``dtype``, the axis as a tuple) with torch's errors."""
    if type(dim) is not int and not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    axis = _check_dim(dim, input.array.ndim)
    if dtype is None and input.array.dtype.kind not in "fc" and input.array.size:
        # torch's kernel name says whether the softmax runs along the last dim
        kernel = "lastdim_kernel_impl" if axis == max(input.array.ndim - 1, 0) else "kernel_impl"
        raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for "
                                  f"'{dtypes.scalar_type_name(input.array.dtype)}'")
    return input, (axis,) if input.array.ndim else ()


def softmax(input, dim=_REQUIRED, dtype=None, *, axis=None):
    """``exp(input) / exp(input).sum(dim, keepdim=True)``, computed without overflow."""
    if dim is _REQUIRED:
        dim = _required_dim("softmax", dim, axis)
    input, axis = _softmax_input(input, dim, dtype, "softmax")
    if input.array.dtype.kind not in "fc":   # empty: torch returns it before its kernel's dtype check
        return input.clone()
    return Softmax.apply(input, axis=axis)


def log_softmax(input, dim=_REQUIRED, dtype=None, *, axis=None):
    """``log(softmax(input, dim))``, computed as ``input - logsumexp(input, dim)``."""
    if dim is _REQUIRED:
        dim = _required_dim("log_softmax", dim, axis)
    input, axis = _softmax_input(input, dim, dtype, "log_softmax")
    if input.array.dtype.kind not in "fc":   # empty, as in softmax
        return input.clone()
    return LogSoftmax.apply(input, axis=axis)


def logsumexp(input, dim=_REQUIRED, keepdim=False, *, axis=None, keepdims=None):
    """``log(exp(input).sum(dim))`` without overflow; integer tensors give the default float type."""
    if dim is _REQUIRED:
        dim = _required_dim("logsumexp", dim, axis)
    if keepdims is not None:
        keepdim = keepdims
    if input.array.dtype.kind not in "fc":
        input = input.to(dtypes.get_default_dtype())
    axes = _reduced_axes(dim, input.array.ndim)
    return LogSumExp.apply(input, axes=axes, keepdim=keepdim)


__all__ = ["softmax", "log_softmax", "logsumexp"]
