"""Training with the recurrent layers: truncated BPTT, dropout between layers, optimiser steps vs torch."""
import numpy
import pytest
import torch

import minigrad
from _nn_parity import copy_weights
from _rnn_parity import IMPLEMENTATIONS, MODES, check_rnn, implementation, make_rnn_pair


def _both(lib):
    """LSTM + Linear regression model, built in ``lib`` (weights copied afterwards)."""
    lstm = lib.nn.LSTM(1, 8, batch_first=True).double()
    head = lib.nn.Linear(8, 1).double()
    return lstm, head


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_truncated_bptt_over_chunks_matches_torch(impl):
    """A long sine wave in chunks of 10 steps, the state detached between chunks, SGD after each."""
    their_lstm, their_head = _both(torch)
    our_lstm, our_head = _both(minigrad)
    copy_weights(our_lstm, their_lstm)
    copy_weights(our_head, their_head)
    t = numpy.linspace(0, 12, 61)
    series = numpy.sin(t)[None, :, None]                   # (batch 1, 61 steps, 1)
    inputs, targets = series[:, :-1], series[:, 1:]
    our_opt = minigrad.optim.SGD([*our_lstm.parameters(), *our_head.parameters()], lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD([*their_lstm.parameters(), *their_head.parameters()], lr=0.1, momentum=0.9)
    our_state = their_state = None
    our_losses, their_losses = [], []
    with implementation(impl):
        for start in range(0, 60, 10):
            chunk = slice(start, start + 10)
            out, our_state = our_lstm(minigrad.tensor(inputs[:, chunk]), our_state)
            loss = minigrad.nn.functional.mse_loss(our_head(out), minigrad.tensor(targets[:, chunk]))
            our_opt.zero_grad()
            loss.backward()
            our_opt.step()
            our_state = tuple(part.detach() for part in our_state)     # truncate the history here
            our_losses.append(loss.item())

            out, their_state = their_lstm(torch.tensor(inputs[:, chunk]), their_state)
            loss = torch.nn.functional.mse_loss(their_head(out), torch.tensor(targets[:, chunk]))
            their_opt.zero_grad()
            loss.backward()
            their_opt.step()
            their_state = tuple(part.detach() for part in their_state)
            their_losses.append(loss.item())
    numpy.testing.assert_allclose(our_losses, their_losses, rtol=1e-9)
    assert our_losses[-1] < our_losses[0]
    for (name, mine), theirs in zip(our_lstm.named_parameters(), their_lstm.parameters()):
        numpy.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12,
                                      err_msg=name)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_without_detach_the_second_backward_fails_as_in_torch(impl):
    lstm = minigrad.nn.GRU(2, 3)
    with implementation(impl):
        out, h = lstm(minigrad.randn(4, 1, 2))
        out.sum().backward()
        out, h = lstm(minigrad.randn(4, 1, 2), h)               # h still carries the freed graph
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.sum().backward()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_mnist_model_adam_steps_match_torch(impl):
    """LSTM(28, 64, 2 layers, batch_first) + Linear(64, 10), cross-entropy, Adam: three steps."""
    their_lstm = torch.nn.LSTM(28, 16, num_layers=2, batch_first=True).double()
    their_head = torch.nn.Linear(16, 10).double()
    our_lstm = copy_weights(minigrad.nn.LSTM(28, 16, num_layers=2, batch_first=True).double(), their_lstm)
    our_head = copy_weights(minigrad.nn.Linear(16, 10).double(), their_head)
    rng = numpy.random.default_rng(0)
    images, labels = rng.random((3, 8, 28, 28)), rng.integers(0, 10, (3, 8))
    our_opt = minigrad.optim.Adam([*our_lstm.parameters(), *our_head.parameters()], lr=1e-2)
    their_opt = torch.optim.Adam([*their_lstm.parameters(), *their_head.parameters()], lr=1e-2)
    with implementation(impl):
        for x, y in zip(images, labels):
            out, _ = our_lstm(minigrad.tensor(x))
            loss = minigrad.nn.functional.cross_entropy(our_head(out[:, -1, :]), minigrad.tensor(y))
            our_opt.zero_grad()
            loss.backward()
            our_opt.step()
            out, _ = their_lstm(torch.tensor(x))
            their_loss = torch.nn.functional.cross_entropy(their_head(out[:, -1, :]), torch.tensor(y))
            their_opt.zero_grad()
            their_loss.backward()
            their_opt.step()
            numpy.testing.assert_allclose(loss.item(), their_loss.item(), rtol=1e-10)
    for (name, mine), theirs in zip(our_lstm.named_parameters(), their_lstm.parameters()):
        numpy.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-8, atol=1e-10,
                                      err_msg=name)


# ---- dropout between layers ------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_dropout_is_identity_in_eval_mode(impl, mode):
    ours, theirs = make_rnn_pair(mode, 3, 4, num_layers=3, dropout=0.5, bidirectional=True)
    ours.eval()
    theirs.eval()
    x = numpy.random.default_rng(0).standard_normal((5, 2, 3))
    with implementation(impl):
        check_rnn(ours, theirs, x)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_dropout_one_zeroes_the_next_layers_input_as_torch(impl, mode):
    """p = 1 is deterministic: layer k + 1 reads zeros, in both libraries (train mode)."""
    ours, theirs = make_rnn_pair(mode, 3, 4, num_layers=2, dropout=1.0)
    x = numpy.random.default_rng(0).standard_normal((5, 2, 3))
    with implementation(impl):
        check_rnn(ours, theirs, x)
    assert numpy.abs(ours.weight_ih_l1.grad.numpy()).max() == 0          # its input was all zeros


def _identity_second_layer(p):
    """RNN(relu) whose first layer outputs positive values and whose second layer copies its input.

    Then output = dropout(layer 1 output): the dropped positions are exactly the zeros.
    """
    rnn = minigrad.nn.RNN(4, 4, num_layers=2, nonlinearity="relu", bias=False, dropout=p).double()
    rng = numpy.random.default_rng(0)
    with minigrad.no_grad():
        rnn.weight_ih_l0.copy_(minigrad.tensor(rng.uniform(0.1, 1.0, (4, 4))))
        rnn.weight_hh_l0.zero_()
        rnn.weight_ih_l1.copy_(minigrad.eye(4, dtype=minigrad.float64))
        rnn.weight_hh_l1.zero_()
    return rnn


@pytest.mark.parametrize("p", [0.2, 0.5])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_dropout_between_layers_in_train_mode(impl, p):
    rnn = _identity_second_layer(p)
    x = minigrad.tensor(numpy.random.default_rng(1).uniform(0.5, 1.0, (50, 20, 4)), requires_grad=True)
    with implementation(impl):
        rnn.eval()
        expected, _ = rnn(x)
        rnn.train()
        output, _ = rnn(x)
        output.sum().backward()
    dropped = output.detach().numpy() == 0
    assert abs(dropped.mean() - p) < 5 * numpy.sqrt(p * (1 - p) / dropped.size)
    kept = ~dropped
    numpy.testing.assert_allclose(output.detach().numpy()[kept], expected.detach().numpy()[kept] / (1 - p),
                                  rtol=1e-12)
    assert numpy.isfinite(x.grad.numpy()).all() and x.grad.numpy().any()
    with implementation(impl):
        again, _ = rnn(x)
    assert (again.detach().numpy() != output.detach().numpy()).any()       # a fresh mask per call


@pytest.mark.filterwarnings("ignore:dropout option adds dropout")
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_no_dropout_after_the_last_layer(impl):
    rnn = minigrad.nn.GRU(3, 4, dropout=0.5).double()        # one layer: torch warns, nothing is dropped
    x = minigrad.randn(5, 2, 3, dtype=minigrad.float64)
    with implementation(impl):
        train_output, _ = rnn(x)
        rnn.eval()
        eval_output, _ = rnn(x)
    numpy.testing.assert_array_equal(train_output.detach().numpy(), eval_output.detach().numpy())


@pytest.mark.parametrize("mode", list(MODES))
def test_changing_the_output_in_place_is_caught(mode):
    """The fused backward reads the output it saved, so an in-place change must fail loudly.

    torch's float32 LSTM (oneDNN) fails the same way; its CPU RNN and GRU (and float64
    LSTM) are composed of ops that keep their own copies, so there torch computes on.
    """
    ours, theirs = make_rnn_pair(mode, 3, 4, dtype="float32")
    libraries = ((torch, theirs), (minigrad, ours)) if mode == "LSTM" else ((minigrad, ours),)
    for lib, module in libraries:
        output, _ = module(lib.randn(5, 2, 3))
        output.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            output.sum().backward()
