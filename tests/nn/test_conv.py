"""Conv1d / F.conv1d and the 1-d pooling layers against torch: outputs, input and parameter
gradients (torch's weights copied in), every option, init statistics, reprs and errors."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch
from _nn_parity import assert_same_error, check_module, make_pair


def _input(shape, dtype="float64", seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape).astype(dtype)


CONV_OPTIONS = [{}, {"stride": 2}, {"padding": 2}, {"padding": 1, "dilation": 2}, {"padding": "same"},
                {"padding": "same", "dilation": 3}, {"padding": "valid", "stride": 3}, {"groups": 2, "padding": 1},
                {"groups": 4, "stride": 2}, {"bias": False}, {"padding": 2, "padding_mode": "reflect"},
                {"padding": "same", "padding_mode": "replicate"}, {"padding": 1, "padding_mode": "circular"}]


@pytest.mark.parametrize("options", CONV_OPTIONS)
@pytest.mark.parametrize("kernel_size", [3, 4])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv1d_module_matches_torch(options, kernel_size, dtype):
    ours, theirs = make_pair("Conv1d", 4, 8, kernel_size, dtype=dtype, **options)
    check_module(ours, theirs, [_input((3, 4, 13), dtype)])


def test_conv1d_unbatched_input_matches_torch():
    ours, theirs = make_pair("Conv1d", 3, 5, 2, stride=2)
    check_module(ours, theirs, [_input((3, 9))])


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), ((2,), (1,), (2,)), (3, "same", 1)])
def test_functional_conv1d_matches_torch(stride, padding, dilation):
    if padding == "same" and stride != 1:
        stride = 1
    assert_matches_torch(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, 2), [(2, 6, 12), (4, 3, 3), (4,)],
                         torch_fn=lambda x, w, b: torch.nn.functional.conv1d(x, w, b, stride, padding, dilation, 2))


def test_conv1d_init_follows_torch_bounds():
    layer = nn.Conv1d(16, 32, 5)
    bound = 1 / numpy.sqrt(16 * 5)      # kaiming_uniform_(a=sqrt(5)) on fan_in = C_in * K
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert weight.shape == (32, 16, 5) and numpy.abs(weight).max() <= bound and numpy.abs(weight).max() > 0.9 * bound
    assert numpy.abs(bias).max() <= bound
    assert abs(weight.std() - bound / numpy.sqrt(3)) < 0.1 * bound
    assert list(layer.state_dict()) == list(torch.nn.Conv1d(16, 32, 5).state_dict())


@pytest.mark.parametrize("args, kwargs", [((3, 4, 3), {}), ((3, 4, 3), {"stride": 2, "padding": "valid", "bias": False}),
                                          ((4, 4, 3), {"padding": "same", "dilation": 2, "groups": 2,
                                                       "padding_mode": "reflect"}), ((2, 6, (5,)), {"padding": 2})])
def test_conv1d_repr_matches_torch(args, kwargs):
    assert repr(nn.Conv1d(*args, **kwargs)) == repr(torch.nn.Conv1d(*args, **kwargs))


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [((2, 5, 10), (4, 3, 3), {}), ((2, 6, 10), (4, 2, 3), {"groups": 2}),
                                                      ((2, 3, 2), (4, 3, 3), {}), ((2, 3, 10, 3), (4, 3, 3), {}),
                                                      ((2, 3, 10), (4, 3, 3), {"stride": 2, "padding": "same"}),
                                                      ((2, 3, 4), (4, 3, 3), {"dilation": 2})])
def test_conv1d_errors_match_torch(x_shape, w_shape, kwargs):
    x, w = numpy.zeros(x_shape), numpy.zeros(w_shape)
    assert_same_error(lambda: F.conv1d(minigrad.tensor(x), minigrad.tensor(w), **kwargs),
                      lambda: torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), **kwargs))


@pytest.mark.parametrize("args, kwargs", [((3, 4, 3), {"groups": 2}), ((4, 3, 3), {"groups": 2}),
                                          ((3, 4, 3), {"padding": "foo"}), ((3, 4, 3), {"padding_mode": "wrap"}),
                                          ((3, 4, 3), {"padding": "same", "stride": 2})])
def test_conv1d_constructor_errors_match_torch(args, kwargs):
    assert_same_error(lambda: nn.Conv1d(*args, **kwargs), lambda: torch.nn.Conv1d(*args, **kwargs))


# ---- pooling ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, kwargs", [
    ("MaxPool1d", (3,), {}), ("MaxPool1d", (3, 2, 1), {}), ("MaxPool1d", (2,), {"dilation": 2, "ceil_mode": True}),
    ("MaxPool1d", (4, 3, 2), {"ceil_mode": True}), ("AvgPool1d", (3,), {}), ("AvgPool1d", (3, 2, 1), {}),
    ("AvgPool1d", (4, 1, 2), {"count_include_pad": False}), ("AdaptiveMaxPool1d", (1,), {}),
    ("AdaptiveMaxPool1d", (4,), {}), ("AdaptiveAvgPool1d", (1,), {}), ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveAvgPool1d", (11,), {})])
@pytest.mark.parametrize("shape", [(2, 3, 11), (3, 11)])
def test_pooling_modules_match_torch(name, args, kwargs, shape):
    ours, theirs = make_pair(name, *args, **kwargs)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [_input(shape)])


@pytest.mark.parametrize("kwargs", [{"kernel_size": 3}, {"kernel_size": 3, "stride": 2, "padding": 1},
                                    {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}])
def test_max_pool1d_indices_match_torch(kwargs):
    x = _input((2, 3, 11))
    ours = F.max_pool1d(minigrad.tensor(x), return_indices=True, **kwargs)
    theirs = torch.nn.functional.max_pool1d(torch.tensor(x), return_indices=True, **kwargs)
    numpy.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    assert ours[1].dtype == minigrad.int64


@pytest.mark.parametrize("output_size", [1, 3, 4])
def test_adaptive_max_pool1d_indices_match_torch(output_size):
    x = _input((2, 3, 10))
    ours = F.adaptive_max_pool1d(minigrad.tensor(x), output_size, return_indices=True)
    theirs = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x), output_size, return_indices=True)
    numpy.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_max_pool1d_gradient_goes_to_the_first_of_tied_maxima():
    x = numpy.array([[[1.0, 3.0, 3.0, 0.0, 2.0, 2.0]]])
    ours, theirs = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool1d(ours, 3, 1).sum().backward()
    torch.nn.functional.max_pool1d(theirs, 3, 1).sum().backward()
    numpy.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("fn, args, shape", [("max_pool1d", (3, 1, 2), (2, 3, 10)), ("max_pool1d", (3,), (2, 3, 2)),
                                             ("max_pool1d", (3,), (2, 3, 4, 10)), ("avg_pool1d", (3, 1, 2), (2, 3, 10)),
                                             ("avg_pool1d", (3,), (2, 3, 4, 10))])
def test_pooling_errors_match_torch(fn, args, shape):
    x = numpy.zeros(shape)
    assert_same_error(lambda: getattr(F, fn)(minigrad.tensor(x), *args),
                      lambda: getattr(torch.nn.functional, fn)(torch.tensor(x), *args))


def test_text_cnn_pipeline_matches_torch():
    """Embedding -> Conv1d -> ReLU -> AdaptiveMaxPool1d(1) -> Linear, as text-CNN tutorials write it."""
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv1d(6, 5, 3, padding=1), lib.nn.ReLU(), lib.nn.AdaptiveMaxPool1d(1),
                                 lib.nn.Flatten(), lib.nn.Linear(5, 2)).double()
    theirs = build(torch)
    ours = build(minigrad)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    check_module(ours, theirs, [_input((4, 6, 9))])


@pytest.mark.parametrize("input_shape", [(2, 0, 5), (0, 5), (0, 0, 5)])
def test_conv1d_with_no_input_channels_gives_out_channels_of_bias(input_shape):
    """torch's eager convolution returns 0 channels here (a known torch bug, tests/fuzz/known.py);
    the right output has out_channels channels, each the bias (the sum over no channels is 0),
    as torch computes it as a product over the channel dim (kernel size 1: an einsum)."""
    rng = numpy.random.default_rng(0)
    weight, bias = rng.standard_normal((3, 0, 1)), rng.standard_normal(3)
    x = numpy.zeros(input_shape)
    batched = x if x.ndim == 3 else x[None]
    expected = torch.einsum("ncl,dc->ndl", torch.tensor(batched), torch.tensor(weight[..., 0]))
    expected = (expected + torch.tensor(bias)[:, None]).numpy()
    expected = expected if x.ndim == 3 else expected[0]
    tensors = [minigrad.tensor(array, requires_grad=True) for array in (x, weight, bias)]
    output = minigrad.nn.functional.conv1d(*tensors)
    numpy.testing.assert_allclose(output.detach().numpy(), expected, rtol=0, atol=0)
    output.sum().backward()
    assert tensors[1].grad.shape == tensors[1].shape
    numpy.testing.assert_allclose(tensors[2].grad.numpy(), numpy.full(3, expected.size / 3))


@pytest.mark.parametrize("name, x_shape, w_shape, padding", [
    ("conv1d", (2, 0), (2, 2, 2), 1), ("conv1d", (1, 2, 0), (2, 2, 2), 1), ("conv2d", (1, 2, 0, 3), (2, 2, 1, 1), 1),
    ("conv_transpose1d", (1, 2, 0), (2, 2, 1), 0), ("conv_transpose2d", (2, 1, 0), (2, 2, 1, 1), 0)])
def test_an_empty_input_with_batch_and_channels_raises_as_torch(name, x_shape, w_shape, padding):
    # torch's 'empty' path takes only an empty batch or no channels
    def run(lib):
        return getattr(lib.nn.functional, name)(lib.zeros(x_shape), lib.zeros(w_shape), padding=padding)
    assert_same_error(lambda: run(minigrad), lambda: run(torch))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_padding_meets_an_infinite_weight_as_torchs_kernel(dtype):
    # oneDNN (float16; float32 here) adds no product for a padded position, torch's own loops
    # (float64) multiply the zero: 0 * inf is NaN only there
    x = numpy.array([[[1.5], [2.0]]] * 20, dtype)
    w = numpy.array([[[1.0, 2.0, 3.0], [numpy.inf, 1.0, 1.0]]], dtype)
    ours = F.conv1d(minigrad.tensor(x), minigrad.tensor(w), padding=1)
    theirs = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), padding=1)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_weight_gradient_skips_padding_as_torchs_onednn_kernel():
    # under oneDNN a padded position adds no product to the weight's gradient either: an infinite
    # output gradient meets no padding zero (0 * inf would be NaN)
    x = numpy.array([[[-0.2], [2.0]], [[-1.2], [1.2]]], "float32")
    w = numpy.array([[[75.4, numpy.nan], [175.2, 0.0]], [[172.1, -150.5], [20.2, 235.4]]], "float32")
    g = numpy.array([[[numpy.inf, 0.5], [1.5, -numpy.inf]], [[0.25, 2.0], [-1.0, 0.75]]], "float32")
    grads = []
    for lib in (minigrad, torch):
        weight = lib.tensor(w, requires_grad=True)
        lib.nn.functional.conv1d(lib.tensor(x), weight, padding=1).backward(lib.tensor(g))
        grads.append(weight.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch", [None, 1, 2, 17])
@pytest.mark.parametrize("out_channels, groups", [(1, 1), (2, 1), (3, 1), (2, 2)])
@pytest.mark.parametrize("bias", [False, True])
def test_a_products_signed_zero_with_an_inner_size_of_one_is_torchs(dtype, batch, out_channels, groups, bias):
    """One input channel per group and a kernel of 1: one product an output element.  torch's gemm
    keeps its -0.0 (not where it is a gemv: one output channel, one position), oneDNN's plain kernel
    adds it to +0, and a bias comes first; NumPy's matmul added every product to +0, and the log
    of a -0.0 output got the gradient -inf's sign wrong (fuzz seed 4999669)."""
    x = numpy.array([[-21.7, 15.1, 2.0, -0.0, 0.0]] * groups)
    x = x if batch is None else numpy.stack([x] * batch)
    w = numpy.full((out_channels, 1, 1), 0.7)
    w[0] = -0.0
    signs = []
    for lib in (torch, minigrad):
        kind = getattr(lib, dtype)
        b = lib.tensor([-0.0] * out_channels, dtype=kind) if bias else None
        output = lib.nn.functional.conv1d(lib.tensor(x, dtype=kind), lib.tensor(w, dtype=kind), b, groups=groups)
        signs.append(numpy.signbit(output.numpy()))
    assert signs[1].tolist() == signs[0].tolist()
