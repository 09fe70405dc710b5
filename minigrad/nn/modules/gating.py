"""``GLU`` and ``Dropout1d``: parameter-free layers around ``F.glu`` and ``F.dropout1d``."""
from __future__ import annotations

from .._functional.gating import dropout1d, glu
from .dropout import Dropout
from .module import Module

__all__ = ["GLU", "Dropout1d"]


class GLU(Module):
    """``a * sigmoid(b)`` with ``a, b`` the halves of the input along ``dim``: ``(*, 2H)`` -> ``(*, H)``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Dropout1d(Dropout):
    """Zero whole channels of ``(N, C, L)`` / ``(C, L)`` with probability ``p`` while training."""

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)
