"""Parity helpers for the attention and Transformer tests: torch's weights into minigrad modules,
the same call on both, every gradient compared (float64 to ~1e-10)."""
import numpy
import pytest
import torch

import minigrad
from minigrad import interop
from minigrad.testing import TOLERANCES, _assert_close

RTOL, ATOL = TOLERANCES["float64"]


def load_torch_weights(ours, theirs):
    """Give minigrad module ``ours`` the parameters and buffers of torch module ``theirs``."""
    ours.load_state_dict(interop.from_torch(theirs.state_dict()))


def as_pair(array, requires_grad=None):
    """The same values as a minigrad and a torch tensor (floats require grad by default)."""
    if array is None:
        return None, None
    array = numpy.asarray(array)
    grad = array.dtype.kind == "f" if requires_grad is None else requires_grad
    return (minigrad.tensor(array.copy(), requires_grad=grad),
            torch.from_numpy(array.copy()).requires_grad_(grad))


def assert_module_matches(ours, theirs, call, arrays, seed=0, rtol=RTOL, atol=ATOL):
    """``call(module, *tensors)`` on both libraries: outputs, input and parameter gradients agree.

    ``arrays`` are NumPy arrays (float ones require grad) or None.  The outputs
    (a tensor or a tuple, None entries allowed) are compared, then a random
    weighting of them is backpropagated and every gradient compared.
    """
    pairs = [as_pair(array) for array in arrays]
    our_out = call(ours, *[mine for mine, _ in pairs])
    their_out = call(theirs, *[reference for _, reference in pairs])
    our_out = our_out if isinstance(our_out, tuple) else (our_out,)
    their_out = their_out if isinstance(their_out, tuple) else (their_out,)
    assert len(our_out) == len(their_out)
    rng = numpy.random.default_rng(seed + 1)
    our_loss = their_loss = 0
    for index, (mine, reference) in enumerate(zip(our_out, their_out)):
        assert (mine is None) == (reference is None), f"output {index}: None in one library only"
        if reference is None:
            continue
        _assert_close(mine, reference, f"output {index}", rtol, atol)
        weights = rng.standard_normal(tuple(reference.shape))
        finite = numpy.isfinite(reference.detach().numpy())   # NaN rows would poison the loss
        weights = numpy.where(finite, weights, 0.0)
        our_loss = our_loss + (mine.masked_fill(minigrad.tensor(~finite), 0.0) * minigrad.tensor(weights)).sum()
        their_loss = their_loss + (reference.masked_fill(torch.from_numpy(~finite), 0.0)
                                   * torch.from_numpy(weights)).sum()
    their_loss.backward()
    our_loss.backward()
    for index, (mine, reference) in enumerate(pairs):
        if reference is not None and reference.requires_grad:
            _assert_close(mine.grad, reference.grad, f"gradient of input {index}", rtol, atol)
    assert_parameter_grads_match(ours, theirs, rtol, atol)
    return our_out, their_out


def assert_parameter_grads_match(ours, theirs, rtol=RTOL, atol=ATOL):
    our_params = dict(ours.named_parameters())
    their_params = dict(theirs.named_parameters())
    assert list(our_params) == list(their_params)
    for name, reference in their_params.items():
        mine = our_params[name]
        if reference.grad is None:
            assert mine.grad is None or not mine.grad.array.any(), f"{name}: gradient only in minigrad"
        else:
            assert mine.grad is not None, f"{name}: no gradient in minigrad"
            _assert_close(mine.grad, reference.grad, f"gradient of {name}", rtol, atol)


def assert_same_error(our_call, their_call, error=None):
    """Both calls raise the same exception type with the same message (torch.X read as minigrad.X)."""
    with pytest.raises(Exception) as theirs:
        their_call()
    with pytest.raises(Exception) as ours:
        our_call()
    assert type(ours.value).__name__ == type(theirs.value).__name__, (ours.value, theirs.value)
    assert str(ours.value) == str(theirs.value).replace("torch.", "minigrad."), \
        f"\nminigrad: {ours.value}\ntorch:    {theirs.value}"
    if error is not None:
        assert isinstance(ours.value, error)


def random(*shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


# ---- scaled_dot_product_attention: values and gradients ---------------------------------------
