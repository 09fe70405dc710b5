"""``F.pad``: constant padding (negative amounts crop) and reflect / replicate / circular padding."""
from __future__ import annotations

from ...autograd.function import Function
from ...backend import array_module, scatter_add

__all__ = ["pad"]


class ConstantPad(Function):
    """Pad each dim by ``(before, after)`` with ``value``; a negative amount removes elements."""

    def forward(self, x, widths, value):
        xp = array_module(x)
        self.widths = widths
        cropped = x[tuple(slice(max(-before, 0), size - max(-after, 0))
                          for (before, after), size in zip(widths, x.shape))]
        return xp.pad(cropped, [(max(before, 0), max(after, 0)) for before, after in widths],
                      constant_values=value)

    def backward(self, grad_output):
        xp = array_module(grad_output)
        inner = grad_output[tuple(slice(max(before, 0), size - max(after, 0))
                                  for (before, after), size in zip(self.widths, grad_output.shape))]
        return xp.pad(inner, [(max(-before, 0), max(-after, 0)) for before, after in self.widths])


class IndexPad(Function):
    """Padding that copies input elements: along each padded dim, output position j reads input index[j].

    The backward adds each output gradient back to the element it was read
    from (an element read several times collects several gradients).
    """

    def forward(self, x, indices):
        xp = array_module(x)
        self.indices, self.input_shape = indices, x.shape
        for axis, index in indices:
            x = xp.take(x, index, axis=axis)
        return x

    def backward(self, grad_output):
        xp = array_module(grad_output)
        grad = grad_output
        for axis, index in reversed(self.indices):
            shape = list(grad.shape)
            shape[axis] = self.input_shape[axis]
            summed = xp.zeros(shape, dtype=grad.dtype)
            scatter_add(summed, (slice(None),) * axis + (index,), grad)
            grad = summed
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
            if size - max(-before, 0) - max(-after, 0) + max(before, 0) + max(after, 0) < 0:
                raise RuntimeError(f"The input size {size}, plus negative padding {before} and {after} "
                                   "resulted in a negative output size, which is invalid. Check dimension "
                                   f"{widths.index((before, after))} of your input.")
        return ConstantPad.apply(input, widths=tuple(widths), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    xp = array_module(input.array)
    indices = []
    for axis, ((before, after), size) in enumerate(zip(widths, input.array.shape)):
        if before == after == 0:
            continue
        limit = size - 1 if mode == "reflect" else size
        if before < 0 or after < 0 or (mode != "replicate" and max(before, after) > limit) or size == 0:
            raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({before}, {after}) at dimension {axis} of input "
                               f"{list(input.array.shape)}")
        indices.append((axis, _source_index(xp, size, before, after, mode)))
    return IndexPad.apply(input, indices=tuple(indices))
