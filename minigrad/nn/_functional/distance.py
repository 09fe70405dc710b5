"""``F.cosine_similarity`` (torch's composition) and ``F.pairwise_distance``."""
from __future__ import annotations

from ...core import dtypes
from ...core.grad_mode import no_grad
from ...ops.arithmetic import as_operands
from ...ops.broadcast import broadcast_shapes
from ...ops.reduction import norm

__all__ = ["cosine_similarity", "pairwise_distance"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (inputs broadcast): ``dim`` removed.

    torch's composition (``at::native::cosine_similarity``), op for op, so its gradients, nodes and
    saved tensors are torch's: each input over its 2-norm, the norm cloned and clamped at ``eps``
    in place under ``no_grad`` (the gradient flows through the unclamped norm), the products summed.
    A fused node with a closed-form backward gave NaN where a norm is 0, clamped or past the
    range and torch's composition does not (fuzz seeds 7001661, 7200102, 7300693)."""
    x1, x2 = as_operands(x1, x2)
    common = x1.array.dtype
    if common.kind not in "fc":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{dtypes.scalar_type_name(common)}")
    ndim = max(x1.array.ndim, x2.array.ndim)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {dim})")
    if x1.shape != x2.shape:    # torch's expand_outplace: both expanded (views) unless the shapes agree
        shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
        x1, x2 = x1.expand(shape), x2.expand(shape)
    norms = [norm(x, 2, dim=dim, keepdim=True).clone() for x in (x1, x2)]
    with no_grad():
        for length in norms:
            length.clamp_min_(eps)
    return ((x1 / norms[0]) * (x2 / norms[1])).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dim (torch adds ``eps`` to the difference): ``(N, D)`` -> ``(N,)``."""
    x1, x2 = as_operands(x1, x2)
    last_dim = max(x1.array.ndim, x2.array.ndim) - 1
    return norm(x1 - x2 + eps, p, dim=max(last_dim, 0) if last_dim >= 0 else None, keepdim=keepdim)
