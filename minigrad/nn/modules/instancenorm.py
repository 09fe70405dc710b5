"""``InstanceNorm1d`` and ``InstanceNorm2d``, as torch (names, buffers, init, repr, checks)."""
from __future__ import annotations

import warnings

from .._functional.instancenorm import instance_norm
from .batchnorm import _BatchNorm

__all__ = ["InstanceNorm1d", "InstanceNorm2d"]


class _InstanceNorm(_BatchNorm):
    """BatchNorm's parameters and buffers (``affine=False``, ``track_running_stats=False`` by default), the
    statistics taken per sample; an input without the batch dim is one sample."""

    batched_ndim = 0

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _check_input_dim(self, input):
        if input.dim() not in (self.batched_ndim - 1, self.batched_ndim):
            raise ValueError(f"expected {self.batched_ndim - 1}D or {self.batched_ndim}D input "
                             f"(got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - (self.batched_ndim - 1)
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        unbatched = input.dim() == self.batched_ndim - 1
        batched = input.unsqueeze(0) if unbatched else input
        output = instance_norm(batched, self.running_mean, self.running_var, self.weight, self.bias,
                               self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)
        return output.squeeze(0) if unbatched else output


class InstanceNorm1d(_InstanceNorm):
    """Per sample and channel over the length: ``(N, C, L)`` or ``(C, L)``."""

    batched_ndim = 3


class InstanceNorm2d(_InstanceNorm):
    """Per sample and channel over the image: ``(N, C, H, W)`` or ``(C, H, W)`` (style transfer's norm)."""

    batched_ndim = 4
