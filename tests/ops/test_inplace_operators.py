"""``|= &= ^= //= %=`` write into the tensor (they do not rebind the name to a new one), with
torch's dtype rule: the result type must be castable to the target's."""
import numpy
import pytest
import torch

import minigrad
from _op_parity import assert_same, assert_same_module_error

OPERATORS = {"|": "__ior__", "&": "__iand__", "^": "__ixor__", "//": "__ifloordiv__", "%": "__imod__"}

CASES = [
    # (target, operator, other): other is a Python number or ("tensor", values, dtype)
    (([5, 7], "int64"), "//", 2),
    (([5, 7], "int64"), "//", 2.5),              # a float quotient cannot go into an int tensor
    (([5.0, -7.0], "float32"), "//", 2),
    (([5.0, -7.0], "float64"), "//", ("tensor", [2.0, 3.0], "float32")),
    (([5, -7], "int64"), "%", 3),
    (([5, 7], "int64"), "%", 2.5),
    (([5.0, -7.0], "float32"), "%", ("tensor", [3.0, 2.0], "float64")),
    (([5, -7], "int32"), "%", ("tensor", [3, 4], "int64")),
    (([True, False], "bool"), "|", ("tensor", [False, True], "bool")),
    (([True, False], "bool"), "|", ("tensor", [3, 0], "int64")),   # Long can't be cast to Bool
    (([1, 2], "int64"), "|", True),
    (([1, 2], "int64"), "^", ("tensor", [3, 3], "uint8")),
    (([1, 2], "int32"), "&", ("tensor", [3, 3], "int64")),
    (([12, 10], "uint8"), "&", 6),
    (([1.0, 2.0], "float32"), "&", 1),            # no bitwise op on floats
    (([True, True], "bool"), "^", True),
]


def make(lib, values, dtype):
    return lib.tensor(values, dtype=getattr(lib, dtype))


def outcome(lib, target, operator, other):
    tensor = make(lib, *target)
    if isinstance(other, tuple):
        other = make(lib, other[1], other[2])
    before = tensor
    namespace = {"tensor": tensor, "other": other}
    try:
        exec(f"tensor {operator}= other", {}, namespace)
    except Exception as error:
        return f"{type(error).__name__}: {error}", tensor.tolist()
    assert namespace["tensor"] is before, f"{operator}= made a new tensor instead of writing in place"
    return str(tensor.dtype).split(".")[-1], tensor.tolist()


@pytest.mark.parametrize("target, operator, other", CASES)
def test_augmented_assignment_writes_in_place_like_torch(target, operator, other):
    assert outcome(minigrad, target, operator, other) == outcome(torch, target, operator, other)


def test_augmented_assignment_reaches_the_base_of_a_view():
    for lib in (torch, minigrad):
        base = lib.tensor([[1, 2], [3, 4]])
        row = base[1]
        row |= 8
        row //= 2
        assert base.tolist() == [[1, 2], [5, 6]]


@pytest.mark.parametrize("method", ["floor_divide_", "remainder_", "fmod_", "bitwise_and_",
                                    "bitwise_or_", "bitwise_xor_"])
def test_inplace_methods_match_torch(method):
    results = []
    for lib in (torch, minigrad):
        tensor = lib.tensor([7, -9, 12])
        returned = getattr(tensor, method)(lib.tensor([2, 4, 5]))
        assert returned is tensor
        results.append(tensor.tolist())
    assert results[1] == results[0]


def test_remainder_in_place_passes_gradients_like_torch():
    values = numpy.array([5.0, -7.0, 2.5])
    grads = []
    for lib in (torch, minigrad):
        x = lib.tensor(values, requires_grad=True)
        divisor = lib.tensor(numpy.array([3.0, 2.0, -1.5]), requires_grad=True)
        result = x * 1
        result %= divisor
        (result * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        grads.append((result.tolist(), x.grad.tolist(), divisor.grad.tolist()))
    assert grads[1] == grads[0]


PROMOTING_WRITES = {
    "mul_": lambda target, other: target.mul_(other),
    "/=": lambda target, other: target.__itruediv__(other),
    "pow_": lambda target, other: target.abs_().pow_(other / 4),   # its formula promotes self (seed 100197)
    "copy_ broadcast": lambda target, other: target.copy_(other.sum(0)),
    "add_ broadcast": lambda target, other: target.add_(other[:1]),
}
OTHER, LEAF = numpy.random.default_rng(0).normal(0, 3, (2, 6, 4)).round(4).tolist()


@pytest.mark.parametrize("write", PROMOTING_WRITES)
def test_an_in_place_write_of_a_wider_dtype_passes_gradients_in_torchs_dtypes(write):
    """fuzz seeds 139968, 119151: ``x16.mul_(y64)`` gives y the gradient torch computes, ``grad * x``
    in float16 (the target's dtype, which its gradient has, and x as torch saves it) then cast;
    copy_ casts to the source's dtype before it sums the broadcast dims; a float16 sum is rounded once."""
    grads = []
    for lib in (torch, minigrad):
        other = lib.tensor(OTHER, dtype=lib.float64, requires_grad=True)
        leaf = lib.tensor(LEAF, dtype=lib.float16, requires_grad=True)
        target = leaf * 1
        PROMOTING_WRITES[write](target, other)
        (target.double() * lib.tensor([0.33, -2.21, 1.07, 5.3], dtype=lib.float64)).sum().backward()
        grads.append((target.tolist(), leaf.grad.tolist(), other.grad.tolist()))
    assert grads[1] == grads[0]


ORDER_CASES = [
    # (setup, statement): autograd's leaf checks come before the kernel's shape, overlap and dtype checks
    ("t = lib.tensor([[1.0, 2.0]], dtype=lib.float16, requires_grad=True); o = lib.ones(3, 3)", "t += o"),
    ("t = lib.tensor([0.5, 2.0, 3.0], requires_grad=True).expand(2, 3); o = lib.ones(2, 3, dtype=lib.int8)",
     "t %= o"),
    ("t = lib.tensor([0.5, 0.25], dtype=lib.float64, requires_grad=True)[0]; o = lib.tensor(True)", "t &= o"),
    ("t = lib.tensor([40.0, 115.0], requires_grad=True); o = lib.tensor(2.5)", "t ^= o"),
    ("t = lib.tensor([1.0, 2.0]).expand(2, 2); o = lib.ones(3)", "t.mul_(o)"),
    ("t = lib.tensor([1, 2]); o = lib.ones(3)", "t.clamp_(o)"),
    ("t = lib.ones(2, requires_grad=True); o = lib.ones(3)", "t.copy_(o)"),
    ("t = lib.ones(3, 2)[:, 0].requires_grad_(); o = lib.ones(3, 3)", "t.copy_(o)"),   # a view that requires grad
    ("t = lib.tensor([True]); o = t[0]", "t.sub_(o)"),     # sub_'s own check, then the overlap
]


@pytest.mark.parametrize("setup, statement", ORDER_CASES)
def test_in_place_checks_come_in_torchs_order(setup, statement):
    """fuzz seeds 200000-206000: a leaf (or a view of one) is refused before the shape, the
    result type or an overlapping target is looked at."""
    outcomes = [_outcome(lib, setup, statement, lambda scope: "ok") for lib in (torch, minigrad)]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] != "ok"


def _outcome(lib, setup, statement, result):
    """``result(scope)`` after running ``setup`` and ``statement`` with ``lib``, or the error raised."""
    scope = {"lib": lib}
    exec(setup, scope)
    try:
        exec(statement, scope)
        return result(scope)
    except Exception as error:
        return f"{type(error).__name__}: {error}"


# an in-place op's own check of its arguments (its meta function) comes before TensorIterator's
# overlap check: an expanded target gets the op's error, as in torch
OWN_CHECK_BEFORE_OVERLAP = {
    "bool -= float": lambda lib: lib.tensor([True, False]).expand(2, 2).__isub__(lib.ones(2, requires_grad=True)),
    "float sub_ bool": lambda lib: lib.ones(2).expand(2, 2).sub_(lib.tensor([True, False])),
    "float -= True": lambda lib: lib.ones(2).expand(2, 2).__isub__(True),
    "bool neg_": lambda lib: lib.tensor([True, False]).expand(2, 2).neg_(),
    "bool relu_": lambda lib: lib.tensor([True, False]).expand(2, 2).relu_(),
    "bool F.relu inplace": lambda lib: lib.nn.functional.relu(lib.tensor([True]).expand(2), inplace=True),
    "int pow_ -1": lambda lib: lib.tensor([1, 2]).expand(2, 2).pow_(-1),
    "bool **= -1": lambda lib: lib.tensor([True, False]).expand(2, 2).__ipow__(-1),
    "div_ rounding_mode": lambda lib: lib.ones(2).expand(2, 2).div_(2, rounding_mode="round"),
    "clamp_ no bound": lambda lib: lib.ones(2).expand(2, 2).clamp_(),
    "int clamp_ float": lambda lib: lib.tensor([1, 2]).expand(2, 2).clamp_(min=0.5),
    "lerp_ end dtype": lambda lib: lib.ones(2).expand(2, 2).lerp_(lib.ones(2, dtype=lib.float64), 0.5),
    "lerp_ weight dtype": lambda lib: lib.ones(2).expand(2, 2).lerp_(lib.ones(2), lib.ones(2, dtype=lib.float16)),
    "addcdiv_ integers": lambda lib: lib.ones(2).expand(2, 2).addcdiv_(lib.ones(2, dtype=lib.int64),
                                                                      lib.ones(2, dtype=lib.int64)),
    # no own check: the overlap error
    "int pow_ tensor -1": lambda lib: lib.tensor([1, 2]).expand(2, 2).pow_(lib.tensor(-1)),
    "int clamp_ tensor": lambda lib: lib.tensor([1, 2]).expand(2, 2).clamp_(min=lib.tensor(0.5)),
    "int add_ alpha 0.5": lambda lib: lib.tensor([1, 2]).expand(2, 2).add_(lib.ones(2, dtype=lib.int64), alpha=0.5),
}


@pytest.mark.parametrize("action", OWN_CHECK_BEFORE_OVERLAP.values(), ids=OWN_CHECK_BEFORE_OVERLAP.keys())
def test_an_in_place_ops_own_check_comes_before_the_overlap_check_as_torchs(action):
    """fuzz seed 214792: ``bool_expanded -= float16_tensor`` is sub's bool error in torch."""
    assert_same_module_error(action)


@pytest.mark.parametrize("action", [
    lambda lib: lib.tensor(True).pow_(lib.tensor([[True, False, True]] * 3)),      # fuzz seed 244823
    lambda lib: lib.tensor(True).__ipow__(lib.tensor([[True, False, True]] * 3)),
    lambda lib: lib.tensor([True, False]).pow_(lib.tensor([True, True])),
    lambda lib: lib.tensor([2]).pow_(0.5),
    lambda lib: lib.tensor([2]).pow_(lib.tensor([0.5])),
    lambda lib: lib.tensor([True]).pow_(2),
], ids=["0-d bool by a matrix", "**=", "bool by bool", "int by 0.5", "int by a float tensor", "bool by 2"])
def test_pow_in_place_checks_the_results_shape_then_type_before_its_kernel_as_torch(action):
    """torch's TensorIterator checks that the result fits the target (shape, then type) before
    the kernel refuses a dtype ('"pow" not implemented for 'Bool'')."""
    assert_same_module_error(action)


def test_lerp_names_dtypes_as_torch():
    assert_same_module_error(lambda lib: lib.ones(2, dtype=lib.float16).lerp(lib.ones(2, dtype=lib.int64), 0.5))
    assert_same_module_error(lambda lib: lib.ones(2).lerp(lib.ones(2), lib.ones(2, dtype=lib.float64)))


# torch checks that an in-place result fits its target (shape, then type) before computing, and
# its Scalar overloads of clamp_ name the target's type in C++ ("bool", "short int")
FITS_BEFORE_COMPUTING = {
    "bool //= 0": lambda lib: lib.tensor([True]).__ifloordiv__(lib.tensor([0])),
    "bool %= 0": lambda lib: lib.tensor([True]).__imod__(lib.tensor([0])),
    "bool fmod_ 0": lambda lib: lib.tensor([True]).fmod_(lib.tensor([0])),
    "int %= 0.0": lambda lib: lib.tensor([1]).remainder_(lib.tensor([0.0])),
    "int %= a broader shape": lambda lib: lib.tensor([1, 2]).__imod__(lib.tensor([[0], [1]])),
    "bool clamp_ number": lambda lib: lib.tensor([True, False]).clamp_(0.5),
    "int16 clamp_ max number": lambda lib: lib.tensor([1], dtype=lib.int16).clamp_(max=0.5),
    "int8 clamp_ both numbers": lambda lib: lib.tensor([1], dtype=lib.int8).clamp_(0.5, 1.5),
    "int clamp_ tensor": lambda lib: lib.tensor([1]).clamp_(lib.tensor(0.5)),
    "int8 mask": lambda lib: lib.zeros(2).masked_fill_(lib.zeros(2, dtype=lib.int8), 1.0),
}


@pytest.mark.parametrize("action", FITS_BEFORE_COMPUTING.values(), ids=FITS_BEFORE_COMPUTING.keys())
def test_an_in_place_result_that_cannot_fit_fails_as_torchs_before_computing(action):
    assert_same_module_error(action)


COPY_OF_ITSELF = [
    # (setup, statement): torch's copy_ returns at once where src is the target's own data, laid out as it
    ("t = lib.tensor([[-2]], dtype=lib.int8).expand(2, 1, 1)", "t.copy_(t)"),
    ("t = lib.tensor([1.0, 2.0]).expand(3, 2)", "t.copy_(t.view(3, 2))"),
    ("t = lib.tensor([1.0, 2.0], requires_grad=True).clone().expand(3, 2)", "t.copy_(t)"),
    ("t = lib.tensor([1.0, 2.0]).expand(3, 2)", "t.copy_(lib.tensor([1.0, 2.0]).expand(3, 2))"),   # other memory
    ("t = lib.tensor([1.0, 2.0]).expand(3, 2)", "t.copy_(t.double())"),     # another dtype
    ("t = lib.tensor([1.0, 2.0], requires_grad=True)", "t.copy_(t)"),      # a leaf: autograd's check stays
]


@pytest.mark.parametrize("setup, statement", COPY_OF_ITSELF)
def test_copy_of_a_tensors_own_data_skips_the_overlap_check_as_torch(setup, statement):
    """fuzz seed 247535: an expanded tensor copied into itself is no error in torch (its copy_ returns
    before TensorIterator's overlap check), and autograd still records the write."""
    def written(scope):
        t = scope["t"]
        return t.tolist(), t._version, t.grad_fn and t.grad_fn.name()
    outcomes = [_outcome(lib, setup, statement, written) for lib in (torch, minigrad)]
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("read", ["detach", "requires_grad"])
def test_a_stale_views_detach_or_requires_grad_makes_no_node_as_torch(read):
    """fuzz seed 419647: v1, a view of x0, is made before x0 takes a history through another view;
    torch's v1.detach() and v1.requires_grad answer without making v1's node anew, so a write to v1
    is still refused as a leaf's (minigrad made the node, and let the write run)."""
    def action(lib):
        x0 = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        v1 = x0[2, 0]
        v2 = x0[0:2]
        v2[0, 0] = lib.tensor(0.3, requires_grad=True)
        assert (v1.detach() if read == "detach" else v1.requires_grad) is not None
        v1[...] = lib.tensor(1.44, requires_grad=True)
        return v1
    assert_same(action)
