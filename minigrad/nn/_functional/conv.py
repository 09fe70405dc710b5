"""``F.conv1d`` / ``F.conv2d`` / ``F.conv3d`` (one N-d convolution) and ``F.conv_transpose1d/2d`` (its adjoint).

im2col is a strided window view of the (padded) input (``windows``), copied once into
columns ``(G, C/G * prod(K), N * prod(L_out))``; the convolution is then one matmul per
group with the weight seen as ``(G, O/G, C/G * prod(K))``.  The backward is the same
matmul transposed; the input gradient goes back through ``fold_windows`` (col2im), a
loop over the kernel offsets only, each adding one strided slice.  The transposed
convolution runs the same two pieces the other way round.  Both live in fold.py, with
``F.unfold`` / ``F.fold``; pooling uses them too.

Under create_graph=True both are differentiated through their ``composite``s: zero
padding, im2col and col2im as ops (``Unfold``, ``Fold``, fold.py) and matmuls.
"""
from __future__ import annotations

import math

from ...backends.cpu import onednn_computes_float16
from ...core.device import array_module, quiet_float_errors
from ...core.dtypes import c_type_name, from_numpy_dtype, scalar_type_name
from ...core.function import Function
from .fold import Fold, Unfold, fold_windows, windows
from .padding import ConstantPad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d"]


def _expand(value, name, dims):
    """torch's ``expand_param_if_needed``: ``3``, ``[3]`` or ``[3, 3]`` -> ``(3, 3)`` for ``dims=2``."""
    if not isinstance(value, (tuple, list)):
        return (int(value),) * dims
    if len(value) == 1:
        return (int(value[0]),) * dims
    if len(value) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values to match "
                           f"the convolution dimensions, but got {name}={[int(v) for v in value]}")
    return tuple(int(v) for v in value)


def _single(value, name="value"):
    """``3`` or ``(3,)`` -> ``3`` (torch's ``_single``, checked)."""
    return _expand(value, name, 1)[0]


def _ntuple(value, dims):
    """torch's ``_pair`` / ``_triple``: an int repeated ``dims`` times; a sequence kept as a tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class Convolution(Function):
    """``out[n, o, l] = sum_{c, k} w[o, c, k] x[n, g(o) C/G + c, l s - p + k d] + b[o]`` (cross-correlation).

    x ``(N, C, *L)``, weight ``(O, C/G, *K)``, bias ``(O,)`` -> ``(N, O, *L_out)``; ``padding`` is
    ``((before, after), ...)`` per spatial dim, zeros.  Per group the columns
    ``(C/G * prod(K), N * prod(L_out))`` are multiplied by the weight ``(O/G, C/G * prod(K))``: the
    batch sits inside the columns so that each group is ONE large matmul (BLAS runs one big
    product faster than N small ones), at the price of a transposed copy of the output.
    """

    def name(self):
        return "ConvolutionBackward0"

    def forward(self, x, weight, *bias, stride, padding, dilation, groups, onednn):
        xp = array_module(x)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.input_shape = x.shape
        # the input too, unread (the columns stand for it), as torch's node saves it
        self.save_for_backward(weight, x)
        padded = any(before or after for before, after in padding)
        if padded:
            x = xp.pad(x, ((0, 0), (0, 0)) + padding)
        self.padded_shape = x.shape[2:]
        n, out_channels, kernel_size = x.shape[0], weight.shape[0], weight.shape[2:]
        columns = self._columns(x, kernel_size)                               # (G, C/G * prod(K), N * P)
        weights = weight.reshape(groups, out_channels // groups, columns.shape[1])
        self.skips_padding = onednn and padded
        if self.skips_padding and not xp.isfinite(weight).all():
            # oneDNN adds no product for a padded position, so its zeros never meet an inf or NaN
            # weight (0 * inf would be NaN); the matmul would, so the products are summed here
            output = _summed_as_onednn(xp, self._real(xp, kernel_size)[:, None], weights[..., None],
                                       columns[:, None], 2)
        elif columns.shape[1] == 1 and x.dtype.itemsize >= 4:
            # an inner size of 1, one product an output element, whose -0.0 torch keeps or not by
            # kernel: its gemm and oneDNN's grouped kernel add it to the bias (signed zeros kept);
            # without a bias its gemm gives the bare product, unless it is a gemv (one output channel
            # a group, one position a sample: then 0 + product, as NumPy's matmul); oneDNN's plain
            # kernel adds it to +0, bias or not (fuzz seed 4999669).  (Half precision: as NumPy's, fuzz seed 3576.)
            bare = (bool(bias) and (not onednn or groups > 1)) or \
                (not onednn and weights.shape[1] > 1 and math.prod(self.out_shape) > 1)
            output = weights * columns if bare else weights @ columns
        else:
            output = weights @ columns
        output = output.reshape((out_channels, n) + self.out_shape)              # (O, N, *L_out)
        # torch's outputs are contiguous (and x.view(n, -1) must work on them): copy to (N, O, *L_out)
        output = xp.ascontiguousarray(output.swapaxes(0, 1))
        if bias:
            output += bias[0].reshape((out_channels,) + (1,) * len(kernel_size))
        # the columns are the weight's gradient operand: keep them rather than build them twice
        self.columns = columns if self.needs_input_grad[1] else None
        self.has_bias = bool(bias)
        return output

    def _real(self, xp, kernel_size):
        """The columns' mask of positions that are the input's, not padding."""
        ones = xp.pad(xp.ones(self.input_shape, bool), ((0, 0), (0, 0)) + self.padding)
        return self._columns(ones, kernel_size)

    def _columns(self, x, kernel_size):
        """im2col: ``(N, C, *L)`` -> ``(G, C/G * prod(K), N * prod(L_out))`` (a copy of the window view)."""
        n, channels = x.shape[:2]
        view = windows(x, kernel_size, self.stride, self.dilation)          # (N, C, *L_out, *K)
        dims = len(kernel_size)
        self.out_shape = view.shape[2:2 + dims]
        # (C, *K, N, *L_out): the output pixels innermost, so the copy reads runs of the input
        view = view.transpose((1,) + tuple(range(2 + dims, 2 + 2 * dims)) + (0,) + tuple(range(2, 2 + dims)))
        return view.reshape(self.groups, channels // self.groups * math.prod(kernel_size),
                            n * math.prod(self.out_shape))

    def composite(self, x, weight, *bias):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True):
        zero padding (``ConstantPad``), im2col (``Unfold``), one matmul per group."""
        n, out_channels, kernel_size = x.shape[0], weight.shape[0], tuple(weight.shape[2:])
        padded = ConstantPad.apply(x, widths=((0, 0), (0, 0)) + self.padding, value=0)
        columns = Unfold.apply(padded, kernel_size=kernel_size, dilation=self.dilation,
                               padding=(0,) * len(kernel_size), stride=self.stride)   # (N, C * prod(K), P)
        columns = columns.reshape(n, self.groups, -1, columns.shape[-1])             # (N, G, C/G * prod(K), P)
        weights = weight.reshape(self.groups, out_channels // self.groups, -1)       # (G, O/G, C/G * prod(K))
        output = (weights @ columns).reshape((n, out_channels) + self.out_shape)
        if bias:
            output = output + bias[0].reshape((out_channels,) + (1,) * len(kernel_size))
        return output

    def backward(self, grad_output):
        xp = array_module(grad_output)
        weight, _ = self.saved_tensors
        out_channels, group_channels, kernel_size = weight.shape[0], weight.shape[1], weight.shape[2:]
        n, groups, dims = grad_output.shape[0], self.groups, len(kernel_size)
        pixels = n * math.prod(self.out_shape)
        # (N, O, *L_out) -> (G, O/G, N * P), the layout of the forward's product
        grad = grad_output.swapaxes(0, 1).reshape(groups, out_channels // groups, pixels)
        grads = [None, None, None][:2 + self.has_bias]
        if self.needs_input_grad[0]:
            weights = weight.reshape(groups, out_channels // groups, group_channels * math.prod(kernel_size))
            grad_columns = weights.swapaxes(1, 2) @ grad                             # (G, C/G * prod(K), N * P)
            grad_windows = grad_columns.reshape((groups * group_channels,) + kernel_size + (n,) + self.out_shape)
            # col2im in the columns' own (C, N) order: 30 % faster than reading them as (N, C)
            grad_windows = grad_windows.transpose((0, 1 + dims) + tuple(range(2 + dims, 2 + 2 * dims))
                                                  + tuple(range(1, 1 + dims)))        # (C, N, *L_out, *K)
            grad_x = fold_windows(grad_windows, self.padded_shape, self.stride, self.dilation).swapaxes(0, 1)
            # row-major as torch's (fuzz seed 2055437: relu6's backward at NaN reads the layout)
            grads[0] = xp.ascontiguousarray(grad_x[(slice(None), slice(None)) + tuple(
                slice(before, before + size) for (before, _), size in zip(self.padding, self.input_shape[2:]))])
        if self.needs_input_grad[1]:
            if self.skips_padding and not xp.isfinite(grad).all():     # (oneDNN: padding adds no product)
                grad_weight = _summed_as_onednn(xp, self._real(xp, kernel_size)[:, None], grad[:, :, None],
                                                self.columns[:, None], 3)
            else:
                grad_weight = grad @ self.columns.swapaxes(1, 2)                     # (G, O/G, C/G * prod(K))
            grads[1] = grad_weight.reshape(weight.shape)
        if self.has_bias and self.needs_input_grad[2]:
            grads[2] = grad.reshape(out_channels, pixels).sum(axis=1)
        return tuple(grads)


def _summed_as_onednn(xp, real, a, b, axis):
    """``a * b`` summed over ``axis`` where ``real`` (oneDNN adds no product for padding), in
    float32 for float16 as oneDNN computes."""
    products = xp.where(real, a.astype(xp.promote_types(a.dtype, xp.float32)) * b, 0)
    with quiet_float_errors():      # (inf - inf sums to NaN silently, as torch's)
        return products.sum(axis=axis).astype(a.dtype, copy=False)


def _same_padding(kernel_size, dilation):
    """``padding='same'``: ``dilation (K - 1)`` in all, the odd element on the right (as torch)."""
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    return tuple((total // 2, total - total // 2) for total in totals)


def _padding_pairs(padding, kernel_size, stride, dilation):
    """torch's ``padding`` (int, tuple, ``'valid'`` or ``'same'``) -> ``((before, after), ...)`` per dim."""
    dims = len(kernel_size)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * dims
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            return _same_padding(kernel_size, dilation)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    return tuple((p, p) for p in _expand(padding, "padding", dims))


def _padding_pair(padding, kernel_size, stride, dilation):
    """The 1-d form of ``_padding_pairs``: ``(left, right)``."""
    return _padding_pairs(padding, (kernel_size,), (stride,), (dilation,))[0]


def _type_name(array):
    return f"torch.{scalar_type_name(from_numpy_dtype(array.dtype))}Tensor"


def _check_rank_and_groups(shape, weight_shape, groups):
    """The checks ``check_shape_forward`` makes alike for a convolution and a transposed one."""
    if len(weight_shape) != len(shape):
        raise RuntimeError(f"Expected {len(weight_shape)}-dimensional input for {len(weight_shape)}-dimensional "
                           f"weight {weight_shape}, but got {len(shape)}-dimensional input of size {shape} instead")
    if weight_shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
                           f"but got weight of size {weight_shape} instead")
    if weight_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{weight_shape}] instead")


def _check_not_empty(x):
    """torch sends an input with no elements down its 'empty' path, which takes only an empty
    batch or no channels (a 1-d input shown as the 2-d one it runs as)."""
    if x.size == 0 and x.shape[0] and x.shape[1]:
        shape = [*x.shape[:2], 1, *x.shape[2:]] if x.ndim == 3 else list(x.shape)
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input shape: {shape}")


def _check_convolution(x, weight, bias, stride, padding, dilation, groups):
    """torch's ``check_shape_forward``, in its order, on a batched input."""
    if any(before < 0 or after < 0 for before, after in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    shape, weight_shape = list(x.shape), list(weight.shape)
    _check_rank_and_groups(shape, weight_shape, groups)
    if shape[1] != weight_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {weight_shape}, expected input{shape} to have "
                           f"{weight_shape[1] * groups} channels, but got {shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight_shape[0]):
        raise RuntimeError(f"Given weight of size {weight_shape}, expected bias to be 1-dimensional with "
                           f"{weight_shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    padded = [size + before + after for size, (before, after) in zip(shape[2:], padding)]
    spans = [d * (k - 1) + 1 for k, d in zip(weight_shape[2:], dilation)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
                           "actual input size")
    if 0 in dilation:   # torch rejects it in the kernel it picks: oneDNN for float32, its own loops otherwise
        raise RuntimeError("non-positive dilation is not supported" if x.dtype.name == "float32" else
                           f"dilation should be greater than zero, but got {list(dilation)}")
    if x.dtype != weight.dtype:
        _raise_operand_dtype(x, weight, "weight", _takes_onednn(x, weight, stride, dilation, groups))
    _check_not_empty(x)


def _raise_operand_dtype(x, operand, name, onednn):
    """torch's dtype error, worded by the kernel it picked: oneDNN names both tensor types, its own
    loops the scalar types."""
    if onednn:
        raise RuntimeError(f"Input type ({_type_name(x)}) and {name} type ({_type_name(operand)}) should be the "
                           f"same or input should be a MKLDNN tensor and {name} is a dense tensor")
    raise RuntimeError(f"expected scalar type {scalar_type_name(from_numpy_dtype(x.dtype))} but found "
                       f"{scalar_type_name(from_numpy_dtype(operand.dtype))}")


def _takes_onednn(x, weight, stride, dilation, groups):
    """torch's ``use_mkldnn`` at one thread (minigrad's default): its dtype error is worded by the
    kernel it picks.  float16 goes to oneDNN where this CPU computes it there (``backends.cpu``).
    A 1-d convolution runs as a 2-d one with a ``(1, K)`` kernel."""
    if x.dtype.name == "float16":
        return onednn_computes_float16()
    if x.dtype.name != "float32":
        return False
    kernel = (1,) + tuple(weight.shape[2:]) if weight.ndim == 3 else tuple(weight.shape[2:])
    shape = (x.shape[0], x.shape[1], 1) + tuple(x.shape[2:]) if x.ndim == 3 else tuple(x.shape)
    worth_it = (any(s != 1 for s in stride) or any(d != 1 for d in dilation) or shape[0] >= 16
                or kernel[-1] != 1 or kernel[-2] != 1)
    return worth_it and (groups > 1 or (kernel[-1] > 3 and kernel[-2] > 3) or shape[0] > 1
                         or math.prod(shape[:4]) > 20480)


def _convolution(input, weight, bias, stride, padding, dilation, groups, dims, name):
    """The checks of ``torch.conv{dims}d`` in torch's order, then ``Convolution``."""
    _check_bias_dtype(input, bias)
    _check_input_rank(input, dims, name)
    unbatched = input.array.ndim == dims + 1
    if unbatched:
        input = input.unsqueeze(0)
    # torch's parser makes an int a list of ``dims`` values; the convolution then takes its rank from the weight
    weight_dims = _weight_dims(weight, groups)
    stride = _expand(_ntuple(stride, dims), "stride", weight_dims)
    dilation = _expand(_ntuple(dilation, dims), "dilation", weight_dims)
    if isinstance(padding, str):
        pads = _padding_pairs(padding, weight.array.shape[2:], stride, dilation)
    else:
        pads = tuple((p, p) for p in _expand(_ntuple(padding, dims), "padding", weight_dims))
    _check_convolution(input.array, weight.array, None if bias is None else bias.array, stride, pads, dilation,
                       groups)
    tensors = (input, weight) if bias is None else (input, weight, bias)
    output = Convolution.apply(*tensors, stride=stride, padding=pads, dilation=dilation, groups=groups,
                               onednn=_takes_onednn(input.array, weight.array, stride, dilation, groups))
    return output.squeeze(0) if unbatched else output


def _check_input_rank(input, dims, name):
    if input.array.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.array.shape)}")


def _weight_dims(weight, groups):
    """The spatial rank the weight gives the convolution, after torch's checks of it and of ``groups``."""
    if weight.array.ndim <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    return weight.array.ndim - 2


def _check_bias_dtype(input, bias):
    if bias is not None and bias.array.dtype != input.array.dtype:
        raise RuntimeError(f"Input type ({c_type_name(input.array.dtype)}) and bias type "
                           f"({c_type_name(bias.array.dtype)}) should be the same")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation: input ``(N, C, L)`` or ``(C, L)``, weight ``(O, C/groups, K)`` -> ``(N, O, L_out)``.

    ``L_out = (L + 2 padding - dilation (K - 1) - 1) // stride + 1``; ``padding`` may be
    ``'same'`` or ``'valid'``.
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d cross-correlation: input ``(N, C, H, W)`` or ``(C, H, W)``, weight ``(O, C/groups, KH, KW)``
    -> ``(N, O, H_out, W_out)``; ``stride``, ``padding``, ``dilation`` are ints or pairs (per dim as in
    ``conv1d``), or ``padding='same'`` / ``'valid'``."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d cross-correlation: input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, weight ``(O, C/groups, KD, KH, KW)``
    -> ``(N, O, D_out, H_out, W_out)``."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


# ---- transposed convolution -------------------------------------------------------------------------------
class ConvolutionTranspose(Function):
    """The transpose (adjoint) of ``Convolution`` in ``x``: each input pixel scatters ``weight`` times its
    value onto the output, ``out[n, o, l s - p + k d] += sum_c x[n, c, l] w[c, o, k]`` (+ ``b[o]``).

    x ``(N, C_in, *L)``, weight ``(C_in, C_out/G, *K)``, bias ``(C_out,)`` -> ``(N, C_out, *L_out)``,
    ``L_out = (L - 1) s - 2 p + d (K - 1) + output_padding + 1``.  The forward is the convolution's
    input gradient (one matmul per group, then col2im); the backward is the convolution's forward.
    """

    def forward(self, x, weight, *bias, stride, padding, output_padding, dilation, groups):
        xp = array_module(x)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.output_padding = output_padding
        n, in_channels = x.shape[:2]
        self.input_shape, kernel_size = x.shape, weight.shape[2:]
        out_channels = weight.shape[1] * groups
        # before cropping ``padding`` from both ends; ``output_padding`` adds at the far end
        self.full_shape = tuple((size - 1) * s + d * (k - 1) + 1 + extra for size, k, s, d, extra
                                in zip(x.shape[2:], kernel_size, stride, dilation, output_padding))
        inputs = self._as_matrix(x)                                                  # (G, C_in/G, N * P)
        weights = weight.reshape(groups, in_channels // groups, -1)                  # (G, C_in/G, C_out/G * prod(K))
        columns = weights.swapaxes(1, 2) @ inputs                                    # (G, C_out/G * prod(K), N * P)
        dims = len(kernel_size)
        windows_view = columns.reshape((out_channels,) + kernel_size + (n,) + x.shape[2:]).transpose(
            (0, 1 + dims) + tuple(range(2 + dims, 2 + 2 * dims)) + tuple(range(1, 1 + dims)))  # (C_out, N, *L, *K)
        full = fold_windows(windows_view, self.full_shape, stride, dilation).swapaxes(0, 1)
        output = xp.ascontiguousarray(full[(Ellipsis,) + tuple(slice(p, size - p)
                                                                for p, size in zip(padding, self.full_shape))])
        if bias:
            output += bias[0].reshape((out_channels,) + (1,) * dims)
        self.inputs = inputs if self.needs_input_grad[1] else None
        self.save_for_backward(weight, x)   # x unread (``inputs`` stands for it), as torch's node saves it
        self.has_bias = bool(bias)
        return output

    def _as_matrix(self, x):
        """``(N, C, *L)`` -> ``(G, C/G, N * prod(L))``."""
        n, channels = x.shape[:2]
        return x.swapaxes(0, 1).reshape(self.groups, channels // self.groups, n * math.prod(x.shape[2:]))

    def composite(self, x, weight, *bias):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True): one
        matmul per group into columns, col2im (``Fold``), then ``ConstantPad`` crops ``padding`` from both
        ends and adds ``output_padding`` zeros at the far end."""
        n, in_channels = x.shape[:2]
        kernel_size, dims = tuple(weight.shape[2:]), weight.ndim - 2
        out_channels = weight.shape[1] * self.groups
        inputs = x.reshape(n, self.groups, in_channels // self.groups, -1)          # (N, G, C_in/G, P)
        weights = weight.reshape(self.groups, in_channels // self.groups, -1)       # (G, C_in/G, C_out/G * prod(K))
        columns = (weights.transpose(1, 2) @ inputs).reshape(n, out_channels * math.prod(kernel_size), -1)
        reached = tuple((size - 1) * s + d * (k - 1) + 1 for size, k, s, d
                        in zip(x.shape[2:], kernel_size, self.stride, self.dilation))
        full = Fold.apply(columns, output_size=reached, kernel_size=kernel_size, dilation=self.dilation,
                          padding=(0,) * dims, stride=self.stride)
        output = ConstantPad.apply(full, value=0, widths=((0, 0), (0, 0)) + tuple(
            (-p, extra - p) for p, extra in zip(self.padding, self.output_padding)))
        if bias:
            output = output + bias[0].reshape((out_channels,) + (1,) * dims)
        return output

    def backward(self, grad_output):
        xp = array_module(grad_output)
        weight, _ = self.saved_tensors
        n, in_channels, groups = self.input_shape[0], self.input_shape[1], self.groups
        kernel_size, spatial, dims = weight.shape[2:], self.input_shape[2:], len(weight.shape[2:])
        full = xp.pad(grad_output, ((0, 0), (0, 0)) + tuple((p, p) for p in self.padding))
        # what each input pixel scattered to: the convolution's windows (their count can exceed L
        # when output_padding >= stride; those extra windows saw no input)
        view = windows(full, kernel_size, self.stride, self.dilation)[
            (slice(None), slice(None)) + tuple(slice(0, size) for size in spatial)]   # (N, C_out, *L, *K)
        view = view.transpose((1,) + tuple(range(2 + dims, 2 + 2 * dims)) + (0,) + tuple(range(2, 2 + dims)))
        columns = view.reshape(groups, -1, n * math.prod(spatial)) if view.size else \
            xp.zeros((groups, view.shape[0] // groups * math.prod(kernel_size), 0), dtype=view.dtype)
        grads = [None, None, None][:2 + self.has_bias]
        if self.needs_input_grad[0]:
            weights = weight.reshape(groups, in_channels // groups, -1)
            grad_x = (weights @ columns).reshape((in_channels, n) + spatial)             # (C_in, N, *L)
            grads[0] = xp.ascontiguousarray(grad_x.swapaxes(0, 1))
        if self.needs_input_grad[1]:
            grads[1] = (self.inputs @ columns.swapaxes(1, 2)).reshape(weight.shape)
        if self.has_bias and self.needs_input_grad[2]:
            grads[2] = grad_output.swapaxes(0, 1).reshape(grad_output.shape[1], -1).sum(axis=1) \
                if grad_output.size else xp.zeros(grad_output.shape[1], dtype=grad_output.dtype)
        return tuple(grads)


def _check_transposed(x, weight, bias, stride, padding, output_padding, dilation, groups):
    """torch's ``check_shape_forward`` for ``transposed=True``, then its output-padding check."""
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    shape, weight_shape = list(x.shape), list(weight.shape)
    _check_rank_and_groups(shape, weight_shape, groups)
    if shape[1] != weight_shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {weight_shape}, expected input{shape} to have "
                           f"{weight_shape[0]} channels, but got {shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight_shape[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {weight_shape}, expected bias to be 1-dimensional "
                           f"with {weight_shape[1] * groups} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    if any(p >= s and p >= d for p, s, d in zip(output_padding, stride, dilation)):
        # torch runs 1-d as 2-d with a height of 1
        names = ("height", "width")
        padded = [(0, 1, 1)] * (2 - len(stride)) + list(zip(output_padding, stride, dilation))
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(f"output_padding_{name}: {p[0]}" for name, p in zip(names, padded)) + " "
                           + " ".join(f"stride_{name}: {p[1]}" for name, p in zip(names, padded)) + " "
                           + " ".join(f"dilation_{name}: {p[2]}" for name, p in zip(names, padded)))
    # float16 goes to oneDNN where this CPU computes it there, which wants the bias alike; torch's own
    # loops cast any bias
    onednn = x.dtype.name == "float16" and onednn_computes_float16()
    if x.dtype != weight.dtype:
        _raise_operand_dtype(x, weight, "weight", onednn)
    if onednn and bias is not None and bias.dtype != x.dtype:
        _raise_operand_dtype(x, bias, "bias", onednn)
    _check_not_empty(x)


def _convolution_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, dims, name):
    _check_input_rank(input, dims, name)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    unbatched = input.array.ndim == dims + 1
    if unbatched:
        input = input.unsqueeze(0)
    weight_dims = _weight_dims(weight, groups)
    stride, padding, output_padding, dilation = (
        _expand(_ntuple(value, dims), label, weight_dims)
        for value, label in ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"),
                             (dilation, "dilation")))
    _check_transposed(input.array, weight.array, None if bias is None else bias.array, stride, padding,
                      output_padding, dilation, groups)
    if bias is not None and bias.dtype != input.dtype:
        bias = bias.to(input.dtype)
    tensors = (input, weight) if bias is None else (input, weight, bias)
    output = ConvolutionTranspose.apply(*tensors, stride=stride, padding=padding, output_padding=output_padding,
                                        dilation=dilation, groups=groups)
    return output.squeeze(0) if unbatched else output


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution: input ``(N, C_in, L)`` or ``(C_in, L)``, weight ``(C_in, C_out/groups, K)``
    -> ``(N, C_out, L_out)``, ``L_out = (L - 1) stride - 2 padding + dilation (K - 1) + output_padding + 1``."""
    return _convolution_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                                  "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution: input ``(N, C_in, H, W)`` or ``(C_in, H, W)``, weight
    ``(C_in, C_out/groups, KH, KW)`` -> ``(N, C_out, H_out, W_out)`` (per dim as ``conv_transpose1d``)."""
    return _convolution_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                                  "conv_transpose2d")
