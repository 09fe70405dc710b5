"""einsum tensordot mv addmm baddbmm addmv diag trace cross against torch: values, gradients, errors."""
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch


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
