"""cosine_similarity / pairwise_distance and their modules against torch: values, gradients
(including torch's no-grad clamp of tiny norms), broadcasting, every p, reprs and errors."""
import numpy
import pytest
import torch

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import assert_matches_torch
from _nn_parity import assert_same_error
from _op_parity import assert_same, run_both


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, dim", [([(4, 5), (4, 5)], 1), ([(4, 5), (4, 5)], 0), ([(2, 3, 4), (2, 3, 4)], -1),
                                         ([(3, 5), (5,)], 1), ([(3, 1, 4), (2, 4)], 2), ([(6,), (6,)], 0)])
def test_cosine_similarity_matches_torch(dtype, shapes, dim):
    assert_matches_torch(lambda a, b: F.cosine_similarity(a, b, dim=dim), shapes, dtype=dtype,
                         torch_fn=lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=dim))


def test_cosine_similarity_tiny_and_zero_vectors_match_torch():
    rng = numpy.random.default_rng(1)
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    x1[0] *= 1e-10     # norm below eps: clamped forward, unclamped norm in backward (as torch)
    x1[1] = 0.0        # zero vector: the norm's derivative is taken as 0
    x2[2] *= 1e-12
    weights = rng.standard_normal(4)
    ours = [minigrad.tensor(x, requires_grad=True) for x in (x1, x2)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (x1, x2)]
    out, ref = F.cosine_similarity(*ours), torch.nn.functional.cosine_similarity(*theirs)
    numpy.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    (out * minigrad.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        numpy.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shapes", [[(4, 5), (4, 5)], [(4, 5), (5,)], [(6,), (6,)], [(2, 3, 4), (2, 3, 4)]])
def test_pairwise_distance_matches_torch(dtype, p, keepdim, shapes):
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim), shapes, dtype=dtype,
                         torch_fn=lambda a, b: torch.nn.functional.pairwise_distance(a, b, p=p, keepdim=keepdim))


def test_pairwise_distance_adds_eps_to_the_difference():
    x = minigrad.zeros(2, 3, dtype=minigrad.float64)
    expected = torch.nn.functional.pairwise_distance(torch.zeros(2, 3, dtype=torch.float64),
                                                     torch.zeros(2, 3, dtype=torch.float64), eps=1e-3)
    numpy.testing.assert_allclose(F.pairwise_distance(x, x, eps=1e-3).numpy(), expected.numpy(), rtol=1e-12)


def test_modules_match_torch_values_and_reprs():
    rng = numpy.random.default_rng(2)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    for ours, theirs in [(nn.CosineSimilarity(), torch.nn.CosineSimilarity()),
                         (nn.CosineSimilarity(dim=2, eps=1e-6), torch.nn.CosineSimilarity(dim=2, eps=1e-6)),
                         (nn.PairwiseDistance(), torch.nn.PairwiseDistance()),
                         (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True))]:
        assert repr(ours) == repr(theirs)
        numpy.testing.assert_allclose(ours(minigrad.tensor(a), minigrad.tensor(b)).numpy(),
                                      theirs(torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape1, shape2, dim", [((3, 4), (3, 4), 2), ((3, 4), (3, 5), 1), ((3, 4), (3, 4), -3)])
def test_cosine_similarity_errors_match_torch(shape1, shape2, dim):
    a, b = numpy.ones(shape1), numpy.ones(shape2)
    assert_same_error(lambda: F.cosine_similarity(minigrad.tensor(a), minigrad.tensor(b), dim=dim),
                      lambda: torch.nn.functional.cosine_similarity(torch.tensor(a), torch.tensor(b), dim=dim))


def test_cosine_similarity_in_half_precision_is_torchs_composite():
    """fuzz seed 7000780: torch divides each float16 input by its clamped norm (the norms summed in
    float32) and sums the products in float32; minigrad's dot / (|a| |b|) in float16 gave -1.000977
    where torch's gives -0.999512."""
    def action(lib):
        a = lib.tensor([[-0.461, 0.674, 2.18], [0.179, -0.113, 1.3]], dtype=lib.float16)
        b = lib.tensor([[0.323, -0.711, -60000.0], [0.598, 0.169, 0.752]], dtype=lib.float16)
        return lib.nn.functional.cosine_similarity(a, b, dim=1), lib.nn.functional.cosine_similarity(a, -a * 3, dim=1)
    assert_same(action)


@pytest.mark.parametrize("dtype, huge", [("float64", -1e308), ("float32", -3e38)])
def test_cosine_similarity_over_one_element_takes_its_absolute_value_as_norm(dtype, huge):
    """fuzz seeds 7009981, 7001856 (layer template): torch's 2-norm of one element is its absolute value,
    so a row of one huge value has cosine -1 or 1; the root of its square overflowed to inf, and the
    cosine was 0."""
    def action(lib):
        a = lib.tensor([[[huge], [188.2]]], dtype=getattr(lib, dtype))
        b = lib.tensor([[[48.596], [-53.257]]], dtype=getattr(lib, dtype))
        return lib.nn.functional.cosine_similarity(a, b, dim=-3), lib.nn.functional.cosine_similarity(a, b, dim=-1)
    assert_same(action)


ROWS_AT_THE_EDGES = {   # fuzz seeds 7001661, 7200102, 7300693 (run.py --layers)
    "zero row": [[0.0, -0.0, 0.0], [1.5, -2.0, 0.5]],
    "clamped row": [[1e-9, -2e-9, 0.0], [1.5, -2.0, 0.5]],
    "huge row": [[3e38, -1e38, 2.0], [1.5, -2.0, 0.5]],
    "float16 past its range squared": [[60000.0, -174.2, -0.0], [69.6, 35.1, -18.3]],
    "an infinity": [[float("inf"), -46.9, -0.0], [1.5, -2.0, 0.5]],
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("rows", ROWS_AT_THE_EDGES)
@pytest.mark.parametrize("needs", [(True, True), (True, False)])
def test_cosine_similarity_gradients_at_zero_clamped_and_huge_norms_are_torchs(dtype, rows, needs):
    """torch's cosine_similarity is a composition (each input over its clamped norm, the clamp under
    no_grad, then the products summed), and its gradients at a zero, clamped or overflowing norm
    are that composition's: minigrad's fused closed form gave NaN where torch's are -0 or finite."""
    def action(lib):
        x1 = lib.tensor(ROWS_AT_THE_EDGES[rows], dtype=getattr(lib, dtype), requires_grad=needs[0])
        x2 = lib.tensor([[-1.259], [0.259]], dtype=getattr(lib, dtype), requires_grad=needs[1])
        out = lib.nn.functional.cosine_similarity(x1, x2, dim=-1)
        (out * lib.tensor([0.584, -0.443], dtype=getattr(lib, dtype))).sum().backward()
        return out, x1.grad, x2.grad
    assert_same(action)


def test_cosine_similarity_of_integers_is_refused_as_torchs():
    assert_same(lambda lib: lib.nn.functional.cosine_similarity(lib.tensor([[1, 2]]), lib.tensor([[1, 3]])))


@pytest.mark.parametrize("shapes", [((2,), (1,)), ((1, 3), (2, 3)), ((2, 3), (2, 3))])
def test_cosine_similarity_expands_both_inputs_as_torchs_expand_outplace(shapes):
    """torch expands both inputs (views) where their shapes differ, and neither where they agree: a
    write to an input since then names the saved view's node, as torch's error does (fuzz seeds
    7617161, 7515573: minigrad expanded only the smaller input and named the other's own node)."""
    def program(lib):
        first = lib.tensor(numpy.linspace(0.5, 2, int(numpy.prod(shapes[0]))).reshape(shapes[0]), requires_grad=True)
        second = lib.tensor(numpy.linspace(-1, 3, int(numpy.prod(shapes[1]))).reshape(shapes[1]), requires_grad=True)
        x1 = first.sign() * first
        similarity = lib.nn.functional.cosine_similarity(x1, second, dim=-1)
        x1.view(-1)[0] = 1.5
        similarity.sum().backward()
    expected, actual = run_both(program)
    assert "modified by an inplace operation" in expected
    assert actual == expected
