"""``torch.autograd.Function``: a user's own differentiable op, written with tensors.

::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                  # tensors in (and any other arguments)
            result = x.exp()
            ctx.save_for_backward(result)
            return result                     # a tensor (or a tuple of them) out

        @staticmethod
        def backward(ctx, grad_output):       # one gradient per output in,
            (result,) = ctx.saved_tensors      # one per forward argument out (None for non-tensors)
            return grad_output * result

    y = Exp.apply(x)

The ``ctx`` is the graph node itself: minigrad's one concept of a node
(``core/function.py``), whose built-in ops are written on raw arrays for speed.
``forward`` runs without recording a graph; ``backward`` runs on tensors, and
with ``create_graph=True`` it is recorded like any other computation, so a
backward written with differentiable ops can be differentiated again (unless
it is marked ``@once_differentiable``).  Optional: ``setup_context(ctx, inputs,
output)`` with a ``forward`` that takes no ``ctx``; ``ctx.mark_dirty``,
``ctx.mark_non_differentiable``, ``ctx.set_materialize_grads``, ``ctx.needs_input_grad``.
"""
from __future__ import annotations

import functools

from ..core import observe
from ..core.function import Function as Node
from ..core.function import gradient_edge, next_sequence_nr, output_meta
from ..core.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..core.tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class Function(Node):
    """Base class of torch-style custom functions: ``@staticmethod forward(ctx, ...)`` and
    ``@staticmethod backward(ctx, *grad_outputs)``, used through ``apply``."""

    differentiable_backward = True
    materialize_grads = True
    _dirty = ()
    _non_differentiable = ()

    # ---- the ctx interface -------------------------------------------------------------
    def save_for_backward(self, *tensors):
        for tensor in tensors:
            if tensor is not None and not isinstance(tensor, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(tensor)} is of type {type(tensor).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self):
        arrays = super().saved_tensors                   # version checks; Tensors when recording
        if self._graph_mode:
            return arrays
        return tuple(None if array is None else Tensor._wrap(array) for array in arrays)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def name(self):
        return type(self).__name__

    # ---- running it --------------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arguments and join the graph; returns what ``forward`` returned."""
        ctx = cls._node_class()
        positions = [index for index, arg in enumerate(args) if isinstance(arg, Tensor)]
        tensors = [args[index] for index in positions]
        ctx.needs_input_grad = tuple(isinstance(arg, Tensor) and arg.requires_grad for arg in args)
        ctx._positions = positions
        def run_forward():
            with no_grad():
                if _has_own(cls, "setup_context"):
                    result = cls.forward(*args, **kwargs)
                    cls.setup_context(ctx, args, result)
                    return result
                return cls.forward(ctx, *args, **kwargs)
        # anomaly mode and the profiler see custom Functions too (off: this check only)
        output = observe.custom_forward(ctx, tensors, run_forward) if observe.active else run_forward()
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        if not (is_grad_enabled() and any(tensor.requires_grad for tensor in tensors)):
            return output
        outputs = ctx._join(tensors, outputs)
        return outputs[0] if single else outputs

    def _join(self, tensors, outputs):
        """Edges to the tensor inputs; the outputs' ``grad_fn``; saved tensors as the graph's."""
        self.next_edges = tuple(gradient_edge(tensor) if tensor.requires_grad else None for tensor in tensors)
        self.sequence_nr = next_sequence_nr()
        dirty = {id(tensor) for tensor in self._dirty}
        results = []
        for output in outputs:
            if isinstance(output, Tensor) and id(output) in {id(t) for t in tensors} and id(output) not in dirty:
                output = Tensor._wrap(output.array)     # an input returned as it is: a new tensor, as torch
            results.append(output)
        graph_outputs = [output for output in results if isinstance(output, Tensor)]
        self.output_meta = tuple(output_meta(output.array) for output in graph_outputs)
        saved = self._saved
        if saved:
            self._saved = tuple(None if tensor is None else tensor.array for tensor in saved)
            self._remember_saved_versions(tensors, graph_outputs)
        frozen = {id(tensor) for tensor in self._non_differentiable}
        for output_nr, output in enumerate(graph_outputs):
            if id(output) in dirty:
                output._version_counter.value += 1       # modified in place
            if output.array.dtype.kind in "fc" and id(output) not in frozen:
                output._requires_grad, output.grad_fn, output._output_nr = True, self, output_nr
        return tuple(results)

    def backward(self, *grad_outputs):
        """The engine's call (arrays in, arrays out): the user's backward on tensors, no graph."""
        grads = tuple(None if grad is None else Tensor._wrap(grad) for grad in grad_outputs)
        with no_grad():
            results = self._user_backward(grads)
        return tuple(None if result is None else result.array for result in results)

    def _differentiable_backward(self, grad_outputs):
        """With create_graph=True: the user's backward on tensors, recorded (or not: once_differentiable)."""
        self._graph_mode = True
        try:
            if getattr(_user_backward_of(type(self)), "once_differentiable", False):
                with no_grad():
                    return self._user_backward(grad_outputs)
            with enable_grad():
                return self._user_backward(grad_outputs)
        finally:
            self._graph_mode = False

    def _user_backward(self, grads):
        """The user's backward, its results checked and placed on the tensor inputs."""
        user_backward = _user_backward_of(type(self))
        if user_backward is None:
            raise NotImplementedError("You must implement either the backward or vjp method for your "
                                      "custom autograd.Function to use it with backward mode AD.")
        results = user_backward(self, *grads)
        results = results if isinstance(results, tuple) else (results,)
        expected = len(self.needs_input_grad)
        if len(results) < expected or any(result is not None for result in results[expected:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {expected}, got {len(results)})")
        positions = set(self._positions)
        for index, result in enumerate(results[:expected]):
            if result is not None and index not in positions:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at "
                                   f"position {index + 1}, but the corresponding forward input was not "
                                   "a Variable")
        return tuple(results[index] for index in self._positions)

    def __init_subclass__(cls, node_of=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if node_of is not None:                 # the node class made below: nothing to set up
            return
        backward = cls.__dict__.get("backward")
        if backward is not None:                # keep the user's; the engine calls ours
            cls._users_backward = backward
            del cls.backward
        # the graph nodes (and ctx objects) are of a subclass named as torch names them
        cls._node_class = type(f"{cls.__name__}Backward", (cls,), {"__module__": cls.__module__},
                               node_of=cls)


def _user_backward_of(cls):
    for klass in cls.__mro__:
        if "_users_backward" in klass.__dict__:
            function = klass.__dict__["_users_backward"]
            return function.__func__ if isinstance(function, staticmethod) else function
        if klass is Function:
            return None
    return None


def _has_own(cls, name):
    """Whether a subclass of Function defines ``name`` (``setup_context``)."""
    return any(name in klass.__dict__ for klass in cls.__mro__ if klass is not Function and
               issubclass(klass, Function))


def once_differentiable(backward):
    """Mark a backward that is not itself differentiable: with create_graph=True its results carry
    no graph (as torch's ``torch.autograd.function.once_differentiable``)."""
    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            return backward(ctx, *grad_outputs)
    wrapper.once_differentiable = True
    return wrapper


FunctionCtx = Function     # torch's name for the type of ``ctx``
