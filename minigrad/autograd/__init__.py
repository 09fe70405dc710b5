"""Reverse-mode autograd: ``backward``, ``grad``, ``Function`` and the grad-mode switches."""
from __future__ import annotations

from ..backend import array_module
from .engine import run_backward
from .function import AccumulateGrad, Function
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "gradcheck"]


def _as_tuple(value):
    if value is None:
        return None
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _roots(outputs, grad_outputs):
    """Pair each output with its starting gradient (ones for a scalar output)."""
    roots = []
    grad_outputs = grad_outputs or (None,) * len(outputs)
    for grad in grad_outputs:
        if grad is not None and not hasattr(grad, "array"):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(grad).__name__}")
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    for index, (output, grad) in enumerate(zip(outputs, grad_outputs)):
        if not output.requires_grad:
            raise RuntimeError(f"element {index} of tensors does not require grad and does not have "
                               "a grad_fn")
        if grad is None:
            if output.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            xp = array_module(output.array)
            grad_array = xp.ones(output.array.shape, output.array.dtype)
        else:
            grad_array = grad.array if hasattr(grad, "array") else grad
            if grad_array.shape != output.array.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{_size(grad_array.shape)} and output[0] has a shape of "
                                   f"{_size(output.array.shape)}.")
            grad_array = grad_array.astype(output.array.dtype, copy=False)
        roots.append((output._edge(), grad_array))
    return roots


def _size(shape):
    return f"minigrad.Size({list(shape)})"


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``."""
    if create_graph:
        raise NotImplementedError("minigrad computes first derivatives only (create_graph=False)")
    roots = _roots(_as_tuple(tensors), _as_tuple(grad_tensors))
    if inputs is None:
        run_backward(roots, retain_graph=bool(retain_graph))
        return
    # only ``inputs`` receive gradients: capture what reaches them, then accumulate as usual
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    edges = [tensor._edge() for tensor in inputs]
    captured = run_backward(roots, retain_graph=bool(retain_graph), capture=set(edges))
    for tensor, (node, output_nr) in zip(inputs, edges):
        grad_array = captured.get((node, output_nr))
        if grad_array is None:
            continue
        if isinstance(node, AccumulateGrad):
            node.accumulate(grad_array)        # runs the leaf's hooks, as a full backward would
        elif not tensor._retains_grad:         # retain_grad's hook has stored it already
            previous = tensor.grad.array if tensor.grad is not None else 0
            tensor.grad = Tensor._wrap(grad_array + previous)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``."""
    from ..tensor import Tensor
    if create_graph:
        raise NotImplementedError("minigrad computes first derivatives only (create_graph=False)")
    inputs = _as_tuple(inputs)
    roots = _roots(_as_tuple(outputs), _as_tuple(grad_outputs))
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    edges = [tensor._edge() for tensor in inputs]
    captured = run_backward(roots, retain_graph=bool(retain_graph), capture=set(edges))
    results = []
    for index, (tensor, edge) in enumerate(zip(inputs, edges)):
        grad_array = captured.get(edge)
        if grad_array is None:
            if materialize_grads:
                grad_array = tensor.array * 0
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {index} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        if grad_array is not None and not getattr(grad_array.flags, "writeable", True):
            grad_array = grad_array.copy()   # a broadcast view from sum/mean's backward
        results.append(None if grad_array is None else Tensor._wrap(grad_array))
    return tuple(results)
