"""``F.embedding`` (a row lookup with a scatter-add backward) and ``F.one_hot``."""
from __future__ import annotations

from ...core.function import Function
from ...core.grad_mode import no_grad
from ...core.device import array_module
from ...ops.placement import _placed
from ...core.dtypes import scalar_type_name
from ...core.tensor import Tensor

__all__ = ["embedding", "one_hot"]

class Embedding(Function):
    """``weight[indices]``: weight ``(num_embeddings, dim)``, indices ``(*)`` -> ``(*, dim)``.

    The backward adds each output row's gradient into the row it came from
    (repeated indices accumulate); the ``padding_idx`` row gets none, and with
    ``scale_grad_by_freq`` each row's gradient is divided by how often it occurs.
    """

    differentiable_backward = True

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        xp = array_module(weight)
        rows = indices.reshape(-1)
        self.key, self.grad_shape = (rows,), weight.shape
        # per looked-up row, what its gradient is multiplied by: 0 for padding_idx, 1 / count with
        # scale_grad_by_freq (None: all ones)
        scale = None
        if scale_grad_by_freq:
            scale = 1 / xp.bincount(rows, minlength=weight.shape[0])[rows].astype(weight.dtype)
        if padding_idx is not None:
            keep = (rows != padding_idx).astype(weight.dtype)
            scale = keep if scale is None else scale * keep
        self.row_scale = None if scale is None else scale[:, None]
        return weight[indices]

    def backward(self, grad_output):
        grad_rows = grad_output.reshape(self.key[0].shape[0], grad_output.shape[-1])   # no -1: 0 rows
        if self.row_scale is not None:
            grad_rows = grad_rows * self.row_scale
        return _placed(grad_rows, self.grad_shape, None, self.key, True, self.grad_shape)


def _check_indices(input, num_embeddings):
    if input.array.dtype.kind not in "iu" or input.array.dtype.itemsize < 4:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           "scalar types: Long, Int; but got "
                           f"torch.{scalar_type_name(input.dtype)}Tensor instead (while checking "
                           "arguments for embedding)")
    if input.array.size and (int(input.array.min()) < 0 or int(input.array.max()) >= num_embeddings):
        indices = input.array.reshape(-1)
        bad = int(indices[(indices < 0) | (indices >= num_embeddings)][0])
        # torch's words first, then which index and the table's size, which torch leaves out
        raise IndexError(f"index out of range in self: index {bad} is not in [0, {num_embeddings}) "
                         f"(num_embeddings={num_embeddings})")


def _renorm_rows(weight, indices, max_norm, norm_type):
    """torch's embedding_renorm_: rows used by ``indices`` with norm > max_norm are scaled down, in place."""
    xp = array_module(weight.array)
    rows = xp.unique(indices.reshape(-1))
    norms = xp.sum(xp.abs(weight.array[rows]) ** norm_type, axis=1) ** (1.0 / norm_type)
    too_long = norms > max_norm
    if bool(too_long.any()):
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(weight.array.dtype)
        weight.array[rows[too_long]] *= scale[:, None]
        weight._version_counter.value += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` ``(num_embeddings, dim)`` by integer ``input`` ``(*)`` -> ``(*, dim)``.

    ``max_norm`` renormalises the looked-up rows of ``weight`` in place first,
    as torch does; ``sparse`` gradients are not supported and give dense ones.
    """
    num_embeddings = weight.array.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num_embeddings or padding_idx < -num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % num_embeddings
    _check_indices(input, num_embeddings)
    indices = input.array.astype("int64", copy=False)
    if max_norm is not None:
        with no_grad():
            _renorm_rows(weight, indices, max_norm, norm_type)
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """int64 ``(*, num_classes)`` with a 1 at each index of ``tensor`` ``(*)``; -1 infers max + 1."""
    if tensor.array.dtype != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = array_module(tensor.array)
    if num_classes == -1:
        if tensor.array.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.array.max()) + 1
    if tensor.array.size:
        if int(tensor.array.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.array.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = xp.arange(num_classes, dtype=tensor.array.dtype)
    return Tensor._wrap((tensor.array[..., None] == classes).astype(tensor.array.dtype))
