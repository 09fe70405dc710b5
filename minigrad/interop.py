"""Moving weights and checkpoints between torch and minigrad (torch imported only when called).

A torch ``state_dict`` (a model's or an optimizer's) or a whole checkpoint is a
nest of dicts, lists and tuples around tensors; ``from_torch`` copies it with
every torch tensor replaced by a minigrad tensor, and ``to_torch`` does the
reverse, so::

    # torch -> minigrad
    import torch, minigrad
    from minigrad.interop import from_torch, load_torch
    model.load_state_dict(from_torch(torch_model.state_dict()))
    checkpoint = load_torch("checkpoint.pt")        # torch.load(weights_only=True) + from_torch

    # minigrad -> torch
    from minigrad.interop import to_torch, save_torch
    torch_model.load_state_dict(to_torch(model.state_dict()))
    save_torch({"model": model.state_dict()}, "for_torch.pt")

Values keep their dtype; a torch ``Parameter`` becomes a minigrad
``nn.Parameter`` (and back); ``torch.float32`` and ``torch.device`` objects are
mapped to minigrad's; other values (numbers, strings, None) are kept as they
are.  Tensors come out on the CPU unless ``device`` is given.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy

from .core import dtypes
from .core.device import Device, to_device
from .core.tensor import Tensor
from .nn.parameter import Parameter

__all__ = ["from_torch", "to_torch", "load_torch", "save_torch"]


def _torch():
    try:
        import torch
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise ImportError("minigrad.interop needs torch: pip install torch") from error
    return torch


def _is_torch_tensor(value) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach") and hasattr(value, "dtype")


def _map_nested(value, leaf):
    """``value`` with ``leaf(x)`` applied to every non-container inside dicts, lists and tuples."""
    if isinstance(value, dict):
        mapped = ((key, _map_nested(item, leaf)) for key, item in value.items())
        return OrderedDict(mapped) if isinstance(value, OrderedDict) else dict(mapped)
    if isinstance(value, tuple) and hasattr(value, "_fields"):          # namedtuple
        return type(value)(*(_map_nested(item, leaf) for item in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_map_nested(item, leaf) for item in value)
    return leaf(value)


def _tensor_from_torch(value, device):
    torch = _torch()
    detached = value.detach()
    if detached.dtype == torch.bfloat16:
        raise TypeError("bfloat16 has no NumPy dtype: convert with .float() before from_torch")
    array = detached.cpu().numpy().copy()
    tensor = Tensor._wrap(to_device(array, Device(device)) if device is not None else array)
    if isinstance(value, torch.nn.Parameter):
        return Parameter(tensor, requires_grad=value.requires_grad)
    if value.requires_grad:
        tensor.requires_grad_(True)
    return tensor


def from_torch(obj, device=None):
    """A copy of ``obj`` (a torch tensor, or dicts/lists/tuples around them) with minigrad tensors.

    ``device`` (e.g. ``"cuda"``) places every tensor there; by default they are on the CPU.
    """
    torch = _torch()

    def leaf(value):
        if _is_torch_tensor(value):
            return _tensor_from_torch(value, device)
        if isinstance(value, torch.dtype):
            return getattr(dtypes, str(value).replace("torch.", ""))
        if isinstance(value, torch.device):
            return Device(str(value))
        return value
    return _map_nested(obj, leaf)


def to_torch(obj, device=None):
    """A copy of ``obj`` (a minigrad tensor, or dicts/lists/tuples around them) with torch tensors."""
    torch = _torch()

    def leaf(value):
        if isinstance(value, Tensor):
            array = numpy.array(value.detach().numpy(force=True), copy=True)
            tensor = torch.from_numpy(array)
            if device is not None:
                tensor = tensor.to(device)
            if _is_parameter(value):
                return torch.nn.Parameter(tensor, requires_grad=value.requires_grad)
            return tensor.requires_grad_(value.requires_grad) if value.array.dtype.kind == "f" else tensor
        if isinstance(value, dtypes.dtype):
            return getattr(torch, value.name)
        if isinstance(value, Device):
            return torch.device(str(value))
        return value
    return _map_nested(obj, leaf)


def _is_parameter(value) -> bool:
    return isinstance(value, Parameter)


def load_torch(path, map_location="cpu", device=None):
    """Read a ``torch.save`` file with ``torch.load(weights_only=True)`` and convert it with ``from_torch``."""
    torch = _torch()
    return from_torch(torch.load(path, map_location=map_location, weights_only=True), device=device)


def save_torch(obj, path):
    """Write ``obj`` (minigrad tensors inside) as a ``torch.save`` file that torch loads."""
    _torch().save(to_torch(obj), path)
