"""What every in-place op shares: the leaf check, the write, the version bump, the new history.

``x.add_(y)`` computes ``x + y`` as usual and then makes ``x`` hold the result's
values and history, so the graph stays correct: the old ``x`` lives on inside
the graph as the input of the add.  The version counter lets a backward that
saved the old values notice that they are gone.
"""
from __future__ import annotations

from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..core.device import array_module
from ..core.dtypes import _category, scalar_type_name
from .views import rebase_view_base, view_base


def check_inplace_allowed(target):
    """torch forbids changing a leaf that requires grad (or a view of one) while the graph is being recorded."""
    if not is_grad_enabled():
        return
    if target.requires_grad and target.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    found = view_base(target)
    if found is not None and found[0].requires_grad and found[0].grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def assign(target, result):
    """Make ``target`` hold ``result``'s values and history; return ``target``."""
    check_inplace_allowed(target)
    if result.array.shape != target.array.shape:
        raise RuntimeError(f"output with shape {list(target.array.shape)} doesn't match the "
                           f"broadcast shape {list(result.array.shape)}")
    if _category(result.array.dtype) > _category(target.array.dtype):
        raise RuntimeError(f"result type {scalar_type_name(result.dtype)} can't be cast to the "
                           f"desired output type {scalar_type_name(target.dtype)}")
    if result.grad_fn is not None:
        result.grad_fn._keep_own_copy(target.array)   # the write below would change what it saved
    if result.array.dtype != target.array.dtype and result.requires_grad:
        result = result.to(target.dtype)          # differentiable, so the graph keeps its dtypes
    if result.array is not target.array:
        target.array[...] = result.array
    target._version_counter.value += 1
    if result.grad_fn is not None:
        target.grad_fn = result.grad_fn
        target._output_nr = result._output_nr
        target._requires_grad = True
    if is_grad_enabled():
        found = view_base(target)
        if found is not None and (target.requires_grad or found[0].requires_grad):
            rebase_view_base(target, *found)   # the write changed the view's base too
    return target


class Overwrite(Function):
    """New values that do not depend on the old ones: no gradient flows back to them."""

    def forward(self, old, values, torch_name="FillBackward0"):
        self.torch_name = torch_name
        old[...] = values
        return old

    def backward(self, grad_output):
        return array_module(grad_output).zeros_like(grad_output)

    def name(self):
        return self.torch_name    # the overwriting op's node in torch (ZeroBackward0, UniformBackward0 ...)


def write(target, array, torch_name="FillBackward0"):
    """Overwrite ``target``'s values with no history (``fill_``, ``uniform_``, ``zero_``)."""
    check_inplace_allowed(target)
    if is_grad_enabled() and (target.requires_grad or _base_requires_grad(target)):
        # a tensor in a graph: its gradient must stop here, as torch's FillBackward does
        return assign(target, Overwrite.apply(target, values=array, torch_name=torch_name))
    target.array[...] = array
    target._version_counter.value += 1
    return target


def _base_requires_grad(target):
    found = view_base(target)
    return found is not None and found[0].requires_grad
