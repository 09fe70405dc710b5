"""``NAdam``: Adam with Nesterov momentum and momentum decay (Dozat), torch 2.x's maths."""
from __future__ import annotations

import numpy

from ..core.device import array_module
from ..core.tensor import Tensor
from .optimizer import (Optimizer, advance_step, check_betas, check_non_negative, decoupled_decay, new_step,
                        regularized_grad, reject_differentiable, scalar_dtype, update_moments, zeros_state)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam.  At step ``t``, with ``g`` the gradient (negated when ``maximize``; plus
    ``weight_decay * p``, or with ``decoupled_weight_decay`` ``p`` scaled by ``1 - lr * weight_decay``)::

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)),  P_t = mu_1 ... mu_t
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p -= lr * (1 - mu_t) / (1 - P_t) * g / d + lr * mu_{t+1} / (1 - P_t mu_{t+1}) * m / d

    ``P_t`` is kept in ``state['mu_product']``, a 0-d tensor of the step's dtype (float32 unless
    float64 is the default), multiplied in that dtype, as torch's.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, param, grad, group):
        state = self.state[param]
        if not state:
            state["step"] = new_step()
            state["mu_product"] = Tensor._wrap(numpy.ones((), scalar_dtype()))
            state["exp_avg"] = zeros_state(param.array)
            state["exp_avg_sq"] = zeros_state(param.array)
        xp = array_module(param.array)
        lr, eps, beta1, beta2 = float(group["lr"]), float(group["eps"]), *(float(b) for b in group["betas"])
        weight_decay, momentum_decay = float(group["weight_decay"]), float(group["momentum_decay"])
        step = advance_step(state)
        weight_decay = decoupled_decay(param.array, group["decoupled_weight_decay"], lr, weight_decay)
        grad = regularized_grad(param.array, grad, group["maximize"], weight_decay)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        product = state["mu_product"].array
        product *= mu                                   # (in the step's dtype)
        mu_product = float(product)
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        scratch = xp.empty_like(param.array)
        update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2, scratch)
        denom = xp.divide(exp_avg_sq, 1.0 - beta2 ** step)
        xp.sqrt(denom, out=denom)
        denom += eps
        update = xp.divide(grad, denom, out=scratch)
        update *= -lr * (1.0 - mu) / (1.0 - mu_product)
        param.array += update
        update = xp.divide(exp_avg, denom, out=scratch)
        update *= -lr * mu_next / (1.0 - mu_product * mu_next)
        param.array += update
