"""``RMSprop``: gradients divided by a running root mean square (Hinton), torch 2.x's maths."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import (Optimizer, advance_step, check_non_negative, lerp_, new_step, regularized_grad,
                        reject_differentiable, zeros_state)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, optionally centred and with momentum.

    With ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)::

        v = alpha * v + (1 - alpha) * g * g
        a = sqrt(v - m * m) + eps,  m = alpha * m + (1 - alpha) * g   (centered)
        a = sqrt(v) + eps                                             (otherwise)
        b = momentum * b + g / a;  p -= lr * b                        (momentum > 0)
        p -= lr * g / a                                               (otherwise)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_non_negative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = self.state[param]
        if not state:
            state["step"] = new_step()
            state["square_avg"] = zeros_state(param.array)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_state(param.array)
            if group["centered"]:
                state["grad_avg"] = zeros_state(param.array)
        return state

    def _update(self, param, grad, group):
        state = self._init_state(param, group)
        xp = array_module(param.array)
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        advance_step(state)
        grad = regularized_grad(param.array, grad, group["maximize"], weight_decay)
        square_avg = state["square_avg"].array
        scratch = xp.empty_like(param.array)
        square_avg *= alpha
        xp.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - alpha
        square_avg += scratch
        if group["centered"]:
            grad_avg = state["grad_avg"].array
            lerp_(grad_avg, grad, 1.0 - alpha, scratch)
            avg = xp.multiply(grad_avg, grad_avg, out=scratch)
            xp.subtract(square_avg, avg, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(square_avg, out=scratch)
        avg += eps
        if momentum > 0:
            buffer = state["momentum_buffer"].array
            buffer *= momentum
            update = xp.divide(grad, avg, out=avg)
            buffer += update
            param.array -= lr * buffer
        else:
            update = xp.divide(grad, avg, out=avg)
            update *= -lr
            param.array += update
