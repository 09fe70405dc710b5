"""Parity testing for users and for minigrad's own suite.

``assert_matches_torch(fn, shapes)`` runs ``fn`` once on minigrad tensors and
once on torch tensors made from the same seeded arrays, then asserts that the
outputs agree in shape, dtype and value and that the gradients of every input
agree, for a random weighting of the outputs (a plain ``.sum()`` would hide
bugs: the gradient of ``softmax(x).sum()`` is zero whatever backward does).

``gradcheck`` checks gradients against finite differences where torch is not
at hand.  torch is needed only by ``assert_matches_torch``.  ``assert_close`` is
torch.testing.assert_close for minigrad values (``_assert_close.py``), so
scripts' own checks run under ``python -m minigrad``.
"""
from __future__ import annotations

import numpy

from ._assert_close import assert_close
from .autograd.gradcheck import gradcheck, gradgradcheck
from .divergence import locate_divergence
from .interop import from_torch, to_torch
from .ops.factories import tensor as _tensor
from .tolerances import TOLERANCES   # (rtol, atol) per dtype, re-exported: the one table

__all__ = ["assert_matches_torch", "assert_close", "gradcheck", "gradgradcheck", "TOLERANCES", "to_torch",
           "from_torch", "locate_divergence"]


def _torch():
    try:
        import torch
    except ImportError as error:  # pragma: no cover
        raise ImportError("assert_matches_torch needs torch: pip install -e '.[test]' in the minigrad "
                          "checkout (torch==2.13.0; the 'minigrad' on PyPI is another project)") from error
    return torch


def _flatten(outputs):
    if isinstance(outputs, (list, tuple)):
        return [leaf for item in outputs for leaf in _flatten(item)]
    return [outputs]


def _make_arrays(shapes, inputs, dtype, low, high, seed):
    if inputs is not None:
        return [numpy.asarray(x) if not isinstance(x, (int, float)) else x for x in inputs]
    rng = numpy.random.default_rng(seed)
    return [rng.uniform(low, high, size=shape).astype(dtype) for shape in shapes]


def assert_matches_torch(fn, shapes=None, *, torch_fn=None, inputs=None, dtype="float64",
                         low=-2.0, high=2.0, grad=True, seed=0, rtol=None, atol=None,
                         requires_grad=None):
    """Assert that ``fn`` gives torch's outputs and gradients; return both outputs.

    ``fn(*tensors)`` is called with minigrad tensors and ``torch_fn`` (default:
    ``fn``) with torch tensors.  Inputs are random arrays of ``shapes`` drawn
    from ``U(low, high)`` in ``dtype``, or the given ``inputs`` (NumPy arrays;
    Python numbers are passed as they are).  Floating inputs require grad unless
    ``requires_grad`` (a list of booleans) says otherwise.
    """
    torch = _torch()
    _check_arguments(fn, shapes, torch_fn, inputs, dtype, requires_grad)
    arrays = _make_arrays(shapes, inputs, dtype, low, high, seed)
    if requires_grad is None:
        requires_grad = [isinstance(a, numpy.ndarray) and a.dtype.kind == "f" and grad for a in arrays]
    elif len(requires_grad) != len(arrays):
        raise ValueError(f"assert_matches_torch: requires_grad has {len(requires_grad)} entries for "
                         f"{len(arrays)} inputs; give one boolean per input, e.g. requires_grad=[True, False]")
    ours = [_tensor(a.copy(), requires_grad=rg) if isinstance(a, numpy.ndarray) else a
            for a, rg in zip(arrays, requires_grad)]
    theirs = [torch.from_numpy(a.copy()).requires_grad_(bool(rg)) if isinstance(a, numpy.ndarray) else a
              for a, rg in zip(arrays, requires_grad)]
    our_out = _call(fn, ours, "minigrad", torch_fn)
    their_out = _call(torch_fn or fn, theirs, "torch", torch_fn)
    our_leaves, their_leaves = _flatten(our_out), _flatten(their_out)
    assert len(our_leaves) == len(their_leaves), \
        f"minigrad returned {len(our_leaves)} outputs, torch {len(their_leaves)}"
    for index, (mine, reference) in enumerate(zip(our_leaves, their_leaves)):
        _assert_close(mine, reference, f"output {index}", rtol, atol)
    if grad:
        _assert_gradients_match(ours, theirs, our_leaves, their_leaves, seed, rtol, atol)
    return our_out, their_out


def _check_arguments(fn, shapes, torch_fn, inputs, dtype, requires_grad):
    """Misuse gets a message that shows the right call, not a TypeError from deep inside."""
    example = "assert_matches_torch(lambda x: x.tanh(), [(3, 4)])"
    if not callable(fn):
        raise TypeError(f"assert_matches_torch: fn must be a function of tensors, got {type(fn).__name__}; "
                        f"e.g. {example}")
    if torch_fn is not None and not callable(torch_fn):
        raise TypeError(f"assert_matches_torch: torch_fn must be a function, got {type(torch_fn).__name__}")
    if (shapes is None) == (inputs is None):
        given = "both" if inputs is not None else "neither"
        raise TypeError(f"assert_matches_torch needs either shapes or inputs, and got {given}: "
                        f"{example} draws one random (3, 4) input; inputs=[numpy_array, ...] passes your own")
    if shapes is not None:
        if not isinstance(shapes, (list, tuple)) or any(not isinstance(shape, (list, tuple)) for shape in shapes):
            one_input = tuple(shapes) if isinstance(shapes, (list, tuple)) else (shapes,)
            raise TypeError(f"assert_matches_torch: shapes is a list with one shape per input, such as "
                            f"[(3, 4)] for one (3, 4) input or [(3, 4), (4,)] for two; got {shapes!r}. "
                            f"For one input of shape {one_input} write assert_matches_torch(fn, [{one_input}])")
        try:
            numpy.dtype(dtype)
        except TypeError:
            raise ValueError(f"assert_matches_torch: dtype is the NumPy dtype of the random inputs, such as "
                             f"{', '.join(map(repr, TOLERANCES))}; got {dtype!r}") from None
    if requires_grad is not None and not isinstance(requires_grad, (list, tuple)):
        raise TypeError("assert_matches_torch: requires_grad is a list with one boolean per input, "
                        "e.g. requires_grad=[True, False]")


def _call(fn, tensors, library, torch_fn):
    """``fn(*tensors)``; a TypeError from calling one library's function on the other's tensors says what to do."""
    try:
        return fn(*tensors)
    except TypeError as error:
        if torch_fn is not None:
            raise
        raise TypeError(f"assert_matches_torch called fn with {library} tensors and it raised "
                        f"TypeError: {error}\nfn is called once with minigrad tensors and once with torch "
                        f"tensors. If it names one library's functions (minigrad.tanh), write it with tensor "
                        f"methods (lambda x: x.tanh()) or give the torch version as torch_fn: "
                        f"assert_matches_torch(minigrad.tanh, [(3, 4)], torch_fn=torch.tanh)") from error


def _assert_gradients_match(ours, theirs, our_leaves, their_leaves, seed, rtol, atol):
    torch = _torch()
    rng = numpy.random.default_rng(seed + 1)
    our_loss = their_loss = None
    for mine, reference in zip(our_leaves, their_leaves):
        if not (isinstance(reference, torch.Tensor) and reference.requires_grad):
            continue
        weights = rng.standard_normal(tuple(reference.shape)).astype(numpy.dtype(str(reference.dtype)[6:]))
        mine_term = (mine * _tensor(weights)).sum()
        their_term = (reference * torch.from_numpy(weights)).sum()
        our_loss = mine_term if our_loss is None else our_loss + mine_term
        their_loss = their_term if their_loss is None else their_loss + their_term
    if their_loss is None:
        return
    their_loss.backward()
    our_loss.backward()
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        if isinstance(reference, torch.Tensor) and reference.requires_grad:
            if reference.grad is None:
                assert mine.grad is None or not mine.grad.array.any(), \
                    f"input {index}: torch gives no gradient, minigrad does"
                continue
            assert mine.grad is not None, f"input {index}: minigrad gave no gradient"
            _assert_close(mine.grad, reference.grad, f"gradient of input {index}", rtol, atol)


def _assert_close(mine, reference, what, rtol, atol):
    torch = _torch()
    if not isinstance(reference, torch.Tensor):
        assert mine == reference, f"{what}: minigrad {mine!r} != torch {reference!r}"
        return
    assert tuple(mine.shape) == tuple(reference.shape), \
        f"{what}: shape {tuple(mine.shape)} != torch's {tuple(reference.shape)}"
    their_dtype = str(reference.dtype).replace("torch.", "")
    assert mine.dtype.name == their_dtype, f"{what}: dtype {mine.dtype.name} != torch's {their_dtype}"
    default_rtol, default_atol = TOLERANCES.get(their_dtype, (0, 0))
    actual = mine.detach().numpy(force=True)
    expected = reference.detach().cpu().numpy(force=True)   # (force: torch's sgn gives a ZeroTensor gradient)
    if actual.dtype.kind == "f":
        numpy.testing.assert_allclose(actual, expected, rtol=rtol if rtol is not None else default_rtol,
                                      atol=atol if atol is not None else default_atol,
                                      err_msg=f"{what} differs from torch")
    else:
        numpy.testing.assert_array_equal(actual, expected, err_msg=f"{what} differs from torch")
