"""``import torch`` that gives minigrad: an import hook for running PyTorch scripts unchanged.

``import minigrad as torch`` renames one module; a script also writes
``import torch.nn as nn`` and ``from torch.utils.data import DataLoader``,
which look ``torch.nn`` and ``torch.utils.data`` up by name.  While the alias
is installed a finder at the front of ``sys.meta_path`` answers every
``torch`` / ``torch.X`` import with the module ``minigrad`` / ``minigrad.X``
itself (the same object: ``torch.nn is minigrad.nn``)::

    with minigrad.torch_alias.as_torch():      # or install_as_torch() / uninstall_as_torch()
        import torch.nn.functional as F        # minigrad.nn.functional

``python -m minigrad script.py`` runs a script this way.  A ``torch.X`` that
minigrad lacks raises ``MissingTorchModule`` (a ModuleNotFoundError) naming it.

Modules of the real torch already imported are taken out of ``sys.modules``
while the alias is installed and put back when it is removed, so a process
(a test) can use both.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys

__all__ = ["MissingTorchModule", "install_as_torch", "uninstall_as_torch", "as_torch", "is_installed"]


class MissingTorchModule(ModuleNotFoundError):
    """``import torch.X`` where minigrad has no ``minigrad.X``."""


def _is_torch_name(name: str) -> bool:
    return name == "torch" or name.startswith("torch.")


def _minigrad_name(torch_name: str) -> str:
    return "minigrad" + torch_name[len("torch"):]


class _ExistingModuleLoader(importlib.abc.Loader):
    """Hands the import system a module that is already loaded (the minigrad one)."""

    def __init__(self, module):
        self.module = module
        self.own_spec = getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # Already executed under its minigrad name.  The import system has just set __spec__ to the
        # torch.X spec; the minigrad one goes back, so the module still knows its own name and package.
        module.__spec__ = self.own_spec


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch.X`` as the already imported (or now imported) ``minigrad.X``."""

    def find_spec(self, fullname, path=None, target=None):
        if not _is_torch_name(fullname):
            return None
        target_name = _minigrad_name(fullname)
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as error:
            if error.name != target_name:     # minigrad.X exists but failed inside: show that error
                raise
            raise MissingTorchModule(f"minigrad has no {fullname} (no module named '{target_name}'): "
                                     "this part of torch is not implemented", name=fullname) from None
        return importlib.machinery.ModuleSpec(fullname, _ExistingModuleLoader(module),
                                              is_package=hasattr(module, "__path__"))


_finder = _TorchAliasFinder()
_saved_torch_modules: dict = {}


def is_installed() -> bool:
    return _finder in sys.meta_path


def install_as_torch() -> None:
    """From now on ``import torch`` (and every ``torch.X``) imports minigrad (and ``minigrad.X``)."""
    if is_installed():
        return
    for name in [name for name in sys.modules if _is_torch_name(name)]:
        _saved_torch_modules[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)


def uninstall_as_torch() -> None:
    """Undo ``install_as_torch``: ``torch`` is the real torch again (if it is installed)."""
    if not is_installed():
        return
    sys.meta_path.remove(_finder)
    for name in [name for name in sys.modules if _is_torch_name(name)]:
        del sys.modules[name]
    sys.modules.update(_saved_torch_modules)
    _saved_torch_modules.clear()


@contextlib.contextmanager
def as_torch():
    """``with as_torch():`` ``import torch`` gives minigrad inside the block only."""
    already = is_installed()
    install_as_torch()
    try:
        yield sys.modules.get("minigrad")
    finally:
        if not already:
            uninstall_as_torch()
