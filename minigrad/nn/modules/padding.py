"""``ConstantPad1d`` and ``ZeroPad1d``: the last dim padded through ``F.pad``."""
from __future__ import annotations

from .._functional.padding import pad
from .module import Module

__all__ = ["ConstantPad1d", "ZeroPad1d"]


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
