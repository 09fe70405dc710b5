"""``minigrad.special`` against ``torch.special``: the aliases of minigrad's ops, and ndtr, log_ndtr,
erfcx, entr and xlog1py with their gradients and grad_fn names, second derivatives and tails."""
import math

import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _higher_order import assert_second_order_matches_torch

ALIASES = {"expit": "sigmoid", "erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "exp2": "exp2", "expm1": "expm1",
           "log1p": "log1p", "logit": "logit", "sinc": "sinc", "round": "round"}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_aliases_match_torch(name):
    inside = name in ("logit", "erfinv")      # (their domain: (0, 1), (-1, 1))
    assert_matches_torch(lambda x: getattr((torch if isinstance(x, torch.Tensor) else minigrad).special, name)(x),
                         [(3, 4)], low=0.05 if inside else -2, high=0.95 if inside else 2)


def test_softmax_family_and_xlogy_aliases_match_torch():
    lib = lambda x: torch if isinstance(x, torch.Tensor) else minigrad       # noqa: E731
    assert_matches_torch(lambda x: lib(x).special.softmax(x, 1), [(3, 4)])
    assert_matches_torch(lambda x: lib(x).special.log_softmax(x, 0), [(3, 4)])
    assert_matches_torch(lambda x: lib(x).special.logsumexp(x, 1), [(3, 4)])
    assert_matches_torch(lambda x, y: lib(x).special.xlogy(x, y), [(3, 4), (3, 4)], low=0.1, high=2)


POINTS = numpy.concatenate([numpy.linspace(-5, 10, 61), [-1.0, -0.999, 0.0, 1e-300, 5.0]])


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "erfcx", "entr"])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 1e-5)])
def test_normal_and_entropy_functions_match_torch_with_their_gradients(name, dtype, rtol):
    points = numpy.abs(POINTS) if name == "entr" else POINTS
    if name == "ndtr":     # (where torch's (1 + erf) / 2 has not cancelled: test_the_far_tails_are_finite_and_accurate)
        points = points[points >= (-5 if dtype == "float64" else -1)]
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(points.astype(dtype), requires_grad=True)
        y = getattr(lib.special, name)(x)
        (y * lib.tensor(numpy.linspace(-1, 1, len(points)))).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), y.grad_fn.name()))
    (theirs, their_grad, their_name), (ours, our_grad, our_name) = results
    assert our_name == their_name
    numpy.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)
    finite = numpy.isfinite(their_grad)
    numpy.testing.assert_allclose(our_grad[finite], their_grad[finite], rtol=rtol * 10, atol=1e-300)
    assert (numpy.isfinite(our_grad) == finite).all()


def test_the_far_tails_are_finite_and_accurate():
    """log_ndtr of -40 is -804.6084420137538 (torch's too), where ndtr itself is 3.6e-350, below float64;
    erfcx(30) is 0.018795888861416751.  ndtr's left tail is exact here (7.62e-24 at -10), where
    torch's (1 + erf(x / sqrt 2)) / 2 cancels (2% off at -8, 0 from -8.3 down): a deliberate difference."""
    assert minigrad.special.log_ndtr(minigrad.tensor([-40.0], dtype=minigrad.float64)).item() == \
        pytest.approx(torch.special.log_ndtr(torch.tensor([-40.0], dtype=torch.float64)).item(), rel=1e-13)
    assert minigrad.special.erfcx(minigrad.tensor([30.0], dtype=minigrad.float64)).item() == \
        pytest.approx(0.018795888861416751, rel=1e-14)
    assert minigrad.special.ndtr(minigrad.tensor([-10.0], dtype=minigrad.float64)).item() == \
        pytest.approx(0.5 * math.erfc(10 / math.sqrt(2)), rel=1e-13)


@pytest.mark.parametrize("x, y", [([-2.0, 0.0, 0.5, 3.0], [0.5, 2.0, -0.5, float("nan")]),
                                  ([0.0, 0.0, 1.0, 2.0], [-1.0, 0.0, -0.9, 4.0])])
def test_xlog1py_matches_torch_with_its_zeros_and_nans(x, y):
    lib = lambda t: torch if isinstance(t, torch.Tensor) else minigrad       # noqa: E731
    assert_matches_torch(lambda a, b: lib(a).special.xlog1py(a, b), inputs=[numpy.array(x), numpy.array(y)])
    assert_matches_torch(lambda a: lib(a).special.xlog1py(a, 2.0), inputs=[numpy.array(x)])
    assert_matches_torch(lambda b: lib(b).special.xlog1py(3, b), inputs=[numpy.abs(numpy.array(y))])


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "erfcx", "entr", "xlog1py"])
def test_second_derivatives_match_torch(name):
    if name == "xlog1py":
        assert_second_order_matches_torch(lambda lib, x: lib.special.xlog1py(x, x * x + 0.5), [(5,)], 0.1, 2)
    else:
        assert_second_order_matches_torch(lambda lib, x: getattr(lib.special, name)(x), [(5,)], 0.1, 2)
