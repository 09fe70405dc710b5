"""``Conv1d``, ``Conv2d``, ``Conv3d``: torch's convolution layers (cross-correlation), options, init and repr.

One base, ``_ConvNd``, holds what torch's does; the subclasses only say how many
spatial dims they have and which functional form they call.
"""
from __future__ import annotations

from ... import factories
from .. import init
from .._functional.conv import _ntuple, conv1d, conv2d, conv3d
from .._functional.padding import pad
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d"]


def _check_options(in_channels, out_channels, stride, padding, groups, padding_mode):
    """torch's ``_ConvNd`` checks, its wording (``ValueError``)."""
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        valid_padding_strings = {"same", "valid"}
        if padding not in valid_padding_strings:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
    valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}   # torch prints this set as is
    if padding_mode not in valid_padding_modes:
        raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got padding_mode='{padding_mode}'")


def _reversed_padding_repeated_twice(padding, kernel_size, dilation):
    """The ``F.pad`` amounts (last dim first, before/after) for a non-zero ``padding_mode``, as torch."""
    if isinstance(padding, str):
        amounts = [0, 0] * len(kernel_size)
        if padding == "same":   # the odd element goes after, as F.conv's 'same'
            for i, (k, d) in enumerate(zip(reversed(kernel_size), reversed(dilation))):
                total = d * (k - 1)
                amounts[2 * i], amounts[2 * i + 1] = total // 2, total - total // 2
        return amounts
    return tuple(p for p in reversed(padding) for _ in range(2))   # a tuple here, a list above, as torch


class _ConvNd(Module):
    """``(N, C_in, *L)`` -> ``(N, C_out, *L_out)``, ``L_out = (L + 2p - d (K - 1) - 1) // s + 1`` per dim.

    ``weight`` is ``(C_out, C_in / groups, *K)`` from ``kaiming_uniform_(a=sqrt(5))``
    (``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = C_in / groups * prod(K)``), ``bias``
    from the same interval, as torch. A non-zero ``padding_mode`` pads with ``F.pad`` first.
    """

    dims = 0
    _functional = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        kernel_size, stride, dilation = (_ntuple(kernel_size, self.dims), _ntuple(stride, self.dims),
                                         _ntuple(dilation, self.dims))
        padding = padding if isinstance(padding, str) else _ntuple(padding, self.dims)
        _check_options(in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0,) * self.dims
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _reversed_padding_repeated_twice(padding, kernel_size, dilation)
        self.weight = Parameter(factories.empty(out_channels, in_channels // groups, *kernel_size,
                                                device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        convolution = type(self)._functional
        if self.padding_mode == "zeros":
            return convolution(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        return convolution(pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), self.weight,
                           self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """``(N, C_in, L)`` or ``(C_in, L)`` -> ``(N, C_out, L_out)``; weight ``(C_out, C_in / groups, K)``."""

    dims = 1
    _functional = staticmethod(conv1d)


class Conv2d(_ConvNd):
    """``(N, C_in, H, W)`` or ``(C_in, H, W)`` -> ``(N, C_out, H_out, W_out)``; weight
    ``(C_out, C_in / groups, KH, KW)``; ``kernel_size``, ``stride``, ``padding``, ``dilation`` an int or a pair."""

    dims = 2
    _functional = staticmethod(conv2d)


class Conv3d(_ConvNd):
    """``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)`` -> ``(N, C_out, D_out, H_out, W_out)``; weight
    ``(C_out, C_in / groups, KD, KH, KW)``."""

    dims = 3
    _functional = staticmethod(conv3d)
