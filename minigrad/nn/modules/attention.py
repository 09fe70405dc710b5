"""``MultiheadAttention``, as ``torch.nn.MultiheadAttention``: same parameters, names, init and maths.

The maths is ``F.multi_head_attention_forward`` (``nn/_functional/attention.py``);
this module holds the weights and handles ``batch_first``.  torch's fast
inference path (``_native_multi_head_attention``) is not reproduced: minigrad
always runs torch's reference path, which gives the same numbers except for
rows where every key is masked (see the functional module's notes).
"""
from __future__ import annotations

from .. import init
from .._functional.attention import _canonical_mask, _none_or_dtype, multi_head_attention_forward
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Attention over ``num_heads`` subspaces of ``embed_dim``: ``Concat(head_1..head_h) W_O``.

    Parameters, as torch names them: ``in_proj_weight (3E, E)`` and
    ``in_proj_bias (3E,)``, or ``q_proj_weight (E, E)``, ``k_proj_weight (E, kdim)``,
    ``v_proj_weight (E, vdim)`` when ``kdim``/``vdim`` differ from ``embed_dim``;
    ``bias_k``, ``bias_v (1, 1, E)`` with ``add_bias_kv``; ``out_proj.weight (E, E)``,
    ``out_proj.bias (E,)``.  Inputs are ``(L, N, E)`` (``(N, L, E)`` with
    ``batch_first``) or unbatched ``(L, E)``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads} instead")
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self._make_in_projection(bias, factory_kwargs)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory_kwargs)
        if add_bias_kv:
            self.bias_k = Parameter(_empty((1, 1, embed_dim), factory_kwargs))
            self.bias_v = Parameter(_empty((1, 1, embed_dim), factory_kwargs))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _make_in_projection(self, bias, factory_kwargs):
        embed_dim = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(_empty((3 * embed_dim, embed_dim), factory_kwargs))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(_empty((embed_dim, embed_dim), factory_kwargs))
            self.k_proj_weight = Parameter(_empty((embed_dim, self.kdim), factory_kwargs))
            self.v_proj_weight = Parameter(_empty((embed_dim, self.vdim), factory_kwargs))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_empty((3 * embed_dim,), factory_kwargs))
        else:
            self.register_parameter("in_proj_bias", None)

    def _reset_parameters(self):
        """torch's init: Xavier-uniform projections, zero biases, Xavier-normal ``bias_k/v``."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """``(attn_output, attn_weights)``: output shaped as ``query``; weights ``(N, L, S)``,
        ``(N, num_heads, L, S)`` without averaging, ``(L, S)`` unbatched, None without
        ``need_weights``.  Bool masks are True where attention is not allowed."""
        is_batched = query.dim() == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                           _none_or_dtype(attn_mask), "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if self.batch_first and is_batched:   # (N, L, E) -> (L, N, E), keeping `key is value`
            query, key, value = _sequence_first(query, key, value)
        separate = {} if self._qkv_same_embed_dim else dict(
            use_separate_proj_weight=True, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight)
        attn_output, attn_weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            average_attn_weights=average_attn_weights, is_causal=is_causal, **separate)
        if self.batch_first and is_batched:
            attn_output = attn_output.transpose(1, 0)
        return attn_output, attn_weights


def _sequence_first(query, key, value):
    """Swap the batch and sequence dims, so that self-attention stays ``query is key is value``."""
    if key is value:
        if query is key:
            query = key = value = query.transpose(1, 0)
        else:
            query, key = query.transpose(1, 0), key.transpose(1, 0)
            value = key
    else:
        query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
    return query, key, value


def _empty(shape, factory_kwargs):
    from ...ops.factories import empty
    return empty(shape, **factory_kwargs)
