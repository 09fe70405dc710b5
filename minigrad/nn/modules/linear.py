"""``Identity``, ``Linear`` and ``Bilinear`` layers, with torch's default initialisation."""
from __future__ import annotations

import math

from ...ops import factories
from .. import init
from .._functional.linear import bilinear, linear
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]


def _empty_parameter(*shape, device=None, dtype=None):
    return Parameter(factories.empty(*shape, device=device, dtype=dtype))


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (as torch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``: ``(*, in_features)`` -> ``(*, out_features)``.

    ``weight`` is ``(out_features, in_features)`` as in torch, drawn from
    ``kaiming_uniform_(a=sqrt(5))``, i.e. ``U(-1/sqrt(in), 1/sqrt(in))``, and
    ``bias`` from the same interval.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty_parameter(out_features, in_features, device=device, dtype=dtype)
        if bias:
            self.bias = _empty_parameter(out_features, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y_k = x1 @ weight[k] @ x2 + bias_k``: ``(*, in1)``, ``(*, in2)`` -> ``(*, out)``.

    ``weight`` is ``(out, in1, in2)``; weight and bias are drawn from
    ``U(-1/sqrt(in1), 1/sqrt(in1))`` as in torch.
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = _empty_parameter(out_features, in1_features, in2_features, device=device, dtype=dtype)
        if bias:
            self.bias = _empty_parameter(out_features, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """torch's class for ``MultiheadAttention.out_proj``: a plain ``Linear`` under another name, kept so
    ``print(model)`` matches torch's.  Not exported from ``nn``, as in torch."""
