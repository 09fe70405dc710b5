"""``Adadelta``: steps sized by running averages of squared gradients and squared steps (Zeiler), torch 2.x's maths."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import Optimizer, advance_step, check_non_negative, regularized_grad, reject_differentiable

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta.  With ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)::

        v = rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p -= lr * d
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_non_negative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps=eps, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, param, grad, group):
        state = self._state_of(param, "square_avg", "acc_delta")
        xp = array_module(param.array)
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        advance_step(state)
        grad = regularized_grad(param.array, grad, group["maximize"], float(group["weight_decay"]))
        square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
        scratch = xp.empty_like(param.array)
        square_avg *= rho
        xp.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - rho
        square_avg += scratch
        std = xp.add(square_avg, eps)
        xp.sqrt(std, out=std)
        delta = xp.add(acc_delta, eps, out=scratch)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        acc_delta *= rho
        xp.multiply(delta, delta, out=std)
        std *= 1.0 - rho
        acc_delta += std
        delta *= -lr
        param.array += delta
