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
"""
from __future__ import annotations

import contextlib

__all__ = ["fused_rnn"]


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
