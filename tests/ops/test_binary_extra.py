"""float_power, fmax, fmin, copysign and nextafter against torch: values, gradients under a random
weighting, special values, promotion, Python numbers, in-place forms, errors, node names and
second derivatives."""
import numpy
import pytest

from minigrad.testing import assert_matches_torch
from _higher_order import assert_second_order_matches_torch
from _op_parity import assert_same, both

NAMES = ["float_power", "fmax", "fmin", "copysign", "nextafter"]
TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-12}, "float32": {}}
NAN, INF = float("nan"), float("inf")
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 1e-45, -2.5, 5e-324]


def _bits(tensor, nan_sign=True):
    """A result as comparable text: its dtype and bytes (-0.0 and ulps count, a NaN's sign where
    ``nan_sign``, its payload not: torch's pow makes NaNs of other payloads and signs than C's)."""
    values = tensor.detach().numpy().copy()
    if values.dtype.kind == "f":
        nans = numpy.isnan(values)
        values[nans] = numpy.copysign(numpy.nan, values[nans]) if nan_sign else numpy.nan
    return str(tensor.dtype).split(".")[-1], values.tobytes().hex()


def _node_name(node):
    """A node's name, torch's C++ namespace dropped (AccumulateGrad)."""
    return None if node is None else node.name().split("::")[-1]


def _grads(*tensors):
    return [None if t.grad is None else (str(t.grad.dtype).split(".")[-1], t.grad.numpy().tolist())
            for t in tensors]


# ---- values and gradients ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_broadcast_values_and_weighted_gradients_match_torch(name, dtype):
    low, high = (0.2, 2.0) if name == "float_power" else (-2.0, 2.0)
    assert_matches_torch(**both(name), shapes=[(3, 4), (4,)], dtype=dtype, low=low, high=high,
                         **TOLERANCE[dtype])
    assert_matches_torch(lambda a, b: getattr(a, name)(b), [(2, 1, 3), (4, 1)], dtype=dtype, low=low,
                         high=high, seed=3, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", NAMES)
def test_zero_dim_and_empty_operands_match_torch(name):
    def action(lib):
        x = lib.tensor(numpy.array([[0.5, 1.5, -2.0]]), requires_grad=True)
        scalar = lib.tensor(1.25, requires_grad=True)
        empty = lib.ones(0, 3, requires_grad=True)
        op = getattr(lib, name)
        results = [op(x, scalar), op(scalar, x), op(scalar, scalar * 2), op(empty, x), op(x[:, :0], scalar)]
        sum(((r * (i + 1.5)).sum() for i, r in enumerate(results)), lib.tensor(0.0)).backward()
        return [(tuple(r.shape), _bits(r)) for r in results], _grads(x, scalar, empty)
    assert_same(action)


# ---- special values --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_nan_inf_and_signed_zeros_match_torch_bit_for_bit(name, dtype):
    """Every pair of NaN, +-inf, +-0, subnormals and ordinary values, and the gradients.  (float_power
    is pow in float64, whose NaNs have no sign to compare, and which is an ulp off torch's at float64's
    1e-45: that pow is held to torch at a tolerance above.)"""
    power = name == "float_power"
    special = [value for value in SPECIAL if not (power and value == 1e-45)]
    left, right = numpy.meshgrid(special, special)
    def action(lib):
        x = lib.tensor(left.ravel(), dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.tensor(right.ravel(), dtype=getattr(lib, dtype), requires_grad=True)
        result = getattr(lib, name)(x, y)
        weights = lib.arange(result.numel(), dtype=result.dtype) / 7 - 3
        (result * weights).sum().backward()
        return _bits(result, nan_sign=not power), _grads(x, y)
    assert_same(action)


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_route_the_gradient_as_torch(name):
    """NaN only where both are NaN (maximum/minimum propagate it); the gradient goes to self where
    it won or tied or other is NaN, else to other, never split (maximum splits ties)."""
    def action(lib):
        x = lib.tensor([NAN, 1.0, NAN, 2.0, 2.0, -1.0, 3.0], requires_grad=True)
        y = lib.tensor([1.0, NAN, NAN, 2.0, 5.0, -4.0, -INF], requires_grad=True)
        result = getattr(lib, name)(x, y)
        (result * lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])).sum().backward()
        return result.tolist(), x.grad.tolist(), y.grad.tolist(), getattr(lib, name.replace("f", "", 1)
                                                                          .replace("max", "maximum")
                                                                          .replace("min", "minimum"))(
            x, y).isnan().tolist()
    assert_same(action)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_keep_self_where_zeros_of_both_signs_tie(name, dtype):
    """torch returns self's zero (std::fmax) in every lane; NumPy's vector loops return other's."""
    zeros = numpy.zeros(70)
    def action(lib):
        dt = getattr(lib, dtype)
        positive, negative = lib.tensor(zeros, dtype=dt), -lib.tensor(zeros, dtype=dt)
        op = getattr(lib, name)
        results = [op(positive[:n], negative[:n]) for n in (1, 4, 9, 17, 40, 70)]
        results += [op(negative[:40], positive[:40]), op(positive[0], negative[0]),
                    op(positive[:60].reshape(3, 20), negative[:20]), op(negative[:3, None], positive[:34]),
                    op(positive[::2], negative[:35])]
        return [numpy.signbit(result.numpy()).tolist() for result in results]
    assert_same(action)


def test_copysign_of_signed_zeros_and_its_gradient_at_zero_and_infinity():
    """-0.0 counts as negative, in a tensor and as a number; the gradient is 0 at self == 0, NaN at
    self = +-inf (torch's result / self), and zeros for other."""
    def action(lib):
        x = lib.tensor([0.0, -0.0, 2.0, -3.0, INF, -INF, NAN, 1.0], requires_grad=True)
        y = lib.tensor([-0.0, 0.0, -0.0, 0.0, -1.0, 2.0, -1.0, NAN], requires_grad=True)
        result = lib.copysign(x, y)
        by_number = lib.copysign(x, -0.0)
        (result * 2.5 + by_number * lib.arange(8.0)).sum().backward()
        return _bits(result), _bits(by_number), _grads(x, y)
    assert_same(action)


def test_nextafter_steps_toward_infinity_zero_and_across_zero():
    """One ulp toward +-inf, from 0 to the smallest subnormal, the largest float to inf, +-0 toward
    each other (other's zero), NaN; the gradient passes to self where self != other."""
    def action(lib):
        out = []
        for dtype in (lib.float16, lib.float32, lib.float64):
            info = lib.finfo(dtype)
            x = lib.tensor([0.0, 0.0, -0.0, 0.0, 1.0, 1.0, info.max, -info.max, NAN, 1.0, INF], dtype=dtype,
                           requires_grad=True)
            y = lib.tensor([INF, -INF, 0.0, -0.0, INF, 1.0, INF, -INF, 0.0, NAN, 0.0], dtype=dtype,
                           requires_grad=True)
            result = lib.nextafter(x, y)
            (result * lib.arange(11.0, dtype=dtype)).sum().backward()
            out.append((_bits(result), _grads(x, y)))
        return out
    assert_same(action)


def test_nextafter_agrees_with_torch_on_random_floats():
    rng = numpy.random.default_rng(5)
    values = rng.standard_normal(500) * 10.0 ** rng.integers(-40, 40, 500)
    def action(lib):
        return [_bits(lib.nextafter(lib.tensor(values, dtype=dtype), lib.tensor(numpy.roll(values, 1), dtype=dtype)))
                for dtype in (lib.float16, lib.float32, lib.float64)]
    assert_same(action)


# ---- Python numbers, promotion -----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("number", [2, 2.5, -0.0, True, 1e30])
def test_python_numbers_as_either_operand_match_torch(name, number):
    """copysign and float_power take a number second (float_power also first); fmax, fmin and
    nextafter refuse one, with torch's message, as a function and as a method."""
    def action(lib):
        out = []
        for dtype in (lib.float16, lib.float32, lib.float64, lib.int64, lib.bool):
            x = lib.tensor([0.5, -1.5, 3.0, 0.0]).to(dtype).requires_grad_(dtype.is_floating_point)
            for call in (lambda: getattr(lib, name)(x, number), lambda: getattr(lib, name)(number, x),
                         lambda: getattr(x, name)(number)):
                try:
                    result = call()
                except Exception as error:
                    out.append(f"{type(error).__name__}: {error}")
                    continue
                grad_fn = result.grad_fn.name() if result.grad_fn is not None else None
                out.append((_bits(result), grad_fn))
                if result.requires_grad:
                    out.append(lib.autograd.grad((result * lib.tensor([1.0, -2.0, 3.0, 0.5])).sum(), x))
        return out
    assert_same(action)


DTYPES = ["bool", "uint8", "int8", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("first", DTYPES)
def test_integer_bool_and_mixed_dtypes_promote_as_torch(name, first):
    """fmax/fmin keep the promoted dtype (bool, ints too), copysign turns integers into the default
    float, float_power always gives float64, nextafter refuses integer results; 0-d operands
    promote as torch's (a 0-d float64 does not widen a float16 tensor)."""
    def action(lib):
        out = []
        for second in DTYPES:
            for shape in ((2, 1), ()):
                x = lib.tensor([3, 0, 1]).to(getattr(lib, first))
                y = (lib.tensor([[2], [0]]) if shape else lib.tensor(1)).to(getattr(lib, second))
                try:
                    out.append(_bits(getattr(lib, name)(x, y)))
                except Exception as error:
                    out.append(f"{type(error).__name__}: {error}")
        return out
    assert_same(action)


def test_default_dtype_decides_copysign_of_integers():
    def action(lib):
        previous = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            return _bits(lib.copysign(lib.tensor([1, -2]), lib.tensor([-1, 1]))), _bits(lib.copysign(lib.tensor([3]), -1))
        finally:
            lib.set_default_dtype(previous)
    assert_same(action)


def test_float_power_computes_in_float64_with_torchs_nodes():
    """float_power casts both operands to float64 (ToCopyBackward0 nodes) and calls pow: PowBackward1
    for two tensors, PowBackward0 for a number exponent, PowBackward2 for a number base; gradients come
    back in each input's dtype."""
    def action(lib):
        x = lib.tensor([0.5, 1.5, 2.0], requires_grad=True)
        y = lib.tensor([1.5, -0.5, 3.0], dtype=lib.float64, requires_grad=True)
        out = []
        for result in (lib.float_power(x, y), lib.float_power(x, 3), lib.float_power(2, x), x.float_power(y),
                       lib.float_power(y, x), lib.float_power(y, 2.5)):
            # (None edges left out: minigrad's pow(number, tensor) keeps an edge for the number)
            names = [_node_name(node) for node, _ in result.grad_fn.next_functions if node is not None]
            grads = lib.autograd.grad((result * lib.tensor([1.0, -0.5, 2.0], dtype=lib.float64)).sum(),
                                      [t for t in (x, y) if t.requires_grad], allow_unused=True)
            out.append((_bits(result), result.grad_fn.name(), names,
                        [None if g is None else _bits(g) for g in grads]))
        return out
    assert_same(action)


# ---- in-place forms ------------------------------------------------------------------------------------
def test_in_place_forms_match_torch():
    """copysign_, nextafter_ and float_power_ (fmax_ and fmin_ do not exist in torch), their values,
    versions, nodes and gradients through a non-leaf."""
    def action(lib):
        out = []
        for name, other, dtype in (("copysign_", [-1.0, 2.0, -0.0], lib.float32), ("copysign_", -2, lib.float32),
                                   ("nextafter_", [INF, -1.0, 0.5], lib.float32),
                                   ("float_power_", [2.0, 0.5, -1.0], lib.float64),
                                   ("float_power_", 3, lib.float64), ("float_power_", [2, 1, 0], lib.float64)):
            leaf = lib.tensor([0.5, -1.5, 2.0], dtype=dtype, requires_grad=True)
            target = leaf * 1.0
            operand = lib.tensor(other) if isinstance(other, list) else other
            returned = getattr(target, name)(operand)
            (target * lib.tensor([1.0, 2.0, -3.0], dtype=dtype)).sum().backward()
            out.append((returned is target, target._version, target.grad_fn.name(), _bits(target),
                        _grads(leaf)))
        for name in ("fmax_", "fmin_"):
            out.append(hasattr(lib.ones(2), name))
        return out
    assert_same(action)


@pytest.mark.parametrize("case", [
    "float_power_ float32", "float_power_ int64", "float_power_ leaf", "float_power_ shape",
    "float_power_ number list", "copysign_ int", "copysign_ broadcast", "copysign_ leaf",
    "copysign_ list", "nextafter_ int", "nextafter_ bool int", "nextafter_ number", "nextafter_ float",
    "nextafter_ broadcast", "float16 copysign_ float64"])
def test_in_place_errors_match_torch(case):
    def action(lib):
        f32, f64 = lib.ones(3), lib.ones(3, dtype=lib.float64)
        actions = {
            "float_power_ float32": lambda: f32.float_power_(2),
            "float_power_ int64": lambda: lib.ones(3, dtype=lib.int64).float_power_(f64),
            "float_power_ leaf": lambda: lib.ones(3, dtype=lib.float64, requires_grad=True).float_power_(2),
            "float_power_ shape": lambda: f64.float_power_(lib.ones(2, 3)),
            "float_power_ number list": lambda: f64.float_power_([1]),
            "copysign_ int": lambda: lib.ones(3, dtype=lib.int64).copysign_(f32),
            "copysign_ broadcast": lambda: f32.copysign_(lib.ones(2, 3)),
            "copysign_ leaf": lambda: lib.ones(3, requires_grad=True).copysign_(-1),
            "copysign_ list": lambda: f32.copysign_((1,)),
            "nextafter_ int": lambda: lib.ones(3, dtype=lib.int64).nextafter_(lib.ones(3, dtype=lib.int64)),
            "nextafter_ bool int": lambda: lib.ones(3, dtype=lib.bool).nextafter_(lib.ones(3, dtype=lib.int64)),
            "nextafter_ number": lambda: f32.nextafter_(2.0),
            "nextafter_ float": lambda: lib.ones(3, dtype=lib.int64).nextafter_(f32),
            "nextafter_ broadcast": lambda: f32.nextafter_(lib.zeros(2, 3)),
            "float16 copysign_ float64": lambda: _bits(lib.ones(3, dtype=lib.float16).copysign_(-f64)),
        }
        result = actions[case]()
        return result if isinstance(result, tuple) else _bits(result)
    assert_same(action)


# ---- errors and names --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [[1, 2.5], (1,), None, "a", "shape"])
def test_bad_arguments_raise_torchs_errors(name, bad):
    """Wrong types as a function (either position) and as a method, and shapes that do not
    broadcast: torch's exception type and message, before anything is computed."""
    def action(lib):
        x = lib.ones(3, requires_grad=True)
        out = []
        calls = ([lambda: getattr(lib, name)(x, lib.ones(2))] if bad == "shape" else
                 [lambda: getattr(lib, name)(x, bad), lambda: getattr(lib, name)(bad, x),
                  lambda: getattr(x, name)(bad)])
        for call in calls:
            try:
                call()
                out.append("no error")
            except Exception as error:
                out.append(f"{type(error).__name__}: {error}")
        return out
    assert_same(action)


def test_numbers_only_and_complex_numbers_raise_torchs_errors():
    for action in (lambda m: m.float_power(2, 3), lambda m: m.copysign(m.ones(2), 1 + 2j),
                   lambda m: m.copysign(2.0, 3.0), lambda m: m.fmax(1.0, 2.0), lambda m: m.nextafter(1.0, m.ones(2))):
        assert_same(action)


@pytest.mark.parametrize("name", NAMES)
def test_grad_fn_names_and_edges_match_torch(name):
    """The op's own node with edges to its inputs (float_power: to their float64 copies)."""
    def action(lib):
        x = lib.ones(2, requires_grad=True)
        y = lib.full((2,), 2.0, requires_grad=True)
        results = [getattr(lib, name)(x, y), getattr(lib, name)(x, lib.ones(2)), getattr(x, name)(y),
                   getattr(lib, name)(lib.ones(2), y)]
        return [(r.grad_fn.name(), [_node_name(n) for n, _ in r.grad_fn.next_functions]) for r in results]
    assert_same(action)


def test_no_history_without_grad_and_under_no_grad():
    def action(lib):
        x = lib.ones(2, requires_grad=True)
        out = [getattr(lib, name)(lib.ones(2), lib.ones(2)).requires_grad for name in NAMES]
        with lib.no_grad():
            out += [getattr(lib, name)(x, x).grad_fn is None for name in NAMES]
        return out
    assert_same(action)


# ---- second derivatives --------------------------------------------------------------------------------
SECOND_ORDER = {
    "fmax": lambda lib, a, b: lib.fmax(a, b),
    "fmin": lambda lib, a, b: lib.fmin(a, b),
    "copysign": lambda lib, a, b: lib.copysign(a, b),
    "copysign number": lambda lib, a, b: lib.copysign(a, -1.5) * b,
    "float_power": lambda lib, a, b: lib.float_power(a.abs() + 0.5, b),
    "float_power number exponent": lambda lib, a, b: lib.float_power(a, 3) + b,
    "float_power number base": lambda lib, a, b: lib.float_power(1.7, a) * b,
    "nextafter": lambda lib, a, b: lib.nextafter(a, b) * a,
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_torch(name):
    assert_second_order_matches_torch(SECOND_ORDER[name], [(3, 4), (4,)])


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_second_derivatives_of_fmax_fmin_with_nan_and_ties(name):
    arrays = [numpy.array([NAN, 1.0, 2.0, NAN, -1.0]), numpy.array([0.5, NAN, 2.0, NAN, 3.0])]
    def fn(lib, a, b):
        return getattr(lib, name)(a, b) * a
    rng = numpy.random.default_rng(0)
    for lib_arrays in (arrays, [rng.uniform(-1, 1, (2, 5)), arrays[1]]):
        def run(lib):
            a, b = (lib.tensor(array, requires_grad=True) for array in lib_arrays)
            weights = lib.ones(tuple(fn(lib, a, b).shape), dtype=lib.float64, requires_grad=True)
            grads = lib.autograd.grad(fn(lib, a, b), [a, b], weights, create_graph=True)
            total = sum(((g * (i + 2.0)).sum() for i, g in enumerate(grads)), lib.tensor(0.0, dtype=lib.float64))
            return [g.tolist() for g in grads], [s.tolist() for s in lib.autograd.grad(total, [a, weights])]
        assert_same(run)


@pytest.mark.parametrize("self_requires_grad", [False, True])
def test_nextafter_saves_its_operands_only_for_selfs_gradient_as_torch(self_requires_grad):
    """fuzz seed 2213318: torch's node saves self and other for self's gradient alone; where only
    other requires grad, a write to self afterwards is no error (where self does, it is)."""
    def action(lib):
        first = lib.tensor([0.5, 2.0, -1.0], dtype=lib.float64, requires_grad=self_requires_grad)
        base = first * 1
        other = lib.tensor([1.0, 2.0, -3.0], dtype=lib.float64, requires_grad=True)
        result = lib.nextafter(base, other)
        base.mul_(2)
        (result * lib.tensor([0.3, -1.2, 0.7], dtype=lib.float64)).sum().backward()
        return result, other.grad
    assert_same(action)


@pytest.mark.parametrize("self_requires_grad", [False, True])
@pytest.mark.parametrize("written", ["self", "result"])
def test_copysign_saves_self_only_for_selfs_gradient_and_its_result_always_as_torch(self_requires_grad, written):
    """fuzz seed 2423106: torch's node saves self for self's gradient alone; where only other
    requires grad, a write to self afterwards is no error (where self does, it is).  It saves the
    result either way: a write to the result is an error (seed 2409317)."""
    def action(lib):
        first = lib.tensor([0.5, -2.0, 0.0], dtype=lib.float64, requires_grad=self_requires_grad)
        base = first * 1
        other = lib.tensor([-1.0, 2.0, -3.0], dtype=lib.float64, requires_grad=True)
        result = lib.copysign(base, other)
        (base if written == "self" else result).mul_(2)
        (result * lib.tensor([0.3, -1.2, 0.7], dtype=lib.float64)).sum().backward()
        return result, other.grad
    assert_same(action)
