"""Inverses, determinants and singular values: the Functions behind ``linalg.inv det slogdet
solve svdvals``.

Each forward is NumPy's LAPACK call (``numpy.linalg``, on batches of matrices in the last two
dims); each backward is torch's formula (``tools/autograd/derivatives.yaml``), written with
operations that work on arrays and on Tensors alike, so that it has a second derivative too:

* ``inv``:      ``dA = -X^T dX X^T``                 (X = A^-1)
* ``det``:      ``dA = g adj(A)^T`` (``g det(A) A^-T`` where A is invertible)
* ``slogdet``:  ``dA = g A^-T``                      (the sign has no gradient)
* ``solve``:    ``dB = A^-T dX``, ``dA = -dB X^T``   (X = A^-1 B)
* ``svdvals``:  ``dA = U diag(dS) V^T``

A matrix LAPACK finds singular (an exact zero pivot) gives torch's ``LinAlgError``, naming the
pivot (``_first_zero_pivot``: partial pivoting, as LAPACK's getrf) and the batch element.
"""
from __future__ import annotations

import numpy

from ..core import dtypes
from ..core.device import array_module
from ..core.function import Function
from ..core.tensor import Tensor
from .broadcast import sum_to
from .indexing import where
from .reduction import return_types

__all__ = ["inverse", "det", "slogdet", "logdet"]


class LinAlgError(RuntimeError):
    """torch's ``torch.linalg.LinAlgError``: a matrix LAPACK could not factor (singular)."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"     # (torch's class name, as errors print it)


def _transposed(matrix):
    """``matrix`` with its last two dims swapped (an array or a Tensor)."""
    return matrix.swapaxes(-1, -2)


def _inverse(matrix):
    """``matrix``'s inverse: NumPy's for an array, the differentiable ``Inv`` for a Tensor."""
    return Inv.apply(matrix) if isinstance(matrix, Tensor) else array_module(matrix).linalg.inv(matrix)


def check_square(name, matrix):
    """torch's checks of ``name``'s matrix argument (``'linalg.inv'``): 2 dims at least, square, floating."""
    array = matrix.array
    if array.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if array.shape[-1] != array.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{array.shape[-2]} by {array.shape[-1]} matrices")
    if array.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.scalar_type_name(array.dtype)}")


def _first_zero_pivot(matrix):
    """``(batch element, pivot)`` of the first matrix whose LU factorisation with partial pivoting
    (LAPACK's getrf: the largest magnitude in the column, the first of equals) meets an exact zero
    pivot, the pivot counted from 1; None if none does.  Run only where LAPACK already refused."""
    matrices = numpy.asarray(matrix, dtype=numpy.float64).reshape((-1,) + matrix.shape[-2:])
    for element, factor in enumerate(matrices):
        factor = factor.copy()
        for column in range(factor.shape[0]):
            row = column + int(numpy.argmax(numpy.abs(factor[column:, column])))
            if factor[row, column] == 0:
                return element, column + 1
            factor[[column, row]] = factor[[row, column]]
            below = factor[column + 1:, column] / factor[column, column]
            factor[column + 1:, column:] -= below[:, None] * factor[column, column:]
    return None


def singular_error(name, matrix, words):
    """torch's LinAlgError for a singular ``matrix`` (an array): ``words`` after the pivot's place,
    with the batch element named for a batch."""
    found = _first_zero_pivot(matrix) or (0, matrix.shape[-1])
    batch = f"(Batch element {found[0]}): " if matrix.ndim > 2 else ""
    return LinAlgError(f"linalg.{name}: {batch}The diagonal element {found[1]} is zero, {words}")


class Inv(Function):
    """``A^-1`` of each matrix; dA = -X^T dX X^T."""

    differentiable_backward = True

    def name(self):
        return "LinalgInvExBackward0"

    def forward(self, a):
        xp = array_module(a)
        try:
            result = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise singular_error("inv", a, "the inversion could not be completed because the input matrix "
                                           "is singular.") from None
        self.save_for_backward(result)
        return result

    def backward(self, grad_output):
        (inverse,) = self.saved_tensors
        return -(_transposed(inverse) @ grad_output @ _transposed(inverse))


class Det(Function):
    """``det(A)``; dA = g adj(A)^T: from the SVD ``A = U S V^T`` it is ``det(U) det(V) U diag(prod of the
    other singular values) V^T``, which holds for a singular A too (torch's gradient there is also
    finite); recorded as a graph, ``g det(A) A^-T``."""

    differentiable_backward = True

    def name(self):
        return "LinalgDetBackward0"

    def forward(self, a):
        result = array_module(a).linalg.det(a)
        self.save_for_backward(a, result)
        return result

    def backward(self, grad_output):
        a, determinant = self.saved_tensors
        scale = (grad_output * determinant)[..., None, None]
        if isinstance(a, Tensor):
            try:
                return scale * _transposed(_inverse(a))
            except LinAlgError:
                raise NotImplementedError("minigrad cannot differentiate det twice (create_graph=True) at a "
                                          "singular matrix: its gradient there, the cofactors, is taken from "
                                          "the SVD, which has no recorded backward") from None
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a)
        others = xp.stack([xp.prod(xp.delete(s, i, axis=-1), axis=-1) for i in range(s.shape[-1])], axis=-1)
        signs = xp.linalg.det(u) * xp.linalg.det(vh)
        cofactors = (u * others[..., None, :]) @ vh * signs[..., None, None]
        return grad_output[..., None, None] * cofactors


class Slogdet(Function):
    """``(sign, log|det A|)``; dA = g A^-T from the log (the sign has none)."""

    differentiable_backward = True

    def name(self):
        return "LinalgSlogdetBackward0"

    def forward(self, a):
        sign, logabsdet = array_module(a).linalg.slogdet(a)
        self.save_for_backward(a)
        return sign, logabsdet

    def backward(self, grad_sign, grad_logabsdet):
        (a,) = self.saved_tensors
        if grad_logabsdet is None:
            return None
        return grad_logabsdet[..., None, None] * _transposed(_inverse(a))


class Solve(Function):
    """``X = A^-1 B`` (``vector``: B is a batch of vectors); dB = A^-T dX, dA = -dB X^T."""

    differentiable_backward = True

    def name(self):
        return "LinalgSolveExBackward0"

    def forward(self, a, b, vector):
        xp = array_module(a)
        self.vector, self.shapes = vector, (a.shape, b.shape)
        try:
            result = xp.linalg.solve(a, b[..., None])[..., 0] if vector else xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") \
                from None
        self.save_for_backward(a, result)
        return result

    def backward(self, grad_output):
        a, result = self.saved_tensors
        needs_a, needs_b = self.needs_input_grad
        transposed = _transposed(a)
        if self.vector:
            grad_b = Solve.apply(transposed, grad_output, vector=True) if isinstance(a, Tensor) else \
                array_module(a).linalg.solve(transposed, grad_output[..., None])[..., 0]
            grad_a = -(grad_b[..., :, None] * result[..., None, :]) if needs_a else None
        else:
            grad_b = Solve.apply(transposed, grad_output, vector=False) if isinstance(a, Tensor) else \
                array_module(a).linalg.solve(transposed, grad_output)
            grad_a = -(grad_b @ _transposed(result)) if needs_a else None
        a_shape, b_shape = self.shapes
        return (sum_to(grad_a, a_shape) if needs_a else None), (sum_to(grad_b, b_shape) if needs_b else None)


class Svdvals(Function):
    """The singular values, largest first; dA = U diag(dS) V^T.  (U and V are kept as arrays, not as
    functions of A: a second derivative would miss theirs, so create_graph=True refuses, clearly.)"""

    differentiable_backward = False

    def name(self):
        return "LinalgSvdBackward0"

    def forward(self, a):
        u, s, vh = array_module(a).linalg.svd(a, full_matrices=False)
        self.u, self.vh = u, vh
        return s

    def backward(self, grad_output):
        return (self.u * grad_output[..., None, :]) @ self.vh


# ---- torch's functions and methods (``torch.linalg``'s are ``minigrad/linalg.py``) ------------------
def inverse(input):
    """``torch.inverse``: ``linalg.inv``."""
    check_square("linalg.inv", input)
    return Inv.apply(input)


def det(input):
    """``torch.det``: ``linalg.det``."""
    check_square("linalg.det", input)
    return Det.apply(input)


def slogdet(input):
    """``torch.slogdet``: ``(sign, logabsdet)``, as ``linalg.slogdet``."""
    check_square("linalg.slogdet", input)
    return return_types.slogdet(*Slogdet.apply(input))


def logdet(input):
    """``torch.logdet``: ``log(det)``: NaN where the determinant is negative, -inf where it is 0."""
    check_square("logdet", input)
    sign, logabsdet = Slogdet.apply(input)
    return where(sign == -1, float("nan"), logabsdet)
