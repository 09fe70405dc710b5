"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""
from __future__ import annotations

from ..core.device import CPU, module_for
from ..core.dtypes import get_default_dtype
from ..core.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default, as ``torch.nn.Parameter``.

    Assigning one to a module attribute (``self.weight = Parameter(...)``)
    registers it in ``module._parameters``, so ``parameters()`` and
    ``state_dict()`` find it.  ``Parameter(tensor)`` shares ``tensor``'s memory.
    Ops on a parameter give plain ``Tensor`` results.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            array = module_for(CPU).empty((0,), get_default_dtype().numpy)
        elif isinstance(data, Tensor):
            array = data.array
        else:
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        parameter = object.__new__(cls)
        parameter._init(array)
        if requires_grad:
            parameter.requires_grad_(True)
        return parameter

    def __init__(self, data=None, requires_grad=True):
        pass   # everything happens in __new__ (Tensor.__init__ would read ``data`` as sizes)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        """A parameter with copied values and no ``.grad`` (as torch's)."""
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._wrap(self.array.copy()), self.requires_grad)
        memo[id(self)] = result
        return result
