"""2-d pooling (MaxPool2d, AvgPool2d, AdaptiveMaxPool2d, AdaptiveAvgPool2d), 1-d ceil_mode and the
channel dropouts against torch: values, indices, gradients under a random output weighting, ties and
NaN, float32, batch 0 and 1, unbatched input, gradchecks, reprs and errors; then the pytorch/examples
MNIST net end to end."""
import warnings

import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck
from _nn_parity import assert_same_error, check_module, make_pair
from _op_parity import run_both


def _input(shape, dtype="float64", seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape).astype(dtype)


POOLING_2D = [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", (3, 2, 1), {}), ("MaxPool2d", ((3, 2), (2, 1), (1, 0)), {}),
    ("MaxPool2d", (3,), {"stride": 1, "dilation": (2, 1)}), ("MaxPool2d", (2,), {"ceil_mode": True}),
    ("MaxPool2d", (3, 2, 1), {"ceil_mode": True, "dilation": 2}), ("MaxPool2d", (2,), {"return_indices": True}),
    ("MaxPool2d", ((2, 3), 2, (1, 1)), {"return_indices": True, "ceil_mode": True}),
    ("AvgPool2d", (2,), {}), ("AvgPool2d", (3, 2, 1), {}), ("AvgPool2d", ((3, 2), (2, 1), (1, 0)), {}),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}), ("AvgPool2d", (2,), {"ceil_mode": True}),
    ("AvgPool2d", (4, 3, 2), {"ceil_mode": True}), ("AvgPool2d", (4, 3, 2), {"ceil_mode": True,
                                                                            "count_include_pad": False}),
    ("AvgPool2d", (3, 2, 1), {"divisor_override": 4}),
    ("AdaptiveAvgPool2d", (1,), {}), ("AdaptiveAvgPool2d", ((3, 2),), {}), ("AdaptiveAvgPool2d", ((None, 4),), {}),
    ("AdaptiveAvgPool2d", ((2, 11),), {}), ("AdaptiveMaxPool2d", (1,), {}), ("AdaptiveMaxPool2d", ((3, 4),), {}),
    ("AdaptiveMaxPool2d", ((None, 2),), {}), ("AdaptiveMaxPool2d", ((5, 11),), {"return_indices": True})]


@pytest.mark.parametrize("name, args, kwargs", POOLING_2D)
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (3, 7, 9)], ids=["batched", "unbatched"])
def test_pooling2d_modules_match_torch(name, args, kwargs, shape):
    ours, theirs = make_pair(name, *args, **kwargs)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [_input(shape)])


@pytest.mark.parametrize("name, args, kwargs", [("MaxPool2d", (3, 2, 1), {"return_indices": True}),
                                                ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}),
                                                ("AdaptiveAvgPool2d", ((2, 3),), {}),
                                                ("AdaptiveMaxPool2d", ((2, 3),), {})])
@pytest.mark.parametrize("shape, dtype", [((1, 2, 6, 5), "float32"), ((0, 2, 6, 5), "float64"),
                                          ((1, 1, 3, 3), "float64")])
def test_pooling2d_float32_and_batch_sizes_match_torch(name, args, kwargs, shape, dtype):
    ours, theirs = make_pair(name, *args, dtype=dtype, **kwargs)
    outputs, _ = check_module(ours, theirs, [_input(shape, dtype)])
    assert outputs[0].array.dtype == numpy.dtype(dtype)


@pytest.mark.parametrize("kwargs", [{"kernel_size": 3, "ceil_mode": True}, {"kernel_size": 2, "ceil_mode": True},
                                    {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True},
                                    {"kernel_size": 4, "stride": 3, "padding": 1, "ceil_mode": True,
                                     "count_include_pad": False}])
def test_avg_pool1d_ceil_mode_matches_torch(kwargs):
    ours, theirs = make_pair("AvgPool1d", **kwargs)
    check_module(ours, theirs, [_input((2, 3, 11))])


def test_max_pool2d_ties_go_to_the_first_and_nan_wins_as_in_torch():
    x = numpy.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 3.0, 3.0], [numpy.nan, 0.0, 1.0, numpy.nan]]]])
    for kwargs in ({"kernel_size": 2, "stride": 1}, {"kernel_size": (3, 2), "stride": 1, "padding": (1, 0)}):
        ours, theirs = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        mine = F.max_pool2d(ours, return_indices=True, **kwargs)
        reference = torch.nn.functional.max_pool2d(theirs, return_indices=True, **kwargs)
        numpy.testing.assert_array_equal(mine[0].detach().numpy(), reference[0].detach().numpy())
        numpy.testing.assert_array_equal(mine[1].numpy(), reference[1].numpy())
        weights = _input(tuple(reference[0].shape))
        (mine[0] * minigrad.tensor(weights)).sum().backward()
        (reference[0] * torch.tensor(weights)).sum().backward()
        numpy.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_max_pool2d_of_integers_matches_torch():
    x = numpy.random.default_rng(0).integers(-50, 50, (2, 3, 6, 7))
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}):
        ours = F.max_pool2d(minigrad.tensor(x), return_indices=True, **kwargs)
        theirs = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
        for mine, reference in zip(ours, theirs):
            numpy.testing.assert_array_equal(mine.numpy(), reference.numpy())
            assert mine.dtype == minigrad.int64


@pytest.mark.parametrize("fn, kwargs", [(F.max_pool2d, {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1}),
                                        (F.max_pool2d, {"kernel_size": 2, "dilation": 2, "ceil_mode": True}),
                                        (F.avg_pool2d, {"kernel_size": 3, "stride": 2, "padding": 1,
                                                        "ceil_mode": True, "count_include_pad": False}),
                                        (F.adaptive_avg_pool2d, {"output_size": (3, 4)}),
                                        (F.adaptive_max_pool2d, {"output_size": (2, 3)})])
def test_pooling2d_gradcheck(fn, kwargs):
    x = minigrad.tensor(_input((2, 2, 7, 6)), requires_grad=True)
    assert gradcheck(lambda x: fn(x, **kwargs), (x,))


@pytest.mark.parametrize("fn, args, kwargs, shape", [
    ("max_pool2d", (3, 1, 2), {}, (2, 3, 5, 5)), ("max_pool2d", (3,), {}, (2, 3, 2, 5)),
    ("max_pool2d", (3,), {}, (5, 5)), ("max_pool2d", (3,), {}, (2, 3, 4, 5, 5)),
    ("max_pool2d", ((3, 3, 3),), {}, (2, 3, 5, 5)), ("max_pool2d", (3,), {"stride": 0}, (2, 3, 5, 5)),
    ("max_pool2d", (3,), {"stride": (1, 2, 3)}, (2, 3, 5, 5)), ("max_pool2d", (3,), {"dilation": 0}, (2, 3, 5, 5)),
    ("max_pool2d", (3,), {"padding": -1}, (2, 3, 5, 5)), ("max_pool2d", (3,), {}, (2, 0, 5, 5)),
    ("avg_pool2d", (3, 1, 2), {}, (2, 3, 5, 5)), ("avg_pool2d", (3,), {}, (2, 3, 2, 5)),
    ("avg_pool2d", (3,), {}, (5, 5)), ("avg_pool2d", (3,), {"divisor_override": 0}, (2, 3, 5, 5)),
    ("avg_pool2d", ((3, 3, 3),), {}, (2, 3, 5, 5)), ("avg_pool2d", (3,), {"stride": 0}, (2, 3, 5, 5)),
    ("adaptive_avg_pool2d", ((2, 3, 4),), {}, (2, 3, 5, 5)), ("adaptive_avg_pool2d", (3,), {}, (5, 5)),
    ("adaptive_avg_pool2d", (3,), {}, (2, 3, 0, 5)), ("adaptive_avg_pool2d", (-1,), {}, (2, 3, 5, 5)),
    ("adaptive_max_pool2d", (3,), {}, (5, 5)), ("adaptive_max_pool2d", (3,), {}, (2, 3, 0, 5)),
    ("avg_pool1d", (3,), {}, (2, 3, 2))])
def test_pooling2d_errors_match_torch(fn, args, kwargs, shape):
    x = numpy.zeros(shape)
    assert_same_error(lambda: getattr(F, fn)(minigrad.tensor(x), *args, **kwargs),
                      lambda: getattr(torch.nn.functional, fn)(torch.tensor(x), *args, **kwargs))


def test_adaptive_pool2d_to_zero_size_gives_an_empty_result_as_torch():
    x = _input((2, 3, 5, 5))
    for fn in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        assert tuple(getattr(F, fn)(minigrad.tensor(x), 0).shape) == \
            tuple(getattr(torch.nn.functional, fn)(torch.tensor(x), 0).shape)


# ---- channel dropout ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, shape, channel_dims", [("Dropout2d", (8, 16, 3, 4), 2),
                                                       ("Dropout1d", (8, 16, 5), 2), ("Dropout1d", (16, 5), 1),
                                                       ("Dropout3d", (8, 16, 2, 3, 2), 2),
                                                       ("Dropout3d", (16, 2, 3, 2), 1)])
def test_channel_dropout_zeroes_whole_channels_and_scales_the_rest(name, shape, channel_dims):
    minigrad.manual_seed(0)
    layer = getattr(nn, name)(0.25)
    assert repr(layer) == repr(getattr(torch.nn, name)(0.25))
    x = minigrad.ones(*shape, requires_grad=True)
    output = layer(x)
    values = output.detach().numpy().reshape(shape[:channel_dims] + (-1,))
    per_channel = values[..., :1]
    assert (values == per_channel).all()                          # one draw per channel
    assert set(numpy.unique(per_channel)) <= {0.0, numpy.float32(1 / 0.75)}
    assert 0.1 < (per_channel == 0).mean() < 0.4                  # about p of the channels dropped
    output.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), output.detach().numpy())   # the mask is the gradient
    layer.eval()
    assert layer(x) is x


def test_dropout2d_float32_inplace_and_errors_match_torch():
    x = minigrad.ones(2, 3, 4, 4, dtype=minigrad.float32)
    assert F.dropout2d(x, 0.5).dtype == minigrad.float32
    assert F.dropout2d(x, 0.5, inplace=True) is x
    assert_same_error(lambda: nn.Dropout2d(1.5), lambda: torch.nn.Dropout2d(1.5))
    assert_same_error(lambda: F.dropout1d(minigrad.ones(2, 3, 4, 5)), lambda: torch.nn.functional.dropout1d(
        torch.ones(2, 3, 4, 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda: F.dropout2d(minigrad.ones(3)), lambda: torch.nn.functional.dropout2d(
            torch.ones(3)))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(minigrad.ones(2, 3, 4))


# ---- the MNIST net of pytorch/examples ---------------------------------------------------------------------
def test_mnist_cnn_forward_and_backward_match_torch():
    """Conv2d(1,32,3) > ReLU > Conv2d(32,64,3) > ReLU > MaxPool2d(2) > Dropout > Flatten > Linear > ReLU >
    Dropout > Linear > log_softmax, at a smaller width; dropout off (eval) so the two runs are the same."""
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(
            lib.nn.Conv2d(1, 4, 3), lib.nn.ReLU(), lib.nn.Conv2d(4, 8, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
            lib.nn.Dropout(0.25), lib.nn.Flatten(), lib.nn.Linear(8 * 5 * 5, 16), lib.nn.ReLU(),
            lib.nn.Dropout(0.5), lib.nn.Linear(16, 10), lib.nn.LogSoftmax(dim=1)).double().eval()
    theirs, ours = build(torch), build(minigrad)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    check_module(ours, theirs, [_input((3, 1, 14, 14))])


@pytest.mark.parametrize("pool", ["max_pool1d", "avg_pool1d", "max_pool2d", "avg_pool2d", "max_pool1d unbatched",
                                  "avg_pool2d batched", "max_pool2d indices"])
@pytest.mark.parametrize("contiguous", [True, False])
def test_a_write_to_a_pools_input_stops_backward_as_torchs(pool, contiguous):
    """torch's pooling nodes save their input (1-d pools the input unsqueezed to (N, C, 1, L), the
    view their error names) and take it unbatched as it is: a write to it after the pool stops
    backward with torch's error.  minigrad's pools saved nothing, and backward ran."""
    def action(lib):
        x = lib.tensor(numpy.arange(48.0).reshape(2, 3, 8).astype(numpy.float32), requires_grad=True)
        v = x.clone() if contiguous else x.clone().transpose(0, 1)
        F = lib.nn.functional
        out = {"max_pool1d": lambda: F.max_pool1d(v, 2), "avg_pool1d": lambda: F.avg_pool1d(v, 2),
               "max_pool2d": lambda: F.max_pool2d(v, 2), "avg_pool2d": lambda: F.avg_pool2d(v, 2),
               "max_pool1d unbatched": lambda: F.max_pool1d(v[0], 2),
               "avg_pool2d batched": lambda: F.avg_pool2d(v[None], 2),
               "max_pool2d indices": lambda: F.max_pool2d(v, 2, return_indices=True)[0]}[pool]()
        v.mul_(2)
        out.sum().backward()
    expected, actual = run_both(action)
    assert "modified by an inplace operation" in expected
    assert actual == expected
