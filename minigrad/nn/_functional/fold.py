"""im2col and col2im: the strided window view of an input (``windows``) and its transpose
(``fold_windows``), both as ops, ``Unfold`` and ``Fold``, each the other's adjoint and so each
the other's backward (differentiable again and again), and ``F.unfold`` / ``F.fold`` on them.

The convolutions (conv.py) and pools (pooling.py) are built on the same pieces.
"""
from __future__ import annotations

import itertools
import math

from ...core.device import array_module
from ...core.function import Function
from ...core.tensor import Tensor

__all__ = ["unfold", "fold"]


def windows(x, kernel_size, stride, dilation):
    """``(N, C, *L)`` -> ``(N, C, *L_out, *K)``: a read-only strided view, no copy.

    Window ``l`` holds ``x[..., l * stride + k * dilation]`` for each kernel offset ``k < K``
    (per spatial dim).  ``L_out = (L - dilation (K - 1) - 1) // stride + 1``.
    """
    xp = array_module(x)
    dims = len(kernel_size)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    view = xp.lib.stride_tricks.sliding_window_view(x, spans, axis=tuple(range(-dims, 0)))
    # (N, C, *(L - span + 1), *span): keep every stride-th window and every dilation-th tap
    return view[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
                + tuple(slice(None, None, d) for d in dilation)]


def fold_windows(grad_windows, shape, stride, dilation):
    """The transpose of ``windows`` (col2im): ``(N, C, *L_out, *K)`` -> ``(N, C, *shape)``, overlaps summed
    (the two leading axes are carried through as they are: ``(C, N, ...)`` works the same).

    One strided slice-add per kernel offset: within one offset the windows never
    collide, so each add is a plain (vectorised) ``+=``.
    """
    xp = array_module(grad_windows)
    dims = len(shape)
    n, c = grad_windows.shape[:2]
    out_shape, kernel_size = grad_windows.shape[2:2 + dims], grad_windows.shape[2 + dims:]
    grad = xp.zeros((n, c) + tuple(shape), dtype=grad_windows.dtype)
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        grad[tap_slices(offset, stride, dilation, out_shape)] += grad_windows[(Ellipsis,) + offset]
    return grad


def tap_slices(offset, stride, dilation, out_shape):
    """Where kernel ``offset`` reads in ``(N, C, *L)``: ``x[..., l * stride + offset * dilation]`` for each
    output ``l`` (per dim), as slices; ``windows(x)[..., offset]`` is the same view of ``x``."""
    return (slice(None), slice(None)) + tuple(slice(k * d, k * d + s * (size - 1) + 1, s)
                                              for k, d, s, size in zip(offset, dilation, stride, out_shape))


# ---- im2col and col2im as ops (the convolutions' and pools' composites use them) --------------------------
def blocks_per_dim(spatial, kernel_size, dilation, padding, stride):
    """The number of sliding blocks per dim (floor division, as torch's ``div_rtn``)."""
    return tuple((size + 2 * p - d * (k - 1) - 1) // s + 1
                 for size, k, d, p, s in zip(spatial, kernel_size, dilation, padding, stride))


def _kernel_first(dims):
    """The axes that swap ``(N, C, *L_out, *K)`` and ``(N, C, *K, *L_out)`` (either way round)."""
    return (0, 1) + tuple(range(2 + dims, 2 + 2 * dims)) + tuple(range(2, 2 + dims))


def im2col(x, kernel_size, dilation, padding, stride):
    """``(N, C, *L)`` -> ``(N, C * prod(K), prod(L_out))``, the blocks in row-major order (a copy)."""
    xp = array_module(x)
    if any(padding):
        x = xp.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    view = windows(x, kernel_size, stride, dilation)                          # (N, C, *L_out, *K)
    n, channels, blocks = x.shape[0], x.shape[1], view.shape[2:2 + len(kernel_size)]
    return view.transpose(_kernel_first(len(kernel_size))).reshape(
        n, channels * math.prod(kernel_size), math.prod(blocks))


def col2im(columns, output_size, kernel_size, dilation, padding, stride):
    """``(N, C * prod(K), prod(L_out))`` -> ``(N, C, *output_size)``: each block's values added where it came from."""
    n = columns.shape[0]
    channels = columns.shape[1] // math.prod(kernel_size)
    padded = tuple(size + 2 * p for size, p in zip(output_size, padding))
    blocks = blocks_per_dim(output_size, kernel_size, dilation, padding, stride)
    grid = columns.reshape((n, channels) + tuple(kernel_size) + blocks).transpose(_kernel_first(len(kernel_size)))
    image = fold_windows(grid, padded, stride, dilation)
    return image[(Ellipsis,) + tuple(slice(p, p + size) for p, size in zip(padding, output_size))]


class Unfold(Function):
    """im2col (``F.unfold``).  Its backward is col2im, ``Fold``, its adjoint; under create_graph=True
    that runs as the op ``Fold``, whose backward is ``Unfold`` again (both are linear)."""

    differentiable_backward = True

    def forward(self, x, kernel_size, dilation, padding, stride):
        self.options = {"kernel_size": kernel_size, "dilation": dilation, "padding": padding, "stride": stride}
        self.shape = x.shape[2:]
        return im2col(x, **self.options)

    def backward(self, grad_output):
        if isinstance(grad_output, Tensor):
            return Fold.apply(grad_output, output_size=self.shape, **self.options)
        return col2im(grad_output, self.shape, **self.options)


class Fold(Function):
    """col2im (``F.fold``); its backward is im2col, ``Unfold`` (an op under create_graph=True)."""

    differentiable_backward = True

    def forward(self, columns, output_size, kernel_size, dilation, padding, stride):
        self.options = {"kernel_size": kernel_size, "dilation": dilation, "padding": padding, "stride": stride}
        return array_module(columns).ascontiguousarray(col2im(columns, output_size, **self.options))

    def backward(self, grad_output):
        if isinstance(grad_output, Tensor):
            return Unfold.apply(grad_output, **self.options)
        return im2col(grad_output, **self.options)


def _pair(value, name):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
    return tuple(int(v) for v in values)


def _check_options(kernel_size, dilation, padding, stride, order):
    checks = {
        "kernel": (min(kernel_size) <= 0, "kernel size should be greater than zero, but got kernel_height: "
                   f"{kernel_size[0]} kernel_width: {kernel_size[1]}"),
        "dilation": (min(dilation) <= 0, "dilation should be greater than zero, but got dilation_height: "
                     f"{dilation[0]} dilation_width: {dilation[1]}"),
        "padding": (min(padding) < 0, f"padding should be non-negative, but got pad_height: {padding[0]} "
                    f"pad_width: {padding[1]}"),
        "stride": (min(stride) <= 0, f"stride should be greater than zero, but got stride_height: {stride[0]} "
                   f"stride_width: {stride[1]}")}
    for name in order:
        failed, message = checks[name]
        if failed:
            raise RuntimeError(message)


def _tuple_text(values):
    return f"({', '.join(map(str, values))})"


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding ``KH x KW`` blocks as columns: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C * KH * KW, L)``,
    ``L`` the number of blocks (``oH * oW``, as a convolution's output), channel-major then kernel offset."""
    kernel_size, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    _check_options(kernel_size, dilation, padding, stride, ("kernel", "dilation", "padding", "stride"))
    shape = input.array.shape
    if len(shape) < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-len(shape)}, {len(shape) - 1}], "
                         "but got 2)")
    if len(shape) > 4 or 0 in shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    blocks = blocks_per_dim(shape[-2:], kernel_size, dilation, padding, stride)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {_tuple_text(shape[-2:])}, kernel_size="
                           f"{_tuple_text(kernel_size)}, dilation={_tuple_text(dilation)}, padding="
                           f"{_tuple_text(padding)}, calculated shape of the array of sliding blocks as "
                           f"{_tuple_text(blocks)}, but its components must be at least one.")
    unbatched = len(shape) == 3
    batched = input.unsqueeze(0) if unbatched else input
    output = Unfold.apply(batched, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    return output.squeeze(0) if unbatched else output


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns back into an image, overlaps summed (the adjoint of ``unfold``): ``(N, C * KH * KW, L)`` or
    ``(C * KH * KW, L)`` -> ``(N, C, H, W)`` with ``(H, W) = output_size``."""
    output_size, kernel_size = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    dilation, padding, stride = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    _check_options(kernel_size, dilation, padding, stride, ("kernel", "stride", "dilation", "padding"))
    shape = input.array.shape
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    if shape[-2] % math.prod(kernel_size):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={shape[-2]} and kernel_size={_tuple_text(kernel_size)}.")
    blocks = blocks_per_dim(output_size, kernel_size, dilation, padding, stride)
    if shape[-1] != math.prod(blocks) or min(blocks) < 1:
        described = (f"Given output_size={_tuple_text(output_size)}, kernel_size={_tuple_text(kernel_size)}, "
                     f"dilation={_tuple_text(dilation)}, padding={_tuple_text(padding)}, "
                     f"stride={_tuple_text(stride)}, ")
        if shape[-1] != math.prod(blocks):
            raise RuntimeError(described + "expected size of input's dimension 2 to match the calculated number of "
                               f"sliding blocks {blocks[0]} * {blocks[1]} = {math.prod(blocks)}, but got "
                               f"input.size(2)={shape[-1]}.")
        raise RuntimeError(described + f"calculated shape of the array of sliding blocks as {_tuple_text(blocks)}, "
                           "which is too small (non-positive)")
    unbatched = len(shape) == 2
    batched = input.unsqueeze(0) if unbatched else input
    output = Fold.apply(batched, output_size=output_size, kernel_size=kernel_size, dilation=dilation,
                        padding=padding, stride=stride)
    return output.squeeze(0) if unbatched else output
