"""The parity harness itself: it must pass correct ops and catch wrong ones."""
import numpy
import pytest
import torch

import minigrad
from minigrad.autograd import gradcheck
from minigrad.core.function import Function
from minigrad.testing import assert_matches_torch, from_torch, to_torch


class Square(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return 2 * x * grad_output


class SquareWithWrongGradient(Square):
    def backward(self, grad_output):
        (x,) = self.saved_tensors
        return x * grad_output                    # d(x^2)/dx is 2x, not x


class SquareWithWrongValues(Square):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x + 1e-6                       # off by far more than float64 rounding


class SquareInFloat64(Square):
    def forward(self, x):
        self.save_for_backward(x)
        return (x * x).astype(numpy.float64)      # float32 in, float64 out: a dtype bug


class Centre(Function):
    """``x - mean(x)``; its gradient is ``g - mean(g)``."""

    def forward(self, x):
        return x - x.mean()

    def backward(self, grad_output):
        return grad_output - grad_output.mean()


class CentreWithZeroGradient(Centre):
    """Wrong, yet right for ``.sum()``: ``ones - mean(ones)`` is zero too."""

    def backward(self, grad_output):
        return grad_output * 0


def torch_square(x):
    return x * x


# ---- assert_matches_torch ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_passes_on_a_correct_op(dtype):
    ours, theirs = assert_matches_torch(Square.apply, [(3, 4)], torch_fn=torch_square, dtype=dtype)
    assert isinstance(ours, minigrad.Tensor) and isinstance(theirs, torch.Tensor)
    assert_matches_torch(lambda a, b: a * b + a / (b + 3.0), [(2, 3), (3,)], dtype=dtype, low=0.5)


def test_fails_on_a_wrong_gradient():
    with pytest.raises(AssertionError, match="gradient of input 0 differs from torch"):
        assert_matches_torch(SquareWithWrongGradient.apply, [(3, 4)], torch_fn=torch_square)


def test_fails_on_wrong_values():
    with pytest.raises(AssertionError, match="output 0 differs from torch"):
        assert_matches_torch(SquareWithWrongValues.apply, [(3, 4)], torch_fn=torch_square)


def test_fails_on_a_wrong_dtype():
    with pytest.raises(AssertionError, match="dtype float64 != torch's float32"):
        assert_matches_torch(SquareInFloat64.apply, [(3,)], torch_fn=torch_square, dtype="float32")


def test_fails_on_a_wrong_shape():
    with pytest.raises(AssertionError, match="shape"):
        assert_matches_torch(lambda x: x * 1.0 if isinstance(x, torch.Tensor) else (x * 1.0).sum(),
                             [(3,)])


def test_fails_on_a_different_number_of_outputs():
    with pytest.raises(AssertionError, match="outputs"):
        assert_matches_torch(lambda x: x * 1.0, [(3,)], torch_fn=lambda x: (x * 1.0, x * 2.0))


def test_random_output_weights_catch_a_gradient_that_sum_would_miss():
    # a plain x.sum() backward sees ones - mean(ones) = 0 from both backwards
    x = minigrad.tensor(numpy.arange(4.0), requires_grad=True)
    CentreWithZeroGradient.apply(x).sum().backward()
    assert x.grad.tolist() == [0.0] * 4
    assert_matches_torch(Centre.apply, [(4,)], torch_fn=lambda t: t - t.mean())
    with pytest.raises(AssertionError, match="gradient of input 0"):
        assert_matches_torch(CentreWithZeroGradient.apply, [(4,)], torch_fn=lambda t: t - t.mean())


def test_fails_when_minigrad_gives_no_gradient():
    with pytest.raises(AssertionError, match="minigrad gave no gradient"):
        assert_matches_torch(lambda a, b: a * b.detach() if isinstance(a, minigrad.Tensor) else a * b,
                             [(3,), (3,)])


def test_explicit_inputs_and_python_numbers():
    values = numpy.array([-1.5, 0.0, 2.0])
    assert_matches_torch(lambda x, power: x ** power, inputs=[values, 2])
    with pytest.raises(AssertionError):
        assert_matches_torch(lambda x, power: x ** power if isinstance(x, torch.Tensor) else x ** 3,
                             inputs=[values, 2])


def test_tolerances_are_per_dtype():
    # float32 rounding passes at float32's tolerance; the same gap fails in float64
    nudged = lambda x: x * (1 + 1e-7) if isinstance(x, minigrad.Tensor) else x   # noqa: E731
    assert_matches_torch(nudged, [(3,)], dtype="float32")
    with pytest.raises(AssertionError):
        assert_matches_torch(nudged, [(3,)], dtype="float64")


def test_conversions_round_trip():
    x = minigrad.tensor([[1.5, -2.0]], requires_grad=True)
    converted = to_torch(x)
    assert converted.requires_grad and converted.tolist() == [[1.5, -2.0]]
    assert converted.dtype == torch.float32
    back = from_torch(converted)
    assert back.requires_grad and back.tolist() == [[1.5, -2.0]] and back.dtype == minigrad.float32


# ---- gradcheck --------------------------------------------------------------------------------
def float64_input(*shape, seed=0):
    values = numpy.random.default_rng(seed).uniform(0.5, 2.0, size=shape)
    return minigrad.tensor(values, requires_grad=True)


@pytest.mark.parametrize("fn", [
    Square.apply,
    Centre.apply,
    lambda x: x * x / (x + 1.0) - 3.0 ** x,
    lambda x: (x ** 2.5) % 1.7,
], ids=["square", "centre", "composite", "pow_remainder"])
def test_gradcheck_passes_on_correct_ops(fn):
    assert gradcheck(fn, (float64_input(3, 4),))


def test_gradcheck_with_several_inputs():
    assert gradcheck(lambda a, b: a * b + a / b, (float64_input(2, 3), float64_input(3, seed=1)))


@pytest.mark.parametrize("wrong", [SquareWithWrongGradient, CentreWithZeroGradient])
def test_gradcheck_raises_on_a_wrong_backward(wrong):
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(wrong.apply, (float64_input(3, 4),))
    assert gradcheck(wrong.apply, (float64_input(3, 4),), raise_exception=False) is False


def test_gradcheck_needs_float64():
    with pytest.raises(ValueError, match="float64"):
        gradcheck(Square.apply, (minigrad.ones(3, requires_grad=True),))


def test_gradcheck_leaves_inputs_unchanged():
    x = float64_input(5)
    before = x.tolist()
    gradcheck(Square.apply, (x,))
    assert x.tolist() == before and x.grad is None
