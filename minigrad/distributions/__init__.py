"""``minigrad.distributions``, the part of ``torch.distributions`` a sequence model meets: ``Categorical``
(sampling the next token, a policy's actions), ``Normal`` (``rsample`` for the reparameterisation
trick) and ``Bernoulli``, with torch's argument checks and ``constraints``."""
from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "constraints"]
