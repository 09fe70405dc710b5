"""Comparisons and logic against torch: values, dtypes, broadcasting, no graph, errors."""
import operator

import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_same, assert_same_module_error


def _pair(make):
    """Run ``make(library)`` on minigrad and torch; return both results."""
    return make(minigrad), make(torch)


def _assert_same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, minigrad.Tensor)
        assert ours.dtype.name == str(theirs.dtype)[6:], f"dtype {ours.dtype.name} != {theirs.dtype}"
        assert tuple(ours.shape) == tuple(theirs.shape)
        numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:
        assert type(ours) is type(theirs) and ours == theirs


VALUES = [[0.5, -1.0, 2.0], [float("nan"), 0.0, -0.0]]
INTS = [[1, -2, 3], [0, 5, 2]]

OPERATORS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("name,make_other", [
    ("tensor", lambda m: m.tensor([[0.5, 1.0, 2.0], [float("nan"), -0.0, 1.0]])),
    ("broadcast_row", lambda m: m.tensor([0.5, 0.0, 2.0])),
    ("broadcast_column", lambda m: m.tensor([[0.0], [1.0]])),
    ("zero_d", lambda m: m.tensor(0.5)),
    ("python_float", lambda m: 0.5),
    ("python_int", lambda m: 2),
    ("float64_tensor", lambda m: m.tensor([0.5, 0.0, 2.0], dtype=m.float64)),
    ("int_tensor", lambda m: m.tensor([0, 0, 2])),
])
def test_comparison_operators_match_torch(op, name, make_other):
    _assert_same(*_pair(lambda m: op(m.tensor(VALUES), make_other(m))))


@pytest.mark.parametrize("function", ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less_equal",
                                      "not_equal", "greater_equal", "less"])
def test_comparison_functions_and_methods_match_torch(function):
    _assert_same(*_pair(lambda m: getattr(m, function)(m.tensor(INTS), 2)))
    _assert_same(*_pair(lambda m: getattr(m.tensor(INTS), function)(m.tensor([1, 5, 3]))))
    _assert_same(*_pair(lambda m: getattr(m.tensor(INTS), function)(1.5)))


def test_reflected_comparisons_match_torch():
    _assert_same(*_pair(lambda m: 1 < m.tensor(INTS)))
    _assert_same(*_pair(lambda m: 0.5 >= m.tensor(VALUES)))
    _assert_same(*_pair(lambda m: 2 == m.tensor(INTS)))


def test_float32_compared_with_a_python_float_in_float32_as_torch():
    _assert_same(*_pair(lambda m: m.tensor([0.1, 0.2]) == 0.1))


def test_comparisons_have_no_gradient_and_no_graph():
    x = minigrad.randn(3, requires_grad=True)
    for result in (x > 0, x == x, x.isnan(), x.isclose(x), (x > 0).any(), ~(x > 0), (x > 0) & (x < 1)):
        assert result.dtype == minigrad.bool and not result.requires_grad and result.grad_fn is None


def test_equality_with_none_or_a_list_is_false_as_torch():
    for m in (minigrad, torch):
        x = m.tensor([1, 2])
        assert (x == None) is False and (x != None) is True  # noqa: E711
        assert (x == [1, 2]) is False


@pytest.mark.parametrize("make", [
    lambda m: m.equal(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0])),
    lambda m: m.equal(m.tensor([1, 2]), m.tensor([1.0, 2.0])),
    lambda m: m.equal(m.tensor([1, 2]), m.tensor([[1, 2]])),
    lambda m: m.equal(m.tensor([1.0, float("nan")]), m.tensor([1.0, float("nan")])),
    lambda m: m.tensor([1, 2]).equal(m.tensor([1, 3])),
    lambda m: m.allclose(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0 + 1e-6])),
    lambda m: m.allclose(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1])),
    lambda m: m.allclose(m.tensor([1.0, 2.0]), m.tensor([[1.0, 2.0]])),
    lambda m: m.tensor([1.0, float("nan")]).allclose(m.tensor([1.0, float("nan")]), equal_nan=True),
    lambda m: m.allclose(m.tensor([100.0]), m.tensor([101.0]), rtol=0.02),
    lambda m: m.isclose(m.tensor([1.0, float("inf"), float("nan"), 2.0]),
                        m.tensor([1.0 + 1e-9, float("inf"), float("nan"), 2.1])),
    lambda m: m.isclose(m.tensor([1.0, float("nan")]), m.tensor([1.0, float("nan")]), equal_nan=True),
    lambda m: m.tensor([1.0, 2.0]).isclose(m.tensor([1.1, 2.0]), atol=0.2),
    lambda m: m.isclose(m.tensor([1, 2]), m.tensor([1, 3])),
])
def test_equal_allclose_isclose_match_torch(make):
    _assert_same(*_pair(make))


@pytest.mark.parametrize("function", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
@pytest.mark.parametrize("values", [[1.0, float("nan"), float("inf"), -float("inf"), 0.0], [1, 2], 3.5])
def test_float_classification_matches_torch(function, values):
    _assert_same(*_pair(lambda m: getattr(m, function)(m.tensor(values))))
    if function in ("isnan", "isinf", "isfinite"):
        _assert_same(*_pair(lambda m: getattr(m.tensor(values), function)()))


@pytest.mark.parametrize("reduction", ["any", "all"])
@pytest.mark.parametrize("values", [[[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]], [[True, False], [True, True]],
                                    [[1, 0], [2, 7]], [[]]])
@pytest.mark.parametrize("args", [{}, {"dim": 0}, {"dim": 1}, {"dim": -1, "keepdim": True},
                                  {"dim": (0, 1)}, {"dim": (0,), "keepdim": True}])
def test_any_all_match_torch(reduction, values, args):
    _assert_same(*_pair(lambda m: getattr(m, reduction)(m.tensor(values), **args)))
    _assert_same(*_pair(lambda m: getattr(m.tensor(values), reduction)(**args)))


def test_any_all_keep_uint8_and_accept_0d_tensors_as_torch():
    _assert_same(*_pair(lambda m: m.tensor([1, 0], dtype=m.uint8).any()))
    _assert_same(*_pair(lambda m: m.tensor([1, 0], dtype=m.uint8).all(0)))
    _assert_same(*_pair(lambda m: m.tensor(2.0).all(0)))
    _assert_same(*_pair(lambda m: m.tensor(0.0).any(dim=0, keepdim=True)))


@pytest.mark.parametrize("function", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("make_other", [
    lambda m: m.tensor([True, False, False]), lambda m: m.tensor([0.0, 2.0, 0.0]),
    lambda m: m.tensor([[1], [0]]),
])
def test_logical_binary_ops_match_torch(function, make_other):
    _assert_same(*_pair(lambda m: getattr(m, function)(m.tensor([1.0, 0.0, -2.0]), make_other(m))))
    _assert_same(*_pair(lambda m: getattr(m.tensor([1, 0, 3]), function)(make_other(m))))


@pytest.mark.parametrize("values", [[1.0, 0.0, -0.5], [0, 3], [True, False]])
def test_logical_not_matches_torch(values):
    _assert_same(*_pair(lambda m: m.logical_not(m.tensor(values))))
    _assert_same(*_pair(lambda m: m.tensor(values).logical_not()))


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor], ids=lambda op: op.__name__)
@pytest.mark.parametrize("name,make_pair", [
    ("bools", lambda m: (m.tensor([True, False, True]), m.tensor([True, True, False]))),
    ("ints", lambda m: (m.tensor([6, 3, -1]), m.tensor([3, 5, 8]))),
    ("int32_int64", lambda m: (m.tensor([6, 3], dtype=m.int32), m.tensor([3, 5]))),
    ("bool_int", lambda m: (m.tensor([True, False]), m.tensor([3, 4]))),
    ("uint8_broadcast", lambda m: (m.tensor([[6], [3]], dtype=m.uint8), m.tensor([1, 2], dtype=m.uint8))),
    ("int_python_bool", lambda m: (m.tensor([1, 2]), True)),
    ("bool_python_int", lambda m: (m.tensor([True, False]), 1)),
    ("python_bool_reflected", lambda m: (True, m.tensor([True, False]))),
    ("python_int_reflected", lambda m: (5, m.tensor([1, 2]))),
])
def test_bitwise_operators_match_torch(op, name, make_pair):
    _assert_same(*_pair(lambda m: op(*make_pair(m))))


@pytest.mark.parametrize("function", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_bitwise_functions_match_torch(function):
    _assert_same(*_pair(lambda m: getattr(m, function)(m.tensor([6, 3]), m.tensor([3, 5]))))
    _assert_same(*_pair(lambda m: getattr(m.tensor([True, False]), function)(m.tensor([True, True]))))


@pytest.mark.parametrize("values", [[True, False], [5, 0, -3], [[1, 2]]])
def test_invert_matches_torch(values):
    _assert_same(*_pair(lambda m: ~m.tensor(values)))
    _assert_same(*_pair(lambda m: m.bitwise_not(m.tensor(values))))


def test_masks_combine_like_torch():
    def make(m):
        x = m.tensor([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]])
        return ((x > 0) & ~(x > 2.5)) | (x == -2.0) ^ (x < -1.5)
    _assert_same(*_pair(make))


# ---- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name,fn", [
    ("isclose_dtypes", lambda m: m.isclose(m.tensor([1, 2]), m.tensor([1.0, 2.0]))),
    ("allclose_dtypes", lambda m: m.allclose(m.tensor([1.0]), m.tensor([1.0], dtype=m.float64))),
    ("bitwise_float", lambda m: m.tensor([1.0, 2.0]) & m.tensor([1.0, 2.0])),
    ("bitwise_float_scalar", lambda m: m.tensor([1, 2]) | 1.5),
    ("invert_float", lambda m: ~m.tensor([1.0, 2.0])),
    ("compare_shapes", lambda m: m.zeros(2, 3) < m.zeros(3, 2)),
    ("any_dim_range", lambda m: m.zeros(2, 3).any(2)),
    ("all_dim_range", lambda m: m.zeros(2, 3).all(-3)),
], ids=lambda case: case if isinstance(case, str) else "")
def test_bad_input_raises_torch_error(name, fn):
    assert_same_module_error(fn)


@pytest.mark.parametrize("target, other", [("tensor(2, dtype=lib.int8)", "tensor(-0.7)"),
                                           ("tensor([True])", "tensor([3])"), ("tensor([3])", "0.5"),
                                           ("tensor([3.0])", "tensor([1])"), ("zeros((0, 3), dtype=lib.int64)", "2"),
                                           ("tensor(1.5)", "tensor([5, 5], dtype=lib.uint8)"),
                                           ("zeros((2, 1, 0), dtype=lib.bool)", "ones((2, 2, 1, 1), dtype=lib.float16)")])
@pytest.mark.parametrize("operator", ["&=", "|=", "^="])
def test_in_place_bitwise_checks_the_result_type_before_the_kernel_as_torch(target, other, operator):
    """fuzz seeds 1662, 1224, 2931: torch checks the broadcast shape, then the promoted type,
    then names the kernel; an empty target has no overlapping elements."""
    def action(lib):
        t = eval(f"lib.{target}", {"lib": lib})
        o = eval(other if other[0].isdigit() else f"lib.{other}", {"lib": lib})
        exec(f"t {operator} o", {"t": t, "o": o})
        return t
    outcomes = []
    for lib in (torch, minigrad):
        try:
            outcomes.append(repr(action(lib).tolist()))
        except Exception as error:
            outcomes.append(f"{type(error).__name__}: {error}")
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("name, other", [("logical_and", 1), ("logical_or", 2.5), ("logical_xor", True),
                                         ("isclose", 1.0), ("logical_and", [1, 0])])
def test_two_tensor_functions_reject_a_number_other_as_torch(name, other):
    assert_same_module_error(lambda m: getattr(m, name)(m.tensor([1.0, 0.0]), other))


@pytest.mark.parametrize("fn", [lambda m: m.isclose(m.zeros(2, 5, 1), m.zeros(5, 2, 2)),
                                lambda m: m.isclose(m.zeros(2), m.zeros(2), rtol=-1),
                                lambda m: m.isclose(m.zeros(2), m.zeros(2), atol=-0.5)])
def test_isclose_shape_and_tolerance_errors_match_torch(fn):
    assert_same_module_error(fn)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("rtol, atol, equal_nan", [(1e-5, 1e-8, False), (1e-5, 1e-8, True), (0, 0, False),
                                                   (0, 0, True), (0.1, 0, False)])
def test_isclose_result_has_torchs_version(dtype, rtol, atol, equal_nan):
    """fuzz seed 334322: torch builds ``isclose`` as ``self == other`` and then ``close |= ...`` in
    place, for equal NaNs (floating inputs) and for the tolerance (unless both are 0): the result's
    version counts those writes, and an in-place error about the result names its version."""
    versions = []
    for lib in (torch, minigrad):
        x = lib.tensor([1, 0], dtype=getattr(lib, dtype))
        versions.append(lib.isclose(x, x, rtol=rtol, atol=atol, equal_nan=equal_nan)._version)
    assert versions[1] == versions[0]


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_float16_against_a_python_float_reads_it_through_float32_as_torch(op):
    # torch makes the number a float16 through float (c10::Half's constructor takes a float), so
    # 1 + 2**-11 + 2**-40 is 1.0 (rounded twice, the float halfway and even); minigrad's NumPy
    # rounded it directly, to 1.0009765625: x == it was True at 1.0009765625 where torch's is at 1.0
    x = [1.0, 1.0009765625, 0.99951171875, 65504.0, -0.0, 2.0]
    for number in [1 + 2 ** -11 + 2 ** -40, 65519.99, 1e-45, 0.1, -0.0, 70000.0]:
        assert_same(lambda lib, number=number: getattr(lib, op)(lib.tensor(x, dtype=lib.float16), number))


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_and_minimum_of_a_number_first_refused_as_torch(op):
    # torch's argument parser refuses a number as input; minigrad promoted it as an operand
    assert_same(lambda lib: getattr(lib, op)(0.1, lib.ones(2, dtype=lib.float16)))
