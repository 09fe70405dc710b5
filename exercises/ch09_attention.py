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
    raise NotImplementedError("exercise 9.1: softmax(query @ key^T / sqrt(E) + mask) @ value, as torch's F.scaled_dot_product_attention")


def multi_head_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight,
                         out_proj_bias):
    """Exercise 9.2: multi-head attention, as ``nn.MultiheadAttention(E, num_heads, batch_first=True)``.

    query (B, L, E), key and value (B, S, E) -> (B, L, E).  in_proj_weight
    (3E, E) stacks the query, key and value projections (in_proj_bias (3E,));
    each projection is split into num_heads heads of E / num_heads features
    (head h = features h*D .. (h+1)*D), attended separately with your
    scaled_dot_product_attention, joined back, and projected by out_proj.
    """
    raise NotImplementedError("exercise 9.2: multi-head attention, as nn.MultiheadAttention(E, num_heads, batch_first=True)")


def encoder_layer(src, params, num_heads):
    """Exercise 9.3: ``nn.TransformerEncoderLayer(E, num_heads, dim_feedforward, dropout=0, batch_first=True)``.

    src (B, T, E) -> (B, T, E).  params: torch's names -> tensors:
    ``self_attn.in_proj_weight``, ``self_attn.in_proj_bias``,
    ``self_attn.out_proj.weight``, ``self_attn.out_proj.bias``, ``linear1.*``,
    ``linear2.*``, ``norm1.*``, ``norm2.*``.  Post-norm (torch's default):
    x = norm1(x + self_attention(x)); x = norm2(x + linear2(relu(linear1(x)))),
    layer norms with eps 1e-5 (``F.layer_norm``).
    """
    raise NotImplementedError("exercise 9.3: nn.TransformerEncoderLayer(E, num_heads, dim_feedforward, dropout=0, batch_first=True)")
