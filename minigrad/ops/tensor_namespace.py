"""The array-module functions that backward formulas call, for Tensors: the second interpreter.

An op's backward is written once, with operators and ``xp = array_module(x)``
functions (``xp.exp``, ``xp.where``, ``xp.matmul``).  Given arrays it runs NumPy or
CuPy; given Tensors (``create_graph=True``) ``array_module`` returns this namespace,
whose functions are minigrad's differentiable ops (reached through the Tensor
methods that ``ops/_methods.py`` binds), so the same formula records a graph of
the backward pass.  Only what audited formulas use is here: a formula that needs
anything else fails loudly (AttributeError), never silently.
"""
from __future__ import annotations


from ..core import dtypes
from ..core.device import array_module
from ..core.layout import cast
from ..core.tensor import Tensor
from . import join, linalg


def _as_tensor(value, like):
    """A Python number as a constant tensor of ``like``'s dtype and device (``like`` is a Tensor)."""
    if isinstance(value, Tensor):
        return value
    return Tensor._wrap(array_module(like.array).asarray(value, dtype=like.array.dtype))


class TensorNamespace:
    """``numpy``'s spelling, minigrad's differentiable ops."""

    __name__ = "minigrad.ops.tensor_namespace"
    nan = float("nan")
    inf = float("inf")

    @staticmethod
    def exp(x):
        return x.exp()

    @staticmethod
    def log(x):
        return x.log()

    @staticmethod
    def log1p(x):
        return x.log1p()

    @staticmethod
    def expm1(x):
        return x.expm1()

    @staticmethod
    def sqrt(x):
        return x.sqrt()

    @staticmethod
    def tanh(x):
        return x.tanh()

    @staticmethod
    def sin(x):
        return x.sin()

    @staticmethod
    def cos(x):
        return x.cos()

    @staticmethod
    def sinh(x):
        return x.sinh()

    @staticmethod
    def cosh(x):
        return x.cosh()

    @staticmethod
    def sign(x):
        return x.sign()

    @staticmethod
    def abs(x):
        return x.abs()

    @staticmethod
    def isfinite(x):
        return x.isfinite()

    @staticmethod
    def isnan(x):
        return x.isnan()

    @staticmethod
    def trunc(x):
        return x.trunc()

    @staticmethod
    def floor_divide(a, b):
        return a.floor_divide(b)

    @staticmethod
    def matmul(a, b):
        return a.matmul(b)

    @staticmethod
    def zeros_like(x):
        return x.new_zeros(tuple(x.shape))

    @staticmethod
    def ones_like(x):
        return x.new_ones(tuple(x.shape))

    @staticmethod
    def maximum(a, b):
        return a.maximum(_as_tensor(b, a))

    @staticmethod
    def minimum(a, b):
        return a.minimum(_as_tensor(b, a))

    @staticmethod
    def clip(x, low, high):
        return x.clamp(low, high)

    @staticmethod
    def erf(x):
        return x.erf()

    @staticmethod
    def expand_dims(x, axes):
        for axis in sorted(axis % (x.ndim + len(_as_tuple(axes))) for axis in _as_tuple(axes)):
            x = x.unsqueeze(axis)
        return x

    @staticmethod
    def broadcast_to(x, shape):
        return x.expand(tuple(shape))

    @staticmethod
    def swapaxes(x, axis1, axis2):
        return x.transpose(axis1, axis2)

    @staticmethod
    def transpose(x, axes):
        return x.permute(tuple(axes))

    @staticmethod
    def moveaxis(x, source, destination):
        return x.movedim(source, destination)

    @staticmethod
    def flip(x, axes):
        return x.flip(_as_tuple(axes))

    @staticmethod
    def roll(x, shifts, axes):
        return x.roll(shifts, axes)

    @staticmethod
    def cumsum(x, axis):
        return x.cumsum(axis)

    @staticmethod
    def cumprod(x, axis):
        return x.cumprod(axis)

    @staticmethod
    def einsum(spec, *operands):
        return linalg.einsum(spec, *operands)

    @staticmethod
    def diagonal(x, offset):
        return linalg.diag(x, offset)       # of a matrix: its diagonal ``offset``

    @staticmethod
    def ascontiguousarray(x):
        return x.contiguous()

    @staticmethod
    def split(x, offsets, axis):
        bounds = [0, *offsets, x.shape[axis]]
        return x.split([end - start for start, end in zip(bounds, bounds[1:])], axis)

    @staticmethod
    def concatenate(tensors, axis):
        return join.cat(list(tensors), axis)

    @staticmethod
    def stack(tensors, axis):
        return join.stack(list(tensors), axis)

    @staticmethod
    def where(condition, a, b):
        """``a`` where ``condition``, else ``b`` (either may be a number)."""
        condition = condition if isinstance(condition, Tensor) else Tensor._wrap(condition)
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):   # two numbers: a constant
            return Tensor._wrap(array_module(condition.array).where(condition.array, a, b))
        like = a if isinstance(a, Tensor) else b
        return _as_tensor(a, like).where(condition, _as_tensor(b, like))

    @staticmethod
    def tril(x, diagonal):
        return x.tril(diagonal)

    @staticmethod
    def triu(x, diagonal):
        return x.triu(diagonal)


def astype(x, dtype):
    """``x`` as ``dtype`` (a NumPy dtype): for arrays ``x.astype(dtype, copy=False)`` in the layout of
    torch's cast (``layout.cast``: an expanded array made dense as torch does), ``x.to`` for Tensors."""
    if hasattr(x, "astype"):
        return cast(x, dtype)
    return x.to(dtype if isinstance(dtype, dtypes.dtype) else dtypes.from_numpy_dtype(dtype))


def half_in_float32(x):
    """``x`` in float32 if it is half precision (float16, bfloat16), else as it is: torch's kernels
    compute half precision in float32 (``x`` an array, or a Tensor in a differentiable backward)."""
    return astype(x, dtypes.float32.numpy) if x.dtype.itemsize == 2 else x


def zeros(like, shape, dtype=None):
    """Zeros of ``shape`` and ``dtype`` (a NumPy dtype; default ``like``'s) on ``like``'s device:
    an array, or for a Tensor ``like`` (create_graph=True) a constant Tensor (no graph, as torch's)."""
    data = like.array if isinstance(like, Tensor) else like
    result = array_module(data).zeros(shape, data.dtype if dtype is None else dtype)
    return Tensor._wrap(result) if isinstance(like, Tensor) else result


def _as_tuple(axes):
    return tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
