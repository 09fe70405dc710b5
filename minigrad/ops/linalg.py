"""Matrix products: ``matmul`` (``@``), ``mm bmm mv dot outer einsum tensordot addmm baddbmm``, ``diag trace cross``.

``matmul`` follows torch's (and NumPy's) rules: a 1-D first argument is a row
vector and a 1-D second argument a column vector, the added dimension being
removed from the result; dimensions before the last two are batch dimensions
and broadcast.  Errors name the shapes with torch's wording.
"""
from __future__ import annotations

import math
import numbers

import numpy

from .. import threads
from ..core import dtypes
from ..core.function import Function
from ..core.device import array_module
from ..core.tensor import Tensor
from ..core.type_errors import describe_type
from .broadcast import broadcast_shapes, sum_to
from .placement import _placed, module_under
from .promotion import promoted_to
from .views import history_asked



class Matmul(Function):
    """``a @ b``: d/da = grad @ b^T, d/db = a^T @ grad, summed over broadcast batch dimensions."""

    differentiable_backward = True

    _NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0", (3, 3): "BmmBackward0"}

    def name(self):
        if self.via_matmul:
            # torch's matmul folds batches into mm/bmm and views the result back (_unsafe_view);
            # a vector times a matrix is mm on (1, n) then squeeze
            if self.ndims[0] == 2 and self.ndims[1] >= 3:
                # a matrix times a batch: torch computes (b^T a^T)^T and copies it contiguous,
                # unless a has one row (the transpose already is)
                return "TransposeBackward0" if self.left_rows == (1,) else "CloneBackward0"
            if max(self.ndims) >= 3:
                return "UnsafeViewBackward0"
            if self.ndims == (1, 2):
                return "SqueezeBackward4"
        return self._NAMES.get(self.ndims, "MatmulBackward0")

    def forward(self, a, b, via_matmul=False, fold=False):
        # as torch's mm, bmm, mv and dot: each operand only for the other's gradient (a write to an
        # operand saved for nothing cannot stale the node; fuzz seed 3698773), and of each only its
        # shape and whether it is column-major (``_product_laid_out_as``)
        needs_a, needs_b = self.needs_input_grad
        if fold and needs_b and not a.flags.c_contiguous:
            a = saved_rows_source(self, a)
        self.save_for_backward(a if needs_b else None, b if needs_a else None)
        self.shapes, self.column_major = (a.shape, b.shape), (_column_major(a), _column_major(b))
        self.ndims, self.via_matmul, self.left_rows, self.fold = (a.ndim, b.ndim), via_matmul, a.shape[:1], fold
        if a.ndim == 2 and b.ndim == 2:
            return threads.matmul(a, b)
        if fold:                                 # one (rows, k) @ (k, n) product, as torch folds it
            return threads.matmul(as_rows(a), b).reshape(a.shape[:-1] + b.shape[-1:])
        product = array_module(a).matmul(a, b)
        if a.shape[-1] == 1 and product.dtype.kind == "f":   # torch's bmm, mv and dot add the one
            return product + product.dtype.type(0)            # product to +0 (-0.0 becomes +0)
        return product

    def saved_view_shape(self, index, array):
        # the shape of the view of an operand torch's mm or bmm saves: a batch times a matrix folded
        # into rows; a vector times a matrix as one row; batches expanded, their dims folded into one
        if self.fold:
            return as_rows(array).shape if index == 0 else None
        if self.ndims == (1, 2):
            return (1,) + array.shape if index == 0 else None
        if self.via_matmul and min(self.ndims) >= 2 and max(self.ndims) >= 3:
            batch = broadcast_shapes(self.shapes[0][:-2], self.shapes[1][:-2])
            return (math.prod(batch),) + array.shape[-2:]
        return None

    def backward(self, grad_output):
        a, b = self.saved_tensors
        xp = array_module(grad_output)
        needs_a, needs_b = self.needs_input_grad
        a_shape, b_shape = self.shapes
        if self.ndims == (2, 2):                 # the common case: no vectors, no batch
            return (_product_laid_out_as(self.column_major[0], grad_output, b.T) if needs_a else None,
                    _product_laid_out_as(self.column_major[1], a.T, grad_output) if needs_b else None)
        if self.fold:                            # batches of a times one matrix: folded, as in forward
            grad_rows = as_rows(grad_output)
            return (threads.matmul(grad_rows, b.T).reshape(a_shape) if needs_a else None,
                    _product_laid_out_as(self.column_major[1], as_rows(a).T, grad_rows) if needs_b else None)
        # a vector argument is a (1, n) row / (n, 1) column; put its axis back into the gradient
        matrix_a_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
        matrix_b_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
        if len(b_shape) == 1:
            grad_output = grad_output[..., None]
        if len(a_shape) == 1:
            grad_output = xp.expand_dims(grad_output, -2)
        grad_a = grad_b = None
        if needs_a:
            matrix_b = b.reshape(matrix_b_shape)
            grad_a = sum_to(xp.matmul(grad_output, xp.swapaxes(matrix_b, -1, -2)), matrix_a_shape)
            grad_a = grad_a.reshape(a_shape)
        if needs_b:
            matrix_a = a.reshape(matrix_a_shape)
            grad_b = sum_to(xp.matmul(xp.swapaxes(matrix_a, -1, -2), grad_output), matrix_b_shape)
            grad_b = grad_b.reshape(b_shape)
        return grad_a, grad_b


def _column_major(array):
    """Is ``array`` a column-major (transposed) matrix?  Its gradient is then laid out so too."""
    return type(array) is numpy.ndarray and array.flags.f_contiguous and not array.flags.c_contiguous


def _product_laid_out_as(column_major, left, right):
    """``left @ right``, the gradient of an operand, in that operand's layout: a ``column_major``
    (transposed) matrix gets ``(right.T @ left.T).T``, as torch's mm_mat1/mm_mat2_backward do.
    A weight used as ``w.T`` then gets a gradient that is row-major once transposed back,
    which ``.grad`` takes without a copy."""
    if column_major:
        return threads.matmul(right.T, left.T).T
    return threads.matmul(left, right)


def as_rows(array):
    """``(..., k)`` as a ``(rows, k)`` matrix (a view when it can be)."""
    return array.reshape(math.prod(array.shape[:-1]), array.shape[-1])


def saved_rows_source(node, array):
    """Input 0 ``array`` of ``node``, which folds it to rows and saves them: where that takes a copy,
    torch saves the copy, so a later write to the input changes nothing its backward reads (fuzz
    seed 1959729): the copy (in ``array``'s shape) is returned, marked as the input's own."""
    rows = as_rows(array)
    if array_module(array).may_share_memory(rows, array):
        return array
    copy = rows.reshape(array.shape)
    node.save_copy_of_input(0, copy)
    return copy


# ---- checks, with torch's messages ----------------------------------------------------------
def _arrays(name, input, other):
    try:
        return input.array, other.array
    except AttributeError:
        culprit, position = (other, 1) if hasattr(input, "array") else (input, 0)
        argument = "other" if position else "input"
        raise TypeError(f"{name}(): argument '{argument}' (position {position + 1}) must be Tensor, "
                        f"not {describe_type(culprit)}") from None


def _shape_text(shape):
    return "x".join(str(n) for n in shape)


def _check_dtypes(a, b, kind):
    if a.dtype == b.dtype:
        return
    if kind == "dot":
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{dtypes.scalar_type_name(a.dtype)} and {dtypes.scalar_type_name(b.dtype)}")
    if kind == "mm":
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{dtypes.c_type_name(a.dtype)} != {dtypes.c_type_name(b.dtype)}")
    raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(a.dtype)} but found {dtypes.scalar_type_name(b.dtype)}")


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
    if a.ndim and b.ndim:       # (past torch's own check of matmul's dims, its mm/mv/bmm ask first)
        history_asked(input, other)
    _check_matmul(a, b)
    result = Matmul.apply(input, other, via_matmul=True, fold=a.ndim > 2 and b.ndim == 2 and _folds(a, other))
    if a.ndim == 1 and b.ndim == 2:          # torch's mm of the row, then squeeze_: one write
        result._version_counter.value += 1
    return result


def _folds(batch, matrix):
    """Does torch's matmul fold the batch dims of ``batch`` (an array) into the rows of one mm with
    ``matrix`` (a Tensor), rather than running bmm (``should_fold``)?  Where the matrix requires grad
    (its gradient is then one mm), or where the folding needs no copy: the batch is empty, or its
    dims but the last lie in memory as one run of rows.  (bmm adds the one product of an inner
    dimension of 1 to +0, mm with 2 rows and columns keeps its -0.0.)"""
    if matrix._requires_grad or batch.size == 0:
        return True
    strides, shape = batch.strides, batch.shape
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(batch.ndim - 2))


def rmatmul(input, other):
    """``other @ input`` for a non-tensor ``other`` (Python asks the tensor's ``__rmatmul__``)."""
    raise TypeError(f"unsupported operand type(s) for @: '{type(other).__name__}' and 'Tensor'")


def mm(input, mat2):
    """``(n, m) @ (m, p) -> (n, p)``; both arguments must be matrices."""
    _check_mm_operands(input, mat2)
    return Matmul.apply(input, mat2)


def _check_mm_operands(input, mat2):
    """mm's checks; the result's shape."""
    a, b = _arrays("mm", input, mat2)
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_dtypes(a, b, "mm")
    _check_mm(*a.shape, *b.shape)
    return a.shape[0], b.shape[1]


def bmm(input, mat2):
    """``(B, n, m) @ (B, m, p) -> (B, n, p)``; no broadcasting."""
    _check_bmm_operands(input, mat2)
    return Matmul.apply(input, mat2)


def _check_bmm_operands(input, mat2):
    """bmm's checks; the result's shape."""
    a, b = _arrays("bmm", input, mat2)
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_dtypes(a, b, "bmm")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return a.shape[0], a.shape[1], b.shape[2]


def dot(input, tensor):
    """The inner product of two 1-D tensors of the same size and dtype."""
    a, b = _arrays("dot", input, tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _check_dtypes(a, b, "dot")
    _check_vectors(a, b)
    return Matmul.apply(input, tensor)


def outer(input, vec2):
    """``(n,) x (m,) -> (n, m)``: ``out[i, j] = input[i] * vec2[j]``, computed as torch computes it,
    ``input.reshape(-1, 1) * vec2`` (a view and a broadcast product: its graph, dtypes and sums)."""
    a, b = _arrays("outer", input, vec2)
    if a.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a.ndim}-D")
    if b.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {b.ndim}-D")
    return input.reshape(-1, 1) * vec2


ger = outer


# ---- einsum --------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation, shapes):
    """``equation`` in explicit form: a letter list per operand and for the output, '...' spelled out.

    The output of an equation without ``->`` is, as torch's, the ellipsis dimensions
    followed by the letters used exactly once, in alphabetical order.
    """
    equation = equation.replace(" ", "")
    inputs_text, arrow, output_text = equation.partition("->")
    inputs = inputs_text.split(",")
    if len(inputs) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(inputs) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = set(equation) - set(".,->")
    spare = [letter for letter in _LETTERS if letter not in used]
    ellipsis_ndim = 0
    for index, (subscripts, shape) in enumerate(zip(inputs, shapes)):
        explicit = len(subscripts.replace("...", ""))
        if "..." in subscripts:
            ellipsis_ndim = max(ellipsis_ndim, len(shape) - explicit)
        elif explicit != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({explicit}) does not match "
                               f"the number of dimensions ({len(shape)}) for operand {index} and no "
                               "ellipsis was given")
    ellipsis = spare[:ellipsis_ndim]

    def expand(subscripts, ndim):
        if "..." not in subscripts:
            return list(subscripts)
        before, after = subscripts.split("...")
        count = ndim - len(before) - len(after)
        return list(before) + ellipsis[ellipsis_ndim - count:] + list(after)
    letters = [expand(subscripts, len(shape)) for subscripts, shape in zip(inputs, shapes)]
    if arrow:
        output = expand(output_text, len(output_text.replace("...", "")) + ellipsis_ndim)
        seen = {letter for operand in letters for letter in operand}
        for letter in output:
            if letter not in seen:
                raise RuntimeError(f"einsum(): output subscript {letter} does not appear in the equation "
                                   "for any input operand")
    else:
        counts = {}
        for letter in (letter for operand in letters for letter in operand):
            counts[letter] = counts.get(letter, 0) + 1
        output = ellipsis + sorted((letter for letter, n in counts.items() if n == 1 and letter not in ellipsis),
                                   key=_LETTERS.index)
    return letters, output


def _check_einsum_sizes(letters, shapes, named):
    """Each letter's size, checked as torch's einsum checks it (``named``: the letters the equation
    spells; the others stand for the dimensions an ellipsis covers)."""
    sizes = {}
    for index, (operand, shape) in enumerate(zip(letters, shapes)):
        first = {}      # where each letter first stands in this operand
        for position, (letter, size) in enumerate(zip(operand, shape)):
            if letter in first:     # a repeated letter: its diagonal
                if size != shape[first[letter]]:
                    raise RuntimeError(f"einsum(): subscript {letter} is repeated for operand {index} but the "
                                       f"sizes don't match, {size} != {shape[first[letter]]}")
                continue
            first[letter] = position
            seen = sizes.get(letter, 1)
            if size != seen and 1 not in (size, seen):
                if letter not in named:     # (torch's text, its missing space included)
                    raise RuntimeError(f"einsum(): dimension {position} covered by ellipsis in operand {index}"
                                       f"has size {size} which does not broadcast with previously seen ellipsis "
                                       f"with size {seen} for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {letter} has size {size} for operand {index} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[letter] = max(size, seen) if 0 not in (size, seen) else 0
    return sizes


def _spec(inputs, output):
    return ",".join("".join(operand) for operand in inputs) + "->" + "".join(output)


class Einsum(Function):
    """Sum of products over the letters left out of the output.

    The gradient of operand ``i`` is the einsum of ``grad_output`` with the other
    operands onto operand ``i``'s letters.  Its letters found nowhere else were
    summed out of that operand alone, so the gradient is broadcast along them;
    size-1 dimensions that broadcast are summed back; a letter repeated in the
    operand (``'ii->i'``) takes a diagonal, so the gradient goes onto that diagonal.
    On Tensors (create_graph=True) those einsums are einsum ops again.
    """

    differentiable_backward = True

    def forward(self, *arrays, letters, output):
        self.save_for_backward(*arrays)
        self.letters, self.output = letters, output
        return array_module(arrays[0]).einsum(_spec(letters, output), *arrays)

    def backward(self, grad_output):
        arrays = self.saved_tensors
        return tuple(self._grad(i, grad_output, arrays) if self.needs_input_grad[i] else None
                     for i in range(len(arrays)))

    def _grad(self, i, grad_output, arrays):
        xp = array_module(grad_output)
        target, shape = self.letters[i], arrays[i].shape
        others = [(self.letters[j], arrays[j]) for j in range(len(arrays)) if j != i]
        available = set(self.output).union(*(set(letters) for letters, _ in others))
        unique = list(dict.fromkeys(target))
        computed = [letter for letter in unique if letter in available]
        grad = xp.einsum(_spec([self.output] + [letters for letters, _ in others], computed),
                         grad_output, *(array for _, array in others))
        size = {letter: n for letter, n in zip(target, shape)}
        # sum back the dimensions this operand broadcast (size 1 here, larger elsewhere)
        summed = tuple(axis for axis, letter in enumerate(computed) if size[letter] == 1 and grad.shape[axis] != 1)
        if summed:
            grad = grad.sum(axis=summed, keepdims=True)
        # letters summed within this operand only, or that the others had at size 1 (broadcast):
        # every element along them got the same gradient
        grad = grad.reshape([grad.shape[computed.index(letter)] if letter in computed else 1 for letter in unique])
        grad = xp.broadcast_to(grad, [size[letter] for letter in unique])
        if len(unique) == len(target):
            if isinstance(grad, Tensor):
                return grad.contiguous()
            return xp.array(grad, dtype=arrays[i].dtype, order="C")   # keeps a 0-d gradient 0-d
        # position k of a repeated letter indexes the diagonal: one arange per distinct letter
        arange = module_under(grad).arange
        ranges = {letter: arange(size[letter]).reshape([-1 if u == letter else 1 for u in unique])
                  for letter in unique}
        return _placed(grad, shape, None, tuple(ranges[letter] for letter in target), False, shape)


def einsum(equation, *operands):
    """Einstein summation: ``einsum('bij,bjk->bik', a, b)`` is ``a @ b``; ``'...'`` names broadcast dims.

    The operands may also be given as one list, as torch allows.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [operand.array.shape for operand in operands]
    letters, output = _parse_einsum(equation, shapes)
    _check_einsum_sizes(letters, shapes, named=set(equation))
    if len({operand.array.dtype for operand in operands}) > 1:
        dtype = _einsum_dtype(operands, letters, output)
        operands = tuple(promoted_to(operand, dtype) for operand in operands)
    return Einsum.apply(*operands, letters=letters, output=output)


def _einsum_dtype(operands, letters, output):
    """The dtype of torch's einsum over operands of several dtypes, or its error.  torch contracts
    the operands left to right (its ``einsum``'s loop): a pair that sums a letter away (of a size
    other than 1 in both, and in no operand after) goes through bmm, which refuses two dtypes where
    it has anything to compute, and else gives the right one's; any other pair is a broadcast
    product, which promotes the two as tensors with dimensions (einsum unsqueezes every operand to
    all the letters, so ``einsum('i,->i', x32, y64_0d)`` is float64)."""
    summed_letters = {letter for operand in letters for letter in operand} - set(output)
    sizes = [dict(zip(operand, operand_array.array.shape)) for operand, operand_array in zip(letters, operands)]
    counts = {letter: sum(1 for each in sizes if each.get(letter, 1) != 1) for letter in summed_letters}
    dtype, running = operands[0].array.dtype, dict(sizes[0])
    for index in range(1, len(operands)):
        other, right = operands[index].array.dtype, dict(sizes[index])
        contracted = []
        for letter in summed_letters:
            if running.get(letter, 1) != 1 and right.get(letter, 1) != 1:
                counts[letter] -= 1
                if counts[letter] == 1:
                    contracted.append(letter)
                    counts[letter] = 0
            elif counts[letter] == 1 and (running.get(letter, 1) != 1 or right.get(letter, 1) != 1):
                counts[letter] = 0        # in one of the two alone: summed away before the product
                running[letter] = right[letter] = 1
        kept = {letter: running.get(letter, 1) if right.get(letter, 1) == 1 else right[letter]
                for letter in {*running, *right} if letter not in contracted}     # (broadcast: 0 with 1 is 0)
        if not contracted:
            dtype = dtypes.promote_types(dtype, other)
        elif other != dtype:
            if math.prod(running[letter] for letter in contracted) and math.prod(kept.values()):
                raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(dtype)} but found "
                                   f"{dtypes.scalar_type_name(other)}")
            dtype = other     # (an empty bmm: its result takes the right operand's dtype)
        running = kept
    return dtype


# ---- products built from the ones above ------------------------------------------------------
def mv(input, vec):
    """``(n, m) @ (m,) -> (n,)``."""
    _check_mv_operands(input, vec)
    return Matmul.apply(input, vec)


def _check_mv_operands(input, vec):
    """mv's checks; the result's shape."""
    a, b = _arrays("mv", input, vec)
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({b.shape[0]})")
    _check_dtypes(a, b, "mm")
    return (a.shape[0],)


class AddProduct(Function):
    """``beta * input + alpha * (a @ b)`` in one node: addmm ``(n, m) @ (m, p)``, baddbmm
    ``(B, n, m) @ (B, m, p)``, addmv ``(n, m) @ (m,)``; ``input`` broadcasts to the product's shape.

    d/dinput = ``beta * grad`` (summed to input's shape), d/da = ``alpha * grad @ b^T``,
    d/db = ``alpha * a^T @ grad`` (an outer product and ``a^T @ grad`` for a vector ``b``).
    """

    differentiable_backward = True

    def name(self):
        return self.torch_name

    def forward(self, input, a, b, beta, alpha, torch_name):
        self.torch_name, self.beta, self.alpha, self.input_shape = torch_name, beta, alpha, input.shape
        _, needs_a, needs_b = self.needs_input_grad
        self.save_for_backward(a if needs_b else None, b if needs_a else None)
        result = array_module(a).matmul(a, b)
        if alpha != 1:
            result = result * alpha
        if beta != 0:                 # torch ignores input (nan and inf included) when beta is 0
            result = result + (input if beta == 1 else input * beta)
        return result.astype(a.dtype, copy=False)

    def backward(self, grad_output):
        a, b = self.saved_tensors
        xp = array_module(grad_output)
        needs_input, needs_a, needs_b = self.needs_input_grad
        grad_input = sum_to(grad_output * self.beta, self.input_shape) if needs_input else None
        scaled = grad_output * self.alpha if self.alpha != 1 else grad_output
        grad_a = grad_b = None
        if needs_a:
            grad_a = scaled[..., None] * b if b.ndim == 1 else xp.matmul(scaled, xp.swapaxes(b, -1, -2))
        if needs_b:
            grad_b = xp.matmul(xp.swapaxes(a, -1, -2), scaled)
        return grad_input, grad_a, grad_b


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``, ``input`` broadcast to ``(n, p)``."""
    return _scaled_sum(input, mat1, mat2, mm, _check_mm_operands, beta, alpha, "AddmmBackward0")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for ``(B, n, m) @ (B, m, p)``."""
    return _scaled_sum(input, batch1, batch2, bmm, _check_bmm_operands, beta, alpha, "BaddbmmBackward0")


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum(input, mat, vec, mv, _check_mv_operands, beta, alpha, "AddmvBackward0")


def _scaled_sum(input, a, b, product, check, beta, alpha, torch_name):
    """``product``'s checks and the broadcast of ``input`` to its shape, then one ``AddProduct`` node."""
    operand_dtypes = {getattr(getattr(operand, "array", None), "dtype", None) for operand in (input, a, b)}
    if len(operand_dtypes) != 1 or None in operand_dtypes:
        # mixed dtypes (or a non-tensor): composed from tensor ops, so promotion and errors stay torch's
        result = product(a, b)
        broadcast_shapes(input.array.shape, result.array.shape)
        result = result * alpha if alpha != 1 else result
        return result if beta == 0 else (input if beta == 1 else input * beta) + result
    broadcast_shapes(input.array.shape, check(a, b))
    return AddProduct.apply(input, a, b, beta=beta, alpha=alpha, torch_name=torch_name)


def tensordot(a, b, dims=2):
    """Sum over ``dims`` (a count of trailing/leading dims, or two lists of dims) of ``a`` times ``b``."""
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = dims
        if isinstance(dims_a, numbers.Integral):
            dims_a, dims_b = [dims_a], [dims_b]
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} "
                               f"in dim {da} and second has size {b.shape[db]} in dim {db}")
    letters_a = list(_LETTERS[:a.ndim])
    letters_b = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for da, db in zip(dims_a, dims_b):
        letters_b[db] = letters_a[da]
    output = [l for d, l in enumerate(letters_a) if d not in dims_a] + \
        [l for d, l in enumerate(letters_b) if d not in dims_b]
    return einsum(_spec([letters_a, letters_b], output), a, b)


class Diag(Function):
    """``(n,) -> (n + |k|, n + |k|)`` with the vector on diagonal ``k``, or a matrix's diagonal ``k``."""

    differentiable_backward = True

    def name(self):
        return "DiagEmbedBackward0" if len(self.shape) == 1 else "DiagonalBackward0_copy"   # torch's kernels

    def forward(self, x, diagonal):
        self.shape, self.diagonal = x.shape, diagonal
        xp = array_module(x)
        if x.ndim == 1:
            return xp.diag(x, diagonal)
        return xp.ascontiguousarray(xp.diagonal(x, diagonal))

    def backward(self, grad_output):
        """A vector's gradient is ``grad_output``'s diagonal ``k`` (diag again); a matrix's is
        ``grad_output`` placed on diagonal ``k`` of zeros (the Place op, whose gradient reads it back)."""
        xp = array_module(grad_output)
        if len(self.shape) == 1:      # the gradient is read off the diagonal the vector went to
            return xp.ascontiguousarray(xp.diagonal(grad_output, self.diagonal))
        rows = module_under(grad_output).arange(grad_output.shape[0]) + max(-self.diagonal, 0)
        return _placed(grad_output, self.shape, None, (rows, rows + self.diagonal), False, self.shape)


def diag(input, diagonal=0):
    """A 1-D ``input`` becomes a square matrix with it on diagonal ``diagonal``; a 2-D one gives that diagonal."""
    if input.array.ndim not in (1, 2):
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{input.array.ndim}D")
    return Diag.apply(input, diagonal=int(diagonal))


class Trace(Function):
    """The sum of the main diagonal: ``(n, m) -> ()``; d/dx is the gradient on the diagonal, 0 elsewhere."""

    differentiable_backward = True

    def forward(self, x):
        self.eye = array_module(x).eye(*x.shape, dtype=x.dtype)     # where the gradient goes
        return array_module(x).asarray(array_module(x).trace(x))

    def backward(self, grad_output):
        return grad_output * self.eye


def trace(input):
    """The sum of the main diagonal of a 2-D tensor (integer tensors give int64)."""
    if input.array.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.array.ndim}")
    if input.array.dtype.kind != "f":        # integers and bools sum to int64, without a gradient
        return diag(input).sum()
    return Trace.apply(input)


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (default: the first dim of size 3, as torch.cross)."""
    a, b = _arrays("cross", input, other)
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = broadcast_shapes(a.shape, b.shape)
    if dim is None:
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    input, other = input.expand(*shape), other.expand(*shape)
    # c_k = a_{k+1} b_{k+2} - a_{k+2} b_{k+1} (indices mod 3): rolls line those up
    return input.roll(-1, dim) * other.roll(-2, dim) - input.roll(-2, dim) * other.roll(-1, dim)


__all__ = ["matmul", "mm", "bmm", "dot", "outer", "ger", "einsum", "mv", "addmm", "baddbmm", "addmv",
           "tensordot", "diag", "trace", "cross"]
