"""The registry of cell kinds (nn/recurrent/cells.py): every path refuses an unknown mode, and a kind
without a fused layer runs the readable one, loudly, with the same numbers."""
import warnings

import numpy
import pytest
import torch

import minigrad
from minigrad.nn.recurrent import cells, readable
from minigrad.nn.recurrent.cells import CellKind, cell_kind


def test_unknown_mode_at_construction_is_torchs_error_naming_the_known_modes():
    with pytest.raises(ValueError) as theirs:
        torch.nn.RNNBase("PEEPHOLE", 3, 4)
    with pytest.raises(ValueError) as ours:
        minigrad.nn.RNNBase("PEEPHOLE", 3, 4)
    assert str(ours.value).startswith(str(theirs.value))
    assert "LSTM, GRU, RNN_TANH, RNN_RELU" in str(ours.value)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
def test_a_mode_changed_after_construction_is_refused_in_both_implementations(fused):
    lstm = minigrad.nn.LSTM(3, 4)
    lstm.mode = "LSTMM"
    with minigrad.backends.fused_rnn.flags(enabled=fused), pytest.raises(ValueError, match="LSTMM"):
        lstm(minigrad.randn(2, 1, 3))


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "readable"])
def test_a_cell_with_an_unknown_mode_is_refused_in_both_implementations(fused):
    cell = minigrad.nn.GRUCell(3, 4)
    with minigrad.backends.fused_rnn.flags(enabled=fused), pytest.raises(ValueError, match="known modes"):
        cell._step("GRUU", minigrad.randn(2, 3), (minigrad.zeros(2, 4),))


def test_an_unknown_nonlinearity_is_refused_by_the_readable_cell_and_the_fused_layer():
    x, h, w_ih, w_hh = minigrad.randn(2, 3), minigrad.zeros(2, 4), minigrad.randn(4, 3), minigrad.randn(4, 4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        readable.rnn_cell(x, h, w_ih, w_hh, nonlinearity="gelu")
    from minigrad.nn.recurrent import fused
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        fused.rnn_layer("gelu")(x.unsqueeze(0), (h,), [w_ih, w_hh], bias=False, proj=False)


def test_every_registered_kind_has_torchs_gate_count():
    assert {mode: kind.gates for mode, kind in cells.CELL_KINDS.items()} == \
        {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def test_a_kind_without_a_fused_layer_runs_the_readable_one_with_one_warning(monkeypatch):
    gru = cell_kind("GRU")
    monkeypatch.setitem(cells.CELL_KINDS, "GRU", CellKind("GRU", 3, ("h",), gru.readable_step, None))
    monkeypatch.setattr(cells, "_warned_no_fused", set())
    module = minigrad.nn.GRU(3, 4)
    x = minigrad.randn(5, 2, 3)
    with pytest.warns(UserWarning, match="no fused GRU layer"):
        output, h_n = module(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # the second call is quiet
        module(x)
    with minigrad.backends.fused_rnn.flags(enabled=False):
        expected, expected_h_n = module(x)
    numpy.testing.assert_array_equal(output.detach().numpy(), expected.detach().numpy())
    numpy.testing.assert_array_equal(h_n.detach().numpy(), expected_h_n.detach().numpy())


def test_switches_restore_their_state_and_say_what_they_are():
    assert repr(minigrad.backends.cuda_kernels) == "minigrad.backends.cuda_kernels(enabled=True)"
    with minigrad.backends.fused_rnn.flags(enabled=False):
        assert not minigrad.backends.fused_rnn.enabled
    assert minigrad.backends.fused_rnn.enabled
