"""The readable (step-by-step, composed) recurrent layers equal the fused ones (the torch matrix of both
implementations is in test_parity.py)."""
import numpy
import pytest

import minigrad
from _rnn_parity import MODES, implementation, make_rnn_pair
from minigrad.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def _run(module, impl, x, state, lengths=None):
    """Outputs and gradients (input, state, parameters) of ``module`` under ``impl``."""
    module.zero_grad()
    x_tensor = minigrad.tensor(x, requires_grad=True)
    state_tensors = [minigrad.tensor(part, requires_grad=True) for part in state]
    argument = x_tensor if lengths is None else pack_padded_sequence(x_tensor, lengths, enforce_sorted=False)
    hidden_in = tuple(state_tensors) if len(state_tensors) == 2 else state_tensors[0]
    with implementation(impl):
        output, hidden = module(argument, hidden_in)
    if lengths is not None:
        output = pad_packed_sequence(output)[0]
    outputs = [output] + (list(hidden) if isinstance(hidden, tuple) else [hidden])
    rng = numpy.random.default_rng(1)
    loss = sum((out * minigrad.tensor(rng.standard_normal(tuple(out.shape)).astype(x.dtype))).sum()
               for out in outputs)
    loss.backward()
    grads = [x_tensor.grad] + [part.grad for part in state_tensors] + [p.grad for p in module.parameters()]
    return [out.detach().numpy() for out in outputs], [grad.numpy() for grad in grads]


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("mode", list(MODES))
def test_readable_equals_fused(mode, dtype, rtol, packed):
    ours, _ = make_rnn_pair(mode, 3, 5, dtype=dtype, num_layers=2, bidirectional=True)
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((7, 4, 3)).astype(dtype)
    hidden = ours.proj_size or ours.hidden_size
    state = [rng.standard_normal((4, 4, hidden)).astype(dtype)]
    if mode.startswith("LSTM"):
        state.append(rng.standard_normal((4, 4, ours.hidden_size)).astype(dtype))
    lengths = [5, 7, 2, 7] if packed else None
    fused_outputs, fused_grads = _run(ours, "fused", x, state, lengths)
    readable_outputs, readable_grads = _run(ours, "readable", x, state, lengths)
    for fused, readable in zip(fused_outputs + fused_grads, readable_outputs + readable_grads):
        assert fused.dtype == readable.dtype == numpy.dtype(dtype)
        numpy.testing.assert_allclose(fused, readable, rtol=rtol, atol=rtol)


def test_switch_selects_the_implementation_and_restores_it():
    lstm = minigrad.nn.LSTM(3, 4, num_layers=2)
    x = minigrad.randn(5, 2, 3)
    assert minigrad.backends.fused_rnn.enabled
    output, _ = lstm(x)
    assert type(output.grad_fn).__name__ != "StackBackward0"
    fused_nodes = _count_nodes(output)
    with minigrad.backends.fused_rnn.flags(enabled=False):
        assert not minigrad.backends.fused_rnn.enabled
        readable_output, _ = lstm(x)
    assert minigrad.backends.fused_rnn.enabled
    assert fused_nodes <= 4 < _count_nodes(readable_output)   # one node per layer, not per step and op
    numpy.testing.assert_allclose(output.detach().numpy(), readable_output.detach().numpy(), rtol=1e-5,
                                  atol=1e-6)


def _count_nodes(tensor):
    """Graph nodes (not leaf accumulators) reachable from ``tensor``."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen or type(node).__name__ == "AccumulateGrad":
            continue
        seen.add(node)
        stack.extend(edge[0] for edge in node.next_edges if edge is not None)
    return len(seen)
