"""``torch.backends.cudnn``: its flags with torch's defaults, accepted and remembered, without effect.

minigrad does not use cuDNN (its fused recurrent layers are its own, switched by
``minigrad.backends.fused_rnn``) and runs deterministically anyway.
"""
from __future__ import annotations

import contextlib

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags inside a ``with`` block and restore them afterwards, as torch's."""
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    state = globals()
    previous = tuple(state[name] for name in names)
    state.update(zip(names, (enabled, benchmark, deterministic, allow_tf32)))
    try:
        yield
    finally:
        state.update(zip(names, previous))
