"""``minigrad.linalg`` against ``torch.linalg``: the norms (every matrix order, dims, keepdim), inv,
det, slogdet, solve (vectors, matrices, broadcast batches, ``left=False``), svdvals, vecdot,
multi_dot, cross and diagonal: values, gradients under a random weighting, grad_fn names, second
derivatives, and torch's errors (a singular matrix's names its zero pivot and batch element)."""
import math

import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _higher_order import assert_second_order_matches_torch
from _op_parity import assert_same_module_error


def lib(tensor):
    return torch if isinstance(tensor, torch.Tensor) else minigrad


def _square(shape, seed=0):
    """Well-conditioned square matrices: random plus a multiple of the identity."""
    rng = numpy.random.default_rng(seed)
    return rng.uniform(-1, 1, shape) + 3 * numpy.eye(shape[-1])


ORDERS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]


@pytest.mark.parametrize("ord", ORDERS)
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False), ((1, 0), True)])
def test_matrix_norm_matches_torch_with_its_grad_fn(ord, dim, keepdim):
    assert_matches_torch(lambda a: lib(a).linalg.matrix_norm(a, ord, dim, keepdim), [(2, 3, 4)])
    names = [m.linalg.matrix_norm(m.tensor(numpy.arange(24.0).reshape(2, 3, 4) % 5, requires_grad=True), ord, dim,
                                  keepdim).grad_fn.name() for m in (torch, minigrad)]
    assert names[1] == names[0]


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, math.inf, -math.inf, 0])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_vector_norm_matches_torch(ord, dim):
    assert_matches_torch(lambda x: lib(x).linalg.vector_norm(x, ord, dim), [(2, 3, 4)])
    assert_matches_torch(lambda x: lib(x).linalg.vector_norm(x, ord, dim, keepdim=True), [(2, 3, 4)], dtype="float32")


@pytest.mark.parametrize("ord, dim, shape", [(None, None, (2, 3, 4)), (None, 1, (2, 3)), (None, (0, 1), (2, 3, 4)),
                                              ("nuc", None, (3, 4)), (1, None, (3, 4)), (3, None, (5,)),
                                              (-1, (1, 2), (2, 3, 4)), (math.inf, 0, (3, 4))])
def test_norm_chooses_the_vector_or_matrix_norm_as_torch(ord, dim, shape):
    assert_matches_torch(lambda x: lib(x).linalg.norm(x, ord, dim), [shape])


@pytest.mark.parametrize("name", ["inv", "det", "logabsdet", "svdvals"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_inv_det_slogdet_svdvals_match_torch(name, shape):
    def fn(a):
        linalg = lib(a).linalg
        return linalg.slogdet(a).logabsdet if name == "logabsdet" else getattr(linalg, name)(a)
    assert_matches_torch(fn, inputs=[_square(shape)])
    assert_matches_torch(fn, inputs=[_square(shape).astype("float32")])
    nodes = [fn(m.tensor(_square(shape), requires_grad=True)).grad_fn.name() for m in (torch, minigrad)]
    assert nodes[1] == nodes[0]


def test_slogdet_gives_torchs_named_pair():
    a = _square((2, 3, 3)) * numpy.array([1, -1])[:, None, None]
    results = [m.linalg.slogdet(m.tensor(a, requires_grad=True)) for m in (torch, minigrad)]
    for mine, theirs in zip(results[1], results[0]):
        numpy.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert [r.sign.grad_fn.name() for r in results] == ["LinalgSlogdetBackward0"] * 2
    assert type(results[1]).__name__ == type(results[0]).__name__ == "linalg_slogdet"


def test_the_determinants_gradient_at_a_singular_matrix_is_its_cofactors():
    """A singular matrix (rank 2 of 3) has no inverse, but the determinant's gradient, the cofactor
    matrix, is finite and not zero: [[-10, 5, 0], [5, -2.5, 0], [0, 0, 0]] here.  torch gives it with
    create_graph=True (its SVD formula) and zeros without (det * A^-T, det being 0): minigrad gives
    the cofactors (the reference is torch's create_graph result), and refuses a graph of them there."""
    singular = numpy.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]])
    theirs = torch.tensor(singular, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.linalg.det(theirs), theirs, create_graph=True)
    numpy.testing.assert_allclose(expected.detach().numpy()[:2, :2], [[-10, 5], [5, -2.5]], rtol=1e-12)
    ours = minigrad.tensor(singular, requires_grad=True)
    (grad,) = minigrad.autograd.grad(minigrad.linalg.det(ours), ours)
    numpy.testing.assert_allclose(grad.numpy(), expected.detach().numpy(), atol=1e-12)
    with pytest.raises(NotImplementedError, match="singular matrix"):     # (a graph of it: not at this point)
        minigrad.autograd.grad(minigrad.linalg.det(ours), ours, create_graph=True)


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)),
                                              ((2, 3, 3), (3, 4)), ((1, 3, 3), (2, 3, 1)), ((2, 3, 3), (3,))])
def test_solve_matches_torch_for_vectors_matrices_and_broadcast_batches(a_shape, b_shape):
    b = numpy.random.default_rng(1).uniform(-1, 1, b_shape)
    assert_matches_torch(lambda a, b: lib(a).linalg.solve(a, b), inputs=[_square(a_shape), b])
    if len(b_shape) >= 2 and b_shape != a_shape[:-1]:     # (matrices, not a batch of vectors)
        flipped = numpy.swapaxes(b, -1, -2).copy()
        assert_matches_torch(lambda a, b: lib(a).linalg.solve(a, b, left=False), inputs=[_square(a_shape), flipped])


def test_least_squares_by_the_normal_equations_as_a_tutorial_writes_them():
    """Closed-form linear regression, ``w = solve(X^T X, X^T y)``, then its gradient: as torch."""
    rng = numpy.random.default_rng(2)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal(20)

    def fit(x, y):
        linalg = lib(x).linalg
        w = linalg.solve(x.T @ x, x.T @ y)
        return w, linalg.norm(x @ w - y)
    assert_matches_torch(fit, inputs=[x, y])


@pytest.mark.parametrize("fn", [
    lambda m, a: m.linalg.inv(a).sum() * m.linalg.det(a),
    lambda m, a: (m.linalg.slogdet(a).logabsdet * m.linalg.vector_norm(a, 3)),
    lambda m, a: (m.linalg.solve(a, a.sum(-1)) ** 2).sum(),
    lambda m, a: m.linalg.matrix_norm(a, 1) * m.linalg.matrix_norm(a),
])
def test_second_derivatives_match_torch(fn):
    assert_second_order_matches_torch(fn, [(3, 3)], arrays=[_square((3, 3), seed=4)])


def test_svdvals_refuses_a_second_derivative_clearly():
    a = minigrad.tensor(_square((3, 3)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="twice"):
        minigrad.autograd.grad(minigrad.linalg.svdvals(a).sum(), a, create_graph=True)


def test_vecdot_multi_dot_cross_diagonal_match_torch():
    assert_matches_torch(lambda x, y: lib(x).linalg.vecdot(x, y), [(2, 3), (3,)])
    assert_matches_torch(lambda x, y: lib(x).linalg.vecdot(x, y, dim=0), [(3, 2), (3, 2)])
    assert_matches_torch(lambda a, b, c: lib(a).linalg.multi_dot([a, b, c]), [(3,), (3, 4), (4, 2)])
    assert_matches_torch(lambda x, y: lib(x).linalg.cross(x, y), [(3, 3), (3, 3)])
    assert_matches_torch(lambda a: lib(a).linalg.diagonal(a, offset=1), [(2, 3, 4)])
    assert_matches_torch(lambda a, b: lib(a).linalg.matmul(a, b), [(2, 3), (3,)])


SINGULAR = "[[1.0, 2.0], [2.0, 4.0]]"


@pytest.mark.parametrize("call", [
    "m.linalg.inv(m.ones(2, 3))", "m.linalg.inv(m.ones(2))", "m.linalg.inv(m.ones(2, 2, dtype=m.long))",
    "m.linalg.det(m.ones(2, 3))", "m.linalg.slogdet(m.ones(3))",
    "m.linalg.solve(m.eye(2), m.ones(3))", "m.linalg.solve(m.eye(2), m.ones(2, dtype=m.float64))",
    "m.linalg.vector_norm(m.ones(3, dtype=m.long))", "m.linalg.vector_norm(m.ones(3), ord='fro')",
    "m.linalg.matrix_norm(m.ones(3))", "m.linalg.matrix_norm(m.ones(3, 3), ord=3)",
    "m.linalg.matrix_norm(m.ones(3, 3), ord='abc')", "m.linalg.matrix_norm(m.ones(3, 3), dim=(0,))",
    "m.linalg.norm(m.ones(3, 3, 3), ord=2)", "m.linalg.norm(m.ones(3, 3), ord='fro', dim=0)",
    "m.linalg.multi_dot([m.ones(2, 2)])", "m.linalg.norm(m.ones(3), ord='fro')",
    "m.linalg.svdvals(m.ones(2, 2), driver='gesvd')",
    "m.linalg.norm(m.ones(2, 2, 2), dim=(0, 1, 2))", "m.linalg.norm(m.ones(2, 2, 2), ord='nuc', dim=(0, 1, 2))",
])
def test_linalg_errors_match_torch(call):
    assert_same_module_error(lambda m: eval(call, {"m": m}))


@pytest.mark.parametrize("call", [
    f"m.linalg.inv(m.tensor({SINGULAR}))",
    f"m.linalg.inv(m.stack([m.eye(2), m.tensor({SINGULAR})]))",
    "m.linalg.inv(m.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 2.0, 0.0]]))",
    "m.linalg.inv(m.zeros(3, 3))",
    f"m.linalg.solve(m.tensor({SINGULAR}), m.ones(2))",
])
def test_a_singular_matrix_raises_torchs_linalg_error_naming_its_zero_pivot(call):
    """torch's LinAlgError (a RuntimeError, its class named _LinAlgError), with its message: the first
    zero pivot of LAPACK's factorisation (partial pivoting) and, in a batch, the element."""
    errors = []
    for m in (torch, minigrad):
        with pytest.raises(m.linalg.LinAlgError) as caught:
            eval(call, {"m": m})
        errors.append((type(caught.value).__name__, str(caught.value), isinstance(caught.value, RuntimeError)))
    assert errors[1] == errors[0]


@pytest.mark.parametrize("name", ["inverse", "det", "logdet", "slogdet"])
def test_torchs_top_level_functions_and_methods_match(name):
    """``torch.inverse/det/slogdet/logdet`` and the Tensor methods: values, gradients, grad_fn and
    errors (logdet is NaN for a negative determinant, its grad_fn torch's Where)."""
    matrices = _square((3, 3, 3))
    matrices[1] *= -1                        # (a negative determinant: logdet's NaN)
    pick = (lambda r: r.logabsdet) if name == "slogdet" else (lambda r: r)
    assert_matches_torch(lambda a: pick(getattr(lib(a), name)(a)), inputs=[matrices])
    assert_matches_torch(lambda a: pick(getattr(a, name)()), inputs=[matrices[:1]])
    nodes = [pick(getattr(m, name)(m.tensor(matrices, requires_grad=True))).grad_fn.name() for m in (torch, minigrad)]
    assert nodes[1] == nodes[0]
    assert_same_module_error(lambda m: getattr(m, name)(m.ones(2, 3)))
