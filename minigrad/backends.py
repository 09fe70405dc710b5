"""Switches between implementations, in the spirit of ``torch.backends``.

``minigrad.backends.fused_rnn`` plays the part of ``torch.backends.cudnn`` for the
recurrent layers: when ``enabled`` (the default) ``nn.RNN`` / ``nn.LSTM`` /
``nn.GRU`` and the cells run each layer and direction as one fused graph node
with a hand-written backward through time (``nn/modules/rnn_fused.py``); when
disabled they run the readable step-by-step version composed of tensor ops
(``nn/modules/rnn_readable.py``), to study or to debug.  Both give the same
numbers::

    minigrad.backends.fused_rnn.enabled = False          # from now on
    with minigrad.backends.fused_rnn.flags(enabled=False):
        output, (h_n, c_n) = lstm(x)                      # just here

``cudnn`` and ``mps`` are torch's flags, accepted so scripts that set or read
them run (``torch.backends.cudnn.benchmark = True``, ``import
torch.backends.cudnn as cudnn``); minigrad uses neither cuDNN nor Metal, so they
change nothing.
"""
from __future__ import annotations

import contextlib
import importlib.machinery
import sys
import types

__all__ = ["fused_rnn", "cudnn", "mps"]


class _FusedRNN:
    """``enabled``: use the fused recurrent layers (True by default)."""

    def __init__(self):
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
        return f"minigrad.backends.fused_rnn(enabled={self.enabled})"


fused_rnn = _FusedRNN()


class _CuDNNFlags(types.ModuleType):
    """``torch.backends.cudnn``: ``enabled``, ``benchmark``, ``deterministic``, ``allow_tf32`` with torch's
    defaults.  Accepted and remembered, without effect: minigrad does not use cuDNN (its fused recurrent
    layers are its own, switched by ``fused_rnn``) and runs deterministically anyway."""

    def __init__(self):
        super().__init__(__name__ + ".cudnn", self.__doc__)
        self.__spec__ = importlib.machinery.ModuleSpec(self.__name__, None)
        self.enabled, self.benchmark, self.deterministic, self.allow_tf32 = True, False, False, True

    def is_available(self) -> bool:
        return False

    def version(self):
        return None

    @contextlib.contextmanager
    def flags(self, enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
        """Set the flags inside a ``with`` block and restore them afterwards, as torch's."""
        previous = (self.enabled, self.benchmark, self.deterministic, self.allow_tf32)
        self.enabled, self.benchmark, self.deterministic, self.allow_tf32 = enabled, benchmark, deterministic, \
            allow_tf32
        try:
            yield
        finally:
            self.enabled, self.benchmark, self.deterministic, self.allow_tf32 = previous


class _MPSFlags(types.ModuleType):
    """``torch.backends.mps``: Apple's Metal backend, which minigrad does not have."""

    def __init__(self):
        super().__init__(__name__ + ".mps", self.__doc__)
        self.__spec__ = importlib.machinery.ModuleSpec(self.__name__, None)

    def is_available(self) -> bool:
        return False

    def is_built(self) -> bool:
        return False


cudnn = _CuDNNFlags()
mps = _MPSFlags()
# ``import torch.backends.cudnn as cudnn`` needs a module of that name; they are registered so, and
# ``__path__`` marks this module as a package for the import system.  (If backends becomes a package,
# cudnn.py and mps.py files replace these two lines.)
__path__ = []
sys.modules[cudnn.__name__], sys.modules[mps.__name__] = cudnn, mps
