"""Making tensors, with torch's signatures: ``tensor``, ``zeros``, ``arange``, ``randn`` ..."""
from __future__ import annotations

import numbers

import numpy

from . import dtypes, random
from .backend import CPU, Device, array_module, module_for, to_device
from .tensor import Tensor


_default_device = CPU     # where factories put tensors when no device= is given


def set_default_device(device) -> None:
    """Make factories (``zeros``, ``randn``, ``tensor``, layers' parameters ...) called without
    ``device=`` allocate on ``device``; ``None`` restores ``'cpu'``.  As torch, ``from_numpy`` and
    ``as_tensor`` of an existing tensor are not affected.  (torch's setting is per thread; this one
    is per process.)"""
    global _default_device
    _default_device = CPU if device is None else Device(device)


def get_default_device() -> Device:
    """The device factories use when no ``device=`` is given (``device(type='cpu')`` at start)."""
    return _default_device


def _device(device) -> Device:
    return _default_device if device is None else Device(device)


def _size(size, factory="empty", negative_message=None) -> tuple:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean the size (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    elif len(size) == 1 and not isinstance(size[0], numbers.Integral):
        raise TypeError(f"{factory}(): argument 'size' (position 1) must be tuple of ints, "
                        f"not {type(size[0]).__name__}")
    for dim in size:
        if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
            raise TypeError(f"size must be a tuple of ints, but got element of type {type(dim).__name__}")
        if dim < 0:
            raise RuntimeError(negative_message or
                               f"Trying to create tensor with negative dimension {dim}: {list(size)}")
    return tuple(int(dim) for dim in size)


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


def _infer_array(data, dtype_given=False):
    """A NumPy array from nested lists, numbers, arrays or tensors, with torch's dtype rules.

    With ``dtype_given`` Python floats stay float64 here, for the caller to cast once to the
    requested dtype (``tensor([0.1], dtype=float64)`` must not pass through float32)."""
    if isinstance(data, Tensor):
        return numpy.asarray(data.array if array_module(data.array) is numpy else data.array.get())
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in _flatten(data)):
        data = _replace_tensors(data)
    if isinstance(data, numpy.generic):   # a NumPy scalar keeps its dtype, as an array does
        data = numpy.asarray(data)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    try:
        array = numpy.asarray(data)
    except ValueError:
        raise ValueError(_ragged_message(data)) from None
    if array.dtype.kind == "f" and not isinstance(data, numpy.ndarray):
        if not dtype_given:
            array = array.astype(dtypes.get_default_dtype().numpy)   # Python floats: the default type
    elif array.dtype.kind == "i" and not isinstance(data, numpy.ndarray):
        array = array.astype(numpy.int64)
    elif array.dtype.kind not in "fiub":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return array


def _ragged_message(data, dim=0):
    """torch's message for nested lists of unequal lengths."""
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
        expected = len(data[0])
        for item in data:
            length = len(item) if isinstance(item, (list, tuple)) else None
            if length != expected:
                return f"expected sequence of length {expected} at dim {dim + 1} (got {length})"
        for item in data:
            message = _ragged_message(item, dim + 1)
            if message:
                return message
    return ""


def _flatten(data):
    for item in data:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item


def _replace_tensors(data):
    if isinstance(data, Tensor):
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_replace_tensors(item) for item in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``; the dtype is inferred unless given."""
    array = _infer_array(data, dtype_given=dtype is not None)
    if dtype is not None:
        array = array.astype(dtypes.to_numpy_dtype(dtype))
    elif isinstance(data, Tensor):
        array = array.copy()
    else:
        array = numpy.array(array, copy=True)
    return _new(to_device(array, _device(device)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with ``data`` where it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    array = numpy.asarray(data) if isinstance(data, numpy.ndarray) else _infer_array(data, dtype is not None)
    if dtype is not None:
        array = array.astype(dtypes.to_numpy_dtype(dtype), copy=False)
    return _new(to_device(array, _device(device)), False)


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


def _array_from_constructor_args(args, dtype, device):
    """``Tensor([1, 2])`` (data) or ``Tensor(2, 3)`` (sizes), as torch's legacy constructor."""
    numpy_dtype = dtypes.to_numpy_dtype(dtype)
    if not args:                          # Tensor() is an empty 1-d tensor
        args = (0,)
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        data = args[0]
        array = numpy.array(data.array if isinstance(data, Tensor) else _infer_array(data, dtype_given=True),
                            dtype=numpy_dtype)
    else:
        array = numpy.zeros(_size(args), dtype=numpy_dtype)
    return to_device(array, _device(device))


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
    xp = module_for(_device(device))
    size = _size(size, "zeros", negative_message="zeros: Dimension size must be non-negative.")
    return _new(xp.zeros(size, _numpy_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    xp = module_for(_device(device))
    return _new(xp.ones(_size(size, "ones"), _numpy_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None):
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None):
    if dtype is None:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(fill_value))
    xp = module_for(_device(device))
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _new(xp.full(_size((tuple(size),)),
                        fill_value, _numpy_dtype(dtype)), requires_grad)


def _like(input, dtype, device):
    return dict(dtype=dtype or input.dtype, device=device or input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    return zeros(input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    return ones(input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, requires_grad=requires_grad, **_like(input, dtype, device))


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, requires_grad=requires_grad, **_like(input, dtype, device))


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """``arange(end)`` or ``arange(start, end, step)``; integer arguments give int64."""
    if end is None:
        start, end = 0, start
    values = [_number(v) for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.get_default_dtype() if any(isinstance(v, float) for v in values) else dtypes.int64
    xp = module_for(_device(device))
    return _new(xp.arange(*values, dtype=_numpy_dtype(dtype)), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    xp = module_for(_device(device))
    return _new(xp.linspace(_number(start), _number(end), steps, dtype=_numpy_dtype(dtype)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    for size in (n, m):
        if size is not None and size < 0:
            raise RuntimeError(f"n must be greater or equal to 0, got {size}")
    xp = module_for(_device(device))
    return _new(xp.eye(n, m, dtype=_numpy_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform draws from [0, 1) from the global generator."""
    array = random.uniform(_size(size, "rand"), _numpy_dtype(dtype), _device(device), chosen=generator)
    return _new(array, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal draws from the global generator."""
    array = random.normal(_size(size, "randn"), _numpy_dtype(dtype), _device(device), chosen=generator)
    return _new(array, requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    """``randint(high, size)`` or ``randint(low, high, size)``: int64 draws from [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = random.integers(low, high, _size((tuple(size),)), _numpy_dtype(dtype, dtypes.int64),
                            _device(device), chosen=generator)
    return _new(array, requires_grad)


def randperm(n, *, dtype=None, device=None, requires_grad=False, generator=None):
    array = random.permutation(n, _device(device), chosen=generator).astype(_numpy_dtype(dtype, dtypes.int64))
    return _new(array, requires_grad)


def _number(value):
    return value.item() if isinstance(value, Tensor) else value
