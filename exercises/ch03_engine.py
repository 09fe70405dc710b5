"""Chapter 3: the engine, a backward pass over minigrad's own graph (docs/course/03_engine.md).

A graph node is ``tensor.grad_fn``.  What you may use of a node:

* ``node.next_functions``: per input of the op, ``(input's node, 0)``, or
  ``(None, 0)`` for an input that needs no gradient;
* ``node.backward(grad_output)``: the gradients of the op's inputs (an array,
  or a tuple of arrays / None, one per input);
* a leaf that requires grad is represented by an ``AccumulateGrad`` node:
  ``node.accumulate(grad)`` adds ``grad`` into ``node.leaf.grad``.

Every node in the checks has one output, so one gradient buffer per node is
enough.  Write the bodies marked "Exercise"; check them with
``python -m minigrad.course check 3``.
"""
import numpy

from minigrad.core.function import AccumulateGrad


def count_dependencies(root):
    """Exercise 3.1: for every node reachable from ``root``, how many edges lead into it.

    Returns a dict {node: count}; ``root`` itself is not in it (nothing points
    at it).  ``x * x`` has two edges into x's node.  Use a loop, not recursion.
    """
    raise NotImplementedError("exercise 3.1: for every node reachable from root, how many edges lead into it")


def backward(loss):
    """Exercise 3.2: ``loss.backward()`` by hand: accumulate d loss / d leaf into every leaf's ``.grad``.

    ``loss`` is a scalar minigrad tensor.  Start with the gradient
    ``numpy.ones_like(loss.detach().numpy())`` at ``loss.grad_fn``; run a node
    only when every edge into it has delivered its gradient (count them with
    ``count_dependencies``), summing what arrives; hand each input its gradient.
    """
    raise NotImplementedError("exercise 3.2: loss.backward() by hand: accumulate d loss / d leaf into every leaf's .grad")
