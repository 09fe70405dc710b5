"""``Rprop``: resilient backpropagation, a step size per weight grown or shrunk by the gradient's sign
(Riedmiller and Braun), torch 2.x's maths."""
from __future__ import annotations

from ..core.device import array_module
from .optimizer import Optimizer, advance_step, check_non_negative, reject_differentiable

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop.  With ``g`` the gradient (negated when ``maximize``) and ``g'`` the previous step's::

        s = clamp(s * (etaplus if g g' > 0, etaminus if g g' < 0, else 1), *step_sizes)
        g = 0 where g g' < 0;  p -= sign(g) * s;  g' = g

    ``s`` starts at ``lr``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_non_negative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, param, grad, group):
        state = self._state_of(param, "prev", step_size=float(group["lr"]))
        xp = array_module(param.array)
        etaminus, etaplus = (float(eta) for eta in group["etas"])
        smallest, largest = (float(size) for size in group["step_sizes"])
        advance_step(state)
        grad = -grad if group["maximize"] else grad.copy()
        prev, step_size = state["prev"].array, state["step_size"].array
        agreement = xp.sign(grad * prev)
        factor = xp.where(agreement > 0, etaplus, xp.where(agreement < 0, etaminus, 1.0)).astype(grad.dtype)
        step_size *= factor
        xp.clip(step_size, smallest, largest, out=step_size)
        grad[factor == etaminus] = 0
        param.array -= xp.sign(grad) * step_size
        prev[...] = grad
