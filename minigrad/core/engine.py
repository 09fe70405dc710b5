"""The backward pass: walk the graph from the outputs and push gradients to the leaves.

``backward`` (``loss.backward()``) and ``grad`` (``autograd.grad``) are the two
ways in; ``run_backward`` is the walk they share.

The walk is iterative (no recursion limit: a chain of 100,000 ops is fine).  A
node runs once all the nodes that feed it a gradient have run, so a node used
several times receives the sum of its gradients first (``b = a + a``).
"""
from __future__ import annotations

import numpy

from .device import array_module
from .function import AccumulateGrad, gradient_edge
from .tensor import Tensor


def run_backward(roots, retain_graph=False, capture=None):
    """Propagate gradients from ``roots`` = [((node, output_nr), grad_array), ...].

    Without ``capture`` the gradients are accumulated into the leaves' ``.grad``.
    With ``capture`` = {(node, output_nr), ...} nothing is accumulated and the
    gradients that reach those edges are returned as a dict (``autograd.grad``).
    """
    buffers = {}                      # node -> [grad per output]
    for (node, output_nr), grad in roots:
        _add_to_buffer(buffers, node, output_nr, grad)
    pending = _count_dependencies(buffers)
    ready = [node for node in buffers if pending.get(node, 0) == 0]
    captured = {}
    while ready:
        node = ready.pop()
        grads = buffers.pop(node)
        if all(grad is None for grad in grads):   # nothing reached this node
            _release_children(node, pending, buffers, ready)
            continue
        grads = _fill_missing(node, grads)
        grads = _run_output_hooks(node, grads)
        if capture is not None:
            for output_nr, grad in enumerate(grads):
                if (node, output_nr) in capture:
                    captured[(node, output_nr)] = grad
        if isinstance(node, AccumulateGrad):
            if capture is None:
                node.accumulate(grads[0])
            continue
        input_grads = node.backward(*grads)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if not retain_graph:
            node.release()
        if len(input_grads) != len(node.next_edges):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {len(node.next_edges)}, got {len(input_grads)})")
        for index, (edge, grad) in enumerate(zip(node.next_edges, input_grads)):
            if edge is not None and grad is not None:
                _add_to_buffer(buffers, edge[0], edge[1], _checked_gradient(node, index, edge, grad))
        _release_children(node, pending, buffers, ready)
    return captured


def _release_children(node, pending, buffers, ready):
    """One of each child's senders has run: the child is ready when all have."""
    for edge in node.next_edges:
        if edge is None:
            continue
        child = edge[0]
        pending[child] -= 1
        if pending[child] == 0:
            buffers.setdefault(child, [None] * len(child.output_meta))
            ready.append(child)


def _count_dependencies(start_nodes):
    """How many edges point at each node reachable from ``start_nodes``."""
    pending = {}
    stack = list(start_nodes)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if edge is None:
                continue
            child = edge[0]
            pending[child] = pending.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return pending


def _add_to_buffer(buffers, node, output_nr, grad):
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * len(node.output_meta)
    # out of place: a backward may hand the same array to several inputs
    if slots[output_nr] is None:
        slots[output_nr] = grad
    else:   # two 0-d arrays add up to a NumPy scalar: keep it a 0-d array (see _checked_gradient)
        total = slots[output_nr] + grad
        slots[output_nr] = numpy.asarray(total) if isinstance(total, numpy.generic) else total


def _fill_missing(node, grads):
    """Outputs that received no gradient get zeros (torch materializes them too)."""
    if all(grad is not None for grad in grads):
        return grads
    return [xp.zeros(shape, dtype) if grad is None else grad
            for grad, (shape, dtype, xp) in zip(grads, node.output_meta)]


def _run_output_hooks(node, grads):
    if not node.output_hooks:
        return grads
    grads = list(grads)
    for output_nr, hooks in node.output_hooks.items():
        for hook in list(hooks.values()):
            replaced = hook(Tensor._wrap(grads[output_nr]))
            if replaced is not None:
                grads[output_nr] = replaced.array
    return grads


def _checked_gradient(node, index, edge, grad):
    """``grad`` for input ``index`` of ``node``: the input's shape is required, its dtype restored."""
    child, output_nr = edge
    shape, dtype, _ = child.output_meta[output_nr]
    if grad.shape != shape:
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}")
    if not shape and isinstance(grad, numpy.generic):
        # NumPy ops on 0-d arrays give NumPy scalars, which a backward cannot write into
        # (grad[key] = 0): a 0-d gradient travels as a 0-d array
        grad = numpy.asarray(grad)
    # torch casts a gradient of another dtype back to the input's (float32 stays float32)
    return grad if grad.dtype == dtype else grad.astype(dtype)


# ---- the two ways in: backward() and grad() ----------------------------------
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
        roots.append((gradient_edge(output), grad_array))
    return roots


def _size(shape):
    return f"minigrad.Size({list(shape)})"


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``Tensor.backward``: accumulate d self / d leaf into every leaf's ``.grad``."""
    backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``."""
    if create_graph:
        raise NotImplementedError("minigrad computes first derivatives only (create_graph=False)")
    roots = _roots(_as_tuple(tensors), _as_tuple(grad_tensors))
    if inputs is None:
        run_backward(roots, retain_graph=bool(retain_graph))
        return
    # only ``inputs`` receive gradients: capture what reaches them, then accumulate as usual
    inputs = _as_tuple(inputs)
    edges = [gradient_edge(tensor) for tensor in inputs]
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
    if create_graph:
        raise NotImplementedError("minigrad computes first derivatives only (create_graph=False)")
    inputs = _as_tuple(inputs)
    roots = _roots(_as_tuple(outputs), _as_tuple(grad_outputs))
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    edges = [gradient_edge(tensor) for tensor in inputs]
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
