"""``minigrad.linalg``: torch's ``torch.linalg`` namespace, the part a tutorial meets (no ``out=``:
passing one is a TypeError, not a silent no-op).

Norms (``vector_norm``, ``matrix_norm``, ``norm``), ``inv``, ``det``, ``slogdet``, ``solve``,
``svdvals``, and the products ``vecdot``, ``multi_dot``, ``matmul``, ``cross``, ``diagonal``;
``LinAlgError`` for a singular matrix.  The Functions are ``ops/inverses.py`` and
``ops/reduction.Norm``; the matrix norms are the compositions torch uses (``'nuc'`` the sum of
the singular values, ``1`` the largest column sum of magnitudes, ...), with torch's ``grad_fn``s.
"""
from __future__ import annotations

import math
import numbers

from .core.dtypes import scalar_type_name
from .core.tensor import _check_dim
from .ops import inverses, reduction, shape
from .ops import linalg as _products
from .ops.inverses import LinAlgError, Slogdet, Solve, Svdvals, check_square
from .ops.reduction import return_types

__all__ = ["LinAlgError", "vector_norm", "matrix_norm", "norm", "inv", "det", "slogdet", "solve", "svdvals",
           "vecdot", "multi_dot", "matmul", "cross", "diagonal"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (every element by default); ``ord`` a number or +-inf."""
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    return reduction.norm(x, ord, dim, keepdim, dtype=dtype)


_MATRIX_ORDERS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm of each matrix in the dims ``dim``: ``'fro'`` (the square root of the sum of
    squares), ``'nuc'`` (the sum of the singular values), ``2``/``-2`` (the largest/smallest singular
    value), ``1``/``-1`` (the largest/smallest column sum of magnitudes), ``inf``/``-inf`` (rows)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else None
    if dims is None or len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {_shown(dim)}")
    if ord not in _MATRIX_ORDERS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {_shown(ord)} not supported.")
    rows, columns = (_check_dim(d, A.dim()) for d in dims)
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return reduction.norm(A, 2, (rows, columns), keepdim)
    if ord in ("nuc", 2, -2):        # the singular values, of the two dims moved last (as torch: permuted)
        order = [d for d in range(A.dim()) if d not in (rows, columns)] + [rows, columns]
        values = svdvals(A.permute(order))
        result = values.sum(-1) if ord == "nuc" else values.amax(-1) if ord == 2 else values.amin(-1)
        if keepdim:
            result = result.unsqueeze(-1).unsqueeze(-1).permute([order.index(d) for d in range(A.dim())])
        return result
    summed, across = (rows, columns) if abs(ord) == 1 else (columns, rows)
    sums = A.abs().sum(summed, keepdim=keepdim)
    if not keepdim and across > summed:
        across -= 1
    return sums.amax(across, keepdim=keepdim) if ord > 0 else sums.amin(across, keepdim=keepdim)


def _shown(value):
    """A value as torch's C++ prints it in these messages (inf, a tuple's items)."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, (tuple, list)):      # (one item is shown bare)
        return str(value[0]) if len(value) == 1 else "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` or ``matrix_norm``, as torch chooses: a string ``ord`` is a matrix norm; a number
    is one over two dims (``dim`` of length 2, or a 2-D input without ``dim``), else a vector norm;
    without ``ord``, the 2-norm over ``dim`` (every element by default)."""
    dims = (dim,) if isinstance(dim, int) else None if dim is None else tuple(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {_shown(dims)}")
    if dims is None and (ord is not None) and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    if isinstance(ord, str) or (ord is not None and (len(dims) == 2 if dims is not None else A.dim() == 2)):
        return matrix_norm(A, ord, (0, 1) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


def inv(A):
    """The inverse of each square matrix (``LinAlgError`` naming the zero pivot for a singular one)."""
    return inverses.inverse(A)


def det(A):
    """The determinant of each square matrix."""
    return inverses.det(A)


def slogdet(A):
    """``(sign, logabsdet)`` of each square matrix's determinant (the sign's gradient is none: 0)."""
    check_square("linalg.slogdet", A)
    return return_types.linalg_slogdet(*Slogdet.apply(A))


def solve(A, B, *, left=True):
    """``X`` with ``A X = B`` (``X A = B`` with ``left=False``); ``B`` a batch of vectors where it has
    one dim fewer than ``A`` and ``A``'s leading shape, or is 1-D (torch's rule), else of matrices."""
    check_square("linalg.solve", A)
    if B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{scalar_type_name(A.dtype)} and B of type {scalar_type_name(B.dtype)} instead")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rows = B.shape[-1] if vector else B.shape[-2]
    if rows != A.shape[-1]:
        columns = 1 if vector else B.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {rows}x{columns})")
    return Solve.apply(A, B, vector=vector)


def svdvals(A, *, driver=None):
    """The singular values of each matrix, largest first (their gradient: ``U diag(dS) V^T``)."""
    if driver is not None and A.device.type != "cuda":
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    if A.dim() < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    return Svdvals.apply(A)


def vecdot(x, y, *, dim=-1):
    """The dot product along ``dim`` (broadcast): ``(x * y).sum(dim)`` for real tensors."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """The product of the matrices in order (a first or last 1-D tensor is a row or column vector)."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for tensor in tensors[1:]:
        result = result @ tensor
    return result


def matmul(input, other):
    """``input @ other``."""
    return _products.matmul(input, other)


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (default the last, where ``minigrad.cross``'s is the first of size 3)."""
    return _products.cross(input, other, dim=dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices in the last two dims (``minigrad.diagonal`` with other defaults)."""
    return shape.diagonal(A, offset, dim1, dim2)
