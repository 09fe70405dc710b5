"""How a "must be Tensor" error names what it got instead, with a way out for a PyTorch tensor.

torch's wording is ``tanh(): argument 'input' (position 1) must be Tensor, not
list``; for a torch tensor passed to minigrad that would read "must be Tensor,
not Tensor", so the name says which library it is from and how to convert it.
"""
from __future__ import annotations

__all__ = ["describe_type", "check_tensor_other"]


def describe_type(value) -> str:
    """``list``, ``numpy.ndarray`` (torch's names) or, for a torch tensor, what to do with it."""
    kind = type(value)
    if kind.__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        return ("torch.Tensor (a PyTorch tensor, and minigrad ops take minigrad.Tensor; minigrad and "
                "torch tensors do not mix: convert it with minigrad.interop.from_torch(tensor), or "
                "the minigrad one with minigrad.interop.to_torch(tensor))")
    if kind.__module__.split(".")[0] == "numpy":
        return f"numpy.{kind.__name__}"
    return kind.__name__


def check_tensor_other(name, other, position=2):
    """torch's ``hypot(x, 2.0)`` error: these two-tensor functions take no Python number ``other``
    (``position`` 1 for the method, ``x.fmax(2.0)``, whose ``self`` is no argument)."""
    if not hasattr(other, "array"):
        raise TypeError(f"{name}(): argument 'other' (position {position}) must be Tensor, "
                        f"not {describe_type(other)}")
