"""``Adagrad``: per-coordinate steps scaled by the summed squared gradients (Duchi et al.), torch 2.x."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import (Optimizer, advance_step, check_non_negative, new_step, regularized_grad,
                        reject_differentiable, zeros_state)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay.

    With ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)
    at step ``t``::

        s += g * g                                  (s starts at initial_accumulator_value)
        p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # torch fills the accumulators at construction, so they are in state_dict() before any step
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, group)

    def _init_state(self, param, group):
        state = self.state[param]
        if not state:
            state["step"] = new_step()
            state["sum"] = zeros_state(param.array, float(group["initial_accumulator_value"]))
        return state

    def _update(self, param, grad, group):
        state = self._init_state(param, group)
        xp = array_module(param.array)
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        step = advance_step(state)
        grad = regularized_grad(param.array, grad, group["maximize"], weight_decay)
        clr = lr / (1 + (step - 1) * lr_decay)
        accumulator = state["sum"].array
        scratch = xp.multiply(grad, grad)
        accumulator += scratch
        std = xp.sqrt(accumulator, out=scratch)
        std += eps
        update = xp.divide(grad, std, out=std)
        update *= -clr
        param.array += update
