"""``F.embedding`` (a row lookup with a scatter-add backward), ``F.embedding_bag`` (the rows of
each bag summed, averaged or maxed) and ``F.one_hot``."""
from __future__ import annotations

from ...core.function import Function
from ...core.grad_mode import no_grad
from ...core.device import array_module, scatter_add
from ...ops.placement import _placed
from ...core.dtypes import scalar_type_name
from ...core.tensor import Tensor

__all__ = ["embedding", "embedding_bag", "one_hot"]

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


def _check_index_dtype(input, op):
    if input.array.dtype.kind not in "iu" or input.array.dtype.itemsize < 4:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           "scalar types: Long, Int; but got "
                           f"torch.{scalar_type_name(input.dtype)}Tensor instead (while checking "
                           f"arguments for {op})")


def _check_indices(input, num_embeddings):
    _check_index_dtype(input, "embedding")
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


class EmbeddingBag(Function):
    """The rows ``weight[indices]`` reduced bag by bag into ``(bags, dim)``: ``bag_of`` gives each
    index's bag (bags are runs of consecutive indices, an empty bag a row of zeros).

    ``sum`` adds a bag's rows one after another (times ``per_sample_weights``), ``mean`` divides
    that sum by the bag's count, ``max`` takes each column's largest (the first such row gets its
    gradient).  Indices equal to ``padding_idx`` are left out, of the count too.  The backward adds
    each bag's gradient into the rows it used, as ``Embedding``'s (``scale_grad_by_freq``: divided
    by how often a row occurs in ``indices``); ``per_sample_weights`` get the gradient's dot product
    with their row.
    """

    differentiable_backward = True

    def forward(self, weight, *per_sample, indices, bag_of, bags, mode, padding_idx, scale_grad_by_freq):
        xp = array_module(weight)
        per_sample_weights = per_sample[0] if per_sample else None
        kept = xp.arange(indices.size) if padding_idx is None else xp.flatnonzero(indices != padding_idx)
        rows, bag_of_row = indices[kept], bag_of[kept]
        self.kept, self.rows, self.bag_of_row, self.bag_of, self.mode = kept, rows, bag_of_row, bag_of, mode
        self.weight_shape = weight.shape
        out = xp.zeros((bags, weight.shape[1]), weight.dtype)
        values = weight[rows]                                        # (each kept index's row, gathered once)
        if mode == "max":
            if rows.size:
                out.fill(-xp.inf)
                xp.maximum.at(out, bag_of_row, values)
                out[xp.bincount(bag_of_row, minlength=bags) == 0] = 0
            # the first row of each bag holding its column's maximum
            first = xp.full(out.shape, rows.size)
            candidates = xp.where(values == out[bag_of_row], xp.arange(rows.size)[:, None], rows.size)
            xp.minimum.at(first, bag_of_row, candidates)
            self.filled = first < rows.size                          # (bag, column) with a maximum
            self.max_rows, self.max_columns = rows[first[self.filled]], xp.nonzero(self.filled)[1]
            return out
        if per_sample_weights is not None:
            values = values * per_sample_weights[kept][:, None]
        scatter_add(out, bag_of_row, values)                         # in each bag's order, as torch
        if mode == "mean":
            counts = xp.bincount(bag_of_row, minlength=bags)
            out /= xp.maximum(counts, 1)[:, None].astype(out.dtype)
            self.row_scale = (1 / counts[bag_of_row]).astype(weight.dtype)
        else:
            self.row_scale = None
        if scale_grad_by_freq:
            frequency = (1 / xp.bincount(indices, minlength=weight.shape[0])[rows]).astype(weight.dtype)
            self.row_scale = frequency if self.row_scale is None else self.row_scale * frequency
        self.save_for_backward(weight if per_sample and self.needs_input_grad[1] else None,
                               per_sample_weights if per_sample and self.needs_input_grad[0] else None)
        return out

    def backward(self, grad_output):
        if self.mode == "max":
            return _placed(grad_output[self.filled], self.weight_shape, None, (self.max_rows, self.max_columns),
                           True, self.weight_shape)
        weight, per_sample_weights = self.saved_tensors
        grad_rows = grad_output[self.bag_of_row]                     # each kept index's bag's gradient
        grad_weight = grad_per_sample = None
        if self.needs_input_grad[0]:
            scaled = grad_rows
            if per_sample_weights is not None:
                scaled = scaled * per_sample_weights[self.kept][:, None]
            if self.row_scale is not None:
                scaled = scaled * self.row_scale[:, None]
            grad_weight = _placed(scaled, self.weight_shape, None, (self.rows,), True, self.weight_shape)
        if len(self.needs_input_grad) == 1:
            return grad_weight
        if self.needs_input_grad[1]:
            dots = (grad_rows * weight[self.rows]).sum(-1)
            size = self.bag_of.shape[0]
            grad_per_sample = _placed(dots, (size,), None, (self.kept,), False, (size,))
        return grad_weight, grad_per_sample


_BAG_MODES = ("sum", "mean", "max")


def _check_bag_indices(input, num_embeddings):
    _check_index_dtype(input, "embedding_bag")
    indices = input.array.reshape(-1)
    bad = (indices < 0) | (indices >= num_embeddings)
    if indices.size and bool(bad.any()):
        position = int(array_module(indices).flatnonzero(bad)[0])
        raise RuntimeError(f"Index {position} of input takes value {int(indices[position])} which is not in "
                           f"the valid range [0, {num_embeddings})")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Rows of ``weight`` ``(num_embeddings, dim)`` looked up bag by bag and reduced: ``(bags, dim)``.

    A 2-D ``input`` ``(B, N)`` is B bags of N indices (``offsets`` must be None); a 1-D ``input``
    is cut into bags where ``offsets`` (1-D, starting at 0) say, the last bag running to the end
    (with ``include_last_offset`` the offsets end with one more, which closes nothing: torch's last
    bag still runs to the end of ``input``).  ``mode``: ``'sum'``, ``'mean'``
    or ``'max'``; ``per_sample_weights`` (``input``'s shape, ``mode='sum'`` only) weigh each row.
    ``padding_idx`` is left out of every bag; an empty bag gives zeros.  ``sparse`` gradients are
    not supported and give dense ones, as ``embedding``'s.
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights (torch.Size({list(per_sample_weights.shape)})) is "
                         f"not None, then it must have the same shape as the input (torch.Size({list(input.shape)}))")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            kind = "<class 'torch.Tensor'>" if isinstance(offsets, Tensor) else str(type(offsets))
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                             f"of fixed length sequences. However, found offsets of type {kind}")
        starts = array_module(input.array).arange(0, input.array.size, max(input.shape[1], 1))
        include_last_offset = False
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets.array
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in _BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    num_embeddings = weight.array.shape[0]
    _check_bag_indices(input, num_embeddings)
    indices = input.array.reshape(-1).astype("int64", copy=False)
    if max_norm is not None:
        with no_grad():
            _renorm_rows(weight, indices, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature "
                                  "request on GitHub.")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for "
                           f"argument #1 'per_sample_weights'; but type torch.{scalar_type_name(weight.dtype)}Tensor "
                           f"does not equal torch.{scalar_type_name(per_sample_weights.dtype)}Tensor (while checking "
                           "arguments for embedding_bag)")
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num_embeddings} "
                               f"through {num_embeddings - 1}, but got {padding_idx}")
        padding_idx %= num_embeddings
    bag_of, bags = _bags(starts, indices.size, include_last_offset, offsets)
    per_sample = () if per_sample_weights is None else (per_sample_weights.reshape(-1),)
    return EmbeddingBag.apply(weight, *per_sample, indices=indices, bag_of=bag_of, bags=bags, mode=mode,
                              padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _bags(starts, size, include_last_offset, offsets):
    """``(bag of each index, number of bags)`` from the bags' first positions (``offsets``' array, or
    made from a 2-D input's rows), checked as torch's."""
    xp = array_module(starts)
    starts = starts.astype("int64", copy=False)
    if starts.size and int(starts[0]) != 0:
        # (torch's check prints the offsets' empty slice after its words)
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                           f"from position 0. However, got {int(starts[0])}\n"
                           f"[ torch.{scalar_type_name(offsets.dtype)}Tensor{{}} ]")
    if starts.size and int(starts[-1]) > size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {size} but got offsets[-1] "
                           f"of {int(starts[-1])}")
    if starts.size > 1 and bool((starts[1:] < starts[:-1]).any()):
        raise RuntimeError("offsets must be in increasing order (each bag starts where or after the one "
                           "before it)")
    if include_last_offset:     # the last offset closes the offsets (CSR's); torch's last bag still runs to the end
        starts = starts[:-1]
    bag_of = xp.searchsorted(starts, xp.arange(size), side="right") - 1
    return bag_of.astype("int64"), starts.size


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
