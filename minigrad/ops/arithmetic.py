"""Arithmetic: ``+ - * / // % **`` with broadcasting, Python scalars, reflected and in-place forms."""
from __future__ import annotations

import math
import numbers
import operator

import numpy

from ..backends import cpu
from ..core import random

from ..core import dtypes, layout
from ..core.function import Function, sequence_nr_unless_derivative_missing
from ..core.device import array_module, positive_domain_nans
from ..core.tensor import Tensor
from ..core.type_errors import describe_type
from .broadcast import broadcast_shapes, sum_to
from .conversion import relaxed_scalar_as, scalar_as
from .promotion import promoted_to
from .tensor_namespace import astype, zeros
from .vector_loop import scalar_tail
from .inplace import assign, check_in_place, check_in_place_result, same_data, write


# ---- the differentiable ops -------------------------------------------------
class Add(Function):
    elementwise = True
    differentiable_backward = True

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, b.shape
        self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, grad_output):
        a_shape, b_shape = self.shapes
        needs_a, needs_b = self.needs_input_grad
        grad_b = sum_to(grad_output, b_shape) if needs_b else None
        if grad_b is not None and self.alpha != 1:
            grad_b = grad_b * self.alpha
        return (sum_to(grad_output, a_shape) if needs_a else None), grad_b


class Sub(Function):
    elementwise = True
    differentiable_backward = True

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, b.shape
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, grad_output):
        a_shape, b_shape = self.shapes
        return sum_to(grad_output, a_shape), sum_to(-grad_output * self.alpha, b_shape)


class Rsub(Sub):
    """``other - input`` from ``torch.rsub(input, other)`` / ``number - tensor``: ``Sub`` on swapped operands."""

    def name(self):
        return "RsubBackward1" if self.scalar_other else "RsubBackward0"   # torch's Scalar / Tensor overloads

    def forward(self, a, b, alpha=1, scalar_other=False):
        self.scalar_other = scalar_other
        return super().forward(a, b, alpha)


class AddScalar(Function):
    """``a + number`` (``a - number`` too): one tensor input, as torch's ``add.Scalar``; d/da = 1."""

    differentiable_backward = True

    def name(self):
        return self.torch_name

    def forward(self, a, number, torch_name):
        self.torch_name = torch_name
        if a.dtype == _HALF:     # torch's add makes the number a float16 first, through float
            with numpy.errstate(over="ignore"):
                number = numpy.float32(number).astype(_HALF)
        return a + number

    def backward(self, grad_output):
        return grad_output


def _with_number(op, a, number):
    """``op(a, number)`` for an array ``a`` and a Python number, as torch's mul and div kernels
    compute it: a float16 ``a`` in float32 with the number as a float (their opmath type, the
    number never a float16), rounded once to float16, where NumPy would round the number to
    float16 first (``x * 0.1`` differed in one element in three; ``x * 70000`` was inf)."""
    return by_single(op, a, number, numpy.float32(number))


_HALF = numpy.dtype(numpy.float16)


class MulScalar(Function):
    """``a * number`` (``a / number`` with ``divide``): one tensor input, as torch's ``mul.Scalar``."""

    elementwise = True      # (float16's float32 copy loses an expanded input's layout)
    differentiable_backward = True

    def name(self):
        return "DivBackward0" if self.divide else "MulBackward0"

    def forward(self, a, number, divide=False):
        self.number, self.divide = number, divide
        if a.dtype != _HALF:     # (float16: _with_number; the rest inline, as this is a hot path)
            return a / number if divide else a * number
        return _with_number(numpy.true_divide if divide else numpy.multiply, a, number)

    def backward(self, grad_output):
        if isinstance(grad_output, Tensor) or grad_output.dtype != _HALF:   # (create_graph: these ops again)
            return grad_output / self.number if self.divide else grad_output * self.number
        return _with_number(numpy.true_divide if self.divide else numpy.multiply, grad_output, self.number)


def _float_and_number(input, other):
    """The fast path's case: a float tensor and a plain Python number (its dtype is kept); an
    int past uint64 is refused first, as torch's argument parser does (``scalar_argument``)."""
    if type(other) is int:
        dtypes.scalar_argument(other)
    return type(other) in (float, int) and type(input) is Tensor and input.array.dtype.kind == "f"


class Mul(Function):
    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True
    uses_self_uncast = True      # torch's other-gradient is grad * self, self as it is

    def forward(self, a, b, singles=(None, None)):
        # d(ab)/da = b and d(ab)/db = a: keep a factor only if the other one needs a gradient,
        # so `h * 3` does not hold on to h (and an in-place change of h later is fine, as in torch)
        needs_a, needs_b = self.needs_input_grad
        self.save_for_backward(a if needs_b else None, b if needs_a else None)
        self.shapes = a.shape, b.shape
        self.singles = singles      # a float16 op's one-element operand as given, in float32, or None
        return by_single(operator.mul, a, b, singles[1])

    def backward(self, grad_output):
        a, b = self.saved_tensors
        a_shape, b_shape = self.shapes
        # torch's formulas, grad * other and grad * self, read the factor second: as in forward
        single_a, single_b = self.singles
        grad_a = sum_to(by_single(operator.mul, grad_output, b, single_b), a_shape) \
            if self.needs_input_grad[0] else None
        grad_b = sum_to(by_single(operator.mul, grad_output, a, single_a), b_shape) \
            if self.needs_input_grad[1] else None
        return grad_a, grad_b


def by_single(op, a, b, single):
    """``op(a, b)``, or where ``single`` (``single_in_float32``) is given and ``a`` an array, as torch's
    float16 mul and div kernels compute with a second operand of one element: ``a`` in float32
    with the operand as given read as a float (their opmath type), rounded once to float16."""
    if single is None or isinstance(a, Tensor) or a.dtype != _HALF:     # (create_graph: the ops again)
        return op(a, b)
    with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):    # inf and NaN, as torch
        return op(a.astype(numpy.float32), single).astype(_HALF)


class Div(Function):
    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def forward(self, a, b, singles=(None, None)):
        # d(a/b)/da = 1/b needs b; d(a/b)/db = -a/b^2 needs both
        self.save_for_backward(a if self.needs_input_grad[1] else None, b)
        self.shapes = a.shape, b.shape
        self.single = singles[1]    # a float16 op's one-element divisor as given, in float32, or None
        return by_single(operator.truediv, a, b, self.single)

    def backward(self, grad_output):
        a, b = self.saved_tensors
        a_shape, b_shape = self.shapes
        single = self.single

        def divided(x):     # x / b, b read as torch's kernel reads it (a second operand)
            return by_single(operator.truediv, x, b, single)
        grad_a = sum_to(divided(grad_output), a_shape) if self.needs_input_grad[0] else None
        # torch's order, -g * ((a / b) / b): no overflow of a * g or b * b where the result is finite
        grad_b = sum_to(-grad_output * divided(divided(a)), b_shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    differentiable_backward = True

    def forward(self, x):
        return -x

    def backward(self, grad_output):
        return -grad_output


class PowScalar(Function):
    """``x ** exponent`` for a Python number ``exponent``."""

    differentiable_backward = True
    elementwise = True      # (a float32 power goes through float64, whose cast keeps a broadcast's odd
                            # layout: ``expanded ** 0`` came out column-major, torch's is row-major)

    def name(self):
        return "PowBackward0"   # torch names its nodes by overload: tensor ** number

    def forward(self, x, exponent):
        self.save_for_backward(x)
        self.exponent = exponent
        return _power(x, exponent)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        exponent = self.exponent
        # torch: zeros where the exponent equals 0.0, even where the incoming gradient is inf or NaN;
        # a bool never equals a number there (c10's Scalar::equal), so False takes the formula:
        # 0 * x ** -1, NaN at x = 0 and -0 where x < 0
        if exponent == 0 and not isinstance(exponent, bool):
            return zeros(grad_output, grad_output.shape)
        # torch's order; exponent * (a float16 power) as its mul with a Scalar: in float32, the
        # exponent a float (0.1 * p and 1e-8 * inf rounded as a float16 1e-8, 0: NaN, differed)
        if isinstance(x, Tensor):
            return grad_output * (exponent * _power(x, exponent - 1))
        return grad_output * _with_number(numpy.multiply, _power(x, exponent - 1), exponent)


def _power(x, exponent):
    """``x ** exponent`` for a Python number, as torch's float32 and float64 kernels compute it:
    products for 2, 3 and -2 (``1 / (x * x)``), sqrt, rsqrt and reciprocal for 0.5, -0.5 and -1,
    else ``pow`` with the exponent in double: a float32 base is raised in float64 and rounded once
    (NumPy would round the exponent to float32 first: 2.2 to 2.2000000477, off by 1e-6 at 1e20),
    where torch's scalar loop runs; its vectors round it to float32 (``_float32_power``).
    float16 keeps its exponent in half, as torch does; Tensors (a differentiable backward) dispatch."""
    if isinstance(x, Tensor) or x.dtype.kind != "f":
        return x ** exponent
    if x.dtype == _HALF:    # the exponent a float16 through float, as torch's Scalar.to<Half>()
        with numpy.errstate(over="ignore"):
            exponent = numpy.float32(exponent).astype(_HALF)
            return _with_vector_nans(x ** exponent, x, exponent)
    if exponent in (2, 3, -2):
        square = x * x
        return square if exponent == 2 else square * x if exponent == 3 else 1 / square
    if exponent in (0.5, -0.5):     # (torch's sqrt makes +NaN of a negative base, its rsqrt -NaN)
        root = array_module(x).sqrt(x)
        return positive_domain_nans(root, x) if exponent == 0.5 else 1 / root
    if exponent == -1:
        return 1 / x
    if x.dtype.itemsize == 4:
        return _float32_power(x, exponent)
    return _rounded_power(x, exponent)


def _float32_power(x, exponent):
    """torch's float32 ``x ** exponent``: its vectors raise to the exponent rounded to float32,
    its scalar tail (``vector_loop.scalar_tail``) to the exponent in double (``std::pow(float,
    double)``).  So where the rounding changes the exponent's kind the tail differs: ``** 1e-300``
    is ``** 0.0``, 1 even at 0 and -2, in the vectors, but 0 and NaN in the tail (fuzz seed 346213)."""
    with numpy.errstate(over="ignore"):
        single = float(numpy.float32(exponent))
    if single == exponent or type(x) is not numpy.ndarray:     # (CuPy: torch's GPU kernel has no tail)
        return _rounded_power(x, exponent)
    result = numpy.asarray(_rounded_power(x, single))      # (a 0-d array, not a NumPy scalar: written below)
    tail = scalar_tail(x)
    if tail is not None:
        result[tail] = _rounded_power(x[tail], exponent, in_tail=True)
    return result


def _rounded_power(base, exponent, in_tail=False):
    """``base ** exponent`` (``exponent`` a number or an array), a float32 base raised in float64 and
    rounded once, as torch's pow (NumPy's float32 power is an ulp off in one case in five).  A
    negative base's fractional power is NaN, signed as ``_with_vector_nans``; ``in_tail``: ``base``
    is all the scalar tail's."""
    if isinstance(base, Tensor) or base.dtype.kind != "f":
        return base ** exponent
    if base.dtype.itemsize != 4:
        result = _as_pow_at_one_half(base, exponent, base ** exponent)
    else:
        result = _as_pow_at_one_half(base, exponent, (base.astype(float) ** exponent).astype(base.dtype))
    return result if in_tail else _with_vector_nans(result, base, exponent)


def _with_vector_nans(result, base, exponent):
    """``result`` (NumPy's ``base ** exponent``) with the NaNs of a negative base's fractional power
    signed as torch's pow kernel makes them: +NaN in its vectors (SLEEF's pow), -NaN (NumPy's, x86's)
    in its scalar tail (``vector_loop.scalar_tail``).  float16's vectors (Vectorized<Half>) run SLEEF's
    float pow too: with AVX2 two vectors of 16 lanes a step (seen on torch 2.13).  With AVX-512 float16's NaNs
    stay NumPy's, as fitted there (on rows under its 64-element step, all tail), and in the default
    build (``std::pow`` in its vectors)."""
    if type(result) is not numpy.ndarray or (result.dtype == _HALF and cpu.get_cpu_capability() != "AVX2"):
        return result
    return positive_domain_nans(result, base, exponent, keep=lambda: scalar_tail(result))


def _as_pow_at_one_half(base, exponent, result):
    """``result`` (NumPy's ``base ** exponent``) where an exponent array holds 0.5 as C's ``pow``
    has it: NumPy takes ``sqrt`` for an exponent that stays the same along its loop (a 0-d array, a
    broadcast dim), which is NaN at -inf and -0.0 at -0.0, where ``pow`` (torch's tensor ** tensor)
    gives inf and 0.0 (fuzz seed 504406).  A number exponent 0.5 is torch's sqrt: not changed here."""
    if not hasattr(exponent, "dtype") or exponent.dtype.kind != "f":
        return result
    xp = array_module(result)
    half = exponent == 0.5
    if not half.any():
        return result
    return xp.where(half & (base == -math.inf), math.inf, xp.where(half & (base == 0), 0.0, result)).astype(
        result.dtype, copy=False)


class Pow(Function):
    """``base ** exponent`` for two tensors."""

    argument_names = ("self", "exponent")
    elementwise = True
    differentiable_backward = True

    def name(self):
        return "PowBackward1"   # tensor ** tensor

    def forward(self, base, exponent, bool_exponent=False, exponent_source=None, base_source=None):
        self.bool_exponent = bool_exponent      # (the base's gradient takes exponent - 1: torch refuses)
        self.exponent_source = exponent_source  # the exponent's array before its promotion, else None
        # where the base as given is 0, read now: an in-place pow (x **= y) writes the array it came from
        self.base_is_zero = None if base_source is None else base_source == 0
        result = _integer_power(base, exponent) if base.dtype.kind in "iu" else _rounded_power(base, exponent)
        self.save_for_backward(base, exponent, result)
        return result

    def backward(self, grad_output):
        base, exponent, result = self.saved_tensors
        xp = array_module(base)
        grad_base = grad_exponent = None
        if self.needs_input_grad[0] and self.bool_exponent:
            raise RuntimeError(BOOL_SUBTRACTION_MESSAGE)
        if self.needs_input_grad[0]:
            # torch: where(exponent == 0, 0, grad * exponent * base ** (exponent - 1)): 0 even at
            # base 0, and even where the incoming gradient is inf or NaN
            # (torch compares the exponent as it was given: a float32 1e-45 is no 0, though it is
            # one in float16)
            zero_exponent = self._given(exponent, self.exponent_source) == 0
            lowered = xp.where(zero_exponent, 1, self._exponent_less_one(exponent))
            local = xp.where(zero_exponent, 0, exponent * _rounded_power(base, lowered))
            grad_base = grad_output * local
            if zero_exponent.any():
                grad_base = xp.where(zero_exponent, 0, grad_base)
            with numpy.errstate(invalid="ignore", over="ignore"):     # inf - inf is NaN, as torch's sum
                grad_base = sum_to(grad_base, base.shape)
        if self.needs_input_grad[1]:
            # torch: d/dexponent = result * log(base), masked to 0 where base is 0 and exponent >= 0
            # (there 0 * -inf would be NaN); with a negative exponent it is inf * -inf = -inf.  torch
            # compares base and exponent as they were given, and takes the log of the promoted base: a
            # float32 1e-45 ** a float16 tensor has the gradient 0 * log(0), NaN (fuzz seed 477521)
            base_is_zero = self._base_is_zero_mask(base)
            given_exponent = self._given(exponent, self.exponent_source)
            with numpy.errstate(divide="ignore", invalid="ignore"):
                local = xp.where(base_is_zero & (given_exponent >= 0), 0, self._times_log_of_base(result, base))
                grad_exponent = sum_to(grad_output * local, exponent.shape)
        return grad_base, grad_exponent

    def _base_is_zero_mask(self, base):
        return base == 0 if self.base_is_zero is None else self._given(base, self.base_is_zero)

    @staticmethod
    def _given(operand, source):
        """An operand as it was given (its array before its promotion, or what was read of it), where it
        was promoted."""
        if source is None:
            return operand
        return Tensor._wrap(source) if isinstance(operand, Tensor) else source

    def _exponent_less_one(self, exponent):
        """``exponent - 1`` in the exponent's own dtype, then promoted, as torch's gradient takes it
        (a float16 6e-08 less one is -1.0, an int16 -32768 less one wraps to 32767)."""
        if self.exponent_source is None:
            return exponent - 1
        lowered = self.exponent_source - 1
        return astype(Tensor._wrap(lowered) if isinstance(exponent, Tensor) else lowered, exponent.dtype)

    def _times_log_of_base(self, result, base):
        return result * array_module(base).log(base)


class PowScalarBase(Pow):
    """``number ** tensor``: torch's ``pow(Scalar self, Tensor exponent)`` overload.  The exponent's
    gradient takes the log of the number itself, in double: ``1e300 ** x`` in float32 is inf ** x,
    but its gradient is ``result * log(1e300)``, 0 where the result is 0 (not 0 * log(inf), NaN)."""

    elementwise = False
    dense_output = True     # torch's pow(Scalar, Tensor) is C-contiguous whatever the exponent's layout

    def name(self):
        return "PowBackward2"

    def forward(self, base, exponent, bool_exponent=False, number=None):
        self.number = number
        return super().forward(base, exponent, bool_exponent)

    def _base_is_zero_mask(self, base):
        # torch masks the exponent's gradient where the number itself is 0 (base.equal(0.0)): 1e-45
        # is 0 as a float16, not as the number (its gradient at x = 0 is log(1e-45), not 0)
        if isinstance(base, Tensor):        # (create_graph: the cast base, as before)
            return base == 0
        return array_module(base).full(base.shape, self.number == 0)

    def _times_log_of_base(self, result, base):
        # torch: result * log(number) as a Scalar; a float16 result multiplied as its mul with a
        # Scalar does, in float32 (``_with_number``), not by the double (the product then rounded twice)
        # (a Python float, not NumPy's float64: that would lift a float32 result to float64, where
        # 3e38 * log(3) stays finite and its gradient of 0 gives 0, not torch's 0 * inf = NaN: fuzz
        # seed 9152214)
        log = float(numpy.log(numpy.float64(self.number)))
        if isinstance(result, Tensor) or result.dtype != _HALF:
            return result * log
        return _with_number(numpy.multiply, result, log)


def _integer_power(base, exponent):
    """``base ** exponent`` for integer tensors; a negative exponent gives torch's integer
    result (1 for base 1, +-1 for base -1, else 0) where NumPy raises."""
    xp = array_module(base)
    negative = exponent < 0
    if not negative.any():
        return base ** exponent
    powered = base ** xp.where(negative, 0, exponent)
    odd = (exponent % 2) != 0
    inverse = xp.where(base == 1, 1, xp.where(base == -1, xp.where(odd, -1, 1), 0)).astype(powered.dtype)
    return xp.where(negative, inverse, powered)


class Remainder(Function):
    """``a % b`` with the sign of ``b`` (Python's and torch's convention).

    ``a % b = a - b * floor(a / b)``: the gradient is 1 for ``a`` and ``-floor(a / b)`` for ``b``.
    """

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):
        # torch's overloads: tensor % tensor, tensor % number, and number % tensor (no derivative)
        return {"tensors": "RemainderBackward1", "number": "RemainderBackward0"}.get(
            self.overload, "torch::autograd::NotImplemented")

    sequence_nr = sequence_nr_unless_derivative_missing(lambda node: node.overload == "number first")

    def forward(self, a, b, overload="tensors", singles=(None, None)):
        self.overload = overload
        self.single = singles[1]
        # torch's NotImplemented node (number % tensor) saves nothing: no version to check
        saves = self.needs_input_grad[1] and overload != "number first"
        self.save_for_backward(*((a, b) if saves else (None, None)))
        self.shapes = a.shape, b.shape
        _check_integer_divisor(a, b)
        return _remainder(a, b)

    def backward(self, grad_output):
        if self.overload == "number first":
            raise RuntimeError("derivative for aten::remainder is not implemented")
        a, b = self.saved_tensors
        a_shape, b_shape = self.shapes
        grad_a = sum_to(grad_output, a_shape) if self.needs_input_grad[0] else None
        grad_b = None
        if self.needs_input_grad[1]:
            # torch's formula: -grad * self.div(other, rounding_mode='floor'), which reads a float16
            # op's one-element other in float32 (fuzz seed 731200: 0 / 1e-45 is 0, not 0 / 0.0, NaN)
            grad_b = sum_to(-grad_output * _quotient(a, b, self.single, "floor"), b_shape)
        return grad_a, grad_b


class Fmod(Function):
    """``fmod(a, b) = a - b * trunc(a / b)``: the remainder with the sign of ``a`` (C's convention)."""

    argument_names = ("self", "other")
    elementwise = True
    differentiable_backward = True

    def name(self):     # torch's overloads: fmod(tensor, number), fmod(tensor, tensor)
        return "FmodBackward1" if self.tensor_divisor else "FmodBackward0"

    def forward(self, a, b, singles=(None, None), tensor_divisor=True):
        self.save_for_backward(*((a, b) if self.needs_input_grad[1] else (None, None)))
        self.shapes, self.tensor_divisor = (a.shape, b.shape), tensor_divisor
        self.single = singles[1]
        _check_integer_divisor(a, b)
        return _fmod_nan_signs(array_module(a).fmod(a, b), a, b)

    def backward(self, grad_output):
        a, b = self.saved_tensors
        a_shape, b_shape = self.shapes
        grad_a = sum_to(grad_output, a_shape) if self.needs_input_grad[0] else None
        grad_b = None
        if self.needs_input_grad[1]:
            # torch's formula: -grad * self.div(other, rounding_mode='trunc') (see Remainder)
            grad_b = sum_to(-grad_output * _quotient(a, b, self.single, "trunc"), b_shape)
        return grad_a, grad_b


class RoundingDiv(Function):
    """``div(a, b, rounding_mode='trunc'|'floor')`` and ``a // b``.

    torch defines the gradient of ``div`` with a rounding mode as zero (its DivBackward2),
    while ``floor_divide`` (``//``) has none: its backward raises, as torch's does.
    """

    argument_names = ("self", "other")  # (torch unpacks other first: fuzz seed 979330)
    elementwise = True
    differentiable_backward = True      # its gradient is constant zeros (or torch's error) either way

    def name(self):
        return "DivBackward2" if self.no_derivative is None else "torch::autograd::NotImplemented"

    sequence_nr = sequence_nr_unless_derivative_missing(lambda node: node.no_derivative is not None)

    def forward(self, a, b, rounding_mode, no_derivative=None, divisor=None):
        self.no_derivative = no_derivative     # the aten op with none: "floor_divide", "floor_divide_"
        self.inputs_meta = (a.shape, a.dtype), (b.shape, b.dtype)
        if no_derivative is None:
            # unread (the gradient is zeros), but torch's DivBackward2 saves them: other, and self
            # for other's gradient; writing them in place stops backward there
            self.save_for_backward(a if self.needs_input_grad[1] else None, b)
        if divisor is not None:     # float16 by one number: in float32, rounded once
            return rounded_quotient(a, divisor, rounding_mode).astype(a.dtype)
        return rounded_quotient(a, b, rounding_mode)

    def backward(self, grad_output):
        if self.no_derivative is not None:
            raise RuntimeError(f"derivative for aten::{self.no_derivative} is not implemented")
        return tuple(zeros(grad_output, shape, dtype) for shape, dtype in self.inputs_meta)


def _remainder(a, b):
    """``a % b`` as torch computes it: C's ``fmod(a, b)``, plus ``b`` where the two signs differ.

    NumPy agrees except at an exact zero, which it signs as ``b``; torch keeps fmod's zero, signed as ``a``
    (``-4.0 % 2.0`` is ``-0.0``, so ``1 / (-4.0 % 2.0)`` is ``-inf``)."""
    xp = array_module(a)
    result = xp.remainder(a, b)
    if result.dtype.kind == "f":
        result = xp.where(result == 0, xp.copysign(result, a), result)
    return _fmod_nan_signs(result, a, b)


def _fmod_nan_signs(result, a, b):
    """``result`` of ``fmod``/``remainder`` with the NaNs they make (a divisor of 0, an infinite
    dividend) signed as torch's kernel signs them: its vectors (SLEEF's fmod, 32 bytes even on
    AVX-512) give +NaN, except -NaN for +inf by a non-zero divisor; its scalar tail (the C library's
    fmod) gives -NaN, as NumPy does on x86.  NaN operands pass theirs through.  The sign shows only
    through ``copysign``, ``signbit`` and bit views (fuzz seed 9682129: ``copysign(y, x % False)`` turned
    a gradient's sign).  CuPy's results: as they are."""
    if type(result) is not numpy.ndarray or result.dtype.kind != "f":
        return result
    made = numpy.isnan(result)
    if not made.any():
        return result
    a, b = (numpy.broadcast_to(operand, result.shape) for operand in (a, b))
    made &= ~numpy.isnan(a) & ~numpy.isnan(b)
    vector = ~((a == numpy.inf) & (b != 0))
    tail = scalar_tail(result, operand_strides=[layout.element_strides(operand) for operand in (result, a, b)],
                       width=32)
    if tail is not None:
        vector &= ~tail
    return numpy.where(made, numpy.where(vector, numpy.abs(result), -numpy.abs(result)), result)


def _quotient(a, b, single, rounding_mode):
    """``div(a, b, rounding_mode=...)`` of arrays as torch's kernel computes it, reading a float16
    op's one-element divisor as given, in float32 (``single``: ``single_in_float32``, or ``b`` itself
    where it has one element: fuzz seed 916370, trunc(36 / -1.2) is -29 in float32, -30 from a float16
    quotient); Tensors (create_graph) through the ops."""
    if isinstance(a, Tensor):
        return div(a, b, rounding_mode=rounding_mode)
    if a.dtype == _HALF and (single is not None or b.size == 1):
        divisor = b.astype(numpy.float32) if single is None else single
        with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return rounded_quotient(a, divisor, rounding_mode).astype(a.dtype)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return rounded_quotient(a, b, rounding_mode)


def single_in_float32(operand):
    """An operand from ``as_operands`` that torch's float16 mul and div kernels (their rounding
    modes too) read as given, in float32, their opmath type, where it is their second operand:
    one of one element (a 0-d tensor of another dtype: float32, float64, an integer, which the
    op's promotion makes no float16 first; 1e-45 is 0 in float16, not in float32), or None."""
    source = operand.promoted_from
    return single_of(operand.array.dtype, None if source is None else source.array)


def single_of(dtype, source):
    """``single_in_float32`` for an operand of ``dtype`` promoted from the array ``source`` (None: not
    promoted): that array in float32 where the op is float16 and it has one element, else None."""
    if dtype != _HALF or source is None or source.size != 1:
        return None
    return source.astype(numpy.float32)


_NO_SINGLES = (None, None)      # (one shared tuple: the common case makes no object for the collector)


def _singles(a, b):
    if a.array.dtype != _HALF and b.array.dtype != _HALF:
        return _NO_SINGLES
    return single_in_float32(a), single_in_float32(b)


def _one_divisor_in_float32(a, other):
    """torch's float16 rounding divisions by a single number (``other`` a Python number or a one-element
    tensor) read it as given, in float32, and round the float32 quotient once (NumPy would round the
    divisor to float16 first, and the quotient before truncating it): that divisor, else None."""
    if a.array.dtype != dtypes.float16.numpy:
        return None
    if isinstance(other, Tensor):
        return other.array.astype(dtypes.float32.numpy) if other.array.size == 1 else None
    return array_module(a.array).float32(other)


def _check_integer_divisor(a, b):
    # torch's integer kernels raise where NumPy would quietly give 0 (unless there is nothing to divide)
    if b.dtype.kind in "iu" and a.size and not array_module(b).all(b):
        raise RuntimeError("ZeroDivisionError")


def rounded_quotient(a, b, rounding_mode):
    """``a / b`` rounded toward -inf (``'floor'``) or toward 0 (``'trunc'``); integers are
    divided as integers (exact beyond 2**53, where a float64 quotient is not)."""
    xp = array_module(a)
    if a.dtype.kind in "iu":
        _check_integer_divisor(a, b)
        with numpy.errstate(over="ignore"):   # int8 -128 // -1 wraps to -128, as in torch
            quotient = xp.floor_divide(a, b)
        if rounding_mode == "trunc":       # floor went one below where the quotient is negative and inexact
            quotient = quotient + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0))).astype(a.dtype)
        return quotient
    if rounding_mode == "floor":
        if a.dtype == _HALF and b.dtype == _HALF:
            return _half_floor_quotient(xp, a, b)
        return xp.floor_divide(a, b)
    return xp.trunc(a / b).astype(a.dtype, copy=False)


def _half_floor_quotient(xp, a, b):
    """torch's ``div_floor_floating`` on two float16 tensors, each step rounded to float16 (NumPy's
    floor_divide rounds once, from float32: 1e4 // -1.2 is -8336 there, -8328 in torch)."""
    with numpy.errstate(invalid="ignore", divide="ignore", over="ignore"):
        remainder = xp.fmod(a, b)
        quotient = (a - remainder) / b
        quotient = xp.where((remainder != 0) & ((b < 0) != (remainder < 0)), quotient - _HALF.type(1), quotient)
        floor = xp.floor(quotient)
        floor = xp.where(quotient - floor > _HALF.type(0.5), floor + _HALF.type(1), floor)
        result = xp.where(quotient != 0, floor, xp.copysign(_HALF.type(0), a / b))
        return xp.where(b == 0, a / b, result)


# ---- operands: Python scalars, dtype promotion, broadcasting ---------------------
def as_operands(a, b, true_division=False):
    """Two tensors of the dtype torch gives ``a op b``, on the same device, shapes checked.

    Python numbers become 0-d tensors; a tensor of another dtype is read in the op's dtype, as
    torch's kernel reads it (``promotion.promoted_to``: no node of its own); ``true_division`` turns
    integer results into the default float type, as ``/`` does in torch.
    """
    a_is_tensor, b_is_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        if a.array.shape != b.array.shape:
            broadcast_shapes(a.array.shape, b.array.shape)
        dtype = a.array.dtype if a.array.dtype == b.array.dtype else dtypes.result_type(a, b)
    elif a_is_tensor or b_is_tensor:
        tensor, scalar = (a, b) if a_is_tensor else (b, a)
        if not isinstance(scalar, numbers.Number):
            raise TypeError(f"unsupported operand type for a Tensor op: {describe_type(scalar)}")
        if tensor.array.dtype.kind == "f" and type(scalar) in (int, float):
            dtype = tensor.array.dtype      # the common case: a float tensor keeps its dtype
        else:
            dtype = dtypes.result_type(a, b)
    else:
        raise TypeError("at least one operand must be a Tensor")
    if true_division and dtype.kind in "biu":
        dtype = dtypes.get_default_dtype().numpy
    return _as_tensor(a, dtype, b), _as_tensor(b, dtype, a)


BOOL_SUBTRACTION_MESSAGE = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                            "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
BOOL_NEGATION_MESSAGE = ("Negation, the `-` operator, on a bool tensor is not supported. If you "
                         "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def was_bool(operand):
    """Was ``operand`` (from ``as_operands``) a bool tensor before its promotion?  torch's backward
    formulas compute with the saved tensor itself, and a bool one refuses ``-`` there
    (``x ** mask`` has no gradient for ``x``: its formula takes ``mask - 1``)."""
    return operand.promoted_from is not None and operand.promoted_from.array.dtype == bool


def unpromoted(operand):
    """The array an operand from ``as_operands`` was cast from, which torch's formulas read as it
    is (``exponent - 1`` in the exponent's own dtype), or None: not cast, or cast from bool
    (torch's formulas refuse a bool there, see ``was_bool``)."""
    source = operand.promoted_from
    return None if source is None or source.array.dtype == bool else source.array


def _as_tensor(operand, dtype, other):
    if isinstance(operand, Tensor):
        if operand.array.dtype == dtype:
            return operand
        return promoted_to(operand, dtype)
    xp = array_module(other.array)
    if dtype == _HALF and type(operand) is float:      # a double to half through float, as torch
        return Tensor._wrap(dtypes.converted(xp.asarray(operand), dtype))
    return Tensor._wrap(xp.asarray(dtypes.wrapped_int(operand, dtype), dtype=dtype))


def _is_scalar(value):
    return isinstance(value, numbers.Number)


# ---- the public functions (torch's names) ---------------------------------------
def add(input, other, *, alpha=1):
    """``input + alpha * other``."""
    if alpha == 1 and _float_and_number(input, other):
        return AddScalar.apply(input, number=other, torch_name="AddBackward0")
    a, b = as_operands(input, other)
    _check_alpha(a, alpha)
    return Add.apply(a, b, alpha=alpha)


def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    if alpha == 1 and _float_and_number(input, other):
        # -0.0 - other, not -other: x - 0 adds -0.0, which keeps a -0.0 in x (adding the int 0 gives +0.0)
        return AddScalar.apply(input, number=-0.0 - other, torch_name="SubBackward0")
    _check_no_bool_subtraction(input, other)
    a, b = as_operands(input, other)
    _check_alpha(a, alpha)
    return Sub.apply(a, b, alpha=alpha)


def _check_no_bool_subtraction(input, other):
    def is_bool(operand):
        return isinstance(operand, bool) or (isinstance(operand, Tensor) and operand.array.dtype.kind == "b")
    if is_bool(input) and is_bool(other):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if is_bool(input) or is_bool(other):
        raise RuntimeError(BOOL_SUBTRACTION_MESSAGE)


def _check_alpha(operand, alpha):
    if alpha != 1 and operand.array.dtype.kind in "biu" and not isinstance(alpha, numbers.Integral):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def mul(input, other):
    if _float_and_number(input, other):
        return MulScalar.apply(input, number=other)
    a, b = as_operands(input, other)
    return Mul.apply(a, b, singles=_singles(a, b))


def div(input, other, *, rounding_mode=None):
    """True division; ``rounding_mode='trunc'`` or ``'floor'`` rounds (no gradient then)."""
    if rounding_mode is None:
        if _float_and_number(input, other) and other != 0:
            return MulScalar.apply(input, number=other, divide=True)
        a, b = as_operands(input, other, true_division=True)
        return Div.apply(a, b, singles=_singles(a, b))
    _check_rounding_mode(rounding_mode)
    a, b = as_operands(input, other)
    _check_not_bool(a, f"div_{rounding_mode}_cpu")
    return RoundingDiv.apply(a, b, rounding_mode=rounding_mode, divisor=_one_divisor_in_float32(a, other))


def _check_rounding_mode(rounding_mode):
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{rounding_mode}'")


def floor_divide(input, other, *, _op="floor_divide"):
    """``input // other``: requires grad like its inputs, but its backward raises, as in torch
    (naming ``_op``: ``x //= y`` is aten's ``floor_divide_``)."""
    a, b = as_operands(input, other)
    _check_not_bool(a, "div_floor_cpu")
    return RoundingDiv.apply(a, b, rounding_mode="floor", no_derivative=_op,
                             divisor=_one_divisor_in_float32(a, other))


def remainder(input, other):
    a, b = as_operands(input, other)
    _check_not_bool(a, "remainder_cpu")
    overload = ("number first" if not isinstance(input, Tensor) else
                "tensors" if isinstance(other, Tensor) else "number")
    return Remainder.apply(a, b, overload=overload, singles=_singles(a, b))


def _check_not_bool(operand, kernel):
    if operand.array.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def fmod(input, other):
    a, b = as_operands(input, other)
    _check_not_bool(a, "fmod_cpu")
    return Fmod.apply(a, b, singles=_singles(a, b), tensor_divisor=isinstance(other, Tensor))


def pow(input, exponent):
    """``input ** exponent``; a Python-number exponent keeps ``input``'s dtype when it can
    (``int_tensor ** 2`` is int, ``int_tensor ** 0.5`` float, ``bool_tensor ** 2`` int64)."""
    if isinstance(input, Tensor) and _is_scalar(exponent):
        # pow promotes a uint64 Scalar (2**63 up) as an int64 one, then refuses to convert it
        dtype = dtypes.result_type(input, min(exponent, 1) if type(dtypes.scalar_argument(exponent)) is int
                                   else exponent)
        _check_integer_power(dtype, exponent)
        if dtype == dtypes.float16.numpy or dtype.kind in "iu":
            scalar_as(exponent, dtype)      # torch converts the exponent first: out of range, an error
        if input.array.dtype != dtype:
            input = input.to(dtypes.from_numpy_dtype(dtype))
        result = PowScalar.apply(input, exponent=exponent)
        return result if result.array.dtype == dtype else result.to(dtypes.from_numpy_dtype(dtype))
    scalar_base = _is_scalar(input)
    base, exponent = as_operands(input, exponent)
    _check_not_bool(base, "pow")
    if scalar_base:
        return PowScalarBase.apply(base, exponent, bool_exponent=was_bool(exponent), number=input)
    return Pow.apply(base, exponent, bool_exponent=was_bool(exponent), exponent_source=unpromoted(exponent),
                     base_source=unpromoted(base))


def _check_integer_power(dtype, exponent):
    if dtype.kind in "iu" and type(exponent) is int and exponent > 0x7FFFFFFFFFFFFFFF:
        # torch reads the exponent (a uint64 Scalar) as an int64 to check its sign
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    if dtype.kind in "iu" and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def neg(input):
    _check_no_bool_negation(input)
    return Neg.apply(input)


def _check_no_bool_negation(input):
    if input.array.dtype.kind == "b":
        raise RuntimeError(BOOL_NEGATION_MESSAGE)


def positive(input):
    return input


# reflected forms: ``2.0 - x`` calls ``x.__rsub__(2.0)``
def radd(input, other):
    return add(input, other)     # number + tensor: addition commutes


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (``2.0 - x`` is ``rsub(x, 2.0)``)."""
    dtypes.scalar_argument(other)
    _check_no_bool_subtraction(other, input)
    b, a = as_operands(input, other)
    _check_alpha(a, alpha)
    return Rsub.apply(a, b, alpha=alpha, scalar_other=_is_scalar(other))


def rmul(input, other):
    return mul(input, other)     # number * tensor: multiplication commutes


def rdiv(input, other):
    """``other / input`` for a number ``other``, computed as torch does: ``reciprocal(input) * other``."""
    from .unary import reciprocal   # unary.py imports this module: import at call time
    return mul(reciprocal(input), other)


def rfloor_divide(input, other):
    return floor_divide(other, input)


def rremainder(input, other):
    return remainder(other, input)


def rpow(input, other):
    return pow(other, input)


# ---- in-place forms: compute, then let the target hold the result ------------------
def add_(input, other, *, alpha=1):
    check_in_place(input, other)
    return assign(input, add(input, other, alpha=alpha))


def sub_(input, other, *, alpha=1):
    check_in_place(input, other, op_check=lambda: _check_no_bool_subtraction(input, other))
    return assign(input, sub(input, other, alpha=alpha))


def mul_(input, other):
    check_in_place(input, other)
    return assign(input, mul(input, other))


def div_(input, other, *, rounding_mode=None):
    check_in_place(input, other, op_check=lambda: _check_rounding_mode(rounding_mode))
    return assign(input, div(input, other, rounding_mode=rounding_mode))


def pow_(input, exponent):
    def check_power():
        if _is_scalar(exponent):
            _check_integer_power(dtypes.result_type(input, exponent), exponent)
    check_in_place_result(input, exponent, op_check=check_power)
    return assign(input, pow(input, exponent))


def neg_(input):
    check_in_place(input, op_check=lambda: _check_no_bool_negation(input))
    return assign(input, neg(input))


negative_ = neg_


def floor_divide_(input, other):
    """``x //= y``: in place (the result type must fit ``x``'s: no float quotient into an int)."""
    check_in_place_result(input, other)
    return assign(input, floor_divide(input, other, _op="floor_divide_"))


def remainder_(input, other):
    """``x %= y``, in place."""
    check_in_place_result(input, other)
    return assign(input, remainder(input, other))


def fmod_(input, other):
    check_in_place_result(input, other)
    return assign(input, fmod(input, other))


def copy_(input, src, non_blocking=False, *, _torch_name="torch::autograd::CopyBackwards"):
    """Copy ``src``'s values into ``input`` (broadcast, cast, moved); gradients flow to ``src``
    (through torch's CopyBackwards, or ``_torch_name``: fill_'s FillBackward3)."""
    if isinstance(src, numbers.Number):   # torch fills with a Python number, cast to input's dtype
        src = Tensor._wrap(array_module(input.array).asarray(src).astype(input.array.dtype))
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    # torch's copy_ of the target's own data (an expand included) skips its kernel and its overlap
    # checks; autograd records it still. It records no write into integers (its other in-place ops
    # ask the inputs only)
    itself = same_data(input.array, src.array)
    check_in_place(input, src, inputs_require_grad=src.requires_grad and input.array.dtype.kind in "fc",
                   overlap_ok=itself)
    shape = broadcast_shapes(input.array.shape, src.array.shape)
    if shape != input.array.shape:
        raise RuntimeError(f"output with shape {list(input.array.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    result = CopyInto.apply(input, src.to(input.device), torch_name=_torch_name)
    return assign(input, result, overlap_ok=itself)


class CopyInto(Function):
    """``src``'s values in the target's shape and dtype; the target's old values get no gradient."""

    differentiable_backward = True

    def name(self):
        return self.torch_name

    def forward(self, target, src, torch_name):
        self.torch_name = torch_name     # copy_'s node, or fill_'s (with a 0-d tensor)
        self.src_shape, self.src_dtype = src.shape, src.dtype
        xp = array_module(src)
        return dtypes.converted(xp.broadcast_to(src, target.shape), target.dtype)   # a double to half via float

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad_target = xp.zeros_like(grad_output) if self.needs_input_grad[0] else None
        # torch's CopyBackwards casts to src's dtype, and the engine then sums over the broadcast dims
        return grad_target, sum_to(astype(grad_output, self.src_dtype), self.src_shape)


def zero_(input):
    return write(input, 0, torch_name="ZeroBackward0", overlap_ok=True)


def fill_(input, value):
    """Every element set to ``value`` (a number or a 0-d tensor, whose gradient is the sum)."""
    if isinstance(value, Tensor):
        if value.array.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.array.ndim} dimensions.")
        if value.requires_grad:
            # torch's generated fill_ asks compute_requires_grad(self, value), whatever self's
            # dtype (copy_ asks only for a float or complex self): an int piece of split is refused
            check_in_place(input, inputs_require_grad=True, overlap_ok=True)
            return copy_(input, value, _torch_name="FillBackward3")   # differentiable in value
        # (torch's Tensor overload refuses an expanded target, its number overload does not)
        return write(input, value.array, torch_name="FillBackward3")
    if input.array.size == 1 and array_module(input.array) is numpy:
        value = _one_element_fill(value, input.array.dtype)
    return write(input, value, torch_name="FillBackward2", overlap_ok=True)


def _one_element_fill(number, dtype):
    """torch fills one element on the CPU by ``scalar_fill``, which casts a number to float16
    unchecked (1e300 is inf; fuzz seed 92446), where its kernel for more elements (or none)
    refuses it: "value cannot be converted to type c10::Half without overflow".  Other dtypes
    are checked alike, after autograd's checks (so ``write`` converts them)."""
    if dtype == numpy.float16:
        return relaxed_scalar_as(number, dtype)
    return number


def uniform_(input, a=0.0, b=1.0, generator=None):
    """Fill with ``U(a, b)`` draws from ``generator`` (default: the global one)."""
    return write(input, random.uniform(input.array.shape, input.array.dtype, input.device, a, b,
                                       chosen=generator), torch_name="UniformBackward0")


def normal_(input, mean=0.0, std=1.0, generator=None):
    """Fill with ``N(mean, std**2)`` draws from ``generator`` (default: the global one)."""
    return write(input, random.normal(input.array.shape, input.array.dtype, input.device, mean, std,
                                      chosen=generator), torch_name="NormalBackward0")


__all__ = ["negative_", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "pow", "neg", "negative", "positive", "rsub"]
subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
