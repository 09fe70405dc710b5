"""Activation layers: thin modules around ``nn.functional``, with torch's reprs."""
from __future__ import annotations

from ...ops import factories
from .. import init as init_module
from .._functional import activation as F
from .._functional.gating import glu
from ..parameter import Parameter
from .module import Module

__all__ = ["ReLU", "ReLU6", "Hardtanh", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
           "Softplus", "Sigmoid", "Tanh", "LogSigmoid", "Hardsigmoid", "Hardswish", "Softsign",
           "Tanhshrink", "Threshold", "Softmax", "LogSoftmax", "Softmin", "PReLU", "GLU",
           "MultiheadAttention"]


def _inplace_suffix(inplace):
    return ", inplace=True" if inplace else ""


class _InplaceOnly(Module):
    """An activation whose only option is ``inplace`` (printed only when True, as torch)."""

    function = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self).function(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class _Stateless(Module):
    """An activation without options."""

    function = None

    def forward(self, input):
        return type(self).function(input)


class ReLU(_InplaceOnly):
    function = F.relu


class ReLU6(_InplaceOnly):
    function = F.relu6


class SiLU(_InplaceOnly):
    function = F.silu


class Mish(_InplaceOnly):
    function = F.mish


class SELU(_InplaceOnly):
    function = F.selu


class Hardsigmoid(_InplaceOnly):
    function = F.hardsigmoid

    def extra_repr(self):
        return ""


class Hardswish(_InplaceOnly):
    function = F.hardswish

    def extra_repr(self):
        return ""


class Sigmoid(_Stateless):
    function = F.sigmoid


class Tanh(_Stateless):
    function = F.tanh


class LogSigmoid(_Stateless):
    function = F.logsigmoid


class Softsign(_Stateless):
    function = F.softsign


class Tanhshrink(_Stateless):
    function = F.tanhshrink


class Hardtanh(Module):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_suffix(self.inplace)}"


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_suffix(self.inplace)}"


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class CELU(ELU):
    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Threshold(Module):
    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class _SoftmaxFamily(Module):
    """Softmax-like layers over one dimension ``dim``."""

    function = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self).function(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxFamily):
    function = F.softmax


class LogSoftmax(_SoftmaxFamily):
    function = F.log_softmax


class Softmin(_SoftmaxFamily):
    function = F.softmin


class PReLU(Module):
    """Leaky ReLU with learned slopes: one (``num_parameters=1``) or one per channel, starting at ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(factories.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init_module.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """``a * sigmoid(b)`` with ``a, b`` the halves of the input along ``dim``: ``(*, 2H)`` -> ``(*, H)``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


# torch defines MultiheadAttention in torch/nn/modules/activation.py; minigrad keeps it in its own
# file and makes it importable from torch's path too (torch.nn.modules.activation.MultiheadAttention)
from .attention import MultiheadAttention  # noqa: E402
