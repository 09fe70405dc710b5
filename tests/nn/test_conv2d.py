"""Conv2d / F.conv2d (and Conv3d) against torch: outputs, input and parameter gradients (torch's weights
copied in, random output weighting) over the options, float32, odd sizes, batch 0 and 1, unbatched input,
finite-difference gradchecks of the node, init, reprs and torch's errors."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch, gradcheck
from _nn_parity import assert_same_error, check_module, make_pair


def _input(shape, dtype="float64", seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape).astype(dtype)


# each line adds one thing: an option, or an option on one dim only (the other keeps its default)
CONV2D_OPTIONS = [
    {}, {"stride": 2}, {"stride": (2, 1)}, {"padding": 1}, {"padding": (2, 0)}, {"dilation": 2},
    {"dilation": (2, 1), "padding": (0, 1), "stride": (1, 3)}, {"padding": "same"},
    {"padding": "same", "dilation": (1, 2)}, {"padding": "valid", "stride": 3}, {"groups": 2, "padding": 1},
    {"groups": 4, "stride": 2}, {"bias": False, "padding": 1},
    {"padding": (1, 2), "padding_mode": "reflect"}, {"padding": "same", "padding_mode": "replicate"},
    {"padding": (2, 1), "padding_mode": "circular", "stride": 2}]


@pytest.mark.parametrize("options", CONV2D_OPTIONS)
@pytest.mark.parametrize("kernel_size", [3, (2, 3)])
def test_conv2d_module_matches_torch(options, kernel_size):
    ours, theirs = make_pair("Conv2d", 4, 8, kernel_size, **options)
    check_module(ours, theirs, [_input((2, 4, 9, 8))])


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1}, {"groups": 4, "dilation": 2},
                                     {"padding": "same", "padding_mode": "reflect"}])
def test_conv2d_float32_stays_float32_and_matches_torch(options):
    ours, theirs = make_pair("Conv2d", 4, 6 if "groups" not in options else 8, 3, dtype="float32", **options)
    outputs, _ = check_module(ours, theirs, [_input((3, 4, 11, 10), "float32")])
    assert outputs[0].dtype == minigrad.float32 and ours.weight.grad.dtype == minigrad.float32


def test_depthwise_then_pointwise_matches_torch():
    """The MobileNet block: groups == in_channels (depthwise, channel multiplier 2), then a 1x1 conv."""
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(3, 6, 3, padding=1, groups=3), lib.nn.Conv2d(6, 5, 1)).double()
    theirs, ours = build(torch), build(minigrad)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    check_module(ours, theirs, [_input((2, 3, 7, 6))])


@pytest.mark.parametrize("shape", [(1, 3, 5, 7), (0, 3, 5, 7), (3, 5, 7)], ids=["batch1", "batch0", "unbatched"])
def test_conv2d_batch_sizes_match_torch(shape):
    ours, theirs = make_pair("Conv2d", 3, 4, (3, 2), stride=(1, 2), padding=1)
    check_module(ours, theirs, [_input(shape)])


def test_conv2d_one_pixel_input_and_1x1_kernel_match_torch():
    ours, theirs = make_pair("Conv2d", 3, 2, 1)
    check_module(ours, theirs, [_input((2, 3, 1, 1))])
    ours, theirs = make_pair("Conv2d", 3, 2, 3, padding=1)
    check_module(ours, theirs, [_input((2, 3, 1, 1))])


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), ((2, 1), (1, 2), (1, 2), 2),
                                                               ([3], "same", 1, 1), (2, [1], [2], 2)])
def test_functional_conv2d_matches_torch(stride, padding, dilation, groups):
    if padding == "same":
        stride = 1
    assert_matches_torch(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                         [(2, 4, 9, 7), (6, 4 // groups, 3, 2), (6,)],
                         torch_fn=lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding, dilation,
                                                                             groups))


def test_functional_conv2d_without_bias_and_input_gradient_only():
    x = _input((2, 3, 6, 6))
    weight = _input((4, 3, 3, 3), seed=1)
    ours = minigrad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    grad = _input((2, 4, 4, 4), seed=2)
    F.conv2d(ours, minigrad.tensor(weight)).backward(minigrad.tensor(grad))
    torch.nn.functional.conv2d(theirs, torch.tensor(weight)).backward(torch.tensor(grad))
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"stride": (2, 1), "padding": (1, 2)}, {"dilation": 2, "groups": 2},
                                    {"padding": "same"}])
def test_conv2d_gradcheck(kwargs):
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 4, 6, 5)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((4, 4 // kwargs.get("groups", 1), 3, 2)), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kwargs), (x, w, b))


def test_gradcheck_catches_a_wrong_conv2d_gradient(monkeypatch):
    """The oracle can fail: a weight gradient off by a factor is reported."""
    from minigrad.nn._functional import conv
    backward = conv.Convolution.backward

    def wrong(self, grad_output):
        grads = list(backward(self, grad_output))
        grads[1] = grads[1] * 1.01
        return tuple(grads)
    monkeypatch.setattr(conv.Convolution, "backward", wrong)
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    assert not gradcheck(lambda x, w: F.conv2d(x, w), (x, w), raise_exception=False)


@pytest.mark.parametrize("options", [{}, {"stride": (1, 2, 2), "padding": 1, "groups": 2},
                                     {"padding": "same", "dilation": (2, 1, 1), "padding_mode": "circular"}])
def test_conv3d_module_matches_torch(options):
    ours, theirs = make_pair("Conv3d", 2, 4, (2, 3, 2), **options)
    check_module(ours, theirs, [_input((2, 2, 5, 6, 4))])


def test_conv2d_init_follows_torch_bounds():
    layer = nn.Conv2d(16, 32, (3, 5), groups=2)
    bound = 1 / numpy.sqrt(8 * 3 * 5)      # kaiming_uniform_(a=sqrt(5)) on fan_in = C_in / groups * KH * KW
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert weight.shape == (32, 8, 3, 5) and weight.dtype == numpy.float32
    assert numpy.abs(weight).max() <= bound and numpy.abs(weight).max() > 0.9 * bound
    assert numpy.abs(bias).max() <= bound and numpy.abs(bias).max() > 0.5 * bound
    assert abs(weight.std() - bound / numpy.sqrt(3)) < 0.1 * bound
    assert list(layer.state_dict()) == list(torch.nn.Conv2d(16, 32, (3, 5), groups=2).state_dict())
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("args, kwargs", [
    ((3, 4, 3), {}), ((3, 4, (3, 2)), {"stride": (2, 1), "padding": "valid", "bias": False}),
    ((4, 4, 3), {"padding": "same", "dilation": 2, "groups": 2, "padding_mode": "reflect"}),
    ((2, 6, 5), {"padding": (2, 1)}), ((2, 6, 5), {"padding": 0, "dilation": (1, 1)})])
def test_conv2d_repr_and_attributes_match_torch(args, kwargs):
    ours, theirs = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    for name in ("kernel_size", "stride", "padding", "dilation", "output_padding", "groups", "transposed",
                 "_reversed_padding_repeated_twice"):
        assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 5, 8, 8), (4, 3, 3, 3), {}), ((2, 6, 8, 8), (4, 2, 3, 3), {"groups": 2}),
    ((2, 6, 8, 8), (5, 3, 3, 3), {"groups": 2}), ((2, 6, 8, 8), (1, 3, 3, 3), {"groups": 2}),
    ((2, 3, 2, 8), (4, 3, 3, 3), {}), ((2, 3, 5, 5), (4, 3, 3, 3), {"dilation": 3}),
    ((2, 3, 8), (4, 3, 3, 3), {}), ((2, 3, 8, 8, 3), (4, 3, 3, 3), {}), ((8, 8), (4, 3, 3, 3), {}),
    ((2, 3, 8, 8), (4, 3, 3), {}), ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": (1, 2, 3)}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 0}), ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": -1}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"dilation": (1, 0)}), ((2, 3, 8, 8), (4, 3, 3, 3), {"dilation": -1}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"dilation": 0, "groups": 2}), ((2, 3, 8, 8), (4, 3, 3, 3), {"groups": 0}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 2, "padding": "same"}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": "full"})])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv2d_errors_match_torch(x_shape, w_shape, kwargs, dtype):
    x, w = numpy.zeros(x_shape, dtype), numpy.zeros(w_shape, dtype)
    assert_same_error(lambda: F.conv2d(minigrad.tensor(x), minigrad.tensor(w), **kwargs),
                      lambda: torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), **kwargs))


@pytest.mark.parametrize("x_dtype, w_dtype, b_shape, b_dtype", [
    ("float32", "float64", None, None), ("float64", "float64", (3,), "float64"),
    ("float32", "float32", (4,), "float64"), ("float64", "float64", (4, 1), "float64")])
def test_conv2d_dtype_and_bias_errors_match_torch(x_dtype, w_dtype, b_shape, b_dtype):
    x, w = numpy.zeros((2, 3, 5, 5), x_dtype), numpy.zeros((4, 3, 3, 3), w_dtype)
    b = None if b_shape is None else numpy.zeros(b_shape, b_dtype)

    def call(lib, functional):
        return lambda: functional.conv2d(lib.tensor(x), lib.tensor(w), None if b is None else lib.tensor(b))
    assert_same_error(call(minigrad, F), call(torch, torch.nn.functional))


@pytest.mark.parametrize("args, kwargs", [((3, 4, 3), {"groups": 2}), ((4, 3, 3), {"groups": 2}),
                                          ((4, 4, 3), {"groups": 0}), ((3, 4, 3), {"padding": "foo"}),
                                          ((3, 4, 3), {"padding_mode": "wrap"}),
                                          ((3, 4, 3), {"padding": "same", "stride": (1, 2)})])
def test_conv2d_constructor_errors_match_torch(args, kwargs):
    assert_same_error(lambda: nn.Conv2d(*args, **kwargs), lambda: torch.nn.Conv2d(*args, **kwargs))


@pytest.mark.parametrize("shape, kwargs", [((1, 4, 1, 5), {"padding": 2, "padding_mode": "circular"}),
                                           ((1, 4, 2, 5), {"padding": 2, "padding_mode": "reflect"})])
def test_conv2d_padding_mode_errors_match_torch(shape, kwargs):
    ours, theirs = make_pair("Conv2d", 4, 4, 3, **kwargs)
    x = numpy.zeros(shape)
    assert_same_error(lambda: ours(minigrad.tensor(x)), lambda: theirs(torch.tensor(x)))


@pytest.mark.parametrize("batch, kernel, stride", [
    (1, (1,), 1), (1, (3,), 1), (2, (1,), 1), (1, (1,), 2), (16, (1, 1), 1), (1, (1, 1), 1), (1, (1, 3), 1),
    (1, (4, 4), 1), (2, (2, 2), 2), (1, (1, 1, 1), 1), (2, (2, 2, 2), 1)])
@pytest.mark.parametrize("x_dtype, w_dtype", [("float32", "float64"), ("float64", "float32"), ("float16", "float32")])
def test_conv_dtype_mismatch_is_worded_by_the_kernel_torch_picks(batch, kernel, stride, x_dtype, w_dtype):
    """torch (one thread, as the suite runs it) words the error by whether oneDNN takes the
    convolution: float32 with a non-1x1 kernel, a stride or a batch > 1, and float16 always."""
    x = numpy.ones((batch, 2) + (6,) * len(kernel), x_dtype)
    w = numpy.ones((2, 2) + kernel, w_dtype)

    def call(lib, functional):
        return lambda: getattr(functional, f"conv{len(kernel)}d")(lib.tensor(x), lib.tensor(w), stride=stride)
    assert_same_error(call(minigrad, F), call(torch, torch.nn.functional))

