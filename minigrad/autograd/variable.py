"""``minigrad.autograd.Variable``: old PyTorch's wrapper, which torch 0.4 merged into ``Tensor``.

Tutorials written before 2018 still start with ``x = Variable(torch.randn(3), requires_grad=True)``.
As in torch today, ``Variable(t, requires_grad=False)`` returns a Tensor: ``t`` detached (the same
memory, no history) with ``requires_grad`` set, and every Tensor is an instance of ``Variable``.
"""
from __future__ import annotations

import warnings

from ..core.tensor import Tensor
from ..ops.factories import empty

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data=None, requires_grad=False, volatile=False)``: ``data`` detached, as a Tensor."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
