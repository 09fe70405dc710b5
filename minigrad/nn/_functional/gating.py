"""``F.glu`` (gated linear unit, closed-form backward) and ``F.dropout1d`` (channel dropout)."""
from __future__ import annotations

from ...core import random
from ...core.function import Function
from ...core.device import array_module
from ...ops.arithmetic import mul, mul_
from ...core.tensor import Tensor
from .dropout import _check_probability

__all__ = ["glu", "dropout1d"]


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


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` with probability ``p``; scale the rest by ``1 / (1 - p)``.

    One Bernoulli draw per (sample, channel), broadcast along ``L`` (torch's feature dropout).
    """
    _check_probability(p)
    ndim = input.array.ndim
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if not training or p == 0.0:
        return input
    keep = 1.0 - p
    draws = random.uniform(input.array.shape[:-1] + (1,), input.array.dtype, input.device)
    mask = (draws < keep).astype(input.array.dtype) * (1.0 / keep if keep > 0 else 0.0)
    mask = Tensor._wrap(mask.astype(input.array.dtype, copy=False))
    return mul_(input, mask) if inplace else mul(input, mask)
