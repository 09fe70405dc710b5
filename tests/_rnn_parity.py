"""Parity helpers for the recurrent tests: the same RNN/LSTM/GRU in torch and minigrad, compared.

``make_rnn_pair(mode, ...)`` builds a torch module with random weights and a
minigrad module with the same weights (through ``load_state_dict``, which also
checks the parameter names).  ``check_rnn(ours, theirs, x, state)`` runs both,
compares ``output``, ``h_n`` (and ``c_n``) and, after a backward of a random
weighting of the chosen outputs, the gradients of the input, of ``h0`` / ``c0``
and of every parameter.  ``implementation("fused" | "readable")`` selects the
implementation the minigrad module runs.
"""
from __future__ import annotations

import contextlib

import numpy
import torch

import minigrad
from _nn_parity import TOLERANCES, assert_close, copy_weights
from minigrad.nn.utils import rnn as our_rnn_utils
from torch.nn.utils import rnn as torch_rnn_utils

# mode -> (class name, constructor keywords)
MODES = {
    "RNN_TANH": ("RNN", {"nonlinearity": "tanh"}),
    "RNN_RELU": ("RNN", {"nonlinearity": "relu"}),
    "LSTM": ("LSTM", {}),
    "LSTM_PROJ": ("LSTM", {"proj_size": 2}),
    "GRU": ("GRU", {}),
}
IMPLEMENTATIONS = ["fused", "readable"]


@contextlib.contextmanager
def implementation(name):
    """Run minigrad's recurrent layers fused or readable inside the block."""
    with minigrad.backends.fused_rnn.flags(enabled=name == "fused"):
        yield


def make_rnn_pair(mode, input_size, hidden_size, dtype="float64", **kwargs):
    """A torch module and a minigrad module with the same weights (``mode`` a key of MODES)."""
    class_name, extra = MODES[mode]
    kwargs = {**extra, **kwargs}
    theirs = getattr(torch.nn, class_name)(input_size, hidden_size, **kwargs).to(getattr(torch, dtype))
    ours = getattr(minigrad.nn, class_name)(input_size, hidden_size, **kwargs).to(getattr(minigrad, dtype))
    return copy_weights(ours, theirs), theirs


def state_shapes(module, batch, batched=True):
    """The shapes of ``h0`` (and ``c0``) that ``module`` expects."""
    layers = module.num_layers * (2 if module.bidirectional else 1)
    hidden = module.proj_size if getattr(module, "proj_size", 0) else module.hidden_size
    lead = (layers, batch) if batched else (layers,)
    shapes = [lead + (hidden,)]
    if isinstance(module, torch.nn.LSTM):
        shapes.append(lead + (module.hidden_size,))
    return shapes


def random_arrays(shapes, dtype, seed):
    rng = numpy.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _named_outputs(output, hidden, packed, batch_first, lib_utils):
    if packed:
        output = lib_utils.pad_packed_sequence(output, batch_first=batch_first)[0]
    named = {"output": output}
    if isinstance(hidden, tuple):
        named["h_n"], named["c_n"] = hidden
    else:
        named["h_n"] = hidden
    return named


def check_rnn(ours, theirs, x, state=None, *, loss_on=("output", "h_n", "c_n"), lengths=None,
              rtol=None, atol=None, seed=0):
    """Compare values and every gradient of ``ours`` and ``theirs`` on NumPy ``x`` / ``state``.

    ``state`` is None, ``[h0]`` or ``[h0, c0]``; with ``lengths`` the batch is
    packed (``enforce_sorted=False``) before the call and unpacked after it.
    Returns the minigrad outputs by name.
    """
    our_x, their_x = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    our_state = [minigrad.tensor(a, requires_grad=True) for a in state or []]
    their_state = [torch.tensor(a, requires_grad=True) for a in state or []]
    our_in, their_in = our_x, their_x
    if lengths is not None:
        our_in = our_rnn_utils.pack_padded_sequence(our_x, lengths, batch_first=ours.batch_first,
                                                    enforce_sorted=False)
        their_in = torch_rnn_utils.pack_padded_sequence(their_x, lengths, batch_first=theirs.batch_first,
                                                        enforce_sorted=False)
    args_ours, args_theirs = [our_in], [their_in]
    if state is not None:
        pack = (lambda parts: tuple(parts)) if len(state) == 2 else (lambda parts: parts[0])
        args_ours.append(pack(our_state))
        args_theirs.append(pack(their_state))
    our_out, our_hidden = ours(*args_ours)
    their_out, their_hidden = theirs(*args_theirs)
    packed = lengths is not None
    if packed:
        assert isinstance(our_out, our_rnn_utils.PackedSequence)
        assert our_out.batch_sizes.tolist() == their_out.batch_sizes.tolist()
    mine = _named_outputs(our_out, our_hidden, packed, ours.batch_first, our_rnn_utils)
    reference = _named_outputs(their_out, their_hidden, packed, theirs.batch_first, torch_rnn_utils)
    assert mine.keys() == reference.keys()
    for name in mine:
        _assert_close(mine[name], reference[name], name, rtol, atol)
    rng = numpy.random.default_rng(seed + 1)
    our_loss = their_loss = 0
    for name in (n for n in loss_on if n in mine):
        weights = rng.standard_normal(tuple(reference[name].shape)).astype(x.dtype)
        our_loss = our_loss + (mine[name] * minigrad.tensor(weights)).sum()
        their_loss = their_loss + (reference[name] * torch.tensor(weights)).sum()
    our_loss.backward()
    their_loss.backward()
    _check_gradients(ours, theirs, [our_x] + our_state, [their_x] + their_state, rtol, atol)
    return mine


def _check_gradients(ours, theirs, our_inputs, their_inputs, rtol, atol):
    names = ["input", "h0", "c0"]
    for name, mine, reference in zip(names, our_inputs, their_inputs):
        _check_gradient(name, mine.grad, reference.grad, rtol, atol)
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        _check_gradient(name, param.grad, their_params[name].grad, rtol, atol)


def _check_gradient(name, mine, reference, rtol, atol):
    if reference is None:
        assert mine is None or not mine.array.any(), f"{name}: torch gives no gradient, minigrad does"
        return
    assert mine is not None, f"{name}: minigrad gave no gradient"
    assert numpy.isfinite(mine.array).all(), f"gradient of {name} is not finite"
    _assert_close(mine, reference, f"gradient of {name}", rtol, atol)


def _assert_close(mine, reference, what, rtol, atol):
    """``assert_close`` with a fast path: NumPy's assert_allclose only to explain a failure."""
    actual, expected = mine.detach().numpy(force=True), reference.detach().numpy()
    default_rtol, default_atol = TOLERANCES.get(actual.dtype.name, (0, 0))
    if (actual.shape == expected.shape and actual.dtype == expected.dtype and numpy.allclose(
            actual, expected, rtol=default_rtol if rtol is None else rtol,
            atol=default_atol if atol is None else atol)):
        return
    assert_close(mine, reference, what, rtol, atol)


# ---- the float64 matrix shared by test_rnn_parity.py (fused) and test_rnn_readable.py -----
T, B, I, H = 3, 2, 3, 4
# batch_first is ignored for unbatched input, so three layouts cover the cases
LAYOUTS = {"time_first": (True, False), "batch_first": (True, True), "unbatched": (False, False)}


def inputs_for(theirs, batched, batch_first, with_state, dtype, steps=T, batch=B, seed=0):
    """Random ``x`` and (``h0``, ``c0``) or None, shaped for ``theirs``."""
    if batched:
        x_shape = (batch, steps, I) if batch_first else (steps, batch, I)
    else:
        x_shape = (steps, I)
    arrays = random_arrays([x_shape] + state_shapes(theirs, batch, batched), dtype, seed)
    return arrays[0], (arrays[1:] if with_state else None)


def check_matrix_case(impl, mode, num_layers, bidirectional, layout, bias, with_state):
    batched, batch_first = LAYOUTS[layout]
    ours, theirs = make_rnn_pair(mode, I, H, num_layers=num_layers, bidirectional=bidirectional,
                                 batch_first=batch_first, bias=bias)
    x, state = inputs_for(theirs, batched, batch_first, with_state, "float64")
    with implementation(impl):
        check_rnn(ours, theirs, x, state)
