"""``F.linear`` and ``F.bilinear``: affine maps with hand-written backward passes."""
from __future__ import annotations

import math

from ... import threads
from ...core.dtypes import c_type_name, scalar_type_name
from ...core.function import Function
from ...core.device import array_module
from ...core.type_errors import describe_type
from ...ops.linalg import as_rows, saved_rows_source
from ...ops.views import history_checked_first

__all__ = ["linear", "bilinear"]



class Linear(Function):
    """``y = x @ weight.T + bias``: x ``(*, in)``, weight ``(out, in)``, bias ``(out,)`` -> ``(*, out)``,
    or the ``(rows, out)`` matrix of it (``as_matrix``: ``linear`` views it as ``(*, out)``)."""

    differentiable_backward = True
    # torch's linear is addmm / mm for a matrix input, and folds other inputs to a matrix and back
    _TORCH_NAMES = {(1, False): "SqueezeBackward4", (2, True): "AddmmBackward0", (2, False): "MmBackward0"}

    def name(self):
        if self.as_matrix:
            return "AddmmBackward0"
        return self._TORCH_NAMES.get((min(self.input_ndim, 3), self.has_bias), "UnsafeViewBackward0")

    def forward(self, x, weight, *bias, as_matrix=False):
        self.input_ndim, self.input_shape, self.has_bias = x.ndim, x.shape, bool(bias)
        self.as_matrix = as_matrix
        # as torch's mm: the input only for the weight's gradient, the weight only for the input's
        needs_x, needs_weight = self.needs_input_grad[:2]
        if x.ndim > 2 and needs_weight and not x.flags.c_contiguous:
            x = saved_rows_source(self, x)
        self.save_for_backward(x if needs_weight else None, weight if needs_x else None)
        out_features, in_features = weight.shape
        # as one (rows, in) @ (in, out) product: NumPy would run a 3-d x as a batch of small ones
        output = threads.matmul(as_rows(x), weight.T)
        if not as_matrix:
            output = output.reshape(x.shape[:-1] + (out_features,))
        if bias:
            if not in_features:     # torch's addmm adds no product: the bias itself, -0.0 too (fuzz seed 7406929)
                output.fill(-0.0)
            output += bias[0]   # a fresh array: adding in place saves a copy
        return output

    def saved_view_shape(self, index, array):
        # torch's addmm/mm saves weight.t() and, for an input that is not a matrix, its rows
        if index == 1:
            return array.shape[::-1]
        return as_rows(array).shape if array.ndim != 2 else None

    def backward(self, grad_output):
        x, weight = self.saved_tensors
        grad_weight = grad_bias = None
        rows = as_rows(grad_output)             # every leading dim is a batch dim
        grad_x = threads.matmul(rows, weight).reshape(self.input_shape) if self.needs_input_grad[0] else None
        if self.needs_input_grad[1]:
            grad_weight = threads.matmul(rows.T, as_rows(x))
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            grad_bias = rows.sum(axis=0)
        return (grad_x, grad_weight, grad_bias)[:len(self.needs_input_grad)]


def _check_matmul_operands(input, weight):
    if not hasattr(input, "array"):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not {describe_type(input)}")
    if input.array.dtype != weight.array.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{c_type_name(input.dtype)} != {c_type_name(weight.dtype)}")
    in_features = weight.array.shape[-1]
    if input.array.ndim == 0 or input.array.shape[-1] != in_features:
        rows = math.prod(input.array.shape[:-1]) if input.array.ndim else 1
        columns = input.array.shape[-1] if input.array.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{columns} and "
                           f"{in_features}x{weight.array.shape[0]})")


def check_linear_dtypes(input, weight, bias=None):
    """torch's dtype errors of ``linear``: with a bias it runs addmm(bias, input, weight.T),
    whose checks (bias first) and wording differ from matmul's."""
    if not hasattr(input, "array"):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not {describe_type(input)}")
    if bias is not None:
        for name, operand in (("self", bias), ("mat1", input)):
            if operand.array.dtype != weight.array.dtype:
                raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                                   f"{scalar_type_name(operand.dtype)} and {scalar_type_name(weight.dtype)}")
    _check_matmul_operands(input, weight)


@history_checked_first      # (torch's addmm/matmul ask their inputs' histories before their checks)
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: input ``(*, in)``, weight ``(out, in)`` -> ``(*, out)``."""
    check_linear_dtypes(input, weight, bias)
    _check_matmul_operands(input, weight)
    if bias is None:
        output = Linear.apply(input, weight)
        if input.array.ndim == 1:            # torch's mm of the row, then squeeze_: one write
            output._version_counter.value += 1
        return output
    if input.array.ndim == 2:
        return Linear.apply(input, weight, bias)
    if not input.is_contiguous():
        # torch cannot fold such an input to rows without a copy: it takes matmul, then adds the
        # bias in place (one write: version 1, AddBackward0, no view; fuzz seed 44060)
        return input.matmul(weight.t()).add_(bias)
    # torch computes addmm on the input folded to rows and views the result back: the output is
    # a view of that matrix (in-place writes to it, and the views of it, follow the view rules)
    matrix = Linear.apply(input, weight, bias, as_matrix=True)
    return matrix.view(input.array.shape[:-1] + (weight.array.shape[0],))


class Bilinear(Function):
    """``y_k = x1 @ weight[k] @ x2 + bias_k``: x1 ``(*, in1)``, x2 ``(*, in2)``, weight ``(out, in1, in2)``."""

    differentiable_backward = True     # matmuls, reshapes and sums only

    def forward(self, x1, x2, weight, *bias):
        self.save_for_backward(x1, x2, weight)
        xp = array_module(x1)
        # (*, in1) x (out, in1, in2) -> (*, out, in2), then contract in2 with x2
        projected = xp.tensordot(x1, weight, axes=([-1], [1]))
        output = xp.einsum("...kj,...j->...k", projected, x2)
        if bias:
            output = output + bias[0]
        return output

    def backward(self, grad_output):
        x1, x2, weight = self.saved_tensors
        out_features, in1, in2 = weight.shape
        batch = tuple(grad_output.shape[:-1])
        rows = math.prod(batch)         # counted, not -1: a size 0 makes -1 ambiguous
        rows_g, rows1, rows2 = (grad_output.reshape(rows, out_features), x1.reshape(rows, in1),
                                x2.reshape(rows, in2))
        needs = self.needs_input_grad
        grads = [None] * len(needs)
        if needs[0] or needs[1]:   # per row, sum_k g_k W_k: (rows, in1, in2)
            mixed = (rows_g @ weight.reshape(out_features, in1 * in2)).reshape(rows, in1, in2)
            if needs[0]:
                grads[0] = (mixed @ rows2[:, :, None]).reshape(batch + (in1,))
            if needs[1]:
                grads[1] = (rows1[:, None, :] @ mixed).reshape(batch + (in2,))
        if needs[2]:   # sum over the rows of g_k x1_i x2_j
            outer = (rows1[:, :, None] * rows2[:, None, :]).reshape(rows, in1 * in2)
            grads[2] = (rows_g.T @ outer).reshape(weight.shape)
        if len(needs) > 3 and needs[3]:
            grads[3] = rows_g.sum(axis=0)
        return tuple(grads)


def bilinear(input1, input2, weight, bias=None):
    """``x1^T A_k x2 + b_k`` for each output k: ``(*, in1)``, ``(*, in2)`` -> ``(*, out)``."""
    shape1, shape2 = input1.array.shape, input2.array.shape
    if input1.array.ndim != input2.array.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.array.ndim} and "
                           f"{input2.array.ndim}")
    for dim in range(input1.array.ndim - 1):
        if shape1[dim] != shape2[dim]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: got "
                               f"{shape1[dim]} and {shape2[dim]}")
    if shape1[-1] != weight.array.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {shape1[-1]} but "
                           f"expected {weight.array.shape[1]}")
    if shape2[-1] != weight.array.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {shape2[-1]} but "
                           f"expected {weight.array.shape[2]}")
    tensors = (input1, input2, weight) if bias is None else (input1, input2, weight, bias)
    return Bilinear.apply(*tensors)
