"""Functions of one tensor, element by element: ``exp log sqrt tanh sigmoid relu abs sin erf ...``.

Each is a ``Function`` whose backward multiplies the output gradient by the
local derivative.  Integer tensors go through the transcendental functions as
the default float type (``torch.exp(torch.tensor([1]))`` is a float tensor);
``relu abs sign floor ceil round`` keep the input's dtype.
Ties and boundaries follow torch: ``relu'(0) = 0``, ``abs'(0) = 0``, and
``sign floor ceil round trunc`` have zero gradient.  One idiom throughout: a
``Function`` class per op (forward, and a backward that multiplies the output
gradient by the local derivative), then the public function with torch's name.
"""
from __future__ import annotations

import functools
import math

import numpy

from ..backends import cpu
from ..core import dtypes, layout
from ..core.function import Function
from ..core.tensor import Tensor
from ..core.device import array_module, branchless_where, positive_domain_nans, zero_where
from ..core.type_errors import describe_type
from . import sleef, special
from .inplace import assign, check_in_place, in_place
from .tensor_namespace import astype, half_in_float32
from .vector_loop import scalar_tail


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
_FLOAT32_ARRAYS = (numpy.ndarray, numpy.float32)   # (an element picked by an index is a NumPy scalar)


def _with_torch_nans(result, x):
    """sqrt's NaNs of negative numbers positive in float32 and float64, as torch's (MKL's; float16's
    stay -NaN there too, its vectors' sqrt instruction's: ``device.positive_domain_nans``)."""
    if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        return positive_domain_nans(result, x)
    return result


def _with_torch_log_nans(result, x):
    """log's, log2's and log10's NaNs as torch's vml kernels make them: float32 and float64 MKL's
    (``_with_torch_nans``); float16 SLEEF's float log on every element (vml's map loads a row's
    rest as a partial vector), whose AVX2 code returns +NaN for a negative number and for a NaN
    alike (seen on torch 2.13), and whose AVX-512 code (vfixupimm) x86's -NaN for a negative number,
    as NumPy (kept as NumPy has them there, and in the default build)."""
    if x.dtype == numpy.float16 and cpu.get_cpu_capability() == "AVX2":
        return positive_domain_nans(result)
    return _with_torch_nans(result, x)


def _float32_rounded_once(function, x, silenced):
    """``function`` (a NumPy ufunc) of a float32 array in float64, rounded once to float32; ``silenced``:
    the NumPy warnings to silence (``errstate``'s keywords), or None where none can arise."""
    wide = numpy.asarray(x, numpy.float64)    # (a copy, in place from here: 1.5x float32's exp, not 5x)
    if silenced is None:
        function(wide, out=wide)
    else:
        with numpy.errstate(**silenced):
            function(wide, out=wide)
    return wide.astype(numpy.float32)


def exp_rounded_once(x, may_overflow=True):
    """``exp(x)``; float32 through float64, rounded once: NumPy's float32 exp is an ulp off in about
    two results in five here (its SIMD loop), torch's in about one in a hundred (fuzz seed 894143:
    exp(10.1) is 24343.016 in NumPy, 24343.02 in torch and correctly rounded, and a cos of it
    after amplified the ulp to 2e-3 of the gradient).  ``may_overflow=False`` (x <= 0, or NaN:
    log-probabilities) skips silencing NumPy's overflow warning, a microsecond a call."""
    if type(x) in _FLOAT32_ARRAYS and x.dtype == numpy.float32:
        return _float32_rounded_once(numpy.exp, x, {"over": "ignore"} if may_overflow else None)
    return array_module(x).exp(x)


def log_rounded_once(x, may_be_below_zero=True):
    """``log(x)``; float32 through float64, rounded once: NumPy's float32 log is an ulp off in about
    one result in four here, torch's in one in ten (fuzz seed 1003946: log_softmax's 8.487e-5 an
    ulp off made its gradient 7e-4 off, where 1 - exp(y) cancels).  ``may_be_below_zero=False``
    (x >= 1, or NaN, inf: a sum of exponentials that includes exp(0)) skips silencing NumPy's
    warnings for 0 and negative numbers."""
    if type(x) in _FLOAT32_ARRAYS and x.dtype == numpy.float32:
        return _float32_rounded_once(numpy.log, x, {"divide": "ignore", "invalid": "ignore"}
                                     if may_be_below_zero else None)
    return array_module(x).log(x)


class Exp(Function):
    elementwise = True      # (its float32/float64 copies lose an expanded input's layout)
    differentiable_backward = True

    def forward(self, x):
        result = exp_rounded_once(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * result


# Below these SLEEF's expm1 (torch's vectorized CPU kernel) returns -1 outright: ln(2**-53), ln(2**-24)
_EXPM1_SATURATES = {numpy.dtype(numpy.float64): numpy.float64(-36.736800569677101399113302437),
                    numpy.dtype(numpy.float32): numpy.float32(-16.635532333438687426013570)}


def _extreme(array, largest=False):
    """The least (or largest) element of a non-empty array, NaNs skipped (``fmin.reduce``): ``argmin``
    finds it in a fifth of the time (a ufunc reduction costs 1.2 us on any size; tanh and expm1 ask
    at every call), unless it meets a NaN first."""
    flat = array.reshape(-1)
    value = flat[flat.argmax() if largest else flat.argmin()]
    if value != value:
        value = (array_module(array).fmax if largest else array_module(array).fmin).reduce(flat)
    return value


def _expm1(x):
    """``exp(x) - 1`` as torch's vectorized CPU kernel (SLEEF's ``expm1_u10``) computes it: -1
    below ln(2**-53) in float64 (ln(2**-24) in float32), where the correctly rounded NumPy result
    is still ``-1 + ulp`` down to ln(2**-54).  The ulp decides the gradient's NaNs: torch's
    ``grad * (result + 1)`` is ``-inf * 0`` there (fuzz seed 1869886: expm1(-36.74)).  Half
    precision runs in float32, where the threshold is far below half's own ``-1``."""
    result = array_module(x).expm1(x)
    if (type(x) is not numpy.ndarray or x.dtype not in _EXPM1_SATURATES or not x.size
            or cpu.get_cpu_capability() == "DEFAULT"):
        return result
    threshold = _EXPM1_SATURATES[x.dtype]
    if _extreme(x) < threshold:    # (no allocation where none saturates)
        result = numpy.where(x < threshold, x.dtype.type(-1), result)
    return result


class Expm1(Function):
    """``exp(x) - 1``, accurate near 0; d/dx = exp(x) = result + 1."""

    differentiable_backward = True

    def forward(self, x):
        result = _expm1(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * (result + 1)


class Log(Function):
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return _with_torch_log_nans(array_module(x).log(x), x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / x


def _log1p(x):
    """``log(1 + x)`` as torch's vectorized CPU kernel (SLEEF's ``log1p_u10``, every element:
    torch's vml map loads a short row's rest as a partial vector) computes it with AVX2 and
    AVX-512.  With AVX2 float64 follows SLEEF step by step (``sleef.log1p``): NumPy's log1p there
    is the C library's, an ulp off SLEEF's in one result in ten over [-0.9, 5] (log1p(2.0)); with
    AVX-512 NumPy's (its SVML loop) is taken.  SLEEF forms ``m / (2 + m)`` with ``m = x`` near 0
    and doubles it; where ``x / 2`` is subnormal (``|x| < 2 * tiny``) halving rounds its last bit
    to even, so the result is ``2 * (x / 2)``: log1p(5e-324) is 0 (fuzz seed 35171: sqrt_ of it
    then has an infinite gradient).  torch's DEFAULT build calls ``std::log1p``, exact there as
    NumPy's; half precision goes through float32, where its subnormals are normal.
    """
    if type(x) is numpy.ndarray and x.dtype == numpy.float64 and cpu.get_cpu_capability() == "AVX2":
        return sleef.log1p(x)
    result = array_module(x).log1p(x)
    if x.dtype == numpy.float64:     # (torch's float64 log1p of -2 is +NaN, of -NaN too; float32's -NaN)
        result = positive_domain_nans(result)
    if (type(x) is not numpy.ndarray or x.dtype not in (numpy.float32, numpy.float64)
            or cpu.get_cpu_capability() == "DEFAULT"):
        return result     # (CuPy: torch's GPU kernel is not SLEEF's; half precision runs in float32)
    halved = x * x.dtype.type(0.5)
    subnormal_half = (numpy.abs(halved) < numpy.finfo(x.dtype).tiny) & (x != 0)
    if subnormal_half.any():    # SLEEF adds log(2) * 0 = +0: -5e-324 gives +0.0 (but -0.0 gives -0.0)
        result = numpy.where(subnormal_half, halved * x.dtype.type(2) + 0, result)
    return result


class Log1p(Function):
    """``log(1 + x)``, accurate near 0."""

    differentiable_backward = True

    def name(self):
        return "Log1PBackward0"

    def forward(self, x):
        self.save_for_backward(x)
        return _log1p(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / (1 + x)


class Log2(Function):
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return _with_torch_log_nans(array_module(x).log2(x), x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        # torch's grad / (x * ln 2): a half tensor times a number is computed in float32, rounded once
        return grad_output / astype(half_in_float32(x) * math.log(2.0), x.dtype)


class Sqrt(Function):
    differentiable_backward = True

    def forward(self, x):
        result = _with_torch_nans(array_module(x).sqrt(x), x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output / (2 * result)


def _rsqrt(x):
    """``1 / sqrt(x)`` as torch's rsqrt kernel: half precision in float32, rounded once."""
    return astype(1 / array_module(x).sqrt(half_in_float32(x)), x.dtype)


class Rsqrt(Function):
    """``1 / sqrt(x)``; d/dx = -x^(-3/2) / 2 = -result^3 / 2."""

    differentiable_backward = True

    def forward(self, x):
        result = _rsqrt(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        # torch's -0.5 * grad * result.pow(3): each op rounds half precision once, and pow(3) is
        # torch's product base * base * base (NumPy's power would round the cube once: an ulp apart
        # in 22% of float32 and float64 gradients, and 10x slower); a Tensor (create_graph) keeps pow
        y = half_in_float32(result)
        cube = astype(y ** 3 if isinstance(y, Tensor) else y * y * y, result.dtype)
        return astype(half_in_float32(grad_output) * -0.5, result.dtype) * cube


class Square(Function):
    differentiable_backward = True

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

    differentiable_backward = True

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
_TANH_ROUNDS_TO_ONE = numpy.float32(9.010914)   # the least float32 whose tanh rounds to 1


class Tanh(Function):
    differentiable_backward = True

    def forward(self, x):
        if type(x) is numpy.ndarray and x.dtype == numpy.float32:
            # torch's float32 tanh (Sleef's) is the rounded tanh in 99.9% of values, NumPy's in 68%,
            # an ulp that logit's gradient 1 / (y (1 - y)) near y = 1 makes a hundred (fuzz seed
            # 50006350): computed in float64 and rounded once, as torch's but for its 0.1%; 5x
            # NumPy's time on 100,000 values (200 against 36 us), less than with the check below
            # on 16 (1.0 us)
            result = numpy.tanh(x, dtype=numpy.float64).astype(numpy.float32)
        else:
            xp = array_module(x)
            result = xp.tanh(x)
            # CuPy's float32 tanh gives 1 - 2^-24 up to 10, where the rounded tanh is 1 (torch's):
            # there the backward's 1 - y^2 is 0 or 1.2e-7, a gradient NaN or inf times (fuzz seed
            # 1976180).  One reduction decides (fmax skips NaNs), as _expm1's; the mask only where
            # one saturates
            if xp is not numpy and result.dtype == xp.float32 and x.size and \
                    _extreme(xp.abs(x), largest=True) >= _TANH_ROUNDS_TO_ONE:
                result = xp.where(xp.abs(x) >= _TANH_ROUNDS_TO_ONE, xp.copysign(xp.float32(1), x), result)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        # torch's tanh_backward kernel: half precision in float32, rounded once (float32 and float64
        # as they are, without the casts' calls: this is a hot path of small recurrent models)
        (result,) = self.saved_tensors
        half = result.dtype.itemsize == 2
        y, grad = (half_in_float32(result), half_in_float32(grad_output)) if half else (result, grad_output)
        grad_input = grad * (1 - y * y)
        return astype(grad_input, result.dtype) if half else grad_input


def sigmoid_array(x):
    """torch's sigmoid of an array (or, in a differentiable backward, a Tensor):
    ``1 / (1 + exp(-x))``, half precision computed in float32."""
    xp = array_module(x)
    wide = half_in_float32(x)
    with numpy.errstate(over="ignore"):
        return astype(1 / (1 + xp.exp(-wide)), x.dtype)


class Sigmoid(Function):
    """``1 / (1 + exp(-x))``, as torch computes it: where ``exp(-x)`` overflows (x below
    -88.7 in float32, -709.8 in float64) the sigmoid is exactly 0, not a subnormal number.
    Half-precision inputs are computed in float32 and rounded, as torch does.
    """

    differentiable_backward = True

    def forward(self, x):
        result = sigmoid_array(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        # torch's sigmoid_backward kernel, in its order (half precision rounded at each step, as there)
        (result,) = self.saved_tensors
        return grad_output * (1 - result) * result


# NumPy's float32 maximum and minimum of a number and an array run a scalar loop (126 us on
# 262,144 values here), of two arrays their vector loop (41-59 us); against a row-major array
# holding the number the results are the same, every one of the 2^32 float32 values checked
# against 0, -0.0, 0.5, 6, -1, -100, 1e-45, the infinities and NaN.  Chunks of 64K elements; a
# chunk of zeros kept (relu's, 2 us a call less than filling one).
_CHUNK = 1 << 16
_ZEROS = numpy.zeros(_CHUNK, numpy.float32)
_ZEROS.flags.writeable = False
_AGAINST_AN_ARRAY_FROM = 8192      # fewer elements: the chunks' calls cost about what the vector loop saves


def against_a_number(ufunc, number, x):
    """``ufunc(number, x)``, ``ufunc`` an array module's maximum or minimum and ``number`` a Python
    int or float, in this order (``x`` wins a tie of -0.0 and 0.0); a large row-major float32 NumPy
    ``x`` is taken against an array of the number, a chunk at a time."""
    if (type(x) is not numpy.ndarray or x.dtype != numpy.float32 or x.size < _AGAINST_AN_ARRAY_FROM
            or not x.flags.c_contiguous or type(number) not in (int, float)):
        return ufunc(number, x)
    if number == 0 and str(number)[0] != "-":
        numbers = _ZEROS
    else:
        numbers = numpy.full(min(x.size, _CHUNK), number, numpy.float32)   # (NumPy's cast of the number)
    result = numpy.empty_like(x)
    values, out = x.reshape(-1), result.reshape(-1)
    for start in range(0, x.size, _CHUNK):
        part = values[start:start + _CHUNK]
        ufunc(numbers[:part.size], part, out=out[start:start + part.size])
    return result


def maximum_of_zero_and(x):
    """``maximum(0, x)``, in this order: NaN and -0.0 stay (the second operand wins a tie), as in
    torch's relu, and as fast as ``maximum(x, 0)``, where a where() would be 3x slower.  NumPy's
    float16 loop lets the first operand win a tie: there x goes first."""
    xp = array_module(x)
    return against_a_number(xp.maximum, 0, x) if _ties_keep_the_second(xp, x.dtype) else xp.maximum(x, 0)


@functools.cache
def _ties_keep_the_second(xp, dtype):
    """Does ``xp.maximum(a, b)`` return ``b`` where ``a == b`` (-0.0 and 0.0)?  NumPy's SIMD loops
    (float32, float64) do, its scalar float16 loop returns ``a``."""
    if dtype.kind != "f":
        return True
    zeros, negative_zeros = xp.asarray([0.0] * 40, dtype=dtype), xp.asarray([-0.0] * 40, dtype=dtype)
    return bool(xp.signbit(xp.maximum(zeros, negative_zeros)).all())


class Relu(Function):
    differentiable_backward = True

    def forward(self, x):
        result = maximum_of_zero_and(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        # torch's threshold_backward: the gradient is cut where the output is <= 0 (relu'(0) = 0),
        # so it passes at NaN
        (result,) = self.saved_tensors
        return zero_where(result <= 0, grad_output)


def tanh(input):
    return Tanh.apply(_floating(input, "tanh"))


def sigmoid(input):
    return Sigmoid.apply(_floating(input, "sigmoid"))


def relu(input):
    _check_relu_input(_tensor(input, "relu"))
    return Relu.apply(input)


def _check_relu_input(input):
    if input.array.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")

# ---- abs, sign, rounding -----------------------------------------------------------------------
class Abs(Function):
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).abs(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        xp = array_module(x)
        # torch's sgn: sign(0) = 0 and sign(NaN) = 0, so abs'(0) = abs'(NaN) = 0
        return grad_output * astype(branchless_where(xp, xp.isnan(x), 0, xp.sign(x)), x.dtype)


class PiecewiseConstant(Function):
    """Base of ``sign floor ceil round trunc``: piecewise constant, so the gradient is 0 (as torch)."""

    differentiable_backward = True

    def backward(self, grad_output):
        return array_module(grad_output).zeros_like(grad_output)


class Sign(PiecewiseConstant):
    differentiable_backward = True

    def forward(self, x):
        xp = array_module(x)
        return branchless_where(xp, xp.isnan(x), 0, xp.sign(x))    # torch: sign(nan) = 0


class Floor(PiecewiseConstant):
    differentiable_backward = True

    def forward(self, x):
        return array_module(x).floor(x)


class Ceil(PiecewiseConstant):
    differentiable_backward = True

    def forward(self, x):
        return array_module(x).ceil(x)


class Trunc(PiecewiseConstant):
    differentiable_backward = True

    def forward(self, x):
        return array_module(x).trunc(x)


class Round(PiecewiseConstant):
    """Half to even, as torch and NumPy; ``decimals`` rounds to that many places (RoundBackward1)."""

    differentiable_backward = True

    def name(self):
        return "RoundBackward1" if self.decimals else "RoundBackward0"

    def forward(self, x, decimals=0):
        self.decimals = decimals
        xp = array_module(x)
        return xp.round(x, decimals) if decimals else xp.rint(x)


def abs(input):
    if _tensor(input, "abs").array.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return Abs.apply(input)


def _not_implemented(kernel, input):
    """torch's error for a dtype its ``kernel`` has no version for."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.scalar_type_name(input.dtype)}'")


def _piecewise(op, input, name):
    kind = _tensor(input, name).array.dtype.kind
    if kind == "b":
        raise _not_implemented(f"{name}_vml_cpu", input)
    if kind in "iu":
        return input.clone()        # integers are their own floor, ceil, round and trunc
    return op.apply(input)


def sign(input):
    if _tensor(input, "sign").array.dtype.kind == "b":
        return input.clone()
    return Sign.apply(input)


def floor(input):
    return _piecewise(Floor, input, "floor")


def ceil(input):
    return _piecewise(Ceil, input, "ceil")


def round(input, *, decimals=0):
    """Round half to even (as torch and NumPy); ``decimals`` rounds to that many decimal places."""
    if decimals == 0:
        return _piecewise(Round, input, "round")
    if _tensor(input, "round").array.dtype.kind != "f":
        raise _not_implemented("round_cpu", input)
    return Round.apply(input, decimals=decimals)


def trunc(input):
    """Round towards zero; zero gradient (piecewise constant)."""
    return _piecewise(Trunc, input, "trunc")


fix = trunc

# ---- trigonometric functions and erf -----------------------------------------------------------------
class Sin(Function):
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).sin(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * array_module(x).cos(x)


class Cos(Function):
    differentiable_backward = True

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


class Erf(Function):
    """The error function; d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2)."""

    elementwise = True      # (its float32/float64 copies lose an expanded input's layout)
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return special.erf(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        # torch's order, 2 / sqrt(pi) * exp(-x^2) * grad: each op rounds half precision once, a
        # number times a half tensor too
        density = astype(half_in_float32(array_module(x).exp(-(x * x))) * (2 / math.sqrt(math.pi)), x.dtype)
        return density * grad_output


def erf(input):
    return Erf.apply(_floating(input, "erf"))


# ---- more trigonometric and hyperbolic functions ----------------------------------------------
class Tan(Function):
    """d/dx tan(x) = 1 + tan(x)^2."""

    differentiable_backward = True

    def forward(self, x):
        result = array_module(x).tan(x)
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        return grad_output * (1 + result * result)


class Atan(Function):
    """d/dx atan(x) = 1 / (1 + x^2)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).arctan(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / (1 + x * x)


class Asin(Function):
    """d/dx asin(x) = 1 / sqrt(1 - x^2)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).arcsin(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * _rsqrt(1 - x * x)    # torch's order: times rsqrt


class Acos(Function):
    """d/dx acos(x) = -1 / sqrt(1 - x^2)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).arccos(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return -grad_output * _rsqrt(1 - x * x)


def _hyperbolic(x, odd):
    """``sinh(x)`` (``odd``) or ``cosh(x)`` as torch's CPU kernel: its vector loop computes them
    through ``exp(|x|)``, which overflows short of the result (float32 from 88.72284, where sinh
    overflows at 89.41599; float64 from 709.78; bfloat16 in float32), so there the result is inf
    (with x's sign for sinh), while its scalar tail (``vector_loop.scalar_tail``: the last
    ``row % (2 * lanes)`` values of a row, or a row whose values are not adjacent) is std::sinh's
    finite value (fuzz seed 854523: sinh(-89.03) of a float32 tensor of 48 values, -2.3e38 for
    torch's -inf)."""
    xp = array_module(x)
    result = xp.sinh(x) if odd else xp.cosh(x)
    if type(x) is not numpy.ndarray or x.dtype.kind != "f" or x.dtype == numpy.float16:
        return result       # (CuPy, a Tensor of a recorded backward; float16 overflows first)
    wide = numpy.float64 if x.dtype == numpy.float64 else numpy.float32
    with numpy.errstate(over="ignore", invalid="ignore"):
        limit = numpy.log(numpy.finfo(wide).max)
        overflow = numpy.abs(x) >= wide(limit) * wide(0.999)
        if not overflow.any():
            return result
        overflow &= numpy.isinf(numpy.exp(numpy.abs(x.astype(wide)))) & numpy.isfinite(result)
    tail = scalar_tail(x)
    vector = overflow if tail is None else overflow & ~tail
    if not vector.any():
        return result
    return numpy.where(vector, numpy.copysign(numpy.inf, x) if odd else numpy.inf, result).astype(x.dtype)


class Sinh(Function):
    """d/dx sinh(x) = cosh(x) (torch's kernels: ``_hyperbolic``)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return _hyperbolic(x, odd=True)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * _hyperbolic(x, odd=False)


class Cosh(Function):
    """d/dx cosh(x) = sinh(x) (torch's kernels: ``_hyperbolic``)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return _hyperbolic(x, odd=False)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * _hyperbolic(x, odd=True)


class InverseHyperbolicInPlace(Function):
    """``asinh_``, ``acosh_``, ``atanh_`` of a tensor that requires grad: torch records the write with
    a node of its own (``AsinhBackward1``...) whose derivative derivatives.yaml leaves
    ``not_implemented("inplace version of asinh")``, so backward through it raises torch's
    NotImplementedError (the forward's values are the out-of-place function's)."""

    differentiable_backward = True

    def name(self):
        return f"{self.function.capitalize()}Backward1"

    def forward(self, x, function):
        self.function = function
        return getattr(array_module(x), "arc" + function[1:])(x)     # asinh: arcsinh

    def backward(self, grad_output):
        raise NotImplementedError(f"the derivative for 'inplace version of {self.function}' is not implemented.")


class Asinh(Function):
    """d/dx asinh(x) = 1 / sqrt(x^2 + 1), in torch's order: grad * (x^2 + 1).rsqrt()."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).arcsinh(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * _rsqrt(x * x + 1)


class Acosh(Function):
    """d/dx acosh(x) = 1 / sqrt(x^2 - 1), in torch's order: grad * (x^2 - 1).rsqrt()."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).arccosh(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * _rsqrt(x * x - 1)


class Atanh(Function):
    """d/dx atanh(x) = 1 / (1 - x^2), in torch's order: grad * 1 / (1 - x^2)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return array_module(x).arctanh(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / (1 - x * x)


def tan(input):
    return Tan.apply(_floating(input, "tan"))


def atan(input):
    return Atan.apply(_floating(input, "atan"))


def asin(input):
    return Asin.apply(_floating(input, "asin"))


def acos(input):
    return Acos.apply(_floating(input, "acos"))


def asinh(input):
    return Asinh.apply(_floating(input, "asinh"))


def acosh(input):
    return Acosh.apply(_floating(input, "acosh"))


def atanh(input):
    return Atanh.apply(_floating(input, "atanh"))


def arcsinh(input):
    return Asinh.apply(_floating(input, "arcsinh"))


def arccosh(input):
    return Acosh.apply(_floating(input, "arccosh"))


def arctanh(input):
    return Atanh.apply(_floating(input, "arctanh"))


def sinh(input):
    return Sinh.apply(_floating(input, "sinh"))


def cosh(input):
    return Cosh.apply(_floating(input, "cosh"))


arctan, arcsin, arccos = atan, asin, acos


class Frac(Function):
    """``x - trunc(x)`` (sign of ``x`` kept); the gradient passes unchanged (as torch)."""

    differentiable_backward = True

    def forward(self, x):
        return x - array_module(x).trunc(x)

    def backward(self, grad_output):
        return grad_output


def frac(input):
    if _tensor(input, "frac").array.dtype.kind != "f":
        raise _not_implemented("frac_cpu", input)
    return Frac.apply(input)



class NanToNum(Function):
    """Replace NaN and +-inf by numbers; the gradient passes only where ``x`` was finite: torch's
    ``grad * isfinite(x)``, so an inf or NaN gradient at a non-finite ``x`` is NaN, not 0."""

    elementwise = True
    differentiable_backward = True

    def forward(self, x, nan, posinf, neginf):
        xp = array_module(x)
        self.save_for_backward(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output * array_module(x).isfinite(x)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest), -inf -> ``neginf``."""
    if _tensor(input, "nan_to_num").array.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)

# ---- log10, exp2, logit, erfc, erfinv, sgn, signbit, deg2rad, rad2deg, sinc ------------------------
_LN_10 = 2.3025850929940456      # torch's constants in derivatives.yaml: log10's ln(10), exp2's M_LN2
_LN_2 = 0.6931471805599453
_PI_OVER_180 = 0.017453292519943295      # torch's M_PI_180 and M_180_PI
_180_OVER_PI = 57.295779513082320876798154814105170332405472466564321549160243861


def _rounded_once(function, x, **silenced):
    """``function`` (a NumPy ufunc) of ``x``; a float32 NumPy array through float64, rounded once:
    closer to torch's float32 kernels than NumPy's own float32 loops (log10: torch's is correctly
    rounded, NumPy's an ulp off in nearly half the results; exp2, log and sin: fewer ulps off)."""
    if type(x) in _FLOAT32_ARRAYS and x.dtype == numpy.float32:
        return _float32_rounded_once(function, x, silenced or None)
    with numpy.errstate(**silenced):
        return getattr(array_module(x), function.__name__)(x)


class Log10(Function):
    """d/dx log10(x) = 1 / (x ln 10): torch's ``grad / (self * 2.3025850929940456)``."""

    elementwise = True      # (its float32 copies in float64 lose an expanded input's layout)
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return _with_torch_log_nans(_rounded_once(numpy.log10, x, divide="ignore", invalid="ignore"), x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return grad_output / astype(half_in_float32(x) * _LN_10, x.dtype)


class Exp2(Function):
    """``2 ** x``; torch's derivative ``grad * result * M_LN2``, in that order, the product with
    ``M_LN2`` in float32 for half precision (NumPy's float16 loop rounds ln 2 to float16 first)."""

    elementwise = True      # (its float32 copies in float64 lose an expanded input's layout)
    differentiable_backward = True

    def forward(self, x):
        result = _rounded_once(numpy.exp2, x, over="ignore")
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (result,) = self.saved_tensors
        product = grad_output * result
        return astype(half_in_float32(product) * _LN_2, product.dtype)


class Logit(Function):
    """``log(x / (1 - x))``, ``x`` first clamped to ``[eps, 1 - eps]`` when ``eps`` is given (a NaN stays
    NaN).  The gradient ``grad / (x (1 - x))`` inside ``[eps, 1 - eps]`` (``[0, 1]`` without ``eps``),
    0 outside (NaN without ``eps``): torch's ``infinitely_differentiable_logit_backward`` and the
    vector lanes of its ``logit_backward`` kernel.  That kernel's scalar tail (``scalar_tail``)
    tests the range the other way round, so a NaN ``x`` gets NaN there with ``eps`` too, and gives
    ``grad * inf`` at 0 and 1 (at -0.0: +inf for a positive gradient, where the lanes give -inf)."""

    differentiable_backward = True

    def forward(self, x, eps=None):
        self.save_for_backward(x)
        self.eps = eps
        xp = array_module(x)
        if eps is not None:
            low, high = x.dtype.type(eps), x.dtype.type(1 - eps)
            x = xp.where(x < low, low, xp.where(x > high, high, x))
        with numpy.errstate(divide="ignore", invalid="ignore"):
            # (half precision: the ratio in its own dtype, its log in float32, as torch's kernel)
            ratio = half_in_float32(x / (1 - x))
            return astype(_with_torch_nans(_rounded_once(numpy.log, ratio, divide="ignore", invalid="ignore"),
                                           ratio), x.dtype)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        xp = array_module(x)
        low, high = (0.0, 1.0) if self.eps is None else (self.eps, 1.0 - self.eps)
        outside = 0 if self.eps is not None else xp.nan
        with numpy.errstate(divide="ignore", invalid="ignore"):
            lanes = branchless_where(xp, (x >= low) & (x <= high), grad_output / (x * (1.0 - x)), outside)
            tail = None
            if type(x) is numpy.ndarray and type(grad_output) is numpy.ndarray and x.size:
                # TensorIterator's loop over (output, grad, x): the output laid out as torch's
                out = layout.elementwise_strides(x.shape, [grad_output, x]) or layout.row_major(x.shape)
                tail = scalar_tail(x, operand_strides=[out, layout.element_strides(grad_output),
                                                       layout.element_strides(x)])
            if tail is None:
                return lanes
            scalar = branchless_where(xp, (x == 0) | (x == 1), grad_output * xp.inf, grad_output / (x * (1.0 - x)))
            scalar = branchless_where(xp, (x < low) | (x > high), outside, scalar)
        return branchless_where(xp, tail, scalar, lanes).astype(x.dtype, copy=False)


class Erfc(Function):
    """``1 - erf(x)`` without the cancellation; d/dx = -2 / sqrt(pi) * exp(-x^2)."""

    elementwise = True
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return special.erfc(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        # torch's order: -2 / sqrt(pi) * exp(-x^2) * grad
        density = astype(half_in_float32(array_module(x).exp(-(x * x))) * (-2 / math.sqrt(math.pi)), x.dtype)
        return density * grad_output


class Erfinv(Function):
    """The inverse of erf on [-1, 1]; torch's derivative ``0.5 * sqrt(pi) * exp(erfinv(x)^2) * grad``
    takes erfinv of the saved input again (a Tensor's in a recorded backward)."""

    elementwise = True
    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return special.erfinv(x)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        inverse = special.erfinv(x)
        with numpy.errstate(over="ignore"):
            scale = astype(half_in_float32(array_module(x).exp(inverse * inverse)) * (0.5 * math.sqrt(math.pi)),
                           x.dtype)
        return scale * grad_output


class Sgn(PiecewiseConstant):
    """torch's ``sgn``: ``sign`` for real tensors (0 at NaN), zero gradient (torch's ``sgn_backward``
    of a real tensor is zeros)."""

    differentiable_backward = True

    def forward(self, x):
        xp = array_module(x)
        result = branchless_where(xp, xp.isnan(x), 0, xp.sign(x)).astype(x.dtype, copy=False)
        self.save_for_backward(x, result)   # (torch's sgn_backward reads both: a write to either is refused)
        return result


class ScaledAngle(Function):
    """``deg2rad`` (``x * pi / 180``) and ``rad2deg`` (``x * 180 / pi``): torch multiplies by its
    constant (``M_PI_180``, ``M_180_PI``) in the tensor's dtype (half precision in float32), and
    the gradient by the same constant."""

    differentiable_backward = True

    def name(self):
        return "Deg2RadBackward0" if self.to_radians else "Rad2DegBackward0"

    def forward(self, x, to_radians):
        self.to_radians = to_radians
        self.factor = _PI_OVER_180 if to_radians else _180_OVER_PI
        return astype(half_in_float32(x) * self.factor, x.dtype)

    def backward(self, grad_output):
        return astype(half_in_float32(grad_output) * self.factor, grad_output.dtype)


class Sinc(Function):
    """``sin(pi x) / (pi x)``, 1 at 0, as torch's kernel: ``pi`` in the tensor's dtype (float32's
    pi for a float32 tensor: sinc(1.0) is -2.78e-08, not 0), half precision in float32.  The
    gradient as torch's ``sinc_backward``: ``grad * ((x pi cos(x pi) - sin(x pi)) / (x^2 pi))``,
    0 where ``x^2 pi`` is 0; in half precision each step rounds, its product with pi taken
    in float32 (fuzz seed 50318561: float16 -108.125 pi is -339.75 there, -339.5 in NumPy's float16)."""

    differentiable_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        xp = array_module(x)
        wide = half_in_float32(x)
        product = wide * wide.dtype.type(math.pi)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            result = xp.where(wide == 0, wide.dtype.type(1), _rounded_once(numpy.sin, product) / product)
        return astype(result, x.dtype)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        xp = array_module(x)
        x_pi = astype(half_in_float32(x) * math.pi, x.dtype)
        x_squared_pi = astype(half_in_float32(x * x) * math.pi, x.dtype)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            out = grad_output * ((x_pi * xp.cos(x_pi) - xp.sin(x_pi)) / x_squared_pi)
        return branchless_where(xp, x_squared_pi == 0, 0, out)


def log10(input):
    return Log10.apply(_floating(input, "log10"))


def exp2(input):
    return Exp2.apply(_floating(input, "exp2"))


def logit(input, eps=None):
    """``log(p / (1 - p))``; ``eps`` clamps ``p`` to ``[eps, 1 - eps]`` first (a negative ``eps``
    clamps nothing, as torch)."""
    if eps is not None and eps < 0:
        eps = None
    return Logit.apply(_floating(input, "logit"), eps=None if eps is None else float(eps))


def erfc(input):
    return Erfc.apply(_floating(input, "erfc"))


def erfinv(input):
    return Erfinv.apply(_floating(input, "erfinv"))


def sgn(input):
    """The sign of each element (torch's complex-aware sign; the same as ``sign`` for real tensors)."""
    if _tensor(input, "sgn").array.dtype.kind == "b":
        return input.clone()
    return Sgn.apply(input)


def signbit(input):
    """True where the sign bit is set (-0.0 and -NaN included); a bool tensor, no gradient."""
    array = _tensor(input, "signbit").array
    xp = array_module(array)
    if array.dtype.kind == "b":
        return Tensor._wrap(xp.zeros(array.shape, dtype=bool))
    return Tensor._wrap(xp.asarray(xp.signbit(array)))


def deg2rad(input):
    return ScaledAngle.apply(_floating(input, "deg2rad"), to_radians=True)


def rad2deg(input):
    return ScaledAngle.apply(_floating(input, "rad2deg"), to_radians=False)


def sinc(input):
    return Sinc.apply(_floating(input, "sinc"))


# ---- in-place forms ----------------------------------------------------------------------------
def exp_(input):
    return in_place(exp, input)


def tanh_(input):
    return in_place(tanh, input)


def sigmoid_(input):
    return in_place(sigmoid, input)


def relu_(input):
    check_in_place(input, op_check=lambda: _check_relu_input(input))
    return assign(input, relu(input))


def sqrt_(input):
    return in_place(sqrt, input)


def abs_(input):
    return in_place(abs, input)


def log_(input):
    return in_place(log, input)


def trunc_(input):
    return in_place(trunc, input)


def frac_(input):
    return in_place(frac, input)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return in_place(nan_to_num, input, nan, posinf, neginf)


def floor_(input):
    return in_place(floor, input)


def ceil_(input):
    return in_place(ceil, input)


def round_(input, decimals=0):
    return in_place(round, input, decimals=decimals)


def sign_(input):
    return in_place(sign, input)


def reciprocal_(input):
    return in_place(reciprocal, input)


def _without_derivative_in_place(input, function):
    """``function`` of ``input`` (asinh, acosh or atanh) for its in-place form: out of place where
    nothing needs a gradient, else through torch's node without a derivative."""
    input = _floating(input, function.__name__ + "_")
    if input._requires_grad:
        return InverseHyperbolicInPlace.apply(input, function=function.__name__)
    return function(input)


def asinh_(input):
    return in_place(_without_derivative_in_place, input, asinh)


def acosh_(input):
    return in_place(_without_derivative_in_place, input, acosh)


def atanh_(input):
    return in_place(_without_derivative_in_place, input, atanh)


def asin_(input):
    return in_place(asin, input)


def acos_(input):
    return in_place(acos, input)


def atan_(input):
    return in_place(atan, input)


def sinh_(input):
    return in_place(sinh, input)


def cosh_(input):
    return in_place(cosh, input)


def tan_(input):
    return in_place(tan, input)


def erf_(input):
    return in_place(erf, input)


def expm1_(input):
    return in_place(expm1, input)


def log1p_(input):
    return in_place(log1p, input)


def log2_(input):
    return in_place(log2, input)


def rsqrt_(input):
    return in_place(rsqrt, input)


def square_(input):
    return in_place(square, input)


def sin_(input):
    return in_place(sin, input)


def cos_(input):
    return in_place(cos, input)


def log10_(input):
    return in_place(log10, input)


def exp2_(input):
    return in_place(exp2, input)


def logit_(input, eps=None):
    return in_place(logit, input, eps)


def erfc_(input):
    return in_place(erfc, input)


def erfinv_(input):
    return in_place(erfinv, input)


def sgn_(input):
    return in_place(sgn, input)


def deg2rad_(input):
    return in_place(deg2rad, input)


def rad2deg_(input):
    return in_place(rad2deg, input)


def sinc_(input):
    return in_place(sinc, input)


absolute = abs
arcsinh_, arccosh_, arctanh_, arcsin_, arccos_, arctan_ = asinh_, acosh_, atanh_, asin_, acos_, atan_

__all__ = ["exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "square", "reciprocal", "tanh",
           "sigmoid", "relu", "abs", "absolute", "sign", "floor", "ceil", "round", "sin", "cos",
           "erf", "exp_", "tanh_", "sigmoid_", "relu_", "tan", "atan", "asin", "acos", "sinh",
           "cosh", "arctan", "arcsin", "arccos", "trunc", "fix", "frac", "nan_to_num", "sqrt_",
           "abs_", "log_", "trunc_", "frac_", "nan_to_num_", "floor_", "ceil_", "round_", "sign_",
           "reciprocal_", "sin_", "cos_", "log10", "exp2", "logit", "erfc", "erfinv", "sgn", "signbit",
           "deg2rad", "rad2deg", "sinc", "log10_", "exp2_", "logit_", "erfc_", "deg2rad_", "rad2deg_", "sinc_",
           "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "asinh_", "acosh_", "atanh_", "arcsinh_",
           "arccosh_", "arctanh_", "asin_", "acos_", "atan_", "arcsin_", "arccos_", "arctan_", "sinh_", "cosh_",
           "tan_", "erf_", "expm1_", "log1p_", "log2_", "rsqrt_", "square_"]
