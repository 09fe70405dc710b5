"""``F.dropout``: zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``;
``F.dropout1d/2d/3d``: the same for whole channels."""
from __future__ import annotations

import warnings

from ...core import random
from ...ops.arithmetic import mul, mul_
from ...core.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


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


def _feature_dropout(input, p, training, inplace, channel_dims=2):
    """Zero whole channels: one keep/drop draw per ``(n, c)`` (per ``c`` for one unbatched sample,
    ``channel_dims=1``), broadcast over the spatial dims."""
    if input.array.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0:
        return input
    keep = 1.0 - p
    shape = input.array.shape[:channel_dims] + (1,) * (input.array.ndim - channel_dims)
    draws = random.uniform(shape, input.array.dtype, input.device)
    mask = (draws < keep).astype(input.array.dtype) * (1.0 / keep if keep > 0 else 0.0)
    mask = Tensor._wrap(mask.astype(input.array.dtype, copy=False))
    return mul_(input, mask) if inplace else mul(input, mask)


def _warn_dims(name, ndim, spatial, allowed):
    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error "
                  f"in a future release. To retain the behavior and silence this warning, please use dropout "
                  f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} "
                  f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {allowed} "
                  "inputs).", stacklevel=3)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, L)`` (or one sample ``(C, L)``) with probability ``p``; scale the rest
    by ``1 / (1 - p)``."""
    _check_probability(p)
    if input.array.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.array.ndim}D input. Note "
                           "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
                           "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, 2 if input.array.ndim == 3 else 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (2-d feature maps) of ``(N, C, H, W)`` with probability ``p``; scale the rest by
    ``1 / (1 - p)``.  As torch, a 3-d input is read as ``(N, C, L)`` (with torch's warning)."""
    _check_probability(p)
    ndim = input.array.ndim
    if ndim not in (3, 4):
        _warn_dims("dropout2d", ndim, 2, "3D or 4D")
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (3-d feature maps) of ``(N, C, D, H, W)`` (or one sample ``(C, D, H, W)``) with
    probability ``p``; scale the rest by ``1 / (1 - p)``."""
    _check_probability(p)
    ndim = input.array.ndim
    if ndim not in (4, 5):
        _warn_dims("dropout3d", ndim, 3, "4D or 5D")
    return _feature_dropout(input, p, training, inplace, 2 if ndim == 5 else 1)
