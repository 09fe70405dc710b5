"""F.interpolate / nn.Upsample, MaxUnpool1d/2d and the 2-d padding layers against torch: values and
gradients under a random weighting, float32 (torch's float32 index arithmetic), gradchecks, reprs, errors."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch, gradcheck
from _nn_parity import assert_same_error, check_module, make_pair

INTERPOLATE = [
    ((2, 3, 5, 7), {"scale_factor": 2}), ((2, 3, 5, 7), {"size": (8, 3)}), ((2, 3, 5, 7), {"scale_factor": 1.7}),
    ((2, 3, 5, 7), {"scale_factor": (1.5, 2.3), "mode": "nearest-exact"}), ((2, 3, 7), {"scale_factor": 0.45}),
    ((2, 3, 5, 7), {"size": (9, 12), "mode": "bilinear"}),
    ((2, 3, 5, 7), {"size": (9, 4), "mode": "bilinear", "align_corners": True}),
    ((2, 3, 5, 7), {"scale_factor": 1.5, "mode": "bilinear"}),
    ((2, 3, 5, 7), {"scale_factor": 0.6, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 7), {"scale_factor": 2.5, "mode": "linear"}), ((2, 3, 7), {"size": 1, "mode": "linear", "align_corners": True}),
    ((2, 3, 4, 5, 3), {"scale_factor": (2, 1.5, 1), "mode": "trilinear"}), ((2, 3, 4, 3, 2), {"size": 5}),
    ((2, 3, 6, 8), {"size": (3, 5), "mode": "area"}), ((2, 3, 6, 8), {"scale_factor": 0.5, "mode": "area"})]


@pytest.mark.parametrize("shape, kwargs", INTERPOLATE)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_interpolate_matches_torch(shape, kwargs, dtype):
    assert_matches_torch(lambda x: F.interpolate(x, **kwargs), [shape], dtype=dtype,
                         torch_fn=lambda x: torch.nn.functional.interpolate(x, **kwargs))


@pytest.mark.parametrize("name, kwargs", [("Upsample", {"scale_factor": 2}), ("Upsample", {"size": (3, 4), "mode": "bilinear"}),
                                          ("Upsample", {"scale_factor": (2, 3)}), ("UpsamplingBilinear2d", {"scale_factor": 2}),
                                          ("UpsamplingNearest2d", {"size": 7})])
def test_upsample_modules_match_torch(name, kwargs):
    ours, theirs = make_pair(name, **kwargs)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [numpy.random.default_rng(0).standard_normal((2, 3, 4, 5))])


def test_bilinear_interpolate_gradcheck():
    x = minigrad.tensor(numpy.random.default_rng(0).standard_normal((1, 2, 4, 3)), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=(1.5, 2.5), mode="bilinear"), (x,))


@pytest.mark.parametrize("shape, kwargs", [
    ((2, 3, 4, 4), {"size": 4, "scale_factor": 2}), ((2, 3, 4, 4), {}), ((2, 3, 4, 4), {"size": (2,)}),
    ((2, 3, 4, 4), {"scale_factor": (2, 2, 2)}), ((2, 3, 4, 4), {"size": 2, "align_corners": True}),
    ((2, 3, 4), {"size": 2, "mode": "bilinear"}), ((2, 3, 4, 4), {"size": 2, "mode": "linear"}),
    ((2, 3, 4, 4), {"size": 2, "mode": "cubic"}), ((2, 3, 4, 4), {"size": 2, "recompute_scale_factor": True}),
    ((2, 3, 4, 4), {"size": 2, "mode": "nearest", "antialias": True})])
def test_interpolate_errors_match_torch(shape, kwargs):
    x = numpy.zeros(shape)
    assert_same_error(lambda: F.interpolate(minigrad.tensor(x), **kwargs),
                      lambda: torch.nn.functional.interpolate(torch.tensor(x), **kwargs))


# ---- unpooling ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pool, unpool, output_size, shape", [
    ({"kernel_size": 2, "return_indices": True}, {"kernel_size": 2}, None, (2, 3, 6, 6)),
    ({"kernel_size": 2, "return_indices": True}, {"kernel_size": 2}, (1, 1, 7, 7), (2, 3, 6, 6)),
    ({"kernel_size": (2, 3), "stride": 1, "padding": 1, "return_indices": True},
     {"kernel_size": (2, 3), "stride": 1, "padding": 1}, None, (3, 5, 6))])
def test_max_unpool2d_matches_torch(pool, unpool, output_size, shape):
    x = numpy.random.default_rng(0).standard_normal(shape)
    _, indices = torch.nn.functional.max_pool2d(torch.tensor(x), **pool)
    values = numpy.random.default_rng(1).standard_normal(tuple(indices.shape))
    ours, theirs = nn.MaxUnpool2d(**unpool), torch.nn.MaxUnpool2d(**unpool)
    assert repr(ours) == repr(theirs)
    mine = minigrad.tensor(values, requires_grad=True)
    reference = torch.tensor(values, requires_grad=True)
    out_mine = ours(mine, minigrad.tensor(indices.numpy()), output_size)
    out_reference = theirs(reference, indices, output_size)
    numpy.testing.assert_array_equal(out_mine.detach().numpy(), out_reference.detach().numpy())
    weights = numpy.random.default_rng(2).standard_normal(tuple(out_reference.shape))
    (out_mine * minigrad.tensor(weights)).sum().backward()
    (out_reference * torch.tensor(weights)).sum().backward()
    numpy.testing.assert_array_equal(mine.grad.numpy(), reference.grad.numpy())


def test_max_unpool1d_matches_torch():
    x = numpy.random.default_rng(0).standard_normal((2, 3, 9))
    values, indices = torch.nn.functional.max_pool1d(torch.tensor(x), 3, 2, return_indices=True)
    ours = F.max_unpool1d(minigrad.tensor(values.numpy()), minigrad.tensor(indices.numpy()), 3, 2)
    theirs = torch.nn.functional.max_unpool1d(values, indices, 3, 2)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert repr(nn.MaxUnpool1d(3, 2)) == repr(torch.nn.MaxUnpool1d(3, 2))


def test_max_unpool2d_errors_match_torch():
    x = torch.randn(2, 3, 6, 6)
    values, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    one_bad = indices.clone()
    one_bad[1, 2, 0, 1] = 100       # one invalid index (with several, torch's threads pick which one to name)
    cases = [((values, indices, 2), {"output_size": (9, 6)}), ((values, indices[:1], 2), {}),
             ((values, one_bad, 2), {}), ((values[0, 0], indices[0, 0], 2), {}), ((values, indices.float(), 2), {}),
             ((values, indices, 2), {"output_size": (2, 7, 6)})]
    for (v, i, kernel), kwargs in cases:
        assert_same_error(lambda: F.max_unpool2d(minigrad.tensor(v.numpy()), minigrad.tensor(i.numpy()), kernel, **kwargs),
                          lambda: torch.nn.functional.max_unpool2d(v, i, kernel, **kwargs))


# ---- 2-d padding layers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, args", [("ZeroPad2d", (1,)), ("ZeroPad2d", ((1, 2, 0, 3),)), ("ConstantPad2d", (2, 3.5)),
                                        ("ReflectionPad2d", ((1, 2, 2, 0),)), ("ReplicationPad2d", (2,)),
                                        ("CircularPad2d", ((1, 0, 2, 1),)), ("ReflectionPad1d", (2,)),
                                        ("ReplicationPad1d", ((0, 3),)), ("CircularPad1d", (1,))])
def test_padding_layers_match_torch(name, args):
    ours, theirs = make_pair(name, *args)
    assert repr(ours) == repr(theirs)
    shape = (2, 3, 4, 5) if name.endswith("2d") else (2, 3, 5)
    check_module(ours, theirs, [numpy.random.default_rng(0).standard_normal(shape)])


def test_max_unpool2d_gradcheck():
    _, indices = F.max_pool2d(minigrad.tensor(numpy.random.default_rng(0).standard_normal((2, 2, 6, 5))), 2,
                              return_indices=True)
    values = minigrad.tensor(numpy.random.default_rng(1).standard_normal(tuple(indices.shape)), requires_grad=True)
    assert gradcheck(lambda v: F.max_unpool2d(v, indices, 2, output_size=(6, 5)), (values,))
