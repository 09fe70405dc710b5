"""All parameters as one flat vector and back, as ``torch.nn.utils``."""
from __future__ import annotations

from ...core.tensor import Tensor, typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param, old_device):
    """Every parameter must be on one device; returns that device (torch's -1 / GPU index)."""
    device = param.device.index if param.is_cuda else -1
    if old_device is not None and device != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return device


def parameters_to_vector(parameters):
    """The parameters flattened and joined into one 1-d tensor (differentiable, a copy)."""
    from ...ops.join import cat
    device = None
    flat = []
    for param in parameters:
        device = _check_param_device(param, device)
        flat.append(param.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec, parameters) -> None:
    """Point each parameter's ``.data`` at its slice of the 1-d ``vec`` (shared memory, as torch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_param_device(param, device)
        count = param.numel()
        param.data = vec.array[pointer:pointer + count].reshape(param.array.shape)
        pointer += count
