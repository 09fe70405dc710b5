"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveMaxPool1d/2d``, ``AdaptiveAvgPool1d/2d``."""
from __future__ import annotations

from .._functional.conv import _single
from .._functional.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                                   adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, max_unpool1d,
                                   max_unpool2d)
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "MaxUnpool1d", "MaxUnpool2d"]


class _MaxPoolNd(Module):
    """Options as given (torch keeps them unconverted); ``stride`` defaults to ``kernel_size``."""

    _functional = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._functional(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                      ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of the last dim: ``(N, C, L)`` -> ``(N, C, L_out)``."""

    _functional = staticmethod(max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over ``kH x kW`` windows: ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``."""

    _functional = staticmethod(max_pool2d)


class AvgPool1d(Module):
    """Mean over windows of the last dim (zero padding): ``(N, C, L)`` -> ``(N, C, L_out)``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = (_single(kernel_size),)
        self.stride = (_single(stride if stride is not None else kernel_size),)
        self.padding = (_single(padding),)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over ``kH x kW`` windows (zero padding): ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveMaxPoolNd(Module):
    _functional = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._functional(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over ``output_size`` near-equal windows: ``(N, C, L)`` -> ``(N, C, output_size)``."""

    _functional = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over ``oH x oW`` near-equal windows: ``(N, C, H, W)`` -> ``(N, C, oH, oW)``."""

    _functional = staticmethod(adaptive_max_pool2d)


class _AdaptiveAvgPoolNd(Module):
    _functional = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._functional(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean over ``output_size`` near-equal windows: ``(N, C, L)`` -> ``(N, C, output_size)``."""

    _functional = staticmethod(adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean over ``oH x oW`` near-equal windows: ``(N, C, H, W)`` -> ``(N, C, oH, oW)`` (global pooling
    with ``output_size=1``)."""

    _functional = staticmethod(adaptive_avg_pool2d)


class _MaxUnpoolNd(Module):
    _functional = None
    dims = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        as_tuple = (lambda v: (_single(v),)) if self.dims == 1 else \
            (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v))
        self.kernel_size = as_tuple(kernel_size)
        self.stride = as_tuple(stride if stride is not None else kernel_size)
        self.padding = as_tuple(padding)

    def forward(self, input, indices, output_size=None):
        return type(self)._functional(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of ``MaxPool1d(return_indices=True)``: values back at their indices, zeros elsewhere."""

    dims = 1
    _functional = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of ``MaxPool2d(return_indices=True)``: values back at their indices, zeros elsewhere."""

    dims = 2
    _functional = staticmethod(max_unpool2d)
