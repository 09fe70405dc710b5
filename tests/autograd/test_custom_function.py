"""torch-style custom Functions (``@staticmethod forward(ctx, ...)``) beside torch's, and their errors."""
import numpy
import pytest
import torch

import minigrad


def legendre_p3(library):
    """A custom Function for P3(x) = (5x^3 - 3x) / 2, written once for either library."""
    class LegendrePolynomial3(library.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)
    return LegendrePolynomial3


def _fit_with(library, steps=40):
    """Fit y = a + b P3(c + d x) to sin(x) by gradient descent, as a tutorial would."""
    dtype = library.float64
    x = library.linspace(-3.14159, 3.14159, 200, dtype=dtype)
    y = library.sin(x)
    a, b, c, d = (library.full((), value, dtype=dtype, requires_grad=True) for value in (0.0, -1.0, 0.0, 0.3))
    P3 = legendre_p3(library).apply
    losses = []
    for _ in range(steps):
        loss = ((a + b * P3(c + d * x) - y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with library.no_grad():
            for parameter in (a, b, c, d):
                parameter -= 5e-6 * parameter.grad
                parameter.grad = None
    return losses, [p.item() for p in (a, b, c, d)]


def test_a_tutorial_style_legendre_fit_follows_torchs_trajectory():
    ours, theirs = _fit_with(minigrad), _fit_with(torch)
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)


def _twice(library):
    x = library.tensor([0.3, -1.2, 2.0], dtype=library.float64, requires_grad=True)
    y = legendre_p3(library).apply(x)
    (grad,) = library.autograd.grad(y.sum(), x, create_graph=True)
    (second,) = library.autograd.grad(grad.sum(), x)
    return grad.detach().numpy(), second.numpy(), type(y.grad_fn).__name__


def test_a_backward_written_with_differentiable_ops_is_differentiated_again_as_torch():
    ours, theirs = _twice(minigrad), _twice(torch)
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)     # 15 x
    assert ours[2] == theirs[2] == "LegendrePolynomial3Backward"


def _ctx_features(library):
    class ScaleAndCount(library.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor, mask):
            ctx.factor = factor
            ctx.mark_non_differentiable(mask)
            ctx.flags = ctx.needs_input_grad
            return x * factor, mask.clone()

        @staticmethod
        def backward(ctx, grad_output, grad_mask):
            return grad_output * ctx.factor, None, None
    x = library.tensor([1.0, 2.0], dtype=library.float64, requires_grad=True)
    mask = library.tensor([1.0, 0.0], dtype=library.float64)
    out, kept = ScaleAndCount.apply(x, 3.0, mask)
    (out * out).sum().backward()
    return x.grad.numpy(), kept.requires_grad, tuple(out.grad_fn.needs_input_grad), out.grad_fn.flags


def test_ctx_attributes_needs_input_grad_and_non_differentiable_outputs_as_torch():
    ours, theirs = _ctx_features(minigrad), _ctx_features(torch)
    numpy.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def _setup_context_and_dirty(library):
    class AddOneInPlace(library.autograd.Function):
        @staticmethod
        def forward(x):
            return x.add_(1)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_dirty(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output
    base = library.tensor([1.0, 2.0], dtype=library.float64, requires_grad=True)
    x = base * 2
    version = x._version
    y = AddOneInPlace.apply(x)
    (y * y).sum().backward()
    return base.grad.numpy(), y is x, x._version - version, type(x.grad_fn).__name__


def test_setup_context_and_mark_dirty_as_torch():
    ours, theirs = _setup_context_and_dirty(minigrad), _setup_context_and_dirty(torch)
    numpy.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def _once(library):
    class Square(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @library.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output
    x = library.tensor([1.0, 3.0], dtype=library.float64, requires_grad=True)
    (grad,) = library.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    return grad.detach().numpy(), grad.requires_grad


def test_once_differentiable_gives_a_gradient_without_a_graph_as_torch():
    ours, theirs = _once(minigrad), _once(torch)
    numpy.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1] == theirs[1] is False


def _materialize(library, materialize):
    seen = []

    class Two(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            seen.append(grad_b is None)
            return grad_a * 2 if grad_b is None else grad_a * 2 + grad_b * 3
    x = library.tensor([1.0], dtype=library.float64, requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    return x.grad.numpy(), seen


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads_as_torch(materialize):
    ours, theirs = _materialize(minigrad, materialize), _materialize(torch, materialize)
    numpy.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1] == theirs[1]


def _error(library, kind):
    class Bad(library.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad_output):
            if kind == "count":
                return grad_output
            if kind == "shape":
                return grad_output[:2], grad_output
            return grad_output, grad_output, 5

    class NoBackward(library.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

    x = library.tensor([1.0, 2.0, 3.0], dtype=library.float64, requires_grad=True)
    function = NoBackward if kind == "missing" else Bad
    with pytest.raises(Exception) as error:
        function.apply(x, x).sum().backward()
    return type(error.value).__name__, str(error.value)


@pytest.mark.parametrize("kind", ["count", "shape", "extra", "missing"])
def test_bad_definitions_get_torchs_errors(kind):
    assert _error(minigrad, kind) == _error(torch, kind)
