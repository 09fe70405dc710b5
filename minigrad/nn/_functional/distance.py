"""``F.cosine_similarity`` (fused, closed-form backward) and ``F.pairwise_distance``."""
from __future__ import annotations

import numpy

from ...core.function import Function
from ...core.device import array_module
from ...ops.arithmetic import as_operands
from ...ops.broadcast import broadcast_shapes, sum_to
from ...ops.reduction import norm

__all__ = ["cosine_similarity", "pairwise_distance"]


class CosineSimilarity(Function):
    """``sum(x1 * x2, dim) / (max(|x1|, eps) * max(|x2|, eps))``: broadcast inputs -> ``dim`` removed.

    torch clamps the norms under ``no_grad``, so its backward differentiates the
    unclamped norms: with ``s = x1 . x2`` and ``c_i = max(|x_i|, eps)``,
    ``dy/dx1 = x2 / (c1 c2) - s / (c1^2 c2) * x1 / |x1|`` (the last factor 0 where ``|x1| = 0``).
    """

    def name(self):
        return "SumBackward1"    # torch composes it and sums (x1 / c1) * (x2 / c2) last

    def forward(self, x1, x2, dim, eps):
        xp = array_module(x1)
        self.shapes = (x1.shape, x2.shape)
        a, b = xp.broadcast_arrays(x1, x2)
        self.dim, self.eps = dim, eps
        wide = [x.astype(numpy.float32) if x.dtype.itemsize == 2 else x for x in (a, b)]   # (torch's half norms)
        norm_a, norm_b = [_two_norm(xp, x, dim).astype(a.dtype, copy=False) for x in wide]
        clamped_a, clamped_b = xp.maximum(norm_a, a.dtype.type(eps)), xp.maximum(norm_b, a.dtype.type(eps))
        dot = (a * b).sum(axis=dim, keepdims=True)
        saved = [x1, x2]
        for index, needs_grad in enumerate(self.needs_input_grad):
            if any(self.needs_input_grad) and not needs_grad:
                # torch's composition reads an operand that needs no gradient only through
                # ``x / |x|``, a new tensor: a later write to it changes nothing there
                saved[index] = saved[index].copy()
                self.save_copy_of_input(index, saved[index])
        self.save_for_backward(*saved)
        self.stats = (norm_a, norm_b, clamped_a, clamped_b, dot)
        # torch's order: each input over its clamped norm, their product summed (in float32 for half
        # precision): within the rounding of dot / (|a| |b|), which in float16 passes 1 (fuzz seed 7000780)
        product = (a / clamped_a) * (b / clamped_b)
        if product.dtype.itemsize == 2:
            return product.astype(numpy.float32).sum(axis=dim).astype(product.dtype)
        return product.sum(axis=dim)

    def composite(self, x1, x2):
        """torch's own composition, for a backward recorded as a graph (create_graph=True): each input over
        its norm, the norm clamped at ``eps`` in value only (torch clamps under ``no_grad``)."""
        shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
        a, b = x1.expand(shape), x2.expand(shape)

        def clamped_norm(x):
            length = norm(x, 2, dim=self.dim, keepdim=True)
            return length + (length.clamp_min(self.eps) - length).detach()

        return ((a / clamped_norm(a)) * (b / clamped_norm(b))).sum(self.dim)

    def backward(self, grad_output):
        x1, x2 = self.saved_tensors
        xp = array_module(x1)
        a, b = xp.broadcast_arrays(x1, x2)
        norm_a, norm_b, clamped_a, clamped_b, dot = self.stats
        grad = xp.expand_dims(grad_output, self.dim) / (clamped_a * clamped_b)

        def one_side(this, other, this_norm, this_clamped, shape):
            unit = this / xp.where(this_norm == 0, 1, this_norm)   # d|x|/dx, 0 at x = 0 as torch
            return sum_to(grad * (other - dot / this_clamped * unit), shape)

        grad_x1 = one_side(a, b, norm_a, clamped_a, self.shapes[0]) if self.needs_input_grad[0] else None
        grad_x2 = one_side(b, a, norm_b, clamped_b, self.shapes[1]) if self.needs_input_grad[1] else None
        return grad_x1, grad_x2


def _two_norm(xp, x, dim):
    """torch's 2-norm along ``dim`` (kept): over one element its absolute value, not the root of its
    square (of -1e308 1e308, not inf; of a float32 -3e38 3e38: fuzz seeds 7009981, 7001856 with the
    layer template)."""
    if x.shape[dim] == 1:
        return xp.abs(x)
    return xp.sqrt((x * x).sum(axis=dim, keepdims=True))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (inputs broadcast): ``dim`` removed."""
    x1, x2 = as_operands(x1, x2)
    ndim = max(x1.array.ndim, x2.array.ndim)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {dim})")
    return CosineSimilarity.apply(x1, x2, dim=dim % max(ndim, 1), eps=eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dim (torch adds ``eps`` to the difference): ``(N, D)`` -> ``(N,)``."""
    x1, x2 = as_operands(x1, x2)
    last_dim = max(x1.array.ndim, x2.array.ndim) - 1
    return norm(x1 - x2 + eps, p, dim=max(last_dim, 0) if last_dim >= 0 else None, keepdim=keepdim)
