"""Padding layers through ``F.pad``: ``ConstantPad1d/2d``, ``ZeroPad1d/2d`` and the copying modes
``ReflectionPad1d/2d``, ``ReplicationPad1d/2d``, ``CircularPad1d/2d``."""
from __future__ import annotations

from .._functional.padding import pad
from .module import Module

__all__ = ["ConstantPad1d", "ZeroPad1d", "ConstantPad2d", "ZeroPad2d", "ReflectionPad1d", "ReflectionPad2d",
           "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d"]


def _pair(padding):
    """``2`` -> ``(2, 2)``; a (left, right) pair is kept (torch's ``_pair``)."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding, padding)


class ConstantPad1d(Module):
    """Pad the last dim with ``value``: ``(*, W)`` -> ``(*, left + W + right)``."""

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _pair(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros: ``(*, W)`` -> ``(*, left + W + right)``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _quadruple(padding):
    """``2`` -> ``(2, 2, 2, 2)`` (left, right, top, bottom); a 4-tuple is kept (torch's ``_quadruple``)."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * 4


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dims with ``value``: ``(*, H, W)`` -> ``(*, top + H + bottom, left + W + right)``."""

    def __init__(self, padding, value):
        super().__init__(0, value)
        self.padding = _quadruple(padding)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _CopyingPad(Module):
    """Padding that copies input elements (``mode``): reflect, replicate or circular."""

    mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _pair(padding) if self.dims == 1 else _quadruple(padding)

    def forward(self, input):
        return pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_CopyingPad):
    """Mirror the last dim about its end elements: ``[1, 2, 3]`` padded by 2 is ``[3, 2, 1, 2, 3, 2, 1]``."""

    dims, mode = 1, "reflect"


class ReflectionPad2d(_CopyingPad):
    """Mirror the last two dims about their edges."""

    dims, mode = 2, "reflect"


class ReplicationPad1d(_CopyingPad):
    """Repeat the end elements of the last dim."""

    dims, mode = 1, "replicate"


class ReplicationPad2d(_CopyingPad):
    """Repeat the edge elements of the last two dims."""

    dims, mode = 2, "replicate"


class CircularPad1d(_CopyingPad):
    """Wrap the last dim around (periodic padding)."""

    dims, mode = 1, "circular"


class CircularPad2d(_CopyingPad):
    """Wrap the last two dims around (periodic padding)."""

    dims, mode = 2, "circular"
