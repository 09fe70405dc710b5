"""nn.utils gradient clipping and parameter vectors against torch."""
import math

import numpy
import pytest
import torch

import minigrad
from minigrad.nn import utils

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def make_params(dtype="float64", scale=1.0, without_grad=()):
    """The same parameters with the same gradients, in minigrad and in torch."""
    rng = numpy.random.default_rng(1)
    ours, theirs = [], []
    for index, shape in enumerate(SHAPES):
        value = rng.standard_normal(shape).astype(dtype)
        grad = (scale * rng.standard_normal(shape)).astype(dtype)
        mine = minigrad.tensor(value, requires_grad=True)
        reference = torch.tensor(value, requires_grad=True)
        if index not in without_grad:
            mine.grad = minigrad.tensor(grad)
            reference.grad = torch.from_numpy(grad.copy())
        ours.append(mine)
        theirs.append(reference)
    return ours, theirs


def assert_same_grads(ours, theirs, rtol, atol):
    for mine, reference in zip(ours, theirs):
        if reference.grad is None:
            assert mine.grad is None
            continue
        numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, math.inf, -math.inf, 0, "inf"])
@pytest.mark.parametrize("max_norm", [0.3, 1e6])
def test_clip_grad_norm_matches_torch(dtype, rtol, norm_type, max_norm):
    ours, theirs = make_params(dtype, without_grad=(1,))
    our_total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(our_total, minigrad.Tensor) and our_total.shape == ()
    assert our_total.dtype.name == str(their_total.dtype)[6:]
    numpy.testing.assert_allclose(our_total.item(), their_total.item(), rtol=rtol)
    assert_same_grads(ours, theirs, rtol, 1e-7)


def test_clipped_gradients_have_the_requested_norm():
    ours, _ = make_params(scale=10.0)
    before = utils.clip_grad_norm_(ours, 1.0).item()
    assert before > 1.0
    after = utils.get_total_norm([p.grad for p in ours]).item()
    assert after == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_accepts_one_tensor_and_generators():
    ours, theirs = make_params()
    total = utils.clip_grad_norm_(ours[0], 0.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 0.5)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    ours, theirs = make_params()
    assert utils.clip_grad_norm_((p for p in ours), 0.5).item() == \
        pytest.approx(torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.5).item(), rel=1e-12)
    with pytest.warns(UserWarning, match="empty generator"):
        utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_without_gradients_returns_zero():
    ours, theirs = make_params(without_grad=(0, 1, 2))
    total = utils.clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total.item() == expected.item() == 0.0
    assert total.dtype == minigrad.float32


def test_non_finite_norm_raises_torchs_error_or_spreads_nan():
    ours, theirs = make_params()
    ours[0].grad.array[0, 0] = numpy.nan
    theirs[0].grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError) as their_error:
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as our_error:
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert str(our_error.value) == str(their_error.value)
    assert not numpy.isnan(ours[1].grad.numpy()).any(), "an error must leave the gradients alone"
    total = utils.clip_grad_norm_(ours, 1.0)
    assert math.isnan(total.item()) and numpy.isnan(ours[1].grad.numpy()).all()


def test_infinite_gradient_with_inf_norm():
    ours, theirs = make_params()
    ours[2].grad.array[0, 0, 0] = numpy.inf
    theirs[2].grad[0, 0, 0] = float("inf")
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ours, 1.0, norm_type="inf", error_if_nonfinite=True)
    assert utils.clip_grad_norm_(ours, 1.0, norm_type="inf").item() == \
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type="inf").item() == math.inf


def test_clip_grad_norm_changes_the_gradient_arrays_in_place():
    ours, _ = make_params(scale=10.0)
    arrays = [p.grad.array for p in ours]
    utils.clip_grad_norm_(ours, 1.0)
    assert all(p.grad.array is array for p, array in zip(ours, arrays))


def test_clip_grads_with_norm_and_get_total_norm_match_torch():
    ours, theirs = make_params()
    our_norm = utils.get_total_norm([p.grad for p in ours], 3.0)
    their_norm = torch.nn.utils.get_total_norm([p.grad for p in theirs], 3.0)
    assert our_norm.item() == pytest.approx(their_norm.item(), rel=1e-12)
    utils.clip_grads_with_norm_(ours, 0.7, our_norm)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.7, their_norm)
    assert_same_grads(ours, theirs, 1e-12, 1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.1, 1, 5.0])
def test_clip_grad_value_matches_torch(dtype, clip_value):
    ours, theirs = make_params(dtype, without_grad=(2,))
    assert utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_same_grads(ours, theirs, 0, 0)
    assert numpy.abs(ours[0].grad.numpy()).max() <= clip_value


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    ours, theirs = make_params()
    our_vector = utils.parameters_to_vector(ours)
    their_vector = torch.nn.utils.parameters_to_vector(theirs)
    numpy.testing.assert_array_equal(our_vector.detach().numpy(), their_vector.detach().numpy())
    weights = numpy.arange(our_vector.shape[0], dtype="float64")
    for param in ours:
        param.grad = None
    (our_vector * minigrad.tensor(weights)).sum().backward()
    offset = 0
    for param in ours:       # d sum(vector * weights) / d param = param's slice of the weights
        expected = weights[offset:offset + param.numel()].reshape(tuple(param.shape))
        numpy.testing.assert_array_equal(param.grad.numpy(), expected)
        offset += param.numel()


def test_vector_to_parameters_matches_torch_and_shares_memory():
    ours, theirs = make_params()
    count = sum(p.numel() for p in ours)
    values = numpy.linspace(-1.0, 1.0, count)
    vector = minigrad.tensor(values)
    utils.vector_to_parameters(vector, ours)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(values.copy()), theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        numpy.testing.assert_array_equal(mine.detach().numpy(), reference.detach().numpy())
    vector.array[0] = 42.0
    assert ours[0].detach().numpy()[0, 0] == 42.0


def test_vector_to_parameters_needs_a_tensor():
    ours, _ = make_params()
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        utils.vector_to_parameters([1.0], ours)
