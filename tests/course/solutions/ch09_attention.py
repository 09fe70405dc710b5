"""Chapter 9: attention and a Transformer encoder layer (docs/course/09_attention.md).

The functions take minigrad tensors and use tensor ops.  Write the bodies
marked "Exercise"; check them with ``python -m minigrad.course check 9``.
"""
import math

import minigrad
from minigrad.nn import functional as F


def scaled_dot_product_attention(query, key, value, attn_mask=None, is_causal=False):
    """Exercise 9.1: softmax(query @ key^T / sqrt(E) + mask) @ value, as torch's F.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).
    attn_mask: None, a boolean (L, S) tensor (True = may attend) or a float one
    (added to the scores).  is_causal: query i attends to keys 0..i only.
    """
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])      # (..., L, S)
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = minigrad.ones(length, source, dtype=minigrad.bool).tril()
    if attn_mask is not None:
        if attn_mask.dtype == minigrad.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    return scores.softmax(dim=-1) @ value


def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                         out_proj_bias):
    """Exercise 9.2: multi-head attention, as ``nn.MultiheadAttention(E, num_heads, batch_first=True)``.

    query (B, L, E), key and value (B, S, E) -> (B, L, E).  in_proj_weight
    (3E, E) stacks the query, key and value projections (in_proj_bias (3E,));
    each projection is split into num_heads heads of E / num_heads features
    (head h = features h*D .. (h+1)*D), attended separately with your
    scaled_dot_product_attention, joined back, and projected by out_proj.
    """
    batch, length, embed = query.shape
    head_dim = embed // num_heads
    w_q, w_k, w_v = in_proj_weight.chunk(3, dim=0)
    b_q, b_k, b_v = in_proj_bias.chunk(3, dim=0)

    def heads(x, w, b):                                   # (B, N, E) -> (B, heads, N, D)
        return (x @ w.T + b).view(batch, x.shape[1], num_heads, head_dim).transpose(1, 2)
    attended = scaled_dot_product_attention(heads(query, w_q, b_q), heads(key, w_k, b_k), heads(value, w_v, b_v))
    joined = attended.transpose(1, 2).reshape(batch, length, embed)
    return joined @ out_proj_weight.T + out_proj_bias


def encoder_layer(src, params, num_heads):
    """Exercise 9.3: ``nn.TransformerEncoderLayer(E, num_heads, dim_feedforward, dropout=0, batch_first=True)``.

    src (B, T, E) -> (B, T, E).  params: torch's names -> tensors:
    ``self_attn.in_proj_weight``, ``self_attn.in_proj_bias``,
    ``self_attn.out_proj.weight``, ``self_attn.out_proj.bias``, ``linear1.*``,
    ``linear2.*``, ``norm1.*``, ``norm2.*``.  Post-norm (torch's default):
    x = norm1(x + self_attention(x)); x = norm2(x + linear2(relu(linear1(x)))),
    layer norms with eps 1e-5 (``F.layer_norm``).
    """
    embed = src.shape[-1]
    attention = multi_head_attention(src, src, src, num_heads, params["self_attn.in_proj_weight"],
                                     params["self_attn.in_proj_bias"], params["self_attn.out_proj.weight"],
                                     params["self_attn.out_proj.bias"])
    x = F.layer_norm(src + attention, (embed,), params["norm1.weight"], params["norm1.bias"], eps=1e-5)
    hidden = (x @ params["linear1.weight"].T + params["linear1.bias"]).relu()
    feed_forward = hidden @ params["linear2.weight"].T + params["linear2.bias"]
    return F.layer_norm(x + feed_forward, (embed,), params["norm2.weight"], params["norm2.bias"], eps=1e-5)
