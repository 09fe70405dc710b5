"""In-place changes through a view reach the view's base, in values and in the graph (as torch).

``row = out[0]`` shares ``out``'s memory, so ``row.add_(h)`` also changes
``out``; the graph must know it too, or ``out``'s gradient would miss ``h``.
Each view op records on its result how it was made from its input
(``tensor._view = (input, spec)``, a spec being ``("index", key)``,
``("reshape", shape)`` or ``("transpose", axes)``).  After an in-place op on a
view, ``rebase_view_base`` gives the base a new node, ``WriteThroughView`` (torch's
``CopySlices``): the region behind the view takes its gradient from the view's
new history, the rest from the base's old one.  The view itself then becomes a
view of the base's new history.

Views of the same base made before the write keep their old history (torch
would regenerate it); index the base again after an in-place write if you need
its gradient through them.
"""
from __future__ import annotations

import numpy

from ..core.function import Function
from ..core.device import array_module


def apply_specs(array, specs):
    """The view that ``specs`` (outermost first) make of ``array``."""
    for kind, argument in specs:
        if kind == "index":
            viewed = array[argument]
            # NumPy gives a scalar for an all-int key; the trailing ``...`` keeps a 0-d array
            array = array[argument + (Ellipsis,)] if isinstance(viewed, numpy.generic) else viewed
        elif kind == "reshape":
            array = array.reshape(argument)
        else:
            array = array.transpose(argument)
    return array


def _positions(shape, specs, xp):
    """For each element of the view, its flat position in the base (a view never repeats one)."""
    flat = xp.arange(int(numpy.prod(shape, dtype=numpy.int64))).reshape(shape)
    return apply_specs(flat, specs)


class WriteThroughView(Function):
    """The base after an in-place write through its view: ``base`` with ``view`` in its region."""

    def forward(self, base, view, specs):
        self.specs, self.base_shape = specs, base.shape
        return base        # the values are already there: the view shares the base's memory

    def backward(self, grad_output):
        positions = _positions(self.base_shape, self.specs, array_module(grad_output))
        grad_base = grad_output.reshape(-1).copy()
        grad_view = grad_base[positions] if self.needs_input_grad[1] else None
        grad_base[positions] = 0        # the region's old values were overwritten
        return grad_base.reshape(self.base_shape), grad_view

    def name(self):
        return "CopySlices"


class ViewOf(Function):
    """The view, re-made from the base's new history."""

    def forward(self, base, specs):
        self.specs, self.base_shape = specs, base.shape
        return apply_specs(base, specs)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad = xp.zeros(int(numpy.prod(self.base_shape, dtype=numpy.int64)), grad_output.dtype)
        grad[_positions(self.base_shape, self.specs, xp)] = grad_output
        return grad.reshape(self.base_shape)

    def name(self):
        return "AsStridedBackward0"


def view_base(tensor):
    """``(base, specs)`` for a view (the root tensor and how to make the view of it), else None."""
    link = getattr(tensor, "_view", None)
    if link is None:
        return None
    specs = []
    while link is not None:
        tensor, spec = link
        specs.append(spec)
        link = getattr(tensor, "_view", None)
    specs.reverse()
    return tensor, tuple(specs)


def rebase_view_base(view, base, specs):
    """After an in-place op on ``view``: the base takes the write into its history, the view follows."""
    written = WriteThroughView.apply(base, view, specs=specs)
    if written.grad_fn is None:
        return
    base.grad_fn, base._output_nr, base._requires_grad = written.grad_fn, 0, True
    refreshed = ViewOf.apply(base, specs=specs)
    view.grad_fn, view._output_nr, view._requires_grad = refreshed.grad_fn, 0, True
