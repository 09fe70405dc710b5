"""Chapter 6's checks: an RNNCell against torch.nn.RNNCell, and the "hello" -> "ohlol" model."""
from __future__ import annotations

import math

import numpy
import torch

from ..core.random import manual_seed
from ..testing import from_torch
from ..ops.factories import tensor
from .checker import Exercise

MODULE = "ch06_rnn"


def _rnn_step(x, h, w_ih, w_hh, b_ih, b_hh):
    return numpy.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def check_rnn_cell(module, grader):
    rng = numpy.random.default_rng(60)
    cases = [("batch 3", 4, 5, 3, True, True), ("batch 1", 4, 5, 1, True, True),
             ("no bias", 3, 2, 4, False, True), ("hx=None (zeros)", 4, 5, 2, True, False),
             ("input size = hidden size", 4, 4, 3, True, True)]
    for description, input_size, hidden_size, batch, bias, give_hx in cases:
        grader.case_is(f"RNNCell({input_size}, {hidden_size}, bias={bias}), batch {batch}, {description}")
        cell = module.RNNCell(input_size, hidden_size, bias=bias)
        reference = torch.nn.RNNCell(input_size, hidden_size, bias=bias).double()
        shapes = {name: tuple(p.shape) for name, p in cell.named_parameters()}
        expected_shapes = {name: tuple(p.shape) for name, p in reference.named_parameters()}
        grader.expect(shapes == expected_shapes, f"parameters {shapes}, expected {expected_shapes}",
                      "transposed" if shapes.get("weight_ih") == (input_size, hidden_size) else None)
        bound = 1 / math.sqrt(hidden_size)
        for name, parameter in cell.named_parameters():
            values = parameter.detach().numpy()
            grader.expect(values.min() >= -bound and values.max() <= bound,
                          f"{name} drawn from [{values.min():.3g}, {values.max():.3g}], expected "
                          f"U({-bound:.3g}, {bound:.3g}) as torch's RNNCell")
        cell.double()
        cell.load_state_dict(from_torch(reference.state_dict()))
        x, h = rng.standard_normal((batch, input_size)), rng.standard_normal((batch, hidden_size))
        ours = [tensor(x, requires_grad=True), tensor(h, requires_grad=True)]
        theirs = [torch.from_numpy(x).requires_grad_(), torch.from_numpy(h).requires_grad_()]
        if give_hx:
            output, expected = cell(*ours), reference(*theirs)
        else:
            output, expected = cell(ours[0]), reference(theirs[0])
        weights = {name: p.detach().numpy() for name, p in reference.named_parameters()}
        zeros = numpy.zeros(hidden_size)
        state = h if give_hx else 0 * h
        w_ih, w_hh = weights["weight_ih"], weights["weight_hh"]
        b_ih, b_hh = weights.get("bias_ih", zeros), weights.get("bias_hh", zeros)
        transposed = {"h @ weight_hh without the .T": _rnn_step(x, state, w_ih, w_hh.T, b_ih, b_hh)}  # square
        if input_size == hidden_size:
            transposed["x @ weight_ih without the .T"] = _rnn_step(x, state, w_ih.T, w_hh, b_ih, b_hh)
            transposed["both products without the .T"] = _rnn_step(x, state, w_ih.T, w_hh.T, b_ih, b_hh)
        grader.compare("output h'", output, expected, mistakes={"transposed": transposed})
        grad_weights = rng.standard_normal((batch, hidden_size))
        (expected * torch.from_numpy(grad_weights)).sum().backward()
        (output * tensor(grad_weights)).sum().backward()
        grader.compare("gradient of the input", ours[0].grad, theirs[0].grad)
        if give_hx:
            grader.compare("gradient of hx", ours[1].grad, theirs[1].grad)
        parameters = dict(cell.named_parameters())
        for name, parameter in reference.named_parameters():
            grader.compare(f"gradient of {name}", parameters[name].grad, parameter.grad)


class _TorchOhlol(torch.nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.cell = torch.nn.RNNCell(4, hidden_size)
        self.linear = torch.nn.Linear(hidden_size, 4)

    def forward(self, inputs):
        hidden, scores = None, []
        for step in inputs:
            hidden = self.cell(step, hidden)
            scores.append(self.linear(hidden))
        return torch.stack(scores)


def check_ohlol_forward(module, grader):
    torch.manual_seed(6)
    rng = numpy.random.default_rng(61)
    for hidden_size, batch, steps in ((8, 1, 5), (3, 2, 1), (4, 3, 6)):
        grader.case_is(f"OhlolModel(hidden_size={hidden_size}), inputs ({steps}, {batch}, 4)")
        model, reference = module.OhlolModel(hidden_size), _TorchOhlol(hidden_size).double()
        model.double()
        model.load_state_dict(from_torch(reference.state_dict()))
        x = rng.standard_normal((steps, batch, 4))
        output, expected = model(tensor(x)), reference(torch.from_numpy(x))
        grader.compare("scores", output, expected)
        weights = rng.standard_normal(tuple(expected.shape))
        (expected * torch.from_numpy(weights)).sum().backward()
        (output * tensor(weights)).sum().backward()
        parameters = dict(model.named_parameters())
        for name, parameter in reference.named_parameters():
            grader.compare(f"gradient of {name}", parameters[name].grad, parameter.grad)


def check_train_ohlol(module, grader):
    grader.case_is("train_ohlol(OhlolModel(8), epochs=30, lr=0.1) from torch's starting weights")
    torch.manual_seed(0)
    manual_seed(0)
    reference = _TorchOhlol(8)
    model = module.OhlolModel(8)
    model.load_state_dict(from_torch(reference.state_dict()))
    inputs = torch.eye(4)[[module.CHARS.index(c) for c in module.SOURCE]].view(5, 1, 4)
    targets = torch.tensor([module.CHARS.index(c) for c in module.TARGET])
    optimizer = torch.optim.Adam(reference.parameters(), lr=0.1)
    expected = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(reference(inputs).view(-1, 4), targets)
        loss.backward()
        optimizer.step()
        expected.append(loss.item())
    losses = module.train_ohlol(model, epochs=30, lr=0.1)
    grader.expect(isinstance(losses, (list, tuple)) and len(losses) == 30,
                  f"train_ohlol returned {type(losses).__name__} of length "
                  f"{len(losses) if hasattr(losses, '__len__') else '?'}, expected a list of 30 losses")
    grader.compare("losses per epoch", numpy.asarray(losses, dtype=numpy.float64),
                   numpy.asarray(expected), rtol=1e-4, atol=1e-5, dtype=False)
    predicted = module.predict(model)
    grader.expect(predicted == module.TARGET, f"after training the model reads 'hello' as {predicted!r}, "
                  f"expected {module.TARGET!r}")


EXERCISES = [
    Exercise("6.1", "RNNCell: parameters, forward and gradients", MODULE, check_rnn_cell),
    Exercise("6.2", "OhlolModel.forward: the loop over time", MODULE, check_ohlol_forward, uses=('6.1',)),
    Exercise("6.3", "train_ohlol: 'hello' -> 'ohlol'", MODULE, check_train_ohlol, uses=('6.2',)),
]
