"""Random sampling from tensors: ``multinomial bernoulli bernoulli_ normal``.

Draws come from ``minigrad.random`` (the global generator, or ``generator=``),
so ``manual_seed`` makes them repeatable; they are not the same numbers as
torch's.  ``multinomial`` and ``bernoulli`` have no gradient.  ``normal`` with
tensor ``mean``/``std`` records a node whose gradients are zero, as torch's
``NormalBackward`` (sampling is not differentiated through).
"""
from __future__ import annotations

import numbers

import numpy

from ..core import random

from ..core import dtypes
from ..core.function import Function
from ..core.device import array_module, as_device, device_of
from ..core.tensor import Tensor, parse_size
from .factories import _numpy_dtype
from .broadcast import broadcast_shapes
from .inplace import write
from .sorting import _argsort
from .tensor_namespace import zeros

_INT64 = dtypes.int64.numpy


def _uniform_like(array, shape, generator):
    """``U(0, 1)`` float64 draws of ``shape`` on ``array``'s device."""
    return random.uniform(shape, "float64", device_of(array), chosen=generator)


# ---- multinomial ---------------------------------------------------------------------------
def _check_weights(weights, num_samples, replacement):
    xp = array_module(weights)
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{dtypes.scalar_type_name(dtypes.from_numpy_dtype(weights.dtype))}")
    if weights.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if replacement:
        # torch's sampler with replacement checks each row in turn: its elements one by one (NaN fails
        # ``>= 0``), then its sum
        for row in (weights if weights.ndim == 2 else weights[None]):
            bad = xp.flatnonzero(~(row >= 0) | ~xp.isfinite(row))
            if bad.size:
                first = row[int(bad[0])]
                raise RuntimeError("invalid multinomial distribution (encountering probability entry "
                                   + ("< 0)" if not first >= 0 else "= infinity or NaN)"))
            if not row.sum() > 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return
    if bool((~xp.isfinite(weights) | (weights < 0)).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool((weights.sum(axis=-1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _with_replacement(weights, num_samples, generator):
    """Inverse-CDF sampling: each uniform draw lands in the category whose CDF step covers it."""
    xp = array_module(weights)
    rows, categories = weights.shape
    cdf = xp.cumsum(weights.astype("float64"), axis=1)
    cdf /= cdf[:, -1:]
    # row r's CDF shifted to [r, r + 1] makes one searchsorted serve every row
    offsets = xp.arange(rows, dtype="float64")[:, None]
    draws = _uniform_like(weights, (rows, num_samples), generator) + offsets
    flat = xp.searchsorted((cdf + offsets).reshape(-1), draws.reshape(-1), side="right")
    chosen = flat.reshape(rows, num_samples) - (offsets.astype(_INT64) * categories)
    return xp.clip(chosen, 0, categories - 1)


def _without_replacement(weights, num_samples, generator):
    """The ``num_samples`` smallest keys ``E / w`` (``E ~ Exp(1)``): sequential draws without replacement."""
    xp = array_module(weights)
    exponential = -xp.log1p(-_uniform_like(weights, weights.shape, generator))
    with numpy.errstate(divide="ignore"):     # NumPy's warning switch; CuPy warns of nothing
        keys = exponential / weights.astype("float64")
    return _argsort(keys, 1, descending=False)[:, :num_samples]


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """int64 indices drawn from each row of weights ``(C,)`` or ``(N, C)`` -> ``(S,)`` or ``(N, S)``.

    Rows need not sum to one (they are weights); without ``replacement`` a
    category is drawn at most once per row.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")
    weights = input.array
    _check_weights(weights, int(num_samples), replacement)
    rows = weights if weights.ndim == 2 else weights[None]
    draw = _with_replacement if replacement else _without_replacement
    chosen = draw(rows, int(num_samples), generator).astype(_INT64, copy=False)
    return Tensor._wrap(chosen if weights.ndim == 2 else chosen[0])


# ---- bernoulli -----------------------------------------------------------------------------
def _check_probability(p, name):
    if not 0 <= p <= 1:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={p}")


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws with ``P(1) = input`` elementwise (or ``p`` for every element), in ``input``'s dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")
    probabilities = input.array
    if p is not None:
        _check_probability(p, "bernoulli_")
        probabilities = p
    else:
        if probabilities.dtype.kind != "f":
            raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for '
                                      f"'{dtypes.scalar_type_name(input.dtype)}'")
        xp = array_module(probabilities)
        if bool(((probabilities < 0) | (probabilities > 1) | xp.isnan(probabilities)).any()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    draws = _uniform_like(input.array, input.array.shape, generator) < probabilities
    return Tensor._wrap(draws.astype(input.array.dtype))


def bernoulli_(input, p=0.5, *, generator=None):
    """Fill ``input`` with 0/1 draws, ``P(1) = p`` (a float or a tensor broadcast to ``input``)."""
    if isinstance(p, Tensor):
        probabilities = array_module(p.array).broadcast_to(p.array, input.array.shape)
    else:
        _check_probability(p, "bernoulli_")
        probabilities = p
    draws = _uniform_like(input.array, input.array.shape, generator) < probabilities
    return write(input, draws.astype(input.array.dtype),
                 torch_name="BernoulliBackward1" if isinstance(p, Tensor) else "BernoulliBackward2")


# ---- normal --------------------------------------------------------------------------------
class Normal(Function):
    """Draws ``mean + std * N(0, 1)``; the gradients are zero, as torch's ``NormalBackward``
    (constant zeros: with create_graph=True they have no graph, as torch's)."""

    differentiable_backward = True

    def name(self):
        return "NormalBackward3" if len(self.shapes) == 2 else "NormalBackward1"

    def forward(self, *arrays, mean, std, generator):
        self.shapes = [a.shape for a in arrays]
        mean = arrays[0] if mean is None else mean
        std = arrays[-1] if std is None else std
        shape = broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ()))
        noise = random.normal(shape, arrays[0].dtype, _device(arrays[0]), chosen=generator)
        return (mean + std * noise).astype(arrays[0].dtype, copy=False)

    def backward(self, grad_output):
        grads = tuple(zeros(grad_output, shape) for shape in self.shapes)
        return grads if len(grads) > 1 else grads[0]


def _device(array):
    return device_of(array)


def _check_std(std):
    low = float(std.array.min()) if isinstance(std, Tensor) and std.array.size else std
    if not isinstance(std, Tensor) or std.array.size:
        if low < 0:
            shown = int(low) if float(low).is_integer() else low
            raise RuntimeError(f"normal expects std >= 0.0, but found std {shown}")


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """``N(mean, std**2)`` draws: tensors ``mean``/``std`` broadcast together, or floats and ``size``."""
    _check_std(std)
    mean_is_tensor, std_is_tensor = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_is_tensor and not std_is_tensor:
        if size is None or not isinstance(mean, numbers.Number):
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one of:\n"
                            " * (Tensor mean, Tensor std)\n * (Tensor mean, float std = 1)\n"
                            " * (float mean, Tensor std)\n * (float mean, float std, tuple of ints size)")
        array = random.normal(parse_size(tuple(size), "normal"), _numpy_dtype(dtype), as_device(device),
                              mean=float(mean), std=float(std), chosen=generator)
        return Tensor._wrap(array, requires_grad=requires_grad)
    if mean_is_tensor and std_is_tensor:
        broadcast_shapes(mean.array.shape, std.array.shape)
        return Normal.apply(mean, std, mean=None, std=None, generator=generator)
    if mean_is_tensor:
        return Normal.apply(mean, mean=None, std=float(std), generator=generator)
    return Normal.apply(std, mean=float(mean), std=None, generator=generator)


__all__ = ["multinomial", "bernoulli", "bernoulli_", "normal"]
