"""Arithmetic ops against torch: values, gradients, broadcasting, dtypes, in-place forms, errors."""
import itertools

import numpy
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import minigrad
from minigrad.testing import assert_matches_torch
from _op_parity import assert_equal_where_torch_rounds_correctly, assert_same
from tests.conftest import DEVICES

NAN, INF = float("nan"), float("inf")

DTYPES = ["float64", "float32"]

# name -> (function of two tensors, input range that keeps it smooth and defined)
BINARY = {
    "add": (lambda a, b: a + b, (-2.0, 2.0)),
    "sub": (lambda a, b: a - b, (-2.0, 2.0)),
    "mul": (lambda a, b: a * b, (-2.0, 2.0)),
    "div": (lambda a, b: a / b, (0.5, 2.0)),          # divisor away from 0
    "pow": (lambda a, b: a ** b, (0.5, 2.0)),         # positive base
    "remainder": (lambda a, b: a % b, (0.3, 3.0)),
    "fmod": (lambda a, b: a.fmod(b), (0.3, 3.0)),
    "add_alpha": (lambda a, b: a.add(b, alpha=2.5), (-2.0, 2.0)),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=-0.5), (-2.0, 2.0)),
}

BROADCAST_SHAPES = [
    ((4, 1), (4, 5)),
    ((4, 5), (4, 1)),
    ((1, 3, 1, 7, 1), (2, 1, 5, 1, 8)),
    ((), (3, 4)),
    ((3, 4), ()),
    ((), ()),
    ((5,), (3, 5)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((3, 4), (3, 4)),
]


def assert_raises_like_torch(action, error=RuntimeError):
    """``action(minigrad)`` raises what ``action(torch)`` raises, with the same message."""
    with pytest.raises(error) as expected:
        action(torch)
    with pytest.raises(error) as caught:
        action(minigrad)
    assert str(caught.value) == str(expected.value).replace("torch.", "minigrad.")


# ---- every binary op, every broadcasting case, both dtypes --------------------------------
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_broadcasting_matches_torch(name, shapes):
    fn, (low, high) = BINARY[name]
    assert_matches_torch(fn, list(shapes), dtype="float64", low=low, high=high)


@pytest.mark.parametrize("shapes", [((4, 1), (4, 5)), ((1, 3, 1, 7, 1), (2, 1, 5, 1, 8)), ((), (3, 4))],
                         ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_broadcasting_matches_torch_in_float32(name, shapes):
    fn, (low, high) = BINARY[name]
    assert_matches_torch(fn, list(shapes), dtype="float32", low=low, high=high)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_with_one_input_not_requiring_grad(name, dtype):
    fn, (low, high) = BINARY[name]
    assert_matches_torch(fn, [(3, 4), (4,)], dtype=dtype, low=low, high=high, requires_grad=[False, True])
    assert_matches_torch(fn, [(3, 4), (4,)], dtype=dtype, low=low, high=high, requires_grad=[True, False])


@pytest.mark.parametrize("dtype", DTYPES)
def test_function_forms_match_torch(dtype):
    for function in ("add", "sub", "mul", "div", "remainder", "fmod", "pow", "subtract", "multiply",
                     "divide", "true_divide"):
        assert_matches_torch(lambda a, b, f=function: getattr(torch if isinstance(a, torch.Tensor)
                                                              else minigrad, f)(a, b),
                             [(2, 3), (3,)], dtype=dtype, low=0.5, high=2.0)


def test_floor_divide_matches_torch_forward():
    inputs = [numpy.array([-3.5, -2.0, 0.5, 7.25]), numpy.array([2.0, -1.5, 0.25, 3.0])]
    for dtype in DTYPES:
        arrays = [a.astype(dtype) for a in inputs]
        assert_matches_torch(lambda a, b: a // b, inputs=arrays, grad=False)
        assert_matches_torch(lambda a, b: a // 2, inputs=arrays, grad=False)
        assert_matches_torch(lambda a, b: 5.0 // b, inputs=arrays, grad=False)
        for mode in ("trunc", "floor"):
            assert_matches_torch(lambda a, b: (torch if isinstance(a, torch.Tensor) else minigrad)
                                 .div(a, b, rounding_mode=mode), inputs=arrays, grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_remainder_and_fmod_signs_match_torch(dtype):
    values = numpy.array([-5.5, -3.0, -0.25, 0.75, 4.0, 7.5], dtype=dtype)
    divisors = numpy.array([2.0, -2.0, 1.5, -1.5, 3.0, -4.0], dtype=dtype)
    assert_matches_torch(lambda a, b: a % b, inputs=[values, divisors])
    assert_matches_torch(lambda a, b: a.fmod(b), inputs=[values, divisors])
    assert_matches_torch(lambda a, b: a % -2.0, inputs=[values, divisors])
    assert_matches_torch(lambda a, b: a.fmod(-2.0), inputs=[values, divisors])


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_a_zero_remainder_is_signed_as_the_dividend_as_torch(dtype):
    """torch's ``a % b`` is fmod's, moved into b's sign: where b divides a, the zero keeps a's sign
    (NumPy's remainder signs it as b; ``1 / (a % b)`` tells them apart)."""
    values = [-4.0, 4.0, -0.0, 0.0, -3.0, 3.0, -5.5, 6.0]
    divisors = [2.0, -2.0, -1.0, 1.0, -1.5, 1.5, 2.0, -4.0]
    for fn in (lambda lib, a, b: a % b, lambda lib, a, b: lib.remainder(a, b), lambda lib, a, b: a % -2.0,
               lambda lib, a, b: a.to(lib.int64) % b, lambda lib, a, b: lib.div(a.to(lib.int16) % 0.5, b)):
        expected, actual = (fn(lib, lib.tensor(values, dtype=getattr(lib, dtype)),
                               lib.tensor(divisors, dtype=getattr(lib, dtype))).numpy() for lib in (torch, minigrad))
        assert actual.dtype == expected.dtype
        numpy.testing.assert_array_equal(actual, expected)
        assert actual.dtype == expected.dtype
        numpy.testing.assert_array_equal(actual, expected)
        numpy.testing.assert_array_equal(numpy.signbit(actual), numpy.signbit(expected))


@pytest.mark.parametrize("op", [lambda lib, a: lib.fmod(a, a), lambda lib, a: lib.fmod(a, True),
                                lambda lib, a: lib.div(a, a, rounding_mode="trunc"),
                                lambda lib, a: lib.div(a, False, rounding_mode="trunc"), lambda lib, a: a.fmod_(a)])
def test_bool_fmod_and_trunc_division_raise_as_torch(op):
    assert_raises_like_torch(lambda lib: op(lib, lib.tensor([True, False])), NotImplementedError)


@pytest.mark.parametrize("divisor", [1.2, 0.1, 1e-5, -3, lambda lib: lib.tensor([1.2], dtype=lib.float16),
                                     lambda lib: lib.tensor(0.1, dtype=lib.float64), lambda lib: lib.tensor([[7]])])
@pytest.mark.parametrize("mode", ["trunc", "floor", "//"])
def test_float16_rounding_division_by_one_number_is_taken_in_float32_as_torch(mode, divisor):
    """fuzz seed 122388: torch's float16 rounding divisions by a single number read it as given, in
    float32, and round the float32 quotient once: int64 6 over float16 1.2 truncates to 4 (NumPy's
    float16 quotient rounds 4.999 up to 5 first)."""
    values = [2, 6, -1, -4, -6, 65504, 0.3, -7.1, 1]
    results = []
    for lib in (torch, minigrad):
        other = divisor(lib) if callable(divisor) else divisor
        for x in (lib.tensor(values, dtype=lib.float16), lib.tensor(values[:5], dtype=lib.int64)):
            result = x // other if mode == "//" else lib.div(x, other, rounding_mode=mode)
            results.append((result.tolist(), str(result.dtype).split(".")[-1]))
    assert results[:2] == results[2:]


def test_integer_arithmetic_matches_torch():
    a = numpy.array([-7, -3, 0, 4, 9], dtype=numpy.int64)
    b = numpy.array([2, -2, 3, -3, 4], dtype=numpy.int64)
    for fn in (lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y,
               lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x.fmod(y), lambda x, y: x ** 2,
               lambda x, y: -x, lambda x, y: 3 - x, lambda x, y: x * 2.5, lambda x, y: x // 2.0):
        assert_matches_torch(fn, inputs=[a, b])


# ---- unary minus, scalars on either side ---------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_negation_matches_torch(dtype):
    assert_matches_torch(lambda a: -a, [(3, 4)], dtype=dtype)
    assert_matches_torch(lambda a: a.neg(), [()], dtype=dtype)
    assert_matches_torch(lambda a: +a * 1.0, [(3,)], dtype=dtype)


SCALAR_FORMS = {
    "tensor+2.5": lambda a: a + 2.5, "3+tensor": lambda a: 3 + a,
    "tensor-2": lambda a: a - 2, "2.0-tensor": lambda a: 2.0 - a,
    "tensor*2.5": lambda a: a * 2.5, "-3*tensor": lambda a: -3 * a,
    "tensor/4": lambda a: a / 4, "1/tensor": lambda a: 1 / a, "2.5/tensor": lambda a: 2.5 / a,
    "tensor**2": lambda a: a ** 2, "tensor**0.5": lambda a: a ** 0.5, "tensor**-1.5": lambda a: a ** -1.5,
    "tensor**0": lambda a: a ** 0, "tensor**1": lambda a: a ** 1,
    "2**tensor": lambda a: 2 ** a, "2.0**tensor": lambda a: 2.0 ** a,
    "tensor%1.5": lambda a: a % 1.5,
    "7%tensor": lambda a: (7 % a.detach()) * a,   # torch has no gradient for number % tensor
    "tensor//0.5": lambda a: (a.detach() // 0.5) * a,   # floor_divide has no gradient in torch
    "numpy_scalar*tensor": lambda a: numpy.float64(2.0) * a,
    "tensor*numpy_scalar": lambda a: a * numpy.float32(2.0),
    "tensor+True": lambda a: a + True,
}


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_subtracting_a_zero_number_keeps_a_negative_zero_as_torch(dtype):
    """``-0.0 - 0`` is ``-0.0`` (IEEE subtraction), where ``-0.0 + (-0)`` would be ``+0.0``."""
    for number in (0, 0.0, -0.0):
        expected, actual = ((lib.tensor([-0.0, 0.0, 1.5], dtype=getattr(lib, dtype)) - number).numpy()
                            for lib in (torch, minigrad))
        assert actual.dtype == expected.dtype
        numpy.testing.assert_array_equal(actual, expected)
        numpy.testing.assert_array_equal(numpy.signbit(actual), numpy.signbit(expected))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", SCALAR_FORMS)
def test_scalar_and_reflected_forms_match_torch(form, dtype):
    for shape in [(3, 4), ()]:
        assert_matches_torch(SCALAR_FORMS[form], [shape], dtype=dtype, low=0.5, high=2.0)


# ---- in-place forms -----------------------------------------------------------------------
def inplace(method, *args, **kwargs):
    """``a * 1`` (a non-leaf, so the in-place op may change it) updated in place by ``method``."""
    def fn(a, b):
        out = a * 1.0
        result = getattr(out, method)(*[b if arg is B else arg for arg in args], **kwargs)
        assert result is out
        return out
    return fn


B = object()   # stands for the second tensor input

INPLACE = {
    "add_": inplace("add_", B), "add_alpha": inplace("add_", B, alpha=-1.5),
    "add_scalar": inplace("add_", 2.0), "sub_": inplace("sub_", B), "sub_alpha": inplace("sub_", B, alpha=2),
    "mul_": inplace("mul_", B), "mul_scalar": inplace("mul_", 3.0), "div_": inplace("div_", B),
    "div_scalar": inplace("div_", 4.0), "pow_": inplace("pow_", B), "pow_scalar": inplace("pow_", 2),
    "neg_": inplace("neg_"), "copy_": inplace("copy_", B),
    "iadd": inplace("__iadd__", B), "isub": inplace("__isub__", B), "imul": inplace("__imul__", B),
    "itruediv": inplace("__itruediv__", B), "ipow": inplace("__ipow__", B),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_match_torch(name, dtype):
    assert_matches_torch(INPLACE[name], [(3, 4), (3, 4)], dtype=dtype, low=0.5, high=2.0)
    if name not in ("neg_",):   # the other operand broadcast up to the target
        assert_matches_torch(INPLACE[name], [(3, 4), (4,)], dtype=dtype, low=0.5, high=2.0)


def test_augmented_assignment_operators_match_torch():
    def augmented(a, b):
        out = a * 1.0
        out += b
        out -= 0.5 * b
        out *= b
        out /= (b + 3.0)
        out **= 2
        return out
    assert_matches_torch(augmented, [(2, 3), (3,)], low=0.5, high=2.0)


def test_inplace_keeps_the_tensor_object_and_bumps_its_version():
    x = minigrad.ones(3)
    same = x.add_(1).mul_(3)
    assert same is x and x._version == 2 and x.tolist() == [6.0, 6.0, 6.0]


def test_inplace_result_cannot_change_the_target_dtype_as_torch():
    assert_raises_like_torch(lambda lib: lib.ones(2, dtype=lib.int64).div_(2))
    assert_raises_like_torch(lambda lib: lib.ones(2, dtype=lib.int64).add_(2.5))
    x = minigrad.ones(2)
    x += minigrad.ones(2, dtype=minigrad.float64)       # a lower category is cast down, as torch
    assert x.dtype == minigrad.float32 and x.tolist() == [2.0, 2.0]


def test_inplace_cannot_broadcast_the_target_as_torch():
    assert_raises_like_torch(lambda lib: lib.ones(4, 1).add_(lib.ones(4, 5)))
    assert_raises_like_torch(lambda lib: lib.ones(3).copy_(lib.ones(2, 3)))


def test_copy_casts_and_broadcasts_as_torch():
    for library in (torch, minigrad):
        target = library.zeros(2, 3)
        target.copy_(library.arange(3))
        assert target.dtype == library.float32 and target.tolist() == [[0, 1, 2], [0, 1, 2]]


def test_fill_and_zero_in_place():
    x = minigrad.ones(2, 2)
    assert x.fill_(3.5) is x and x.tolist() == [[3.5, 3.5], [3.5, 3.5]]
    assert x.zero_() is x and x.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert x._version == 2


@pytest.mark.parametrize("dtype, value", [("uint8", -2), ("uint8", -256), ("uint8", -2.5), ("int8", 200),
                                          ("int32", -float("inf")), ("int32", float("nan")), ("int64", 2.9),
                                          ("float32", 1e300), ("float16", 1e300), ("float16", float("inf")),
                                          ("bool", -200)])
def test_fill_converts_its_number_as_torch(dtype, value):
    """torch's fill_ casts the number as C does (a negative int wraps into uint8) and refuses one out
    of the type's range, after autograd's checks (a leaf that requires grad is refused first)."""
    def filled(lib):
        x = lib.zeros(2, dtype=getattr(lib, dtype))
        try:
            return x.fill_(value).tolist(), x._version
        except RuntimeError as error:
            return str(error), x.tolist(), x._version
    assert filled(minigrad) == filled(torch)
    if dtype.startswith("float"):
        assert_raises_like_torch(lambda lib: lib.zeros(2, dtype=getattr(lib, dtype), requires_grad=True).fill_(value))


PAST_INT64 = [2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64, 2 ** 100, -2 ** 63, -2 ** 63 - 1, -2 ** 64]
SCALAR_ARGUMENTS = {
    "fill_": lambda lib, x, n: x.fill_(n),
    "full": lambda lib, x, n: lib.full((2,), n, dtype=x.dtype),
    "full, dtype inferred": lambda lib, x, n: lib.full((2,), n),
    "masked_fill": lambda lib, x, n: x.masked_fill(lib.tensor([True, False]), n),
    "index_fill": lambda lib, x, n: x.index_fill(0, lib.tensor([1]), n),
    "scatter": lambda lib, x, n: x.scatter(0, lib.tensor([1]), n),
    "where": lambda lib, x, n: lib.where(lib.tensor([True, False]), x, n),
    "add": lambda lib, x, n: x + n,
    "radd": lambda lib, x, n: n - x,
    "eq": lambda lib, x, n: x == n,
    "pow": lambda lib, x, n: x ** n,
}


@pytest.mark.parametrize("value", PAST_INT64, ids=str)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float32", "float64"])
@pytest.mark.parametrize("op", sorted(SCALAR_ARGUMENTS))
def test_a_python_int_past_int64_as_a_scalar_argument_as_torch(op, dtype, value):
    # torch's argument parser reads an int as an int64 Scalar, else (2**63 up to 2**64 - 1) a
    # uint64 one, else refuses it: "int too big to convert" / "can't convert negative int to
    # unsigned"; a uint64 Scalar is then refused by an int64 tensor's conversion, and by
    # promotion with a bool tensor.  minigrad wrapped it (x + 2**64 gave x), or gave the
    # conversion's error for any int past int64
    def run(lib):
        x = lib.zeros(2, dtype=getattr(lib, dtype))
        try:
            return SCALAR_ARGUMENTS[op](lib, x, value), x
        except Exception as error:          # (pow of an int tensor may raise its own error)
            return f"{type(error).__name__}: {error}", x
    assert_same(run)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "__radd__", "__rsub__", "__rmul__", "__rtruediv__",
                                "pow", "__rpow__"])
def test_float16_with_a_python_number_as_torch_bit_for_bit(op):
    # torch's add/sub make the number a float16 (through float) and add in float32; its mul/div
    # take the number as a float (opmath) and round the float32 result once; NumPy rounded the
    # number to float16 directly and computed in float16 (x * 0.1 differed in one element in
    # three, x * 70000 was inf); the gradients of mul/div likewise.  pow makes the exponent a
    # float16 through float, and its gradient multiplies by the exponent (and number ** x by
    # log(number)) as mul with a Scalar, masked where the number itself is 0 (not 1e-45)
    x = numpy.random.default_rng(0).uniform(-10, 10, 500).astype(numpy.float16)
    x[:4] = [0.001, -0.0, 60000, 2 ** -20]
    numbers = [0.1, 1 / 3, 1 + 2 ** -11 + 2 ** -40, 3.0000001, 70000, -0.0, 3, 2 ** 30 + 1]
    if "pow" in op:
        x = numpy.abs(x) if op == "pow" else x / 4      # (no NaN of a negative base; few overflows)
        numbers = [n for n in numbers if n not in (70000, 2 ** 30 + 1)] + [1e-45, 1e-8, 2.5]
    for number in numbers:
        def run(lib, number=number):
            tensor = lib.tensor(x, requires_grad=True)
            result = getattr(tensor, op)(number)
            result.backward(lib.full_like(result, 0.3))
            return result.detach().view(lib.int16).tolist(), tensor.grad.view(lib.int16).tolist()
        with numpy.errstate(over="ignore"):
            assert run(minigrad) == run(torch), number


@pytest.mark.parametrize("length", [3, 2000])
@pytest.mark.parametrize("op", [lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), lambda lib, a, b: a // b])
def test_float16_floor_division_rounds_each_step_to_float16_as_torchs(op, length):
    """torch's div_floor_floating on float16 tensors rounds each step to float16 (fmod, a - mod, / b,
    - 1), in its scalar and vector loops: 1e4 // -1.2 is -8328 there, -8336 from a float32 quotient
    (found through remainder's gradient, fuzz seed 916370).  Bit for bit but for NaN's sign."""
    rng = numpy.random.default_rng(3)
    a = (rng.normal(0, 1, length) * 10 ** rng.uniform(-3, 4.5, length)).astype(numpy.float16)
    b = (rng.normal(0, 1, length) * 10 ** rng.uniform(-3, 3, length)).astype(numpy.float16)
    a[:3], b[:3] = [1e4, 0.0, numpy.inf], [-1.2, 0.0, 2.0]
    b[3::50], a[5::41], b[7::91], a[9::33] = 0.0, 0.0, -0.0, numpy.nan
    ours, theirs = (op(lib, lib.tensor(a), lib.tensor(b)).numpy() for lib in (minigrad, torch))
    same_nan = numpy.isnan(ours) & numpy.isnan(theirs)
    numpy.testing.assert_array_equal(numpy.where(same_nan, 0, ours.view(numpy.uint16)),
                                     numpy.where(same_nan, 0, theirs.view(numpy.uint16)))


@pytest.mark.parametrize("shape", [(), (1, 1)])
@pytest.mark.parametrize("op", ["remainder", "fmod"])
def test_float16_remainder_gradient_divides_by_a_one_element_divisor_in_float32(op, shape):
    """fuzz seed 916370: -grad * self.div(other, rounding_mode=...) reads a one-element float16 divisor
    in float32, as torch's div kernel reads a scalar: trunc(36 / -1.2) is -29 there, -30 from the
    float16 quotient that a divisor of two elements gets."""
    def action(lib):
        grads = []
        for divisor in ([-1.2], [0.3], [-1.2, 0.3]):
            x = lib.tensor([36.0, 7.0, 100.0, -5.5, 1e4, 59.9], dtype=lib.float16, requires_grad=True)
            leaf = lib.tensor(divisor, dtype=lib.float16, requires_grad=True)
            other = leaf.reshape(shape) if len(divisor) == 1 else leaf[None].expand(3, 2)
            getattr(lib, op)(x.reshape(3, 2), other).backward(lib.full((3, 2), 1.407, dtype=lib.float16))
            grads.append((x.grad.tolist(), leaf.grad.tolist()))
        return grads
    assert_same(action)


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("op", ["mul", "div", "remainder", "fmod", "hypot", "atan2"])
@pytest.mark.parametrize("kind", ["float32", "float64", "int64", "int64_one_element", "float16", "float16_one_element"])
def test_float16_with_a_one_element_tensor_of_another_dtype_as_torch_bit_for_bit(kind, op, side):
    # fuzz seed 731200: torch's float16 mul and div kernels read a second operand of one element as
    # given, in float32 (their opmath type), where the op's promotion makes it a float16: a 0-d
    # float32 1e-45 is 0 in float16, so 0 / 1e-45 was 0 / 0, NaN, where torch's is 0; x * 0.1 and
    # x * 70000 rounded as with a Python number (b504113).  remainder's and fmod's gradients of
    # that operand divide so (-grad * self.div(other, rounding_mode='floor'/'trunc')); their own
    # kernels, add and sub take the float16 value; hypot's and atan2's gradients multiply so
    # (grad * other / result; grad * other * recip, grad * -self * recip).  A float16 one too (fuzz
    # seed 916370: trunc(36 / -1.2) in float32 is -29, -30 from a float16 quotient).  Values and both
    # gradients (the one-element operand's in its dtype), bit for bit but for NaN's sign
    x = numpy.random.default_rng(0).uniform(-10, 10, 200).astype(numpy.float16)
    x[:6] = [0.0, -0.0, 1.0, 60000, 2 ** -20, 0.001]
    numbers = [3, 0, -2, 70000, 2 ** 40] if kind.startswith("int") else \
        [1e-45, 0.1, 1 / 3, 70000.0, 1e-8, 1 + 2 ** -11 + 2 ** -40, 2.5, -0.0]
    if op == "atan2":   # (not where the float16 square is 0 or inf: atan2's recip there is apart)
        numbers = [n for n in numbers if n not in (1e-45, 1e-8, -0.0, 0, 2 ** 40)]
    for number, x in itertools.product(numbers, [x, x[:2]]):     # (zeros alone: no other term's NaN)
        def run(lib, number=number, x=x):
            tensor = lib.tensor(x, requires_grad=True)
            dtype = getattr(lib, kind.split("_")[0])
            other = lib.tensor([number] if kind.endswith("one_element") else number, dtype=dtype,
                               requires_grad=dtype.is_floating_point)
            result = getattr(lib, op)(*((tensor, other) if side == "right" else (other, tensor)))
            result.backward(lib.full_like(result, 0.3))
            return [_bits(t) for t in [result] + [t.grad for t in (tensor, other) if t.requires_grad]]
        with numpy.errstate(all="ignore"):
            assert run(minigrad) == run(torch), number


def _bits(tensor):
    """A float tensor's dtype and bit patterns, every NaN spelled alike (the kernels differ in its sign)."""
    if tensor is None:
        return None
    array = numpy.array(tensor.detach().numpy())
    array[numpy.isnan(array)] = numpy.nan
    return str(array.dtype), array.view(f"int{8 * array.dtype.itemsize}").tolist()


ONE_ELEMENT_OR_NOT = {
    "0-d": lambda lib: lib.zeros((), dtype=lib.float16),
    "one": lambda lib: lib.zeros(1, 1, dtype=lib.float16),
    "view_of_one": lambda lib: lib.zeros(3, dtype=lib.float16)[1:2],
    "in_a_graph": lambda lib: lib.zeros((), dtype=lib.float16, requires_grad=True).clone(),
    "two": lambda lib: lib.zeros(2, dtype=lib.float16),
    "none": lambda lib: lib.zeros(0, dtype=lib.float16),
}


@pytest.mark.parametrize("value", [1e300, -70000.0, 65519.0, 1 + 2 ** -11 + 2 ** -40])
@pytest.mark.parametrize("target", sorted(ONE_ELEMENT_OR_NOT))
def test_fill_of_one_float16_element_takes_any_number_as_torch(target, value):
    """fuzz seed 92446: torch fills one element on the CPU by scalar_fill, whose "relaxed float cast"
    makes a number out of float16's range inf (65519 rounds to 65504), where its fill kernel (two
    elements, or none) refuses it; full is empty + fill_.  Both convert a double through float, as
    c10::Half's constructor takes: 1 + 2^-11 + 2^-40 is 1.0, not NumPy's 1.0009765625."""
    def filled(lib):
        x = ONE_ELEMENT_OR_NOT[target](lib)
        return x.fill_(value), x, lib.full(x.shape, value, dtype=lib.float16)
    assert_same(filled)


# ---- dtype promotion ----------------------------------------------------------------------
PROMOTION_CASES = {
    "float32_tensor*2.5": lambda lib: lib.ones(2) * 2.5,
    "float32_tensor*2": lambda lib: lib.ones(2) * 2,
    "float16_tensor*2.5": lambda lib: lib.ones(2, dtype=lib.float16) * 2.5,
    "int_tensor/int_tensor": lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2]),
    "int_tensor/2": lambda lib: lib.tensor([1, 2]) / 2,
    "int_tensor+2.5": lambda lib: lib.tensor([1, 2]) + 2.5,
    "int_tensor*2": lambda lib: lib.tensor([1, 2]) * 2,
    "int32_tensor+2": lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 2,
    "float32+float64": lambda lib: lib.ones(2) + lib.ones(2, dtype=lib.float64),
    "0d_float64+float32_tensor": lambda lib: lib.tensor(2.0, dtype=lib.float64) + lib.ones(2),
    "0d_float64+int_tensor": lambda lib: lib.tensor(2.0, dtype=lib.float64) + lib.tensor([1, 2]),
    "0d_int64+int32_tensor": lambda lib: lib.tensor(2) + lib.tensor([1, 2], dtype=lib.int32),
    "0d+0d": lambda lib: lib.tensor(2.0, dtype=lib.float64) + lib.tensor(1.0),
    "int64_tensor+float32_tensor": lambda lib: lib.tensor([1, 2]) + lib.ones(2),
    "uint8+int8": lambda lib: lib.tensor([1, 2], dtype=lib.uint8) + lib.tensor([1, 2], dtype=lib.int8),
    "bool+bool": lambda lib: lib.tensor([True, False]) + lib.tensor([True, True]),
    "bool*bool": lambda lib: lib.tensor([True, False]) * lib.tensor([True, True]),
    "bool+1": lambda lib: lib.tensor([True, False]) + 1,
    "bool*2.5": lambda lib: lib.tensor([True, False]) * 2.5,
    "bool+True": lambda lib: lib.tensor([True, False]) + True,
    "bool/bool": lambda lib: lib.tensor([True, True]) / lib.tensor([True, True]),
    "int_tensor+bool_tensor": lambda lib: lib.tensor([1, 2]) + lib.tensor([True, False]),
    "bool**2": lambda lib: lib.tensor([True, False]) ** 2,
    "int_tensor**0.5": lambda lib: lib.tensor([1, 4]) ** 0.5,
    "int_tensor**2": lambda lib: lib.tensor([1, 4]) ** 2,
    "2**int_tensor": lambda lib: 2 ** lib.tensor([1, 4]),
    "2.5**int_tensor": lambda lib: 2.5 ** lib.tensor([1, 4]),
    "float16+float32_0d": lambda lib: lib.ones(2, dtype=lib.float16) + lib.tensor(1.0),
}


@pytest.mark.parametrize("case", PROMOTION_CASES)
def test_dtype_promotion_matches_torch(case):
    expected = PROMOTION_CASES[case](torch)
    actual = PROMOTION_CASES[case](minigrad)
    assert actual.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert actual.tolist() == expected.tolist()


ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def operand_makers():
    """Every kind of operand: a tensor or 0-d tensor of every dtype, and Python scalars."""
    makers = {}
    for name in ALL_DTYPES:
        makers[f"tensor_{name}"] = lambda lib, name=name: lib.tensor([1, 2, 3]).to(getattr(lib, name))
        makers[f"zero_dim_{name}"] = lambda lib, name=name: lib.tensor(2).to(getattr(lib, name))
    for value in (True, 2, 2.5):
        makers[f"python_{type(value).__name__}"] = lambda lib, value=value: value
    return makers


def outcome(library, op, make_a, make_b):
    try:
        result = op(make_a(library), make_b(library))
    except (RuntimeError, NotImplementedError) as error:
        return type(error).__name__, str(error).replace("torch.", "minigrad.")
    return str(result.dtype).split(".")[-1], numpy.asarray(result.tolist())


def same_outcome(expected, actual):
    """Same dtype (or error and message); values equal, floats to a float16 ulp (torch computes
    ``2.5 / x`` as ``reciprocal(x) * 2.5``, rounding twice)."""
    if expected[0] != actual[0] or isinstance(expected[1], str) or isinstance(actual[1], str):
        return expected[0] == actual[0] and str(expected[1]) == str(actual[1])
    return numpy.allclose(actual[1], expected[1], rtol=1e-3, atol=0, equal_nan=True)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "%", "**"])
def test_promotion_matrix_matches_torch(op):
    """Every pair of dtypes, dimensions and scalars: same result dtype, values or error."""
    fn = eval(f"lambda a, b: a {op} b")
    mismatches = []
    for (name_a, make_a), (name_b, make_b) in itertools.product(operand_makers().items(), repeat=2):
        if name_a.startswith("python") and name_b.startswith("python"):
            continue
        expected, actual = outcome(torch, fn, make_a, make_b), outcome(minigrad, fn, make_a, make_b)
        if not same_outcome(expected, actual):
            mismatches.append(f"{name_a} {op} {name_b}: torch {expected}, minigrad {actual}")
    assert not mismatches, "\n".join(mismatches[:20])


def test_int_alpha_rules_match_torch():
    assert_raises_like_torch(lambda lib: lib.add(lib.tensor([1, 2]), lib.tensor([1, 2]), alpha=0.5))
    assert minigrad.add(minigrad.tensor([1, 2]), minigrad.tensor([1, 2]), alpha=3).tolist() == [4, 8]


def test_bool_subtraction_and_negation_raise_as_torch():
    assert_raises_like_torch(lambda lib: lib.tensor([True]) - lib.tensor([False]))
    assert_raises_like_torch(lambda lib: lib.tensor([True]) - 1)
    assert_raises_like_torch(lambda lib: 1 - lib.tensor([True]))
    assert_raises_like_torch(lambda lib: -lib.tensor([True]))


def test_integer_to_negative_power_raises_as_torch():
    assert_raises_like_torch(lambda lib: lib.tensor([1, 2]) ** -1)


def test_power_zero_passes_a_zero_gradient_even_for_a_nan_or_infinite_one_as_torch():
    """fuzz seeds 142138 and 4519: torch's pow_backward gives zeros for an exponent of 0, not
    grad * 0 (NaN where the incoming gradient is NaN or infinite)."""
    grads = []
    for lib in (torch, minigrad):
        x = lib.tensor([3e38, -0.5, 0.0, -float("inf"), 3.4], dtype=lib.float64, requires_grad=True)
        incoming = lib.tensor([float("nan"), float("inf"), 1.0, -float("inf"), 2.0], dtype=lib.float64)
        (x ** 0 * incoming).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[1] == grads[0]


POWERS_BY_A_BOOL = {
    "pow(x, False)": lambda lib, x: lib.pow(x, False),
    "x ** True": lambda lib, x: x ** True,
    "x **= False": lambda lib, x: (x * 1).__ipow__(False),
    "pow_(True)": lambda lib, x: (x * 1).pow_(True),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("power", POWERS_BY_A_BOOL.values(), ids=POWERS_BY_A_BOOL.keys())
def test_power_by_a_bool_differentiates_as_torch(power, dtype):
    """fuzz seeds 229048, 231388: torch's pow_backward gives zeros where the exponent equals 0.0,
    which a bool never does (c10's Scalar::equal), so ``x ** False`` takes grad * (0 * x ** -1):
    NaN at 0 and at NaN, -0 where x < 0; also with create_graph."""
    def action(lib):
        x = lib.tensor([-0.5, 0.0, 2.0, NAN, INF, -INF], dtype=getattr(lib, dtype), requires_grad=True)
        grad, = lib.autograd.grad(power(lib, x).sum(), x, create_graph=True)
        grad_of_grad, = lib.autograd.grad(grad.sum(), x)
        return grad.tolist(), grad_of_grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_power_of_two_tensors_passes_a_zero_base_gradient_where_the_exponent_is_zero_as_torch(dtype):
    """fuzz seed 164782: torch's pow_backward_self is where(exponent == 0, 0, grad * ...), so a NaN
    or infinite incoming gradient (a cumprod past a NaN) gives 0 there, -0.0 exponent included,
    also where the exponent broadcasts; the exponent's own gradient keeps grad * local (NaN)."""
    def action(lib):
        dt = getattr(lib, dtype)
        base = lib.tensor([[-0.7, -0.77, 0.0996, 0.47], [0.0, 2.0, -1.5, 3e38]], dtype=dt, requires_grad=True)
        exponent = lib.tensor([[-1.1, -1.8, 0.3, -0.0], [0.0, 0.0, 0.0, 0.0]], dtype=dt, requires_grad=True)
        column = lib.tensor([[0.0], [2.5]], dtype=dt, requires_grad=True)
        incoming = lib.tensor([[NAN, INF, 1.0, NAN], [-INF, NAN, 2.0, INF]], dtype=dt)
        ((base ** exponent).cumprod(-1) * incoming).sum().backward()
        ((base ** column) * incoming).sum().backward()
        return base.grad.tolist(), exponent.grad.tolist(), column.grad.tolist()
    assert_same(action)


@pytest.mark.parametrize("small", [1e-45, -1e-45, 0.0])
def test_power_gradients_compare_base_and_exponent_as_given_before_promotion_as_torch(small):
    """fuzz seed 477521: torch's pow backward masks the exponent's gradient where self == 0 and
    exponent >= 0, and the base's where exponent == 0, on the tensors as given: a float32 1e-45 is no
    0 though it is one once promoted to float16, so 1e-45 ** x (x float16) has the exponent gradient
    0 * log(0), NaN, and x ** 1e-45 the base gradient 1e-45 * x ** -1 (NaN where x is 0)."""
    def action(lib):
        tiny = lib.tensor(small, dtype=lib.float32, requires_grad=True)
        halves = lib.tensor([4.0, 0.0, -2.0, 0.5], dtype=lib.float16, requires_grad=True)
        (tiny ** halves).sum().backward()
        (halves ** tiny).sum().backward()
        # in place (fuzz seed 457651): the base is read before the write, -0.5 ** 201 is no 0 though its
        # float32 result is -0.0: the gradient is -0.0 * log(-0.5), NaN
        base = lib.tensor([-0.5, 0.5, 0.0, 2.0], dtype=lib.float32)
        exponent = lib.tensor([201.0, 200.0, 2.0, small], dtype=lib.float64, requires_grad=True)
        base **= exponent
        base.sum().backward()
        return tiny.grad.tolist(), halves.grad.tolist(), exponent.grad.tolist()
    assert_same(action)


# ---- hypothesis: any broadcastable pair behaves as in torch -----------------------------------
@settings(max_examples=40, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       op=st.sampled_from(["add", "sub", "mul", "div"]), seed=st.integers(0, 2 ** 16))
def test_broadcasting_property_matches_torch(shapes, op, seed):
    fn, (low, high) = BINARY[op]
    ours, _ = assert_matches_torch(fn, list(shapes.input_shapes), low=low, high=high, seed=seed)
    assert tuple(ours.shape) == shapes.result_shape


# most random pairs broadcast and are filtered out: on a loaded machine that trips hypothesis's
# filter and speed health checks, which say nothing about minigrad
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(a=array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4),
       b=array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
def test_shape_mismatch_property_raises_as_torch(a, b):
    try:
        numpy.broadcast_shapes(a, b)
    except ValueError:
        pass
    else:
        assume(False)
    assert_raises_like_torch(lambda lib: lib.ones(a) + lib.ones(b))
    assert_raises_like_torch(lambda lib: lib.ones(a) * lib.ones(b))


# ---- bad input ------------------------------------------------------------------------------------
def test_shape_mismatch_names_both_sizes():
    with pytest.raises(RuntimeError) as caught:
        minigrad.ones(2, 3) + minigrad.ones(2, 4)
    assert str(caught.value) == ("The size of tensor a (3) must match the size of tensor b (4) "
                                 "at non-singleton dimension 1")
    assert_raises_like_torch(lambda lib: lib.ones(3) + lib.ones(4))
    assert_raises_like_torch(lambda lib: lib.ones(2, 3, 4) - lib.ones(5, 1, 4))
    assert_raises_like_torch(lambda lib: lib.ones(3, 2).mul_(lib.ones(3)))


def test_unsupported_operand_raises_type_error():
    with pytest.raises(TypeError):
        minigrad.ones(2) + "a"
    with pytest.raises(TypeError):
        minigrad.ones(2) * None


@pytest.mark.parametrize("device", DEVICES)
def test_ops_run_on_every_device(device):
    x = minigrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * 3.0 + 1.0) / (x ** 2)
    y.backward(minigrad.ones(2, device=device))
    assert x.grad.device == x.device
    expected = torch.tensor([1.0, 2.0], requires_grad=True)
    ((expected * 3.0 + 1.0) / (expected ** 2)).backward(torch.ones(2))
    numpy.testing.assert_allclose(x.grad.cpu().numpy(), expected.grad.numpy(), rtol=1e-6)


@pytest.mark.cuda
def test_device_mismatch_names_both_devices():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device") as caught:
        minigrad.ones(2, device="cuda") + minigrad.ones(2)
    assert "cpu" in str(caught.value) and "cuda:0" in str(caught.value)


def test_division_gradient_of_the_divisor_in_torchs_order():
    """torch: -g * ((a / b) / b), finite where -g * a or b * b alone would overflow."""
    grads = []
    for module in (minigrad, torch):
        a = module.tensor([1e308, -1e308, 3.0, 0.0], dtype=module.float64)
        b = module.tensor([1e308, 1e308, 1e-200, 0.0], dtype=module.float64, requires_grad=True)
        (a / b).backward(module.tensor([1.9, -1.9, 0.5, 1.0], dtype=module.float64))
        grads.append(b.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("fn", [lambda m, a, b: a // b, lambda m, a, b: a % b, lambda m, a, b: m.fmod(a, b),
                                lambda m, a, b: m.div(a, b, rounding_mode="trunc"), lambda m, a, b: m.remainder(a, 0)])
@pytest.mark.parametrize("shape", [(0, 2, 1), (2, 1)])
def test_integer_division_by_zero_raises_only_when_there_is_something_to_divide(fn, shape):
    assert_same(lambda m: fn(m, m.ones(shape, dtype=m.int16), m.tensor([[0], [4]], dtype=m.int16)))


@pytest.mark.parametrize("exponent", [1e-300, -1e-300, 1e40, -1e40, 1e-10])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bool"])
def test_power_by_a_number_out_of_float32_range_as_torch(exponent, dtype):
    """torch keeps a float32 power's exponent in double (0 ** 1e-300 is 0, not 0 ** 0 = 1);
    float16 rounds it to half."""
    assert_same(lambda m: m.tensor([0.0, 2.0, 0.5]).to(getattr(m, dtype)) ** exponent)


VECTOR_AND_TAIL_POWERS = {   # each reaches torch's scalar tail on a 64- and a 32-byte-vector CPU
    "contiguous": lambda m: m.full((70,), -1.0) ** 1e-300,
    "int64 made float32": lambda m: (m.arange(70) - 35) ** 1e-300,
    "transposed: rows of its memory": lambda m: (m.arange(200.0) - 100).reshape(5, 40).t() ** 1e-300,
    "rows of a slice": lambda m: m.full((5, 40), -1.0)[:, :37] ** -1e-300,
    "strided: all tail": lambda m: m.full((5, 40), -1.0)[:, ::2] ** 1e-300,
    "broadcast rows": lambda m: m.zeros(3, 1).expand(3, 40) ** -1e-300,
    "odd in double, even in float32": lambda m: m.full((40,), -2.0) ** 16777217.0,
    "integer in float32 only": lambda m: m.full((5, 40), -1, dtype=m.int64).t() ** (2 + 1e-12),
    "0-d: all tail": lambda m: m.tensor(-1.0) ** 1e-300,
}


@pytest.mark.parametrize("power", VECTOR_AND_TAIL_POWERS.values(), ids=VECTOR_AND_TAIL_POWERS.keys())
def test_float32_power_rounds_its_exponent_to_float32_in_torchs_vectors_only(power):
    """fuzz seed 346213: torch's float32 ``x ** number`` runs ``base.pow(Vectorized<float>(exponent))``
    in its vectors but ``std::pow(base, (double) exponent)`` in its scalar tail (the last elements of
    each row, ``row % (2 * lanes)``): ``** 1e-300`` is ``** 0.0`` (1 even at 0 and -1) in the one
    and 0 or NaN in the other.  Exact values both ways, so compared bit for bit, NaNs in place."""
    theirs, ours = power(torch), power(minigrad)
    assert (ours.dtype, ours.stride()) == (minigrad.float32, theirs.stride())
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


POWER_CASES = ([("float32", e) for e in (2.2, -0.85, 3, -2, -3, 0.5, -0.5, -1, 4, 1.5)]
               + [("int32", e) for e in (2.2, -0.85, 3, 4, 0.5, -0.5)]
               + [("float64", e) for e in (3, -2, 0.5, -0.5, -1, 2)])


@pytest.mark.parametrize("dtype, exponent", POWER_CASES)
def test_power_by_a_number_rounds_as_torchs_kernel(dtype, exponent):
    """fuzz seed 167734: torch raises float32 to a number in double and rounds once (2147483646 ** 2.2
    is 3.390359e20, not powf's 3.390363e20, whose cosine has the other sign), takes x * x * x and
    1 / (x * x) for 3 and -2, and its float32 gradient is grad * (exponent * x ** (exponent - 1)), bit
    for bit.  (A float64 pow by another number is glibc's in torch, NumPy's own here: an ulp apart.)"""
    values = [2147483646, 7, 3, 1, 5, 9, 11] if dtype == "int32" else [0.7, 1.3, 2.9, 3.1, 11.7, 0.013, 1e3]
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=dtype == "float32")
        y = x ** exponent
        grads = lib.autograd.grad(y.sum(), x)[0].tolist() if x.requires_grad else None
        results.append((y.tolist(), str(y.dtype).split(".")[-1], grads))
    if dtype == "float32" and exponent in (0.5, 1.5):     # torch's sqrt: not IEEE's on every CPU
        (theirs, their_dtype, their_grads), (ours, our_dtype, our_grads) = results
        assert our_dtype == their_dtype
        assert_equal_where_torch_rounds_correctly(ours, theirs, dtype=numpy.float32)
        assert_equal_where_torch_rounds_correctly(our_grads, their_grads, dtype=numpy.float32)
        return
    assert results[0] == results[1]


def test_float32_power_of_two_tensors_rounds_as_torchs():
    """torch's float32 pow rounds as float64's rounded once (glibc's powf); NumPy's float32 power
    is an ulp off in one case in five.  Short tensors: torch's scalar loop, bit for bit, gradients too."""
    rng = numpy.random.default_rng(8)
    bases, exponents = numpy.abs(rng.normal(0, 2, (50, 7))).astype("float32"), rng.normal(0, 3, (50, 7)).round(2)
    for base, exponent in zip(bases, exponents.astype("float32")):
        results = []
        for lib in (torch, minigrad):
            x, y = (lib.tensor(v, requires_grad=True) for v in (base, exponent))
            out = x ** y
            results.append((out.tolist(), [g.tolist() for g in lib.autograd.grad(out.sum(), x)]))
        assert results[0] == results[1]


@pytest.mark.parametrize("number", [1e300, 2, 0, 0.5, -2.0])
def test_gradient_of_a_number_to_a_tensor_power_logs_the_number_itself_as_torch(number):
    """fuzz seed 116043: ``1e300 ** x`` in float32 is ``inf ** x``, but torch's exponent gradient is
    ``result * log(1e300)`` (the Scalar's log, in double): 0 where the result is 0, not NaN."""
    def action(lib):
        x = lib.tensor([38.1, -27.4, 0.0, -1.5, 2.0], dtype=lib.float32, requires_grad=True)
        return lib.autograd.grad((number ** x).sum(), x)[0].tolist()
    assert_same(action)


@pytest.mark.parametrize("exponent_dtype", ["float16", "int16"])
def test_power_gradient_lowers_the_exponent_in_its_own_dtype_as_torch(exponent_dtype):
    """fuzz seeds 116085, 118722: torch's base gradient is exponent * base ** (exponent - 1) with
    ``exponent - 1`` taken in the exponent's dtype: a float16 6e-08 less one is -1.0 (a finite power of
    a negative base, not NaN), an int16 -32768 less one wraps to 32767 (0.5 ** 32767 is 0, not inf)."""
    exponents = [6e-08, -0.4, 2.0, -0.0] if exponent_dtype == "float16" else [-32768, 32767, 3, -2]
    def gradient(lib):
        base = lib.tensor([-2.364, 0.5, 3e38, 1e-45], dtype=lib.float64, requires_grad=True)
        exponent = lib.tensor(exponents, dtype=getattr(lib, exponent_dtype))
        return lib.autograd.grad((base ** exponent).sum(), base)[0].numpy()
    numpy.testing.assert_allclose(gradient(minigrad), gradient(torch), rtol=1e-14)   # infinities where torch's


# torch's backward formulas compute with a saved bool operand itself, and refuse ``-`` on it
BOOL_OPERAND_BACKWARDS = {
    "x ** mask": lambda lib, x, mask: x ** mask,
    "pow(x, 0-d mask)": lambda lib, x, mask: lib.pow(x, mask[0]),
    "pow_ by a mask": lambda lib, x, mask: (x * 1).pow_(mask),
    "mask ** x": lambda lib, x, mask: lib.pow(mask, x),
    "logaddexp(x, mask)": lambda lib, x, mask: lib.logaddexp(x, mask),
    "logaddexp(mask, x)": lambda lib, x, mask: lib.logaddexp(mask, x),
    "atan2(mask, x)": lambda lib, x, mask: lib.atan2(mask, x),
    "atan2(x, mask)": lambda lib, x, mask: lib.atan2(x, mask),
}


@pytest.mark.parametrize("op", BOOL_OPERAND_BACKWARDS.values(), ids=BOOL_OPERAND_BACKWARDS.keys())
def test_backward_through_a_bool_operand_matches_torch(op):
    def run(lib):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        try:
            op(lib, x, lib.tensor([True, False])).sum().backward()
        except RuntimeError as error:
            return str(error)
        return x.grad.tolist()
    assert run(minigrad) == run(torch)


@pytest.mark.parametrize("op", ["div_", "mul_", "pow_", "sub_", "remainder_", "copy_"])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_in_place_op_with_a_wider_operand_keeps_its_own_node_as_torch(op, dtype):
    """``x32 /= y64`` computes in float64 and writes float32: the tensor's history is the op's own
    node (DivBackward0, no ToCopy after it), which names it when a saved copy is written later."""
    def run(lib):
        x = lib.tensor([0.5, 1.5, 2.5], dtype=getattr(lib, dtype), requires_grad=True)
        w = lib.tensor([1.25, -0.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 1
        getattr(y, op)(w)
        (y * y).sum().backward()
        return y.grad_fn.name(), str(y.dtype).split(".")[1], x.grad.tolist(), w.grad.tolist()
    mine, theirs = run(minigrad), run(torch)
    assert mine[:2] == theirs[:2]
    numpy.testing.assert_allclose(mine[2], theirs[2], rtol=1e-3)
    numpy.testing.assert_allclose(mine[3], theirs[3], rtol=1e-3)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("exponent_shape", [(), (1,), (3, 1)], ids=str)
def test_tensor_power_of_one_half_is_pow_not_sqrt(dtype, exponent_shape):
    """fuzz seed 504406: NumPy takes sqrt for an exponent that stays the same along its loop (0-d,
    broadcast), NaN at -inf and -0.0 at -0.0; torch's tensor ** tensor is pow: inf and 0.0.  The
    base's gradient at exponent 1.5 raises to 0.5 too."""
    base = numpy.array([[-numpy.inf, -0.0, 0.0, 4.0, -2.0, numpy.inf]] * 3)

    def action(lib):
        results = []
        for value in (0.5, 1.5):
            x = lib.tensor(base, dtype=getattr(lib, dtype), requires_grad=True)
            y = x ** lib.tensor(numpy.full(exponent_shape, value), dtype=getattr(lib, dtype))
            y.sum().backward()
            results += [[repr(v) for v in y.detach().double().numpy().ravel()],
                        [repr(v) for v in x.grad.double().numpy().ravel()]]
        return results
    assert_same(action)
