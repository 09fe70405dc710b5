"""nn.RNNCell / nn.LSTMCell / nn.GRUCell against torch: one step, values and every gradient."""
import numpy
import pytest
import torch

import minigrad
from _nn_parity import assert_close, copy_weights, torch_error
from _rnn_parity import IMPLEMENTATIONS, implementation

CELLS = {"RNNCell_tanh": ("RNNCell", {"nonlinearity": "tanh"}),
         "RNNCell_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "LSTMCell": ("LSTMCell", {}), "GRUCell": ("GRUCell", {})}
I, H = 3, 4


def _cell_pair(kind, dtype="float64", **kwargs):
    name, extra = CELLS[kind]
    kwargs = {**extra, **kwargs}
    theirs = getattr(torch.nn, name)(I, H, **kwargs).to(getattr(torch, dtype))
    ours = getattr(minigrad.nn, name)(I, H, **kwargs).to(getattr(minigrad, dtype))
    return copy_weights(ours, theirs), theirs


def _as_list(value):
    return list(value) if isinstance(value, tuple) else [value]


@pytest.mark.parametrize("with_state", [True, False], ids=["hx", "no_hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_cell_matches_torch(impl, kind, dtype, bias, batched, with_state):
    ours, theirs = _cell_pair(kind, dtype, bias=bias)
    rng = numpy.random.default_rng(0)
    lead = (5,) if batched else ()
    x = rng.standard_normal(lead + (I,)).astype(dtype)
    parts = [rng.standard_normal(lead + (H,)).astype(dtype) for _ in range(2 if kind == "LSTMCell" else 1)]
    our_inputs = [minigrad.tensor(a, requires_grad=True) for a in [x] + parts]
    their_inputs = [torch.tensor(a, requires_grad=True) for a in [x] + parts]

    def call(module, inputs):
        if not with_state:
            return module(inputs[0])
        state = tuple(inputs[1:]) if kind == "LSTMCell" else inputs[1]
        return module(inputs[0], state)

    with implementation(impl):
        mine = _as_list(call(ours, our_inputs))
        reference = _as_list(call(theirs, their_inputs))
        loss_weights = [rng.standard_normal(tuple(r.shape)).astype(dtype) for r in reference]
        sum((m * minigrad.tensor(w)).sum() for m, w in zip(mine, loss_weights)).backward()
    sum((r * torch.tensor(w)).sum() for r, w in zip(reference, loss_weights)).backward()
    for index, (m, r) in enumerate(zip(mine, reference)):
        assert_close(m, r, f"output {index}")
    used = our_inputs if with_state else our_inputs[:1]
    for index, (m, r) in enumerate(zip(used, their_inputs)):
        assert_close(m.grad, r.grad, f"gradient of input {index}")
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        assert_close(param.grad, their_params[name].grad, f"gradient of {name}")


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_a_cell_loop_equals_the_layer(impl):
    """Unrolling LSTMCell over time gives nn.LSTM's outputs when the weights are shared."""
    lstm = minigrad.nn.LSTM(I, H).double()
    cell = minigrad.nn.LSTMCell(I, H).double()
    cell.load_state_dict({name[:-3]: value for name, value in lstm.state_dict().items()})
    x = minigrad.tensor(numpy.random.default_rng(0).standard_normal((6, 2, I)))
    with implementation(impl):
        output, (h_n, c_n) = lstm(x)
        state, steps = None, []
        for x_t in x:
            state = cell(x_t, state)
            steps.append(state[0])
    numpy.testing.assert_allclose(minigrad.stack(steps).detach().numpy(), output.detach().numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(state[1].detach().numpy(), c_n[0].detach().numpy(), rtol=1e-12)


def test_parameters_and_repr_match_torch():
    for kind in CELLS:
        for bias in (True, False):
            ours, theirs = _cell_pair(kind, bias=bias)
            assert repr(ours) == repr(theirs)
            assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
                [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
            bound = 1 / H ** 0.5
            fresh = getattr(minigrad.nn, CELLS[kind][0])(I, H, **CELLS[kind][1], bias=bias)
            assert all(numpy.abs(p.detach().numpy()).max() <= bound for p in fresh.parameters())
    assert minigrad.nn.LSTMCell(I, H, dtype=minigrad.float64).weight_ih.dtype == minigrad.float64


@pytest.mark.parametrize("case", ["input_3d", "input_size", "batch", "hidden_size", "hx_3d", "lstm_hx_3d",
                                  "lstm_batch", "unbatched_with_batched_hx", "nonlinearity"])
def test_errors_match_torch(case):
    def call(lib):
        nn = lib.nn
        if case == "input_3d":
            return nn.GRUCell(I, H)(lib.zeros(2, 5, I))
        if case == "input_size":
            return nn.LSTMCell(I, H)(lib.zeros(2, I + 2))
        if case == "batch":
            return nn.RNNCell(I, H)(lib.zeros(3, I), lib.zeros(4, H))
        if case == "hidden_size":
            return nn.GRUCell(I, H)(lib.zeros(3, I), lib.zeros(3, H + 1))
        if case == "hx_3d":
            return nn.RNNCell(I, H)(lib.zeros(3, I), lib.zeros(1, 3, H))
        if case == "lstm_hx_3d":
            return nn.LSTMCell(I, H)(lib.zeros(3, I), (lib.zeros(1, 3, H), lib.zeros(3, H)))
        if case == "lstm_batch":
            return nn.LSTMCell(I, H)(lib.zeros(3, I), (lib.zeros(2, H), lib.zeros(2, H)))
        if case == "unbatched_with_batched_hx":
            return nn.RNNCell(I, H)(lib.zeros(I), lib.zeros(3, H))
        return nn.RNNCell(I, H, nonlinearity="sigmoid")(lib.zeros(3, I))

    error_type, message = torch_error(lambda: call(torch))
    with pytest.raises(error_type) as raised:
        call(minigrad)
    assert str(raised.value) == message
