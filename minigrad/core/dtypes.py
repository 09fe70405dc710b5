"""Data types with torch's names (``minigrad.float32`` ...), each backed by a NumPy dtype."""
from __future__ import annotations

import builtins
import numbers

import numpy


class dtype:
    """A tensor element type: ``minigrad.float32`` wraps ``numpy.float32``."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name, numpy_dtype):
        self.name = name
        self.numpy = numpy.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "fi"
        self.itemsize = self.numpy.itemsize

    def __repr__(self):
        return f"minigrad.{self.name}"

    def __reduce__(self):
        return (getattr, (__import__("minigrad"), self.name))


float16 = half = dtype("float16", numpy.float16)
float32 = float = dtype("float32", numpy.float32)
float64 = double = dtype("float64", numpy.float64)
uint8 = dtype("uint8", numpy.uint8)
int8 = dtype("int8", numpy.int8)
int16 = short = dtype("int16", numpy.int16)
int32 = int = dtype("int32", numpy.int32)
int64 = long = dtype("int64", numpy.int64)
bool = dtype("bool", numpy.bool_)

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NUMPY = {d.numpy: d for d in ALL}

# torch's C++ names (``ScalarType``), used in error messages and legacy type names ("FloatTensor")
_SCALAR_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte",
                      "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool"}


# torch's C type names, as some of its kernels' messages print a dtype ("got mask with dtype float")
_C_TYPE_NAMES = {"Float": "float", "Double": "double", "Long": "long int", "Int": "int", "Short": "short int",
                 "Char": "signed char", "Byte": "unsigned char", "Bool": "bool", "Half": "c10::Half"}


def scalar_type_name(d) -> str:
    """torch's ScalarType name of a dtype (minigrad's or NumPy's): ``Float`` for float32, ``Long`` for int64.

    The one table of torch's type names: error messages and ``'FloatTensor'`` both read it.
    """
    name = d.name if isinstance(d, dtype) else numpy.dtype(d).name
    return _SCALAR_TYPE_NAMES.get(name, name)


def c_type_name(d) -> str:
    """torch's C++ spelling of a dtype in some kernel messages: ``float``, ``long int``."""
    scalar = scalar_type_name(d)
    return _C_TYPE_NAMES.get(scalar, numpy.dtype(d.numpy if isinstance(d, dtype) else d).name)

_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(new: dtype) -> None:
    global _default_float
    if not new.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {new}")
    _default_float = new


def from_numpy_dtype(numpy_dtype) -> dtype:
    """The minigrad dtype for a NumPy dtype (float64, int64 ...)."""
    found = _BY_NUMPY.get(numpy.dtype(numpy_dtype))
    if found is None:
        raise TypeError(f"can't convert np.ndarray of type numpy.{numpy.dtype(numpy_dtype).type.__name__}. "
                        "The only supported types are: float64, float32, float16, int64, int32, int16, "
                        "int8, uint8, and bool.")
    return found


def to_numpy_dtype(value):
    """A NumPy dtype from a minigrad dtype, a NumPy dtype, a Python type or a name."""
    if isinstance(value, dtype):
        return value.numpy
    if value is builtins.float:
        return _default_float.numpy
    if value is builtins.int:
        return numpy.dtype(numpy.int64)
    if value is builtins.bool:
        return numpy.dtype(numpy.bool_)
    return numpy.dtype(value)


_HALF, _DOUBLE, _SINGLE = numpy.dtype(numpy.float16), numpy.dtype(numpy.float64), numpy.dtype(numpy.float32)


def converted(array, numpy_dtype, copy=True):
    """``array.astype(numpy_dtype)`` as torch converts: a double to half through float, as
    c10::Half's one constructor takes a float (1 + 2^-11 + 2^-40 is 1.0, rounded twice, where
    NumPy's direct rounding gives 1.0009765625; 65519.99999 is inf, not 65504)."""
    if numpy_dtype == _HALF and array.dtype == _DOUBLE:
        with numpy.errstate(over="ignore"):
            return array.astype(_SINGLE).astype(_HALF)
    return array.astype(numpy_dtype, copy=copy)


def scalar_argument(value):
    """``value``, refused as torch's argument parser refuses a Python int for a Scalar argument
    (``fill_``, ``full``, ``x + n``, ``x == n``) that fits neither int64 nor uint64 (2**63 up to
    2**64 - 1 are a uint64 Scalar, whose conversion into a tensor's dtype is checked later)."""
    if type(value) is builtins.int and not -0x8000000000000000 <= value <= 0xFFFFFFFFFFFFFFFF:
        raise OverflowError("int too big to convert" if value > 0 else "can't convert negative int to unsigned")
    return value


def wrapped_int(value, numpy_dtype):
    """A Python int as torch puts it into an integer tensor's type: modulo 2**bits
    (``uint8 200 + -1`` is 199, ``uint8 == -56`` compares with 200), where NumPy 2
    refuses a Python int out of the type's range (and one past uint64 is refused first,
    ``scalar_argument``)."""
    scalar_argument(value)
    if numpy_dtype.kind in "iu" and type(value) is builtins.int:
        return numpy.asarray(value & 0xFFFFFFFFFFFFFFFF, dtype=numpy.uint64).astype(numpy_dtype)[()]
    return value


def _category(d: numpy.dtype) -> builtins.int:
    """0 for bool, 1 for integers, 2 for floating point: the order torch promotes in."""
    return 0 if d.kind == "b" else 1 if d.kind in "iu" else 2


def result_type(*operands) -> numpy.dtype:
    """The dtype torch gives an op over tensors and Python scalars.

    Tensors with dimensions decide first; 0-d tensors and then Python scalars
    only raise the result when they are of a higher category (bool < int <
    float): ``float32_tensor * 2.5`` stays float32, ``int_tensor * 2.5`` is the
    default float type.
    """
    dimensioned, zero_dim, scalar_category, unsigned = [], [], -1, False
    for operand in operands:
        if isinstance(operand, builtins.bool):
            scalar_category = max(scalar_category, 0)
        elif isinstance(operand, builtins.int):
            scalar_category = max(scalar_category, 1)
            unsigned |= scalar_argument(operand) > 0x7FFFFFFFFFFFFFFF     # torch's Scalar holds it as a uint64
        elif isinstance(operand, numbers.Number):
            scalar_category = max(scalar_category, 2)
        else:   # a Tensor
            (dimensioned if operand.array.ndim else zero_dim).append(operand.array.dtype)
    result = _promote(dimensioned) if dimensioned else None
    if zero_dim:
        zero = _promote(zero_dim)
        if result is None or _category(zero) > _category(result):
            result = zero
    if scalar_category >= 0 and (result is None or scalar_category > _category(result)):
        if unsigned and scalar_category == 1 and result is not None:
            raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to "
                               f"promote {scalar_type_name(result)} and UInt64")
        result = (numpy.dtype(numpy.bool_), numpy.dtype(numpy.int64), _default_float.numpy)[scalar_category]
    return result


def promote_types(first, second) -> numpy.dtype:
    """torch's ``promote_types`` of two NumPy dtypes (int64 with float32 is float32)."""
    return _promote([first, second])


def _promote(numpy_dtypes):
    """torch's promotion among tensors: the highest category wins with its own dtypes
    (int64 with float32 is float32, where NumPy says float64)."""
    if len(numpy_dtypes) == 1:
        return numpy_dtypes[0]
    top = max(_category(d) for d in numpy_dtypes)
    return numpy.result_type(*[d for d in numpy_dtypes if _category(d) == top])
