"""Datasets, as ``torch.utils.data``: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split`` ...

A map-style dataset answers ``len(dataset)`` and ``dataset[i]`` (a sample,
often an ``(input, target)`` tuple); an ``IterableDataset`` yields samples.
A dataset may also offer ``_get_batch(indices)``, returning a batch already
collated as ``default_collate`` would (a fast path the ``DataLoader`` uses
instead of indexing sample by sample; ``TensorDataset`` and ``MNIST`` have one).
"""
from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings

import numpy

from ..core import random
from ..core.tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split"]


def numpy_generator(generator=None) -> numpy.random.Generator:
    """The NumPy generator to draw from: minigrad's global one (seeded by ``minigrad.manual_seed``)
    when ``generator`` is None, else ``generator`` itself (a ``numpy.random.Generator``, an int
    seed, or a ``minigrad.Generator``)."""
    if generator is None:
        return random.generator()
    if isinstance(generator, numpy.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral):
        return numpy.random.default_rng(int(generator))
    if isinstance(generator, random.Generator):
        return generator.numpy_generator()
    raise TypeError(f"generator must be None, a numpy.random.Generator or an int seed, "
                    f"got {type(generator).__name__}")


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``)."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        raise TypeError("IterableDataset does not support concatenation with +")


class TensorDataset(Dataset):
    """Samples are ``tuple(tensor[i] for tensor in tensors)``; every tensor has the same first size."""

    def __init__(self, *tensors):
        if not all(tensors[0].size(0) == tensor.size(0) for tensor in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    def _get_batch(self, indices):
        """``[tensor[indices] for tensor in tensors]``: the default-collated batch in one gather each."""
        if any(tensor.requires_grad for tensor in self.tensors):
            return None     # keep the graph: fall back to indexing and stacking, as torch
        return [Tensor._wrap(_take(tensor.array, indices)) for tensor in self.tensors]


def _take(array, indices):
    """``array[indices]`` along the first axis, with ``indices`` moved to the array's device."""
    from ..core.device import array_module
    xp = array_module(array)
    return array[xp.asarray(indices, dtype=numpy.int64)]


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index = len(self) + index
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        mapped = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[i] for i in mapped]

    def _get_batch(self, indices):
        get_batch = getattr(self.dataset, "_get_batch", None)
        return get_batch([self.indices[i] for i in indices]) if get_batch is not None else None

    def __len__(self):
        return len(self.indices)


def _lengths_from_fractions(total, fractions):
    """torch's rule: floor each share, then hand the remainder out one by one from the first split."""
    lengths = []
    for index, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {index} is not between 0 and 1")
        lengths.append(int(math.floor(total * fraction)))
    for index in range(total - sum(lengths)):
        lengths[index % len(lengths)] += 1
    for index, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {index} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths (or fractions
    summing to 1), drawing the permutation from ``generator`` (default: minigrad's global one)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = numpy_generator(generator).permutation(sum(lengths)).tolist()
    return [Subset(dataset, indices[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]
