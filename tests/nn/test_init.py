"""nn.init against torch: fans, gains and errors exactly; distributions statistically.

Values cannot equal torch's (the generators differ), so each test draws a large
tensor and checks bounds, mean and standard deviation against the distribution
torch documents (and, where useful, against torch's own draws).
"""
import math

import numpy
import pytest
import torch

import minigrad
from minigrad import nn
from _nn_parity import torch_error



def _draw(init, shape=(447, 447), dtype=minigrad.float64, **kwargs):
    tensor = nn.Parameter(minigrad.empty(*shape, dtype=dtype))
    result = init(tensor, **kwargs)
    assert result is tensor and tensor.requires_grad and tensor.grad_fn is None
    return tensor.detach().numpy()


def _assert_moments(values, mean, std, spread=6):
    """Mean and std within a few standard errors of the expected ones."""
    n = values.size
    assert abs(values.mean() - mean) < spread * std / math.sqrt(n) + 1e-12
    assert abs(values.std() - std) < spread * std * math.sqrt(2 / n) + 1e-12


# ---- exact parts: gains, fans, errors ------------------------------------------------------------
@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None), ("conv_transpose3d", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("shape", [(3, 5), (7, 2, 3), (4, 6, 3, 3), (2, 3, 1, 2, 5)])
def test_fan_in_and_fan_out_match_torch(shape):
    ours = nn.init._calculate_fan_in_and_fan_out(minigrad.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("action", [
    lambda lib, x: lib.nn.init.kaiming_uniform_(x(3, 3), mode="bad"),
    lambda lib, x: lib.nn.init.kaiming_normal_(x(3), mode="fan_in"),
    lambda lib, x: lib.nn.init.xavier_uniform_(x(3)),
    lambda lib, x: lib.nn.init.calculate_gain("bad"),
    lambda lib, x: lib.nn.init.calculate_gain("leaky_relu", "x"),
    lambda lib, x: lib.nn.init.orthogonal_(x(3)),
    lambda lib, x: lib.nn.init.eye_(x(3)),
    lambda lib, x: lib.nn.init.dirac_(x(3, 3)),
    lambda lib, x: lib.nn.init.dirac_(x(3, 3, 3), groups=2),
])
def test_bad_arguments_raise_torch_errors(action):
    kind, message = torch_error(lambda: action(torch, torch.empty))
    with pytest.raises(kind) as raised:
        action(minigrad, minigrad.empty)
    assert str(raised.value) == message


# ---- simple fills ----------------------------------------------------------------------------------------
def test_constant_ones_zeros_eye_dirac_match_torch():
    for name, args in (("constant_", (0.3,)), ("ones_", ()), ("zeros_", ())):
        ours = getattr(nn.init, name)(nn.Parameter(minigrad.empty(3, 4)), *args)
        theirs = getattr(torch.nn.init, name)(torch.empty(3, 4), *args)
        numpy.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy())
    for shape in ((3, 5), (5, 3)):
        numpy.testing.assert_array_equal(nn.init.eye_(minigrad.empty(*shape)).numpy(),
                                         torch.nn.init.eye_(torch.empty(*shape)).numpy())
    for shape, groups in (((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)):
        numpy.testing.assert_array_equal(nn.init.dirac_(minigrad.empty(*shape), groups).numpy(),
                                         torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())


def test_init_records_no_graph_and_bumps_the_version():
    weight = nn.Parameter(minigrad.zeros(3, 3))
    version = weight._version
    nn.init.normal_(weight)
    assert weight.grad_fn is None and weight.requires_grad and weight._version > version


def test_draws_follow_the_global_seed():
    minigrad.manual_seed(3)
    first = _draw(nn.init.normal_, (5, 5))
    minigrad.manual_seed(3)
    numpy.testing.assert_array_equal(first, _draw(nn.init.normal_, (5, 5)))
    assert not numpy.array_equal(first, _draw(nn.init.normal_, (5, 5)))


# ---- distributions -----------------------------------------------------------------------------------------
def test_uniform_and_normal():
    values = _draw(nn.init.uniform_, a=-2.0, b=3.0)
    assert values.min() >= -2.0 and values.max() < 3.0
    _assert_moments(values, 0.5, 5 / math.sqrt(12))
    _assert_moments(_draw(nn.init.normal_, mean=1.5, std=0.3), 1.5, 0.3)
    float32 = _draw(nn.init.uniform_, dtype=minigrad.float32)
    assert float32.dtype == numpy.float32 and 0 <= float32.min() and float32.max() < 1


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(gain):
    shape = (300, 700)
    fan_in, fan_out = 700, 300
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    values = _draw(nn.init.xavier_uniform_, shape, gain=gain)
    bound = math.sqrt(3.0) * std
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.99 * bound
    _assert_moments(values, 0.0, std)
    _assert_moments(_draw(nn.init.xavier_normal_, shape, gain=gain), 0.0, std)


@pytest.mark.parametrize("a, mode, nonlinearity", [
    (0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"), (0, "fan_out", "relu"),
    (0.2, "fan_out", "leaky_relu"), (0, "fan_in", "tanh"), (0, "FAN_IN", "linear")])
def test_kaiming(a, mode, nonlinearity):
    shape = (400, 125, 2, 2)   # fan_in 500, fan_out 1600
    fan = 500 if mode.lower() == "fan_in" else 1600
    std = nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    values = _draw(nn.init.kaiming_uniform_, shape, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = math.sqrt(3.0) * std
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.99 * bound
    _assert_moments(values, 0.0, std)
    _assert_moments(_draw(nn.init.kaiming_normal_, shape, a=a, mode=mode, nonlinearity=nonlinearity), 0.0, std)


def test_kaiming_on_zero_element_tensor_warns_and_returns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(minigrad.empty(0, 3))


def _truncated_normal_moments(mean, std, a, b):
    """Mean and std of N(mean, std^2) restricted to [a, b] (the textbook formulas)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)   # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))             # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    variance = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift ** 2
    return mean + std * shift, std * math.sqrt(variance)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0),
                                             (1.0, 2.0, 0.5, 4.0), (0.0, 1.0, 2.0, 3.0)])
def test_trunc_normal_has_the_truncated_distribution(mean, std, a, b):
    ours = _draw(nn.init.trunc_normal_, mean=mean, std=std, a=a, b=b)
    assert ours.min() >= a and ours.max() <= b
    _assert_moments(ours, *_truncated_normal_moments(mean, std, a, b))
    theirs = torch.nn.init.trunc_normal_(torch.empty(20, dtype=torch.float64), mean, std, a, b)
    assert theirs.min() >= a and theirs.max() <= b   # the same convention: a and b are absolute bounds


def test_trunc_normal_far_from_the_interval_warns():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        nn.init.trunc_normal_(minigrad.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 4, 5), (8, 8)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = _draw(nn.init.orthogonal_, shape, gain=2.0).reshape(shape[0], -1) / 2.0
    rows, cols = values.shape
    product = values.T @ values if rows >= cols else values @ values.T
    numpy.testing.assert_allclose(product, numpy.eye(min(rows, cols)), atol=1e-10)


# ---- default initialisation of the layers ------------------------------------------------------------------------
def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 500, dtype=minigrad.float64)
    bound = 1 / math.sqrt(400)
    weight = layer.weight.detach().numpy()
    assert weight.min() >= -bound and weight.max() <= bound and weight.max() > 0.99 * bound
    _assert_moments(weight, 0.0, bound / math.sqrt(3))
    bias = layer.bias.detach().numpy()
    assert bias.min() >= -bound and bias.max() <= bound and bias.std() > 0.4 * bound


def test_bilinear_default_init():
    layer = nn.Bilinear(100, 30, 40, dtype=minigrad.float64)
    bound = 1 / math.sqrt(100)
    values = layer.weight.detach().numpy()
    assert values.min() >= -bound and values.max() <= bound
    _assert_moments(values, 0.0, bound / math.sqrt(3))


def test_embedding_default_init_is_standard_normal_with_zero_padding_row():
    layer = nn.Embedding(1000, 200, padding_idx=3, dtype=minigrad.float64)
    values = layer.weight.detach().numpy()
    assert (values[3] == 0).all()
    _assert_moments(numpy.delete(values, 3, axis=0), 0.0, 1.0)
    assert nn.Embedding(10, 4, padding_idx=-1).weight.array[9].tolist() == [0.0] * 4


def test_layer_norm_default_init_is_ones_and_zeros():
    layer = nn.LayerNorm((3, 4))
    assert (layer.weight.array == 1).all() and (layer.bias.array == 0).all()
    assert layer.weight.dtype == minigrad.float32 and nn.RMSNorm(4).weight.array.tolist() == [1.0] * 4


def test_layers_take_device_and_dtype():
    layer = nn.Linear(3, 2, device="cpu", dtype=minigrad.float64)
    assert layer.weight.dtype == minigrad.float64 and layer.bias.device.type == "cpu"
    assert nn.Embedding(3, 2, dtype=minigrad.float64).weight.dtype == minigrad.float64
    assert nn.LayerNorm(3, dtype=minigrad.float64).bias.dtype == minigrad.float64
