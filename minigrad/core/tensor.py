"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs to know about it.

A tensor holds its values in ``.array`` and, when it was made by a
differentiable op, the node that made it in ``.grad_fn``.  Everything else,
the arithmetic and the ops, lives in ``minigrad/ops/``; the methods at the end
of this file only point at them, so ``x.exp()`` and ``minigrad.exp(x)`` are the
same function.
"""
from __future__ import annotations

import numbers
import weakref
from collections import OrderedDict

import numpy

from . import dtypes
from .device import CPU, Device, array_module, as_device, device_of, to_device
from .hooks import add_hook
from .layout import contiguous_in_order, element_strides, row_major
from .printing import tensor_repr


class Size(tuple):
    """A shape, as torch's ``torch.Size``: a tuple of ints."""

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item   # shape[1:] is a Size too

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def numel(self) -> int:
        return int(numpy.prod(self, dtype=numpy.int64))


DETACH_VIEW_MESSAGE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
    "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
    "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
    "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")


class _VersionCounter:
    """Counts in-place changes; shared by a tensor and its views.

    ``value`` starts as the class's 0 (no ``__init__``: every op makes a counter, and
    most are never written); the first ``counter.value += 1`` gives the counter its own.
    """

    value = 0


class Tensor:
    """A multi-dimensional array with reverse-mode autograd, as ``torch.Tensor``.

    ``Tensor([1, 2, 3])`` makes a float tensor from data and ``Tensor(2, 3)``
    an uninitialised one of that size (as torch); ``minigrad.tensor(data)``
    infers the dtype instead.
    """

    __slots__ = ("array", "_requires_grad", "grad_fn", "_output_nr", "_counter",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy_scalar * tensor calls Tensor.__rmul__
    # rarely set, so class-level defaults (a tensor's own value, once set, shadows them):
    # every op makes a tensor, and each attribute written there is time per op
    _grad = None
    _hooks = None
    _accumulator = None
    _retains_grad = False
    promoted_from = None   # a cast made by dtype promotion: the tensor it was cast from (Function)

    def __init__(self, *args, device=None, dtype=None):
        self._init(array_from_constructor_args(args, dtype or dtypes.get_default_dtype(), device))

    def _init(self, array, requires_grad=False):
        self.array = array
        self._requires_grad = requires_grad
        self.grad_fn = None
        self._output_nr = 0
        self._counter = None

    @classmethod
    def _wrap(cls, array, requires_grad=False):
        """A tensor around ``array`` (no copy); the constructor used inside minigrad.  Every op
        makes one: ``_init``'s body written out here saves a call (a tenth of a small op's cost)."""
        tensor = object.__new__(cls)
        tensor.array = array
        tensor._requires_grad = requires_grad
        tensor.grad_fn = None
        tensor._output_nr = 0
        tensor._counter = None
        return tensor

    @property
    def _version_counter(self):
        """The counter of in-place writes, shared with the tensor's views: made the first time it is
        asked for, as most tensors are never saved for backward, viewed or written in place (an
        object fewer per op is less for Python's garbage collector to scan, see ``Function._link``)."""
        counter = self._counter
        if counter is None:
            counter = self._counter = _VersionCounter()
        return counter

    @_version_counter.setter
    def _version_counter(self, counter):
        self._counter = counter

    # ---- what a tensor is ------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self.array.shape)
        if self.array.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self.array.shape[_check_dim(dim, self.array.ndim)]

    def dim(self) -> int:
        return self.array.ndim

    ndim = property(dim)
    ndimension = dim

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self.array.dtype)

    @property
    def device(self) -> Device:
        return device_of(self.array)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def get_device(self) -> int:
        """The GPU's index, -1 on the CPU (as torch)."""
        device = self.device
        return -1 if device.type == "cpu" else (device.index or 0)

    def data_ptr(self) -> int:
        """The address of the first element: views of one tensor share memory, and their data_ptr
        tells where each starts (``x[1].data_ptr() - x.data_ptr()`` is a row's bytes)."""
        array = self.array
        return int(array.data.ptr) if device_of(array).type == "cuda" else array.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        """Where the first element sits in the memory the tensor shares with its views, in elements:
        the offset from the start of the array that owns that memory (``x[1].storage_offset()`` of a
        (2, 3) tensor is 3)."""
        owner = self.array
        if device_of(owner).type == "cuda":
            while isinstance(owner.base, type(owner)):
                owner = owner.base
            return (self.data_ptr() - owner.data.ptr) // owner.itemsize
        # (NumPy's as_strided views, a diagonal's, hang on their array through an interface object)
        while getattr(owner, "base", None) is not None and hasattr(owner.base, "__array_interface__"):
            owner = owner.base
        return (self.data_ptr() - owner.__array_interface__["data"][0]) // self.array.itemsize

    def is_signed(self) -> bool:
        """Can the dtype hold negative numbers (every dtype but bool and uint8, as torch's)?"""
        return self.array.dtype.kind not in "bu"

    def is_same_size(self, other) -> bool:
        return self.array.shape == other.array.shape

    def is_nonzero(self) -> bool:
        """The one element's truth, with torch's errors for no element or several."""
        if self.array.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self.array.size > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.array.reshape(()))

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def element_size(self) -> int:
        return self.array.itemsize

    @property
    def itemsize(self) -> int:
        return self.array.itemsize

    @property
    def nbytes(self) -> int:
        """``numel() * itemsize`` (torch counts the elements, not the memory behind a broadcast view)."""
        return int(self.array.size) * self.array.itemsize

    def is_complex(self) -> bool:
        return self.array.dtype.kind == "c"

    def stride(self, dim=None):
        """Steps between neighbours along each dim, in elements (torch's unit), not bytes (NumPy's).
        NumPy 2 gives a new empty array strides of 0 (``numpy.zeros((0, 3)).strides``): such an array
        has torch's contiguous strides for its shape (``(3, 1)``), as torch's empty tensors do."""
        array = self.array
        strides = element_strides(array) if array.size or any(array.strides) else row_major(array.shape)
        if dim is None:
            return strides
        if self.array.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return strides[_check_dim(dim, self.array.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        """Row-major without gaps, as torch decides it: dims of size 1 may have any stride."""
        array = self.array
        return array.size == 0 or contiguous_in_order(array.shape, element_strides(array), range(array.ndim))

    @property
    def _version(self) -> int:
        return self._version_counter.value

    def _type_description(self) -> str:
        """``minigrad.FloatTensor [2, 3]``, as torch describes a tensor in error messages (a
        dtype with no legacy tensor type, bool, bfloat16, complex: ``CPUBoolType [2, 3]``)."""
        name = dtypes.scalar_type_name(self.dtype)
        if name not in ("Byte", "Char", "Short", "Int", "Long", "Half", "Float", "Double"):
            return f"{'CUDA' if self.is_cuda else 'CPU'}{name}Type {list(self.array.shape)}"
        return f"{self.type()} {list(self.array.shape)}"

    # ---- autograd ----------------------------------------------------------
    @property
    def grad(self):
        """The accumulated gradient (a leaf's, or a non-leaf's after ``retain_grad``)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            _check_assigned_grad(self, value)
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        self._set_requires_grad(requires_grad, "only Tensors of floating point and complex dtype "
                                               "can require gradients")

    def requires_grad_(self, requires_grad=True):
        # torch words this one differently from the attribute setter
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    def _set_requires_grad(self, requires_grad, dtype_message):
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(dtype_message)
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        self._requires_grad = bool(requires_grad)

    def detach(self):
        """The same values (shared memory) cut from the graph."""
        detached = Tensor._wrap(self.array)
        detached._version_counter = self._version_counter
        base = self.__dict__.get("_base", self)
        if self._requires_grad:    # a write through it changes the views of self's base (ops/views.py)
            detached.__dict__["_detached_from"] = weakref.ref(base)
        else:     # so does a write through a detached tensor's detach (fuzz seed 4700533), or its view's
            source = self.__dict__.get("_detached_from") or base.__dict__.get("_detached_from")
            if source is not None:
                detached.__dict__["_detached_from"] = source
        return detached

    def detach_(self):
        if getattr(self, "_view", None) is not None:
            raise RuntimeError(DETACH_VIEW_MESSAGE)
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` of a non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:   # a leaf keeps its .grad anyway
            return
        tensor_ref = weakref.ref(self)   # weak: the node must not keep the tensor alive

        def store_grad(grad):
            tensor = tensor_ref()
            if tensor is not None:
                tensor.grad = grad.detach().clone() if tensor.grad is None else tensor.grad + grad
        # torch stores the gradient as the tensor's hooks leave it: this hook stays last
        self._retain_handle = self.grad_fn.register_hook(self._output_nr, store_grad)
        self._retains_grad = True

    def _set_history(self, grad_fn, output_nr=0):
        """Take a new history (after an in-place change, or a view's base changed in place).

        As torch, ``retain_grad`` follows the tensor to its newest history (``.grad`` is the
        gradient of the newest value); hooks from ``register_hook`` stay with the old one.
        """
        retains_grad = self._retains_grad and grad_fn is not self.grad_fn
        if retains_grad:
            self._retain_handle.remove()
            self._retains_grad = False
        self.grad_fn, self._output_nr, self._requires_grad = grad_fn, output_nr, True
        if retains_grad:
            self.retain_grad()

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(self._output_nr, hook, before_last=self._retains_grad)
        if self._hooks is None:
            self._hooks = OrderedDict()
        return add_hook(self._hooks, hook)

    @property
    def data(self):
        """The values without history (shares memory; changes are not tracked)."""
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value):
        self.array = value.array if isinstance(value, Tensor) else value

    # ---- leaving minigrad --------------------------------------------------
    def item(self):
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted to Scalar")
        return self.array.reshape(()).item()

    def tolist(self):
        return _to_numpy(self.array).tolist()

    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self.device.type != "cpu" and not force:
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first.")
        return _to_numpy(self.array)

    def __array__(self, dtype=None, copy=None):
        array = _to_numpy(self.array)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def __format__(self, format_spec):
        # torch formats a 0-d tensor as its number: f"{loss:.4f}"
        if self.array.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self.array.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self.array.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self):
        return tensor_repr(self)

    def __deepcopy__(self, memo):
        """A copy with its own memory, ``requires_grad`` and ``.grad`` (leaves only, as torch)."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        import copy
        result = type(self)._wrap(self.array.copy(), self._requires_grad)
        memo[id(self)] = result
        if self._grad is not None:
            result._grad = copy.deepcopy(self._grad, memo)
        return result

    def __reduce_ex__(self, protocol):
        raise TypeError("minigrad tensors are not pickled: use minigrad.save, which runs no code on load")

    # ---- devices and dtypes (differentiable, as torch; ``to`` is ops/conversion.py's) ----
    def cpu(self):
        return self.to(CPU)

    def cuda(self, device=None):
        return self.to(Device("cuda", device) if isinstance(device, int) or device is None else Device(device))

    def type(self, dtype=None):
        """``'minigrad.FloatTensor'`` (torch's legacy name), or a cast when ``dtype`` is given."""
        if dtype is None:
            device = "cuda." if self.is_cuda else ""
            return f"minigrad.{device}{dtypes.scalar_type_name(self.dtype)}Tensor"
        return self.to(dtype)

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool)

    def byte(self):
        return self.to(dtypes.uint8)

    def char(self):
        return self.to(dtypes.int8)

    def short(self):
        return self.to(dtypes.int16)

    def type_as(self, other):
        return self.to(other.dtype)


def _check_assigned_grad(tensor, grad):
    """torch's checks on ``tensor.grad = grad``."""
    if not isinstance(grad, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(grad).__name__}")
    if grad.array.shape != tensor.array.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(grad.array.shape)}' to a "
                           f"tensor of size '{list(tensor.array.shape)}'. Please ensure that the "
                           "gradient and the tensor are the same size")
    if grad.array.dtype != tensor.array.dtype:
        raise RuntimeError(f"attempting to assign a gradient with dtype '{grad.dtype.name}' to a tensor "
                           f"with dtype '{tensor.dtype.name}'")
    if grad.device != tensor.device:
        raise RuntimeError(f"attempted to assign a gradient on device {grad.device} to a tensor on "
                           f"device {tensor.device}")


def typename(obj) -> str:
    """``torch.typename``: ``'torch.FloatTensor'`` for a tensor, else the (module-qualified) class name.

    torch's error messages name values this way, so minigrad's say ``torch.`` too.
    """
    if isinstance(obj, Tensor):
        return f"torch.{dtypes.scalar_type_name(obj.dtype)}Tensor"
    kind = type(obj)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _check_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index, or torch's IndexError."""
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], "
                         f"but got {dim})")
    return dim % ndim if ndim else 0


def _to_numpy(array):
    return array if array_module(array) is numpy else array.get()


# ---- a tensor's array from Python data (``Tensor([1, 2])``, ``minigrad.tensor(data)``) ----
def parse_size(size, factory="empty", negative_message=None) -> tuple:
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


_INT64_MIN, _INT64_MAX = -0x8000000000000000, 0x7FFFFFFFFFFFFFFF


def python_ints_as_torch_reads(data, array, numpy_dtype=None):
    """``data`` (Python numbers, nested), whose NumPy reading is ``array``, with its ints past
    int64 read as torch reads them into ``numpy_dtype`` (None: the dtype torch infers, int64
    unless a float is there): into an integer dtype none fits ("Overflow when unpacking long
    long"), a float one takes it as a double (an OverflowError past double's range), bool as
    True.  NumPy reads such an int as uint64, an object, or (beside a negative int) float64."""
    if array.dtype.kind not in "uOf" or array.dtype.kind == "f" and not (
            array.size and float(numpy.abs(array).max()) >= 2.0 ** 63):
        return data
    items = list(_flatten(data)) if isinstance(data, (list, tuple)) else [data]
    if not any(type(item) is int and not _INT64_MIN <= item <= _INT64_MAX for item in items):
        return data
    if numpy_dtype is None:
        numpy_dtype = numpy.dtype(numpy.float64 if any(isinstance(item, float) for item in items) else numpy.int64)
    if numpy_dtype.kind in "iu":
        raise ValueError("Overflow when unpacking long long")
    read = bool if numpy_dtype.kind == "b" else float

    def convert(item):
        if isinstance(item, (list, tuple)):
            return [convert(each) for each in item]
        return read(item) if type(item) is int and not _INT64_MIN <= item <= _INT64_MAX else item
    return convert(data)


def infer_array(data, dtype_given=False):
    """A NumPy array from nested lists, numbers, arrays or tensors, with torch's dtype rules.

    With ``dtype_given`` the caller casts to its dtype next, so Python floats stay
    float64 here: ``tensor([0.1], dtype=float64)`` is exactly 0.1, as torch's (a detour
    through the float32 default would round it).
    """
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
    if not isinstance(data, numpy.ndarray) and not dtype_given:
        read = python_ints_as_torch_reads(data, array)
        if read is not data:
            data, array = read, numpy.asarray(read)
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


def _numpy_reading(data):
    """NumPy's reading of Python data, for ``python_ints_as_torch_reads`` (an empty one where
    NumPy refuses it: the caller's own reading raises its error)."""
    try:
        return numpy.asarray(data)
    except (ValueError, TypeError):
        return numpy.zeros(0)


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


def array_from_constructor_args(args, dtype, device):
    """``Tensor([1, 2])`` (data) or ``Tensor(2, 3)`` (sizes), as torch's legacy constructor."""
    numpy_dtype = dtypes.to_numpy_dtype(dtype)
    if not args:                          # Tensor() is an empty 1-d tensor
        args = (0,)
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        data = args[0]
        if not isinstance(data, (Tensor, numpy.ndarray)):
            data = python_ints_as_torch_reads(data, _numpy_reading(data), numpy.dtype(numpy_dtype))
        array = dtypes.converted(numpy.asarray(data.array if isinstance(data, Tensor) else
                                               infer_array(data, dtype_given=True)), numpy.dtype(numpy_dtype))
    else:
        array = numpy.zeros(parse_size(args), dtype=numpy_dtype)
    return to_device(array, as_device(device))
