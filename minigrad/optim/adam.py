"""``Adam``: adaptive moment estimation (Kingma and Ba), with torch 2.x's options and maths."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import (Optimizer, advance_step, check_betas, check_non_negative, decoupled_decay, new_step,
                        regularized_grad, reject_differentiable, update_moments, zeros_state)

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam; ``decoupled_weight_decay=True`` makes it AdamW.

    Per step ``t`` with ``g`` the gradient (negated when ``maximize``; plus
    ``weight_decay * p`` unless the decay is decoupled, which instead scales
    ``p`` by ``1 - lr * weight_decay``)::

        m = beta1 * m + (1 - beta1) * g          (torch: m.lerp_(g, 1 - beta1))
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                    (amsgrad only; used instead of v)
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = self.state[param]
        if not state:
            state["step"] = new_step()
            state["exp_avg"] = zeros_state(param.array)
            state["exp_avg_sq"] = zeros_state(param.array)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_state(param.array)
        return state

    def _update(self, param, grad, group):
        state = self._init_state(param, group)
        xp = array_module(param.array)
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(beta) for beta in group["betas"])
        step = advance_step(state)
        # AdamW: shrink the parameters, not the gradient
        weight_decay = decoupled_decay(param.array, group["decoupled_weight_decay"], lr, weight_decay)
        grad = regularized_grad(param.array, grad, group["maximize"], weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        scratch = xp.empty_like(param.array)
        update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2, scratch)
        if group["amsgrad"]:
            second_moment = state["max_exp_avg_sq"].array
            xp.maximum(second_moment, exp_avg_sq, out=second_moment)
        else:
            second_moment = exp_avg_sq
        step_size = lr / (1.0 - beta1 ** step)
        bias_correction2_sqrt = (1.0 - beta2 ** step) ** 0.5
        denom = xp.sqrt(second_moment, out=scratch)
        denom /= bias_correction2_sqrt
        denom += eps
        update = xp.divide(exp_avg, denom, out=scratch)
        update *= -step_size
        param.array += update
