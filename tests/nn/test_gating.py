"""GLU / F.glu, ConstantPad1d / ZeroPad1d and Dropout1d / F.dropout1d against torch: values, gradients,
reprs, errors; channel dropout's mask structure and scaling (the random streams differ from torch's)."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch
from _nn_parity import check_module, make_pair, torch_error


def assert_same_error(ours, theirs):
    kind, message = torch_error(theirs)
    with pytest.raises(kind) as raised:
        ours()
    assert str(raised.value) == message


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, dim", [((3, 8), -1), ((4, 6, 5), 1), ((6,), 0), ((2, 3, 4), 0)])
def test_glu_matches_torch(dtype, shape, dim):
    assert_matches_torch(lambda x: F.glu(x, dim), [shape], dtype=dtype,
                         torch_fn=lambda x: torch.nn.functional.glu(x, dim))
    ours, theirs = make_pair("GLU", dim, dtype=dtype)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [numpy.random.default_rng(0).standard_normal(shape).astype(dtype)])


@pytest.mark.parametrize("shape, dim", [((3, 5), -1), ((3, 4), 2), ((), -1)])
def test_glu_errors_match_torch(shape, dim):
    x = numpy.zeros(shape)
    assert_same_error(lambda: F.glu(minigrad.tensor(x), dim), lambda: torch.nn.functional.glu(torch.tensor(x), dim))


@pytest.mark.parametrize("name, args", [("ConstantPad1d", (2, 1.5)), ("ConstantPad1d", ((1, 3), -2)),
                                        ("ZeroPad1d", (2,)), ("ZeroPad1d", ((0, 3),))])
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 5)])
def test_pad_modules_match_torch(name, args, shape):
    ours, theirs = make_pair(name, *args)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [numpy.random.default_rng(1).standard_normal(shape)])


@pytest.mark.parametrize("shape", [(16, 32, 7), (64, 9)])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout1d_zeroes_whole_channels_and_scales(shape, inplace):
    minigrad.manual_seed(0)
    p = 0.3
    x = minigrad.tensor(numpy.random.default_rng(2).uniform(1, 2, shape))
    leaf = minigrad.tensor(x.numpy(), requires_grad=True)
    source = leaf * 1 if inplace else leaf          # in place needs a non-leaf
    out = F.dropout1d(source, p, training=True, inplace=inplace)
    values, original = out.detach().numpy(), x.numpy()
    kept = (values != 0).all(axis=-1)
    dropped = (values == 0).all(axis=-1)
    assert (kept | dropped).all(), "a channel must be kept or dropped as a whole"
    numpy.testing.assert_allclose(values[kept], original[kept] / (1 - p), rtol=1e-12)
    assert abs(dropped.mean() - p) < 0.1
    out.sum().backward()
    numpy.testing.assert_allclose(leaf.grad.numpy(), numpy.broadcast_to(numpy.where(kept[..., None], 1 / (1 - p), 0.0), shape), rtol=1e-12)


def test_dropout1d_module_eval_is_identity_and_repr_matches_torch():
    layer = nn.Dropout1d(0.2)
    assert repr(layer) == repr(torch.nn.Dropout1d(0.2))
    layer.eval()
    x = minigrad.randn(2, 3, 4)
    assert layer(x) is x
    assert (F.dropout1d(x, 0.0).numpy() == x.numpy()).all()
    assert (F.dropout1d(x, 1.0).numpy() == 0).all()


@pytest.mark.parametrize("shape, p", [((2, 3, 4, 5), 0.5), ((2, 3), 1.5)])
def test_dropout1d_errors_match_torch(shape, p):
    x = numpy.zeros(shape)
    assert_same_error(lambda: F.dropout1d(minigrad.tensor(x), p), lambda: torch.nn.functional.dropout1d(torch.tensor(x), p))
