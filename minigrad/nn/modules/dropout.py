"""``Dropout`` and ``Dropout1d``: random zeroing in training mode, the identity in eval mode."""
from __future__ import annotations

from .._functional.dropout import _check_probability, dropout
from .._functional.gating import dropout1d
from .module import Module

__all__ = ["Dropout", "Dropout1d"]


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
    """Zero whole channels of ``(N, C, L)`` / ``(C, L)`` with probability ``p`` while training."""

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)
