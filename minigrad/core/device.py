"""Devices and their array modules: the one place that chooses NumPy (``'cpu'``) or CuPy (``'cuda'``).

Every op is written once against an "array module" ``xp`` (``numpy`` or
``cupy``) and asks this module which one an array belongs to.  CuPy is imported
lazily, so minigrad imports and runs on machines without it.
"""
from __future__ import annotations

import functools

import numpy

_cupy = None


def cupy_module():
    """Return the ``cupy`` module, importing it on first use."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as error:  # pragma: no cover - depends on the machine
            raise RuntimeError(
                "device 'cuda' needs CuPy: install minigrad with the 'cuda' extra "
                "(pip install -e '.[cuda]' in the minigrad checkout; the 'minigrad' on PyPI "
                "is another project) on a machine with an NVIDIA GPU"
            ) from error
        _cupy = cupy
    return _cupy


def gpu_in_use() -> bool:
    """True once CuPy has been imported: before that every array is a NumPy array."""
    return _cupy is not None


def cuda_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    try:
        cupy = cupy_module()
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


class Device:
    """A device as torch names it: ``Device('cpu')``, ``Device('cuda:0')``."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, Device):
            spec, index = spec.type, spec.index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string or a minigrad.device, got {type(spec).__name__}")
        kind, _, number = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {spec}")
        self.type = kind
        self.index = int(number) if number else index
        if kind == "cuda" and self.index is None:
            self.index = 0

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index or 0) == (other.type, other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __str__(self):
        return self.type if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self):
        if self.type == "cpu":
            return "device(type='cpu')"
        return f"device(type='cuda', index={self.index})"


CPU = Device("cpu")


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


def as_device(device) -> Device:
    """A ``device=`` argument as a Device (None means the default device, ``set_default_device``)."""
    return _default_device if device is None else Device(device)


def module_for(device: Device):
    """The array module that stores tensors on ``device``."""
    return numpy if device.type == "cpu" else cupy_module()


def array_module(array):
    """The array module ``array`` belongs to: ``numpy``, ``cupy``, or for a Tensor its namespace.

    A Tensor answers with ``Tensor.array_namespace`` (``ops/tensor_namespace.py``): the
    same functions, as differentiable ops, so an op's backward formula written with
    ``xp = array_module(x)`` builds a graph when it is given Tensors (create_graph=True).
    """
    kind = type(array)
    if kind is numpy.ndarray:
        return numpy
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return getattr(kind, "array_namespace", numpy)


def device_of(array) -> Device:
    """The device holding ``array``."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return Device("cuda", array.device.id)
    return CPU


def to_device(array, device: Device):
    """Copy ``array`` to ``device`` (a no-op when it is already there)."""
    if device_of(array) == device:
        return array
    if device.type == "cpu":
        return array.get()
    cupy = cupy_module()
    with cupy.cuda.Device(device.index):
        return cupy.asarray(array)


def on_host(emulation):
    """Run ``emulation`` (a step-by-step copy of torch's CPU kernel order, written for NumPy) on NumPy
    copies of CuPy array arguments and return its arrays to their GPU.  Those emulations run on the
    rare rows where the order decides the result (an overflow, a cancelling sum), so the copies
    cost little; on the GPU they give the CPU's digits (torch's CUDA kernels keep other orders)."""
    @functools.wraps(emulation)
    def run(*arguments, **options):
        gpu = next((a for a in arguments if _cupy is not None and isinstance(a, _cupy.ndarray)), None)
        if gpu is None:
            return emulation(*arguments, **options)
        host = [a.get() if isinstance(a, _cupy.ndarray) else a for a in arguments]
        result = emulation(*host, **options)
        with gpu.device:
            if isinstance(result, tuple):
                return tuple(_cupy.asarray(r) if isinstance(r, numpy.ndarray) else r for r in result)
            return _cupy.asarray(result) if isinstance(result, numpy.ndarray) else result
    return run


def quiet_float_errors():
    """NumPy's floating-point warnings off within: torch computes inf and NaN silently.  ``import
    minigrad`` ignores the RuntimeWarnings raised in its own modules; those NumPy raises in its own
    Python wrappers (``x.sum()`` of ``[inf, -inf]``: numpy/_core/_methods.py) pass that filter."""
    return numpy.errstate(all="ignore")


def expanded(array, shape):
    """``broadcast_to(array, shape)`` (a read-only view, stride 0 along the stretched dims) for a
    ``shape`` known to fit, as a reduction's backward stretches its gradient.  NumPy's
    ``broadcast_to`` checks and builds it in Python (2.3 us on 64 numbers here); a C-ordered NumPy
    array is viewed directly through the ndarray constructor instead (0.9 us), with
    broadcast_to's strides (0 along every dim of size 1)."""
    if type(array) is not numpy.ndarray or not array.flags.c_contiguous:
        return array_module(array).broadcast_to(array, shape)
    leading = len(shape) - array.ndim
    strides = (0,) * leading + tuple(0 if size == 1 else stride for size, stride in zip(array.shape, array.strides))
    view = numpy.ndarray(shape, array.dtype, array, 0, strides)
    view.flags.writeable = False
    return view


def zero_where(drop, values):
    """``where(drop, 0, values)``: ``values`` with exact zeros where ``drop`` is True, NaN and inf
    included (a gradient cut off, as torch's threshold_backward cuts it).

    NumPy's ``where`` branches per element: on a mask with no pattern (a ReLU's) it ran 6x slower
    than a multiply (7 ms on 2048 x 256 float32).  For NumPy floats of the mask's shape the
    zeros are written by clearing bits instead: an AND with 0 (drop) or all ones (keep).
    """
    if (type(values) is not numpy.ndarray or type(drop) is not numpy.ndarray or values.dtype.kind != "f"
            or drop.shape != values.shape):
        return array_module(values).where(drop, 0, values)
    integer = numpy.dtype(f"i{values.itemsize}")
    bits = drop.astype(integer)          # 1 where dropped, 0 where kept
    numpy.subtract(bits, 1, out=bits)    # 0 where dropped, all ones where kept
    return numpy.bitwise_and(values.view(integer), bits, out=bits).view(values.dtype)


# below this many elements NumPy's where, one call, costs less than branchless_where's four
_SELECT_BY_BITS_FROM = 1024


def branchless_where(xp, condition, a, b):
    """``xp.where(condition, a, b)``, the same result to the bit, without NumPy's branch per element.

    NumPy's ``where`` branches on each element: on a condition with no pattern (``x > 0`` of a
    layer's activations) it took 4.1 ns a value here, where choosing by bit masks takes 0.6 ns
    (float32; 1.3 ns float64): ``(a & keep) | (b & ~keep)`` on the floats' bits, ``keep`` all ones
    where the condition holds.  Taken for a row-major boolean NumPy ``condition`` of at least
    ``_SELECT_BY_BITS_FROM`` elements, ``a`` and ``b`` row-major float arrays of its shape and one
    dtype, or one of them the number 0 (then ``zero_where``); anything else (CuPy,
    Tensors under create_graph, broadcasting, other layouts) goes to ``xp.where`` itself.
    """
    if (xp is not numpy or type(condition) is not numpy.ndarray or condition.dtype != bool
            or condition.size < _SELECT_BY_BITS_FROM or not condition.flags.c_contiguous):
        return xp.where(condition, a, b)
    like = a if type(a) is numpy.ndarray else b
    if (type(like) is not numpy.ndarray or like.dtype.kind != "f"
            or not (_choosable_by_bits(a, like, condition) and _choosable_by_bits(b, like, condition))):
        return xp.where(condition, a, b)
    if type(b) is not numpy.ndarray:           # b is 0: a where the condition holds, else +0.0
        return zero_where(~condition, a)
    if type(a) is not numpy.ndarray:           # a is 0
        return zero_where(condition, b)
    integer = numpy.dtype(f"i{like.itemsize}")
    keep = condition.astype(integer)           # 1 where a is taken, 0 where b
    numpy.negative(keep, out=keep)             # all ones where a is taken
    chosen = numpy.bitwise_and(a.view(integer), keep)
    numpy.invert(keep, out=keep)
    numpy.bitwise_and(b.view(integer), keep, out=keep)
    return numpy.bitwise_or(chosen, keep, out=chosen).view(like.dtype)


def _choosable_by_bits(value, like, condition):
    """Can ``branchless_where`` choose ``value`` by its bits: ``like`` itself (an array) or a row-major array
    of its dtype and the condition's shape, or the number 0 (+0.0: where's result for it)?"""
    if type(value) is numpy.ndarray:
        return value.dtype == like.dtype and value.shape == condition.shape and value.flags.c_contiguous
    return type(value) in (int, float) and value == 0 and str(value)[0] != "-"


def positive_domain_nans(result, *arguments, keep=None):
    """``result`` of a function of ``arguments`` with the NaNs it made itself, outside its domain
    (``log(-1)``, ``sqrt(-1)``), positive, as torch's CPU kernels make them (SLEEF's vectors and
    the C library's scalars alike); x86 NumPy makes its default NaN there, -NaN.  A NaN argument's
    NaN passes through with its sign, in both.  ``keep``: a mask of places left as NumPy has them
    (torch's scalar tail, where its kernel gives -NaN too), or a function giving it, called only
    where there are NaNs.  The sign shows only through
    ``copysign``, ``signbit`` and bit views (fuzz seed 8905865).  CuPy's results: as they are."""
    if not isinstance(result, (numpy.ndarray, numpy.generic)) or result.dtype.kind != "f":
        return result
    made = numpy.isnan(result)
    if not made.any():
        return result
    for argument in arguments:
        made = made & ~numpy.isnan(argument)
    keep = keep() if callable(keep) else keep
    if keep is not None:
        made = made & ~keep
    return numpy.where(made, numpy.abs(result), result)


def scatter_add(target, index, values, wide=False):
    """``target[index] += values`` with repeated indices accumulated (in place), one after another
    in ``target``'s dtype (torch's index_put_ and index_add_ of float16: three values of 38 that
    cancel give -0.03125), or with ``wide`` a float16 target in float32, rounded once (torch's
    scatter_add_ and gather's backward: -0.015625)."""
    xp = array_module(target)
    if wide and target.dtype == xp.float16:
        widened = target.astype(xp.float32)
        scatter_add(widened, index, values.astype(xp.float32))
        target[...] = widened
        return target
    if type(index) is tuple and len(index) == 1:   # target[(rows,)] is target[rows] (an embedding's key)
        index = index[0]
    if xp is numpy and _rows_of_first_axis(target, index, values):
        _scatter_add_rows(target, index, values)
    elif xp is numpy:
        numpy.add.at(target, index, values)
    elif hasattr(xp.add, "at"):   # CuPy >= 13, which deprecates cupyx.scatter_add for it
        xp.add.at(target, index, values)
    else:  # CuPy's ufunc.at arrived late; cupyx.scatter_add is its long-standing spelling
        import cupyx
        cupyx.scatter_add(target, index, values)
    return target


def _rows_of_first_axis(target, index, values):
    """Is this ``target[index] += values`` whole rows picked by one integer vector (an embedding's
    gradient, ``index_add``)?"""
    return (isinstance(index, numpy.ndarray) and index.ndim == 1 and index.dtype.kind in "iu"
            and index.size > 0 and target.ndim >= 2 and values.shape == index.shape + target.shape[1:]
            and target.dtype != numpy.float16)      # (whose reduceat sums wide, not one after another)


def _scatter_add_rows(target, index, values):
    """``numpy.add.at(target, index, values)`` for rows, in its order: each index's rows added one after
    another, as torch's embedding backward and index_add_ add them (a reduction's pairwise sum of ten
    cancelling gradients gave 1.2e-4 for torch's 4.6e-5: fuzz seed 30140187).  ``add.at`` goes row by
    row, 2-5x slower than whole-array adds for many long rows, so those go by rank: the first row of
    every index in one fancy-indexed add, then the second of each, and so on; an index's rows past the
    ``RANK_LOOP_LIMIT``-th (a padding index repeated thousands of times) go through ``add.at``."""
    index = numpy.where(index < 0, index + target.shape[0], index)   # -1 and n - 1 are one row
    # add.at costs about 8 ns a value; a rank about 8 us (measured on float32 rows of 3-200 values)
    ranks = min(int(numpy.bincount(index).max()), RANK_LOOP_LIMIT)
    if ranks * 8 + 30 >= values.size * 0.008:
        numpy.add.at(target, index, values)
        return
    order = numpy.argsort(index, kind="stable")
    sorted_index = index[order]
    positions = numpy.arange(index.size)
    first = numpy.concatenate(([True], sorted_index[1:] != sorted_index[:-1]))
    rank = positions - numpy.maximum.accumulate(numpy.where(first, positions, 0))
    by_rank = order[numpy.argsort(rank, kind="stable")]
    counts = numpy.bincount(rank)
    done = 0
    for count in counts[:RANK_LOOP_LIMIT]:
        rows = by_rank[done:done + count]
        target[index[rows]] += values[rows]
        done += count
    if done < index.size:
        rest = by_rank[done:]
        rest = rest[numpy.argsort(index[rest], kind="stable")]   # each index's rows in their order
        numpy.add.at(target, index[rest], values[rest])


RANK_LOOP_LIMIT = 64     # ranks taken by whole-array adds before the rest goes through add.at