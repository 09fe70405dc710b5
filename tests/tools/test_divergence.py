"""locate_divergence: bugs planted in copies of minigrad's code are found, module and op.

Each test plants one bug (inside the test only: a subclass, or a patched op) and
checks that the report names the module call and the op (with its source line)
where minigrad first parts from torch.
"""
import numpy
import pytest
import torch

import minigrad
from minigrad import backends
from minigrad.interop import to_torch
from minigrad.ops.indexing import Tril
from minigrad.ops.unary import Sigmoid
from minigrad.testing import locate_divergence


def make_tagger(lib, cell_class=None):
    """proj -> LSTMCell over time -> head: the same code for both libraries."""
    class Tagger(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = lib.nn.Linear(4, 6)
            self.cell = (cell_class or lib.nn.LSTMCell)(6, 5)
            self.head = lib.nn.Linear(5, 3)

        def forward(self, x):                            # x (T, B, 4) -> (T, B, 3)
            state, outputs = None, []
            for step in x.unbind(0):
                state = self.cell(self.proj(step).tanh(), state)
                outputs.append(self.head(state[0]))
            return lib.stack(outputs)
    return Tagger()


def make_attention(lib):
    class CausalAttention(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = lib.nn.Linear(4, 12)

        def forward(self, x):                            # x (B, T, 4)
            q, k, v = self.qkv(x).chunk(3, -1)
            scores = q @ k.transpose(-2, -1) / 2.0
            mask = lib.ones(x.shape[1], x.shape[1]).tril()   # the causal mask
            scores = scores.masked_fill(mask == 0, float("-inf"))
            return scores.softmax(-1) @ v

    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = CausalAttention()
            self.out = lib.nn.Linear(4, 2)

        def forward(self, x):
            return self.out(self.attn(x))
    return Model()


def twins(make, **kwargs):
    minigrad.manual_seed(0)
    ours = make(minigrad, **kwargs).double()
    theirs = make(torch).double()
    theirs.load_state_dict(to_torch(ours.state_dict()))
    return ours, theirs


def weighted_loss(shape, seed=1):
    weights = numpy.random.default_rng(seed).standard_normal(shape)
    return (lambda out: (out * minigrad.tensor(weights)).sum(),
            lambda out: (out * torch.tensor(weights)).sum())


SEQUENCE = numpy.random.default_rng(0).standard_normal((3, 2, 4))


@pytest.fixture(params=[True, False], ids=["fused", "readable"])
def rnn_implementation(request, monkeypatch):
    monkeypatch.setattr(backends.fused_rnn, "enabled", request.param)


def test_same_model_reports_no_divergence(rnn_implementation):
    ours, theirs = twins(make_tagger)
    loss, torch_loss = weighted_loss((3, 2, 3))
    report = locate_divergence(ours, theirs, [SEQUENCE], loss, torch_loss_fn=torch_loss)
    assert not report.diverges and report.first_forward is None and report.first_backward is None
    assert [row.name for row in report.rows] == [
        "proj", "cell", "head", "proj (call 2)", "cell (call 2)", "head (call 2)",
        "proj (call 3)", "cell (call 3)", "head (call 3)", "(model)"]
    assert all(row.forward.within and row.backward.within for row in report.rows if row.backward)
    assert "no divergence" in str(report)


def test_backward_missing_a_term_names_the_cell_and_sigmoid(monkeypatch):
    monkeypatch.setattr(backends.fused_rnn, "enabled", False)      # the readable cell: ops to bisect

    def sigmoid_backward_without_one_minus_y(self, grad_output):   # d sigmoid = y (1 - y): drop (1 - y)
        (y,) = self.saved_tensors
        return grad_output * y
    monkeypatch.setattr(Sigmoid, "backward", sigmoid_backward_without_one_minus_y)
    ours, theirs = twins(make_tagger)
    loss, torch_loss = weighted_loss((3, 2, 3))
    report = locate_divergence(ours, theirs, [SEQUENCE], loss, torch_loss_fn=torch_loss)
    assert report.first_forward is None                             # forward is untouched
    # backward runs from the last step: the last call of the cell is the first to go wrong
    assert report.first_backward.name == "cell (call 3)"
    # it received torch's gradient and sent its inputs wrong ones: the culprit
    assert report.first_backward.output_grad.within and not report.first_backward.backward.within
    assert report.first_forward_op is None
    op = report.first_backward_op
    assert op.op == "Sigmoid" and op.where.endswith("readable.py:" + str(op.lineno))
    assert "sigmoid(" in op.line and op.caller.endswith(f"test_divergence.py:{_line_of('self.cell(')}")
    assert not op.backward_check.within and op.forward_check.within
    text = str(report)
    assert "<- first backward divergence" in text and "first op whose backward differs" in text
    head_rows = [row for row in report.rows if row.path == "head"]
    assert all(row.backward.within for row in head_rows)            # after the cell in forward: fine


def _line_of(fragment):
    lines = open(__file__).read().splitlines()
    return next(number for number, line in enumerate(lines, 1) if fragment in line and "def " not in line)


class SwappedGatesCell(minigrad.nn.LSTMCell):
    """A copy of the LSTM cell with the forget and input gates read in the wrong order."""

    def forward(self, input, state=None):
        if state is None:
            zeros = minigrad.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            state = (zeros, zeros)
        h, c = state
        gates = input @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        forget_gate, input_gate, candidate, output_gate = gates.chunk(4, 1)    # torch's: i, f, g, o
        c_next = forget_gate.sigmoid() * c + input_gate.sigmoid() * candidate.tanh()
        return output_gate.sigmoid() * c_next.tanh(), c_next


def test_wrong_gate_order_names_the_cell_and_finds_no_wrong_op():
    ours, theirs = twins(make_tagger, cell_class=SwappedGatesCell)
    loss, torch_loss = weighted_loss((3, 2, 3))
    report = locate_divergence(ours, theirs, [SEQUENCE], loss, torch_loss_fn=torch_loss)
    assert report.first_forward.name == "cell"                      # its first call, before anything else
    assert [row.forward.within for row in report.rows[:2]] == [True, False]
    # each op in the cell gives torch's numbers on its own inputs: the composition is wrong
    checked = [op for op in report.ops if op.forward_check is not None]
    assert {"Split", "Sigmoid", "Tanh", "Mul", "Add", "Matmul"} <= {op.op for op in checked}
    assert report.first_forward_op is None and report.first_backward_op is None
    assert "composes them differently" in report.op_summary()


def test_off_by_one_mask_names_the_attention_and_tril(monkeypatch):
    original = Tril.forward          # the planted bug: diagonal + 1 lets each step see one step ahead
    monkeypatch.setattr(Tril, "forward", lambda self, x, diagonal, upper: original(self, x, diagonal + 1, upper))
    ours, theirs = twins(make_attention)
    tokens = numpy.random.default_rng(2).standard_normal((2, 3, 4))
    loss, torch_loss = weighted_loss((2, 3, 2))
    report = locate_divergence(ours, theirs, [tokens], loss, torch_loss_fn=torch_loss)
    assert report.first_forward.name == "attn"
    assert report.rows[0].path == "attn.qkv" and report.rows[0].forward.within
    op = report.first_forward_op
    assert op.op == "Tril" and op.where.endswith(f"test_divergence.py:{_line_of('the causal mask')}")
    assert "tril()" in op.line


def test_every_mapped_op_replays_to_torch_on_a_correct_model():
    """ops="all" replays each op: on correct minigrad code all agree (the REPLAY table is right)."""
    ours, theirs = twins(make_attention)
    tokens = numpy.random.default_rng(2).standard_normal((2, 3, 4))
    loss, torch_loss = weighted_loss((2, 3, 2))
    report = locate_divergence(ours, theirs, [tokens], loss, torch_loss_fn=torch_loss, ops="all")
    assert not report.diverges
    checked = [op for op in report.ops if op.forward_check is not None]
    assert len(checked) >= 8
    assert all(op.forward_check.within for op in checked)
    assert all(op.backward_check.within for op in checked if op.backward_check is not None)
    assert any(op.backward_check is not None for op in checked)


def make_token_model(lib):
    class TokenModel(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(7, 4, padding_idx=0)
            self.norm = lib.nn.LayerNorm(4)
            self.lstm = lib.nn.LSTM(4, 3)
            self.out = lib.nn.Linear(3, 2)

        def forward(self, tokens):
            output, _ = self.lstm(self.norm(self.embed(tokens)))
            return self.out(output)
    return TokenModel()


def test_nn_fused_ops_replay_and_unmapped_ones_are_listed():
    ours, theirs = twins(make_token_model)
    tokens = numpy.array([[1, 2, 0], [3, 6, 5]])
    loss, torch_loss = weighted_loss((2, 3, 2))
    report = locate_divergence(ours, theirs, [tokens], loss, torch_loss_fn=torch_loss, ops="all")
    assert not report.diverges
    checked = {op.op: op for op in report.ops if op.forward_check is not None}
    for name in ("Embedding", "LayerNorm", "Linear"):
        assert checked[name].forward_check.within and checked[name].backward_check.within, name
    assert "LSTMLayer" in report.unreplayed and "not replayed" in report.op_summary()
    assert [row.path for row in report.rows] == ["embed", "norm", "lstm", "out", "(model)"]
    assert report.rows[0].backward is None          # integer tokens: no input gradient
