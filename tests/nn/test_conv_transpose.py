"""ConvTranspose1d/2d and F.conv_transpose1d/2d against torch: outputs and every gradient over the options
(stride, padding, output_padding, dilation, groups, bias, output_size), float32, batch 0 and 1,
unbatched input, gradchecks, init, reprs and errors."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck
from _nn_parity import assert_same_error, check_module, make_pair


def _input(shape, dtype="float64", seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape).astype(dtype)


TRANSPOSE_OPTIONS = [{}, {"stride": 2}, {"stride": 2, "padding": 1, "output_padding": 1},
                     {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)},
                     {"dilation": 2, "output_padding": 1}, {"groups": 2, "stride": 2, "padding": 1},
                     {"bias": False, "padding": (0, 1)}]


@pytest.mark.parametrize("options", TRANSPOSE_OPTIONS)
@pytest.mark.parametrize("kernel_size", [3, (2, 3)])
def test_conv_transpose2d_module_matches_torch(options, kernel_size):
    ours, theirs = make_pair("ConvTranspose2d", 4, 6, kernel_size, **options)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [_input((2, 4, 5, 6))])


@pytest.mark.parametrize("options", [{}, {"stride": 3, "padding": 1, "output_padding": 2, "groups": 2},
                                     {"dilation": 2, "bias": False}])
def test_conv_transpose1d_module_matches_torch(options):
    ours, theirs = make_pair("ConvTranspose1d", 4, 6, 3, **options)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [_input((2, 4, 7))])


@pytest.mark.parametrize("shape, dtype", [((1, 4, 5, 6), "float32"), ((0, 4, 5, 6), "float64"),
                                          ((4, 5, 6), "float64"), ((2, 4, 1, 1), "float32")])
def test_conv_transpose2d_float32_and_batch_sizes_match_torch(shape, dtype):
    ours, theirs = make_pair("ConvTranspose2d", 4, 3, 3, stride=2, padding=1, output_padding=1, dtype=dtype)
    outputs, _ = check_module(ours, theirs, [_input(shape, dtype)])
    assert outputs[0].array.dtype == numpy.dtype(dtype)


@pytest.mark.parametrize("output_size", [(9, 11), (10, 12), [1, 6, 10, 11]])
def test_conv_transpose2d_output_size_matches_torch(output_size):
    ours, theirs = make_pair("ConvTranspose2d", 4, 6, 3, stride=2, padding=1)
    x = _input((1, 4, 5, 6))
    mine = ours(minigrad.tensor(x), output_size=output_size)
    reference = theirs(torch.tensor(x), output_size=output_size)
    numpy.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("output_size", [(14, 12), (1, 11, 12)])
def test_conv_transpose2d_output_size_errors_match_torch(output_size):
    ours, theirs = make_pair("ConvTranspose2d", 4, 6, 3, stride=2)
    x = numpy.zeros((1, 4, 5, 5))
    assert_same_error(lambda: ours(minigrad.tensor(x), output_size=output_size),
                      lambda: theirs(torch.tensor(x), output_size=output_size))


@pytest.mark.parametrize("kwargs", [{}, {"stride": (2, 1), "padding": 1, "output_padding": (1, 0)},
                                    {"dilation": 2, "groups": 2}])
def test_conv_transpose2d_gradcheck(kwargs):
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 4, 4, 3)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((4, 3, 3, 2)), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(3 * kwargs.get("groups", 1)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs), (x, w, b))


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>: the defining property, checked without torch."""
    rng = numpy.random.default_rng(1)
    # sizes where the windows end exactly at the padded end, so no output_padding is needed
    x, w = rng.standard_normal((2, 3, 9, 7)), rng.standard_normal((5, 3, 3, 2))
    options = {"stride": (2, 3), "padding": (1, 1), "dilation": (1, 2)}
    y_shape = tuple(F.conv2d(minigrad.tensor(x), minigrad.tensor(w), **options).shape)
    y = rng.standard_normal(y_shape)
    forward = (F.conv2d(minigrad.tensor(x), minigrad.tensor(w), **options).numpy() * y).sum()
    back = F.conv_transpose2d(minigrad.tensor(y), minigrad.tensor(w), output_padding=(0, 0), **options).numpy()
    assert back.shape == x.shape
    assert abs(forward - (x * back).sum()) < 1e-9 * abs(forward)


def test_conv_transpose2d_init_follows_torch_bounds():
    layer = nn.ConvTranspose2d(16, 32, 3, groups=2)
    bound = 1 / numpy.sqrt(16 * 3 * 3)      # fan_in from weight (C_in, C_out / groups, K, K): C_out / groups * K * K
    weight = layer.weight.detach().numpy()
    assert weight.shape == (16, 16, 3, 3)
    assert numpy.abs(weight).max() <= bound and numpy.abs(weight).max() > 0.9 * bound
    assert list(layer.state_dict()) == list(torch.nn.ConvTranspose2d(16, 32, 3, groups=2).state_dict())


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 3, 5, 5), (4, 3, 3, 3), {}), ((2, 4, 5, 5), (4, 3, 3, 3), {"output_padding": 1}),
    ((2, 4, 5, 5), (4, 3, 3, 3), {"stride": 2, "output_padding": (0, 2)}),
    ((2, 4, 5, 5), (4, 3, 3, 3), {"groups": 3}), ((2, 4, 5, 5), (4, 3, 3, 3), {"padding": -1}),
    ((2, 4, 5, 5), (4, 3, 3, 3), {"output_padding": -1}), ((2, 4, 5, 5, 5), (4, 3, 3, 3), {}),
    ((2, 4, 5, 5), (4, 3, 3, 3), {"stride": 0}), ((2, 4, 5, 5), (4, 3, 3, 3), {"padding": "same"})])
def test_conv_transpose2d_errors_match_torch(x_shape, w_shape, kwargs):
    x, w = numpy.zeros(x_shape), numpy.zeros(w_shape)
    assert_same_error(lambda: F.conv_transpose2d(minigrad.tensor(x), minigrad.tensor(w), **kwargs),
                      lambda: torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kwargs))


def test_conv_transpose_errors_of_bias_1d_and_constructor_match_torch():
    x, w = numpy.zeros((2, 4, 5)), numpy.zeros((4, 3, 3))
    assert_same_error(lambda: F.conv_transpose1d(minigrad.tensor(x), minigrad.tensor(w), output_padding=1),
                      lambda: torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w), output_padding=1))
    assert_same_error(lambda: F.conv_transpose1d(minigrad.tensor(x), minigrad.tensor(w), minigrad.zeros(5).double()),
                      lambda: torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w),
                                                                   torch.zeros(5).double()))
    assert_same_error(lambda: nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"),
                      lambda: torch.nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"))
    assert_same_error(lambda: nn.ConvTranspose2d(4, 3, 3, groups=3), lambda: torch.nn.ConvTranspose2d(4, 3, 3, groups=3))


@pytest.mark.parametrize("x_dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("w_dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("b_dtype", ["float16", "float32", "float64"])
def test_conv_transpose_dtype_rules_match_torch(x_dtype, w_dtype, b_dtype):
    """Transposed: the weight must match (worded by oneDNN for float16, else torch's own loops);
    a bias of another dtype is cast, except under oneDNN (float16), which refuses it."""
    outcomes = []
    for lib in (torch, minigrad):
        x = lib.ones(1, 2, 5, dtype=getattr(lib, x_dtype), requires_grad=True)
        w = lib.ones(2, 2, 3, dtype=getattr(lib, w_dtype))
        b = lib.ones(2, dtype=getattr(lib, b_dtype), requires_grad=True)
        try:
            out = lib.nn.functional.conv_transpose1d(x, w, b)
            out.sum().backward()
            outcomes.append((str(out.dtype).split(".")[-1], str(b.grad.dtype).split(".")[-1], out.tolist()))
        except Exception as error:
            outcomes.append(f"{type(error).__name__}: {error}")
    assert outcomes[0] == outcomes[1]
