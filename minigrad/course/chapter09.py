"""Chapter 9's checks: scaled dot-product attention, multi-head attention and an encoder layer, against torch."""
from __future__ import annotations

import numpy
import torch
from torch.func import functional_call

from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch09_attention"


def _compare_with_gradients(grader, output, expected, ours, theirs, input_names, rng, mistakes=None,
                            our_parameters=None, their_parameters=None):
    grader.compare("output", output, expected, mistakes=mistakes)
    weights = rng.standard_normal(tuple(expected.shape))
    (expected * torch.from_numpy(weights)).sum().backward()
    (output * tensor(weights)).sum().backward()
    for name, mine, reference in zip(input_names, ours, theirs):
        grader.compare(f"gradient of {name}", mine.grad, reference.grad)
    for name, parameter in (their_parameters or {}).items():
        grader.compare(f"gradient of {name}", our_parameters[name].grad, parameter.grad)


def _np_attention(q, k, v, mask=None, scale=None, axis=-1):
    scores = q @ numpy.swapaxes(k, -1, -2) * (scale if scale is not None else 1 / numpy.sqrt(q.shape[-1]))
    if mask is not None:
        scores = numpy.where(mask, scores, -numpy.inf)
    with numpy.errstate(invalid="ignore"):          # a fully masked row is NaN, in torch too
        scores = scores - scores.max(axis=axis, keepdims=True)
        weights = numpy.exp(scores)
        return (weights / weights.sum(axis=axis, keepdims=True)) @ v


def check_sdpa(module, grader):
    rng = numpy.random.default_rng(90)
    cases = [("no mask", (2, 3, 4), (2, 5, 4), (2, 5, 6), None, False),
             ("4-D: batch and heads", (2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4), None, False),
             ("causal", (1, 4, 3), (1, 4, 3), (1, 4, 2), None, True),
             ("boolean mask", (2, 3, 4), (2, 5, 4), (2, 5, 4), "bool", False),
             ("float mask", (2, 3, 4), (2, 5, 4), (2, 5, 4), "float", False),
             ("one query, batch 1", (1, 1, 4), (1, 5, 4), (1, 5, 4), None, False)]
    for description, q_shape, k_shape, v_shape, mask_kind, causal in cases:
        grader.case_is(f"scaled_dot_product_attention(q {q_shape}, k {k_shape}, v {v_shape}), {description}")
        q, k, v = (rng.standard_normal(shape) for shape in (q_shape, k_shape, v_shape))
        length, source = q_shape[-2], k_shape[-2]
        mask = None
        if mask_kind == "bool":
            mask = rng.random((length, source)) < 0.7
            mask[:, 0] = True                              # every query sees at least one key
        elif mask_kind == "float":
            mask = rng.standard_normal((length, source))
        ours = [tensor(a, requires_grad=True) for a in (q, k, v)]
        theirs = [torch.from_numpy(a).requires_grad_() for a in (q, k, v)]
        our_mask = tensor(mask) if mask is not None else None
        their_mask = torch.from_numpy(mask) if mask is not None else None
        output = module.scaled_dot_product_attention(*ours, attn_mask=our_mask, is_causal=causal)
        expected = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=their_mask, is_causal=causal)
        bool_mask = (numpy.tril(numpy.ones((length, source), bool)) if causal
                     else mask if mask_kind == "bool" else None)
        mistakes = {"attention_scale": _np_attention(q, k, v, bool_mask, scale=1 / q_shape[-1])
                    if mask_kind != "float" else None,
                    "attention_axis": _np_attention(q, k, v, None, axis=-2) if mask_kind is None and not causal
                    else None,
                    "attention_mask": _np_attention(q, k, v, ~bool_mask) if bool_mask is not None else None}
        _compare_with_gradients(grader, output, expected, ours, theirs, ["query", "key", "value"], rng, mistakes)


def _parameters(reference):
    parameters = {name: p.detach().clone().requires_grad_() for name, p in reference.named_parameters()}
    ours = {name: tensor(p.detach().numpy().copy(), requires_grad=True) for name, p in parameters.items()}
    return parameters, ours


def check_multi_head_attention(module, grader):
    rng = numpy.random.default_rng(91)
    torch.manual_seed(91)
    for description, batch, length, source, embed, heads in (("self-attention", 2, 4, 4, 6, 2),
                                                             ("cross-attention", 2, 3, 5, 8, 4),
                                                             ("one head, batch 1", 1, 3, 3, 4, 1)):
        grader.case_is(f"multi_head_attention: query ({batch}, {length}, {embed}), key/value ({batch}, {source}, "
                       f"{embed}), {heads} heads, {description}")
        reference = torch.nn.MultiheadAttention(embed, heads, batch_first=True).double()
        with torch.no_grad():
            for p in reference.parameters():
                p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.5))
        parameters, ours_p = _parameters(reference)
        q = rng.standard_normal((batch, length, embed))
        kv = q if "self" in description else rng.standard_normal((batch, source, embed))
        ours = [tensor(a, requires_grad=True) for a in (q, kv)]
        theirs = [torch.from_numpy(a).requires_grad_() for a in (q, kv)]
        output = module.multi_head_attention(ours[0], ours[1], ours[1], heads, ours_p["in_proj_weight"],
                                             ours_p["in_proj_bias"], ours_p["out_proj.weight"], ours_p["out_proj.bias"])
        expected, _ = functional_call(reference, parameters, (theirs[0], theirs[1], theirs[1]),
                                      {"need_weights": False})
        w = {name: p.detach().numpy() for name, p in parameters.items()}
        project = [(x @ wp.T + bp) for x, wp, bp in zip((q, kv, kv), numpy.split(w["in_proj_weight"], 3),
                                                        numpy.split(w["in_proj_bias"], 3))]
        head_dim = embed // heads
        # the mistake: heads taken as view(..., head_dim, num_heads), i.e. every num_heads-th feature
        split = [p.reshape(batch, p.shape[1], head_dim, heads).transpose(0, 3, 1, 2) for p in project]
        joined = _np_attention(*split).transpose(0, 2, 3, 1).reshape(batch, length, embed)
        wrong_split = joined @ w["out_proj.weight"].T + w["out_proj.bias"]
        _compare_with_gradients(grader, output, expected, ours, theirs, ["query", "key/value"], rng,
                                {"head_split": wrong_split if heads > 1 else None}, ours_p, parameters)


def check_encoder_layer(module, grader):
    rng = numpy.random.default_rng(92)
    torch.manual_seed(92)
    for description, batch, length, embed, heads, feed_forward in (("batch 2", 2, 5, 8, 2, 16),
                                                                   ("length 1, batch 1", 1, 1, 4, 2, 6)):
        grader.case_is(f"encoder_layer(src ({batch}, {length}, {embed}), {heads} heads, dim_feedforward "
                       f"{feed_forward}), {description}")
        reference = torch.nn.TransformerEncoderLayer(embed, heads, feed_forward, dropout=0.0,
                                                     batch_first=True).double()
        with torch.no_grad():
            for p in reference.parameters():
                p.add_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.2))
        parameters, ours_p = _parameters(reference)
        x = rng.standard_normal((batch, length, embed))
        ours, theirs = [tensor(x, requires_grad=True)], [torch.from_numpy(x).requires_grad_()]
        output = module.encoder_layer(ours[0], ours_p, heads)
        expected = functional_call(reference, parameters, (theirs[0],))
        pre_norm = torch.nn.TransformerEncoderLayer(embed, heads, feed_forward, dropout=0.0, batch_first=True,
                                                    norm_first=True).double()
        with torch.no_grad():
            pre_norm_output = functional_call(pre_norm, {n: p.detach() for n, p in parameters.items()},
                                              (torch.from_numpy(x),))
        _compare_with_gradients(grader, output, expected, ours, theirs, ["src"], rng,
                                {"norm_first": pre_norm_output.numpy()}, ours_p, parameters)


EXERCISES = [
    Exercise("9.1", "scaled dot-product attention with masks", MODULE, check_sdpa),
    Exercise("9.2", "multi-head attention", MODULE, check_multi_head_attention, uses=('9.1',)),
    Exercise("9.3", "a Transformer encoder layer (post-norm)", MODULE, check_encoder_layer, uses=('9.2',)),
]
