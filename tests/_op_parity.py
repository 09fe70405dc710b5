"""Helpers shared by the test files that hold minigrad against torch: call an op by name in
both libraries, compare what an action gives (or raises) in each, compare their errors."""
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


def run_both(action):
    """``action(lib)`` in torch and minigrad (each seeded alike): the results or errors as
    comparable text, with torch's ``torch.`` prefixes spelled ``minigrad.``."""
    outcomes = []
    for library in (torch, minigrad):
        library.manual_seed(0)
        try:
            outcomes.append(repr(action(library)).replace("torch.", "minigrad."))
        except Exception as error:   # the error type and message must match too
            outcomes.append(f"{type(error).__name__}: {error}".replace("torch.", "minigrad."))
    return outcomes


def assert_same(action):
    expected, actual = run_both(action)
    assert actual == expected
