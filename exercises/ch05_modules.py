"""Chapter 5: Module, Linear, SGD and Adam (docs/course/05_modules.md).

Write the bodies marked "Exercise"; check them with ``python -m minigrad.course check 5``.
"""
import math

import minigrad
from minigrad import nn


class Linear(nn.Module):
    """``y = x @ weight.T + bias``: (*, in_features) -> (*, out_features)."""

    def __init__(self, in_features, out_features, bias=True):
        """Exercise 5.1: create the parameters as torch does.

        ``weight``: an ``nn.Parameter`` of shape (out_features, in_features);
        ``bias``: (out_features,), or ``self.register_parameter("bias", None)``
        when ``bias`` is False.  Both drawn from U(-1/sqrt(in_features),
        1/sqrt(in_features)) (``minigrad.empty(...).uniform_(low, high)``).
        """
        raise NotImplementedError("exercise 5.1: create the parameters as torch does")

    def forward(self, x):
        """Exercise 5.1: x (*, in_features) -> (*, out_features)."""
        raise NotImplementedError("exercise 5.1: x (*, in_features) -> (*, out_features)")


class SGD:
    """Stochastic gradient descent with momentum and (L2) weight decay, as ``torch.optim.SGD``."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buffers = [None] * len(self.params)

    def zero_grad(self):
        """Exercise 5.2: forget the gradients of the last backward (set each ``p.grad`` to None)."""
        raise NotImplementedError("exercise 5.2: forget the gradients of the last backward (set each p.grad to None)")

    def step(self):
        """Exercise 5.2: one update of every parameter that has a gradient.

        g = p.grad + weight_decay * p; with momentum, b = g on the first step and
        b = momentum * b + g after, and g = b; then p -= lr * g.  Update in place
        without recording a graph (``with minigrad.no_grad():``).
        """
        raise NotImplementedError("exercise 5.2: one update of every parameter that has a gradient")


class Adam:
    """Adam, as ``torch.optim.Adam`` (with L2 weight decay added to the gradient)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.steps = 0
        self.m = [None] * len(self.params)
        self.v = [None] * len(self.params)

    def zero_grad(self):
        """Exercise 5.3: set each ``p.grad`` to None."""
        raise NotImplementedError("exercise 5.3: set each p.grad to None")

    def step(self):
        """Exercise 5.3: one Adam update of every parameter that has a gradient.

        t = number of steps so far, counting this one (from 1); g = p.grad +
        weight_decay * p; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2
        (both start at 0); p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).
        """
        raise NotImplementedError("exercise 5.3: one Adam update of every parameter that has a gradient")
