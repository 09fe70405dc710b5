"""Chapter 4: the backwards of matmul, softmax, log_softmax and indexing (docs/course/04_op_backwards.md).

Each op is a ``Function``: ``forward`` on NumPy arrays, ``backward`` from
``grad_output`` (d loss / d output, the output's shape) to the gradient of each
input (each input's shape).  Write the bodies marked "Exercise"; check them
with ``python -m minigrad.course check 4``.
"""
import numpy

from minigrad.core.function import Function


class MatMul(Function):
    """``a @ b`` for 2-D arrays: a (n, k), b (k, m) -> (n, m)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad_output):
        """Exercise 4.1: the gradients of a (n, k) and b (k, m) from grad_output (n, m).

        Each is a matmul of grad_output with the other input, one of them
        transposed: check the shapes.
        """
        a, b = self.saved_tensors
        return grad_output @ b.T, a.T @ grad_output


class Softmax(Function):
    """``softmax(x)`` over the last dimension: (..., C) -> (..., C)."""

    def forward(self, x):
        """Exercise 4.2: exp(x) / sum(exp(x)) along the last axis, without overflow for large x."""
        shifted = numpy.exp(x - x.max(axis=-1, keepdims=True))
        y = shifted / shifted.sum(axis=-1, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, grad_output):
        """Exercise 4.2: the gradient of x: y * (g - sum(g * y)) along the last axis."""
        (y,) = self.saved_tensors
        return y * (grad_output - (grad_output * y).sum(axis=-1, keepdims=True))


class LogSoftmax(Function):
    """``log_softmax(x)`` over the last dimension: (..., C) -> (..., C)."""

    def forward(self, x):
        """Exercise 4.3: x - logsumexp(x) along the last axis, without overflow for large x."""
        peak = x.max(axis=-1, keepdims=True)
        y = x - peak - numpy.log(numpy.exp(x - peak).sum(axis=-1, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, grad_output):
        """Exercise 4.3: the gradient of x: g - softmax(x) * sum(g) along the last axis."""
        (y,) = self.saved_tensors
        return grad_output - numpy.exp(y) * grad_output.sum(axis=-1, keepdims=True)


class IndexRows(Function):
    """``x[index]``: rows of x (N, D) picked by an integer array index (K,) -> (K, D)."""

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return x[index]

    def backward(self, grad_output):
        """Exercise 4.4: the gradient of x (N, D): each row of grad_output (K, D) added to the row it came from.

        An index may repeat (an embedding looks up the same word twice): every
        repeat adds its gradient.
        """
        grad = numpy.zeros(self.shape, dtype=grad_output.dtype)
        numpy.add.at(grad, self.index, grad_output)
        return grad


def matmul(a, b):
    return MatMul.apply(a, b)


def softmax(x):
    return Softmax.apply(x)


def log_softmax(x):
    return LogSoftmax.apply(x)


def index_rows(x, index):
    """``x[index]`` with ``index`` a NumPy integer array."""
    return IndexRows.apply(x, index=index)
