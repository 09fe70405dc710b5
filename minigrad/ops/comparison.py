"""Comparisons and logic: ``== != < <= > >=``, ``isclose``, ``isnan``, ``any``/``all``, ``& | ^ ~``.

None of these has a gradient (torch's results are bool or integer tensors), so
they compute on the arrays and wrap the result with ``Tensor._wrap``: no
``Function``, no graph.  Operands of different dtypes are compared in the
dtype torch promotes them to (``minigrad.dtypes.result_type``).
"""
from __future__ import annotations

import numbers

import numpy

from ..core import dtypes
from ..core.device import array_module, quiet_float_errors
from ..core.layout import cast, elementwise_result
from ..core.tensor import Tensor, _check_dim
from ..core.type_errors import check_tensor_other
from .broadcast import broadcast_shapes
from .inplace import assign, check_in_place_result, in_place

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "isposinf",
           "isneginf", "any", "all", "logical_not", "logical_and", "logical_or", "logical_xor",
           "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor"]


def _operands(input, other):
    """Two arrays (or an array and a Python number) in torch's common dtype; None for other types."""
    first = input.array
    if isinstance(other, Tensor):
        second = other.array
        if second.shape != first.shape:
            broadcast_shapes(first.shape, second.shape)   # torch's error naming the sizes
        if second.dtype != first.dtype:
            dtype = dtypes.result_type(input, other)
            first, second = cast(first, dtype), cast(second, dtype)
        return first, second
    if isinstance(other, numbers.Number):
        dtype = dtypes.result_type(input, other)
        if dtype == dtypes.float16.numpy and type(other) is float:
            # torch makes the number a float16 through float (c10::Half), where NumPy would round it
            # directly: x == 1 + 2**-11 + 2**-40 compares with 1.0, not 1.0009765625
            return cast(first, dtype), dtypes.converted(array_module(first).asarray(other), dtype)
        return cast(first, dtype), dtypes.wrapped_int(other, dtype)
    return None


def _elementwise(ufunc_name, operands, other):
    """The ufunc on ``operands`` (from ``_operands``), its result laid out as torch's where ``other``
    is a tensor (against a number, NumPy's layout is torch's)."""
    first, second = operands
    result = getattr(array_module(first), ufunc_name)(first, second)
    if isinstance(other, Tensor):
        result = elementwise_result(result, operands)
    return _result(result, first)


def _result(array, like):
    """A tensor around ``array``: ufuncs on 0-d arrays give NumPy scalars, made 0-d arrays again."""
    return Tensor._wrap(array_module(like).asarray(array))


def _compare(input, other, ufunc_name):
    operands = _operands(input, other)
    if operands is None:
        return NotImplemented   # ``x == None`` is False, as in torch, via Python's fallback
    return _elementwise(ufunc_name, operands, other)


def eq(input, other):
    """Elementwise ``input == other`` as a bool tensor (``other`` a tensor or a number, broadcast)."""
    return _compare(input, other, "equal")


def ne(input, other):
    return _compare(input, other, "not_equal")


def lt(input, other):
    return _compare(input, other, "less")


def le(input, other):
    return _compare(input, other, "less_equal")


def gt(input, other):
    return _compare(input, other, "greater")


def ge(input, other):
    return _compare(input, other, "greater_equal")


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other) -> bool:
    """True when both have the same shape and the same values (a Python bool)."""
    if input.array.shape != other.array.shape:
        return False
    first, second = _operands(input, other)
    return bool(array_module(first).array_equal(first, second))


def _check_same_dtype(input, other):
    if input.array.dtype != other.array.dtype:
        raise RuntimeError(f"{dtypes.scalar_type_name(input.array.dtype)} did not match "
                           f"{dtypes.scalar_type_name(other.array.dtype)}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (equal infinities are close)."""
    check_tensor_other("isclose", other)
    _check_same_dtype(input, other)
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value}")
    first, second = input.array, other.array
    broadcast_shapes(first.shape, second.shape)     # torch's error naming the sizes
    with quiet_float_errors():      # (NumPy's isclose subtracts in its own file: an overflow warned)
        close = array_module(first).isclose(first, second, rtol=rtol, atol=atol, equal_nan=equal_nan)
    # laid out as torch's ``self == other`` (fuzz seed 5911655: a transposed input, so a view of the result fails)
    result = _result(elementwise_result(close, (first, second)) if close.ndim else close, first)
    # torch builds it as ``close = self == other`` and then ``close |= ...`` in place: once for equal
    # NaNs (floating inputs), once for the tolerance (unless both are 0): its version counts those
    # writes, and an in-place error about it names them (fuzz seed 334322)
    result._version_counter.value += (equal_nan and first.dtype.kind in "fc") + (rtol != 0 or atol != 0)
    return result


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every element is ``isclose`` (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def isnan(input):
    return _result(array_module(input.array).isnan(input.array), input.array)


def isinf(input):
    return _result(array_module(input.array).isinf(input.array), input.array)


def isposinf(input):
    array = input.array
    return _result(array_module(array).isinf(array) & (array > 0), array)


def isneginf(input):
    array = input.array
    return _result(array_module(array).isinf(array) & (array < 0), array)


def isfinite(input):
    return _result(array_module(input.array).isfinite(input.array), input.array)


# ---- any / all ---------------------------------------------------------------------
def _reduce_truth(input, dim, keepdim, reduction):
    array = input.array
    if dim is None or array.ndim == 0:
        axis = None
        if dim is not None:
            _check_dim(dim if isinstance(dim, int) else dim[0], 0)
    elif isinstance(dim, (tuple, list)):
        axis = tuple(_check_dim(d, array.ndim) for d in dim)
    else:
        axis = _check_dim(dim, array.ndim)
    result = getattr(array_module(array), reduction)(array, axis=axis, keepdims=keepdim)
    if array.dtype == numpy.uint8:   # torch keeps uint8 for uint8 input
        result = result.astype(numpy.uint8)
    return _result(result, array)


def any(input, dim=None, keepdim=False):
    """True where any element (over ``dim``, an int or a tuple; all dims if None) is non-zero."""
    return _reduce_truth(input, dim, keepdim, "any")


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``, an int or a tuple; all dims if None) is non-zero."""
    return _reduce_truth(input, dim, keepdim, "all")


# ---- logical and bitwise ----------------------------------------------------------------
def _logical(input, other, ufunc_name):
    check_tensor_other(ufunc_name, other)
    return _elementwise(ufunc_name, _operands(input, other), other)


def logical_not(input):
    """True where ``input`` is zero (False)."""
    return _result(array_module(input.array).logical_not(input.array), input.array)


def logical_and(input, other):
    return _logical(input, other, "logical_and")


def logical_or(input, other):
    return _logical(input, other, "logical_or")


def logical_xor(input, other):
    return _logical(input, other, "logical_xor")


def _bitwise(input, other, ufunc_name):
    operands = _operands(input, other)
    if operands is None:
        return NotImplemented
    first, second = operands
    if first.dtype.kind not in "biu":
        raise NotImplementedError(f'"{ufunc_name}_cpu" not implemented for '
                                  f"'{dtypes.scalar_type_name(first.dtype)}'")
    return _elementwise(ufunc_name, operands, other)


def bitwise_not(input):
    """Logical not for bool tensors, two's complement for integers; torch's kernel error for floats."""
    array = input.array
    if array.dtype.kind not in "biu":
        raise NotImplementedError(f'"bitwise_not_cpu" not implemented for \'{dtypes.scalar_type_name(array.dtype)}\'')
    return _result(array_module(array).invert(array), array)


def invert(input):
    """``~x``, ``bitwise_not`` with the Python operator's error for floats."""
    if input.array.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(input)


def bitwise_and(input, other):
    """``x & y`` on bool or integer tensors (``mask_a & mask_b``)."""
    return _bitwise(input, other, "bitwise_and")


def bitwise_or(input, other):
    return _bitwise(input, other, "bitwise_or")


def bitwise_xor(input, other):
    return _bitwise(input, other, "bitwise_xor")


# in place: ``mask |= other`` writes into ``mask`` (a bool target refuses an integer result)
def _in_place(op):
    """``x.op_(other)``: ``op``'s result written into ``x``, in x's dtype (``x.eq_(y)`` of a float
    tensor holds 1.0 and 0.0, as torch's)."""
    def written(input, *others):
        return in_place(op, input, *others)
    written.__name__ = op.__name__ + "_"
    return written


eq_, ne_, lt_, le_, gt_, ge_ = (_in_place(op) for op in (eq, ne, lt, le, gt, ge))
greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
logical_and_, logical_or_, logical_xor_, logical_not_ = (
    _in_place(op) for op in (logical_and, logical_or, logical_xor, logical_not))
bitwise_not_ = _in_place(bitwise_not)


def bitwise_and_(input, other):
    check_in_place_result(input, other)
    return _bitwise_in_place(input, bitwise_and(input, other))


def bitwise_or_(input, other):
    check_in_place_result(input, other)
    return _bitwise_in_place(input, bitwise_or(input, other))


def bitwise_xor_(input, other):
    check_in_place_result(input, other)
    return _bitwise_in_place(input, bitwise_xor(input, other))


def _bitwise_in_place(input, result):
    return result if result is NotImplemented else assign(input, result)

