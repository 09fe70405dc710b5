"""``F.layer_norm`` and ``F.rms_norm`` (fused, closed-form backward) and ``F.normalize``."""
from __future__ import annotations

import math

import numpy

from ... import threads
from ...core.function import Function
from ...core.device import array_module, quiet_float_errors
from ...core.layout import channels_last
from ._moments import cancelling, fmadd, lane_sums, row_moments, unfused_madd

__all__ = ["layer_norm", "rms_norm", "normalize"]


def _axes(x, normalized_ndim):
    """(normalized axes, leading axes) of ``x``: the last ``normalized_ndim`` and the rest."""
    split = x.ndim - normalized_ndim
    return tuple(range(split, x.ndim)), tuple(range(split))


def _moments(xp, x, axes, input_dtype):
    """Mean, ``x - mean`` and biased variance over ``axes`` as torch's layer_norm kernel gets them
    (``x`` is in the accumulation dtype, ``input_dtype`` what the user gave).

    NumPy's two-pass formula stands in for torch's Welford (``_moments.row_moments``) except
    in rows shorter than one loaded vector (torch's scalar loop, cheap to follow: its last
    bits decide a gradient that cancels, as that of two values a row), in rows whose spread
    is within the rounding of their mean (there ``x - mean`` is that rounding), in rows where an
    ``x - mean`` is within 16 ulps of the row's root mean square, 0 among them (torch's mean may be an ulp away:
    -2.6e-18 for 0, whose power is NaN, fuzz seed 1438199; or an x an ulp from NumPy's mean may be
    torch's mean exactly, an x_hat of 0 that an infinite weight makes NaN, fuzz seed 2371416) and in rows
    where an intermediate of the latter could overflow: a delta squared is at most ``4 N var`` and a
    lane mean squared at most ``2 mean^2 + 8 N var``.  Only those rows are recomputed in
    torch's order, which decides between a finite result, inf and NaN there.  The last value
    returned says whether there was such a row: there the layer's multiply-adds are fused too.
    """
    length = math.prod(x.shape[axis] for axis in axes)
    if length == 0:      # rows of no values: mean and variance NaN (0 / 0), without NumPy's warning
        mean = xp.full(x.shape[:x.ndim - len(axes)] + (1,) * len(axes), math.nan, x.dtype)
        return mean, x - mean, mean.copy(), False
    with quiet_float_errors():     # (a row of inf and -inf: NaN, silently)
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        squares = centered * centered
        var = squares.mean(axis=axes, keepdims=True)   # biased, as torch
    # |x - mean| within 16 ulps of the row's root mean square (which bounds the rounding of its
    # mean, the mean's own ulps where the spread is small, the sum's where the values cancel: fuzz
    # seed 4529822, an x of 0 in a row of +-1s whose mean is its rounding, an x_hat that a weight of
    # -3e38 made -2.8e31 for torch's -2.3e31), read off the squares (where that bound underflows,
    # only an x - mean of exactly 0)
    with numpy.errstate(over="ignore", under="ignore"):
        near_mean = squares <= (mean * mean + var) * (16 * xp.finfo(x.dtype).eps) ** 2
        at_risk = ~xp.isfinite((mean * mean + var * length) * 8) | cancelling(mean, var, xp) | \
            (length < 32 // input_dtype.itemsize) | near_mean.any(axis=axes, keepdims=True)
    if x.size and at_risk.any():
        rows = at_risk.reshape(-1)
        welford_mean, welford_var = row_moments(x.reshape(rows.size, length)[rows], input_dtype)
        mean, var = mean.copy(), var.copy()
        mean.reshape(-1)[rows], var.reshape(-1)[rows] = welford_mean, welford_var
        centered = x - mean
    return mean, centered, var, bool(x.size and at_risk.any())


def _madd_in_place(out, a, b, c):
    """``unfused_madd(a, b, c)`` written into ``out`` (which may be ``a``, not ``b`` or ``c``) with no
    array of its own; False where a result is not finite: there ``fmadd`` decides (the caller's
    ``madd``), and ``out`` holds nothing to keep."""
    xp = array_module(out)
    with numpy.errstate(over="ignore", invalid="ignore"):
        xp.add(xp.multiply(a, b, out=out), c, out=out)
    return bool(xp.isfinite(out).all())


def _normalize_in_place(out, x, mean, rstd, weight, bias, affine):
    """layer_norm's output ``(x - mean) * rstd`` (then ``* weight + bias``) in ``out``, the calls of
    the unfused path with no arrays of their own; False where a result is not finite (the caller
    then computes those rows again, as ``unfused_madd`` decides them)."""
    xp = array_module(out)
    xp.multiply(xp.subtract(x, mean, out=out), rstd, out=out)
    return _madd_in_place(out, out, weight, bias) if affine else True


def _row_sums(xp, rows, factors, in_torchs_order=False):
    """Each row's sum of the 2-d ``rows``, the products ``a * b`` (or ``a`` itself; ``factors()``
    gives ``(a, b)``, b None for ``a``) of layer_norm's
    backward (``ds``, ``db``): NumPy's pairwise sum stands in for torch's lane sums, except in rows
    where a partial sum could overflow (the largest value times the length is not finite): there
    the order (and torch's fused multiply-adds) decides between a finite sum and inf, and those rows
    are summed as torch's (``lane_sums``; fuzz seed 854717: products 1e308 apart, pairwise -inf,
    torch's lanes -1.26e308, a NaN gradient for torch's 0).  ``in_torchs_order``: every row as
    torch's, for a layer whose gradient cancels (a row of one value repeated: the last bits of
    ``ds`` and ``db`` are the gradient; fuzz seed 5395943)."""
    if in_torchs_order and rows.size and type(rows) is numpy.ndarray and rows.dtype.itemsize >= 4:
        return _in_lanes(xp, rows, factors, slice(None))
    sums = rows.sum(axis=1)
    if rows.size and rows.dtype.itemsize >= 4:
        # (its own switch: on the helper thread of _by_rows the engine's does not hold)
        with numpy.errstate(over="ignore", invalid="ignore"):
            if xp.isfinite(max(rows.max(), -rows.min()) * rows.shape[1]):    # (one test for all rows first)
                return sums
            at_risk = ~xp.isfinite(xp.maximum(rows.max(axis=1), -rows.min(axis=1)) * rows.shape[1])
        if at_risk.any():
            sums[at_risk] = _in_lanes(xp, rows, factors, at_risk)
    return sums


def _in_lanes(xp, rows, factors, which):
    """``lane_sums`` of the rows ``which`` of ``rows``' products (``a`` the size of the part, ``b`` that
    or the weight)."""
    a, b = factors()
    a = a.reshape(rows.shape)[which]
    if b is not None:
        b = (b.reshape(rows.shape) if b.size == rows.size else xp.broadcast_to(b.reshape(1, -1), rows.shape))[which]
    return lane_sums(a, b)


def _normalized(x, mean, rstd, madd):
    """x_hat as torch's kernels get it, ``x * rstd + (-rstd * mean)``."""
    return madd(x, rstd, -rstd * mean, x.dtype)


class LayerNorm(Function):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last ``normalized_ndim`` dims.

    The input gradient is torch's (``layer_norm_backward_frame``), in its order of operations:
    with ``a = rstd``, ``ds = sum(dy * x * weight)``, ``db = sum(dy * weight)`` over the
    normalised dims and ``N`` their size, ``dx = a * dy * weight + b * x + c``
    where ``b = (db * mean - ds) * a^3 / N`` and ``c = -b * mean - db * a / N``.  torch's compiled
    kernel fuses its multiply-adds: so does this (``_moments.fmadd``, float32 through float64) where
    the rounding decides the result (rows ``_moments`` recomputes, and half precision), and elsewhere
    NumPy's plain ``a * b + c`` is within an ulp at a fraction of the cost.  It equals
    ``a * (g - mean(g) - x_hat * mean(g * x_hat))``, but where the true gradient is below the
    rounding of ``a * dy`` (eps-sized variance) only torch's order gives torch's digits, it is
    exactly 0 for N = 1, and where a row overflowed (rstd 0, ``ds`` inf) it is NaN as torch's.
    """

    def name(self):
        return "NativeLayerNormBackward0"

    def forward(self, x, *affine, normalized_ndim, eps, has_weight, has_bias, eps_in_double=False):
        xp = array_module(x)
        axes, self.leading = _axes(x, normalized_ndim)
        self.has_weight, self.has_bias, self.eps = has_weight, has_bias, eps
        self.dtype = x.dtype
        # torch's node unpacks its saved inputs by name, bias before input before weight: the first
        # written since is the one its error names (fuzz seed 253991)
        self.argument_names = ("input",) + ("weight",) * has_weight + ("bias",) * has_bias
        given = (x, *affine)
        if x.dtype.itemsize < 4:     # float16/bfloat16: torch computes in float32, rounds the output
            x, affine = x.astype(xp.float32), [parameter.astype(xp.float32) for parameter in affine]
        # two passes over the rows (in two halves on two cores where they are many: _by_rows):
        # the moments, then the output, whose multiply-adds are fused if any row needs it
        mean = xp.empty(x.shape[:len(self.leading)] + (1,) * len(axes), x.dtype)
        var, rows_at_risk = xp.empty_like(mean), []

        def moments(part):
            mean[part], _, var[part], at_risk = _moments(xp, x[part], axes, self.dtype)
            rows_at_risk.append(at_risk)
        self._by_rows(moments, x)
        self.fused = any(rows_at_risk) or x.dtype != self.dtype
        madd = fmadd if self.fused else unfused_madd
        if eps_in_double:
            # torch's group_norm kernel adds its double eps to the float variance in double, 1 / sqrt of
            # that rounded once (with eps a float32, an ulp off: a group of one value, whose output is
            # the bias plus the rounding of x * rstd w, showed it; fuzz seed 7502895)
            rstd = (1 / xp.sqrt(var.astype(xp.float64) + eps)).astype(x.dtype, copy=False)
        else:
            rstd = 1 / xp.sqrt(var + x.dtype.type(eps))
        # the input, weight and bias as given (the bias unread: torch saves it, so writing it in
        # place stops backward); mean and rstd as torch keeps them, in the input's dtype
        kept = [stat.astype(self.dtype).astype(x.dtype) for stat in (mean, rstd)]
        self.save_for_backward(*kept, *given)
        self.moments = (mean, rstd)     # (unrounded: half precision group_norm's output reads them)
        output = xp.empty(x.shape, self.dtype)      # in torch's layout
        weight = affine[0] if has_weight else x.dtype.type(1)
        bias = affine[-1] if has_bias else x.dtype.type(0)

        def normalize(part):
            if not self.fused and _normalize_in_place(output[part], x[part], mean[part], rstd[part],
                                                      weight, bias, has_weight or has_bias):
                return
            if x.dtype == self.dtype:
                normalized = (x[part] - mean[part]) * rstd[part]
            else:        # torch's float16/bfloat16 kernel
                normalized = _normalized(x[part], mean[part], rstd[part], madd)
            if has_weight or has_bias:       # one multiply-add, as torch
                normalized = madd(normalized, weight, bias, x.dtype)
            output[part] = normalized
        self._by_rows(normalize, x)
        return output

    def _by_rows(self, run, x):
        """``run(part)`` over all of ``x``'s rows (its leading dims), or over two halves of its
        first dim on two cores where the rows are many (``threads.rows_in_two_parts``): each row's
        result is the same either way."""
        if not self.leading:
            run(...)
        else:
            threads.rows_in_two_parts(lambda start, stop: run(slice(start, stop)), x.shape[0], x.size, x)

    def _welford_where_infinite(self, xp, x, mean, ds, db, length):
        """``mean`` with torch's Welford mean (``row_moments``) in the rows whose ``ds`` or ``db`` is not
        finite (an infinite weight or gradient): there ``b`` and ``c`` take inf times the mean, whose
        last bits (a two-pass 0 for torch's 5.6e-17: inf, not NaN; fuzz seed 1486545) decide the sign
        or NaN.  Elsewhere (and at no cost where all are finite) ``mean`` as it is."""
        infinite = ~(xp.isfinite(ds) & xp.isfinite(db)).reshape(-1)
        if not infinite.any():
            return mean
        mean = mean.copy()
        welford, _ = row_moments(x.reshape(infinite.size, length)[infinite], self.dtype)
        mean.reshape(-1)[infinite] = welford.astype(self.dtype).astype(mean.dtype)
        return mean

    def composite(self, x, *affine):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True)."""
        axes = tuple(range(len(self.leading), x.ndim))
        centered = x - x.mean(axes, keepdim=True)
        output = centered * ((centered * centered).mean(axes, keepdim=True) + self.eps).rsqrt()
        if self.has_weight:
            output = output * affine[0]
        return output + affine[-1] if self.has_bias else output

    def backward(self, grad_output):
        mean, rstd, x, *affine = self.saved_tensors
        weight = affine[:1] if self.has_weight else ()
        x = x.astype(rstd.dtype, copy=False)    # (float16/bfloat16: the float32 the forward used)
        axes = tuple(range(len(self.leading), grad_output.ndim))
        if x.dtype != grad_output.dtype:     # float16/bfloat16 input: torch's backward runs in float32
            grad_output = grad_output.astype(x.dtype)
        madd = fmadd if self.fused else unfused_madd
        xp = array_module(x)
        needs_input, needs_weight = self.needs_input_grad[0], self.has_weight and self.needs_input_grad[1]
        grad_input = xp.empty(x.shape, x.dtype) if needs_input else None
        weighted = xp.empty(x.shape, x.dtype) if needs_weight else None   # dy * x_hat, summed after
        dtype, length = x.dtype, math.prod(x.shape[axis] for axis in axes)
        scale = 1 / dtype.type(length)    # inf for N = 0, as torch

        def gradients(part):      # rows ``part``: a row's gradient needs that row alone
            dy, x_part, mean_part, rstd_part = grad_output[part], x[part], mean[part], rstd[part]
            if needs_input:
                # row sums: for rows shorter than a vector (8 float32) NumPy adds one value after another,
                # as torch; for longer ones its pairwise sum stands in for torch's lane sums, except
                # where a partial sum could overflow (_row_sums)
                rows, scratch = mean_part.size, dy * x_part        # (one array for the products below)
                shape = (rows, length)
                if weight:      # torch's (dy * x) * gamma
                    factors = lambda: (dy * x_part, weight[0])      # (made where needed)
                    xp.multiply(scratch, weight[0], out=scratch)
                else:
                    factors = lambda: (dy, x_part)
                exact = self.fused and x.dtype == self.dtype     # (a row at risk: its sums as torch's)
                ds = _row_sums(xp, scratch.reshape(shape), factors, exact).reshape(mean_part.shape)
                if weight:
                    xp.multiply(dy, weight[0], out=scratch)
                    db = _row_sums(xp, scratch.reshape(shape), lambda: (dy, weight[0]), exact)
                else:
                    db = _row_sums(xp, dy.reshape(shape), lambda: (dy, None), exact)
                db = db.reshape(mean_part.shape)
                mean_part = self._welford_where_infinite(xp, x_part, mean_part, ds, db, length)
                b = madd(db, mean_part, -ds, dtype) * rstd_part * rstd_part * rstd_part * scale
                c = madd(-b, mean_part, -(db * rstd_part * scale), dtype)
                out = grad_input[part]
                xp.multiply(rstd_part, dy, out=out)                # a * dy (* weight)
                if weight:
                    xp.multiply(out, weight[0], out=out)
                if self.fused or not _madd_in_place(scratch, b, x_part, out):
                    scratch = madd(b, x_part, out, dtype)      # (fused, or a result not finite)
                xp.add(scratch, c, out=out)
            if needs_weight:
                # torch's dgamma: dy times the fused x_hat (for one value a row not an exact 0)
                out = weighted[part]
                if self.fused or not _madd_in_place(out, x_part, rstd_part, -rstd_part * mean_part):
                    out[...] = _normalized(x_part, mean_part, rstd_part, madd)
                xp.multiply(dy, out, out=out)
        self._by_rows(gradients, x)
        grads = [grad_input]
        if needs_weight:
            grads.append(weighted.sum(axis=self.leading))
        elif self.has_weight:
            grads.append(None)
        if self.has_bias:
            grads.append(grad_output.sum(axis=self.leading) if self.needs_input_grad[-1] else None)
        return tuple(grads)


class RMSNorm(Function):
    """``x / sqrt(mean(x^2) + eps) * weight``; input gradient ``rstd * (g - x_hat * mean(g * x_hat))``."""

    # the order torch meets its saved inputs in: its composed rms_norm's last Mul saves the weight,
    # an earlier one the input, so a write to both is reported for the weight (names sort that way)
    argument_names = ("input", "(weight)")

    def name(self):
        return "MulBackward0"    # torch composes rms_norm; its last step multiplies

    def forward(self, x, *weight, normalized_ndim, eps):
        xp = array_module(x)
        axes, self.leading = _axes(x, normalized_ndim)
        self.eps = eps
        rstd = 1 / xp.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
        normalized = x * rstd
        # x too, unread: torch's composed rms_norm saves it (``x * rstd``), so an in-place write to x
        # after it stops backward there, as torch's does (after the weight's, which its last step saves)
        self.save_for_backward(normalized, rstd, *weight, x)
        return normalized * weight[0] if weight else normalized

    def composite(self, x, *weight):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True)."""
        axes = tuple(range(len(self.leading), x.ndim))
        output = x * ((x * x).mean(axes, keepdim=True) + self.eps).rsqrt()
        return output * weight[0] if weight else output

    def backward(self, grad_output):
        normalized, rstd, *weight, _ = self.saved_tensors
        axes = tuple(range(len(self.leading), grad_output.ndim))
        g = grad_output * weight[0] if weight else grad_output
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = rstd * (g - normalized * (g * normalized).mean(axis=axes, keepdims=True))
        if not weight:
            return grad_x
        grad_weight = (grad_output * normalized).sum(axis=self.leading) if self.needs_input_grad[1] else None
        return grad_x, grad_weight


def check_mixed_dtype(input, *parameters):
    """torch's CPU rule for normalisation parameters (weight, bias, running stats): of the
    input's dtype, or float32 with a float16/bfloat16 input ("mixed type", computed in
    float32 and returned in the input's dtype).  True for the mixed case."""
    dtypes = {p.array.dtype for p in parameters if p is not None}
    if not dtypes or dtypes == {input.array.dtype}:
        return False
    if input.array.dtype.name not in ("float16", "float32", "bfloat16"):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if any(dtype.name != "float32" for dtype in dtypes):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    return True


def _check_normalized_shape(input, normalized_shape, weight, bias):
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = tuple(input.array.shape)
    if len(normalized_shape) > len(shape) or shape[len(shape) - len(normalized_shape):] != normalized_shape:
        tail = ", ".join(str(size) for size in normalized_shape)
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {tail}], but got input of size{list(shape)}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.array.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {list(tensor.array.shape)} and normalized_shape = {list(normalized_shape)}")
    return normalized_shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise ``input`` ``(*, *normalized_shape)`` over its last dims to mean 0, variance 1, then scale and shift."""
    normalized_shape = _check_normalized_shape(input, normalized_shape, weight, bias)
    if check_mixed_dtype(input, weight, bias):
        return layer_norm(input.float(), normalized_shape, weight, bias, eps).to(input.dtype)
    affine = [tensor for tensor in (weight, bias) if tensor is not None]
    return LayerNorm.apply(input, *affine, normalized_ndim=len(normalized_shape), eps=eps,
                           has_weight=weight is not None, has_bias=bias is not None)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input^2) + eps) * weight`` over the last dims, as torch composes it
    (``_fused_rms_norm``'s decomposition): half precision computed in float32 (``eps`` by default that
    dtype's epsilon) and rounded once at the end; the result C-contiguous (a ``contiguous()`` copy,
    ``CloneBackward0``) unless the input is channels-last (fuzz seed 8977516's class: a transposed
    input's output is laid out as torch's)."""
    normalized_shape = _check_normalized_shape(input, normalized_shape, weight, None)
    computed = input.float() if input.array.dtype.kind == "f" and input.array.dtype.itemsize < 4 else input
    if eps is None:
        eps = float(array_module(computed.array).finfo(computed.array.dtype).eps)
    weights = (weight,) if weight is not None else ()
    result = RMSNorm.apply(computed, *weights, normalized_ndim=len(normalized_shape), eps=eps)
    if not channels_last(input.array):
        result = result.contiguous()
    return result.to(input.dtype) if computed is not input else result


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim`` (built from the core ops, as torch's)."""
    denominator = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denominator
