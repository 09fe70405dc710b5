"""``cdist``: the p-norm distance between every row of ``x1`` and every row of ``x2``, as torch's.

Two ways, chosen as torch chooses them (``compute_mode``):

* directly: the differences of every pair of rows, their p-norm (``Cdist``, torch's
  ``CdistBackward0``); its gradient is torch's ``_cdist_backward`` (0 where a distance is 0);
* for the Euclidean distance between many rows (more than 25 in either, by default), torch's
  ``_euclidean_dist``: ``|a|^2 - 2 a.b + |b|^2`` as one matrix product, clamped at 0 and rooted,
  composed of ordinary ops (its gradient is theirs; ``grad_fn`` torch's ``ViewBackward0``).
"""
from __future__ import annotations

import math

from ..core import dtypes
from ..core.device import array_module
from ..core.function import Function
from .broadcast import broadcast_shapes, sum_to
from .factories import ones_like
from .join import cat

__all__ = ["cdist"]

_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1, "donot_use_mm_for_euclid_dist": 2}


class Cdist(Function):
    """Distances of rows ``(*, P, M)`` and ``(*, R, M)``: ``(*, P, R)`` (batch dims broadcast)."""

    def forward(self, x1, x2, p):
        xp = array_module(x1)
        self.shapes = x1.shape, x2.shape
        difference = x1[..., :, None, :] - x2[..., None, :, :]      # (*, P, R, M)
        if p == 0:
            distance = (difference != 0).sum(-1).astype(x1.dtype)
        elif p == 1:
            distance = xp.abs(difference).sum(-1)
        elif p == 2:
            distance = xp.sqrt((difference * difference).sum(-1))
        elif p == math.inf:
            distance = xp.abs(difference).max(-1, initial=0)
        else:
            distance = (xp.abs(difference) ** p).sum(-1) ** (1 / p)
        self.p = p
        self.save_for_backward(difference, distance)
        return distance

    def backward(self, grad_output):
        difference, distance = self.saved_tensors
        xp, p = array_module(difference), self.p
        shape1, shape2 = self.shapes
        if p == 0:
            return xp.zeros(shape1, difference.dtype), xp.zeros(shape2, difference.dtype)
        grad, distance = grad_output[..., None], distance[..., None]
        if p == 1:
            pair = grad * xp.sign(difference)
        elif p == math.inf:
            pair = grad * xp.sign(difference) * (xp.abs(difference) == distance)
        else:
            with_distance = distance != 0
            safe = xp.where(with_distance, distance, 1)
            if p == 2:
                pair = grad * difference / safe
            elif p < 2:
                pair = grad * xp.sign(difference) * xp.abs(difference) ** (p - 1) / safe ** (p - 1)
            else:
                pair = grad * difference * xp.abs(difference) ** (p - 2) / safe ** (p - 1)
            pair = xp.where(with_distance, pair, 0)
        return sum_to(pair.sum(-2), shape1), sum_to(-pair.sum(-3), shape2)


def _euclidean_distances(rows1, rows2):
    """torch's ``_euclidean_dist`` of ``(B, P, M)`` and ``(B, R, M)``: one matrix product of the rows
    padded with their squared norms and ones, clamped at 0, square-rooted (Tensors, recorded)."""
    norms1 = rows1.pow(2).sum(-1, keepdim=True)
    norms2 = rows2.pow(2).sum(-1, keepdim=True)
    padded1 = cat([rows1.mul(-2), norms1, ones_like(norms1)], -1)
    padded2 = cat([rows2, ones_like(norms2), norms2], -1)
    return (padded1 @ padded2.mT).clamp_min_(0).sqrt_()


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """``(*, P, M)`` and ``(*, R, M)`` (batch dims broadcast) -> ``(*, P, R)``: the p-norm (``p >= 0``,
    ``inf`` the largest difference, ``0`` the count of differing columns) of each pair of rows."""
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.array.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{dtypes.scalar_type_name(x.array.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    rows1, rows2, columns = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    count, mode = math.prod(batch), _MODES[compute_mode]
    if p == 2 and rows1 and rows2 and count and columns and (mode == 1 or (mode == 0 and (rows1 > 25 or rows2 > 25))):
        flat1 = x1.expand(*batch, rows1, columns).reshape(count, rows1, columns)
        flat2 = x2.expand(*batch, rows2, columns).reshape(count, rows2, columns)
        return _euclidean_distances(flat1, flat2).view(*batch, rows1, rows2)
    return Cdist.apply(x1, x2, p=float(p))
