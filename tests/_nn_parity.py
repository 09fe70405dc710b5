"""Parity helpers for the nn tests: copy torch's weights into a minigrad module, compare both.

``check_module(ours, theirs, inputs)`` loads ``theirs.state_dict()`` (as NumPy
arrays) into ``ours`` - which also checks that the state_dict key names agree -
runs both on the same inputs, and compares the outputs, the gradients of the
inputs and the gradient of every parameter, under a random weighting of the
outputs (a plain ``.sum()`` would hide wrong gradients of softmax-like maps).
"""
from __future__ import annotations

import re

import numpy
import pytest
import torch

import minigrad

from minigrad.testing import TOLERANCES   # the one (rtol, atol) table, by dtype name


def torch_state_as_numpy(module):
    return {key: value.detach().numpy().copy() for key, value in module.state_dict().items()}


def copy_weights(ours, theirs):
    """Load torch's parameters and buffers into ``ours``; every key must match."""
    result = ours.load_state_dict(torch_state_as_numpy(theirs))
    assert repr(result) == "<All keys matched successfully>"
    return ours


def assert_close(mine, reference, what, rtol=None, atol=None):
    actual = mine.detach().numpy() if isinstance(mine, minigrad.Tensor) else numpy.asarray(mine)
    expected = reference.detach().numpy()
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != torch's {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != torch's {expected.dtype}"
    default_rtol, default_atol = TOLERANCES.get(actual.dtype.name, (0, 0))
    numpy.testing.assert_allclose(actual, expected, rtol=default_rtol if rtol is None else rtol,
                                  atol=default_atol if atol is None else atol, err_msg=what)


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]


def check_module(ours, theirs, inputs, requires_grad=None, rtol=None, atol=None, seed=0):
    """Compare forward values and all gradients of ``ours`` and ``theirs`` on NumPy ``inputs``."""
    if requires_grad is None:
        requires_grad = [array.dtype.kind == "f" for array in inputs]
    our_inputs = [minigrad.tensor(array, requires_grad=rg) for array, rg in zip(inputs, requires_grad)]
    their_inputs = [torch.tensor(array, requires_grad=rg) for array, rg in zip(inputs, requires_grad)]
    our_outputs, their_outputs = _as_list(ours(*our_inputs)), _as_list(theirs(*their_inputs))
    assert len(our_outputs) == len(their_outputs)
    rng = numpy.random.default_rng(seed)
    our_loss = their_loss = 0
    for index, (mine, reference) in enumerate(zip(our_outputs, their_outputs)):
        assert_close(mine, reference, f"output {index}", rtol, atol)
        if reference.requires_grad:
            weights = rng.standard_normal(tuple(reference.shape)).astype(mine.array.dtype)
            our_loss = our_loss + (mine * minigrad.tensor(weights)).sum()
            their_loss = their_loss + (reference * torch.tensor(weights)).sum()
    if isinstance(their_loss, int):
        return our_outputs, their_outputs
    our_loss.backward()
    their_loss.backward()
    for index, (mine, reference) in enumerate(zip(our_inputs, their_inputs)):
        if reference.requires_grad:
            assert_close(mine.grad, reference.grad, f"gradient of input {index}", rtol, atol)
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        reference = their_params[name]
        if reference.grad is None:
            assert param.grad is None, f"{name}: torch gives no gradient, minigrad does"
        else:
            assert_close(param.grad, reference.grad, f"gradient of {name}", rtol, atol)
    return our_outputs, their_outputs


def make_pair(name, *args, dtype="float64", **kwargs):
    """The same layer built by minigrad.nn and torch.nn, with torch's weights copied into ours."""
    theirs = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    ours = getattr(minigrad.nn, name)(*args, **kwargs).to(getattr(minigrad, dtype))
    return copy_weights(ours, theirs), theirs


def torch_error(fn):
    """The (type, message) torch raises for ``fn()``."""
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - we want whatever torch raises
        return type(error), str(error)
    raise AssertionError("torch raised nothing")


def _sets_sorted(message):
    """A message with every printed set's items sorted: a set of strings prints in a
    different order in each process (hash randomization), in torch's messages too."""
    return re.sub(r"\{([^{}]*)\}", lambda match: "{" + ", ".join(sorted(match.group(1).split(", "))) + "}",
                  message)


def assert_same_error(ours, theirs):
    """``ours()`` raises the exception type and message that ``theirs()`` raises in torch."""
    kind, message = torch_error(theirs)
    with pytest.raises(kind) as raised:
        ours()
    assert _sets_sorted(str(raised.value)) == _sets_sorted(message), \
        f"minigrad: {raised.value!s}\ntorch:    {message}"
