"""``F.group_norm`` and ``F.instance_norm``: normalisation over groups of channels (one node, through the
fused ``LayerNorm``'s rows of a reshaped view, then the per-channel affine), or over each channel of
each sample (``batch_norm`` of the samples viewed as one, as torch composes it)."""
from __future__ import annotations

import math

import numpy

from ...core.device import array_module, quiet_float_errors
from ...core.layout import channels_last, element_strides, relayout
from ...core.function import Function
from ...ops.broadcast import sum_to
from ...core.grad_mode import no_grad
from .batchnorm import batch_norm, check_feature_sizes
from ...ops.fused import fmadd
from . import _group_norm_kernel as kernel
from .normalization import LayerNorm

__all__ = ["group_norm", "instance_norm"]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalise ``(N, C, *)`` over each group of ``C / num_groups`` channels (and all their positions) to
    mean 0 and (biased) variance 1, then ``* weight[c] + bias[c]``."""
    shape = list(input.array.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {len(shape)}")
    # torch's F.group_norm checks the (N * C / G, G, *) view as batch_norm checks a batch (fuzz seed 7011539)
    grouped = [shape[0] * shape[1] // num_groups, num_groups] + shape[2:]
    if grouped[0] * math.prod(grouped[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {grouped}")
    if shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {shape} and num_groups={num_groups}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and (tensor.array.ndim != 1 or tensor.array.shape[0] != shape[1]):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(tensor.array.shape)} and input of shape {shape}")
    affine = [tensor for tensor in (weight, bias) if tensor is not None]
    return GroupNorm.apply(input, *affine, num_groups=num_groups, eps=eps, has_weight=weight is not None,
                           has_bias=bias is not None)


def _contiguous_as_torch(array):
    """``array.contiguous(array.suggest_memory_format())``: the array itself where it is contiguous in
    C order or, 4-d or 5-d, channels-last; else a C-order copy."""
    if array.flags.c_contiguous or channels_last(array):
        return array
    return array_module(array).ascontiguousarray(array)


class GroupNorm(Function):
    """torch's one node for group_norm (``NativeGroupNormBackward0``), which saves the input and the
    weight as given (not the bias): an in-place write to either stops backward naming that tensor.
    Forward: the fused ``LayerNorm`` of the ``(N, groups, rest)`` rows, then ``* weight[c] + bias[c]``
    (as torch's kernel fuses them).  Backward: torch's CPU kernel, step by step, in float32 and
    float64 (``_group_norm_kernel``); in half precision and on CuPy the rows' backward."""

    argument_names = ("input", "weight")      # torch unpacks input before weight: the first written is named

    def name(self):
        return "NativeGroupNormBackward0"

    def forward(self, x, *affine, num_groups, eps, has_weight, has_bias):
        n, channels = x.shape[:2]
        self.shape, self.has_weight, self.has_bias = x.shape, has_weight, has_bias
        self.grouped_shape = (n, num_groups, channels // num_groups * math.prod(x.shape[2:]))
        self.channel_shape = (channels,) + (1,) * (x.ndim - 2)
        self.rows = LayerNorm()            # the rows' node, run by this one (not in the graph)
        self.rows.needs_input_grad = self.needs_input_grad[:1]
        normalized = self.rows.forward(x.reshape(self.grouped_shape), normalized_ndim=1, eps=eps,
                                       has_weight=False, has_bias=False, eps_in_double=True).reshape(x.shape)
        weight = affine[0].reshape(self.channel_shape) if has_weight else None
        self.normalized, self.weight = normalized, weight
        # as torch: input, weight, each made contiguous first (a copy where it is not: a write to the
        # tensor given is then no error; fuzz seed 7924369, a transposed input written by relu_)
        given = (x, affine[0]) if has_weight else (x,)
        saved = [_contiguous_as_torch(array) for array in given]
        for index, (array, original) in enumerate(zip(saved, given)):
            if array is not original:
                self.save_copy_of_input(index, array)
        self.save_for_backward(*saved)
        # the output in the layout of the input made contiguous (C order, or channels-last kept), as
        # torch's kernel writes it (fuzz seed 8977516: a transposed input's output was transposed)
        laid_out = saved[0]
        if not (has_weight or has_bias):    # torch's kernel without either: (x - mean) * rstd (fuzz seed 368)
            out = normalized if x.dtype.itemsize >= 4 else self._half_normalized(x)
            return relayout(out, element_strides(laid_out))
        if type(x) is not numpy.ndarray:
            out = normalized * weight if has_weight else normalized
            out = out + affine[-1].reshape(self.channel_shape) if has_bias else out
            return relayout(out, element_strides(laid_out))
        return self._scaled_and_shifted(laid_out, affine)

    def _half_normalized(self, x):
        """torch's half precision kernel without weight or bias: ``(x - mean) * rstd`` in float32 with the
        rows' statistics unrounded, then rounded once (a group of one value is 0, where the rows' half
        precision formula left -6.3e-06; fuzz seed 7601687 with the layer template)."""
        mean, rstd = self.rows.moments
        with quiet_float_errors():
            rows = x.reshape(self.grouped_shape).astype(rstd.dtype)
            return ((rows - mean) * rstd).astype(x.dtype).reshape(x.shape)

    def _scaled_and_shifted(self, x, affine):
        """torch's kernel's output: per sample and channel ``scale = rstd * weight`` and ``shift = beta -
        scale * mean``, then ``x * scale + shift``, both multiply-adds fused (bit for bit on 60 random
        float32 and float64 group norms given torch's statistics; ``normalized * weight + bias`` was not,
        and a weight of -3e38 gives torch's NaN, not the bias: fuzz seed 7300057 with the layer
        template).  Half precision the same in float32, with the rows' statistics unrounded, rounded
        once at the end (fuzz seed 7707373: a group of one value, 60000, whose output is the bias plus
        the rounding of x * scale - mean * scale, -1.540 in torch, -1.633 from the half product and sum)."""
        n = x.shape[0]
        half = x.dtype.itemsize < 4
        statistics = [stat.reshape(n, self.grouped_shape[1]) for stat in self.rows.moments] if half \
            else self._statistics()
        mean, rstd = self._per_channel(statistics)
        wide = numpy.float32 if half else x.dtype.type
        weight = affine[0].astype(wide) if self.has_weight else wide(1)
        beta = affine[-1].astype(wide) if self.has_bias else wide(0)
        with quiet_float_errors():
            scale = (rstd.astype(wide) * weight).reshape((n,) + self.channel_shape)
            shift = fmadd(-scale, mean.astype(wide).reshape(scale.shape),
                          numpy.broadcast_to(beta.reshape(self.channel_shape) if self.has_bias else beta, scale.shape),
                          wide)
            result = fmadd(x.astype(wide, copy=False), scale, shift, wide)
        return result.astype(x.dtype) if half else result

    def composite(self, x, *affine):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True)."""
        self._check_bias_gradient()
        out = self.rows.composite(x.reshape(self.grouped_shape)).reshape(self.shape)
        if self.has_weight:
            out = out * affine[0].reshape(self.channel_shape)
        return out + affine[-1].reshape(self.channel_shape) if self.has_bias else out

    def _weight_gradient(self, sums):
        """torch's kernel: per sample and channel ``ds = sum(dy x)`` and ``db = sum(dy)`` (half precision
        in float32), then the weight's gradient ``sum over samples of (ds - db mean) rstd`` with the
        statistics as kept, not ``sum(dy x_hat)``: where ds overflows (values of 3e38) it is NaN, not 0
        (fuzz seed 7512756), and in half precision x_hat is not rounded first (fuzz seed 7426602).  Its
        multiply-adds fused as compiled (``_group_norm_kernel``: a group of one value, whose ``ds`` is
        ``db * mean`` rounded, gives that rounding's error, not 0: fuzz seed 7802640)."""
        ds, db, _, _ = sums
        mean, rstd = self._per_channel(self._statistics())
        if type(ds) is not numpy.ndarray:
            return ((ds - db * mean) * rstd).sum(axis=0)
        return kernel.weight_gradient(ds, db, mean.astype(ds.dtype, copy=False), rstd.astype(ds.dtype, copy=False))

    def _check_bias_gradient(self):
        if self.has_bias and not self.has_weight and self.needs_input_grad[-1]:
            # torch's CPU kernel for a bias's gradient without a weight reads the undefined weight
            raise RuntimeError("tensor does not have a device")

    def backward(self, grad_output):
        self._check_bias_gradient()
        grads = [None] * (1 + self.has_weight + self.has_bias)
        dtype, weight = grad_output.dtype, self.weight
        if dtype.itemsize < 4:
            # torch's half precision backward runs in float32 and rounds its results once: dy * weight
            # of -60000 overflowed float16 (fuzz seed 7426602, layer template)
            grad_output = grad_output.astype(numpy.float32)
            weight = None if weight is None else weight.astype(numpy.float32)
        as_torchs_kernel = type(grad_output) is numpy.ndarray and dtype.itemsize >= 4
        sums = self._channel_sums(grad_output, as_torchs_kernel)
        if self.has_bias and self.needs_input_grad[-1]:
            grads[-1] = kernel.bias_gradient(sums[1]) if as_torchs_kernel else \
                sum_to(grad_output, self.channel_shape).reshape(self.channel_shape[0]).astype(dtype, copy=False)
        if self.has_weight and self.needs_input_grad[1]:
            grads[1] = self._weight_gradient(sums).astype(dtype, copy=False)
        if self.needs_input_grad[0]:
            if as_torchs_kernel:
                ds, db, x, dy = sums
                mean, rstd = (stat.astype(dtype, copy=False) for stat in self._statistics())
                gamma = None if weight is None else weight.reshape(-1)
                grads[0] = kernel.input_gradient(x, dy, mean, rstd, gamma, ds, db).reshape(self.shape)
            else:     # (half precision: the rows' gradient, bit for bit with torch's more often; CuPy)
                grad_normalized = grad_output * weight if self.has_weight else grad_output
                grad_input = self.rows.backward(grad_normalized.reshape(self.grouped_shape))[0].reshape(self.shape)
                grads[0] = self._where_sums_overflow(sums, weight, grad_input).astype(dtype, copy=False)
        return tuple(grads)

    def _channel_sums(self, grad_output, as_torchs_kernel):
        """torch's kernel's per sample and channel ``ds = sum(dy x)`` and ``db = sum(dy)`` (half precision in
        float32; in float32 and float64 in its order), with ``x`` and ``dy`` as ``(n, channels, positions)``."""
        n, channels = self.shape[:2]
        rows = (n, channels, math.prod(self.shape[2:]))
        x, dy = self.saved_tensors[0].astype(grad_output.dtype).reshape(rows), grad_output.reshape(rows)
        if as_torchs_kernel:
            return (*kernel.channel_sums(x, dy), x, dy)
        return (dy * x).sum(axis=-1), dy.sum(axis=-1), x, dy

    def _statistics(self):
        """The mean and rstd of each sample's groups as kept, ``(n, groups)``."""
        return [stat.reshape(self.shape[0], self.grouped_shape[1]) for stat in self.rows._saved[:2]]

    def _per_channel(self, statistics):
        """``(n, groups)`` statistics repeated for each channel of a group, ``(n, channels)``."""
        return [array_module(stat).repeat(stat, self.shape[1] // self.grouped_shape[1], axis=1) for stat in statistics]

    def _where_sums_overflow(self, sums, weight, grad_input):
        """In half precision: ``grad_input``, the rows' layer_norm backward (the same value, in another
        order), except in groups where it or torch's kernel's own formula (``kernel.input_gradient``,
        in float32) has a value past the range: there the kernel's, whose order of products decides
        NaN and inf (a 3e38 among a group's values, a weight of -1e308: fuzz seeds 7512756, 7501229).
        float32 and float64 run the kernel throughout; on CuPy the rows' backward stands (torch's CUDA
        kernel is another)."""
        ds, db, x, dy = sums
        if type(grad_input) is not numpy.ndarray or not x.size:
            return grad_input
        if numpy.isfinite(grad_input).all() and numpy.isfinite(ds).all() and numpy.isfinite(db).all() and \
                (weight is None or numpy.isfinite(weight).all() and numpy.abs(weight).max() < 1e30):
            return grad_input           # (the common case: nothing near the range, one check per array)
        mean, rstd = (stat.astype(ds.dtype, copy=False) for stat in self._statistics())
        theirs = kernel.input_gradient(x, dy, mean, rstd, None if weight is None else weight.reshape(-1), ds, db)
        groups = (self.shape[0], self.grouped_shape[1], -1)
        ours, theirs = grad_input.reshape(groups), theirs.reshape(groups)
        past_range = ~(numpy.isfinite(theirs).all(axis=-1) & numpy.isfinite(ours).all(axis=-1))
        if not past_range.any():
            return grad_input
        ours = ours.copy()
        ours[past_range] = theirs[past_range]
        return ours.reshape(self.shape)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalise each channel of each sample of ``(N, C, *)`` over its positions, then ``* weight + bias``.

    As torch composes it: the input viewed as one sample of ``N * C`` channels, the per-channel
    tensors repeated once per sample (copies: a later write to the weight changes nothing saved),
    ``batch_norm`` of that (with ``use_input_stats`` the samples' own statistics, the running ones
    moving towards them; without, the running ones), the running tensors then the mean of their
    repeats, and the output viewed back (``ViewBackward0`` over ``NativeBatchNormBackward0``).
    """
    x = input.array
    if use_input_stats and math.prod(x.shape[2:]) == 1:     # torch's _verify_spatial_size (2-d too; 0 passes)
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(x.shape)})")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if x.ndim < 2:
        return batch_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)
    n, channels = x.shape[:2]
    # torch's checks count the repeated tensors ("weight should contain 8 elements not 6"), before anything is written
    check_feature_sizes(n * channels, running_mean, running_var, weight, bias, repeats=n)
    weight_, bias_, mean_, var_ = [None if tensor is None else tensor.repeat(n)
                                   for tensor in (weight, bias, running_mean, running_var)]
    reshaped = input.contiguous().view((1, n * channels) + x.shape[2:])
    out = batch_norm(reshaped, mean_, var_, weight_, bias_, use_input_stats, momentum, eps)
    with no_grad():
        for running, repeated in ((running_mean, mean_), (running_var, var_)):
            if running is not None:
                running.copy_(repeated.view(n, channels).mean(0))
    return out.view(x.shape)
