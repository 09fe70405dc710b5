"""Variable-length sequences: nn.utils.rnn against torch, and PackedSequence through RNN/LSTM/GRU."""
import numpy
import pytest
import torch

import minigrad
from _nn_parity import torch_error
from _rnn_parity import IMPLEMENTATIONS, MODES, check_rnn, implementation, make_rnn_pair, random_arrays, \
    state_shapes
from minigrad.nn.utils import rnn as ours
from torch.nn.utils import rnn as theirs

# torch notes that its oneDNN LSTM has no projection and falls back: not our concern
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


def _pair(array, requires_grad=True):
    return minigrad.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def _same(mine, reference):
    numpy.testing.assert_array_equal(mine.detach().numpy(), reference.detach().numpy())


# ---- the utilities ----------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 2, 1], True), ([2, 5, 1, 3], False),
                                                    ([3, 3, 1, 3], False), ([5, 5, 5, 5], True)])
def test_pack_and_pad_round_trip_match_torch(lengths, enforce_sorted, batch_first):
    x = numpy.random.default_rng(0).standard_normal((4, 5, 3) if batch_first else (5, 4, 3))
    mine_x, their_x = _pair(x)
    mine = ours.pack_padded_sequence(mine_x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    reference = theirs.pack_padded_sequence(their_x, lengths, batch_first=batch_first,
                                            enforce_sorted=enforce_sorted)
    _same(mine.data, reference.data)
    assert mine.batch_sizes.tolist() == reference.batch_sizes.tolist()
    assert mine.batch_sizes.dtype.name == "int64" and mine.batch_sizes.device.type == "cpu"
    for name in ("sorted_indices", "unsorted_indices"):
        mine_index, their_index = getattr(mine, name), getattr(reference, name)
        assert (mine_index is None) == (their_index is None)
        if their_index is not None:
            assert mine_index.tolist() == their_index.tolist()
    for total_length in (None, 7):
        padded, lengths_out = ours.pad_packed_sequence(mine, batch_first=batch_first, padding_value=-2.0,
                                                       total_length=total_length)
        their_padded, their_lengths = theirs.pad_packed_sequence(
            reference, batch_first=batch_first, padding_value=-2.0, total_length=total_length)
        _same(padded, their_padded)
        assert lengths_out.tolist() == their_lengths.tolist() and lengths_out.dtype.name == "int64"
    weights = numpy.random.default_rng(1).standard_normal(tuple(reference.data.shape))
    (mine.data * minigrad.tensor(weights)).sum().backward()
    (reference.data * torch.tensor(weights)).sum().backward()
    _same(mine_x.grad, their_x.grad)          # the padding gets no gradient


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    arrays = [numpy.random.default_rng(k).standard_normal((length, 2, 3)) for k, length in enumerate([3, 5, 1])]
    mine = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    padded = ours.pad_sequence(mine, batch_first=batch_first, padding_value=0.5, padding_side=padding_side)
    their_padded = theirs.pad_sequence(reference, batch_first=batch_first, padding_value=0.5,
                                       padding_side=padding_side)
    _same(padded, their_padded)
    weights = numpy.random.default_rng(2).standard_normal(tuple(their_padded.shape))
    (padded * minigrad.tensor(weights)).sum().backward()
    (their_padded * torch.tensor(weights)).sum().backward()
    for m, r in zip(mine, reference):
        _same(m.grad, r.grad)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence(enforce_sorted):
    lengths = [4, 3, 1] if enforce_sorted else [1, 4, 3]
    arrays = [numpy.random.default_rng(k).standard_normal((length, 2)) for k, length in enumerate(lengths)]
    mine = ours.pack_sequence([minigrad.tensor(a) for a in arrays], enforce_sorted=enforce_sorted)
    reference = theirs.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=enforce_sorted)
    _same(mine.data, reference.data)
    assert mine.batch_sizes.tolist() == reference.batch_sizes.tolist()
    for array, sequence in zip(arrays, ours.unpack_sequence(mine)):
        numpy.testing.assert_array_equal(sequence.numpy(), array)
    padded = ours.pad_sequence([minigrad.tensor(a) for a in arrays], batch_first=True)
    for array, sequence in zip(arrays, ours.unpad_sequence(padded, minigrad.tensor(lengths), batch_first=True)):
        numpy.testing.assert_array_equal(sequence.numpy(), array)


def test_packed_sequence_is_torch_shaped():
    packed = ours.pack_sequence([minigrad.ones(3, 2), minigrad.ones(2, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert tuple(data.shape) == (5, 2) and batch_sizes.tolist() == [2, 2, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert packed.double().data.dtype == minigrad.float64
    assert packed.to(minigrad.float64).batch_sizes is batch_sizes
    assert not packed.is_cuda and repr(packed).startswith("PackedSequence(data=tensor(")
    assert ours.invert_permutation(minigrad.tensor([2, 0, 1])).tolist() == [1, 2, 0]


@pytest.mark.parametrize("case", ["unsorted", "length_count", "zero_length", "total_length",
                                  "trailing_size", "pack_sequence_unsorted"])
def test_errors_match_torch(case):
    x = numpy.zeros((5, 3, 2))

    def call(lib, utils):
        tensor = lib.tensor(x)
        if case == "unsorted":
            return utils.pack_padded_sequence(tensor, [5, 3, 4])
        if case == "length_count":
            return utils.pack_padded_sequence(tensor, [5, 3])
        if case == "zero_length":
            return utils.pack_padded_sequence(tensor, [5, 3, 0], enforce_sorted=False)
        if case == "total_length":
            return utils.pad_packed_sequence(utils.pack_padded_sequence(tensor, [5, 3, 2]), total_length=3)
        if case == "trailing_size":
            return utils.pad_sequence([lib.zeros(3, 2), lib.zeros(4, 3)])
        return utils.pack_sequence([lib.zeros(3, 2), lib.zeros(4, 2)])

    error_type, message = torch_error(lambda: call(torch, theirs))
    with pytest.raises(error_type) as raised:
        call(minigrad, ours)
    assert str(raised.value) == message


# ---- packed input through the layers -------------------------------------------------------
@pytest.mark.parametrize("with_state", [True, False], ids=["h0", "no_h0"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_first", "batch_first"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (1, True), (2, True)])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_packed_input_matches_torch(impl, mode, num_layers, bidirectional, batch_first, with_state):
    """Unsorted lengths (enforce_sorted=False): outputs, h_n at each sequence's own end, gradients."""
    ours_module, theirs_module = make_rnn_pair(mode, 3, 4, num_layers=num_layers, bidirectional=bidirectional,
                                               batch_first=batch_first)
    lengths = [3, 6, 1, 6, 4]
    x_shape = (5, 6, 3) if batch_first else (6, 5, 3)
    arrays = random_arrays([x_shape] + state_shapes(theirs_module, 5), "float64", seed=4)
    with implementation(impl):
        check_rnn(ours_module, theirs_module, arrays[0], arrays[1:] if with_state else None, lengths=lengths)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_packed_input_float32(impl, mode):
    ours_module, theirs_module = make_rnn_pair(mode, 3, 4, dtype="float32", num_layers=2, bidirectional=True)
    arrays = random_arrays([(7, 4, 3)] + state_shapes(theirs_module, 4), "float32", seed=5)
    with implementation(impl):
        check_rnn(ours_module, theirs_module, arrays[0], arrays[1:], lengths=[2, 7, 7, 5])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_h_n_is_taken_at_each_sequence_end(impl):
    """A sequence padded with junk and packed gives the h_n of the unpadded sequence run alone."""
    lstm = minigrad.nn.LSTM(2, 3, bidirectional=True).double()
    rng = numpy.random.default_rng(0)
    short = rng.standard_normal((2, 1, 2))
    padded = numpy.concatenate([short, 100 * rng.standard_normal((3, 1, 2))])   # junk after step 2
    batch = numpy.concatenate([rng.standard_normal((5, 1, 2)), padded], axis=1)
    with implementation(impl):
        _, (h_alone, c_alone) = lstm(minigrad.tensor(short))
        packed = ours.pack_padded_sequence(minigrad.tensor(batch), [5, 2])
        _, (h_packed, c_packed) = lstm(packed)
    numpy.testing.assert_allclose(h_packed[:, 1].detach().numpy(), h_alone[:, 0].detach().numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(c_packed[:, 1].detach().numpy(), c_alone[:, 0].detach().numpy(), rtol=1e-12)


def test_packed_hidden_size_error_matches_torch():
    ours_module, theirs_module = make_rnn_pair("GRU", 3, 4, num_layers=2)
    x = numpy.zeros((4, 3, 3))
    packed = [utils.pack_padded_sequence(lib.tensor(x), [4, 2, 1]) for utils, lib in ((ours, minigrad), (theirs, torch))]
    error_type, message = torch_error(lambda: theirs_module(packed[1], torch.zeros(2, 5, 4, dtype=torch.float64)))
    with pytest.raises(error_type) as raised:
        ours_module(packed[0], minigrad.zeros(2, 5, 4, dtype=minigrad.float64))
    assert str(raised.value) == message


@pytest.mark.parametrize("lengths", [[4, 4, 4], [4, 1, 1], [1, 1, 1]], ids=["equal", "one_long", "all_one"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_packed_edge_lengths(impl, mode, lengths):
    """Equal lengths (every step full), one long sequence, and all of length one."""
    ours_module, theirs_module = make_rnn_pair(mode, 3, 4, num_layers=2, bidirectional=True)
    arrays = random_arrays([(4, 3, 3)] + state_shapes(theirs_module, 3), "float64", seed=6)
    with implementation(impl):
        check_rnn(ours_module, theirs_module, arrays[0], arrays[1:], lengths=lengths)
