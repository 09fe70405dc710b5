"""More torch ops against torch: trig/hyperbolic, trunc/frac, atan2, logaddexp, hypot, lerp,
addcmul/addcdiv, nan_to_num, in-place forms, cumprod, var_mean/std_mean, count_nonzero, diff,
repeat_interleave, meshgrid, unique, bincount, and the stride/contiguity queries."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same_error, both

DTYPES = ["float64", "float32"]

# name: (low, high) of the inputs, inside the function's domain
UNARY = {"tan": (-1.2, 1.2), "atan": (-3, 3), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
         "sinh": (-2, 2), "cosh": (-2, 2), "trunc": (-3, 3), "frac": (-3, 3), "nan_to_num": (-3, 3),
         "arctan": (-3, 3), "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "fix": (-3, 3)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name, dtype):
    low, high = UNARY[name]
    assert_matches_torch(**both(name), shapes=[(3, 4)], dtype=dtype, low=low, high=high)
    assert_matches_torch(lambda x: getattr(x, name)(), [()], low=low, high=high, seed=1)


@pytest.mark.parametrize("name", ["tan", "atan", "asin", "sinh", "cosh"])
def test_integer_input_gives_default_float(name):
    assert_matches_torch(**both(name), inputs=[numpy.array([0, 1, -1])])


def test_trunc_frac_at_integers_and_negative_halves():
    inputs = [numpy.array([-2.5, -2.0, -0.5, 0.0, 0.5, 2.0, 2.5])]
    assert_matches_torch(lambda x: x.trunc() * 3 + x.frac() * 2, inputs=inputs)
    assert_matches_torch(**both("trunc"), inputs=[numpy.array([-3, 4])])


def test_nan_to_num_replaces_special_values_and_blocks_their_gradient():
    special = numpy.array([numpy.nan, numpy.inf, -numpy.inf, 1.5, -2.0])
    assert_matches_torch(**both("nan_to_num"), inputs=[special])
    assert_matches_torch(**both("nan_to_num", nan=1.0, posinf=9.0, neginf=-9.0), inputs=[special])
    assert_matches_torch(**both("nan_to_num"), inputs=[special.astype("float32")])


BINARY = {"atan2": (-2, 2), "logaddexp": (-3, 3), "hypot": (-2, 2)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcasting_matches_torch(name, dtype):
    low, high = BINARY[name]
    assert_matches_torch(**both(name), shapes=[(3, 4), (4,)], dtype=dtype, low=low, high=high)
    assert_matches_torch(lambda a, b: getattr(a, name)(b), [(2, 1, 3), (4, 1)], low=low, high=high, seed=2)


def test_logaddexp_of_large_values_does_not_overflow():
    assert_matches_torch(**both("logaddexp"), inputs=[numpy.array([800.0, -800.0]), numpy.array([799.0, -801.0])])


@pytest.mark.parametrize("dtype", DTYPES)
def test_lerp_with_number_and_tensor_weight(dtype):
    assert_matches_torch(lambda a, b: minigrad.lerp(a, b, 0.3) if isinstance(a, minigrad.Tensor)
                         else torch.lerp(a, b, 0.3), [(3, 4), (4,)], dtype=dtype)
    assert_matches_torch(lambda a, b, w: a.lerp(b, w), [(3, 4), (3, 4), (3, 1)], dtype=dtype, low=0, high=1)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_addcmul_addcdiv(name, dtype):
    assert_matches_torch(lambda a, b, c: getattr(a, name)(b, c, value=-0.5), [(3, 4), (4,), (3, 1)],
                         dtype=dtype, low=0.5, high=2)
    assert_matches_torch(**both(name), shapes=[(2, 3), (2, 3), (2, 3)], dtype=dtype, low=0.5, high=2)


@pytest.mark.parametrize("name", ["sqrt_", "abs_", "log_", "trunc_", "frac_", "nan_to_num_"])
def test_inplace_unary_matches_torch(name):
    assert_matches_torch(lambda x: getattr(x * 1, name)(), [(3, 4)], low=0.2, high=3)


def test_inplace_binary_forms_match_torch():
    assert_matches_torch(lambda a, b, w: (a * 1).lerp_(b, w), [(3, 4), (4,), (3, 4)])
    assert_matches_torch(lambda a, b: (a * 1).lerp_(b, 0.25), [(3, 4), (3, 4)])
    assert_matches_torch(lambda a, b, c: (a * 1).addcmul_(b, c, value=2), [(3, 4), (3, 4), (4,)])
    assert_matches_torch(lambda a, b, c: (a * 1).addcdiv_(b, c, value=0.5), [(3, 4), (3, 4), (4,)],
                         low=0.5, high=2)


def test_inplace_on_leaf_requiring_grad_is_refused_like_torch():
    for lib in (torch, minigrad):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).sqrt_()


def test_addcdiv_of_integers_is_refused_like_torch():
    assert_same_error(lambda a, b, c: a.addcdiv(b, c), numpy.array([1]), numpy.array([2]), numpy.array([3]))


# ---- reductions ----------------------------------------------------------------------------
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


# ---- shape ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_interleave_matches_torch(dtype):
    assert_matches_torch(lambda x: x.repeat_interleave(2), [(2, 3)], dtype=dtype)
    assert_matches_torch(lambda x: x.repeat_interleave(3, dim=1), [(2, 3)], dtype=dtype)
    assert_matches_torch(lambda x: x.repeat_interleave(3, -2, output_size=6), [(2, 3)], dtype=dtype)


def test_repeat_interleave_with_tensor_repeats_and_counts_only():
    for repeats in ([1, 0, 3], [2]):
        assert_matches_torch(
            lambda x: x.repeat_interleave((minigrad if isinstance(x, minigrad.Tensor) else torch)
                                          .tensor(repeats), dim=1), [(2, 3)])
    assert_matches_torch(lambda c: (minigrad if isinstance(c, minigrad.Tensor) else torch).repeat_interleave(c),
                         inputs=[numpy.array([2, 0, 1])])


def test_repeat_interleave_bad_repeats_like_torch():
    assert_same_error(lambda x, r: x.repeat_interleave(r, dim=0), numpy.zeros((2, 3)), numpy.array([1, 2, 3]))
    assert_same_error(lambda x, r: x.repeat_interleave(r), numpy.zeros(2), numpy.array([1, -1]))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_meshgrid_matches_torch(indexing, dtype):
    def fn(a, b, c):
        lib = minigrad if isinstance(a, minigrad.Tensor) else torch
        return lib.meshgrid(a, b, c, indexing=indexing)
    assert_matches_torch(fn, [(3,), (2,), (4,)], dtype=dtype)
    assert_matches_torch(lambda a, b: (minigrad if isinstance(a, minigrad.Tensor) else torch)
                         .meshgrid([a, b], indexing=indexing), [(3,), ()], dtype=dtype)


def test_meshgrid_bad_indexing_like_torch():
    assert_same_error(lambda a: torch.meshgrid(a, a, indexing="xx") if isinstance(a, torch.Tensor)
                      else minigrad.meshgrid(a, a, indexing="xx"), numpy.zeros(2))


# ---- unique, bincount ---------------------------------------------------------------------------
@pytest.mark.parametrize("values", [numpy.array([3, 1, 3, 2, 1]), numpy.array([[2.5, -1.0], [2.5, 0.0]]),
                                    numpy.array([True, False, True])])
def test_unique_matches_torch(values):
    for inverse in (False, True):
        for counts in (False, True):
            assert_matches_torch(**both("unique", return_inverse=inverse, return_counts=counts),
                                 inputs=[values], grad=False)


@pytest.mark.parametrize("weights", [None, numpy.array([0.5, 1.0, 2.0, 3.0]),
                                     numpy.array([0.5, 1.0, 2.0, 3.0], dtype="float32"),
                                     numpy.array([1, 2, 3, 4])])
def test_bincount_matches_torch(weights):
    values = numpy.array([0, 3, 3, 1])
    if weights is None:
        assert_matches_torch(**both("bincount"), inputs=[values], grad=False)
        assert_matches_torch(**both("bincount", minlength=7), inputs=[values], grad=False)
    else:
        assert_matches_torch(lambda x, w: x.bincount(w, 6), inputs=[values, weights], grad=False)


def test_bincount_bad_input_like_torch():
    assert_same_error(lambda x: x.bincount(), numpy.array([-1, 2]))
    assert_same_error(lambda x: x.bincount(), numpy.array([1.0]))
    assert_same_error(lambda x: x.bincount(minlength=-1), numpy.array([1]))


# ---- tensor queries ---------------------------------------------------------------------------
VIEWS = {"plain": lambda x: x, "t": lambda x: x.t(), "slice": lambda x: x[:, ::2], "column": lambda x: x[:, 1:2],
         "rows": lambda x: x[1:], "expand": lambda x: x.unsqueeze(0).expand(2, 3, 4), "empty": lambda x: x[:0],
         "scalar": lambda x: x[0, 0], "unsqueeze": lambda x: x.unsqueeze(1)}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_stride_contiguity_and_sizes_match_torch(view):
    ours, theirs = VIEWS[view](minigrad.zeros(3, 4)), VIEWS[view](torch.zeros(3, 4))
    assert ours.is_contiguous() == theirs.is_contiguous()
    if view != "empty":     # torch's strides of an empty slice are arbitrary
        assert ours.stride() == theirs.stride()
    assert (ours.nbytes, ours.itemsize, ours.is_complex()) == (theirs.nbytes, theirs.itemsize, False)
    if ours.dim():
        assert ours.stride(-1) == theirs.stride(-1)


def test_itemsize_per_dtype():
    for name in ("float64", "int64", "int32", "bool", "float16", "uint8"):
        ours, theirs = minigrad.zeros(2, dtype=getattr(minigrad, name)), torch.zeros(2, dtype=getattr(torch, name))
        assert (ours.itemsize, ours.nbytes) == (theirs.itemsize, theirs.nbytes)
