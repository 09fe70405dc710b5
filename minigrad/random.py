"""One global random generator, as torch's: ``manual_seed(s)`` makes every draw repeatable.

CPU draws come from a NumPy ``Generator``; CUDA draws from CuPy's generator,
seeded by the same ``manual_seed``.
"""
from __future__ import annotations

import numpy

from .backend import module_for

_generator = numpy.random.default_rng(0)
_seed = 0


def manual_seed(seed: int):
    """Seed the CPU generator (and the GPU one, when CuPy is in use)."""
    global _generator, _seed
    _seed = int(seed)
    _generator = numpy.random.default_rng(_seed)
    from . import backend
    if backend._cupy is not None:
        backend._cupy.random.seed(_seed)
    return _generator


seed = manual_seed


def initial_seed() -> int:
    return _seed


def generator() -> numpy.random.Generator:
    """The global CPU generator (for code that needs NumPy draws: shuffles, splits)."""
    return _generator


def _float_dtype(dtype):
    return dtype if numpy.dtype(dtype) in (numpy.float32, numpy.float64) else numpy.float64


def uniform(shape, dtype, device, low=0.0, high=1.0):
    """An array of ``U(low, high)`` draws."""
    xp = module_for(device)
    if xp is numpy:
        draws = _generator.random(shape, dtype=_float_dtype(dtype))
    else:
        draws = xp.random.random(shape, dtype=_float_dtype(dtype))
    if low != 0.0 or high != 1.0:
        draws = draws * (high - low) + low
    return draws.astype(dtype, copy=False)


def normal(shape, dtype, device, mean=0.0, std=1.0):
    """An array of ``N(mean, std**2)`` draws."""
    xp = module_for(device)
    if xp is numpy:
        draws = _generator.standard_normal(shape, dtype=_float_dtype(dtype))
    else:
        draws = xp.random.standard_normal(shape, dtype=_float_dtype(dtype))
    if mean != 0.0 or std != 1.0:
        draws = draws * std + mean
    return draws.astype(dtype, copy=False)


def integers(low, high, shape, dtype, device):
    """An array of integers drawn uniformly from ``[low, high)``."""
    xp = module_for(device)
    draws = _generator.integers(low, high, size=shape) if xp is numpy else \
        xp.random.randint(low, high, size=shape)
    return draws.astype(dtype, copy=False)


def permutation(n, device):
    xp = module_for(device)
    return _generator.permutation(n) if xp is numpy else xp.random.permutation(n)
