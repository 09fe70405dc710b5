"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch 2.x)."""
from __future__ import annotations

from ..core.device import array_module
from ..core.tensor import Tensor
from .optimizer import Optimizer, regularized_grad, reject_differentiable

__all__ = ["SGD"]


class SGD(Optimizer):
    """``p -= lr * d``, where ``d`` is the gradient, optionally with L2 decay and momentum.

    With ``g = grad + weight_decay * p`` (negated first when ``maximize``):
    the momentum buffer is ``b = g`` on the first step and then
    ``b = momentum * b + (1 - dampening) * g``; the direction ``d`` is ``b``,
    ``g + momentum * b`` with ``nesterov``, or ``g`` without momentum.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _update(self, param, grad, group):
        xp = array_module(param.array)
        lr, momentum = float(group["lr"]), float(group["momentum"])
        weight_decay, dampening = float(group["weight_decay"]), float(group["dampening"])
        regularized = regularized_grad(param.array, grad, group["maximize"], weight_decay)
        owned = regularized is not grad     # may `grad` be overwritten (is it our temporary)?
        grad = regularized
        if momentum != 0:
            state = self.state[param]
            buffer = state.get("momentum_buffer")
            if buffer is None:
                state["momentum_buffer"] = Tensor._wrap(grad.copy())
                buffer = state["momentum_buffer"].array
            else:
                buffer = buffer.array
                buffer *= momentum
                buffer += grad if dampening == 0 else (1.0 - dampening) * grad
            if group["nesterov"]:
                direction = xp.multiply(buffer, momentum)
                direction += grad
                grad, owned = direction, True
            else:
                grad, owned = buffer, False
        if owned:
            grad *= -lr
            param.array += grad
        else:
            param.array -= lr * grad
