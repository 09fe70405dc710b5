"""``nn.init``: fill a tensor in place from a distribution, as ``torch.nn.init``.

Every function writes under ``no_grad`` (so it works on parameters that require
grad), draws from minigrad's global generator (``minigrad.manual_seed`` makes it
repeatable) and returns the tensor.  The distributions and their scales are
torch's; the values differ from torch's because the generators differ.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ..core import random
from ..core.grad_mode import no_grad
from ..core.device import array_module
from ..ops.inplace import write

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
           "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_"]

_LINEAR_FUNCTIONS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                     "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps activations' variance steady through ``nonlinearity`` (torch's table)."""
    if nonlinearity in _LINEAR_FUNCTIONS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fill(tensor, array):
    """Write ``array`` into ``tensor`` without recording a graph."""
    with no_grad():
        write(tensor, array)
    return tensor


def _uniform(tensor, low, high, generator):
    return random.uniform(tensor.array.shape, tensor.array.dtype, tensor.device, low, high, chosen=generator)


def _normal(tensor, mean, std, generator):
    return random.normal(tensor.array.shape, tensor.array.dtype, tensor.device, mean, std, chosen=generator)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from ``U(a, b)``."""
    return _fill(tensor, _uniform(tensor, a, b, generator))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from ``N(mean, std**2)``."""
    return _fill(tensor, _normal(tensor, mean, std, generator))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with ``N(mean, std**2)`` draws restricted to ``[a, b]`` (absolute bounds), by rejection.

    As torch: when the interval holds more than 30% of the mass, normal draws
    outside it are redrawn; otherwise uniform draws on ``[a, b]`` are accepted
    with probability pdf(x) / pdf(mode), which stays fast far in the tails.
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    dtype, device = tensor.array.dtype, tensor.device
    normal_proposals = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    result = array_module(tensor.array).empty(tensor.numel(), dtype=dtype)
    pending = array_module(tensor.array).arange(tensor.numel())   # flat positions still to fill
    while pending.size:
        if normal_proposals:
            candidates = random.normal(pending.shape, dtype, device, mean, std, chosen=generator)
            accepted = (candidates >= a) & (candidates <= b)
        else:
            candidates = random.uniform(pending.shape, dtype, device, a, b, chosen=generator)
            log_ratio = -0.5 * ((candidates - mean) / std) ** 2 - log_peak
            accepted = array_module(candidates).log(random.uniform(pending.shape, dtype, device, chosen=generator)) <= log_ratio
        result[pending[accepted]] = candidates[accepted]
        pending = pending[~accepted]
    return _fill(tensor, result.reshape(tensor.array.shape))


def constant_(tensor, val):
    return _fill(tensor, val)


def ones_(tensor):
    return _fill(tensor, 1)


def zeros_(tensor):
    return _fill(tensor, 0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = array_module(tensor.array)
    return _fill(tensor, xp.eye(*tensor.array.shape, dtype=tensor.array.dtype))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D (convolution) weight with the Dirac delta: inputs pass through unchanged."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.array.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    xp = array_module(tensor.array)
    array = xp.zeros(sizes, dtype=tensor.array.dtype)
    centre = tuple(size // 2 for size in sizes[2:])
    for group in range(groups):
        for channel in range(min(out_per_group, sizes[1])):
            array[(group * out_per_group + channel, channel) + centre] = 1
    return _fill(tensor, array)


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight ``(out, in, *kernel)``: in and out times the kernel size."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(tensor.array.shape[2:])
    return tensor.array.shape[1] * receptive_field, tensor.array.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot: ``U(-bound, bound)`` with ``bound = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, _uniform(tensor, -bound, bound, generator))


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot: ``N(0, std**2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, _normal(tensor, 0.0, std, generator))


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: ``U(-bound, bound)`` with ``bound = gain * sqrt(3 / fan)``; ``a`` is leaky_relu's slope."""
    if 0 in tensor.array.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _fill(tensor, _uniform(tensor, -bound, bound, generator))


def _default_layer_init_(weight, bias):
    """torch's default for Linear and Conv: ``kaiming_uniform_(a=sqrt(5))`` on the weight,
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` on the bias (zero when fan_in is 0)."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: ``N(0, std**2)`` with ``std = gain / sqrt(fan)``."""
    if 0 in tensor.array.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return _fill(tensor, _normal(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator))


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix: Q of the QR of a Gaussian matrix, signs fixed.

    The tensor is seen as ``(rows, numel // rows)``; multiplying Q's columns by
    the signs of R's diagonal makes Q uniform over orthogonal matrices.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    xp = array_module(tensor.array)
    rows = tensor.array.shape[0]
    cols = tensor.numel() // rows
    flattened = random.normal((rows, cols), tensor.array.dtype, tensor.device, chosen=generator)
    if rows < cols:
        flattened = flattened.T
    q, r = xp.linalg.qr(flattened)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.array.shape))
