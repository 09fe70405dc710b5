"""The backward pass: walk the graph from the outputs and push gradients to the leaves.

``backward`` (``loss.backward()``) and ``grad`` (``autograd.grad``) are the two
ways in; ``run_backward`` is the walk they share.

The walk is iterative (no recursion limit: a chain of 100,000 ops is fine).  A
node runs once all the nodes that feed it a gradient have run, so a node used
several times receives the sum of its gradients first (``b = a + a``).  Of the
nodes ready to run, the newest (highest ``sequence_nr``) runs first, as in
torch's engine: that order decides which error a broken graph raises first (a
node that was written in place since, one without a derivative) and in which
order a gradient's parts are summed.  Where the node to run next is the one input of the node
that just ran (a chain of ops), it runs straight away, past the heap and the buffers
(``_next_in_line``): the same order, for less bookkeeping.

Gradients flow as raw arrays, except with ``create_graph=True``: then they flow
as Tensors and every node's backward runs with grad mode on, so the backward
pass is itself recorded as a graph and can be differentiated again.  Both walks
are this one loop; the few places that differ ask ``create_graph``.
"""
from __future__ import annotations

from heapq import heappop, heappush

import numpy

from . import dtypes, observe
from .device import array_module, quiet_float_errors
from .function import FREED_GRAPH_MESSAGE, AccumulateGrad, gradient_edge, run_hook
from .grad_mode import enable_grad
from .tensor import Tensor
from .unbroadcast import sum_to


def run_backward(roots, retain_graph=False, capture=None, create_graph=False):
    """Propagate gradients from ``roots`` = [((node, output_nr), grad), ...].

    Without ``capture`` the gradients are accumulated into the leaves' ``.grad``.
    With ``capture`` = {(node, output_nr), ...} nothing is accumulated and the
    gradients that reach those edges are returned as a dict (``autograd.grad``).
    A grad is an array, or a Tensor with ``create_graph`` (then the backward is recorded).
    """
    with quiet_float_errors():     # (one switch per backward, not one per node)
        return _propagate(roots, retain_graph, capture, create_graph)


def _propagate(roots, retain_graph, capture, create_graph):
    buffers = {}                      # node -> [grad per output]
    for (node, output_nr), grad in roots:
        _add_to_buffer(buffers, node, output_nr, grad)
    pending, senders = _count_dependencies(buffers, with_senders=bool(capture))
    # autograd.grad runs only the nodes that lead to a captured edge (as torch's does)
    leads_to_capture = _leading_to({node for node, _ in capture}, senders) if capture else None
    # a heap of nodes, the newest ready node first (``Function.__lt__``).  AccumulateGrad and the
    # NotImplemented nodes share torch's largest number: heapq breaks such ties as torch's
    # std::priority_queue does (both sift on a strict comparison and prefer the right child), so
    # the nodes go in in torch's order, the roots' (its GraphRoot's edges), then as each node runs
    ready = []
    for node in buffers:
        if pending.get(node, 0) == 0:
            heappush(ready, node)
    captured = {}
    while ready:
        node = heappop(ready)
        grads = buffers.pop(node)
        while node is not None:   # (a node, then its lone input's node straight after: _next_in_line)
            node, grads = _run_node(node, grads, buffers, pending, ready, capture, captured,
                                    leads_to_capture, retain_graph, create_graph)
    return captured


def _run_node(node, grads, buffers, pending, ready, capture, captured, leads_to_capture, retain_graph,
              create_graph):
    """Run ``node`` on the gradients of its outputs and pass its inputs' gradients on.  Returns the
    node to run next with its gradients where that is the one input's node that the heap would pop
    next anyway (a chain of ops), else (None, None)."""
    if len(grads) != 1 or grads[0] is None:   # (one output with a gradient: the common case)
        if all(grad is None for grad in grads):   # nothing reached this node
            _release_children(node, pending, buffers, ready)
            return None, None
        grads = _fill_missing(node, grads, create_graph)
    if node.output_hooks:
        grads = _run_output_hooks(node, grads)
    if capture is not None:
        for output_nr, grad in enumerate(grads):
            if (node, output_nr) in capture:
                captured[(node, output_nr)] = grad
        if leads_to_capture is not None and node not in leads_to_capture and type(node) is not AccumulateGrad:
            _release_children(node, pending, buffers, ready)
            return None, None
    if type(node) is AccumulateGrad:
        if observe.active:
            observe.leaf_reached(node, grads[0], pending)
        if capture is None:
            node.accumulate(grads[0])
        return None, None
    # torch unpacks a node's saved variables (freed? written in place since?) before its formula
    saved_versions = node._saved_versions
    if saved_versions or node._saved is None:
        node.check_saved()
    if create_graph:
        with enable_grad():
            input_grads = (_composite_backward(node, grads) if node.composite is not None
                           else node._differentiable_backward(grads))
    elif observe.active:     # anomaly mode, the profiler or a recorder is on (off: this check only)
        input_grads = observe.backward(node, grads, pending)
    else:
        input_grads = node.backward(*grads)
    grads = None
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if not retain_graph:
        if saved_versions or node._saved or node._composite_inputs is not None:
            node.release()     # (a node that saved nothing has nothing to free)
        if node.holds_replaced_node:
            node.holds_replaced_node = False     # (torch's CopySlices lets go of the write: views.py)
    edges = node.next_edges
    if len(input_grads) != len(edges):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(edges)}, got {len(input_grads)})")
    if len(edges) == 1:
        child = _next_in_line(edges[0], input_grads[0], buffers, pending, ready)
        if child is not None:
            grads = [input_grads[0]]
            input_grads = None   # the engine's last reference but grads: a leaf may take it (_unshared)
            return child, grads
    _pass_on(node, input_grads, buffers, pending, ready, create_graph)
    return None, None


def _next_in_line(edge, grad, buffers, pending, ready):
    """The node of a lone input edge where it may run at once, its gradient being ``grad`` alone:
    this was the last edge it waited for, no other gradient reached it, ``grad`` needs no check, and
    the heap holds no newer node (it would pop this one next: the walk's order is unchanged).  A
    chain of ops so skips the heap and the buffers.  Else None (``_pass_on`` takes the usual way)."""
    if edge is None or grad is None:
        return None
    child, output_nr = edge
    if pending[child] != 1 or child in buffers or output_nr != 0 or len(child.output_meta) != 1:
        return None
    if ready and not child.sequence_nr > ready[0].sequence_nr:   # (ties: the heap's own order decides)
        return None
    shape, dtype, _ = child.output_meta[0]
    if not (type(grad) is numpy.ndarray and grad.shape == shape and grad.dtype == dtype):
        return None       # (``_pass_on``'s check, inline there too: once per edge, no call)
    pending[child] = 0
    return child


def _composite_backward(node, grad_outputs):
    """A fused op's backward as a graph (create_graph=True): recompute its outputs from its inputs
    with the differentiable ops of ``node.composite``, and differentiate those."""
    if node._composite_inputs is None:
        raise RuntimeError(FREED_GRAPH_MESSAGE)
    inputs = [node._graph_tensor(array, ("input", index)) for index, array in enumerate(node._composite_inputs)]
    # each input behind an alias of its own, and the gradients taken at those: an input computed from
    # another input (``layer_norm(x * w, w)``) must not pass its gradient on to that one here as well
    inputs = [tensor.view_as(tensor) if tensor.requires_grad else tensor for tensor in inputs]
    outputs = node.composite(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    pairs = [(output, grad) for output, grad in zip(outputs, grad_outputs) if output.requires_grad]
    targets = [(index, tensor) for index, tensor in enumerate(inputs) if tensor.requires_grad]
    input_grads = [None] * len(node.next_edges)
    if pairs and targets:
        results = grad([output for output, _ in pairs], [tensor for _, tensor in targets],
                       [g for _, g in pairs], create_graph=True, allow_unused=True)
        for (index, _), result in zip(targets, results):
            input_grads[index] = result
    return tuple(input_grads)


def _release_children(node, pending, buffers, ready):
    """``node`` passes no gradient on (nothing reached it, or it leads to no captured edge)."""
    _pass_on(node, (None,) * len(node.next_edges), buffers, pending, ready, False)


def _pass_on(node, input_grads, buffers, pending, ready, create_graph):
    """Each input's gradient into its node's buffer; a node is ready once all its senders ran."""
    for index, edge in enumerate(node.next_edges):
        if edge is None:
            continue
        child, output_nr = edge
        slots = buffers.get(child)      # (_add_to_buffer inlined: once per edge, 1% of a small op's cost)
        if slots is None:
            slots = buffers[child] = [None] * len(child.output_meta)
        grad = input_grads[index]
        if grad is not None:
            shape, dtype, _ = child.output_meta[output_nr]
            if not (type(grad) is numpy.ndarray and grad.shape == shape and grad.dtype == dtype):
                grad = _checked_gradient(node, index, edge, grad, create_graph)   # (the common case passes)
            slots[output_nr] = grad if slots[output_nr] is None else _sum(slots[output_nr], grad)
        count = pending[child] - 1
        pending[child] = count
        if count == 0:
            heappush(ready, child)


def _count_dependencies(start_nodes, with_senders=False):
    """How many edges point at each node reachable from ``start_nodes`` (and, if asked, who sends)."""
    pending, senders = {}, {} if with_senders else None
    stack = list(start_nodes)
    starts = set(stack)
    count_of, walk_on, next_node = pending.get, stack.append, stack.pop    # (once per node: bound once)
    while stack:
        node = next_node()
        for edge in node.next_edges:
            if edge is not None:
                child = edge[0]
                count = count_of(child, 0)
                pending[child] = count + 1
                if senders is not None:
                    senders.setdefault(child, []).append(node)
                if count == 0 and child not in starts:    # met for the first time: walk on from it
                    walk_on(child)
    return pending, senders


def _leading_to(targets, senders):
    """The nodes from which one of ``targets`` is reached by one edge or more."""
    leading, stack = set(), list(targets)
    while stack:
        for sender in senders.get(stack.pop(), ()):
            if sender not in leading:
                leading.add(sender)
                stack.append(sender)
    return leading


def _add_to_buffer(buffers, node, output_nr, grad):
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * len(node.output_meta)
    slots[output_nr] = grad if slots[output_nr] is None else _sum(slots[output_nr], grad)


def _sum(first, second):
    """Two gradients of one output, added out of place: a backward may hand the same array to
    several inputs.  Laid out as the first, as torch's input buffer adds them (into the first, or
    by TensorIterator, whose first operand decides the order where their strides disagree; NumPy's
    sum of two layouts is row-major): a backward that reads its gradient's layout (hardtanh's at NaN)
    sees torch's.  Two 0-d arrays add up to a NumPy scalar: it stays a 0-d array (see
    _checked_gradient)."""
    if type(first) is numpy.ndarray and type(second) is numpy.ndarray and first.strides != second.strides \
            and first.ndim > 1 and first.dtype == second.dtype:
        return numpy.add(first, second, out=numpy.empty_like(first))
    total = first + second
    return numpy.asarray(total) if isinstance(total, numpy.generic) else total


def _fill_missing(node, grads, create_graph):
    """Outputs that received no gradient get zeros (torch materializes them too)."""
    if all(grad is not None for grad in grads) or not getattr(node, "materialize_grads", True):
        return grads    # (a custom Function may ask for None instead: ctx.set_materialize_grads(False))
    zeros = [xp.zeros(shape, dtype) for shape, dtype, xp in node.output_meta]
    if create_graph:
        zeros = [Tensor._wrap(zero) for zero in zeros]
    return [zero if grad is None else grad for grad, zero in zip(grads, zeros)]


def _run_output_hooks(node, grads):
    grads = list(grads)
    for output_nr, hooks in node.output_hooks.items():
        for hook in list(hooks.values()):
            grads[output_nr] = run_hook(hook, grads[output_nr])
    return grads


def _expandable(shape, target):
    """Does ``shape`` broadcast to ``target`` (torch's ``is_expandable_to``)?"""
    if len(shape) > len(target):
        return False
    return all(size in (1, wanted) for size, wanted in zip(shape[::-1], target[::-1]))


def _checked_gradient(node, index, edge, grad, create_graph):
    """``grad`` for input ``index`` of ``node``: the input's shape is required, its dtype restored."""
    child, output_nr = edge
    shape, dtype, _ = child.output_meta[output_nr]
    if tuple(grad.shape) != shape:
        if _expandable(shape, tuple(grad.shape)):
            # torch's validate_outputs sums a gradient that ``shape`` broadcasts to down to it
            return _checked_gradient(node, index, edge, sum_to(grad, shape), create_graph)
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}")
    if not shape and isinstance(grad, numpy.generic):
        # NumPy ops on 0-d arrays give NumPy scalars, which a backward cannot write into
        # (grad[key] = 0): a 0-d gradient travels as a 0-d array
        grad = numpy.asarray(grad)
    # torch casts a gradient of another dtype back to the input's (float32 stays float32)
    if create_graph:
        return grad if grad.array.dtype == dtype else grad.to(dtypes.from_numpy_dtype(dtype))
    return grad if grad.dtype == dtype else grad.astype(dtype)


# ---- the two ways in: backward() and grad() ----------------------------------
def _as_tuple(value):
    if value is None:
        return None
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _roots(outputs, grad_outputs, create_graph):
    """Pair each output with its starting gradient (ones for a scalar output).

    Arrays, or Tensors with ``create_graph`` (a given grad_output then keeps its own
    graph, so the result can depend on it: torch's double-backward trick for jvp).
    """
    roots = []
    grad_outputs = grad_outputs or (None,) * len(outputs)
    for grad in grad_outputs:
        if grad is not None and not isinstance(grad, Tensor):
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
            grad = Tensor._wrap(xp.ones(output.array.shape, output.array.dtype))
        elif grad.array.shape != output.array.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                               f"{_size(grad.array.shape)} and output[0] has a shape of "
                               f"{_size(output.array.shape)}.")
        if create_graph:
            if grad.array.dtype != output.array.dtype:
                grad = grad.to(output.dtype)
            roots.append((gradient_edge(output), grad))
        else:
            roots.append((gradient_edge(output), grad.array.astype(output.array.dtype, copy=False)))
    return roots


def _size(shape):
    return f"minigrad.Size({list(shape)})"


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``Tensor.backward``: accumulate d self / d leaf into every leaf's ``.grad``."""
    backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``.

    ``create_graph=True`` records the backward pass itself, so the ``.grad`` it leaves
    has a ``grad_fn`` and can be differentiated again; ``retain_graph`` then defaults
    to True (as torch's), since a second pass needs what the first one saved.
    """
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = _roots(_as_tuple(tensors), _as_tuple(grad_tensors), create_graph)
    if inputs is None:
        run_backward(roots, retain_graph=bool(retain_graph), create_graph=create_graph)
        return
    # only ``inputs`` receive gradients: capture what reaches them, then accumulate as usual
    inputs = _as_tuple(inputs)
    edges = [gradient_edge(tensor) for tensor in inputs]
    captured = run_backward(roots, retain_graph=bool(retain_graph), capture=set(edges),
                            create_graph=create_graph)
    for tensor, (node, output_nr) in zip(inputs, edges):
        grad = captured.get((node, output_nr))
        if grad is None:
            continue
        if isinstance(node, AccumulateGrad):
            node.accumulate(grad)              # runs the leaf's hooks, as a full backward would
        elif not tensor._retains_grad:         # retain_grad's hook has stored it already
            if create_graph:
                tensor.grad = grad if tensor.grad is None else tensor.grad + grad
            else:
                previous = tensor.grad.array if tensor.grad is not None else 0
                tensor.grad = Tensor._wrap(grad + previous)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    With ``create_graph=True`` the results carry a graph (``grad_fn``) and can be
    differentiated again: ``grad(grad(y, x, create_graph=True)[0].sum(), x)`` is a
    second derivative.
    """
    retain_graph = create_graph if retain_graph is None else retain_graph
    inputs = _as_tuple(inputs)
    roots = _roots(_as_tuple(outputs), _as_tuple(grad_outputs), create_graph)
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    edges = [gradient_edge(tensor) for tensor in inputs]
    captured = run_backward(roots, retain_graph=bool(retain_graph), capture=set(edges),
                            create_graph=create_graph)
    results = []
    for index, (tensor, edge) in enumerate(zip(inputs, edges)):
        result = captured.get(edge)
        if result is None:
            if materialize_grads:
                result = Tensor._wrap(tensor.array * 0) if create_graph else tensor.array * 0
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {index} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        if result is None or create_graph:
            results.append(result)
            continue
        if not getattr(result.flags, "writeable", True):
            result = result.copy()   # a broadcast view from sum/mean's backward
        results.append(Tensor._wrap(result))
    return tuple(results)
