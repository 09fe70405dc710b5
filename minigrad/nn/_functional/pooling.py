"""1-d pooling: ``F.max_pool1d``, ``F.avg_pool1d`` (window views, closed-form backward) and the
adaptive forms (``F.adaptive_max_pool1d``, ``F.adaptive_avg_pool1d``) built from slices."""
from __future__ import annotations

from ...core.function import Function
from ...core.device import array_module
from ...ops import join, reduction
from .conv import _single, fold_windows, windows

__all__ = ["max_pool1d", "avg_pool1d", "adaptive_max_pool1d", "adaptive_avg_pool1d"]


def _output_length(length, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's pooling output size; with ``ceil_mode`` the last window must start inside the input or left pad."""
    span = dilation * (kernel_size - 1) + 1
    numerator = length + 2 * padding - span
    out = (-(-numerator // stride) if ceil_mode else numerator // stride) + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    return out


class MaxPool1d(Function):
    """Window maxima: ``(N, C, L)`` -> values ``(N, C, L_out)``; the gradient goes to the (first) argmax."""

    def name(self):
        return "SqueezeBackward1"   # torch pools 1-d as 2-d and squeezes the extra dim last

    def forward(self, x, kernel_size, stride, padding, dilation, out_length):
        xp = array_module(x)
        self.length, self.padding, self.stride, self.dilation = x.shape[-1], padding, stride, dilation
        right = (out_length - 1) * stride + dilation * (kernel_size - 1) + 1 - x.shape[-1] - padding
        fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        padded = xp.pad(x, ((0, 0), (0, 0), (padding, max(right, 0))), constant_values=fill)
        view = windows(padded, kernel_size, stride, dilation)[:, :, :out_length]   # (N, C, L_out, K)
        self.argmax = view.argmax(axis=-1)
        self.kernel_size, self.padded_length = kernel_size, padded.shape[-1]
        values = xp.take_along_axis(view, self.argmax[..., None], axis=-1)[..., 0]
        # positions of the maxima in the unpadded input: torch's return_indices (int64, no gradient)
        indices = xp.arange(out_length) * stride - padding + self.argmax * dilation
        return values, indices.astype(xp.int64)

    def backward(self, grad_output, _grad_indices):   # the int64 indices carry no gradient
        xp = array_module(grad_output)
        one_hot = xp.arange(self.kernel_size) == self.argmax[..., None]             # (N, C, L_out, K)
        grad = fold_windows(one_hot * grad_output[..., None], self.padded_length, self.stride, self.dilation)
        return grad[:, :, self.padding:self.padding + self.length]


class AvgPool1d(Function):
    """Window means with zero padding: ``(N, C, L)`` -> ``(N, C, L_out)``; each input gets ``grad / divisor``."""

    def name(self):
        return "SqueezeBackward1"   # as max_pool1d

    def forward(self, x, kernel_size, stride, padding, count_include_pad):
        xp = array_module(x)
        self.length, self.padding, self.stride = x.shape[-1], padding, stride
        padded = xp.pad(x, ((0, 0), (0, 0), (padding, padding)))
        self.kernel_size, self.padded_length = kernel_size, padded.shape[-1]
        if count_include_pad:
            self.divisor = kernel_size
        else:   # count the real (unpadded) elements of each window
            mask = xp.pad(xp.ones((1, 1, x.shape[-1]), dtype=x.dtype), ((0, 0), (0, 0), (padding, padding)))
            self.divisor = windows(mask, kernel_size, stride, 1).sum(axis=-1)[0, 0]
        return windows(padded, kernel_size, stride, 1).sum(axis=-1) / self.divisor

    def backward(self, grad_output):
        xp = array_module(grad_output)
        shared = xp.broadcast_to((grad_output / self.divisor)[..., None], grad_output.shape + (self.kernel_size,))
        grad = fold_windows(shared, self.padded_length, self.stride, 1)
        return grad[:, :, self.padding:self.padding + self.length]


def _batched(input, name):
    if input.array.ndim not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:[{', '.join(str(s) for s in input.array.shape)}]")
    return (input.unsqueeze(0), True) if input.array.ndim == 2 else (input, False)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of the last dim: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)``."""
    kernel_size = _single(kernel_size)
    stride = kernel_size if stride is None or stride == [] or stride == () else _single(stride)
    padding, dilation = _single(padding), _single(dilation)
    if padding > kernel_size // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={padding} "
                           f"and kernel_size={kernel_size}")
    batched, unbatched = _batched(input, "max_pool1d")
    out_length = _output_length(batched.array.shape[-1], kernel_size, stride, padding, dilation, ceil_mode)
    if out_length <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out_length}")
    output, indices = MaxPool1d.apply(batched, kernel_size=kernel_size, stride=stride, padding=padding,
                                      dilation=dilation, out_length=out_length)
    if unbatched:
        output, indices = output.squeeze(0), indices.squeeze(0)
    return (output, indices) if return_indices else output


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over sliding windows of the last dim (zero padding): ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)``."""
    if ceil_mode:
        raise NotImplementedError("avg_pool1d: ceil_mode=True is not supported by minigrad")
    kernel_size = _single(kernel_size)
    stride = kernel_size if stride is None or stride == [] or stride == () else _single(stride)
    padding = _single(padding)
    if padding > kernel_size // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={padding}, "
                           f"kernel_size={kernel_size} and dilation=1")
    if input.array.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.array.ndim}-dimensional tensor for argument "
                           "#1 'self' (while checking arguments for avg_pool1d)")
    batched, unbatched = _batched(input, "avg_pool1d")
    output = AvgPool1d.apply(batched, kernel_size=kernel_size, stride=stride, padding=padding,
                             count_include_pad=count_include_pad)
    return output.squeeze(0) if unbatched else output


def _adaptive_bounds(length, output_size):
    """torch's adaptive windows: ``[floor(i L / out), ceil((i + 1) L / out))`` for each output ``i``."""
    return [(i * length // output_size, -(-(i + 1) * length // output_size)) for i in range(output_size)]


def _adaptive(input, output_size, reduce):
    output_size = _single(output_size)
    length = input.array.shape[-1]
    if output_size == 1:            # the text-CNN case: one reduction, no slicing
        return reduce(input)
    return join.cat([reduce(input[..., start:end]) for start, end in _adaptive_bounds(length, output_size)], dim=-1)


def adaptive_avg_pool1d(input, output_size):
    """Mean over ``output_size`` near-equal windows of the last dim: ``(N, C, L)`` -> ``(N, C, output_size)``."""
    return _adaptive(input, output_size, lambda part: reduction.mean(part, dim=-1, keepdim=True))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over ``output_size`` near-equal windows of the last dim (gradient to the argmax)."""
    output_size = _single(output_size)
    length = input.array.shape[-1]
    bounds = _adaptive_bounds(length, output_size)
    parts = [reduction.max(input[..., start:end], dim=-1, keepdim=True) for start, end in bounds]
    values = join.cat([part[0] for part in parts], dim=-1)
    if not return_indices:
        return values
    indices = join.cat([part[1] + start for part, (start, _) in zip(parts, bounds)], dim=-1)
    return values, indices
