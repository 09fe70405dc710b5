"""Chapter 8's check: a fused RNN layer (one node, backward through time by hand) against torch.nn.RNN."""
from __future__ import annotations

import numpy
import torch
from torch.func import functional_call

from ..core.function import AccumulateGrad
from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch08_fused"


def _np_rnn_backward(x, h0, w_ih, w_hh, hidden, grad_output, carry=True, transposed=False):
    """What backward gives without carrying dh_next, or with W_hh transposed in the carry."""
    dz, dh_next = numpy.empty_like(hidden), numpy.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        dz[t] = (grad_output[t] + (dh_next if carry else 0)) * (1 - hidden[t] ** 2)
        dh_next = dz[t] @ (w_hh.T if transposed else w_hh)
    previous = numpy.concatenate([h0[None], hidden[:-1]])
    rows = dz.reshape(-1, dz.shape[-1])
    return (dz @ w_ih, dh_next, rows.T @ x.reshape(-1, x.shape[-1]),
            rows.T @ previous.reshape(-1, previous.shape[-1]), rows.sum(0), rows.sum(0))


def check_fused_rnn(module, grader):
    rng = numpy.random.default_rng(80)
    torch.manual_seed(80)
    names = ["x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    cases = [("T 6, B 3", 6, 3, 4, 5, "float64"), ("length 1", 1, 2, 3, 3, "float64"),
             ("batch 1", 5, 1, 2, 4, "float64"), ("hidden 1", 4, 2, 3, 1, "float64"),
             ("float32 stays float32", 5, 2, 3, 4, "float32")]
    for description, steps, batch, input_size, hidden, dtype in cases:
        grader.case_is(f"fused_rnn: x ({steps}, {batch}, {input_size}), hidden {hidden}, {dtype}: {description}")
        reference = torch.nn.RNN(input_size, hidden).to(getattr(torch, dtype))
        parameters = {name: p.detach().clone().requires_grad_() for name, p in reference.named_parameters()}
        x = rng.standard_normal((steps, batch, input_size)).astype(dtype)
        h0 = rng.standard_normal((batch, hidden)).astype(dtype)
        arrays = [x, h0] + [parameters[f"{name}_l0"].detach().numpy().copy() for name in names[2:]]
        ours = [tensor(a, requires_grad=True) for a in arrays]
        theirs_x, theirs_h0 = torch.from_numpy(x).requires_grad_(), torch.from_numpy(h0).requires_grad_()
        output = module.fused_rnn(*ours)
        expected, _ = functional_call(reference, parameters, (theirs_x, theirs_h0[None]))
        grader.compare("output", output, expected)
        node = output.grad_fn
        grader.expect(node is not None and len(node.next_functions) == 6
                      and all(isinstance(child, AccumulateGrad) for child, _ in node.next_functions),
                      f"the output should come from one node whose six inputs are the leaves; its grad_fn is "
                      f"{node.name() if node is not None else None}: write FusedRNN.apply, not tensor ops")
        grad_output = rng.standard_normal(tuple(expected.shape)).astype(dtype)
        (expected * torch.from_numpy(grad_output)).sum().backward()
        (output * tensor(grad_output)).sum().backward()
        hidden_states = expected.detach().numpy()
        no_carry = _np_rnn_backward(x, h0, arrays[2], arrays[3], hidden_states, grad_output, carry=False)
        transposed = _np_rnn_backward(x, h0, arrays[2], arrays[3], hidden_states, grad_output, transposed=True)
        theirs = [theirs_x, theirs_h0] + [parameters[f"{name}_l0"] for name in names[2:]]
        for index, (name, mine, reference_tensor) in enumerate(zip(names, ours, theirs)):
            grader.compare(f"gradient of {name}", mine.grad, reference_tensor.grad,
                           mistakes={"no_carry": no_carry[index] if steps > 1 else None,
                                     "transposed": transposed[index] if steps > 1 else None})


EXERCISES = [
    Exercise("8.1", "FusedRNN: one node, backward through time by hand", MODULE, check_fused_rnn),
]
