"""``F.pad``: constant padding (negative amounts crop) and reflect / replicate / circular padding.

Each backward is the adjoint, written so that it is an op again under create_graph=True.
"""
from __future__ import annotations

from ...core.function import Function
from ...core.device import array_module
from ...core.layout import preserved_copy
from ...core.tensor import Tensor
from ...ops.placement import _placed

__all__ = ["pad"]


class ConstantPad(Function):
    """Pad each dim by ``(before, after)`` with ``value``; a negative amount removes elements.

    The backward is the adjoint: crop what was padded, zero-pad what was cropped, which is this pad
    again with the widths negated (an op, so differentiable, under create_graph=True).
    """

    differentiable_backward = True

    def name(self):
        return "ConstantPadNdBackward0"

    def forward(self, x, widths, value):
        self.widths = widths
        if all(before <= 0 and after <= 0 for before, after in widths):
            # torch crops by narrowing and returns a clone, in the input's layout (fuzz seed 4567253:
            # F.pad(x.mT, (0, 0)) stays transposed, so its contiguous() copies: CloneBackward0)
            return preserved_copy(_cropped(x, widths))
        return array_module(x).ascontiguousarray(_constant_pad(x, widths, value))  # torch's default layout

    def backward(self, grad_output):
        negated = tuple((-before, -after) for before, after in self.widths)
        if isinstance(grad_output, Tensor):
            return ConstantPad.apply(grad_output, widths=negated, value=0)
        return _constant_pad(grad_output, negated, 0)


def _cropped(x, widths):
    """``x`` without the negative amounts (a view)."""
    return x[tuple(slice(max(-before, 0), size - max(-after, 0)) for (before, after), size in zip(widths, x.shape))]


def _constant_pad(x, widths, value):
    """Crop the negative amounts, then pad the positive ones with ``value``."""
    return array_module(x).pad(_cropped(x, widths), [(max(before, 0), max(after, 0)) for before, after in widths],
                               constant_values=value)


class IndexPad(Function):
    """Padding that copies input elements: along each padded dim, output position j reads input index[j].

    The backward adds each output gradient back to the element it was read from (an element read
    several times collects several gradients): ``_placed``, the gradient of indexing, which under
    create_graph=True is an op whose own backward reads the same elements again.
    """

    dense_output = True     # a new tensor in torch's default layout
    differentiable_backward = True

    def name(self):
        return self.torch_name

    def forward(self, x, indices, torch_name="IndexPadBackward0"):
        self.torch_name = torch_name
        xp = array_module(x)
        self.indices, self.input_shape = indices, x.shape
        for axis, index in indices:
            x = xp.take(x, index, axis=axis)
        return x

    def backward(self, grad_output):
        grad = grad_output
        for axis, index in reversed(self.indices):
            shape = tuple(self.input_shape[axis] if dim == axis else size for dim, size in enumerate(grad.shape))
            grad = _placed(grad, shape, None, (slice(None),) * axis + (index,), True, shape)
        return grad


def _source_index(xp, size, before, after, mode):
    """For each output position along one dim, the input index it copies."""
    position = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(position, 0, size - 1)
    if mode == "circular":
        return position % size
    # reflect: mirror about the first and last elements without repeating them
    period = 2 * (size - 1)
    folded = xp.abs(position) % period if period else xp.zeros_like(position)
    return xp.where(folded >= size, period - folded, folded)


_SUPPORTED_COMBINATIONS = ("Supported combinations for non-constant padding:\n"
                           "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                           "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                           "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _check_copying_pad(input, pad, widths, mode):
    """torch's limits for reflect / replicate / circular: 1 to 3 trailing dims of a (batched) input."""
    padded_dims, ndim = len(pad) // 2, input.array.ndim
    if padded_dims not in (1, 2, 3) or ndim not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
                                  + _SUPPORTED_COMBINATIONS)
    for axis, ((before, after), size) in enumerate(zip(widths, input.array.shape)):
        if mode == "circular" and max(before, after) > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "reflect" and max(before, after) >= size:
            raise RuntimeError(f"Argument #{2 + len(pad)}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {axis} of input {list(input.array.shape)}")
        if min(before, after) < 0:
            raise NotImplementedError(f"negative padding is supported in mode 'constant' only, got {pad}")


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``: ``pad = (last_before, last_after, second_last_before, ...)`` as torch orders it."""
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim = input.array.ndim
    if len(pad) // 2 > ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {ndim}")
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        for (before, after), size in zip(widths, input.array.shape):
            if size - max(-before, 0) - max(-after, 0) < 0:   # torch crops first, with narrow()
                raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPad.apply(input, widths=tuple(widths), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_copying_pad(input, pad, widths, mode)
    xp = array_module(input.array)
    indices = tuple((axis, _source_index(xp, size, before, after, mode))
                    for axis, ((before, after), size) in enumerate(zip(widths, input.array.shape))
                    if before or after)
    # torch's kernels: ReflectionPad1D/2D/3D, ReplicationPad1D/2D/3D; circular pads by copying slices
    torch_name = ("torch::autograd::CopySlices" if mode == "circular" else
                  f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{len(pad) // 2}DBackward0")
    return IndexPad.apply(input, indices=tuple(indices), torch_name=torch_name)
