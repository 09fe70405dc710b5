"""Pooling in 1 and 2 dims: ``F.max_pool1d/2d``, ``F.avg_pool1d/2d`` (one N-d forward and backward each, on
the convolution's window view: a loop over the kernel offsets only, each a strided view of the padded
input; the backward is the convolution's col2im, ``fold_windows``) and the adaptive
forms ``F.adaptive_max_pool1d/2d``, ``F.adaptive_avg_pool1d/2d``.  Under create_graph=True the pools are
differentiated through ``composite``s: the windows as columns (``Unfold``), then a sum or the winners."""
from __future__ import annotations

import itertools
import math

from ...core.device import array_module
from ...core.function import Function
from ...core.tensor import Tensor
from ...ops import join, linalg, reduction
from .conv import _single
from .fold import Unfold, fold_windows, tap_slices, windows
from .padding import ConstantPad

__all__ = ["max_unpool1d", "max_unpool2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d"]


def _output_size(size, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's ``pooling_output_shape``; with ``ceil_mode`` the last window must start inside the input or left pad."""
    numerator = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (-(-numerator // stride) if ceil_mode else numerator // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _taps(x, kernel_size, stride, dilation, out_shape):
    """The convolution's window view of the padded ``x``, ``(N, C, *L_out, *K)``, as one strided view per
    kernel offset (row-major): tap ``k`` of output ``l`` is ``x[l * stride + k * dilation]`` (per dim)."""
    view = windows(x, kernel_size, stride, dilation)[(slice(None), slice(None))
                                                      + tuple(slice(0, out) for out in out_shape)]
    return [view[(Ellipsis,) + offset] for offset in itertools.product(*(range(k) for k in kernel_size))]


def _crop(grad, widths, spatial):
    """The unpadded part of a gradient of the padded input."""
    return grad[(slice(None), slice(None)) + tuple(slice(before, before + size)
                                                   for (before, _), size in zip(widths[2:], spatial))]


def _pad_widths(spatial, kernel_size, stride, padding, dilation, out_shape):
    """``((0, 0), (0, 0), (before, after), ...)``: ``padding`` before, and after as much as the last window
    reaches (more than ``padding`` in ``ceil_mode``, less when the windows stop short of the end)."""
    return ((0, 0), (0, 0)) + tuple(
        (p, max((o - 1) * s + d * (k - 1) + 1 - size - p, 0))
        for size, k, s, p, d, o in zip(spatial, kernel_size, stride, padding, dilation, out_shape))


def _window_columns(x, widths, fill, kernel_size, stride, dilation):
    """For a composite: the padded ``x``'s windows as differentiable ops (``ConstantPad``, ``Unfold``),
    ``(N, C, prod(K), prod(L_out))``."""
    padded = ConstantPad.apply(x, widths=widths, value=fill)
    columns = Unfold.apply(padded, kernel_size=kernel_size, dilation=dilation, padding=(0,) * len(kernel_size),
                           stride=stride)
    return columns.reshape(x.shape[0], x.shape[1], math.prod(kernel_size), columns.shape[-1])


class _SavesInput:
    """A pooling node takes its input as given, batched or not (torch's kernels take both: the node's
    edge is the input's own), and saves it, as torch's; a 1-d pool runs in torch as the 2-d one on
    the input unsqueezed to ``(N, C, 1, L)`` or ``(C, 1, L)``, the view its error names."""

    def saved_view_shape(self, index, array):
        return array.shape[:-1] + (1,) + array.shape[-1:] if len(self.kernel_size) == 1 else None

    def _batched(self, x, kernel_size):
        self.unbatched = x.ndim == len(kernel_size) + 1
        return x[None] if self.unbatched else x

    def _unbatched(self, output):
        return output[0] if self.unbatched else output


class MaxPool(_SavesInput, Function):
    """Window maxima: ``(N, C, *L)`` -> values ``(N, C, *L_out)`` (and, with ``return_indices``, the argmax
    as a flat position in the unpadded ``*L`` plane, int64, as torch).

    The maximum is a running ``maximum`` over the kernel offsets; the winning tap is the first
    that equals it (torch takes a later tap only when strictly greater, or NaN).  The gradient
    goes to the winning tap.
    """

    def name(self):
        return {1: "SqueezeBackward1", 2: "MaxPool2DWithIndicesBackward0"}.get(
            len(self.kernel_size), "MaxPool3DWithIndicesBackward0")   # torch pools 1-d as 2-d, then squeezes

    def forward(self, x, kernel_size, stride, padding, dilation, out_shape, return_indices):
        xp = array_module(x)
        self.save_for_backward(x)      # unread, as torch's node saves it: a write to it stops backward
        x = self._batched(x, kernel_size)
        self.spatial, self.kernel_size, self.stride, self.dilation = x.shape[2:], kernel_size, stride, dilation
        self.widths = _pad_widths(x.shape[2:], kernel_size, stride, padding, dilation, out_shape)
        self.out_shape = out_shape
        if any(before or after for before, after in self.widths):
            fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min      # padding never wins
            x = xp.pad(x, self.widths, constant_values=fill)
        self.padded_shape = x.shape
        taps = _taps(x, kernel_size, stride, dilation, out_shape)
        best = taps[0].copy()
        for tap in taps[1:]:
            xp.maximum(best, tap, out=best)         # NaN propagates, as in torch
        self.winner = self._winner(xp, taps, best)
        if not return_indices:
            return self._unbatched(best)
        return self._unbatched(best), self._unbatched(self._flat_indices(xp, self.winner, padding))

    @staticmethod
    def _winner(xp, taps, best):
        """The number of the first tap holding the maximum (the last NaN where the window has one, as torch).

        Found with arithmetic only (masked writes are several times slower): going from the last
        tap to the first, ``winner -= equal * (winner - number)`` moves it to each earlier match.
        """
        # a small integer type keeps these passes cheap
        winner = xp.full(best.shape, len(taps) - 1, dtype=xp.uint8 if len(taps) < 256 else xp.int32)
        nan = best.dtype.kind == "f" and bool(xp.isnan(best).any())
        for number in range(len(taps) - 2, -1, -1):
            equal = taps[number] == best
            winner -= equal * (winner - number)
        if nan:   # a window with NaN: torch keeps the last NaN tap
            found = xp.zeros(best.shape, dtype=bool)
            for number in range(len(taps) - 1, -1, -1):
                last_nan = xp.isnan(taps[number]) & ~found
                winner = xp.where(last_nan, winner.dtype.type(number), winner)
                found |= last_nan
        return winner

    def _flat_indices(self, xp, winner, padding):
        """torch's indices: the argmax's position in the unpadded input plane, row-major, int64."""
        offsets = xp.unravel_index(winner.astype(xp.int64), self.kernel_size)
        flat = xp.zeros(winner.shape, dtype=xp.int64)
        dims = len(self.kernel_size)
        for axis, (offset, s, p, d, size) in enumerate(zip(offsets, self.stride, padding, self.dilation,
                                                              self.spatial)):
            start = (xp.arange(self.out_shape[axis]) * s - p).reshape((-1,) + (1,) * (dims - 1 - axis))
            flat = flat * size + start + offset * d
        return flat

    def composite(self, x):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True): each
        window's winning tap read from its windows (``gather``), the winners kept from the forward."""
        x = x.unsqueeze(0) if self.unbatched else x
        taps = _window_columns(x, self.widths, -math.inf, self.kernel_size, self.stride, self.dilation)
        winner = Tensor._wrap(self.winner.astype("int64").reshape(taps.shape[:2] + (1, -1)))
        output = taps.gather(2, winner).reshape(tuple(x.shape[:2]) + self.out_shape)
        return output.squeeze(0) if self.unbatched else output

    def backward(self, grad_output, _grad_indices=None):   # the int64 indices (when returned) carry no gradient
        xp = array_module(grad_output)
        grad_output = grad_output[None] if self.unbatched else grad_output
        # col2im with the one-hot windows never built: each tap adds the gradients it won (twice as fast)
        grad = xp.zeros(self.padded_shape, dtype=grad_output.dtype)
        for number, offset in enumerate(itertools.product(*(range(k) for k in self.kernel_size))):
            grad[tap_slices(offset, self.stride, self.dilation, self.out_shape)] += \
                grad_output * (self.winner == number)
        return self._unbatched(_crop(grad, self.widths, self.spatial))


class AvgPool(_SavesInput, Function):
    """Window means: ``(N, C, *L)`` -> ``(N, C, *L_out)``, zero padding; each window's sum is divided by
    ``divisor_override``, else by its size clipped to the padded input (``count_include_pad``) or by
    the number of real elements in it (as torch).  Each input gets ``grad / divisor`` from every window."""

    def name(self):
        return {1: "SqueezeBackward1", 2: "AvgPool2DBackward0"}.get(len(self.kernel_size), "AvgPool3DBackward0")

    def forward(self, x, kernel_size, stride, padding, out_shape, count_include_pad, divisor_override):
        xp = array_module(x)
        self.save_for_backward(x)      # unread, as torch's node saves it: a write to it stops backward
        x = self._batched(x, kernel_size)
        dilation = (1,) * len(kernel_size)
        self.spatial, self.kernel_size, self.stride, self.out_shape = x.shape[2:], kernel_size, stride, out_shape
        self.widths = _pad_widths(x.shape[2:], kernel_size, stride, padding, dilation, out_shape)
        if any(before or after for before, after in self.widths):
            x = xp.pad(x, self.widths)
        self.padded_shape = x.shape
        taps = _taps(x, kernel_size, stride, dilation, out_shape)
        total = taps[0].copy()
        for tap in taps[1:]:
            total += tap
        self.divisor = self._divisor(xp, x.dtype, padding, count_include_pad, divisor_override)
        return self._unbatched(total / self.divisor)

    def _divisor(self, xp, dtype, padding, count_include_pad, divisor_override):
        """Per output position (broadcastable to ``*L_out``), the number each window's sum is divided by."""
        if divisor_override:
            return xp.asarray(divisor_override, dtype=dtype)
        divisor = xp.ones((1,) * len(self.out_shape), dtype=dtype)
        for axis, (size, k, s, p, o) in enumerate(zip(self.spatial, self.kernel_size, self.stride, padding,
                                                      self.out_shape)):
            start = xp.arange(o) * s - p
            end = xp.minimum(start + k, size + p)             # a window may run past the padding (ceil_mode)
            if not count_include_pad:
                start, end = xp.maximum(start, 0), xp.minimum(end, size)
            counts = xp.maximum(end - start, 1).astype(dtype)  # never 0: an empty window's sum is 0 anyway
            divisor = divisor * counts.reshape((-1,) + (1,) * (len(self.out_shape) - 1 - axis))
        return divisor

    def composite(self, x):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True): the
        sum of each window's taps, divided."""
        dims = len(self.kernel_size)
        x = x.unsqueeze(0) if self.unbatched else x
        taps = _window_columns(x, self.widths, 0, self.kernel_size, self.stride, (1,) * dims)
        output = taps.sum(2).reshape(tuple(x.shape[:2]) + self.out_shape) / Tensor._wrap(self.divisor)
        return output.squeeze(0) if self.unbatched else output

    def backward(self, grad_output):
        xp = array_module(grad_output)
        shared = (grad_output[None] if self.unbatched else grad_output) / self.divisor
        dims = len(self.kernel_size)
        # every tap of a window gets the same share: a broadcast view in window form, no copy
        grad_windows = xp.broadcast_to(shared[(Ellipsis,) + (None,) * dims], shared.shape + self.kernel_size)
        grad = fold_windows(grad_windows, self.padded_shape[2:], self.stride, (1,) * dims)
        return self._unbatched(_crop(grad, self.widths, self.spatial))


# ---- 1-d ---------------------------------------------------------------------------------------------------
def _stride_or_kernel(stride, kernel_size, expand):
    return kernel_size if stride is None or stride == [] or stride == () else expand(stride)


def _check_rank(input, name):
    if input.array.ndim not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:[{', '.join(str(s) for s in input.array.shape)}]")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of the last dim: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)``;
    ``L_out = (L + 2 padding - dilation (K - 1) - 1) / stride + 1``, rounded down (up with ``ceil_mode``)."""
    kernel_size = _single(kernel_size)
    stride = _stride_or_kernel(stride, kernel_size, _single)
    padding, dilation = _single(padding), _single(dilation)
    if padding > kernel_size // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={padding} "
                           f"and kernel_size={kernel_size}")
    _check_rank(input, "max_pool1d")
    out_length = _output_size(input.array.shape[-1], kernel_size, stride, padding, dilation, ceil_mode)
    if out_length <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out_length}")
    return MaxPool.apply(input, kernel_size=(kernel_size,), stride=(stride,), padding=(padding,),
                         dilation=(dilation,), out_shape=(out_length,), return_indices=return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over sliding windows of the last dim (zero padding): ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)``."""
    kernel_size = _single(kernel_size)
    stride = _stride_or_kernel(stride, kernel_size, _single)
    padding = _single(padding)
    if padding > kernel_size // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={padding}, "
                           f"kernel_size={kernel_size} and dilation=1")
    if input.array.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.array.ndim}-dimensional tensor for argument "
                           "#1 'self' (while checking arguments for avg_pool1d)")
    _check_rank(input, "avg_pool1d")
    out_length = _output_size(input.array.shape[-1], kernel_size, stride, padding, 1, ceil_mode)
    if out_length <= 0:
        shape = input.array.shape[-2:]
        raise RuntimeError(f"Given input size: ({shape[0]}x1x{shape[1]}). Calculated output size: "
                           f"({shape[0]}x1x{out_length}). Output size is too small")
    return AvgPool.apply(input, kernel_size=(kernel_size,), stride=(stride,), padding=(padding,),
                         out_shape=(out_length,), count_include_pad=count_include_pad, divisor_override=None)


# ---- 2-d ---------------------------------------------------------------------------------------------------
def _pair_option(value, name, function, optional=False):
    """torch's ``max_pool2d: kernel_size must either be a single int, or a tuple of two ints``."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if optional and not values:
        return None
    if len(values) not in (1, 2):
        if optional:
            raise RuntimeError(f"{function}: {name} must either be omitted, a single int, or a tuple of two ints")
        verb = "be either" if name == "dilation" else "either be"
        raise RuntimeError(f"{function}: {name} must {verb} a single int, or a tuple of two ints")
    return tuple(int(v) for v in values) * (2 // len(values))


def _pool2d_output(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's ``pooling_output_shape`` and ``pool2d_shape_check``, in its order; returns ``(H_out, W_out)``."""
    out_shape = []
    for size, k, s, p, d in zip(input.array.shape[-2:], kernel_size, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
        out_shape.append(_output_size(size, k, s, p, d, ceil_mode))
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")
    shape = input.array.shape
    if (len(shape) == 3 and 0 in shape) or (len(shape) == 4 and 0 in shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:[{', '.join(map(str, shape))}]")
    if out_shape[0] < 1 or out_shape[1] < 1:
        raise RuntimeError(f"Given input size: ({shape[-3]}x{shape[-2]}x{shape[-1]}). Calculated output size: "
                           f"({shape[-3]}x{out_shape[0]}x{out_shape[1]}). Output size is too small")
    return tuple(out_shape)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding ``kH x kW`` windows: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)``;
    ``H_out = (H + 2 padding - dilation (kH - 1) - 1) / stride + 1``, rounded down (up with ``ceil_mode``).
    ``stride`` defaults to ``kernel_size``; ``return_indices`` adds the argmax as ``h * W + w`` (int64)."""
    kernel_size = _pair_option(kernel_size, "kernel_size", "max_pool2d")
    stride = _pair_option(stride if stride is not None else (), "stride", "max_pool2d", optional=True) or kernel_size
    padding = _pair_option(padding, "padding", "max_pool2d")
    dilation = _pair_option(dilation, "dilation", "max_pool2d")
    if input.array.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_shape = _pool2d_output(input, kernel_size, stride, padding, dilation, ceil_mode)
    return MaxPool.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                         out_shape=out_shape, return_indices=return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over sliding ``kH x kW`` windows (zero padding): ``(N, C, H, W)`` or ``(C, H, W)`` ->
    ``(N, C, H_out, W_out)``; the divisor is ``divisor_override`` when given, else the window size
    (``count_include_pad``) or the number of real input elements in the window."""
    kernel_size = _pair_option(kernel_size, "kernel_size", "avg_pool2d")
    stride = _pair_option(stride if stride is not None else (), "stride", "avg_pool2d", optional=True) or kernel_size
    padding = _pair_option(padding, "padding", "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.array.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.array.ndim}, "
                         f"{input.array.ndim - 1}], but got -3)")
    if input.array.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_shape = _pool2d_output(input, kernel_size, stride, padding, (1, 1), ceil_mode)
    return AvgPool.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, out_shape=out_shape,
                         count_include_pad=count_include_pad, divisor_override=divisor_override)


# ---- adaptive ----------------------------------------------------------------------------------------------
def _adaptive_bounds(length, output_size):
    """torch's adaptive windows: ``[floor(i L / out), ceil((i + 1) L / out))`` for each output ``i``."""
    return [(i * length // output_size, -(-(i + 1) * length // output_size)) for i in range(output_size)]


def _averaging_matrix(input, length, output_size):
    """``(output_size, length)``: row ``i`` is ``1 / size`` on adaptive window ``i``, 0 elsewhere."""
    xp = array_module(input.array)
    matrix = xp.zeros((output_size, length), dtype=input.array.dtype)
    for i, (start, end) in enumerate(_adaptive_bounds(length, output_size)):
        matrix[i, start:end] = 1.0 / (end - start)
    return Tensor._wrap(matrix)


def _adaptive_sizes(output_size, spatial, name):
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * len(spatial)
    if len(sizes) != len(spatial):
        raise RuntimeError(f"{name}: output_size must be {len(spatial)}")
    sizes = tuple(size if size is not None else dim for size, dim in zip(sizes, spatial))
    if any(size < 0 for size in sizes):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{', '.join(map(str, sizes))}}}")
    return sizes


def _check_adaptive_input(input, name, dims, colon=""):
    shape = input.array.shape
    if len(shape) not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got{colon} {list(shape)}")
    for axis in range(len(shape) - dims, len(shape)):
        if shape[axis] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(shape)} with dimension {axis} being empty")


def adaptive_avg_pool1d(input, output_size):
    """Mean over ``output_size`` near-equal windows of the last dim: ``(N, C, L)`` -> ``(N, C, output_size)``."""
    output_size = _single(output_size)
    if output_size == 1:            # the text-CNN case: one reduction
        return reduction.mean(input, dim=-1, keepdim=True)
    return linalg.matmul(input, _averaging_matrix(input, input.array.shape[-1], output_size).t())


def adaptive_avg_pool2d(input, output_size):
    """Mean over ``oH x oW`` near-equal windows: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, oH, oW)``.

    A window mean is separable: ``A_H @ x @ A_W^T`` with averaging matrices ``(oH, H)`` and ``(oW, W)``.
    """
    _check_adaptive_input(input, "adaptive_avg_pool2d", 2)
    height, width = input.array.shape[-2:]
    out_height, out_width = _adaptive_sizes(output_size, (height, width), "adaptive_avg_pool2d")
    if (out_height, out_width) == (1, 1):     # global average pooling
        return reduction.mean(input, dim=(-2, -1), keepdim=True)
    rows = linalg.matmul(input, _averaging_matrix(input, width, out_width).t())          # (N, C, H, oW)
    return linalg.matmul(_averaging_matrix(input, height, out_height), rows)             # (N, C, oH, oW)


def _adaptive_max_along(input, axis, output_size):
    """Max over adaptive windows along ``axis``: (values, indices of the max within the whole axis)."""
    length = input.array.shape[axis]
    bounds = _adaptive_bounds(length, output_size)
    parts = [reduction.max(input.narrow(axis, start, end - start), dim=axis, keepdim=True) for start, end in bounds]
    values = join.cat([part[0] for part in parts], dim=axis)
    indices = join.cat([part[1] + start for part, (start, _) in zip(parts, bounds)], dim=axis)
    return values, indices


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over ``output_size`` near-equal windows of the last dim (gradient to the argmax)."""
    values, indices = _adaptive_max_along(input, -1, _single(output_size))
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over ``oH x oW`` near-equal windows: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, oH, oW)``.

    Separable: the max of each row's window first, then of those over the rows; the first row
    holding the maximum and its first column win, which is torch's row-major first maximum.
    ``return_indices`` gives ``h * W + w`` (int64).
    """
    _check_adaptive_input(input, "adaptive_max_pool2d", 2, colon=":")
    height, width = input.array.shape[-2:]
    out_height, out_width = _adaptive_sizes(output_size, (height, width), "adaptive_max_pool2d")
    xp = array_module(input.array)
    if out_height == 0 or out_width == 0:     # nothing to pool (torch returns the empty result)
        shape = input.array.shape[:-2] + (out_height, out_width)
        values = Tensor._wrap(xp.zeros(shape, dtype=input.array.dtype))
        return (values, Tensor._wrap(xp.zeros(shape, dtype=xp.int64))) if return_indices else values
    row_values, columns = _adaptive_max_along(input, -1, out_width)                  # (N, C, H, oW)
    values, rows = _adaptive_max_along(row_values, -2, out_height)                   # (N, C, oH, oW)
    if not return_indices:
        return values
    chosen_columns = xp.take_along_axis(columns.array, rows.array, axis=-2)
    return values, Tensor._wrap(rows.array * width + chosen_columns)


# ---- unpooling ---------------------------------------------------------------------------------------------
class MaxUnpool(Function):
    """Put each value at its flat ``index`` in a zero ``(N, C, prod(output_size))`` plane (the inverse of max
    pooling's ``return_indices``); the gradient of a value is the output gradient at its index."""

    def forward(self, x, indices, output_size):
        xp = array_module(x)
        n, channels = x.shape[:2]
        self.indices, self.input_shape = indices.reshape(n, channels, math.prod(x.shape[2:])), x.shape
        self.output_size = tuple(output_size)
        output = xp.zeros((n, channels, math.prod(output_size)), dtype=x.dtype)
        # advanced indexing rather than put_along_axis, which not every CuPy has
        output[xp.arange(n)[:, None, None], xp.arange(channels)[None, :, None], self.indices] = \
            x.reshape(self.indices.shape)
        return output.reshape((n, channels) + tuple(output_size))

    def composite(self, x, indices):
        """The same from differentiable ops (``scatter`` into zeros), for a backward recorded as a graph
        (create_graph=True)."""
        plane = x.new_zeros(self.indices.shape[:2] + (math.prod(self.output_size),))
        scattered = plane.scatter(2, indices.reshape(self.indices.shape), x.reshape(self.indices.shape))
        return scattered.reshape(tuple(x.shape[:2]) + self.output_size)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        n, channels = grad_output.shape[:2]
        grad = xp.take_along_axis(grad_output.reshape(n, channels, math.prod(grad_output.shape[2:])), self.indices,
                                  axis=2)
        return grad.reshape(self.input_shape), None


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's ``_unpool_output_size``: the default ``(L - 1) * stride + kernel - 2 * padding``, or a checked
    ``output_size``."""
    spatial = input.array.shape[-len(kernel_size):]
    default = [(size - 1) * s + k - 2 * p for size, k, s, p in zip(spatial, kernel_size, stride, padding)]
    if output_size is None:
        return default
    if len(output_size) == len(kernel_size) + 2:
        output_size = output_size[2:]
    if len(output_size) != len(kernel_size):
        raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or {len(kernel_size) + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d, (size, low_default, s) in enumerate(zip(output_size, default, stride)):
        if not low_default - s < size < low_default + s:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low_default - s} and '
                             f"{low_default + s})")
    return list(output_size)


def _max_unpool(input, indices, output_size, dims):
    """Checks (torch's, of its 2-d kernel, which 1-d goes through) and the unpooling itself."""
    shape = list(input.array.shape)
    if len(shape) not in (dims + 1, dims + 2) and dims == 2:
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{len(shape)} dimensions.")
    if indices.array.dtype.name != "int64":
        from ...core.dtypes import from_numpy_dtype, scalar_type_name
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{scalar_type_name(from_numpy_dtype(indices.array.dtype))}")
    if list(indices.array.shape) != shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({shape}) but got "
                           f"indices tensor with shape: {list(indices.array.shape)}")
    plane = math.prod(output_size)
    invalid = (indices.array < 0) | (indices.array >= plane)
    if invalid.any():            # torch names the first one it meets
        sizes = list(output_size) + [1] * (2 - len(output_size))
        bad = int(indices.array.reshape(-1)[int(invalid.reshape(-1).argmax())])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {sizes[0]}x{sizes[1]})")
    unbatched = len(shape) == dims + 1
    if unbatched:
        input, indices = input.unsqueeze(0), indices.unsqueeze(0)
    output = MaxUnpool.apply(input, indices, output_size=tuple(output_size))
    return output.squeeze(0) if unbatched else output


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool1d``: ``(N, C, L)`` values and their ``indices`` -> ``(N, C, L_out)``, zeros elsewhere."""
    kernel_size = (_single(kernel_size),)
    stride = kernel_size if stride is None else (_single(stride),)
    padding = (_single(padding),)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool(input, indices, size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool2d``: ``(N, C, H, W)`` values and their flat ``indices`` (``h * W_out + w``) ->
    ``(N, C, H_out, W_out)``, zeros elsewhere."""
    kernel_size = _pair_option(kernel_size, "kernel_size", "max_unpool2d")
    stride = kernel_size if stride is None else _pair_option(stride, "stride", "max_unpool2d")
    padding = _pair_option(padding, "padding", "max_unpool2d")
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool(input, indices, size, 2)
