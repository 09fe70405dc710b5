"""Pointwise functions of several tensors (or of a tensor and bounds), broadcast together:
``clamp maximum minimum fmax fmin atan2 logaddexp hypot copysign nextafter float_power lerp addcmul
addcdiv``.

Each is a ``Function`` class whose backward routes the output gradient to every
input by its partial derivative and undoes broadcasting with ``sum_to``.  Ties
follow torch: ``clamp`` passes the gradient where ``min <= x <= max``, and
``maximum``/``minimum`` split it in half where both inputs are equal.
"""
from __future__ import annotations

import numbers
import operator

import numpy

from ..core import dtypes, layout
from ..core.device import array_module, branchless_where, positive_domain_nans
from ..core.type_errors import check_tensor_other, describe_type
from ..core.function import Function, sequence_nr_unless_derivative_missing
from ..core.tensor import Tensor
from .arithmetic import (BOOL_NEGATION_MESSAGE, BOOL_SUBTRACTION_MESSAGE, as_operands, by_single, pow, pow_,
                         single_in_float32, single_of, unpromoted, was_bool)
from .promotion import promoted_to
from .broadcast import broadcast_shapes, sum_to
from .inplace import assign, check_in_place, check_in_place_result, in_place
from .fused import fmadd
from .tensor_namespace import astype, half_in_float32, zeros
from .unary import _tensor, _ties_keep_the_second, against_a_number
from .vector_loop import scalar_tail


# ---- clamp, maximum, minimum ---------------------------------------------------------------------
class Clamp(Function):
    """``clamp`` with Python-number bounds (``None`` for no bound)."""

    differentiable_backward = True

    def name(self):
        return self.torch_name      # clamp, clamp_min or clamp_max: torch names the overload

    def forward(self, x, low, high, torch_name="ClampBackward1"):
        self.save_for_backward(x)
        self.low, self.high, self.torch_name = low, high, torch_name
        xp = array_module(x)
        if _ties_keep_the_second(xp, x.dtype):      # torch keeps x where it equals a bound (0.0 vs -0.0)
            result = x if low is None else against_a_number(xp.maximum, low, x)
            return result if high is None else against_a_number(xp.minimum, high, result)
        result = x if low is None else xp.maximum(x, low)
        return result if high is None else xp.minimum(result, high)

    def backward(self, grad_output):
        # torch: the gradient passes where min <= x <= max, boundaries included
        (x,) = self.saved_tensors
        low, high = self.low, self.high
        inside = x >= low if high is None else x <= high if low is None else (x >= low) & (x <= high)
        return branchless_where(array_module(x), inside, grad_output, 0)


class ClampTensor(Function):
    """``clamp(x, low, high)`` with tensor bounds; gradients to the bound that was taken.

    torch's rules (``clamp_backward_min_max``): ``x`` where ``low <= x <= high``,
    ``low`` where ``x < low < high``, ``high`` where ``x > high`` or ``high < low``.
    """

    elementwise = True
    differentiable_backward = True

    def name(self):
        return "ClampBackward0"

    def forward(self, x, low, high):
        self.save_for_backward(x, low, high)
        xp = array_module(x)
        return xp.minimum(xp.maximum(x, low), high)

    def backward(self, grad_output):
        x, low, high = self.saved_tensors
        xp = array_module(x)
        needs = self.needs_input_grad
        grad_x = sum_to(branchless_where(xp, (x >= low) & (x <= high), grad_output, 0), x.shape) if needs[0] else None
        grad_low = sum_to(branchless_where(xp, (x < low) & (low < high), grad_output, 0), low.shape) if needs[1] else None
        grad_high = sum_to(branchless_where(xp, (x > high) | (high < low), grad_output, 0), high.shape) if needs[2] else None
        return grad_x, grad_low, grad_high


class Maximum(Function):
    """Elementwise max; where ``a == b`` each gets half the gradient (as torch)."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "MaximumBackward0" if self.largest else "MinimumBackward0"

    def forward(self, a, b, largest):
        self.save_for_backward(a, b)
        self.largest = largest
        xp = array_module(a)
        result = xp.maximum(a, b) if largest else xp.minimum(a, b)
        if isinstance(result, numpy.generic):       # (two 0-d arrays give a NumPy scalar)
            result = numpy.asarray(result)
        if type(result) is numpy.ndarray and result.dtype.kind == "f":
            _zero_ties_as_torch(result, a, b)
        return result

    def backward(self, grad_output):
        a, b = self.saved_tensors
        xp = array_module(a)
        shared = branchless_where(xp, a == b, grad_output * 0.5, grad_output)
        a_lost, b_lost = (a < b, a > b) if self.largest else (a > b, a < b)
        grad_a = sum_to(branchless_where(xp, a_lost, 0, shared), a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(branchless_where(xp, b_lost, 0, shared), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def _zero_ties_as_torch(result, a, b):
    """Write into ``result`` torch's choice between 0.0 and -0.0 where ``a`` and ``b`` are those two:
    torch's CPU maximum/minimum return the second operand in their vector lanes (AVX's max_ps) and
    the first in their scalar tail (std::max).  Their kernels are ``cpu_kernel_vec`` loops registered
    without an AVX-512 build (``REGISTER_DISPATCH``), so they step two 32-byte vectors with AVX-512
    too: the tail is ``row % (64 / itemsize)`` elements of each row (``vector_loop.scalar_tail``),
    or a whole row where an operand's elements are not adjacent along it; NumPy's loops return one
    operand throughout (float16 the first, float32/float64 the second)."""
    ties = (a == 0) & (b == 0) & (numpy.signbit(a) != numpy.signbit(b))
    if not ties.any():
        return
    a, b = numpy.broadcast_to(a, result.shape), numpy.broadcast_to(b, result.shape)
    strides = [layout.element_strides(array) for array in (result, a, b)]
    tail = scalar_tail(result, operand_strides=strides, width=32)
    numpy.copyto(result, b if tail is None else numpy.where(tail, a, b), where=ties)


def maximum(input, other):
    """Elementwise maximum of two tensors (broadcast); NaN wins, as torch."""
    _tensor(input, "maximum")       # (a number first: torch's argument parser refuses it)
    check_tensor_other("maximum", other)
    return Maximum.apply(*as_operands(input, other), largest=True)


def minimum(input, other):
    """Elementwise minimum of two tensors (broadcast); NaN wins, as torch."""
    _tensor(input, "minimum")       # (a number first: torch's argument parser refuses it)
    check_tensor_other("minimum", other)
    return Maximum.apply(*as_operands(input, other), largest=False)


def _number_bounds_dtype(input, low, high):
    """The result dtype of clamping by numbers: an int tensor clamped by a float becomes float."""
    bounds = [bound for bound in (low, high) if bound is not None]
    return dtypes.result_type(input, *bounds)


def clamp(input, min=None, max=None):
    """Limit ``input`` to ``[min, max]``; bounds are numbers or tensors (broadcast), either may be None."""
    low, high = min, max
    if low is None and high is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(low, (numbers.Number, type(None))) and isinstance(high, (numbers.Number, type(None))):
        return _clamp_numbers(input, low, high)
    if high is None:                      # torch's clamp.Tensor overload names its node ClampBackward0
        return clamp_min(input, low, _torch_name="ClampBackward0")
    if low is None:
        return clamp_max(input, high, _torch_name="ClampBackward0")
    x, low = as_operands(input, low)
    x, high = as_operands(x, high)
    if low.array.dtype != x.array.dtype:       # promoted by ``high``
        x, low = as_operands(x, low)
    return ClampTensor.apply(x, low, high)


def clamp_min(input, min, *, _torch_name="ClampMinBackward1"):
    """``max(input, min)``; the gradient goes to ``input`` where ``input >= min``."""
    if isinstance(min, numbers.Number):
        return _clamp_numbers(input, min, None, "ClampMinBackward0")
    x, low = as_operands(input, min)
    return ClampMin.apply(x, low, torch_name=_torch_name)


def clamp_max(input, max, *, _torch_name="ClampMaxBackward1"):
    """``min(input, max)``; the gradient goes to ``input`` where ``input <= max``."""
    if isinstance(max, numbers.Number):
        return _clamp_numbers(input, None, max, "ClampMaxBackward0")
    x, high = as_operands(input, max)
    return ClampMax.apply(x, high, torch_name=_torch_name)


def _clamp_numbers(input, low, high, torch_name="ClampBackward1"):
    dtype = _number_bounds_dtype(_tensor(input, "clamp"), low, high)
    if dtype != input.array.dtype:
        input = input.to(dtypes.from_numpy_dtype(dtype))
    return Clamp.apply(input, low=low, high=high, torch_name=torch_name)


class ClampMin(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return self.torch_name

    def forward(self, x, low, torch_name="ClampMinBackward1"):
        self.torch_name = torch_name
        self.save_for_backward(x, low)
        return array_module(x).maximum(x, low)

    def backward(self, grad_output):
        x, low = self.saved_tensors
        xp = array_module(x)
        keep = x >= low
        grad_x = sum_to(branchless_where(xp, keep, grad_output, 0), x.shape) if self.needs_input_grad[0] else None
        grad_low = sum_to(branchless_where(xp, keep, 0, grad_output), low.shape) if self.needs_input_grad[1] else None
        return grad_x, grad_low


class ClampMax(Function):
    elementwise = True
    differentiable_backward = True

    def name(self):
        return self.torch_name

    def forward(self, x, high, torch_name="ClampMaxBackward1"):
        self.torch_name = torch_name
        self.save_for_backward(x, high)
        return array_module(x).minimum(x, high)

    def backward(self, grad_output):
        x, high = self.saved_tensors
        xp = array_module(x)
        keep = x <= high
        grad_x = sum_to(branchless_where(xp, keep, grad_output, 0), x.shape) if self.needs_input_grad[0] else None
        grad_high = sum_to(branchless_where(xp, keep, 0, grad_output), high.shape) if self.needs_input_grad[1] else None
        return grad_x, grad_high

# ---- two-argument functions: atan2, logaddexp, hypot, lerp, addcmul, addcdiv ----------------------
def _float_operands(input, other, name):
    """Broadcast-ready operands of a float result type (integers promote to the default float)."""
    _tensor(input, name)
    check_tensor_other(name, other)
    return as_operands(input, other, true_division=True)


class Atan2(Function):
    """``atan2(a, b)``: d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).

    torch's ``atan2_backward``: ``recip = 1 / (a*a + b*b)`` and ``-a``, each taken in its
    operand's own dtype before promotion (a float16 ``b`` squares to inf above 255, a uint8
    ``a`` squares and negates modulo 256), and ``recip`` set to 0 where ``a*a + b*b`` is 0 (the
    point (0, 0), or squares that underflow), so those gradients are a signed 0 rather than NaN;
    where the sum is not 0 but its reciprocal overflows (float16 (0.003, 0)), ``0 * inf`` is NaN
    there, as in torch (fuzz seed 3463854).
    """

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def forward(self, a, b, sources=(None, None), bool_first=False):
        self.bool_first = bool_first       # (b's gradient takes -a: torch refuses a bool a)
        self.save_for_backward(a, b)
        self.sources = sources     # an operand's array before its promotion, else None
        xp = array_module(a)
        if a.dtype == xp.float32:   # NumPy's float32 atan2 is an ulp off where torch's rounds correctly
            return xp.arctan2(a.astype(xp.float64), b.astype(xp.float64)).astype(xp.float32)
        return xp.arctan2(a, b)

    @staticmethod
    def _in_source_dtype(operation, x, source):
        """``operation`` of the operand as given (``source``, before promotion: an int64 beyond 2**24
        does not survive a float32 round trip), then promoted as torch's is."""
        if source is None:
            return operation(x)
        result = operation(source)
        return astype(Tensor._wrap(result) if isinstance(x, Tensor) else result, x.dtype)

    def backward(self, grad_output):
        if self.bool_first and self.needs_input_grad[1]:
            raise RuntimeError(BOOL_NEGATION_MESSAGE)
        a, b = self.saved_tensors
        xp = array_module(a)
        with numpy.errstate(divide="ignore", over="ignore"):
            squares = [self._in_source_dtype(lambda v: v * v, x, source)
                       for x, source in zip((a, b), self.sources)]
            denominator = squares[0] + squares[1]
            recip = 1 / denominator
        recip = branchless_where(xp, denominator == 0, 0, recip)
        # grad * other and grad * -self: a float16 op's one-element operand read in float32 (by_single)
        single_a, single_b = (single_of(x.dtype, source) for x, source in zip((a, b), self.sources))
        grad_a = sum_to(by_single(operator.mul, grad_output, b, single_b) * recip, a.shape) \
            if self.needs_input_grad[0] else None
        grad_b = None
        if self.needs_input_grad[1]:
            with numpy.errstate(over="ignore"):
                negated = self._in_source_dtype(lambda v: -v, a, self.sources[0])
                single = None if single_a is None else (-self.sources[0]).astype(xp.float32)
            grad_b = sum_to(by_single(operator.mul, grad_output, negated, single) * recip, b.shape)
        return grad_a, grad_b


class LogAddExp(Function):
    """``log(exp(a) + exp(b))``; d/da = sigmoid(a - b) = 1 / (1 + exp(b - a)) (torch's form: finite
    when one side is infinite, NaN only where both are the same infinity)."""

    argument_names = ("self", "other")
    elementwise = True

    def name(self):
        return "LogaddexpBackward0"

    differentiable_backward = True

    def forward(self, a, b, bool_operand=False):
        self.bool_operand = bool_operand   # (both gradients take b - a: torch refuses a bool one)
        self.save_for_backward(a, b)     # not the result: torch's node does not save it
        return array_module(a).logaddexp(a, b)

    def backward(self, grad_output):
        if self.bool_operand:
            raise RuntimeError(BOOL_SUBTRACTION_MESSAGE)
        a, b = self.saved_tensors
        xp = array_module(a)
        with numpy.errstate(over="ignore", invalid="ignore"):
            grad_a = sum_to(grad_output / (1 + xp.exp(b - a)), a.shape) if self.needs_input_grad[0] else None
            grad_b = sum_to(grad_output / (1 + xp.exp(a - b)), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Hypot(Function):
    """``sqrt(a^2 + b^2)``; d/da = a / result."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def forward(self, a, b, singles=(None, None)):
        result = array_module(a).hypot(a, b)
        # each input's gradient needs only itself (and the result): torch saves no other
        needs_a, needs_b = self.needs_input_grad
        self.save_for_backward(a if needs_a else None, b if needs_b else None, result)
        self.singles = singles      # a float16 op's one-element operand as given, in float32, or None
        return result

    def backward(self, grad_output):
        a, b, result = self.saved_tensors
        # torch's grad * self / result: a float16 op's one-element operand read in float32 (by_single)
        single_a, single_b = self.singles
        grad_a = sum_to(by_single(operator.mul, grad_output, a, single_a) / result, a.shape) \
            if self.needs_input_grad[0] else None
        grad_b = sum_to(by_single(operator.mul, grad_output, b, single_b) / result, b.shape) \
            if self.needs_input_grad[1] else None
        return grad_a, grad_b


def atan2(input, other):
    a, b = _float_operands(input, other, "atan2")
    # the operands torch squares (and negates) in their own dtype, before they meet in the promoted one
    # (a bool operand stays promoted: torch refuses to negate it, bool_first)
    return Atan2.apply(a, b, sources=(unpromoted(a), unpromoted(b)), bool_first=was_bool(a))


arctan2 = atan2


def _float_kernel_operands(input, other, name):
    """``_float_operands`` for torch's float-only kernels: integer and bool operands are refused."""
    _tensor(input, name)
    check_tensor_other(name, other)
    broadcast_shapes(input.shape, other.shape)      # torch checks the shapes first
    common = dtypes.result_type(input, other)
    if common.kind != "f":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dtypes.scalar_type_name(common)}'")
    return _float_operands(input, other, name)


def logaddexp(input, other):
    a, b = _float_kernel_operands(input, other, "logaddexp")
    return LogAddExp.apply(a, b, bool_operand=was_bool(a) or was_bool(b))


def hypot(input, other):
    a, b = _float_kernel_operands(input, other, "hypot")
    return Hypot.apply(a, b, singles=(single_in_float32(a), single_in_float32(b)))


def atan2_(input, other):
    return in_place(atan2, input, other)


def hypot_(input, other):
    return in_place(hypot, input, other)


# ---- fmax, fmin, copysign, nextafter, float_power ----------------------------------------------
class Fmax(Function):
    """``fmax``/``fmin``: the larger (smaller) of two tensors, where one is NaN the other (NaN only
    where both are).  torch's formula (FmaxBackward0) gives the whole gradient to ``self`` where
    ``self >= other`` (``<=`` for fmin, ties included) or ``other`` is NaN, else to ``other``."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "FmaxBackward0" if self.largest else "FminBackward0"

    def forward(self, a, b, largest):
        self.largest = largest
        self.save_for_backward(a, b)
        xp = array_module(a)
        result = xp.fmax(a, b) if largest else xp.fmin(a, b)
        if result.dtype.kind == "f":        # torch keeps self where the two are 0.0 and -0.0 (std::fmax);
            result = branchless_where(xp, a == b, a, result)    # NumPy's vector loops take the second there
        return result

    def backward(self, grad_output):
        a, b = self.saved_tensors
        xp = array_module(a)
        to_self = ((a >= b) if self.largest else (a <= b)) | xp.isnan(b)
        grad_a = sum_to(branchless_where(xp, to_self, grad_output, 0), a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(branchless_where(xp, to_self, 0, grad_output), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def fmax(input, other):
    """Elementwise maximum of two tensors (broadcast) that ignores NaN, as C's ``fmax``."""
    _tensor(input, "fmax")
    check_tensor_other("fmax", other)
    return Fmax.apply(*as_operands(input, other), largest=True)


def fmin(input, other):
    """Elementwise minimum of two tensors (broadcast) that ignores NaN, as C's ``fmin``."""
    _tensor(input, "fmin")
    check_tensor_other("fmin", other)
    return Fmax.apply(*as_operands(input, other), largest=False)


class Copysign(Function):
    """``|a|`` with the sign of ``b`` (a tensor, or a number: ``sign``).

    torch's ``copysign_tensor_self_backward``: ``grad * result / self``, 0 where ``self == 0``
    (NaN where ``self`` is inf or NaN); ``other`` gets zeros.  A number ``other`` is torch's
    Scalar overload, CopysignBackward1, with ``self`` its only input."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "CopysignBackward1" if self.other_meta is None else "CopysignBackward0"

    def forward(self, a, b=None, sign=None):
        self.other_meta = None if b is None else (b.shape, b.dtype)   # (torch saves no more of other)
        result = array_module(a).copysign(a, sign if b is None else b)
        # as torch's node: self only for self's gradient (fuzz seed 2423106: an integer self written
        # after, with only other requiring grad, is no error), the result always (seed 2409317: a
        # write to it is an error either way)
        self.save_for_backward(a if self.needs_input_grad[0] else None, result)
        return result

    def backward(self, grad_output):
        grad_a = None
        if self.needs_input_grad[0]:
            a, result = self.saved_tensors
            xp = array_module(a)
            with numpy.errstate(divide="ignore", invalid="ignore"):
                ratio = branchless_where(xp, a == 0, 0, result / a)
            grad_a = sum_to(grad_output * ratio, a.shape)
        if self.other_meta is None:
            return grad_a
        grad_b = zeros(grad_output, *self.other_meta) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def copysign(input, other):
    """``|input|`` with the sign of ``other`` (a tensor, broadcast, or a number), -0.0 negative;
    integers and bools give the default float dtype."""
    _check_tensor_or_number("copysign", input, other, "other")
    if isinstance(other, complex):
        complex_name = {numpy.float64: "ComplexDouble", numpy.float16: "ComplexHalf"}.get(
            input.array.dtype.type, "ComplexFloat")
        raise NotImplementedError(f"\"copysign_cpu\" not implemented for '{complex_name}'")
    if isinstance(other, numbers.Number):
        a, _ = as_operands(input, other, true_division=True)
        return Copysign.apply(a, sign=float(other))
    return Copysign.apply(*as_operands(input, other, true_division=True))


class Nextafter(Function):
    """The next float after ``a`` toward ``b``.  torch's formula: the gradient passes to ``a`` where
    ``a != b`` (a step of one ulp, the identity to autograd) and ``b`` gets zeros."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def forward(self, a, b):
        # as torch's node: both only for ``a``'s gradient (fuzz seed 2213318: a bool ``a`` written
        # after, with only ``b`` requiring grad, is no error)
        self.save_for_backward(*((a, b) if self.needs_input_grad[0] else ()))
        self.other_meta = b.shape, b.dtype
        xp = array_module(a)
        result = xp.nextafter(a, b)
        if result.dtype == numpy.float16:   # C's nextafter gives other where the two are equal (-0.0
            result = branchless_where(xp, a == b, b, result)    # toward 0.0 is 0.0), NumPy's float16 loop self
        return result

    def backward(self, grad_output):
        grad_a = None
        if self.needs_input_grad[0]:
            a, b = self.saved_tensors
            grad_a = sum_to(branchless_where(array_module(a), a != b, grad_output, 0), a.shape)
        grad_b = zeros(grad_output, *self.other_meta) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def nextafter(input, other):
    """The next representable value after ``input`` toward ``other`` (float tensors, promoted)."""
    return Nextafter.apply(*_float_kernel_operands(input, other, "nextafter"))


def float_power(input, exponent):
    """``input ** exponent`` in float64, whatever the dtypes: torch's pow of float64 copies (its
    nodes PowBackward0, 1 or 2, after a ToCopyBackward0 for a tensor that was not float64)."""
    _check_tensor_or_number("float_power", input, exponent, "exponent", number_first=True)
    double = dtypes.float64
    if isinstance(exponent, numbers.Number):
        return pow(input.to(double), float(exponent))
    if isinstance(input, numbers.Number):
        return pow(float(input), exponent.to(double))
    return pow(input.to(double), exponent.to(double))


def _check_tensor_or_number(name, input, other, other_name, number_first=False):
    """torch's parser for ``(Tensor, Tensor)``, ``(Tensor, Number)`` and, ``number_first``,
    ``(Number, Tensor)``: anything else lists those overloads."""
    is_tensor, is_number = (lambda v: isinstance(v, Tensor)), (lambda v: isinstance(v, numbers.Number))
    if is_tensor(input) and (is_tensor(other) or is_number(other)) or number_first and is_number(input) \
            and is_tensor(other):
        return
    overloads = [f"Tensor input, Tensor {other_name}", f"Tensor input, Number {other_name}"]
    if number_first:
        overloads.insert(1, f"Number self, Tensor {other_name}")
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({describe_type(input)}, "
                    f"{describe_type(other)}), but expected one of:\n"
                    + "".join(f" * ({overload}, *, Tensor out = None)\n" for overload in overloads))


def _check_method_tensor_or_number(name, other, other_name):
    """``_check_tensor_or_number`` for the method ``x.name(other)``: torch lists the method's
    overloads and, for each, what did not match."""
    if isinstance(other, (Tensor, numbers.Number)):
        return
    mismatch = f"      didn't match because some of the arguments have invalid types: (!{_argument_type(other)}!)\n"
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({describe_type(other)}), "
                    f"but expected one of:\n * (Tensor {other_name})\n{mismatch} * (Number {other_name})\n{mismatch}")


def _argument_type(value):
    """torch's name of an argument's type in its parser's messages: ``list of [int, float]``."""
    if isinstance(value, list):
        return f"list of [{', '.join(describe_type(item) for item in value)}]"
    if isinstance(value, tuple):
        names = [describe_type(item) for item in value]
        return f"tuple of ({', '.join(names)}{',' if len(names) == 1 else ''})"
    return describe_type(value)


class Lerp(Function):
    """``a + w (b - a)``, ``w`` a tensor or a number: d/da = 1 - w, d/db = w, d/dw = b - a."""

    elementwise = True
    differentiable_backward = True

    def name(self):
        return "LerpBackward0" if self.number is not None else "LerpBackward1"

    def forward(self, a, b, *weight, number=None):
        self.number = number
        self.shapes = a.shape, b.shape
        self.weight_shape = weight[0].shape if weight else None
        # what torch's node saves: nothing with a number weight (LerpBackward0); a weight tensor for
        # self's and end's gradients, self and end for the weight's (writing one of them in place
        # later stops backward only then: ``x.detach().lerp_(x, 0.3)``, as fuzz seed 1354022's mul_)
        if weight:
            needs = self.needs_input_grad
            self.save_for_backward(*((a, b) if needs[2] else (None, None)),
                                   weight[0] if needs[0] or needs[1] else None)
        return a + (weight[0] if weight else number) * (b - a)

    def backward(self, grad_output):
        a, b, w = self.saved_tensors if self._saved else (None, None, self.number)
        a_shape, b_shape = self.shapes
        needs = self.needs_input_grad
        grads = (sum_to(grad_output * (1 - w), a_shape) if needs[0] else None,
                 sum_to(grad_output * w, b_shape) if needs[1] else None)
        if len(needs) == 3:
            grads += (sum_to(grad_output * (b - a), self.weight_shape) if needs[2] else None,)
        return grads


class AddProductOrQuotient(Function):
    """``addcmul``: ``a + (t1 * t2) * value``; ``addcdiv``: ``a + (t1 / t2) * value`` (broadcast)."""

    elementwise = True
    differentiable_backward = True

    def name(self):
        return "AddcdivBackward0" if self.divide else "AddcmulBackward0"

    def forward(self, a, t1, t2, value, divide):
        self.value, self.divide, self.shapes = value, divide, (a.shape, t1.shape, t2.shape)
        self.save_for_backward(t1 if self.needs_input_grad[2] else None, t2)
        return a + ((t1 / t2) if divide else (t1 * t2)) * value

    def backward(self, grad_output):
        t1, t2 = self.saved_tensors
        needs, scaled = self.needs_input_grad, grad_output * self.value
        grad_a = sum_to(grad_output, self.shapes[0]) if needs[0] else None
        if self.divide:
            grad_t1 = sum_to(scaled / t2, self.shapes[1]) if needs[1] else None
            grad_t2 = sum_to(-scaled * t1 / (t2 * t2), self.shapes[2]) if needs[2] else None
        else:
            grad_t1 = sum_to(scaled * t2, self.shapes[1]) if needs[1] else None
            grad_t2 = sum_to(scaled * t1, self.shapes[2]) if needs[2] else None
        return grad_a, grad_t1, grad_t2


def _three_operands(a, b, c):
    """Three tensors of the dtype torch gives ``a op b op c``, promoted over the three at once, as
    torch's iterator does: addcmul(0-d float32, 0-d float32, float16) is float16, where promoting
    pair by pair made the two 0-d ones float32 (their pair has no dims)."""
    dtype = dtypes.result_type(*(t for t in (a, b, c) if isinstance(t, (Tensor, numbers.Number))))
    b, c = as_operands(b, c)        # (the operands' checks: types, shapes)
    a, b = as_operands(a, b)
    a, c = as_operands(a, c)
    return tuple(t if t.array.dtype == dtype else _promoted(t, dtype) for t in (a, b, c))


def _promoted(operand, dtype):
    """``operand`` (from ``as_operands``) cast to ``dtype`` from what it was given as."""
    source = operand.promoted_from if operand.promoted_from is not None else operand
    return promoted_to(source, dtype)


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor (all broadcast)."""
    _tensor(input, "lerp")
    _check_lerp_dtypes(input, end, weight)
    if isinstance(weight, numbers.Number):
        a, b = as_operands(input, end)
        return Lerp.apply(a, b, number=weight)
    return Lerp.apply(*_three_operands(input, end, weight))


def _check_lerp_dtypes(input, end, weight):
    """torch's meta function of lerp: ``end`` and a tensor ``weight`` of ``input``'s dtype."""
    for name, operand in (("end", end), ("weight", weight)):
        # (a 0-d weight may be of another dtype: it takes part in the promotion, as a 0-d operand)
        if isinstance(operand, Tensor) and operand.array.dtype != input.array.dtype and \
                not (name == "weight" and operand.array.ndim == 0):
            raise RuntimeError(f"expected dtype {dtypes.c_type_name(input.array.dtype)} for `{name}` but "
                               f"got dtype {dtypes.c_type_name(operand.array.dtype)}")


def _add_product_or_quotient(input, tensor1, tensor2, value, divide):
    a, t1, t2 = _three_operands(input, tensor1, tensor2)
    if divide and t1.array.dtype.kind in "biu":      # true division: an integer quotient is a float
        a, t1, t2 = (t.to(dtypes.get_default_dtype()) for t in (a, t1, t2))
    return AddProductOrQuotient.apply(a, t1, t2, value=value, divide=divide)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2`` (broadcast)."""
    return _add_product_or_quotient(input, tensor1, tensor2, value, divide=False)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (broadcast); integer division is refused, as torch."""
    _check_no_integer_division(tensor1, tensor2)
    return _add_product_or_quotient(input, tensor1, tensor2, value, divide=True)


def _check_no_integer_division(tensor1, tensor2):
    if tensor1.array.dtype.kind in "biu" and tensor2.array.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  "
                           "release addcdiv will perform a true division of tensor1 and tensor2. The "
                           "historic addcdiv behavior can be implemented as (input + value * "
                           "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                           "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                           "behavior is just the latter implementation: (input + value * tensor1 / "
                           "tensor2), for all dtypes.")

# ---- xlogy, logaddexp2, heaviside ----------------------------------------------------------------
def _xlogy(x, y):
    """torch's xlogy kernel on arrays: NaN where ``y`` is NaN, else 0 where ``x`` is 0, else
    ``x * log(y)`` (``y`` may be a number); Tensors (a backward recorded as a graph) take the op."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return xlogy(x, y)
    xp = array_module(y if isinstance(x, numbers.Number) else x)
    if isinstance(y, numbers.Number):       # (the number in the tensor's dtype, as torch's kernel reads it)
        y = xp.asarray(y, dtype=x.dtype)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        product = x * xp.log(y)
    # the log of a negative number: +NaN from the C library's double log, -NaN from its float one (as
    # NumPy's, seen on torch 2.13: the kernel has no vectors); a NaN ``y`` gives +NaN (the NAN macro)
    if product.dtype == numpy.float64:
        product = positive_domain_nans(product, x)
    return xp.where(xp.isnan(y), xp.nan, branchless_where(xp, x == 0, 0, product)).astype(product.dtype, copy=False)


class Xlogy(Function):
    """``x * log(y)``, 0 where ``x`` is 0 (unless ``y`` is NaN).  torch's formulas: ``self`` gets
    ``xlogy(grad, other)``, set to 0 where ``self == 0`` and ``other <= 0``; ``other`` gets
    ``grad * self / other``.  A number ``other`` (XlogyBackward2) or ``self`` (XlogyBackward1) is
    torch's Scalar overload, with the tensor its only input."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):
        return {"tensors": "XlogyBackward0", "number self": "XlogyBackward1"}.get(self.overload, "XlogyBackward2")

    def forward(self, a, b=None, number=None, overload="tensors"):
        self.overload, self.number = overload, number
        if number is not None:   # torch's wrapped Scalar, read in the tensor's dtype (1e-300 is float32's 0)
            self.cast = number = a.dtype.type(number)
        if overload == "number self":       # the one input is ``other``
            a, b = number, a
        elif overload == "number other":
            b = number
        self.shapes = getattr(a, "shape", None), getattr(b, "shape", None)
        self.save_for_backward(*(t for t in (a, b) if not isinstance(t, numbers.Number)))
        return _xlogy(a, b)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        if self.overload == "number self":
            (b,) = self.saved_tensors
            return grad_output * self.cast / b
        if self.overload == "number other":
            (a,) = self.saved_tensors
            grad = _xlogy(grad_output, self.cast)
            return grad if self.number > 0 else branchless_where(xp, a == 0, 0, grad)
        a, b = self.saved_tensors
        grad_a = sum_to(branchless_where(xp, (a == 0) & (b <= 0), 0, _xlogy(grad_output, b)), self.shapes[0]) \
            if self.needs_input_grad[0] else None
        grad_b = sum_to(grad_output * a / b, self.shapes[1]) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def xlogy(input, other):
    """``input * log(other)``, 0 where ``input`` is 0 (NaN where ``other`` is NaN); either may be a
    number; integers and bools give the default float dtype."""
    _check_tensor_or_number("xlogy", input, other, "other", number_first=True)
    if isinstance(other, numbers.Number):
        a, _ = as_operands(input, other, true_division=True)
        return Xlogy.apply(a, number=other, overload="number other")
    if isinstance(input, numbers.Number):
        _, b = as_operands(input, other, true_division=True)
        return Xlogy.apply(b, number=input, overload="number self")
    return Xlogy.apply(*as_operands(input, other, true_division=True))


_INVERSE_LN_2 = 1.4426950408889634


def _logaddexp2(a, b):
    """torch's logaddexp2 kernel: ``max + log1p(exp2(-|a - b|)) / ln 2``, the last step one fused
    multiply-add (so logaddexp2(-1, -1) is -4.8e-17, where NumPy's is 0), and ``a`` where both are
    the same infinity; half precision in float32."""
    xp = array_module(a)
    if type(a) is not numpy.ndarray or a.dtype.kind != "f":
        return xp.logaddexp2(a, b)
    wide_a, wide_b = half_in_float32(a), half_in_float32(b)
    with numpy.errstate(invalid="ignore", over="ignore"):
        largest = xp.maximum(wide_a, wide_b)
        rest = xp.log1p(xp.exp2(-xp.abs(wide_a - wide_b)))
        result = fmadd(rest, wide_a.dtype.type(_INVERSE_LN_2), largest, wide_a.dtype.type)
        result = branchless_where(xp, (wide_a == wide_b) & xp.isinf(wide_a), wide_a, result)
    return astype(result, a.dtype)


class LogAddExp2(Function):
    """``log2(2^a + 2^b)``; torch's formula ``grad / (1 + 2^(b - a))`` for ``a`` (and the other way
    for ``b``)."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "Logaddexp2Backward0"

    def forward(self, a, b, bool_operand=False):
        self.bool_operand = bool_operand   # (both gradients take b - a: torch refuses a bool one)
        self.save_for_backward(a, b)
        return _logaddexp2(a, b)

    def backward(self, grad_output):
        if self.bool_operand:
            raise RuntimeError(BOOL_SUBTRACTION_MESSAGE)
        a, b = self.saved_tensors
        with numpy.errstate(over="ignore", invalid="ignore"):
            grad_a = sum_to(grad_output / (1 + 2.0 ** (b - a)), a.shape) if self.needs_input_grad[0] else None
            grad_b = sum_to(grad_output / (1 + 2.0 ** (a - b)), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, without overflow (floating tensors, promoted)."""
    a, b = _float_kernel_operands(input, other, "logaddexp2")
    return LogAddExp2.apply(a, b, bool_operand=was_bool(a) or was_bool(b))


class Heaviside(Function):
    """The step function: 0 below 0, ``values`` at 0, 1 above (0 at NaN, as torch's ``x > 0``).
    torch defines no derivative: its node is NotImplemented, and backward through it raises."""

    argument_names = ("self", "values")

    def name(self):
        return "torch::autograd::NotImplemented"

    sequence_nr = sequence_nr_unless_derivative_missing(lambda node: True)

    def forward(self, x, values):
        xp = array_module(x)
        return xp.where(x == 0, values, x > 0).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input, values):
    """0 where ``input < 0``, ``values`` (broadcast) where ``input == 0``, 1 where ``input > 0``."""
    _tensor(input, "heaviside")
    _check_values_tensor("heaviside", values)
    _check_heaviside(input, values)
    return Heaviside.apply(input, values)


def _check_values_tensor(name, values, position=2):
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position {position}) must be Tensor, not {describe_type(values)}")


def _check_heaviside(input, values):
    if input.array.dtype != values.array.dtype:     # torch checks the dtypes, then the shapes
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    broadcast_shapes(input.shape, values.shape)


# ---- in-place forms ----------------------------------------------------------------------------
def clamp_(input, min=None, max=None):
    check_in_place(input, min, max, op_check=lambda: _check_clamp_in_place(input, min, max))
    return assign(input, clamp(input, min, max))


def clamp_min_(input, min):
    check_in_place(input, min, op_check=lambda: _check_clamp_in_place(input, min, None))
    return assign(input, clamp_min(input, min))


def clamp_max_(input, max):
    check_in_place(input, max, op_check=lambda: _check_clamp_in_place(input, None, max))
    return assign(input, clamp_max(input, max))


def _check_clamp_in_place(input, low, high):
    """torch's meta function of ``clamp_``: a bound at least, and number bounds that do not promote
    the target (its Scalar overload names the target in C++: "long int", "bool")."""
    if low is None and high is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(low, Tensor) or isinstance(high, Tensor):
        return
    dtype = _number_bounds_dtype(input, low, high)
    if dtypes._category(dtype) > dtypes._category(input.array.dtype):
        raise RuntimeError(f"result type {dtypes.scalar_type_name(dtype)} can't be cast to "
                           f"the desired output type {dtypes.c_type_name(input.array.dtype)}")


def lerp_(input, end, weight):
    check_in_place(input, end, weight, op_check=lambda: _check_lerp_dtypes(input, end, weight))
    return assign(input, lerp(input, end, weight))


def addcmul_(input, tensor1, tensor2, *, value=1):
    check_in_place(input, tensor1, tensor2)
    return assign(input, addcmul(input, tensor1, tensor2, value=value))


def addcdiv_(input, tensor1, tensor2, *, value=1):
    check_in_place(input, tensor1, tensor2, op_check=lambda: _check_no_integer_division(tensor1, tensor2))
    return assign(input, addcdiv(input, tensor1, tensor2, value=value))


def copysign_(input, other):
    _check_method_tensor_or_number("copysign_", other, "other")
    check_in_place(input, other)
    return assign(input, copysign(input, other))


def nextafter_(input, other):
    check_tensor_other("nextafter_", other, position=1)
    check_in_place_result(input, other)     # the result type fits before the kernel refuses integers
    return assign(input, nextafter(input, other))


def float_power_(input, exponent):
    """``input **= exponent`` in float64: ``input`` must be float64 already (checked first, as torch)."""
    _check_method_tensor_or_number("float_power_", exponent, "exponent")
    if input.array.dtype != numpy.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {dtypes.scalar_type_name(input.array.dtype)} "
                           "but the operation's result requires dtype Double")
    return pow_(input, exponent.to(dtypes.float64) if isinstance(exponent, Tensor) else float(exponent))


def xlogy_(input, other):
    _check_method_tensor_or_number("xlogy_", other, "other")
    check_in_place(input, other)
    return assign(input, xlogy(input, other))


def heaviside_(input, values):
    _check_values_tensor("heaviside_", values, position=1)
    check_in_place(input, values, op_check=lambda: _check_heaviside(input, values))
    return assign(input, heaviside(input, values))


# ---- methods: torch numbers a method's arguments from ``other`` (position 1) -------------------
def _method(function, check):
    """``function`` as the Tensor method ``x.name(other)``, whose wrong ``other`` torch names as a
    method's (``check(name, other)``)."""
    def method(self, other):
        check(function.__name__, other)
        return function(self, other)
    method.__name__ = method.__qualname__ = function.__name__
    method.__doc__ = function.__doc__
    return method


def _tensor_only(name, other):
    check_tensor_other(name, other, position=1)


fmax_method, fmin_method, nextafter_method, logaddexp2_method = (
    _method(function, _tensor_only) for function in (fmax, fmin, nextafter, logaddexp2))
xlogy_method = _method(xlogy, lambda name, other: _check_method_tensor_or_number(name, other, "other"))


def heaviside_method(self, values):
    _check_values_tensor("heaviside", values, position=1)
    return heaviside(self, values)
copysign_method = _method(copysign, lambda name, other: _check_method_tensor_or_number(name, other, "other"))
float_power_method = _method(float_power, lambda name, other: _check_method_tensor_or_number(name, other, "exponent"))


clip, clip_ = clamp, clamp_

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "clamp_", "clip_", "clamp_min_",
           "clamp_max_",
           "atan2", "arctan2", "logaddexp", "hypot", "lerp", "addcmul", "addcdiv", "lerp_",
           "addcmul_", "addcdiv_", "fmax", "fmin", "copysign", "nextafter", "float_power", "copysign_",
           "nextafter_", "float_power_", "xlogy", "xlogy_", "logaddexp2", "heaviside"]
