"""Pointwise functions of several tensors against torch: atan2, logaddexp, hypot, lerp, addcmul, addcdiv and their in-place forms."""
import numpy
import pytest
import torch

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_same, assert_same_error, both

DTYPES = ["float64", "float32"]


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


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "atan2", "maximum", "minimum"])
@pytest.mark.parametrize("other", [2.5, 3, None])
def test_two_tensor_functions_reject_a_number_other_as_torch(name, other):
    assert_same_error(lambda x: getattr(torch if isinstance(x, torch.Tensor) else minigrad, name)(x, other),
                      numpy.ones(3))


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "atan2"])
@pytest.mark.parametrize("dtypes", [("int8", "int8"), ("int8", "int64"), ("bool", "bool"), ("uint8", "bool"),
                                    ("int8", "float16")])
def test_float_kernels_of_integer_tensors_match_torch(name, dtypes):
    """hypot and logaddexp of two integer (or bool) tensors have no kernel in torch; atan2 promotes."""
    assert_same(lambda m: getattr(m, name)(m.ones(2, dtype=getattr(m, dtypes[0])),
                                           m.ones(2, dtype=getattr(m, dtypes[1]))))


def test_float_kernels_check_shapes_before_dtypes_as_torch():
    assert_same(lambda m: m.hypot(m.ones(2, 3, dtype=m.int8), m.ones(2, 2, dtype=m.int8)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_of_zeros_of_both_signs_choose_as_torchs_loop(name, dtype):
    """Seen with fuzz seed 412240 (max along a dim of [0., -0.]): torch's maximum/minimum return the
    second operand's zero in their vector lanes and the first's in their scalar tail (row % lanes
    elements, or a whole row an operand is not adjacent along); NumPy's loops return one throughout
    (float16 the first, float32/float64 the second).  Rows of 1, 17, 40, 70, broadcast, transposed."""
    zeros = numpy.zeros(70)
    def action(lib):
        dt = getattr(lib, dtype)
        positive, negative = lib.tensor(zeros, dtype=dt), -lib.tensor(zeros, dtype=dt)
        op = getattr(lib, name)
        results = [op(positive[:n], negative[:n]) for n in (1, 17, 40, 70)]
        results += [op(negative[:40], positive[:40]), op(positive[:0], negative[:0]), op(positive[0], negative[0]),
                    op(positive[:60].reshape(3, 20), negative[:20]), op(negative[:3, None], positive[:34]),
                    op(positive[:66].reshape(33, 2).t(), negative[:66].reshape(2, 33)),
                    op(positive[::2], negative[:35])]
        return [numpy.signbit(result.numpy()).tolist() for result in results]
    assert_same(action)


THREE_OPERANDS = {
    "addcmul": lambda lib, a, b, c: lib.addcmul(a, b, c),
    "addcdiv": lambda lib, a, b, c: lib.addcdiv(a, b, c),
    "lerp": lambda lib, a, b, c: lib.lerp(a, b, c),
}


@pytest.mark.parametrize("name", sorted(THREE_OPERANDS))
@pytest.mark.parametrize("dims", ["0-d, 0-d, dims", "dims, dims, 0-d", "0-d, dims, 0-d", "0-d, 0-d, 0-d"])
@pytest.mark.parametrize("dtypes", [("float32", "float32", "float16"), ("float16", "float16", "float32"),
                                    ("float64", "float32", "float32"), ("float32", "float32", "float64"),
                                    ("float16", "float16", "int64")])
def test_three_operands_promote_at_once_as_torch(request, name, dims, dtypes):
    # torch promotes the three operands of addcmul, addcdiv and lerp at once: a 0-d one is below a
    # dimensioned one of its category, so addcmul(0-d float32, 0-d float32, float16) is float16;
    # minigrad promoted pair by pair and made it float32.  lerp takes a 0-d weight of another dtype
    # (minigrad refused it: "expected dtype c10::Half for `weight`"), not a dimensioned one.  The
    # result's dtype and the gradients' (values: torch's kernels fuse a multiply-add, apart; addcdiv
    # by an int64 tensor: torch's backward raises "result type Float can't be cast to ... Long", apart)
    if name == "addcdiv" and "int64" in dtypes:     # a known difference, run so that its end is seen
        request.applymarker(pytest.mark.xfail(strict=True, reason="addcdiv's backward by an int64 tensor2 "
                                              "raises in torch; minigrad's does not"))

    def run(lib):
        operands = [lib.tensor(1.5 if d == "0-d" else [1.5, 2.5], dtype=getattr(lib, t),
                               requires_grad=t != "int64")
                    for d, t in zip(dims.split(", "), dtypes)]
        try:
            result = THREE_OPERANDS[name](lib, *operands)
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        result.sum().backward()
        return result.dtype, result.shape, [o.grad.dtype for o in operands if o.requires_grad]
    assert_same(run)
