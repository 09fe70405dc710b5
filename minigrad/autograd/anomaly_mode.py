"""Anomaly mode, as ``torch.autograd.detect_anomaly``: which forward line made the node whose backward failed.

While it is on, every node remembers the Python stack of the forward call that
made it, and the engine checks what each backward returns: a NaN raises
torch's ``RuntimeError: Function 'MulBackward0' returned nan values in its 0th
output.``, after a warning that prints the forward traceback ("Error detected
in MulBackward0. Traceback of forward call that caused the error: ...").  Any
other error raised in a backward gets the same warning.

Every op is covered at once: the stack is taken in ``Function.apply`` and the
check made in the engine (through ``core/observe.py``), not op by op.  Off
(the default) it costs nothing but ``observe``'s one boolean check.

``check_forward_nan=True`` (minigrad's own option; torch has no forward check)
also warns when a forward returns NaN where none of its inputs had one.
"""
from __future__ import annotations

import os
import sys
import traceback
import warnings

from ..core import observe
from ..core.device import array_module

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

# the op machinery: frames inside these are not the user's forward call
_MACHINERY = tuple(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), part) + os.sep
                   for part in ("core", "ops", "autograd"))


class _AnomalyObserver:
    """Takes each node's forward stack; checks backward outputs (and forward ones, when asked)."""

    def __init__(self):
        self.check_nan = True
        self.check_forward_nan = False

    def before_forward(self, node, inputs):
        node.anomaly_trace = forward_stack()

    def after_forward(self, node, inputs, arrays, options, outputs):
        if not self.check_forward_nan:
            return
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        if any(_has_nan(array) for array in arrays):
            return           # a NaN that came in is not this op's doing
        for index, output in enumerate(outputs):
            if _has_nan(output):
                warnings.warn(f"Function '{type(node).__name__}' returned nan values in its {index}th output "
                              f"(forward).{_trace_text(node)}", UserWarning, stacklevel=_user_stacklevel())
                return

    def after_backward(self, node, grads, input_grads, pending):
        if not self.check_nan:
            return
        for index, grad in enumerate(input_grads):
            if grad is not None and _has_nan(grad):
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")

    traces_forward = True      # (core/observe.py: torch's version-error hint then names the trace)

    def backward_failed(self, node, error):
        # torch prints this for any error in a backward, then lets the error through
        warnings.warn(f"Error detected in {node.name()}.{_trace_text(node)}", UserWarning,
                      stacklevel=_user_stacklevel())


_observer = _AnomalyObserver()


def forward_stack(limit=None):
    """The caller's stack without minigrad's op machinery (``core/``, ``ops/``) at its end."""
    frames = traceback.extract_stack(sys._getframe(1), limit=limit)
    while frames and frames[-1].filename.startswith(_MACHINERY):
        frames.pop()
    return frames


def _user_stacklevel():
    """``warnings.warn``'s stacklevel that names the user's line (backward() or the op call)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_MACHINERY):
        frame, level = frame.f_back, level + 1
    return level


def _trace_text(node):
    frames = getattr(node, "anomaly_trace", None)
    if not frames:
        return (" No forward pass information available. Enable detect anomaly during forward "
                "pass for more information.")
    return " Traceback of forward call that caused the error:\n" + "".join(traceback.format_list(frames))


def _has_nan(array):
    if getattr(array, "dtype", None) is None or array.dtype.kind not in "fc":
        return False
    return bool(array_module(array).isnan(array).any())


def is_anomaly_enabled() -> bool:
    return _observer in observe._observers


def is_anomaly_check_nan_enabled() -> bool:
    return _observer.check_nan


def _set_anomaly_enabled(mode, check_nan=True, check_forward_nan=False):
    _observer.check_nan, _observer.check_forward_nan = bool(check_nan), bool(check_forward_nan)
    if mode and not is_anomaly_enabled():
        observe.attach(_observer)
    elif not mode:
        observe.detach(_observer)


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on, as torch's.

    >>> with minigrad.autograd.detect_anomaly():
    ...     loss = model(x).sum()
    ...     loss.backward()        # a NaN in a backward raises, naming the node and its forward line
    """

    def __init__(self, check_nan=True, *, check_forward_nan=False):
        self.check_nan, self.check_forward_nan = check_nan, check_forward_nan
        self.previous = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should "
                      "only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.previous = (is_anomaly_enabled(), _observer.check_nan, _observer.check_forward_nan)
        _set_anomaly_enabled(True, self.check_nan, self.check_forward_nan)

    def __exit__(self, *exc_info):
        _set_anomaly_enabled(*self.previous)


class set_detect_anomaly:
    """Turn anomaly detection on or off, as a call or as a context manager (restores the old mode)."""

    def __init__(self, mode: bool, check_nan: bool = True, *, check_forward_nan: bool = False):
        self.previous = (is_anomaly_enabled(), _observer.check_nan, _observer.check_forward_nan)
        _set_anomaly_enabled(mode, check_nan, check_forward_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        _set_anomaly_enabled(*self.previous)
