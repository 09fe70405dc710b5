"""Counting ops without gradients: ``unique`` (whose values require grad, with no derivative, as torch),
``bincount`` and ``isin``.

Both return integer bookkeeping (counts, inverse indices) as int64 and keep
the input's dtype for the values, as torch does.
"""
from __future__ import annotations

from ..core import dtypes
from ..core.device import array_module
from ..core.function import Function
from ..core.tensor import Tensor

__all__ = ["unique", "bincount", "isin"]

_INT64 = dtypes.int64.numpy


class Unique(Function):
    """The sorted distinct values; torch has no derivative for them: the result requires grad
    when the input does, and backward raises torch's NotImplementedError (also with create_graph=True)."""

    differentiable_backward = True

    def name(self):
        return "Unique2Backward0"

    def forward(self, x, values):
        return values

    def backward(self, grad_output):
        raise NotImplementedError("the derivative for '_unique2' is not implemented.")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` (flattened), in ascending order.

    With ``return_inverse`` also the int64 index of each input element in the
    result (the input's shape); with ``return_counts`` the int64 count of each.
    torch sorts on CPU even when ``sorted=False``, and so does this.
    """
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported by minigrad (only dim=None)")
    xp = array_module(input.array)
    # torch keeps every NaN apart (NaN != NaN), after the numbers, in their order
    found, inverse, counts = xp.unique(input.array.reshape(-1), return_inverse=True, return_counts=True,
                                       equal_nan=False)
    values = Unique.apply(input, values=found) if input.requires_grad else Tensor._wrap(found)
    result = [values]
    if return_inverse:
        result.append(Tensor._wrap(inverse.reshape(input.array.shape).astype(_INT64, copy=False)))
    if return_counts:
        result.append(Tensor._wrap(counts.astype(_INT64, copy=False)))
    return result[0] if len(result) == 1 else tuple(result)


def bincount(input, weights=None, minlength=0):
    """How often each value ``0..max(input)`` occurs in the 1-D non-negative int ``input``.

    With ``weights`` (1-D, one per element) each occurrence adds its weight:
    float32 weights give float32, any other weights float64 (as torch).
    """
    array = input.array
    if array.dtype.kind == "f":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{dtypes.scalar_type_name(input.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if array.ndim != 1 or (array.size and int(array.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = array_module(array)
    if weights is None:
        return Tensor._wrap(xp.bincount(array, minlength=minlength).astype(_INT64, copy=False))
    if weights.array.ndim != 1 or weights.array.shape[0] != array.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = weights.array.dtype if weights.array.dtype == dtypes.float32.numpy else dtypes.float64.numpy
    counts = xp.bincount(array, weights=weights.array, minlength=minlength)
    return Tensor._wrap(counts.astype(out_dtype, copy=False))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of ``elements`` is among ``test_elements`` (either may be a number): bool, of
    ``elements``' shape; both compared in their promoted dtype (NaN is in nothing)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        names = f"{type(elements).__name__}, {type(test_elements).__name__}"
        raise TypeError(f"isin() received an invalid combination of arguments - got ({names}), but expected one "
                        "of:\n * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert "
                        "= False, Tensor out = None)\n * (Number element, Tensor test_elements, *, bool "
                        "assume_unique = False, bool invert = False, Tensor out = None)\n * (Tensor elements, "
                        "Number test_element, *, bool assume_unique = False, bool invert = False, Tensor out = "
                        "None)\n")
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = array_module(like.array)
    for item in (elements, test_elements):
        if isinstance(item, bool) or isinstance(item, Tensor) and item.array.dtype.kind in "bc":
            kind = "Bool" if isinstance(item, bool) else dtypes.scalar_type_name(item.array.dtype)
            raise RuntimeError(f"Unsupported input type encountered for isin(): {kind}")
    common = dtypes.result_type(elements, test_elements)
    values, tests = (xp.asarray(item.array if isinstance(item, Tensor) else item).astype(common)
                     for item in (elements, test_elements))
    return Tensor._wrap(xp.isin(values, tests, invert=invert))
