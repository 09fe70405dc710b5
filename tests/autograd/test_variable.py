"""``autograd.Variable`` as torch keeps it for old tutorials: a Tensor, detached, requires_grad set."""
import numpy
import pytest
import torch

import minigrad


@pytest.mark.parametrize("requires_grad", [False, True])
def test_variable_is_the_tensor_detached_with_requires_grad_as_torch(requires_grad):
    shown = []
    for lib in (torch, minigrad):
        data = lib.ones(2) * 3
        variable = lib.autograd.Variable(data, requires_grad=requires_grad)
        shown.append((variable is data, variable.requires_grad, variable.is_leaf, variable.grad_fn,
                       type(variable).__name__, isinstance(data, lib.autograd.Variable),
                       isinstance(1.0, lib.autograd.Variable), variable.tolist()))
        variable.data.mul_(2)                       # the same memory
        assert data.tolist() == [6.0, 6.0]
    assert shown[1] == shown[0]


def test_a_variable_of_a_tensor_with_history_has_none_and_an_old_style_loop_trains_as_torch():
    """``Variable(w * 3)`` is detached; a pre-0.4 style loop (Variables, ``.data`` updates) runs."""
    rng = numpy.random.default_rng(0)
    x, y, start = rng.standard_normal((8, 3)), rng.standard_normal(8), rng.standard_normal(3)
    results = []
    for lib in (torch, minigrad):
        Variable = lib.autograd.Variable
        w = Variable(lib.tensor(start), requires_grad=True)
        assert Variable(w * 3).grad_fn is None and not Variable(w * 3).requires_grad
        inputs, targets = Variable(lib.tensor(x)), Variable(lib.tensor(y))
        for _ in range(5):
            loss = ((inputs @ w - targets) ** 2).mean()
            loss.backward()
            w.data -= 0.1 * w.grad.data
            w.grad.data.zero_()
        results.append(w.detach().numpy())
    numpy.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_variable_warns_on_volatile_and_refuses_a_list_as_torch():
    for lib in (torch, minigrad):
        with pytest.warns(UserWarning, match="volatile was removed"):
            assert lib.autograd.Variable(lib.ones(2), volatile=True).tolist() == [1.0, 1.0]
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.autograd.Variable([1, 2])
        assert tuple(lib.autograd.Variable().shape) == (0,)
