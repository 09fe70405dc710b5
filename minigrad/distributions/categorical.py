"""``Categorical``: one of ``K`` events, with probabilities ``probs`` or log-odds ``logits``."""
from __future__ import annotations

import math

from .._type_info import finfo
from ..core.tensor import Size
from ..nn.functional import softmax
from ..ops.factories import arange, full
from ..ops.sampling import multinomial
from ..ops.shape import broadcast_tensors
from . import constraints
from .distribution import Distribution

__all__ = ["Categorical"]


class Categorical(Distribution):
    """``probs`` (normalised along the last dim) or ``logits`` (normalised: ``logits - logsumexp``),
    ``(*batch, K)``; samples are indices in ``[0, K)``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1] if self._param.dim() > 1 else Size(), validate_args=validate_args)

    def __getattr__(self, name):        # the other parameter, derived once on first use (torch's lazy_property)
        if name == "probs":
            self.probs = softmax(self.__dict__["logits"], dim=-1)
            return self.probs
        if name == "logits":
            tiny = finfo(self.__dict__["probs"].dtype).eps
            self.logits = self.__dict__["probs"].clamp(min=tiny, max=1 - tiny).log()
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        rows = self.probs.reshape(-1, self._num_events)
        draws = multinomial(rows, math.prod(sample_shape), True).T
        return draws.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events).view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
