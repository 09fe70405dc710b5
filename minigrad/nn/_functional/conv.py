"""``F.conv1d``: im2col (a strided window view) + one batched matmul; backward by the transposes."""
from __future__ import annotations

from ...core.dtypes import c_type_name, scalar_type_name
from ...core.function import Function
from ...core.device import array_module

__all__ = ["conv1d"]


def _single(value, name="value"):
    """``3`` or ``(3,)`` -> ``3`` (torch's ``_single``)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 1 values to match "
                               f"the convolution dimensions, but got {name}={list(value)}")
        return int(value[0])
    return int(value)


def windows(x, kernel_size, stride, dilation):
    """``(N, C, L)`` -> ``(N, C, L_out, K)``: a read-only strided view, no copy.

    Window ``l`` holds ``x[..., l * stride + k * dilation]`` for ``k < K``.
    """
    xp = array_module(x)
    span = dilation * (kernel_size - 1) + 1
    view = xp.lib.stride_tricks.sliding_window_view(x, span, axis=-1)   # (N, C, L - span + 1, span)
    return view[:, :, ::stride, ::dilation]


def fold_windows(grad_windows, length, stride, dilation):
    """The transpose of ``windows`` (col2im): ``(N, C, L_out, K)`` -> ``(N, C, length)``, overlaps summed."""
    xp = array_module(grad_windows)
    n, c, out_length, kernel_size = grad_windows.shape
    grad = xp.zeros((n, c, length), dtype=grad_windows.dtype)
    for k in range(kernel_size):          # one strided scatter per kernel tap; taps never collide
        start = k * dilation
        grad[:, :, start:start + stride * (out_length - 1) + 1:stride] += grad_windows[:, :, :, k]
    return grad


class Conv1d(Function):
    """``out[n, o, l] = sum_{c, k} w[o, c, k] x[n, g(o) C/G + c, l s + k d] + b[o]``.

    x ``(N, C, L)`` (already zero-padded), weight ``(O, C/G, K)``, bias ``(O,)`` -> ``(N, O, L_out)``.
    Per group the windows ``(N, L_out, C/G * K)`` times ``weight^T`` ``(C/G * K, O/G)`` is one matmul;
    the backward is the same matmul transposed, then ``fold_windows``.
    """

    def forward(self, x, weight, *bias, stride, dilation, groups, padding):
        xp = array_module(x)
        self.stride, self.dilation, self.groups, self.padding = stride, dilation, groups, padding
        if padding != (0, 0):
            x = xp.pad(x, ((0, 0), (0, 0), padding))
        self.padded_length = x.shape[-1]
        out_channels, group_channels, kernel_size = weight.shape
        cols = self._columns(x, kernel_size)                                 # (N, G, L_out, C/G * K)
        weights = weight.reshape(groups, out_channels // groups, group_channels * kernel_size)
        output = cols @ weights.transpose(0, 2, 1)                            # (N, G, L_out, O/G)
        n, _, out_length, _ = output.shape
        output = output.transpose(0, 1, 3, 2).reshape(n, out_channels, out_length)
        if bias:
            output += bias[0][:, None]
        self.save_for_backward(x if self.needs_input_grad[1] else None, weight)
        self.has_bias = bool(bias)
        return output

    def _columns(self, x, kernel_size):
        n, channels, _ = x.shape
        view = windows(x, kernel_size, self.stride, self.dilation)           # (N, C, L_out, K)
        out_length = view.shape[2]
        view = view.reshape(n, self.groups, channels // self.groups, out_length, kernel_size)
        return view.transpose(0, 1, 3, 2, 4).reshape(n, self.groups, out_length, -1)

    def backward(self, grad_output):
        x, weight = self.saved_tensors
        out_channels, group_channels, kernel_size = weight.shape
        n, _, out_length = grad_output.shape
        groups = self.groups
        grad = grad_output.reshape(n, groups, out_channels // groups, out_length)   # (N, G, O/G, L_out)
        grads = [None, None, None][:2 + self.has_bias]
        if self.needs_input_grad[0]:
            weights = weight.reshape(groups, out_channels // groups, group_channels * kernel_size)
            grad_cols = grad.transpose(0, 1, 3, 2) @ weights                          # (N, G, L_out, C/G * K)
            grad_cols = grad_cols.reshape(n, groups, out_length, group_channels, kernel_size)
            grad_cols = grad_cols.transpose(0, 1, 3, 2, 4).reshape(n, groups * group_channels, out_length,
                                                                  kernel_size)
            grad_x = fold_windows(grad_cols, self.padded_length, self.stride, self.dilation)
            left, right = self.padding
            grads[0] = grad_x[:, :, left:self.padded_length - right]
        if self.needs_input_grad[1]:
            cols = self._columns(x, kernel_size)                                     # (N, G, L_out, C/G * K)
            grad_weight = (grad @ cols).sum(axis=0)                                   # (G, O/G, C/G * K)
            grads[1] = grad_weight.reshape(weight.shape)
        if self.has_bias and self.needs_input_grad[2]:
            grads[2] = grad_output.sum(axis=(0, 2))
        return tuple(grads)


def _padding_pair(padding, kernel_size, stride, dilation):
    """torch's ``padding`` (int, 1-tuple, ``'valid'`` or ``'same'``) -> (left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":
            if stride != 1:
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = dilation * (kernel_size - 1)   # torch puts the odd extra element on the right
            return total // 2, total - total // 2
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    padding = _single(padding, "padding")
    return padding, padding


def _check_conv1d(input, weight, groups, padding, dilation):
    shape, weight_shape = list(input.array.shape), list(weight.array.shape)
    if len(shape) != 3:
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: {shape}")
    if shape[1] != weight_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {weight_shape}, expected input{shape} to have "
                           f"{weight_shape[1] * groups} channels, but got {shape[1]} channels instead")
    padded = shape[2] + padding[0] + padding[1]
    if padded < dilation * (weight_shape[2] - 1) + 1:
        raise RuntimeError(f"Calculated padded input size per channel: ({padded}). Kernel size: "
                           f"({dilation * (weight_shape[2] - 1) + 1}). Kernel size can't be greater than "
                           "actual input size")


def _check_conv_dtypes(input, weight, bias):
    """torch's dtype errors: the bias is checked first, then the weight (two wordings)."""
    if bias is not None and bias.array.dtype != input.array.dtype:
        raise RuntimeError(f"Input type ({c_type_name(input.array.dtype)}) and bias type "
                           f"({c_type_name(bias.array.dtype)}) should be the same")
    if weight.array.dtype != input.array.dtype:
        # torch's wording depends on its backend: float16 input goes the oneDNN way (and so
        # does float32 with several threads); one thread, as here, gives the plain message
        if input.array.dtype.name != "float16":
            raise RuntimeError(f"expected scalar type {scalar_type_name(input.dtype)} but found "
                               f"{scalar_type_name(weight.dtype)}")
        raise RuntimeError(f"Input type (torch.{scalar_type_name(input.dtype)}Tensor) and weight type "
                           f"(torch.{scalar_type_name(weight.dtype)}Tensor) should be the same or input "
                           "should be a MKLDNN tensor and weight is a dense tensor")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation: input ``(N, C, L)`` or ``(C, L)``, weight ``(O, C/groups, K)`` -> ``(N, O, L_out)``."""
    stride, dilation = _single(stride, "stride"), _single(dilation, "dilation")
    pad = _padding_pair(padding, weight.array.shape[-1], stride, dilation)
    unbatched = input.array.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    _check_conv1d(input, weight, groups, pad, dilation)
    _check_conv_dtypes(input, weight, bias)
    tensors = (input, weight) if bias is None else (input, weight, bias)
    output = Conv1d.apply(*tensors, stride=stride, dilation=dilation, groups=groups, padding=pad)
    return output.squeeze(0) if unbatched else output
