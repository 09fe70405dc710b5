"""``minigrad.autograd``, as ``torch.autograd``: ``backward``, ``grad``, ``Function``, the grad-mode
switches, ``gradcheck`` and old PyTorch's ``Variable``.

The engine itself is the ground floor's (``minigrad/core/engine.py``, ``function.py``);
this package gathers it under torch's name and adds the tools built on it.
"""
from __future__ import annotations

from ..core.engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from ..core.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                           set_detect_anomaly)
from .gradcheck import gradcheck, gradgradcheck
from . import functional  # noqa: F401  (torch.autograd.functional)
from .variable import Variable

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "Variable"]
