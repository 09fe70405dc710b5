"""Helpers shared by the test files that hold minigrad against torch: call an op by name in
both libraries, compare what an action gives (or raises) in each, compare their errors."""
import functools

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


@functools.lru_cache(maxsize=None)
def torchs_sqrt_is_correctly_rounded(dtype=numpy.float32):
    """Is torch's sqrt IEEE's here, in ``dtype``?  On some CPUs it is.  On others (seen on an AMD
    EPYC and an Intel Xeon with AVX-512 FP16, 2026-12-02) torch's MKL computes sqrt, exp and log
    by a faster path that is an ulp off in up to one result in six, and no setting of torch's
    changes that; minigrad's NumPy keeps the correctly rounded result."""
    x = numpy.random.default_rng(0).uniform(0, 100, 4096).astype(dtype)
    return numpy.array_equal(torch.from_numpy(x).sqrt().numpy(), numpy.sqrt(x))


def assert_equal_where_torchs_sqrt_rounds_correctly(actual, expected, dtype=None):
    """Results bit for bit where torch's sqrt is IEEE's in ``dtype`` (the dtype they were computed
    in: give it where they come as float64 lists or ``.double()`` arrays); elsewhere (see
    ``torchs_sqrt_is_correctly_rounded``) within 4 ulps of that dtype, with the same NaNs and
    infinities."""
    dtype = numpy.dtype(dtype or numpy.asarray(actual).dtype)
    if dtype.kind != "f" or torchs_sqrt_is_correctly_rounded(dtype):
        numpy.testing.assert_array_equal(actual, expected)
    else:
        numpy.testing.assert_allclose(actual, expected, rtol=4 * numpy.finfo(dtype).eps, atol=0)
