"""The unpickler of ``load(f, weights_only=True)``: only allowlisted globals, so loading runs no code.

A pickle is a small program: ``GLOBAL os system`` pushes a function,
``REDUCE`` calls it.  Every callable or class a pickle can reach comes through
``find_class`` (``GLOBAL``, ``STACK_GLOBAL``, ``INST``, ``OBJ``, extension
codes), so an unpickler whose ``find_class`` answers only from an allowlist
can call nothing else (the "restricting globals" recipe of Python's pickle
documentation).  The allowlist is torch's: containers (``OrderedDict``,
``Counter``, ``set``), ``complex``, ``bytearray`` and ``_codecs.encode`` (for
bytes), plus what the user adds with ``serialization.add_safe_globals`` or the
``safe_globals`` context manager.  Tensors, arrays, dtypes, devices and sizes
never appear as globals: ``minigrad.save`` writes them as persistent ids that
the loader turns into objects itself.  Modules ``sys``, ``os``, ``posix`` and
``nt`` are refused even if allowlisted, as in torch.

The error messages are torch's (``torch/_weights_only_unpickler.py``), word for word.
"""
from __future__ import annotations

import _codecs
import pickle
import re
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import Counter, OrderedDict

_BLOCKLISTED_MODULES = ["sys", "os", "posix", "nt"]

_ALLOWED_GLOBALS = {
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "_codecs.encode": _codecs.encode,     # for bytes
    "builtins.bytearray": bytearray,
    "builtins.set": set,
    "builtins.complex": complex,
}

_marked_safe_globals: set = set()


def _add_safe_globals(safe_globals):
    global _marked_safe_globals
    _marked_safe_globals = _marked_safe_globals.union(set(safe_globals))


def _remove_safe_globals(safe_globals):
    global _marked_safe_globals
    _marked_safe_globals = _marked_safe_globals - set(safe_globals)


def _get_safe_globals():
    return list(_marked_safe_globals)


def _clear_safe_globals():
    global _marked_safe_globals
    _marked_safe_globals = set()


class _safe_globals:
    """``with safe_globals([MyClass]):`` allowlists ``MyClass`` inside the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        _add_safe_globals(self.safe_globals)

    def __exit__(self, type, value, tb):
        _remove_safe_globals(self.safe_globals)


def _user_allowed_globals() -> dict:
    """``{'module.qualname': object}`` for what the user allowlisted (an object, or ``(object, path)``)."""
    allowed = {}
    for item in _marked_safe_globals:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple of "
                                 f"length: {len(item)}")
            if type(item[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(item[1])}")
            item, path = item
            allowed[path] = item
        else:
            allowed[f"{item.__module__}.{item.__qualname__}"] = item
    return allowed


def allowed_globals() -> dict:
    """The globals allowed by default (before any ``add_safe_globals``)."""
    return dict(_ALLOWED_GLOBALS)


def unsupported_global_message(module: str, name: str) -> str:
    """torch's message for a global that is not allowlisted (``builtins.`` dropped from the name)."""
    full_path = f"{module}.{name}"
    if full_path.startswith("builtins"):
        full_path = full_path[len("builtins"):]
        full_path = full_path[1:] if full_path.startswith(".") else "builtins" + full_path
    return (f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{full_path}])` or the "
            f"`torch.serialization.safe_globals([{full_path}])` context manager to allowlist this global "
            "if you trust this class/function.")


def resolve_name(module: str, name: str):
    """Python 2 names mapped to Python 3 ones, as pickle (and torch) do for protocol-2 pickles."""
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    return IMPORT_MAPPING.get(module, module), name


class Unpickler(pickle.Unpickler):
    """A pickle.Unpickler whose ``find_class`` only answers from the allowlists."""

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._persistent_load = persistent_load

    def persistent_load(self, pid):
        return self._persistent_load(pid)

    def find_class(self, module, name):
        module, name = resolve_name(module, name)
        full_path = f"{module}.{name}"
        if module in _BLOCKLISTED_MODULES:
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full_path} whose module {module} "
                                         "is blocked.")
        if full_path in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[full_path]
        user_allowed = _user_allowed_globals()
        if full_path in user_allowed:
            return user_allowed[full_path]
        raise pickle.UnpicklingError(unsupported_global_message(module, name))


# torch's wrapping of the unpickler's error (torch.serialization.load, _get_wo_message)
UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source."
)
DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


def weights_only_message(message: str) -> str:
    """The text ``load`` raises when the weights-only unpickler refused ``message``."""
    if "was not an allowed global by default." in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message + DOCS_MESSAGE)
    updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if re.search(r"whose module (\S+) is blocked", message) is None:
        updated += ("Please file an issue with the following so that we can make "
                    "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return updated + "\n\n" + message + DOCS_MESSAGE
