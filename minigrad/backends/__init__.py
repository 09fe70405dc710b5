"""Every switch between implementations, in the style of ``torch.backends``.

* ``fused_rnn`` plays the part of ``torch.backends.cudnn`` for the recurrent
  layers: when ``enabled`` (the default) ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` and
  the cells run each layer and direction as one fused graph node with a
  hand-written backward through time (``nn/recurrent/fused.py``); when disabled
  they run the readable step-by-step version composed of tensor ops
  (``nn/recurrent/readable.py``), to study or to debug.  Both give the same numbers.
* ``cuda_kernels``: on CuPy arrays, the fused layers run each time step's
  elementwise maths as one CUDA kernel (``nn/recurrent/cuda_kernels.py``); when
  disabled the GPU runs the same NumPy-style statements one CuPy call at a time
  (the tests compare both).

``cpu`` tells what this processor can do where torch's choice of kernel depends on it
(``backends/cpu.py``: float16 in oneDNN or not).  ``cudnn`` and ``mps`` are torch's flags (``backends/cudnn.py``, ``backends/mps.py``),
accepted so that scripts that set or read them run (``torch.backends.cudnn.benchmark
= True``, ``import torch.backends.cudnn as cudnn``); minigrad uses neither cuDNN nor
Metal, so they change nothing.

Which array library runs a tensor (NumPy or CuPy) is not a switch: it is the
tensor's device (``minigrad/core/device.py``).  Usage::

    minigrad.backends.fused_rnn.enabled = False          # from now on
    with minigrad.backends.fused_rnn.flags(enabled=False):
        output, (h_n, c_n) = lstm(x)                      # just here
"""
from __future__ import annotations

import contextlib

__all__ = ["fused_rnn", "cuda_kernels", "cpu", "cudnn", "mps"]


class _Switch:
    """One implementation switch: ``enabled`` (True by default) and torch's ``flags()`` context manager."""

    def __init__(self, name):
        self.name = name
        self.enabled = True

    @contextlib.contextmanager
    def flags(self, enabled=True):
        """Set ``enabled`` inside a ``with`` block and restore it afterwards."""
        previous, self.enabled = self.enabled, bool(enabled)
        try:
            yield
        finally:
            self.enabled = previous

    def __repr__(self):
        return f"minigrad.backends.{self.name}(enabled={self.enabled})"


fused_rnn = _Switch("fused_rnn")
cuda_kernels = _Switch("cuda_kernels")


from . import cpu, cudnn, mps  # noqa: E402  (torch's flags, as modules at torch's paths)
