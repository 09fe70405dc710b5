"""``cdist`` against torch: every p, both of torch's ways (the direct CdistBackward0 and the matrix
product for many rows, ViewBackward0), batch dims broadcast, zero distances, empty inputs, errors."""
import math

import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same_module_error


def lib(tensor):
    return torch if isinstance(tensor, torch.Tensor) else minigrad


MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"]


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, math.inf, 0.5, 1.5])
@pytest.mark.parametrize("shapes", [((3, 4), (5, 4)), ((2, 1, 3, 4), (5, 4)), ((2, 3, 4), (1, 5, 4)),
                                    ((30, 3), (27, 3))])
def test_cdist_matches_torch_with_its_grad_fn(p, shapes):
    for dtype in ("float64", "float32"):
        assert_matches_torch(lambda a, b: lib(a).cdist(a, b, p=p), list(shapes), dtype=dtype)
    rng = numpy.random.default_rng(1)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    names = [m.cdist(*(m.tensor(a, requires_grad=True) for a in arrays), p=p).grad_fn.name() for m in (torch, minigrad)]
    assert names[1] == names[0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rows", [3, 26])
def test_cdist_takes_torchs_way_for_each_compute_mode(mode, rows):
    assert_matches_torch(lambda a, b: lib(a).cdist(a, b, compute_mode=mode), [(rows, 4), (5, 4)])
    names = [m.cdist(m.ones(rows, 4, requires_grad=True), m.ones(5, 4), compute_mode=mode).grad_fn.name()
             for m in (torch, minigrad)]
    assert names[1] == names[0]


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
def test_the_gradient_at_a_zero_distance_is_torchs(p):
    """The direct way's gradient is 0 where two rows are equal (torch's ``_cdist_backward``)."""
    points = numpy.array([[0.0, 1.0], [2.0, -1.0], [0.0, 1.0]])
    assert_matches_torch(lambda a, b: lib(a).cdist(a, b, p=p), inputs=[points, points[:2].copy()])


@pytest.mark.parametrize("shapes", [((0, 3), (4, 3)), ((2, 0), (3, 0)), ((2, 0, 3), (4, 3))])
def test_cdist_of_empty_inputs_matches_torch(shapes):
    results = [m.cdist(m.ones(*shapes[0]), m.ones(*shapes[1])) for m in (torch, minigrad)]
    assert tuple(results[1].shape) == tuple(results[0].shape)
    assert results[1].tolist() == results[0].tolist()


def test_a_nearest_neighbour_lookup_as_a_tutorial_writes_it():
    """Distances from queries to a codebook, the nearest entry, the loss to it: as torch."""
    rng = numpy.random.default_rng(3)
    queries, codebook = rng.standard_normal((40, 8)), rng.standard_normal((16, 8))

    def nearest(q, c):
        distances = lib(q).cdist(q, c)
        chosen = distances.argmin(dim=1)
        return distances.min(dim=1).values.mean(), chosen
    assert_matches_torch(nearest, inputs=[queries, codebook])


@pytest.mark.parametrize("call", [
    "m.cdist(m.ones(3), m.ones(5, 3))", "m.cdist(m.ones(4, 3), m.ones(3))", "m.cdist(m.ones(3, 4), m.ones(5, 3))",
    "m.cdist(m.ones(3, 4), m.ones(5, 4), p=-1)", "m.cdist(m.ones(3, 4, dtype=m.long), m.ones(5, 4, dtype=m.long))",
    "m.cdist(m.ones(3, 4), m.ones(5, 4), compute_mode='x')", "m.cdist(m.ones(2, 3, 4), m.ones(3, 5, 4))",
])
def test_cdist_errors_match_torch(call):
    assert_same_module_error(lambda m: eval(call, {"m": m}))
