"""The readable recurrent layers: one time step at a time, composed of tensor ops.

This file is the one to study.  Every equation below is written as it is in
torch's documentation, with ordinary tensor ops (``@``, ``sigmoid``, ``tanh``,
``chunk``), so autograd derives the backward through time by itself: an LSTM
over ``T`` steps records roughly a dozen graph nodes per step.  The fused
version (``fused.py``) computes the same numbers with one node per layer and
direction and a hand-written backward; it is the default, and
``minigrad.backends.fused_rnn.enabled = False`` selects this one.

Shapes: ``B`` batch, ``I`` input features, ``H`` hidden features, ``P`` the
LSTM projection size (``P = H`` without projection).  Weights are stored as in
torch, ``(gates * H, in_features)``, so ``x @ weight.T`` gives all gates at once.
"""
from __future__ import annotations

from ...ops.join import cat, stack
from ...ops.unary import relu, sigmoid, tanh

__all__ = []   # internal: nn.RNN / nn.LSTM / nn.GRU and the cells call these


# ---- one time step ---------------------------------------------------------------
def _affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """``x W_ih^T + b_ih + h W_hh^T + b_hh``: ``(B, I), (B, P) -> (B, G*H)``."""
    gates = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        gates = gates + bias_ih + bias_hh
    return gates


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    ``x (B, I)``, ``h (B, H)`` -> ``h' (B, H)``.
    """
    pre_activation = _affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    if nonlinearity == "tanh":
        return tanh(pre_activation)
    if nonlinearity == "relu":
        return relu(pre_activation)
    raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")


def lstm_cell(x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None, weight_hr=None):
    """LSTM step, gates in torch's order i, f, g, o::

        i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)      input gate
        f = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf)      forget gate
        g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg)         candidate cell
        o = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho)      output gate
        c' = f * c + i * g
        h' = o * tanh(c')            (then h' = h' W_hr^T with a projection)

    ``x (B, I)``, ``state = (h (B, P), c (B, H))`` -> ``(h' (B, P), c' (B, H))``.
    """
    h, c = state
    gates = _affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    input_gate, forget_gate, candidate, output_gate = gates.chunk(4, 1)
    c_next = sigmoid(forget_gate) * c + sigmoid(input_gate) * tanh(candidate)
    h_next = sigmoid(output_gate) * tanh(c_next)
    if weight_hr is not None:
        h_next = h_next @ weight_hr.T
    return h_next, c_next


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """GRU step, gates in torch's order r, z, n::

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)      reset gate
        z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)      update gate
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))   candidate (b_hn inside r * (.))
        h' = (1 - z) * n + z * h

    ``x (B, I)``, ``h (B, H)`` -> ``h' (B, H)``.
    """
    input_part = x @ weight_ih.T
    hidden_part = h @ weight_hh.T
    if bias_ih is not None:
        input_part = input_part + bias_ih
        hidden_part = hidden_part + bias_hh
    input_r, input_z, input_n = input_part.chunk(3, 1)
    hidden_r, hidden_z, hidden_n = hidden_part.chunk(3, 1)
    reset = sigmoid(input_r + hidden_r)
    update = sigmoid(input_z + hidden_z)
    new = tanh(input_n + reset * hidden_n)
    return (1 - update) * new + update * h


# ---- a whole sequence, one layer and direction ---------------------------------------
def run_layer(step, input, state, *, batch_sizes=None, reverse=False):
    """Run one layer in one direction over a sequence, one step at a time.

    ``input``: ``(T, B, I)``, or packed ``(N, I)`` with ``batch_sizes`` (the
    number of sequences still running at each step, longest first).  ``state``:
    ``(h0,)`` or ``(h0, c0)`` for an LSTM, each ``(B, F)``.  ``step(x_t, state) -> state'``
    is one cell step with this layer's weights bound (``cells.py`` makes it).  Returns ``output`` (``(T, B, P)`` or
    ``(N, P)``) and the final state tuple, each sequence's state after its own
    last step.  A reverse direction walks the steps from last to first.
    """
    if batch_sizes is None:
        steps = input.unbind(0)                            # T tensors (B, I)
        sizes = [input.shape[1]] * len(steps)
    else:
        sizes = [int(size) for size in batch_sizes]
        steps = input.split(sizes, 0)                      # step t: (batch_sizes[t], I)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outputs, finished, current = [None] * len(steps), [], None
    for t in order:
        size = sizes[t]
        current = _resize(current, state, size, finished)
        current = step(steps[t], current)
        outputs[t] = current[0]
    final = current
    if finished:   # forward over packed steps: rows left the batch as their sequences ended
        final = tuple(cat([part] + [done[k] for done in reversed(finished)], 0)
                      for k, part in enumerate(final))
    output = stack(outputs, 0) if batch_sizes is None else cat(outputs, 0)
    return output, final


def _resize(current, initial, size, finished):
    """The state rows of the ``size`` sequences running at this step.

    Going forward in time the batch only shrinks: the rows that drop out hold
    finished sequences' final states and are kept in ``finished``.  Going
    backward it only grows: sequences that start now begin from ``initial``.
    """
    if current is None:
        return tuple(part[:size] for part in initial)
    running = current[0].shape[0]
    if size < running:
        finished.append(tuple(part[size:] for part in current))
        return tuple(part[:size] for part in current)
    if size > running:
        return tuple(cat([part, start[running:size]], 0) for part, start in zip(current, initial))
    return current
