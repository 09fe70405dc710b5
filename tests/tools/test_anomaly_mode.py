"""Anomaly mode against torch's: the same error, the same forward traceback warning, off by default."""
import warnings

import pytest
import torch

import minigrad
from minigrad.core import observe


def _nan_in_backward(lib):
    """``y * 0`` where y's gradient is inf: MulBackward0 returns 0 * inf = nan (torch's example)."""
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()
    z = y * 0.0
    w = z / z.detach()
    return w.sum()


def _run(lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            loss = _nan_in_backward(lib)
            with pytest.raises(RuntimeError) as error:
                loss.backward()
    return str(error.value), [str(w.message) for w in caught]


def test_nan_in_backward_raises_torch_error_and_prints_forward_traceback():
    ours, our_warnings = _run(minigrad)
    theirs, their_warnings = _run(torch)
    assert ours == theirs == "Function 'MulBackward0' returned nan values in its 0th output."
    ours_trace = [w for w in our_warnings if w.startswith("Error detected in MulBackward0")]
    theirs_trace = [w for w in their_warnings if w.startswith("Error detected in MulBackward0")]
    assert len(ours_trace) == len(theirs_trace) == 1
    # both name this file and the line of the forward call that made the node: z = y * 0.0
    for text in ours_trace + theirs_trace:
        assert "Traceback of forward call that caused the error:" in text
        assert "test_anomaly_mode.py" in text and "z = y * 0.0" in text
    assert "Anomaly Detection has been enabled" in our_warnings[0]


def test_check_nan_false_lets_nan_through_as_torch():
    for lib in (minigrad, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                _nan_in_backward(lib).backward()


def test_set_detect_anomaly_is_a_switch_and_a_context_manager():
    assert not minigrad.autograd.is_anomaly_enabled() and not torch.is_anomaly_enabled()
    assert observe.active is False
    with minigrad.autograd.set_detect_anomaly(True), torch.autograd.set_detect_anomaly(True):
        assert minigrad.autograd.is_anomaly_enabled() and torch.is_anomaly_enabled()
        assert observe.active is True
        with minigrad.autograd.set_detect_anomaly(False, check_nan=False):
            assert not minigrad.autograd.is_anomaly_enabled()
        assert minigrad.autograd.is_anomaly_enabled() and minigrad.autograd.is_anomaly_check_nan_enabled()
    assert not minigrad.autograd.is_anomaly_enabled() and observe.active is False
    minigrad.autograd.set_detect_anomaly(True)
    assert minigrad.autograd.is_anomaly_enabled()
    minigrad.autograd.set_detect_anomaly(False)
    assert not minigrad.autograd.is_anomaly_enabled() and observe.active is False


def test_any_error_in_backward_gets_the_forward_traceback():
    class Broken(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            raise ValueError("broken backward")

    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with minigrad.autograd.detect_anomaly():
            y = Broken.apply(x)   # the forward line
            with pytest.raises(ValueError, match="broken backward"):
                y.sum().backward()
    messages = [str(w.message) for w in caught if "Error detected in BrokenBackward" in str(w.message)]
    assert len(messages) == 1 and "y = Broken.apply(x)   # the forward line" in messages[0]


def test_forward_nan_is_reported_when_asked():
    x = minigrad.tensor([-1.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with minigrad.autograd.detect_anomaly(check_forward_nan=True):
            x.log()
    messages = [str(w.message) for w in caught if "(forward)" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("Function 'Log' returned nan values in its 0th output")
    assert "x.log()" in messages[0]
