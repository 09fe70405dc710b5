"""The registry of recurrent cell kinds: what ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and the cells run.

A cell kind is torch's ``mode`` string (``'LSTM'``, ``'GRU'``, ``'RNN_TANH'``,
``'RNN_RELU'``) with everything that depends on it, in one place:

* ``gates``: how many gate blocks the weights hold (``weight_ih`` is ``(gates * H, I)``);
* ``state_names``: the state's parts, ``('h',)`` or ``('h', 'c')``;
* ``readable_step``: one time step composed of tensor ops (``readable.py``, the code to read);
* ``fused_layer``: a whole layer and direction as one graph node with a hand-written
  backward (``fused.py``), or ``None`` where there is none.

``run_layer`` picks the implementation by ``minigrad.backends.fused_rnn.enabled``.
An unknown mode is a ``ValueError`` naming the known ones, and a kind without a
fused layer runs the readable one, with a warning the first time.
To add a cell kind, write its readable step (and optionally a fused layer) and
register a ``CellKind`` in ``CELL_KINDS``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Optional

from ... import backends
from . import fused, readable

__all__ = []   # internal: nn.RNN / nn.LSTM / nn.GRU and the cells use these


@dataclass(frozen=True)
class CellKind:
    mode: str
    gates: int
    state_names: tuple
    readable_step: Callable          # step(x_t, state, weights, bias, proj) -> state'
    fused_layer: Optional[Callable]  # layer(input, state, weights, *, bias, proj, batch_sizes, reverse)


def _bias_weights(weights, bias):
    return (weights[2], weights[3]) if bias else (None, None)


def _lstm_step(x, state, weights, bias, proj):
    weight_hr = weights[-1] if proj else None
    return readable.lstm_cell(x, state, weights[0], weights[1], *_bias_weights(weights, bias), weight_hr)


def _gru_step(x, state, weights, bias, proj):
    return (readable.gru_cell(x, state[0], weights[0], weights[1], *_bias_weights(weights, bias)),)


def _rnn_step(nonlinearity):
    def step(x, state, weights, bias, proj):
        return (readable.rnn_cell(x, state[0], weights[0], weights[1], *_bias_weights(weights, bias),
                                  nonlinearity=nonlinearity),)
    return step


CELL_KINDS = {kind.mode: kind for kind in (
    CellKind("LSTM", 4, ("h", "c"), _lstm_step, fused.lstm_layer),
    CellKind("GRU", 3, ("h",), _gru_step, fused.gru_layer),
    CellKind("RNN_TANH", 1, ("h",), _rnn_step("tanh"), fused.rnn_layer("tanh")),
    CellKind("RNN_RELU", 1, ("h",), _rnn_step("relu"), fused.rnn_layer("relu")),
)}

_warned_no_fused = set()


def cell_kind(mode) -> CellKind:
    """The registered kind for ``mode``; an unknown mode is a ValueError naming the known ones."""
    kind = CELL_KINDS.get(mode)
    if kind is None:
        raise ValueError(f"Unrecognized RNN mode: {mode} (known modes: {', '.join(CELL_KINDS)})")
    return kind


def _use_fused(kind) -> bool:
    if not backends.fused_rnn.enabled:
        return False
    if kind.fused_layer is None:
        if kind.mode not in _warned_no_fused:
            _warned_no_fused.add(kind.mode)
            warnings.warn(f"minigrad has no fused {kind.mode} layer: running the readable one",
                          stacklevel=3)
        return False
    return True


def run_layer(kind, input, state, weights, *, bias, proj, batch_sizes=None, reverse=False):
    """One layer and direction over a sequence, fused or readable; returns ``(output, final_state)``.

    ``input`` ``(T, B, I)`` or packed ``(N, I)`` with ``batch_sizes``; ``state`` a tuple
    of ``(B, F)`` tensors (``kind.state_names``); ``weights`` in torch's order.
    """
    if _use_fused(kind):
        return kind.fused_layer(input, state, weights, bias=bias, proj=proj,
                                batch_sizes=batch_sizes, reverse=reverse)

    def step(x, current):
        return kind.readable_step(x, current, weights, bias, proj)
    return readable.run_layer(step, input, state, batch_sizes=batch_sizes, reverse=reverse)


def run_step(kind, input, state, weights, *, bias):
    """One time step for the cells (``nn.LSTMCell``...): ``input (B, I)`` -> the next state."""
    if _use_fused(kind):
        _, final = kind.fused_layer(input.unsqueeze(0), state, weights, bias=bias, proj=False)
        return final
    return kind.readable_step(input, state, weights, bias, False)
