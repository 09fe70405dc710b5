"""create_graph=True through nn.functional and modules: second derivatives equal torch's (float64)."""
import numpy
import pytest
import torch

import minigrad
from _higher_order import assert_second_order_matches_torch

ACTIVATIONS = {
    "gelu": {}, "gelu_tanh": {"approximate": "tanh"}, "silu": {}, "mish": {}, "softplus": {},
    "softplus_beta": {"beta": 2.0, "threshold": 1.0}, "logsigmoid": {}, "elu": {}, "selu": {}, "celu": {},
    "leaky_relu": {"negative_slope": 0.1}, "hardtanh": {}, "hardsigmoid": {}, "hardswish": {},
    "softsign": {}, "tanhshrink": {}, "relu6": {},
}
# torch 2.13 has no double backward for these ("derivative for aten::hardsigmoid_backward is not
# implemented"); minigrad's is checked against finite differences instead
TORCH_HAS_NO_DOUBLE_BACKWARD = {"hardsigmoid"}


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - TORCH_HAS_NO_DOUBLE_BACKWARD))
def test_activation_second_derivative_matches_torch(name):
    options = dict(ACTIVATIONS[name])
    function = name.replace("_tanh", "").replace("_beta", "")
    assert_second_order_matches_torch(
        lambda lib, x, w: getattr(lib.nn.functional, function)(x * w, **options), [(3, 5), (3, 5)], -2.5, 2.5)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_second_derivative_matches_torch(bias):
    assert_second_order_matches_torch(
        lambda lib, x, w, b: lib.nn.functional.linear(x * x, w, b if bias else None), [(2, 3, 4), (5, 4), (5,)])


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_second_derivative_matches_torch(affine):
    assert_second_order_matches_torch(
        lambda lib, x, w, b: lib.nn.functional.layer_norm(x * x, (4,), w if affine else None,
                                                           b if affine else None),
        [(2, 3, 4), (4,), (4,)])


def test_rms_norm_second_derivative_matches_torch():
    assert_second_order_matches_torch(
        lambda lib, x, w: lib.nn.functional.rms_norm(x, (3, 4), w, eps=1e-6), [(2, 3, 4), (3, 4)])


def _copy(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})


def _gradient_penalty(library, model, x):
    """WGAN-GP: the gradient of (|d model(x) / dx| - 1)^2 with respect to the parameters."""
    x = x.clone().requires_grad_(True)
    output = model(x).sum()
    (grad_x,) = library.autograd.grad(output, x, create_graph=True)
    penalty = ((grad_x.reshape(grad_x.shape[0], -1).norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    return penalty


def test_gradient_penalty_through_an_mlp_matches_torch():
    def build(library):
        nn = library.nn
        library.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8),
                             nn.Linear(8, 1)).double()
    theirs, ours = build(torch), build(minigrad)
    _copy(ours, theirs)
    x = numpy.random.default_rng(0).standard_normal((5, 4))
    mine = _gradient_penalty(minigrad, ours, minigrad.tensor(x))
    reference = _gradient_penalty(torch, theirs, torch.tensor(x))
    numpy.testing.assert_allclose(mine.item(), reference.item(), rtol=1e-10)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert (p.grad is None) == (q.grad is None), name     # the last biases do not reach the penalty
        if q.grad is not None:
            numpy.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def test_hardsigmoid_double_backward_where_torch_has_none():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="hardsigmoid_backward is not implemented"):
        grad.sum().backward()
    ours = minigrad.tensor([0.5, -1.0, 2.0, 3.5], dtype=minigrad.float64, requires_grad=True)
    assert minigrad.autograd.gradgradcheck(minigrad.nn.functional.hardsigmoid, [ours])
