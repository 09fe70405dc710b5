"""``F.glu``: the gated linear unit, with a closed-form backward (channel dropout is in dropout.py)."""
from __future__ import annotations

from ...core.device import array_module
from ...core.function import Function

__all__ = ["glu"]


class GLU(Function):
    """``a * sigmoid(b)`` with ``a, b`` the two halves of ``x`` along ``dim``: the size there halves.

    With ``s = sigmoid(b)``: ``grad_a = g * s`` and ``grad_b = g * a * s * (1 - s)``.
    """

    def name(self):
        return "GluBackward0"

    def forward(self, x, dim):
        xp = array_module(x)
        self.dim = dim
        first, second = xp.split(x, 2, axis=dim)
        gate = 1 / (1 + xp.exp(-second))
        self.save_for_backward(x)
        self.gate = gate
        return first * gate

    def composite(self, x):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True)."""
        first, second = x.chunk(2, self.dim)
        return first * second.sigmoid()

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        xp = array_module(x)
        first, _ = xp.split(x, 2, axis=self.dim)
        gate = self.gate
        grad_first = grad_output * gate
        grad_second = grad_first * first * (1 - gate)
        return xp.concatenate([grad_first, grad_second], axis=self.dim)


def glu(input, dim=-1):
    """Gated linear unit: ``input`` ``(*, 2H, *)`` split along ``dim`` into ``a, b`` -> ``a * sigmoid(b)`` ``(*, H, *)``."""
    ndim = input.array.ndim
    if ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    dim %= ndim
    if input.array.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {input.array.shape[dim]}")
    return GLU.apply(input, dim=dim)
