"""Fit y = sin(x) with a + b * P(c + d * x), where P is a hand-written autograd Function.

P(t) = (5 t^3 - 3 t) / 2 is the cubic Legendre polynomial.  Its forward saves the
input with ctx.save_for_backward and its backward returns the chain rule's
grad_output * P'(t), P'(t) = (15 t^2 - 3) / 2.  A second Function, a "soft
clamp" with a saved non-tensor attribute on ctx, checks ctx attributes and
needs_input_grad.
"""
import math

import torch

from tutorial_utils import sync_weights

torch.manual_seed(0)


class CubicLegendre(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class ScaledTanh(torch.autograd.Function):
    """scale * tanh(input / scale): the scale is a plain float kept on ctx."""

    @staticmethod
    def forward(ctx, input, scale):
        output = scale * torch.tanh(input / scale)
        ctx.save_for_backward(output)
        ctx.scale = scale
        return output

    @staticmethod
    def backward(ctx, grad_output):
        output, = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output * (1 - (output / ctx.scale) ** 2)
        return grad_input, None


x = torch.linspace(-math.pi, math.pi, 400)
y = torch.sin(x)

class LegendreFit(torch.nn.Module):
    """y = a + b * P3(c + d * x), the four coefficients as parameters"""

    def __init__(self):
        super().__init__()
        # a start the slow learning rate has to walk a long way from
        self.a = torch.nn.Parameter(torch.tensor(0.2))
        self.b = torch.nn.Parameter(torch.tensor(-1.0))
        self.c = torch.nn.Parameter(torch.tensor(0.1))
        self.d = torch.nn.Parameter(torch.tensor(0.3))

    def forward(self, x):
        return self.a + self.b * CubicLegendre.apply(self.c + self.d * x)


fit = LegendreFit()
sync_weights(fit, "polynomial_custom_function")
learning_rate = 5e-6
for step in range(1000):
    loss = (fit(x) - y).pow(2).sum()
    if step % 200 == 199:
        print(f"step {step + 1} loss {loss.item():.4f}")
    loss.backward()
    with torch.no_grad():
        for coefficient in fit.parameters():
            coefficient -= learning_rate * coefficient.grad
            coefficient.grad = None
a, b, c, d = (fit.a, fit.b, fit.c, fit.d)
P3 = CubicLegendre.apply
print(f"result a {a.item():.5f} b {b.item():.5f} c {c.item():.5f} d {d.item():.5f}")

# the custom backward agrees with autograd's own derivative of the same formula
t = torch.linspace(-1.2, 1.2, 7, dtype=torch.float64, requires_grad=True)
custom, = torch.autograd.grad(P3(t).sum(), t)
automatic, = torch.autograd.grad((0.5 * (5 * t ** 3 - 3 * t)).sum(), t)
print("P3'(t)", " ".join(f"{value:.6f}" for value in custom.tolist()))
print(f"largest difference from autograd {(custom - automatic).abs().max().item():.2e}")

# ScaledTanh as a squashing layer in a tiny fit; gradcheck on float64 inputs
weights = torch.tensor([0.5, -0.5], requires_grad=True)
optimizer = torch.optim.SGD([weights], lr=0.01, momentum=0.9)
for step in range(60):
    optimizer.zero_grad()
    prediction = ScaledTanh.apply(weights[0] * x + weights[1], 2.0)
    loss = torch.nn.functional.mse_loss(prediction, 2 * torch.tanh(x))
    loss.backward()
    optimizer.step()
    if step % 20 == 19:
        print(f"scaled tanh step {step + 1} loss {loss.item():.6f}")
print("scaled tanh weights", " ".join(f"{w:.5f}" for w in weights.tolist()))
probe = torch.randn(5, dtype=torch.float64, requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(lambda v: ScaledTanh.apply(v, 1.5), (probe,)))
