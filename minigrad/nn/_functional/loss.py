"""Loss functions of ``nn.functional``, each a node with a closed-form, numerically stable backward.

* ``cross_entropy`` / ``nll_loss``: every variant (class indices, class
  weights, ``ignore_index``, label smoothing, class probabilities) is the sum
  ``-sum_c dist[c] * log_p[c]`` with a different target distribution
  ``dist``, and the gradient with respect to the logits is
  ``p * sum_c dist[c] - dist``.  Class indices use one node that never builds
  ``dist`` densely; class probabilities another.
* ``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``: a function of
  ``input - target`` and its derivative.
* ``binary_cross_entropy`` (logs clamped at -100, as torch) and
  ``binary_cross_entropy_with_logits`` (log-sum-exp form: no overflow).
* ``soft_margin_loss``: ``log(1 + exp(-t x))``, one node as torch's.
* The margin, embedding and likelihood losses (``margin_ranking_loss``, ``hinge_embedding_loss``,
  ``cosine_embedding_loss``, ``triplet_margin_loss``, ``poisson_nll_loss``, ``gaussian_nll_loss``,
  ``multilabel_soft_margin_loss``): torch writes them with tensor ops (in ATen or in
  ``nn/functional.py``) and so are they here, op for op, so their graphs, node names and
  higher derivatives are torch's.
"""
from __future__ import annotations

import math
import warnings

import numpy

from ...core.function import Function, _as_array
from ...core.grad_mode import no_grad
from ...core.layout import dense_strides, elementwise_strides, relayout, row_major
from ...core.dtypes import get_default_dtype, scalar_type_name
from ...core.device import array_module, branchless_where, quiet_float_errors
from ...ops.arithmetic import as_operands
from ...ops.broadcast import broadcast_shapes, sum_to
from ...ops.fused import fmadd
from ...ops.indexing import where
from ...ops.pointwise import _xlogy, minimum
from ...ops.placement import _placed
from ...ops.softmax import log_softmax_array
from ...ops.tensor_namespace import astype, half_in_float32
from ...ops.unary import exp_rounded_once, sigmoid_array
from ...core.tensor import Size, Tensor
from .activation import logsigmoid
from .distance import pairwise_distance

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss"]

_REDUCTIONS = ("none", "mean", "sum")

# ---- reductions ------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """torch's deprecated ``size_average`` / ``reduce`` arguments, turned into ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(xp, loss, reduction, denominator, layout=None):
    """The elementwise ``loss`` summed, averaged over ``denominator``, or kept: then in torch's
    layout, ``layout(loss)`` (the order of the dims its kernel gives the new tensor, which
    ``.view`` and ``stride()`` see: fuzz seed 1386515)."""
    if reduction == "none":
        return loss if layout is None else layout(loss)
    # torch accumulates half precision in float32 and rounds the result once
    with quiet_float_errors():      # (inf - inf sums to NaN silently, as torch's)
        total = xp.asarray(loss.sum(dtype=xp.float32 if loss.dtype.itemsize < 4 else None))
    result = total if reduction == "sum" else _divide(xp, total, denominator)
    return result.astype(loss.dtype, copy=False)


def _iterator_layout(loss, operands):
    """``loss`` in the layout of a TensorIterator's new output over ``operands`` (the first that
    orders two dims decides), a size-1 dim's stride too."""
    return relayout(loss, elementwise_strides(loss.shape, operands))


def _laid_out(shape, operands):
    """A stand-in array of ``shape`` in the layout of a TensorIterator's output over ``operands``
    (its strides only matter: no memory of its own), for the next op of a composite."""
    strides = elementwise_strides(shape, operands) or row_major(shape)
    stand_in = numpy.zeros(1)
    return numpy.lib.stride_tricks.as_strided(stand_in, shape, [stand_in.itemsize * stride for stride in strides])


def _kl_layout(loss, t, x):
    """torch's kl_div composite, ``xlogy(t, t) - t * x`` (``exp(t) * (t - x)``): the last op's output
    over two new tensors, one in the target's layout and one in that of the target and input (a
    size-1 dim there has a stride of its own: an output of shape (1, 1, 4) is row-major)."""
    return _iterator_layout(loss, (_laid_out(t.shape, (t,)), _laid_out(loss.shape, (t, x))))


def _divide(xp, total, denominator):
    """``total / denominator`` with torch's 0 / 0 = nan and no NumPy warning."""
    if float(denominator) == 0:
        return xp.asarray(xp.nan, dtype=total.dtype) * xp.ones_like(total)
    return (total / denominator).astype(total.dtype, copy=False)


def _nll_sum(values, valid):
    """torch's CPU ``nll_loss`` sum of the per-sample ``values`` (the weighted losses, or the weights)
    of the samples ``valid`` marks, for a 16-bit float: eight partial sums kept in that dtype, every
    addition rounded to it (so 60000 + 60000 is inf in float16, where a float32 accumulator gives a
    number), the first taking the samples in order and passed up a level at each sample position
    that is a multiple of 16 (of 256 for the next level up, ...), then added up from the first."""
    zero = values.dtype.type(0)
    levels = [zero] * 8
    with numpy.errstate(over="ignore", invalid="ignore"):
        for position in numpy.flatnonzero(valid).tolist():
            levels[0] = levels[0] + values.flat[position]
            for level in range(7):
                if position & (15 << (4 * level)):
                    break
                levels[level + 1], levels[level] = levels[level + 1] + levels[level], zero
        total = zero
        for partial in levels:
            total = total + partial
    return total


def _sums_in_own_dtype(xp, dtype, smoothing):
    """Does torch's nll_loss sum these losses in their own dtype (``_nll_sum``)?  On the CPU, for a
    16-bit float, without label smoothing (which adds a term summed as a tensor)."""
    return xp is numpy and dtype.itemsize == 2 and smoothing is None


def _reduction_scale(xp, grad_output, reduction, denominator, dtype, weight=None):
    """How much each element's loss was weighted in the reduced loss (times its own ``weight``,
    if any), times the incoming gradient."""
    if reduction == "mean":
        if float(denominator) == 0:
            # torch divides by it: inf, NaN where the gradient is 0 (where every target is ignored
            # the caller masks that to torch's 0)
            return astype(grad_output * math.inf, dtype) if weight is None else grad_output * math.inf * weight
        grad_output = astype(grad_output / denominator, dtype)
    return grad_output if weight is None else grad_output * weight


def _reduce_tensor(loss, reduction, denominator):
    """``_reduce`` of a Tensor, from differentiable ops (for the composites below)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else total / float(denominator) if float(denominator) else total * math.nan


# ---- cross entropy and NLL ---------------------------------------------------------------------------
class DistributionCrossEntropy(Function):
    """Class-probability targets: ``loss = -sum_c dist[c] * log_softmax(logits)[c]``, then reduced.

    ``dist`` (the logits' shape) is the target distribution, already smoothed
    and weighted; gradients d/dlogits = ``p * sum_c dist - dist`` and
    d/ddist = ``-log_p``.
    """

    def composite(self, logits, dist):
        """The same from differentiable ops (create_graph=True): log_p is not an input here."""
        loss = -(dist * logits.log_softmax(self.class_axis)).sum(self.class_axis)
        return _reduce_tensor(loss, self.reduction, self.denominator)

    def name(self):
        # torch writes this loss with tensor ops: the mean ends in a division, the others in a negation
        return "DivBackward1" if self.reduction == "mean" else "NegBackward0"

    def forward(self, logits, dist, class_axis, reduction, denominator):
        xp = array_module(logits)
        log_p = log_softmax_array(logits, (class_axis,))
        self.class_axis, self.reduction, self.denominator = class_axis, reduction, denominator
        self.save_for_backward(log_p, dist)
        return _reduce(xp, -(dist * log_p).sum(axis=class_axis), reduction, denominator)

    def backward(self, grad_output):
        log_p, dist = self.saved_tensors
        xp = array_module(log_p)
        scale = _reduction_scale(xp, grad_output, self.reduction, self.denominator, log_p.dtype)
        if self.reduction == "none":
            scale = xp.expand_dims(scale, self.class_axis)
        grad_logits = grad_dist = None
        if self.needs_input_grad[0]:
            grad_logits = scale * (xp.exp(log_p) * dist.sum(axis=self.class_axis, keepdims=True) - dist)
        if self.needs_input_grad[1]:
            grad_dist = -scale * log_p
        return grad_logits, grad_dist


class ClassIndexCrossEntropy(Function):
    """Class-index targets, for ``cross_entropy`` (``from_logits``) and ``nll_loss``.

    Per sample, with ``y`` its label, ``w`` the class weights and ``eps`` the
    label smoothing, the target distribution is
    ``a = (1 - eps) w[y] onehot(y) + eps / C * w`` (zero for ignored samples)
    and the loss ``-sum_c a[c] log_p[c]``.  It is never built densely: the
    label term reads one element per sample, so memory stays at the logits'.
    Gradients: d/dlogits = ``p * sum_c a - a``, d/dlog_p = ``-a``.
    """

    differentiable_backward = True

    def composite(self, scores):
        """cross_entropy from differentiable ops (create_graph=True): log_p is not an input here."""
        log_p = scores.log_softmax(self.class_axis)
        per_sample = -Tensor._wrap(_as_array(self.label_weight)) * log_p[self.index]
        if self.smoothing is not None:
            class_weight, sample_scale = self.smoothing
            per_sample = per_sample - Tensor._wrap(_as_array(sample_scale)) * (
                log_p * Tensor._wrap(class_weight)).sum(self.class_axis)
        ignored_as_zero = Tensor._wrap(array_module(self.valid).zeros((), per_sample.array.dtype))
        per_sample = per_sample.where(Tensor._wrap(self.valid), ignored_as_zero)
        if self.spatial_rows is not None:
            return per_sample.reshape(self.spatial_rows)
        return _reduce_tensor(per_sample, self.reduction, self.denominator)

    def name(self):
        # torch: cross_entropy is nll_loss(log_softmax(x)) (plus a smoothing term added last), and
        # nll_loss of inputs with more than 2 dims runs the 2-d kernel
        if self.smoothing is not None:
            return "AddBackward0"
        return "NllLossBackward0" if self.input_ndim <= 2 else "NllLoss2DBackward0"

    def forward(self, scores, index, label_weight, smoothing, class_axis, from_logits, reduction,
                denominator, valid, spatial_rows=None, label_terms=None):
        self.input_ndim, self.spatial_rows = scores.ndim, spatial_rows
        xp = array_module(scores)
        log_p = log_softmax_array(scores, (class_axis,)) if from_logits else scores
        if not from_logits and scores.ndim not in (1, 2, 4) and scores.size and not scores.flags.c_contiguous:
            # torch views such an input as (N, C, 1, L) through ``contiguous()``: a copy, which it
            # saves, so a later write to the input is no error (fuzz seed 2964140)
            log_p = xp.ascontiguousarray(scores)
            self.save_copy_of_input(0, log_p)
        self.index, self.label_weight, self.smoothing = index, label_weight, smoothing
        self.class_axis, self.from_logits = class_axis, from_logits
        self.reduction, self.denominator, self.valid = reduction, denominator, valid
        if not from_logits:     # nll_loss: log_p is the input, so backward's formula runs on Tensors too
            self.composite = None
        self.save_for_backward(log_p)   # for nll_loss: the input itself, so in-place changes are caught
        per_sample = -label_weight * log_p[index]
        if scores.ndim == 1 and reduction == "none":
            # torch runs one unbatched sample through its reducing kernel, 0 - w[y] log_p[y]: a zero
            # loss is 0.0, never -0.0
            per_sample = per_sample + 0.0
        if smoothing is not None:                 # (class weights broadcast, eps / C per sample)
            class_weight, sample_scale = smoothing
            with quiet_float_errors():
                per_sample = per_sample - sample_scale * (log_p * class_weight).sum(axis=class_axis)
        # an ignored sample adds exactly 0, as in torch, even where its scores hold -inf or NaN
        # (0 * -inf would be NaN); its gradient stays what log_softmax's backward gives, as torch's
        per_sample = branchless_where(xp, valid, per_sample, 0).astype(per_sample.dtype, copy=False)
        if spatial_rows is not None:
            return per_sample.reshape(spatial_rows)
        if reduction != "none" and smoothing is not None:
            return _smoothed_total(xp, log_p, index, smoothing, class_axis, reduction, denominator, valid,
                                   label_terms)
        if reduction != "none" and _sums_in_own_dtype(xp, per_sample.dtype, smoothing):
            total = _nll_sum(per_sample, valid)
            with numpy.errstate(divide="ignore", over="ignore", invalid="ignore"):
                return numpy.asarray(total if reduction == "sum" else total / denominator)
        return _reduce(xp, per_sample, reduction, denominator)

    def saved_view_shape(self, index, array):
        # nll_loss saves its input, which torch runs through the 2-d kernel viewed as (N, C, 1, L)
        # where it is 3-d or more than 4-d (cross_entropy saves log_softmax's output: no input)
        if self.from_logits or self.input_ndim in (1, 2, 4):
            return None
        n, channels = array.shape[:2]      # (an empty input: (N, C, 0, 0), as _check_spatial_targets)
        return (n, channels, 1, array.size // (n * channels)) if array.size else (n, channels, 0, 0)

    def backward(self, grad_output):
        (log_p,) = self.saved_tensors
        xp = array_module(log_p)
        axis = self.class_axis
        if self.spatial_rows is not None:
            grad_output = grad_output.reshape(self.valid.shape)
        # a zero total weight gives inf * 0: NaN, as torch, silently (the engine's quiet_float_errors)
        scale = _reduction_scale(xp, grad_output, self.reduction, self.denominator, log_p.dtype)
        # an ignored sample's coefficients are exactly 0, as torch's (its nll writes zeros there and
        # masks the smoothing term), even where grad_output is inf and 0 * inf would be NaN
        scale = branchless_where(array_module(scale), self.valid, scale, 0)
        label_coefficient = scale * self.label_weight                 # a[y] per sample
        if not self.from_logits:
            grad_scores = xp.zeros_like(log_p)
        elif self.smoothing is None:     # half precision in float32, rounded once, as torch's log_softmax backward
            grad_scores = (xp.exp(half_in_float32(log_p))
                           * xp.expand_dims(half_in_float32(label_coefficient), axis))
        else:
            # torch's composite: the gradient on log_p is -(g eps / C) w[c], and -(1 - eps) w[y] g
            # at the label, then log_softmax's backward grad - p * sum_c grad; sum_c of the products,
            # not g times sum_c w[c], which overflows where the products do not (fuzz seed 838990:
            # weights 1e308 twice, g = 0: 0 * inf was NaN, torch's gradient is 0)
            class_weight, sample_scale = self.smoothing
            smooth = scale * sample_scale                              # eps / C per sample
            grad_log_p = -(xp.expand_dims(smooth, axis) * class_weight)
            grad_log_p[self.index] -= label_coefficient
            grad_log_p = half_in_float32(grad_log_p)
            grad_scores = grad_log_p - xp.exp(half_in_float32(log_p)) * grad_log_p.sum(axis=axis, keepdims=True)
            return astype(grad_scores, log_p.dtype)
        if isinstance(grad_scores, Tensor):      # create_graph: the same subtraction, as an op
            return astype(grad_scores - _placed(label_coefficient, tuple(grad_scores.shape), None,
                                                self.index, True, tuple(grad_scores.shape)), log_p.dtype)
        if self.from_logits and type(grad_scores) is numpy.ndarray:
            # at the label torch's log_softmax backward is -a - exp(y) * -a, one fused multiply-add
            # (exp rounded once): where p is near 1 the two roundings of exp(y) * a - a were 3% of
            # the result (fuzz seed 1127943: p = 1 - 8.9e-16, its gradient 2.5 for torch's 2.421)
            coefficient = half_in_float32(label_coefficient)
            grad_scores[self.index] = fmadd(exp_rounded_once(half_in_float32(log_p[self.index])),
                                            coefficient, -coefficient, grad_scores.dtype.type)
        else:
            grad_scores[self.index] -= label_coefficient
        return astype(grad_scores, log_p.dtype)


def _smoothed_total(xp, log_p, index, smoothing, class_axis, reduction, denominator, valid, label_terms):
    """A reduced cross entropy with label smoothing as torch composes it: the nll loss and the
    smoothing term ``-sum_c w[c] log_p[c]`` each reduced on its own, then
    ``(1 - eps) * nll + smooth * (eps / C)``, every step rounded to the dtype; so where the smoothing
    terms alone overflow their sum the loss is inf, as torch's (fuzz seed 430267: 1e308 twice over
    ten samples, mean inf; the per-sample losses first mixed and then summed gave 1e307).
    ``label_terms``: (w[y] per sample, 0 where ignored; 1 - eps; eps / C)."""
    weight_of_label, kept, spread = label_terms
    class_weight, _ = smoothing
    dtype = log_p.dtype
    with quiet_float_errors():
        nll = branchless_where(xp, valid, -(log_p[index] * weight_of_label), 0).astype(dtype, copy=False)
        smooth = branchless_where(xp, valid, -(log_p * class_weight).sum(axis=class_axis), 0).astype(dtype, copy=False)
        if _sums_in_own_dtype(xp, dtype, None):        # torch's nll kernel sums a 16-bit float in it
            nll_total, smooth_total = _nll_sum(nll, valid), _reduce(xp, smooth, "sum", None)
            nll_weight = _nll_sum(weight_of_label, valid)
        else:
            nll_total, smooth_total = _reduce(xp, nll, "sum", None), _reduce(xp, smooth, "sum", None)
            nll_weight = denominator
        if reduction == "mean":
            nll_total = xp.asarray(nll_total / xp.asarray(nll_weight, dtype)).astype(dtype)
            smooth_total = xp.asarray(smooth_total / xp.asarray(denominator, dtype)).astype(dtype)
        nll_total = (xp.asarray(nll_total, dtype) * kept).astype(dtype, copy=False)
        smooth_total = (xp.asarray(smooth_total, dtype) * spread).astype(dtype, copy=False)
        return xp.asarray(nll_total + smooth_total).astype(dtype, copy=False)


def _check_class_targets(input, target):
    """torch's checks on class-index targets, in torch's order."""
    shape, target_shape = input.array.shape, target.array.shape
    target_batch = target_shape[0] if target_shape else 0     # (torch counts a 0-d target's batch as 0)
    if input.array.ndim != 1 and shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({target_batch}).")
    if not target_shape and input.array.ndim in (2, 3) or not target_shape and input.array.ndim > 4:
        # an empty batch against a 0-d target passes that check; torch then reads the target's sizes
        raise (IndexError("Dimension specified as 0 but tensor has no dimensions") if input.array.ndim == 2
               else RuntimeError("ArrayRef: invalid slice, N = 1; size = 0"))
    if input.array.ndim <= 2:
        if target.array.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif input.array.ndim == 4:
        if target.array.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {target.array.ndim}")
    elif target_shape[1:] != shape[2:]:
        expected = [shape[0], *shape[2:]]
        raise RuntimeError(f"Expected target size {expected}, got {list(target_shape)}")
    if target.array.dtype.name not in ("int64", "uint8"):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{scalar_type_name(target.dtype)}")


def _check_spatial_targets(input, target):
    """torch's nll_loss2d size check, on (N, C, H, W) and (N, H, W); any other spatial input is
    viewed so first: (N, C, 1, -1) and (N, 1, -1), or (N, C, 0, 0) and (N, 0, 0) when empty."""
    shape, target_shape = list(input.array.shape), list(target.array.shape)
    if len(shape) != 4:
        n, channels = shape[:2]
        shape = [n, channels, 1, input.array.size // (n * channels)] if input.array.size else [n, channels, 0, 0]
        target_shape = [n, 1, target.array.size // n] if target.array.size else [n, 0, 0]
    if [shape[0], *shape[2:]] != target_shape:
        raise RuntimeError(f"size mismatch (got input: {shape} , target: {target_shape}")


def _label_index(xp, labels, class_axis):
    """An index tuple that picks, for every sample, the element of its label along ``class_axis``."""
    ndim = labels.ndim
    positions = [xp.arange(size).reshape([size if i == axis else 1 for i in range(ndim)])
                 for axis, size in enumerate(labels.shape)]
    return tuple(positions[:class_axis]) + (labels,) + tuple(positions[class_axis:])


class NoClassNllLoss(Function):
    """``nll_loss`` over no classes, where every target is ignored: torch's loss is 0 a sample (the
    sum 0, the mean NaN) and its gradient 0; its node saves the input, so a later write to the
    input stops backward, as torch's (fuzz seed 2351160)."""

    def name(self):     # as ClassIndexCrossEntropy's: torch's 2-d kernel for spatial inputs
        return "NllLossBackward0" if self.input_ndim <= 2 else "NllLoss2DBackward0"

    def forward(self, x, reduction, target_shape):
        self.input_ndim = x.ndim
        self.save_for_backward(x)
        xp = array_module(x)
        if reduction == "none":
            return xp.zeros(target_shape, x.dtype)
        return xp.full((), math.nan if reduction == "mean" else 0.0, x.dtype)

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return array_module(x).zeros(x.shape, x.dtype)


def _class_index_loss(input, target, class_axis, weight, ignore_index, label_smoothing, from_logits,
                      reduction):
    """Labels, per-sample weights and the weighted-mean denominator, then the node.

    The mean divides by the sum of ``w[y]`` over the samples not ignored, for
    the label term and the smoothing term alike, as torch does.
    """
    xp = array_module(input.array)
    num_classes = input.array.shape[class_axis]
    labels = target.array.astype("int64", copy=False)
    valid = labels != ignore_index
    out_of_range = valid & ((labels < 0) | (labels >= num_classes))
    if out_of_range.any():
        raise IndexError(f"Target {int(labels[out_of_range].reshape(-1)[0])} is out of bounds.")
    # torch's loss of an input that is not (N, C) or (N, C, H, W) runs the 2-d kernel on the input
    # viewed as (N, C, 1, L): unreduced, its (N, 1, L) losses are viewed back to the target's shape
    # (writes into the losses follow the view rules); label smoothing adds a term to them instead
    ndim = input.array.ndim
    viewed = reduction == "none" and (ndim == 3 or ndim > 4) and not label_smoothing
    if num_classes == 0:
        # every target ignored: torch's nll (of the log-probabilities) is 0 (nan for the mean), its node
        # NllLossBackward0 or NllLoss2DBackward0; smoothing over no classes adds the (reduced) smoothing
        # term times eps / 0, so nan, even for no samples (AddBackward0)
        log_probs = input.log_softmax(class_axis) if from_logits else input
        loss = NoClassNllLoss.apply(log_probs, reduction=reduction,
                                    target_shape=_spatial_rows(labels.shape) if viewed else labels.shape)
        loss = loss.view(labels.shape) if viewed else loss
        if not label_smoothing:
            return loss
        return loss * (1.0 - label_smoothing) + _reduce_tensor(log_probs.sum(class_axis), reduction, 0) * math.nan
    labels = xp.where(valid, labels, 0)
    dtype = input.array.dtype
    class_weight = xp.ones(num_classes, dtype) if weight is None else weight.array
    weight_of_label = branchless_where(xp, valid, class_weight[labels], 0).astype(dtype, copy=False)   # w[y], 0 where ignored
    smoothing = None
    if label_smoothing:
        broadcast = [num_classes if axis == class_axis else 1 for axis in range(input.array.ndim)]
        smoothing = (class_weight.reshape(broadcast), (label_smoothing / num_classes) * valid.astype(dtype))
    with quiet_float_errors():      # (class weights summing past the range: inf, silently)
        denominator = _nll_sum(weight_of_label, valid) if weight is not None and _sums_in_own_dtype(
            xp, dtype, smoothing) else weight_of_label.sum()
    loss = ClassIndexCrossEntropy.apply(
        input, index=_label_index(xp, labels, class_axis),
        label_weight=((1.0 - label_smoothing) * weight_of_label).astype(dtype, copy=False),
        smoothing=smoothing, class_axis=class_axis, from_logits=from_logits, reduction=reduction,
        denominator=denominator, valid=valid,
        spatial_rows=_spatial_rows(labels.shape) if viewed else None,
        label_terms=(weight_of_label, 1.0 - label_smoothing, label_smoothing / num_classes) if smoothing else None)
    return loss.view(labels.shape) if viewed else loss


def _spatial_rows(shape):
    """The (N, 1, L) shape of torch's 2-d kernel's losses for targets of ``shape`` ((N, 0, 0) if empty)."""
    n, size = shape[0], math.prod(shape)
    return (n, 1, size // n) if size else (n, 0, 0)


def _probability_distribution(input, target, class_axis, weight, label_smoothing):
    """(dist, mean denominator) for class-probability targets: differentiable in ``target``."""
    num_classes = input.array.shape[class_axis]
    dist = target
    if label_smoothing:
        dist = dist * (1.0 - label_smoothing) + label_smoothing / num_classes
    if weight is not None:
        shape = [1] * input.array.ndim
        shape[class_axis] = num_classes
        dist = dist * Tensor._wrap(weight.array.astype(input.array.dtype).reshape(shape))
    return dist, input.array.size // num_classes


def _check_weight(weight, num_classes):
    if weight is not None and (weight.array.ndim != 1 or weight.array.shape[0] != num_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {num_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.array.shape)}")


def _class_loss(input, target, weight, ignore_index, reduction, label_smoothing, from_logits):
    if input.array.ndim < 1:
        raise RuntimeError(f"Expected 1 or more dimensions (got {input.array.ndim})")
    class_axis = 0 if input.array.ndim == 1 else 1
    num_classes = input.array.shape[class_axis]
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if from_logits and target.is_floating_point() and target.array.shape == input.array.shape:
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_weight(weight, num_classes)
        input, target = as_operands(input, target)   # mixed float dtypes promote, as torch
        dist, denominator = _probability_distribution(input, target, class_axis, weight, label_smoothing)
        return DistributionCrossEntropy.apply(input, dist, class_axis=class_axis, reduction=reduction,
                                              denominator=denominator)
    if from_logits and target.array.shape == input.array.shape:   # torch reads it as probabilities
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{scalar_type_name(target.dtype)}")
    if input.array.ndim == 1 and target.array.ndim == 1:
        # one unbatched sample: torch takes a one-element target as its label
        if target.array.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.array.shape[0]}")
        target = Tensor._wrap(target.array.reshape(()))
    _check_class_targets(input, target)
    _check_weight(weight, num_classes)
    if input.array.ndim > 2:
        _check_spatial_targets(input, target)
    if weight is not None and weight.array.dtype != input.array.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(input.dtype)} but found "
                           f"{scalar_type_name(weight.dtype)}")
    return _class_index_loss(input, target, class_axis, weight, ignore_index, label_smoothing, from_logits,
                             reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits ``input`` ``(N, C, *)`` (or ``(C,)``) with ``target``.

    ``target`` holds class indices ``(N, *)`` (int64) or class probabilities
    of ``input``'s shape.  ``weight`` ``(C,)`` weighs classes; with
    ``reduction='mean'`` and class indices the sum is divided by the total
    weight of the targets that are not ``ignore_index`` (torch's weighted mean).
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    return _class_loss(input, target, weight, ignore_index, reduction, label_smoothing, from_logits=True)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood of log-probabilities ``input`` ``(N, C, *)`` at class indices ``target`` ``(N, *)``."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    return _class_loss(input, target, weight, ignore_index, reduction, 0.0, from_logits=False)


# ---- regression losses: a function of input - target --------------------------------------------------
class DifferenceLoss(Function):
    """``reduce(f(input - target))``; subclasses give ``function`` and ``derivative`` of the difference
    (the derivative times ``norm``: 1 / n for the mean, else 1)."""

    differentiable_backward = True

    def forward(self, input, target, reduction, **params):
        self.reduction, self.params = reduction, params
        self.save_for_backward(input, target)
        difference = input - target
        loss = self.function(array_module(difference), difference, **params).astype(difference.dtype, copy=False)
        self.count = loss.size
        return _reduce(array_module(loss), loss, reduction, loss.size, lambda loss: self.layout(loss, input, target))

    @staticmethod
    def layout(loss, input, target):
        """torch's kernel: one TensorIterator over (input, target), the input's layout first."""
        return _iterator_layout(loss, (input, target))

    def saved_view_shape(self, index, array):
        # torch saves input and target broadcast to one shape
        shape = broadcast_shapes(*(saved.shape for saved in self._saved))
        return shape if array.shape != shape else None

    def backward(self, grad_output):
        input, target = self.saved_tensors
        difference = input - target
        xp = array_module(difference)
        # torch's order: f'(d) with the mean's 1 / n in it, then times grad (so 2 d / n stays finite where 2 d overflows)
        norm = 1 / self.count if self.reduction == "mean" and self.count else 1
        local = astype(self.derivative(xp, difference, norm, **self.params) * grad_output, difference.dtype)
        grad_input = sum_to(local, input.shape) if self.needs_input_grad[0] else None
        grad_target = sum_to(-local, target.shape) if self.needs_input_grad[1] else None
        return grad_input, grad_target


class SquaredError(DifferenceLoss):
    def name(self):
        return "MseLossBackward0"

    @staticmethod
    def function(xp, d):
        return d * d

    @staticmethod
    def derivative(xp, d, norm):
        return (2 * norm) * d


class SmoothL1(DifferenceLoss):
    """``0.5 d^2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``."""

    def name(self):
        return "SmoothL1LossBackward0"   # beta = 0 is l1_loss's composite

    @staticmethod
    def function(xp, d, beta):
        z = xp.abs(d)
        return branchless_where(xp, z < beta, 0.5 * d * d / beta, z - 0.5 * beta)

    @staticmethod
    def derivative(xp, d, norm, beta):
        return xp.clip(d / beta, -1.0, 1.0) * norm


class Huber(DifferenceLoss):
    """``0.5 d^2`` for ``|d| < delta``, else ``delta (|d| - 0.5 delta)``: ``beta * smooth_l1``."""

    def name(self):
        return "HuberLossBackward0"

    @staticmethod
    def function(xp, d, delta):
        z = xp.abs(d)
        return branchless_where(xp, z < delta, 0.5 * d * d, delta * (z - 0.5 * delta))

    @staticmethod
    def derivative(xp, d, norm, delta):
        return xp.clip(d, -delta, delta) * norm

    @staticmethod
    def layout(loss, input, target):
        """torch's kernel writes into ``empty_like(input)``, which a broadcast target resizes
        (to row-major)."""
        return relayout(loss, dense_strides(input) if input.shape == loss.shape else None)


def _difference_operands(input, target):
    if input.array.shape != target.array.shape:
        warnings.warn(f"Using a target size ({Size(target.array.shape)}) that is different to the input "
                      f"size ({Size(input.array.shape)}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=4)
        broadcast_shapes(input.array.shape, target.array.shape)
    return as_operands(input, target)


def _difference_loss(node, input, target, reduction, **params):
    input, target = _difference_operands(input, target)
    return node.apply(input, target, reduction=_check_reduction(reduction), **params)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error ``(input - target)^2``, reduced."""
    return _difference_loss(SquaredError, input, target, _legacy_reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error ``|input - target|``, reduced: torch's composite (``AbsBackward0`` saves the
    difference, not the target, so writing the target afterwards does not stop backward)."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    input, target = _difference_operands(input, target)
    loss = (input - target).abs()
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared near zero, absolute beyond ``beta``; ``beta=0`` is the L1 loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _difference_loss(SmoothL1, input, target, reduction, beta=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared near zero, linear with slope ``delta`` beyond it."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _difference_loss(Huber, input, target, reduction, delta=delta)


# ---- binary cross entropy ------------------------------------------------------------------------
def _scaled(local, node):
    """torch's order in the binary cross entropies' backward: the gradient (times ``grad``), times
    the weight, then the mean's 1 / n."""
    if node.weight is not None:
        local = local * node.weight
    return local / node.count if node.reduction == "mean" and node.count else local


class BinaryCrossEntropy(Function):
    """``-w (t log x + (1 - t) log(1 - x))`` with each log clamped at -100 (torch's guard against log 0).

    Gradients (torch's): d/dx = ``w (x - t) / max(x (1 - x), 1e-12)``,
    d/dt = ``w (log(1 - x) - log x)``.
    """

    differentiable_backward = True

    def forward(self, x, t, weight, reduction):
        xp = array_module(x)
        self.weight, self.reduction = weight, reduction
        self.save_for_backward(x, t)
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight
        self.count = loss.size
        # torch writes the loss into ``empty_like(input)`` (then times the weight, in place)
        return _reduce(xp, loss.astype(x.dtype, copy=False), reduction, loss.size,
                       lambda loss: relayout(loss, dense_strides(x)))

    def backward(self, grad_output):
        x, t = self.saved_tensors
        xp = array_module(x)
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            local = grad_output * (x - t) / xp.maximum((1 - x) * x, 1e-12)
            grad_x = astype(sum_to(_scaled(local, self), x.shape), x.dtype)
        if self.needs_input_grad[1]:
            with numpy.errstate(divide="ignore"):
                local = -xp.log(x / (1 - x))          # -logit(x)
            grad_t = astype(sum_to(_scaled(local * grad_output, self), t.shape), t.dtype)
        return grad_x, grad_t


def _weight_array(weight, input):
    """A non-differentiable weight as an array of ``input``'s dtype that broadcasts to ``input``."""
    if weight is None:
        return None
    broadcast_shapes(weight.array.shape, input.array.shape)
    return weight.array.astype(input.array.dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``input`` in [0, 1]."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if target.array.shape != input.array.shape:
        raise ValueError(f"Using a target size ({Size(target.array.shape)}) that is different to the input "
                         f"size ({Size(input.array.shape)}) is deprecated. Please ensure they have the same size.")
    if target.array.dtype != input.array.dtype:
        raise RuntimeError(f"Found dtype {scalar_type_name(target.dtype)} but expected "
                           f"{scalar_type_name(input.dtype)}")
    # torch checks element by element, the input before the target: the first element outside
    # [0, 1] (NaN too) in either names it
    bad_input, bad_target = (~((array >= 0) & (array <= 1)) for array in (input.array, target.array))
    bad = (bad_input | bad_target).reshape(-1)
    if bad.any():
        name = "input" if bad_input.reshape(-1)[bad.argmax()] else "target"
        raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    return BinaryCrossEntropy.apply(input, target, weight=_weight_array(weight, input), reduction=reduction)


def _softplus(xp, v):
    """``log(1 + exp(v))``, never overflowing: ``max(v, 0) + log1p(exp(-|v|))``."""
    return xp.maximum(v, 0) + xp.log1p(xp.exp(-xp.abs(v)))


class BinaryCrossEntropyWithLogits(Function):
    """``w [(1 - t) x + (1 + (p - 1) t) softplus(-x)]``, ``p`` the positive-class weight.

    ``softplus(-x) = max(-x, 0) + log1p(exp(-|x|))`` never overflows, so
    logits of 1e4 give finite losses.  d/dx = ``w [(1 + (p - 1) t) sigmoid(x) - p t]``,
    d/dt = ``w [log_sigmoid(-x) - p log_sigmoid(x)]``, ``-w x`` without ``p`` (torch's formulas:
    the gradient, times ``grad``, then ``w``, then the mean's ``1 / n``).
    """

    differentiable_backward = True

    def forward(self, x, t, weight, pos_weight, reduction):
        xp = array_module(x)
        self.weight, self.pos_weight, self.reduction = weight, pos_weight, reduction
        self.save_for_backward(x, t)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + log_weight * _softplus(xp, -x)
        if weight is not None:
            loss = loss * weight
        self.count = loss.size
        # torch's ``(1 - target).mul_(input).sub_(...)``: ``1 - target`` is ``empty_like(target)``
        # filled, and the rest writes in place
        return _reduce(xp, loss.astype(x.dtype, copy=False), reduction, loss.size,
                       lambda loss: relayout(loss, dense_strides(t)))

    def backward(self, grad_output):
        x, t = self.saved_tensors
        xp = array_module(x)
        p = self.pos_weight
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            sigmoid = sigmoid_array(x)       # torch's: 0 where exp(-x) overflows
            local = sigmoid - t if p is None else (p * t + 1 - t) * sigmoid - p * t
            grad_x = astype(sum_to(_scaled(local * grad_output, self), x.shape), x.dtype)
        if self.needs_input_grad[1]:
            # log_sigmoid(v) = -softplus(-v); without pos_weight torch's formula is just -x
            local = -x if p is None else -_softplus(xp, x) + _softplus(xp, -x) * p
            grad_t = astype(sum_to(_scaled(local * grad_output, self), t.shape), t.dtype)
        return grad_x, grad_t


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid and binary cross entropy in one stable step; ``pos_weight`` (broadcast over the last dim) weighs positives."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if target.array.shape != input.array.shape:
        raise ValueError(f"Target size ({Size(target.array.shape)}) must be the same as input size "
                         f"({Size(input.array.shape)})")
    input, target = as_operands(input, target)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight=_weight_array(weight, input),
                                              pos_weight=_weight_array(pos_weight, input),
                                              reduction=reduction)


# ---- KL divergence ----------------------------------------------------------------------------------
class KLDivergence(Function):
    """Pointwise ``t (log t - x)`` (``0`` where ``t = 0``), or ``exp(t) (t - x)`` for log-space targets.

    ``x`` holds log-probabilities.  d/dx = ``-t`` (``-exp(t)``); d/dt =
    ``log t + 1 - x`` (``exp(t) (t - x + 1)``), nan at ``t = 0`` as torch's xlogy.
    """

    differentiable_backward = True

    def name(self):
        # torch writes kl_div with tensor ops; the name is its last step
        if self.batchmean:
            return "DivBackward0"
        return {"mean": "MeanBackward0", "sum": "SumBackward0"}.get(
            self.reduction, "MulBackward0" if self.log_target else "SubBackward0")

    def forward(self, x, t, log_target, reduction, denominator, batchmean=False):
        xp = array_module(x)
        self.log_target, self.reduction, self.denominator = log_target, reduction, denominator
        self.batchmean = batchmean
        self.inputs_meta = (x.shape, x.dtype), (t.shape, t.dtype)
        self.shape = broadcast_shapes(x.shape, t.shape)
        # what torch's composite saves: for exp(t) * (t - x) two new tensors, neither input (a later
        # write to them changes nothing here); for xlogy(t, t) - t * x the target, and the input
        # for the target's gradient, so that writing them in place stops backward as in torch
        if log_target:
            probabilities, difference = xp.exp(t), t - x
            self.save_for_backward(probabilities, difference)
            loss = probabilities * difference
        else:
            self.save_for_backward(x if self.needs_input_grad[1] else None, t)
            # torch's xlogy(t, t): 0 at t = 0, +NaN for a negative target, as its kernel signs it (fuzz
            # seed 9765521: copysign by the loss of a negative target turned a gradient)
            loss = _xlogy(t, t) - t * x
        # torch's composite: its element-wise ops take the target first (``t * x``, ``t - x``)
        return _reduce(xp, loss.astype(x.dtype, copy=False), reduction, denominator,
                       lambda loss: _kl_layout(loss, t, x))

    def backward(self, grad_output):
        (x_shape, x_dtype), (t_shape, t_dtype) = self.inputs_meta
        xp = array_module(grad_output)
        g = _reduction_scale(xp, grad_output, self.reduction, self.denominator, x_dtype)
        # a reduced loss's gradient is one number: spread over the broadcast shape before sum_to
        g = xp.broadcast_to(g, self.shape) if g.shape != self.shape else g
        grad_x = grad_t = None
        # the backward of torch's composite, step by step (so infinities meet zeros as in torch);
        # a gradient reaching a node of the target's shape is summed to that shape first (an empty
        # broadcast gives zeros there, which then meet exp(t) or t / t: NaN at t = inf or 0)
        if self.log_target:       # exp(t) * (t - x)
            probabilities, difference = self.saved_tensors
            grad_x = -(g * probabilities) if self.needs_input_grad[0] else None
            if self.needs_input_grad[1]:
                grad_t = sum_to(g * difference, t_shape) * probabilities + sum_to(g * probabilities, t_shape)
        else:                     # xlogy(t, t) - t * x
            x, t = self.saved_tensors
            grad_x = -g * t if self.needs_input_grad[0] else None
            if self.needs_input_grad[1]:
                g_t = sum_to(g, t_shape)
                with numpy.errstate(invalid="ignore", divide="ignore"):
                    # torch's xlogy backward, for both arguments t: xlogy(g, t) (0 where g is 0,
                    # or where t is 0) plus g * t / t (NaN at t = 0)
                    xlogy_g = branchless_where(xp, ((g_t == 0) & ~xp.isnan(t)) | (t == 0), 0, g_t * xp.log(t))
                    grad_t = xlogy_g + g_t * t / t + sum_to(-g * x, t_shape)
        return (None if grad_x is None else astype(sum_to(grad_x, x_shape), x_dtype),
                None if grad_t is None else astype(sum_to(grad_t, t_shape), t_dtype))


class KLDivergenceLogTarget(KLDivergence):
    """``KLDivergence`` with log-space targets: it saves ``exp(t)`` and ``t - x``, values of its own
    (as torch's composite), so a backward recorded as a graph recomputes them from the inputs."""

    def composite(self, x, t):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True)."""
        return _reduce_tensor(t.exp() * (t - x), self.reduction, self.denominator)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence of ``target`` (probabilities, or log-probabilities with ``log_target``) from
    ``exp(input)``: ``input`` holds log-probabilities.  ``reduction='batchmean'`` divides the sum
    by the batch size (the mathematical KL); ``'mean'`` by the number of elements, as torch.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    # the target first, as in torch's first broadcast (t * x, or t - x): tensor a of its error
    target, input = as_operands(target, input)
    shape = broadcast_shapes(input.array.shape, target.array.shape)
    denominator = (shape[0] if shape else 1) if reduction == "batchmean" else math.prod(shape)
    node = KLDivergenceLogTarget if log_target else KLDivergence
    return node.apply(input, target, log_target=log_target,
                      reduction="mean" if reduction == "batchmean" else reduction,
                      denominator=denominator, batchmean=reduction == "batchmean")



# ---- margin and embedding losses (torch's composites) --------------------------------------------
def _reduction_of(size_average, reduce, reduction):
    """torch's ``_Reduction.get_enum`` (or the legacy arguments' reduction): checked first."""
    return _check_reduction(_legacy_reduction(size_average, reduce, reduction))


def _apply_loss_reduction(loss, reduction):
    """ATen's ``apply_loss_reduction``: ``mean()``, ``sum()`` or the loss as it is."""
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target (input1 - input2) + margin)``: ``target`` (1 or -1) says which input should rank higher."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _apply_loss_reduction((-target * (input1 - input2) + margin).clamp_min_(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1 (both for other values)."""
    reduction = _reduction_of(size_average, reduce, reduction)
    zeros = input.new_zeros(tuple(input.shape))
    margin_clamp = (_as_operand(margin, input) - input).clamp_min_(0)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return _apply_loss_reduction(output_margin + output_self, reduction)


def _as_operand(number, like):
    """A number as torch's C++ composites write it (``margin - self``): a 0-d tensor of ``like``'s dtype."""
    return like.new_tensor(number)


class SoftMargin(Function):
    """``log(1 + exp(-t x))``, reduced; d/dx = ``-t z / (1 + z)``, ``z = exp(-t x)`` (torch's
    ``soft_margin_loss_backward``); the target gets no gradient (torch refuses one)."""

    differentiable_backward = True

    def name(self):
        return "SoftMarginLossBackward0"

    def forward(self, x, t, reduction):
        xp = array_module(x)
        self.reduction, self.count = reduction, x.size
        self.save_for_backward(x, t)
        with quiet_float_errors():
            loss = xp.log1p(xp.exp(-x * t)).astype(x.dtype, copy=False)
        return _reduce(xp, loss, reduction, x.size)

    def backward(self, grad_output):
        x, t = self.saved_tensors
        xp = array_module(x)
        # torch's ``1. / numel`` in double: inf for no elements
        norm = (1.0 / self.count if self.count else math.inf) if self.reduction == "mean" else 1.0
        z = xp.exp(-t * x)
        return astype(t * z * -norm / (z + 1) * grad_output, x.dtype), None


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The logistic loss ``log(1 + exp(-target * input))`` for targets 1 or -1."""
    reduction = _reduction_of(size_average, reduce, reduction)
    shape = broadcast_shapes(input.array.shape, target.array.shape)
    if shape != input.array.shape:      # torch writes into a tensor of the input's shape
        raise RuntimeError(f"output with shape {list(input.array.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")
    if input.array.dtype.kind in "biu":     # exp of an integer is of the default float dtype
        raise RuntimeError(f"result type {scalar_type_name(get_default_dtype())} can't be cast to the desired "
                           f"output type {scalar_type_name(input.array.dtype)}")
    if target.requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument "
                           "'target'. This input cannot have requires_grad True.")
    return SoftMargin.apply(input, target.to(input.dtype), reduction=reduction)


# ATen's ``constexpr float EPSILON = 1e-12``, added to the squared norms of cosine_embedding_loss: a
# float32 constant, so 9.99999996e-13 in double (which a zero vector's gradient shows)
_EPSILON = float(numpy.float32(1e-12))


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``target`` is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1;
    ``(N, D)`` inputs with an ``(N,)`` target, or ``(D,)`` inputs with a 0-d one."""
    reduction = _reduction_of(size_average, reduce, reduction)
    target_dim = target.dim()
    if target_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = 2 if target_dim == 1 else 1
    if input1.dim() != expected:
        raise RuntimeError(f"{target_dim}D target tensor expects {expected}D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(target_dim)
    mag_square1 = (input1 * input1).sum(target_dim) + _EPSILON
    mag_square2 = (input2 * input2).sum(target_dim) + _EPSILON
    cos = prod_sum / (mag_square1 * mag_square2).sqrt_()
    zeros = cos.new_zeros(tuple(cos.shape))
    positive = 1 - cos
    negative = (cos - margin).clamp_min_(0)
    output = where(target == 1, positive, zeros) + where(target == -1, negative, zeros)
    return _apply_loss_reduction(output, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))``, ``d`` the ``p``-norm distance
    (``swap``: the negative's distance is the smaller of its distances to the anchor and the positive)."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = anchor.dim(), positive.dim(), negative.dim()
    if not dims[0] == dims[1] == dims[2]:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
                           f"{dims[2]}D inputs")
    distance_positive = pairwise_distance(anchor, positive, p, eps)
    distance_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        distance_negative = minimum(distance_negative, pairwise_distance(positive, negative, p, eps))
    return _apply_loss_reduction((margin + distance_positive - distance_negative).clamp_min(0), reduction)


# ---- likelihood losses (torch's composites) ------------------------------------------------------
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log likelihood of counts ``target`` with rate ``exp(input)`` (``log_input``)
    or ``input``; ``full`` adds Stirling's approximation of ``log(target!)`` where ``target > 1``."""
    reduction = _reduction_of(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling_term = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss += stirling_term.masked_fill(target <= 1, 0)     # in place, as ATen's (the result's version is 1)
    return _apply_loss_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood ``0.5 (log var + (input - target)^2 / var)`` (``+ 0.5 log 2 pi``
    with ``full``); ``var`` one per element, one per row (the last dim left out, or of size 1), or a
    float; clamped at ``eps`` without stopping its gradient (torch's ``no_grad`` clamp of a clone)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(tuple(input.shape))
    elif (var < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(b for a, b in zip(input.size(), var.size()) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)      # in place, as torch's (the result's version is 1)
    return _apply_loss_reduction(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """A logistic loss per class, ``-(t log sigmoid(x) + (1 - t) log sigmoid(-x))`` (times ``weight``),
    averaged over the classes (the last dim) for each sample, then reduced."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    classes = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / classes
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _apply_loss_reduction(loss, reduction)
