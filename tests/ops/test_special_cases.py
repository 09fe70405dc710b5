"""Special cases the differential fuzzer (tests/fuzz) found, each held against torch:
integer maths, Python ints wrapping into integer types, tensor() with an explicit dtype."""
import pytest

from _op_parity import assert_same

INTEGER_MATHS = [
    # floor/trunc division computed in integers: exact beyond 2**53
    "lib.tensor([2**62 + 1, -2**62 - 1, -7, 7]) // lib.tensor([3, 3, 2, -2])",
    "lib.div(lib.tensor([2**62 + 1, -2**62 - 1, -7, 7, -6]), lib.tensor([3, 3, 2, -2, 3]), rounding_mode='trunc')",
    "lib.div(lib.tensor([2**62 + 1, -7]), lib.tensor([3, 2]), rounding_mode='floor')",
    "lib.tensor([-128], dtype=lib.int8) // -1",
    # integer division by zero raises torch's RuntimeError("ZeroDivisionError")
    "lib.tensor([5, -7]) // lib.tensor([0, 2])",
    "lib.tensor([5, -7]) // 0",
    "lib.tensor([5, -7], dtype=lib.int8) % lib.tensor([1, 0], dtype=lib.int8)",
    "lib.fmod(lib.tensor([5, -7]), lib.tensor([0, 2]))",
    "lib.div(lib.tensor([5]), 0, rounding_mode='trunc')",
    "lib.tensor([5.0]) // 0.0",
    "lib.tensor([5]) / 0",
    # integer powers with negative integer exponents: torch's 0/1/-1, not NumPy's ValueError
    "lib.tensor([2, 1, -1, -1, 0, 3]) ** lib.tensor([-1, -3, -3, -2, -1, 2])",
    "2 ** lib.tensor([-1, -2, 0, 3])",
    "lib.tensor([2]) ** -1",
    # Python ints wrap into the tensor's integer type
    "lib.tensor([200, 0], dtype=lib.uint8) + (-1)",
    "lib.tensor([200, 0], dtype=lib.uint8) * (-200)",
    "lib.tensor([200, 0], dtype=lib.uint8) & (-200)",
    "lib.tensor([200, 0], dtype=lib.uint8) - (-300)",
    "lib.tensor([200, 0], dtype=lib.uint8) == -56",
    "lib.tensor([200, 0], dtype=lib.uint8) > -1",
    "lib.tensor([5], dtype=lib.int8) + 300",
]


@pytest.mark.parametrize("expression", INTEGER_MATHS)
def test_integer_maths_matches_torch(expression):
    assert_same(lambda lib: eval(expression, {"lib": lib}))


@pytest.mark.parametrize("expression", ["x // 2", "2 // x", "lib.floor_divide(x, 2)",
                                        "lib.div(x, 2, rounding_mode='trunc')",
                                        "lib.div(x, 2, rounding_mode='floor')"])
def test_rounding_division_requires_grad_and_backward_as_torch(expression):
    def action(lib):
        x = lib.tensor([1.5, -2.5], dtype=lib.float64, requires_grad=True)
        y = eval(expression, {"lib": lib, "x": x})
        (y * lib.tensor([0.5, -1.0], dtype=lib.float64)).sum().backward()
        return y.requires_grad, x.grad
    assert_same(action)


TENSOR_WITH_DTYPE = [
    "lib.tensor([0.829, 1e308, 1e-310], dtype=lib.float64)",   # no detour through float32
    "lib.tensor([[0.1, 2**53 + 1]], dtype=lib.float64).tolist()",
    "lib.tensor([1e10, -1e300], dtype=lib.float16)",
    "lib.tensor([float('nan')], dtype=lib.int64)",
    "lib.tensor(float('inf'), dtype=lib.int32)",
    "lib.tensor([1e10], dtype=lib.int32)",
    "lib.tensor([127.9], dtype=lib.int8)",
    "lib.tensor([300], dtype=lib.int8)",
    "lib.tensor([-1, -255], dtype=lib.uint8)",
    "lib.tensor([-256], dtype=lib.uint8)",
    "lib.tensor([-3.7], dtype=lib.uint8)",
    "lib.tensor([[True, 2.5]], dtype=lib.int64)",
    "lib.tensor([float('nan'), 2.0], dtype=lib.bool)",
    "lib.tensor([], dtype=lib.int64)",
    "lib.tensor([float('nan'), 1e20]).to(lib.int64)",
]


@pytest.mark.parametrize("expression", TENSOR_WITH_DTYPE)
def test_tensor_with_a_dtype_converts_python_numbers_as_torch(expression):
    assert_same(lambda lib: eval(expression, {"lib": lib}))
