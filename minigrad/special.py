"""``minigrad.special``: torch's ``torch.special`` namespace, the part minigrad computes.

torch's names for minigrad's own ops (``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ``psi``
``digamma``),
and the normal distribution's and entropy's functions of their own (``ops/normal_cdf.py``):
``ndtr``, ``log_ndtr``, ``erfcx``, ``entr``, ``xlog1py``.
"""
from __future__ import annotations

from .ops.gamma_functions import digamma, lgamma as gammaln, polygamma
from .ops.normal_cdf import entr, erfcx, log_ndtr, ndtr, xlog1py
from .ops.pointwise import xlogy
from .ops.softmax import log_softmax, logsumexp, softmax
from .ops.unary import erf, erfc, erfinv, exp2, expm1, log1p, logit, round, sigmoid as expit, sinc

psi = digamma

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "log1p", "log_ndtr", "log_softmax",
           "logit", "logsumexp", "ndtr", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy"]
