"""Gradient clipping, as ``torch.nn.utils``: rescale by the total norm, or clamp each value.

Both work on the raw gradient arrays in place (no graph is recorded), between
``loss.backward()`` and ``optimizer.step()``.
"""
from __future__ import annotations

import types
import warnings

import numpy

from ...core.device import array_module, device_of, to_device
from ...core.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(array, norm_type: float):
    """The ``norm_type``-norm of all entries of ``array``, as a 0-d array of its dtype (torch's vector_norm)."""
    xp = array_module(array)
    flat = array.reshape(-1)
    if flat.size == 0:
        return xp.zeros((), array.dtype)
    if norm_type == 2.0:
        norm = xp.sqrt(xp.dot(flat, flat))
    elif norm_type == float("inf"):
        norm = xp.abs(flat).max()
    elif norm_type == float("-inf"):
        norm = xp.abs(flat).min()
    elif norm_type == 0.0:
        norm = xp.count_nonzero(flat)
    elif norm_type == 1.0:
        norm = xp.abs(flat).sum()
    else:
        norm = (xp.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)
    return xp.asarray(norm, dtype=array.dtype)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of ``tensors`` (= the norm of all their entries together), a 0-d tensor.

    ``norm_type`` may be ``inf``.  With ``error_if_nonfinite`` a NaN or infinite
    total raises torch's RuntimeError.  ``foreach`` is accepted and ignored.
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ...ops.factories import tensor
        return tensor(0.0)
    first_device = device_of(tensors[0].array)
    norms = [to_device(_vector_norm(t.array, norm_type), first_device) for t in tensors]
    xp = array_module(norms[0])
    total = _vector_norm(xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))`` in place."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if len(grads) == 0:
        return
    total = total_norm.array if isinstance(total_norm, Tensor) else total_norm
    xp = array_module(total)
    coefficient = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)   # 1e-6: no division by zero
    with numpy.errstate(invalid="ignore"):    # inf * 0 is NaN, silently, as in torch
        for grad in grads:
            grad.array *= to_device(xp.asarray(coefficient), device_of(grad.array))
            grad._version_counter.value += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` so that their total norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor), as torch.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated spelling of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient entry of ``parameters`` into ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for param in _as_list(parameters):
        if param.grad is not None:
            array_module(param.grad.array).clip(param.grad.array, -clip_value, clip_value, out=param.grad.array)
            param.grad._version_counter.value += 1
