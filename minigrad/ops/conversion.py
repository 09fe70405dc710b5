"""Moving between dtypes and devices, and copying: each differentiable, as in torch."""
from __future__ import annotations

import math
import numbers

import numpy

from ..core import dtypes
from ..core.function import Function
from ..core.layout import preserved_copy, relayout
from ..core.device import Device, device_of, to_device
from ..core.tensor import Tensor
from .promotion import cast_array
from .tensor_namespace import astype


# the C++ names of torch's scalar types, as its "value cannot be converted" errors spell them
_C_NAMES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
            "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}


def scalar_as(number, dtype):
    """A Python number as a 0-d array of NumPy ``dtype``, converted as torch's kernels convert a
    Scalar (``fill_``, ``masked_fill``, ``x[key] = 2``): a C cast (a float truncated toward zero
    for an integer type; a negative int wrapped into an unsigned type, down to -max), refusing a
    value out of the type's range: "value cannot be converted to type uint8_t without overflow".
    A Python int past uint64 is refused before (``scalar_argument``)."""
    dtypes.scalar_argument(number)
    if isinstance(number, complex) and dtype.kind in "iuf":
        number = _real_part(number, _C_NAMES[dtype.name])
    if dtype.kind in "iu":
        low, high = _range(dtype)
        if dtype.kind == "u" and not isinstance(number, float):
            low = -high                  # an unsigned type takes a negative int: it wraps
        if not (math.isfinite(number) and low <= number <= high):
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dtype.name]} without overflow")
        if not isinstance(number, bool):
            number = math.trunc(number)
            if number < 0 and dtype.kind == "u":
                number += high + 1
    elif dtype.kind == "f" and dtype.itemsize < 8 and math.isfinite(number) and abs(number) > _range(dtype)[1]:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dtype.name]} without overflow")
    if dtype == numpy.float16 and isinstance(number, numbers.Real):
        return _as_half(number)
    return numpy.asarray(number).astype(dtype)     # bool and complex take any number


def relaxed_scalar_as(number, dtype):
    """A Python number as torch's ``scalar_fill`` converts it (``scalar_tensor``; ``fill_`` of one
    element on the CPU): float16 takes any number (``static_cast<Half>(double)``, its "relaxed
    float cast": past float16's range inf, not an error; fuzz seed 92446), other dtypes as
    ``scalar_as``."""
    if dtype == numpy.float16 and isinstance(number, complex):
        number = _real_part(number, "double")      # (checked as the double it is cast through)
    if dtype == numpy.float16 and isinstance(number, numbers.Real):
        return _as_half(dtypes.scalar_argument(number))
    return scalar_as(number, dtype)


def _real_part(number, c_name):
    """A complex number converted to a real type as torch's checked cast does: its real part, refused
    where the imaginary part is not 0 (``x.fill_(1 + 2j)`` of a float tensor)."""
    if number.imag != 0:
        raise RuntimeError(f"value cannot be converted to type {c_name} without overflow")
    return number.real


def _as_half(number):
    """A real number as a 0-d float16 array, as C++ casts a double to ``c10::Half``: through float,
    Half's one constructor (rounded twice: 1 + 2^-11 + 2^-40 is 1.0, not 1.0009765625)."""
    with numpy.errstate(over="ignore"):
        return numpy.asarray(numpy.float32(number)).astype(numpy.float16)


def number_as(number, dtype):
    """A Python number as torch's ``scalar_tensor`` makes it a 0-d tensor of NumPy ``dtype``
    (``x[key] = 2``, ``where(c, x, 2)``), returned as a number: converted as ``relaxed_scalar_as``
    (a number out of float16's range becomes inf there, not an error)."""
    if type(number) is float and dtype == numpy.float64:
        return number
    return relaxed_scalar_as(number, dtype).item()


_RANGES = {}


def _range(dtype):
    """``(lowest, highest)`` of an int or float NumPy dtype, as Python numbers (cached)."""
    found = _RANGES.get(dtype)
    if found is None:
        info = numpy.iinfo(dtype) if dtype.kind in "iu" else numpy.finfo(dtype)
        kind = int if dtype.kind in "iu" else float
        found = _RANGES[dtype] = (kind(info.min), kind(info.max))
    return found


class Cast(Function):
    differentiable_backward = True

    def name(self):
        return "ToCopyBackward0"   # torch's name for the node of .to() / .float() ...

    def forward(self, x, dtype):
        self.input_dtype = x.dtype
        return cast_array(x, dtype)

    def backward(self, grad_output):
        return astype(grad_output, self.input_dtype)


class ToDevice(Function):
    differentiable_backward = True

    def name(self):
        return "ToCopyBackward0"

    def forward(self, x, device):
        self.input_device = device_of(x)
        return to_device(x, device)

    def backward(self, grad_output):
        if isinstance(grad_output, Tensor):          # create_graph: the move back is an op too
            return grad_output.to(self.input_device)
        return to_device(grad_output, self.input_device)


class Clone(Function):
    differentiable_backward = True

    def forward(self, x, order="K"):
        # torch's clone keeps the input's layout (memory_format=torch.preserve_format): a
        # transposed tensor's clone is transposed too, and .view() refuses it alike; an
        # expanded one (stride 0) is made dense (dense_strides); contiguous() asks for order "C"
        return preserved_copy(x) if order == "K" else relayout(x.copy(order=order), None)

    def backward(self, grad_output):
        return grad_output


def clone(input):
    """A copy with its own memory, in the input's layout; gradients flow back to ``input``."""
    return Clone.apply(input)


def to(input, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``: a new tensor only when needed."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, dtypes.dtype):
            dtype = arg
        elif isinstance(arg, (str, Device)):
            device = arg
        elif arg is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {arg!r}")
    result = input
    if device is not None:
        device = Device(device)
        if device != input.device:
            result = ToDevice.apply(result, device=device)
    if dtype is not None:
        numpy_dtype = dtypes.to_numpy_dtype(dtype)
        if numpy_dtype != result.array.dtype:
            if result.requires_grad and numpy_dtype.kind != "f":
                result = result.detach()
            result = Cast.apply(result, dtype=numpy_dtype)
    if copy and result is input:
        result = Cast.apply(input, dtype=input.array.dtype)   # astype copies
    return result
