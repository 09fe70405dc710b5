"""Reductions against torch: dims, keepdim, dtypes, ties, zeros, empty tensors, errors."""
import math
import warnings

import numpy
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_equal_where_torch_rounds_correctly, assert_same, assert_same_error, both

DTYPES = ["float64", "float32"]
DIMS = [None, 0, -1, 1, (0, 2), (-1, 0), [1], (0, 1, 2), ()]


def method(name, *args, **kwargs):
    return lambda x: getattr(x, name)(*args, **kwargs)


def without_empty_dims(dims):
    """torch's amax/logsumexp take () as "all dims" only with keepdim; use None for the rest."""
    return None if dims == () else dims


# ---- sum, mean ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean_over_dims_match_torch(name, dim, keepdim, dtype):
    if dim is None:
        assert_matches_torch(method(name), [(2, 3, 4)], dtype=dtype)
    else:
        assert_matches_torch(method(name, dim, keepdim=keepdim), [(2, 3, 4)], dtype=dtype)
        assert_matches_torch(**both(name, dim=dim, keepdim=keepdim), shapes=[(2, 3, 4)], dtype=dtype)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "logsumexp", "cumsum"])
def test_reductions_on_0d_tensors_match_torch(name):
    assert_matches_torch(method(name, 0), [()])
    assert_matches_torch(method(name, -1), [()])


def test_sum_dtypes_match_torch():
    for values in (numpy.array([1, 2, 3], numpy.int32), numpy.array([True, True, False]),
                   numpy.array([200, 100], numpy.uint8), numpy.array([[1, 2], [3, 4]])):
        assert_matches_torch(method("sum"), inputs=[values])
        assert_matches_torch(method("sum", 0), inputs=[values])
    assert_matches_torch(fn=method("sum", dtype=minigrad.float64), torch_fn=method("sum", dtype=torch.float64),
                         inputs=[numpy.array([1, 2, 3], numpy.int32)])
    assert_matches_torch(fn=method("sum", 0, dtype=minigrad.int64), torch_fn=method("sum", 0, dtype=torch.int64),
                         inputs=[numpy.array([1.5, 2.5])], grad=False)


def test_sum_with_dtype_is_differentiable_like_torch():
    assert_matches_torch(lambda x: x.sum(1, dtype=minigrad.float64),
                         torch_fn=lambda x: x.sum(1, dtype=torch.float64), shapes=[(3, 4)], dtype="float32")
    assert_matches_torch(lambda x: x.mean(dtype=minigrad.float64),
                         torch_fn=lambda x: x.mean(dtype=torch.float64), shapes=[(3, 4)], dtype="float32")


def test_mean_of_integers_raises_like_torch_unless_dtype_given():
    assert_same_error(method("mean"), numpy.array([1, 2]))
    assert_same_error(method("mean"), numpy.array([1, 2], numpy.int32))
    out = minigrad.tensor([1, 2]).mean(dtype=minigrad.float32)
    assert out.dtype == minigrad.float32 and out.item() == 1.5


def test_empty_tensors_reduce_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches_torch(method("sum"), inputs=[numpy.zeros((0, 3))])
        assert_matches_torch(method("sum", 0), inputs=[numpy.zeros((0, 3))])
        assert_matches_torch(method("mean"), inputs=[numpy.zeros((0, 3))])
        assert_matches_torch(method("mean", 0), inputs=[numpy.zeros((0, 3))])
        assert_matches_torch(method("prod"), inputs=[numpy.zeros((0, 3))])
        assert_matches_torch(method("amax", 1), inputs=[numpy.zeros((0, 3))])
    for name in ["max", "amax", "argmax", "min", "amin", "argmin"]:
        assert_same_error(method(name), numpy.zeros((0, 3)))
    assert_same_error(method("max", 0), numpy.zeros((0, 3)))
    assert_same_error(method("argmin", 0), numpy.zeros((0, 3)))


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "var", "std", "logsumexp", "norm"])
def test_dim_errors_match_torch(name):
    dims = {"norm": {"dim": 5}}.get(name, {})
    assert_same_error(lambda x: getattr(x, name)(5) if not dims else x.norm(**dims), numpy.ones((2, 3)))
    assert_same_error(lambda x: getattr(x, name)(-3) if not dims else x.norm(dim=-3), numpy.ones((2, 3)))
    assert_same_error(lambda x: getattr(x, name)((0, -2)) if not dims else x.norm(dim=(0, -2)),
                      numpy.ones((2, 3)))


def test_dim_out_of_range_message_names_the_range():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"):
        minigrad.ones(2, 3).sum(5)
    for name in ["prod", "max", "min", "argmax", "argmin", "cumsum"]:
        assert_same_error(method(name, 5), numpy.ones((2, 3)))


# ---- cumsum ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_matches_torch(dim, dtype):
    assert_matches_torch(**both("cumsum", dim), shapes=[(3, 4, 2)], dtype=dtype)
    assert_matches_torch(method("cumsum", dim=dim), shapes=[(5, 3)], dtype=dtype)


def test_cumsum_dtypes_match_torch():
    assert_matches_torch(method("cumsum", 0), inputs=[numpy.array([1, 2, 3], numpy.int32)])
    assert_matches_torch(method("cumsum", 0), inputs=[numpy.array([200, 100], numpy.uint8)])
    assert_matches_torch(fn=method("cumsum", 0, dtype=minigrad.float64),
                         torch_fn=method("cumsum", 0, dtype=torch.float64), shapes=[(4,)], dtype="float32")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, dim", [((2,), 0), ((2, 1), 1), ((1, 2), 1), ((), 0), ((3, 2), 0)])
def test_cumsum_signed_zeros_match_torch(shape, dim, dtype):
    """fuzz seed 251958: torch's running sum starts from +0, so a -0 comes out +0 in the values and in
    the gradient (a reversed cumsum), but for a 0-d input and a gradient of one element along the
    axis, which torch passes on as they are; also in a backward recorded as a graph."""
    def run(lib):
        x = lib.full(shape, -0.0, dtype=getattr(lib, dtype), requires_grad=True)
        y = x.cumsum(dim)
        grad, = lib.autograd.grad((y * x).sum(), x, create_graph=True)
        (first,) = lib.autograd.grad(y, x, lib.full(shape, -0.0, dtype=x.dtype))
        second, = lib.autograd.grad(grad, x, lib.full(shape, -0.0, dtype=x.dtype))
        return [numpy.signbit(t.detach().numpy()).tolist() for t in (y, grad, first, second)]
    assert run(minigrad) == run(torch)


# ---- var, std ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), [1, 2]], ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_over_dims_match_torch(name, dim, keepdim, dtype):
    assert_matches_torch(method(name, dim, keepdim=keepdim), [(3, 4, 5)], dtype=dtype)
    assert_matches_torch(**both(name, dim, keepdim=keepdim), shapes=[(3, 4, 5)], dtype=dtype)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("arguments", [
    ((), {"correction": 0}), ((), {"correction": 2}), ((1,), {"correction": 0}), ((1,), {"unbiased": False}),
    ((True,), {}), ((False,), {}), ((1, True, True), {}), ((1, False), {}), (((0, 1),), {"correction": 3}),
    ((), {"dim": 1, "unbiased": True, "keepdim": True}), ((), {"dim": None, "correction": 1}),
], ids=str)
def test_var_std_corrections_and_legacy_unbiased_match_torch(name, arguments):
    args, kwargs = arguments
    assert_matches_torch(method(name, *args, **kwargs), [(4, 5)])
    assert_matches_torch(**both(name, *args, **kwargs), shapes=[(4, 5)])


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_degenerate_cases_match_torch(name):
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert_matches_torch(method(name), inputs=[numpy.array([1.5])])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert_matches_torch(method(name, correction=2), inputs=[numpy.array([1.0, 2.0])])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert_matches_torch(method(name, 1, correction=3), inputs=[numpy.array([[1.0, 2.0], [3.0, 3.0]])])
    # a constant input: std has a zero gradient there in torch (not nan)
    assert_matches_torch(method(name, 1), inputs=[numpy.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])])


def test_var_std_errors_match_torch():
    assert_same_error(method("var"), numpy.array([1, 2]))
    assert_same_error(method("std"), numpy.array([1, 2]))
    with pytest.raises(TypeError):
        minigrad.ones(3, 4).var(1, unbiased=True, correction=0)


# ---- prod -----------------------------------------------------------------------------------------
ZEROS = {
    "none": numpy.array([[1.5, -2.0, 0.5], [0.7, 1.2, -1.1]]),
    "one_zero": numpy.array([[1.5, 0.0, 0.5], [0.7, 1.2, -1.1]]),
    "two_zeros": numpy.array([[0.0, 0.0, 0.5], [0.0, 1.2, -1.1]]),
    "all_zero": numpy.zeros((2, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(ZEROS))
def test_prod_gradient_with_zeros_matches_torch(case, dtype):
    values = ZEROS[case].astype(dtype)
    assert_matches_torch(method("prod"), inputs=[values])
    for dim in (0, 1, -1):
        assert_matches_torch(method("prod", dim), inputs=[values])
        assert_matches_torch(**both("prod", dim, keepdim=True), inputs=[values])


@pytest.mark.parametrize("dtype", DTYPES)
def test_prod_random_matches_torch(dtype):
    assert_matches_torch(method("prod", 1), [(3, 6, 2)], dtype=dtype, low=0.5, high=1.5)
    assert_matches_torch(method("prod"), [(2, 3, 2)], dtype=dtype, low=-1.5, high=1.5)


def test_half_precision_prod_rounds_each_product_as_torch():
    """fuzz seed 47978: torch multiplies float16 in float16 (60000 * -60000 is -inf, times 0 NaN;
    300 * 300 is inf), where NumPy's prod keeps the running product in float32."""
    def products(lib):
        outputs = []
        for values in ([60000.0, -60000.0, 0.0], [300.0, 300.0, 1e-3], [[-9.8, -60.2], [60000.0, -0.0]]):
            x = lib.tensor(values, dtype=lib.float16, requires_grad=True)
            x.prod().backward()
            outputs += [x.prod(), x.grad, x.prod(-1)]
        return outputs
    assert_same(products)


LAYOUTS = {
    "contiguous": lambda x: x,
    "transposed": lambda x: x.t(),
    "every_other": lambda x: x[:, ::2],
    "cut_rows": lambda x: x[:, :-3],
    "expanded": lambda x: x[:, :1].expand(-1, 140),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_prod_multiplies_in_torchs_order(layout, dtype):
    """torch's CPU prod (binary_kernel_reduce_vec) multiplies a row of adjacent elements in four
    32-byte vectors, lane by lane, then the lanes in turn and the rest of the row one by one; other
    rows one element at a time: the rounding of each product follows, bit for bit."""
    values = numpy.random.default_rng(7).uniform(0.8, 1.25, (3, 140)) * numpy.array([1.0, -1.0] * 210).reshape(3, 140)

    def products(lib):
        x = LAYOUTS[layout](lib.tensor(values, dtype=getattr(lib, dtype)))
        return [x.prod().numpy().tolist(), x.prod(0).numpy().tolist(), x.prod(-1, keepdim=True).numpy().tolist()]
    assert products(minigrad) == products(torch)


def test_prod_dtypes_and_errors_match_torch():
    assert_matches_torch(method("prod"), inputs=[numpy.array([1, 2, 3], numpy.int32)])
    assert_matches_torch(method("prod", 0), inputs=[numpy.array([True, False])])
    assert_matches_torch(fn=method("prod", dtype=minigrad.float64), torch_fn=method("prod", dtype=torch.float64),
                         shapes=[(3,)], dtype="float32")
    with pytest.raises(TypeError, match="prod"):
        minigrad.ones(2, 3).prod((0, 1))


# ---- max, min, amax, amin ---------------------------------------------------------------------------
TIED = numpy.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 2.0, -1.0, 2.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_full_max_min_split_gradient_among_ties_like_torch(name, dtype):
    assert_matches_torch(**both(name), inputs=[TIED.astype(dtype)])
    assert_matches_torch(method(name), inputs=[numpy.array([2.0, 7.0, 7.0, 7.0], dtype)])
    assert_matches_torch(method(name), [(3, 5)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim_match_torch(name, dim, keepdim, dtype):
    assert_matches_torch(method(name, dim, keepdim), inputs=[TIED.astype(dtype)])
    assert_matches_torch(method(name, dim=dim, keepdim=keepdim), [(3, 4, 5)], dtype=dtype)
    assert_matches_torch(**both(name, dim, keepdim=keepdim), shapes=[(4, 3)], dtype=dtype)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim_return_a_named_tuple_like_torch(name):
    x = minigrad.tensor([[1.0, 5.0, 5.0], [4.0, 2.0, 4.0]], requires_grad=True)
    result = getattr(x, name)(1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert result[0] is values and result[1] is indices and len(result) == 2
    assert type(result).__name__ == name
    expected = getattr(torch.tensor(x.tolist()), name)(1)
    assert indices.dtype == minigrad.int64 and indices.tolist() == expected.indices.tolist()
    assert repr(result).startswith(f"minigrad.return_types.{name}(\nvalues=tensor(")
    assert isinstance(result, minigrad.return_types.max if name == "max" else minigrad.return_types.min)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_a_tensor_is_elementwise_like_torch(name):
    assert_matches_torch(**both(name), shapes=[(4, 1), (4, 5)])
    assert_matches_torch(lambda a, b: getattr(a, name)(b), inputs=[TIED, numpy.full(4, 0.5)])


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim_give_the_element_at_the_index_signed_zero_too_like_torch(name, dim, dtype):
    """fuzz seed 412240: torch's max(dim)/min(dim) value is the first extreme's element, so the max of
    [0., -0.] is 0. (index 0) and of [-0., 0.] -0.; NumPy's max gave -0. for both, and log_ of it, then
    backward, an infinity of the other sign."""
    values = numpy.array([[0.0, -0.0, -1.0], [-0.0, 0.0, 1.0], [-0.0, -0.0, 0.0], [0.0, 0.0, -0.0]])
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        result = getattr(x, name)(dim)
        (1 / result.values).sum().backward()
        results.append((result.values.detach().numpy(), result.indices.numpy(), x.grad.numpy()))
    for mine, theirs in zip(results[1], results[0]):
        numpy.testing.assert_array_equal(numpy.signbit(mine), numpy.signbit(theirs))
        numpy.testing.assert_array_equal(mine, theirs)


def test_max_on_0d_tensor_matches_torch():
    assert_matches_torch(method("max", 0), [()])
    assert_matches_torch(method("min", -1, True), [()])
    assert_matches_torch(method("max"), [()])


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_nan_propagates_like_torch(name):
    values = numpy.array([[1.0, numpy.nan, 3.0], [4.0, 5.0, 6.0]])
    with numpy.errstate(invalid="ignore"):
        assert_matches_torch(method(name), inputs=[values])
        assert_matches_torch(method(name, 1), inputs=[values])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, (0, 1), (-1,), [1, 0]], ids=str)
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_split_gradient_among_ties_like_torch(name, dim, keepdim, dtype):
    assert_matches_torch(method(name, dim, keepdim), inputs=[TIED.astype(dtype)])
    assert_matches_torch(**both(name, dim=dim, keepdim=keepdim), shapes=[(3, 4, 2)], dtype=dtype)


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_default_reduces_everything_like_torch(name):
    assert_matches_torch(method(name), inputs=[TIED])
    assert_matches_torch(method(name, (), True), inputs=[TIED])


def test_amax_with_integers_matches_torch():
    assert_matches_torch(method("amax", 1), inputs=[numpy.array([[1, 5, 2], [7, 7, 0]])])
    assert_matches_torch(method("max", 1), inputs=[numpy.array([[1, 5, 2], [7, 7, 0]])])
    assert_matches_torch(method("max"), inputs=[numpy.array([True, False])])


# ---- argmax, argmin ---------------------------------------------------------------------------
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_take_the_first_tie_like_torch(name, dim, keepdim):
    assert_matches_torch(method(name, dim, keepdim), inputs=[TIED])
    assert_matches_torch(**both(name, dim=dim, keepdim=keepdim), shapes=[(3, 4, 5)])


def test_argmax_with_nan_and_0d_matches_torch():
    assert_matches_torch(method("argmax"), inputs=[numpy.array([1.0, numpy.nan, 3.0, numpy.nan])])
    assert_matches_torch(method("argmin", 0), inputs=[numpy.array([1.0, numpy.nan, 3.0])])
    assert_matches_torch(method("argmax", 0), [()])
    assert_matches_torch(method("argmax"), [()])


# ---- norm --------------------------------------------------------------------------------------
NORM_P = ["fro", 2, 1, 3, 1.5, 0.5, math.inf, -math.inf, 0, -1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [None, 1, (0, 1), -1], ids=str)
@pytest.mark.parametrize("p", NORM_P, ids=str)
def test_norm_matches_torch(p, dim, dtype):
    assert_matches_torch(method("norm", p, dim), [(3, 4)], dtype=dtype)
    assert_matches_torch(**both("norm", p=p, dim=dim, keepdim=True), shapes=[(2, 3, 2)], dtype=dtype)


@pytest.mark.parametrize("p", NORM_P, ids=str)
def test_norm_gradient_at_zero_and_ties_matches_torch(p):
    values = numpy.array([[0.0, 0.0, 0.0], [0.0, -2.0, 2.0], [1.0, 0.0, -1.0]])
    with numpy.errstate(divide="ignore"):
        assert_matches_torch(method("norm", p, 1), inputs=[values])
        assert_matches_torch(method("norm", p), inputs=[numpy.zeros(4)])


@pytest.mark.parametrize("p", [2, 3, 1.5])
def test_norm_gradient_keeps_a_nan_gradient_where_the_norm_is_0(p):
    # torch's p = 2: grad * (x / norm).masked_fill(norm == 0, 0), so NaN * 0 is NaN there
    def action(lib):
        x = lib.tensor([[0.0, 0.0], [1.0, 2.0]], requires_grad=True)
        x.norm(p, 1).backward(lib.tensor([float("nan"), 1.0]))
        return x.grad.tolist()
    if p == 1.5:    # |x| ** 0.5 is torch's sqrt: not IEEE's on every CPU (the NaNs are the point here)
        assert_equal_where_torch_rounds_correctly(action(minigrad), action(torch), dtype=numpy.float32)
        return
    assert_same(action)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_gradient_multiply_the_gradient_first_as_torch(name):
    # torch: (2 / (N - correction)) * grad * (x - mean); 2 (x - mean) first overflows float16 to inf * 0
    def action(lib):
        x = lib.tensor([[187.8, 104.7, -113.1], [43.9, -93.9, 60000.0], [150.6, -154.7, 50.0]], dtype=lib.float16,
                       requires_grad=True)
        getattr(x, name)(0, correction=2).backward(lib.tensor([0.5, -0.7, 0.08], dtype=lib.float16))
        return x.grad.tolist()
    assert_same(action)


def test_norm_errors_and_dtype_match_torch():
    assert_same_error(method("norm"), numpy.array([1, 2]))
    assert_matches_torch(fn=method("norm", dtype=minigrad.float64), torch_fn=method("norm", dtype=torch.float64),
                         shapes=[(3,)], dtype="float32")


# ---- property tests: random shapes and dims against torch ----------------------------------------------
@st.composite
def shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                         unique_by=lambda d: d % len(shape)))
    dim = dims[0] if draw(st.booleans()) else tuple(dims)
    return shape, dim, draw(st.booleans())


PROPERTY_OPS = {
    "sum": lambda x, dim, keepdim: x.sum(dim, keepdim),
    "mean": lambda x, dim, keepdim: x.mean(dim, keepdim),
    "amax": lambda x, dim, keepdim: x.amax(dim, keepdim),
    "amin": lambda x, dim, keepdim: x.amin(dim, keepdim),
    "var": lambda x, dim, keepdim: x.var(dim, keepdim=keepdim),
    "std": lambda x, dim, keepdim: x.std(dim, keepdim=keepdim, correction=0),
    "logsumexp": lambda x, dim, keepdim: x.logsumexp(dim, keepdim),
    "norm": lambda x, dim, keepdim: x.norm(2, dim, keepdim),
}


@pytest.mark.parametrize("name", sorted(PROPERTY_OPS))
@settings(max_examples=15, deadline=None)
@given(case=shape_and_dims(), seed=st.integers(0, 1000))
def test_reductions_match_torch_on_random_shapes_and_dims(name, case, seed):
    shape, dim, keepdim = case
    op = PROPERTY_OPS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # var of one element: torch and minigrad both warn
        assert_matches_torch(lambda x: op(x, dim, keepdim), [shape], seed=seed)


@settings(max_examples=20, deadline=None)
@given(case=shape_and_dims(), seed=st.integers(0, 1000))
def test_max_argmax_along_a_dim_match_torch_on_random_shapes(case, seed):
    shape, dim, keepdim = case
    axis = dim if isinstance(dim, int) else dim[0]
    values = numpy.random.default_rng(seed).integers(0, 3, size=shape).astype(float)   # many ties
    assert_matches_torch(lambda x: x.max(axis, keepdim), inputs=[values])
    assert_matches_torch(lambda x: x.argmin(axis, keepdim), inputs=[values])
    assert_matches_torch(lambda x: x.amax(dim, keepdim), inputs=[values])


def test_grad_fn_names_follow_torch():
    def names(lib):
        x = lib.ones(3, 4, requires_grad=True)
        outputs = [x.sum(), x.sum(1), x.mean(), x.mean(1), x.prod(), x.prod(1), x.max(), x.min(),
                   x.max(1).values, x.min(0)[0], x.amax(1), x.amin(), x.var(), x.std(1), x.norm(), x.cumsum(0),
                   x.logsumexp(1), x.softmax(1), x.log_softmax(0)]
        return [type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name() for y in outputs]
    assert names(minigrad) == names(torch)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin",
                                  "argmax", "argmin", "logsumexp"])
def test_numpy_spellings_axis_and_keepdims_work_as_in_torch(name):
    assert_matches_torch(method(name, axis=1), [(3, 4)])
    assert_matches_torch(method(name, axis=0, keepdims=True), [(3, 4)])
    assert_matches_torch(**both(name, axis=-1, keepdim=True), shapes=[(2, 3)])


def test_cumsum_needs_a_dim_like_torch():
    assert_matches_torch(method("cumsum", axis=1), [(3, 4)])
    assert_same_error(lambda x: x.cumsum(), numpy.ones(3))
    assert_same_error(lambda x: x.logsumexp(), numpy.ones(3))


@pytest.mark.parametrize("name,args", [("sum", (1,)), ("mean", ()), ("var", (1,)), ("std", ()), ("norm", ()),
                                       ("amax", (1,)), ("max", (1,)), ("prod", (1,)), ("cumsum", (1,))], ids=str)
def test_float16_matches_torch(name, args):
    assert_matches_torch(method(name, *args), [(4, 6)], dtype="float16")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_matches_torch(dim, dtype):
    assert_matches_torch(**both("cumprod", dim), shapes=[(3, 5)], dtype=dtype)


def test_cumprod_gradient_with_zeros_matches_torch():
    values = numpy.array([[1.5, 0.0, 2.0, 0.0, 3.0], [1.0, 2.0, 0.0, 4.0, 5.0], [0.0, 0.0, 2.0, 1.0, 3.0]])
    assert_matches_torch(lambda x: x.cumprod(1), inputs=[values])
    assert_matches_torch(lambda x: x.cumprod(0), inputs=[values])
    assert_matches_torch(lambda x: x.cumprod(0), inputs=[numpy.array(2.5)])
    assert_matches_torch(lambda x: x.cumprod(0), inputs=[numpy.array([3, 0, 2])])


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True},
                                    {"dim": 1, "correction": 0}, {"dim": 1, "unbiased": False}])
def test_var_mean_std_mean_match_torch(name, kwargs):
    assert_matches_torch(**both(name, **kwargs), shapes=[(2, 3, 4)])


def test_var_mean_float32_and_positional_unbiased():
    assert_matches_torch(**both("std_mean", 0, False), shapes=[(4, 3)], dtype="float32")
    result = minigrad.var_mean(minigrad.ones(3))
    assert isinstance(result, tuple) and len(result) == 2


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_count_nonzero_matches_torch(dim):
    values = numpy.array([[0.0, 1.0, 2.0], [0.0, 0.0, -1.0]])
    assert_matches_torch(**both("count_nonzero", dim), inputs=[values], grad=False)
    assert_matches_torch(**both("count_nonzero", dim), inputs=[values.astype(bool)], grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, dim", [(1, -1), (2, 0), (3, 1), (0, 1), (7, 1)])
def test_diff_matches_torch(n, dim, dtype):
    assert_matches_torch(lambda x: x.diff(n, dim), [(4, 5)], dtype=dtype)


def test_diff_with_prepend_append_and_bool():
    assert_matches_torch(lambda x, p, a: x.diff(2, 0, prepend=p, append=a), [(3, 4), (1, 4), (2, 4)])
    assert_matches_torch(**both("diff"), inputs=[numpy.array([True, False, False, True])])
    assert_matches_torch(**both("diff"), inputs=[numpy.array([1, 4, 9, 16])])


def test_diff_of_scalar_is_refused_like_torch():
    assert_same_error(lambda x: x.diff(), numpy.array(1.0))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, dim", [((2,), None), ((2,), 0), ((), None), ((0, 2), 1)])
def test_argmax_argmin_reject_bools_as_torch(name, shape, dim):
    assert_same(lambda m: getattr(m, name)(m.zeros(shape, dtype=m.bool), dim))


def test_argmax_along_the_only_dim_is_a_0d_tensor():
    for module in (minigrad, torch):
        x = module.tensor([1.0, 3.0, 2.0])
        result = module.argmax(x, 0)
        result += 1                     # a real 0-d tensor, which works in place like torch's
        assert result.shape == () and result.item() == 2 and repr(result) == "tensor(2)"


@pytest.mark.parametrize("name", ["var", "std"])
def test_half_precision_var_and_std_accumulate_in_float32_as_torch(name):
    """The squares of float16 deviations overflow float16 when summed; torch sums them in float32."""
    values = [[72.8, -127.7, -51.3], [180.2, -67.7, 72.5], [151.3, -9.8, -209.0]]
    ours = getattr(minigrad.tensor(values, dtype=minigrad.float16), name)()
    theirs = getattr(torch.tensor(values, dtype=torch.float16), name)()
    assert ours.dtype == minigrad.float16
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype, values", [("float32", [3e38, 3e38, -3e38, 1e-30]), ("float32", [1e30, 1e30, 1e-30, -2.0]),
                                           ("float16", [60000.0, 60000.0, -60000.0, 1e-3]),
                                           ("float16", [1000.0, 1000.0, 1e-3, 2.0])])
def test_running_sums_and_products_accumulate_wide_as_torch(name, dtype, values):
    """torch's CPU cumsum/cumprod keep the running value in float64 (float32 for half): a running
    total that overflows the dtype for a moment still ends finite."""
    ours = getattr(minigrad, name)(minigrad.tensor(values, dtype=getattr(minigrad, dtype)), 0)
    theirs = getattr(torch, name)(torch.tensor(values, dtype=getattr(torch, dtype)), 0)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3)


@pytest.mark.parametrize("values", [[-float("inf"), -123.4, -3.4], [-114.4, -3e38, 3e38], [2.0, 0.0, 3.0, 0.0, 5.0],
                                    [0.0, float("inf"), 2.0]])
def test_cumprod_gradient_is_torchs_at_zeros_and_infinities(values):
    """torch: reversed cumsum of grad * out, divided by x; at the first zero the product of the
    others; after it exactly 0."""
    grads = []
    for module in (minigrad, torch):
        x = module.tensor(values, requires_grad=True)
        module.cumprod(x, 0).backward(module.tensor([0.5, -1.5, 2.0, 1.0, -1.0][:len(values)]))
        grads.append(x.grad.numpy())
    numpy.testing.assert_allclose(*grads, rtol=1e-6)


def test_float32_std_of_huge_equal_values_is_zero_as_torch():
    """torch accumulates float32 in float64: the mean of [3e38, 3e38] does not overflow."""
    values = [[3e38, 3e38], [0.3, -0.3]]
    ours = minigrad.tensor(values).std(1, correction=0)
    theirs = torch.tensor(values).std(1, correction=0)
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, shape, dim", [
    (name, shape, dim) for name in ("amax", "amin") for shape, dim in
    [((0, 2, 3), -3), ((0, 2, 3), (1, -3)), ((2, 0, 3), (-2, 0)), ((0, 2), 0)]] + [
    (name, shape, dim) for name in ("max", "argmax") for shape, dim in [((0, 2, 3), -3), ((0, 2), 0)]])
def test_reducing_an_empty_dim_names_it_as_torch(name, shape, dim):
    """amax/amin print the dim as written (-3); max/argmax print the axis (0)."""
    assert_same(lambda m: getattr(m, name)(m.zeros(shape), dim))


@pytest.mark.parametrize("values, dim", [([1e308, 1e308], 0), ([1e308, 1e308], None), ([[1e200, 1e200], [2.0, 3.0]], 1),
                                         ([[0.0, 1e308], [1e308, 2.0]], 1)])
def test_prod_gradient_is_torchs_result_over_input_without_zeros(values, dim):
    """torch: grad * (prod / x) when nothing is zero (inf where the product overflows); with a zero
    the product of the others."""
    grads = []
    for module in (minigrad, torch):
        x = module.tensor(values, dtype=module.float64, requires_grad=True)
        (x.prod() if dim is None else x.prod(dim)).sum().backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("p", [2, 3, 1, float("inf"), 0])
def test_half_precision_norm_sums_in_float32_as_torch(p):
    """300^2 + 300^2 overflows float16; torch sums the powers in float32 and rounds the norm."""
    assert_same(lambda m: m.tensor([300.0, 300.0, 1.0], dtype=m.float16).norm(p))


def test_half_precision_sum_accumulates_in_float32_as_torch():
    """A float16 running sum of 3000 ones stops at 2048 (2049 is not a float16); torch's float32 one does not."""
    assert_same(lambda m: m.ones(3000, 3, dtype=m.float16).sum(0))
    assert_same(lambda m: m.tensor([[60000.0, 60000.0, -60000.0], [1.0, 2.0, 3.0]], dtype=m.float16).sum(1))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_var_over_dims_whose_two_passes_overflow_is_torchs_welford(name, dtype):
    """fuzz seeds 108453, 199693: over given dims torch runs Welford's update, element by element:
    [-1e308, -1e308] has variance 0 (the two-pass mean overflows to -inf: NaN), [-1e308, 1e308]
    -inf (its running mean overflows), [1e308, -inf] NaN; in float32 the float64 accumulation of
    [3e38, -3e38] does not overflow.  No NumPy warning, as torch."""
    inf = float("inf")
    big = 1e308 if dtype == "float64" else 3e38
    rows = [[-big, -big], [big, -inf], [big, big], [-big, big], [1e200, 1e200], [0.5, -1.0], [1e200, -1e200]]
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(rows, dtype=getattr(lib, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for out in (getattr(lib, name)(x, 1), getattr(lib, name)(x.T, 0, keepdim=True),
                        getattr(lib, name)(x.reshape(7, 1, 2), (1, 2), correction=0)):
                results.append(out.numpy())
    for expected, actual in zip(results[:3], results[3:]):
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        numpy.testing.assert_allclose(actual, expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("dim", [None, -1, 0, (0, 1)], ids=str)
@pytest.mark.parametrize("correction", [0, 1, 3])
def test_var_with_one_output_is_two_pass_but_var_mean_welford_as_torch(name, dtype, dim, correction):
    """fuzz seed 656493: where var/std have one float32/float64 output (over all elements, or over
    dims holding them all) torch's std_var_all_cpu takes two passes: [-1e308, 1e308, 0.646544]
    has variance inf (minigrad recomputed it by Welford's updates: NaN); var_mean and std_mean
    always update Welford's (NaN), several outputs too."""
    big = 1e308 if dtype == "float64" else 3e38
    for rows in ([[-big, big, 0.646544]], [[-big, big, 0.5], [1.0, 2.0, 3.0]], [[big, big, big]]):
        def action(lib):
            x = lib.tensor(rows, dtype=getattr(lib, dtype))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # (degrees of freedom <= 0)
                out = getattr(lib, name)(x, dim, correction=correction)
            return [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
        for expected, actual in zip(action(torch), action(minigrad)):
            assert actual.shape == expected.shape and actual.dtype == expected.dtype
            numpy.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_float32_std_over_all_elements_takes_the_float32_mean_as_torch():
    """Over all elements torch's mean is float32 (inf for [3e38, 3e38]), so the std is inf."""
    for values in ([3e38, 3e38], [1.0, 2.0, 3.5]):
        numpy.testing.assert_allclose(minigrad.tensor(values).std().numpy(), torch.tensor(values).std().numpy())


def test_prod_of_all_with_two_zeros_has_a_zero_gradient_as_torch():
    """torch's full prod backward: with more than one zero every gradient is 0, NaNs elsewhere or not."""
    grads = []
    for module in (minigrad, torch):
        x = module.tensor([[0.0, -0.17, 0.0], [float("nan"), 2.0, 3.0]], dtype=module.float64, requires_grad=True)
        x.prod().backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("value", [float("inf"), -float("inf"), 2.5])
@pytest.mark.parametrize("shape, dim", [((), 0), ((), None), ((1,), None)], ids=str)
def test_var_gradient_without_degrees_of_freedom_compares_x_with_its_mean_as_torch(shape, dim, value, dtype):
    """fuzz seed 135725: with N <= correction torch's var backward is grad * where(x == mean, nan, inf);
    an infinite x equals its mean (nan), though x - mean is nan too."""
    grads = []
    for lib in (torch, minigrad):
        x = lib.tensor(value, dtype=getattr(lib, dtype)).reshape(shape).requires_grad_()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # degrees of freedom <= 0
            for correction in (1, 2):
                (x * 1).var(dim, correction=correction).sum().backward()
                grads.append(x.grad.numpy().copy())
    numpy.testing.assert_array_equal(grads[:2], grads[2:])


@pytest.mark.parametrize("dtype, big", [("float32", 3e38), ("float64", 1e308)])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradient_with_a_zero_accumulates_the_products_of_others_wide_as_torch(dim, dtype, big):
    """fuzz seed 175163: with a zero torch's gradient is the product of the others, as two cumprods
    that keep float32 running values in float64: -3e38 * -3e38 * 0 is 0 there (float64: 1e308 * 1e308
    is inf, times 0 NaN), and a product that overflows only the dtype is inf, not NaN."""
    values = [[-0.644, 0.105, -big, -0.524], [0.839, -0.0, -big, 1.346], [0.766, -big, -2.128, -big]]
    grads = []
    for lib in (torch, minigrad):
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        (x.prod() if dim is None else x.prod(dim)).sum().backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("shape, dim", [((3, 3, 2, 1), 0), ((3, 2), 0), ((2, 3), 1), ((3,), 0), ((3, 1), 0), ((3, 2), None)])
def test_std_of_equal_values_is_torchs_zero_or_rounding_and_so_is_its_gradient(shape, dim):
    """fuzz seed 304730: torch's Welford mean of three -0.4s is -0.4 (std 0, gradient masked to 0)
    where a reduction leaves several results; one result takes its two passes (std 6.8e-17)."""
    results = []
    for lib in (torch, minigrad):
        x = lib.full(shape, -0.4, dtype=lib.float64, requires_grad=True)
        std = x.std() if dim is None else x.std(dim)
        std.sum().backward()
        results.append((std.detach().numpy(), x.grad.numpy()))
    numpy.testing.assert_array_equal(results[1][0], results[0][0])
    numpy.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-9)


def test_an_activations_gradient_through_cumsum_at_nan_is_torchs():
    # cumsum's backward flips back into a copy, as torch's flip: a view of negative strides would send
    # selu's backward at NaN down torch's scalar loop (the gradient passes) instead of its vectors (NaN)
    def action(lib):
        values = numpy.arange(16, dtype=float).reshape(2, 8) / 7 - 1
        values[1, 1] = math.nan
        x = lib.tensor(values.tolist(), dtype=lib.float64, requires_grad=True)
        weight = lib.tensor((numpy.arange(16).reshape(2, 8) % 5 - 2.0).tolist(), dtype=lib.float64)
        (lib.nn.functional.selu(x).cumsum(-1) * weight).sum().backward()
        return x.grad.isnan().tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_mean_of_nothing_is_torchs_negative_nan(dtype):
    """torch's mean of no values is 0 / 0, x86's default NaN, whose sign bit is set (fuzz seed 50163806:
    signbit of the mean of an empty tensor, then 5 // it, was 5 // True in torch, a division by 0 here)."""
    results = []
    for lib in (torch, minigrad):
        empty = lib.zeros(2, 0, dtype=getattr(lib, dtype))
        results.append([numpy.signbit(result.numpy()).tolist() for result in (empty.mean(), empty.mean(1))])
    assert results[1] == results[0]


def test_cumprod_gradient_of_half_precision_with_zeros_accumulates_as_torch():
    """torch's cumprod_backward takes a cumprod and a sum of half tensors, which its kernels accumulate
    in float32 (each result rounded to half): a running product past float16's range comes back
    within it, and the gradient at the first zero is inf where float16 accumulation met inf - inf
    (fuzz seed 8345236).  300 random rows with zeros, float16, float32 and float64."""
    rng = numpy.random.default_rng(0)
    for dtype, scale, rtol, atol in (("float16", 300, 2e-3, 1e-3), ("float32", 3, 1e-5, 1e-7), ("float64", 3, 1e-9, 1e-12)):
        for trial in range(300):
            x = rng.uniform(-scale, scale, 6).astype(dtype)
            x[rng.integers(0, 6, 1 + trial % 2)] = 0
            weights = rng.standard_normal(6)
            grads = []
            for lib in (torch, minigrad):
                t = lib.tensor(x, requires_grad=True)
                (lib.cumprod(t, 0).double() * lib.tensor(weights)).sum().backward()
                grads.append(t.grad.numpy().astype(numpy.float64))
            numpy.testing.assert_allclose(grads[1], grads[0], rtol=rtol, atol=atol, err_msg=f"{dtype} {x}")
