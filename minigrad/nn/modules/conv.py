"""``Conv1d``: torch's 1-d convolution layer (cross-correlation), its options, init and repr."""
from __future__ import annotations


from ...ops import factories
from .. import init
from .._functional.conv import _padding_pair, _single, conv1d
from .._functional.padding import pad
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d"]

def _check_options(in_channels, out_channels, stride, padding, groups, padding_mode):
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
        if padding == "same" and stride != 1:
            raise ValueError("padding='same' is not supported for strided convolutions")
    valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}   # torch prints this set as is
    if padding_mode not in valid_padding_modes:
        raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got padding_mode='{padding_mode}'")


class Conv1d(Module):
    """``(N, C_in, L)`` -> ``(N, C_out, L_out)``, ``L_out = (L + 2p - d (K - 1) - 1) // s + 1``.

    ``weight`` is ``(C_out, C_in / groups, K)`` from ``kaiming_uniform_(a=sqrt(5))``
    (``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = C_in / groups * K``), ``bias``
    from the same interval, as torch. Non-zero ``padding_mode`` pads with ``F.pad`` first.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        _check_options(in_channels, out_channels, _single(stride), padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = (_single(kernel_size),)
        self.stride = (_single(stride),)
        self.padding = padding if isinstance(padding, str) else (_single(padding),)
        self.dilation = (_single(dilation),)
        self.transposed = False
        self.output_padding = (0,)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(factories.empty(out_channels, in_channels // groups, self.kernel_size[0],
                                                device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        left, right = _padding_pair(self.padding, self.kernel_size[0], self.stride[0], self.dilation[0])
        return conv1d(pad(input, (left, right), mode=self.padding_mode), self.weight, self.bias, self.stride,
                      0, self.dilation, self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            text += f", padding={self.padding}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text
