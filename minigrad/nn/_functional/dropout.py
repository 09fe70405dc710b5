"""``F.dropout``: zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
from __future__ import annotations

from ...core import random
from ...ops.arithmetic import mul, mul_
from ...core.tensor import Tensor

__all__ = ["dropout"]


def _check_probability(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout, active only when ``training``: the expected value is unchanged.

    The mask is drawn from minigrad's global generator; the gradient is the
    same mask times the incoming gradient (the mask multiplies as a constant).
    """
    _check_probability(p)
    if not training or p == 0.0:
        return input
    keep = 1.0 - p
    draws = random.uniform(input.array.shape, input.array.dtype, input.device)
    # a kept element is scaled by 1 / (1 - p); with p == 1 every element is dropped
    mask = (draws < keep).astype(input.array.dtype) * (1.0 / keep if keep > 0 else 0.0)
    mask = Tensor._wrap(mask.astype(input.array.dtype, copy=False))
    return mul_(input, mask) if inplace else mul(input, mask)
