"""Activation functions of ``nn.functional``: each a formula and its derivative.

``relu``, ``sigmoid``, ``tanh``, ``softmax`` and ``log_softmax`` are the core
ops (``minigrad.ops``); the others are written here as ``Pointwise`` nodes:
a ``function(x)`` and a ``derivative(x)``, both on raw arrays, so every
backward is one line a reader can check against the formula.
"""
from __future__ import annotations

import math
import warnings

import numpy

from ...backends import cpu
from ...core.dtypes import scalar_type_name
from ...core.function import Function
from ...core.device import array_module, branchless_where, zero_where
from ...core.layout import element_strides, row_major
from ...ops import softmax as softmax_ops, special, unary
from ...ops.conversion import scalar_as
from ...ops.inplace import assign, check_in_place
from ...ops.tensor_namespace import astype, half_in_float32
from ...ops import sleef
from ...ops.vector_loop import scalar_tail

__all__ = ["relu", "relu_", "relu6", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "elu",
           "elu_", "selu", "celu", "gelu", "silu", "mish", "softplus", "sigmoid", "tanh",
           "logsigmoid", "hardsigmoid", "hardswish", "softsign", "tanhshrink", "threshold",
           "softmax", "log_softmax", "softmin", "prelu"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_COEFF = 0.044715
_ONE_SIXTH_AS_FLOAT32 = float(numpy.float32(1.0) / numpy.float32(6.0))


def _stable_sigmoid(xp, x):
    """``1 / (1 + exp(-x))`` with ``exp`` only of non-positive numbers (no overflow)."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


def _exp(xp, x):
    """``exp(x)``, overflowing to inf without NumPy's warning (torch's formulas take 1 / (1 + inf) = 0)."""
    with numpy.errstate(over="ignore"):
        return xp.exp(x)


def _softplus(xp, x):
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(-|x|))``: no overflow for large x."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class Pointwise(Function):
    """An elementwise activation: subclasses give ``function`` and ``derivative`` of ``x``."""

    differentiable_backward = True     # ``derivative`` uses operators and xp functions only

    def forward(self, x, **params):
        self.params = params
        self.save_for_backward(x)
        return self.function(array_module(x), x, **params).astype(x.dtype, copy=False)

    reads_gradient_layout = False       # does ``derivative`` take the gradient (``grad=``) for its layout?

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        xp = array_module(x)
        if self.reads_gradient_layout:
            derivative = self.derivative(xp, x, grad=grad_output, **self.params)
        else:
            derivative = self.derivative(xp, x, **self.params)
        if derivative.dtype == bool:     # a mask (torch's where(mask, grad, 0)): a NaN gradient stays out
            return astype(zero_where(~derivative, grad_output), x.dtype)
        grad = grad_output * derivative
        if hasattr(self, "cut_off"):     # where torch's backward gives exactly 0, whatever the gradient
            grad = zero_where(self.cut_off(x), grad)
        return astype(grad, x.dtype)


def _as_opmath(number, dtype):
    """A kernel's Scalar as torch's backward kernels read it: a double for float64, else a float
    (their opmath type), as a Python float holding that float's value."""
    return number if dtype == numpy.float64 else float(numpy.float32(number))


def _scalar_loop(array, grad=None, width=None):
    """Where (a boolean mask of ``array``'s shape, or None for nowhere) torch's backward kernel, a
    ``cpu_kernel_vec`` (two vectors a step), takes its scalar loop over ``array``:
    ``vector_loop.scalar_tail`` of a loop whose other operand is the gradient ``grad`` (None:
    row-major), whose layout decides too: one whose elements are not adjacent (a transpose's, fuzz
    seed 1246259) leaves the loop no vectors, so its scalar loop runs throughout.  ``width``: 32 for
    a kernel registered with ``REGISTER_DISPATCH``, whose AVX-512 entry is empty (DispatchStub.h), so
    an AVX-512 CPU runs its AVX2 kernel; None for one registered with ``ALSO_REGISTER_AVX512_DISPATCH``."""
    grad = getattr(grad, "array", grad)
    grad_strides = row_major(array.shape) if grad is None else element_strides(grad)
    return scalar_tail(array, 2, [grad_strides, element_strides(array)], width=width)


def _nan_in_vector_loop(xp, x_array, derivative, grad=None):
    """``derivative`` with NaN where ``x_array`` is NaN in the part torch's backward kernel runs two
    vectors a step (``cpu_kernel_vec``), whose blend sends NaN down a branch that gives NaN; its scalar
    loop over the rest tests the other way round and keeps the derivative there (``grad``: see
    ``_scalar_loop``)."""
    if x_array.dtype.kind != "f":
        return derivative
    nan = array_module(x_array).isnan(x_array)
    if not nan.any():
        return derivative
    scalar_loop = _scalar_loop(x_array, grad=grad)
    nan_in_vector_loop = nan if scalar_loop is None else nan & ~scalar_loop
    return xp.where(nan_in_vector_loop, float("nan"), derivative)


class Hardtanh(Pointwise):
    """``clip(x, low, high)``.  torch's hardtanh_backward cuts the gradient with the vector test
    ``low < x < high``, which drops NaN, but its scalar tail tests ``x <= low || x >= high``,
    which passes it: a NaN input gets its gradient only in a row's scalar tail, its last
    ``row % (64 / itemsize)`` elements (two 32-byte vectors a step, with AVX-512 too: the kernel is
    registered with ``REGISTER_DISPATCH``, an AVX2 build only)."""

    @staticmethod
    def function(xp, x, low, high):
        return xp.clip(x, low, high)

    reads_gradient_layout = True

    @staticmethod
    def derivative(xp, x, low, high, grad=None):
        inside = (x > low) & (x < high)
        x_array, inside_array = (x.array, inside.array) if hasattr(x, "array") else (x, inside)
        if x_array.dtype.kind != "f":
            return inside
        nan = array_module(x_array).isnan(x_array)
        scalar_loop = _scalar_loop(x_array, grad=grad, width=32) if nan.any() else None
        if scalar_loop is None:
            return inside
        return inside_array | (nan & scalar_loop)


class LeakyRelu(Pointwise):
    """``x`` where positive, else ``x * slope``: half precision in float32 with the slope a float, as
    torch's kernel (NumPy's float16 loop would round 0.01 to float16 first: -0.02800 for -2.799, torch's
    -0.02798)."""

    @staticmethod
    def function(xp, x, slope):
        slope = _as_opmath(slope, x.dtype)
        x = half_in_float32(x)
        return branchless_where(xp, x > 0, x, x * slope)

    @staticmethod
    def derivative(xp, x, slope):
        return xp.where(x > 0, 1.0, _as_opmath(slope, getattr(x, "array", x).dtype))


class Elu(Pointwise):
    """``scale * (x if x > 0 else alpha * (exp(x / input_scale) - 1))``: ELU, SELU and CELU (float16
    in float32)."""

    @staticmethod
    def function(xp, x, alpha, scale, input_scale):
        x = half_in_float32(x)
        # x itself where x <= 0: expm1 keeps a -0.0, as torch's does (minimum(-0.0, 0) may give +0.0)
        negative = alpha * xp.expm1(branchless_where(xp, x > 0, 0, x) * input_scale)
        return scale * branchless_where(xp, x > 0, x, negative)

    def backward_input_scale(self):
        return self.params["input_scale"]

    def backward(self, grad_output):
        """torch's elu_backward, left to right in its opmath type (float32 for float16):
        ``grad * input_scale * (alpha * scale) * exp(x * input_scale)`` where x <= 0, ``grad * scale``
        elsewhere (fuzz seed 990718: 1e308 * 1.76 overflows before exp(-12.8) could bring it back).
        Its scalar loop tests x <= 0, so NaN takes the positive branch (the gradient passes); its
        vector loop blends on x > 0, so NaN takes the negative one, NaN."""
        (x,) = self.saved_tensors
        xp = array_module(x)
        x_array = x.array if hasattr(x, "array") else x
        alpha, scale, input_scale = (_as_opmath(c, x_array.dtype) for c in
                                     (self.params["alpha"], self.params["scale"], self.backward_input_scale()))
        negative_coefficient = _as_opmath(alpha * scale, x_array.dtype)   # (float32's product: exact in double)
        x, grad = half_in_float32(x), half_in_float32(grad_output)
        exp = unary.exp_rounded_once(xp.minimum(x, 0) * input_scale)     # (as glibc's expf)
        negative = grad * input_scale * negative_coefficient * exp
        grad_x = branchless_where(xp, x <= 0, negative, grad * scale)
        return astype(_nan_in_vector_loop(xp, x_array, grad_x, grad=grad_output), x_array.dtype)


class Celu(Elu):
    """CELU is ELU with ``input_scale = 1 / alpha``; its own class for torch's node name."""

    def backward_input_scale(self):
        # derivatives.yaml: elu_backward(grad, alpha, 1, 1.0/alpha.toFloat(), ...): alpha in float32
        return 1.0 / float(numpy.float32(self.params["alpha"]))


class Gelu(Pointwise):
    """``x * Phi(x)`` (exact, with erf) or torch's tanh approximation."""

    @staticmethod
    def function(xp, x, approximate):
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + _GELU_TANH_COEFF * x ** 3)
            return 0.5 * x * (1 + xp.tanh(inner))
        if not _takes_onednn_gelu(x):     # torch's own kernel (float16 in float32)
            x = half_in_float32(x)
            return 0.5 * x * (1 + special.erf(x * (1 / math.sqrt(2.0))))
        # torch hands a contiguous float32 (or half, computed in float32) tensor of more than
        # one element to oneDNN's gelu_erf
        x = x.astype(xp.float32, copy=False)
        erf = special.erf(x * (1 / math.sqrt(2.0)))
        if cpu.get_cpu_capability() != "AVX512":
            # below AVX-512 (Abramowitz and Stegun's erf, not followed here) an fma ``s + s * erf``,
            # s = x / 2 (here in float64, rounded once more): no overflow, +inf stays inf, -inf
            # gives NaN, and far left x / 2 - x / 2 is +0.0 (torch's, seen on an AVX2 AMD EPYC)
            half = x * numpy.float32(0.5)
            return (half.astype(xp.float64) * erf + half).astype(xp.float32)
        # AVX-512 (a minimax erf) multiplies x by (1 + erf) before halving it: above half the
        # float32 maximum that overflows to inf, and +inf itself gives NaN
        result = x * (1 + erf) * 0.5
        if not xp.isfinite(result).all():
            result[x == xp.inf] = xp.nan
        return result

    @staticmethod
    def derivative(xp, x, approximate):
        if approximate == "tanh":
            tanh_inner = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEFF * x ** 3))
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_COEFF * x * x)
            return 0.5 * (1 + tanh_inner) + 0.5 * x * (1 - tanh_inner * tanh_inner) * d_inner
        x_array = x.array if hasattr(x, "array") else x
        x = half_in_float32(x)                # torch's float16 backward computes in float32
        if _takes_onednn_gelu(x_array):
            # oneDNN's gelu_erf backward: (r exp(-r^2) / sqrt(pi) + 0.5) + 0.5 erf(r), r = x / sqrt(2),
            # in float32: exactly 0 where the first sum rounds to 0.5 and erf to -1 (x below about -6),
            # so an infinite gradient gives NaN there, where x * pdf would keep it infinite
            r = x * numpy.float32(1 / math.sqrt(2.0))
            first = r * numpy.float32(1 / math.sqrt(math.pi)) * xp.exp(-(r * r)) + numpy.float32(0.5)
            return first + numpy.float32(0.5) * special.erf(r)
        cdf = 0.5 * (1 + special.erf(x * (1 / math.sqrt(2.0))))
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return cdf + x * pdf


def _takes_onednn_gelu(x):
    """torch's ``use_mkldnn`` for gelu: a contiguous float32 array of more than one element, or a
    float16 one where this CPU computes float16 in oneDNN (``backends.cpu``)."""
    return (x.size > 1 and x.flags.c_contiguous
            and (x.dtype.name == "float32" or (x.dtype.name == "float16" and cpu.onednn_computes_float16())))


class Silu(Pointwise):
    """``x * sigmoid(x)``, as torch's kernel computes it, ``x / (1 + exp(-x))`` (-0.0 from -745 down,
    where ``x * sigmoid(x)`` is subnormal); derivative ``s * (1 + x * (1 - s))``.  float16 in float32."""

    @staticmethod
    def function(xp, x):
        x = half_in_float32(x)
        return x / (1 + _exp(xp, -x))

    @staticmethod
    def derivative(xp, x):
        x = half_in_float32(x)
        s = unary.sigmoid_array(x)
        return s * (1 + x * (1 - s))


class Mish(Pointwise):
    """``x * tanh(softplus(x))``, in torch's terms, ``log1p(exp(x))`` and ``1 / (1 + exp(-x))`` (0 from
    -745 down, where exp(x) is subnormal); float16 in float32.  torch's kernels (``cpu_kernel_vec``)
    take SLEEF's log1p in their vectors, which gives 0 for a tiny exp(x) (``_log1p_in_loop``): -0.0
    for mish(-745.0) in float64, where the scalar tail's std::log1p gives -3.7e-321."""

    @staticmethod
    def function(xp, x):
        tail = scalar_tail(x) if type(x) is numpy.ndarray else None
        x = half_in_float32(x)
        return x * xp.tanh(_log1p_in_loop(xp, _exp(xp, x), tail))

    reads_gradient_layout = True

    @staticmethod
    def derivative(xp, x, grad=None):
        tail = _scalar_loop(x, grad=grad) if type(x) is numpy.ndarray else None
        x = half_in_float32(x)
        t = xp.tanh(_log1p_in_loop(xp, _exp(xp, x), tail))
        return t + x * unary.sigmoid_array(x) * (1 - t * t)


def _log1p_in_loop(xp, y, tail):
    """``log1p(y)`` as torch's ``cpu_kernel_vec`` computes it: SLEEF's (``unary._log1p``) in its
    vectors, std::log1p (NumPy's) in its scalar tail (``tail``, a mask; None: no tail)."""
    if type(y) is not numpy.ndarray or (tail is not None and tail.all()):
        return xp.log1p(y)
    vectors = unary._log1p(y)
    if tail is not None:
        vectors[tail] = numpy.log1p(y[tail])
    return vectors


def _exp_in_loop(x, tail):
    """``exp(x)`` as torch's ``cpu_kernel_vec`` computes it: SLEEF's (``sleef.exp``) in its vectors,
    the C library's (``unary.exp_rounded_once``) in its scalar tail (``tail``, a mask; None: no tail),
    and in the vectors of torch's DEFAULT build too."""
    if (type(x) is not numpy.ndarray or (tail is not None and tail.all())
            or cpu.get_cpu_capability() == "DEFAULT"):
        return unary.exp_rounded_once(x)
    vectors = sleef.exp(x)
    if tail is not None:
        vectors[tail] = unary.exp_rounded_once(x[tail])
    return vectors


class Softplus(Pointwise):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (as torch)."""

    @staticmethod
    def function(xp, x, beta, threshold):
        beta, threshold = _as_opmath(beta, x.dtype), _as_opmath(threshold, x.dtype)
        x = half_in_float32(x)          # (torch's kernel: half precision in float32, rounded once)
        scaled = x * beta
        return branchless_where(xp, scaled > threshold, x, _softplus(xp, scaled) / beta)

    def backward(self, grad_output):
        """torch's softplus_backward, left to right in its opmath type (float32 for half precision):
        ``grad * z / (z + 1)`` with ``z = exp(beta x)``, and ``grad`` itself where ``beta x > threshold``;
        so a huge gradient overflows where ``grad * sigmoid`` would not (fuzz seed 1514274: -6.6e37 *
        exp(1.957) is -inf in float32, torch's gradient, not -5.8e37).  Its vectors take SLEEF's exp,
        its scalar tail the C library's (``_exp_in_loop``): 1.3 * z / (z + 1) at 0.276 is an ulp apart."""
        (x,) = self.saved_tensors
        xp = array_module(x)
        x_array = x.array if hasattr(x, "array") else x
        beta, threshold = (_as_opmath(self.params[name], x_array.dtype) for name in ("beta", "threshold"))
        scaled, grad = half_in_float32(x) * beta, half_in_float32(grad_output)
        with numpy.errstate(over="ignore", invalid="ignore"):
            tail = _scalar_loop(x_array, grad=grad_output) if type(x_array) is numpy.ndarray else None
            z = _exp_in_loop(scaled, tail)
            grad_x = branchless_where(xp, scaled > threshold, grad, grad * z / (z + 1))
        return astype(grad_x, x_array.dtype)


class LogSigmoid(Pointwise):
    """``log(sigmoid(x))``, as torch's kernel: ``min(x, 0) - log1p(exp(-|x|))`` (+0.0 at inf, where
    ``-softplus(-x)`` is -0.0); derivative ``sigmoid(-x)``.  float16 in float32, ``exp(-|x|)`` kept in float16 for backward.
    Its output is a new contiguous tensor whatever the input's layout (torch's ``log_sigmoid_forward``
    is no TensorIterator op): a transposed input's result views as rows (fuzz seed 8065156)."""

    dense_output = True

    @staticmethod
    def function(xp, x):
        x = half_in_float32(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def derivative(xp, x):
        # torch's forward keeps z = exp(-|x|) in a buffer of x's dtype, which its backward reads: for
        # float16 z is rounded to float16 (0 from |x| about 17.3 up, so an infinite gradient gives NaN)
        z = half_in_float32(astype(xp.exp(-xp.abs(half_in_float32(x))), x.dtype))
        x = half_in_float32(x)
        return branchless_where(xp, x < 0, 1 - z / (1 + z), z / (1 + z))    # torch's log_sigmoid_backward


class Hardsigmoid(Pointwise):
    """``relu6(x + 3) / 6`` (float16 computed in float32, as torch's); derivative ``1/6`` on (-3, 3),
    torch's ``1.0f / 6.0f``: a float32 constant for float64 too (1.6666667163e-01)."""

    @staticmethod
    def function(xp, x):
        x = half_in_float32(x)
        return xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def _inside(x):
        return (x > -3) & (x < 3)

    @classmethod
    def derivative(cls, xp, x):
        return cls._inside(x) * _ONE_SIXTH_AS_FLOAT32

    @classmethod
    def cut_off(cls, x):
        """Outside (-3, 3) torch's backward gives its 0, not the gradient times 0 (-0.0 for a negative
        gradient), and NaN there too."""
        return ~cls._inside(x)


class Hardswish(Pointwise):
    """``x * relu6(x + 3) / 6`` (float16 computed in float32, as torch's); derivative
    ``x / 3 + 1/2`` on (-3, 3), 0 from -3 down, 1 from 3 up (torch's ends).  At NaN torch's
    scalar loop takes the last branch (gradient passed), its vector loop, two vectors a step,
    gives NaN."""

    @staticmethod
    def function(xp, x):
        x = half_in_float32(x)
        return x * xp.clip(x + 3, 0, 6) / 6

    reads_gradient_layout = True

    @staticmethod
    def derivative(xp, x, grad=None):
        x_array = x.array if hasattr(x, "array") else x
        x = half_in_float32(x)                # torch's float16 backward computes in float32 too
        return _nan_in_vector_loop(xp, x_array, xp.where(x <= -3, 0.0, xp.where(x < 3, x / 3 + 0.5, 1.0)),
                                   grad=grad)

    @staticmethod
    def cut_off(x):
        return x <= -3


class Threshold(Pointwise):
    """``value`` where ``x <= threshold``, else ``x`` (so NaN stays NaN, and passes its gradient, as in torch)."""

    @staticmethod
    def function(xp, x, threshold, value):
        return branchless_where(xp, x <= threshold, value, x)

    @staticmethod
    def derivative(xp, x, threshold, value):
        return ~(x <= threshold)


class Prelu(Function):
    """``x`` where positive, else ``weight * x``; ``weight`` has one slope per channel (dim 1) or one in all."""

    differentiable_backward = True     # operators and xp functions only

    def name(self):
        return "PreluKernelBackward0"

    def forward(self, x, weight):
        self.save_for_backward(x, weight)
        self.weight_shape = weight.shape
        slope = self._broadcast(weight, x.ndim)
        return branchless_where(array_module(x), x > 0, x, slope * x)

    def _broadcast(self, weight, ndim):
        """Slopes shaped to multiply ``(N, C, *)`` along dim 1."""
        if math.prod(self.weight_shape) == 1:
            return weight.reshape(())
        return weight.reshape([-1 if axis == 1 else 1 for axis in range(ndim)])

    def backward(self, grad_output):
        x, weight = self.saved_tensors
        xp = array_module(x)
        positive = x > 0
        grad_x = grad_weight = None
        if self.needs_input_grad[0]:
            grad_x = branchless_where(xp, positive, grad_output, self._broadcast(weight, x.ndim) * grad_output)
        if self.needs_input_grad[1]:
            per_element = branchless_where(xp, positive, 0, x * grad_output)
            if math.prod(self.weight_shape) == 1:
                grad_weight = per_element.sum().reshape(self.weight_shape)
            else:
                axes = tuple(axis for axis in range(x.ndim) if axis != 1)
                grad_weight = per_element.sum(axis=axes).reshape(self.weight_shape)
        return grad_x, grad_weight


# ---- the public functions (torch's names and defaults) ------------------------------------------
# torch's CPU kernels of these activations exist for floating types only; its error names the kernel
_FLOAT_KERNELS = {"LeakyRelu": "leaky_relu_cpu", "Elu": "elu_cpu", "Celu": "elu_cpu", "Gelu": "GeluKernelImpl", "Silu": "silu_cpu",
                  "Mish": "mish_cpu", "Softplus": "softplus_cpu", "LogSigmoid": "log_sigmoid_cpu",
                  "Hardsigmoid": "hardsigmoid_cpu", "Hardswish": "hardswish_cpu"}


def _check_floating(node, input):
    kernel = _FLOAT_KERNELS.get(node.__name__)
    if kernel and input.array.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(input.array.dtype)}'")


def _apply(node, input, inplace, **params):
    """Run ``node``; with torch's ``inplace=True`` the input takes the result's values and history
    (autograd's checks of the target come first, as torch's)."""
    if inplace:
        check_in_place(input)
    _check_floating(node, input)
    result = node.apply(input, **params)
    return assign(input, result) if inplace else result


def relu(input, inplace=False):
    return unary.relu_(input) if inplace else unary.relu(input)


def relu_(input):
    return unary.relu_(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.array.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.array.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _apply(Hardtanh, input, inplace, low=min_val, high=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply(LeakyRelu, input, inplace, slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    return _apply(Elu, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    return _apply(Elu, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _apply(Celu, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def gelu(input, approximate="none"):
    """``x * Phi(x)``; ``approximate='tanh'`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _apply(Gelu, input, False, approximate=approximate)


def silu(input, inplace=False):
    return _apply(Silu, input, inplace)


def mish(input, inplace=False):
    return _apply(Mish, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _apply(Softplus, input, False, beta=beta, threshold=threshold)


def sigmoid(input):
    return unary.sigmoid(input)


def tanh(input):
    return unary.tanh(input)


def logsigmoid(input):
    return _apply(LogSigmoid, input, False)


def hardsigmoid(input, inplace=False):
    return _apply(Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    return _apply(Hardswish, input, inplace)


def softsign(input):
    """torch's composite ``x / (1 + |x|)``: its dtypes, errors and gradient come from those ops."""
    return input / (1 + input.abs())


def tanhshrink(input):
    """torch's composite ``x - tanh(x)``."""
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """``value`` where ``input <= threshold``; both numbers converted to the input's dtype first."""
    dtype = input.array.dtype
    if dtype.kind == "b":
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    return _apply(Threshold, input, inplace, threshold=scalar_as(threshold, dtype), value=scalar_as(value, dtype))


def _softmax_dim(ndim, stacklevel):
    """torch's legacy choice when ``dim`` is not given: 0 for 0-, 1- and 3-D inputs, else 1."""
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim(), _stacklevel)
    return softmax_ops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim(), _stacklevel)
    return softmax_ops.log_softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim(), _stacklevel)
    return softmax_ops.softmax(-input, dim, dtype=dtype)


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with one learned slope per channel (dim 1) or a single one."""
    channels = input.array.shape[1] if input.array.ndim >= 2 else 1   # a 1-D input is one channel
    if weight.array.size != 1 and weight.array.size != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.array.size} and channel size = {channels}.")
    return Prelu.apply(input, weight)
