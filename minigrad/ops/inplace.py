"""What every in-place op shares: the leaf check, the write, the version bump, the new history.

``x.add_(y)`` computes ``x + y`` as usual and then makes ``x`` hold the result's
values and history, so the graph stays correct: the old ``x`` lives on inside
the graph as the input of the add.  The version counter lets a backward that
saved the old values notice that they are gone.
"""
from __future__ import annotations

import numbers

import numpy

from ..core import dtypes
from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..core.device import array_module
from ..core.dtypes import _category, scalar_type_name
from ..core.layout import element_strides
from ..core.tensor import Tensor
from .broadcast import broadcast_shapes
from .conversion import scalar_as
from .views import (OVERLAP_MESSAGE, check_view_write, check_windows_apart, count_write, has_history,
                    has_internal_overlap, rebase_view_base, refresh_views, requires_grad_as_torch, view_base)

PARTIAL_OVERLAP_MESSAGE = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
    "single memory location. Please clone() the tensor before performing the operation.")


def check_inplace_allowed(target, overlap_ok=False, inputs_require_grad=False):
    """torch's checks before an in-place write, in its order: autograd's first
    (``check_autograd_allows_write``), then the kernel's: no element stored twice (an ``expand``
    view; only fills may write those, ``overlap_ok``)."""
    check_autograd_allows_write(target, inputs_require_grad)
    if not overlap_ok and has_internal_overlap(target.array):
        raise RuntimeError(OVERLAP_MESSAGE)
    check_windows_apart(target, recorded=lambda: _recorded(target, inputs_require_grad), fill=overlap_ok)


def _recorded(target, inputs_require_grad):
    """Will an in-place write into ``target`` be recorded in a graph?"""
    return is_grad_enabled() and (bool(inputs_require_grad) or requires_grad_as_torch(target))


def check_autograd_allows_write(target, inputs_require_grad=False):
    """autograd's checks before an in-place write, in a recorded graph: no output of
    ``split``/``unbind`` or view made in no_grad mode, no view that requires grad of a leaf, no
    leaf that requires grad."""
    if is_grad_enabled():
        found = view_base(target)
        if found is not None:
            # a restricted view first (before its stale history is asked for, which would raise)
            check_view_write(target, found[0], inputs_require_grad)
        # torch's is_leaf reads the node as it is (before requires_grad below makes a stale view's):
        # a view made stale by its base's new history, whose own was never asked for, is a leaf there
        leaf = not has_history(target)
        if target.requires_grad:
            if found is not None and found[0].grad_fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            if leaf:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def check_in_place(target, *inputs, inputs_require_grad=None, op_check=None, overlap_ok=False):
    """The checks before an in-place op that reads ``inputs``, before it computes (so that they
    come before its shape and dtype errors), in torch's order: autograd's
    (``check_autograd_allows_write``), then the op's own check of its arguments (``op_check``,
    torch's meta function: ``sub_`` refuses bools, ``pow_`` an integer to a negative power), then
    TensorIterator's: no element of the target stored twice (unless ``overlap_ok``: the kernel
    writes nothing, ``copy_`` of the target's own data), no input sharing part of its memory
    (``partially_overlap``).  ``inputs_require_grad``: whether the write is recorded, where the op
    says (else: does an input need a gradient)."""
    if inputs_require_grad is None:
        inputs_require_grad = any(getattr(input, "_requires_grad", False) for input in inputs)
    check_autograd_allows_write(target, inputs_require_grad)
    if op_check is not None:
        op_check()
    written = target.array
    if not overlap_ok and has_internal_overlap(written):
        raise RuntimeError(OVERLAP_MESSAGE)
    check_windows_apart(target, recorded=lambda: _recorded(target, inputs_require_grad), fill=overlap_ok)
    for input in inputs:
        if hasattr(input, "array") and input.array is not written and partially_overlap(written, input.array):
            raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)


def partially_overlap(written, read):
    """torch's ``get_overlap_status(...) == Partial``: both arrays dense (a permutation of a gapless
    layout: else torch cannot tell, and lets the op run) and sharing memory, but not as the same
    elements in the same layout (same first and last byte, same strides): ``b.add_(b[0])``,
    ``b.add_(b.t())``, ``b.view(1, 4).add_(b)`` are refused; ``b[:, :2].add_(b[:, 1:])`` is not."""
    if not array_module(written).may_share_memory(written, read):
        return False
    if not (_dense(written) and _dense(read)):
        return False
    same_extent = _address(read) == _address(written) and read.nbytes == written.nbytes
    return not (same_extent and element_strides(read) == element_strides(written))


def _dense(array):
    """torch's ``is_non_overlapping_and_dense``: the dims longer than 1, in order of stride, step by
    the product of the sizes before them (from 1)."""
    expected = 1
    for step, size in sorted((step, size) for step, size in zip(element_strides(array), array.shape) if size > 1):
        if step != expected:
            return False
        expected *= size
    return True


def same_data(a, b):
    """Whether the arrays are the same elements of the same memory, in the same layout and dtype
    (``x.copy_(x)``, or of a view of ``x`` just like it): torch's ``copy_`` then returns at once."""
    return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
            and _address(a) == _address(b))


def _address(array):
    interface = getattr(array, "__array_interface__", None)
    return interface["data"][0] if interface is not None else array.data.ptr   # NumPy, CuPy


def check_result_fits(target, shape, dtype):
    """torch's checks that an in-place result (its broadcast ``shape``, its NumPy ``dtype``) fits
    ``target``: the shape first, then the result type (no float into an int, no int into a bool)."""
    if tuple(shape) != target.array.shape:
        raise RuntimeError(f"output with shape {list(target.array.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    if _category(dtype) > _category(target.array.dtype):
        raise RuntimeError(f"result type {scalar_type_name(dtype)} can't be cast to the "
                           f"desired output type {scalar_type_name(target.dtype)}")


def check_in_place_result(target, other, op_check=None):
    """``check_in_place``, then torch's check that ``target op other`` fits ``target`` (the broadcast
    shape, then the promoted type), before the op computes: ``bool_tensor %= 0`` is a cast error, not
    a division by zero, ``int8_tensor ^= 0.5`` is one too, not "bitwise_xor_cpu" on Float, and a 0-d
    ``bool_tensor **= bool_matrix`` is a shape error, not "pow" on Bool."""
    check_in_place(target, other, op_check=op_check)
    if isinstance(other, (Tensor, numbers.Number)):
        shape = broadcast_shapes(target.array.shape, other.array.shape) if isinstance(other, Tensor) \
            else target.array.shape
        check_result_fits(target, shape, numpy.dtype(dtypes.result_type(target, other)))


def in_place(op, target, *args, **kwargs):
    """``target.op_(*args)``: torch's checks first (autograd's, then the kernel's), then ``op``
    computes and ``target`` takes the result (``exp_``, ``neg_``).  A tensor argument that requires
    grad records the write (``scatter_``'s src, ``index_fill_``'s value: torch's generated kernels
    ask ``compute_requires_grad`` over their inputs, whatever target's dtype)."""
    check_in_place(target, inputs_require_grad=any(
        isinstance(argument, Tensor) and argument._requires_grad for argument in (*args, *kwargs.values())))
    return assign(target, op(target, *args, **kwargs))


def assign_written_memory(target, result):
    """After an op wrote straight into the memory of an expanded ``target`` (as torch's kernel does,
    each place as often as its positions are reached): ``result``, the op's value computed out of
    place, takes what the memory now holds and becomes ``target``'s history; or, where it needs no
    gradient, the write is counted."""
    if not result.requires_grad:
        count_write(target)
        return target
    result.array[...] = target.array
    return assign(target, result, overlap_ok=True)


def assign(target, result, overlap_ok=False):
    """Make ``target`` hold ``result``'s values and history; return ``target``."""
    check_inplace_allowed(target, overlap_ok)
    check_result_fits(target, result.array.shape, result.array.dtype)
    if result.grad_fn is not None:
        result.grad_fn._keep_own_copy(target)   # the write below would change what it saved
    if result.array.dtype != target.array.dtype and result.grad_fn is not None:
        # torch's in-place op computes in the promoted dtype and writes self's: its node (Div for
        # ``x32 /= y64``, no ToCopy) has an output of self's dtype, and the engine casts the
        # gradient that reaches it to that dtype
        result.grad_fn._output_written_as(result._output_nr, target)
    if result.array is not target.array:
        target.array[...] = result.array
    count_write(target)
    if result.grad_fn is not None:
        target._set_history(result.grad_fn, result._output_nr)
    if is_grad_enabled():
        found = view_base(target)
        if found is None:
            refresh_views(target)              # the views of target now show the new values
        elif target.requires_grad or found[0].requires_grad:
            rebase_view_base(target, *found)   # the write changed the view's base (and its views) too
    if result.grad_fn is not None:
        result.grad_fn._saved_output_written(result.array, target)
    return target


class Overwrite(Function):
    """New values that do not depend on the old ones: no gradient flows back to them."""

    differentiable_backward = True

    def forward(self, old, values, torch_name="FillBackward0"):
        self.torch_name = torch_name
        old[...] = values
        return old

    def backward(self, grad_output):
        return array_module(grad_output).zeros_like(grad_output)

    def name(self):
        return self.torch_name    # the overwriting op's node in torch (ZeroBackward0, UniformBackward0 ...)


def write(target, array, torch_name="FillBackward0", overlap_ok=False):
    """Overwrite ``target``'s values with no history (``fill_``, ``uniform_``, ``zero_``).

    ``array``: the new values, or one number for every element, converted as torch's kernel
    converts it (after autograd's checks: ``int_tensor.fill_(inf)`` is an overflow error).
    ``overlap_ok``: one value for every element (``fill_``), so an expanded target is fine.
    """
    check_inplace_allowed(target, overlap_ok)
    if isinstance(array, numbers.Number):
        array = scalar_as(array, target.array.dtype)
    elif getattr(array, "dtype", target.array.dtype) != target.array.dtype:
        array = dtypes.converted(array, target.array.dtype)        # a double into half through float
    if is_grad_enabled() and (target.requires_grad or _base_requires_grad(target)):
        # a tensor in a graph: its gradient must stop here, as torch's FillBackward does
        return assign(target, Overwrite.apply(target, values=array, torch_name=torch_name), overlap_ok)
    target.array[...] = array
    count_write(target)
    return target


def _base_requires_grad(target):
    found = view_base(target)
    return found is not None and found[0].requires_grad
