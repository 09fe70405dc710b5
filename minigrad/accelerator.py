"""``minigrad.accelerator``, as ``torch.accelerator``: the one accelerator minigrad knows is CUDA through CuPy.

The usual device pick of recent tutorials runs unchanged::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
"""
from __future__ import annotations

from . import cuda
from .core.device import Device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "synchronize"]

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when a GPU is usable through CuPy."""
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count()


def current_accelerator(check_available: bool = False):
    """``device(type='cuda', index=0)`` when CuPy sees a GPU, else None."""
    return Device("cuda") if is_available() else None


def current_device_index() -> int:
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)
    return int(cuda.cupy_module().cuda.Device().id)


def synchronize(device=None) -> None:
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)
    cuda.synchronize(device)
