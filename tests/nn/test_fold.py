"""F.unfold / F.fold (nn.Unfold / nn.Fold) against torch: values, gradients under a random weighting,
the options, unbatched and empty batches, gradchecks, reprs and errors."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch, gradcheck
from _nn_parity import assert_same_error, check_module, make_pair

OPTIONS = [{"kernel_size": 3}, {"kernel_size": (2, 3), "stride": (2, 1)}, {"kernel_size": 2, "padding": 1, "dilation": 2},
           {"kernel_size": (3, 1), "padding": (1, 0), "stride": 2, "dilation": (1, 2)}]


@pytest.mark.parametrize("options", OPTIONS)
def test_unfold_matches_torch(options):
    assert_matches_torch(lambda x: F.unfold(x, **options), [(2, 3, 7, 6)],
                         torch_fn=lambda x: torch.nn.functional.unfold(x, **options))


@pytest.mark.parametrize("options", OPTIONS)
def test_fold_matches_torch(options):
    blocks = torch.nn.functional.unfold(torch.zeros(1, 1, 7, 6), **options).shape[-1]
    kernel = options["kernel_size"]
    channels = 2 * (kernel * kernel if isinstance(kernel, int) else kernel[0] * kernel[1])
    assert_matches_torch(lambda x: F.fold(x, (7, 6), **options), [(2, channels, blocks)],
                         torch_fn=lambda x: torch.nn.functional.fold(x, (7, 6), **options))


@pytest.mark.parametrize("shape", [(3, 5, 4), (0, 3, 5, 4)], ids=["unbatched", "batch0"])
def test_unfold_and_fold_modules_match_torch(shape):
    ours, theirs = make_pair("Unfold", (2, 3), padding=1)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [numpy.random.default_rng(0).standard_normal(shape)])
    ours, theirs = make_pair("Fold", (5, 4), (2, 3), padding=1)
    assert repr(ours) == repr(theirs)
    columns = tuple(torch.nn.functional.unfold(torch.zeros(shape), (2, 3), padding=1).shape)
    check_module(ours, theirs, [numpy.random.default_rng(1).standard_normal(columns)])


def test_unfold_then_matmul_is_conv2d():
    """The textbook identity: conv2d == weight @ unfold(x), reshaped."""
    rng = numpy.random.default_rng(0)
    x, w = minigrad.tensor(rng.standard_normal((2, 3, 6, 5))), minigrad.tensor(rng.standard_normal((4, 3, 3, 2)))
    columns = F.unfold(x, (3, 2), padding=1, stride=(1, 2))
    through_unfold = (w.reshape(4, -1) @ columns).reshape(2, 4, 6, 3)
    numpy.testing.assert_allclose(through_unfold.numpy(), F.conv2d(x, w, padding=1, stride=(1, 2)).numpy(),
                                  rtol=1e-12, atol=1e-12)


def test_unfold_and_fold_gradcheck():
    rng = numpy.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda x: F.unfold(x, (2, 3), padding=1, stride=(2, 1)), (x,))
    columns = minigrad.tensor(rng.standard_normal((2, 8, 4)), requires_grad=True)    # 2 x 2 blocks
    assert gradcheck(lambda c: F.fold(c, (5, 4), 2, stride=(2, 1), dilation=(1, 2)), (columns,))


@pytest.mark.parametrize("shape, args, kwargs", [
    ((5, 5), (3,), {}), ((2, 3, 5, 5, 5), (3,), {}), ((2, 3, 2, 5), (3,), {}), ((2, 3, 5, 5), (0,), {}),
    ((2, 3, 5, 5), (3,), {"stride": 0}), ((2, 3, 5, 5), (3,), {"dilation": 0}), ((2, 3, 5, 5), (3,), {"padding": -1}),
    ((2, 3, 5, 5), ((3, 3, 3),), {})])
def test_unfold_errors_match_torch(shape, args, kwargs):
    x = numpy.zeros(shape)
    assert_same_error(lambda: F.unfold(minigrad.tensor(x), *args, **kwargs),
                      lambda: torch.nn.functional.unfold(torch.tensor(x), *args, **kwargs))


@pytest.mark.parametrize("shape, args, kwargs", [
    ((2, 26, 9), ((5, 5), 3), {}), ((2, 27, 8), ((5, 5), 3), {}), ((2, 27, 9, 1), ((5, 5), 3), {}),
    ((2, 27, 9), ((2, 5), 3), {}), ((2, 27, 9), ((5, 5), 3), {"stride": 0})])
def test_fold_errors_match_torch(shape, args, kwargs):
    x = numpy.zeros(shape)
    assert_same_error(lambda: F.fold(minigrad.tensor(x), *args, **kwargs),
                      lambda: torch.nn.functional.fold(torch.tensor(x), *args, **kwargs))


def test_fold_module_repr_matches_torch():
    assert repr(nn.Fold((5, 5), 3, stride=2)) == repr(torch.nn.Fold((5, 5), 3, stride=2))
