"""torch's CPU group-norm backward (``group_norm_kernel.cpp``) in float32 and float64, in its order.

Its sums run in 32-byte vectors (4 float64 or 8 float32 lanes: the kernel is registered with
``REGISTER_DISPATCH``, so AVX-512 builds run the AVX2 one), and its compiler fuses most multiplies
that feed an add into one multiply-add (``fmadd``; which ones was measured against torch).  Following both gives torch's gradients bit
for bit, where the textbook formula (a layer norm over each group's rows) differs in the last bits
and, where the terms cancel, in more (fuzz seed 7852891: 1.6e-3 apart in float32).

* ``ds`` and ``db``, per sample and channel, are ``map2_reduce_all(dy * x)`` and ``reduce_all(dy)``
  over the positions: a row shorter than a vector is summed in order; a longer one starts from its
  first vector, adds each further vector's products to it, a partial last vector's only to its
  first lanes (fused there in float64), and its lanes are then added (float32 by halving: 0+4,
  1+5, ..., then 0+2, 1+3, then 0+1; float64 one after another);
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

import numpy

from ...ops.fused import fmadd

VECTOR_BYTES = 32


def channel_sums(x, dy):
    """``ds = sum(dy x)`` and ``db = sum(dy)`` over the last axis of ``x``, ``dy`` (samples, channels,
    positions), as torch's ``ComputeInternalGradients``."""
    dtype = dy.dtype
    lanes = VECTOR_BYTES // dtype.itemsize
    positions = dy.shape[-1]
    if positions < lanes:
        products = dy * x
        return _in_order(products), _in_order(dy)
    whole = positions // lanes * lanes
    ds, db = dy[..., :lanes] * x[..., :lanes], dy[..., :lanes].copy()
    for start in range(lanes, whole, lanes):
        block = slice(start, start + lanes)
        ds = ds + dy[..., block] * x[..., block]
        db = db + dy[..., block]
    rest = positions - whole
    if rest:
        tail = slice(whole, positions)
        # (the partial vector's multiply-add is fused in the float64 build alone: measured, 203 of 203)
        ds[..., :rest] = fmadd(dy[..., tail], x[..., tail], ds[..., :rest], dtype) if dtype == numpy.float64 \
            else ds[..., :rest] + dy[..., tail] * x[..., tail]
        db[..., :rest] = db[..., :rest] + dy[..., tail]
    return _lanes_added(ds), _lanes_added(db)


def _in_order(values):
    """``values`` summed along the last axis one after another, from the first."""
    total = values[..., 0].copy() if values.shape[-1] else numpy.zeros(values.shape[:-1], values.dtype)
    for index in range(1, values.shape[-1]):
        total = total + values[..., index]
    return total


def _lanes_added(lanes):
    """``vec_reduce_all`` of a vector's lanes: float32 halving (AVX2's shuffles), float64 in order."""
    if lanes.dtype == numpy.float32:
        while lanes.shape[-1] > 1:
            half = lanes.shape[-1] // 2
            lanes = lanes[..., :half] + lanes[..., half:]
        return lanes[..., 0]
    return _in_order(lanes)


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
    ds_total = _in_order(numpy.concatenate([zeros[..., :1], ds_lanes], axis=-1))
    db_total = _in_order(numpy.concatenate([zeros[..., :1], db_lanes], axis=-1))
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
    """``BetaBackward``: ``db`` added sample by sample."""
    total = numpy.zeros(db.shape[1:], db.dtype)
    for sample in range(db.shape[0]):
        total = total + db[sample]
    return total
