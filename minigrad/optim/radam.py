"""``RAdam``: Adam with the variance of its adaptive rate rectified (Liu et al.), torch 2.x's maths."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import (Optimizer, advance_step, check_betas, check_non_negative, decoupled_decay, regularized_grad,
                        reject_differentiable, update_moments)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam.  At step ``t``, with ``g`` the gradient (negated when ``maximize``; plus
    ``weight_decay * p``, or with ``decoupled_weight_decay`` ``p`` scaled by ``1 - lr * weight_decay``)::

        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p -= lr * m / (1 - beta1**t) * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)    (rho_t > 5)
        p -= lr * m / (1 - beta1**t)                                                (otherwise: SGD with momentum)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, param, grad, group):
        state = self._state_of(param, "exp_avg", "exp_avg_sq")
        xp = array_module(param.array)
        lr, eps, beta1, beta2 = float(group["lr"]), float(group["eps"]), *(float(b) for b in group["betas"])
        weight_decay = float(group["weight_decay"])
        step = advance_step(state)
        weight_decay = decoupled_decay(param.array, group["decoupled_weight_decay"], lr, weight_decay)
        grad = regularized_grad(param.array, grad, group["maximize"], weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        scratch = xp.empty_like(param.array)
        update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2, scratch)
        bias_correction1, bias_correction2 = 1.0 - beta1 ** step, 1.0 - beta2 ** step
        update = xp.divide(exp_avg, bias_correction1)
        update *= lr
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            adaptive = xp.sqrt(exp_avg_sq, out=scratch)
            adaptive += eps
            xp.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
            update *= adaptive
            update *= ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        param.array -= update
