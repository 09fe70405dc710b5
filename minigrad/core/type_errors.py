"""How a "must be Tensor" error names what it got instead, with a way out for a PyTorch tensor.

torch's wording is ``tanh(): argument 'input' (position 1) must be Tensor, not
list``; for a torch tensor passed to minigrad that would read "must be Tensor,
not Tensor", so the name says which library it is from and how to convert it.
"""
from __future__ import annotations

__all__ = ["describe_type", "type_name", "check_tensor_other"]


def type_name(kind) -> str:
    """Python's ``tp_name`` of a class, as torch's messages give it: ``list``, ``numpy.ndarray``,
    ``decimal.Decimal`` (a class written in Python, as ``fractions.Fraction``, has its bare name)."""
    heap_type = kind.__flags__ & (1 << 9)      # Py_TPFLAGS_HEAPTYPE
    return kind.__name__ if heap_type or kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def describe_type(value) -> str:
    """``list``, ``numpy.ndarray`` (torch's names) or, for a torch tensor, what to do with it."""
    kind = type(value)
    if kind.__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        return ("torch.Tensor (a PyTorch tensor, and minigrad ops take minigrad.Tensor; minigrad and "
                "torch tensors do not mix: convert it with minigrad.interop.from_torch(tensor), or "
                "the minigrad one with minigrad.interop.to_torch(tensor))")
    return type_name(kind)


def check_tensor_other(name, other, position=2):
    """torch's ``hypot(x, 2.0)`` error: these two-tensor functions take no Python number ``other``
    (``position`` 1 for the method, ``x.fmax(2.0)``, whose ``self`` is no argument)."""
    if not hasattr(other, "array"):
        raise TypeError(f"{name}(): argument 'other' (position {position}) must be Tensor, "
                        f"not {describe_type(other)}")
