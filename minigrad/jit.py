"""``minigrad.jit``: torch's TorchScript entry points, accepted so scripts run; nothing is compiled.

minigrad has no compiler: ``script(model)`` and ``trace(model, example_inputs)``
return what they are given, unchanged, and warn once so that nobody mistakes
it for a speed-up.  The decorators (``ignore``, ``unused``, ``export``) return
the function.  ``save`` / ``load`` of a TorchScript archive are not possible
(there is no TorchScript) and raise NotImplementedError.
"""
from __future__ import annotations

import warnings

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting", "is_tracing", "save", "load"]

_warned = False


def _warn_once(what):
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(f"minigrad.{what} returns its argument unchanged: minigrad has no compiler, so the "
                      "model runs eagerly as before", UserWarning, stacklevel=3)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """``torch.compile`` (exported as ``minigrad.compile``): the model or function unchanged, also as a
    decorator (``@torch.compile`` or ``@torch.compile(mode=...)``)."""
    if model is None:
        return lambda function: compile(function, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                        mode=mode, options=options, disable=disable)
    if not disable:
        _warn_once("compile")
    return model


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``torch.jit.script``: here the module or function itself, unchanged."""
    _warn_once("jit.script")
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """``torch.jit.trace``: here the module or function itself, unchanged (the example is not run)."""
    _warn_once("jit.trace")
    return func


def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` (with or without arguments): the function, unchanged."""
    return drop if callable(drop) else (lambda function: function)


def unused(function):
    return function


def export(function):
    return function


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def save(m, f, _extra_files=None):
    raise NotImplementedError("minigrad.jit.save: minigrad has no TorchScript, so there is no ScriptModule "
                              "archive to write; save the model with minigrad.save(model.state_dict(), f)")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError("minigrad.jit.load: minigrad cannot read TorchScript archives; load a "
                              "state_dict with minigrad.load and model.load_state_dict")
