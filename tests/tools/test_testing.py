"""The parity harness itself: it must pass correct ops and catch wrong ones."""
import sys

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


class ProductWithWrongSecondGradient(Function):
    """``x * y`` whose gradient for ``y`` is off by one at element 1."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y

    def backward(self, grad_output):
        x, y = self.saved_tensors
        grad_y = grad_output * x
        grad_y[1] += 1.0
        return grad_output * y, grad_y


class TwoOutputsWrongSecond(Function):
    """``(2x, x^2)`` whose second output's gradient forgets the factor 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return 2 * x, x * x

    def backward(self, grad_double, grad_square):
        (x,) = self.saved_tensors
        return 2 * grad_double + x * grad_square


def test_gradcheck_names_the_input_and_the_element_that_are_wrong():
    x, y = float64_input(3), float64_input(3, seed=1)
    with pytest.raises(RuntimeError) as error:
        gradcheck(ProductWithWrongSecondGradient.apply, (x, y))
    message = str(error.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 1,")
    assert "numerical:" in message and "analytical:" in message
    difference = float(message.split("The max per-element difference is: ")[1].split(",")[0])
    assert difference == pytest.approx(1.0, abs=1e-6) and "at input 1[1]" in message


def test_gradcheck_names_the_output_that_is_wrong():
    with pytest.raises(RuntimeError, match="output 1 with respect to input 0"):
        gradcheck(TwoOutputsWrongSecond.apply, (float64_input(2, 2),))


def test_gradcheck_counts_inputs_as_given_even_past_ones_without_grad():
    """The input index is the position in ``inputs``, not among those that require grad."""
    constant = minigrad.ones(3, dtype=minigrad.float64)
    with pytest.raises(RuntimeError, match="with respect to input 2"):
        gradcheck(lambda c, x, y: ProductWithWrongSecondGradient.apply(x, y) * c,
                  (constant, float64_input(3), float64_input(3, seed=1)))


def test_gradcheck_of_a_large_input_skips_the_per_element_report():
    module = sys.modules["minigrad.autograd.gradcheck"]     # the package exports the function by that name
    x = float64_input(module.ELEMENTWISE_LIMIT + 1)
    with pytest.raises(RuntimeError) as error:
        gradcheck(SquareWithWrongGradient.apply, (x,))
    assert "output 0 with respect to input 0" in str(error.value)
    assert "per-element" not in str(error.value)


def test_gradcheck_without_an_input_that_requires_grad_says_so_as_torch():
    with pytest.raises(ValueError) as theirs:
        torch.autograd.gradcheck(lambda t: t * 2, (torch.ones(3, dtype=torch.float64),))
    with pytest.raises(ValueError) as ours:
        gradcheck(lambda t: t * 2, (minigrad.ones(3, dtype=minigrad.float64),))
    assert str(ours.value) == str(theirs.value)


# ---- assert_matches_torch: misuse gets the right call in the message ----------------------------
@pytest.mark.parametrize("call, expected", [
    (lambda: assert_matches_torch(lambda x: x.tanh()), "needs either shapes or inputs, and got neither"),
    (lambda: assert_matches_torch(lambda x: x.tanh(), [(2,)], inputs=[numpy.ones(2)]), "and got both"),
    (lambda: assert_matches_torch(lambda x: x.tanh(), (3, 4)), "write assert_matches_torch(fn, [(3, 4)])"),
    (lambda: assert_matches_torch(lambda x: x.tanh(), 5), "write assert_matches_torch(fn, [(5,)])"),
    (lambda: assert_matches_torch(minigrad.tanh, [(3, 4)]), "torch_fn=torch.tanh"),
    (lambda: assert_matches_torch(torch.tanh, [(3, 4)]), "called fn with minigrad tensors"),
    (lambda: assert_matches_torch("tanh", [(3, 4)]), "fn must be a function of tensors"),
    (lambda: assert_matches_torch(lambda x: x, [(2,)], requires_grad=True), "one boolean per input"),
    (lambda: assert_matches_torch(lambda x: x, [(2,)], requires_grad=[True, False]), "2 entries for 1 inputs"),
], ids=["no_shapes", "both", "shape_not_list", "int", "minigrad_fn_on_torch", "torch_fn_on_minigrad",
        "not_callable", "requires_grad_bool", "requires_grad_length"])
def test_assert_matches_torch_misuse_shows_the_right_call(call, expected):
    with pytest.raises((TypeError, ValueError)) as error:
        call()
    assert expected in str(error.value)


def test_assert_matches_torch_unknown_dtype():
    with pytest.raises(ValueError, match="dtype is the NumPy dtype of the random inputs"):
        assert_matches_torch(lambda x: x, [(2,)], dtype="float128x")


def test_assert_matches_torch_with_torch_fn_still_works_for_named_functions():
    assert_matches_torch(minigrad.tanh, [(3, 4)], torch_fn=torch.tanh)
