"""nn.RNN / nn.LSTM / nn.GRU as objects: parameters, initialisation, repr and torch's errors."""
import warnings

import numpy
import pytest
import torch

import minigrad
from _nn_parity import torch_error
from _rnn_parity import MODES, make_rnn_pair

CONFIGS = [dict(), dict(num_layers=2), dict(num_layers=3, bidirectional=True), dict(bias=False),
           dict(batch_first=True, dropout=0.25, num_layers=2), dict(bidirectional=True, bias=False)]


def _build(lib, mode, *args, **kwargs):
    name, extra = MODES[mode]
    return getattr(lib.nn, name)(*args, **{**extra, **kwargs})


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("mode", list(MODES))
def test_parameters_names_shapes_and_order_match_torch(mode, config):
    ours, theirs = _build(minigrad, mode, 5, 6, **config), _build(torch, mode, 5, 6, **config)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [tuple(w.shape) for w in ours._flat_weights] == [tuple(w.shape) for w in theirs._flat_weights]
    assert [[tuple(w.shape) for w in group] for group in ours.all_weights] == \
        [[tuple(w.shape) for w in group] for group in theirs.all_weights]
    assert repr(ours) == repr(theirs)
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_repr_of_the_mnist_model():
    assert repr(minigrad.nn.LSTM(28, 64, num_layers=2, batch_first=True)) == \
        "LSTM(28, 64, num_layers=2, batch_first=True)"
    assert repr(minigrad.nn.RNN(3, 4, nonlinearity="relu")) == repr(torch.nn.RNN(3, 4, nonlinearity="relu"))
    assert repr(minigrad.nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"


@pytest.mark.parametrize("mode", list(MODES))
def test_default_init_is_uniform_within_one_over_sqrt_hidden(mode):
    module = _build(minigrad, mode, 30, 50, num_layers=2)
    values = numpy.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    bound = 1 / numpy.sqrt(50)
    assert numpy.abs(values).max() <= bound
    assert abs(values.mean()) < 0.05 * bound                      # U(-b, b): mean 0, std b / sqrt(3)
    assert abs(values.std() - bound / numpy.sqrt(3)) < 0.02 * bound
    assert numpy.unique(values).size > 0.99 * values.size


def test_dtype_device_and_to_keep_the_flat_weights_in_step():
    lstm = minigrad.nn.LSTM(3, 4, num_layers=2, dtype=minigrad.float64, device="cpu")
    assert all(p.dtype == minigrad.float64 for p in lstm.parameters())
    lstm.float()
    assert all(w.dtype == minigrad.float32 for w in lstm._flat_weights)
    lstm.weight_hh_l1 = minigrad.nn.Parameter(minigrad.zeros(16, 4))
    assert lstm._flat_weights[5] is lstm.weight_hh_l1
    assert lstm.flatten_parameters() is None
    output, (h_n, c_n) = lstm(minigrad.randn(5, 2, 3))
    assert output.dtype == h_n.dtype == c_n.dtype == minigrad.float32


def test_torch_checkpoint_loads_as_it_is():
    ours, theirs = make_rnn_pair("LSTM_PROJ", 3, 5, num_layers=2, bidirectional=True)
    for name, param in ours.named_parameters():
        numpy.testing.assert_array_equal(param.detach().numpy(), theirs.state_dict()[name].numpy())


def test_dropout_with_one_layer_warns_as_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        minigrad.nn.GRU(3, 4, dropout=0.5)
    assert [str(w.message) for w in caught] == [
        "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
        "num_layers greater than 1, but got dropout=0.5 and num_layers=1"]


ERROR_CASES = {
    "feature_size": lambda lib: lib.nn.LSTM(10, 20, 2)(lib.randn(5, 3, 5)),
    "hidden_size": lambda lib: lib.nn.RNN(10, 20, 2)(lib.randn(5, 3, 10), lib.randn(1, 3, 20)),
    "lstm_hidden_size": lambda lib: lib.nn.LSTM(10, 20, 2)(lib.randn(5, 3, 10),
                                                          (lib.randn(1, 3, 20), lib.randn(2, 3, 20))),
    "lstm_cell_size": lambda lib: lib.nn.LSTM(10, 20, 2)(lib.randn(5, 3, 10),
                                                        (lib.randn(2, 3, 20), lib.randn(2, 3, 21))),
    "proj_hidden_size": lambda lib: lib.nn.LSTM(10, 20, proj_size=5)(lib.randn(5, 3, 10),
                                                                    (lib.randn(1, 3, 20), lib.randn(1, 3, 20))),
    "rnn_1d": lambda lib: lib.nn.RNN(10, 20)(lib.randn(10)),
    "lstm_1d": lambda lib: lib.nn.LSTM(10, 20)(lib.randn(10)),
    "gru_4d": lambda lib: lib.nn.GRU(10, 20)(lib.randn(2, 5, 3, 10)),
    "rnn_4d": lambda lib: lib.nn.RNN(10, 20)(lib.randn(2, 5, 3, 10)),
    "batch_mismatch": lambda lib: lib.nn.GRU(10, 20, 2)(lib.randn(5, 3, 10), lib.randn(2, 4, 20)),
    "batch_mismatch_batch_first": lambda lib: lib.nn.RNN(10, 20, batch_first=True)(
        lib.randn(3, 5, 10), lib.randn(1, 5, 20)),
    "lstm_batch_mismatch": lambda lib: lib.nn.LSTM(10, 20)(lib.randn(5, 3, 10),
                                                          (lib.randn(1, 4, 20), lib.randn(1, 4, 20))),
    "unbatched_batched_h0": lambda lib: lib.nn.RNN(10, 20, 2)(lib.randn(5, 10), lib.randn(2, 3, 20)),
    "lstm_unbatched_batched_h0": lambda lib: lib.nn.LSTM(10, 20)(
        lib.randn(5, 10), (lib.randn(1, 3, 20), lib.randn(1, 3, 20))),
    "batched_2d_h0": lambda lib: lib.nn.GRU(10, 20)(lib.randn(5, 3, 10), lib.randn(1, 20)),
    "lstm_tensor_state": lambda lib: lib.nn.LSTM(10, 20, 2)(lib.randn(5, 3, 10), lib.randn(2, 3, 20)),
    "lstm_tensor_state_unbatched": lambda lib: lib.nn.LSTM(10, 20, 2)(lib.randn(5, 10), lib.randn(2, 20)),
    "dropout_above_one": lambda lib: lib.nn.LSTM(10, 20, dropout=1.5),
    "dropout_negative": lambda lib: lib.nn.GRU(10, 20, dropout=-0.1),
    "dropout_bool": lambda lib: lib.nn.RNN(10, 20, dropout=True),
    "proj_size_not_smaller": lambda lib: lib.nn.LSTM(10, 20, proj_size=20),
    "proj_size_negative": lambda lib: lib.nn.LSTM(10, 20, proj_size=-1),
    "proj_size_rnn": lambda lib: lib.nn.RNN(10, 20, proj_size=5),
    "proj_size_gru": lambda lib: lib.nn.GRU(10, 20, proj_size=5),
    "nonlinearity": lambda lib: lib.nn.RNN(10, 20, nonlinearity="sigmoid"),
    "input_size_zero": lambda lib: lib.nn.LSTM(0, 20),
    "hidden_size_zero": lambda lib: lib.nn.GRU(10, 0),
    "num_layers_zero": lambda lib: lib.nn.RNN(10, 20, 0),
    "input_size_float": lambda lib: lib.nn.LSTM(10.0, 20),
    "bias_not_bool": lambda lib: lib.nn.LSTM(10, 20, bias=1),
    "batch_first_not_bool": lambda lib: lib.nn.GRU(10, 20, batch_first=None),
    "empty_sequence": lambda lib: lib.nn.LSTM(10, 20)(lib.randn(0, 3, 10)),
    "empty_sequence_batch_first": lambda lib: lib.nn.GRU(10, 20, batch_first=True)(lib.randn(3, 0, 10)),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_match_torch(case):
    error_type, message = torch_error(lambda: ERROR_CASES[case](torch))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error_type) as raised:
            ERROR_CASES[case](minigrad)
    assert str(raised.value) == message


def test_dtype_mismatch_names_both_dtypes():
    error_type, message = torch_error(lambda: torch.nn.LSTM(3, 4)(torch.zeros(2, 1, 3, dtype=torch.float64)))
    with pytest.raises(error_type) as raised:
        minigrad.nn.LSTM(3, 4)(minigrad.zeros(2, 1, 3, dtype=minigrad.float64))
    assert str(raised.value) == message.replace("torch.", "minigrad.")


@pytest.mark.parametrize("impl", ["fused", "readable"])
def test_empty_batch_gives_empty_outputs_as_torch(impl):
    from _rnn_parity import implementation
    x = minigrad.randn(5, 0, 3, requires_grad=True)
    with implementation(impl):
        output, (h_n, c_n) = minigrad.nn.LSTM(3, 4, bidirectional=True)(x)
        output.sum().backward()
    assert tuple(output.shape) == (5, 0, 8) and tuple(h_n.shape) == tuple(c_n.shape) == (2, 0, 4)
    assert tuple(x.grad.shape) == (5, 0, 3)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "cell"])
def test_a_state_of_another_dtype_is_refused(mode):
    x = minigrad.zeros(5, 2, 3)
    h = minigrad.zeros(1, 2, 4, dtype=minigrad.float64)
    # torch's cells meet the dtype in their matmul h @ W_hh^T (tests/nn/test_special_cases.py)
    message = ("mat1 and mat2 must have the same dtype, but got Double and Float" if mode == "cell" else
               "Input and hidden tensors are not the same dtype, found input tensor with Float and hidden "
               "tensor with Double")
    with pytest.raises(RuntimeError, match=message):
        if mode == "LSTM":
            minigrad.nn.LSTM(3, 4)(x, (minigrad.zeros(1, 2, 4), h))
        elif mode == "cell":
            minigrad.nn.GRUCell(3, 4)(x[0], h[0])
        else:
            _build(minigrad, mode, 3, 4)(x, h)
