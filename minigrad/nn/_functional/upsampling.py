"""``F.interpolate`` (``nearest``, ``nearest-exact``, ``linear``, ``bilinear``, ``trilinear``, ``area``): resizing
one spatial dim at a time.  Nearest picks source indices (``index_select``); linear modes multiply by a
``(out, in)`` interpolation matrix per dim (two non-zeros a row), so the gradient is the transposed matrix."""
from __future__ import annotations

import math

import numpy

from ...core.device import array_module
from ...ops import indexing, linalg
from ...core.tensor import Tensor
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = ("nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact")
_LINEAR_NDIM = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _scale(input_size, output_size, scale_factor, opmath):
    """torch's ``compute_scales_value``: ``1 / scale_factor`` when one was given, else ``in / out``."""
    if scale_factor is not None and scale_factor > 0:
        return opmath(1.0 / scale_factor)
    return opmath(input_size) / opmath(output_size)


def _nearest_indices(input_size, output_size, scale_factor, exact):
    """Source index of each output position, in torch's float32 arithmetic (``nearest_idx``)."""
    destination = numpy.arange(output_size)
    if not exact and output_size == input_size:
        return destination
    if not exact and output_size == 2 * input_size:
        return destination >> 1
    scale = _scale(input_size, output_size, scale_factor, numpy.float32)
    if exact:   # (dst + 0.5) in double, times the float scale, rounded to float, floored
        source = numpy.floor(((destination + 0.5) * numpy.float64(scale)).astype(numpy.float32))
    else:       # dst * scale in float
        source = numpy.floor(destination.astype(numpy.float32) * scale)
    return numpy.minimum(source.astype(numpy.int64), input_size - 1)


def _linear_matrix(input_size, output_size, scale_factor, align_corners, dtype):
    """``(out, in)``: row ``i`` holds ``1 - lambda`` and ``lambda`` at torch's two source indices."""
    opmath = numpy.float32 if dtype == numpy.float32 else numpy.float64
    if align_corners:
        scale = opmath(input_size - 1) / opmath(output_size - 1) if output_size > 1 else opmath(0)
        source = scale * numpy.arange(output_size, dtype=opmath)
    else:
        scale = _scale(input_size, output_size, scale_factor, opmath)
        source = numpy.maximum(scale * (numpy.arange(output_size, dtype=opmath) + opmath(0.5)) - opmath(0.5), 0)
    first = numpy.minimum(numpy.floor(source).astype(numpy.int64), input_size - 1)
    weight = numpy.clip(source - first, 0, 1).astype(dtype)
    second = first + (first < input_size - 1)
    matrix = numpy.zeros((output_size, input_size), dtype=dtype)
    rows = numpy.arange(output_size)
    numpy.add.at(matrix, (rows, first), 1 - weight)
    numpy.add.at(matrix, (rows, second), weight)
    return matrix


def _resize_axis(input, axis, output_size, scale_factor, mode, align_corners):
    """Resize one spatial ``axis`` of ``input`` to ``output_size``."""
    xp = array_module(input.array)
    input_size = input.array.shape[axis]
    if mode in ("nearest", "nearest-exact"):
        indices = _nearest_indices(input_size, output_size, scale_factor, mode == "nearest-exact")
        return indexing.index_select(input, axis, Tensor._wrap(xp.asarray(indices)))
    matrix = Tensor._wrap(xp.asarray(_linear_matrix(input_size, output_size, scale_factor, align_corners,
                                                    input.array.dtype)))
    moved = input.movedim(axis, -1)
    return linalg.matmul(moved, matrix.t()).movedim(-1, axis)


def _output_sizes(input, size, scale_factor, recompute_scale_factor, mode):
    """torch's size / scale_factor handling: (output sizes, scale factors for the index maths or None)."""
    dim = input.array.ndim - 2
    spatial = list(input.array.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {spatial} and output size of {size}. Please provide "
                                 "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 "format.")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
        scales = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {spatial} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        output_size = [int(math.floor(s * f)) for s, f in zip(spatial, scales)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or (mode == "area" and size is None):
        scales = None     # the index maths then uses in / out, as with an explicit size
    return output_size, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, *L)`` (1 to 3 spatial dims) to ``size`` or ``floor(L * scale_factor)``.

    ``nearest`` copies ``x[floor(i * scale)]`` (torch's legacy rule), ``nearest-exact``
    ``x[floor((i + 0.5) * scale)]``; ``linear`` / ``bilinear`` / ``trilinear`` blend the two nearest
    source pixels, their centres aligned (``align_corners=False``) or their corners; ``area`` is
    adaptive average pooling.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    output_size, scales = _output_sizes(input, size, scale_factor, recompute_scale_factor, mode)
    ndim = input.array.ndim
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and ndim == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
                             "a 4-D tensor as input")
        raise NotImplementedError("interpolate: antialias=True is not supported by minigrad")
    if mode == "area" and ndim in (3, 4):
        return (adaptive_avg_pool1d if ndim == 3 else adaptive_avg_pool2d)(input, output_size)
    if ndim in (3, 4, 5) and (mode in ("nearest", "nearest-exact") or _LINEAR_NDIM.get(mode) == ndim):
        output = input
        for axis, size_along in enumerate(output_size):
            output = _resize_axis(output, axis + 2, size_along, None if scales is None else scales[axis], mode,
                                  align_corners)
        return output
    if mode in _LINEAR_NDIM and ndim in (3, 4, 5):
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {_LINEAR_NDIM[mode]}D input")
    if mode in ("bicubic", "lanczos") or (mode == "area" and ndim == 5):
        raise NotImplementedError(f"interpolate: mode '{mode}' is not supported by minigrad (known to it: nearest, "
                                  "nearest-exact, linear, bilinear, trilinear, area up to 2-d)")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: "
                              f"{_MODES} (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The older name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
