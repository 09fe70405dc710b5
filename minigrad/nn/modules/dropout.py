"""``Dropout`` (elements) and ``Dropout1d/2d/3d`` (whole channels): random zeroing in training mode, the
identity in eval mode."""
from __future__ import annotations

from .._functional.dropout import _check_probability, dropout, dropout1d, dropout2d, dropout3d
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class Dropout(Module):
    """Zero each element with probability ``p`` while training; scale the rest by ``1 / (1 - p)``."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_probability(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` with probability ``p`` while training."""

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p`` while training (a conv net's dropout)."""

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` with probability ``p`` while training."""

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace)
