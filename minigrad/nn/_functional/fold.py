"""``F.unfold`` (im2col: sliding blocks to columns) and ``F.fold`` (col2im: columns summed back into an
image), each the other's adjoint: the checks and shapes here, the ops ``Unfold`` and ``Fold`` in conv.py."""
from __future__ import annotations

import math

from .conv import Fold, Unfold, blocks_per_dim

__all__ = ["unfold", "fold"]


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
