"""``minigrad.finfo`` / ``minigrad.iinfo``: the limits of a dtype, as ``torch.finfo`` / ``torch.iinfo``.

``finfo(minigrad.float32).eps``, ``.max``, ``.min``, ``.tiny`` (= ``smallest_normal``),
``.resolution``, ``.bits``, ``.dtype`` (the name); ``finfo()`` describes the
default dtype.  ``iinfo(minigrad.int64).max`` ... for integer dtypes.  The
values are NumPy's for the same type, which are IEEE's (and so torch's).
"""
from __future__ import annotations

import numpy

from .core import dtypes

__all__ = ["finfo", "iinfo"]


class finfo:
    """Machine limits of a floating point dtype."""

    def __init__(self, type=None):
        type = dtypes.get_default_dtype() if type is None else type
        if not isinstance(type, dtypes.dtype) or not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = numpy.finfo(type.numpy)
        self.bits = int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        # torch's resolution is exactly 10**-precision (1e-6 for float32); NumPy's is rounded to the type
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype."""

    def __init__(self, type):
        if type is dtypes.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if not isinstance(type, dtypes.dtype) or type.numpy.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = numpy.iinfo(type.numpy)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
