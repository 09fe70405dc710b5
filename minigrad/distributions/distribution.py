"""``Distribution``: the base of ``minigrad.distributions``, as ``torch.distributions.Distribution``.

A distribution has a ``batch_shape`` (independent distributions side by side) and an
``event_shape`` (the shape of one draw).  Its parameters are checked against ``arg_constraints``
when it is made, and the values given to ``log_prob`` against its ``support``, unless
``validate_args=False`` (torch's default is to check, as here: ``set_default_validate_args``).
``log_prob`` and ``entropy`` are built of minigrad's ops, so they have gradients; ``sample``
draws from minigrad's generator (``manual_seed``), not torch's, so samples are not torch's numbers.
"""
from __future__ import annotations

from ..core.dtypes import get_default_dtype
from ..core.tensor import Size, Tensor
from ..ops.factories import tensor as as_tensor
from ..ops.shape import broadcast_tensors

__all__ = ["Distribution"]


class Distribution:
    """The base class: shapes, argument and sample validation, ``repr``."""

    has_rsample = False
    arg_constraints: dict = {}
    _validate_args = True

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if param not in self.__dict__:
                    continue                   # (a parameter derived on demand: probs from logits)
                value = getattr(self, param)
                if not bool(constraint.check(value).all()):
                    raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape "
                                     f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                                     f"{constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        raise NotImplementedError

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        """torch's checks of a value to score: a Tensor, of a shape that broadcasts, within the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = len(value.shape) - len(self._event_shape)
        if tuple(value.shape[event_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {value.size()} vs "
                             f"{self._event_shape}.")
        actual, expected = value.size(), Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual} vs {expected}.")
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def __repr__(self):
        shown = [f"{name}: {self.__dict__[name] if self.__dict__[name].numel() == 1 else self.__dict__[name].size()}"
                 for name in self.arg_constraints if name in self.__dict__]
        return f"{type(self).__name__}({', '.join(shown)})"


def broadcast_all(*values):
    """The values as tensors of one broadcast shape (numbers in the tensors' dtype, or the default)."""
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
    return tuple(broadcast_tensors(*[v if isinstance(v, Tensor) else as_tensor(v, dtype=dtype) for v in values]))
