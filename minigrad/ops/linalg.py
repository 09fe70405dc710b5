"""Matrix products: ``matmul`` (``@``), ``mm``, ``bmm``, ``dot``, ``outer``.

``matmul`` follows torch's (and NumPy's) rules: a 1-D first argument is a row
vector and a 1-D second argument a column vector, the added dimension being
removed from the result; dimensions before the last two are batch dimensions
and broadcast.  Errors name the shapes with torch's wording.
"""
from __future__ import annotations

import math

from .. import dtypes
from ..autograd.function import Function
from ..backend import array_module
from .broadcast import broadcast_shapes, sum_to
from .reduction import _dtype_name

# the C++ names torch's mm uses in its dtype error
_CPP_TYPE_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "uint8": "unsigned char",
                   "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
                   "bool": "bool"}


class Matmul(Function):
    """``a @ b``: d/da = grad @ b^T, d/db = a^T @ grad, summed over broadcast batch dimensions."""

    _NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0", (3, 3): "BmmBackward0"}

    def name(self):
        return self._NAMES.get(self.ndims, "MatmulBackward0")

    def forward(self, a, b):
        self.save_for_backward(a, b)
        self.ndims = a.ndim, b.ndim
        return array_module(a).matmul(a, b)

    def backward(self, grad_output):
        a, b = self.saved_tensors
        xp = array_module(a)
        needs_a, needs_b = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:          # the common case: no vectors, no batch
            return (grad_output @ b.T if needs_a else None), (a.T @ grad_output if needs_b else None)
        # a vector argument is a (1, n) row / (n, 1) column; put its axis back into the gradient
        matrix_a = a.reshape(1, -1) if a.ndim == 1 else a
        matrix_b = b.reshape(-1, 1) if b.ndim == 1 else b
        if b.ndim == 1:
            grad_output = grad_output[..., None]
        if a.ndim == 1:
            grad_output = xp.expand_dims(grad_output, -2)
        grad_a = grad_b = None
        if needs_a:
            grad_a = sum_to(xp.matmul(grad_output, xp.swapaxes(matrix_b, -1, -2)), matrix_a.shape)
            grad_a = grad_a.reshape(a.shape)
        if needs_b:
            grad_b = sum_to(xp.matmul(xp.swapaxes(matrix_a, -1, -2), grad_output), matrix_b.shape)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b


class Outer(Function):
    """``a[:, None] * b[None, :]``: d/da = grad @ b, d/db = grad^T @ a."""

    def name(self):
        return "MulBackward0"     # torch computes outer as a broadcast product

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a[:, None] * b[None, :]

    def backward(self, grad_output):
        a, b = self.saved_tensors
        grad_a = grad_output @ b if self.needs_input_grad[0] else None
        grad_b = a @ grad_output if self.needs_input_grad[1] else None
        return grad_a, grad_b


# ---- checks, with torch's messages ----------------------------------------------------------
def _arrays(name, input, other):
    try:
        return input.array, other.array
    except AttributeError:
        culprit, position = (other, 1) if hasattr(input, "array") else (input, 0)
        argument = "other" if position else "input"
        raise TypeError(f"{name}(): argument '{argument}' (position {position + 1}) must be Tensor, "
                        f"not {type(culprit).__name__}") from None


def _shape_text(shape):
    return "x".join(str(n) for n in shape)


def _check_dtypes(a, b, kind):
    if a.dtype == b.dtype:
        return
    if kind == "dot":
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{_dtype_name(a)} and {_dtype_name(b)}")
    if kind == "mm":
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP_TYPE_NAMES[a.dtype.name]} != {_CPP_TYPE_NAMES[b.dtype.name]}")
    raise RuntimeError(f"expected scalar type {_dtype_name(a)} but found {_dtype_name(b)}")


def _check_vectors(a, b):
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")


def _check_mm(rows, inner, other_rows, other_columns):
    if inner != other_rows:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{inner} and "
                           f"{other_rows}x{other_columns})")


def _check_batched(batch, inner, other_rows):
    if inner != other_rows:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {inner}] but got: [{batch}, {other_rows}].")


def _check_matmul(a, b):
    """torch's errors for ``a @ b``, by the path torch takes for these dimensions."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        _check_dtypes(a, b, "dot")
        _check_vectors(a, b)
        return
    _check_dtypes(a, b, "mm" if a.ndim <= 2 and b.ndim <= 2 else "batched")
    if b.ndim == 1:                      # (..., m, n) @ (n,): the leading dims fold into rows
        if a.shape[-1] != b.shape[0]:
            rows = math.prod(a.shape[:-1])
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a.shape[-1]}), "
                               f"vec ({b.shape[0]})")
    elif b.ndim == 2:                    # (..., m, n) @ (n, p): one matrix product
        rows = math.prod(a.shape[:-1])
        _check_mm(rows, a.shape[-1], *b.shape)
    else:                                # batched
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
        _check_batched(math.prod(batch), a.shape[-1], b.shape[-2])


# ---- the public functions ----------------------------------------------------------------------
def matmul(input, other):
    """The matrix product with torch's rules for 1-D arguments and batch broadcasting.

    Shapes: ``(n,) @ (n,) -> ()``, ``(m, n) @ (n,) -> (m,)``, ``(n,) @ (n, p) -> (p,)``,
    ``(*B1, m, n) @ (*B2, n, p) -> (*broadcast(B1, B2), m, p)``.
    """
    a, b = _arrays("matmul", input, other)
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype == b.dtype:
        return Matmul.apply(input, other)      # the common case, checked in one line
    _check_matmul(a, b)
    return Matmul.apply(input, other)


def rmatmul(input, other):
    """``other @ input`` for a non-tensor ``other`` (Python asks the tensor's ``__rmatmul__``)."""
    raise TypeError(f"unsupported operand type(s) for @: '{type(other).__name__}' and 'Tensor'")


def mm(input, mat2):
    """``(n, m) @ (m, p) -> (n, p)``; both arguments must be matrices."""
    a, b = _arrays("mm", input, mat2)
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_dtypes(a, b, "mm")
    _check_mm(*a.shape, *b.shape)
    return Matmul.apply(input, mat2)


def bmm(input, mat2):
    """``(B, n, m) @ (B, m, p) -> (B, n, p)``; no broadcasting."""
    a, b = _arrays("bmm", input, mat2)
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_dtypes(a, b, "bmm")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return Matmul.apply(input, mat2)


def dot(input, tensor):
    """The inner product of two 1-D tensors of the same size and dtype."""
    a, b = _arrays("dot", input, tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _check_dtypes(a, b, "dot")
    _check_vectors(a, b)
    return Matmul.apply(input, tensor)


def outer(input, vec2):
    """``(n,) x (m,) -> (n, m)``: ``out[i, j] = input[i] * vec2[j]`` (dtypes promote, as torch)."""
    a, b = _arrays("outer", input, vec2)
    if a.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a.ndim}-D")
    if b.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {b.ndim}-D")
    if a.dtype != b.dtype:
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(input, vec2))
        input, vec2 = input.to(dtype), vec2.to(dtype)
    return Outer.apply(input, vec2)


ger = outer

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "ger"]
