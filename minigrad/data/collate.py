"""``default_collate``: a list of samples -> one batch, with torch's rules.

Tensors (and NumPy arrays) are stacked along a new first dimension; a batch
of Python numbers whose first is a float becomes a float64 tensor, else (an int
or bool first) the tensor ``tensor(batch)`` infers (``[1, 2.5]`` is float32);
strings stay a list; dicts, tuples and lists are collated field by field
(a tuple of fields comes back as a list, as in torch).
"""
from __future__ import annotations

import collections.abc
import numbers

import numpy

from ..core.device import array_module
from ..core.tensor import Tensor, infer_array

__all__ = ["default_collate", "default_convert"]

ERROR_FORMAT = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack(arrays):
    """Stack equal-shaped arrays along a new first axis, with torch's error for unequal ones."""
    for index, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                               f"at entry 0 and {list(array.shape)} at entry {index}")
    return array_module(arrays[0]).stack(arrays)


def _is_plain_numpy(value):
    return isinstance(value, (numpy.ndarray, numpy.generic)) and value.dtype.kind not in "SaUOV"


def default_collate(batch):
    """Merge a list of samples into a batch (see the module docstring)."""
    element = batch[0]
    if isinstance(element, Tensor):
        if any(sample.requires_grad for sample in batch):     # keep the graph, as torch.stack would
            from ..ops.join import stack
            return stack(batch)
        return Tensor._wrap(_stack([sample.array for sample in batch]))
    if isinstance(element, (numpy.ndarray, numpy.generic)):
        if not _is_plain_numpy(element):
            raise TypeError(ERROR_FORMAT.format(element.dtype))
        return Tensor._wrap(_stack([numpy.asarray(sample) for sample in batch]))
    if isinstance(element, numbers.Integral):
        # torch's collate_int_fn is torch.tensor(batch): the dtype is inferred from the whole
        # batch ([1, 2.5] is float32, [True, 2] int64), where a float first gives float64 below
        return Tensor._wrap(infer_array(batch))
    if isinstance(element, float):
        return Tensor._wrap(numpy.array(batch, dtype=numpy.float64))
    if isinstance(element, (str, bytes)):
        return batch
    if isinstance(element, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in element}
        try:
            return type(element)(collated)
        except TypeError:
            return collated
    if isinstance(element, tuple) and hasattr(element, "_fields"):     # namedtuple
        return type(element)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(element, collections.abc.Sequence):
        if any(len(sample) != len(element) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(field) for field in zip(*batch)]
        if isinstance(element, tuple):
            return fields
        try:
            return type(element)(fields)
        except TypeError:
            return fields
    raise TypeError(ERROR_FORMAT.format(type(element)))


def default_convert(data):
    """What the DataLoader does to each sample when ``batch_size=None``: NumPy arrays -> tensors."""
    if isinstance(data, Tensor):
        return data
    if _is_plain_numpy(data):
        return Tensor._wrap(numpy.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(item) for item in data])
        except TypeError:
            return [default_convert(item) for item in data]
    return data
