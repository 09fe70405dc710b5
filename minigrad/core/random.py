"""One global random generator, as torch's: ``manual_seed(s)`` makes every draw repeatable.

CPU draws come from a NumPy ``Generator``; CUDA draws from CuPy's generator,
seeded by the same ``manual_seed``.  Every random draw in minigrad goes through
the four functions at the end of this file, so this is also where CuPy's
generator is seeded (lazily, at the first GPU draw, with the current seed).
"""
from __future__ import annotations

import numpy

from .device import Device, cupy_module, module_for


class Generator:
    """An independent stream of random numbers, as ``torch.Generator`` (CPU draws).

    ``Generator().manual_seed(42)`` is repeatable on its own; pass it as
    ``generator=`` to ``rand``, ``randn``, ``randperm``, ``random_split``, ``DataLoader``.
    """

    def __init__(self, device="cpu"):
        self.device = Device(device)
        self.manual_seed(0)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._generator = numpy.random.default_rng(self._seed)
        return self

    def numpy_generator(self) -> numpy.random.Generator:
        """The NumPy generator behind this one (what the CPU draws come from)."""
        return self._generator

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        new_seed = int(numpy.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self) -> int:
        return self._seed


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global CPU generator (and the GPU one, when CuPy is in use)."""
    global _cupy_seeded
    default_generator.manual_seed(seed)
    _cupy_seeded = False          # the next GPU draw seeds CuPy's generator with this seed
    return default_generator


seed = manual_seed


def initial_seed() -> int:
    return default_generator.initial_seed()


def generator(chosen: Generator | None = None) -> numpy.random.Generator:
    """The NumPy generator behind ``chosen`` (default: the global one)."""
    return (chosen or default_generator)._generator


_cupy_seeded = False


def _gpu_random(xp):
    """CuPy's ``random`` module, seeded with ``manual_seed``'s seed before its first draw.

    torch's ``manual_seed`` seeds every device; CuPy is imported lazily, so its
    generator is seeded here, at the first GPU draw after a ``manual_seed``.
    (A ``generator=`` is honoured on the CPU only: minigrad's generators are CPU ones.)
    """
    global _cupy_seeded
    if not _cupy_seeded:
        xp.random.seed(default_generator.initial_seed())
        _cupy_seeded = True
    return xp.random


def seed_cuda(seed_value: int) -> None:
    """``minigrad.cuda.manual_seed``: seed CuPy's generator now."""
    global _cupy_seeded
    cupy_module().random.seed(int(seed_value))
    _cupy_seeded = True


def _float_dtype(dtype):
    return dtype if numpy.dtype(dtype) in (numpy.float32, numpy.float64) else numpy.float64


def _source(xp, chosen):
    """The generator that draws for ``xp``: the chosen (or default) NumPy one, or CuPy's."""
    return generator(chosen) if xp is numpy else _gpu_random(xp)


def uniform(shape, dtype, device, low=0.0, high=1.0, chosen=None):
    """An array of ``U(low, high)`` draws."""
    xp = module_for(device)
    draws = _source(xp, chosen).random(shape, dtype=_float_dtype(dtype))
    if low != 0.0 or high != 1.0:
        draws = draws * (high - low) + low
    return draws.astype(dtype, copy=False)


def normal(shape, dtype, device, mean=0.0, std=1.0, chosen=None):
    """An array of ``N(mean, std**2)`` draws."""
    xp = module_for(device)
    draws = _source(xp, chosen).standard_normal(shape, dtype=_float_dtype(dtype))
    if mean != 0.0 or std != 1.0:
        draws = draws * std + mean
    return draws.astype(dtype, copy=False)


def integers(low, high, shape, dtype, device, chosen=None):
    """An array of integers drawn uniformly from ``[low, high)``."""
    xp = module_for(device)
    draws = generator(chosen).integers(low, high, size=shape) if xp is numpy else \
        _gpu_random(xp).randint(low, high, size=shape)
    return draws.astype(dtype, copy=False)


def permutation(n, device, chosen=None):
    xp = module_for(device)
    return _source(xp, chosen).permutation(n)
