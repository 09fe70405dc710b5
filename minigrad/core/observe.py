"""Watching the graph run: the one switch that anomaly mode, the profiler and the recorders share.

``Function.apply`` and the engine read one boolean, ``active``.  While it is
False (always, unless a tool is on) they run the op's ``forward`` / the node's
``backward`` directly, and nothing in this file runs: the cost of the tools
when off is that one check.  A tool (``autograd.detect_anomaly``,
``profiler.profile``, ``testing.locate_divergence``, ``viz.to_html``) adds an
observer with ``attach`` and removes it with ``detach``; while any observer is
attached, ``active`` is True and the calls go through ``forward`` / ``backward``
/ ``leaf_reached`` below, which tell every observer.

An observer defines any of::

    before_forward(node, inputs)                    # node made, its forward about to run
    after_forward(node, inputs, arrays, options, outputs)
    forward_failed(node, error)                     # node.forward raised (bad input)
    before_backward(node, grads, pending)           # grads: one array per output of node
    after_backward(node, grads, input_grads, pending)
    backward_failed(node, error)                    # node.backward (or an observer) raised
    leaf_reached(node, grad, pending)               # an AccumulateGrad node's turn

``pending`` is the engine's own count, per waiting node, of the senders that
have not run yet (read it, do not change it).
"""
from __future__ import annotations

active = False      # read on the hot path: True while at least one observer is attached
_observers = []


def traces_forward():
    """Is an observer on that shows each node's forward traceback when its backward fails
    (anomaly mode: torch's error hints then point at it)?"""
    return any(getattr(observer, "traces_forward", False) for observer in _observers)


def attach(observer):
    global active
    _observers.append(observer)
    active = True
    return observer


def detach(observer):
    global active
    if observer in _observers:
        _observers.remove(observer)
    active = bool(_observers)


def _each(method):
    return [getattr(observer, method) for observer in list(_observers) if hasattr(observer, method)]


def forward(node, inputs, arrays, options):
    """``node.forward(*arrays, **options)``, with every observer told before and after."""
    for before in _each("before_forward"):
        before(node, inputs)
    try:
        outputs = node.forward(*arrays, **options)
    except Exception as error:
        for failed in _each("forward_failed"):
            failed(node, error)
        raise
    for after in reversed(_each("after_forward")):
        after(node, inputs, arrays, options, outputs)
    return outputs


def custom_forward(node, inputs, call):
    """A torch-style custom Function's forward (``call()``, on tensors), with every observer told."""
    for before in _each("before_forward"):
        before(node, inputs)
    try:
        output = call()
    except Exception as error:
        for failed in _each("forward_failed"):
            failed(node, error)
        raise
    arrays = tuple(out.array for out in (output if isinstance(output, tuple) else (output,))
                   if hasattr(out, "array"))
    for after in reversed(_each("after_forward")):
        after(node, inputs, [tensor.array for tensor in inputs], {}, arrays if len(arrays) != 1 else arrays[0])
    return output


def backward(node, grads, pending):
    """``node.backward(*grads)``, with every observer told (an observer may raise: anomaly mode)."""
    try:
        for before in _each("before_backward"):
            before(node, grads, pending)
        input_grads = node.backward(*grads)
        as_tuple = input_grads if isinstance(input_grads, tuple) else (input_grads,)
        for after in reversed(_each("after_backward")):
            after(node, grads, as_tuple, pending)
    except Exception as error:
        for failed in _each("backward_failed"):
            failed(node, error)
        raise
    return input_grads


def leaf_reached(node, grad, pending):
    for reached in _each("leaf_reached"):
        reached(node, grad, pending)
