"""Switches for recording the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


def _set_enabled(mode: bool) -> None:
    global _enabled
    _enabled = bool(mode)


class _GradMode:
    """A context manager and decorator that sets grad mode and restores it on exit."""

    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set_enabled(self.mode)

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False

    def __call__(self, function):
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            previous = is_grad_enabled()
            _set_enabled(mode)
            try:
                return function(*args, **kwargs)
            finally:
                _set_enabled(previous)
        return wrapper


class _BareDecoratorMode(_GradMode):
    """Also usable as a bare decorator, ``@no_grad`` without parentheses, as torch allows."""

    def __new__(cls, function=None):
        if not callable(function):      # no_grad() or inference_mode(False)
            return super().__new__(cls)
        return cls()(function)


class no_grad(_BareDecoratorMode):
    """Ops inside do not record a graph (evaluation, optimizer updates)."""

    mode = False


class enable_grad(_BareDecoratorMode):
    """Ops inside record a graph even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Sets grad mode to ``mode``: at once (as a function) or inside a ``with`` block."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = is_grad_enabled()
        _set_enabled(self.mode)

    def __enter__(self):
        pass

    def __call__(self, function):
        _set_enabled(self._previous)
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)
        return wrapper


class inference_mode(no_grad):
    """torch's faster no_grad; here the same as ``no_grad``."""

    def __init__(self, mode: bool = True):
        self.mode = not mode
