"""``F.batch_norm``: per-channel normalisation with a closed-form backward and in-place running stats."""
from __future__ import annotations

import math

import numpy

from ...core.function import Function
from ...core.device import array_module
from ...core.tensor import Tensor
from ...ops import reduce_loop
from ...ops.inplace import write
from ._moments import cancelling, fmadd, lane_sums, unfused_madd
from .normalization import check_mixed_dtype
from ...ops.tensor_namespace import half_in_float32

__all__ = ["batch_norm"]


# up to this many rows of channels, a batch's statistics are taken row by row, as torch's kernel
EXACT_ROWS = 16


def _channel_shape(x):
    """``(1, C, 1, ...)``: broadcasts a per-channel ``(C,)`` vector against ``x`` ``(N, C, *)``."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _far_from_zero(mean, var):
    """The channels whose mean lies past 8 standard deviations from 0: there ``x * alpha`` rounded is
    more than 8 ulps of the output ``x * alpha + beta``, which torch's kernel computes fused (fuzz seed
    8692796: an instance norm of 255 and 254.69, whose 0.9997449 the product's rounding left at
    4095/4096).  Channels whose spread is within the rounding of their mean (``cancelling``) among them."""
    with numpy.errstate(over="ignore", invalid="ignore"):
        return var * 64 <= mean * mean


def _in_kernel_layout(x):
    """Whether torch's vectorized CPU kernels take the array ``x``: contiguous, or channels-last (4-d).
    Any other layout (a transpose, an expand) goes down its per-element path (``_strided``)."""
    return x.flags.c_contiguous or x.ndim == 4 and x.transpose(0, 2, 3, 1).flags.c_contiguous


def _strided_means(x, means):
    """torch's training statistics of a strided input (neither contiguous nor channels-last) begin with
    ``at::mean`` over all dims but the channel's: each channel's sum (``SumKernel.cpp``), then divided in
    the input's dtype.  TensorIterator puts the reduced dims innermost; where they coalesce into one run
    and the channels lie innermost in memory (a transposed (N, L, C) input), the kernel sums across the
    channels (``_channel_innermost_sum``); elsewhere each channel is summed as a whole tensor
    (``reduce_loop.cascade_sum``).  The order matters where a channel's values are equal: in torch's order
    the mean is the value itself, the variance 0 and the output 0; an ulp off, the output is 1 (fuzz seed
    30153730: ten values of 1.317e9).  ``means`` (NumPy's) stand where a channel has 32768 values or more,
    which torch sums on several threads."""
    count = x.dtype.type(x.size // x.shape[1])
    if x.size // x.shape[1] >= 32768:
        return means
    runs = _coalesced_run(x)
    ordered = means.copy()
    with numpy.errstate(all="ignore"):
        for channel in range(x.shape[1]):
            if runs is not None:
                total = _channel_innermost_sum(runs[:, channel], channel, x.shape[1])
            else:
                total = reduce_loop.cascade_sum(x[:, channel])
            ordered[channel] = total / count
    return ordered


def _coalesced_run(x):
    """``x`` (N, C, *) as (values, C) in memory order where the channels are adjacent in memory (stride
    one item) and the other dims coalesce into one run of equal steps, as TensorIterator merges them;
    else None."""
    if x.strides[1] != x.itemsize or x.shape[1] == 1:
        return None
    dims = sorted((d for d in range(x.ndim) if d != 1 and x.shape[d] != 1), key=lambda d: -x.strides[d])
    for outer, inner in zip(dims, dims[1:]):
        if x.strides[outer] != x.strides[inner] * x.shape[inner]:
            return None
    return x.transpose(dims + [1] + [d for d in range(x.ndim) if d != 1 and d not in dims]).reshape(-1, x.shape[1])


def _channel_innermost_sum(values, channel, channels):
    """One channel's sum as SumKernel's outer reduction takes it, the channels in its columns: with at
    least one vector of channels (``vectorized_outer_sum``), blocks of four vectors run ``multi_row_sum``
    (a cascade, one accumulator per channel) and the rest ``row_sum`` (four accumulators, then the
    cascade); with fewer (``scalar_outer_sum``), blocks of four channels and the rest alike."""
    lanes = reduce_loop.VECTOR_BYTES // values.itemsize
    block = reduce_loop.ILP_ROWS * (lanes if channels >= lanes else 1)
    if channel < channels // block * block:
        return reduce_loop.multi_row_sum(values)
    return reduce_loop.row_sum(values)


class BatchNorm(Function):
    """``(x - mean) * rstd * weight + bias`` per channel: ``(N, C, *)`` -> ``(N, C, *)``.

    In training ``mean`` and ``rstd = 1 / sqrt(var + eps)`` come from the batch (``var``
    biased) and the input gradient is torch's: with sums over all dims but the channel,
    ``dotp = sum((x - mean) * dy)`` and ``k = dotp * rstd^2 / N``,
    ``grad_x = (dy - sum(dy) / N - (x - mean) * k) * rstd * weight`` (where the variance
    overflowed, rstd 0 and dotp inf, that is NaN as torch's). In eval mean and rstd are
    constants, so ``grad_x = dy * rstd * weight``; ``grad_weight = dotp * rstd``.

    An input that is neither contiguous nor channels-last (``strided``) takes torch's per-element
    path instead, in the input's dtype: ``((x - mean) * rstd) * weight + bias`` (a channel of equal
    values gives an exact 0), and in the backward (also for a gradient in neither layout) ``dotp``
    accumulated wide (float64; float32 for float16) and ``((dy - sum(dy) / N - (x - mean) * k) * rstd) * weight``.

    The output is torch's kernel's: ``x * alpha + beta`` with ``alpha = rstd * weight`` and
    ``beta = bias - mean * alpha``, both multiply-adds fused (``fused``: where a channel's spread
    is within the rounding of its mean, whose values then keep the rounding of ``beta``, not an
    exact 0, and for float16/bfloat16, which run in float32); elsewhere NumPy's unfused
    ``a * b + c`` is within an ulp.
    """

    def name(self):
        return "NativeBatchNormBackward0"

    def forward(self, x, *affine, mean, rstd, eps, training, has_weight, has_bias, fused, strided):
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.training, self.has_weight, self.has_bias = training, has_weight, has_bias
        shape = _channel_shape(x)
        opmath = mean.dtype
        mean, rstd = mean.reshape(shape), rstd.reshape(shape)
        self.eps, self.mean, self.rstd, self.strided = eps, mean, rstd, strided
        self.dtype = x.dtype
        self.save_for_backward(x, *affine[:1 if has_weight else 0])   # what torch saves, as given
        if strided:     # (the output row-major, as torch allocates it for a transpose or an expand)
            with numpy.errstate(over="ignore", invalid="ignore"):
                output = (x - mean.astype(x.dtype)) * rstd.astype(x.dtype)
                if has_weight:
                    output = output * affine[0].reshape(shape)
                output = output + affine[-1].reshape(shape) if has_bias else output
            return array_module(x).ascontiguousarray(output)
        x = x.astype(opmath, copy=False)
        weight = affine[0].reshape(shape).astype(opmath, copy=False) if has_weight else None
        alpha = rstd * weight if has_weight else rstd
        bias = affine[-1].reshape(shape).astype(opmath, copy=False) if has_bias else opmath.type(0)
        madd = fmadd if fused else unfused_madd
        beta = madd(-mean, alpha, bias, opmath)
        return madd(x, alpha, beta, opmath).astype(self.dtype, copy=False)

    def composite(self, x, *affine):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True):
        batch statistics in training, the running ones (constants) in eval."""
        shape = _channel_shape(x)
        if self.training:
            centered = x - x.mean(self.axes, keepdim=True)
            output = centered * ((centered * centered).mean(self.axes, keepdim=True) + self.eps).rsqrt()
        else:
            output = (x - Tensor._wrap(self.mean)) * Tensor._wrap(self.rstd)
        if self.has_weight:
            output = output * affine[0].reshape(shape)
        return output + affine[-1].reshape(shape) if self.has_bias else output

    def backward(self, grad_output):
        if self.strided or not _in_kernel_layout(grad_output):
            return self._strided_backward(grad_output)
        x, *weight = self.saved_tensors
        mean, rstd = self.mean, self.rstd
        dy = grad_output.astype(rstd.dtype, copy=False)     # (float16/bfloat16: in float32)
        with numpy.errstate(over="ignore", invalid="ignore"):     # (inf and NaN as torch's, unwarned)
            centered = x.astype(rstd.dtype, copy=False) - mean
            total = dy.sum(axis=self.axes, keepdims=True)
            dotp = (centered * dy).sum(axis=self.axes, keepdims=True)
        total, dotp = _sums_as_torchs(x, centered, dy, rstd, total, dotp)
        grads = [None]
        if self.needs_input_grad[0]:
            if self.training:
                count = math.prod(x.shape[axis] for axis in self.axes) or 1    # (an empty batch: nothing to scale)
                with numpy.errstate(over="ignore", invalid="ignore"):     # (in place: no arrays but two)
                    grad = dy - total / count
                    grad -= centered * (dotp * rstd * rstd / count)
                    grad *= rstd
                cancelling = self._cancelling_channels(dy, total, dotp, rstd, count)
                if cancelling.any():    # there the last bits of torch's statistics are the gradient's first
                    if _along_channels(x) and x.dtype == rstd.dtype:     # (float16: another kernel)
                        mean, rstd = _channel_row_stats(_channel_rows(x), mean, rstd, self.eps, cancelling)
                        with numpy.errstate(over="ignore", invalid="ignore"):
                            centered = x.astype(rstd.dtype, copy=False) - mean
                    total, dotp = _sums_as_torchs(x, centered, dy, rstd, total, dotp, cancelling)
                    self._fused_gradient(grad, dy, centered, total, dotp, rstd, count, cancelling)
            else:
                grad = dy * rstd
            if weight:
                with numpy.errstate(over="ignore", invalid="ignore"):
                    grad *= weight[0].reshape(rstd.shape).astype(rstd.dtype, copy=False)
            grads[0] = grad.astype(self.dtype, copy=False)
        if self.has_weight:
            grads.append((dotp * rstd).reshape(-1) if self.needs_input_grad[1] else None)
        if self.has_bias:
            grads.append(total.reshape(-1) if self.needs_input_grad[-1] else None)
        return tuple(grads)

    def _cancelling_channels(self, dy, total, dotp, rstd, count):
        """The channels whose input gradient cancels as a whole, or may: its squared norm
        ``|dy|^2 - total^2 / N - (dotp rstd)^2 (1 + eps rstd^2) / N`` within ``64 eps |dy|^2`` (float
        eps; not finite also counts).  Two values a channel always cancel so (fuzz seed 1764233:
        5e35 to 3e27), and so does a gradient along the output (``(bn(x) ** 2).sum()``): there
        the result is the rounding of its terms, torch's digits only from torch's order."""
        xp = array_module(dy)
        with numpy.errstate(over="ignore", invalid="ignore"):
            dims = "abcdefgh"[:dy.ndim]     # (dims[1]: the channel)
            squares = xp.einsum(f"{dims},{dims}->b", dy, dy).reshape(rstd.shape)
            projected = dotp * rstd
            norm = squares - total * total / count - projected * projected * (1 + self.eps * rstd * rstd) / count
            return ~(norm > squares * (64 * xp.finfo(rstd.dtype).eps)).reshape(-1)

    def _fused_gradient(self, grad, dy, centered, total, dotp, rstd, count, channels):
        """``grad``'s ``channels`` (a boolean each) computed again as torch's kernel does:
        ``(dy - grad_mean - (x - mean) * k) * invstd``, the product fused into the difference by its
        compiler (``fmadd``) but in the kernel along the channels for its last channels, that fill
        no whole vector (``_vector_channels``)."""
        xp = array_module(grad)
        along_channels = _along_channels(centered)
        selected = (slice(None), xp.flatnonzero(channels))
        dy, centered, total, dotp, rstd = (a[selected] for a in (dy, centered, total, dotp, rstd))
        with numpy.errstate(over="ignore", invalid="ignore"):
            k = dotp * rstd * rstd / count
            head = dy - total / count
            fused = fmadd(-centered, k, head, rstd.dtype)
            if along_channels:
                vector = _vector_channels(channels.size, rstd.dtype, xp)[channels].reshape(rstd.shape)
                fused = xp.where(vector, fused, head - centered * k)
            grad[selected] = fused * rstd

    def _strided_backward(self, grad_output):
        """torch's per-element backward, in the input's dtype but for ``dotp``, accumulated wide."""
        x, *weight = self.saved_tensors
        dtype = self.dtype
        mean, rstd = self.mean.astype(dtype), self.rstd.astype(dtype)
        dy = grad_output.astype(dtype, copy=False)
        wide = numpy.float32 if dtype.itemsize == 2 else numpy.float64
        grads = [None]
        with numpy.errstate(over="ignore", invalid="ignore"):
            total = dy.sum(axis=self.axes, keepdims=True, dtype=wide).astype(dtype)
            centered = x - mean
            dotp = (centered * dy).sum(axis=self.axes, keepdims=True, dtype=wide)
            if self.needs_input_grad[0]:
                if self.training:
                    count = math.prod(x.shape[axis] for axis in self.axes)
                    k = dotp.astype(dtype) * rstd * rstd / dtype.type(count)
                    grads[0] = (dy - total / dtype.type(count) - centered * k) * rstd
                else:
                    grads[0] = dy * rstd
                if weight:
                    grads[0] = grads[0] * weight[0].reshape(rstd.shape)
            if self.has_weight:
                grads.append((dotp * rstd).astype(dtype).reshape(-1) if self.needs_input_grad[1] else None)
        if self.has_bias:
            grads.append(total.reshape(-1) if self.needs_input_grad[-1] else None)
        return tuple(grads)


def _sums_as_torchs(x, centered, dy, rstd, total, dotp, cancelled=None):
    """``total`` and ``dotp`` (NumPy's sums) with the channels at risk summed again in the order of
    torch's kernel for ``x``'s layout: those not finite, and the ``cancelled`` ones (a boolean per
    channel), whose gradient is the rounding of these sums."""
    if _along_channels(x):
        return _channel_row_sums(centered, dy, total, dotp, cancelled)
    if rstd.dtype.itemsize >= 4:
        return _plane_lane_sums(centered, dy, rstd, total, dotp, cancelled)
    return total, dotp


def _along_channels(x):
    """Whether torch's kernel for ``x`` (in a kernel layout) runs along rows of channels: planes of
    one value, or channels-last; else along contiguous planes."""
    return math.prod(x.shape[2:]) == 1 or not x.flags.c_contiguous


def _channel_rows(a):
    """``a`` (N, C, *), planes of one value or channels-last, as its rows of channels (R, C)."""
    return a.reshape(a.shape[:2]) if math.prod(a.shape[2:]) == 1 else a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def _channel_row_sums(centered, dy, total, dotp, cancelled=None):
    """``total`` and ``dotp`` with their channels at risk (``dotp`` not finite, or ``cancelled``)
    summed again as torch's kernel for rows of channels (``centered`` and ``dy`` (N, C, *) taken as
    ``_channel_rows``, only where a channel is at risk: for a channels-last ``dy`` in row-major
    order that is a copy) sums them on one thread: row after row, ``dotp`` with each product
    fused into the sum (``_moments.fmadd``: an overflowing product that the sum brings back stays
    finite, where NumPy's sum is inf, then NaN)."""
    xp = array_module(dotp)
    channels = ~xp.isfinite(dotp.reshape(-1))
    if cancelled is not None:
        channels |= cancelled.reshape(-1)
    if not channels.any():
        return total, dotp
    centered, dy = _channel_rows(centered), _channel_rows(dy)
    sums = xp.zeros(int(channels.sum()), dotp.dtype)
    with numpy.errstate(over="ignore", invalid="ignore"):
        for centered_row, dy_row in zip(centered[:, channels], dy[:, channels]):
            sums = fmadd(centered_row, dy_row, sums, dotp.dtype)
    total, dotp = total.copy(), dotp.copy()
    # (row after row from 0: ``+ 0``, a sum of -0.0s is 0.0)
    total.reshape(-1)[channels] = xp.cumsum(dy[:, channels], axis=0)[-1] + dotp.dtype.type(0) if len(dy) else 0
    dotp.reshape(-1)[channels] = sums + dotp.dtype.type(0)
    return total, dotp


def _channel_row_stats(rows, mean, rstd, eps, channels):
    """``mean`` and ``rstd`` with the ``channels`` (a boolean each) computed again as torch's kernel
    for rows of channels (``rows`` (R, C), float32/float64) does on one thread: the rows added one
    after another, ``sum / R``; ``var_sum`` the squares of ``x - mean`` added likewise, each fused
    into the sum, then ``rstd = 1 / sqrt(var_sum / R + eps)``, the division in the input's dtype and
    the rest in float64.  Elsewhere NumPy's statistics are within an ulp of these."""
    xp, dtype = array_module(rows), rows.dtype
    channels = channels.reshape(-1)
    values = rows[:, channels]
    count = len(values)
    with numpy.errstate(over="ignore", invalid="ignore"):
        channel_mean = (xp.cumsum(values, axis=0)[-1].astype(xp.float64) / count).astype(dtype)
        var_sum = xp.zeros(values.shape[1], dtype)
        for row in values:
            centered = row - channel_mean
            var_sum = fmadd(centered, centered, var_sum, dtype)
        channel_rstd = 1 / xp.sqrt((var_sum / dtype.type(count)).astype(xp.float64) + eps)
    mean, rstd = mean.copy(), rstd.copy()
    mean.reshape(-1)[channels], rstd.reshape(-1)[channels] = channel_mean, channel_rstd.astype(dtype)
    return mean, rstd


def _vector_channels(channels, dtype, xp):
    """Whether each of ``channels`` channels fills a whole vector of torch's gradient loop along the
    channels (32 bytes: 8 float32, 4 float64), whose compiled code fuses a product into the sum that
    takes it; its own code for the last ``channels % lanes`` does not (seen on torch 2.13: a float32
    (64, 15) batch norm's gradient fused in channels 0-7, not in 8-14; its sums, through ``vec::map``,
    are fused throughout)."""
    lanes = 32 // numpy.dtype(dtype).itemsize
    return xp.arange(channels) < channels - channels % lanes


def _plane_lane_sums(centered, dy, rstd, total, dotp, cancelled=None):
    """``total`` (sum of dy) and ``dotp`` (sum of (x - mean) dy) per channel, with the channels at
    risk (a statistic not finite, or rstd 0: values at the float maximum) summed again as torch's
    kernel for contiguous planes does: each plane's lane sums (``_moments.lane_sums``: vector by
    vector, the tail fused), added sample after sample (float32's in float64: seen on torch 2.13,
    three planes' -2.4e38, -1.7e38 and 8.2e37 give a finite -3.3e38).  There the order decides between a finite
    sum and inf, and the gradient between 0 and NaN."""
    xp = array_module(dotp)
    channels = xp.flatnonzero(~xp.isfinite(dotp.reshape(-1)) | ~xp.isfinite(total.reshape(-1))
                              | (rstd.reshape(-1) == 0) | (False if cancelled is None else cancelled.reshape(-1)))
    if not channels.size:
        return total, dotp
    n = centered.shape[0]
    total, dotp = total.copy(), dotp.copy()
    with numpy.errstate(over="ignore", invalid="ignore"):
        for channel in channels:
            planes_x = centered[:, channel].reshape(n, -1)
            planes_dy = xp.ascontiguousarray(dy[:, channel].reshape(n, -1))
            plane_totals, plane_dotps = lane_sums(planes_dy), lane_sums(planes_x, planes_dy)
            # the planes added one after another from 0, float32's in float64 (``+ 0``: a sum of -0.0s
            # is 0.0, as from a 0 start)
            sum_dy = xp.cumsum(plane_totals, dtype=xp.float64)[-1] + 0.0
            sum_dotp = xp.cumsum(plane_dotps, dtype=xp.float64)[-1] + 0.0
            total.reshape(-1)[channel], dotp.reshape(-1)[channel] = sum_dy, sum_dotp
    return total, dotp


def _planes_in_order(xp, x, mean, var, acc):
    """``mean`` and ``var`` (biased) of the contiguous ``x`` (N, C, *), with the channels where a
    partial sum could overflow summed again as torch's kernel for contiguous planes does: one value
    after another, sample by sample, in ``acc``, ``sum / N`` in ``x``'s dtype, then the squares of
    ``x - mean`` likewise.  NumPy's sums stand in elsewhere; where a channel's values reach the
    float maximum their order decides between a finite mean and inf (fuzz seed 872648: a channel of
    1e308, -1e308, -1e308 and small values, torch's mean -1.67e307, NumPy's -inf, and the channel's
    output NaN for torch's 0).  Every partial sum is within ``count (|mean| + sqrt(var))`` of 0
    where that is finite.  Channels whose spread is within the rounding of their mean (``cancelling``:
    equal values) are summed in order too: there NumPy's pairwise mean, an ulp off, leaves a variance
    of that ulp and an output of noise (a float64 (3, 5, 6) of 774.36s: -1.3e-12 for torch's -1.2e-10)."""
    count, acc = x.size // x.shape[1], numpy.dtype(acc)
    with numpy.errstate(over="ignore", invalid="ignore"):
        bound = (xp.abs(mean) + xp.sqrt(var)) * (2.0 * count)
        channels = xp.flatnonzero(~xp.isfinite(bound) | cancelling(mean, var, xp))
        if not channels.size:
            return mean, var
        mean, var = mean.copy(), var.copy()
        for channel in channels:
            values = x[:, channel].reshape(-1)
            channel_mean = (xp.cumsum(values, dtype=acc)[-1] / acc.type(count)).astype(x.dtype)
            centered = values - channel_mean
            mean[channel] = channel_mean
            var[channel] = xp.cumsum(centered * centered, dtype=acc)[-1] / acc.type(count)
    return mean, var


def _check_batch(input, training):
    shape = input.array.shape
    # torch's rule: one value per channel has no variance; an empty batch is fine (nothing to do)
    values_per_channel = shape[0] * math.prod(shape[2:]) if len(shape) > 1 else 0
    if training and values_per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size torch.Size({list(shape)})")


def _update_running_stats(running_mean, running_var, batch_mean, batch_var, count, momentum):
    """``running = (1 - momentum) * running + momentum * batch``, the variance unbiased (as torch)."""
    unbiased = batch_var * (count / (count - 1))
    if running_mean is not None:
        write(running_mean, (1 - momentum) * running_mean.array + momentum * batch_mean.astype(running_mean.array.dtype))
    if running_var is not None:
        write(running_var, (1 - momentum) * running_var.array + momentum * unbiased.astype(running_var.array.dtype))


def check_feature_sizes(features, running_mean, running_var, weight, bias, repeats=1):
    """torch's batch_norm checks, in its order, that each per-channel tensor given has ``features``
    elements, counting each ``repeats`` times (instance_norm repeats them once per sample)."""
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                         ("bias", bias)):
        if tensor is not None and tensor.array.size * repeats != features:
            raise RuntimeError(f"{name} should contain {features} elements not {tensor.array.size * repeats}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    """Normalise each channel of ``input`` ``(N, C, *)``; in training, update the running stats in place."""
    _check_batch(input, training)
    channels = input.array.shape[1] if input.array.ndim > 1 else 1
    check_feature_sizes(channels, running_mean, running_var, weight, bias)
    if input.array.size == 0:
        # torch's empty batch (before its kernels' checks): a clone, scaled by weight[0] and shifted
        # by bias[0], so that the graph goes on; nothing saved of the input, running stats untouched
        output = input.clone()      # (first: a stale view's error comes before weight[0]'s, fuzz seed 31704910)
        if channels == 0 and (weight is not None or bias is not None):
            # weight and bias have no element 0 then
            raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
        if weight is not None:
            output = output * weight[0]
        return output if bias is None else output + bias[0]
    if check_mixed_dtype(input, running_mean, running_var, weight, bias):
        return batch_norm(input.float(), running_mean, running_var, weight, bias, training, momentum,
                          eps).to(input.dtype)
    x = input.array
    xp = array_module(x)
    opmath = half_in_float32(x)    # torch's float16/bfloat16 kernels
    strided = not (_in_kernel_layout(x) and all(t is None or t.is_contiguous() for t in
                                                 (weight, bias, running_mean, running_var)))
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        # torch's kernel for contiguous planes (more than one value each) sums a float32 channel
        # in float64 (its acc_type), so two values near the float32 maximum give a finite mean
        wide_sum = (not strided and x.dtype == numpy.float32 and x.flags.c_contiguous
                    and math.prod(x.shape[2:]) > 1)
        with numpy.errstate(over="ignore", invalid="ignore"):     # (inf and NaN statistics, as torch's)
            mean = opmath.mean(axis=axes, dtype=xp.float64 if wide_sum else None).astype(opmath.dtype, copy=False)
            if strided and opmath is x and type(x) is numpy.ndarray:
                mean = _strided_means(x, mean)
            if strided:     # the variance accumulated wide, around the mean in the input's dtype
                wide = xp.float64 if x.dtype.itemsize > 2 else xp.float32
                centered = x.astype(wide) - mean.astype(x.dtype).astype(wide).reshape(_channel_shape(x))
                var = (centered * centered).mean(axis=axes)
            else:
                var = ((opmath - mean.reshape(_channel_shape(x))) ** 2).mean(axis=axes)
                if x.flags.c_contiguous and math.prod(x.shape[2:]) > 1:
                    mean, var = _planes_in_order(xp, opmath, mean, var, xp.float64 if wide_sum else opmath.dtype)
            _update_running_stats(running_mean, running_var, mean, var, x.size // x.shape[1], momentum)
    else:
        mean, var = running_mean.array.astype(opmath.dtype), running_var.array.astype(opmath.dtype)
    if training:    # rstd from float64 (float32 for float16/bfloat16); both saved in the input's dtype
        rstd = 1 / xp.sqrt(xp.asarray(var).astype(xp.float64 if x.dtype.itemsize > 2 else xp.float32) + eps)
        mean, rstd = (xp.asarray(stat).astype(x.dtype).astype(opmath.dtype) for stat in (mean, rstd))
    else:
        rstd = 1 / xp.sqrt(var + opmath.dtype.type(eps))
    # a few rows of channels: the statistics as torch's kernel takes them on one thread, row after row,
    # and the output's multiply-adds fused (NumPy's are an ulp apart at times, and a batch of 2
    # normalises to +-1 within an ulp, right at hardtanh's corners: fuzz seed 3306066); for more rows
    # that loop costs 10x NumPy's statistics, which stay within an ulp
    exact = training and not strided and opmath is x and _along_channels(x) and 0 < x.size // x.shape[1] <= EXACT_ROWS
    if exact:
        rows = _channel_rows(x)
        mean, rstd = _channel_row_stats(rows, mean, rstd, eps, xp.ones(rows.shape[1], bool))
    mean, var = xp.asarray(mean), xp.asarray(var)
    fused = not strided and (exact or opmath is not x or
                             bool(_far_from_zero(mean, var.astype(mean.dtype, copy=False)).any()))
    affine = [t for t in (weight, bias) if t is not None]
    return BatchNorm.apply(input, *affine, mean=mean, rstd=xp.asarray(rstd), eps=eps, training=training,
                           has_weight=weight is not None, has_bias=bias is not None, fused=fused,
                           strided=strided)
