"""Helpers shared by the op test files: call an op by name in both libraries, compare their errors."""
import numpy
import pytest
import torch

import minigrad


def both(name, *args, **kwargs):
    """``fn``/``torch_fn`` arguments calling ``minigrad.<name>`` and ``torch.<name>``."""
    return {"fn": lambda *xs: getattr(minigrad, name)(*xs, *args, **kwargs),
            "torch_fn": lambda *xs: getattr(torch, name)(*xs, *args, **kwargs)}


def assert_same_error(fn, *arrays):
    """``fn`` raises the same exception type and message on torch and on minigrad tensors; returns it."""
    with pytest.raises(Exception) as theirs:
        fn(*[torch.from_numpy(numpy.asarray(a)) for a in arrays])
    with pytest.raises(type(theirs.value)) as ours:
        fn(*[minigrad.tensor(numpy.asarray(a)) for a in arrays])
    assert str(ours.value) == str(theirs.value)
    return str(ours.value)


def assert_same_module_error(fn):
    """``fn(torch)`` and ``fn(minigrad)`` raise the same exception type and message; returns it."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(minigrad)
    assert str(ours.value) == str(theirs.value)
    return str(ours.value)
