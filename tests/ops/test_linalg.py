"""matmul, mm, bmm, dot, outer against torch: shapes, batch broadcasting, dtypes, errors."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same_error, both

DTYPES = ["float64", "float32"]


MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 4)), ((4, 3), (3,)), ((4, 3), (3, 5)), ((2, 4, 3), (3,)), ((3,), (2, 3, 4)),
    ((2, 4, 3), (3, 5)), ((4, 3), (2, 3, 5)), ((2, 4, 3), (2, 3, 5)), ((2, 1, 4, 3), (5, 3, 2)),
    ((1, 3, 1, 7, 2), (2, 1, 5, 2, 8)), ((4, 1, 2, 3), (1, 3, 3, 2)), ((1, 1), (1, 1)), ((2, 3, 1), (1, 4)),
    ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((0, 3, 4), (4, 5)), ((2, 3, 0), (0, 5)), ((2, 2, 3, 4), (4, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_shapes_and_gradients_match_torch(shapes, dtype):
    assert_matches_torch(**both("matmul"), shapes=list(shapes), dtype=dtype)
    assert_matches_torch(lambda a, b: a @ b, shapes=list(shapes), dtype=dtype, seed=1)
    assert_matches_torch(lambda a, b: a.matmul(b), shapes=list(shapes), dtype=dtype, seed=2)


def test_matmul_gradient_to_one_input_only_matches_torch():
    assert_matches_torch(lambda a, b: a @ b, shapes=[(2, 4, 3), (3, 5)], requires_grad=[True, False])
    assert_matches_torch(lambda a, b: a @ b, shapes=[(2, 4, 3), (3, 5)], requires_grad=[False, True])
    assert_matches_torch(lambda a, b: a @ b, shapes=[(3,), (2, 3, 4)], requires_grad=[False, True])


def test_matmul_of_integers_matches_torch():
    a, b = numpy.arange(6).reshape(2, 3), numpy.arange(12).reshape(3, 4)
    assert_matches_torch(**both("matmul"), inputs=[a, b])
    assert_matches_torch(**both("matmul"), inputs=[numpy.arange(3), numpy.arange(3)])


def test_matmul_with_the_same_tensor_on_both_sides_matches_torch():
    # one tensor used twice: its gradient is the sum of both paths
    assert_matches_torch(lambda a: a @ a.T, [(3, 4)])
    assert_matches_torch(lambda a: a.mm(a), [(3, 3)])
    assert_matches_torch(lambda a: a @ a, [(5,)])


def test_torch_idiom_outer_product_softmax_backward_runs_unchanged():
    def idiom(lib):
        x = lib.Tensor([1, 2, 3]).view(3, 1).requires_grad_()
        y = (x @ x.T).softmax(dim=1)
        y[0, 1].backward()
        return y.detach().numpy(), x.grad.numpy()
    for ours, theirs in zip(idiom(minigrad), idiom(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mm_bmm_dot_outer_match_torch(dtype):
    assert_matches_torch(**both("mm"), shapes=[(4, 3), (3, 5)], dtype=dtype)
    assert_matches_torch(lambda a, b: a.mm(b), shapes=[(1, 3), (3, 1)], dtype=dtype)
    assert_matches_torch(**both("bmm"), shapes=[(2, 4, 3), (2, 3, 5)], dtype=dtype)
    assert_matches_torch(lambda a, b: a.bmm(b), shapes=[(1, 1, 3), (1, 3, 2)], dtype=dtype)
    assert_matches_torch(**both("dot"), shapes=[(5,), (5,)], dtype=dtype)
    assert_matches_torch(lambda a, b: a.dot(b), shapes=[(1,), (1,)], dtype=dtype)
    assert_matches_torch(**both("outer"), shapes=[(4,), (3,)], dtype=dtype)
    assert_matches_torch(lambda a, b: a.outer(b), shapes=[(1,), (6,)], dtype=dtype)


def test_outer_promotes_dtypes_like_torch():
    assert_matches_torch(**both("outer"), inputs=[numpy.ones(3, numpy.float32), numpy.arange(2.0)])
    assert_matches_torch(**both("outer"), inputs=[numpy.arange(3), numpy.ones(2, numpy.float32)])


# ---- errors: torch's wording, naming the shapes -------------------------------------------------------
MATMUL_ERRORS = [
    ((3,), (4,)), ((3,), (5, 4)), ((4, 3), (5,)), ((4, 3), (5, 2)), ((2, 4, 3), (5, 2)), ((3,), (2, 5, 4)),
    ((2, 4, 3), (5,)), ((2, 4, 3), (3, 3, 2)), ((2, 4, 3), (2, 5, 2)), ((), (3,)), ((3,), ()),
]


@pytest.mark.parametrize("shapes", MATMUL_ERRORS, ids=str)
def test_matmul_shape_errors_match_torch(shapes):
    message = assert_same_error(lambda a, b: a @ b, *[numpy.ones(shape) for shape in shapes])
    assert message
    assert_same_error(lambda a, b: a.matmul(b), *[numpy.ones(shape) for shape in shapes])


def test_matmul_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 5x2\)"):
        minigrad.ones(4, 3) @ minigrad.ones(5, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(3\), mat \(3x4\), vec \(5\)"):
        minigrad.ones(3, 4) @ minigrad.ones(5)


@pytest.mark.parametrize("shapes", [((4, 3), (5, 2)), ((4, 3), (3,)), ((3,), (3, 4)), ((2, 4, 3), (3, 4))], ids=str)
def test_mm_errors_match_torch(shapes):
    assert_same_error(lambda a, b: a.mm(b), *[numpy.ones(shape) for shape in shapes])


@pytest.mark.parametrize("shapes", [((2, 4, 3), (3, 3, 4)), ((2, 4, 3), (2, 5, 4)), ((4, 3), (2, 3, 4)),
                                    ((2, 4, 3), (3, 4))], ids=str)
def test_bmm_errors_match_torch(shapes):
    assert_same_error(lambda a, b: a.bmm(b), *[numpy.ones(shape) for shape in shapes])


@pytest.mark.parametrize("shapes", [((4,), (3,)), ((4, 1), (4,)), ((4,), (4, 1))], ids=str)
def test_dot_errors_match_torch(shapes):
    assert_same_error(lambda a, b: a.dot(b), *[numpy.ones(shape) for shape in shapes])


@pytest.mark.parametrize("shapes", [((4, 2), (3,)), ((4,), (3, 1))], ids=str)
def test_outer_errors_match_torch(shapes):
    assert_same_error(lambda a, b: a.outer(b), *[numpy.ones(shape) for shape in shapes])


@pytest.mark.parametrize("name,shapes", [("matmul", ((3,), (3,))), ("matmul", ((4, 3), (3, 4))),
                                         ("matmul", ((2, 4, 3), (2, 3, 4))), ("mm", ((4, 3), (3, 4))),
                                         ("bmm", ((2, 4, 3), (2, 3, 4))), ("dot", ((4,), (4,)))])
def test_dtype_mismatch_errors_match_torch(name, shapes):
    a, b = numpy.ones(shapes[0], numpy.float32), numpy.ones(shapes[1])
    assert_same_error(lambda x, y: getattr(x, name)(y), a, b)
    assert_same_error(lambda x, y: getattr(x, name)(y), numpy.ones(shapes[0], numpy.int64), b)


def test_non_tensor_operands_raise_type_error():
    x = minigrad.ones(2, 3)
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'int' and 'Tensor'"):
        2 @ x
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'list' and 'Tensor'"):
        [[1.0, 2.0]] @ x
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be Tensor, not int"):
        minigrad.matmul(x, 2)
    with pytest.raises(TypeError, match="must be Tensor"):
        x @ 2


def test_grad_fn_names_follow_torch():
    def names(lib):
        m, v = lib.ones(3, 4, requires_grad=True), lib.ones(4, requires_grad=True)
        batch = lib.ones(2, 3, 4, requires_grad=True)
        outputs = [m @ m.T, m @ v, v @ v, lib.bmm(batch, batch.transpose(1, 2)), lib.outer(v, v),
                   batch @ m.T, m @ batch.transpose(1, 2), m[:1] @ batch.transpose(1, 2), v @ batch.mT]
        return [type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name() for y in outputs]
    assert names(minigrad) == names(torch)


@pytest.mark.parametrize("shapes", [((4, 6), (6, 3)), ((2, 4, 6), (6,)), ((5,), (5,))], ids=str)
def test_float16_matches_torch(shapes):
    assert_matches_torch(**both("matmul"), shapes=list(shapes), dtype="float16")


# ---- einsum, tensordot, mv/addmm/baddbmm/addmv, diag, trace, cross ----
def lib(x):
    return torch if isinstance(x, torch.Tensor) else minigrad


EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]), ("ij->i", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,i", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]), ("...i->...", [(2, 3, 4)]), ("i...->...", [(3, 2)]),
    ("iij->ji", [(3, 3, 2)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]), ("ij,kj->ki", [(1, 3), (4, 3)]), ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]), ("iji->j", [(3, 2, 3)]), ("b i d, b j d -> b i j", [(2, 3, 4), (2, 5, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EQUATIONS)
def test_einsum_matches_torch(equation, shapes):
    assert_matches_torch(lambda *xs: lib(xs[0]).einsum(equation, *xs), shapes)


def test_einsum_float32_list_operands_and_promotion():
    assert_matches_torch(lambda a, b: lib(a).einsum("bij,bkj->bik", [a, b]), [(2, 3, 4), (2, 5, 4)],
                         dtype="float32")
    out = minigrad.einsum("i,j->ij", minigrad.ones(2, dtype=minigrad.float64), minigrad.ones(3))
    assert out.dtype == minigrad.float64


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk", [(2, 3), (4, 5)]), ("ij", [(2,)]), ("ij,jk->ik", [(2, 3)]), ("ij->ik", [(2, 3)]),
])
def test_einsum_errors_match_torch(equation, shapes):
    _same_error(lambda m: m.einsum(equation, *[m.ones(*s) for s in shapes]))


def _same_error(fn):
    messages = []
    for module in (minigrad, torch):
        with pytest.raises(Exception) as info:
            fn(module)
        messages.append((type(info.value), str(info.value)))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("dims,shapes", [(2, [(2, 3, 4), (3, 4, 5)]), (1, [(2, 3), (3, 4)]), (0, [(2,), (3,)]),
                                         (([0, 2], [1, 0]), [(3, 2, 4), (4, 3, 5)]), (([1], [0]), [(2, 3), (3,)])])
def test_tensordot_matches_torch(dims, shapes):
    assert_matches_torch(lambda a, b: lib(a).tensordot(a, b, dims=dims), shapes)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mv_addmm_baddbmm_addmv(dtype):
    assert_matches_torch(lambda a, v: a.mv(v), [(3, 4), (4,)], dtype=dtype)
    assert_matches_torch(lambda c, a, b: lib(c).addmm(c, a, b), [(3, 5), (3, 4), (4, 5)], dtype=dtype)
    assert_matches_torch(lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=-2.0), [(5,), (3, 4), (4, 5)], dtype=dtype)
    assert_matches_torch(lambda c, a, b: lib(c).baddbmm(c, a, b, alpha=0.3), [(2, 3, 5), (2, 3, 4), (2, 4, 5)],
                         dtype=dtype)
    assert_matches_torch(lambda c, a, v: c.addmv(a, v, beta=2), [(3,), (3, 4), (4,)], dtype=dtype)
    # one AddProduct node: beta 0 (input still gets its zero gradient), broadcast inputs, alpha
    assert_matches_torch(lambda c, a, b: lib(c).addmm(c, a, b, beta=0, alpha=3.0), [(1, 5), (3, 4), (4, 5)], dtype=dtype)
    assert_matches_torch(lambda c, a, b: lib(c).baddbmm(c, a, b, beta=-1.5), [(3, 1), (2, 3, 4), (2, 4, 5)], dtype=dtype)
    assert_matches_torch(lambda c, a, v: c.addmv(a, v, alpha=0.5), [(1,), (3, 4), (4,)], dtype=dtype)
    assert_matches_torch(lambda a: a.trace(), [(3, 4)], dtype=dtype)


def test_addmm_beta_zero_ignores_nan_input():
    c = minigrad.full((2, 2), float("nan"))
    out = minigrad.addmm(c, minigrad.ones(2, 3), minigrad.ones(3, 2), beta=0)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


@pytest.mark.parametrize("shape,diagonal", [((4,), 0), ((4,), 1), ((4,), -2), ((3, 3), 0), ((3, 5), 1),
                                            ((5, 3), -1), ((3, 4), -2), ((2, 3), 4)])
def test_diag_matches_torch(shape, diagonal):
    assert_matches_torch(lambda x: x.diag(diagonal), [shape])
    assert_matches_torch(lambda x: lib(x).diag(x, diagonal=diagonal), [shape], dtype="float32")


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_trace_matches_torch(shape):
    assert_matches_torch(lambda x: x.trace(), [shape])
    ours = minigrad.arange(6).reshape(2, 3).trace()
    assert ours.dtype == minigrad.int64 and ours.item() == torch.arange(6).reshape(2, 3).trace().item()


@pytest.mark.parametrize("shapes,dim", [([(3,), (3,)], 0), ([(4, 3), (4, 3)], 1), ([(3, 5), (3, 1)], 0),
                                        ([(2, 3, 4), (1, 3, 4)], -2)])
def test_cross_matches_torch(shapes, dim):
    assert_matches_torch(lambda a, b: lib(a).cross(a, b, dim=dim), shapes)
    assert_matches_torch(lambda a, b: a.cross(b, dim), shapes, dtype="float32")


@pytest.mark.parametrize("fn", [
    lambda m: m.mv(m.ones(2, 3), m.ones(4)),
    lambda m: m.addmm(m.ones(2, 2), m.ones(2, 3), m.ones(4, 2)),
    lambda m: m.diag(m.ones(2, 2, 2)),
    lambda m: m.trace(m.ones(3)),
    lambda m: m.cross(m.ones(4, 2), m.ones(4, 2), dim=1),
    lambda m: m.cross(m.ones(2, 3), m.ones(3), dim=1),
])
def test_bad_input_errors_match_torch(fn):
    _same_error(fn)


@pytest.mark.parametrize("rows, columns", [(1, 1), (1, 3), (3, 1), (2, 2), (3, 4)])
def test_an_inner_dimension_of_1_gives_torchs_signed_zeros(rows, columns):
    """0 * -1 summed over one term: torch's gemm keeps the product's -0.0, its gemv (one row or
    one column) adds it to +0, and so does its bmm, which matmul runs for a batch it cannot fold
    without a copy (*: an expanded one times a matrix that requires no grad) (fuzz seed 151720:
    the sign reaches a gradient through pow(-200))."""
    signs = []
    for lib in (torch, minigrad):
        a, b = lib.zeros(rows, 1, dtype=lib.float64), -lib.ones(1, columns, dtype=lib.float64)
        trained = b.clone().requires_grad_()
        batch, expanded = a[None].repeat(2, 1, 1), a[None].expand(2, rows, 1)
        results = [a @ b, lib.mm(a, b), batch @ b, expanded @ trained,
                   lib.nn.functional.linear(a, b.t()), lib.nn.functional.linear(a[0], b.t())]
        if rows > 1:     # (*) (the strides of dims of size 1, which torch's rule also reads, differ)
            results.append(expanded @ b)
        signs.append([numpy.signbit(result.detach().numpy()).tolist() for result in results])
    assert signs[1] == signs[0]
