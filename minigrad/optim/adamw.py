"""``AdamW``: Adam with decoupled weight decay (Loshchilov and Hutter), torch 2.x's defaults."""
from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly, ``p *= 1 - lr * weight_decay``,
    instead of adding ``weight_decay * p`` to the gradient; ``weight_decay`` defaults to 0.01."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def _after_load(self):
        # as torch: a state_dict loaded into AdamW always keeps the decay decoupled
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
