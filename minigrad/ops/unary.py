"""Elementwise functions: ``exp log sqrt tanh sigmoid relu abs clamp maximum erf ...``.

Each is a ``Function`` whose backward multiplies the output gradient by the
local derivative.  Integer tensors go through the transcendental functions as
the default float type (``torch.exp(torch.tensor([1]))`` is a float tensor);
``relu abs sign floor ceil round clamp`` keep the input's dtype.
Ties and boundaries follow torch: ``relu'(0) = 0``, ``abs'(0) = 0``, ``clamp``
passes the gradient where ``min <= x <= max``, ``maximum`` splits it in half
where both inputs are equal, and ``sign floor ceil round`` have zero gradient.
"""
from __future__ import annotations

import math
import numbers

from .. import dtypes
from .._type_errors import describe_type
from ..autograd.function import Function
from ..backend import array_module
from .arithmetic import as_operands
from .broadcast import sum_to
from .inplace import assign


def _floating(input, name):
    """``input`` itself when floating point, else cast to the default float type (as torch)."""
    try:
        kind = input.array.dtype.kind
    except AttributeError:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                        f"not {describe_type(input)}") from None
    return input if kind == "f" else input.to(dtypes.get_default_dtype())


def _tensor(input, name):
    """``input`` after checking that it is a Tensor (for the dtype-keeping functions)."""
    if not hasattr(input, "array"):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                        f"not {describe_type(input)}")
    return input


# ---- exponentials and logarithms ---------------------------------------------------------------
class Exp(Function):
    def forward(self, x):
        result = array_module(x).exp(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * result


class Expm1(Function):
    """``exp(x) - 1``, accurate near 0; d/dx = exp(x) = result + 1."""

    def forward(self, x):
        result = array_module(x).expm1(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * (result + 1)


class Log(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).log(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / x


class Log1p(Function):
    """``log(1 + x)``, accurate near 0."""

    def name(self):
        return "Log1PBackward0"

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).log1p(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / (1 + x)


class Log2(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).log2(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / (x * math.log(2.0))


class Sqrt(Function):
    def forward(self, x):
        result = array_module(x).sqrt(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output / (2 * result)


class Rsqrt(Function):
    """``1 / sqrt(x)``; d/dx = -x^(-3/2) / 2 = -result^3 / 2."""

    def forward(self, x):
        result = 1 / array_module(x).sqrt(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * (-0.5 * result * result * result)


class Square(Function):
    def name(self):
        return "PowBackward0"     # torch computes square as pow(x, 2)

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * (2 * x)


class Reciprocal(Function):
    """``1 / x``; d/dx = -1 / x^2 = -result^2."""

    def forward(self, x):
        result = 1 / x
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * -(result * result)


def exp(input):
    return Exp.apply(_floating(input, "exp"))


def expm1(input):
    return Expm1.apply(_floating(input, "expm1"))


def log(input):
    return Log.apply(_floating(input, "log"))


def log1p(input):
    return Log1p.apply(_floating(input, "log1p"))


def log2(input):
    return Log2.apply(_floating(input, "log2"))


def sqrt(input):
    return Sqrt.apply(_floating(input, "sqrt"))


def rsqrt(input):
    return Rsqrt.apply(_floating(input, "rsqrt"))


def square(input):
    """``input * input`` (a bool tensor squares to int64, as torch)."""
    if _tensor(input, "square").array.dtype.kind == "b":
        input = input.to(dtypes.int64)
    return Square.apply(input)


def reciprocal(input):
    return Reciprocal.apply(_floating(input, "reciprocal"))


# ---- activations ---------------------------------------------------------------------------
class Tanh(Function):
    def forward(self, x):
        result = array_module(x).tanh(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * (1 - result * result)


class Sigmoid(Function):
    """``1 / (1 + exp(-x))`` without overflow.

    With ``e = exp(-|x|)`` (never above 1) the sigmoid is ``1 / (1 + e)`` for
    ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``: no ``exp`` of a large
    positive number, and full relative accuracy for very negative ``x``.
    """

    def forward(self, x):
        xp = array_module(x)
        e = xp.exp(-xp.abs(x))
        result = xp.where(x >= 0, 1, e) / (1 + e)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * (result * (1 - result))


class Relu(Function):
    def forward(self, x):
        result = array_module(x).maximum(x, 0)   # keeps NaN, as torch
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        # torch's threshold_backward: the gradient passes where the output is > 0 (relu'(0) = 0)
        (result,) = self.saved_tensors
        return array_module(result).where(result > 0, grad_output, 0)


def tanh(input):
    return Tanh.apply(_floating(input, "tanh"))


def sigmoid(input):
    return Sigmoid.apply(_floating(input, "sigmoid"))


def relu(input):
    return Relu.apply(_tensor(input, "relu"))


# ---- abs, sign, rounding -----------------------------------------------------------------------
class Abs(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).abs(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * array_module(x).sign(x)    # sign(0) = 0: abs'(0) = 0, as torch


class Piecewise(Function):
    """``sign floor ceil round``: piecewise constant, so the gradient is 0 everywhere (as torch)."""

    def name(self):
        return {"rint": "RoundBackward0", "round": "RoundBackward1"}.get(
            self.function, f"{self.function.capitalize()}Backward0")

    def forward(self, x, function, decimals=0):
        self.function = function
        xp = array_module(x)
        if decimals:
            return xp.round(x, decimals)
        if function == "sign":
            return xp.where(xp.isnan(x), 0, xp.sign(x))    # torch: sign(nan) = 0
        return getattr(xp, function)(x)

    def backward(self, grad_output):
        return array_module(grad_output).zeros_like(grad_output)


def abs(input):
    if _tensor(input, "abs").array.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return Abs.apply(input)


def _piecewise(input, function):
    if _tensor(input, function).array.dtype.kind in "biu":
        return input.clone()        # integers are their own floor, ceil and round
    return Piecewise.apply(input, function=function)


def sign(input):
    if _tensor(input, "sign").array.dtype.kind == "b":
        return input.clone()
    return Piecewise.apply(input, function="sign")


def floor(input):
    return _piecewise(input, "floor")


def ceil(input):
    return _piecewise(input, "ceil")


def round(input, *, decimals=0):
    """Round half to even (as torch and NumPy); ``decimals`` rounds to that many decimal places."""
    if decimals == 0:
        return _piecewise(input, "rint")
    return Piecewise.apply(_floating(input, "round"), function="round", decimals=decimals)


# ---- trigonometric functions and erf -----------------------------------------------------------------
class Sin(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).sin(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * array_module(x).cos(x)


class Cos(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).cos(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * -array_module(x).sin(x)


def sin(input):
    return Sin.apply(_floating(input, "sin"))


def cos(input):
    return Cos.apply(_floating(input, "cos"))


# W. J. Cody, "Rational Chebyshev approximations for the error function",
# Math. Comp. 23 (1969) 631-638, as in his netlib SPECFUN routine CALERF:
# erf on |x| <= 0.46875, erfc on (0.46875, 4] and on (4, inf); float64 accuracy.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
_ERFC_UNDERFLOW = 26.543     # erfc(x) is below the smallest double from here on


def _rational(coefficients_num, coefficients_den, z, degree):
    """Cody's nested evaluation of ``num(z) / den(z)`` (leading coefficient of ``num`` last)."""
    numerator, denominator = z * coefficients_num[degree + 1], z.copy()
    for i in range(degree):          # in place: these are fresh arrays, and erf runs on big ones (GELU)
        numerator += coefficients_num[i]
        numerator *= z
        denominator += coefficients_den[i]
        denominator *= z
    numerator += coefficients_num[degree]
    denominator += coefficients_den[degree]
    numerator /= denominator
    return numerator


def _exp_minus_square(y):
    """``exp(-y^2)`` with ``y^2`` split so that its rounding error is not amplified (Cody)."""
    xp = array_module(y)
    head = xp.trunc(y * 16)
    head /= 16
    rest = (head - y) * (y + head)          # -(y^2 - head^2), exact enough to exponentiate
    head *= head
    head *= -1
    return xp.exp(head, out=head) * xp.exp(rest, out=rest)


def _erf(x):
    """erf of an array (NumPy or CuPy), to float64 precision; GELU calls it too."""
    xp = array_module(x)
    if xp.__name__ == "cupy":         # CuPy ships an erf kernel (no host-side branching needed)
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(x)
    if x.dtype.itemsize < 4:          # float16: evaluate in float32
        return _erf_cody(x.astype("float32")).astype(x.dtype)
    return _erf_cody(x)


def _erf_cody(x):
    """erf on NumPy arrays by Cody's three approximations (each run only where it has elements)."""
    xp = array_module(x)
    y = xp.abs(x)
    small, large = y <= 0.46875, y > 4.0
    middle = ~(small | large)            # NaN lands here and stays NaN
    result = xp.empty_like(x)
    if small.any():
        x_small = x[small]
        result[small] = x_small * _rational(_ERF_A, _ERF_B, x_small * x_small, 3)
    if middle.any():
        y_middle = y[middle]
        erfc = _rational(_ERFC_C, _ERFC_D, y_middle, 7) * _exp_minus_square(y_middle)
        result[middle] = xp.copysign((0.5 - erfc) + 0.5, x[middle])
    if large.any():
        y_large = xp.minimum(y[large], _ERFC_UNDERFLOW)
        inverse_square = 1 / (y_large * y_large)
        erfc = (_ONE_OVER_SQRT_PI - inverse_square * _rational(_ERFC_P, _ERFC_Q, inverse_square, 4)) / y_large
        erfc = erfc * _exp_minus_square(y_large)
        result[large] = xp.copysign((0.5 - erfc) + 0.5, x[large])
    return result


class Erf(Function):
    """The error function; d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _erf(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * (2 * _ONE_OVER_SQRT_PI) * array_module(x).exp(-x * x)


def erf(input):
    return Erf.apply(_floating(input, "erf"))


# ---- clamp, maximum, minimum ---------------------------------------------------------------------
class Clamp(Function):
    """``clamp`` with Python-number bounds (``None`` for no bound)."""

    def name(self):
        return "ClampBackward1"

    def forward(self, x, low, high):
        self.save_for_backward(x)
        self.low, self.high = low, high
        xp = array_module(x)
        result = x if low is None else xp.maximum(x, low)
        return result if high is None else xp.minimum(result, high)

    def backward(self, grad_output):
        # torch: the gradient passes where min <= x <= max, boundaries included
        (x,) = self.saved_tensors
        low, high = self.low, self.high
        inside = x >= low if high is None else x <= high if low is None else (x >= low) & (x <= high)
        return array_module(x).where(inside, grad_output, 0)


class ClampTensor(Function):
    """``clamp(x, low, high)`` with tensor bounds; gradients to the bound that was taken.

    torch's rules (``clamp_backward_min_max``): ``x`` where ``low <= x <= high``,
    ``low`` where ``x < low < high``, ``high`` where ``x > high`` or ``high < low``.
    """

    def name(self):
        return "ClampBackward0"

    def forward(self, x, low, high):
        self.save_for_backward(x, low, high)
        xp = array_module(x)
        return xp.minimum(xp.maximum(x, low), high)

    def backward(self, grad_output):
        x, low, high = self.saved_tensors
        where = array_module(x).where
        needs = self.needs_input_grad
        grad_x = sum_to(where((x >= low) & (x <= high), grad_output, 0), x.shape) if needs[0] else None
        grad_low = sum_to(where((x < low) & (low < high), grad_output, 0), low.shape) if needs[1] else None
        grad_high = sum_to(where((x > high) | (high < low), grad_output, 0), high.shape) if needs[2] else None
        return grad_x, grad_low, grad_high


class Maximum(Function):
    """Elementwise max; where ``a == b`` each gets half the gradient (as torch)."""

    def name(self):
        return "MaximumBackward0" if self.largest else "MinimumBackward0"

    def forward(self, a, b, largest):
        self.save_for_backward(a, b)
        self.largest = largest
        xp = array_module(a)
        return xp.maximum(a, b) if largest else xp.minimum(a, b)

    def backward(self, grad_output):
        a, b = self.saved_tensors
        where = array_module(a).where
        shared = where(a == b, grad_output * 0.5, grad_output)
        a_lost, b_lost = (a < b, a > b) if self.largest else (a > b, a < b)
        grad_a = sum_to(where(a_lost, 0, shared), a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(where(b_lost, 0, shared), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def _check_tensor_other(name, other):
    if not hasattr(other, "array"):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, "
                        f"not {describe_type(other)}")


def maximum(input, other):
    """Elementwise maximum of two tensors (broadcast); NaN wins, as torch."""
    _check_tensor_other("maximum", other)
    return Maximum.apply(*as_operands(input, other), largest=True)


def minimum(input, other):
    """Elementwise minimum of two tensors (broadcast); NaN wins, as torch."""
    _check_tensor_other("minimum", other)
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
        dtype = _number_bounds_dtype(_tensor(input, "clamp"), low, high)
        if dtype != input.array.dtype:
            input = input.to(dtypes.from_numpy_dtype(dtype))
        return Clamp.apply(input, low=low, high=high)
    if high is None:
        return clamp_min(input, low)
    if low is None:
        return clamp_max(input, high)
    x, low = as_operands(input, low)
    x, high = as_operands(x, high)
    if low.array.dtype != x.array.dtype:       # promoted by ``high``
        x, low = as_operands(x, low)
    return ClampTensor.apply(x, low, high)


def clamp_min(input, min):
    """``max(input, min)``; the gradient goes to ``input`` where ``input >= min``."""
    if isinstance(min, numbers.Number):
        return clamp(input, min, None)
    x, low = as_operands(input, min)
    return ClampMin.apply(x, low)


def clamp_max(input, max):
    """``min(input, max)``; the gradient goes to ``input`` where ``input <= max``."""
    if isinstance(max, numbers.Number):
        return clamp(input, None, max)
    x, high = as_operands(input, max)
    return ClampMax.apply(x, high)


class ClampMin(Function):
    def name(self):
        return "ClampMinBackward1"

    def forward(self, x, low):
        self.save_for_backward(x, low)
        return array_module(x).maximum(x, low)

    def backward(self, grad_output):
        x, low = self.saved_tensors
        where = array_module(x).where
        keep = x >= low
        grad_x = sum_to(where(keep, grad_output, 0), x.shape) if self.needs_input_grad[0] else None
        grad_low = sum_to(where(keep, 0, grad_output), low.shape) if self.needs_input_grad[1] else None
        return grad_x, grad_low


class ClampMax(Function):
    def name(self):
        return "ClampMaxBackward1"

    def forward(self, x, high):
        self.save_for_backward(x, high)
        return array_module(x).minimum(x, high)

    def backward(self, grad_output):
        x, high = self.saved_tensors
        where = array_module(x).where
        keep = x <= high
        grad_x = sum_to(where(keep, grad_output, 0), x.shape) if self.needs_input_grad[0] else None
        grad_high = sum_to(where(keep, 0, grad_output), high.shape) if self.needs_input_grad[1] else None
        return grad_x, grad_high


# ---- more trigonometric and hyperbolic functions, trunc, frac ----------------------------------
class Elementwise(Function):
    """``tan atan asin acos sinh cosh``: ``function(x)``, backward ``grad * derivative(x, result)``."""

    # d/dx of each function, from its input ``x`` and its result ``y``
    DERIVATIVES = {
        "tan": lambda xp, x, y: 1 + y * y,
        "arctan": lambda xp, x, y: 1 / (1 + x * x),
        "arcsin": lambda xp, x, y: 1 / xp.sqrt(1 - x * x),
        "arccos": lambda xp, x, y: -1 / xp.sqrt(1 - x * x),
        "sinh": lambda xp, x, y: xp.cosh(x),
        "cosh": lambda xp, x, y: xp.sinh(x),
    }
    TORCH_NAMES = {"arctan": "Atan", "arcsin": "Asin", "arccos": "Acos"}

    def name(self):
        return f"{self.TORCH_NAMES.get(self.function, self.function.capitalize())}Backward0"

    def forward(self, x, function):
        self.function = function
        result = getattr(array_module(x), function)(x)
        self.save_for_backward(x, result)
        return result

    def backward(self, grad_output):
        x, result = self.saved_tensors
        return grad_output * self.DERIVATIVES[self.function](array_module(x), x, result)


def tan(input):
    return Elementwise.apply(_floating(input, "tan"), function="tan")


def atan(input):
    return Elementwise.apply(_floating(input, "atan"), function="arctan")


def asin(input):
    return Elementwise.apply(_floating(input, "asin"), function="arcsin")


def acos(input):
    return Elementwise.apply(_floating(input, "acos"), function="arccos")


def sinh(input):
    return Elementwise.apply(_floating(input, "sinh"), function="sinh")


def cosh(input):
    return Elementwise.apply(_floating(input, "cosh"), function="cosh")


class Frac(Function):
    """``x - trunc(x)`` (sign of ``x`` kept); the gradient passes unchanged (as torch)."""

    def forward(self, x):
        return x - array_module(x).trunc(x)

    def backward(self, grad_output):
        return grad_output


def trunc(input):
    """Round towards zero; zero gradient (piecewise constant)."""
    return _piecewise(input, "trunc")


def frac(input):
    if _tensor(input, "frac").array.dtype.kind != "f":
        raise RuntimeError(f"\"frac_cpu\" not implemented for '{dtypes.scalar_type_name(input.dtype)}'")
    return Frac.apply(input)


fix = trunc
arctan, arcsin, arccos = atan, asin, acos


# ---- two-argument functions: atan2, logaddexp, hypot, lerp, addcmul, addcdiv ----------------------
def _float_operands(input, other, name):
    """Broadcast-ready operands of a float result type (integers promote to the default float)."""
    _tensor(input, name)
    return as_operands(input, other, true_division=True)


class Atan2(Function):
    """``atan2(a, b)``: d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return array_module(a).arctan2(a, b)

    def backward(self, grad_output):
        a, b = self.saved_tensors
        scale = grad_output / (a * a + b * b)
        grad_a = sum_to(scale * b, a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(-scale * a, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class LogAddExp(Function):
    """``log(exp(a) + exp(b))``; d/da = sigmoid(a - b) = exp(a - result)."""

    def forward(self, a, b):
        result = array_module(a).logaddexp(a, b)
        self.save_for_backward(a, b, result)
        return result

    def backward(self, grad_output):
        a, b, result = self.saved_tensors
        xp = array_module(a)
        grad_a = sum_to(grad_output * xp.exp(a - result), a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(grad_output * xp.exp(b - result), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Hypot(Function):
    """``sqrt(a^2 + b^2)``; d/da = a / result."""

    def forward(self, a, b):
        result = array_module(a).hypot(a, b)
        self.save_for_backward(a, b, result)
        return result

    def backward(self, grad_output):
        a, b, result = self.saved_tensors
        grad_a = sum_to(grad_output * a / result, a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(grad_output * b / result, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def atan2(input, other):
    return Atan2.apply(*_float_operands(input, other, "atan2"))


arctan2 = atan2


def logaddexp(input, other):
    return LogAddExp.apply(*_float_operands(input, other, "logaddexp"))


def hypot(input, other):
    return Hypot.apply(*_float_operands(input, other, "hypot"))


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor (all broadcast)."""
    from .arithmetic import add, mul, sub
    _tensor(input, "lerp")
    if input.array.dtype != getattr(end, "array", input.array).dtype:
        raise RuntimeError(f"expected dtype {input.dtype} for `end` but got dtype {end.dtype}")
    return add(input, mul(weight, sub(end, input)))


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2`` (broadcast)."""
    from .arithmetic import add, mul
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (broadcast); integer division is refused, as torch."""
    from .arithmetic import add, div, mul
    if tensor1.array.dtype.kind in "biu" and tensor2.array.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  "
                           "release addcdiv will perform a true division of tensor1 and tensor2. The "
                           "historic addcdiv behavior can be implemented as (input + value * "
                           "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                           "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                           "behavior is just the latter implementation: (input + value * tensor1 / "
                           "tensor2), for all dtypes.")
    return add(input, mul(div(tensor1, tensor2), value))


class NanToNum(Function):
    """Replace NaN and +-inf by numbers; the gradient passes only where ``x`` was finite (as torch)."""

    def forward(self, x, nan, posinf, neginf):
        xp = array_module(x)
        self.save_for_backward(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return array_module(x).where(array_module(x).isfinite(x), grad_output, 0)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest), -inf -> ``neginf``."""
    if _tensor(input, "nan_to_num").array.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


# ---- in-place forms ----------------------------------------------------------------------------
def exp_(input):
    return assign(input, exp(input))


def tanh_(input):
    return assign(input, tanh(input))


def sigmoid_(input):
    return assign(input, sigmoid(input))


def relu_(input):
    return assign(input, relu(input))


def clamp_(input, min=None, max=None):
    return assign(input, clamp(input, min, max))


def sqrt_(input):
    return assign(input, sqrt(input))


def abs_(input):
    return assign(input, abs(input))


def log_(input):
    return assign(input, log(input))


def trunc_(input):
    return assign(input, trunc(input))


def frac_(input):
    return assign(input, frac(input))


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return assign(input, nan_to_num(input, nan, posinf, neginf))


def lerp_(input, end, weight):
    return assign(input, lerp(input, end, weight))


def addcmul_(input, tensor1, tensor2, *, value=1):
    return assign(input, addcmul(input, tensor1, tensor2, value=value))


def addcdiv_(input, tensor1, tensor2, *, value=1):
    return assign(input, addcdiv(input, tensor1, tensor2, value=value))


clip, clip_ = clamp, clamp_
absolute = abs

__all__ = ["exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "square", "reciprocal",
           "tanh", "sigmoid", "relu", "abs", "absolute", "sign", "floor", "ceil", "round",
           "sin", "cos", "erf", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum",
           "exp_", "tanh_", "sigmoid_", "relu_", "clamp_", "clip_",
           "tan", "atan", "asin", "acos", "sinh", "cosh", "arctan", "arcsin", "arccos", "trunc", "fix",
           "frac", "atan2", "arctan2", "logaddexp", "hypot", "lerp", "addcmul", "addcdiv", "nan_to_num",
           "sqrt_", "abs_", "log_", "trunc_", "frac_", "nan_to_num_", "lerp_", "addcmul_", "addcdiv_"]
