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

from ... import random
from ...autograd.function import Function
from ...backend import array_module, device_of
from ...ops.broadcast import broadcast_shapes, sum_to

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

# torch names dtypes by their C++ types in the attention errors
_C_TYPE_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int",
                 "int32": "int", "int16": "short int", "int8": "signed char",
                 "uint8": "unsigned char", "bool": "bool"}


class ScaledDotProductAttention(Function):
    """``softmax(Q K^T * scale + bias) V`` over the last two dims, batched over the others.

    Inputs: query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)`` and
    optionally an additive float bias broadcastable to ``(..., L, S)``; the
    leading dims broadcast as in ``matmul``.  With ``groups > 1`` (grouped-query
    attention) each key/value head serves ``groups`` query heads (dim -3).
    Output ``(..., L, Ev)``, and with ``return_weights`` also the (dropped-out)
    weights ``(..., L, S)``.
    """

    def forward(self, query, key, value, *bias, scale, dropout_p=0.0, safe_softmax=True,
                key_groups=1, value_groups=1, return_weights=False):
        xp = array_module(query)
        self.scale, self.key_groups, self.value_groups = scale, key_groups, value_groups
        self.return_weights, self.has_bias = return_weights, bool(bias)
        keys, values = _repeat_heads(key, key_groups), _repeat_heads(value, value_groups)
        scores = xp.matmul(query, xp.swapaxes(keys, -1, -2)) * scale
        if bias:
            scores = scores + bias[0]
        weights = _softmax_last_dim(scores, safe_softmax)
        keep = _dropout_keep(weights, dropout_p)
        dropped = weights if keep is None else weights * keep
        output = xp.matmul(dropped, values)
        self.save_for_backward(query, key, value, weights, *(() if keep is None else (keep,)))
        self.bias_shape = bias[0].shape if bias else None
        return (output, dropped) if return_weights else output

    def backward(self, grad_output, grad_weights=None):
        query, key, value, weights, *keep = self.saved_tensors
        xp = array_module(grad_output)
        keys, values = _repeat_heads(key, self.key_groups), _repeat_heads(value, self.value_groups)
        dropped = weights * keep[0] if keep else weights
        grad_value = _sum_heads(xp.matmul(xp.swapaxes(dropped, -1, -2), grad_output), value.shape,
                                self.value_groups)
        grad_dropped = xp.matmul(grad_output, xp.swapaxes(values, -1, -2))
        if grad_weights is not None:
            grad_dropped = grad_dropped + grad_weights
        grad_probs = grad_dropped * keep[0] if keep else grad_dropped
        # softmax backward: dscores = w * (dw - sum(dw * w)); zero rows stay zero, NaN rows NaN
        grad_scores = weights * (grad_probs - (grad_probs * weights).sum(axis=-1, keepdims=True))
        grad_query = sum_to(xp.matmul(grad_scores, keys) * self.scale, query.shape)
        grad_key = _sum_heads(xp.matmul(xp.swapaxes(grad_scores, -1, -2), query) * self.scale,
                              key.shape, self.key_groups)
        grads = (grad_query, grad_key, grad_value)
        if self.has_bias:
            grads += (sum_to(grad_scores, self.bias_shape),)
        return grads


def _softmax_last_dim(scores, safe):
    """Softmax over the last dim; a row of only ``-inf`` gives zeros (``safe``) or NaN (plain)."""
    xp = array_module(scores)
    row_max = scores.max(axis=-1, keepdims=True)
    masked_rows = row_max == -math.inf
    exponentials = xp.exp(scores - xp.where(masked_rows, 0, row_max))
    totals = exponentials.sum(axis=-1, keepdims=True)
    weights = exponentials / xp.where(masked_rows, 1, totals)
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
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return ScaledDotProductAttention.apply(query, key, value, *bias, scale=scale,
                                           dropout_p=float(dropout_p), key_groups=key_groups,
                                           value_groups=value_groups)


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
    from ...tensor import Tensor
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


def _c_name(tensor):
    return _C_TYPE_NAMES.get(tensor.dtype.name, tensor.dtype.name)


def multi_head_attention_forward(*args, **kwargs):  # filled in below
    raise NotImplementedError
