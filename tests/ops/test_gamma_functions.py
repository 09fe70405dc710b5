"""lgamma, digamma and polygamma (functions, Tensor methods, special.gammaln/psi/digamma/polygamma)
against torch: values over positive and negative inputs, poles, gradients, every order of derivative."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _higher_order import assert_second_order_matches_torch
from _op_parity import assert_same_module_error

POSITIVE = numpy.concatenate([numpy.linspace(0.01, 30, 80), [0.5, 1.0, 2.0, 1e-8, 100.0, 1e5]])
NEGATIVE = -numpy.linspace(0.1, 7.9, 40) + 1e-3      # (between the poles)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
@pytest.mark.parametrize("points", [POSITIVE, NEGATIVE], ids=["positive", "negative"])
def test_lgamma_and_digamma_match_torch(name, points):
    ours = getattr(minigrad, name)(minigrad.tensor(points)).numpy()
    theirs = getattr(torch, name)(torch.tensor(points)).numpy()
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    assert_matches_torch(lambda x: getattr(x, name)(), inputs=[points[::7].astype("float32")])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma_matches_torch(n):
    ours = minigrad.polygamma(n, minigrad.tensor(POSITIVE)).numpy()
    theirs = torch.polygamma(n, torch.tensor(POSITIVE)).numpy()
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert_matches_torch(lambda x: x.polygamma(n), inputs=[POSITIVE[::9]])


def test_poles_infinities_and_nan_match_torch():
    special = [0.0, -1.0, -0.5, float("inf"), -float("inf"), float("nan"), -2.5]
    for name in ("lgamma", "digamma"):
        ours = getattr(minigrad, name)(minigrad.tensor(special, dtype=minigrad.float64)).tolist()
        theirs = getattr(torch, name)(torch.tensor(special, dtype=torch.float64)).tolist()
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-12)
    names = [f(m.tensor([3.0], requires_grad=True)).grad_fn.name() for m in (torch, minigrad)
             for f in (lambda x: x.lgamma(), lambda x: x.digamma(), lambda x: x.polygamma(2))]
    assert names[:3] == names[3:]


def test_special_names_match_torch():
    lib = lambda x: torch if isinstance(x, torch.Tensor) else minigrad       # noqa: E731
    assert_matches_torch(lambda x: lib(x).special.gammaln(x) + lib(x).special.psi(x) + lib(x).special.digamma(x)
                         + lib(x).special.polygamma(2, x), inputs=[POSITIVE[1:30]])


def test_third_derivatives_through_the_chain_match_torch():
    """lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1)."""
    assert_second_order_matches_torch(lambda lib, x: lib.lgamma(x) * lib.digamma(x), [(6,)], 0.2, 5)
    x = minigrad.tensor([2.5], requires_grad=True, dtype=minigrad.float64)
    t = torch.tensor([2.5], requires_grad=True, dtype=torch.float64)
    derivatives = []
    for lib, leaf in ((minigrad, x), (torch, t)):
        value = lib.lgamma(leaf).sum()
        found = []
        for _ in range(3):
            (value,) = lib.autograd.grad(value, leaf, create_graph=True)
            found.append(value.item())
            value = value.sum()
        derivatives.append(found)
    numpy.testing.assert_allclose(derivatives[0], derivatives[1], rtol=1e-12)


def test_polygamma_of_a_negative_order_raises_torchs_error():
    assert_same_module_error(lambda lib: lib.polygamma(-1, lib.ones(2)))
