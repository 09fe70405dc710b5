"""Making tensors, with torch's signatures: ``tensor``, ``zeros``, ``arange``, ``randn`` ..."""
from __future__ import annotations

import math
import numbers

import numpy

from ..core import dtypes, random
from ..core.device import Device, as_device, module_for, to_device
from ..core.layout import dense_strides, relayout
from ..core.tensor import Tensor, infer_array, parse_size, python_ints_as_torch_reads
from . import range_values
from .conversion import relaxed_scalar_as, scalar_as


def _new(array, requires_grad):
    tensor = Tensor._wrap(array)
    if requires_grad:
        if array.dtype.kind not in "fc":   # the factories' wording (capital O), as torch's
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        tensor.requires_grad_(True)
    return tensor


def _numpy_dtype(dtype, default=None):
    if dtype is None:
        return (default or dtypes.get_default_dtype()).numpy
    return dtypes.to_numpy_dtype(dtype)


def _python_data_as(data, numpy_dtype):
    """Python numbers converted straight to ``numpy_dtype``, as torch converts them: floats
    never pass through the default float32 first, and a value out of an integer type's
    range (NaN and infinities included) is an error, not a wrapped number; an int past int64
    as torch reads it (``python_ints_as_torch_reads``)."""
    raw = numpy.asarray(data)
    read = python_ints_as_torch_reads(data, raw, numpy_dtype)
    if read is not data:
        data, raw = read, numpy.asarray(read)
    if raw.dtype.kind not in "fiub":
        return infer_array(data).astype(numpy_dtype)
    if numpy_dtype.kind in "iu" and raw.dtype.kind in "fi" and raw.size:
        info = numpy.iinfo(numpy_dtype)
        # c10's overflow check: floats must fit; integers into an unsigned type may be
        # negative down to -max (they wrap), as torch.tensor([-1], dtype=torch.uint8) gives 255
        low = info.min if raw.dtype.kind == "f" or numpy_dtype.kind == "i" else -int(info.max)
        with numpy.errstate(invalid="ignore"):
            fits = numpy.isfinite(raw) & (raw >= low) & (raw <= info.max) if raw.dtype.kind == "f" else \
                (raw >= low) & (raw <= info.max)
        if not fits.all():
            raise RuntimeError(f"value cannot be converted to type {dtypes.from_numpy_dtype(numpy_dtype)} "
                               "without overflow".replace("minigrad.", ""))
        if raw.dtype.kind == "i":
            return raw.astype(numpy_dtype)   # wraps, as torch's does for the negatives allowed above
    with numpy.errstate(over="ignore"):       # a float too big for float16/float32 is inf, as in torch
        return dtypes.converted(raw, numpy_dtype)    # a double into half through float, as torch


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``; the dtype is inferred unless given."""
    if dtype is not None and not isinstance(data, (Tensor, numpy.ndarray, numpy.generic)):
        array = _python_data_as(data, numpy.dtype(dtypes.to_numpy_dtype(dtype)))
        return _new(to_device(array, as_device(device)) if device is not None else array, requires_grad)
    array = infer_array(data)
    if dtype is not None:
        array = dtypes.converted(array, numpy.dtype(dtypes.to_numpy_dtype(dtype)))
    elif isinstance(data, Tensor):
        array = array.copy()
    else:
        array = numpy.array(array, copy=True)
    return _new(to_device(array, as_device(device)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with ``data`` where it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if dtype is not None and not isinstance(data, (numpy.ndarray, numpy.generic)):
        return _new(to_device(_python_data_as(data, numpy.dtype(dtypes.to_numpy_dtype(dtype))), as_device(device)),
                    False)
    array = numpy.asarray(data) if isinstance(data, numpy.ndarray) else infer_array(data, dtype is not None)
    if dtype is not None:
        array = dtypes.converted(array, numpy.dtype(dtypes.to_numpy_dtype(dtype)), copy=False)
    return _new(to_device(array, as_device(device)), False)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any DLPack producer (a NumPy/CuPy array, a torch tensor)."""
    device_type, device_index = ext_tensor.__dlpack_device__()
    if device_type == 1:                      # kDLCPU
        return Tensor._wrap(numpy.from_dlpack(ext_tensor))
    xp = module_for(Device("cuda", device_index))
    return Tensor._wrap(xp.from_dlpack(ext_tensor))


def FloatTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.float32, device=device)


def DoubleTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.float64, device=device)


def LongTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.int64, device=device)


def IntTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.int32, device=device)


def BoolTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.bool, device=device)


def ByteTensor(*args, device=None):
    return Tensor(*args, dtype=dtypes.uint8, device=device)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    xp = module_for(as_device(device))
    size = parse_size(size, "zeros", negative_message="zeros: Dimension size must be non-negative.")
    return _new(xp.zeros(size, _numpy_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    xp = module_for(as_device(device))
    return _new(xp.ones(parse_size(size, "ones"), _numpy_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None):
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None):
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(fill_value))
    xp = module_for(as_device(device))
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape, numpy_dtype = parse_size((tuple(size),)), numpy.dtype(_numpy_dtype(dtype))
    if isinstance(fill_value, numbers.Number):
        fill_value = _fill_value(fill_value, numpy_dtype, math.prod(shape), xp)
    return _new(xp.full(shape, fill_value, numpy_dtype), requires_grad)


def _fill_value(number, numpy_dtype, count, xp):
    """``number`` as torch's ``full`` (``empty(size).fill_(number)``) converts it: as its fill
    kernel, an error out of the dtype's range, but for one element on the CPU, which
    ``scalar_fill`` sets (float16 then takes any number: 1e300 is inf; fuzz seed 92446)."""
    one_element = count == 1 and xp is numpy
    return (relaxed_scalar_as if one_element else scalar_as)(number, numpy_dtype).item()


def _like(input, dtype, device):
    return dict(dtype=dtype or input.dtype, device=device or input.device)


def _in_layout_of(result, input, requires_grad):
    """``result`` in ``input``'s layout, as torch's ``*_like`` gives it (torch.preserve_format:
    ``input.t()``'s is transposed, a size-1 dim keeps its stride)."""
    return _new(relayout(result.array, dense_strides(input.array)), requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    return _in_layout_of(zeros(input.shape, **_like(input, dtype, device)), input, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    return _in_layout_of(ones(input.shape, **_like(input, dtype, device)), input, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return _in_layout_of(full(input.shape, fill_value, **_like(input, dtype, device)), input, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """``arange(end)`` or ``arange(start, end, step)``; integer arguments give int64."""
    if end is None:
        start, end = 0, start
    values = [_number(v) for v in (start, end, step)]
    if not (values[2] > 0 or values[2] < 0):          # (a NaN step too, as torch)
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(value) for value in values[:2]):
        bounds = [f"{value:g}" if isinstance(value, float) else f"{value}" for value in values[:2]]
        raise RuntimeError(f"unsupported range: {bounds[0]} -> {bounds[1]}")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.get_default_dtype() if any(isinstance(v, float) for v in values) else dtypes.int64
    device = as_device(device)
    numpy_dtype = _numpy_dtype(dtype)
    if numpy_dtype.kind == "f":        # torch's values to the last bit (range_values)
        count = max(math.ceil((float(values[1]) - float(values[0])) / float(values[2])), 0)
        array = range_values.arange_values(values[0], values[2], count, numpy_dtype, vectors=device.type == "cpu")
        return _new(to_device(array, device), requires_grad)
    return _new(module_for(device).arange(*values, dtype=numpy_dtype), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    device = as_device(device)
    numpy_dtype = _numpy_dtype(dtype)
    if numpy_dtype.kind in "fiu":        # torch's values to the last bit (range_values)
        array = range_values.linspace_values(_number(start), _number(end), steps, numpy_dtype)
        return _new(to_device(array, device), requires_grad)
    return _new(module_for(device).linspace(_number(start), _number(end), steps, dtype=numpy_dtype), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    for size in (n, m):
        if size is not None and size < 0:
            raise RuntimeError(f"n must be greater or equal to 0, got {size}")
    xp = module_for(as_device(device))
    return _new(xp.eye(n, m, dtype=_numpy_dtype(dtype)), requires_grad)


def _triangle_indices(lower, row, col, offset, dtype, device):
    """The (2, n) coordinates of a ``row`` x ``col`` matrix's lower (upper) triangle, row by row."""
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    numpy_dtype = _numpy_dtype(dtype, dtypes.int64)
    if numpy_dtype.kind not in "iu":
        name = "tril_indices" if lower else "triu_indices"
        raise NotImplementedError(f'"{name}" not implemented for \'{dtypes.scalar_type_name(numpy_dtype)}\'')
    pick = numpy.tril_indices if lower else numpy.triu_indices
    coordinates = numpy.stack(pick(row, offset, col)).astype(numpy_dtype).reshape(2, -1)
    return _new(to_device(coordinates, as_device(device)), False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The indices of the lower triangle (diagonal ``offset`` and below) of a ``row`` x ``col`` matrix: (2, n) int64."""
    return _triangle_indices(True, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The indices of the upper triangle (diagonal ``offset`` and above) of a ``row`` x ``col`` matrix: (2, n) int64."""
    return _triangle_indices(False, row, col, offset, dtype, device)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform draws from [0, 1) from the global generator."""
    array = random.uniform(parse_size(size, "rand"), _numpy_dtype(dtype), as_device(device), chosen=generator)
    return _new(array, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal draws from the global generator."""
    array = random.normal(parse_size(size, "randn"), _numpy_dtype(dtype), as_device(device), chosen=generator)
    return _new(array, requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    """``randint(high, size)`` or ``randint(low, high, size)``: int64 draws from [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = random.integers(low, high, parse_size((tuple(size),)), _numpy_dtype(dtype, dtypes.int64),
                            as_device(device), chosen=generator)
    return _new(array, requires_grad)


def randperm(n, *, dtype=None, device=None, requires_grad=False, generator=None):
    array = random.permutation(n, as_device(device), chosen=generator).astype(_numpy_dtype(dtype, dtypes.int64))
    return _new(array, requires_grad)


def _number(value):
    return value.item() if isinstance(value, Tensor) else value


# ---- Tensor.new_*: a new tensor with this one's dtype and device unless told otherwise ----
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return new_zeros(self, *size, dtype=dtype, device=device, requires_grad=requires_grad)
