"""Factories with torch's signatures, dtype inference and errors; the global random generator."""
import math

import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_same
from tests.conftest import DEVICES


# ---- tensor / as_tensor / from_numpy: dtype inference as torch ---------------------------------------
@pytest.mark.parametrize("data", [
    [1, 2], [1.0, 2], [[1, 2], [3, 4]], 3.5, 7, True, [True, False], [], [[], []], [1, 2.5],
    numpy.array([1, 2], dtype=numpy.int32), numpy.array([1.0, 2.0]), numpy.array([1.0], numpy.float16),
    numpy.float32(2.5), numpy.float64(2.5), numpy.int64(3), numpy.array(4.0), numpy.array([True]),
    (1, 2), [(1, 2), (3, 4)], numpy.arange(6).reshape(2, 3),
], ids=repr)
def test_tensor_infers_dtype_as_torch(data):
    assert_same(lambda lib: lib.tensor(data))


@pytest.mark.parametrize("action", [
    lambda lib: lib.tensor([1, 2], dtype=lib.float64),
    lambda lib: lib.tensor([1.5, -2.5], dtype=lib.int32),
    lambda lib: lib.tensor([1.0, 2], requires_grad=True),
    lambda lib: lib.tensor([1, 2], requires_grad=True),
    lambda lib: lib.tensor([[1, 2], [3]]),
    lambda lib: lib.tensor([[1, 2], [3, 4], [5]]),
    lambda lib: lib.tensor("a"),
    lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    lambda lib: lib.tensor(lib.tensor([1, 2]), dtype=lib.float32),
    lambda lib: lib.tensor([], dtype=lib.int64),
    lambda lib: lib.tensor([1, 2], device="cpu").device,
], ids=["dtype", "dtype_truncates", "requires_grad", "requires_grad_int", "ragged", "ragged_late",
        "string", "list_of_tensors", "from_tensor", "empty_int", "device"])
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")
def test_tensor_arguments_match_torch(action):
    assert_same(action)


def test_tensor_copies_its_data():
    array = numpy.array([1.0, 2.0])
    copied = minigrad.tensor(array)
    array[0] = 9.0
    source = minigrad.tensor([1.0, 2.0])
    copy_of_tensor = minigrad.tensor(source)
    source.add_(1)
    assert copied.tolist() == [1.0, 2.0] and copy_of_tensor.tolist() == [1.0, 2.0]


def test_as_tensor_shares_memory_where_it_can():
    array = numpy.array([1.0, 2.0])
    shared = minigrad.as_tensor(array)
    cast = minigrad.as_tensor(array, dtype=minigrad.float32)
    array[0] = 9.0
    assert shared.tolist() == [9.0, 2.0] and shared.dtype == minigrad.float64
    assert cast.tolist() == [1.0, 2.0]
    x = minigrad.ones(2)
    assert minigrad.as_tensor(x) is x
    assert_same(lambda lib: (lib.as_tensor([1, 2]), lib.as_tensor([1.0, 2.0]), lib.as_tensor(3),
                             lib.as_tensor(lib.ones(2), dtype=lib.float64)))


def test_from_numpy_shares_memory_both_ways():
    array = numpy.array([1.0, 2.0])
    tensor = minigrad.from_numpy(array)
    array[0] = 9.0
    tensor[1] = 7.0
    assert tensor.tolist() == [9.0, 7.0] and array.tolist() == [9.0, 7.0]
    assert tensor.dtype == minigrad.float64


@pytest.mark.parametrize("action", [
    lambda lib: lib.from_numpy(numpy.array([1, 2], dtype=numpy.int16)),
    lambda lib: lib.from_numpy(numpy.array(2.5)),
    lambda lib: lib.from_numpy(numpy.array([1, 0], dtype=numpy.uint8)),
    lambda lib: lib.from_numpy([1, 2]),
], ids=["int16", "0d", "uint8", "list"])
def test_from_numpy_matches_torch(action):
    assert_same(action)


def test_from_numpy_rejects_unsupported_types():
    with pytest.raises(TypeError, match=r"can't convert np.ndarray of type numpy.str_. The only supported"):
        minigrad.from_numpy(numpy.array(["a"]))


# ---- the legacy constructors ------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: lib.Tensor([1, 2]),
    lambda lib: lib.Tensor(2, 3).shape,
    lambda lib: lib.Tensor((2, 3)),
    lambda lib: lib.Tensor([[1, 2]]).dtype,
    lambda lib: lib.Tensor().shape,
    lambda lib: lib.Tensor(numpy.array([1, 2])).dtype,
    lambda lib: lib.FloatTensor([1, 2]),
    lambda lib: lib.FloatTensor(3).shape,
    lambda lib: lib.LongTensor([1.7, 2]),
    lambda lib: lib.LongTensor(2, 2).shape,
    lambda lib: (lib.DoubleTensor([1]), lib.IntTensor([1]), lib.BoolTensor([1, 0]), lib.ByteTensor([1])),
    lambda lib: lib.Tensor(-1),
], ids=["data", "sizes", "tuple_data", "dtype", "empty", "numpy", "FloatTensor", "FloatTensor_size",
        "LongTensor", "LongTensor_size", "others", "negative"])
def test_legacy_constructors_match_torch(action):
    assert_same(action)


# ---- zeros, ones, full, empty and the _like forms ----------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: lib.zeros(2, 3),
    lambda lib: (lib.zeros((2, 3)).shape, lib.zeros([2]).shape, lib.zeros(()).shape, lib.zeros(0).shape),
    lambda lib: lib.zeros(lib.Size([2, 3])).shape,
    lambda lib: lib.zeros(2, dtype=lib.int64),
    lambda lib: lib.zeros(2, 3, requires_grad=True),
    lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
    lambda lib: lib.zeros(-1, 2),
    lambda lib: lib.zeros(2.5),
    lambda lib: lib.ones(2, 3, dtype=lib.float16),
    lambda lib: lib.ones(2, dtype=lib.bool),
    lambda lib: lib.ones(2.5),
    lambda lib: (lib.empty(2, 3).shape, lib.empty(2, dtype=lib.int64).dtype, lib.empty((0,)).shape),
    lambda lib: (lib.full((2, 3), 1.5), lib.full((2,), 7), lib.full((2,), True), lib.full((), 3.0)),
    lambda lib: lib.full([2], 2.0, dtype=lib.float64),
    lambda lib: lib.full(2, 1.5),
    lambda lib: lib.full((2,), 1.0, requires_grad=True),
    lambda lib: lib.full((2,), 1, requires_grad=True),
], ids=["zeros", "zeros_sizes", "zeros_Size", "zeros_dtype", "zeros_grad", "zeros_int_grad", "negative",
        "float_size", "ones_half", "ones_bool", "ones_float_size", "empty", "full", "full_dtype",
        "full_int_size", "full_grad", "full_int_grad"])
def test_filled_factories_match_torch(action):
    assert_same(action)


@pytest.mark.parametrize("action", [
    lambda lib, x: (lib.zeros_like(x), lib.ones_like(x), lib.full_like(x, 2.5)),
    lambda lib, x: (lib.empty_like(x).shape, lib.empty_like(x).dtype),
    lambda lib, x: lib.zeros_like(x, dtype=lib.int64),
    lambda lib, x: lib.full_like(x.long(), 2.7),
    lambda lib, x: lib.ones_like(x, requires_grad=True),
    lambda lib, x: (lib.rand_like(x).shape, lib.rand_like(x).dtype, lib.randn_like(x).dtype),
], ids=["filled", "empty", "dtype", "full_like_int", "requires_grad", "random"])
def test_like_factories_match_torch(action):
    assert_same(lambda lib: action(lib, lib.ones(2, 3, dtype=lib.float64)))


def test_like_factories_do_not_share_memory_or_history():
    x = minigrad.ones(2, requires_grad=True)
    y = minigrad.zeros_like(x * 2)
    assert not y.requires_grad and y.grad_fn is None and not numpy.shares_memory(x.array, y.array)


# ---- ranges ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: (lib.arange(5), lib.arange(1, 4), lib.arange(1, 10, 3), lib.arange(3, 0, -1)),
    lambda lib: (lib.arange(0, 1, 0.25), lib.arange(5.0), lib.arange(1, 2.5, 0.5)),
    lambda lib: lib.arange(0, 1, 0.1).shape,
    lambda lib: (lib.arange(5, dtype=lib.float32), lib.arange(2, dtype=lib.float64)),
    lambda lib: lib.arange(lib.tensor(3)),
    lambda lib: lib.arange(10, 0),
    lambda lib: lib.arange(0, 1, 0),
    lambda lib: lib.arange(3, requires_grad=True),
    lambda lib: lib.arange(3.0, requires_grad=True),
    lambda lib: (lib.linspace(0, 1, 5), lib.linspace(-1, 1, 3, dtype=lib.float64)),
    lambda lib: (lib.linspace(0, 10, 1), lib.linspace(2, 3, 0), lib.linspace(0, 1, steps=4)),
    lambda lib: lib.linspace(0, 1, -1),
    lambda lib: (lib.eye(3), lib.eye(2, 3), lib.eye(2, dtype=lib.int64), lib.eye(0).shape),
    lambda lib: lib.eye(-1),
], ids=["arange_int", "arange_float", "arange_length", "arange_dtype", "arange_tensor", "arange_sign",
        "arange_zero_step", "arange_int_grad", "arange_grad", "linspace", "linspace_edges",
        "linspace_negative", "eye", "eye_negative"])
def test_ranges_match_torch(action):
    assert_same(action)


RANGES = [(0, 1, 0.01), (-3.3, 7.1, 0.0137), (0, 100, 0.1), (1.5, 1000.3, 0.7), (10, -3, -0.3),
          (-1e-3, 1e-3, 1e-5), (0, 70000, 1.1), (-1e30, 1e30, 1e28)]      # (70000 / 1.1: past torch's grain)
LINSPACES = [(-1060.0, 3.0, 403), (0, 1, 100), (-3.3, 7.1, 1001), (-math.pi, math.pi, 2000), (5, -5, 7),
             (0, 1, 40000), (1e300, -1e300, 7), (0, math.inf, 5), (0.5, 9.7, 6), (3, 3, 1)]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_aranges_are_torchs_to_the_bit(dtype):
    """torch's arange kernel: start + step * i fused in double (float for float16) at each 32-byte
    vector's first index, its lanes base + k * step fused; NumPy's arange rounds a step of its own
    (arange(1.5, 1000.3, 0.7) differed in 1,399 of 1,428 float64 values)."""
    for start, end, step in RANGES:
        if dtype == "float16" and abs(end) > 65504:
            continue
        theirs = torch.arange(start, end, step, dtype=getattr(torch, dtype)).numpy()
        ours = minigrad.arange(start, end, step, dtype=getattr(minigrad, dtype)).numpy()
        assert ours.shape == theirs.shape and numpy.array_equal(ours, theirs), (start, end, step)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int16"])
def test_linspaces_are_torchs_to_the_bit(dtype):
    """torch's linspace kernel: up from start below steps // 2, down from end from there, fused in the
    dtype (float16 rounds each operation; integers in double, truncated); NumPy's works in float64."""
    for start, end, steps in LINSPACES:
        if dtype != "float64" and abs(start) > 1e30 or dtype[0] == "i" and math.isinf(end):
            continue
        theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
        ours = minigrad.linspace(start, end, steps, dtype=getattr(minigrad, dtype)).numpy()
        assert ours.shape == theirs.shape and numpy.array_equal(ours, theirs, equal_nan=True), (start, end, steps)


@pytest.mark.parametrize("bounds", [(0, math.inf, 1), (0.5, math.nan, 1), (-math.inf, 3, 1), (0.0, math.inf, 1.0),
                                    (0, 1, math.inf), (0, 1, math.nan)], ids=repr)
def test_a_range_with_an_infinite_or_nan_bound_or_step_is_torchs(bounds):
    assert_same(lambda lib: lib.arange(*bounds))


def test_a_range_bound_past_the_dtype_is_torchs_overflow_error():
    assert_same(lambda lib: lib.linspace(-1e38, 1e38, 10, dtype=lib.float16))
    assert_same(lambda lib: lib.arange(0, 1e39, 1e38, dtype=lib.float16))


# ---- random factories ---------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    lambda lib: (lib.rand(2, 3).shape, lib.rand(2).dtype, lib.rand((2, 3)).shape, lib.rand(()).shape),
    lambda lib: (lib.rand(2, dtype=lib.float64).dtype, lib.rand(2, requires_grad=True).requires_grad),
    lambda lib: (lib.randn(2, 3).shape, lib.randn(3, dtype=lib.float64).dtype),
    lambda lib: lib.rand(2.5),
    lambda lib: (lib.randint(10, (3,)).dtype, lib.randint(3, 10, (2, 2)).shape),
    lambda lib: (lib.randint(0, 5, (2,), dtype=lib.int32).dtype, lib.randint(3, 10, size=(2,)).shape),
    lambda lib: lib.randint(low=2, high=4, size=(3,)).shape,
    lambda lib: lib.randint(5, 2, (2,)),
    lambda lib: (lib.randperm(5).dtype, sorted(lib.randperm(5).tolist()), lib.randperm(0).shape),
    lambda lib: lib.randperm(4, dtype=lib.int32).dtype,
], ids=["rand", "rand_dtype_grad", "randn", "rand_float_size", "randint", "randint_dtype",
        "randint_keywords", "randint_empty_range", "randperm", "randperm_dtype"])
def test_random_factories_match_torch_signatures(action):
    assert_same(action)


def test_random_values_have_the_right_distribution():
    minigrad.manual_seed(0)
    uniform = minigrad.rand(20000).numpy()
    normal = minigrad.randn(20000, dtype=minigrad.float64).numpy()
    integers = minigrad.randint(3, 7, (20000,)).numpy()
    assert 0.0 <= uniform.min() and uniform.max() < 1.0 and abs(uniform.mean() - 0.5) < 0.01
    assert abs(normal.mean()) < 0.03 and abs(normal.std() - 1.0) < 0.03
    assert set(numpy.unique(integers)) == {3, 4, 5, 6}
    assert sorted(minigrad.randperm(50).tolist()) == list(range(50))


def test_manual_seed_makes_draws_repeatable():
    def draws():
        return (minigrad.rand(3).tolist(), minigrad.randn(2, 2).tolist(), minigrad.randint(0, 100, (4,)).tolist(),
                minigrad.randperm(6).tolist(), minigrad.ones(3).uniform_().tolist(),
                minigrad.ones(3).normal_().tolist())
    minigrad.manual_seed(1234)
    first = draws()
    minigrad.manual_seed(1234)
    assert draws() == first
    assert draws() != first                       # the generator moves on
    minigrad.manual_seed(99)
    assert minigrad.initial_seed() == 99


# ---- in-place fills -------------------------------------------------------------------------------
def test_uniform_and_normal_in_place():
    x = minigrad.ones(10000)
    assert x.uniform_(-2.0, 3.0) is x and x._version == 1
    values = x.numpy()
    assert -2.0 <= values.min() and values.max() < 3.0 and abs(values.mean() - 0.5) < 0.05
    y = minigrad.ones(10000, dtype=minigrad.float64).normal_(5.0, 0.1)
    assert y.dtype == minigrad.float64 and abs(y.numpy().mean() - 5.0) < 0.01
    assert abs(y.numpy().std() - 0.1) < 0.01


@pytest.mark.parametrize("action", [
    lambda lib: (lib.ones(3).zero_(), lib.ones(3).fill_(2.5), lib.ones(3).fill_(lib.tensor(1.5))),
    lambda lib: lib.ones(3, dtype=lib.int64).fill_(2.7),
    lambda lib: lib.ones(3, requires_grad=True).zero_(),
    lambda lib: lib.ones(3, requires_grad=True).uniform_(),
    lambda lib: lib.ones(3, requires_grad=True).fill_(1.0),
], ids=["fills", "fill_int", "zero_leaf", "uniform_leaf", "fill_leaf"])
def test_fills_match_torch(action):
    assert_same(action)


def test_initialising_a_parameter_under_no_grad():
    for library in (torch, minigrad):
        weight = library.ones(3, requires_grad=True)
        with library.no_grad():
            weight.uniform_(-0.1, 0.1)
            weight.zero_()
            weight.fill_(0.5)
        assert weight.is_leaf and weight.requires_grad and weight.tolist() == [0.5] * 3


@pytest.mark.parametrize("device", DEVICES)
def test_factories_on_every_device(device):
    made = [minigrad.zeros(2, device=device), minigrad.ones(2, device=device),
            minigrad.full((2,), 3.0, device=device), minigrad.arange(3, device=device),
            minigrad.linspace(0, 1, 3, device=device), minigrad.eye(2, device=device),
            minigrad.rand(2, device=device), minigrad.randn(2, device=device),
            minigrad.randint(0, 3, (2,), device=device), minigrad.randperm(3, device=device),
            minigrad.tensor([1.0], device=device), minigrad.zeros_like(minigrad.ones(2, device=device))]
    for tensor in made:
        assert tensor.device == minigrad.device(device)


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1.0, 2.000001, 0.1], dtype=lib.float64),
    lambda lib: lib.tensor(0.1, dtype=lib.float64),
    lambda lib: lib.as_tensor([0.1, 1e-300], dtype=lib.float64),
    lambda lib: lib.DoubleTensor([0.1, 2.000001]),
    lambda lib: lib.tensor([0.1, 1], dtype=lib.float16),
    lambda lib: lib.tensor([[0.1], [3]], dtype=lib.int64),
], ids=["tensor", "scalar", "as_tensor", "DoubleTensor", "float16", "int64"])
def test_python_floats_with_an_explicit_dtype_are_not_rounded_through_float32(make):
    ours, theirs = make(minigrad), make(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor(2 ** 63), lambda lib: lib.tensor(-2 ** 63 - 1), lambda lib: lib.tensor([2 ** 63, -1]),
    lambda lib: lib.tensor([True, 2 ** 63]), lambda lib: lib.tensor([2 ** 63, 1.5]), lambda lib: lib.tensor([2 ** 1024, 1.5]),
    lambda lib: lib.tensor([[2 ** 64, 1.0], [2.0, 3.0]]), lambda lib: lib.tensor([2 ** 63], dtype=lib.uint8),
    lambda lib: lib.tensor([2 ** 63], dtype=lib.int32), lambda lib: lib.tensor(2 ** 64, dtype=lib.float64),
    lambda lib: lib.tensor([2 ** 63, -1], dtype=lib.float64), lambda lib: lib.tensor([2 ** 64, 1], dtype=lib.float32),
    lambda lib: lib.tensor(2 ** 1024, dtype=lib.float64), lambda lib: lib.tensor(2 ** 64, dtype=lib.float16),
    lambda lib: lib.tensor([0, 2 ** 63], dtype=lib.bool), lambda lib: lib.tensor([2 ** 63 - 1, -2 ** 63]),
    lambda lib: lib.as_tensor(2 ** 63), lambda lib: lib.as_tensor([2 ** 64], dtype=lib.float64),
    lambda lib: lib.Tensor([2 ** 64]), lambda lib: lib.LongTensor([2 ** 63]),
])
def test_python_ints_past_int64_in_tensor_data_as_torch(make):
    # torch reads an int of the data as a C long long into an integer dtype (the one it infers
    # where no float is there): "Overflow when unpacking long long"; as a double into a float
    # one; as True into bool.  NumPy read it as uint64 (2**63 became -2**63), an object (an
    # error), or beside a negative int as float64
    assert_same(make)


def _tricky_doubles():
    """Doubles whose float16 differs rounded directly or through float32: just off the halfway
    points between float16 neighbours (normal, subnormal, at the top of the range), and others."""
    values = []
    for base in [1.0, 2.0 ** -14, 1024.0, 65504.0, 0.5]:
        ulp = base * 2.0 ** -10 if base >= 2 ** -14 else 2.0 ** -24
        for k in [0.5, 1.5]:
            for offset in [0.0, 2.0 ** -40, -2.0 ** -40, 2.0 ** -26]:
                values.append(base + k * ulp + offset * base)
    values += [2.0 ** -25, 2.0 ** -25 + 2.0 ** -60, 2.0 ** -25 - 2.0 ** -60, 3 * 2.0 ** -25 - 2.0 ** -55,
               2.0 ** -26 + 2.0 ** -70, 65520.0, 65520.0 - 2.0 ** -30, 65519.99, 65520.0 + 1e-9, 0.1, 1e-8]
    return values + [-value for value in values]


TRICKY_DOUBLES = _tricky_doubles()
DOUBLE_TO_HALF = {
    "tensor(v)": lambda lib, v: lib.tensor(v, dtype=lib.float16),
    "tensor([v])": lambda lib, v: lib.tensor([v, 1.0], dtype=lib.float16),
    "tensor(ndarray)": lambda lib, v: lib.tensor(numpy.array([v]), dtype=lib.float16),
    "as_tensor([v])": lambda lib, v: lib.as_tensor([v], dtype=lib.float16),
    "to": lambda lib, v: lib.tensor([v], dtype=lib.float64).to(lib.float16),
    "half": lambda lib, v: lib.tensor([v], dtype=lib.float64, requires_grad=True).half(),
    "copy_": lambda lib, v: lib.zeros(2, dtype=lib.float16).copy_(lib.tensor([v], dtype=lib.float64)),
    "setitem of a tensor": lambda lib, v: _set(lib.zeros(2, dtype=lib.float16), 0, lib.tensor(v, dtype=lib.float64)),
    "setitem of a slice": lambda lib, v: _set(lib.zeros(2, dtype=lib.float16), slice(0, 1), lib.tensor([v], dtype=lib.float64)),
    "fill_ with a tensor": lambda lib, v: lib.zeros(2, dtype=lib.float16).fill_(lib.tensor(v, dtype=lib.float64)),
    "full": lambda lib, v: lib.full((2,), v, dtype=lib.float16),
    "fill_": lambda lib, v: lib.zeros(2, dtype=lib.float16).fill_(v),
    "setitem": lambda lib, v: _set(lib.zeros(2, dtype=lib.float16), 0, v),
}


def _set(x, key, value):
    x[key] = value
    return x


@pytest.mark.parametrize("entry", sorted(DOUBLE_TO_HALF))
def test_a_double_becomes_float16_through_float32_as_torch(entry):
    # c10::Half's one constructor takes a float, so torch rounds a double (a Python float, a
    # float64 tensor) to float32 first, then to half: 1 + 2^-11 + 2^-40 is 1.0, 65519.99 inf;
    # minigrad's NumPy rounded tensor(), .to(), copy_ and tensor writes directly, bit for bit
    # (full, fill_ and setitem of a number did as torch)
    for value in TRICKY_DOUBLES:
        def bits(lib, value=value):
            try:
                result = DOUBLE_TO_HALF[entry](lib, value)
            except RuntimeError as error:      # fill_ of two elements refuses a number past half's range
                return str(error)
            return result.detach().view(lib.int16).tolist()
        assert bits(minigrad) == bits(torch), value
