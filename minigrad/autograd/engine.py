"""The backward pass: walk the graph from the outputs and push gradients to the leaves.

The walk is iterative (no recursion limit: a chain of 100,000 ops is fine).  A
node runs once all the nodes that feed it a gradient have run, so a node used
several times receives the sum of its gradients first (``b = a + a``).
"""
from __future__ import annotations

from .function import AccumulateGrad


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
    slots[output_nr] = grad if slots[output_nr] is None else slots[output_nr] + grad


def _fill_missing(node, grads):
    """Outputs that received no gradient get zeros (torch materializes them too)."""
    if all(grad is not None for grad in grads):
        return grads
    return [xp.zeros(shape, dtype) if grad is None else grad
            for grad, (shape, dtype, xp) in zip(grads, node.output_meta)]


def _run_output_hooks(node, grads):
    if not node.output_hooks:
        return grads
    from ..tensor import Tensor
    grads = list(grads)
    for output_nr, hooks in node.output_hooks.items():
        for hook in hooks:
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
    # torch casts a gradient of another dtype back to the input's (float32 stays float32)
    return grad if grad.dtype == dtype else grad.astype(dtype)
