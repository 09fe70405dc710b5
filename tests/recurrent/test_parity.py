"""nn.RNN / nn.LSTM / nn.GRU against torch: outputs, final states and every gradient.

The full matrix (mode x num_layers x bidirectional x batch_first x bias x batched
x h0 given) runs in float64 with tiny sizes for both implementations (fused and
readable, one grid); float32, sequence length 1, batch 1
and losses on a single output are sampled for both.
"""
import numpy
import pytest

from _rnn_parity import IMPLEMENTATIONS, LAYOUTS, MODES, B, H, I, T, check_matrix_case, check_rnn, \
    implementation, inputs_for, make_rnn_pair

# torch notes that its oneDNN LSTM has no projection and falls back: not our concern
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


@pytest.mark.parametrize("with_state", [True, False], ids=["h0", "no_h0"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_matches_torch_float64(impl, mode, num_layers, bidirectional, layout, bias, with_state):
    """The one full matrix, for both implementations (fused and readable)."""
    check_matrix_case(impl, mode, num_layers, bidirectional, layout, bias, with_state)


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,batched,with_state", [
    (1, False, False, True, False), (2, True, True, True, True), (3, True, False, False, True),
    (2, False, True, True, True)])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_matches_torch_float32(impl, mode, num_layers, bidirectional, batch_first, batched, with_state):
    ours, theirs = make_rnn_pair(mode, I, H, dtype="float32", num_layers=num_layers,
                                 bidirectional=bidirectional, batch_first=batch_first)
    x, state = inputs_for(theirs, batched, batch_first, with_state, "float32", steps=6, batch=5)
    with implementation(impl):
        mine = check_rnn(ours, theirs, x, state)
    assert all(value.dtype.name == "float32" for value in mine.values())
    assert all(param.grad.dtype.name == "float32" for param in ours.parameters())


@pytest.mark.parametrize("steps,batch", [(1, 2), (3, 1), (1, 1)], ids=["seq_len1", "batch1", "both1"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_sequence_length_one_and_batch_one(impl, mode, bidirectional, steps, batch):
    ours, theirs = make_rnn_pair(mode, I, H, num_layers=2, bidirectional=bidirectional)
    x, state = inputs_for(theirs, True, False, True, "float64", steps=steps, batch=batch)
    with implementation(impl):
        check_rnn(ours, theirs, x, state)


@pytest.mark.parametrize("mode,loss_on", [(mode, loss_on) for mode in MODES for loss_on in ("output", "h_n", "c_n")
                                          if loss_on != "c_n" or mode.startswith("LSTM")])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_loss_on_a_single_output(impl, mode, loss_on):
    """Only output, only h_n or only c_n in the loss: the other gradients start at zero (no NaNs)."""
    ours, theirs = make_rnn_pair(mode, I, H, num_layers=2, bidirectional=True)
    x, state = inputs_for(theirs, True, False, True, "float64", steps=4)
    with implementation(impl):
        check_rnn(ours, theirs, x, state, loss_on=(loss_on,))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_longer_sequence_and_wider_layers(impl, mode):
    ours, theirs = make_rnn_pair(mode, 5, 8, num_layers=2, bidirectional=True, batch_first=True)
    rng = numpy.random.default_rng(3)
    x = rng.standard_normal((4, 12, 5))
    with implementation(impl):
        check_rnn(ours, theirs, x)


@pytest.mark.parametrize("mode", list(MODES))
def test_large_pre_activations_saturate_without_nan(mode):
    """exp(-z) overflows for very negative z: the gates must still be exact 0/1, never NaN."""
    ours, theirs = make_rnn_pair(mode, I, H, dtype="float32", num_layers=2)
    x = numpy.random.default_rng(0).standard_normal((T, B, I)).astype("float32") * 1e4
    with implementation("fused"):
        check_rnn(ours, theirs, x)


def test_output_halves_are_the_directions_final_states():
    """output[-1, :, :H] is the last layer's forward h_n and output[0, :, H:] its reverse h_n."""
    ours, _ = make_rnn_pair("GRU", I, H, num_layers=2, bidirectional=True)
    x = numpy.random.default_rng(0).standard_normal((T, B, I))
    import minigrad
    output, h_n = ours(minigrad.tensor(x))
    numpy.testing.assert_array_equal(output[-1, :, :H].numpy(force=True), h_n[-2].numpy(force=True))
    numpy.testing.assert_array_equal(output[0, :, H:].numpy(force=True), h_n[-1].numpy(force=True))


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode", list(MODES))
def test_fused_layer_passes_gradcheck(mode, reverse, packed):
    """The second oracle: each fused node against central finite differences (float64)."""
    import minigrad
    from minigrad.nn.recurrent.cells import cell_kind
    ours, _ = make_rnn_pair(mode, 3, 4)
    rng = numpy.random.default_rng(0)
    batch_sizes = [3, 3, 2, 1] if packed else None
    x = minigrad.tensor(rng.standard_normal((9, 3) if packed else (4, 3, 3)), requires_grad=True)
    hidden = ours.proj_size or ours.hidden_size
    state = [minigrad.tensor(rng.standard_normal((3, hidden)), requires_grad=True)]
    if mode.startswith("LSTM"):
        state.append(minigrad.tensor(rng.standard_normal((3, 4)), requires_grad=True))
    weights = list(ours._flat_weights)

    def layer(x, *rest):
        output, final = cell_kind(ours.mode).fused_layer(
            x, rest[:len(state)], rest[len(state):], bias=True, proj=mode == "LSTM_PROJ",
            batch_sizes=batch_sizes, reverse=reverse)
        return (output, *final)

    assert minigrad.autograd.gradcheck(layer, [x, *state, *weights], directions=4, rtol=1e-6, atol=1e-8)
