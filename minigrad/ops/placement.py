"""The gradient of reading some positions of a tensor: zeros with the gradient placed back there.

Indexing, gather, index_select, masked_select and the views' rebase all need it;
``Place`` makes it an op, so that a backward recorded as a graph (create_graph=True)
can be differentiated again (its own gradient reads the same positions back).
"""
from __future__ import annotations

from ..core import device as backend
from ..core.device import array_module
from ..core.function import Function
from ..core.tensor import Tensor


def _placed(grad_output, shape, first, second, accumulate, selected_shape=None, wide=False):
    """The gradient of indexing: zeros of ``shape`` with ``grad_output`` placed at ``[first][second]``
    (accumulated ``wide`` as ``backend.scatter_add``'s).

    On arrays this writes into zeros; on Tensors (create_graph=True) it is the op
    ``Place``, whose own gradient is the indexing again.
    """
    if isinstance(grad_output, Tensor):
        return Place.apply(grad_output, shape=shape, first=first, second=second, accumulate=accumulate,
                           selected_shape=selected_shape)
    xp = array_module(grad_output)
    if first is None and selected_shape is None:      # basic indexing: one region
        grad = xp.zeros(shape, grad_output.dtype)
        grad[second] = grad_output
        return grad
    grad = xp.zeros(selected_shape, grad_output.dtype)
    if accumulate:   # integer index arrays may repeat an index: sum, do not overwrite
        backend.scatter_add(grad, second, grad_output, wide)
    else:            # masks select each element at most once
        grad[second] = grad_output
    if first is not None:
        full = xp.zeros(shape, grad_output.dtype)
        full[first] = grad
        grad = full
    return grad


def module_under(x):
    """NumPy or CuPy: the module of ``x``'s data (a Tensor's array), for the constant positions."""
    return array_module(x.array if isinstance(x, Tensor) else x)


class Place(Function):
    """The gradient of indexing as an op (``IndexBackward``'s node when differentiated twice):
    ``grad`` placed into zeros; its own gradient reads the same positions back."""

    differentiable_backward = True

    def name(self):
        return "IndexPutBackward0"

    def forward(self, grad, shape, first, second, accumulate, selected_shape):
        self.first, self.second = first, second
        self.basic = first is None and selected_shape is None
        return _placed(grad, shape, first, second, accumulate, selected_shape)

    def backward(self, grad_output):
        if self.basic:
            return grad_output[self.second]
        selected = grad_output if self.first is None else grad_output[self.first]
        return selected[self.second]
