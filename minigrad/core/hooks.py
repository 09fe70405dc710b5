"""``RemovableHandle``: what every ``register_*hook`` returns, as ``torch.utils.hooks``.

Hooks live in an ordered dict keyed by their handle's id, so ``handle.remove()``
takes exactly that hook out, wherever it was registered (a tensor, a graph node,
a module).
"""
from __future__ import annotations

import itertools
from collections import OrderedDict


class RemovableHandle:
    """``handle.remove()`` unregisters the hook; also a context manager that removes it on exit."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict: OrderedDict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def add_hook(hooks_dict: OrderedDict, hook, prepend=False) -> RemovableHandle:
    """Register ``hook`` in ``hooks_dict`` (last, or first with ``prepend``); return its handle."""
    handle = RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    if prepend:
        hooks_dict.move_to_end(handle.id, last=False)
    return handle
