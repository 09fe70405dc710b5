"""torch's CPU group-norm backward (``group_norm_kernel.cpp``) in float32 and float64, in its order.

Its sums run in 32-byte vectors (4 float64 or 8 float32 lanes: the kernel is registered with
``REGISTER_DISPATCH``, so AVX-512 builds run the AVX2 one), and its compiler fuses most multiplies
that feed an add into one multiply-add (``fmadd``; which ones was measured against torch).  Following both gives torch's gradients bit
for bit, where the textbook formula (a layer norm over each group's rows) differs in the last bits
and, where the terms cancel, in more (fuzz seed 7852891: 1.6e-3 apart in float32).

* ``ds`` and ``db``, per sample and channel, are ``map2_reduce_all(dy * x)`` and ``reduce_all(dy)``
  over the positions, in layer_norm's lanes (``_moments.lane_sums``), but for the partial last
  vector's products, fused into their sum in float64 only;
* per group, ``ds`` and ``db`` times gamma are summed over the group's channels (``CalcDsDb``): whole
  vectors fused into zeroed lanes, the lanes added from 0 in order, the other channels added (fused
  in float32);
* ``c2 = (db mean - ds) rstd^3 / n`` (the difference exact), ``c3 = -c2 mean - db rstd / n`` (the
  second product fused) and each input's gradient ``c1 dy + c2 x + c3`` with ``c1 = rstd gamma``
  (the first product fused).  Measured: the gradients of 200 random shapes bit for bit where there
  is no gamma and for the weight and bias; the input's with a gamma in 98 of 120 (float64) and 87
  of 120 (float32) cases, the rest an ulp apart in some elements.
* the weight's gradient fuses ``(ds - db mean) rstd`` into its total sample by sample; the bias's
  adds ``db`` sample by sample.
"""
from __future__ import annotations

import math

import numpy

from ...ops.fused import fmadd
from ...ops.reduce_loop import _chained_sum
from ._moments import lane_sums

VECTOR_BYTES = 32


def channel_sums(x, dy):
    """``ds = sum(dy x)`` and ``db = sum(dy)`` over the last axis of ``x``, ``dy`` (samples, channels,
    positions), as torch's ``ComputeInternalGradients`` (``map2_reduce_all``: ``lane_sums``)."""
    rows = (math.prod(dy.shape[:-1]), dy.shape[-1])
    ds = lane_sums(dy.reshape(rows), x.reshape(rows), fused_tail=dy.dtype == numpy.float64)
    return ds.reshape(dy.shape[:-1]), lane_sums(dy.reshape(rows)).reshape(dy.shape[:-1])


def group_sums(ds, db, gamma, groups):
    """``CalcDsDb`` and its tail: per sample and group, ``ds`` and ``db`` (samples, channels) times gamma
    (channels,) or 1 (None), summed over the group's channels."""
    dtype = ds.dtype
    lanes = VECTOR_BYTES // dtype.itemsize
    samples, channels = ds.shape
    per_group = channels // groups
    shape = (samples, groups, per_group)
    ds, db = ds.reshape(shape), db.reshape(shape)
    gamma = numpy.ones((groups, per_group), dtype) if gamma is None else gamma.reshape(groups, per_group)
    whole = per_group // lanes * lanes
    zeros = numpy.zeros((samples, groups, lanes), dtype)
    ds_lanes, db_lanes = zeros, zeros
    for start in range(0, whole, lanes):
        block = slice(start, start + lanes)
        ds_lanes = fmadd(ds[..., block], gamma[:, block], ds_lanes, dtype)
        db_lanes = fmadd(db[..., block], gamma[:, block], db_lanes, dtype)
    # (std::accumulate: the lanes added one after another, from 0)
    ds_total = _chained_sum(zeros[..., 0], numpy.moveaxis(ds_lanes, -1, 0))
    db_total = _chained_sum(zeros[..., 0], numpy.moveaxis(db_lanes, -1, 0))
    for channel in range(whole, per_group):     # (fused in the float32 build alone: measured)
        if dtype == numpy.float32:
            ds_total = fmadd(ds[..., channel], gamma[:, channel], ds_total, dtype)
            db_total = fmadd(db[..., channel], gamma[:, channel], db_total, dtype)
        else:
            ds_total = ds_total + ds[..., channel] * gamma[:, channel]
            db_total = db_total + db[..., channel] * gamma[:, channel]
    return ds_total, db_total


def input_gradient(x, dy, mean, rstd, gamma, ds, db):
    """``GroupNormInputBackward``: ``x``, ``dy`` (samples, channels, positions), ``mean``, ``rstd``
    (samples, groups), ``gamma`` (channels,) or None, ``ds``, ``db`` (samples, channels)."""
    dtype = dy.dtype
    samples, channels, positions = dy.shape
    groups = mean.shape[1]
    scale = dtype.type(1) / dtype.type(channels // groups * positions)
    ds_group, db_group = group_sums(ds, db, gamma, groups)
    c2 = fmadd(db_group, mean, -ds_group, dtype) * rstd * rstd * rstd * scale
    c3 = fmadd(-(db_group * rstd), scale, -c2 * mean, dtype)
    per_channel = channels // groups
    c1 = numpy.repeat(rstd, per_channel, axis=1)
    if gamma is not None:
        c1 = c1 * gamma
    c2, c3 = (numpy.repeat(c, per_channel, axis=1)[..., None] for c in (c2, c3))
    return fmadd(c1[..., None], dy, c2 * x, dtype) + c3


def weight_gradient(ds, db, mean, rstd):
    """``GammaBackward``: per channel, ``(ds - db mean) rstd`` fused into the total sample by sample
    (``mean``, ``rstd`` per sample and channel)."""
    dtype = ds.dtype
    centred = fmadd(-db, mean, ds, dtype)
    total = numpy.zeros(ds.shape[1:], dtype)
    for sample in range(ds.shape[0]):
        total = fmadd(centred[sample], rstd[sample], total, dtype)
    return total


def bias_gradient(db):
    """``BetaBackward``: ``db`` added sample by sample, from 0."""
    return _chained_sum(numpy.zeros(db.shape[1:], db.dtype), db)
