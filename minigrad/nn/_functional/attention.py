"""Attention as functions: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Scaled dot-product attention is one graph node (``ScaledDotProductAttention``)
with a backward written out by hand, because its pieces (matmul, softmax,
dropout, matmul) always come together and a fused node keeps one attention
matrix alive instead of four::

    scores  = Q K^T * scale + bias            (..., L, S)
    weights = softmax(scores, dim=-1)          rows with every key masked: see below
    dropped = weights * keep / (1 - p)         dropout on the weights
    output  = dropped V                        (..., L, Ev)

``multi_head_attention_forward`` is torch's function of the same name, built
from tensor ops around that node (the projections, the head split, the masks).

Rows where every key is masked (all ``-inf`` scores) differ between torch's two
paths, and minigrad follows both: ``scaled_dot_product_attention`` (torch's
``_safe_softmax``) gives zero weights, so a zero output and zero gradients;
``multi_head_attention_forward`` with ``need_weights=True`` uses a plain softmax
(``-inf - -inf``), so NaN weights and outputs, as torch does.
"""
from __future__ import annotations

import math
import warnings

import numpy

from ... import threads
from ...core import random
from ...core.dtypes import c_type_name
from ...core.function import Function
from ...core.device import array_module, device_of
from ...core.tensor import Tensor
from ...ops.broadcast import broadcast_shapes, sum_to
from ...ops.softmax import _peak

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]



class ScaledDotProductAttention(Function):
    """``softmax(Q K^T * scale + bias) V`` over the last two dims, batched over the others.

    Inputs: query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)`` and
    optionally an additive float bias broadcastable to ``(..., L, S)``; the
    leading dims broadcast as in ``matmul``.  With ``groups > 1`` (grouped-query
    attention) each key/value head serves ``groups`` query heads (dim -3).
    Output ``(..., L, Ev)``, and with ``return_weights`` also the (dropped-out)
    weights ``(..., L, S)``.
    """

    def name(self):
        return self.torch_name

    def forward(self, query, key, value, *bias, **options):
        """torch's fused kernel computes half precision in float32, its accumulation type, and rounds
        the output once (scores of float16 products past 65504 stay finite: fuzz seed 8592967)."""
        self.half = query.dtype.itemsize == 2 and options.get("as_torchs_function", False) and _torch_node_name(
            query, key, value, options.get("dropout_p", 0.0), options.get("key_groups", 1)) == _FLASH
        if not self.half:
            return self._forward(query, key, value, *bias, **options)
        # (in C order: NumPy's own order for an expanded query puts its stride-0 dim innermost, and
        # the float32 copy would no longer be the fused kernel's operand; fuzz seed 9283274)
        output = self._forward(*[array.astype(numpy.float32, order="C") for array in (query, key, value, *bias)],
                               **options).astype(query.dtype)
        self.save_for_backward(query, key, value, self._saved[3], output)    # (the weights in float32)
        return output

    def _forward(self, query, key, value, *bias, scale, dropout_p=0.0, safe_softmax=True,
                 key_groups=1, value_groups=1, return_weights=False, as_torchs_function=False, causal=False):
        xp = array_module(query)
        self.torch_name = _torch_node_name(query, key, value, dropout_p, key_groups)
        # torch's F.scaled_dot_product_attention outside its fused kernel is its composite, which
        # multiplies query and key each by sqrt(scale) before their product (so (-3e38 q) k stays
        # finite where the product, scaled after, overflows; a 0-wide query's scores are 0, not 0 * inf)
        self.prescaled = as_torchs_function and self.torch_name != _FLASH
        self.flash = as_torchs_function and self.torch_name == _FLASH
        # torch's fused kernel fills the causal mask's places with -inf, where its composite adds the mask
        # (a NaN score stays NaN there): a NaN query then weighs its masked keys 0 (fuzz seed 7555060);
        # its backward takes the weights anew, 0 at a masked place even in a row whose sum is NaN
        self.causal_masked = bias[0] == -math.inf if self.flash and causal else None
        self.scale, self.key_groups, self.value_groups = scale, key_groups, value_groups
        self.safe_softmax = safe_softmax
        self.return_weights, self.has_bias = return_weights, bool(bias)
        keys, values = _repeat_heads(key, key_groups), _repeat_heads(value, value_groups)
        bias = bias[0] if bias else None
        rows = _batch_to_split(query, key, value, bias, key_groups, value_groups) if dropout_p == 0.0 else 0
        nan_keys = []       # (rows, mask) of rows with no weight whose NaN scores torch's backward meets
        if rows:     # the batch's two halves on two cores, each with the calls below
            weights = xp.empty(query.shape[:-1] + key.shape[-2:-1], query.dtype)
            output = xp.empty(query.shape[:-1] + value.shape[-1:], query.dtype)

            def run(start, stop):
                part = slice(start, stop)
                weights[part] = _weights(query[part], keys[part], _rows_of(bias, part, query.ndim),
                                         scale, safe_softmax, self.prescaled, self.flash, nan_keys, part,
                                         self.causal_masked)
                _gemm(weights[part], values[part], out=output[part], batched=self.flash)
            threads.rows_in_two_parts(run, rows, weights.size, weights)
            keep, dropped = None, weights
        else:
            weights = _weights(query, keys, bias, scale, safe_softmax, self.prescaled, self.flash, nan_keys,
                               masked=self.causal_masked)
            keep = _dropout_keep(weights, dropout_p)
            dropped = weights if keep is None else weights * keep
            output = _gemm(dropped, values, batched=self.flash)
        if self.prescaled:
            # torch's composite saves query and key times sqrt(scale), new tensors, and the value only for
            # their gradients: a later write to one of them does not stop its backward (fuzz seed 119).  Its
            # bmm takes the value's batch dims expanded and folded into one: a view, which it saves and a
            # write's error names ([15, 1, 1] for a value [5, 3, 1, 1]), or a copy (fuzz seed 7462968)
            folded = _as_bmm_operand(value, weights.shape[:-2])
            # (a view even where it keeps the value's shape: torch's expand and reshape are views)
            self.value_view_shape = folded.shape if value.ndim >= 3 else None
            # (no scores or no output: torch's empty result, an add, reads no value a write can reach)
            copied = not any(self.needs_input_grad[:2]) or not xp.may_share_memory(folded, value) or \
                self.torch_name == "AddBackward0"
            query, key = query.copy(), key.copy()
            value = value.copy() if copied else value
            for index, copy in enumerate((query, key, value) if copied else (query, key)):
                self.save_copy_of_input(index, copy)
        self.nan_keys = None
        if nan_keys:
            self.nan_keys = xp.zeros(weights.shape, bool)
            for part, mask in nan_keys:
                self.nan_keys[part] = mask
        # torch's fused node saves its output as well: a write to it stops backward (fuzz seed 7404297)
        extra = (output,) if self.flash else () if keep is None else (keep,)
        self.save_for_backward(query, key, value, weights, *extra)
        self.bias_shape = bias.shape if bias is not None else None
        return (output, dropped) if return_weights else output

    def saved_view_shape(self, index, array):
        return self.value_view_shape if self.prescaled and index == 2 else None

    def composite(self, query, key, value, *bias):
        """The same from differentiable ops, for a backward recorded as a graph (create_graph=True)."""
        if self.key_groups > 1:
            key = key.repeat_interleave(self.key_groups, -3)
        if self.value_groups > 1:
            value = value.repeat_interleave(self.value_groups, -3)
        if self.prescaled:
            query_factor, key_factor = _scale_factors(self.scale, query.dtype.numpy)
            scores = (query * query_factor).matmul((key * key_factor).transpose(-1, -2))
        else:
            scores = query.matmul(key.transpose(-1, -2)) * self.scale
        if bias:
            scores = scores + bias[0]
        if self.safe_softmax:     # rows masked entirely give zeros (and zero gradients), not NaN
            masked_rows = Tensor._wrap(scores.array.max(axis=-1, keepdims=True) == -math.inf)
            weights = scores.masked_fill(masked_rows, 0.0).softmax(-1).masked_fill(masked_rows, 0.0)
        else:
            weights = scores.softmax(-1)
        if len(self._saved) > 4 and not self.flash:  # the dropout multiplier drawn in forward
            weights = weights * Tensor._wrap(self._saved[4])
        output = weights.matmul(value)
        return (output, weights) if self.return_weights else output

    def backward(self, grad_output, grad_weights=None):
        if not self.half:
            return self._backward(grad_output, grad_weights, self.saved_tensors)
        wide = [array.astype(numpy.float32) for array in self.saved_tensors]
        grads = self._backward(grad_output.astype(numpy.float32), grad_weights, wide)
        return tuple(grad.astype(grad_output.dtype) for grad in grads)

    def _backward(self, grad_output, grad_weights, saved):
        query, key, value, weights, *keep = saved
        output = keep[0] if self.flash else None
        keep = [] if self.flash else keep       # (the fused node's fifth is its output)
        xp = array_module(grad_output)
        rows = 0 if keep else _batch_to_split(query, key, value, None, self.key_groups, self.value_groups)
        if not rows:
            return self._gradients(query, key, value, weights, keep, grad_output, grad_weights, self.nan_keys,
                                   output=output)
        # the batch's two halves on two cores, each with the calls of _gradients; a bias shared
        # across the batch gets its gradient summed after, whole (the same sum as unsplit)
        grads = [xp.empty_like(query), xp.empty_like(key), xp.empty_like(value)]
        grad_scores = xp.empty_like(weights) if self.has_bias else None

        def run(start, stop):
            part = slice(start, stop)
            *parts, scores_part = self._gradients(
                query[part], key[part], value[part], weights[part], keep, grad_output[part],
                None if grad_weights is None else grad_weights[part],
                None if self.nan_keys is None else self.nan_keys[part], scores_only=True,
                output=None if output is None else output[part])
            for grad, grad_part in zip(grads, parts):
                grad[part] = grad_part
            if grad_scores is not None:
                grad_scores[part] = scores_part
        threads.rows_in_two_parts(run, rows, weights.size, weights)
        if self.has_bias:
            grads.append(sum_to(grad_scores, self.bias_shape))
        return tuple(grads)

    def _gradients(self, query, key, value, weights, keep, grad_output, grad_weights, nan_keys=None,
                   scores_only=False, output=None):
        """The gradients of query, key and value (and of the bias, or with ``scores_only`` the
        scores' gradient itself) from the output's and the weights' gradients (``nan_keys``: see
        ``_weights``; ``output``: the fused kernel's, whose backward takes each row's
        ``sum(dweights * weights)`` as ``sum(dout * out)``, the same number but where a gradient
        is infinite: there its NaN and inf are torch's; fuzz seeds 7433318, 7555060)."""
        xp = array_module(grad_output)
        keys, values = _repeat_heads(key, self.key_groups), _repeat_heads(value, self.value_groups)
        dropped = weights * keep[0] if keep else weights
        if nan_keys is not None:
            # torch's fused backward takes the weights anew from the scores and the rows' log-sum-exp: a row
            # that weighed nothing gets NaN at its NaN scores (0 at -inf), and its scores' gradient is
            # weights * (dweights - rowsum(dout * out)) with out 0 there (fuzz seed 7008356)
            dropped = xp.where(nan_keys, xp.nan, dropped).astype(dropped.dtype, copy=False)
        if self.causal_masked is not None:     # (fuzz seed 8109567: a query of inf, NaN weights in its row)
            dropped = xp.where(self.causal_masked, 0, dropped).astype(dropped.dtype, copy=False)
        grad_value = _sum_heads(xp.matmul(xp.swapaxes(dropped, -1, -2), grad_output), value.shape,
                                self.value_groups)
        grad_dropped = xp.matmul(grad_output, xp.swapaxes(values, -1, -2))
        if grad_weights is not None:
            grad_dropped = grad_dropped + grad_weights
        grad_probs = grad_dropped * keep[0] if keep else grad_dropped
        # softmax backward: dscores = w * (dw - sum(dw * w)); zero rows stay zero, NaN rows NaN.
        # The row sums as one einsum (no product array: a sum over short rows costs NumPy a call
        # a row), and grad_probs is a fresh array here, so the rest runs in place
        grad_scores = grad_probs
        if output is not None:
            grad_scores -= xp.einsum("...k,...k->...", grad_output, output)[..., None]
        else:
            grad_scores -= xp.einsum("...k,...k->...", grad_probs, weights)[..., None]
        grad_scores *= weights
        if nan_keys is not None:
            grad_scores[nan_keys] = xp.nan
        if self.prescaled:     # the product of query and key each times sqrt(scale)
            query_factor, key_factor = _scale_factors(self.scale, query.dtype)
            grad_query = sum_to(_gemm(grad_scores, keys * key_factor) * query_factor, query.shape)
            grad_key = _sum_heads(_gemm(xp.swapaxes(grad_scores, -1, -2), query * query_factor) * key_factor,
                                  key.shape, self.key_groups)
        else:
            grad_query = sum_to(xp.matmul(grad_scores, keys) * self.scale, query.shape)
            grad_key = _sum_heads(xp.matmul(xp.swapaxes(grad_scores, -1, -2), query) * self.scale,
                                  key.shape, self.key_groups)
        grads = (grad_query, grad_key, grad_value)
        if scores_only:
            return grads + (grad_scores,)
        if self.has_bias:
            grads += (sum_to(grad_scores, self.bias_shape),)
        return grads


_FLASH = "ScaledDotProductFlashAttentionForCpuBackward0"


def _torch_node_name(query, key, value, dropout_p, key_groups):
    """The name of torch's node for the output: its fused CPU kernel's where torch takes it (4-d
    inputs of one batch and head count, allowing grouped heads, contiguous along the last dim, no
    dropout, values as wide as the queries, not 0 wide), else that of the last matmul of its
    composite (mm of matrices, else the bmm viewed back); an add where there are no scores."""
    operands = (query, key, value)
    if 0 in query.shape[:-1] or 0 in key.shape[:-1] or 0 in value.shape[:-2] or not value.shape[-1]:
        return "AddBackward0"     # no scores or no output: torch's result for an empty input ends in an add
    # (torch checks the last dim's stride as it is, 1 element, even where that dim has one: fuzz seed 7204781)
    four_d_rows = all([operand.ndim == 4 and operand.strides[-1] == operand.itemsize for operand in operands])
    if four_d_rows and query.shape[-1] and dropout_p == 0.0 and value.shape[-1] == query.shape[-1] \
            and query.shape[0] == key.shape[0] == value.shape[0] and key.shape[1] == value.shape[1] \
            and query.shape[1] == key.shape[1] * key_groups:
        return _FLASH
    return "MmBackward0" if max([operand.ndim for operand in operands]) == 2 else "UnsafeViewBackward0"


def _scale_factors(scale, dtype):
    """torch's composite's factors for query and key, in ``dtype``: sqrt(|scale|) each, the query's
    negated for a negative scale."""
    root = math.sqrt(abs(scale))
    return numpy.dtype(dtype).type(math.copysign(root, scale)), numpy.dtype(dtype).type(root)


def _gemm(a, b, out=None, batched=False):
    """``a @ b`` as torch's mm gives it where the inner dim is 1: each product itself, with its signed
    zero (0 * -2.3 is -0.0; NumPy's BLAS, as torch's bmm, adds it to a +0); with ``batched`` for
    batches too, as torch's fused kernel's GEMM over one key.  ``threads.matmul``'s rule without
    its threads: this runs on the helper thread too (``threads.matmul`` there waits on itself)."""
    xp = array_module(a)
    if (a.ndim == 2 or batched) and a.shape[-1] == 1 and a.shape[-2] > 1 and b.shape[-1] > 1:
        return a * b if out is None else xp.multiply(a, b, out=out)
    return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)


def _weights(query, keys, bias, scale, safe, prescaled=False, flash=False, nan_keys=None, part=slice(None),
             masked=None):
    """The attention weights: ``softmax(query keys^T * scale + bias)`` over the keys (``prescaled``:
    ``(query sqrt(scale)) (keys sqrt(scale))^T``, torch's composite; ``flash``: torch's fused kernel,
    whose running maximum never takes a NaN score, so a row of only NaN and -inf weighs nothing: the
    NaN scores of such rows are appended to ``nan_keys`` as ``(part, mask)``, for the backward;
    ``masked``: the causal mask's places, which the fused kernel fills with -inf, for its bias)."""
    xp = array_module(query)
    if prescaled:
        query_factor, key_factor = _scale_factors(scale, query.dtype)
        scores = xp.matmul(query * query_factor, xp.swapaxes(keys * key_factor, -1, -2))
    else:
        scores = xp.matmul(query, xp.swapaxes(keys, -1, -2)) * scale
    if masked is not None:
        scores = xp.where(masked, -math.inf, scores).astype(scores.dtype, copy=False)
    elif bias is not None:
        scores = scores + bias
    weights = _softmax_last_dim(scores, safe)
    if flash and scores.size:
        # fuzz seed 7008356 (layer template): a key of NaN alone gives torch's 0 * value, not NaN
        unweighted = ~(scores > -math.inf).any(axis=-1, keepdims=True)
        if unweighted.any():
            weights = xp.where(unweighted, 0, weights).astype(weights.dtype, copy=False)
            nan_keys.append((part, unweighted & xp.isnan(scores)))
    return weights


def _batch_to_split(query, key, value, bias, key_groups, value_groups):
    """The batch size where attention may run as two halves of its batch on two cores
    (``threads.rows_in_two_parts``: query, key and value with the same leading dims and dtype,
    every head its own key and value, a bias of that dtype that does not widen the scores),
    else 0."""
    if (query.ndim < 3 or key_groups != 1 or value_groups != 1
            or not query.shape[:-2] == key.shape[:-2] == value.shape[:-2]
            or not query.dtype == key.dtype == value.dtype):
        return 0
    if bias is not None:
        scores_shape = query.shape[:-1] + key.shape[-2:-1]
        widens = bias.ndim > len(scores_shape) or any(
            size not in (1, length) for size, length in zip(bias.shape[::-1], scores_shape[::-1]))
        if bias.dtype != query.dtype or widens:
            return 0
    return query.shape[0]


def _rows_of(bias, part, ndim):
    """The rows ``part`` of a bias of the scores' rank with a batch dim of its own; else the bias."""
    if bias is None or bias.ndim < ndim or bias.shape[0] == 1:
        return bias
    return bias[part]


def _softmax_last_dim(scores, safe):
    """Softmax over the last dim; a row of only ``-inf`` gives zeros (``safe``) or NaN (plain)."""
    xp = array_module(scores)
    if scores.shape[-1] == 0:        # no keys: empty rows, as torch's softmax over a size-0 dim
        return xp.zeros_like(scores)
    row_max = _peak(scores, (scores.ndim - 1,))
    masked_rows = row_max == -math.inf
    weights = scores - xp.where(masked_rows, 0, row_max)
    xp.exp(weights, out=weights)        # in place: a fresh array the size of the scores
    weights /= xp.where(masked_rows, 1, weights.sum(axis=-1, keepdims=True))
    if not safe:
        weights = xp.where(masked_rows, xp.nan, weights)
    return weights


def _dropout_keep(weights, p):
    """The dropout multiplier (0 or ``1 / (1 - p)``) per weight, or None without dropout."""
    if p == 0.0:
        return None
    xp = array_module(weights)
    if p == 1.0:
        return xp.zeros_like(weights)
    draws = random.uniform(weights.shape, weights.dtype, device_of(weights))
    return (draws >= p).astype(weights.dtype) * weights.dtype.type(1.0 / (1.0 - p))


def _as_bmm_operand(value, batch):
    """``value`` as torch's matmul hands it to bmm against weights of the batch dims ``batch``: its
    own batch dims expanded to those and folded into one (a view where they fold as one, else a copy)."""
    if value.ndim < 3:
        return value
    xp = array_module(value)
    expanded = xp.broadcast_to(value, broadcast_shapes(batch, value.shape[:-2]) + value.shape[-2:])
    return expanded.reshape((math.prod(expanded.shape[:-2]),) + value.shape[-2:]) if expanded.ndim > 3 else expanded


def _repeat_heads(array, groups):
    """``repeat_interleave(groups, dim=-3)``: each key/value head serves ``groups`` query heads."""
    return array if groups == 1 else array_module(array).repeat(array, groups, axis=-3)


def _sum_heads(grad, shape, groups):
    """The gradient of ``_repeat_heads`` and of matmul's broadcasting, down to ``shape``."""
    if groups > 1:
        grad = grad.reshape(grad.shape[:-3] + (grad.shape[-3] // groups, groups) + grad.shape[-2:])
        grad = grad.sum(axis=-3)
    return sum_to(grad, shape)


# ---- scaled_dot_product_attention: checks, masks, the call ------------------------------------
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """Attention of ``query (..., L, E)`` over ``key (..., S, E)`` / ``value (..., S, Ev)``.

    ``attn_mask`` broadcasts to ``(..., L, S)``: a bool mask keeps the keys
    where it is True, a float mask (of the query's dtype) is added to the
    scores.  ``is_causal`` masks keys after the query's position (upper-left
    aligned when ``L != S``).  ``scale`` defaults to ``1 / sqrt(E)``.  Dropout is
    applied whenever ``dropout_p > 0`` (pass 0 in eval mode, as in torch).
    Returns ``(..., L, Ev)``.
    """
    _check_qkv(query, key, value)
    key_groups, value_groups = _gqa_groups(query, key, value, enable_gqa)
    batch_shape = _attention_batch_shape(query, key, value, key_groups, value_groups)
    scores_shape = batch_shape + (query.shape[-2], key.shape[-2])
    bias = _attention_bias(attn_mask, is_causal, query, scores_shape)
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if scale is None:        # torch's 1 / sqrt(E) in C++ doubles: inf for queries 0 wide
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else math.inf
    dtype = query.dtype
    # torch's composite keeps half-precision inputs in float32 and rounds its output once (ToCopyBackward0)
    widened = query.array.dtype.itemsize == 2 and _torch_node_name(
        query.array, key.array, value.array, dropout_p, key_groups) in ("MmBackward0", "UnsafeViewBackward0")
    if widened:
        query, key, value, *bias = [tensor.float() for tensor in (query, key, value, *bias)]
    output = ScaledDotProductAttention.apply(query, key, value, *bias, scale=scale,
                                             dropout_p=float(dropout_p), key_groups=key_groups,
                                             value_groups=value_groups, as_torchs_function=True,
                                             causal=is_causal)
    return output.to(dtype) if widened else output


def _check_qkv(query, key, value):
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got "
                           f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: "
                           f"{value.dim()} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_c_name(query)} key.dtype: {_c_name(key)} and value.dtype: "
                           f"{_c_name(value)} instead.")
    if not query.is_floating_point():
        raise RuntimeError(f"expected scalar type Float but found {query.dtype.name.capitalize()}")


def _gqa_groups(query, key, value, enable_gqa):
    """How many query heads share each key head and each value head (1 without GQA)."""
    if not enable_gqa or query.dim() < 3:
        return 1, 1
    query_heads = query.shape[-3]
    if query_heads % key.shape[-3] or query_heads % value.shape[-3]:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
    return query_heads // key.shape[-3], query_heads // value.shape[-3]


def _attention_batch_shape(query, key, value, key_groups, value_groups):
    """The broadcast leading dims, with torch's bmm errors for mismatched E or S."""
    key_batch = _grouped(key.shape[:-2], key_groups)
    value_batch = _grouped(value.shape[:-2], value_groups)
    batch_shape = broadcast_shapes(query.shape[:-2], key_batch, value_batch)
    batch = math.prod(batch_shape)
    if key.shape[-1] != query.shape[-1]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {query.shape[-1]}] but got: [{batch}, {key.shape[-1]}].")
    if value.shape[-2] != key.shape[-2]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {key.shape[-2]}] but got: [{batch}, {value.shape[-2]}].")
    return batch_shape


def _grouped(batch_shape, groups):
    return batch_shape if groups == 1 else batch_shape[:-1] + (batch_shape[-1] * groups,)


def _attention_bias(attn_mask, is_causal, query, scores_shape):
    """``()`` or ``(bias,)``: the additive float mask as a tensor broadcastable to the scores."""
    from ...core.tensor import Tensor
    xp = array_module(query.array)
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                               "when is_causal=True")
        length, source_length = scores_shape[-2:]
        keep = xp.tril(xp.ones((length, source_length), dtype=bool))
        return (Tensor._wrap(xp.where(keep, 0.0, -math.inf).astype(query.array.dtype)),)
    if attn_mask is None:
        return ()
    if attn_mask.dtype.name != "bool" and attn_mask.dtype != query.dtype:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but "
                           f"got attn_mask.dtype: {_c_name(attn_mask)} and  query.dtype: "
                           f"{_c_name(query)} instead.")
    broadcast = broadcast_shapes(scores_shape, tuple(attn_mask.shape))
    if broadcast != tuple(scores_shape):
        raise RuntimeError(f"output with shape {list(scores_shape)} doesn't match the broadcast "
                           f"shape {list(broadcast)}")
    if attn_mask.dtype.name == "bool":   # True = take part, False = -inf
        return (Tensor._wrap(xp.where(attn_mask.array, 0.0, -math.inf).astype(query.array.dtype)),)
    return (attn_mask,)


def _c_name(tensor):       # torch names dtypes by their C++ types in the attention errors
    return c_type_name(tensor.dtype)


# ---- masks as torch canonicalises them -----------------------------------------------------
def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) as an additive float mask of ``target_type``; float masks pass."""
    from ...core.tensor import Tensor
    if mask is None:
        return None
    if mask.dtype.name != "bool" and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if mask.is_floating_point():
        return mask
    xp = array_module(mask.array)
    return Tensor._wrap(xp.where(mask.array, -math.inf, 0.0).astype(target_type.numpy))


def _none_or_dtype(input):
    if input is None:
        return None
    from ...core.tensor import Tensor
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D query) or not (2-D), with torch's shape errors."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but "
                                 f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` "
                                 f"or 2-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but "
                                 f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` "
                                 f"or 1-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D "
                                     f"or 3-D but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _pad_key_column(mask):
    """``F.pad(mask, (0, 1))``: one more key (bias_k or the zero key), not masked."""
    from ...ops.factories import zeros
    from ...ops.join import cat
    if mask is None:
        return None
    return cat([mask, zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)], dim=-1)


# ---- multi-head attention ------------------------------------------------------------------
def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate_weights):
    """``(q, k, v)``: the three input projections, each ``(..., E)``."""
    from .linear import linear
    if separate_weights is not None:
        biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        return tuple(linear(x, weight, bias) for x, weight, bias in zip((query, key, value),
                                                                        separate_weights, biases))
    embed_dim = query.shape[-1]
    if key is value and query is key:        # self-attention: one matmul for all three
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
    if key is value:                         # encoder-decoder: one matmul for key and value
        weight_q, weight_kv = in_proj_weight.split([embed_dim, 2 * embed_dim])
        bias_q, bias_kv = (None, None) if in_proj_bias is None else \
            in_proj_bias.split([embed_dim, 2 * embed_dim])
        return (linear(query, weight_q, bias_q), *linear(key, weight_kv, bias_kv).chunk(2, dim=-1))
    weights = in_proj_weight.chunk(3)
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    return tuple(linear(x, weight, bias) for x, weight, bias in zip((query, key, value), weights, biases))


def _check_separate_weights(query, key, value, weights):
    """torch's checks on ``q/k/v_proj_weight``: ``(E, E)``, ``(E, kdim)``, ``(E, vdim)``."""
    sizes = (query.shape[-1], key.shape[-1], value.shape[-1])
    embed_dim = sizes[0]
    for name, weight, size in zip(("query", "key", "value"), weights, sizes):
        if tuple(weight.shape) != (embed_dim, size):
            raise AssertionError(f"expecting {name} weights shape of {(embed_dim, size)}, but got "
                                 f"{weight.shape}")


def _prepare_attn_mask(attn_mask, batch_heads, target_length, source_length):
    """A 2-D ``(L, S)`` mask as ``(1, L, S)``; a 3-D one must be ``(N * num_heads, L, S)``."""
    if attn_mask is None:
        return None
    if attn_mask.dim() == 2:
        expected = (target_length, source_length)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                               f"{expected}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        expected = (batch_heads, target_length, source_length)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{expected}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _split_heads(x, batch_heads, head_dim):
    """``(S, N, E)`` to ``(N * num_heads, S, head_dim)``: torch's head layout."""
    return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """torch's ``F.multi_head_attention_forward``: query ``(L, N, E)`` or ``(L, E)``.

    Returns ``(output, weights)``: output ``(L, N, E)`` (``(L, E)`` unbatched);
    weights ``(N, L, S)`` averaged over heads, ``(N, num_heads, L, S)`` with
    ``average_attn_weights=False``, None with ``need_weights=False``.  Bool
    masks are True where attention is *not* allowed (the opposite of
    ``scaled_dot_product_attention``); float masks are added to the scores.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:   # run as a batch of one, squeeze at the end
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    target_length, batch_size, embed_dim = query.shape
    key_padding_mask, attn_mask, is_causal = _mha_masks(query, key_padding_mask, attn_mask, is_causal,
                                                        need_weights)
    head_dim = _check_mha_sizes(key, value, embed_dim, embed_dim_to_check, num_heads,
                                use_separate_proj_weight)
    separate_weights = None
    if use_separate_proj_weight:
        separate_weights = (q_proj_weight, k_proj_weight, v_proj_weight)
        _check_separate_weights(query, key, value, separate_weights)
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate_weights)
    batch_heads = batch_size * num_heads
    attn_mask = _prepare_attn_mask(attn_mask, batch_heads, target_length, key.shape[0])
    if bias_k is not None or bias_v is not None:
        _check_bias_kv(bias_k, bias_v, static_k, static_v)
        k, v = _append_keys(k, v, bias_k.repeat(1, batch_size, 1), bias_v.repeat(1, batch_size, 1), 0)
        attn_mask, key_padding_mask = _pad_key_column(attn_mask), _pad_key_column(key_padding_mask)
    q = _split_heads(q, batch_heads, head_dim)
    k = _static_or_split(static_k, k, batch_heads, head_dim, "static_k")
    v = _static_or_split(static_v, v, batch_heads, head_dim, "static_v")
    if add_zero_attn:
        zeros = k.new_zeros((batch_heads, 1, head_dim))
        k, v = _append_keys(k, v, zeros, zeros, 1)
        attn_mask, key_padding_mask = _pad_key_column(attn_mask), _pad_key_column(key_padding_mask)
    source_length = k.shape[1]
    bias = _merge_masks(attn_mask, key_padding_mask, batch_size, num_heads, source_length)
    if is_causal and not bias:
        bias = _attention_bias(None, True, q, (target_length, source_length))
    outputs = ScaledDotProductAttention.apply(
        q, k, v, *bias, scale=1.0 / math.sqrt(head_dim), dropout_p=dropout_p if training else 0.0,
        safe_softmax=not need_weights, return_weights=need_weights)
    attn_output, weights = outputs if need_weights else (outputs, None)
    attn_output = _out_projection(attn_output, out_proj_weight, out_proj_bias, batch_size)
    if weights is not None:
        weights = weights.reshape(batch_size, num_heads, target_length, source_length)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    if not is_batched:
        attn_output = attn_output.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return attn_output, weights


def _mha_masks(query, key_padding_mask, attn_mask, is_causal, need_weights):
    """Both masks as float masks (or None) and whether the causal hint alone is to be used.

    torch drops ``attn_mask`` for the hint only when nothing else needs it (no
    padding mask, no weights returned); a padding mask merged in makes the
    mask no longer causal.
    """
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask),
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        return None, None, True
    attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
    return key_padding_mask, attn_mask, is_causal and key_padding_mask is None


def _check_mha_sizes(key, value, embed_dim, embed_dim_to_check, num_heads, use_separate_proj_weight):
    """torch's size checks; returns ``head_dim``."""
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:   # kdim / vdim may differ from embed_dim
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    return head_dim


def _check_bias_kv(bias_k, bias_v, static_k, static_v):
    if bias_k is None:
        raise AssertionError("bias_v is set but bias_k is None")
    if bias_v is None:
        raise AssertionError("bias_k is set but bias_v is None")
    if static_k is not None:
        raise AssertionError("bias cannot be added to static key.")
    if static_v is not None:
        raise AssertionError("bias cannot be added to static value.")


def _append_keys(keys, values, extra_key, extra_value, dim):
    """One more key and value per sequence (``bias_k/bias_v`` or ``add_zero_attn``'s zeros)."""
    from ...ops.join import cat
    return cat([keys, extra_key], dim=dim), cat([values, extra_value], dim=dim)


def _merge_masks(attn_mask, key_padding_mask, batch_size, num_heads, source_length):
    """``()`` or ``(bias,)``: the sum of both float masks, broadcastable to ``(N * num_heads, L, S)``."""
    if key_padding_mask is not None:
        _check_key_padding_mask(key_padding_mask, source_length, batch_size)
        # (N, S) -> (N * num_heads, 1, S): the same padding for every head
        key_padding_mask = key_padding_mask.reshape(batch_size, 1, 1, source_length) \
            .expand(-1, num_heads, -1, -1).reshape(batch_size * num_heads, 1, source_length)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    return () if attn_mask is None else (attn_mask,)


def _out_projection(attn_output, out_proj_weight, out_proj_bias, batch_size):
    """``(N * num_heads, L, head_dim)`` heads merged back to ``(L, N, E)`` and projected."""
    from .linear import linear
    batch_heads, target_length, head_dim = attn_output.shape
    embed_dim = batch_heads // batch_size * head_dim
    attn_output = attn_output.transpose(0, 1).reshape(target_length * batch_size, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    return attn_output.reshape(target_length, batch_size, attn_output.shape[1])


def _static_or_split(static, projected, batch_heads, head_dim, name):
    """torch's ``static_k`` / ``static_v``: given ``(N * num_heads, S, head_dim)`` keys or values."""
    if static is None:
        return _split_heads(projected, batch_heads, head_dim)
    if static.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static


def _check_key_padding_mask(key_padding_mask, source_length, batch_size):
    if key_padding_mask.shape[0] != batch_size:
        raise AssertionError(f"Expected key_padded_mask.shape[0] to be {batch_size}, but got "
                             f"{key_padding_mask.shape[0]}")
    if key_padding_mask.shape[1] != source_length:
        raise AssertionError(f"Expected key_padded_mask.shape[1] to be {source_length}, but got "
                             f"{key_padding_mask.shape[1]}")
