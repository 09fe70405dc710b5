"""``Bernoulli``: 1 with probability ``probs`` (or log-odds ``logits``), else 0."""
from __future__ import annotations

import numbers

from .._type_info import finfo
from ..core.grad_mode import no_grad
from ..core.tensor import Size
from ..nn.functional import binary_cross_entropy_with_logits
from ..ops.sampling import bernoulli
from . import constraints
from .distribution import Distribution, broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    """``probs`` in [0, 1] or ``logits`` (log-odds); ``log_prob`` and ``entropy`` are
    ``binary_cross_entropy_with_logits``'s, as torch's."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(Size() if isinstance(given, numbers.Number) else param.size(), validate_args=validate_args)

    def __getattr__(self, name):        # the other parameter, derived once on first use (torch's lazy_property)
        if name == "probs":
            self.probs = self.__dict__["logits"].sigmoid()
            return self.probs
        if name == "logits":
            probs = self.__dict__["probs"]
            tiny = finfo(probs.dtype).eps
            clamped = probs.clamp(min=tiny, max=1 - tiny)
            self.logits = clamped.log() - (-clamped).log1p()
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        with no_grad():
            return bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
