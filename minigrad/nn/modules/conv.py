"""``Conv1d``, ``Conv2d``, ``Conv3d``: torch's convolution layers (cross-correlation), options, init and repr.

One base, ``_ConvNd``, holds what torch's does; the subclasses only say how many
spatial dims they have and which functional form they call.
"""
from __future__ import annotations

from ...ops import factories
from .. import init
from .._functional.conv import _ntuple, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d
from .._functional.padding import pad
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d"]


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
                 bias=True, padding_mode="zeros", device=None, dtype=None, transposed=False, output_padding=0):
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
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, self.dims)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _reversed_padding_repeated_twice(padding, kernel_size, dilation)
        # a transposed convolution maps back: its weight is the forward one's, (C_in, C_out / groups, *K)
        weight_shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(factories.empty(*weight_shape, *kernel_size, device=device, dtype=dtype))
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


class _ConvTransposeNd(_ConvNd):
    """``(N, C_in, *L)`` -> ``(N, C_out, *L_out)``, ``L_out = (L - 1) s - 2p + d (K - 1) + output_padding + 1``;
    ``forward(input, output_size=None)`` picks the ``output_padding`` that gives ``output_size``, as torch."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, transposed=True, output_padding=output_padding)

    def _output_padding(self, input, output_size):
        """torch's ``_output_padding``: ``output_size`` minus the smallest output size, checked."""
        if output_size is None:
            return self.output_padding
        dims = self.dims
        non_spatial = 2 if input.dim() == dims + 2 else 1
        if len(output_size) == non_spatial + dims:
            output_size = output_size[non_spatial:]
        if len(output_size) != dims:
            raise ValueError(f"ConvTranspose{dims}D: for {input.dim()}D input, output_size must have {dims} or "
                             f"{non_spatial + dims} elements (got {len(output_size)})")
        spatial = input.shape[non_spatial:]
        min_sizes = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k
                     in zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        max_sizes = [low + s - 1 for low, s in zip(min_sizes, self.stride)]
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{min_sizes} to {max_sizes} (for an input of torch.Size({list(spatial)}))")
        return tuple(size - low for size, low in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        return type(self)._functional(input, self.weight, self.bias, self.stride, self.padding,
                                      self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """``(N, C_in, L)`` or ``(C_in, L)`` -> ``(N, C_out, L_out)``; weight ``(C_in, C_out / groups, K)``."""

    dims = 1
    _functional = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """``(N, C_in, H, W)`` or ``(C_in, H, W)`` -> ``(N, C_out, H_out, W_out)``; weight
    ``(C_in, C_out / groups, KH, KW)`` (the decoder / upsampling convolution)."""

    dims = 2
    _functional = staticmethod(conv_transpose2d)
