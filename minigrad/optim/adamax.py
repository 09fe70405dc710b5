"""``Adamax``: Adam with the infinity norm in place of the second moment (Kingma and Ba), torch 2.x's maths."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import Optimizer, advance_step, check_betas, check_non_negative, lerp_, regularized_grad, reject_differentiable

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax.  With ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)::

        m = beta1 * m + (1 - beta1) * g                 (torch: m.lerp_(g, 1 - beta1))
        u = max(beta2 * u, |g| + eps)
        p -= lr / (1 - beta1**t) * m / u
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, param, grad, group):
        state = self._state_of(param, "exp_avg", "exp_inf")
        xp = array_module(param.array)
        lr, eps, beta1, beta2 = float(group["lr"]), float(group["eps"]), *(float(b) for b in group["betas"])
        step = advance_step(state)
        grad = regularized_grad(param.array, grad, group["maximize"], float(group["weight_decay"]))
        exp_avg, exp_inf = state["exp_avg"].array, state["exp_inf"].array
        scratch = xp.empty_like(param.array)
        lerp_(exp_avg, grad, 1.0 - beta1, scratch)
        exp_inf *= beta2
        xp.abs(grad, out=scratch)
        scratch += eps
        xp.maximum(exp_inf, scratch, out=exp_inf)
        update = xp.divide(exp_avg, exp_inf, out=scratch)
        update *= -lr / (1.0 - beta1 ** step)
        param.array += update
